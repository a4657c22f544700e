"""Tests of centersam_mm.evaluation.functional.instance_metrics.

Hand-computed cases for every key, edge cases (empty, non-consecutive ids, relabelling), and the acceptance
check: every key equals a slow loop-based implementation written below from the definitions, to 1e-9, on
real DSB / MoNuSeg label maps with eroded, dilated, shifted, merged, split and dropped nuclei.
"""
import importlib
from typing import Callable, Dict, List, Tuple

import numpy as np
import pytest
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from centersam_mm.evaluation.functional import (COUNT_KEYS, DSB_THRESHOLDS, RATE_KEYS, RESULT_KEYS, SUM_KEYS,
                                                aggregate, instance_metrics)

# the package re-exports the function under the module's name: fetch the module itself
metrics_module = importlib.import_module('centersam_mm.evaluation.functional.instance_metrics')

# --------------------------------------------------------------------------------------------------------------
# Slow reference: per-object boolean masks, pairwise loops over objects, dense Hungarian on the full matrix.
# --------------------------------------------------------------------------------------------------------------


def _object_masks(label: np.ndarray) -> List[np.ndarray]:
    return [label == object_id for object_id in sorted(set(label.ravel().tolist()) - {0})]


def _reference_matches(iou: np.ndarray, threshold: float) -> List[Tuple[int, int]]:
    """StarDist `matching`: Hungarian on -(IoU >= t) - IoU / (2 min(n_gt, n_pred)) over the full matrix."""
    if min(iou.shape) == 0:
        return []
    costs = -(iou >= threshold).astype(float) - iou / (2 * min(iou.shape))
    rows, cols = linear_sum_assignment(costs)
    return [(r, c) for r, c in zip(rows, cols) if iou[r, c] >= threshold]


def _score(numerator: float, denominator: float, nothing_at_all: bool) -> float:
    if nothing_at_all:
        return 1.0
    return numerator / denominator if denominator > 0 else 0.0


