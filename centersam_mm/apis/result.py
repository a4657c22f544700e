"""The result of segmenting one image."""
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class NucleusResult:
    """Nuclei found in one (H, W) image.

    Attributes:
        labels: (H, W) uint16 label map (uint32 above 65,535 nuclei), 0 = background, nucleus ``i`` has
            id ``i + 1``; ids are in descending score order. napari's ``add_labels`` shows it as is.
        scores: (N,) float32 confidence of each nucleus (``scores[i]`` ↔ id ``i + 1``).
        boxes: (N, 4) float32 ``x0, y0, x1, y1`` box of each nucleus's mask, in image pixels (x1, y1
            exclusive), measured before overlaps between nuclei were resolved.
        scale: the resize factor from image pixels to the detector's input that a scale-aware model used
            (``None`` for other models).
    """
    labels: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    scale: Optional[float] = None

    @property
    def num_nuclei(self) -> int:
        """N, the number of nuclei."""
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls, height: int, width: int) -> 'NucleusResult':
        """A result with no nucleus for an (height, width) image."""
        return cls(np.zeros((height, width), np.uint16), np.zeros(0, np.float32), np.zeros((0, 4), np.float32))
