"""Registered transforms for the paper's preprocessing (CLAHE; shift/scale/rotate with consistent masks).

Suggested training pipeline (flip from mmdet, resize to 512×512)::

    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)),
    dict(type='RandomShiftScaleRotate', shift_prob=0.5, scale_prob=0.5, rotate_prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(512, 512), keep_ratio=False),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                                          'flip', 'flip_direction', 'label_map_path')),
"""
from .clahe import NucleusCLAHE, apply_clahe
from .hed_jitter import HEDJitter, hed_jitter
from .keep_original import KeepOriginalImage
from .nucleus_size_resize import NucleusSizeResize
from .sample_instances import SampleInstances
from .shift_scale_rotate import RandomShiftScaleRotate

__all__ = ['NucleusCLAHE', 'apply_clahe', 'HEDJitter', 'hed_jitter', 'KeepOriginalImage', 'NucleusSizeResize', 'RandomShiftScaleRotate',
           'SampleInstances']
