"""Small synthetic slides for the slide tests (dark background and bright disks, for the stub model)."""
from pathlib import Path
from typing import List, Tuple

import cv2
import numpy as np
import pytest

pytest.importorskip('zarr')
pytest.importorskip('ome_zarr')

from centersam_mm.slides.synthetic import Island, grid_positions, write_island_slide  # noqa: E402


def disk_island(height: int, width: int, count: int, seed: int) -> np.ndarray:
    """A dim (grey 15) rectangle with ``count`` bright disks (radius 4-8 px) that the stub finds as nuclei."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 15, np.uint8)
    for _ in range(count):
        y, x, radius = rng.integers(10, height - 10), rng.integers(10, width - 10), rng.integers(4, 9)
        cv2.circle(image, (int(x), int(y)), int(radius), (200, 180, 220), -1)
    return image


def place(shape: Tuple[int, int], islands: List[Island]) -> np.ndarray:
    """The slide as one in-memory (H, W, 3) image (black elsewhere)."""
    image = np.zeros(shape + (3,), np.uint8)
    for island in islands:
        y0, y1, x0, x1 = island.box
        image[y0:y1, x0:x1] = island.image
    return image


@pytest.fixture(scope='session')
def dark_slide(tmp_path_factory) -> Tuple[Path, np.ndarray, List[Island]]:
    """A 3000x3000 pyramidal OME-TIFF (0.5 µm/px) with 4 disk islands of 700x600 on black, and its pixels."""
    shape = (3000, 3000)
    positions = grid_positions(shape, (700, 600), 4, jitter=150, seed=1)
    islands = [Island(y, x, disk_island(700, 600, 120, seed)) for seed, (y, x) in enumerate(positions)]
    path = tmp_path_factory.mktemp('slides') / 'dark.ome.tif'
    write_island_slide(path, shape, islands, pixel_size=0.5, background=(0, 0, 0), tile=256)
    return path, place(shape, islands), islands
