"""Scale-aware inference: resize each image so its nuclei reach the size the model was trained for.

A model records, in its ``test_cfg`` (see :class:`~centersam_mm.models.detectors.CenterSAM`):

* ``diameter``: median nucleus diameter (``sqrt(box w * box h)``) in pixels **at the detector's input** over its
  training data;
* ``sam_diameter``: the same at the SAM image encoder's input;
* ``pixel_size`` (optional): µm per pixel at the detector's input, when the training data's pixel size is known;
* ``prior_diameter``: median nucleus diameter in the training images' own pixels (the first guess).

The factor applied to an image (original pixels -> detector input) is, in order of precedence:

1. ``nucleus_scale`` given for the image (an explicit factor, ``--scale``);
2. ``pixel_size`` given for the image (µm/px) and known to the model: ``image_pixel_size / model pixel_size``;
3. ``nucleus_diameter`` given for the image (px): ``diameter / nucleus_diameter``;
4. otherwise estimated (:func:`estimate_scale`): the detector runs at ``diameter / prior_diameter``, the median
   diameter of its confident boxes (original pixels) gives the next factor, and so on up to ``scale_iters``
   times, or until the factor moves by less than ``scale_tol`` (relative).

Functions here are pure (tensors in, tensors out); the model owns the loop's network calls.
"""
import math
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

SCALE_RANGE = (1 / 8, 8.0)  # factors outside it are clipped: beyond them an image is not of nuclei we know
MIN_BOXES = 3               # fewer confident boxes than this: the estimate keeps the factor it had
PROBE_SIDE = 1024           # estimation looks at the central crop of at most this side (original pixels)


def clip_scale(scale: float) -> float:
    """``scale`` clipped to ``SCALE_RANGE``."""
    return float(min(max(scale, SCALE_RANGE[0]), SCALE_RANGE[1]))


def box_diameters(boxes_xyxy: Tensor) -> Tensor:
    """(N,) ``sqrt(w * h)`` of (N, 4) XYXY boxes: the diameter of a disc-like nucleus."""
    wh = (boxes_xyxy[:, 2:] - boxes_xyxy[:, :2]).clamp(min=0)
    return (wh[:, 0] * wh[:, 1]).sqrt()


def median_diameter(boxes_xyxy: Tensor, scores: Tensor, score_thr: float) -> Optional[float]:
    """Median diameter of the boxes scoring at least ``score_thr``; ``None`` if fewer than ``MIN_BOXES``."""
    keep = scores >= score_thr
    if int(keep.sum()) < MIN_BOXES:
        return None
    return float(box_diameters(boxes_xyxy[keep]).median())


def scale_from_options(test_cfg: dict, meta: dict) -> Optional[float]:
    """The factor fixed by the image's options (``nucleus_scale``, ``pixel_size``, ``nucleus_diameter`` in
    ``meta``) or by ``test_cfg['scale']`` when it is a number; ``None`` when it must be estimated.

    Raises:
        ValueError: ``pixel_size`` given for a model that does not know its own.
    """
    if meta.get('nucleus_scale') is not None:
        return clip_scale(float(meta['nucleus_scale']))
    if meta.get('pixel_size') is not None:
        if not test_cfg.get('pixel_size'):
            raise ValueError('this model does not record the pixel size (µm/px) it was trained at: '
                             'give the nucleus diameter (--diameter) or a scale (--scale) instead')
        return clip_scale(float(meta['pixel_size']) / float(test_cfg['pixel_size']))
    if meta.get('nucleus_diameter') is not None:
        return clip_scale(float(test_cfg['diameter']) / float(meta['nucleus_diameter']))
    scale = test_cfg.get('scale', 'auto')
    if isinstance(scale, (int, float)) and not isinstance(scale, bool):
        return clip_scale(float(scale))
    return None


def estimate_scale(detect: Callable[[float], Tuple[Tensor, Tensor]], test_cfg: dict) -> float:
    """Estimate the factor from the image itself (see the module docstring).

    Args:
        detect: ``scale -> (boxes (N, 4) XYXY in original pixels, scores (N,))`` on the image (or its probe crop).
        test_cfg: the model's ``diameter``, ``prior_diameter``, ``scale_iters`` (default 3), ``scale_tol``
            (default 0.05) and ``scale_score_thr`` (boxes counted, default 0.3).
    """
    target = float(test_cfg['diameter'])
    scale = clip_scale(target / float(test_cfg.get('prior_diameter') or target))
    for _ in range(int(test_cfg.get('scale_iters', 3))):
        boxes, scores = detect(scale)
        diameter = median_diameter(boxes, scores, float(test_cfg.get('scale_score_thr', 0.3)))
        if diameter is None or diameter <= 0:
            break
        new_scale = clip_scale(target / diameter)
        moved = abs(math.log(new_scale / scale))
        scale = new_scale
        if moved < math.log1p(float(test_cfg.get('scale_tol', 0.05))):
            break
    return scale


def probe_window(height: int, width: int, side: int = PROBE_SIDE) -> Tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the central crop of at most ``side`` pixels a side that estimation looks at."""
    h, w = min(height, side), min(width, side)
    y0, x0 = (height - h) // 2, (width - w) // 2
    return y0, y0 + h, x0, x0 + w


def scaled_size(height: int, width: int, scale: float) -> Tuple[int, int]:
    """(h, w) of an image of (height, width) resized by ``scale`` (at least 1 pixel a side)."""
    return max(1, int(height * scale + 0.5)), max(1, int(width * scale + 0.5))


def resize_input(x: Tensor, size: Tuple[int, int], divisor: int = 1,
                 pad_value: float = 0.0) -> Tensor:
    """Resize a (B, C, H, W) (normalised) image tensor to ``size`` (h, w) and pad it to a multiple of ``divisor``.

    Bilinear with half-pixel centres (``align_corners=False``, as OpenCV's ``resize``), antialiased when shrinking.
    """
    if tuple(x.shape[-2:]) != tuple(size):
        shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
        x = F.interpolate(x, size, mode='bilinear', align_corners=False, antialias=shrink)
    pad_h, pad_w = (-size[0]) % divisor, (-size[1]) % divisor
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), value=pad_value)
    return x
