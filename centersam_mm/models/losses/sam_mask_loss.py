"""SAM's mask loss: 20 × focal + 1 × dice on mask logits, + MSE of the predicted IoU."""
from typing import Dict

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 0.25,
                       gamma: float = 2.0) -> torch.Tensor:
    """Focal loss per mask, averaged over pixels: N×H×W logits/targets -> (N,)."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    p_t = prob * target + (1 - prob) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return loss.flatten(1).mean(1)


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Soft dice loss per mask: N×H×W logits/targets -> (N,)."""
    prob = logits.sigmoid().flatten(1)
    target = target.flatten(1)
    inter = (prob * target).sum(1)
    return 1 - (2 * inter + eps) / (prob.sum(1) + target.sum(1) + eps)


def binary_mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of ``logits > 0`` with binary targets: N×H×W -> (N,), 1 where both are empty."""
    pred = (logits > 0).flatten(1)
    gt = target.flatten(1) > 0.5
    inter = (pred & gt).sum(1).float()
    union = (pred | gt).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def sam_mask_loss(logits: torch.Tensor, target: torch.Tensor, iou_pred: torch.Tensor,
                  focal_weight: float = 20.0, dice_weight: float = 1.0,
                  iou_weight: float = 1.0) -> Dict[str, torch.Tensor]:
    """SAM's training loss for N masks.

    Args:
        logits: N×H×W mask logits.
        target: N×H×W binary ground truth (float).
        iou_pred: (N,) predicted IoU of each mask.

    Returns:
        dict of scalar losses ``loss_focal``, ``loss_dice``, ``loss_iou`` (already weighted).
    """
    iou_target = binary_mask_iou(logits.detach(), target)
    return dict(
        loss_focal=focal_weight * sigmoid_focal_loss(logits, target).mean(),
        loss_dice=dice_weight * dice_loss(logits, target).mean(),
        loss_iou=iou_weight * F.mse_loss(iou_pred, iou_target),
    )
