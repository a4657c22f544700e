"""``NucleusSizeResize``: training images resized so that their nuclei have one diameter (with jitter).

Scale-aware inference (``centersam_mm.models.utils.nucleus_scale``) resizes each test image so that its median
nucleus diameter reaches the model's ``test_cfg.diameter``; training with this transform shows the network its
nuclei at that size, whatever the dataset, magnification or image size (as Cellpose trains at ``diam_mean``).
"""
import math
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class NucleusSizeResize(BaseTransform):
    """Resize (keeping the aspect ratio) by ``diameter * jitter / median gt box diameter``.

    Args:
        diameter: target median nucleus diameter (``sqrt(box w * box h)``) in output pixels.
        log_jitter: the factor is multiplied by ``exp(u)``, ``u`` uniform in ``[-log_jitter, log_jitter]``
            (0: no jitter, as at test time).
        scale_range: the factor is clipped to it (images of very small or very large nuclei).

    Required keys: ``img``, and ``gt_bboxes`` (after ``LoadAnnotations``) or the dataset's ``instances`` (before
    it: test pipelines, so that ``LoadAnnotations`` after it keeps the boxes in original pixels, as the metrics
    expect). Modified: as mmdet's ``Resize`` (``img``, ``img_shape``, ``gt_bboxes``, ``gt_masks``,
    ``scale_factor``). An image without boxes is resized by 1 (times the jitter).
    """

    def __init__(self, diameter: float, log_jitter: float = math.log(1.25),
                 scale_range: Tuple[float, float] = (0.125, 8.0), interpolation: str = 'bilinear') -> None:
        self.diameter = float(diameter)
        self.log_jitter = float(log_jitter)
        self.scale_range = tuple(scale_range)
        self.interpolation = interpolation

    def factor(self, results: dict, rng: Optional[np.random.Generator] = None) -> float:
        """The resize factor for one sample (see the class docstring)."""
        boxes = results.get('gt_bboxes')
        if boxes is None:
            boxes = np.asarray([instance['bbox'] for instance in results.get('instances', [])], np.float64)
        tensor = np.asarray(getattr(boxes, 'tensor', boxes), dtype=np.float64).reshape(-1, 4)
        factor = 1.0
        if len(tensor):
            wh = (tensor[:, 2:] - tensor[:, :2]).clip(min=0)
            median = float(np.median(np.sqrt(wh[:, 0] * wh[:, 1])))
            if median > 0:
                factor = self.diameter / median
        if self.log_jitter:
            factor *= math.exp((rng or np.random).uniform(-self.log_jitter, self.log_jitter))
        return float(min(max(factor, self.scale_range[0]), self.scale_range[1]))

    def transform(self, results: dict) -> dict:
        resize = Resize(scale_factor=self.factor(results), keep_ratio=True, interpolation=self.interpolation)
        return resize(results)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(diameter={self.diameter}, log_jitter={self.log_jitter:.3f}, '
                f'scale_range={self.scale_range})')
