"""Inference-only rewrites of a detector that leave its outputs unchanged up to float rounding.

``speed_up_detector`` folds each BatchNorm into the convolution before it (``mmcv.cnn.fuse_conv_bn``) in the
backbone and neck, and stores the detector's weights channels-last (NHWC), the layout oneDNN's CPU convolutions
run fastest in. On the default CenterNet (ResNet-18 + skip neck) this makes a detector run 1.7-2.2x faster on
the CPU (docs/benchmarks.md, "CPU speed"); CenterSAM runs its detector several times per image (the scale
estimate), so most of its time is there.

``fuse_conv_bn`` assumes a BatchNorm follows the convolution registered just before it; the rewrite is kept
only when the rewritten backbone + neck give the same features as the original on a probe input, so a model
that breaks the assumption keeps its own modules. The result is for inference only: the folded model has no
BatchNorm left to train.
"""
import copy
from typing import Optional

import torch
from torch import nn

PROBE_SIDE = 64  # side of the random RGB probe input the rewrite is checked on (a multiple of usual strides)
RTOL, ATOL = 1e-3, 1e-4


def _features(detector: nn.Module, inputs: torch.Tensor) -> tuple:
    with torch.no_grad():
        features = detector.extract_feat(inputs)
    return tuple(features) if isinstance(features, (tuple, list)) else (features,)


def _same(before: tuple, after: tuple) -> bool:
    return len(before) == len(after) and all(
        a.shape == b.shape and torch.allclose(a.float(), b.float(), rtol=RTOL, atol=ATOL * (1 + float(b.abs().max())))
        for a, b in zip(after, before))


def speed_up_detector(detector: nn.Module) -> Optional[nn.Module]:
    """A copy of ``detector`` (an MMDetection detector with ``extract_feat``, in eval mode) with BatchNorm folded
    into the convolutions of its ``backbone`` and ``neck`` and its weights channels-last; ``None`` when the
    folded copy's features differ from the original's on a random probe (the caller keeps the original).

    The original is not modified. Detectors without ``extract_feat`` or a ``backbone`` get ``None``.
    """
    from mmcv.cnn import fuse_conv_bn
    if not hasattr(detector, 'extract_feat') or not isinstance(getattr(detector, 'backbone', None), nn.Module):
        return None
    parameter = next(detector.parameters(), None)
    device = parameter.device if parameter is not None else torch.device('cpu')
    generator = torch.Generator().manual_seed(0)
    probe = torch.randn(1, 3, PROBE_SIDE, PROBE_SIDE, generator=generator).to(device)
    fast = copy.deepcopy(detector).eval()
    for part in ('backbone', 'neck'):
        if isinstance(getattr(fast, part, None), nn.Module):
            setattr(fast, part, fuse_conv_bn(getattr(fast, part)))
    fast = fast.to(memory_format=torch.channels_last)
    try:
        same = _same(_features(detector.eval(), probe), _features(fast, probe))
    except Exception:  # a model the rewrite breaks keeps its own modules
        return None
    return fast if same else None


def speed_up_for_inference(model: nn.Module) -> nn.Module:
    """``model`` with its detector replaced by :func:`speed_up_detector`'s copy where that applies: the
    ``detector`` of a composite model (CenterSAM), else the model itself. Returns ``model`` (modified in place
    for a composite model) or the sped-up copy of a plain detector; use it on a model built for inference."""
    inner = getattr(model, 'detector', None)
    if isinstance(inner, nn.Module):
        fast = speed_up_detector(inner)
        if fast is not None:
            model.detector = fast
        return model
    fast = speed_up_detector(model)  # a deep copy: keeps cfg and dataset_meta
    return model if fast is None else fast
