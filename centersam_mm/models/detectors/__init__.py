"""Detectors that join a box detector and a box-prompt segmenter."""
from .center_sam import CenterSAM  # noqa: F401

__all__ = ['CenterSAM']
