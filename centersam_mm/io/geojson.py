"""QuPath-compatible GeoJSON export: one Polygon Feature per nucleus of a label map.

Layout (what QuPath's *File → Import objects* reads)::

    {"type": "FeatureCollection", "features": [
      {"type": "Feature",
       "geometry": {"type": "Polygon", "coordinates": [[[x, y], ..., [x, y]]]},
       "properties": {"objectType": "detection", "classification": {"name": "Nucleus", "color": [...]},
                      "isLocked": false, "measurements": {"score": 0.93, "label": 12}}}, ...]}

Coordinates are pixels of the image (x to the right, y down) at pixel centres, i.e. the outer contour that
``cv2.findContours`` traces through the nucleus's boundary pixels. Every ring is closed and simple (valid):
a contour that touches itself (one-pixel-wide spur) is replaced by its convex hull, and nuclei too thin
to enclose any area by a rectangle around their pixels.
"""
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Union

import cv2
import numpy as np

from .atomic import write_json_items
from .labels import NucleusCrop, iter_nuclei

PathLike = Union[str, Path]
OBJECT_TYPES = ('detection', 'annotation')
NUCLEUS_CLASS = {'name': 'Nucleus', 'color': [255, 0, 0]}


def nucleus_polygon(crop: NucleusCrop) -> List[List[float]]:
    """Closed, simple outer ring [[x, y], ..., first point repeated] of one nucleus, in image pixels."""
    contour = _largest_outer_contour(crop.mask)
    if _encloses_area(contour) and _is_simple(contour):
        ring = cv2.approxPolyDP(contour, 0, True).reshape(-1, 2)  # drops points in the middle of straight runs
    else:
        ring = _fallback_ring(contour)
    x0, y0 = crop.offset_xy
    ring = ring.astype(np.float64) + (x0, y0)
    return [[float(x), float(y)] for x, y in np.vstack([ring, ring[:1]])]


def _largest_outer_contour(mask: np.ndarray) -> np.ndarray:
    """(K, 2) int32 [x, y] points of the longest outer contour of a boolean mask (pixel centres)."""
    padded = np.pad(mask.astype(np.uint8), 1)  # so contours touching the crop border are traced whole
    contours, _ = cv2.findContours(padded, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    longest = max(contours, key=len)
    return longest.reshape(-1, 2) - 1


def _encloses_area(contour: np.ndarray) -> bool:
    """True if the ring through ``contour`` has three or more points and a non-zero area."""
    return len(contour) >= 3 and cv2.contourArea(contour.astype(np.float32)) > 0


def _is_simple(contour: np.ndarray) -> bool:
    """True if no point repeats (an 8-connected contour can only self-intersect by revisiting a pixel)."""
    return len(np.unique(contour, axis=0)) == len(contour)


def _fallback_ring(contour: np.ndarray) -> np.ndarray:
    """Convex hull of the contour if it has area, else a 1-pixel-wide rectangle around its points."""
    hull = cv2.convexHull(contour.astype(np.int32)).reshape(-1, 2)
    if _encloses_area(hull):
        return hull
    (x_min, y_min), (x_max, y_max) = contour.min(axis=0) - 0.5, contour.max(axis=0) + 0.5
    return np.array([[x_min, y_min], [x_min, y_max], [x_max, y_max], [x_max, y_min]])


def nucleus_feature(crop: NucleusCrop, score: float, object_type: str = 'detection') -> Dict:
    """GeoJSON Feature (QuPath layout) for one nucleus; ``score`` goes to ``measurements``."""
    return {
        'type': 'Feature',
        'geometry': {'type': 'Polygon', 'coordinates': [nucleus_polygon(crop)]},
        'properties': {
            'objectType': object_type,
            'classification': dict(NUCLEUS_CLASS),
            'isLocked': False,
            'measurements': {'score': round(float(score), 6), 'label': crop.label},
        },
    }


def iter_features(labels: np.ndarray, scores: Sequence[float], object_type: str = 'detection') -> Iterator[Dict]:
    """Features of every nucleus of ``labels`` (H, W); ``scores[i]`` belongs to label ``i + 1``."""
    if object_type not in OBJECT_TYPES:
        raise ValueError(f'object_type must be one of {OBJECT_TYPES}, got {object_type!r}')
    for crop in iter_nuclei(labels):
        yield nucleus_feature(crop, scores[crop.label - 1], object_type)


def write_geojson(path: PathLike, labels: np.ndarray, scores: Sequence[float],
                  object_type: str = 'detection') -> int:
    """Write a FeatureCollection with one Polygon per nucleus (streamed feature by feature).

    Returns:
        the number of features written (0 gives ``{"type": "FeatureCollection", "features": []}``).
    """
    return write_json_items(path, '{"type": "FeatureCollection", "features": [',
                            iter_features(labels, scores, object_type), '\n]}\n')
