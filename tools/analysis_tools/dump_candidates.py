"""Dump CenterSAM's candidates of a split (features + labels) to train a CandidateScorer on.

    python tools/analysis_tools/dump_candidates.py CONFIG CHECKPOINT --split train \
        --out data/dsb2018/candidates/candidates_train.npz [--score-thr 0.1]

The model (no scorer, no SAM-IoU gate, no mask NMS, detector score >= ``--score-thr``) runs on the split; every
non-empty mask becomes one row: :func:`candidate_features` of it, its largest IoU with a ground-truth nucleus
(``best_ious``) and label 1 when that IoU is >= 0.5 (the object-F1 criterion). Written atomically as ``.npz``
(features, labels, best_ious, image_index, feature_names), which ``CandidateDataset`` reads. Dump ``train`` for
training; ``val`` to check the scorer.
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from mmengine.config import Config, DictAction

from centersam_mm.apis import keep_every_candidate, predict_split
from centersam_mm.evaluation.functional import best_gt_iou
from centersam_mm.evaluation.label_files import read_label_map
from centersam_mm.io.atomic import atomic_open
from centersam_mm.models.scorers import FEATURE_NAMES, candidate_features
from centersam_mm.models.scorers.candidate_features import input_area_scale
from centersam_mm.models.segmenters.image_io import original_image

MATCH_IOU = 0.5


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='train', help='annotation split (annotations/instances_<split>.json)')
    parser.add_argument('--out', type=Path, required=True, help='.npz to write')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help="detector score of the loosest candidate (lowers the detector's own threshold if needed)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def dump(config: str, checkpoint: str, split: str, score_thr: float, cfg_options: Optional[dict] = None) -> dict:
    """Arrays of the ``.npz``: features (M, F) float32, labels (M,) uint8, best_ious (M,) float32 in [0, 1],
    image_index (M,) int32."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options or {})
    area_at_input = bool((cfg.model.get('scorer') or {}).get('area_at_input', False))
    keep_every_candidate(cfg, score_thr)
    features, best_ious, image_index = [], [], []
    for sample in predict_split(cfg, checkpoint, split):
        pred = sample.pred_instances
        masks = pred.masks.cpu().numpy()
        area_scale = input_area_scale(sample.metainfo.get('nucleus_scale'), area_at_input)
        features.append(candidate_features(original_image(sample), masks, pred.bboxes.cpu().numpy(),
                                           pred.scores.cpu().numpy(), pred.mask_scores.cpu().numpy(), area_scale))
        best_ious.append(best_gt_iou(masks, read_label_map(sample.metainfo['label_map_path'])))
        image_index.append(np.full(len(masks), len(image_index), np.int32))
    best_ious = np.concatenate(best_ious)
    return dict(features=np.concatenate(features), labels=(best_ious >= MATCH_IOU).astype(np.uint8),
                best_ious=best_ious.astype(np.float32), image_index=np.concatenate(image_index),
                feature_names=np.array(FEATURE_NAMES))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    arrays = dump(args.config, args.checkpoint, args.split, args.score_thr, args.cfg_options)
    with atomic_open(args.out, 'wb') as stream:
        np.savez_compressed(stream, **arrays)
    labels = arrays['labels']
    images = int(arrays['image_index'].max()) + 1 if len(labels) else 0
    positive = labels.mean() if len(labels) else 0
    print(f'{args.out}: {len(labels)} candidates of {images} images, {positive:.3f} positive')
    return 0


if __name__ == '__main__':
    sys.exit(main())
