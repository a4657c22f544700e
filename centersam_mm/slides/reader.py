"""Lazy, tile-by-tile reading of whole-slide images (pyramidal TIFF, OME-TIFF, SVS) through tifffile's zarr store.

A *slide* is a TIFF whose first series is pyramidal (sub-resolution levels: OME-TIFF SubIFDs, SVS/NDPI reduced
pages) or whose first level holds more than ``SLIDE_MIN_PIXELS`` pixels; every other image (PNG, JPEG, ordinary
TIFF) keeps the whole-image path of :func:`centersam_mm.io.read_image`. Nothing reads a whole level into memory:
:meth:`SlideReader.read_region` decodes only the TIFF tiles (or strips) a region touches.

Pixel size (µm per pixel of level 0): :func:`~centersam_mm.io.readers.tiff_pixel_size` (OME ``PhysicalSizeX``,
SVS ``MPP``, ImageJ or TIFF resolution, inches included for slides); ``None`` when none is found.

Colour: uint8 RGB(A) or grey levels are used as stored (as :func:`~centersam_mm.io.readers.to_rgb_uint8`); other
dtypes are scaled with percentiles measured once on a low-resolution level (the same for every region), and
``channels`` picks channels as :func:`~centersam_mm.io.read_image` does.
"""
import math
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import tifffile

from ..io.readers import PERCENTILES, TIFF_EXTENSIONS, ImageReadError, tiff_pixel_size, to_rgb_uint8

PathLike = Union[str, Path]
SLIDE_MIN_PIXELS = 1 << 27  # 134 Mpx (about 11,600²): above it the whole-image path needs more than ~2.5 GB
THUMBNAIL_SIDE = 2048       # longest side of the low-resolution view used for tissue detection and colour scaling
_BLOCK = 2048               # side of the blocks a level is decimated in when it has no pyramid


def is_slide(path: PathLike) -> bool:
    """True for a TIFF that is pyramidal or larger than ``SLIDE_MIN_PIXELS`` (see the module docstring)."""
    path = Path(path)
    if path.suffix.lower() not in TIFF_EXTENSIONS or not path.is_file():
        return False
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            if len(series.levels) > 1:
                return True
            axes, shape = series.axes.upper(), series.shape
            return shape[axes.index('Y')] * shape[axes.index('X')] > SLIDE_MIN_PIXELS
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError):
        return False