def reference_metrics(gt: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    """Every RATE_KEYS / COUNT_KEYS entry, computed object by object from the definitions."""
    gt_masks, pred_masks = _object_masks(gt), _object_masks(pred)
    n_gt, n_pred = len(gt_masks), len(pred_masks)
    empty = n_gt == 0 and n_pred == 0
    gt_area = [int(mask.sum()) for mask in gt_masks]
    pred_area = [int(mask.sum()) for mask in pred_masks]
    inter = np.zeros((n_gt, n_pred), np.int64)
    for i, gt_mask in enumerate(gt_masks):
        for j, pred_mask in enumerate(pred_masks):
            inter[i, j] = np.count_nonzero(gt_mask & pred_mask)
    union = np.array([[gt_area[i] + pred_area[j] - inter[i, j] for j in range(n_pred)] for i in range(n_gt)],
                     dtype=np.int64).reshape(n_gt, n_pred)
    iou = inter / np.maximum(union, 1)
    out: Dict[str, float] = {}
    # IoU >= 0.5 matching, F1, PQ
    matches = _reference_matches(iou, 0.5)
    tp, fp, fn = len(matches), n_pred - len(matches), n_gt - len(matches)
    iou_sum = sum(iou[r, c] for r, c in matches)
    out.update(tp_05=tp, fp_05=fp, fn_05=fn, f1_05=_score(2 * tp, 2 * tp + fp + fn, empty),
               precision_05=_score(tp, tp + fp, empty), recall_05=_score(tp, tp + fn, empty))
    out['sq'] = out['mean_matched_iou'] = _score(iou_sum, tp, empty)
    out['dq'] = _score(tp, tp + fp / 2 + fn / 2, empty)
    out['pq'] = out['sq'] * out['dq']
    # AJI (Kumar): each GT takes its best-IoU prediction (ties: larger intersection, then lower id)
    aji_c, aji_u, used = 0, 0, set()
    for i in range(n_gt):
        best = max(range(n_pred), key=lambda j: (iou[i, j], inter[i, j], -j), default=None)
        if best is None or inter[i, best] == 0:
            aji_u += gt_area[i]
            continue
        aji_c, aji_u = aji_c + inter[i, best], aji_u + union[i, best]
        used.add(best)
    aji_u += sum(pred_area[j] for j in range(n_pred) if j not in used)
    out['aji'] = _score(aji_c, aji_u, empty)
    # AJI+: Hungarian on IoU over the full matrix, pairs with IoU > 0 kept
    rows, cols = linear_sum_assignment(iou, maximize=True) if min(n_gt, n_pred) else ([], [])
    pairs = [(r, c) for r, c in zip(rows, cols) if iou[r, c] > 0]
    plus_c = sum(inter[r, c] for r, c in pairs)
    plus_u = (sum(union[r, c] for r, c in pairs) + sum(gt_area[i] for i in set(range(n_gt)) - {r for r, _ in pairs})
              + sum(pred_area[j] for j in set(range(n_pred)) - {c for _, c in pairs}))
    out['aji_plus'] = _score(plus_c, plus_u, empty)
    # SEG (CTC): R matched by S iff |R∩S| > 0.5 |R|
    jaccard = [max([iou[i, j] for j in range(n_pred) if 2 * inter[i, j] > gt_area[i]], default=0.0)
               for i in range(n_gt)]
    out['seg'] = _score(sum(jaccard), n_gt, empty)
    # DSB 2018
    per_threshold = []
    for threshold in DSB_THRESHOLDS:
        tp_t = len(_reference_matches(iou, threshold))
        per_threshold.append(_score(tp_t, tp_t + (n_pred - tp_t) + (n_gt - tp_t), empty))
    out['dsb_map'] = float(np.mean(per_threshold))
    # foreground pixels
    fg_i = np.count_nonzero((gt > 0) & (pred > 0))
    fg_g, fg_p = np.count_nonzero(gt > 0), np.count_nonzero(pred > 0)
    out['pixel_dice'] = _score(2 * fg_i, fg_g + fg_p, empty)
    out['pixel_iou'] = _score(fg_i, fg_g + fg_p - fg_i, empty)
    return out


def greedy_f1_pq(gt: np.ndarray, pred: np.ndarray) -> Tuple[float, float]:
    """F1 and PQ at IoU >= 0.5 from a greedy match over per-object pixel loops.

    Exact: two predictions can reach IoU >= 0.5 with one GT only if each is exactly half of it (and then
    neither touches another GT), so any greedy order finds a maximum matching with the same IoU sum.
    """
    gt_masks, pred_masks = _object_masks(gt), _object_masks(pred)
    taken, iou_sum = set(), 0.0
    for gt_mask in gt_masks:
        for j, pred_mask in enumerate(pred_masks):
            overlap = np.count_nonzero(gt_mask & pred_mask)
            iou = overlap / np.count_nonzero(gt_mask | pred_mask)
            if j not in taken and overlap and iou >= 0.5:
                taken.add(j)
                iou_sum += iou
                break
    tp, fp, fn = len(taken), len(pred_masks) - len(taken), len(gt_masks) - len(taken)
    f1 = 2 * tp / (2 * tp + fp + fn)
    pq = iou_sum / (tp + fp / 2 + fn / 2)
    return f1, pq


# --------------------------------------------------------------------------------------------------------------
# Perturbations of a GT label map (scipy.ndimage), producing realistic predictions.
# --------------------------------------------------------------------------------------------------------------


def erode(label: np.ndarray) -> np.ndarray:
    """Every object loses its boundary pixels (3x3), also where it touches another object."""
    same = (ndimage.minimum_filter(label, 3) == label) & (ndimage.maximum_filter(label, 3) == label)
    return np.where(same, label, 0)


def dilate(label: np.ndarray, steps: int = 2) -> np.ndarray:
    """Objects grow into background by ``steps`` pixels (higher id wins contested pixels)."""
    for _ in range(steps):
        label = np.where(label == 0, ndimage.maximum_filter(label, 3), label)
    return label


def shift(label: np.ndarray) -> np.ndarray:
    """Whole map moved by (2, 1) pixels: a spread of IoUs around the thresholds."""
    return np.roll(label, (2, 1), axis=(0, 1))


def merge(label: np.ndarray) -> np.ndarray:
    """Every pair of horizontally touching objects (up to 5) merged into the lower id."""
    left, right = label[:, :-1], label[:, 1:]
    touching = (left > 0) & (right > 0) & (left != right)
    pairs = sorted({(min(a, b), max(a, b)) for a, b in zip(left[touching], right[touching])})[:5]
    merged = label.copy()
    for low, high in pairs:
        merged[merged == high] = low
    return merged


def split(label: np.ndarray) -> np.ndarray:
    """Every third object cut into two at its centroid column (right part gets a new id)."""
    out = label.copy()
    next_id = int(label.max()) + 1
    for object_id in sorted(set(label.ravel().tolist()) - {0})[::3]:
        rows, cols = np.nonzero(label == object_id)
        right = cols > cols.mean()
        out[rows[right], cols[right]] = next_id
        next_id += 1
    return out


def drop(label: np.ndarray) -> np.ndarray:
    """Every fourth object removed."""
    ids = sorted(set(label.ravel().tolist()) - {0})
    return np.where(np.isin(label, ids[1::4]), 0, label)


def add_false_positives(label: np.ndarray) -> np.ndarray:
    """Four 5x5 squares painted over whatever is there (ids above the current maximum)."""
    out = label.copy()
    for k, (row, col) in enumerate([(3, 3), (40, 200), (120, 17), (230, 230)]):
        out[row:row + 5, col:col + 5] = int(label.max()) + 1 + k
    return out


def relabel(label: np.ndarray, seed: int = 0) -> np.ndarray:
    """Ids replaced by random, distinct, non-consecutive ids (uint32 up to ~4e9)."""
    ids = np.array(sorted(set(label.ravel().tolist()) - {0}))
    rng = np.random.default_rng(seed)
    new_ids = rng.choice(np.arange(1, 4_000_000_000, 7919, dtype=np.int64), ids.size, replace=False)
    lookup = dict(zip(ids.tolist(), new_ids.tolist()))
    return np.vectorize(lambda v: lookup.get(v, 0), otypes=[np.uint32])(label)


def combined(label: np.ndarray) -> np.ndarray:
    return relabel(add_false_positives(drop(split(merge(dilate(erode(shift(label))))))), seed=1)


PERTURBATIONS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    'identity': lambda label: label, 'erode': erode, 'dilate': dilate, 'shift': shift, 'merge': merge,
    'split': split, 'drop': drop, 'false_positives': add_false_positives, 'combined': combined,
}


