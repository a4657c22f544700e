"""Tissue detection on a slide's low-resolution view, and the tissue regions segmented at full resolution.

Rule (as QuPath's and HistoQC's simple tissue detection): a *brightfield* slide (median grey of the thumbnail
above 127: H&E, IHC on white glass) has tissue where the HSV saturation exceeds a threshold; a *dark-field* slide
(fluorescence) where the grey level (brightest channel) does. The threshold is Otsu's on the thumbnail, clipped
to ``SATURATION_RANGE`` (brightfield) or to at least ``MIN_DARK_FIELD_THRESHOLD``. In dark-field, where nuclei
are bright spots apart, the thumbnail's tissue pixels are dilated by half ``DARK_FIELD_GAP`` so that nuclei closer
than it form one piece. The mask is then closed (gaps of one thumbnail pixel) and pieces under
``MIN_TISSUE_AREA`` level-0 pixels (dust) are dropped.

Regions: each connected piece of the mask (8-connected, dilated by one thumbnail pixel) gives a rectangle that is
then *refined at the segmented level*: the smallest rectangle holding every pixel that passes the same rule there
(found by scanning strips inward from its four sides, never reading the inside). Rectangles that overlap are
merged until none do. A region that fits in memory is then segmented exactly as the ordinary path would segment
it cropped out as an image (:mod:`centersam_mm.slides.runner`).
"""
import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import cv2
import numpy as np
from scipy import ndimage

SATURATION_RANGE = (12.0, 30.0)   # brightfield threshold on HSV saturation (0-255), clipped Otsu
MIN_DARK_FIELD_THRESHOLD = 10.0   # dark-field threshold on grey (0-255), Otsu or at least this
MIN_TISSUE_AREA = 64 * 64         # level-0 pixels; smaller pieces of the mask are dust
DARK_FIELD_GAP = 128              # level-0 pixels: dark-field tissue pixels closer than this form one piece
_STRIP = 64                       # rows/columns read at once while refining a region's sides

Box = Tuple[int, int, int, int]   # y0, y1, x0, x1 (end exclusive)


@dataclass(frozen=True)
class TissueRule:
    """Which pixels are tissue: ``brightfield`` (saturation > threshold) or dark-field (grey > threshold)."""
    brightfield: bool
    threshold: float

    def feature(self, rgb: np.ndarray) -> np.ndarray:
        """(h, w) uint8: saturation (brightfield) or brightest channel (dark-field) of an RGB uint8 image."""
        if self.brightfield:
            return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV)[..., 1]
        return rgb.max(axis=2)

    def pixels(self, rgb: np.ndarray) -> np.ndarray:
        """(h, w) bool: tissue pixels of an RGB uint8 image."""
        return self.feature(rgb) > self.threshold

    def to_dict(self) -> dict:
        return {'brightfield': self.brightfield, 'threshold': self.threshold}


def tissue_rule(thumbnail: np.ndarray) -> TissueRule:
    """The :class:`TissueRule` of a slide from its (h, w, 3) RGB uint8 thumbnail (see the module docstring)."""
    grey = cv2.cvtColor(np.ascontiguousarray(thumbnail), cv2.COLOR_RGB2GRAY)
    brightfield = float(np.median(grey)) > 127
    rule = TissueRule(brightfield, 0.0)
    feature = rule.feature(thumbnail)
    otsu, _ = cv2.threshold(np.ascontiguousarray(feature), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if brightfield:
        threshold = float(np.clip(otsu, *SATURATION_RANGE))
    else:
        threshold = max(float(otsu), MIN_DARK_FIELD_THRESHOLD)
    return TissueRule(brightfield, threshold)


def tissue_mask(thumbnail: np.ndarray, downsample: float, rule: TissueRule) -> np.ndarray:
    """(h, w) bool tissue mask of a thumbnail whose pixels are ``downsample`` level-0 pixels a side."""
    mask = rule.pixels(thumbnail)
    if not rule.brightfield:  # separate bright nuclei: join those closer than DARK_FIELD_GAP into one piece
        radius = max(1, math.ceil(DARK_FIELD_GAP / 2 / downsample))
        disk = np.hypot(*np.mgrid[-radius:radius + 1, -radius:radius + 1]) <= radius
        mask = ndimage.binary_dilation(mask, disk)
    mask = ndimage.binary_closing(mask, np.ones((3, 3), bool), border_value=0) | mask
    labels, count = ndimage.label(mask, np.ones((3, 3), int))
    if count:
        area = np.bincount(labels.ravel())[1:] * downsample ** 2
        keep = np.concatenate([[False], area >= MIN_TISSUE_AREA])
        mask = keep[labels]
    return mask


def mask_boxes(mask: np.ndarray) -> List[Box]:
    """Boxes (mask pixels, end exclusive) of the 8-connected pieces of ``mask``, each grown by one pixel."""
    labels, _ = ndimage.label(mask, np.ones((3, 3), int))
    height, width = mask.shape
    return [(max(0, rows.start - 1), min(height, rows.stop + 1), max(0, cols.start - 1), min(width, cols.stop + 1))
            for rows, cols in (box for box in ndimage.find_objects(labels) if box is not None)]


def merge_boxes(boxes: List[Box]) -> List[Box]:
    """Union of overlapping boxes until none overlap; sorted (row-major by top-left corner)."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        out: List[Box] = []
        for box in boxes:
            for index, other in enumerate(out):
                if box[0] < other[1] and other[0] < box[1] and box[2] < other[3] and other[2] < box[3]:
                    out[index] = (min(box[0], other[0]), max(box[1], other[1]), min(box[2], other[2]),
                                  max(box[3], other[3]))
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return sorted(boxes)


def refine_box(read: Callable[[int, int, int, int], np.ndarray], box: Box, rule: TissueRule,
               strip: int = _STRIP) -> Optional[Box]:
    """The smallest box inside ``box`` holding every tissue pixel of it, or ``None`` if it holds none.

    ``read(y0, y1, x0, x1)`` returns RGB uint8 pixels of the level the box is in. Strips of ``strip`` rows
    (then columns) are read inward from each side until one holds tissue, so the inside is never read.
    """
    y0, y1, x0, x1 = box

    def first(lo: int, hi: int, along_rows: bool, forward: bool, other: Tuple[int, int]) -> Optional[int]:
        starts = range(lo, hi, strip) if forward else range(hi, lo, -strip)
        for start in starts:
            a, b = (start, min(hi, start + strip)) if forward else (max(lo, start - strip), start)
            pixels = rule.pixels(read(a, b, *other) if along_rows else read(other[0], other[1], a, b))
            hits = np.flatnonzero(pixels.any(axis=1 if along_rows else 0))
            if hits.size:
                return a + int(hits[0] if forward else hits[-1])
        return None

    top = first(y0, y1, True, True, (x0, x1))
    if top is None:
        return None
    bottom = first(top, y1, True, False, (x0, x1)) + 1
    left = first(x0, x1, False, True, (top, bottom))
    right = first(left, x1, False, False, (top, bottom)) + 1
    return top, bottom, left, right
