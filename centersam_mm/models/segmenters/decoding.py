"""Box-prompt mask decoding on the whole image embedding or on a window of it.

SAM's ``MaskDecoder.predict_masks`` repeats the whole image embedding for each
prompt (64×64 tokens × N boxes). :func:`decode_masks` runs the same layers on
one embedding *per prompt*, which may be a crop: a ``w×w``-token window centred
on the box, with the dense positional encoding cropped identically, so the
absolute coordinates of the box-corner encoding and of the image tokens agree.
On the full embedding it reproduces ``MaskDecoder.forward(multimask_output=False)``.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch

from .sam_modeling import MaskDecoder


class Windows(NamedTuple):
    """Token windows for N boxes: top-left (N,2) as (y, x) and side ``size`` tokens."""

    origin: torch.Tensor
    size: int


def decode_masks(decoder: MaskDecoder, src: torch.Tensor, pos: torch.Tensor,
                 sparse: torch.Tensor, dense: torch.Tensor,
                 mask_index: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run SAM's mask decoder with one (possibly cropped) embedding per prompt.

    Args:
        decoder: the official ``MaskDecoder`` (its weights are used as-is).
        src: N×C×h×w image embedding per prompt (expanded or windowed).
        pos: N×C×h×w (or 1×C×h×w) dense positional encoding of the same tokens.
        sparse: N×T×C prompt tokens (box corners: T=2).
        dense: N×C×h×w (or broadcastable) dense prompt embedding.
        mask_index: which mask token to return (0 = SAM's single-mask output).

    Returns:
        logits N×4h×4w (low-res mask logits) and iou_pred (N,).
    """
    n = sparse.shape[0]
    out_tokens = torch.cat([decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
    tokens = torch.cat((out_tokens.unsqueeze(0).expand(n, -1, -1), sparse), dim=1)
    src = src + dense
    pos = pos.expand(n, -1, -1, -1)
    b, c, h, w = src.shape
    hs, src = decoder.transformer(src, pos, tokens)
    iou_token_out = hs[:, 0, :]
    mask_token_out = hs[:, 1 + mask_index, :]
    upscaled = decoder.output_upscaling(src.transpose(1, 2).reshape(b, c, h, w))
    hyper = decoder.output_hypernetworks_mlps[mask_index](mask_token_out)
    bu, cu, hu, wu = upscaled.shape
    logits = torch.bmm(hyper.unsqueeze(1), upscaled.reshape(bu, cu, hu * wu)).reshape(b, hu, wu)
    iou_pred = decoder.iou_prediction_head(iou_token_out)[:, mask_index]
    return logits, iou_pred


def box_windows(boxes_tok: torch.Tensor, size: int, grid: Tuple[int, int]) -> Windows:
    """Windows of ``size`` tokens centred on boxes, shifted to lie inside the grid.

    Args:
        boxes_tok: N×4 boxes XYXY in token units (encoder-input pixels / patch size).
        size: window side in tokens (<= grid side).
        grid: (gh, gw) embedding size in tokens.
    """
    cx = (boxes_tok[:, 0] + boxes_tok[:, 2]) / 2
    cy = (boxes_tok[:, 1] + boxes_tok[:, 3]) / 2
    x0 = torch.round(cx - size / 2).clamp(0, grid[1] - size)
    y0 = torch.round(cy - size / 2).clamp(0, grid[0] - size)
    return Windows(torch.stack([y0, x0], dim=1).long(), size)


def fits_window(boxes_tok: torch.Tensor, windows: Windows, margin: float = 1.0) -> torch.Tensor:
    """(N,) bool: the box plus ``margin`` tokens lies inside its window (or at the grid edge)."""
    y0 = windows.origin[:, 0].to(boxes_tok.dtype)
    x0 = windows.origin[:, 1].to(boxes_tok.dtype)
    s = windows.size
    return ((boxes_tok[:, 0] >= x0 + margin) | (x0 == 0)) & \
        ((boxes_tok[:, 1] >= y0 + margin) | (y0 == 0)) & \
        (boxes_tok[:, 2] <= x0 + s - margin) & (boxes_tok[:, 3] <= y0 + s - margin)


def crop_windows(maps: torch.Tensor, windows: Windows) -> torch.Tensor:
    """Gather N windows from one map: 1×C×H×W (token grid) -> N×C×s×s."""
    s = windows.size
    ar = torch.arange(s, device=maps.device)
    ys = windows.origin[:, :1] + ar  # N×s
    xs = windows.origin[:, 1:] + ar  # N×s
    crops = maps[0][:, ys[:, :, None], xs[:, None, :]]  # C×N×s×s
    return crops.permute(1, 0, 2, 3)


def assign_window_sizes(boxes_tok: torch.Tensor, sizes: Sequence[int], grid: Tuple[int, int],
                        margin: float = 1.0) -> torch.Tensor:
    """Smallest window size in ``sizes`` that holds each box; 0 means full decoding.

    Returns:
        (N,) long tensor of window sides in tokens (0 = full embedding).
    """
    chosen = torch.zeros(len(boxes_tok), dtype=torch.long, device=boxes_tok.device)
    for size in sorted(sizes, reverse=True):
        if size > min(grid):
            continue
        ok = fits_window(boxes_tok, box_windows(boxes_tok, size, grid), margin)
        chosen[ok] = size
    return chosen


def paste_windows(logits: torch.Tensor, windows: Optional[Windows], grid: Tuple[int, int],
                  fill: float = -1e4) -> torch.Tensor:
    """Place window logits (N×4s×4s) on a low-res canvas N×4gh×4gw filled with ``fill``."""
    if windows is None:
        return logits
    n = logits.shape[0]
    up = logits.shape[-1] // windows.size
    canvas = logits.new_full((n, grid[0] * up, grid[1] * up), fill)
    side = logits.shape[-1]
    for i, (y0, x0) in enumerate((windows.origin * up).tolist()):
        canvas[i, y0:y0 + side, x0:x0 + side] = logits[i]
    return canvas


def group_indices(window_sizes: torch.Tensor) -> List[Tuple[int, torch.Tensor]]:
    """[(window size, indices)] for each distinct size (0 = full decoding)."""
    return [(int(s), torch.nonzero(window_sizes == s).flatten())
            for s in torch.unique(window_sizes).tolist()]


def box_mask_input(boxes: torch.Tensor, windows: Windows, patch_size: int) -> torch.Tensor:
    """Boxes rasterised as SAM mask prompts over their windows: +1 inside, -1 outside.

    Args:
        boxes: n×4 XYXY, encoder-input pixels.
        windows: their token windows (side s).
        patch_size: input pixels per token.

    Returns:
        n×1×4s×4s (the mask-input size ``PromptEncoder.mask_downscaling`` expects for s tokens);
        a pixel is inside when its centre is.
    """
    side = 4 * windows.size
    px = patch_size / 4
    origin = windows.origin.to(boxes.dtype) * patch_size  # (n, 2) y, x
    centres = (torch.arange(side, device=boxes.device, dtype=boxes.dtype) + 0.5) * px
    ys, xs = origin[:, :1] + centres, origin[:, 1:] + centres
    inside_y = (ys >= boxes[:, 1:2]) & (ys < boxes[:, 3:4])
    inside_x = (xs >= boxes[:, 0:1]) & (xs < boxes[:, 2:3])
    return ((inside_y[:, :, None] & inside_x[:, None, :]).to(boxes.dtype) * 2 - 1)[:, None]
