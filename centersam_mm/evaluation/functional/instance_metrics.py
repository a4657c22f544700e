"""Nucleus instance-segmentation metrics on integer label maps (numpy/scipy only).

Both inputs are 2-D integer label maps of equal shape: 0 is background, every other value is one object
(ids arbitrary, not necessarily consecutive; an id's pixels need not be connected). All overlaps come from
one contingency table of the two maps (a ``bincount`` of combined ids), so the cost is O(pixels + overlapping
pairs), never O(objects x pixels).

Definitions (areas in pixels, IoU = |G∩P| / |G∪P| computed as float64):

``tp_05, fp_05, fn_05, precision_05, recall_05, f1_05``
    One-to-one matching of GT and predicted objects with IoU >= 0.5, maximising the number of matches
    (Hungarian, ties broken by IoU, as StarDist's ``matching``). ``f1_05`` = 2TP / (2TP + FP + FN)
    is the paper's "DSC".
``mean_matched_iou``
    Mean IoU of the IoU >= 0.5 matches (the authors' "SEG"). Equal to ``sq`` by definition.
``pq, sq, dq``
    Panoptic quality at IoU >= 0.5: sq = mean matched IoU, dq = TP / (TP + FP/2 + FN/2), pq = sq * dq.
``aji``
    Kumar et al. 2017: every GT takes the prediction of highest IoU with it (a prediction may be taken by
    several GT; ties: larger intersection, then lower pred id); C += |G∩P|, U += |G∪P| (a GT without any
    overlapping prediction adds |G| to U); each prediction never taken adds its area to U. AJI = C / U.
``aji_plus``
    Graham et al. 2019 (HoVer-Net): unique pairing maximising the sum of IoU (Hungarian) over overlapping
    pairs; paired objects add |G∩P| to C and |G∪P| to U, every unpaired GT and prediction adds its area to U.
``seg``
    Cell Tracking Challenge SEG: GT R matches prediction S iff |R∩S| > 0.5·|R| (at most one S per R);
    score = mean over all GT of Jaccard(R, S), unmatched GT scoring 0.
``dsb_map``
    2018 Data Science Bowl: mean over t in 0.50, 0.55, ..., 0.95 of TP_t / (TP_t + FP_t + FN_t), with the
    one-to-one matching above at IoU >= t.
``pixel_dice, pixel_iou``
    Foreground (label > 0) Dice 2|G∩P| / (|G| + |P|) and IoU |G∩P| / |G∪P| (the "DSC" and "mIoU" of
    semantic-segmentation papers).

Empty cases: if an image has neither GT nor predicted objects every score is 1.0; if exactly one side is
empty every score is 0.0. A score whose denominator is 0 in any other case (e.g. precision with TP = 0 and
FP = 0) is 0.0.

Per-image results also carry the raw counts and sums needed to pool over a dataset (see ``SUM_KEYS``);
``aggregate`` returns both the mean over images (``<metric>``) and the pooled value (``<metric>_pooled``).
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: IoU thresholds of the 2018 DSB score.
DSB_THRESHOLDS: Tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
#: Per-image scores in [0, 1]; ``aggregate`` averages them and pools them.
RATE_KEYS: Tuple[str, ...] = ('f1_05', 'precision_05', 'recall_05', 'mean_matched_iou', 'pq', 'sq', 'dq',
                              'aji', 'aji_plus', 'seg', 'dsb_map', 'pixel_dice', 'pixel_iou')
#: Object counts of the IoU >= 0.5 matching; ``aggregate`` sums them.
COUNT_KEYS: Tuple[str, ...] = ('tp_05', 'fp_05', 'fn_05')


def _threshold_tag(threshold: float) -> str:
    """'050' for 0.5, '095' for 0.95 (used in key names)."""
    return f'{round(threshold * 100):03d}'


#: Raw sums for pooling: object counts, matched IoU sum, AJI/AJI+ intersection and union (pixels), SEG
#: Jaccard sum, foreground areas (pixels) and, per DSB threshold, TP/FP/FN (``dsb_tp_050`` ...).
SUM_KEYS: Tuple[str, ...] = (
    'n_gt', 'n_pred', 'matched_iou_sum_05', 'aji_intersection', 'aji_union', 'aji_plus_intersection',
    'aji_plus_union', 'seg_jaccard_sum', 'fg_intersection', 'gt_fg_area', 'pred_fg_area') + tuple(
        f'dsb_{kind}_{_threshold_tag(t)}' for t in DSB_THRESHOLDS for kind in ('tp', 'fp', 'fn'))
#: Every key of an ``instance_metrics`` result, in CSV column order.
RESULT_KEYS: Tuple[str, ...] = RATE_KEYS + COUNT_KEYS + SUM_KEYS

# Above this many cells the contingency table is built sparsely (np.unique) instead of densely (bincount).
_DENSE_TABLE_MAX_CELLS = 1 << 22


@dataclass(frozen=True)
class LabelOverlaps:
    """Sparse contingency table of two label maps.

    Objects are indexed 0..n-1 in increasing order of their original ids.
    ``gt_area`` (n_gt,) and ``pred_area`` (n_pred,) are object areas in pixels; ``gt_index``, ``pred_index``
    and ``intersection`` (E,) list every (GT, prediction) pair sharing at least one pixel and its shared area.
    """
    gt_area: np.ndarray
    pred_area: np.ndarray
    gt_index: np.ndarray
    pred_index: np.ndarray
    intersection: np.ndarray

    @property
    def union(self) -> np.ndarray:
        """(E,) union area in pixels of every overlapping pair."""
        return self.gt_area[self.gt_index] + self.pred_area[self.pred_index] - self.intersection

    @property
    def iou(self) -> np.ndarray:
        """(E,) float64 IoU of every overlapping pair."""
        return self.intersection / self.union


def _compact_labels(label: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Map a label map's ids to 0..n (0 stays background), in increasing id order.

    Returns the flattened compact labels (H*W,) int64 and the object areas (n,) int64 in pixels.
    """
    flat = label.ravel()
    if flat.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if flat.min() < 0:
        raise ValueError('label maps must not contain negative ids')
    max_id = int(flat.max())
    if max_id <= 4 * flat.size + 65536:  # small ids: lookup table, linear time
        counts = np.bincount(flat.astype(np.intp, copy=False), minlength=1)
        ids = np.flatnonzero(counts[1:]) + 1
        lookup = np.zeros(max_id + 1, np.int64)
        lookup[ids] = np.arange(1, ids.size + 1)
        return lookup[flat], counts[ids].astype(np.int64)
    ids, compact, counts = np.unique(flat, return_inverse=True, return_counts=True)
    compact = compact.astype(np.int64).ravel()
    if ids[0] != 0:  # no background pixel: shift so that object ids start at 1
        return compact + 1, counts.astype(np.int64)
    return compact, counts[1:].astype(np.int64)


