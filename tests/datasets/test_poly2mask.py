"""MATLAB poly2mask rasterisation (MoNuSeg polygons): hand-computed polygons, skimage's documented example,
pixel-centre-inside away from edges, clipping, and MoNuSeg's own test XML (mask area = polygon area)."""
import xml.etree.ElementTree as ElementTree

import cv2
import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from centersam_mm.datasets.converters.monuseg import list_pairs, parse_annotation, rasterise
from centersam_mm.datasets.converters.poly2mask import poly2mask, poly2mask_full


def expected(shape, pixels) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for row, col in pixels:
        mask[row, col] = True
    return mask


class TestHandComputed:
    """Pixel (r, c) is in when the point (c + 1, r + 1) is inside; centres on an edge go to its right / bottom."""

    def test_integer_square_gets_its_area_not_its_boundary(self):
        # x, y in [2, 5]: centres x = 3, 4, 5 (x = 2 lies on the left edge: out, x = 5 on the right one: in)
        mask = poly2mask_full([2, 5, 5, 2], [2, 2, 5, 5], (8, 8))
        np.testing.assert_array_equal(mask, expected((8, 8), [(r, c) for r in (2, 3, 4) for c in (2, 3, 4)]))
        assert mask.sum() == 9  # the polygon's area; numpy's round-half-to-even would add column 1
        filled = np.zeros((8, 8), np.uint8)
        cv2.fillPoly(filled, [np.array([[2, 2], [5, 2], [5, 5], [2, 5]], np.int32)], 1)
        assert filled.sum() == 16  # the old rule: boundary included

    def test_half_integer_square(self):
        mask = poly2mask_full([1.5, 4.5, 4.5, 1.5], [1.5, 1.5, 4.5, 4.5], (6, 6))
        np.testing.assert_array_equal(mask, expected((6, 6), [(r, c) for r in (1, 2, 3) for c in (1, 2, 3)]))

    def test_triangle(self):
        # centres (x, y) with x >= 2, y >= 2 and x + y <= 10 (the hypotenuse is x + y = 10.5)
        mask = poly2mask_full([1.5, 9, 1.5], [1.5, 1.5, 9], (12, 12))
        pixels = [(r, c) for r in range(12) for c in range(12) if r >= 1 and c >= 1 and r + c <= 8]
        np.testing.assert_array_equal(mask, expected((12, 12), pixels))
        assert mask.sum() == 28

    def test_diamond(self):
        # centred on the centre (5, 5) = pixel (4, 4), half-diagonal 2.5: |dr| + |dc| <= 2
        mask = poly2mask_full([5, 7.5, 5, 2.5], [2.5, 5, 7.5, 5], (10, 10))
        pixels = [(r, c) for r in range(10) for c in range(10) if abs(r - 4) + abs(c - 4) <= 2]
        np.testing.assert_array_equal(mask, expected((10, 10), pixels))

    def test_skimage_documented_example_up_to_centres_on_its_right_edge(self):
        # skimage.draw.polygon's docstring: x = [1, 7, 4, 1], y = [1, 2, 8, 1] in its 0-based frame
        documented = expected((10, 10), [(2, c) for c in range(2, 7)] + [(3, c) for c in range(2, 7)]
                              + [(4, c) for c in (3, 4, 5)] + [(5, c) for c in (3, 4, 5)] + [(6, 4), (7, 4)])
        mask = poly2mask_full(np.array([1, 7, 4, 1]) + 1, np.array([1, 2, 8, 1]) + 1, (10, 10))
        # (4, 6) and (6, 5) lie exactly on the edge (7, 2)-(4, 8), the polygon's right side: poly2mask keeps them
        np.testing.assert_array_equal(mask ^ documented, expected((10, 10), [(4, 6), (6, 5)]))

    def test_clipped_at_every_border(self):
        assert poly2mask_full([-5, 20, 20, -5], [-5, -5, 20, 20], (6, 7)).all()
        below = poly2mask_full([2, 5, 5, 2], [2, 2, 50, 50], (8, 8))  # bottom edge below the image
        np.testing.assert_array_equal(below, expected((8, 8), [(r, c) for r in range(2, 8) for c in (2, 3, 4)]))
        left = poly2mask_full([-3, 3, 3, -3], [0.5, 0.5, 2.5, 2.5], (4, 4))
        np.testing.assert_array_equal(left, expected((4, 4), [(r, c) for r in (0, 1) for c in (0, 1, 2)]))

    def test_box_and_empty_results(self):
        box, mask = poly2mask([11.5, 14.5, 14.5, 11.5], [21.5, 21.5, 23.5, 23.5], (40, 40))
        assert box == (slice(21, 23), slice(11, 14)) and mask.all()
        for x, y in (([3, 4, 5], [3, 4, 5]), ([2.1, 2.3, 2.2], [2.1, 2.1, 2.3]), ([], [])):
            box, mask = poly2mask(x, y, (10, 10))
            assert mask.shape == (0, 0) and box == (slice(0, 0), slice(0, 0))


def _distance_to_outline(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    start, end = polygon, np.roll(polygon, -1, axis=0)
    edge = end - start
    t = np.clip(((points[:, None] - start) * edge).sum(-1) / (edge ** 2).sum(-1), 0, 1)
    return np.linalg.norm(points[:, None] - (start + t[..., None] * edge), axis=-1).min(axis=1)


@pytest.mark.parametrize('seed', range(5))
def test_pixel_centre_inside_away_from_the_outline(seed):
    """Random star-shaped polygons: every centre farther than the 1/5-pixel snapping from the outline is
    classified as matplotlib's point-in-polygon test says."""
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
    radii = rng.uniform(3, 9, 12)
    polygon = np.stack([12 + radii * np.cos(angles), 11 + radii * np.sin(angles)], axis=1)
    mask = poly2mask_full(polygon[:, 0], polygon[:, 1], (24, 26))
    rows, cols = np.mgrid[0:24, 0:26]
    centres = np.stack([cols.ravel() + 1.0, rows.ravel() + 1.0], axis=1)
    inside = MplPath(polygon).contains_points(centres).reshape(24, 26)
    far = (_distance_to_outline(centres, polygon) > 0.15).reshape(24, 26)
    assert far.sum() > 500
    np.testing.assert_array_equal(mask[far], inside[far])


def test_monuseg_test_masks_have_the_polygon_areas(monuseg_src):
    """On a shared MoNuSeg test image the masks' median area is the polygons' (Aperio's Area attribute),
    where the old rule (rounded vertices, cv2.fillPoly) was about 10 % larger."""
    tif, xml = list_pairs(monuseg_src)[0]
    _, polygons = parse_annotation(xml)
    areas = [float(region.get('Area')) for region in ElementTree.parse(str(xml)).getroot().iter('Region')]
    label_map = rasterise(polygons, (1000, 1000), xml)
    counts = np.bincount(label_map.ravel(), minlength=len(polygons) + 1)
    ratios = [counts[i + 1] / areas[i] for i in range(len(polygons)) if counts[i + 1] and areas[i] > 0]
    assert len(ratios) > 0.95 * len(polygons)
    assert 0.99 < np.median(ratios) < 1.01
    old = []
    for polygon, area in zip(polygons, areas):
        filled = np.zeros((1000, 1000), np.uint8)
        cv2.fillPoly(filled, [np.round(polygon).astype(np.int32)], 1)
        old.append(filled.sum() / area)
    assert np.median(old) > 1.05
