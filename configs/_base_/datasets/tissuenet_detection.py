# TissueNet v1 (512x512 multiplexed tiles; nuclear labels; the file-name train/val/test split), converted by convert_dataset.py tissuenet.
# Same preprocessing and evaluation as DSB2018 (CLAHE, resize to 512x512, shift/scale/flip).
_base_ = './dsb2018_detection.py'
dataset_type = 'TissueNetDataset'
data_root = 'data/tissuenet/'
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