def label_overlaps(gt_label: np.ndarray, pred_label: np.ndarray) -> LabelOverlaps:
    """Contingency table of two integer label maps of equal shape (H, W), from one count of combined ids."""
    if gt_label.shape != pred_label.shape:
        raise ValueError(f'label maps differ in shape: gt {gt_label.shape} vs pred {pred_label.shape}')
    for name, label in (('gt', gt_label), ('pred', pred_label)):
        if not (np.issubdtype(label.dtype, np.integer) or label.dtype == bool):
            raise TypeError(f'{name} label map must be an integer array, got {label.dtype}')
    gt_compact, gt_area = _compact_labels(gt_label)
    pred_compact, pred_area = _compact_labels(pred_label)
    n_cols = pred_area.size + 1
    combined = gt_compact * n_cols + pred_compact
    n_cells = (gt_area.size + 1) * n_cols
    if n_cells <= _DENSE_TABLE_MAX_CELLS:
        table = np.bincount(combined, minlength=n_cells).reshape(-1, n_cols)[1:, 1:]
        gt_index, pred_index = np.nonzero(table)
        intersection = table[gt_index, pred_index]
    else:
        cells, intersection = np.unique(combined, return_counts=True)
        gt_index, pred_index = np.divmod(cells, n_cols)
        both = (gt_index > 0) & (pred_index > 0)
        gt_index, pred_index, intersection = gt_index[both] - 1, pred_index[both] - 1, intersection[both]
    return LabelOverlaps(gt_area, pred_area, gt_index.astype(np.int64), pred_index.astype(np.int64),
                         intersection.astype(np.int64))


