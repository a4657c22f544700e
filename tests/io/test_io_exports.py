"""Exports of a label map: TIFF, GeoJSON (QuPath layout, valid polygons), CSV, COCO RLE, overlay, atomicity."""
import csv
import json

import numpy as np
import pytest
from _label_fixtures import toy_label_map
from pycocotools import mask as mask_utils

from centersam_mm.io import (atomic_open, iter_nuclei, label_dtype, label_outlines, read_label_map,
                             write_coco_results, write_geojson, write_label_tiff, write_nuclei_csv,
                             write_overlay_png)


SCORES = np.array([0.9, 0.8, 0.7, 0.6])


def test_label_dtype_switches_to_uint32_above_65535():
    assert label_dtype(65535) == np.uint16 and label_dtype(65536) == np.uint32


def test_label_tiff_round_trip(tmp_path):
    write_label_tiff(tmp_path / 'l.tif', toy_label_map())
    read = read_label_map(tmp_path / 'l.tif')
    assert read.dtype == np.uint16
    np.testing.assert_array_equal(read, toy_label_map())
    big = np.zeros((3, 3), np.uint32)
    big[1, 1] = 70000
    write_label_tiff(tmp_path / 'big.tif', big)
    assert read_label_map(tmp_path / 'big.tif').dtype == np.uint32


def test_geojson_one_valid_polygon_per_nucleus(tmp_path):
    count = write_geojson(tmp_path / 'n.geojson', toy_label_map(), SCORES)
    collection = json.loads((tmp_path / 'n.geojson').read_text())
    assert count == 4 and collection['type'] == 'FeatureCollection' and len(collection['features']) == 4
    for feature, label in zip(collection['features'], [1, 2, 3, 4]):
        assert feature['geometry']['type'] == 'Polygon'
        assert feature['properties']['objectType'] == 'detection'
        assert feature['properties']['measurements'] == {'score': SCORES[label - 1], 'label': label}
        ring = feature['geometry']['coordinates'][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
    disk_ring = np.array(collection['features'][0]['geometry']['coordinates'][0][:-1])
    assert np.allclose(disk_ring.mean(axis=0), 12.5)  # pixel-corner coordinates, x then y: pixel 12 is [12, 13]
    assert collection['features'][3]['geometry']['coordinates'] == [[[5, 25], [6, 25], [6, 26], [5, 26], [5, 25]]]


def test_geojson_polygons_valid_with_shapely(tmp_path):
    shapely_geometry = pytest.importorskip('shapely.geometry')
    write_geojson(tmp_path / 'n.geojson', toy_label_map(), SCORES, object_type='annotation')
    for feature in json.loads((tmp_path / 'n.geojson').read_text())['features']:
        assert feature['properties']['objectType'] == 'annotation'
        polygon = shapely_geometry.shape(feature['geometry'])
        label = feature['properties']['measurements']['label']
        assert polygon.is_valid and polygon.area == (toy_label_map() == label).sum()  # outlines along pixel edges


def test_empty_label_map_gives_empty_outputs(tmp_path):
    empty = np.zeros((10, 10), np.uint16)
    assert write_geojson(tmp_path / 'e.geojson', empty, []) == 0
    assert json.loads((tmp_path / 'e.geojson').read_text()) == {'type': 'FeatureCollection', 'features': []}
    assert write_nuclei_csv(tmp_path / 'e.csv', empty, [], np.zeros((10, 10, 3), np.uint8)) == 0
    assert (tmp_path / 'e.csv').read_text().strip().startswith('id,centroid_x')
    assert len((tmp_path / 'e.csv').read_text().strip().splitlines()) == 1
    assert write_coco_results(tmp_path / 'e.json', empty, []) == 0
    assert json.loads((tmp_path / 'e.json').read_text()) == []


def test_csv_rows_measure_each_nucleus(tmp_path):
    image = np.zeros((40, 50, 3), np.uint8)
    image[30:40, 40:50] = 100
    write_nuclei_csv(tmp_path / 'n.csv', toy_label_map(), SCORES, image)
    with open(tmp_path / 'n.csv', newline='') as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 4
    square = rows[1]
    assert (square['id'], square['area_px'], square['bbox_x'], square['bbox_width']) == ('2', '100', '40', '10')
    assert float(square['centroid_x']) == 44.5 and float(square['centroid_y']) == 34.5
    assert float(square['mean_intensity']) == 100.0 and float(square['score']) == 0.8


def test_coco_rle_from_crops_equals_full_mask_encoding(tmp_path):
    labels = toy_label_map()
    write_coco_results(tmp_path / 'c.json', labels, SCORES, image_id=7)
    results = json.loads((tmp_path / 'c.json').read_text())
    assert [result['image_id'] for result in results] == [7] * 4
    for result, label in zip(results, [1, 2, 3, 4]):
        decoded = mask_utils.decode(result['segmentation'])
        np.testing.assert_array_equal(decoded.astype(bool), labels == label)
        assert result['area'] == int((labels == label).sum())


def test_overlay_outlines_nuclei_only(tmp_path):
    labels = toy_label_map()
    outlines = label_outlines(labels)
    assert not outlines[labels == 0].any()
    assert outlines[12, 6] and not outlines[12, 12]  # disk edge vs centre
    write_overlay_png(tmp_path / 'o.png', np.zeros((40, 50, 3), np.uint8), labels)
    assert (tmp_path / 'o.png').stat().st_size > 0


def test_iter_nuclei_crops():
    crops = list(iter_nuclei(toy_label_map()))
    assert [crop.label for crop in crops] == [1, 2, 3, 4]
    assert crops[3].offset_xy == (5, 25) and crops[3].mask.shape == (1, 1)


def test_atomic_open_leaves_no_partial_file(tmp_path):
    target = tmp_path / 'out.txt'
    target.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_open(target) as stream:
            stream.write('half')
            raise RuntimeError('interrupted')
    assert target.read_text() == 'old'
    assert [path.name for path in tmp_path.iterdir()] == ['out.txt']
    with atomic_open(target) as stream:
        stream.write('new')
    assert target.read_text() == 'new'
