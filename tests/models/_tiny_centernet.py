"""A tiny one-class CenterNet config for model tests (random weights, CPU, 64x64 inputs)."""


def tiny_centernet_cfg(type: str = 'CenterNet', base_channels: int = 64, **test_cfg) -> dict:
    """ResNet-18 (``base_channels`` wide) + CTResNetNeck without DCN + NucleusCenterNetHead, 32 channels.

    ``test_cfg`` updates the head's (top 20 peaks by default).
    """
    return dict(
        type=type,
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[0, 0, 0], std=[255, 255, 255], bgr_to_rgb=True),
        backbone=dict(type='ResNet', depth=18, base_channels=base_channels, norm_eval=False,
                      norm_cfg=dict(type='BN')),
        neck=dict(type='CTResNetNeck', in_channels=base_channels * 8, num_deconv_filters=(32, 32, 32),
                  num_deconv_kernels=(4, 4, 4), use_dcn=False),
        bbox_head=dict(type='NucleusCenterNetHead', num_classes=1, in_channels=32, feat_channels=32,
                       loss_center_heatmap=dict(type='GaussianFocalLoss', loss_weight=1.0),
                       loss_wh=dict(type='L1Loss', loss_weight=0.1),
                       loss_offset=dict(type='L1Loss', loss_weight=1.0)),
        train_cfg=None,
        test_cfg=dict(dict(topk=20, local_maximum_kernel=3, max_per_img=20), **test_cfg))
