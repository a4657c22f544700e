"""napari reader and writer contributions: our GeoJSON opens as shapes, our label TIFFs as labels; a Labels layer
saves as our label TIFF (``centersam_mm.io.write_label_tiff``, what ``tools/infer.py`` writes).

GeoJSON polygons are pixel-corner outlines (:mod:`centersam_mm.io.geojson`); napari puts pixel centres at integers,
so a corner (x, y) becomes the napari vertex (y - 0.5, x - 0.5). napari polygons have no holes: a nucleus's
exterior ring(s) are shown, its holes are not; each piece of a MultiPolygon is one shape (same ``label``).
"""
import json
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np

from ..io.labels import read_label_map, write_label_tiff

PathOrPaths = Union[str, Sequence[str]]
LABEL_SUFFIXES = ('_labels.tif', '_labels.tiff')


def get_reader(path: PathOrPaths) -> Optional[Callable[[PathOrPaths], List[tuple]]]:
    """The reader for ``path`` (npe2 ``readers`` contribution): our ``*.geojson`` or ``*_labels.tif``."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths or not all(_readable(p) for p in paths):
        return None
    return read_layers


def _readable(path: Union[str, Path]) -> bool:
    name = str(path).lower()
    if name.endswith(LABEL_SUFFIXES):
        return True
    if name.endswith('.geojson'):
        return _is_feature_collection(path)
    return False


def _is_feature_collection(path: Union[str, Path]) -> bool:
    try:
        with open(path, encoding='utf-8') as file:
            return json.load(file).get('type') == 'FeatureCollection'
    except (OSError, ValueError, AttributeError):
        return False


def read_layers(path: PathOrPaths) -> List[tuple]:
    """Layer data tuples ``(data, kwargs, layer_type)`` for each path."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    layers = []
    for item in paths:
        item = Path(item)
        if item.name.lower().endswith(LABEL_SUFFIXES):
            layers.append((read_label_map(item), dict(name=item.name.rsplit('.', 1)[0]), 'labels'))
        else:
            layers.append(read_geojson_shapes(item))
    return layers


def read_geojson_shapes(path: Union[str, Path]) -> tuple:
    """A GeoJSON FeatureCollection of (Multi)Polygons as a Shapes layer tuple: one polygon per piece, features
    ``label`` and ``score`` (from the feature's ``measurements``; NaN when absent)."""
    with open(path, encoding='utf-8') as file:
        collection = json.load(file)
    polygons, labels, scores = [], [], []
    for index, feature in enumerate(collection.get('features', []), 1):
        geometry = feature.get('geometry') or {}
        kind, coords = geometry.get('type'), geometry.get('coordinates') or []
        pieces = [coords] if kind == 'Polygon' else coords if kind == 'MultiPolygon' else []
        measurements = (feature.get('properties') or {}).get('measurements') or {}
        for piece in pieces:
            if not piece or len(piece[0]) < 4:
                continue
            ring = np.asarray(piece[0], np.float64)[:-1]  # exterior ring, closing point dropped
            polygons.append(ring[:, ::-1] - 0.5)
            labels.append(int(measurements.get('label', index)))
            scores.append(float(measurements.get('score', np.nan)))
    kwargs = dict(name=Path(path).stem, shape_type='polygon', edge_color='yellow', face_color='transparent',
                  edge_width=1.0, features={'label': np.asarray(labels, np.int64),
                                            'score': np.asarray(scores, np.float64)})
    return polygons, kwargs, 'shapes'


def write_labels(path: str, data: Any, attributes: dict) -> List[str]:
    """Save a Labels layer as our label TIFF (npe2 single-layer ``writers`` contribution)."""
    labels = np.asarray(data[0] if attributes.get('multiscale') else data)
    write_label_tiff(path, labels)
    return [path]
