# CenterNet with a ResNet-18 backbone (MMDetection's CenterNet, ResNet, CTResNetNeck), one class.
# Trained from scratch: no ImageNet initialisation (none can be downloaded here, and the paper
# trains from scratch too). Output stride R = 4.
model = dict(
    type='NucleusCenterNet',  # MMDetection's CenterNet + optional flip test (test_cfg.flip)
    data_preprocessor=dict(
        type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='ResNet', depth=18, norm_eval=False, norm_cfg=dict(type='BN'), init_cfg=None),
    neck=dict(type='CTResNetNeck', in_channels=512, num_deconv_filters=(256, 128, 64),
              num_deconv_kernels=(4, 4, 4), use_dcn=True),
    bbox_head=dict(
        type='NucleusCenterNetHead', num_classes=1, in_channels=64, feat_channels=64,
        loss_center_heatmap=dict(type='GaussianFocalLoss', alpha=2.0, gamma=4.0, loss_weight=1.0),
        loss_wh=dict(type='L1Loss', loss_weight=0.1),
        loss_offset=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=None,
    # theta = 0.1, up to K = 1000 peaks after 3x3 max-pool NMS
    test_cfg=dict(topk=1000, local_maximum_kernel=3, max_per_img=1000, score_thr=0.1))
