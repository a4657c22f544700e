"""Instance label maps: dtype choice, TIFF writing, and per-nucleus crops for the exports."""
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Tuple, Union

import numpy as np
import tifffile
from scipy import ndimage

from .atomic import atomic_path

PathLike = Union[str, Path]
UINT16_MAX_LABELS = np.iinfo(np.uint16).max  # 65,535


def label_dtype(num_labels: int) -> np.dtype:
    """uint16 for up to 65,535 labels, uint32 above."""
    return np.dtype(np.uint16) if num_labels <= UINT16_MAX_LABELS else np.dtype(np.uint32)


def compact_label_dtype(labels: np.ndarray) -> np.ndarray:
    """``labels`` as uint16 (or uint32 if its largest id exceeds 65,535); no copy if already so."""
    largest = int(labels.max()) if labels.size else 0
    return labels.astype(label_dtype(largest), copy=False)


def write_label_tiff(path: PathLike, labels: np.ndarray) -> None:
    """Write an (H, W) label map (0 = background, 1..N nuclei) as a zlib-compressed TIFF.

    The dtype is uint16, or uint32 when the largest id exceeds 65,535.
    """
    with atomic_path(path) as temp_path:
        tifffile.imwrite(temp_path, compact_label_dtype(labels), compression='zlib', photometric='minisblack',
                         metadata=None)


def read_label_tiff(path: PathLike) -> np.ndarray:
    """Read a label map written by :func:`write_label_tiff`."""
    return tifffile.imread(path)


@dataclass(frozen=True)
class NucleusCrop:
    """One nucleus of a label map.

    Attributes:
        label: its id in the label map (1..N).
        rows, cols: slices of its bounding box in the label map (stop exclusive).
        mask: (h, w) bool, the nucleus's pixels inside that box.
    """
    label: int
    rows: slice
    cols: slice
    mask: np.ndarray

    @property
    def offset_xy(self) -> Tuple[int, int]:
        """(x, y) of the box's top-left pixel in the label map."""
        return self.cols.start, self.rows.start


def iter_nuclei(labels: np.ndarray) -> Iterator[NucleusCrop]:
    """Yield every nucleus of an (H, W) label map in increasing id order (ids with no pixel are skipped).

    Memory is bounded by the largest nucleus's box, not by the number of nuclei.
    """
    for index, box in enumerate(ndimage.find_objects(labels)):
        if box is None:
            continue
        label = index + 1
        rows, cols = box
        yield NucleusCrop(label=label, rows=rows, cols=cols, mask=labels[rows, cols] == label)
