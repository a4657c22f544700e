# MoNuSeg's protocol (`make data`): train on the 30 training images, data/monuseg_train (270 crops of about
# 333x333, all in its train split); validate and test on the 6 test images of ../shared/data, data/monuseg_test
# (whole 1000x1000 images, all in its test split). Preprocessing as DSB2018 (CLAHE, shift/scale/flip); the
# training crops are resized to 512x512 (x1.54) and the whole test images to 1536x1536, so that nuclei have the
# same size in pixels in training and at test time (both sets are 40x, about 0.25 um/px).
_base_ = './dsb2018_detection.py'
dataset_type = 'MoNuSegDataset'
data_root = 'data/monuseg_train/'
test_root = 'data/monuseg_test/'
test_image_size = (1536, 1536)
backend_args = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'label_map_path')
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    # 24x24 CLAHE tiles on a whole image = the 8x8 tiles of a 333x333 training crop (about 42 px each)
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(24, 24)),
    dict(type='Resize', scale=test_image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=test_root, ann_file='annotations/instances_test.json',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric', ann_file=test_root + 'annotations/instances_test.json', metric='bbox',
         proposal_nums=(100, 300, 1000)),
    dict(type='BoxF1Metric', iou_thr=0.5),
]
test_evaluator = val_evaluator
