"""Geometry of (N, H, W) bool mask stacks."""
import torch
from torch import Tensor


def any_along(masks: Tensor, dim: int) -> Tensor:
    """``masks.any(dim)`` of a bool tensor, as the maximum of its bytes: 4-10x faster than ``any`` on the CPU for
    a stack of whole-image masks (torch 2.14: 0.46 -> 0.12 s over 1,309 masks of 1000², docs/benchmarks.md)."""
    if masks.shape[dim] == 0:  # amax refuses to reduce an empty dimension; nothing there is True
        dim %= masks.dim()
        return masks.new_zeros(masks.shape[:dim] + masks.shape[dim + 1:])
    return masks.view(torch.uint8).amax(dim).bool()


def keep_rows(stack: Tensor, keep: Tensor) -> Tensor:
    """``stack[keep]`` (``keep``: (N,) bool) without a second stack: the kept rows are moved to the front of
    ``stack``, in order, and the first of its rows returned as a view. ``stack`` is overwritten: the caller hands
    over a stack of its own. On a MoNuSeg image's 1,309 whole-image candidates: 0.02 s and a peak RSS 0.5 GB
    lower, against 0.11-0.78 s for a copy (docs/benchmarks.md)."""
    kept = keep.nonzero().squeeze(1).tolist()
    for row, index in enumerate(kept):
        if row != index:
            stack[row] = stack[index]
    return stack[:len(kept)]


def mask_boxes(masks: Tensor) -> Tensor:
    """(N, 4) int64 ``(y0, y1, x0, x1)`` half-open tight box of each (N, H, W) bool mask; ``(0, 0, 0, 0)`` for
    an empty one. Rows in one pass over the masks, then columns within each mask's rows only."""
    rows = any_along(masks, 2)  # (N, H)
    height = rows.shape[1]
    y0 = rows.to(torch.uint8).argmax(1)
    y1 = height - rows.flip(1).to(torch.uint8).argmax(1)
    boxes = torch.zeros(len(masks), 4, dtype=torch.long, device=masks.device)
    for index, (top, bottom) in enumerate(zip(y0.tolist(), y1.tolist())):
        cols = masks[index, top:bottom].any(0)
        if bool(cols.any()):
            left = int(cols.to(torch.uint8).argmax())
            right = len(cols) - int(cols.flip(0).to(torch.uint8).argmax())
            boxes[index] = torch.tensor([top, bottom, left, right])
    return boxes


def clean_masks(masks: Tensor, inplace: bool = False) -> Tensor:
    """Each (N, H, W) bool mask reduced to its largest 4-connected component with its holes filled (as Cellpose's
    ``fill_holes_and_remove_small_masks`` tidies its masks), computed within the mask's tight box; empty masks
    stay empty. Returns a new stack on the masks' device, or ``masks`` itself, cleaned, with ``inplace`` (no
    second stack: a tile of many nuclei holds one bool per pixel and nucleus)."""
    from scipy import ndimage
    out = masks if inplace else masks.clone()
    for index, (top, bottom, left, right) in enumerate(mask_boxes(masks).tolist()):
        if bottom <= top:
            continue
        crop = masks[index, top:bottom, left:right].cpu().numpy()
        components, count = ndimage.label(crop)
        if count > 1:
            crop = components == 1 + int(ndimage.sum_labels(crop, components, range(1, count + 1)).argmax())
        out[index, top:bottom, left:right] = torch.from_numpy(ndimage.binary_fill_holes(crop)).to(masks.device)
    return out
