"""Registered transforms for the paper's preprocessing.

CLAHE (clip limit 2, 8×8 tiles) reuses mmdet's ``CLAHE`` (applied per RGB channel):
``dict(type='CLAHE', clip_limit=2.0, tile_grid_size=(8, 8))``.
"""
from .shift_scale_rotate import RandomShiftScaleRotate

__all__ = ['RandomShiftScaleRotate']
