"""High-level inference: ``NucleusSegmenter`` (images → label maps), tiling of large images, batch exports.

Importing this package does not import MMDetection; building a segmenter from a config does.
"""
from .result import NucleusResult
from .segmenter import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, MMDetInstanceFn, NucleusSegmenter, resolve_config
from .split_predictions import keep_every_candidate, predict_split
from .stub import ThresholdSegmenter
from .tiling import LabelMapStitcher, Tile, instances_to_labels, make_tiles, segment_tiled

__all__ = [
    'NucleusResult', 'NucleusSegmenter', 'MMDetInstanceFn', 'resolve_config', 'DEFAULT_CONFIG',
    'DEFAULT_CHECKPOINT', 'ThresholdSegmenter', 'LabelMapStitcher', 'Tile', 'instances_to_labels', 'make_tiles',
    'segment_tiled', 'keep_every_candidate', 'predict_split'
]
