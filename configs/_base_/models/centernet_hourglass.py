# CenterNet with the paper's two-stack hourglass (MMDetection's HourglassNet, as in CornerNet),
# one CenterNet head per stack (intermediate supervision), predictions from the last stack.
model = dict(
    type='NucleusCenterNet',  # MMDetection's CenterNet + optional flip test (test_cfg.flip)
    data_preprocessor=dict(
        type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True, pad_size_divisor=128),
    backbone=dict(
        type='HourglassNet', downsample_times=5, num_stacks=2, stage_channels=[256, 256, 384, 384, 384, 512],
        stage_blocks=[2, 2, 2, 2, 2, 4], norm_cfg=dict(type='BN', requires_grad=True), init_cfg=None),
    neck=None,
    bbox_head=dict(
        type='MultiStackCenterNetHead', num_stacks=2, num_classes=1, in_channels=256, feat_channels=256,
        loss_center_heatmap=dict(type='GaussianFocalLoss', alpha=2.0, gamma=4.0, loss_weight=1.0),
        loss_wh=dict(type='L1Loss', loss_weight=0.1),
        loss_offset=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=None,
    test_cfg=dict(topk=1000, local_maximum_kernel=3, max_per_img=1000, score_thr=0.1))
