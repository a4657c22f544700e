"""best_gt_iou: overlapping candidate masks against a label map, by hand."""
import numpy as np
import pytest

from centersam_mm.evaluation.functional import best_gt_iou


def test_best_iou_by_hand():
    gt_label = np.zeros((10, 10), np.int32)
    gt_label[0:4, 0:4] = 1  # 16 px
    gt_label[0:4, 6:10] = 2  # 16 px
    masks = np.zeros((4, 10, 10), bool)
    masks[0, 0:4, 0:4] = True  # exactly nucleus 1
    masks[1, 0:4, 0:2] = True  # half of nucleus 1: 8 / 16
    masks[2, 0:4, 2:8] = True  # 8 px of 1 and 8 px of 2 in 24: IoU 8 / 32 each
    masks[3, 6:10, 0:4] = True  # background
    np.testing.assert_allclose(best_gt_iou(masks, gt_label), [1.0, 0.5, 0.25, 0.0])


def test_size_mismatch_is_refused():
    with pytest.raises(ValueError, match='differ in size'):
        best_gt_iou(np.zeros((1, 5, 5), bool), np.zeros((6, 6), np.int32))