def _match_dense(edges: np.ndarray, gt_index: np.ndarray, pred_index: np.ndarray,
                 weight: np.ndarray) -> np.ndarray:
    """Hungarian matching (maximum total weight) of one connected group of edges; returns chosen edge ids."""
    rows, row_of_edge = np.unique(gt_index[edges], return_inverse=True)
    cols, col_of_edge = np.unique(pred_index[edges], return_inverse=True)
    weights = np.zeros((rows.size, cols.size))
    weights[row_of_edge, col_of_edge] = weight[edges]
    edge_at = np.full((rows.size, cols.size), -1, np.int64)
    edge_at[row_of_edge, col_of_edge] = edges
    row_choice, col_choice = linear_sum_assignment(weights, maximize=True)
    chosen = edge_at[row_choice, col_choice]
    return chosen[chosen >= 0]


def unique_matching(gt_index: np.ndarray, pred_index: np.ndarray, weight: np.ndarray, n_gt: int,
                    n_pred: int) -> np.ndarray:
    """One-to-one matching of maximum total ``weight`` (> 0) on a sparse bipartite graph.

    ``gt_index``, ``pred_index``, ``weight``: (E,) edges. Edges whose two ends have no other edge are taken
    directly; the rest is solved by ``linear_sum_assignment`` per connected component (the optimum of the
    whole graph is the union of the components' optima). Returns the sorted indices of the chosen edges.
    """
    if gt_index.size == 0:
        return np.zeros(0, np.int64)
    gt_degree = np.bincount(gt_index, minlength=n_gt)
    pred_degree = np.bincount(pred_index, minlength=n_pred)
    isolated = (gt_degree[gt_index] == 1) & (pred_degree[pred_index] == 1)
    chosen = [np.flatnonzero(isolated)]
    shared = np.flatnonzero(~isolated)
    if shared.size:
        nodes = (gt_index[shared], n_gt + pred_index[shared])
        graph = coo_matrix((np.ones(shared.size), nodes), shape=(n_gt + n_pred, n_gt + n_pred))
        _, node_component = connected_components(graph, directed=False)
        edge_component = node_component[gt_index[shared]]
        order = np.argsort(edge_component, kind='stable')
        groups = np.split(shared[order], np.flatnonzero(np.diff(edge_component[order])) + 1)
        chosen += [_match_dense(group, gt_index, pred_index, weight) for group in groups]
    return np.sort(np.concatenate(chosen))


def match_at_iou(overlaps: LabelOverlaps, threshold: float) -> np.ndarray:
    """Pairs with IoU >= ``threshold``, one-to-one, as many as possible (ties: larger IoU sum).

    StarDist's cost, -(IoU >= t) - IoU / (2 min(n_gt, n_pred)), restricted to the candidate pairs.
    Returns indices into ``overlaps``' pair arrays.
    """
    iou = overlaps.iou
    candidates = np.flatnonzero(iou >= threshold)
    n_gt, n_pred = overlaps.gt_area.size, overlaps.pred_area.size
    weight = 1.0 + iou[candidates] / (2 * max(1, min(n_gt, n_pred)))
    chosen = unique_matching(overlaps.gt_index[candidates], overlaps.pred_index[candidates], weight, n_gt,
                             n_pred)
    return candidates[chosen]


