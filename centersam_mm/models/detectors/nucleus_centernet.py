"""CenterNet with flip test-time augmentation (CenterNet's own ``--flip_test``), for any CenterNet-style head.

``test_cfg.flip`` lists the flips to add to the plain pass: ``'horizontal'``, ``'vertical'``, ``'diagonal'``
(both). Each flipped input goes through backbone, neck and head; its heatmap and width-height maps are
flipped back and averaged with the plain pass's; the centre offsets are the plain pass's (a flipped offset
is not a flipped map: sub-cell positions mirror inside each cell), as in the original CenterNet. Decoding
(peaks, top-K, score threshold) is the head's own, on the averaged maps. Without ``flip`` it is MMDetection's
``CenterNet`` unchanged.
"""
from typing import List, Sequence, Tuple

from mmdet.models.detectors import CenterNet
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

FLIP_DIMS = {'horizontal': (3,), 'vertical': (2,), 'diagonal': (2, 3)}  # dims of a B x C x H x W tensor


@MODELS.register_module()
class NucleusCenterNet(CenterNet):
    """MMDetection's ``CenterNet`` plus optional flip averaging at test time (``test_cfg.flip``)."""

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Boxes ``xyxy`` (original pixels if ``rescale``) with scores, averaged over ``test_cfg.flip``."""
        flips = tuple((self.test_cfg or {}).get('flip', ()))
        if not flips:
            return super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        outs = flip_averaged_outputs(lambda x: self.bbox_head(self.extract_feat(x)), batch_inputs, flips)
        metas = [sample.metainfo for sample in batch_data_samples]
        results = self.bbox_head.predict_by_feat(*outs, batch_img_metas=metas, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)


def flip_averaged_outputs(head_outputs, batch_inputs: Tensor, flips: Sequence[str]) -> Tuple[List[Tensor], ...]:
    """(heatmaps, whs, offsets), each a list over levels/stacks of B x C x h x w maps: heatmaps and whs
    averaged over the plain pass and every flip in ``flips`` (flipped back first), offsets from the plain pass.

    Args:
        head_outputs: ``inputs (B x 3 x H x W) -> (heatmaps, whs, offsets)`` as a CenterNet head returns them.
        batch_inputs: B x 3 x H x W preprocessed images.
        flips: names from ``FLIP_DIMS``.
    """
    unknown = [name for name in flips if name not in FLIP_DIMS]
    if unknown:
        raise ValueError(f'test_cfg.flip: unknown flips {unknown}; choose from {sorted(FLIP_DIMS)}')
    heatmaps, whs, offsets = head_outputs(batch_inputs)
    heatmaps, whs = list(heatmaps), list(whs)
    for name in flips:
        dims = FLIP_DIMS[name]
        flipped_heatmaps, flipped_whs, _ = head_outputs(batch_inputs.flip(dims))
        for level, (heatmap, wh) in enumerate(zip(flipped_heatmaps, flipped_whs)):
            heatmaps[level] = heatmaps[level] + heatmap.flip(dims)
            whs[level] = whs[level] + wh.flip(dims)
    views = 1 + len(flips)
    return [h / views for h in heatmaps], [w / views for w in whs], list(offsets)
