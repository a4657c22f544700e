"""QuPath-compatible GeoJSON export: one Feature per nucleus of a label map, outlined along pixel edges.

Layout (what QuPath's *File → Import objects* reads)::

    {"type": "FeatureCollection", "features": [
      {"type": "Feature",
       "geometry": {"type": "Polygon", "coordinates": [[[x, y], ..., [x, y]], <hole rings>]},
       "properties": {"objectType": "detection", "classification": {"name": "Nucleus", "color": [...]},
                      "isLocked": false, "measurements": {"score": 0.93, "label": 12}}}, ...]}

Coordinates are integer pixel *corners* of the image, as in QuPath: pixel (row r, column c) is the square
[c, c + 1] × [r, r + 1] (x to the right, y down). Every ring runs along the edges between the nucleus's pixels and
the others, so the polygon covers exactly the nucleus's pixels: its area equals the pixel count, and a pixel
centre lies inside it if and only if the pixel belongs to the nucleus. Only corners are kept (no points in the
middle of straight runs); every ring is closed (first point repeated).

* Rings follow RFC 7946: the exterior ring is counter-clockwise in (x, y) (positive shoelace area; clockwise as
  seen on screen, where y points down), holes are interior rings, clockwise, after it.
* A nucleus whose pixels form several 4-connected pieces (pieces touching only at a corner, or apart) becomes a
  ``MultiPolygon`` with one polygon per piece, largest first; pieces touching at a corner are kept separate there,
  so no ring touches itself and shapely (GEOS) finds every geometry valid. Inside one piece, where a hole touches
  the outside or another hole at a corner, the rings meet at that single point (valid in the OGC model).
* Nuclei touching the image border need nothing special: their outline runs along the border.

The tracing is exact and numpy-vectorised (boundary edges of the pixel set chained into rings through a
successor table); only the walk along each ring's edges is a Python loop.
"""
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple, Union

import numpy as np
from scipy import ndimage

from .atomic import write_json_items
from .labels import NucleusCrop, iter_nuclei

PathLike = Union[str, Path]
OBJECT_TYPES = ('detection', 'annotation')
NUCLEUS_CLASS = {'name': 'Nucleus', 'color': [255, 0, 0]}

Ring = List[List[int]]  # [[x, y], ..., first point repeated]
PolygonCoords = List[Ring]  # exterior ring, then holes

# Edge directions (image coordinates, y down): east, south, west, north. A traced edge has the nucleus on its
# right as seen on screen, so exterior rings run clockwise on screen = counter-clockwise in (x, y).
_DX = np.array([1, 0, -1, 0])
_DY = np.array([0, 1, 0, -1])
_LEFT = np.array([3, 0, 1, 2])  # direction after a left turn (E->N, S->E, W->S, N->W)
_RIGHT = np.array([1, 2, 3, 0])  # direction after a right turn


def mask_polygons(mask: np.ndarray, offset_xy: Tuple[int, int] = (0, 0)) -> List[PolygonCoords]:
    """GeoJSON Polygon coordinates of each 4-connected piece of a boolean mask, largest piece first.

    Args:
        mask: (h, w) bool.
        offset_xy: (x, y) added to every corner (the mask's top-left pixel in the image).

    Returns:
        one ``[exterior, *holes]`` per piece; rings hold integer corner coordinates and are closed.
    """
    pieces, count = ndimage.label(np.pad(mask, 1))  # 4-connectivity; the pad keeps every ring off the border
    if count == 0:
        return []
    rings = _trace_rings(pieces)
    x0, y0 = offset_xy[0] - 1, offset_xy[1] - 1  # undo the pad
    polygons: Dict[int, List[Tuple[np.ndarray, float]]] = {}
    for piece, corners in rings:
        polygons.setdefault(piece, []).append((corners, _signed_area(corners)))
    out = []
    for piece_rings in polygons.values():
        # one exterior (positive area) per piece, holes (negative) after it in tracing (raster) order
        piece_rings.sort(key=lambda ring: ring[1] < 0)
        area = sum(ring_area for _, ring_area in piece_rings)
        coords = [_closed_ring(corners, x0, y0) for corners, _ in piece_rings]
        out.append((area, coords))
    out.sort(key=lambda item: -item[0])
    return [coords for _, coords in out]