def _unpaired_area(area: np.ndarray, paired_index: np.ndarray) -> int:
    """Total area (pixels) of the objects whose index is not in ``paired_index``."""
    unpaired = np.ones(area.size, bool)
    unpaired[paired_index] = False
    return int(area[unpaired].sum())


def aji_sums(overlaps: LabelOverlaps) -> Tuple[int, int]:
    """Kumar et al. AJI's (intersection, union) in pixels; see the module docstring."""
    order = np.lexsort((overlaps.pred_index, -overlaps.intersection, -overlaps.iou, overlaps.gt_index))
    sorted_gt = overlaps.gt_index[order]
    best = order[np.r_[True, sorted_gt[1:] != sorted_gt[:-1]]] if order.size else order
    union = (int(overlaps.union[best].sum()) + _unpaired_area(overlaps.gt_area, overlaps.gt_index[best])
             + _unpaired_area(overlaps.pred_area, overlaps.pred_index[best]))
    return int(overlaps.intersection[best].sum()), union


def aji_plus_sums(overlaps: LabelOverlaps) -> Tuple[int, int]:
    """AJI+ (unique Hungarian pairing on IoU) as (intersection, union) in pixels."""
    paired = unique_matching(overlaps.gt_index, overlaps.pred_index, overlaps.iou, overlaps.gt_area.size,
                             overlaps.pred_area.size)
    union = (int(overlaps.union[paired].sum()) + _unpaired_area(overlaps.gt_area, overlaps.gt_index[paired])
             + _unpaired_area(overlaps.pred_area, overlaps.pred_index[paired]))
    return int(overlaps.intersection[paired].sum()), union


def seg_jaccard_sum(overlaps: LabelOverlaps) -> float:
    """Sum over GT objects of the CTC SEG Jaccard (matched iff |R∩S| > 0.5·|R|, else 0)."""
    matched = 2 * overlaps.intersection > overlaps.gt_area[overlaps.gt_index]
    return float(overlaps.iou[matched].sum())


def _ratio(numerator: float, denominator: float, nothing_at_all: bool) -> float:
    """numerator / denominator with the empty-case convention: 1.0 if nothing at all, 0.0 if denominator 0."""
    if nothing_at_all:
        return 1.0
    return float(numerator / denominator) if denominator > 0 else 0.0


def _scores_from_sums(sums: Mapping[str, float]) -> Dict[str, float]:
    """All ``RATE_KEYS`` from the raw counts and sums (one image, or pooled over images)."""
    tp, fp, fn = sums['tp_05'], sums['fp_05'], sums['fn_05']
    empty = sums['n_gt'] == 0 and sums['n_pred'] == 0
    sq = _ratio(sums['matched_iou_sum_05'], tp, empty)
    dq = _ratio(tp, tp + 0.5 * fp + 0.5 * fn, empty)
    dsb_per_threshold = []
    for threshold in DSB_THRESHOLDS:
        tag = _threshold_tag(threshold)
        tp_t = sums[f'dsb_tp_{tag}']
        dsb_per_threshold.append(_ratio(tp_t, tp_t + sums[f'dsb_fp_{tag}'] + sums[f'dsb_fn_{tag}'], empty))
    fg_i, fg_gt, fg_pred = sums['fg_intersection'], sums['gt_fg_area'], sums['pred_fg_area']
    return {
        'f1_05': _ratio(2 * tp, 2 * tp + fp + fn, empty),
        'precision_05': _ratio(tp, tp + fp, empty),
        'recall_05': _ratio(tp, tp + fn, empty),
        'mean_matched_iou': sq,
        'pq': sq * dq,
        'sq': sq,
        'dq': dq,
        'aji': _ratio(sums['aji_intersection'], sums['aji_union'], empty),
        'aji_plus': _ratio(sums['aji_plus_intersection'], sums['aji_plus_union'], empty),
        'seg': _ratio(sums['seg_jaccard_sum'], sums['n_gt'], empty),
        'dsb_map': float(np.mean(dsb_per_threshold)),
        'pixel_dice': _ratio(2 * fg_i, fg_gt + fg_pred, empty),
        'pixel_iou': _ratio(fg_i, fg_gt + fg_pred - fg_i, empty),
    }


