"""Best ground-truth IoU of each of a set of (possibly overlapping) masks (numpy only)."""
import numpy as np


def best_gt_iou(masks: np.ndarray, gt_label: np.ndarray) -> np.ndarray:
    """(N,) float: each mask's largest IoU with one ground-truth nucleus (0 if it touches none).

    Unlike the label-map metrics, the N masks may overlap each other (candidates before any selection).
    Args: masks (N, H, W) bool; gt_label (H, W) int label map, 0 = background.
    """
    masks = np.asarray(masks, dtype=bool)
    gt_label = np.asarray(gt_label)
    if masks.shape[1:] != gt_label.shape:
        raise ValueError(f'masks {masks.shape[1:]} and gt_label {gt_label.shape} differ in size')
    gt_area = np.bincount(gt_label.ravel())
    best = np.zeros(len(masks))
    for i, mask in enumerate(masks):
        ids, inter = np.unique(gt_label[mask], return_counts=True)
        ids, inter = ids[ids > 0], inter[ids > 0]
        if len(ids):
            best[i] = (inter / (mask.sum() + gt_area[ids] - inter)).max()
    return best
