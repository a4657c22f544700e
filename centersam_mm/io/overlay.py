"""Visual check: nucleus outlines drawn over the image, saved as PNG."""
from pathlib import Path
from typing import Tuple, Union

import cv2
import numpy as np

from .atomic import atomic_open

PathLike = Union[str, Path]
OUTLINE_RGB = (255, 255, 0)  # yellow: visible on dark fluorescence and on pink/purple H&E alike


def label_outlines(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: nucleus pixels with a 4-neighbour of another label (background or a touching nucleus)."""
    outlines = np.zeros(labels.shape, bool)
    differs_right = labels[:, 1:] != labels[:, :-1]
    outlines[:, 1:] |= differs_right
    outlines[:, :-1] |= differs_right
    del differs_right
    differs_down = labels[1:] != labels[:-1]
    outlines[1:] |= differs_down
    outlines[:-1] |= differs_down
    outlines &= labels > 0
    return outlines


def draw_overlay(image: np.ndarray, labels: np.ndarray, color: Tuple[int, int, int] = OUTLINE_RGB) -> np.ndarray:
    """(H, W, 3) RGB uint8 copy of ``image`` with the outline of every nucleus of ``labels`` (H, W) in ``color``."""
    overlay = image.copy()
    overlay[label_outlines(labels)] = color
    return overlay


def write_overlay_png(path: PathLike, image: np.ndarray, labels: np.ndarray) -> None:
    """Write :func:`draw_overlay` of ``image`` (H, W, 3 RGB uint8) and ``labels`` as a PNG file."""
    overlay = draw_overlay(image, labels)
    ok, encoded = cv2.imencode('.png', cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f'OpenCV could not encode the overlay for {path}')
    with atomic_open(path, 'wb') as stream:
        stream.write(encoded.tobytes())
