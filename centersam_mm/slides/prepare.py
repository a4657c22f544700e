"""The model's whole-image steps (CLAHE) for regions too large to hold: fixed cells, computed window by window.

The ordinary path runs CLAHE once on the whole image with an 8×8 grid (:meth:`MMDetInstanceFn.prepare`), so
its cells are an eighth of the image. A slide region that fits in memory (``SMALL_REGION_PIXELS``) is treated the
same way. A larger region uses cells of ``CELL`` pixels (an 8×8 grid on a 4,096² image, where the in-memory rule
stops), anchored at the region's top-left corner, with the region padded at its bottom/right end by reflection
(``BORDER_REFLECT_101``, as OpenCV pads) to whole cells. Each CLAHE output pixel depends only on the histograms of
the cells around it, so a tile's result is computed exactly from a window one cell larger on each side:
:func:`prepare_window` equals the whole-region result cropped to the tile (power-of-two cells keep OpenCV's
interpolation weights exact), whatever the tiling.
"""
import copy
from typing import Any, Callable, Optional, Tuple

import numpy as np

CELL = 512                        # CLAHE cell side (pixels of the segmented level) in regions above the limit
SMALL_REGION_PIXELS = 4096 * 4096  # regions up to this area are held in memory and prepared as a whole image


def whole_image_prepare(fn: Any, grid_for: Callable[[int, int], Tuple[int, int]]) -> Optional[Callable]:
    """``bgr -> prepared bgr`` running the instance function's whole-image steps with a grid chosen per image
    (``grid_for(height, width) -> (columns, rows)``), or ``None`` when it has none."""
    steps = getattr(fn, 'whole_image_steps', None)
    if not steps:
        return None
    from mmdet.registry import TRANSFORMS

    def run(bgr: np.ndarray) -> np.ndarray:
        results = dict(img=np.ascontiguousarray(bgr))
        for step in steps:
            step = copy.deepcopy(step)
            step['tile_grid_size'] = grid_for(*bgr.shape[:2])
            results = TRANSFORMS.build(step)(results)
        return results['img']
    return run


def cell_window(start: int, stop: int, length: int, cell: int = CELL) -> Tuple[int, int]:
    """[lo, hi) along one axis of a region of ``length`` that the tile span [start, stop) needs: whole cells
    from one before the tile's first cell to one after its last, clipped to the region."""
    lo = max(0, (start // cell - 1) * cell)
    hi = min(length, (-(-stop // cell) + 1) * cell)
    return lo, hi


def pad_to_cells(image: np.ndarray, cell: int = CELL) -> np.ndarray:
    """``image`` padded at the bottom/right by reflection (reflect-101) to whole cells."""
    pad_y, pad_x = (-image.shape[0]) % cell, (-image.shape[1]) % cell
    if not (pad_y or pad_x):
        return image
    widths = ((0, pad_y), (0, pad_x)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, widths, mode='reflect')


def prepare_cells(prepare: Callable[[np.ndarray], np.ndarray], bgr: np.ndarray, at_end: Tuple[bool, bool],
                  cell: int = CELL) -> np.ndarray:
    """Fixed-cell CLAHE of a window (BGR) whose top-left is on the cell grid; ``at_end`` (rows, columns): the
    window ends where the region ends (padded there by reflection), else it ends on the grid."""
    height, width = bgr.shape[:2]
    padded = pad_to_cells(bgr, cell)
    if not at_end[0] and padded.shape[0] != height or not at_end[1] and padded.shape[1] != width:
        raise ValueError('a window that does not end with its region must end on the cell grid')
    return np.ascontiguousarray(prepare(padded)[:height, :width])


def fixed_cell_prepare(fn: Any, cell: int = CELL) -> Optional[Callable]:
    """``bgr -> bgr`` running the whole-image steps with cells of ``cell`` pixels on an image of whole cells."""
    return whole_image_prepare(fn, lambda height, width: (width // cell, height // cell))


def prepare_window(prepare: Callable[[np.ndarray], np.ndarray], read_bgr: Callable[[int, int, int, int], np.ndarray],
                   region_shape: Tuple[int, int], tile: Tuple[int, int, int, int], cell: int = CELL) -> np.ndarray:
    """Fixed-cell CLAHE of the region cropped to ``tile`` (y0, y1, x0, x1 in region pixels), read through
    ``read_bgr(y0, y1, x0, x1)`` (region pixels, BGR uint8), from a window one cell larger on each side."""
    y0, y1, x0, x1 = tile
    wy0, wy1 = cell_window(y0, y1, region_shape[0], cell)
    wx0, wx1 = cell_window(x0, x1, region_shape[1], cell)
    window = prepare_cells(prepare, read_bgr(wy0, wy1, wx0, wx1),
                           (wy1 == region_shape[0], wx1 == region_shape[1]), cell)
    return np.ascontiguousarray(window[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0])
