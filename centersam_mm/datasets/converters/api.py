"""``convert(benchmark, src, out, ...)``: the entry point behind tools/dataset_converters/convert_dataset.py."""
import logging
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence

from . import dsb2018, monuseg, tissuenet
from .writer import write_dataset

logger = logging.getLogger(__name__)

DEFAULT_SPLIT_RATIO = (0.8, 0.1, 0.1)


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


def _convert_monuseg(src: Path, out: Path, split_ratio: Optional[Sequence[float]], seed: int,
                     overwrite: bool) -> dict:
    meta = {'benchmark': 'monuseg', 'source': str(src), 'split_by': 'source image (all 9 crops together)',
            'crop_grid': monuseg.CROP_RULE, 'overlap_rule': monuseg.OVERLAP_RULE,
            'microns_per_pixel': monuseg.read_all_microns_per_pixel(src)}
    return write_dataset(monuseg.iter_samples(src), out, split_ratio or DEFAULT_SPLIT_RATIO, seed,
                         overwrite, meta)


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
}


def convert(benchmark: str, src: Path, out: Path, split_ratio: Optional[Sequence[float]] = None,
            seed: int = 0, overwrite: bool = False) -> Dict[str, dict]:
    """Convert one benchmark from SRC into the design.md layout at OUT.

    Args:
        benchmark: one of ``BENCHMARKS``.
        src: source folder (never modified).
        out: output folder, written atomically.
        split_ratio: (train, val, test) fractions; None = the benchmark's default (0.8/0.1/0.1 for
            dsb2018 and monuseg, the file-name split for tissuenet).
        seed: split seed.
        overwrite: replace an existing OUT.

    Returns:
        ``{split: {'images': n, 'instances': m}}``.

    Raises:
        ConversionError: bad input, or OUT exists without ``overwrite``.
    """
    start = time.perf_counter()
    counts = BENCHMARKS[benchmark](Path(src).absolute(), Path(out), split_ratio, seed, overwrite)
    logger.info('%s converted in %.1f s: %s', benchmark, time.perf_counter() - start, counts)
    return counts
