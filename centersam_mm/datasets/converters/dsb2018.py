"""2018 Data Science Bowl (``stage1_train`` layout) → samples.

``SRC/<id>/images/<id>.png`` (RGBA, RGB or grey) and ``SRC/<id>/masks/*.png`` (one binary PNG per nucleus).

Overlap rule: where masks overlap, the mask with the smaller area (in pixels, before resolution)
wins the pixel; equal areas go to the mask whose file name sorts first. Instances are numbered
1..n in sorted mask-file-name order. Overlapping pixels are counted and logged; a mask left with no
pixel after resolution would vanish and is logged as a warning.
"""
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Tuple

import cv2
import numpy as np

from .errors import ConversionError
from .writer import Sample

logger = logging.getLogger(__name__)

OVERLAP_RULE = 'smaller-area mask wins; equal areas: first mask file in sorted order wins'


@dataclass
class OverlapStats:
    """Running totals of overlap resolution over a conversion."""

    overlapping_pixels: int = 0
    images_with_overlap: int = 0
    vanished_masks: int = 0


def read_rgb(path: Path) -> np.ndarray:
    """Read a PNG as (H, W, 3) uint8 RGB: alpha is dropped, grey is replicated, 16-bit is scaled."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ConversionError(path, 'cannot be read as an image (missing or corrupt)')
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_mask(path: Path, shape: Tuple[int, int]) -> np.ndarray:
    """Read one nucleus mask as (H, W) bool (non-zero = nucleus); it must match the image shape."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ConversionError(path, 'cannot be read as an image (missing or corrupt)')
    if mask.shape != shape:
        raise ConversionError(path, f'mask shape {mask.shape} differs from image shape {shape}')
    return mask > 0


def merge_masks(masks: List[np.ndarray]) -> Tuple[np.ndarray, int]:
    """Merge binary masks into one label map with the overlap rule of this module.

    Args:
        masks: (H, W) bool each, in sorted file-name order; mask i becomes label i + 1.

    Returns:
        (H, W) int32 label map, and the number of pixels covered by more than one mask.
    """
    shape = masks[0].shape
    label_map = np.zeros(shape, np.int32)
    coverage = np.zeros(shape, np.uint16)
    areas = [int(np.count_nonzero(mask)) for mask in masks]
    # paint the largest first so smaller masks overwrite; among equal areas the first in sorted order last
    paint_order = sorted(range(len(masks)), key=lambda i: (-areas[i], -i))
    for index in paint_order:
        label_map[masks[index]] = index + 1
        coverage += masks[index]
    return label_map, int(np.count_nonzero(coverage > 1))


def list_image_dirs(src: Path) -> List[Path]:
    """Sorted sample folders of SRC (every sub-folder is one image)."""
    if not src.is_dir():
        raise ConversionError(src, 'is not a folder')
    dirs = sorted(path for path in src.iterdir() if path.is_dir())
    if not dirs:
        raise ConversionError(src, 'holds no image folders')
    return dirs


def load_sample(image_dir: Path, stats: OverlapStats) -> Sample:
    """Read one ``<id>/images/<id>.png`` and its ``masks/*.png`` into a Sample."""
    stem = image_dir.name
    image = read_rgb(image_dir / 'images' / f'{stem}.png')
    mask_dir = image_dir / 'masks'
    if not mask_dir.is_dir():
        raise ConversionError(mask_dir, 'masks folder is missing')
    mask_paths = sorted(mask_dir.glob('*.png'))
    if not mask_paths:
        raise ConversionError(mask_dir, 'holds no mask PNG')
    masks = [read_mask(path, image.shape[:2]) for path in mask_paths]
    label_map, overlapping = merge_masks(masks)
    stats.overlapping_pixels += overlapping
    stats.images_with_overlap += overlapping > 0
    present = np.zeros(len(masks) + 1, bool)
    present[np.unique(label_map)] = True
    for path, is_present in zip(mask_paths, present[1:]):
        if not is_present:
            stats.vanished_masks += 1
            logger.warning('%s: mask empty or fully covered by smaller masks; dropped', path)
    return Sample(stem=stem, image=image, label_map=label_map, group=stem)


def iter_samples(src: Path, stats: OverlapStats) -> Iterator[Sample]:
    """Samples of a ``stage1_train``-style folder, in sorted id order; one group per image."""
    for image_dir in list_image_dirs(Path(src)):
        yield load_sample(image_dir, stats)
