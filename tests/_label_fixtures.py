"""A small label map with the cases exports must get right, shared by the export and napari reader tests."""
import numpy as np


def toy_label_map(two_pieces: bool = False) -> np.ndarray:
    """(40, 50) uint16 labels: 1 a disc, 2 a square touching the bottom-right border, 3 an L shape with a
    one-pixel-wide spur, 4 a single pixel; with ``two_pieces``, also 5: one nucleus in two separate pieces."""
    labels = np.zeros((40, 50), np.uint16)
    rows, cols = np.mgrid[:40, :50]
    labels[(rows - 12) ** 2 + (cols - 12) ** 2 <= 36] = 1
    labels[30:40, 40:50] = 2
    labels[5:15, 30:33] = 3
    labels[12:15, 33:40] = 3
    labels[9, 33:37] = 3  # one-pixel-wide spur
    labels[25, 5] = 4
    if two_pieces:
        labels[30:34, 20:24] = 5
        labels[36:39, 27:31] = 5
    return labels
