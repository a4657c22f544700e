# CPU recipe for TissueNet: a lighter two-stack hourglass (channels / 4, so about 1/16 of the
# compute) on 256x256 crops, batch 8, Adam 1e-3 with cosine decay. Paper: full hourglass, 512x512,
# batch 32, 140 epochs (centernet_hourglass_tissuenet.py). Both stacks are supervised either way.
_base_ = [
    '../_base_/models/centernet_hourglass.py', '../_base_/datasets/tissuenet_detection.py',
    '../_base_/schedules/cpu_cosine_50e.py', '../_base_/default_runtime.py'
]
model = dict(backbone=dict(stage_channels=[64, 64, 96, 96, 96, 128], feat_channel=64),
             bbox_head=dict(in_channels=64, feat_channels=64))
train_pipeline = [dict(t, crop_size=(256, 256)) if t['type'] == 'RandomCrop' else t
                  for t in _base_.train_pipeline]
train_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(pipeline=train_pipeline))
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=8)
param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
