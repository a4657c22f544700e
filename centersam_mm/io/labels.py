"""Instance label maps: dtype choice, TIFF writing, the one label-map reader, and per-nucleus crops."""
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


class LabelFileError(ValueError):
    """A label file that cannot be used; the message names the file."""


def load_label_image(path: PathLike) -> np.ndarray:
    """The array of a TIFF (tifffile) or PNG (Pillow) file as stored, unchecked; raises ``LabelFileError``."""
    path = Path(path)
    try:
        if path.suffix.lower() == '.png':
            from PIL import Image
            with Image.open(path) as image:
                return np.asarray(image)
        return tifffile.imread(path)
    except (OSError, ValueError) as error:  # unreadable or not an image (tifffile raises TiffFileError)
        raise LabelFileError(f'{path}: cannot read as a label image ({error})') from error


def read_label_map(path: PathLike) -> np.ndarray:
    """(H, W) integer label map from a TIFF (tifffile) or PNG (Pillow) file; raises ``LabelFileError``."""
    path = Path(path)
    label = np.squeeze(load_label_image(path))
    if label.ndim != 2:
        raise LabelFileError(f'{path}: expected a single-channel 2-D label map, got shape {label.shape}')
    if not (np.issubdtype(label.dtype, np.integer) or label.dtype == bool):
        raise LabelFileError(f'{path}: expected integer labels, got dtype {label.dtype}')
    if label.size and label.min() < 0:
        raise LabelFileError(f'{path}: negative label ids')
    return label


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
