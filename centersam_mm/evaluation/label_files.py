"""Read label-map files and pair GT and prediction folders by file stem (numpy, tifffile, Pillow)."""
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

LABEL_SUFFIXES = ('.tif', '.tiff', '.png')
PRED_STEM_SUFFIX = '_labels'  # <stem>_labels.tif in a prediction folder matches <stem>.tif in the GT folder


class LabelFileError(ValueError):
    """A label file that cannot be used; the message names the file."""


def read_label_map(path: Path) -> np.ndarray:
    """(H, W) integer label map from a TIFF (tifffile) or PNG (Pillow) file; raises ``LabelFileError``."""
    path = Path(path)
    try:
        if path.suffix.lower() == '.png':
            from PIL import Image
            with Image.open(path) as image:
                label = np.asarray(image)
        else:
            import tifffile
            label = tifffile.imread(path)
    except (OSError, ValueError) as error:  # unreadable or not an image (tifffile raises TiffFileError)
        raise LabelFileError(f'{path}: cannot read as a label image ({error})') from error
    label = np.squeeze(label)
    if label.ndim != 2:
        raise LabelFileError(f'{path}: expected a single-channel 2-D label map, got shape {label.shape}')
    if not (np.issubdtype(label.dtype, np.integer) or label.dtype == bool):
        raise LabelFileError(f'{path}: expected integer labels, got dtype {label.dtype}')
    if label.size and label.min() < 0:
        raise LabelFileError(f'{path}: negative label ids')
    return label


def _label_files(folder: Path) -> Dict[str, Path]:
    """Label files of a folder by stem; raises ``LabelFileError`` when two files share a stem."""
    by_stem: Dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in LABEL_SUFFIXES:
            if path.stem in by_stem:
                raise LabelFileError(f'{path}: same stem as {by_stem[path.stem]}')
            by_stem[path.stem] = path
    return by_stem


def pair_label_files(gt_dir: Path, pred_dir: Path) -> Tuple[List[Tuple[Path, Optional[Path]]], List[Path]]:
    """Match GT files with prediction files by stem (``<stem>`` or ``<stem>_labels``).

    Returns (pairs, unmatched predictions): one ``(gt_path, pred_path or None)`` per GT file in name order.
    """
    gt_files, pred_files = _label_files(Path(gt_dir)), _label_files(Path(pred_dir))
    pairs: List[Tuple[Path, Optional[Path]]] = []
    used = set()
    for stem, gt_path in gt_files.items():
        pred_stem = next((s for s in (stem, stem + PRED_STEM_SUFFIX) if s in pred_files), None)
        pairs.append((gt_path, pred_files[pred_stem] if pred_stem else None))
        used.add(pred_stem)
    return pairs, [path for stem, path in pred_files.items() if stem not in used]
