# Train the small SAM (`sam_small`: ViT 128-d x 4 window blocks, 512 input, patch 8 -> 64x64
# embedding, 128-d prompt/decoder) from scratch on DSB 2018 `train`, on one CPU core.
# Prompts: ground-truth boxes jittered like detector boxes (+-10 % of the box size per side
# and +-2 px), at most 32 instances per image; loss 20 x focal + dice + MSE(iou_pred, IoU).
# Each box is decoded on a 16x16-token window around it (32x32 or the full grid when larger),
# exactly as at test time.
#   OMP_NUM_THREADS=1 python tools/train.py configs/sam/sam_small_dsb2018_cpu.py [--resume]
# Its step-1,000 checkpoint is published as checkpoints/sam_small_dsb2018_cpu.pth (configs/recipes/README.md);
# tested with ground-truth boxes as prompts:
#   python tools/test.py configs/sam/sam_small_dsb2018_cpu.py checkpoints/sam_small_dsb2018_cpu.pth
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/dsb2018/'
dataset_type = 'DSB2018Dataset'
img_size = 512
max_instances = 32
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'label_map_path')

model = dict(
    type='SAMBoxPromptSegmenter',
    arch='sam_small',
    checkpoint=None,
    decode_windows=(16, 32),
    chunk_size=64,
    trainable=('image_encoder', 'prompt_encoder', 'mask_decoder'),
    # the box is also a dense prompt (rasterised, through SAM's mask encoder): without it the
    # from-scratch decoder sat on a plateau (dice loss 0.92-0.94) for the first 240 steps.
    box_mask_prompt=True,
    train_cfg=dict(max_instances=max_instances, jitter_ratio=0.1, jitter_pixels=2.0,
                   focal_weight=20.0, dice_weight=1.0, iou_weight=1.0),
    # RGB 0-255, not normalised: the segmenter normalises with SAM's pixel mean/std itself.
    data_preprocessor=dict(type='DetDataPreprocessor', mean=None, std=None, bgr_to_rgb=True,
                           pad_size_divisor=1))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='SampleInstances', max_num=max_instances),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    # longest side -> 512 with PIL's bilinear (antialiased), as SAM's ResizeLongestSide
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=True, backend='pillow',
         interpolation='bilinear'),
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25],
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='Pad', size=(img_size, img_size), pad_val=dict(img=0, masks=0)),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
# Oracle evaluation: prompts are the ground-truth boxes in original pixels (no resize here:
# the segmenter resizes the original image itself).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/instances_train.json', data_prefix=dict(img='images/'),
                 filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/instances_val.json', data_prefix=dict(img='images/'),
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(val_dataloader,
                       dataset=dict(val_dataloader['dataset'],
                                    ann_file='annotations/instances_test.json'))
val_evaluator = dict(type='NucleusInstanceMetric')
test_evaluator = val_evaluator

# Iteration-based, sized for ~70 min on one core: ~2.5-3 s per step (the other core trains the detector) of 2 images x 32 prompts
# (1100 steps = 2200 images = 4.6 epochs of the 480 training images).
max_iters = 1100
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                     clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters, T_max=max_iters - 100,
         eta_min=1e-5),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=2,
                    save_last=True))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
randomness = dict(seed=0)
