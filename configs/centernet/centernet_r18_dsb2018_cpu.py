# CPU recipe for DSB2018 (the built-in default detector), trained from scratch on 2 CPU cores.
# Differs from the paper (centernet_r18_dsb2018.py / centernet_hourglass_dsb2018.py), and why:
#   * 256x256 random crops of the 512x512-resized image instead of full 512x512 inputs
#     (4x fewer pixels per step; the network is fully convolutional, so tests still run on 512x512);
#   * ResNet-18 at half width (base_channels 32: stages of 32/64/128/256 channels) and a matching
#     neck: about 3x faster per step on CPU (measured 2.3 s vs 6.3 s for 16 crops, one thread);
#   * no deformable convolution in the neck (mmcv's DCN is slow on CPU);
#   * batch 16, Adam lr 1e-3 with warm-up and cosine decay over 50 epochs (_base_/schedules/cpu_cosine_50e.py)
#     instead of batch 32, lr 1.25e-4, 140 epochs: a from-scratch run must converge in about an hour.
_base_ = [
    '../_base_/models/centernet_r18.py', '../_base_/datasets/dsb2018_detection.py',
    '../_base_/schedules/cpu_cosine_50e.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(base_channels=32),
    neck=dict(in_channels=256, num_deconv_filters=(128, 64, 64), use_dcn=False))
train_crop_size = (256, 256)
# the dataset's pipeline (CLAHE, 512x512, shift/scale, flips) with smaller crops
train_pipeline = [dict(t, crop_size=train_crop_size) if t['type'] == 'RandomCrop' else t
                  for t in _base_.train_pipeline]
train_dataloader = dict(batch_size=16, num_workers=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1)
test_dataloader = dict(num_workers=1)

default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=2, save_last=True,
                                     save_best='box/best_f1', rule='greater'))
