# Paper setup for TissueNet: two-stack hourglass, 512x512 tiles, batch 32, Adam 1.25e-4, 140 epochs.
_base_ = [
    '../_base_/models/centernet_hourglass.py', '../_base_/datasets/tissuenet_detection.py',
    '../_base_/schedules/paper_140e.py', '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=32, num_workers=4)
