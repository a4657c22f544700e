"""CandidateScorer: how good a CenterSAM candidate (box + SAM mask) is, from features of both.

CenterSAM's fixed rule (detector score >= t1 and SAM IoU >= t2, then mask NMS) treats its two scores
separately and ignores what the mask looks like. This scorer is a small MLP over
:func:`candidate_features` (scores, mask-box fit, contrast, shape, overlap with higher-scoring masks),
trained on the candidates of the training images with binary cross-entropy against a target in [0, 1]:
either 1 when the mask has IoU >= 0.5 with a ground-truth nucleus (the object-F1 criterion; the output is
that probability) or the mask's IoU itself (``CandidateDataset(target='iou')``; the output estimates the
IoU). It plays the part of Mask Scoring R-CNN's MaskIoU head, after the fact and with no access to the
detector's features, so it mixes with any detector.
"""
from typing import Dict, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmdet.registry import MODELS
from torch import Tensor, nn

from .candidate_features import candidate_features, feature_set, input_area_scale


@MODELS.register_module()
class CandidateScorer(BaseModel):
    """MLP over candidate features; trained with binary cross-entropy (``tools/train.py``), used by CenterSAM.

    Args:
        hidden: widths of the hidden layers.
        area_at_input: the area feature is measured at the detector's input (the image's factor squared times
            the area; for scale-aware models), not in image pixels.
        features: the features it rates: names of ``FEATURE_NAMES`` in order, or a set's name (``'base'``, the 15
            features scorers trained before the colour features read, the default; ``'base+colour'``).
        data_preprocessor: MMEngine's default (moves the batch to the device).
    """

    def __init__(self, hidden: tuple = (64, 64), area_at_input: bool = False, features='base',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.area_at_input = area_at_input
        self.features = feature_set(features)
        layers, width = [nn.BatchNorm1d(len(self.features))], len(self.features)  # features have mixed units
        for out in hidden:
            layers += [nn.Linear(width, out), nn.ReLU()]
            width = out
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, features: Tensor, label: Optional[Tensor] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], Tensor]:
        """``features`` (B, F) float. Modes: 'loss' (needs ``label`` (B,), targets in [0, 1]: 0/1 labels or
        mask IoUs), 'predict' (sigmoid outputs), 'tensor' (logits)."""
        logits = self.mlp(features.float()).squeeze(1)
        if mode == 'loss':
            return dict(loss_bce=nn.functional.binary_cross_entropy_with_logits(logits, label.float()))
        return logits.sigmoid() if mode == 'predict' else logits

    @torch.no_grad()
    def score(self, image: np.ndarray, masks: Tensor, boxes_xyxy: Tensor, det_scores: Tensor,
              sam_iou: Tensor, scale: Optional[float] = None) -> Tensor:
        """(N,) scores in [0, 1] of the N candidates of one image (see :func:`candidate_features` for shapes);
        ``scale``: the image's factor to the detector's input (used with ``area_at_input``)."""
        if len(masks) == 0:
            return det_scores.new_zeros(0)
        feats = candidate_features(image, masks.cpu().numpy(), boxes_xyxy.cpu().numpy(), det_scores.cpu().numpy(),
                                   sam_iou.cpu().numpy(), input_area_scale(scale, self.area_at_input),
                                   names=self.features)
        was_training = self.training
        self.eval()
        probs = self(torch.from_numpy(feats).to(det_scores.device), mode='predict')
        self.train(was_training)
        return probs.to(det_scores.dtype)
