"""Run a CenterSAM config over one annotated split and keep every candidate: shared by the threshold sweep and
the candidate dump (tools/analysis_tools/sweep_thresholds.py, dump_candidates.py)."""
from typing import Any, Iterator, Optional

import torch

from .segmenter import build_detector


def keep_every_candidate(cfg: Any, score_thr: float, keep_scorer: bool = False) -> None:
    """Edit a CenterSAM config (``mmengine.Config``) in place so it returns every candidate with detector score >=
    ``score_thr``: no SAM-IoU gate, no mask NMS, the detector's own decoding threshold lowered to ``score_thr`` if it
    was above (it applies first); the scorer removed, or with ``keep_scorer`` kept with ``scorer_thr`` 0 (its
    outputs become the returned ``scores``). Masks come as SAM draws them, not cleaned (``clean_masks`` off): they
    are what the scorer rates in ``CenterSAM._segment``, which cleans only the masks it keeps."""
    if not keep_scorer:
        cfg.model.pop('scorer', None)
    cfg.model.test_cfg.update(score_thr=score_thr, iou_thr=0.0, mask_nms_thr=None, scorer_thr=0.0, clean_masks=False)
    detector_test_cfg = cfg.model.detector.get('test_cfg') or {}
    if detector_test_cfg.get('score_thr', 0.0) > score_thr:
        detector_test_cfg['score_thr'] = score_thr


def predict_split(cfg: Any, checkpoint: Optional[str], split: str) -> Iterator[Any]:
    """``DetDataSample`` (with ``pred_instances``) of each image of ``annotations/instances_<split>.json``, CPU."""
    from mmengine.runner import Runner
    cfg.test_dataloader.dataset.ann_file = f'annotations/instances_{split}.json'
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    model = build_detector(cfg, checkpoint, device='cpu')
    with torch.no_grad():
        for batch in Runner.build_dataloader(cfg.test_dataloader):
            yield from model.test_step(batch)
