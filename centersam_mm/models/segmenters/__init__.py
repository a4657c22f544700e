"""Mask heads prompted by boxes: SAM built from Meta's segment_anything modules."""
from .sam_archs import SAM_ARCHS, SAMArch, get_arch  # noqa: F401
from .sam_box_prompt import SAMBoxPromptSegmenter, SegmentResult  # noqa: F401

__all__ = ['SAM_ARCHS', 'SAMArch', 'get_arch', 'SAMBoxPromptSegmenter', 'SegmentResult']
