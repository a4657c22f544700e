"""Whole-slide images: lazy pyramidal reading, tissue regions, resumable tiled segmentation shared over processes,
streamed outputs (OME-Zarr labels, GeoJSON, CSV, overlay thumbnail). See :mod:`centersam_mm.slides.runner`.

Importing this package needs numpy, scipy, OpenCV and tifffile only; reading a slide needs ``zarr`` (and
``imagecodecs`` for JPEG tiles), writing labels ``ome-zarr`` (``pip install centersam_mm[slides]``).
"""
from .reader import SLIDE_MIN_PIXELS, SlideReader, choose_level, is_slide
from .runner import SLIDE_SUFFIXES, SlideOutcome, SlideRun, segment_slide, slide_output_paths
from .writer import label_levels, read_label_level

__all__ = ['SLIDE_MIN_PIXELS', 'SlideReader', 'choose_level', 'is_slide', 'SLIDE_SUFFIXES', 'SlideOutcome',
           'SlideRun', 'segment_slide', 'slide_output_paths', 'label_levels', 'read_label_level']
