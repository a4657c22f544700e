# MoNuSeg (H&E, 1000x1000 images as 9 crops of about 333x333 each), converted by convert_dataset.py monuseg.
# Same preprocessing and evaluation as DSB2018 (CLAHE, resize to 512x512, shift/scale/flip).
_base_ = './dsb2018_detection.py'
dataset_type = 'MoNuSegDataset'
data_root = 'data/monuseg/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox',
         proposal_nums=(100, 300, 1000)),
    dict(type='BoxF1Metric', iou_thr=0.5),
]
test_evaluator = [dict(val_evaluator[0], ann_file=data_root + 'annotations/instances_test.json'),
                  val_evaluator[1]]
