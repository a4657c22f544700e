"""Dump CenterSAM's candidates of a split (features + labels) to train a CandidateScorer on.

    python tools/analysis_tools/dump_candidates.py CONFIG CHECKPOINT --split train \
        --out data/dsb2018/candidates/candidates_train.npz [--score-thr 0.1]

The model (no scorer, no SAM-IoU gate, no mask NMS, detector score >= ``--score-thr``) runs on the split; every
non-empty mask becomes one row: :func:`candidate_features` of it and label 1 when its IoU with a ground-truth
nucleus is >= 0.5 (the object-F1 criterion). Written atomically as ``.npz`` (features, labels, image_index,
feature_names), which ``CandidateDataset`` reads. Dump ``train`` for training; ``val`` to check the scorer.
"""
import argparse
import io
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from centersam_mm.apis.segmenter import build_detector
from centersam_mm.evaluation.functional import best_gt_iou
from centersam_mm.evaluation.label_files import read_label_map
from centersam_mm.io.atomic import atomic_open
from centersam_mm.models.scorers import FEATURE_NAMES, candidate_features
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


def keep_every_candidate(cfg: Config, score_thr: float) -> None:
    """Make a CenterSAM config return every candidate with detector score >= ``score_thr``: no scorer, no SAM-IoU
    gate, no mask NMS, and the detector's own decoding threshold lowered to ``score_thr`` if it was above."""
    cfg.model.pop('scorer', None)
    cfg.model.test_cfg.update(score_thr=score_thr, iou_thr=0.0, mask_nms_thr=None)
    detector_test_cfg = cfg.model.detector.get('test_cfg') or {}
    if detector_test_cfg.get('score_thr', 0.0) > score_thr:  # the detector's own threshold applies first
        detector_test_cfg['score_thr'] = score_thr


def dump(config: str, checkpoint: str, split: str, score_thr: float, cfg_options: Optional[dict] = None) -> dict:
    """Arrays of the ``.npz``: features (M, F) float32, labels (M,) uint8, image_index (M,) int32."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options or {})
    keep_every_candidate(cfg, score_thr)
    cfg.test_dataloader.dataset.ann_file = f'annotations/instances_{split}.json'
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    model = build_detector(cfg, checkpoint, device='cpu')
    features, labels, image_index = [], [], []
    with torch.no_grad():
        for batch in Runner.build_dataloader(cfg.test_dataloader):
            for sample in model.test_step(batch):
                pred = sample.pred_instances
                masks = pred.masks.cpu().numpy()
                features.append(candidate_features(original_image(sample), masks, pred.bboxes.cpu().numpy(),
                                                   pred.scores.cpu().numpy(), pred.mask_scores.cpu().numpy()))
                gt_label = read_label_map(sample.metainfo['label_map_path'])
                labels.append(best_gt_iou(masks, gt_label) >= MATCH_IOU)
                image_index.append(np.full(len(masks), len(image_index), np.int32))
    return dict(features=np.concatenate(features), labels=np.concatenate(labels).astype(np.uint8),
                image_index=np.concatenate(image_index), feature_names=np.array(FEATURE_NAMES))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    arrays = dump(args.config, args.checkpoint, args.split, args.score_thr, args.cfg_options)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    with atomic_open(args.out, 'wb') as stream:
        stream.write(buffer.getvalue())
    print(f'{args.out}: {len(arrays["labels"])} candidates of {arrays["image_index"].max() + 1 if len(arrays["labels"]) else 0} '
          f'images, {arrays["labels"].mean() if len(arrays["labels"]) else 0:.3f} positive')
    return 0


if __name__ == '__main__':
    sys.exit(main())