def _trace_rings(pieces: np.ndarray) -> List[Tuple[int, np.ndarray]]:
    """(piece id, (K, 2) int corner [x, y] array) of every boundary ring of a padded 4-connected label map.

    Every edge between a piece pixel and a non-piece pixel is directed with the piece on its right (on screen);
    at a vertex where two pieces' pixels touch diagonally (a saddle) the ring turns right if they are different
    pieces (kept apart) and left if they are the same piece (so each ring passes a vertex at most once).
    """
    height, width = pieces.shape
    fg = pieces > 0
    rows, cols, dirs, owners = [], [], [], []  # start vertex (y, x), direction, owning piece of each edge
    # top edges (nucleus below) run east from the pixel's top-left corner; bottom edges west from its bottom-right;
    # right edges south from its top-right; left edges north from its bottom-left
    for direction, outside, (dy, dx) in ((0, np.roll(fg, 1, 0), (0, 0)), (2, np.roll(fg, -1, 0), (1, 1)),
                                         (1, np.roll(fg, -1, 1), (0, 1)), (3, np.roll(fg, 1, 1), (1, 0))):
        r, c = np.nonzero(fg & ~outside)  # the pad makes the roll's wrap-around harmless
        rows.append(r + dy)
        cols.append(c + dx)
        dirs.append(np.full(len(r), direction))
        owners.append(pieces[r, c])
    y, x, d, owner = (np.concatenate(parts) for parts in (rows, cols, dirs, owners))
    order = np.lexsort((d, x, y))  # raster order of start vertices: each ring then starts at its top-left corner
    y, x, d, owner = y[order], x[order], d[order], owner[order]

    stride = width + 1
    start = y * stride + x
    out_edge = np.full(((height + 1) * stride, 4), -1, np.int64)
    out_edge[start, d] = np.arange(len(d))
    end_y, end_x = y + _DY[d], x + _DX[d]
    candidates = out_edge[end_y * stride + end_x]  # (E, 4): outgoing edges at each edge's end vertex
    successor = candidates.max(axis=1)  # the only one, except at saddles
    saddle = np.nonzero((candidates >= 0).sum(axis=1) == 2)[0]
    if len(saddle):
        sy, sx = end_y[saddle], end_x[saddle]
        top_left, bottom_right = pieces[sy - 1, sx - 1], pieces[sy, sx]
        top_right, bottom_left = pieces[sy - 1, sx], pieces[sy, sx - 1]
        same = np.where(top_left > 0, top_left == bottom_right, top_right == bottom_left)
        turn = np.where(same, _LEFT[d[saddle]], _RIGHT[d[saddle]])
        successor[saddle] = candidates[saddle, turn]

    successor_list, d_list = successor.tolist(), d.tolist()
    visited = bytearray(len(d_list))
    rings = []
    for first in range(len(d_list)):
        if visited[first]:
            continue
        corners = []
        edge, previous = first, -1
        while not visited[edge]:
            visited[edge] = 1
            if d_list[edge] != previous:
                corners.append(edge)
            previous = d_list[edge]
            edge = successor_list[edge]
        if d_list[first] == previous and len(corners) > 1:  # the first edge continues the last run: not a corner
            corners = corners[1:]
        corners = np.asarray(corners)
        rings.append((int(owner[first]), np.stack([x[corners], y[corners]], axis=1)))
    return rings


def _signed_area(corners: np.ndarray) -> float:
    """Shoelace area of a ring of (K, 2) [x, y] points (not closed); positive if counter-clockwise in (x, y)."""
    x, y = corners[:, 0].astype(np.int64), corners[:, 1].astype(np.int64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2


def _closed_ring(corners: np.ndarray, x0: int, y0: int) -> Ring:
    points = (corners + (x0, y0)).tolist()
    return points + points[:1]


def nucleus_polygon(crop: NucleusCrop) -> Dict:
    """GeoJSON geometry of one nucleus in image pixel-corner coordinates.

    A ``Polygon`` (exterior ring, then holes) if its pixels are one 4-connected piece, else a ``MultiPolygon``
    with one polygon per piece, largest first.
    """
    polygons = mask_polygons(crop.mask, crop.offset_xy)
    if len(polygons) == 1:
        return {'type': 'Polygon', 'coordinates': polygons[0]}
    return {'type': 'MultiPolygon', 'coordinates': polygons}


def nucleus_feature(crop: NucleusCrop, score: float, object_type: str = 'detection') -> Dict:
    """GeoJSON Feature (QuPath layout) for one nucleus; ``score`` goes to ``measurements``."""
    return {
        'type': 'Feature',
        'geometry': nucleus_polygon(crop),
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
    """Write a FeatureCollection with one Polygon (or MultiPolygon) per nucleus, streamed feature by feature.

    Returns:
        the number of features written (0 gives ``{"type": "FeatureCollection", "features": []}``).
    """
    return write_json_items(path, '{"type": "FeatureCollection", "features": [',
                            iter_features(labels, scores, object_type), '\n]}\n')
