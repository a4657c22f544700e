"""GeoJSON outlines run along pixel edges (QuPath corner coordinates): area = pixel count, valid, exact round trip."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from centersam_mm.io import iter_nuclei, write_geojson
from centersam_mm.io.geojson import mask_polygons, nucleus_polygon

shapely = pytest.importorskip('shapely')
from shapely.geometry import LinearRing, shape  # noqa: E402
from shapely.validation import explain_validity  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEMO_IMAGES = sorted((REPO / 'demo').glob('*.png'))


def _geometry(mask: np.ndarray, offset_xy=(0, 0)) -> dict:
    polygons = mask_polygons(mask, offset_xy)
    if len(polygons) == 1:
        return {'type': 'Polygon', 'coordinates': polygons[0]}
    return {'type': 'MultiPolygon', 'coordinates': polygons}


def _polygons(geometry: dict) -> list:
    return [geometry['coordinates']] if geometry['type'] == 'Polygon' else geometry['coordinates']


def _check_rings(geometry: dict) -> None:
    """Closed rings of integer corners, corners only, exterior counter-clockwise in (x, y), holes clockwise."""
    for polygon in _polygons(geometry):
        for index, ring in enumerate(polygon):
            assert ring[0] == ring[-1] and len(ring) >= 5
            assert all(isinstance(value, int) for point in ring for value in point)
            points = np.array(ring[:-1])
            steps = np.diff(np.vstack([points, points[:1]]), axis=0)
            assert np.all((steps == 0).sum(axis=1) == 1)  # axis-aligned pixel edges
            turns = steps[:, 0] * np.roll(steps[:, 1], -1) - steps[:, 1] * np.roll(steps[:, 0], -1)
            assert np.all(turns != 0)  # every point is a corner (no collinear points)
            assert LinearRing(ring).is_ccw == (index == 0)


def _assert_exact(mask: np.ndarray, geometry: dict, offset_xy=(0, 0)) -> None:
    """Valid, area = pixel count, and a pixel centre (of the mask or around it) is inside iff the pixel is in it."""
    polygon = shape(geometry)
    assert polygon.is_valid, explain_validity(polygon)
    assert polygon.area == mask.sum()
    height, width = mask.shape
    x0, y0 = offset_xy
    yy, xx = np.mgrid[-1:height + 1, -1:width + 1]
    inside = shapely.contains_xy(polygon, xx + x0 + 0.5, yy + y0 + 0.5)
    np.testing.assert_array_equal(inside, np.pad(mask, 1))


def _check_label_map(labels: np.ndarray) -> np.ndarray:
    """Every nucleus exported exactly; returns polygon area / pixel count per nucleus."""
    ratios = []
    for crop in iter_nuclei(labels):
        geometry = nucleus_polygon(crop)
        polygon = shape(geometry)
        pixels = int(crop.mask.sum())
        assert polygon.is_valid, (crop.label, explain_validity(polygon))
        assert abs(polygon.area - pixels) <= 0.01 * pixels
        assert polygon.area == pixels  # exact for pixel-edge outlines
        ratios.append(polygon.area / pixels)
    return np.array(ratios)


def test_single_pixel_is_its_square():
    mask = np.ones((1, 1), bool)
    geometry = _geometry(mask, (5, 7))
    assert geometry == {'type': 'Polygon', 'coordinates': [[[5, 7], [6, 7], [6, 8], [5, 8], [5, 7]]]}
    _assert_exact(mask, geometry, (5, 7))
    _check_rings(geometry)


def test_rectangle_has_four_corners():
    mask = np.ones((2, 3), bool)  # 3 wide, 2 high
    geometry = _geometry(mask, (10, 20))
    assert geometry['coordinates'] == [[[10, 20], [13, 20], [13, 22], [10, 22], [10, 20]]]
    assert shape(geometry).area == 6
    _assert_exact(mask, geometry, (10, 20))


def test_ring_nucleus_has_one_hole():
    mask = np.ones((5, 6), bool)
    mask[1:4, 2:4] = False  # 3 x 2 hole
    geometry = _geometry(mask)
    assert geometry['type'] == 'Polygon' and len(geometry['coordinates']) == 2
    assert geometry['coordinates'][1][:-1] == [[2, 1], [2, 4], [4, 4], [4, 1]]
    assert shape(geometry).area == mask.sum() == 24
    _assert_exact(mask, geometry)
    _check_rings(geometry)


def test_diagonal_contact_gives_valid_multipolygon():
    mask = np.array([[1, 0], [0, 1]], bool)
    geometry = _geometry(mask)
    assert geometry['type'] == 'MultiPolygon' and len(geometry['coordinates']) == 2
    assert shape(geometry).is_valid and shape(geometry).area == 2
    _assert_exact(mask, geometry)
    anti = np.array([[0, 1], [1, 0]], bool)
    _assert_exact(anti, _geometry(anti))


def test_hole_touching_outside_at_a_corner_is_valid():
    # a C shape whose ends touch diagonally: one 4-connected piece, its hole meets the outside at one corner
    mask = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], bool)
    geometry = _geometry(mask)
    assert geometry['type'] == 'Polygon' and len(geometry['coordinates']) == 2
    _assert_exact(mask, geometry)
    _check_rings(geometry)
    two_holes = np.ones((4, 4), bool)
    two_holes[1, 1] = two_holes[2, 2] = False  # holes touching each other at a corner
    geometry = _geometry(two_holes)
    assert len(geometry['coordinates']) == 3
    _assert_exact(two_holes, geometry)


def test_l_shape_and_spur():
    mask = np.zeros((6, 5), bool)
    mask[:, :2] = True
    mask[4:, :] = True
    geometry = _geometry(mask)
    assert len(geometry['coordinates'][0]) == 7  # 6 corners + closing point
    _assert_exact(mask, geometry)
    spur = np.zeros((3, 5), bool)
    spur[1, :] = True  # a one-pixel-wide line
    spur[0, 2] = True
    _assert_exact(spur, _geometry(spur))


def test_nucleus_touching_image_border():
    labels = np.zeros((8, 9), np.uint16)
    labels[:3, 6:] = 1  # top-right corner of the image
    labels[5:, :2] = 2
    labels[7, 2:5] = 2  # along the bottom edge
    crops = list(iter_nuclei(labels))
    first = nucleus_polygon(crops[0])
    assert first['coordinates'] == [[[6, 0], [9, 0], [9, 3], [6, 3], [6, 0]]]
    for crop in crops:
        _assert_exact(crop.mask, nucleus_polygon(crop), crop.offset_xy)
    assert _check_label_map(labels).tolist() == [1.0, 1.0]


def test_random_masks_are_traced_exactly():
    """Noise masks: many holes, corner contacts, pieces; every geometry valid and exact."""
    rng = np.random.default_rng(0)
    for density in (0.3, 0.5, 0.7):
        for _ in range(30):
            mask = rng.random((12, 14)) < density
            if not mask.any():
                continue
            geometry = _geometry(mask, (3, 4))
            _assert_exact(mask, geometry, (3, 4))
            _check_rings(geometry)
            areas = [shape({'type': 'Polygon', 'coordinates': polygon}).area for polygon in _polygons(geometry)]
            assert areas == sorted(areas, reverse=True)  # largest piece first


def test_written_file_matches_label_map(tmp_path):
    labels = np.zeros((30, 30), np.uint16)
    labels[2:8, 2:9] = 1
    labels[4:6, 4:6] = 0  # hole
    labels[10, 10] = labels[11, 11] = 2  # two pieces touching at a corner
    labels[20:30, 25:30] = 3  # on the border
    write_geojson(tmp_path / 'n.geojson', labels, [0.5, 0.6, 0.7])
    features = json.loads((tmp_path / 'n.geojson').read_text())['features']
    assert [feature['geometry']['type'] for feature in features] == ['Polygon', 'MultiPolygon', 'Polygon']
    for feature in features:
        label = feature['properties']['measurements']['label']
        _assert_exact(labels == label, feature['geometry'])


@pytest.mark.parametrize('path', DEMO_IMAGES, ids=lambda path: path.stem)
def test_demo_images_stub_labels_exact(path):
    """Labels of the stub model (8-connected threshold components: corner contacts are common)."""
    from centersam_mm.apis.stub import ThresholdSegmenter
    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    labels, _ = ThresholdSegmenter()(image)
    assert labels.max() > 0
    ratios = _check_label_map(labels)
    assert len(ratios) == labels.max() and np.all(ratios == 1)


@pytest.mark.parametrize('index', [1, 2])
def test_monuseg_label_maps_exact(shared_data, index):
    """MoNuSeg training label maps (uint16 instance labels; a few nuclei in several pieces or with holes)."""
    import tifffile
    paths = sorted((shared_data / 'monuseg' / 'MoNuSegTrainingData' / 'labels').glob('*.tif'))
    if len(paths) <= index:
        pytest.skip('MoNuSeg label maps not found in the shared data')
    labels = tifffile.imread(paths[index])
    ratios = _check_label_map(labels)
    assert len(ratios) == len(np.unique(labels[labels > 0])) and np.all(ratios == 1)
    height, width = labels.shape  # pixel-centre round trip: inside iff the pixel has that label
    for crop in iter_nuclei(labels):
        polygon = shape(nucleus_polygon(crop))
        rows = slice(max(crop.rows.start - 1, 0), min(crop.rows.stop + 1, height))
        cols = slice(max(crop.cols.start - 1, 0), min(crop.cols.stop + 1, width))
        yy, xx = np.mgrid[rows, cols]
        inside = shapely.contains_xy(polygon, xx + 0.5, yy + 0.5)
        np.testing.assert_array_equal(inside, labels[rows, cols] == crop.label)
