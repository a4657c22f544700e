"""SAM's image-encoder attention with its relative-position terms folded into the query-key product (CPU).

Meta's ``Attention`` adds the decomposed relative-position terms to the attention map after ``q @ k^T``::

    attn[b, (i, j), (k, l)] = q·k + Rh[b, (i, j), k] + Rw[b, (i, j), l]

as two broadcast additions over the whole ``(q_h q_w) x (k_h k_w)`` map. On a CPU those additions (strided
broadcasts the vector units cannot stream) cost more than the matrix products themselves: 53 % of the small
SAM's encoder time under bfloat16 autocast (``torch.profiler``, one thread, 512 x 512 input). The same map is one
matrix product of longer vectors: append ``Rh`` and ``Rw`` to each query, and to each key ``(k, l)`` the one-hot
rows ``e_k`` and ``e_l``; the extra dot products pick exactly ``Rh[.., k] + Rw[.., l]``. The attention is equal up
to float rounding (the sums are taken in another order) and has the same parameters, so checkpoints are untouched.

:func:`fold_rel_pos` switches an encoder's attention modules to this forward where it pays: on CPU tensors (on
CUDA, and without relative positions, Meta's forward runs as it is).
"""
import torch
from torch import nn

from .sam_modeling import modeling

Attention = modeling.image_encoder.Attention
get_rel_pos = modeling.image_encoder.get_rel_pos


def _one_hot_keys(height: int, width: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(height·width) x (height + width): key ``(k, l)`` (row-major) -> ``[e_k, e_l]``."""
    rows = torch.eye(height, dtype=dtype, device=device).repeat_interleave(width, 0)
    cols = torch.eye(width, dtype=dtype, device=device).repeat(height, 1)
    return torch.cat([rows, cols], 1)


def folded_rel_pos_attention(attn: Attention, x: torch.Tensor) -> torch.Tensor:
    """``attn(x)`` (B x H x W x C tokens) with the relative-position terms inside the query-key product."""
    batch, height, width, _ = x.shape
    heads = attn.num_heads
    qkv = attn.qkv(x).reshape(batch, height * width, 3, heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.reshape(3, batch * heads, height * width, -1).unbind(0)
    r_q = q.reshape(batch * heads, height, width, -1)
    rel_h = torch.einsum('bhwc,hkc->bhwk', r_q, get_rel_pos(height, height, attn.rel_pos_h))
    rel_w = torch.einsum('bhwc,wkc->bhwk', r_q, get_rel_pos(width, width, attn.rel_pos_w))
    queries = torch.cat([q * attn.scale, rel_h.reshape(batch * heads, height * width, height).to(q.dtype),
                         rel_w.reshape(batch * heads, height * width, width).to(q.dtype)], -1)
    one_hot = _one_hot_keys(height, width, k.dtype, k.device).expand(batch * heads, -1, -1)
    keys = torch.cat([k, one_hot], -1)
    weights = (queries @ keys.transpose(-2, -1)).softmax(dim=-1)
    out = (weights @ v).view(batch, heads, height, width, -1).permute(0, 2, 3, 1, 4).reshape(batch, height, width, -1)
    return attn.proj(out)


class FoldedRelPosAttention(Attention):
    """Meta's ``Attention`` (same parameters) whose CPU forward is :func:`folded_rel_pos_attention`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_rel_pos and x.device.type == 'cpu':
            return folded_rel_pos_attention(self, x)
        return super().forward(x)


def fold_rel_pos(encoder: nn.Module, fold: bool = True) -> nn.Module:
    """Switch every ``Attention`` of ``encoder`` (in place) to :class:`FoldedRelPosAttention` (``fold=False``:
    back to Meta's forward, the reference path of ``benchmark_speed.py --reference``); returns it."""
    source, target = (Attention, FoldedRelPosAttention) if fold else (FoldedRelPosAttention, Attention)
    for module in encoder.modules():
        if type(module) is source:
            module.__class__ = target
    return encoder
