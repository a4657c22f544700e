"""Choose CenterSAM's test thresholds on a split: run the model once, score every setting from the cache.

    python tools/analysis_tools/sweep_thresholds.py CONFIG CHECKPOINT [--split val]
        [--score-thrs 0.15 0.2 0.25 0.3] [--iou-thrs 0 0.5 0.6 0.7] [--mask-nms-thrs 0.3 0.5]
        [--out sweep.csv] [--detector-score-thr 0.1] [--oracle-selection]

The model runs once on the split with the lowest ``score_thr``, no SAM-IoU gate and no mask NMS; its masks,
detector scores and SAM-predicted IoUs are kept in memory. Each setting (score_thr x iou_thr x mask_nms_thr)
then filters that cache with ``CenterSAM._segment``'s own rule, ``select_candidates`` (score >= score_thr,
iou_pred >= iou_thr, non-empty, then ``suppress_covered_masks``) and is scored with ``NucleusInstanceMetric``'s
functions (label map: the highest score wins a pixel). Prints one row per setting, best F1@0.5 first; ``--out``
writes them as CSV. Use on ``val`` only: the test split is for reporting.

With a candidate scorer in the model (``model.scorer``), the cached scores are the scorer's outputs, so
``--score-thrs`` sweeps ``scorer_thr``; the detector's own prompt threshold is then ``--detector-score-thr``.
"""
import argparse
import csv
import itertools
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction

from centersam_mm.apis import keep_every_candidate, predict_split
from centersam_mm.evaluation.functional import aggregate, best_gt_iou, instance_metrics, instances_to_label_map
from centersam_mm.evaluation.label_files import read_label_map
from centersam_mm.io.atomic import atomic_open
from centersam_mm.models.detectors.center_sam import select_candidates
from centersam_mm.models.utils.masks import clean_masks

REPORTED = ('f1_05', 'aji', 'pq', 'seg', 'dsb_map', 'pixel_dice', 'precision_05', 'recall_05')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='val', help='annotation split (annotations/instances_<split>.json)')
    parser.add_argument('--score-thrs', type=float, nargs='+', default=[0.15, 0.2, 0.25, 0.3])
    parser.add_argument('--iou-thrs', type=float, nargs='+', default=[0.0, 0.5, 0.6, 0.7])
    parser.add_argument('--mask-nms-thrs', type=float, nargs='+', default=[0.5])
    parser.add_argument('--out', type=Path, help='CSV of every setting')
    parser.add_argument('--oracle-selection', action='store_true',
                        help='also print the ceiling: the lowest score threshold, only candidates whose mask has '
                             'IoU >= 0.5 with a nucleus kept, mask NMS at each --mask-nms-thrs')
    parser.add_argument('--detector-score-thr', type=float,
                        help='prompt threshold of the detector (default: the lowest --score-thrs); with a scorer, '
                             '--score-thrs apply to its outputs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help="config overrides, as tools/test.py's (e.g. model.detector.test_cfg.flip=[horizontal])")
    return parser.parse_args(argv)


def run_once(config: str, checkpoint: str, split: str, score_thr: float,
             cfg_options: Optional[dict] = None) -> List[Dict[str, np.ndarray]]:
    """Per image of the split: ``masks`` (N, H, W) bool as SAM draws them, ``scores``, ``iou_pred`` (N,),
    ``gt_label`` (H, W), ``clean`` (the config's ``clean_masks``: kept masks are cleaned when a setting is scored).

    ``score_thr`` is the detector's prompt threshold (its own decoding threshold is lowered to it if above); a
    scorer in the model keeps every candidate (``scorer_thr`` 0) and its outputs are the cached ``scores``."""
    from mmengine.config import Config

    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options or {})
    clean = bool(cfg.model.test_cfg.get('clean_masks'))
    keep_every_candidate(cfg, score_thr, keep_scorer=True)
    cache = []
    for sample in predict_split(cfg, checkpoint, split):
        pred = sample.pred_instances
        cache.append(dict(masks=pred.masks.cpu().numpy(), scores=pred.scores.cpu().numpy(),
                          iou_pred=pred.mask_scores.cpu().numpy(), clean=clean,
                          gt_label=read_label_map(sample.metainfo['label_map_path'])))
    return cache


def score_setting(cache: List[Dict[str, np.ndarray]], score_thr: float, iou_thr: float,
                  mask_nms_thr: float, matched_only: bool = False) -> Dict[str, float]:
    """``aggregate`` of the split with one setting applied to the cached predictions.

    ``matched_only``: keep only candidates whose mask has IoU >= 0.5 with a nucleus (an oracle choice: the best
    any keep/drop rule could do with these candidates)."""
    results = []
    for image in cache:
        matched = torch.from_numpy(best_gt_iou(image['masks'], image['gt_label']) >= 0.5) if matched_only else None
        keep = select_candidates(torch.from_numpy(image['masks']), torch.from_numpy(image['scores']),
                                 torch.from_numpy(image['iou_pred']), iou_thr, score_thr, mask_nms_thr,
                                 candidates=matched).numpy()
        masks = image['masks'][keep]
        if image.get('clean'):  # the kept masks cleaned after mask NMS, as CenterSAM._segment does
            masks = clean_masks(torch.from_numpy(masks)).numpy()
        pred_label = instances_to_label_map(masks, image['scores'][keep])
        results.append(instance_metrics(image['gt_label'], pred_label))
    return aggregate(results)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    detector_score_thr = min(args.score_thrs) if args.detector_score_thr is None else args.detector_score_thr
    cache = run_once(args.config, args.checkpoint, args.split, detector_score_thr, args.cfg_options)
    rows = []
    for score_thr, iou_thr, nms_thr in itertools.product(args.score_thrs, args.iou_thrs, args.mask_nms_thrs):
        summary = score_setting(cache, score_thr, iou_thr, nms_thr)
        rows.append(dict(score_thr=score_thr, iou_thr=iou_thr, mask_nms_thr=nms_thr,
                         **{key: summary[key] for key in REPORTED}))
    rows.sort(key=lambda row: -row['f1_05'])
    print(' '.join(f'{key:>12}' for key in rows[0]))
    for row in rows:
        print(' '.join(f'{value:12.3f}' for value in row.values()))
    if args.out:
        with atomic_open(args.out, newline='') as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f'wrote {args.out}')
    if args.oracle_selection:
        for nms_thr in args.mask_nms_thrs:
            summary = score_setting(cache, min(args.score_thrs), 0.0, nms_thr, matched_only=True)
            figures = ' '.join(f'{key} {summary[key]:.3f}' for key in REPORTED)
            print(f'oracle selection (mask NMS {nms_thr}): {figures}')


if __name__ == '__main__':
    main()