def _raw_sums(overlaps: LabelOverlaps) -> Dict[str, float]:
    """Every ``COUNT_KEYS`` and ``SUM_KEYS`` entry of one image."""
    n_gt, n_pred = overlaps.gt_area.size, overlaps.pred_area.size
    iou = overlaps.iou
    sums: Dict[str, float] = {'n_gt': n_gt, 'n_pred': n_pred}
    for threshold in DSB_THRESHOLDS:
        matched = match_at_iou(overlaps, threshold)
        tag = _threshold_tag(threshold)
        sums.update({f'dsb_tp_{tag}': matched.size, f'dsb_fp_{tag}': n_pred - matched.size,
                     f'dsb_fn_{tag}': n_gt - matched.size})
        if threshold == 0.5:
            sums['matched_iou_sum_05'] = float(iou[matched].sum())
    sums.update(tp_05=sums['dsb_tp_050'], fp_05=sums['dsb_fp_050'], fn_05=sums['dsb_fn_050'])
    sums['aji_intersection'], sums['aji_union'] = aji_sums(overlaps)
    sums['aji_plus_intersection'], sums['aji_plus_union'] = aji_plus_sums(overlaps)
    sums['seg_jaccard_sum'] = seg_jaccard_sum(overlaps)
    sums.update(fg_intersection=int(overlaps.intersection.sum()), gt_fg_area=int(overlaps.gt_area.sum()),
                pred_fg_area=int(overlaps.pred_area.sum()))
    return sums


def instance_metrics(gt_label: np.ndarray, pred_label: np.ndarray) -> Dict[str, float]:
    """Score a predicted label map against a GT label map.

    Args:
        gt_label: (H, W) integer array, 0 = background, any other value = one object.
        pred_label: (H, W) integer array, same convention.

    Returns:
        dict with every key of ``RESULT_KEYS``: the scores ``RATE_KEYS`` (floats in [0, 1]), the IoU >= 0.5
        counts ``COUNT_KEYS`` and the raw sums ``SUM_KEYS`` used by ``aggregate`` (areas in pixels).
    """
    sums = _raw_sums(label_overlaps(np.asarray(gt_label), np.asarray(pred_label)))
    return {**_scores_from_sums(sums), **sums}


def aggregate(results: Sequence[Mapping[str, float]]) -> Dict[str, float]:
    """Dataset scores from per-image ``instance_metrics`` results.

    Returns ``<metric>`` (mean over images) and ``<metric>_pooled`` (from counts and sums over all images:
    TP/FP/FN summed, AJI intersections and unions summed, SEG over all GT objects, ...) for every
    ``RATE_KEYS`` entry, the totals of ``COUNT_KEYS`` plus ``n_gt`` and ``n_pred``, and ``n_images``.
    """
    if not results:
        raise ValueError('aggregate needs at least one per-image result')
    totals = {key: sum(result[key] for result in results) for key in COUNT_KEYS + SUM_KEYS}
    pooled = _scores_from_sums(totals)
    summary: Dict[str, float] = {}
    for key in RATE_KEYS:
        summary[key] = float(np.mean([result[key] for result in results]))
        summary[f'{key}_pooled'] = pooled[key]
    summary.update({key: totals[key] for key in COUNT_KEYS + ('n_gt', 'n_pred')})
    summary['n_images'] = len(results)
    return summary