class SlideReader:
    """One slide, opened lazily: levels, their downsample factors, pixel size and region reading.

    Args:
        path: the TIFF file.
        channels: 1-based channel numbers as in :func:`centersam_mm.io.read_image` (``None``: RGB/grey as stored).

    Attributes:
        shapes: (height, width) of each level, level 0 first.
        downsamples: level-0 pixels per pixel of each level (1.0 for level 0).
        pixel_size: µm per level-0 pixel, or ``None``.
    """

    def __init__(self, path: PathLike, channels: Optional[Sequence[int]] = None):
        import zarr
        self.path = Path(path)
        self.channels = tuple(channels) if channels else None
        try:
            self._tif = tifffile.TiffFile(self.path)
            series = self._tif.series[0]
            self.axes = series.axes.upper()
            if 'Y' not in self.axes or 'X' not in self.axes:
                raise ImageReadError(f'{self.path}: no Y/X axes in series axes {series.axes!r}')
            self.is_rgb = series.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
            self.dtype = np.dtype(series.dtype)
            store = series.aszarr()
            root = zarr.open(store, mode='r')
            self._levels = [root] if isinstance(root, zarr.Array) else \
                [root[str(index)] for index in range(len(series.levels))]
            self.pixel_size = tiff_pixel_size(self._tif, series)
        except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError) as error:
            raise ImageReadError(f'{self.path}: not a readable slide ({error})') from error
        y, x = self.axes.index('Y'), self.axes.index('X')
        self.shapes: List[Tuple[int, int]] = [(int(level.shape[y]), int(level.shape[x])) for level in self._levels]
        height, width = self.shapes[0]
        self.downsamples = [float(np.sqrt(height / h * width / w)) for h, w in self.shapes]
        self._scaling: Optional[List[Tuple[float, float]]] = None

    def close(self) -> None:
        """Close the file."""
        self._tif.close()

    def __enter__(self) -> 'SlideReader':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def shape(self) -> Tuple[int, int]:
        """(height, width) of level 0."""
        return self.shapes[0]

    def read_raw(self, level: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """Pixels ``[y0, y1) × [x0, x1)`` of a level as stored, (h, w, C) (C = 1 for grey)."""
        index = []
        for axis in self.axes:
            if axis == 'Y':
                index.append(slice(y0, y1))
            elif axis == 'X':
                index.append(slice(x0, x1))
            elif axis in 'CS':
                index.append(slice(None))
            else:
                index.append(0)  # time, z: the first plane
        region = np.asarray(self._levels[level][tuple(index)])
        kept = [axis for axis in self.axes if axis in 'YXCS']
        order = [kept.index('Y'), kept.index('X')] + [i for i, axis in enumerate(kept) if axis not in 'YX']
        region = np.transpose(region, order)
        return region.reshape(region.shape[0], region.shape[1], -1)

    def read_region(self, level: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """(h, w, 3) RGB uint8 pixels ``[y0, y1) × [x0, x1)`` of a level (clipped to it)."""
        height, width = self.shapes[level]
        y0, x0, y1, x1 = max(0, y0), max(0, x0), min(height, y1), min(width, x1)
        return self.to_rgb(self.read_raw(level, y0, y1, x0, x1))

    def to_rgb(self, raw: np.ndarray) -> np.ndarray:
        """Raw (h, w, C) pixels → (h, w, 3) RGB uint8 with the slide's fixed colour scaling."""
        if raw.dtype != np.uint8 and raw.dtype != np.bool_:
            raw = self._scale_to_uint8(raw)
        return to_rgb_uint8(raw, self.channels, rgba=self.is_rgb)

    def _scale_to_uint8(self, raw: np.ndarray) -> np.ndarray:
        """Non-uint8 pixels scaled to 0..255 with percentiles of the thumbnail (jointly over channels without
        ``channels``, per channel with them, as :func:`~centersam_mm.io.readers.to_rgb_uint8`)."""
        if self._scaling is None:
            thumb = self.thumbnail_raw(THUMBNAIL_SIDE)[0].astype(np.float64)
            columns = [thumb[..., c] for c in range(thumb.shape[2])] if self.channels else [thumb]
            self._scaling = [tuple(float(v) for v in np.percentile(values[np.isfinite(values)], PERCENTILES))
                             for values in columns]
        out = np.empty(raw.shape, np.uint8)
        for c in range(raw.shape[2]):
            low, high = self._scaling[c if self.channels else 0]
            scale = 255.0 / (high - low) if high > low else 0.0
            out[..., c] = np.clip((raw[..., c].astype(np.float32) - np.float32(low)) * np.float32(scale),
                                  0, 255).round()
        return out

    def thumbnail_raw(self, max_side: int = THUMBNAIL_SIDE) -> Tuple[np.ndarray, float]:
        """A low-resolution view of the slide, raw pixels (h, w, C), and its level-0 pixels per pixel.

        The coarsest level whose longer side is still at least ``max_side`` (or the finest if none is) is read
        and, if still larger than ``max_side``, decimated (every k-th pixel) block by block, so memory stays
        bounded by the result.
        """
        candidates = [i for i, (h, w) in enumerate(self.shapes) if max(h, w) >= max_side]
        level = candidates[-1] if candidates else 0
        height, width = self.shapes[level]
        step = max(1, math.ceil(max(height, width) / max_side))
        rows = []
        for y in range(0, height, _BLOCK - _BLOCK % step):
            y1 = min(height, y + _BLOCK - _BLOCK % step)
            cols = [self.read_raw(level, y, y1, x, min(width, x + _BLOCK - _BLOCK % step))[::step, ::step]
                    for x in range(0, width, _BLOCK - _BLOCK % step)]
            rows.append(np.concatenate(cols, axis=1))
        thumb = np.concatenate(rows, axis=0)
        return thumb, self.downsamples[level] * step

    def thumbnail(self, max_side: int = THUMBNAIL_SIDE) -> Tuple[np.ndarray, float]:
        """:meth:`thumbnail_raw` as (h, w, 3) RGB uint8."""
        thumb, downsample = self.thumbnail_raw(max_side)
        return self.to_rgb(thumb), downsample


def choose_level(downsamples: Sequence[float], scale: Optional[float], tolerance: float = 1.05) -> int:
    """The pyramid level to segment: the coarsest whose pixels the model still shrinks (or keeps), i.e. with
    ``scale * downsample <= tolerance``; level 0 when the model enlarges level 0 (``scale > 1``) or ``scale`` is
    ``None`` (a model without a resize factor).

    Args:
        downsamples: level-0 pixels per pixel of each level (ascending).
        scale: the model's factor for level-0 pixels (level-0 pixels → detector input).
    """
    if scale is None:
        return 0
    fitting = [index for index, downsample in enumerate(downsamples) if scale * downsample <= tolerance]
    return fitting[-1] if fitting else 0
