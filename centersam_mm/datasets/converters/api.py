"""``convert(benchmark, src, out, ...)``: the entry point behind tools/dataset_converters/convert_dataset.py."""
import logging
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

from . import dsb2018, labels, monuseg, tissuenet
from .crops import MONUSEG_GRID, Grid, crop_rule, parse_crop
from .writer import write_dataset

logger = logging.getLogger(__name__)

DEFAULT_SPLIT_RATIO = (0.8, 0.1, 0.1)
CropOption = Union[None, str, Tuple[int, int]]


def _convert_dsb2018(src: Path, out: Path, split_ratio: Optional[Sequence[float]], seed: int,
                     overwrite: bool) -> dict:
    stats = dsb2018.OverlapStats()
    meta = {'benchmark': 'dsb2018', 'source': str(src), 'split_by': 'image',
            'overlap_rule': dsb2018.OVERLAP_RULE}
    counts = write_dataset(dsb2018.iter_samples(src, stats), out, split_ratio or DEFAULT_SPLIT_RATIO,
                           seed, overwrite, meta)
    logger.info('overlap: %d pixels in %d images resolved (%s); %d masks vanished',
                stats.overlapping_pixels, stats.images_with_overlap, dsb2018.OVERLAP_RULE,
                stats.vanished_masks)
    return counts


def _split_by(grid: Optional[Grid]) -> str:
    return 'image' if grid is None else f'source image (all {grid[0] * grid[1]} crops together)'


def _convert_monuseg(src: Path, out: Path, split_ratio: Optional[Sequence[float]], seed: int,
                     overwrite: bool, crop: Optional[Grid] = MONUSEG_GRID) -> dict:
    meta = {'benchmark': 'monuseg', 'source': str(src), 'split_by': _split_by(crop),
            'crop_grid': crop_rule(crop), 'rasterisation': monuseg.RASTER_RULE, 'overlap_rule': monuseg.OVERLAP_RULE,
            'microns_per_pixel': monuseg.read_all_microns_per_pixel(src)}
    return write_dataset(monuseg.iter_samples(src, crop), out, split_ratio or DEFAULT_SPLIT_RATIO, seed,
                         overwrite, meta)


def _convert_labels(src: Path, out: Path, split_ratio: Optional[Sequence[float]], seed: int,
                    overwrite: bool, crop: Optional[Grid] = None, pixel_size: Optional[float] = None) -> dict:
    meta = {'benchmark': 'labels', 'source': str(src), 'layout': labels.detect_layout(src),
            'split_by': _split_by(crop), 'crop_grid': crop_rule(crop), 'microns_per_pixel': pixel_size,
            'rendering': labels.RENDERING_RULE, 'label_rule': labels.LABEL_RULE}
    return write_dataset(labels.iter_samples(src, crop, pixel_size), out, split_ratio or DEFAULT_SPLIT_RATIO,
                         seed, overwrite, meta)


def _convert_tissuenet(src: Path, out: Path, split_ratio: Optional[Sequence[float]], seed: int,
                       overwrite: bool) -> dict:
    meta = {'benchmark': 'tissuenet', 'source': str(src),
            'split_by': 'file name' if split_ratio is None else 'sample (seeded)',
            'rendering': tissuenet.RENDERING_RULE}
    return write_dataset(tissuenet.iter_samples(src), out, split_ratio, seed, overwrite, meta)


BENCHMARKS: Dict[str, Callable[..., dict]] = {
    'dsb2018': _convert_dsb2018,
    'monuseg': _convert_monuseg,
    'tissuenet': _convert_tissuenet,
    'labels': _convert_labels,
}

# the options each benchmark takes besides the split, and their defaults (crop: a (rows, cols) grid or None)
OPTIONS: Dict[str, dict] = {
    'dsb2018': {},
    'monuseg': {'crop': MONUSEG_GRID},
    'tissuenet': {},
    'labels': {'crop': None, 'pixel_size': None},
}


def _options(benchmark: str, crop: CropOption, pixel_size: Optional[float]) -> dict:
    """The benchmark's keyword options from ``convert``'s arguments (None = the benchmark's default)."""
    given = {name: value for name, value in (('crop', crop), ('pixel_size', pixel_size)) if value is not None}
    unsupported = sorted(set(given) - set(OPTIONS[benchmark]))
    if unsupported:
        raise ValueError(f'{benchmark} takes no {" or ".join(unsupported)} option')
    options = dict(OPTIONS[benchmark])
    if 'crop' in given:
        options['crop'] = parse_crop(crop) if isinstance(crop, str) else (None if tuple(crop) == (1, 1) else
                                                                          tuple(int(n) for n in crop))
    if 'pixel_size' in given:
        if not float(pixel_size) > 0:
            raise ValueError(f'pixel size must be a positive number of microns per pixel, got {pixel_size!r}')
        options['pixel_size'] = float(pixel_size)
    return options


def convert(benchmark: str, src: Path, out: Path, split_ratio: Optional[Sequence[float]] = None,
            seed: int = 0, overwrite: bool = False, crop: CropOption = None,
            pixel_size: Optional[float] = None) -> Dict[str, dict]:
    """Convert one benchmark from SRC into the design.md layout at OUT.

    Args:
        benchmark: one of ``BENCHMARKS`` (``labels``: images + instance label maps, see labels.py).
        src: source folder (never modified).
        out: output folder, written atomically.
        split_ratio: (train, val, test) fractions, zeros allowed (``(1, 0, 0)``: all in train);
            None = the benchmark's default (0.8/0.1/0.1 for dsb2018, monuseg and labels, the
            file-name split for tissuenet).
        seed: split seed.
        overwrite: replace an existing OUT.
        crop: monuseg and labels: ``'3x3'`` / ``(3, 3)`` cuts every image on that grid, ``'none'``
            keeps whole images; None = the default (monuseg 3x3, labels none).
        pixel_size: labels: microns per pixel of the source images, recorded in ``splits.json``
            (``microns_per_pixel``) and in every COCO image entry; monuseg reads it from its XML.

    Returns:
        ``{split: {'images': n, 'instances': m}}``.

    Raises:
        ConversionError: bad input (a BadFilesError lists every bad file), or OUT exists without
            ``overwrite``.
        ValueError: an option the benchmark does not take, or a malformed one.
    """
    options = _options(benchmark, crop, pixel_size)
    start = time.perf_counter()
    counts = BENCHMARKS[benchmark](Path(src).absolute(), Path(out), split_ratio, seed, overwrite, **options)
    logger.info('%s converted in %.1f s: %s', benchmark, time.perf_counter() - start, counts)
    return counts
