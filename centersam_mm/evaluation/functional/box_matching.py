"""Box matching at an IoU threshold, and why a ground-truth box was missed; numpy/scipy only.

Boxes are (N, 4) ``xyxy`` arrays in pixels. Matching is one-to-one, maximising the summed IoU of the pairs at or
above the threshold (Hungarian assignment, ``scipy.optimize.linear_sum_assignment``).
"""
from collections import Counter

import numpy as np
from scipy.optimize import linear_sum_assignment

MISS_KINDS = ('localisation', 'low_score', 'no_detection')


def box_iou_matrix(boxes_a_xyxy: np.ndarray, boxes_b_xyxy: np.ndarray) -> np.ndarray:
    """IoU of every pair of boxes: (N, 4) x (M, 4) xyxy pixels -> (N, M)."""
    top_left = np.maximum(boxes_a_xyxy[:, None, :2], boxes_b_xyxy[None, :, :2])
    bottom_right = np.minimum(boxes_a_xyxy[:, None, 2:], boxes_b_xyxy[None, :, 2:])
    intersection = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area_a = np.clip(boxes_a_xyxy[:, 2:] - boxes_a_xyxy[:, :2], 0, None).prod(axis=1)
    area_b = np.clip(boxes_b_xyxy[:, 2:] - boxes_b_xyxy[:, :2], 0, None).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.where(union > 0, intersection / np.maximum(union, 1e-12), 0.0)


def count_box_matches(gt_boxes_xyxy: np.ndarray, pred_boxes_xyxy: np.ndarray,
                      iou_thr: float = 0.5) -> int:
    """Number of one-to-one matches with IoU >= ``iou_thr`` (maximum-IoU Hungarian assignment)."""
    return int(matched_gt(gt_boxes_xyxy, pred_boxes_xyxy, iou_thr).sum())


def matched_gt(gt_boxes_xyxy: np.ndarray, pred_boxes_xyxy: np.ndarray, iou_thr: float = 0.5) -> np.ndarray:
    """(N,) bool: True for each ground-truth box matched one-to-one with IoU >= ``iou_thr``."""
    matched = np.zeros(len(gt_boxes_xyxy), bool)
    if len(gt_boxes_xyxy) == 0 or len(pred_boxes_xyxy) == 0:
        return matched
    iou = box_iou_matrix(gt_boxes_xyxy, pred_boxes_xyxy)
    gain = np.where(iou >= iou_thr, iou, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    matched[rows[iou[rows, cols] >= iou_thr]] = True
    return matched


def classify_box_misses(gt_boxes_xyxy: np.ndarray, pred_boxes_xyxy: np.ndarray, pred_scores: np.ndarray,
                        score_thr: float, iou_thr: float = 0.5, loose_iou_thr: float = 0.3) -> Counter:
    """Count matches and sort each missed ground-truth box by why it was missed.

    Predictions scoring >= ``score_thr`` are kept and matched one-to-one at ``iou_thr``. An unmatched ground
    truth is a ``localisation`` miss when a kept box overlaps it with IoU >= ``loose_iou_thr`` (found, but
    the box is too far off, or taken by a neighbour), else a ``low_score`` miss when a dropped box (score
    below ``score_thr``) reaches ``iou_thr``, else ``no_detection``.

    Returns:
        Counter with ``gt``, ``kept`` (predictions kept), ``tp`` and one count per kind in ``MISS_KINDS``.
    """
    pred_scores = np.asarray(pred_scores).reshape(-1)
    kept_boxes = pred_boxes_xyxy[pred_scores >= score_thr]
    dropped_boxes = pred_boxes_xyxy[pred_scores < score_thr]
    matched = matched_gt(gt_boxes_xyxy, kept_boxes, iou_thr)
    counts = Counter(gt=len(gt_boxes_xyxy), kept=len(kept_boxes), tp=int(matched.sum()))
    counts.update({kind: 0 for kind in MISS_KINDS})
    missed = gt_boxes_xyxy[~matched]
    best_kept = _best_iou(missed, kept_boxes)
    best_dropped = _best_iou(missed, dropped_boxes)
    counts['localisation'] = int((best_kept >= loose_iou_thr).sum())
    low_score = (best_kept < loose_iou_thr) & (best_dropped >= iou_thr)
    counts['low_score'] = int(low_score.sum())
    counts['no_detection'] = len(missed) - counts['localisation'] - counts['low_score']
    return counts


def _best_iou(boxes_a_xyxy: np.ndarray, boxes_b_xyxy: np.ndarray) -> np.ndarray:
    """(N,) highest IoU of each box of ``a`` with any box of ``b`` (0 when ``b`` is empty)."""
    if len(boxes_b_xyxy) == 0:
        return np.zeros(len(boxes_a_xyxy))
    return box_iou_matrix(boxes_a_xyxy, boxes_b_xyxy).max(axis=1)
