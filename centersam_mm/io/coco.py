"""COCO results export (``loadRes`` format): one RLE-encoded segmentation per nucleus of a label map."""
from pathlib import Path
from typing import Dict, Iterator, Sequence, Union

import numpy as np
from pycocotools import mask as mask_utils

from .atomic import write_json_items
from .labels import NucleusCrop, iter_nuclei

PathLike = Union[str, Path]
NUCLEUS_CATEGORY_ID = 1


def crop_to_rle(crop: NucleusCrop, height: int, width: int) -> Dict:
    """Compressed COCO RLE of a nucleus in an (height, width) image, computed from its crop only.

    COCO RLE runs over the image in column-major order. The nucleus's pixels, flattened column-major, have
    indices ``x * height + y``; cutting them into consecutive runs gives the RLE without ever building the
    full-size mask (so it stays cheap for whole-slide regions).
    """
    cols, rows = np.nonzero(crop.mask.T)  # column-major order: sorted by x, then y
    x0, y0 = crop.offset_xy
    flat = (cols.astype(np.int64) + x0) * height + rows + y0
    breaks = np.flatnonzero(np.diff(flat) != 1) + 1
    starts = flat[np.concatenate([[0], breaks])]
    ends = flat[np.concatenate([breaks - 1, [flat.size - 1]])] + 1
    boundaries = np.empty(2 * starts.size, np.int64)
    boundaries[0::2], boundaries[1::2] = starts, ends
    counts = np.diff(np.concatenate([[0], boundaries, [height * width]])).tolist()  # runs: 0s, 1s, ..., 0s
    rle = mask_utils.frPyObjects({'counts': counts, 'size': [height, width]}, height, width)
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def iter_coco_results(labels: np.ndarray, scores: Sequence[float], image_id: int = 1) -> Iterator[Dict]:
    """COCO result dicts (image_id, category_id, segmentation, bbox [x, y, w, h], score, area) per nucleus."""
    height, width = labels.shape
    for crop in iter_nuclei(labels):
        x0, y0 = crop.offset_xy
        yield {
            'image_id': image_id,
            'category_id': NUCLEUS_CATEGORY_ID,
            'segmentation': crop_to_rle(crop, height, width),
            'bbox': [x0, y0, crop.mask.shape[1], crop.mask.shape[0]],
            'area': int(crop.mask.sum()),
            'score': round(float(scores[crop.label - 1]), 6),
        }


def write_coco_results(path: PathLike, labels: np.ndarray, scores: Sequence[float], image_id: int = 1) -> int:
    """Write the COCO results list (``[]`` without nuclei) for one image; returns the number of entries."""
    return write_json_items(path, '[', iter_coco_results(labels, scores, image_id), '\n]\n')
