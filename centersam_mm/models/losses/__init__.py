"""Losses of centersam_mm models."""
from .sam_mask_loss import dice_loss, sam_mask_loss, sigmoid_focal_loss  # noqa: F401

__all__ = ['dice_loss', 'sam_mask_loss', 'sigmoid_focal_loss']
