"""Tiled segmentation equals whole-image segmentation; ownership of nuclei at seams."""
from typing import Tuple

import numpy as np
import pytest

from centersam_mm.apis import (LabelMapStitcher, ThresholdSegmenter, instances_to_labels, make_tiles,
                               segment_tiled)
from centersam_mm.apis.tiling import tile_starts


def random_disks_image(height: int, width: int, count: int, seed: int = 0,
                       radius_range: Tuple[int, int] = (3, 12)) -> np.ndarray:
    """(H, W, 3) uint8 image of up to ``count`` non-touching bright disks with distinct gray levels (70-250)."""
    rng = np.random.default_rng(seed)
    levels = iter(rng.permutation(np.arange(70, 251)))
    gray = np.zeros((height, width), np.uint8)
    yy, xx = np.mgrid[:height, :width]
    for _ in range(count):
        radius = int(rng.integers(*radius_range))
        cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
        window = (slice(max(cy - radius - 2, 0), cy + radius + 3), slice(max(cx - radius - 2, 0), cx + radius + 3))
        if gray[window].any():
            continue  # keep disks apart
        disk = (yy[window] - cy) ** 2 + (xx[window] - cx) ** 2 <= radius ** 2
        level = next(levels, None)
        if level is None:
            break
        gray[window][disk] = level
    return np.repeat(gray[..., None], 3, axis=2)


