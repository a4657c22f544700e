# 2018 Data Science Bowl, converted by `tools/dataset_converters/convert_dataset.py dsb2018`
# (`make data`). Paper preprocessing: CLAHE (clip 2, 8x8 tiles), images resized to 512x512,
# shift / scale / flip augmentations, each with probability 0.5.
dataset_type = 'DSB2018Dataset'
data_root = 'data/dsb2018/'
backend_args = None
image_size = (512, 512)
train_crop_size = (512, 512)
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'label_map_path')
# at test time the loaded image travels in the sample (ori_img, for SAM), with the per-image scale options of
# scale-aware models (centersam_mm.models.utils.nucleus_scale)
test_meta_keys = meta_keys + ('ori_img', 'nucleus_scale', 'nucleus_diameter', 'pixel_size', 'tile_align')

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='RandomAffine', max_rotate_degree=0, max_translate_ratio=0.1,
             scaling_ratio_range=(0.8, 1.25), max_shear_degree=0, border_val=(0, 0, 0))]),
    dict(type='RandomCrop', crop_size=train_crop_size),
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='KeepOriginalImage'),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=test_meta_keys),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(val_dataloader,
                       dataset=dict(val_dataloader['dataset'], ann_file='annotations/instances_test.json'))

# Box AP with up to 1000 detections per image (COCO's default of 100 undercounts dense images),
# plus box precision / recall / F1 at IoU >= 0.5 over every nucleus.
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox',
         proposal_nums=(100, 300, 1000), format_only=False, backend_args=backend_args),
    dict(type='BoxF1Metric', iou_thr=0.5),
]
test_evaluator = [dict(val_evaluator[0], ann_file=data_root + 'annotations/instances_test.json'),
                  val_evaluator[1]]
