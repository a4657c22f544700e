"""Box-prompt jitter for segmenter training: ground-truth boxes made to look like detections."""
from typing import Optional, Tuple

import torch


def jitter_boxes(boxes: torch.Tensor, ratio: float = 0.1, pixels: float = 2.0,
                 bounds: Optional[Tuple[int, int]] = None,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Move each side of each box by U(-ratio, ratio) × its size plus U(-pixels, pixels).

    Args:
        boxes: N×4 XYXY in pixels.
        ratio: fraction of the box width (x sides) / height (y sides).
        pixels: absolute jitter per side in pixels.
        bounds: optional (H, W) to clip to.

    Returns:
        N×4 XYXY boxes, each at least 1 px wide and high.
    """
    wh = (boxes[:, 2:] - boxes[:, :2]).repeat(1, 2)
    u = torch.rand(boxes.shape, generator=generator, device=boxes.device) * 2 - 1
    v = torch.rand(boxes.shape, generator=generator, device=boxes.device) * 2 - 1
    out = boxes + u * ratio * wh + v * pixels
    x0, y0 = torch.minimum(out[:, 0], out[:, 2] - 1), torch.minimum(out[:, 1], out[:, 3] - 1)
    out = torch.stack([x0, y0, torch.maximum(out[:, 2], x0 + 1), torch.maximum(out[:, 3], y0 + 1)], 1)
    if bounds is not None:
        h, w = bounds
        out[:, 0::2] = out[:, 0::2].clamp(0, w)
        out[:, 1::2] = out[:, 1::2].clamp(0, h)
    return out
