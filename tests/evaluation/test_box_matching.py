"""Box matching and the miss classification of the detector analysis, on hand-placed boxes."""
import numpy as np
import pytest

from centersam_mm.evaluation.functional import box_iou_matrix, classify_box_misses, count_box_matches, matched_gt


def test_iou_by_hand():
    a = np.array([[0., 0., 10., 10.]])
    b = np.array([[5., 0., 15., 10.], [20., 20., 30., 30.]])
    # 5 x 10 overlap of two 100 px boxes: 50 / 150
    assert box_iou_matrix(a, b) == pytest.approx(np.array([[1 / 3, 0.0]]))


def test_one_to_one_matching():
    gt = np.array([[0., 0., 10., 10.], [10., 0., 20., 10.]])
    # one box exactly on the first nucleus, one covering both (IoU 0.5 with each): it may take only one
    pred = np.array([[0., 0., 10., 10.], [0., 0., 20., 10.]])
    assert matched_gt(gt, pred).tolist() == [True, True]
    assert count_box_matches(gt, pred[1:]) == 1
    assert matched_gt(gt, np.zeros((0, 4))).tolist() == [False, False]


def test_each_miss_gets_its_kind():
    gt = np.array([[0., 0., 10., 10.],      # found: exact box
                   [20., 0., 30., 10.],     # localisation: kept box shifted by 4 px -> IoU 6/14 = 0.43
                   [40., 0., 50., 10.],     # low score: exact box below the threshold
                   [60., 0., 70., 10.]])    # nothing near it
    pred = np.array([[0., 0., 10., 10.], [24., 0., 34., 10.], [40., 0., 50., 10.], [100., 0., 110., 10.]])
    scores = np.array([0.9, 0.8, 0.2, 0.7])
    counts = classify_box_misses(gt, pred, scores, score_thr=0.3)
    assert dict(counts) == dict(gt=4, kept=3, tp=1, localisation=1, low_score=1, no_detection=1)
    # lowering the threshold turns the low-score miss into a match; the stray box stays a false positive
    counts = classify_box_misses(gt, pred, scores, score_thr=0.1)
    assert (counts['tp'], counts['low_score'], counts['kept'] - counts['tp']) == (2, 0, 2)


def test_a_shifted_box_beyond_the_loose_threshold_is_no_detection():
    gt = np.array([[0., 0., 10., 10.]])
    pred = np.array([[8., 0., 18., 10.]])  # IoU 2/18 = 0.11 < 0.3
    counts = classify_box_misses(gt, pred, np.array([0.9]), score_thr=0.3)
    assert (counts['localisation'], counts['no_detection']) == (0, 1)
