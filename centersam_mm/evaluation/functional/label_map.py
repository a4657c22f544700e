"""Instance masks → label map (numpy only); shared by the metric and the inference exports."""
import numpy as np


def instances_to_label_map(masks: np.ndarray, scores: np.ndarray, score_thr: float = 0.0,
                           min_area: int = 0) -> np.ndarray:
    """Paint instance masks into one label map, the highest-scoring mask winning each pixel.

    Args:
        masks: (N, H, W) boolean (or 0/1) masks at the label map's resolution.
        scores: (N,) confidence of each mask.
        score_thr: masks with ``score < score_thr`` are dropped.
        min_area: instances whose *visible* area (pixels left to them after every higher-scoring mask took
            its pixels) is below ``min_area`` are dropped and their pixels become background. Instances
            left with no pixel at all are always dropped.

    Returns:
        (H, W) int32 label map, 0 = background, ids 1..K in descending score order (1 = highest score kept);
        equal scores keep the input order (the earlier mask ranks higher).
    """
    masks = np.asarray(masks)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if masks.ndim != 3 or masks.shape[0] != scores.size:
        raise ValueError(f'expected masks (N, H, W) and scores (N,), got {masks.shape} and {scores.shape}')
    kept = np.flatnonzero(scores >= score_thr)
    by_score = kept[np.argsort(-scores[kept], kind='stable')]
    label = np.zeros(masks.shape[1:], np.int32)
    for rank in range(by_score.size - 1, -1, -1):  # lowest score first: higher scores overwrite
        label[masks[by_score[rank]].astype(bool, copy=False)] = rank + 1
    visible_area = np.bincount(label.ravel(), minlength=by_score.size + 1)[1:]
    survives = visible_area >= max(min_area, 1)
    new_id = np.zeros(by_score.size + 1, np.int32)
    new_id[1:][survives] = np.arange(1, np.count_nonzero(survives) + 1, dtype=np.int32)
    return new_id[label]
