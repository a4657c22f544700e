"""SAM's image encoder on the part of its input that holds the image.

An encoder input is the image resized into the top-left ``h x w`` of an ``S x S`` square, zero (after
normalisation) elsewhere. When every block of the ViT attends within windows (no global attention, as in the
small SAM), a token depends only on the input pixels of its own attention window (``window_size`` tokens a side,
windows starting at token 0): the patch embedding, the MLPs and the norms act per token. The windows that lie
wholly in the zero padding therefore compute the same features for every image: :func:`blank_features`
computes them once, on an all-zero input; each image then runs the blocks only on the windows that hold a
pixel of it and takes the rest from the blank, and the neck (whose 3x3 convolution mixes neighbouring tokens)
runs on the assembled grid as before. The embedding equals the whole input's up to float rounding
(``tests/models/test_valid_encoding.py``); a DSB image at the default model's factor fills on average 41 % of
the windows the segmenter encodes (docs/benchmarks.md, "CPU speed").

Encoders with global attention blocks (Meta's ViT-B/L/H) are run whole.
"""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn


def windowed_only(encoder: nn.Module) -> Optional[int]:
    """The attention window side (tokens) when every block of ``encoder`` attends within windows of it, else
    ``None`` (a global block sees every token: nothing can be left out)."""
    sizes = {int(getattr(block, 'window_size', 0)) for block in encoder.blocks}
    return sizes.pop() if len(sizes) == 1 and 0 not in sizes else None


def _trunk(encoder: nn.Module, x: Tensor) -> Tensor:
    """Patch embedding, positions and blocks of ``encoder`` on ``x`` (B x 3 x h x w, h and w whole windows'
    pixels from the input's top-left corner): B x h/p x w/p x C tokens, before the neck."""
    tokens = encoder.patch_embed(x)
    if encoder.pos_embed is not None:
        tokens = tokens + encoder.pos_embed[:, :tokens.shape[1], :tokens.shape[2]]
    for block in encoder.blocks:
        tokens = block(tokens)
    return tokens


def blank_features(encoder: nn.Module, side: int, device: torch.device) -> Tensor:
    """1 x T x T x C trunk features of an all-zero ``side`` x ``side`` input (T = side / patch)."""
    return _trunk(encoder, torch.zeros(1, 3, side, side, device=device))


class ValidRegionEncoder:
    """``encode(x, valid_hw)``: ``encoder(x)`` for one padded input whose image is its top-left ``valid_hw``,
    computed on the attention windows that hold the image. The blank features are cached per device, autocast
    state and weights (their in-place versions), so loading other weights or switching precision recomputes
    them."""

    def __init__(self, encoder: nn.Module):
        self.encoder = encoder
        self._blank: Dict[tuple, Tensor] = {}

    def _key(self, device: torch.device) -> tuple:
        autocast = torch.is_autocast_enabled(device.type)
        dtype = torch.get_autocast_dtype(device.type) if autocast else None
        return (str(device), autocast, dtype, tuple(p._version for p in self.encoder.parameters()))

    def blank(self, side: int, device: torch.device) -> Tensor:
        key = self._key(device) + (side,)
        if key not in self._blank:
            self._blank.clear()  # one set of weights and precision at a time
            self._blank[key] = blank_features(self.encoder, side, device)
        return self._blank[key]

    def encode(self, x: Tensor, valid_hw: Tuple[int, int]) -> Tensor:
        """``self.encoder(x)`` for a 1 x 3 x S x S input zero outside its top-left ``valid_hw``."""
        window = windowed_only(self.encoder)
        side = x.shape[-1]
        patch = side // self.encoder.pos_embed.shape[1] if self.encoder.pos_embed is not None else None
        if window is None or patch is None or x.shape[0] != 1 or x.shape[-2] != side:
            return self.encoder(x)
        span = window * patch  # pixels of one attention window
        rows, cols = (min(side, -(-int(n) // span) * span) for n in valid_hw)
        if (rows, cols) == (side, side):
            return self.encoder(x)
        features = self.blank(side, x.device).clone()
        features[:, :rows // patch, :cols // patch] = _trunk(self.encoder, x[..., :rows, :cols])
        return self.encoder.neck(features.permute(0, 3, 1, 2))
