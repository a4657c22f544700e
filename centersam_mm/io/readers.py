"""Read microscopy images (PNG, JPEG, TIFF, OME-TIFF) into RGB uint8 arrays, and find image files.

Layout (applied by :func:`to_rgb_uint8`, after reading):

* (H, W) grey, (H, W, C) channel-last or (C, H, W) channel-first with C ≤ ``MAX_CHANNELS``; TIFFs are read as
  their first series with tifffile, whose axes (``C``/``S`` in OME-TIFF and ImageJ metadata) say which axis holds
  the channels; for files without such metadata the channel axis is the first or last one of at most
  ``MAX_CHANNELS``. Other axes (time, z) take their first index, with a warning.
* ``channels`` (1-based, as Cellpose's ``--chan``): ``(n,)`` takes channel n as grey; ``(n, m)`` renders nuclear
  channel n as blue and channel m as green (RGB = (0, m, n), TissueNet's rendering). Each channel is scaled on
  its own (see dtype below), so channel n of a stack gives the same image as channel n saved alone.
* without ``channels``: grey is repeated to RGB, RGB(A) kept (alpha dropped), grey+alpha keeps grey; 2-channel
  TIFFs render as ``channels=(1, 2)``; more than 3 channels is an error asking for ``channels``.
* dtype: uint8 is kept as is; bool becomes 0/255; any other dtype (uint16, int, float) is scaled
  linearly so that its ``PERCENTILES`` (1st and 99.8th percentile over all pixels and channels together,
  which keeps the colour balance) map to 0 and 255, clipped.
"""
import glob
import re
import warnings
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import tifffile

PathLike = Union[str, Path]
TIFF_EXTENSIONS = ('.tif', '.tiff', '.svs', '.ndpi')  # .svs (Aperio), .ndpi (Hamamatsu): TIFF-based slides
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg') + TIFF_EXTENSIONS
PERCENTILES = (1.0, 99.8)
MAX_CHANNELS = 8
_PERCENTILE_SAMPLE = 4_000_000  # pixels sampled (evenly strided) to estimate the percentiles of big images
UM_PER_UNIT = {'nm': 1e-3, 'µm': 1.0, 'um': 1.0, 'micron': 1.0, 'mm': 1e3, 'cm': 1e4, 'm': 1e6}
# pixel sizes outside this range (µm/px) are read as placeholders (72 or 300 dpi of a desktop program), not
# as a microscope's sampling: light microscopy images lie between ~0.05 (100x oil) and ~20 µm/px (macro scans)
PIXEL_SIZE_RANGE = (0.01, 50.0)


class ImageReadError(Exception):
    """An image file that cannot be read or has an unsupported layout; the message says why."""