def unique_value_masks(image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Instance function returning masks: one (N, h, w) mask per distinct non-zero gray level."""
    gray = image[..., 0]
    values = np.unique(gray[gray > 0])
    return gray[None] == values[:, None, None], values / 255.0


def test_tile_starts_cover_with_overlap():
    assert tile_starts(100, 128, 16) == [0]
    starts = tile_starts(1000, 256, 64)
    assert starts[0] == 0 and starts[-1] == 1000 - 256
    assert all(b - a <= 256 - 64 for a, b in zip(starts, starts[1:]))
    with pytest.raises(ValueError):
        tile_starts(1000, 64, 64)


def test_aligned_tile_starts_hand_computed():
    # stride (512 - 128) // 32 * 32 = 384; the second tile reaches 384 + 512 > 600 and is cut at 600
    assert tile_starts(600, 512, 128, align=32) == [0, 384]
    # stride (256 - 64) // 32 * 32 = 192: 0, 192, ..., 768 (768 + 256 >= 1000)
    assert tile_starts(1000, 256, 64, align=32) == [0, 192, 384, 576, 768]
    assert tile_starts(1000, 256, 100, align=32) == [0, 128, 256, 384, 512, 640, 768]  # stride 156 -> 128
    assert tile_starts(512, 512, 128, align=32) == [0]
    with pytest.raises(ValueError):
        tile_starts(1000, 256, 240, align=32)  # stride 16 < alignment
    tiles = make_tiles(600, 600, 512, 128, align=32)
    assert [(t.x0, t.x1) for t in tiles[:2]] == [(0, 512), (384, 600)] and tiles[0].core_x1 == 448.0


def test_input_bounded_tiles_hand_computed():
    from centersam_mm.utils.tile_grid import input_bounded_tiles
    assert input_bounded_tiles(1024, 128, 1.5, 2048) == (1024, 128)    # 1536 input pixels: within the bound
    assert input_bounded_tiles(1024, 128, 2.0, 2048) == (1024, 128)    # exactly at it
    assert input_bounded_tiles(1024, 128, 4.0, 2048) == (512, 64)      # ratio 2048 / 4096 = 1/2
    assert input_bounded_tiles(1024, 100, 3.0, 2048) == (682, 67)      # ratio 2/3: int(682.7), ceil(66.7)
    assert input_bounded_tiles(1024, 128, 0.5, 2048) == (1024, 128)    # shrinking factors never grow tiles
    for unbounded in [(None, 128, 4.0, 2048), (1024, 128, None, 2048), (1024, 128, 4.0, None)]:
        assert input_bounded_tiles(*unbounded) == unbounded[:2]


def test_every_point_owned_by_exactly_one_tile():
    tiles = make_tiles(700, 1000, 256, 64)
    assert len(tiles) == 4 * 5
    covered = np.zeros((700, 1000), int)
    for tile in tiles:
        covered[tile.y0:tile.y1, tile.x0:tile.x1] += 1
    assert covered.min() >= 1
    rng = np.random.default_rng(1)
    for x, y in rng.uniform(0, [1000, 700], size=(2000, 2)):
        assert sum(tile.owns(x, y) for tile in tiles) == 1
    for tile in tiles:  # an owned centre is at least overlap/2 from any inner tile edge
        if tile.x0 > 0:
            assert tile.core_x0 - tile.x0 >= 32
        if tile.x1 < 1000:
            assert tile.x1 - tile.core_x1 >= 32


@pytest.mark.parametrize('tile_size,overlap', [(256, 48), (300, 64), (128, 32)])
def test_tiled_equals_whole_with_label_map_stub(tile_size, overlap):
    image = random_disks_image(600, 700, 400, radius_range=(3, 12))  # 181 disks at most  # diameters < 25 < overlap
    stub = ThresholdSegmenter(threshold=50, min_area=1)
    whole = segment_tiled(image, stub, tile_size=None)
    tiled = segment_tiled(image, stub, tile_size=tile_size, overlap=overlap)
    assert whole.num_nuclei > 150
    np.testing.assert_array_equal(tiled.labels, whole.labels)
    np.testing.assert_array_equal(tiled.scores, whole.scores)
    np.testing.assert_array_equal(tiled.boxes, whole.boxes)


def test_tiled_equals_whole_with_mask_stub():
    image = random_disks_image(400, 500, 250, seed=3)
    whole = segment_tiled(image, unique_value_masks, tile_size=None)
    tiled = segment_tiled(image, unique_value_masks, tile_size=160, overlap=40)
    np.testing.assert_array_equal(tiled.labels, whole.labels)
    np.testing.assert_array_equal(tiled.scores, whole.scores)


def test_result_ids_follow_descending_scores():
    image = random_disks_image(200, 200, 60, seed=5)
    result = segment_tiled(image, ThresholdSegmenter(threshold=50, min_area=1), tile_size=None)
    assert result.labels.dtype == np.uint16
    assert np.all(np.diff(result.scores) <= 0)
    assert result.labels.max() == result.num_nuclei == result.boxes.shape[0]


def test_score_threshold_and_min_area_filter():
    masks = np.zeros((3, 20, 20), bool)
    masks[0, 2:6, 2:6] = True  # area 16, score 0.9
    masks[1, 10:12, 10:12] = True  # area 4, score 0.8
    masks[2, 14:19, 14:19] = True  # area 25, score 0.1
    labels, scores = instances_to_labels(masks, np.array([0.9, 0.8, 0.1]), score_thr=0.5, min_area=5)
    assert labels.max() == 1 and list(scores) == [0.9]
    label_map = masks[0] * 1 + masks[1] * 2 + masks[2] * 3
    labels, scores = instances_to_labels(label_map, np.array([0.9, 0.8, 0.1]), score_thr=0.5, min_area=5)
    assert labels.max() == 1 and list(scores) == [0.9]


def test_overlapping_masks_highest_score_wins_and_keeps_its_score():
    masks = np.zeros((2, 10, 10), bool)
    masks[0, 0:6, 0:6] = True
    masks[1, 3:9, 3:9] = True
    labels, scores = instances_to_labels(masks, np.array([0.4, 0.7]))
    assert list(scores) == [0.7, 0.4]
    assert labels[4, 4] == 1 and labels[0, 0] == 2


def test_stitcher_resolves_overlaps_between_tiles_by_score():
    tiles = make_tiles(10, 20, 12, 4)  # two tiles side by side, boundary at x = 10
    stitcher = LabelMapStitcher(10, 20)
    left = np.zeros((10, 12), np.int32)
    left[2:6, 5:11] = 1  # centre x = 8: owned by the left tile
    right = np.zeros((10, 12), np.int32)
    right[2:6, 1:7] = 1  # global x 9..15, centre x = 12: owned by the right tile; overlaps at x = 9, 10
    assert stitcher.add_tile(tiles[0], left, np.array([0.5])) == 1
    assert stitcher.add_tile(tiles[1], right, np.array([0.9])) == 1
    result = stitcher.finish()
    assert result.num_nuclei == 2 and list(result.scores) == pytest.approx([0.9, 0.5])
    assert result.labels[3, 9] == 1 and result.labels[3, 8] == 2  # the higher score took the overlap


def test_nucleus_fully_covered_by_higher_score_is_dropped():
    tiles = make_tiles(10, 10, None, 0)
    stitcher = LabelMapStitcher(10, 10)
    labels = np.zeros((10, 10), np.int32)
    labels[2:5, 2:5] = 1
    stitcher.add_tile(tiles[0], labels, np.array([0.9]))
    stitcher.add_tile(tiles[0], labels, np.array([0.3]))  # same pixels, lower score: nothing left to it
    result = stitcher.finish()
    assert result.num_nuclei == 1 and result.labels.max() == 1


def test_empty_image_gives_empty_result():
    result = segment_tiled(np.zeros((300, 300, 3), np.uint8), ThresholdSegmenter(), tile_size=128, overlap=32)
    assert result.num_nuclei == 0 and not result.labels.any() and result.boxes.shape == (0, 4)
