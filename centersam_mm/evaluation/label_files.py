"""Pair GT and prediction label-map folders by file stem; the reader is ``centersam_mm.io.labels.read_label_map``."""
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..io.labels import LabelFileError, read_label_map  # noqa: F401 (re-exported)

LABEL_SUFFIXES = ('.tif', '.tiff', '.png')
PRED_STEM_SUFFIX = '_labels'  # <stem>_labels.tif in a prediction folder matches <stem>.tif in the GT folder


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
