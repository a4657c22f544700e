"""Cutting a converted image into a grid of crops (MoNuSeg's 3×3 protocol), shared by the converters.

A H×W image cut on an R×C grid has tile edges ``[0, H//R, 2*H//R, ..., H]`` along the rows and
``[0, W//C, ..., W]`` along the columns (for 1000×1000 on 3×3: 333, 333 and 334 pixels, as Cellpose
cuts MoNuSeg). A nucleus cut by a tile border stays an instance in every tile that holds part of it;
labels are renumbered 1..n within each tile in increasing order of their old value. Crops are named
``<image stem>_r<row>c<col>``; all crops of one image share the image's split group. ``none``
(= 1×1) keeps the whole image under its own stem.
"""
import re
from typing import Iterator, List, Optional, Tuple

import numpy as np

from .writer import Sample

Grid = Tuple[int, int]

MONUSEG_GRID: Grid = (3, 3)
_GRID_PATTERN = re.compile(r'^\s*(\d+)\s*[xX×]\s*(\d+)\s*$')


def parse_crop(text: Optional[str]) -> Optional[Grid]:
    """``'3x3'`` → (3, 3); ``'none'``, ``'1x1'`` or None → None (whole images).

    Raises:
        ValueError: anything else (e.g. ``'3'``, ``'0x2'``).
    """
    if text is None or str(text).strip().lower() == 'none':
        return None
    match = _GRID_PATTERN.match(str(text))
    if not match or min(int(match.group(1)), int(match.group(2))) < 1:
        raise ValueError(f"crop must be 'none' or ROWSxCOLS with positive numbers (e.g. 3x3), got {text!r}")
    grid = (int(match.group(1)), int(match.group(2)))
    return None if grid == (1, 1) else grid


def _edges_in_words(parts: int) -> str:
    """``[0, n//3, 2n//3, n]`` for 3 parts."""
    inner = [f'{k}n//{parts}' if k > 1 else f'n//{parts}' for k in range(1, parts)]
    return '[' + ', '.join(['0', *inner, 'n']) + ']'


def crop_rule(grid: Optional[Grid]) -> str:
    """The crop grid in words, for ``splits.json`` (3x3: ``'3x3 grid, edges [0, n//3, 2n//3, n] (1000 -> ...)'``)."""
    if grid is None:
        return 'none (whole images)'
    rows, cols = grid
    edges = (_edges_in_words(rows) if rows == cols
             else f'{_edges_in_words(rows)} by rows, {_edges_in_words(cols)} by columns')
    example = ' (1000 -> 333/333/334)' if grid == MONUSEG_GRID else ''
    return f'{rows}x{cols} grid, edges {edges}{example}'


def crop_edges(size: int, parts: int = MONUSEG_GRID[0]) -> List[int]:
    """Tile edges along one axis: ``[0, size//parts, ..., size]`` (1000 → [0, 333, 666, 1000])."""
    return [index * size // parts for index in range(parts + 1)]


def relabel_consecutive(label_map: np.ndarray) -> np.ndarray:
    """Renumber the labels present to 1..n (in increasing old-label order); 0 stays 0."""
    values, inverse = np.unique(label_map, return_inverse=True)
    if values[0] != 0:
        inverse = inverse + 1
    return inverse.reshape(label_map.shape).astype(np.int32)


def crop_samples(stem: str, image: np.ndarray, label_map: np.ndarray, grid: Optional[Grid],
                 extra: Optional[dict] = None) -> Iterator[Sample]:
    """The crops of one image, row by row (or the whole image when ``grid`` is None).

    Args:
        stem: the image's stem; crops are ``<stem>_r<row>c<col>``.
        image: (H, W, 3) uint8 RGB.
        label_map: (H, W) integer instance label map, 0 = background.
        grid: (rows, cols) or None.
        extra: JSON fields added to every crop's COCO image entry (besides ``crop_xywh``).

    Yields:
        Samples grouped by ``stem``, labels renumbered 1..n per crop; each records ``crop_xywh``,
        its [x, y, w, h] window in the source image.
    """
    extra = dict(extra or {})
    height, width = label_map.shape
    if grid is None:
        yield Sample(stem=stem, image=image, label_map=relabel_consecutive(label_map), group=stem,
                     extra={**extra, 'crop_xywh': [0, 0, width, height]})
        return
    row_edges, col_edges = crop_edges(height, grid[0]), crop_edges(width, grid[1])
    for row in range(grid[0]):
        for col in range(grid[1]):
            rows = slice(row_edges[row], row_edges[row + 1])
            cols = slice(col_edges[col], col_edges[col + 1])
            yield Sample(stem=f'{stem}_r{row}c{col}', image=np.ascontiguousarray(image[rows, cols]),
                         label_map=relabel_consecutive(label_map[rows, cols]), group=stem,
                         extra={**extra, 'crop_xywh': [cols.start, rows.start, cols.stop - cols.start,
                                                       rows.stop - rows.start]})
