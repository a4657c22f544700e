"""Detection precision / recall / F1 at box IoU >= 0.5, counting every nucleus of every image.

COCO AP caps detections per image; a dense nucleus image holds hundreds. This metric matches
predicted and ground-truth boxes one-to-one (Hungarian on box IoU, pairs below ``iou_thr`` are
not matches) and pools TP / FP / FN over the dataset, at every score threshold of ``score_thrs``,
so the threshold can be chosen on the validation split.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..functional.box_matching import box_iou_matrix, count_box_matches  # noqa: F401  (re-exported)


def f1_from_counts(tp: int, fp: int, fn: int) -> Dict[str, float]:
    """Precision, recall and F1 from pooled counts (empty both sides counts as perfect)."""
    precision = tp / (tp + fp) if tp + fp else float(fn == 0)
    recall = tp / (tp + fn) if tp + fn else float(fp == 0)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return dict(precision=precision, recall=recall, f1=f1)


@METRICS.register_module()
class BoxF1Metric(BaseMetric):
    """Pooled box precision, recall and F1 at ``iou_thr`` for a grid of score thresholds.

    Args:
        iou_thr (float): box IoU for a match (0.5).
        score_thr (float): the threshold whose figures are reported as ``precision``,
            ``recall`` and ``f1``.
        score_thrs (sequence of float): thresholds also scanned; ``best_f1`` and
            ``best_score_thr`` report the best of them (use on the validation split only).
    """

    default_prefix: Optional[str] = 'box'

    def __init__(self, iou_thr: float = 0.5, score_thr: float = 0.1,
                 score_thrs: Sequence[float] = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6),
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thr = iou_thr
        self.score_thrs = sorted(set(score_thrs) | {score_thr})
        self.score_thr = score_thr

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count TP / FP / FN of each image at each score threshold."""
        for sample in data_samples:
            gt_boxes = sample['gt_instances']['bboxes']
            gt_boxes = np.asarray(gt_boxes.cpu() if hasattr(gt_boxes, 'cpu') else gt_boxes, dtype=np.float64)
            pred = sample['pred_instances']
            pred_boxes = pred['bboxes'].cpu().numpy().astype(np.float64)
            pred_scores = pred['scores'].cpu().numpy()
            counts = []
            for thr in self.score_thrs:
                kept = pred_boxes[pred_scores >= thr]
                tp = count_box_matches(gt_boxes.reshape(-1, 4), kept, self.iou_thr)
                counts.append((tp, len(kept) - tp, len(gt_boxes) - tp))
            self.results.append(np.array(counts))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Pool counts over images; report the configured threshold and the best one."""
        pooled = np.sum(results, axis=0)  # (num_thresholds, 3): tp, fp, fn
        per_thr = [f1_from_counts(*map(int, row)) for row in pooled]
        best = int(np.argmax([m['f1'] for m in per_thr]))
        chosen = per_thr[self.score_thrs.index(self.score_thr)]
        logger = MMLogger.get_current_instance()
        lines = [f'thr {t:.2f}: P {m["precision"]:.4f} R {m["recall"]:.4f} F1 {m["f1"]:.4f}'
                 for t, m in zip(self.score_thrs, per_thr)]
        logger.info('box matching at IoU >= %.2f\n%s', self.iou_thr, '\n'.join(lines))
        return dict(**chosen, best_f1=per_thr[best]['f1'], best_score_thr=self.score_thrs[best],
                    num_gt=int(pooled[0, 0] + pooled[0, 2]))
