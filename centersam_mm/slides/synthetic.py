"""Synthetic pyramidal slides for tests and benchmarks: image *islands* pasted on a uniform background.

:func:`write_island_slide` writes a tiled, compressed pyramidal OME-TIFF (sub-resolutions as SubIFDs, each half
the previous, down to a side of at most ``min_side``) tile by tile, so even a 40,000² slide never exists in
memory: a tile is the background colour plus the parts of the islands it overlaps. Sub-resolution tiles are cut
from each island shrunk by the level's factor (``cv2.INTER_AREA``) at its shrunk position.
"""
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple, Union

import cv2
import numpy as np

PathLike = Union[str, Path]


@dataclass(frozen=True)
class Island:
    """An (h, w, 3) uint8 RGB image placed with its top-left pixel at (y, x) of level 0."""
    y: int
    x: int
    image: np.ndarray

    @property
    def box(self) -> Tuple[int, int, int, int]:
        """(y0, y1, x0, x1) in level-0 pixels."""
        return self.y, self.y + self.image.shape[0], self.x, self.x + self.image.shape[1]


def grid_positions(shape: Tuple[int, int], island_shape: Tuple[int, int], count: int,
                   jitter: int = 0, seed: int = 0) -> List[Tuple[int, int]]:
    """Top-left corners of ``count`` islands on a square grid over ``shape`` (each in the middle of its cell,
    moved by up to ``jitter`` pixels), row-major."""
    side = math.ceil(math.sqrt(count))
    cell_y, cell_x = shape[0] // side, shape[1] // side
    if cell_y < island_shape[0] or cell_x < island_shape[1]:
        raise ValueError(f'{count} islands of {island_shape} do not fit in {shape}')
    rng = np.random.default_rng(seed)
    positions = []
    for index in range(count):
        row, col = divmod(index, side)
        y = row * cell_y + (cell_y - island_shape[0]) // 2
        x = col * cell_x + (cell_x - island_shape[1]) // 2
        if jitter:
            limit_y = min(jitter, (cell_y - island_shape[0]) // 2)
            limit_x = min(jitter, (cell_x - island_shape[1]) // 2)
            y += int(rng.integers(-limit_y, limit_y + 1))
            x += int(rng.integers(-limit_x, limit_x + 1))
        positions.append((y, x))
    return positions


def _level_islands(islands: Sequence[Island], factor: int) -> List[Island]:
    if factor == 1:
        return list(islands)
    shrunk = []
    for island in islands:
        h, w = island.image.shape[:2]
        size = (max(1, w // factor), max(1, h // factor))
        shrunk.append(Island(island.y // factor, island.x // factor,
                             cv2.resize(island.image, size, interpolation=cv2.INTER_AREA)))
    return shrunk


def _tiles(shape: Tuple[int, int], tile: int, islands: Sequence[Island],
           background: Tuple[int, int, int]) -> Iterator[np.ndarray]:
    """Row-major (tile, tile, 3) tiles of a level (edge tiles padded as tifffile expects full tiles)."""
    for y in range(0, shape[0], tile):
        for x in range(0, shape[1], tile):
            out = np.empty((tile, tile, 3), np.uint8)
            out[...] = background
            for island in islands:
                y0, y1, x0, x1 = island.box
                oy0, oy1, ox0, ox1 = max(y, y0), min(y + tile, y1, shape[0]), max(x, x0), min(x + tile, x1, shape[1])
                if oy0 < oy1 and ox0 < ox1:
                    out[oy0 - y:oy1 - y, ox0 - x:ox1 - x] = island.image[oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0]
            yield out


def write_island_slide(path: PathLike, shape: Tuple[int, int], islands: Sequence[Island],
                       pixel_size: float = 0.25, background: Tuple[int, int, int] = (255, 255, 255),
                       tile: int = 512, compression: str = 'zlib', min_side: int = 1024) -> List[Tuple[int, int]]:
    """Write the slide (see the module docstring); returns the (height, width) of every level.

    Args:
        shape: (height, width) of level 0.
        islands: what to paste (level-0 pixels; must lie inside the slide).
        pixel_size: µm per level-0 pixel (OME ``PhysicalSizeX/Y`` and TIFF resolution in cm).
        background: RGB colour around the islands.
        tile: TIFF tile side.
        compression: tifffile compression ('zlib', 'jpeg', ...; 'jpeg' needs imagecodecs).
    """
    import tifffile
    levels = [tuple(shape)]
    while max(levels[-1]) > min_side:
        levels.append(((levels[-1][0] + 1) // 2, (levels[-1][1] + 1) // 2))
    options = dict(tile=(tile, tile), compression=compression, photometric='rgb', dtype=np.uint8)
    with tifffile.TiffWriter(path, bigtiff=True) as tif:
        for index, level_shape in enumerate(levels):
            factor = 2 ** index
            extra = dict(subifds=len(levels) - 1,
                         metadata={'axes': 'YXS', 'PhysicalSizeX': pixel_size, 'PhysicalSizeXUnit': 'µm',
                                   'PhysicalSizeY': pixel_size, 'PhysicalSizeYUnit': 'µm'}) if index == 0 \
                else dict(subfiletype=1, metadata=None)
            tif.write(_tiles(level_shape, tile, _level_islands(islands, factor), background),
                      shape=level_shape + (3,), resolution=(1e4 / (pixel_size * factor),) * 2,
                      resolutionunit='CENTIMETER', **options, **extra)
    return levels
