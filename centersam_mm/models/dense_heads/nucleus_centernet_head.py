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
* at inference (``predict``) the width-height and offset branches run only at the decoded peaks
  (:class:`PeakBranch`; ``test_cfg.branches_at_peaks``, default True): decoding reads them nowhere else, and
  each branch's 3x3 convolution over the stride-4 map costs about an eighth of the default detector's
  backbone and neck; boxes equal the dense maps' within float rounding;
* images packed without a ``border`` (plain ``Resize`` pipelines) decode with a zero border;
* degenerate ground-truth boxes (zero width or height, e.g. a box at a crop edge that a flip
  moved onto the far edge) are dropped and the others clipped to the input before targets are
  drawn: MMDetection's ``get_targets`` would index one cell past the heatmap for a centre on the
  right or bottom edge (``IndexError``, seen after 46 epochs of random crops).
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.dense_heads import CenterNetHead
from mmdet.models.utils import get_local_maximum, get_topk_from_heatmap, transpose_and_gather_feat
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

DEFAULT_TEST_CFG = dict(topk=1000, local_maximum_kernel=3, max_per_img=1000, score_thr=0.1, branches_at_peaks=True)


class PeakBranch:
    """A head branch (3x3 convolution, ReLU, 1x1 convolution, as :meth:`CenterNetHead._build_head` builds it)
    with its feature map, evaluated only at the cells decoding reads (:meth:`at`), not over the whole map.

    Args:
        branch: the branch's ``nn.Sequential(Conv2d 3x3 padding 1, ReLU, Conv2d 1x1)``.
        feat: B x C x H x W float32 feature map the branch would run on.
    """

    def __init__(self, branch: nn.Sequential, feat: Tensor) -> None:
        self.branch, self.feat = branch, feat

    def __getitem__(self, item) -> 'PeakBranch':
        """The branch on a slice of the batch (``predict_by_feat`` takes one image at a time)."""
        return PeakBranch(self.branch, self.feat[item])

    def at(self, index: Tensor) -> Tensor:
        """B x K x C_out outputs at flat cells ``index`` (B x K, ``y * W + x``): what
        ``transpose_and_gather_feat(branch(feat), index)`` reads, from each cell's 3x3 neighbourhood only."""
        conv3, _, conv1 = self.branch
        batch, channels, height, width = self.feat.shape
        offsets = torch.arange(-1, 2, device=index.device)
        rows = (index // width)[..., None, None] + offsets[:, None]   # B x K x 3 x 1
        cols = (index % width)[..., None, None] + offsets[None, :]    # B x K x 1 x 3
        inside = ((rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)).reshape(batch, -1)  # zero padding
        cells = (rows.clamp(0, height - 1) * width + cols.clamp(0, width - 1)).reshape(batch, -1)  # B x 9K
        nhwc = self.feat.permute(0, 2, 3, 1).reshape(batch, height * width, channels)  # free for channels-last
        patches = torch.gather(nhwc, 1, cells[..., None].expand(-1, -1, channels)) * inside[..., None]
        patches = patches.reshape(batch, index.shape[1], 9 * channels)  # per cell: (dy, dx, channel)
        weight = conv3.weight.permute(0, 2, 3, 1).reshape(conv3.out_channels, -1)  # the same order
        hidden = F.relu(F.linear(patches, weight, conv3.bias))
        return F.linear(hidden, conv1.weight.flatten(1), conv1.bias)


def gather_at(pred: Union[Tensor, PeakBranch], index: Tensor) -> Tensor:
    """B x K x C values of a dense B x C x H x W map or a :class:`PeakBranch` at flat cells ``index``."""
    return pred.at(index) if isinstance(pred, PeakBranch) else transpose_and_gather_feat(pred, index)


@MODELS.register_module()
class NucleusCenterNetHead(CenterNetHead):
    """CenterNet head (heatmap, wh and offset branches) with score filtering.

    Args:
        test_cfg (dict): ``topk`` peaks kept per image (default 1000), ``local_maximum_kernel``
            (3: the max-pool NMS window), ``score_thr`` (0.1: peaks below are dropped), ``nms``
            (default None: none; ``dict(type='nms', iou_threshold=t)`` for box NMS).
        **kwargs: as :class:`mmdet.models.dense_heads.CenterNetHead`.
    """

    BRANCHES_AT_PEAKS = True  # predict() may run wh / offset at the peaks only (single-level heads)

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

    def predict(self, x: Tuple[Tensor, ...], batch_data_samples: SampleList,
                rescale: bool = False) -> List[InstanceData]:
        """Boxes of each image. With ``test_cfg.branches_at_peaks`` (default) the heatmap branch runs over the
        map and the width-height and offset branches at its decoded peaks only (:class:`PeakBranch`), in
        float32 as :meth:`forward_single`; otherwise MMDetection's dense forward and decoding."""
        if not (self.BRANCHES_AT_PEAKS and self.test_cfg.get('branches_at_peaks', True)) or len(x) != 1:
            return super().predict(x, batch_data_samples, rescale=rescale)
        metas = [sample.metainfo for sample in batch_data_samples]
        with torch.autocast(device_type=x[0].device.type, enabled=False):
            feat = x[0].float()
            heatmap = self.heatmap_head(feat).sigmoid()
            return self.predict_by_feat([heatmap], [PeakBranch(self.wh_head, feat)],
                                        [PeakBranch(self.offset_head, feat)], batch_img_metas=metas,
                                        rescale=rescale)

    def _decode_heatmap(self, center_heatmap_pred: Tensor, wh_pred: Union[Tensor, PeakBranch],
                        offset_pred: Union[Tensor, PeakBranch], img_shape: tuple, k: int = 1000,
                        kernel: int = 3) -> Tuple[Tensor, Tensor]:
        """MMDetection's ``CenterNetHead._decode_heatmap`` (its pure functions, its arithmetic), with ``k``
        clamped to the heatmap size (small inputs have few cells) and the wh / offset maps dense or
        :class:`PeakBranch`: B x k x 5 boxes (xyxy, input pixels) with scores, and B x k labels."""
        k = min(k, center_heatmap_pred[0].numel())
        height, width = center_heatmap_pred.shape[2:]
        inp_h, inp_w = img_shape
        peaks = get_local_maximum(center_heatmap_pred, kernel=kernel)
        scores, index, labels, ys, xs = get_topk_from_heatmap(peaks, k=k)
        # read at the peaks that can pass score_thr (the scores come sorted): the others are dropped after
        # decoding, so their boxes are left empty, at the peak
        count = int((scores >= self.test_cfg.get('score_thr', 0.0)).sum(1).max()) if scores.numel() else 0
        wh, offset = scores.new_zeros(*scores.shape, 2), scores.new_zeros(*scores.shape, 2)
        wh[:, :count] = gather_at(wh_pred, index[:, :count])
        offset[:, :count] = gather_at(offset_pred, index[:, :count])
        xs, ys = xs + offset[..., 0], ys + offset[..., 1]
        boxes = torch.stack([(xs - wh[..., 0] / 2) * (inp_w / width), (ys - wh[..., 1] / 2) * (inp_h / height),
                             (xs + wh[..., 0] / 2) * (inp_w / width), (ys + wh[..., 1] / 2) * (inp_h / height)],
                            dim=2)
        return torch.cat((boxes, scores[..., None]), dim=-1), labels

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
