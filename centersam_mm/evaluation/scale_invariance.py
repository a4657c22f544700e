"""Scale invariance of a segmenter: the same nuclei alone, in a 3x3 mosaic and upscaled 2x.

A model that sees nuclei at the size it learned (scale-aware inference) must find the same nuclei whatever the
size of the image around them or its magnification. ``scale_invariance`` segments each image alone, the images
tiled 3x3 into one mosaic, and each image upscaled 2x (nearest neighbour, so the annotation upscales exactly),
and scores all three against the annotations with object F1 at IoU 0.5 (pooled over the images).
"""
from typing import Callable, Dict, List, Sequence

import numpy as np

from .functional import aggregate, instance_metrics

Segment = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 RGB -> (H, W) label map


def mosaic(tiles: Sequence[np.ndarray], columns: int = 3) -> np.ndarray:
    """Tiles of one shape laid out row by row, ``columns`` per row; label maps get unique ids per tile."""
    tiles = list(tiles)
    if tiles[0].ndim == 2:  # label maps: offset each tile's ids
        offset, relabelled = 0, []
        for tile in tiles:
            relabelled.append(np.where(tile > 0, tile.astype(np.int64) + offset, 0))
            offset += int(tile.max())
        tiles = relabelled
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)


def upscale(array: np.ndarray, factor: int = 2) -> np.ndarray:
    """Nearest-neighbour upscale by an integer factor (images and label maps alike)."""
    return np.repeat(np.repeat(array, factor, axis=0), factor, axis=1)


def scale_invariance(segment: Segment, images: Sequence[np.ndarray], labels: Sequence[np.ndarray]) -> Dict[str, float]:
    """Pooled object F1 (IoU 0.5) of the images alone, as one 3x3 mosaic and upscaled 2x.

    Args:
        segment: image -> label map.
        images: nine (H, W, 3) uint8 RGB images of one shape; labels: their (H, W) annotations.

    Returns:
        ``f1_alone``, ``f1_mosaic``, ``f1_upscaled`` (pooled over the nine images / the mosaic).
    """
    if len(images) != 9 or len({image.shape for image in images}) != 1:
        raise ValueError('scale_invariance needs nine images of one shape')
    alone = [instance_metrics(label, segment(image)) for image, label in zip(images, labels)]
    upscaled = [instance_metrics(upscale(label), segment(upscale(image))) for image, label in zip(images, labels)]
    tiled = [instance_metrics(mosaic(labels), segment(mosaic(images)))]
    return {name: aggregate(results)['f1_05_pooled']
            for name, results in (('f1_alone', alone), ('f1_mosaic', tiled), ('f1_upscaled', upscaled))}


def pick_groups(shapes: List[tuple], shape: tuple, groups: int) -> List[List[int]]:
    """Indices of up to ``groups`` groups of nine images of ``shape``, in order."""
    chosen = [index for index, image_shape in enumerate(shapes) if tuple(image_shape) == tuple(shape)]
    return [chosen[i:i + 9] for i in range(0, 9 * min(groups, len(chosen) // 9), 9)]
