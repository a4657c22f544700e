"""Detectors: CenterNet with flip test-time augmentation, and the detector + box-prompt segmenter model."""
from .center_sam import CenterSAM  # noqa: F401
from .nucleus_centernet import NucleusCenterNet, flip_averaged_outputs  # noqa: F401

__all__ = ['CenterSAM', 'NucleusCenterNet', 'flip_averaged_outputs']
