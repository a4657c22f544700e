"""Tests of instances_to_label_map (masks + scores -> label map)."""
import numpy as np
import pytest

from centersam_mm.evaluation.functional import instances_to_label_map


def _masks() -> np.ndarray:
    masks = np.zeros((3, 6, 6), bool)
    masks[0, 0:4, 0:4] = True  # 16 px, score 0.5
    masks[1, 2:6, 2:6] = True  # 16 px, score 0.9, overlaps mask 0 on [2:4, 2:4] (4 px)
    masks[2, 0:2, 4:6] = True  # 4 px, score 0.2
    return masks


SCORES = np.array([0.5, 0.9, 0.2])


def test_highest_score_wins_and_ids_follow_descending_score():
    label = instances_to_label_map(_masks(), SCORES)
    assert label.dtype == np.int32 and label.shape == (6, 6)
    assert np.all(label[2:6, 2:6] == 1)  # score 0.9 -> id 1, wins the overlap
    assert np.count_nonzero(label == 2) == 12  # score 0.5 -> id 2, lost 4 px
    assert np.all(label[0:2, 4:6] == 3)  # score 0.2 -> id 3
    assert np.count_nonzero(label == 0) == 36 - 16 - 12 - 4


def test_score_threshold_drops_low_scores():
    label = instances_to_label_map(_masks(), SCORES, score_thr=0.3)
    assert set(np.unique(label)) == {0, 1, 2}
    assert np.all(label[0:2, 4:6] == 0)


def test_min_area_counts_visible_pixels_and_keeps_ids_consecutive():
    # visible areas: id1 16, id2 12, id3 4 -> min_area 13 keeps only the 0.9 mask
    label = instances_to_label_map(_masks(), SCORES, min_area=13)
    assert set(np.unique(label)) == {0, 1}
    # min_area 5 drops the 4-px mask only; the two others keep ids 1, 2
    assert set(np.unique(instances_to_label_map(_masks(), SCORES, min_area=5))) == {0, 1, 2}


def test_fully_hidden_mask_is_dropped():
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 1:3, 1:3] = True
    masks[1] = True  # higher score covers mask 0 entirely
    label = instances_to_label_map(masks, np.array([0.1, 0.8]))
    assert set(np.unique(label)) == {1}


def test_no_instances_gives_background():
    label = instances_to_label_map(np.zeros((0, 5, 7), bool), np.zeros(0))
    assert label.shape == (5, 7) and not label.any()


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='expected masks'):
        instances_to_label_map(np.zeros((2, 4, 4), bool), np.zeros(3))
