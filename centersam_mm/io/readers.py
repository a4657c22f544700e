"""Read microscopy images (PNG, JPEG, TIFF) into RGB uint8 arrays, and find image files.

Normalisation rules (applied by :func:`to_rgb_uint8`):

* layout: (H, W) gray, (H, W, C) channel-last or (C, H, W) channel-first with C in 1..4;
  gray is repeated to RGB, gray+alpha keeps gray, RGBA drops alpha.
* dtype: uint8 is kept as is; bool becomes 0/255; any other dtype (uint16, int, float) is scaled
  linearly so that its ``PERCENTILES`` (1st and 99.8th percentile over all pixels and channels together,
  which keeps the colour balance) map to 0 and 255, clipped.
* multi-page TIFF: the first page is read and a warning names the file.
"""
import glob
import warnings
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple, Union

import cv2
import numpy as np
import tifffile

PathLike = Union[str, Path]
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff')
TIFF_EXTENSIONS = ('.tif', '.tiff')
PERCENTILES = (1.0, 99.8)
_PERCENTILE_SAMPLE = 4_000_000  # pixels sampled (evenly strided) to estimate the percentiles of big images


class ImageReadError(Exception):
    """An image file that cannot be read or has an unsupported layout; the message says why."""


def read_image(path: PathLike) -> np.ndarray:
    """Read an image file and return it as (H, W, 3) RGB uint8.

    Raises:
        ImageReadError: missing, unreadable, corrupt or unsupported file (message names the reason).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError('no such file')
    raw = _read_tiff(path) if path.suffix.lower() in TIFF_EXTENSIONS else _read_with_opencv(path)
    return to_rgb_uint8(raw)


def _read_tiff(path: Path) -> np.ndarray:
    """First page of a TIFF as stored (any dtype, any channel layout); warns if there are more pages."""
    try:
        with tifffile.TiffFile(path) as tif:
            if len(tif.pages) > 1:
                warnings.warn(f'{path}: {len(tif.pages)} pages, only the first is segmented', stacklevel=3)
            return tif.pages[0].asarray()
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError) as error:
        raise ImageReadError(f'not a readable TIFF ({error})') from error


def _read_with_opencv(path: Path) -> np.ndarray:
    """PNG/JPEG (or anything OpenCV reads) as stored, converted from OpenCV's BGR(A) to RGB(A)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageReadError('OpenCV cannot decode it (corrupt or not an image)')
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Normalise any supported array (see module docstring) to a C-contiguous (H, W, 3) RGB uint8 array."""
    channels_last = _channels_last(np.asarray(image))
    rgb = _to_three_channels(channels_last)
    return np.ascontiguousarray(_to_uint8(rgb))


def _channels_last(image: np.ndarray) -> np.ndarray:
    """(H, W) → (H, W, 1); (C, H, W) with C ≤ 4 and W > 4 → (H, W, C); (H, W, C) unchanged."""
    if image.ndim == 2:
        return image[..., None]
    if image.ndim == 3 and image.shape[0] <= 4 < image.shape[2]:
        return np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[2] <= 4:
        return image
    raise ImageReadError(f'unsupported image shape {image.shape} (expected H×W, H×W×C or C×H×W with C ≤ 4)')


def _to_three_channels(image: np.ndarray) -> np.ndarray:
    """(H, W, C) with C in 1..4 → (H, W, 3): gray repeated, gray+alpha and RGBA lose alpha."""
    channels = image.shape[2]
    if channels in (1, 2):
        return np.repeat(image[..., :1], 3, axis=2)
    return image[..., :3]


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 unchanged; bool → 0/255; other dtypes percentile-scaled to 0..255 (see ``PERCENTILES``)."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise ImageReadError(f'unsupported pixel type {image.dtype}')
    low, high = _percentiles(image)
    scale = 255.0 / (high - low) if high > low else 0.0
    scaled = (image.astype(np.float32) - np.float32(low)) * np.float32(scale)
    return np.clip(scaled, 0, 255).round().astype(np.uint8)


def _percentiles(image: np.ndarray) -> Tuple[float, float]:
    """``PERCENTILES`` of the finite values of ``image``, estimated on an even subsample for big images."""
    values = image.reshape(-1)
    stride = max(1, values.size // _PERCENTILE_SAMPLE)
    sample = values[::stride].astype(np.float64)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 0.0, 0.0
    low, high = np.percentile(sample, PERCENTILES)
    return float(low), float(high)


def is_image_file(path: PathLike) -> bool:
    """True for a file whose extension is one of ``IMAGE_EXTENSIONS`` (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def collect_image_files(inputs: Sequence[PathLike], recursive: bool = False) -> List[Tuple[Path, Path]]:
    """Expand files, folders and glob patterns into image files, sorted and without duplicates.

    Args:
        inputs: file paths (kept even if the extension is unknown, so that a bad file is reported),
            folders (their image files; all sub-folders too with ``recursive``) or glob patterns.
        recursive: descend into sub-folders of folder inputs (and let ``**`` match them in globs).

    Returns:
        (path, relative_name) pairs sorted by path; ``relative_name`` is the path relative to the folder it
        was found in (just the file name for files and globs); output names are derived from it. An input
        that matches nothing is returned as is, so that reading it reports the problem.
    """
    found = {}
    for item in inputs:
        for path, relative in _expand_input(Path(item), recursive):
            found.setdefault(path.resolve(), (path, relative))
    return [found[key] for key in sorted(found)]


def _expand_input(item: Path, recursive: bool) -> Iterable[Tuple[Path, Path]]:
    """(path, relative name) pairs for one command-line input."""
    if item.is_dir():
        candidates = item.rglob('*') if recursive else item.iterdir()
        return [(path, path.relative_to(item)) for path in candidates if path.is_file() and is_image_file(path)]
    if item.is_file():
        return [(item, Path(item.name))]
    matches = [Path(match) for match in glob.glob(str(item), recursive=recursive)]
    files = [(path, Path(path.name)) for path in matches if path.is_file() and is_image_file(path)]
    return files or [(item, Path(item.name))]  # kept so that reading it reports the problem
