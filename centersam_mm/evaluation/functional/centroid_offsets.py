"""Systematic shift of predicted nuclei: centroid offsets of matched pairs (numpy/scipy only).

A detector, a resize or a rasterisation convention that is off by half a pixel moves every mask the same way;
the IoU of small nuclei pays for it. ``centroid_offsets`` measures that shift as prediction minus annotation, and
``box_size_log_ratios`` whether predicted masks run larger or smaller than the annotated ones.
"""
from typing import Tuple

import numpy as np
from scipy import ndimage

from .instance_metrics import label_overlaps, match_at_iou


def centroid_offsets(gt_label: np.ndarray, pred_label: np.ndarray, iou_thr: float = 0.5) -> np.ndarray:
    """(M, 2) ``(dx, dy)`` in pixels, prediction centroid minus annotation centroid, of the M pairs matched
    one-to-one at IoU >= ``iou_thr`` (the matching of ``instance_metrics``)."""
    return _matched_difference(gt_label, pred_label, iou_thr, _centroids_xy)


def box_size_log_ratios(gt_label: np.ndarray, pred_label: np.ndarray, iou_thr: float = 0.5) -> np.ndarray:
    """(M, 2) ``(log(w_pred / w_gt), log(h_pred / h_gt))`` of the tight boxes of the M pairs matched as in
    :func:`centroid_offsets`: below 0, predicted masks are narrower (shorter) than the annotated ones."""
    return _matched_difference(gt_label, pred_label, iou_thr, lambda label: np.log(_box_sizes_wh(label)))


def _matched_difference(gt_label: np.ndarray, pred_label: np.ndarray, iou_thr: float, measure) -> np.ndarray:
    """(M, 2) ``measure(pred)[pair] - measure(gt)[pair]`` over the pairs matched one-to-one at IoU >= ``iou_thr``;
    ``measure``: label map -> (K, 2) per non-zero label, in ascending label order (the compact order)."""
    gt_label, pred_label = np.asarray(gt_label), np.asarray(pred_label)
    overlaps = label_overlaps(gt_label, pred_label)
    matched = match_at_iou(overlaps, iou_thr)
    if matched.size == 0:
        return np.zeros((0, 2))
    return measure(pred_label)[overlaps.pred_index[matched]] - measure(gt_label)[overlaps.gt_index[matched]]


def _box_sizes_wh(label: np.ndarray) -> np.ndarray:
    """(K, 2) ``(w, h)`` in pixels of the tight box of each non-zero label, in ascending label order."""
    ids = np.unique(label)
    ids = ids[ids != 0]
    boxes = ndimage.find_objects(label)
    return np.array([(boxes[i - 1][1].stop - boxes[i - 1][1].start, boxes[i - 1][0].stop - boxes[i - 1][0].start)
                     for i in ids.tolist()], dtype=np.float64).reshape(-1, 2)


def _centroids_xy(label: np.ndarray) -> np.ndarray:
    """(K, 2) ``(x, y)`` centroid of each non-zero label, in ascending label order (the compact order)."""
    ids = np.unique(label)
    ids = ids[ids != 0]
    if ids.size == 0:
        return np.zeros((0, 2))
    rows_cols = np.asarray(ndimage.center_of_mass(np.ones(label.shape), label, ids), dtype=np.float64)
    return rows_cols[:, ::-1].reshape(-1, 2)


def stain_offsets(signal: np.ndarray, label: np.ndarray, ring: int = 3, min_area: int = 20) -> np.ndarray:
    """(K, 2) ``(dx, dy)`` of each nucleus of ``label`` (at least ``min_area`` pixels): the centroid of
    ``signal`` (H, W; e.g. optical density) over the mask dilated by ``ring`` pixels (background pixels only,
    not other nuclei), minus the mask's centroid. Positive: the stain lies right of / below the annotation.
    Local by design (the ring), so smaller than the shift itself; use it to compare label sets."""
    label = np.asarray(label)
    out = []
    for index, window in enumerate(ndimage.find_objects(label), start=1):
        if window is None:
            continue
        y0, x0 = max(window[0].start - ring - 2, 0), max(window[1].start - ring - 2, 0)
        crop = label[y0:window[0].stop + ring + 2, x0:window[1].stop + ring + 2]
        mask = crop == index
        if mask.sum() < min_area:
            continue
        region = ndimage.binary_dilation(mask, iterations=ring) & ((crop == 0) | mask)
        weights = signal[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] * region
        if weights.sum() <= 0:
            continue
        rows, cols = np.mgrid[0:crop.shape[0], 0:crop.shape[1]]
        out.append(((cols * weights).sum() / weights.sum() - (cols * mask).sum() / mask.sum(),
                    (rows * weights).sum() / weights.sum() - (rows * mask).sum() / mask.sum()))
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def mean_offset(offsets: np.ndarray) -> Tuple[float, float]:
    """Mean ``(dx, dy)`` of (M, 2) offsets (0, 0 when there are none)."""
    return (0.0, 0.0) if len(offsets) == 0 else tuple(float(v) for v in np.asarray(offsets).mean(0))


def median_log_ratio(ratios: np.ndarray) -> Tuple[float, float]:
    """Median ``(log w ratio, log h ratio)`` of (M, 2) :func:`box_size_log_ratios` (0, 0 when there are none)."""
    return (0.0, 0.0) if len(ratios) == 0 else tuple(float(v) for v in np.median(np.asarray(ratios), axis=0))
