"""Release checkpoints: weights only, half precision, written atomically."""
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import torch

from ..io.atomic import atomic_path
from .checkpoints import sha256_file


def strip_to_weights(state: Mapping[str, Any], half: bool = True) -> Dict[str, torch.Tensor]:
    """Tensors of a state dict, floating ones cast to fp16 when ``half``."""
    out = {}
    for key, value in state.items():
        if not torch.is_tensor(value):
            continue
        out[key] = value.half() if half and value.is_floating_point() else value
    return out


def publish_state(ckpt: Mapping[str, Any], half: bool = True) -> Dict[str, Any]:
    """``{'meta', 'state_dict'}`` of an MMEngine checkpoint (or a bare state dict)."""
    state = ckpt.get('state_dict', ckpt)
    meta = dict(ckpt.get('meta', {})) if 'state_dict' in ckpt else {}
    keep = {k: meta[k] for k in ('epoch', 'iter', 'cfg', 'mmengine_version') if k in meta}
    keep['dtype'] = 'float16' if half else 'float32'
    return dict(meta=keep, state_dict=strip_to_weights(state, half))


def combine_states(detector: Mapping[str, Any], segmenter: Mapping[str, torch.Tensor],
                   half: bool = True, sources: Optional[dict] = None,
                   scorer: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """CenterSAM checkpoint: ``detector.*`` + ``segmenter.*`` (+ ``scorer.*`` when given) keys."""
    state = {f'detector.{k}': v for k, v in detector.items()
             if not k.startswith('data_preprocessor.')}
    state.update({f'segmenter.{k}': v for k, v in segmenter.items()})
    state.update({f'scorer.{k}': v for k, v in (scorer or {}).items() if not k.startswith('data_preprocessor.')})
    meta = dict(sources=sources or {}, dtype='float16' if half else 'float32')
    return dict(meta=meta, state_dict=strip_to_weights(state, half))


def save_atomic(obj: Any, path: Path) -> None:
    """torch.save into a temporary file next to ``path``, then rename (``centersam_mm.io.atomic``)."""
    with atomic_path(path) as temp_path:
        torch.save(obj, temp_path)


def sha256_prefix(path: Path, n: int = 8) -> str:
    """First ``n`` hex digits of the file's SHA-256."""
    return sha256_file(Path(path))[:n]


def save_and_describe(checkpoint: Dict[str, Any], path: Path) -> str:
    """Write ``checkpoint`` atomically to ``path``; return ``'<path>: N tensors, X MiB, sha256 <prefix>'``."""
    save_atomic(checkpoint, path)
    size_mib = path.stat().st_size / 2**20
    return f'{path}: {len(checkpoint["state_dict"])} tensors, {size_mib:.1f} MiB, sha256 {sha256_prefix(path)}'
