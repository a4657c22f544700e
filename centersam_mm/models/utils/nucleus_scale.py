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
4. otherwise estimated (:func:`estimate_scale`): the detector runs on the image's central crop, first at
   ``diameter / prior_diameter``, then at ``diameter / median box diameter`` until the boxes have the trained
   size (usually one or two runs); images it cannot settle are swept over a range of factors, the most confident
   run whose boxes are near the trained size giving ``diameter / their median diameter``.

Functions here are pure (tensors in, tensors out); the model owns the loop's network calls.
"""
import math
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

SCALE_RANGE = (1 / 8, 8.0)  # factors outside it are clipped: beyond them an image is not of nuclei we know
MIN_BOXES = 3               # fewer confident boxes than this: the estimate keeps the factor it had
PROBE_SIDE = 1024           # estimation looks at the central crop of at most this side (original pixels)
PROBE_INPUT = 640           # ... and of at most this side at the detector's input, at each probe's factor
PROBE_STEPS = range(-6, 4)  # probe factors: the first guess times 2 ** (step / 2)


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


def probe_scales(test_cfg: dict) -> List[float]:
    """The factors the estimate tries: ``diameter / prior_diameter`` times ``2 ** (k / 2)`` for k in
    ``PROBE_STEPS`` (from 1/8 to 2.8 times the first guess), clipped to ``SCALE_RANGE``."""
    first = float(test_cfg['diameter']) / float(test_cfg.get('prior_diameter') or test_cfg['diameter'])
    return sorted({clip_scale(first * 2 ** (step / 2)) for step in PROBE_STEPS})


def estimate_scale(detect: Callable[[float], Tuple[Tensor, Tensor]], test_cfg: dict,
                   start: Optional[float] = None) -> float:
    """Estimate the factor from the image itself.

    ``test_cfg['scale_search']`` picks the search:

    * ``'iterate'`` (default): the detector runs at the first guess ``diameter / prior_diameter``; while its
      confident boxes are near the trained size but their median is more than ``scale_tolerance`` (default 1.15)
      away from it, it runs again at ``diameter / median diameter`` (at most ``scale_iterations``, default 3,
      runs). The factor it converged at is returned as probed, so a model can reuse that run's detections. When
      a run has too few confident boxes, or boxes far from the trained size, or it does not converge, the sweep
      below decides (images whose nuclei are more than ``scale_consistency`` from the first guess).
    * ``'sweep'``: the detector runs at each of :func:`probe_scales`. A probe counts when at least ``MIN_BOXES``
      boxes score ``scale_score_thr`` (default 0.4) or more and their median diameter at the input is within a
      factor ``scale_consistency`` (default 2) of the trained ``diameter``: at a far wrong scale the detector
      fires on texture or parts of nuclei, with low scores. Of the probes that count, the one whose
      ``scale_top_k`` (default 20) best scores are highest on average, less ``scale_prior_weight`` (default 0)
      times ``|log(its factor / first guess)|``, gives the factor ``diameter / median diameter`` (original
      pixels): a weight prefers nuclei of about the training images' size to clumps of them seen at a far smaller
      factor, which can score as well. Without any, the first guess stays. ``scale_sweep_above='if_none_below'``
      (default ``'always'``) probes the factors below the first guess first and those from it up only when none
      of them counted: nuclei seen at a smaller factor are not smaller than the training images' (the factors
      above look at the smallest crops at the largest inputs, the sweep's most costly runs).

    Args:
        detect: ``scale -> (boxes (N, 4) XYXY in original pixels, scores (N,))`` on the image (or its probe crop).
        test_cfg: the model's ``diameter`` and ``prior_diameter``, and the options above.
        start: where ``'iterate'`` starts instead of the first guess (a size regressor's prediction).

    ``scale_gain`` (default 1) multiplies the factor the search aims at (it looks for boxes of ``scale_gain x
    diameter``): a model whose boxes are larger than its nuclei's masks is given its factor ``scale_gain`` up.
    """
    search = test_cfg.get('scale_search', 'iterate')
    gain = float(test_cfg.get('scale_gain', 1.0))
    if gain != 1.0:  # aim at boxes of gain x the trained diameter (the detector's boxes run larger than masks)
        test_cfg = dict(test_cfg, diameter=float(test_cfg['diameter']) * gain, scale_gain=1.0)
    if search not in ('iterate', 'sweep'):
        raise ValueError(f"test_cfg.scale_search must be 'iterate' or 'sweep', not {search!r}")
    detect = _once_per_factor(detect)
    if search == 'iterate':
        scale = _iterate_scale(detect, test_cfg, start)
        if scale is not None:
            return scale
    return _sweep_scale(detect, test_cfg)


def _once_per_factor(detect: Callable[[float], Tuple[Tensor, Tensor]]) -> Callable[[float], Tuple[Tensor, Tensor]]:
    """``detect`` run at most once per factor: the sweep's probes include the first guess the iteration began
    at (and, when it stopped there, the check's half factor), which would otherwise be detected twice."""
    done = {}

    def run(scale: float) -> Tuple[Tensor, Tensor]:
        if scale not in done:
            done[scale] = detect(scale)
        return done[scale]
    return run


def _probe_diameter(boxes: Tensor, scores: Tensor, scale: float, test_cfg: dict) -> Optional[float]:
    """Median diameter (original pixels) of a probe's confident boxes, ``None`` when the probe does not count:
    fewer than ``MIN_BOXES`` confident boxes, or their median at the input more than ``scale_consistency`` away
    from the trained diameter."""
    diameter = median_diameter(boxes, scores, float(test_cfg.get('scale_score_thr', 0.4)))
    consistency = math.log(float(test_cfg.get('scale_consistency', 2.0)))
    if diameter is None or diameter <= 0 or abs(math.log(scale * diameter / float(test_cfg['diameter']))) \
            > consistency:
        return None
    return diameter


def first_guess(test_cfg: dict) -> float:
    """``diameter / prior_diameter``: the factor of an image whose nuclei have the training images' median size."""
    target = float(test_cfg['diameter'])
    return clip_scale(target / float(test_cfg.get('prior_diameter') or target))


def _iterate_scale(detect: Callable[[float], Tuple[Tensor, Tensor]], test_cfg: dict,
                   start: Optional[float] = None) -> Optional[float]:
    """The ``'iterate'`` search of :func:`estimate_scale`; ``None`` when it must fall back to the sweep."""
    target = float(test_cfg['diameter'])
    tolerance = math.log(float(test_cfg.get('scale_tolerance', 1.15)))
    scale = clip_scale(start) if start else first_guess(test_cfg)
    for _ in range(int(test_cfg.get('scale_iterations', 3))):
        boxes, scores = detect(scale)
        diameter = _probe_diameter(boxes, scores, scale, test_cfg)
        if diameter is None:
            return None
        if abs(math.log(scale * diameter / target)) <= tolerance:
            return scale if _passes_check(detect, scale, scores, test_cfg) else None
        scale = clip_scale(target / diameter)
    return None


def _passes_check(detect: Callable[[float], Tuple[Tensor, Tensor]], scale: float, scores: Tensor,
                  test_cfg: dict) -> bool:
    """The converged factor against one run at ``scale * scale_check`` (default 0.5; a quarter of the pixels):
    at a factor far too large the detector fires on texture and parts of large nuclei at the trained size, and
    the smaller factor then sees the real nuclei more confidently. ``scale_check=None``: no check.

    With ``scale_check_ratio`` set (e.g. ``sqrt(0.5)``), the check also passes when the smaller factor's boxes
    are at most that fraction of the trained size: the same nuclei seen smaller (at half the factor they are
    about half the size), not other, larger objects now at the trained size. Small nuclei seen smaller can score
    higher than at the trained size, which alone would fail a right factor."""
    factor = test_cfg.get('scale_check', 0.5)
    if not factor:
        return True
    check = clip_scale(scale * float(factor))
    if check == scale:
        return True
    check_boxes, check_scores = detect(check)
    check_diameter = _probe_diameter(check_boxes, check_scores, check, test_cfg)
    if check_diameter is None:
        return True
    ratio = test_cfg.get('scale_check_ratio')
    if ratio and check * check_diameter <= float(ratio) * float(test_cfg['diameter']):
        return True
    return _quality(check_scores, test_cfg) <= _quality(scores, test_cfg)


def _quality(scores: Tensor, test_cfg: dict) -> float:
    """Mean of the ``scale_top_k`` (default 20) best scores of a run."""
    return float(scores.sort(descending=True).values[:int(test_cfg.get('scale_top_k', 20))].mean())


def _sweep_scale(detect: Callable[[float], Tuple[Tensor, Tensor]], test_cfg: dict) -> float:
    """The ``'sweep'`` search of :func:`estimate_scale`."""
    target = float(test_cfg['diameter'])
    guess = first_guess(test_cfg)
    weight = float(test_cfg.get('scale_prior_weight', 0.0))
    above = test_cfg.get('scale_sweep_above', 'always')
    if above not in ('always', 'if_none_below'):
        raise ValueError(f"test_cfg.scale_sweep_above must be 'always' or 'if_none_below', not {above!r}")
    best, best_quality = guess, -math.inf
    scales = probe_scales(test_cfg)
    below, rest = [s for s in scales if s < guess], [s for s in scales if s >= guess]
    for group in (below, rest):
        if group is rest and above == 'if_none_below' and best_quality > -math.inf:
            break
        for scale in group:
            boxes, scores = detect(scale)
            diameter = _probe_diameter(boxes, scores, scale, test_cfg)
            if diameter is None:
                continue
            implied = clip_scale(target / diameter)
            quality = _quality(scores, test_cfg) - weight * abs(math.log(implied / guess))
            if quality > best_quality:
                best, best_quality = implied, quality
    return best


def probe_window(height: int, width: int, side: int = PROBE_SIDE) -> Tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the central crop of at most ``side`` pixels a side that estimation looks at."""
    h, w = min(height, side), min(width, side)
    y0, x0 = (height - h) // 2, (width - w) // 2
    return y0, y0 + h, x0, x0 + w


def probe_side(scale: float) -> int:
    """Side (original pixels) of the central crop a probe at ``scale`` looks at: ``PROBE_INPUT`` input pixels,
    at most ``PROBE_SIDE``."""
    return max(1, min(PROBE_SIDE, int(PROBE_INPUT / scale)))


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
