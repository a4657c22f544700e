# One detector for fluorescence, brightfield and H&E, trained at one nucleus size: the default detector
# (checkpoints/centernet_r18-skip_dsb2018_cpu.pth, the ResNet-18 CenterNet with a skip-connected neck) fine-tuned
# on DSB 2018 `train` (480 images) + the 30 MoNuSeg training images (data/monuseg_train, 270 crops; `make data`),
# every image resized so its median nucleus diameter is 44.2 px (x 0.8-1.25 jitter; NucleusSizeResize), which is
# the size scale-aware inference (model.test_cfg.diameter) resizes test images to. Colour jitter
# (PhotoMetricDistortion) for stain variation; sampling balanced over image shapes (ImageGroupBalancedDataset,
# MoNuSeg crops are one group). Validation: DSB `val` box F1 with each image at its own nucleus size.
#   python tools/train.py configs/centernet/centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu.py [--resume]
_base_ = ['./centernet_r18_dsb2018_cpu_stage6.py']

load_from = 'checkpoints/centernet_r18-skip_dsb2018_cpu.pth'
nucleus_diameter = 44.2
train_crop_size = (384, 384)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='NucleusSizeResize', diameter=nucleus_diameter, log_jitter=0.223),  # log(1.25)
    dict(type='RandomCrop', crop_size=train_crop_size),
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.75, 1.25),
         saturation_range=(0.7, 1.3), hue_delta=12),
    dict(type='PackDetInputs'),
]
# validation: each image resized so its annotated nuclei have the trained diameter (the factor scale-aware
# inference estimates); annotations loaded after it stay in original pixels, as the metrics expect
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='NucleusSizeResize', diameter=nucleus_diameter, log_jitter=0.0),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
dsb_train = dict(type='DSB2018Dataset', data_root='data/dsb2018/', ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='images/'), filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline)
monuseg_train = dict(dsb_train, type='MoNuSegDataset', data_root='data/monuseg_train/')
train_dataloader = dict(
    batch_size=16, num_workers=1, persistent_workers=True,
    dataset=dict(_delete_=True, type='ImageGroupBalancedDataset', oversample_thr=0.2,
                 dataset=dict(type='ConcatDataset', datasets=[dsb_train, monuseg_train])))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

max_epochs = 18
train_cfg = dict(max_epochs=max_epochs, val_interval=6)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_last=True,
                                     save_best='box/best_f1', rule='greater'))
