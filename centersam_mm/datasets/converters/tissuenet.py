"""TissueNet (``tissuenet_v1.*_{train,val,test}.npz``) → samples.

Each file holds ``X`` (N, H, W, 2: nuclear, membrane) and ``y`` (N, H, W, 2: whole-cell, nuclear).
The nuclear labels ``y[..., 1]`` are used, renumbered 1..n per image. Rendering: each channel of X
is percentile-normalised per image (1st → 0, 99.8th → 255, clipped) and drawn as
RGB = (0, membrane, nuclear), i.e. nuclei blue, membranes green. The split is the one in the file
name. Samples are read one at a time straight from the npz (zip) members, so the ~GB train file
is never held in memory.
"""
import re
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, Iterator, List, Tuple

import numpy as np

from .errors import ConversionError
from .monuseg import relabel_consecutive
from .writer import Sample

FILE_PATTERN = re.compile(r'^tissuenet_v1\..*_(train|val|test)\.npz$')
PERCENTILES = (1.0, 99.8)
RENDERING_RULE = ('per-image per-channel percentile normalisation (1, 99.8) -> uint8; '
                  'RGB = (0, membrane, nuclear); labels = y[..., 1] (nuclear)')
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def list_files(src: Path) -> List[Tuple[str, Path]]:
    """Sorted (split, path) of the TissueNet npz files in SRC."""
    if not src.is_dir():
        raise ConversionError(src, 'is not a folder')
    files = []
    for path in sorted(src.glob('*.npz')):
        match = FILE_PATTERN.match(path.name)
        if match and any(split == match.group(1) for split, _ in files):
            raise ConversionError(path, f'a second {match.group(1)} file; keep one per split in SRC')
        if match:
            files.append((match.group(1), path))
    if not files:
        raise ConversionError(src, 'holds no tissuenet_v1.*_{train,val,test}.npz file')
    return files


def _open_member(archive: zipfile.ZipFile, key: str, path: Path) -> Tuple[BinaryIO, np.dtype, tuple]:
    """Open array ``key`` of an npz for sequential reading; return (stream, dtype, shape)."""
    try:
        stream = archive.open(f'{key}.npy')
    except KeyError as error:
        raise ConversionError(path, f'has no array {key!r}') from error
    version = np.lib.format.read_magic(stream)
    read_header = _HEADER_READERS.get(version)
    if read_header is None:
        raise ConversionError(path, f'array {key!r} has unsupported .npy format version {version}')
    shape, fortran_order, dtype = read_header(stream)
    if fortran_order or dtype.hasobject:
        raise ConversionError(path, f'array {key!r} must be a C-ordered numeric array')
    return stream, dtype, shape


def _read_rows(stream: BinaryIO, dtype: np.dtype, shape: tuple, path: Path) -> Iterator[np.ndarray]:
    """Yield the ``shape[0]`` rows of an npy stream one at a time, each of shape ``shape[1:]``."""
    row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
    for index in range(shape[0]):
        data = stream.read(row_bytes)
        if len(data) != row_bytes:
            raise ConversionError(path, f'truncated at sample {index}')
        yield np.frombuffer(data, dtype).reshape(shape[1:])


def render_rgb(channels: np.ndarray) -> np.ndarray:
    """(H, W, 2) nuclear/membrane intensities → (H, W, 3) uint8 RGB = (0, membrane, nuclear)."""
    rgb = np.zeros(channels.shape[:2] + (3,), np.uint8)
    for source, target in ((0, 2), (1, 1)):
        channel = channels[..., source].astype(np.float32)
        low, high = np.percentile(channel, PERCENTILES)
        scaled = (channel - low) / max(float(high - low), 1e-6)
        rgb[..., target] = np.round(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)
    return rgb


def samples_of_file(split: str, path: Path) -> Iterator[Sample]:
    """Samples of one npz file, named ``<split>_<index:05d>``, in index order."""
    try:
        with ExitStack() as stack:
            archive = stack.enter_context(zipfile.ZipFile(path))
            x_stream, x_dtype, x_shape = _open_member(archive, 'X', path)
            y_stream, y_dtype, y_shape = _open_member(archive, 'y', path)
            stack.enter_context(x_stream)
            stack.enter_context(y_stream)
            if len(x_shape) != 4 or x_shape[3] != 2 or y_shape[:3] != x_shape[:3] or y_shape[3:] != (2,):
                raise ConversionError(path, f'X shape {x_shape} and y shape {y_shape} must be '
                                            f'(N, H, W, 2) with equal N, H, W')
            rows = zip(_read_rows(x_stream, x_dtype, x_shape, path), _read_rows(y_stream, y_dtype, y_shape, path))
            for index, (x, y) in enumerate(rows):
                yield Sample(stem=f'{split}_{index:05d}', image=render_rgb(x),
                             label_map=relabel_consecutive(y[..., 1].astype(np.int64)), group=f'{split}_{index:05d}',
                             fixed_split=split, extra={'source_file': path.name, 'source_index': index})
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ConversionError(path, f'cannot be read as npz ({error})') from error


def iter_samples(src: Path) -> Iterator[Sample]:
    """Samples of all TissueNet files of SRC; each sample is its own group."""
    for split, path in list_files(Path(src)):
        yield from samples_of_file(split, path)
