"""Reader and writer contributions: our GeoJSON opens as shapes, our label TIFFs as labels; Labels save as ours."""
import json

import numpy as np
import pytest
import tifffile
from _label_fixtures import toy_label_map
from matplotlib.path import Path as PolygonPath

from centersam_mm.io import read_label_map, write_geojson, write_label_tiff
from centersam_mm.napari._io import get_reader


def _rasterise(polygons, labels_per_shape, shape) -> np.ndarray:
    """Label map of napari polygons: a pixel belongs to a polygon when its centre (integer point) is inside."""
    out = np.zeros(shape, np.int64)
    centres = np.stack(np.mgrid[:shape[0], :shape[1]], -1).reshape(-1, 2).astype(float)
    for vertices, label in zip(polygons, labels_per_shape):
        inside = PolygonPath(np.asarray(vertices)).contains_points(centres).reshape(shape)
        out[inside] = label
    return out


def test_geojson_opens_as_polygons_covering_each_nucleus(viewer, tmp_path):
    labels = toy_label_map(two_pieces=True)
    path = tmp_path / 'image.geojson'
    write_geojson(path, labels, np.array([0.9, 0.8, 0.7, 0.6, 0.5]))
    layers = viewer.open(str(path), plugin='centersam_mm')
    assert len(layers) == 1
    shapes = layers[0]
    assert shapes.name == 'image' and set(shapes.shape_type) == {'polygon'}
    assert shapes.nshapes == 6  # nucleus 5 is two pieces: two shapes with its label
    assert sorted(shapes.features['label']) == [1, 2, 3, 4, 5, 5]
    scores = dict(zip(shapes.features['label'], shapes.features['score']))
    assert scores == pytest.approx({1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6, 5: 0.5})
    assert np.array_equal(_rasterise(shapes.data, shapes.features['label'], labels.shape), labels)


def test_label_tiff_round_trip_through_napari(viewer, tmp_path):
    labels = toy_label_map(two_pieces=True)
    source = tmp_path / 'image_labels.tif'
    write_label_tiff(source, labels)
    layer = viewer.open(str(source), plugin='centersam_mm')[0]
    assert layer.name == 'image_labels' and type(layer).__name__ == 'Labels'
    assert np.array_equal(layer.data, labels)
    layer.data[0, 0] = 7  # an edit in napari, saved with our writer
    saved = layer.save(str(tmp_path / 'edited_labels.tif'), plugin='centersam_mm')
    assert saved == [str(tmp_path / 'edited_labels.tif')]
    expected = labels.copy()
    expected[0, 0] = 7
    written = tifffile.imread(tmp_path / 'edited_labels.tif')
    assert written.dtype == np.uint16 and np.array_equal(written, expected)
    assert np.array_equal(read_label_map(tmp_path / 'edited_labels.tif'), expected)


def test_reader_declines_other_files(tmp_path):
    (tmp_path / 'other.geojson').write_text(json.dumps({'type': 'Feature'}))
    (tmp_path / 'broken.geojson').write_text('{')
    tifffile.imwrite(tmp_path / 'image.tif', np.zeros((4, 4), np.uint8))
    for name in ('other.geojson', 'broken.geojson', 'image.tif', 'missing.geojson'):
        assert get_reader(str(tmp_path / name)) is None
    write_geojson(tmp_path / 'ok.geojson', toy_label_map(two_pieces=True), np.ones(5))
    assert get_reader(str(tmp_path / 'ok.geojson')) is not None
    assert get_reader([str(tmp_path / 'ok.geojson'), str(tmp_path / 'image.tif')]) is None
