"""Benchmark converters (numpy/OpenCV/tifffile/pycocotools only; no torch, no mmdet)."""
from .api import BENCHMARKS, OPTIONS, convert
from .coco import label_map_annotations, parse_split_ratio, seeded_split, split_counts
from .crops import crop_samples, parse_crop
from .errors import BadFilesError, ConversionError
from .poly2mask import poly2mask
from .writer import Sample, write_dataset

__all__ = ['BENCHMARKS', 'OPTIONS', 'convert', 'ConversionError', 'BadFilesError', 'Sample', 'write_dataset',
           'label_map_annotations', 'parse_split_ratio', 'seeded_split', 'split_counts', 'crop_samples',
           'parse_crop', 'poly2mask']
