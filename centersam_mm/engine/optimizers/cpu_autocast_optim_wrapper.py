"""Mixed precision (bfloat16 autocast) for training on CPU.

MMEngine's ``AmpOptimWrapper`` asserts a CUDA/NPU/MLU device, so CPU runs cannot use it. This
wrapper is MMEngine's plain ``OptimWrapper`` whose ``optim_context`` (the block in which
``BaseModel.train_step`` runs the data preprocessor and the forward pass with the loss) also enters
``torch.autocast('cpu', dtype=torch.bfloat16)``. bfloat16 keeps float32's exponent range, so no
loss scaling is needed; parameters, gradients and optimizer state stay float32, so checkpoints are
the same as an ``OptimWrapper``'s and a run can resume with either.

Measured on the 2-core CPU of docs/benchmarks.md: the half-width ResNet-18 CenterNet, batch 16 of
256x256 crops, forward + backward + Adam step 1.00 s in float32, 0.50 s with this wrapper.
Heads that need float32 (sigmoid outputs near 0 and 1, e.g. the heatmap focal loss) leave autocast
themselves (see ``NucleusCenterNetHead.forward_single``).
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that runs the forward pass under CPU autocast.

    Args:
        dtype (str): autocast dtype, ``'bfloat16'`` (default; float16 on CPU is slow and would
            need loss scaling).
        **kwargs: as :class:`mmengine.optim.OptimWrapper` (``optimizer``, ``clip_grad``, ...).
    """

    def __init__(self, *args, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if dtype not in ('bfloat16', 'float32'):
            raise ValueError(f'CPUAutocastOptimWrapper: dtype must be bfloat16 or float32, got {dtype!r}')
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        """Gradient-accumulation context of ``OptimWrapper`` plus ``torch.autocast('cpu')``."""
        enabled = self.cast_dtype != torch.float32
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype, enabled=enabled):
            yield
