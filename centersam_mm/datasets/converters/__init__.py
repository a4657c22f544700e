"""Benchmark converters (numpy/OpenCV/tifffile/pycocotools only; no torch, no mmdet)."""
from .api import BENCHMARKS, convert
from .coco import label_map_annotations, parse_split_ratio, seeded_split, split_counts
from .errors import ConversionError
from .writer import Sample, write_dataset

__all__ = ['BENCHMARKS', 'convert', 'ConversionError', 'Sample', 'write_dataset', 'label_map_annotations',
           'parse_split_ratio', 'seeded_split', 'split_counts']
