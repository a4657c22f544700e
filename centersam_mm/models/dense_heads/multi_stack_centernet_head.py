"""CenterNet head for stacked hourglass backbones: one head per stack, all supervised, last one predicts.

MMDetection's ``CenterNetHead`` reads a single feature level; a two-stack ``HourglassNet`` returns
one feature map per stack. As in CenterNet's intermediate supervision, every stack gets its own
heatmap / wh / offset branches and the same targets; the losses of all stacks are summed and
only the last stack is decoded at test time.
"""
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import bias_init_with_prob, normal_init
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from mmengine.structures import InstanceData
from torch import Tensor

from .nucleus_centernet_head import NucleusCenterNetHead


@MODELS.register_module()
class MultiStackCenterNetHead(NucleusCenterNetHead):
    """Per-stack CenterNet heads with intermediate supervision.

    Args:
        num_stacks (int): feature maps expected from the backbone (2 for the paper's hourglass).
        **kwargs: as :class:`NucleusCenterNetHead`.
    """

    BRANCHES_AT_PEAKS = False  # several stacks' maps are averaged: decoded from dense maps

    def __init__(self, in_channels: int, feat_channels: int, num_classes: int, num_stacks: int = 2,
                 **kwargs) -> None:
        super().__init__(in_channels, feat_channels, num_classes, **kwargs)
        self.num_stacks = num_stacks
        del self.heatmap_head, self.wh_head, self.offset_head  # replaced by one branch per stack
        for name, out_channels in [('heatmap_heads', num_classes), ('wh_heads', 2), ('offset_heads', 2)]:
            setattr(self, name, nn.ModuleList(
                self._build_head(in_channels, feat_channels, out_channels) for _ in range(num_stacks)))

    def init_weights(self) -> None:
        """Heatmap bias as CenterNet (-2.19, prior 0.1); other convs N(0, 0.001)."""
        for heatmap_head in self.heatmap_heads:
            heatmap_head[-1].bias.data.fill_(bias_init_with_prob(0.1))
        for module in [*self.wh_heads.modules(), *self.offset_heads.modules()]:
            if isinstance(module, nn.Conv2d):
                normal_init(module, std=0.001)

    def forward(self, x: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """Per-stack outputs: three lists (heatmaps B x C x h x w, wh B x 2 x h x w, offsets B x 2 x h x w)."""
        if len(x) != self.num_stacks:
            raise ValueError(f'{type(self).__name__} expects {self.num_stacks} feature maps, got {len(x)}')
        return multi_apply(self._forward_stack, x, list(range(self.num_stacks)))

    def _forward_stack(self, feat: Tensor, stack: int) -> Tuple[Tensor, Tensor, Tensor]:
        """One stack's heatmap (sigmoid), wh and offset maps, in float32 even under bfloat16 autocast (see
        :meth:`NucleusCenterNetHead.forward_single`: the focal loss needs sigmoid outputs near 1 kept apart)."""
        with torch.autocast(device_type=feat.device.type, enabled=False):
            feat = feat.float()
            return (self.heatmap_heads[stack](feat).sigmoid(), self.wh_heads[stack](feat),
                    self.offset_heads[stack](feat))

    def loss_by_feat(self, center_heatmap_preds: List[Tensor], wh_preds: List[Tensor],
                     offset_preds: List[Tensor], batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict], batch_gt_instances_ignore=None) -> Dict[str, Tensor]:
        """Targets computed once, losses of every stack (keys ``s<i>.loss_*``) summed by the runner."""
        targets, avg_factor = self.compute_targets(batch_gt_instances, batch_img_metas,
                                                   center_heatmap_preds[-1].shape)
        losses = {}
        for stack, preds in enumerate(zip(center_heatmap_preds, wh_preds, offset_preds)):
            stack_losses = self.losses_from_targets(*preds, targets, avg_factor)
            losses.update({f's{stack}.{key}': value for key, value in stack_losses.items()})
        return losses

    def predict_by_feat(self, center_heatmap_preds: List[Tensor], wh_preds: List[Tensor],
                        offset_preds: List[Tensor], batch_img_metas: List[dict] = None,
                        rescale: bool = True, with_nms: bool = False) -> List[InstanceData]:
        """Decode the last stack only."""
        return super().predict_by_feat(center_heatmap_preds[-1:], wh_preds[-1:], offset_preds[-1:],
                                       batch_img_metas, rescale=rescale, with_nms=with_nms)
