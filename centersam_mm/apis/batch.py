"""Segment a list of image files and write the exports; the engine behind ``tools/infer.py``.

Outputs per image ``<stem>`` (in the output folder, mirroring sub-folders of folder inputs):
``<stem>_labels.tif`` (tif), ``<stem>_overlay.png`` (png), ``<stem>.geojson`` (geojson),
``<stem>_nuclei.csv`` (csv), ``<stem>_coco.json`` (coco). Each is written atomically.

Whole-slide images (pyramidal TIFF / OME-TIFF / SVS, or TIFFs above ``SLIDE_MIN_PIXELS``; see
:func:`centersam_mm.slides.is_slide`) take the slide path instead (:mod:`centersam_mm.slides.runner`): read tile by
tile, tissue tiles only, resumable, shared by every process of a ``torchrun`` launch; ``tif`` becomes
``<stem>_labels.ome.zarr`` (OME-Zarr), ``png`` a low-resolution overlay, and ``coco`` is not written.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from ..io import (ImageReadError, write_coco_results, write_geojson, write_label_tiff, write_nuclei_csv,
                  write_overlay_png)
from ..io.readers import read_image, read_pixel_size
from .result import NucleusResult
from .segmenter import NucleusSegmenter

OUTPUT_SUFFIXES = {'tif': '_labels.tif', 'png': '_overlay.png', 'geojson': '.geojson', 'csv': '_nuclei.csv',
                   'coco': '_coco.json'}
DEFAULT_FORMATS = ('tif', 'png', 'geojson', 'csv')
# Failures that concern one image only; the run goes on with the next image.
PER_IMAGE_ERRORS = (ImageReadError, OSError, ValueError, RuntimeError, MemoryError, AssertionError)


def parse_formats(text: str) -> Tuple[str, ...]:
    """``'tif,png'`` → ``('tif', 'png')``; raises ValueError naming unknown formats."""
    formats = tuple(dict.fromkeys(name.strip().lower() for name in text.split(',') if name.strip()))
    unknown = [name for name in formats if name not in OUTPUT_SUFFIXES]
    if unknown or not formats:
        raise ValueError(f'unknown format(s) {unknown}; choose from {",".join(OUTPUT_SUFFIXES)}')
    return formats


def output_paths(out_dir: Path, relative_name: Path, formats: Sequence[str]) -> Dict[str, Path]:
    """Output file of each format for an input found as ``relative_name``."""
    base = out_dir / relative_name.parent
    return {fmt: base / f'{relative_name.stem}{OUTPUT_SUFFIXES[fmt]}' for fmt in formats}


def shard(files: Sequence, rank: int, world_size: int) -> List:
    """The files process ``rank`` of ``world_size`` takes: ``files[rank::world_size]``."""
    return list(files[rank::world_size])


SLIDE_MODES = ('auto', 'always', 'never')


def is_slide_input(path: Path, mode: str = 'auto') -> bool:
    """Whether ``path`` takes the slide path: ``'auto'`` (pyramidal or very large TIFF, see
    :func:`centersam_mm.slides.is_slide`), ``'always'`` (every TIFF), ``'never'``."""
    if mode not in SLIDE_MODES:
        raise ValueError(f'slide mode must be one of {SLIDE_MODES}, got {mode!r}')
    if mode == 'never':
        return False
    if mode == 'always':
        from ..io.readers import TIFF_EXTENSIONS
        return Path(path).suffix.lower() in TIFF_EXTENSIONS and Path(path).is_file()
    from ..slides.reader import is_slide
    return is_slide(path)


def shard_inputs(files: Sequence[Tuple[Path, Path]], rank: int, world_size: int,
                 slide_mode: str = 'auto') -> List[Tuple[Path, Path]]:
    """The inputs process ``rank`` of ``world_size`` handles: every slide (their tiles are shared, see
    :mod:`centersam_mm.slides.runner`) and :func:`shard` of the other images, in input order."""
    slides = [is_slide_input(path, slide_mode) for path, _ in files]
    ordinary = set(shard([index for index, slide in enumerate(slides) if not slide], rank, world_size))
    return [item for index, item in enumerate(files) if slides[index] or index in ordinary]


@dataclass
class SlideSettings:
    """How slides are run: ``mode`` (see :func:`is_slide_input`), ``tissue`` (skip background tiles), this
    process's ``rank`` of ``world_size`` sharing each slide's tiles, ``max_tiles`` (stop after that many tiles;
    the run resumes later)."""
    mode: str = 'auto'
    tissue: bool = True
    rank: int = 0
    world_size: int = 1
    max_tiles: Optional[int] = None


def write_outputs(result: NucleusResult, image: np.ndarray, paths: Dict[str, Path],
                  object_type: str = 'detection') -> None:
    """Write each requested export of ``result`` (``paths``: format → file) for ``image`` (H, W, 3 RGB)."""
    writers: Dict[str, Callable[[Path], object]] = {
        'tif': lambda path: write_label_tiff(path, result.labels),
        'png': lambda path: write_overlay_png(path, image, result.labels),
        'geojson': lambda path: write_geojson(path, result.labels, result.scores, object_type),
        'csv': lambda path: write_nuclei_csv(path, result.labels, result.scores, image),
        'coco': lambda path: write_coco_results(path, result.labels, result.scores),
    }
    for fmt, path in paths.items():
        writers[fmt](path)


@dataclass
class ImageOutcome:
    """What happened to one input: ``status`` is 'done', 'skipped', 'failed' or 'shared' (a slide whose tiles this
    process helped segment; process 0 writes its outputs)."""
    path: Path
    status: str
    num_nuclei: int = 0
    message: str = ''


@dataclass
class RunSummary:
    """Outcomes of a run, with counts."""
    outcomes: List[ImageOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Number of images with this status."""
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def num_nuclei(self) -> int:
        """Nuclei found in the images segmented in this run."""
        return sum(outcome.num_nuclei for outcome in self.outcomes if outcome.status == 'done')

    def describe(self, out_dir: Path) -> str:
        """One-line summary."""
        shared = f', {self.count("shared")} slide(s) shared (process 0 writes them)' if self.count('shared') else ''
        return (f'{self.count("done")} image(s) segmented, {self.count("skipped")} skipped (outputs exist), '
                f'{self.count("failed")} failed{shared}; {self.num_nuclei} nuclei found. Outputs in {out_dir}')