def parse_channels(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """``'2'`` → ``(2,)``, ``'2,1'`` → ``(2, 1)`` (1-based channel numbers); ``None``/'' → ``None``."""
    if not text:
        return None
    try:
        channels = tuple(int(part) for part in str(text).split(','))
    except ValueError:
        raise ValueError(f'--channels {text!r}: expected N or N,M (1-based channel numbers)') from None
    if not 1 <= len(channels) <= 2 or min(channels) < 1:
        raise ValueError(f'--channels {text!r}: expected N or N,M with channel numbers from 1')
    return channels


def read_image(path: PathLike, channels: Optional[Sequence[int]] = None) -> np.ndarray:
    """Read an image file and return it as (H, W, 3) RGB uint8 (``channels``: see the module docstring).

    Raises:
        ImageReadError: missing, unreadable, corrupt or unsupported file (message names the reason).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError('no such file')
    if path.suffix.lower() in TIFF_EXTENSIONS:
        image, is_rgb = _read_tiff(path)
        return to_rgb_uint8(image, channels, rgba=is_rgb)
    return to_rgb_uint8(_read_with_opencv(path), channels, rgba=True)


def read_pixel_size(path: PathLike) -> Optional[float]:
    """µm per pixel recorded in an ordinary image file, or ``None`` (see :func:`tiff_pixel_size`).

    Only TIFFs carry it here (PNG/JPEG ``pHYs``/JFIF densities are display settings in practice); TIFF resolution
    in inches is not trusted for ordinary images either (72/96/300 dpi placeholders of desktop programs).
    """
    path = Path(path)
    if path.suffix.lower() not in TIFF_EXTENSIONS:
        return None
    try:
        with tifffile.TiffFile(path) as tif:
            return tiff_pixel_size(tif, tif.series[0], trust_inch=False)
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError):
        return None


def tiff_pixel_size(tif: tifffile.TiffFile, series: tifffile.TiffPageSeries,
                    trust_inch: bool = True) -> Optional[float]:
    """µm per pixel of a TIFF's first level from, in order: OME ``PhysicalSizeX`` (with its unit), the Aperio
    ``MPP`` of an SVS description, ImageJ's ``unit`` (micron) with ``XResolution``, TIFF ``XResolution`` with
    ``ResolutionUnit`` centimetre, millimetre, micrometre (or inch where ``trust_inch``). ``None`` when none is
    found or the value lies outside ``PIXEL_SIZE_RANGE``."""
    size = _recorded_pixel_size(tif, series, trust_inch)
    if size is None or not PIXEL_SIZE_RANGE[0] <= size <= PIXEL_SIZE_RANGE[1]:
        return None
    return size


def _recorded_pixel_size(tif: tifffile.TiffFile, series: tifffile.TiffPageSeries,
                         trust_inch: bool) -> Optional[float]:
    if tif.is_ome and tif.ome_metadata:
        try:
            pixels = tifffile.xml2dict(tif.ome_metadata)['OME']['Image']
            pixels = (pixels[0] if isinstance(pixels, list) else pixels)['Pixels']
            size = pixels.get('PhysicalSizeX')
            if size:
                return float(size) * UM_PER_UNIT.get(str(pixels.get('PhysicalSizeXUnit', 'µm')), 1.0)
        except (KeyError, TypeError, ValueError, IndexError):
            warnings.warn(f'{tif.filename}: unreadable OME pixel size', stacklevel=4)
    page = series.pages[0]
    description = getattr(page, 'description', '') or ''
    match = re.search(r'MPP\s*=\s*([0-9.eE+-]+)', description)
    if tif.is_svs and match:
        return float(match.group(1))
    try:
        unit = page.resolutionunit
        x_resolution = float(page.resolution[0])  # pixels per unit
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if x_resolution <= 0:
        return None
    imagej_unit = str((tif.imagej_metadata or {}).get('unit', '')).replace('\\u00B5', 'µ') if tif.is_imagej else ''
    if imagej_unit in UM_PER_UNIT:
        return UM_PER_UNIT[imagej_unit] / x_resolution
    per_unit = {tifffile.RESUNIT.CENTIMETER: 1e4, tifffile.RESUNIT.MILLIMETER: 1e3,
                tifffile.RESUNIT.MICROMETER: 1.0}
    if trust_inch:
        per_unit[tifffile.RESUNIT.INCH] = 25400.0
    return per_unit[unit] / x_resolution if unit in per_unit else None


def _read_tiff(path: Path) -> Tuple[np.ndarray, bool]:
    """First series of a TIFF as (H, W) or (H, W, C) (any dtype), from tifffile's axes where it knows them, and
    whether its samples are RGB(A) (photometric RGB) rather than separate channels."""
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            if len(tif.series) > 1:
                warnings.warn(f'{path}: {len(tif.series)} series ({len(tif.pages)} pages), only the first is '
                              'segmented', stacklevel=3)
            image = _channels_from_axes(series.asarray(), series.axes, path)
            is_rgb = series.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError) as error:
        raise ImageReadError(f'not a readable TIFF ({error})') from error
    if image.ndim == 3 and min(image.shape[0], image.shape[2]) > MAX_CHANNELS:  # a stack of pages, not channels
        warnings.warn(f'{path}: {image.shape[0]} pages, only the first is segmented', stacklevel=3)
        image = image[0]
    return image, is_rgb


def _channels_from_axes(image: np.ndarray, axes: str, path: Path) -> np.ndarray:
    """(H, W) or (H, W, C) from an array and tifffile's axes (e.g. 'YX', 'YXS', 'CYX', 'TZCYX'); arrays whose
    axes name no channel (tifffile's generic 'Q' for shaped files) are left to :func:`_channels_last`."""
    axes = axes.upper()
    if len(axes) != image.ndim or 'Y' not in axes or 'X' not in axes or not set(axes) & set('CS'):
        return image
    index = []
    for axis, size in zip(axes, image.shape):
        keep = axis in 'YXCS'
        if not keep and size > 1:
            warnings.warn(f'{path}: {size} planes along axis {axis}, only the first is segmented', stacklevel=4)
        index.append(slice(None) if keep else 0)
    image = image[tuple(index)]
    kept = [axis for axis, item in zip(axes, index) if isinstance(item, slice)]
    image = np.transpose(image, [kept.index('Y'), kept.index('X')] +
                         [i for i, axis in enumerate(kept) if axis not in 'YX'])
    return image.reshape(image.shape[0], image.shape[1], -1)


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


def to_rgb_uint8(image: np.ndarray, channels: Optional[Sequence[int]] = None, rgba: bool = True) -> np.ndarray:
    """Normalise any supported array (see module docstring) to a C-contiguous (H, W, 3) RGB uint8 array.

    ``rgba``: a 4-channel image is RGBA (PNG) rather than 4 fluorescence channels, and 2 channels grey+alpha.
    """
    channels_last = _channels_last(np.asarray(image))
    if channels is not None:
        return np.ascontiguousarray(_select_channels(channels_last, channels))
    count = channels_last.shape[2]
    if count > 4 or (count == 4 and not rgba):
        raise ImageReadError(f'{count} channels: choose the nuclear channel with --channels N '
                             '(or N,M with a second channel; 1-based)')
    if count == 2 and not rgba:
        return np.ascontiguousarray(_select_channels(channels_last, (1, 2)))
    rgb = _to_three_channels(channels_last)
    return np.ascontiguousarray(_to_uint8(rgb))


def _select_channels(image: np.ndarray, channels: Sequence[int]) -> np.ndarray:
    """(H, W, C) → (H, W, 3) uint8: channel n as grey, or (n, m) as RGB = (0, m, n); each scaled on its own."""
    count = image.shape[2]
    bad = [channel for channel in channels if not 1 <= channel <= count]
    if bad:
        raise ImageReadError(f'--channels {",".join(map(str, channels))}: the image has {count} channel(s) '
                             f'(numbered 1..{count})')
    nuclear = _to_uint8(image[..., channels[0] - 1])
    if len(channels) == 1:
        return np.repeat(nuclear[..., None], 3, axis=2)
    rgb = np.zeros(image.shape[:2] + (3,), np.uint8)
    rgb[..., 1], rgb[..., 2] = _to_uint8(image[..., channels[1] - 1]), nuclear
    return rgb


def _channels_last(image: np.ndarray) -> np.ndarray:
    """(H, W) → (H, W, 1); (C, H, W) with C ≤ MAX_CHANNELS < W → (H, W, C); (H, W, C) unchanged."""
    if image.ndim == 2:
        return image[..., None]
    if image.ndim == 3 and image.shape[0] <= MAX_CHANNELS < image.shape[2]:
        return np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[2] <= MAX_CHANNELS:
        return image
    raise ImageReadError(f'unsupported image shape {image.shape} (expected H×W, H×W×C or C×H×W with '
                         f'C ≤ {MAX_CHANNELS})')


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
