"""SAM checkpoint loading beside the segmenter: check an official or local file against the model, then load it.

Download, cache and SHA-256 checks of the files are generic (``centersam_mm.utils.checkpoints``).
"""
from pathlib import Path
from typing import Mapping

import torch

from ...utils.checkpoints import SAM_PREFIXES, CheckpointError, read_state_dict, resolve_checkpoint
from .sam_archs import SAM_ARCHS


def describe_arch(state: Mapping[str, torch.Tensor]) -> str:
    """Human description of a SAM state dict: 'ViT depth 12, width 768 (= vit_b)'."""
    depth = len({k.split('.')[2] for k in state if k.startswith('image_encoder.blocks.')})
    weight = state.get('image_encoder.patch_embed.proj.weight')
    width = int(weight.shape[0]) if weight is not None else -1
    names = [n for n, a in SAM_ARCHS.items()
             if a.encoder_depth == depth and a.encoder_embed_dim == width]
    return f"ViT depth {depth}, width {width}" + (f" (= {names[0]})" if names else '')


def check_state_dict(model_state: Mapping[str, torch.Tensor], ckpt_state: Mapping[str, torch.Tensor],
                     arch: str, path: Path) -> None:
    """Raise a one-line CheckpointError unless keys and shapes match exactly."""
    missing = sorted(set(model_state) - set(ckpt_state))
    unexpected = sorted(set(ckpt_state) - set(model_state))
    bad = [k for k in model_state if k in ckpt_state and model_state[k].shape != ckpt_state[k].shape]
    if not (missing or unexpected or bad):
        return
    detail = (f'{len(missing)} missing, {len(unexpected)} unexpected, {len(bad)} mis-shaped keys'
              + (f', e.g. {bad[0]} {tuple(ckpt_state[bad[0]].shape)} vs '
                 f'{tuple(model_state[bad[0]].shape)}' if bad else ''))
    raise CheckpointError(f"{path} does not fit arch '{arch}': the file is "
                          f"{describe_arch(ckpt_state)}, the model {describe_arch(model_state)}; "
                          f"{detail}")


def load_sam_checkpoint(model: torch.nn.Module, name_or_path: str) -> Path:
    """Load an official name or file into a SAM model (keys image_encoder.* ... as Meta's)."""
    path = resolve_checkpoint(name_or_path)
    state = read_state_dict(path)
    model_state = {k: v for k, v in model.state_dict().items() if k.startswith(SAM_PREFIXES)}
    check_state_dict(model_state, state, getattr(model, 'arch_name', '?'), path)
    state = {k: v.to(model_state[k].dtype) for k, v in state.items()}
    model.load_state_dict(state, strict=False)
    return path
