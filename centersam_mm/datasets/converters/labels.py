"""Images + instance label maps → samples: the layout most annotated data comes in (and your own data).

Two layouts of SRC are read (SRC is never modified):

- folders: ``SRC/images/<stem>.<png|tif|tiff|jpg|jpeg>`` and ``SRC/labels/<stem>.<tif|tiff|png>``;
- Cellpose: ``SRC/<stem>.<png|tif|tiff|jpg|jpeg>`` with ``SRC/<stem>_masks.<tif|tiff|png>`` beside it
  (Cellpose's own outputs ``*_cp_masks.*``, ``*_flows.*``, ``*_cp_output.*`` are not ground truth and
  are ignored, as are files of other types).

Images: uint8 pixels pass through unchanged (grey is replicated to RGB, alpha dropped); images of
any other dtype are scaled per image from their 1st to their 99.8th percentile (all channels
together) to 0..255. Label maps: one 2-D map per image, 0 = background and 1..N = nuclei (integer
dtypes, or floats whose values are all whole numbers), of the image's height and width; labels are
renumbered 1..n per image or crop in increasing order of value. Crops: ``crops.py`` (``--crop 3x3``
is MoNuSeg's protocol); all crops of one image share its split group.

Bad input: every bad file of SRC is reported, one line each (an image without its label map, a
label map without its image, two files for one stem, an unreadable file, a label map whose shape
differs from its image's, a label map that is not 2-D integer labels), and nothing is written.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
import tifffile

from ...io.labels import LabelFileError, load_label_image
from .crops import Grid, crop_samples
from .errors import BadFilesError, ConversionError
from .writer import Sample

LAYOUT_FOLDERS = 'images/<stem>.* + labels/<stem>.tif'
LAYOUT_CELLPOSE = 'cellpose: <stem>.* + <stem>_masks.tif side by side'
IMAGE_SUFFIXES = ('.png', '.tif', '.tiff', '.jpg', '.jpeg')
LABEL_SUFFIXES = ('.tif', '.tiff', '.png')
CELLPOSE_MASKS = '_masks'
CELLPOSE_OUTPUTS = ('_cp_masks', '_flows', '_cp_output')  # Cellpose's predictions, not ground truth
PERCENTILES = (1.0, 99.8)
RENDERING_RULE = ('uint8 images unchanged (grey -> RGB, alpha dropped); other dtypes scaled per image '
                  'from the 1st..99.8th percentile to 0..255')
LABEL_RULE = '2-D integer label map, 0 = background; renumbered 1..n per image or crop in increasing order'


@dataclass(frozen=True)
class Pair:
    """One image of SRC and its label map."""

    stem: str
    image: Path
    label: Path


def _files(folder: Path, suffixes: Tuple[str, ...]) -> List[Path]:
    """Sorted files of ``folder`` whose suffix (any case) is one of ``suffixes``."""
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in suffixes)


def detect_layout(src: Path) -> str:
    """``LAYOUT_FOLDERS`` when SRC has ``images/``, ``LAYOUT_CELLPOSE`` when it has ``*_masks.*`` files.

    Raises:
        ConversionError: SRC is not a folder, or holds neither layout.
    """
    if not src.is_dir():
        raise ConversionError(src, 'is not a folder')
    if (src / 'images').is_dir():
        return LAYOUT_FOLDERS
    if any(_is_cellpose_mask(path) for path in _files(src, LABEL_SUFFIXES)):
        return LAYOUT_CELLPOSE
    raise ConversionError(src, 'holds neither images/ + labels/ folders nor Cellpose-style '
                               '<stem>.tif + <stem>_masks.tif files')


def _is_cellpose_output(path: Path) -> bool:
    return path.stem.endswith(CELLPOSE_OUTPUTS)


def _is_cellpose_mask(path: Path) -> bool:
    return path.stem.endswith(CELLPOSE_MASKS) and not _is_cellpose_output(path)


def _by_stem(paths: List[Path], stem_of, errors: List[ConversionError], what: str) -> Dict[str, Path]:
    """Map stem → path; a second file for a stem is an error (the first one is kept)."""
    found: Dict[str, Path] = {}
    for path in paths:
        stem = stem_of(path)
        if stem in found:
            errors.append(ConversionError(path, f'a second {what} for stem {stem!r} (also {found[stem].name}); '
                                                f'keep one'))
        else:
            found[stem] = path
    return found


def list_pairs(src: Path) -> Tuple[str, List[Pair], List[ConversionError]]:
    """The layout of SRC, its (image, label map) pairs in sorted stem order, and the files that do not pair.

    Raises:
        ConversionError: SRC is not a folder, has no recognisable layout, lacks ``labels/`` beside
            ``images/``, or holds no image at all.
    """
    src = Path(src)
    layout = detect_layout(src)
    errors: List[ConversionError] = []
    if layout == LAYOUT_FOLDERS:
        image_dir, label_dir = src / 'images', src / 'labels'
        if not label_dir.is_dir():
            raise ConversionError(label_dir, 'labels folder is missing (expected labels/<stem>.tif beside images/)')
        images = _by_stem(_files(image_dir, IMAGE_SUFFIXES), lambda p: p.stem, errors, 'image')
        labels = _by_stem(_files(label_dir, LABEL_SUFFIXES), lambda p: p.stem, errors, 'label map')

        def expected_label(stem: str) -> Path:
            return label_dir / f'{stem}.tif'
        image_hint = 'images/<stem>.png|tif|jpg'
    else:
        image_dir = src
        candidates = [p for p in _files(src, IMAGE_SUFFIXES) if not _is_cellpose_output(p)]
        images = _by_stem([p for p in candidates if not p.stem.endswith(CELLPOSE_MASKS)], lambda p: p.stem,
                          errors, 'image')
        labels = _by_stem([p for p in _files(src, LABEL_SUFFIXES) if _is_cellpose_mask(p)],
                          lambda p: p.stem[:-len(CELLPOSE_MASKS)], errors, 'mask file')

        def expected_label(stem: str) -> Path:
            return src / f'{stem}{CELLPOSE_MASKS}.tif'
        image_hint = '<stem>.png|tif|jpg'
    if not images:
        raise ConversionError(image_dir, f'holds no image ({", ".join("*" + s for s in IMAGE_SUFFIXES)})')
    pairs = []
    for stem, image in images.items():
        if stem in labels:
            pairs.append(Pair(stem, image, labels[stem]))
        else:
            errors.append(ConversionError(expected_label(stem), f'label map for image {image.name} is missing'))
    for stem in sorted(set(labels) - set(images)):
        errors.append(ConversionError(labels[stem], f'no image {image_hint.replace("<stem>", stem)} '
                                                    f'for this label map'))
    return layout, sorted(pairs, key=lambda pair: pair.stem), errors


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """Scale any dtype to uint8 from the 1st..99.8th percentile of the whole array."""
    values = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = np.percentile(values, PERCENTILES)
    scaled = (values - low) / max(float(high - low), 1e-6)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)


def read_image(path: Path) -> np.ndarray:
    """Read an image as (H, W, 3) uint8 RGB (see the module docstring for the rendering rule)."""
    colour_order = 'rgb'
    try:
        if path.suffix.lower() in ('.tif', '.tiff'):
            array = tifffile.imread(str(path))
        else:
            array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            colour_order = 'bgr'
    except (OSError, ValueError, tifffile.TiffFileError) as error:
        raise ConversionError(path, f'cannot be read as an image ({error})') from error
    if array is None or array.size == 0:
        raise ConversionError(path, 'cannot be read as an image (missing, empty or corrupt)')
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[2] not in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)  # channels first (C, H, W)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or array.dtype == bool:
        raise ConversionError(path, f'expected a grey, RGB or RGBA image, got shape {array.shape} {array.dtype}')
    if array.ndim == 3:
        array = array[..., :3]
        if colour_order == 'bgr':
            array = array[..., ::-1]
    if array.dtype != np.uint8:
        array = _to_uint8(array)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array)


def read_label_map(path: Path) -> np.ndarray:
    """Read one instance label map as an (H, W) integer array (0 = background).

    Raises:
        ConversionError: unreadable, not 2-D, a bool mask, non-integer or negative values.
    """
    try:
        label_map = load_label_image(path)
    except LabelFileError as error:
        raise ConversionError(path, f'cannot be read as a label map ({error.__cause__})') from error
    if label_map.size == 0:
        raise ConversionError(path, 'cannot be read as a label map (missing, empty or corrupt)')
    while label_map.ndim > 2 and label_map.shape[0] == 1:
        label_map = label_map[0]
    if label_map.ndim == 3 and label_map.shape[2] == 1:
        label_map = label_map[..., 0]
    if label_map.ndim != 2:
        raise ConversionError(path, f'a label map must be 2-D (one label per pixel), got shape {label_map.shape}')
    if label_map.dtype == bool:
        raise ConversionError(path, 'is a binary (bool) mask, not an instance label map (0 = background, '
                                    '1..N = nuclei)')
    if label_map.dtype.kind == 'f':
        if not np.all(np.isfinite(label_map)):
            raise ConversionError(path, 'holds NaN or infinite values; expected integer instance labels')
        fractional = np.argwhere(label_map != np.floor(label_map))
        if len(fractional):
            row, col = fractional[0]
            raise ConversionError(path, f'holds non-integer labels (e.g. {label_map[row, col]:g} at row {row}, '
                                        f'column {col}); expected integer instance labels (0 = background, '
                                        f'1..N = nuclei)')
        label_map = label_map.astype(np.int64)
    elif label_map.dtype.kind not in 'iu':
        raise ConversionError(path, f'has dtype {label_map.dtype}; expected integer instance labels')
    if label_map.dtype.kind == 'i' and label_map.min() < 0:
        raise ConversionError(path, f'holds negative labels (e.g. {int(label_map.min())}); expected 0 = background, '
                                    f'1..N = nuclei')
    return label_map


def load_pair(pair: Pair) -> Tuple[np.ndarray, np.ndarray]:
    """Read one pair's image and label map and check they have the same height and width."""
    image = read_image(pair.image)
    label_map = read_label_map(pair.label)
    if label_map.shape != image.shape[:2]:
        raise ConversionError(pair.label, f'label map shape {label_map.shape[0]}x{label_map.shape[1]} differs from '
                                          f'image {pair.image.name} shape {image.shape[0]}x{image.shape[1]}')
    return image, label_map


def iter_samples(src: Path, grid: Optional[Grid] = None,
                 microns_per_pixel: Optional[float] = None) -> Iterator[Sample]:
    """Samples (whole images or crops) of SRC in sorted stem order.

    Every file is checked even after a bad one (so that all of them are reported), but nothing is
    yielded after the first, and the errors are raised at the end: a single ConversionError, or a
    BadFilesError holding one per bad file.
    """
    _, pairs, errors = list_pairs(Path(src))
    for pair in pairs:
        try:
            image, label_map = load_pair(pair)
        except ConversionError as error:
            errors.append(error)
            continue
        if errors:
            continue
        extra = {'source_image': pair.image.name, 'source_label': pair.label.name}
        if microns_per_pixel is not None:
            extra['microns_per_pixel'] = microns_per_pixel
        yield from crop_samples(pair.stem, image, label_map, grid, extra)
    if errors:
        errors = sorted(errors, key=lambda error: error.path)
        raise errors[0] if len(errors) == 1 else BadFilesError(errors)
