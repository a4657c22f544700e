"""CenterNet head for dense nuclei: MMDetection's head with a score threshold and up to K = 1000 peaks.

Targets (size-adaptive Gaussians, CornerNet radius rule), losses (Gaussian focal loss with
alpha = 2, beta = 4; L1 on width-height and offset) and decoding (3x3 max-pool NMS, top-K) are
MMDetection's own pure functions in ``mmdet.models.utils.gaussian_target``; this head only adds
what dense nucleus images need:

* ``test_cfg.score_thr`` (the paper's theta = 0.1) drops weak peaks after decoding;
* ``test_cfg.topk`` defaults to 1000, so images with hundreds of nuclei lose none;
* optional box NMS (``test_cfg.nms``) removes second peaks on one large nucleus;
* an optional box IoU loss (``loss_box_iou``, e.g. MMDetection's ``GIoULoss``) on the box decoded at
  each ground-truth centre (offset + width-height, feature-map units): L1 on width-height weighs a
  pixel alike on a 60 px and on a 10 px nucleus, IoU does not (a 3 px error is what sends a small
  nucleus's box below IoU 0.5);
* ``topk`` larger than the heatmap (small images) is clamped instead of failing;
* images packed without a ``border`` (plain ``Resize`` pipelines) decode with a zero border;
* degenerate ground-truth boxes (zero width or height, e.g. a box at a crop edge that a flip
  moved onto the far edge) are dropped and the others clipped to the input before targets are
  drawn: MMDetection's ``get_targets`` would index one cell past the heatmap for a centre on the
  right or bottom edge (``IndexError``, seen after 46 epochs of random crops).
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.dense_heads import CenterNetHead
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

DEFAULT_TEST_CFG = dict(topk=1000, local_maximum_kernel=3, max_per_img=1000, score_thr=0.1)


@MODELS.register_module()
class NucleusCenterNetHead(CenterNetHead):
    """CenterNet head (heatmap, wh and offset branches) with score filtering.

    Args:
        test_cfg (dict): ``topk`` peaks kept per image (default 1000), ``local_maximum_kernel``
            (3: the max-pool NMS window), ``score_thr`` (0.1: peaks below are dropped), ``nms``
            (default None: none; ``dict(type='nms', iou_threshold=t)`` for box NMS).
        **kwargs: as :class:`mmdet.models.dense_heads.CenterNetHead`.
    """

    def __init__(self, *args, test_cfg: dict = None, loss_box_iou: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, test_cfg=ConfigDict({**DEFAULT_TEST_CFG, **(test_cfg or {})}), **kwargs)
        self.loss_box_iou = MODELS.build(loss_box_iou) if loss_box_iou is not None else None

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Heatmap (sigmoid), wh and offset maps (B x C x h x w) of one level, always in float32.

        Under bfloat16 autocast (``CPUAutocastOptimWrapper``) the backbone and neck run in bfloat16
        but these three small branches leave autocast: bfloat16's step near 1 is 2**-8, so a
        sigmoid output of 0.9999 would round to 1 and the focal loss's ``log(1 - p)`` would blow up.
        """
        with torch.autocast(device_type=x.device.type, enabled=False):
            return super().forward_single(x.float())

    def losses_from_targets(self, center_heatmap_pred: Tensor, wh_pred: Tensor, offset_pred: Tensor,
                            targets: Dict[str, Tensor], avg_factor: float) -> Dict[str, Tensor]:
        """Heatmap focal loss and L1 wh / offset losses of one feature map (B x C x H/4 x W/4)."""
        weight = targets['wh_offset_target_weight']
        losses = dict(
            loss_center_heatmap=self.loss_center_heatmap(
                center_heatmap_pred, targets['center_heatmap_target'], avg_factor=avg_factor),
            loss_wh=self.loss_wh(wh_pred, targets['wh_target'], weight, avg_factor=avg_factor * 2),
            loss_offset=self.loss_offset(offset_pred, targets['offset_target'], weight,
                                         avg_factor=avg_factor * 2))
        if self.loss_box_iou is not None:
            at_centres = weight[:, 0] > 0
            pred_boxes = centre_boxes(offset_pred, wh_pred, at_centres)
            target_boxes = centre_boxes(targets['offset_target'], targets['wh_target'], at_centres)
            losses['loss_box_iou'] = self.loss_box_iou(pred_boxes, target_boxes, avg_factor=avg_factor)
        return losses

    def compute_targets(self, batch_gt_instances: List[InstanceData], batch_img_metas: List[dict],
                        feat_shape: Tuple[int, ...]) -> Tuple[Dict[str, Tensor], float]:
        """Gaussian heatmap, wh, offset targets and their weights for a batch (feature shape B x C x h x w)."""
        img_shape = batch_img_metas[0]['batch_input_shape']
        kept = [boxes_inside_input(gt.bboxes, img_shape) for gt in batch_gt_instances]
        gt_bboxes = [boxes for boxes, _ in kept]
        gt_labels = [gt.labels[keep] for gt, (_, keep) in zip(batch_gt_instances, kept)]
        return self.get_targets(gt_bboxes, gt_labels, feat_shape, img_shape)

    def loss_by_feat(self, center_heatmap_preds: List[Tensor], wh_preds: List[Tensor],
                     offset_preds: List[Tensor], batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict], batch_gt_instances_ignore=None) -> Dict[str, Tensor]:
        """Losses of the single feature level (lists of length 1, as MMDetection's head)."""
        targets, avg_factor = self.compute_targets(batch_gt_instances, batch_img_metas,
                                                   center_heatmap_preds[0].shape)
        return self.losses_from_targets(center_heatmap_preds[0], wh_preds[0], offset_preds[0],
                                        targets, avg_factor)

    def _decode_heatmap(self, center_heatmap_pred: Tensor, wh_pred: Tensor, offset_pred: Tensor,
                        img_shape: tuple, k: int = 1000, kernel: int = 3) -> Tuple[Tensor, Tensor]:
        """MMDetection's decoding with ``k`` clamped to the heatmap size (small inputs have few cells)."""
        k = min(k, center_heatmap_pred[0].numel())
        return super()._decode_heatmap(center_heatmap_pred, wh_pred, offset_pred, img_shape, k=k, kernel=kernel)

    def _predict_by_feat_single(self, center_heatmap_pred: Tensor, wh_pred: Tensor, offset_pred: Tensor,
                                img_meta: dict, rescale: bool = True, with_nms: bool = False) -> InstanceData:
        """Decode one image: boxes ``xyxy`` in input pixels (original pixels if ``rescale``), scores, labels.

        Box NMS runs when ``with_nms`` or when ``test_cfg`` holds an ``nms`` dict (MMDetection's form,
        e.g. ``dict(type='nms', iou_threshold=0.5)``): nuclei barely overlap, so two boxes with a high
        IoU are two heatmap peaks on one large nucleus.
        """
        img_meta = dict(img_meta)
        img_meta.setdefault('border', (0, 0, 0, 0))
        with_nms = with_nms or self.test_cfg.get('nms') is not None
        results = super()._predict_by_feat_single(center_heatmap_pred, wh_pred, offset_pred, img_meta,
                                                  rescale=rescale, with_nms=with_nms)
        return results[results.scores >= self.test_cfg.get('score_thr', 0.0)]