class Reporter:
    """Progress bar over images (and tiles of large images) with messages printed between bar updates.

    With ``show_bar=False`` (e.g. several processes sharing a terminal) only the messages are printed,
    each prefixed with ``prefix``.
    """

    def __init__(self, num_images: int, show_bar: bool = True, prefix: str = ''):
        self.prefix = prefix
        self._bar = ProgressBar(num_images) if show_bar and num_images else None

    def say(self, message: str) -> None:
        """Print a message on its own line (below the current bar line)."""
        print(('\n' if self._bar else '') + self.prefix + message, flush=True)

    def image_done(self) -> None:
        """Advance the image bar."""
        if self._bar:
            self._bar.update()

    def tile_bar(self, name: str, num_tiles: int) -> Optional[Callable[[], None]]:
        """Announce a tiled image and return a per-tile callback (``None`` for a single tile)."""
        if num_tiles <= 1:
            return None
        self.say(f'{name}: {num_tiles} tiles')
        if not self._bar:
            return None
        return ProgressBar(num_tiles).update


def segment_files(files: Sequence[Tuple[Path, Path]], segmenter: NucleusSegmenter, out_dir: Path,
                  formats: Sequence[str] = DEFAULT_FORMATS, overwrite: bool = False,
                  object_type: str = 'detection', reporter: Optional[Reporter] = None,
                  slides: Optional[SlideSettings] = None) -> RunSummary:
    """Segment each (path, relative_name) of ``files`` and write its exports under ``out_dir``.

    A file that cannot be read or segmented is reported in one line and the run goes on; images whose
    outputs all exist are skipped unless ``overwrite`` (if only some exist, only the missing ones are
    written). Slides (``slides.mode``) take the slide path (see the module docstring).
    """
    reporter = reporter or Reporter(len(files), show_bar=False)
    slides = slides or SlideSettings()
    summary, claimed = RunSummary(), {}
    for path, relative_name in files:
        paths = output_paths(out_dir, relative_name, formats)
        owner = claimed.setdefault(paths[formats[0]], path)
        if owner != path:
            outcome = ImageOutcome(path, 'failed', message=f'same output name as {owner}; rename one of them')
        elif is_slide_input(path, slides.mode):
            outcome = _segment_slide(path, relative_name, out_dir, formats, segmenter, overwrite, object_type,
                                     reporter, slides)
            if outcome.status == 'shared':
                summary.outcomes.append(outcome)
                reporter.image_done()
                reporter.say(f'{path}: {outcome.message}')
                continue
            paths = _slide_paths(out_dir, relative_name, formats)
        else:
            outcome = _segment_one(path, paths, segmenter, overwrite, object_type, reporter)
        summary.outcomes.append(outcome)
        reporter.image_done()
        reporter.say(f'{path}: {outcome.message}' if outcome.status != 'done' else
                     f'{path}: {outcome.num_nuclei} nuclei{outcome.message} -> {_outputs_pattern(paths)}')
    return summary


