"""Spreadsheet export: one CSV row per nucleus of a label map."""
import csv
from pathlib import Path
from typing import Dict, Sequence, Union

import cv2
import numpy as np

from .atomic import atomic_open
from .labels import NucleusCrop, iter_nuclei

PathLike = Union[str, Path]
CSV_COLUMNS = ('id', 'centroid_x', 'centroid_y', 'area_px', 'bbox_x', 'bbox_y', 'bbox_width', 'bbox_height',
               'score', 'mean_intensity')


def nucleus_row(crop: NucleusCrop, score: float, image: np.ndarray) -> Dict[str, float]:
    """Measurements of one nucleus (all in pixels of the image; ``image`` is (H, W, 3) RGB uint8).

    ``centroid_x/y``: mean pixel coordinates; ``bbox_*``: top-left corner and size of its box;
    ``mean_intensity``: mean gray value (0-255, ITU-R BT.601 luma of the RGB image) over its pixels.
    """
    rows, cols = np.nonzero(crop.mask)
    x0, y0 = crop.offset_xy
    gray = cv2.cvtColor(np.ascontiguousarray(image[crop.rows, crop.cols]), cv2.COLOR_RGB2GRAY)
    return {
        'id': crop.label,
        'centroid_x': round(float(cols.mean()) + x0, 3),
        'centroid_y': round(float(rows.mean()) + y0, 3),
        'area_px': int(rows.size),
        'bbox_x': x0,
        'bbox_y': y0,
        'bbox_width': crop.mask.shape[1],
        'bbox_height': crop.mask.shape[0],
        'score': round(float(score), 6),
        'mean_intensity': round(float(gray[crop.mask].mean()), 3),
    }


def write_nuclei_csv(path: PathLike, labels: np.ndarray, scores: Sequence[float], image: np.ndarray) -> int:
    """Write ``CSV_COLUMNS`` for each nucleus of ``labels`` (H, W) over ``image`` (H, W, 3) RGB uint8.

    ``scores[i]`` belongs to label ``i + 1``. With no nucleus the file holds the header only.

    Returns:
        the number of rows written.
    """
    count = 0
    with atomic_open(path, 'w', newline='', encoding='utf-8') as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for crop in iter_nuclei(labels):
            writer.writerow(nucleus_row(crop, scores[crop.label - 1], image))
            count += 1
    return count