def centre_boxes(offset_map: Tensor, wh_map: Tensor, at_centres: Tensor) -> Tensor:
    """Boxes ``xyxy`` (N x 4, feature-map cells, relative to each centre's integer cell) read at the N
    True cells of ``at_centres`` (B x h x w) from offset and width-height maps (B x 2 x h x w).

    Width and height are clamped at 0, so an untrained head's negative sizes give empty boxes, not
    inverted ones.
    """
    offsets = offset_map.permute(0, 2, 3, 1)[at_centres]
    half_wh = wh_map.permute(0, 2, 3, 1)[at_centres].clamp(min=0) / 2
    return torch.cat([offsets - half_wh, offsets + half_wh], dim=1)


def boxes_inside_input(bboxes, img_shape: Tuple[int, int], eps: float = 1e-3) -> Tuple[Tensor, Tensor]:
    """Boxes (N x 4 xyxy, pixels; a Tensor or mmdet ``HorizontalBoxes``) clipped to the input and without
    degenerate ones, so every centre lies strictly inside the (h, w) input.

    Returns:
        (M x 4 clipped boxes, (N,) bool mask of the kept boxes).
    """
    boxes = bboxes.tensor if hasattr(bboxes, 'tensor') else torch.as_tensor(bboxes)
    height, width = img_shape[:2]
    upper = boxes.new_tensor([width, height, width, height]) - eps
    clipped = torch.minimum(boxes.clamp(min=0), upper)
    keep = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    return clipped[keep], keep