def _segment_one(path: Path, paths: Dict[str, Path], segmenter: NucleusSegmenter, overwrite: bool,
                 object_type: str, reporter: Reporter) -> ImageOutcome:
    """Read, segment and export one image; per-image errors become a 'failed' outcome."""
    existing = [fmt for fmt, out in paths.items() if out.exists()]
    if existing and not overwrite:
        if len(existing) == len(paths):
            return ImageOutcome(path, 'skipped', message='skipped, outputs exist (use --overwrite to redo)')
        paths = {fmt: out for fmt, out in paths.items() if fmt not in existing}
    try:
        image = read_image(path, segmenter.channels)
        pixel_size = read_pixel_size(path)
        result = segmenter.predict_rgb(image, None, pixel_size,
                                       on_tiles=lambda num_tiles: reporter.tile_bar(str(path), num_tiles))
        write_outputs(result, image, paths, object_type)
    except PER_IMAGE_ERRORS as error:
        return ImageOutcome(path, 'failed', message=f'FAILED: {type(error).__name__}: {error}')
    from_file = not segmenter.options and 'pixel_size' in segmenter.options_for(pixel_size)
    scale = '' if result.scale is None else \
        f' (scale {result.scale:.3g}{f" from its pixel size {pixel_size:.4g} µm/px" if from_file else ""})'
    return ImageOutcome(path, 'done', result.num_nuclei, message=scale)


def _slide_paths(out_dir: Path, relative_name: Path, formats: Sequence[str]) -> Dict[str, Path]:
    from ..slides.runner import slide_output_paths
    return slide_output_paths(out_dir, relative_name, formats)


def _segment_slide(path: Path, relative_name: Path, out_dir: Path, formats: Sequence[str],
                   segmenter: NucleusSegmenter, overwrite: bool, object_type: str, reporter: Reporter,
                   slides: SlideSettings) -> ImageOutcome:
    """Run the slide path for one slide; per-image errors become a 'failed' outcome."""
    from ..slides.runner import SlideRun
    try:
        outcome = SlideRun(path, segmenter, out_dir, relative_name, formats, tissue=slides.tissue,
                           rank=slides.rank, world_size=slides.world_size, overwrite=overwrite,
                           object_type=object_type, say=reporter.say, tile_bar=reporter.tile_bar,
                           max_tiles=slides.max_tiles).run()
    except PER_IMAGE_ERRORS + (ImportError, TimeoutError) as error:
        return ImageOutcome(path, 'failed', message=f'FAILED: {type(error).__name__}: {error}')
    if outcome.status == 'stopped':
        return ImageOutcome(path, 'failed', message=f'{outcome.message}')
    note = ' (coco is not written for slides)' if 'coco' in formats and outcome.status == 'done' else ''
    return ImageOutcome(path, outcome.status, outcome.num_nuclei, message=outcome.message + note)


def _outputs_pattern(paths: Dict[str, Path]) -> str:
    """Compact description of the output files, e.g. ``out/img{_labels.tif,.geojson}``."""
    files = sorted(paths.values())
    if not files:
        return '(nothing)'
    stem = Path(files[0]).parent / _common_prefix([path.name for path in files])
    suffixes = ','.join(path.name[len(stem.name):] for path in files)
    return f'{stem}{{{suffixes}}}'


def _common_prefix(names: Sequence[str]) -> str:
    """Longest common prefix of the names."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix

