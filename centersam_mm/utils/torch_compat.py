"""Let MMEngine read the checkpoints it writes, under torch >= 2.6.

torch 2.6 changed ``torch.load``'s default to ``weights_only=True``. MMEngine 0.10 calls ``torch.load``
without the argument, and a training checkpoint holds the message hub's ``HistoryBuffer`` and numpy
arrays, so ``--resume``, ``tools/test.py`` and ``init_detector`` fail on checkpoints the runner itself
wrote. MMEngine's ``CheckpointLoader`` has a registry of loaders by path prefix; this module registers,
for local paths (prefix ``''``), a loader that keeps torch's pre-2.6 behaviour. As with any pickle:
load only checkpoints you trust (official SAM files and this project's own).
"""
import os.path as osp
from typing import Any, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_local_checkpoint(filename: str, map_location: Optional[Any] = None) -> dict:
    """``torch.load`` of a local file with ``weights_only=False`` (MMEngine's ``load_from_local``, torch < 2.6)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def allow_mmengine_checkpoints() -> None:
    """Register :func:`load_local_checkpoint` as MMEngine's loader for local paths."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
