# The small SAM of the one-model default, fine-tuned at one nucleus size on DSB 2018 `train` (480 images) + the 30
# MoNuSeg training images (data/monuseg_train, 270 crops; `make data`): every training image is resized so its
# median nucleus diameter is 28.8 px (x 0.8-1.25 jitter; NucleusSizeResize), the size CenterSAM hands nuclei to SAM
# at (model.test_cfg.sam_diameter), then cropped to 512 x 512; colour jitter for stain variation; both datasets
# balanced by image shape (MoNuSeg crops are one group). From checkpoints/sam_small_dsb2018_cpu.pth.
#   python tools/train.py configs/sam/sam_small_size29_dsb2018-monuseg_cpu.py [--resume]
_base_ = ['./sam_small_dsb2018_cpu.py']

sam_diameter = 28.8
load_from = 'checkpoints/sam_small_dsb2018_cpu.pth'
# boxes of up to 6 tokens (48 px at the encoder's input; nuclei arrive at 28.8) are decoded on 8x8-token windows,
# larger ones on 16x16 or 32x32: a quarter of the decoder's work per nucleus of the DSB-only SAM's 16x16 windows
model = dict(decode_windows=(8, 16, 32))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # decode at most 96 masks per image; the segmenter's loss samples 32 of those left after the crop
    dict(type='SampleInstances', max_num=96),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='NucleusSizeResize', diameter=sam_diameter, log_jitter=0.223),  # log(1.25)
    dict(type='RandomCrop', crop_size=(512, 512), allow_negative_crop=False, recompute_bbox=True),
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25], direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.75, 1.25),
         saturation_range=(0.7, 1.3), hue_delta=12),
    dict(type='Pad', size=(512, 512), pad_val=dict(img=0, masks=0)),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
dsb_train = dict(type='DSB2018Dataset', data_root='data/dsb2018/', ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='images/'), filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline)
monuseg_train = dict(dsb_train, type='MoNuSegDataset', data_root='data/monuseg_train/')
train_dataloader = dict(
    num_workers=1, persistent_workers=True,
    dataset=dict(_delete_=True, type='ImageGroupBalancedDataset', oversample_thr=0.2,
                 dataset=dict(type='ConcatDataset', datasets=[dsb_train, monuseg_train])))

# ~1.5 s per step on 2 cores; tested inside CenterSAM (configs/centersam/), not with ground-truth boxes here
max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=10 * max_iters)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, T_max=max_iters - 50, eta_min=1e-5),
]
