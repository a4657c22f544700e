# CPU recipe for TissueNet: a lighter two-stack hourglass (channels / 4, so about 1/16 of the
# compute) on 256x256 crops, batch 8, Adam 1e-3 with cosine decay. Paper: full hourglass, 512x512,
# batch 32, 140 epochs (centernet_hourglass_tissuenet.py). Both stacks are supervised either way.
_base_ = [
    '../_base_/models/centernet_hourglass.py', '../_base_/datasets/tissuenet_detection.py',
    '../_base_/default_runtime.py'
]
model = dict(backbone=dict(stage_channels=[64, 64, 96, 96, 96, 128], feat_channel=64),
             bbox_head=dict(in_channels=64, feat_channels=64))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='Resize', scale=(512, 512), keep_ratio=False),
    dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='RandomAffine', max_rotate_degree=0, max_translate_ratio=0.1,
             scaling_ratio_range=(0.8, 1.25), max_shear_degree=0, border_val=(0, 0, 0))]),
    dict(type='RandomCrop', crop_size=(256, 256)),
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(pipeline=train_pipeline))
max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
                     clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
