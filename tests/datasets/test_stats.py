"""Density analysis: adjacency definitions, crops and figures on synthetic label maps."""
import numpy as np
import tifffile

from centersam_mm.datasets.stats import (CORNER_OFFSETS, EDGE_OFFSETS, crop_stats, dataset_stats, random_crop,
                                         touching_labels)


def test_edge_touch_counts_for_both_adjacencies():
    label_map = np.zeros((6, 6), np.int32)
    label_map[1:3, 1:3] = 1
    label_map[1:3, 3:5] = 2   # shares an edge with 1
    label_map[4:6, 0:1] = 3   # alone
    assert touching_labels(label_map, EDGE_OFFSETS).tolist() == [1, 2]
    assert touching_labels(label_map, EDGE_OFFSETS + CORNER_OFFSETS).tolist() == [1, 2]


def test_corner_touch_counts_only_for_8_adjacency():
    label_map = np.zeros((7, 7), np.int32)
    label_map[0:2, 0:2] = 4
    label_map[2:4, 2:4] = 7   # diagonal neighbour of 4
    label_map[0, 6] = 9
    label_map[1, 5] = 8       # anti-diagonal neighbour of 9
    assert touching_labels(label_map, EDGE_OFFSETS).tolist() == []
    assert touching_labels(label_map, EDGE_OFFSETS + CORNER_OFFSETS).tolist() == [4, 7, 8, 9]


def test_crop_stats_areas_and_flags():
    label_map = np.zeros((4, 8), np.int32)
    label_map[0:2, 0:2] = 1
    label_map[0:2, 2:3] = 2
    label_map[3, 7] = 3
    stats = crop_stats(label_map)
    assert stats.num_nuclei == 3
    assert stats.areas.tolist() == [4, 2, 1]
    assert stats.touching_8.tolist() == [True, True, False]


def test_random_crop_keeps_small_images_whole_and_is_seeded():
    small = np.arange(300 * 700).reshape(300, 700)
    crop = random_crop(small, 512, np.random.default_rng(0))
    assert crop.shape == (300, 512)
    again = random_crop(small, 512, np.random.default_rng(0))
    np.testing.assert_array_equal(crop, again)


def test_dataset_stats_shares(tmp_path):
    label_map = np.zeros((20, 20), np.uint16)
    label_map[0:3, 0:3] = 1
    label_map[0:3, 3:6] = 2
    label_map[10:12, 10:12] = 3
    label_map[12:14, 12:14] = 4   # corner contact with 3
    path = tmp_path / 'a.tif'
    tifffile.imwrite(path, label_map)
    stats = dataset_stats([path], crop_size=512, seed=0)
    assert stats.nuclei_per_image.tolist() == [4]
    assert stats.connected_share_4 == 0.5 and stats.connected_share_8 == 1.0
    assert float(np.median(stats.areas)) == 6.5
