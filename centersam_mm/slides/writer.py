"""Slide outputs written piece by piece: an OME-Zarr multiscale label image and a low-resolution overlay.

Label image (``<stem>_labels.ome.zarr``, OME-NGFF 0.4, zarr format 2): the root group is a multiscale image with
``image-label`` metadata; datasets ``0`` (the segmented level, uint32, chunks of ``CHUNK``², zstd) and ``1``,
``2``, ... each half the previous one (every second pixel, as ome-zarr's ``nearest``), down to a side of at most
``CHUNK``. The scale of each dataset is in µm when the slide's pixel size is known, else in level-0 pixels. napari
opens it (``napari <stem>_labels.ome.zarr``, as a list of arrays), ome-zarr's reader as a label image.

The folder is written under a temporary name beside the destination and renamed when complete
(:func:`finish_store`).
"""
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

import numpy as np

PathLike = Union[str, Path]
CHUNK = 1024


def create_label_store(path: PathLike, shape: Tuple[int, int], chunk: int = CHUNK):
    """A new zarr group in a temporary folder beside ``path`` with an empty uint32 level-0 array ``'0'``.

    Returns:
        (group, temporary folder).
    """
    import zarr
    from numcodecs import Blosc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent))
    os.chmod(temp, 0o777 & ~_umask())  # mkdtemp makes 0700 folders; use the usual permissions
    group = zarr.open_group(str(temp), mode='w', zarr_format=2)
    group.create_array('0', shape=shape, chunks=(chunk, chunk), dtype='uint32', fill_value=0,
                       compressors=Blosc(cname='zstd', clevel=3, shuffle=Blosc.BITSHUFFLE))
    return group, temp


def _umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def blocks(shape: Tuple[int, int], block: int) -> Iterator[Tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of row-major blocks covering ``shape``."""
    for y in range(0, shape[0], block):
        for x in range(0, shape[1], block):
            yield y, min(shape[0], y + block), x, min(shape[1], x + block)


def build_pyramid(group, chunk: int = CHUNK) -> int:
    """Add datasets ``1``, ``2``, ... to ``group`` (each every second pixel of the previous) until the longest side
    is at most ``chunk``; returns the number of datasets."""
    from numcodecs import Blosc
    level = 0
    source = group['0']
    while max(source.shape) > chunk:
        shape = ((source.shape[0] + 1) // 2, (source.shape[1] + 1) // 2)
        target = group.create_array(str(level + 1), shape=shape, chunks=(chunk, chunk), dtype='uint32',
                                    fill_value=0, compressors=Blosc(cname='zstd', clevel=3, shuffle=Blosc.BITSHUFFLE))
        for y0, y1, x0, x1 in blocks(shape, chunk):
            data = source[2 * y0:2 * y1, 2 * x0:2 * x1][::2, ::2]
            if data.any():
                target[y0:y1, x0:x1] = data
        level += 1
        source = target
    return level + 1


def write_label_metadata(group, num_levels: int, downsample: float, pixel_size: Optional[float],
                         name: str = 'nuclei') -> None:
    """OME-NGFF 0.4 multiscales + image-label metadata of the label pyramid (see the module docstring)."""
    from ome_zarr.format import FormatV04
    from ome_zarr.writer import write_multiscales_metadata
    unit = pixel_size if pixel_size else 1.0
    datasets = [{'path': str(level),
                 'coordinateTransformations': [{'type': 'scale', 'scale': [unit * downsample * 2 ** level] * 2}]}
                for level in range(num_levels)]
    axes = [{'name': 'y', 'type': 'space'}, {'name': 'x', 'type': 'space'}]
    if pixel_size:
        for axis in axes:
            axis['unit'] = 'micrometer'
    write_multiscales_metadata(group, datasets, fmt=FormatV04(), axes=axes, name=name)
    group.attrs['image-label'] = {'version': '0.4'}


def finish_store(temp: Path, path: PathLike) -> None:
    """Move the completed temporary folder to ``path`` (replacing what was there)."""
    path = Path(path)
    if path.exists():
        old = path.with_name(f'.{path.name}.old')
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
        os.replace(temp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp, path)


def read_label_level(path: PathLike, level: int = 0) -> np.ndarray:
    """Dataset ``level`` of a label store as a numpy array (whole; for tests and small slides)."""
    import zarr
    return np.asarray(zarr.open_group(str(path), mode='r')[str(level)][...])


def label_levels(path: PathLike) -> List:
    """The zarr arrays of a label store, full resolution first (lazy; for napari: ``viewer.add_labels(...)``)."""
    import zarr
    group = zarr.open_group(str(path), mode='r')
    return [group[item['path']] for item in group.attrs['multiscales'][0]['datasets']]
