"""Arithmetic precision of inference on the CPU: float32, or bfloat16 autocast where the CPU computes it natively.

A precision option (``'fp32'``, ``'bf16'`` or ``'auto'``) names the arithmetic of one network at inference:
``'auto'`` is bf16 on a CPU with bfloat16 instructions (AVX512-BF16 or AMX), where oneDNN's bf16 convolutions and
matrix products run 2-3x faster than float32, and float32 elsewhere (without them oneDNN emulates bf16, more
slowly). Other devices keep float32 (the GPU path has its own autocast). Used by the SAM image encoder
(``SAMBoxPromptSegmenter(encoder_precision=...)``) and CenterSAM's detector (``test_cfg.probe_precision`` and
``test_cfg.detector_precision``).
"""
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

PRECISIONS = ('fp32', 'bf16', 'auto')


def cpu_has_native_bf16() -> bool:
    """True on a CPU with bfloat16 instructions (AVX512-BF16 or AMX), where bf16 autocast is faster than fp32;
    elsewhere oneDNN emulates it, more slowly."""
    checks = (getattr(torch.cpu, '_is_avx512_bf16_supported', None),
              getattr(torch.cpu, '_is_amx_tile_supported', None))
    return any(check is not None and bool(check()) for check in checks)


def check_precision(name: str, precision: str) -> str:
    """``precision`` if it is one of ``PRECISIONS``; else ValueError naming the option ``name``."""
    if precision not in PRECISIONS:
        raise ValueError(f'{name} must be one of {PRECISIONS}, not {precision!r}')
    return precision


def uses_bf16(precision: str, device: torch.device) -> bool:
    """Whether a network set to ``precision`` autocasts to bf16 on ``device`` (CPU only)."""
    if torch.device(device).type != 'cpu' or precision == 'fp32':
        return False
    return precision == 'bf16' or cpu_has_native_bf16()


@contextmanager
def bf16_features(detector: nn.Module, enabled: bool = True) -> Iterator[None]:
    """Within the block, ``detector.extract_feat`` (backbone and neck, any MMDetection detector) runs under CPU
    bf16 autocast and returns float32 features, so its head, decoding and box sizes stay in float32 (the head's
    few channels gain nothing from bf16 and its scores and sizes keep their precision)."""
    if not enabled:
        yield
        return
    own = vars(detector).get('extract_feat')  # an instance attribute (a wrapper) to put back, if any
    extract = detector.extract_feat

    def extract_bf16(inputs: torch.Tensor):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            features = extract(inputs)
        if isinstance(features, torch.Tensor):
            return features.float()
        return type(features)(feature.float() for feature in features)

    detector.extract_feat = extract_bf16
    try:
        yield
    finally:
        if own is None:
            del detector.extract_feat
        else:
            detector.extract_feat = own
