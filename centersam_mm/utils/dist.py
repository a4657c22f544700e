"""Distributed runs without a GPU: torchrun + MMEngine on CPU processes (gloo).

MMEngine 0.10's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and its DDP wrapper passes
``device_ids=[LOCAL_RANK]``; both fail on a machine without CUDA. For such runs this initialises the
process group with gloo first (MMEngine then skips its own initialisation) and wraps the model in
``MMDistributedDataParallel`` with ``device_ids=None``, as PyTorch requires for CPU modules.
"""
import torch
import torch.distributed as dist
from mmengine.config import Config


def prepare_cpu_distributed(cfg: Config) -> None:
    """Adapt ``cfg`` (and the process group) to a CPU-only ``--launcher pytorch`` run; no-op otherwise."""
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(cfg.get('model_wrapper_cfg') or {}, device_ids=None)
    cfg.model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