def assert_matches_reference(gt: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    result = instance_metrics(gt, pred)
    expected = reference_metrics(gt, pred)
    for key in RATE_KEYS + COUNT_KEYS:
        assert result[key] == pytest.approx(expected[key], abs=1e-9, rel=0), key
    return result


# --------------------------------------------------------------------------------------------------------------
# Hand-computed cases
# --------------------------------------------------------------------------------------------------------------


def _canvas() -> np.ndarray:
    return np.zeros((12, 12), np.int32)


def test_hand_computed_partial_match_and_false_positive():
    gt, pred = _canvas(), _canvas()
    gt[1:4, 1:4] = 1  # G1: 3x3 = 9 px
    gt[5:9, 5:9] = 7  # G7: 4x4 = 16 px
    pred[1:4, 1:3] = 3  # P3: 3x2 = 6 px inside G1 -> IoU 6/9 = 2/3
    pred[5:9, 5:9] = 2  # P2: equal to G7 -> IoU 1
    pred[11, 11] = 9  # P9: 1 px on background
    r = instance_metrics(gt, pred)
    # matches at IoU >= 0.5: (G1,P3), (G7,P2): TP 2, FP 1 (P9), FN 0
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (2, 1, 0)
    assert r['precision_05'] == pytest.approx(2 / 3)  # 2 / (2 + 1)
    assert r['recall_05'] == 1.0  # 2 / (2 + 0)
    assert r['f1_05'] == pytest.approx(0.8)  # 2*2 / (2*2 + 1 + 0) = 4/5
    assert r['mean_matched_iou'] == r['sq'] == pytest.approx(5 / 6)  # (2/3 + 1) / 2
    assert r['dq'] == pytest.approx(0.8)  # 2 / (2 + 1/2 + 0)
    assert r['pq'] == pytest.approx(2 / 3)  # 5/6 * 4/5
    # AJI: C = 6 + 16 = 22; U = 9 + 16 + 1 (P9 never chosen) = 26
    assert r['aji'] == pytest.approx(22 / 26)
    assert r['aji_plus'] == pytest.approx(22 / 26)  # same pairs; P9 unpaired adds 1
    # SEG: |G1∩P3| = 6 > 4.5 -> J 2/3; G7 -> J 1; mean over 2 GT
    assert r['seg'] == pytest.approx(5 / 6)
    # DSB: IoU 2/3 passes t = 0.50..0.65 (4 thresholds): 2/(2+1+0); t = 0.70..0.95 (6): 1/(1+2+1)
    assert r['dsb_map'] == pytest.approx((4 * 2 / 3 + 6 * 1 / 4) / 10)
    # pixels: |G| = 25, |P| = 23, |G∩P| = 22
    assert r['pixel_dice'] == pytest.approx(44 / 48)
    assert r['pixel_iou'] == pytest.approx(22 / 26)
    assert (r['aji_intersection'], r['aji_union'], r['n_gt'], r['n_pred']) == (22, 26, 2, 3)


def test_hand_computed_merged_nuclei_separate_aji_from_aji_plus():
    gt, pred = _canvas(), _canvas()
    gt[0:4, 0:4] = 1  # G1: 16 px
    gt[0:2, 4:6] = 2  # G2: 4 px, touching G1
    pred[gt > 0] = 5  # one prediction covering both: 20 px
    r = instance_metrics(gt, pred)
    # IoU(G1,P) = 16/20 = 0.8, IoU(G2,P) = 4/20 = 0.2: TP 1, FP 0, FN 1
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (1, 0, 1)
    assert r['f1_05'] == pytest.approx(2 / 3)  # 2 / (2 + 0 + 1)
    assert (r['precision_05'], r['recall_05']) == (1.0, 0.5)
    assert r['sq'] == pytest.approx(0.8)
    assert r['dq'] == pytest.approx(2 / 3)  # 1 / (1 + 0 + 1/2)
    assert r['pq'] == pytest.approx(0.8 * 2 / 3)
    # AJI: both GT take P (reuse allowed): C = 16 + 4 = 20, U = 20 + 20 = 40
    assert r['aji'] == pytest.approx(0.5)
    # AJI+: P paired with G1 only: C = 16, U = 20 + |G2| = 24
    assert r['aji_plus'] == pytest.approx(16 / 24)
    # SEG: G1: 16 > 8 -> J 0.8; G2: 4 > 2 -> J 4/20 = 0.2 (one S may match several R); mean 0.5
    assert r['seg'] == pytest.approx(0.5)
    # DSB: IoU 0.8 passes t = 0.50..0.80 (7 thresholds): 1/(1+0+1); t = 0.85..0.95: 0/(0+1+2)
    assert r['dsb_map'] == pytest.approx(7 * 0.5 / 10)
    assert r['pixel_dice'] == r['pixel_iou'] == 1.0  # same foreground


def test_hand_computed_split_nucleus_iou_exactly_half():
    gt, pred = _canvas(), _canvas()
    gt[0:4, 0:4] = 1  # G: 16 px
    pred[0:4, 0:2], pred[0:4, 2:4] = 1, 2  # two halves of 8 px: IoU 8/16 = 0.5 each
    r = instance_metrics(gt, pred)
    # one-to-one at IoU >= 0.5: one half matched, TP 1, FP 1, FN 0
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (1, 1, 0)
    assert r['f1_05'] == pytest.approx(2 / 3)  # 2 / (2 + 1)
    assert (r['precision_05'], r['recall_05']) == (0.5, 1.0)
    assert r['sq'] == r['mean_matched_iou'] == 0.5
    assert r['pq'] == pytest.approx(0.5 * 2 / 3)
    # AJI and AJI+: one half paired (C = 8, U = 16), the other adds 8: 8/24
    assert r['aji'] == pytest.approx(1 / 3)
    assert r['aji_plus'] == pytest.approx(1 / 3)
    # SEG: 8 > 0.5*16 is false -> no match, SEG 0
    assert r['seg'] == 0.0
    # DSB: t = 0.5: 1/(1+1+0); every other t: 0
    assert r['dsb_map'] == pytest.approx(0.05)


def test_perfect_prediction_scores_one():
    gt = _canvas()
    gt[1:5, 1:5], gt[6:10, 2:9] = 3, 8
    r = instance_metrics(gt, np.where(gt == 3, 40, np.where(gt == 8, 12, 0)))
    assert all(r[key] == 1.0 for key in RATE_KEYS), {key: r[key] for key in RATE_KEYS}
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (2, 0, 0)


@pytest.mark.parametrize('gt_objects, pred_objects, expected', [(False, False, 1.0), (True, False, 0.0),
                                                                  (False, True, 0.0)])
def test_empty_images(gt_objects: bool, pred_objects: bool, expected: float):
    gt, pred = _canvas(), _canvas()
    gt[2:5, 2:5] = 1 if gt_objects else 0
    pred[6:9, 6:9] = 4 if pred_objects else 0
    r = instance_metrics(gt, pred)
    assert {key: r[key] for key in RATE_KEYS} == {key: expected for key in RATE_KEYS}
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (0, int(pred_objects), int(gt_objects))


def test_non_consecutive_and_huge_ids_give_the_same_result():
    gt, pred = _canvas(), _canvas()
    gt[0:4, 0:4], gt[5:9, 5:9] = 1, 2
    pred[0:4, 0:3], pred[5:9, 6:9], pred[10:12, 10:12] = 1, 2, 3
    base = instance_metrics(gt, pred)
    for gt_ids, pred_ids, dtype in [((5, 65535), (1000, 7, 300), np.uint16),
                                    ((4_000_000_000, 3), (2**31, 1, 99), np.uint32),
                                    ((2**62, 9), (2**40, 2**50, 2**33), np.int64)]:
        gt_relabelled = np.choose(gt, (0,) + gt_ids).astype(dtype)
        pred_relabelled = np.choose(pred, (0,) + pred_ids).astype(dtype)
        assert instance_metrics(gt_relabelled, pred_relabelled) == base


def test_label_maps_without_background():
    gt = np.ones((4, 4), np.int32)
    pred = np.full((4, 4), 5, np.int32)
    pred[:, 3] = 6
    r = instance_metrics(gt, pred)  # IoU(G, P5) = 12/16; P6: 4/16
    assert (r['tp_05'], r['fp_05'], r['fn_05']) == (1, 1, 0)
    assert r['aji'] == pytest.approx(12 / 20)  # C 12, U 16 + 4 (P6 unused)


def test_invalid_inputs_raise():
    with pytest.raises(ValueError, match='shape'):
        instance_metrics(np.zeros((3, 3), int), np.zeros((3, 4), int))
    with pytest.raises(ValueError, match='negative'):
        instance_metrics(np.full((3, 3), -1), np.zeros((3, 3), int))
    with pytest.raises(TypeError, match='integer'):
        instance_metrics(np.zeros((3, 3)), np.zeros((3, 3), int))


def test_result_has_exactly_the_documented_keys():
    gt = _canvas()
    gt[1:3, 1:3] = 1
    assert set(instance_metrics(gt, gt)) == set(RESULT_KEYS) == set(RATE_KEYS + COUNT_KEYS + SUM_KEYS)


# --------------------------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------------------------


def test_aggregate_mean_and_pooled_hand_computed():
    gt, pred = _canvas(), _canvas()
    gt[0:4, 0:4], gt[0:2, 4:6] = 1, 2
    pred[gt > 0] = 5  # merged case: TP 1, FP 0, FN 1, AJI 20/40, SEG sum 1.0 over 2 GT
    perfect = _canvas()
    perfect[5:8, 5:8] = 1  # perfect image: TP 1, AJI 9/9, SEG 1 over 1 GT
    summary = aggregate([instance_metrics(gt, pred), instance_metrics(perfect, perfect)])
    assert summary['n_images'] == 2
    assert (summary['tp_05'], summary['fp_05'], summary['fn_05']) == (2, 0, 1)
    assert summary['f1_05'] == pytest.approx((2 / 3 + 1) / 2)
    assert summary['f1_05_pooled'] == pytest.approx(4 / 5)  # 2*2 / (2*2 + 0 + 1)
    assert summary['aji'] == pytest.approx((0.5 + 1) / 2)
    assert summary['aji_pooled'] == pytest.approx(29 / 49)  # (20 + 9) / (40 + 9)
    assert summary['seg_pooled'] == pytest.approx(2 / 3)  # (0.8 + 0.2 + 1) / 3 GT
    assert summary['pq_pooled'] == pytest.approx(1.8 / 2.5)  # IoU sum (0.8 + 1) / (2 + 0 + 1/2)
    assert summary['pixel_dice_pooled'] == 1.0
    assert set(summary) == ({'n_images', 'n_gt', 'n_pred'} | set(COUNT_KEYS) | set(RATE_KEYS)
                            | {f'{key}_pooled' for key in RATE_KEYS})


def test_aggregate_of_one_image_pooled_equals_mean():
    gt = _canvas()
    gt[1:6, 1:6] = 1
    result = instance_metrics(gt, shift(gt))
    summary = aggregate([result])
    for key in RATE_KEYS:
        assert summary[key] == pytest.approx(summary[f'{key}_pooled'], abs=1e-12), key


def test_aggregate_empty_list_raises():
    with pytest.raises(ValueError):
        aggregate([])


# --------------------------------------------------------------------------------------------------------------
# Acceptance on real label maps
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('perturbation', sorted(PERTURBATIONS))
def test_matches_reference_on_dsb(dsb_label_maps, perturbation):
    for gt in dsb_label_maps.values():
        assert_matches_reference(gt, PERTURBATIONS[perturbation](gt))


@pytest.mark.parametrize('perturbation', sorted(PERTURBATIONS))
def test_matches_reference_on_monuseg(monuseg_label_map, perturbation):
    assert_matches_reference(monuseg_label_map, PERTURBATIONS[perturbation](monuseg_label_map))


def test_f1_and_pq_match_greedy_pixel_loops(dsb_label_maps, monuseg_label_map):
    for gt in [*dsb_label_maps.values(), monuseg_label_map]:
        for perturb in (erode, split, merge, combined):
            pred = perturb(gt)
            result = instance_metrics(gt, pred)
            f1, pq = greedy_f1_pq(gt, pred)
            assert result['f1_05'] == pytest.approx(f1, abs=1e-9)
            assert result['pq'] == pytest.approx(pq, abs=1e-9)


def test_perturbations_change_the_scores(dsb_label_maps):
    """Guards the acceptance tests against perturbations that do nothing."""
    gt = next(iter(dsb_label_maps.values()))
    for name in ('erode', 'shift', 'merge', 'split', 'drop', 'combined'):
        assert instance_metrics(gt, PERTURBATIONS[name](gt))['aji'] < 1.0, name


def test_relabelling_invariance_on_real_data(dsb_label_maps, monuseg_label_map):
    for gt in [*dsb_label_maps.values(), monuseg_label_map]:
        pred = combined(gt)
        base = instance_metrics(gt, pred)
        moved = instance_metrics(relabel(gt, seed=5), relabel(pred, seed=6))
        for key in RESULT_KEYS:
            assert moved[key] == pytest.approx(base[key], abs=1e-9), key


def test_sparse_contingency_path_equals_dense(monkeypatch, monuseg_label_map):
    pred = combined(monuseg_label_map)
    dense = instance_metrics(monuseg_label_map, pred)
    monkeypatch.setattr(metrics_module, '_DENSE_TABLE_MAX_CELLS', 0)
    assert instance_metrics(monuseg_label_map, pred) == pytest.approx(dense, abs=1e-12)


def test_centroid_offsets_of_shifted_discs_by_hand():
    """Two discs; the prediction moves the first 1 px right and the second 1 px up: offsets (+1, 0) and (0, -1)."""
    from centersam_mm.evaluation.functional import centroid_offsets, mean_offset
    rows, cols = np.mgrid[:40, :60]
    gt = np.zeros((40, 60), np.int32)
    pred = np.zeros_like(gt)
    gt[(rows - 10) ** 2 + (cols - 12) ** 2 < 36] = 1
    gt[(rows - 25) ** 2 + (cols - 40) ** 2 < 49] = 2
    pred[(rows - 10) ** 2 + (cols - 13) ** 2 < 36] = 7
    pred[(rows - 24) ** 2 + (cols - 40) ** 2 < 49] = 3
    offsets = centroid_offsets(gt, pred)
    assert sorted(map(tuple, np.round(offsets, 6))) == [(0.0, -1.0), (1.0, 0.0)]
    assert mean_offset(offsets) == pytest.approx((0.5, -0.5))
    assert centroid_offsets(gt, np.zeros_like(gt)).shape == (0, 2)
