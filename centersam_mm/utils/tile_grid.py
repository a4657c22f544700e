"""Overlapping tiles of an image and which tile owns a point (pure geometry, no models).

Tiles overlap by at least ``overlap`` pixels; the boundary between two neighbouring tiles is the middle of
their overlap, so each tile's *core* is the tile minus half the overlap on its inner sides, and every point
of the image lies in exactly one core. Used by tiled inference (:mod:`centersam_mm.apis.tiling`) and by the
SAM segmenter's fixed-scale encoding windows.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

MAX_TILE_INPUT = 2048  # default bound on a tile's side at the detector's input (see input_bounded_tiles)


@dataclass(frozen=True)
class Tile:
    """One tile: pixel region ``[y0, y1) × [x0, x1)`` and core ``[core_y0, core_y1) × [core_x0, core_x1)``.

    Core bounds are floats (the middle of an overlap may fall between pixels); outer cores extend to ±inf.
    """
    y0: int
    y1: int
    x0: int
    x1: int
    core_y0: float
    core_y1: float
    core_x0: float
    core_x1: float

    def owns(self, centre_x: float, centre_y: float) -> bool:
        """True if the point (image pixels) lies in this tile's core."""
        return self.core_x0 <= centre_x < self.core_x1 and self.core_y0 <= centre_y < self.core_y1


def tile_starts(length: int, tile_size: int, overlap: int, align: Optional[int] = None) -> List[int]:
    """Start offsets of tiles covering ``[0, length)``.

    Args:
        length: image side in pixels.
        tile_size: tile side in pixels.
        overlap: minimum overlap of neighbouring tiles in pixels.
        align: ``None``: stride ``tile_size - overlap`` and the last tile flush right (all tiles full size).
            An int: every start is a multiple of ``align`` (stride ``tile_size - overlap`` rounded down to
            it) and the last tile is cut at the image end instead. A network of total stride ``align`` then
            sees each tile on the same pixel grid, with the same padding at the image end, as the whole image.
    """
    if tile_size <= overlap:
        raise ValueError(f'tile size ({tile_size}) must exceed the overlap ({overlap})')
    if length <= tile_size:
        return [0]
    if align is None:
        starts = list(range(0, length - tile_size, tile_size - overlap))
        return starts + [length - tile_size]
    stride = (tile_size - overlap) // align * align
    if stride <= 0:
        raise ValueError(f'tile size ({tile_size}) minus overlap ({overlap}) is below the alignment ({align})')
    return list(range(0, length - tile_size + stride, stride))


def core_bounds(starts: Sequence[int], tile_size: int) -> List[Tuple[float, float]]:
    """(low, high) ownership bounds along one axis: the middles of consecutive tiles' overlaps."""
    middles = [(next_start + start + tile_size) / 2 for start, next_start in zip(starts, starts[1:])]
    lows = [-np.inf] + middles
    highs = middles + [np.inf]
    return list(zip(lows, highs))


def make_tiles(height: int, width: int, tile_size: Optional[int], overlap: int,
               align: Optional[int] = None) -> List[Tile]:
    """Row-major tiles covering an (height, width) image; a single tile if ``tile_size`` is falsy or fits.

    ``align``: see :func:`tile_starts`.
    """
    if not tile_size:
        return [Tile(0, height, 0, width, -np.inf, np.inf, -np.inf, np.inf)]
    y_starts = tile_starts(height, tile_size, overlap, align)
    x_starts = tile_starts(width, tile_size, overlap, align)
    tiles = []
    for y0, (core_y0, core_y1) in zip(y_starts, core_bounds(y_starts, tile_size)):
        for x0, (core_x0, core_x1) in zip(x_starts, core_bounds(x_starts, tile_size)):
            tiles.append(Tile(y0, min(y0 + tile_size, height), x0, min(x0 + tile_size, width),
                              core_y0, core_y1, core_x0, core_x1))
    return tiles


def input_bounded_tiles(tile_size: Optional[int], overlap: int, scale: Optional[float],
                        max_input: Optional[int] = MAX_TILE_INPUT) -> Tuple[Optional[int], int]:
    """Tile side and overlap (original pixels) for an image the model resizes by ``scale``: ``tile_size`` and
    ``overlap`` as given while a tile's side at the model's input, ``tile_size * scale``, is at most
    ``max_input``; beyond it both shrink by the same ratio, so a tile's input stays ``max_input`` pixels a side
    (bounded memory and time per tile whatever the factor) and the overlap stays as wide, in nuclei, as at the
    bound. Unchanged without a tile size, a factor or a bound."""
    if not tile_size or not scale or not max_input or tile_size * scale <= max_input:
        return tile_size, overlap
    ratio = max_input / (tile_size * scale)
    return max(1, int(tile_size * ratio)), max(1, math.ceil(overlap * ratio))
