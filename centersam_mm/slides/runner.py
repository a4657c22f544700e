"""Segment one slide tile by tile, resumable and shared over processes, and write its streamed outputs.

Files, for a slide found as ``<stem>`` (beside the ordinary outputs of ``tools/infer.py``)::

    <stem>_labels.ome.zarr/   labels (format 'tif'): OME-Zarr multiscale, uint32, ids unique over the slide
    <stem>.geojson            QuPath GeoJSON (format 'geojson'), coordinates in level-0 pixels
    <stem>_nuclei.csv         one row per nucleus (format 'csv'), level-0 pixels
    <stem>_overlay.png        low-resolution overlay of the labels on the slide (format 'png'; longest side <= 4096)
    <stem>_progress.json      progress: status, tiles done / to do, factor, regions (rewritten atomically)
    <stem>_slide_work/        while running: plan.json and one tiles/<index>.npz per finished tile

Run (:class:`SlideRun`):

1. **plan** (:func:`~centersam_mm.slides.plan.make_plan`): tissue regions, one factor, the level, the tiles.
   Process 0 makes it (or reuses the saved one when everything the result depends on, the *fingerprint*, is
   unchanged) and saves it; other processes wait for it.
2. **tiles**: work item ``i`` goes to process ``i % world_size``. A tile is read (only its pixels), run through
   the instance function exactly as :func:`~centersam_mm.apis.tiling.segment_tiled` runs a tile of an ordinary
   image, and the nuclei it owns (box centre in its core) are saved atomically in its own file: a killed run
   loses at most the tiles in progress and continues with the missing ones.
3. **assembly** (process 0, once every tile file exists): nuclei are pasted into the level-0 label array in
   tile order with the stitcher's rule (a pixel held by two nuclei goes to the higher score; ties to the earlier
   one), ids are 1..N in descending score order over the slide (ties by box, as ``LabelMapStitcher``), then the
   pyramid, the overlay, GeoJSON and CSV (nucleus by nucleus, tile by tile) are written and the work folder is
   removed. Given the same plan, the outputs depend on nothing else: not on interruptions, not on the number
   of processes.

A region that fits in memory (:data:`~centersam_mm.slides.prepare.SMALL_REGION_PIXELS`) is segmented as the
ordinary path segments that region cut out as an image with the slide's factor: the same tiles, the same
whole-image CLAHE; tiles without tissue are skipped.
"""
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
from scipy import ndimage

from ..apis.tiling import tile_label_map
from ..io.atomic import atomic_open, atomic_path
from ..io.geojson import OBJECT_TYPES, nucleus_feature
from ..io.labels import NucleusCrop
from ..io.overlay import write_overlay_png
from ..io.table import CSV_COLUMNS, nucleus_row
from .plan import SlidePlan, fingerprint, load_plan, make_plan, model_identity
from .prepare import CELL, fixed_cell_prepare, prepare_window
from .reader import SlideReader
from .writer import CHUNK, build_pyramid, create_label_store, finish_store, write_label_metadata

SLIDE_SUFFIXES = {'tif': '_labels.ome.zarr', 'png': '_overlay.png', 'geojson': '.geojson', 'csv': '_nuclei.csv'}
PROGRESS_SUFFIX = '_progress.json'
WORK_SUFFIX = '_slide_work'
OVERLAY_SIDE = 4096
WAIT_SECONDS = 6 * 3600  # longest wait of one process for another (plan, tiles)
_POLL = 0.5
TILE_PATTERN = '[0-9]*.npz'  # finished tiles (a killed write leaves a hidden '.<name>.*.tmp.npz', not counted)


@dataclass
class SlideOutcome:
    """What a slide run did: ``status`` 'done', 'skipped', 'stopped' (``max_tiles`` reached) or 'shared' (a
    process other than 0 that finished its tiles)."""
    status: str
    num_nuclei: int = 0
    tiles_segmented: int = 0
    tiles_skipped: int = 0
    regions: int = 0
    scale: Optional[float] = None
    message: str = ''


def slide_output_paths(out_dir: Path, relative_name: Path, formats) -> Dict[str, Path]:
    """Output of each slide format among ``formats`` ('coco' has none for slides)."""
    base = out_dir / relative_name.parent
    return {fmt: base / f'{relative_name.stem}{SLIDE_SUFFIXES[fmt]}' for fmt in formats if fmt in SLIDE_SUFFIXES}


def launch_id() -> str:
    """Identifier shared by the processes of one ``torchrun`` launch ('' outside torchrun)."""
    return os.environ.get('TORCHELASTIC_RUN_ID', '')


class SlideRun:
    """One slide, one process's share of it (see the module docstring).

    Args:
        path: the slide (a TIFF that :func:`~centersam_mm.slides.reader.is_slide` accepts).
        segmenter: a :class:`~centersam_mm.apis.NucleusSegmenter` (instance function, tiling, thresholds, options).
        out_dir, relative_name: outputs go to ``out_dir / relative_name.parent / <stem>...``.
        formats: among 'tif', 'png', 'geojson', 'csv'.
        tissue: detect tissue and segment only its tiles (``False``: every tile of the slide).
        rank, world_size: this process and the number of processes sharing the slide.
        overwrite: start again even if outputs or a previous run's tiles exist.
        object_type: GeoJSON objectType ('detection' or 'annotation').
        say: prints a message.
        tile_bar: ``(name, number of tiles) -> per-tile callback or None`` (``Reporter.tile_bar``), called once the
            tiles of this process are known.
        max_tiles: stop after segmenting this many tiles (the run can be resumed); ``None``: no limit.
    """

    def __init__(self, path: Path, segmenter: Any, out_dir: Path, relative_name: Path,
                 formats=('tif', 'geojson', 'csv', 'png'),
                 tissue: bool = True, rank: int = 0, world_size: int = 1, overwrite: bool = False,
                 object_type: str = 'detection', say: Callable[[str], None] = print,
                 tile_bar: Optional[Callable[[str, int], Optional[Callable[[], None]]]] = None,
                 max_tiles: Optional[int] = None):
        if object_type not in OBJECT_TYPES:
            raise ValueError(f'object_type must be one of {OBJECT_TYPES}, got {object_type!r}')
        self.path, self.segmenter, self.formats = Path(path), segmenter, tuple(formats)
        self.paths = slide_output_paths(Path(out_dir), Path(relative_name), self.formats)
        base = Path(out_dir) / Path(relative_name).parent / Path(relative_name).stem
        self.progress_path = Path(f'{base}{PROGRESS_SUFFIX}')
        self.work_dir = Path(f'{base}{WORK_SUFFIX}')
        self.tiles_dir = self.work_dir / 'tiles'
        self.tissue, self.rank, self.world_size, self.overwrite = tissue, rank, world_size, overwrite
        self.object_type, self.say, self.tile_bar, self.max_tiles = object_type, say, tile_bar, max_tiles
        self._region_cache: Tuple[Optional[int], Any, Any] = (None, None, None)
        self._done_count, self._counted_at = 0, -1e9
        if not segmenter.tile_size:
            raise ValueError('slides are segmented in tiles: give a tile size (--tile-size), not 0')

    # ----------------------------------------------------------------- run
    def run(self) -> SlideOutcome:
        """Plan (or resume), segment this process's tiles and, on process 0, assemble the outputs."""
        if not self.overwrite and self.paths and all(p.exists() for p in self.paths.values()) \
                and self._progress().get('status') == 'done':
            return SlideOutcome('skipped', message='skipped, outputs exist (use --overwrite to redo)')
        with SlideReader(self.path, self.segmenter.channels) as reader:
            plan = self._plan(reader)
            todo = [index for index in range(len(plan.tiles))
                    if index % self.world_size == self.rank and not self._tile_file(index).exists()]
            regions = len(plan.regions)
            self.say(f'{self.path}: {len(plan.tiles)} tiles to segment in {regions} tissue region(s) of level '
                     f'{plan.level} ({plan.shape[1]}x{plan.shape[0]}; {plan.slide_tiles} tiles without the tissue '
                     f'mask); {_scale_text(plan)}; {len(todo)} left for this process')
            done_here = 0
            on_tile_done = self.tile_bar(str(self.path), len(todo)) if self.tile_bar is not None else None
            for index in todo:
                if self.max_tiles is not None and done_here >= self.max_tiles:
                    self._write_progress(plan, 'segmenting')
                    return SlideOutcome('stopped', tiles_segmented=done_here, regions=regions, scale=plan.scale,
                                        message=f'stopped after {done_here} tiles (run again to resume)')
                self._save_tile(index, self._segment_tile(reader, plan, index))
                done_here += 1
                self._done_count += 1
                if self.rank == 0:
                    self._write_progress(plan, 'segmenting')
                if on_tile_done is not None:
                    on_tile_done()
            skipped = max(0, plan.slide_tiles - len(plan.tiles))
            if self.rank != 0:
                return SlideOutcome('shared', tiles_segmented=done_here, tiles_skipped=skipped, regions=regions,
                                    scale=plan.scale, message=f'{done_here} tiles segmented; process 0 writes '
                                    'the outputs')
            self._wait_for_tiles(plan)
            self._write_progress(plan, 'assembling')
            num_nuclei = self._assemble(reader, plan)
        summary = dict(nuclei=num_nuclei, tiles_segmented=len(plan.tiles), tiles_skipped=skipped,
                       regions=regions, scale=plan.scale, level=plan.level)
        self._write_progress(plan, 'done', summary)
        shutil.rmtree(self.work_dir, ignore_errors=True)
        return SlideOutcome('done', num_nuclei, len(plan.tiles), skipped, regions, plan.scale,
                            message=f' ({len(plan.tiles)} tiles segmented, {skipped} skipped as background, '
                            f'{regions} tissue region(s)' + ('' if plan.scale is None else
                                                             f', scale {plan.scale:.4g}') + ')')

    # ---------------------------------------------------------------- plan
    def _fingerprint(self) -> str:
        seg = self.segmenter
        stat = self.path.stat()
        return fingerprint(dict(slide=str(self.path.resolve()), size=stat.st_size, mtime=stat.st_mtime_ns,
                                model=model_identity(seg.instance_fn), tile_size=seg.tile_size,
                                tile_overlap=seg.tile_overlap, max_tile_input=seg.max_tile_input,
                                score_thr=seg.score_thr, min_area=seg.min_area,
                                options=seg.options, channels=seg.channels, tissue=self.tissue))

    def _plan(self, reader: SlideReader) -> SlidePlan:
        identity, plan_path = self._fingerprint(), self.work_dir / 'plan.json'
        if self.rank != 0:
            return self._wait(lambda: _matching(load_plan(plan_path), identity, launch_id()), 'the plan')
        if self.overwrite:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        plan = load_plan(plan_path)
        if plan is None or plan.fingerprint != identity:
            if plan is not None:
                self.say(f'{self.path}: options or model changed since the unfinished run; starting again')
            shutil.rmtree(self.work_dir, ignore_errors=True)
            seg = self.segmenter
            plan = make_plan(reader, seg.instance_fn, dict(seg.options), seg.tile_size, seg.tile_overlap,
                             self.tissue, identity, seg.bounded_tile_geometry)
        elif self.tiles_dir.is_dir():
            self.say(f'{self.path}: resuming, {len(list(self.tiles_dir.glob(TILE_PATTERN)))} of {len(plan.tiles)} '
                     'tiles done')
        plan.launch_id = launch_id()
        self.tiles_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.tiles_dir.glob('.*.tmp.npz'):  # tiles being written when a run was killed
            stale.unlink(missing_ok=True)
        with atomic_open(plan_path, 'w', encoding='utf-8') as stream:
            stream.write(plan.to_json())
        self._write_progress(plan, 'segmenting')
        return plan

    def _wait(self, ready: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            value = ready()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f'{self.path}: waited {WAIT_SECONDS} s for {what} from the other processes')
            time.sleep(_POLL)

    def _wait_for_tiles(self, plan: SlidePlan) -> None:
        missing = [index for index in range(len(plan.tiles)) if not self._tile_file(index).exists()]
        if missing:
            self.say(f'{self.path}: waiting for {len(missing)} tiles of the other processes')
            self._wait(lambda: all(self._tile_file(index).exists() for index in missing), 'their tiles')

    # --------------------------------------------------------------- tiles
    def _tile_file(self, index: int) -> Path:
        return self.tiles_dir / f'{index:06d}.npz'

    def _segment_tile(self, reader: SlideReader, plan: SlidePlan, index: int) -> Dict[str, np.ndarray]:
        """Segment work item ``index`` and return the nuclei it owns (see the module docstring)."""
        seg, fn = self.segmenter, self.segmenter.instance_fn
        region, tile = plan.tile(index)
        ry0, ry1, rx0, rx1 = plan.regions[region]
        multi = len(plan.region_tiles(region)) > 1
        image = reader.read_region(plan.level, ry0 + tile.y0, ry0 + tile.y1, rx0 + tile.x0, rx0 + tile.x1)
        prepared = None
        if multi and plan.is_small(region) and hasattr(fn, 'prepare'):
            prepared_region = self._prepared_region(reader, plan, region)
            if prepared_region is not None:
                prepared = np.ascontiguousarray(prepared_region[tile.y0:tile.y1, tile.x0:tile.x1])
        elif multi and not plan.is_small(region):
            prepare = fixed_cell_prepare(fn)
            if prepare is not None:
                def read_bgr(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
                    rgb = reader.read_region(plan.level, ry0 + y0, ry0 + y1, rx0 + x0, rx0 + x1)
                    return np.ascontiguousarray(rgb[..., ::-1])
                prepared = prepare_window(prepare, read_bgr, (ry1 - ry0, rx1 - rx0),
                                          (tile.y0, tile.y1, tile.x0, tile.x1), CELL)
        options = None
        if plan.scale is not None and getattr(fn, 'scale_aware', False):
            options = dict(seg.options, nucleus_scale=plan.scale)
            if multi:
                options['tile_align'] = plan.align
        labels, label_scores = tile_label_map(fn, image, prepared, options, seg.score_thr, seg.min_area)
        return _owned_nuclei(labels, label_scores, tile, (ry0 + tile.y0, rx0 + tile.x0))

    def _prepared_region(self, reader: SlideReader, plan: SlidePlan, region: int) -> Optional[np.ndarray]:
        """Whole-region steps (CLAHE) of a region held in memory, as the ordinary path prepares an image."""
        cached, _, prepared = self._region_cache
        if cached != region:
            y0, y1, x0, x1 = plan.regions[region]
            image = reader.read_region(plan.level, y0, y1, x0, x1)
            prepared = self.segmenter.instance_fn.prepare(image)
            self._region_cache = (region, None, prepared)
        return prepared

    def _save_tile(self, index: int, nuclei: Dict[str, np.ndarray]) -> None:
        with atomic_path(self._tile_file(index)) as temp:
            np.savez_compressed(temp, **nuclei)

    # ------------------------------------------------------------ progress
    def _progress(self) -> dict:
        try:
            return json.loads(self.progress_path.read_text(encoding='utf-8'))
        except (OSError, ValueError):
            return {}

    def _write_progress(self, plan: SlidePlan, status: str, summary: Optional[dict] = None) -> None:
        now = time.monotonic()
        if status == 'done':
            self._done_count = len(plan.tiles)
        elif now - self._counted_at > 5 or status != 'segmenting':  # list the folder at most every 5 s
            self._done_count = len(list(self.tiles_dir.glob(TILE_PATTERN))) if self.tiles_dir.is_dir() else 0
            self._counted_at = now
        done = self._done_count
        data = dict(slide=str(self.path), status=status, tiles_total=len(plan.tiles), tiles_done=done,
                    regions=len(plan.regions), level=plan.level, scale=plan.scale, scale_source=plan.scale_source,
                    probe_scales=plan.probe_scales, fingerprint=plan.fingerprint,
                    outputs={fmt: str(path) for fmt, path in self.paths.items()},
                    updated=time.strftime('%Y-%m-%dT%H:%M:%S'), summary=summary or {})
        with atomic_open(self.progress_path, 'w', encoding='utf-8') as stream:
            json.dump(data, stream, indent=1)

    # ------------------------------------------------------------ assembly
    def _assemble(self, reader: SlideReader, plan: SlidePlan) -> int:
        """Write the outputs from the tile files (see the module docstring); returns the number of nuclei."""
        metas = []
        for index in range(len(plan.tiles)):
            with np.load(self._tile_file(index)) as data:
                metas.append((data['scores'].astype(np.float64), data['boxes'].astype(np.int64)))
        scores = np.concatenate([m[0] for m in metas]) if metas else np.zeros(0)
        boxes = np.concatenate([m[1] for m in metas]).reshape(-1, 4) if metas else np.zeros((0, 4), np.int64)
        first = np.cumsum([0] + [len(m[0]) for m in metas])
        count = scores.size
        fboxes = boxes.astype(np.float32)
        order = np.lexsort((fboxes[:, 3], fboxes[:, 2], fboxes[:, 0], fboxes[:, 1], -scores))
        rank = np.zeros(count, np.int64)
        rank[order] = np.arange(1, count + 1)
        score_of = np.full(count + 1, -np.inf)
        score_of[rank] = scores

        group, temp = create_label_store(self.paths.get('tif', self.work_dir / 'labels.ome.zarr'), plan.shape)
        try:
            level0, painted = group['0'], set()
            for index in range(len(plan.tiles)):  # paste, in tile order
                with np.load(self._tile_file(index)) as data:
                    labels, origin = data['labels'], data['origin']
                if labels.size == 0 or not labels.any():
                    continue
                _paste_tile(level0, labels, origin, rank[first[index]:first[index + 1]], score_of)
                y0, x0 = int(origin[0]), int(origin[1])
                painted.update((cy, cx) for cy in range(y0 // CHUNK, (y0 + labels.shape[0] - 1) // CHUNK + 1)
                               for cx in range(x0 // CHUNK, (x0 + labels.shape[1] - 1) // CHUNK + 1))
            present = np.zeros(count + 1, bool)
            touched = sorted(painted)
            for cy, cx in touched:
                data = level0[cy * CHUNK:(cy + 1) * CHUNK, cx * CHUNK:(cx + 1) * CHUNK]
                present[np.unique(data[data > 0])] = True
            final = np.zeros(count + 1, np.uint32)
            final[present] = np.arange(1, int(present.sum()) + 1, dtype=np.uint32)
            if not present[1:].all():  # nuclei covered entirely by higher scores elsewhere: close the gaps
                for cy, cx in touched:
                    rows, cols = slice(cy * CHUNK, (cy + 1) * CHUNK), slice(cx * CHUNK, (cx + 1) * CHUNK)
                    level0[rows, cols] = final[level0[rows, cols]]
            final_ids = final[rank]  # per nucleus in tile order
            num_levels = build_pyramid(group)
            write_label_metadata(group, num_levels, plan.downsample, plan.pixel_size)
            if 'png' in self.paths:
                self._write_overlay(reader, plan, group, num_levels)
            self._write_tables(reader, plan, level0, metas, first, final_ids)
            if 'tif' in self.paths:
                finish_store(temp, self.paths['tif'])
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        return int(present.sum())

    def _write_tables(self, reader: SlideReader, plan: SlidePlan, level0, metas, first, final_ids) -> None:
        """GeoJSON features and CSV rows of every surviving nucleus, tile by tile (level-0 coordinates)."""
        import contextlib
        import csv
        factor = plan.downsample
        with contextlib.ExitStack() as stack:
            geo = stack.enter_context(atomic_open(self.paths['geojson'], 'w', encoding='utf-8')) \
                if 'geojson' in self.paths else None
            table = stack.enter_context(atomic_open(self.paths['csv'], 'w', newline='', encoding='utf-8')) \
                if 'csv' in self.paths else None
            writer = None
            if table is not None:
                writer = csv.DictWriter(table, fieldnames=CSV_COLUMNS)
                writer.writeheader()
            if geo is not None:
                geo.write('{"type": "FeatureCollection", "features": [')
            written = 0
            for index, (scores, boxes) in enumerate(metas):
                if scores.size == 0:
                    continue
                ids = final_ids[first[index]:first[index + 1]]
                y0, x0 = int(boxes[:, 1].min()), int(boxes[:, 0].min())
                y1, x1 = int(boxes[:, 3].max()), int(boxes[:, 2].max())
                labels = level0[y0:y1, x0:x1]
                image = reader.read_region(plan.level, y0, y1, x0, x1) if writer is not None else None
                for k in np.argsort(ids, kind='stable'):
                    label = int(ids[k])
                    if label == 0:
                        continue
                    bx0, by0, bx1, by1 = (int(v) for v in boxes[k])
                    rows, cols = slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0)
                    mask = labels[rows, cols] == label
                    if not mask.any():
                        continue
                    crop = NucleusCrop(label, slice(by0, by1), slice(bx0, bx1), mask)
                    if geo is not None:
                        feature = nucleus_feature(crop, scores[k], self.object_type)
                        if factor != 1.0:
                            feature['geometry'] = _scaled_geometry(feature['geometry'], factor)
                        geo.write(('\n' if written == 0 else ',\n') + json.dumps(feature, separators=(',', ':')))
                    if writer is not None:
                        row = nucleus_row(NucleusCrop(label, rows, cols, mask), scores[k], image)
                        writer.writerow(_level0_row(row, crop, factor))
                    written += 1
            if geo is not None:
                geo.write('\n]}\n')

    def _write_overlay(self, reader: SlideReader, plan: SlidePlan, group, num_levels: int) -> None:
        """Outlines of a low-resolution label level over the slide at the same resolution."""
        level = next((k for k in range(num_levels) if max(group[str(k)].shape) <= OVERLAY_SIDE), num_levels - 1)
        labels = np.asarray(group[str(level)][...])
        image = overview(reader, plan.downsample * 2 ** level, labels.shape)
        write_overlay_png(self.paths['png'], image, labels)


def overview(reader: SlideReader, downsample: float, shape: Tuple[int, int]) -> np.ndarray:
    """(shape, 3) RGB uint8 view of the slide at ``downsample`` level-0 pixels per pixel, from the coarsest level
    at least that fine, decimated block by block and resized to ``shape``."""
    import cv2
    fine = [k for k, d in enumerate(reader.downsamples) if d <= downsample * 1.01]
    level = fine[-1] if fine else 0
    height, width = reader.shapes[level]
    step = max(1, int(downsample / reader.downsamples[level]))
    block = max(step, 2048 - 2048 % step)
    rows = []
    for y in range(0, height, block):
        rows.append(np.concatenate([reader.read_region(level, y, y + block, x, x + block)[::step, ::step]
                                    for x in range(0, width, block)], axis=1))
    image = np.concatenate(rows, axis=0)
    if image.shape[:2] != tuple(shape):
        image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def _owned_nuclei(labels: np.ndarray, scores: np.ndarray, tile, origin: Tuple[int, int]) -> Dict[str, np.ndarray]:
    """The nuclei of a tile's label map whose box centre lies in the tile's core, as saved per tile: ``labels``
    (their label map cropped to them, ids 1..K in the tile's order), ``origin`` (its top-left, level pixels),
    ``scores`` (K,), ``boxes`` (K, 4) x0, y0, x1, y1 of each nucleus in level pixels (before overlaps with
    other tiles are resolved)."""
    keep, boxes = [], []
    for index, box in enumerate(ndimage.find_objects(labels)):
        if box is None:
            continue
        rows, cols = box
        if tile.owns((cols.start + cols.stop) / 2 + tile.x0, (rows.start + rows.stop) / 2 + tile.y0):
            keep.append(index + 1)
            boxes.append((cols.start, rows.start, cols.stop, rows.stop))
    if not keep:
        return dict(labels=np.zeros((0, 0), np.uint16), origin=np.zeros(2, np.int64), scores=np.zeros(0),
                    boxes=np.zeros((0, 4), np.int64))
    new_id = np.zeros(int(labels.max()) + 1, np.uint32)
    new_id[keep] = np.arange(1, len(keep) + 1)
    local = np.asarray(boxes, np.int64)
    y0, x0, y1, x1 = local[:, 1].min(), local[:, 0].min(), local[:, 3].max(), local[:, 2].max()
    owned = new_id[labels[y0:y1, x0:x1]]
    owned = owned.astype(np.uint16 if len(keep) <= np.iinfo(np.uint16).max else np.uint32)
    oy, ox = origin
    return dict(labels=owned, origin=np.array([oy + y0, ox + x0], np.int64),
                scores=np.asarray(scores, np.float64)[np.asarray(keep) - 1],
                boxes=local + np.array([ox, oy, ox, oy], np.int64))


def _paste_tile(level0, labels: np.ndarray, origin: np.ndarray, ranks: np.ndarray, score_of: np.ndarray) -> None:
    """Paste a tile's owned nuclei (ids 1..K ↔ ``ranks``) into the label array: a pixel goes to a nucleus unless
    it is held by one of higher score (``score_of[id]``), as ``LabelMapStitcher._paste``."""
    y0, x0 = int(origin[0]), int(origin[1])
    target = level0[y0:y0 + labels.shape[0], x0:x0 + labels.shape[1]]
    for index, box in enumerate(ndimage.find_objects(labels)):
        if box is None:
            continue
        new_id = ranks[index]
        mask_rows, mask_cols = np.nonzero(labels[box] == index + 1)
        mask_rows += box[0].start
        mask_cols += box[1].start
        wins = score_of[target[mask_rows, mask_cols]] < score_of[new_id]
        target[mask_rows[wins], mask_cols[wins]] = new_id
    level0[y0:y0 + labels.shape[0], x0:x0 + labels.shape[1]] = target


def _scaled_geometry(geometry: dict, factor: float) -> dict:
    """A GeoJSON geometry with every coordinate multiplied by ``factor`` (level pixels → level-0 pixels)."""
    def scale(item):
        if item and isinstance(item[0], (int, float)):
            return [round(value * factor, 3) for value in item]
        return [scale(part) for part in item]
    return dict(geometry, coordinates=scale(geometry['coordinates']))


def _level0_row(row: dict, crop: NucleusCrop, factor: float) -> dict:
    """A CSV row measured on a crop of the tile, with positions of ``crop`` (level pixels) in level-0 pixels of
    the slide (computed as :func:`~centersam_mm.io.table.nucleus_row` computes them on a whole image)."""
    out = dict(row)
    rows, cols = np.nonzero(crop.mask)
    x0, y0 = crop.offset_xy
    out['centroid_x'] = round((float(cols.mean()) + x0) * factor, 3)
    out['centroid_y'] = round((float(rows.mean()) + y0) * factor, 3)
    out['bbox_x'], out['bbox_y'] = x0, y0
    if factor != 1.0:
        out['bbox_x'], out['bbox_y'] = round(x0 * factor, 3), round(y0 * factor, 3)
        out['bbox_width'] = round(row['bbox_width'] * factor, 3)
        out['bbox_height'] = round(row['bbox_height'] * factor, 3)
        out['area_px'] = round(row['area_px'] * factor ** 2, 3)
    return out


def _matching(plan: Optional[SlidePlan], identity: str, launch: str) -> Optional[SlidePlan]:
    """``plan`` if it is of this fingerprint and launch, else ``None``."""
    if plan is None or plan.fingerprint != identity or plan.launch_id != launch:
        return None
    return plan


def _scale_text(plan: SlidePlan) -> str:
    if plan.scale is None:
        return 'the model has no resize factor'
    return f'scale {plan.scale:.4g} ({plan.scale_source})'


def segment_slide(path: Path, segmenter: Any, out_dir: Path, relative_name: Optional[Path] = None,
                  formats=('tif', 'geojson', 'csv', 'png'), **options: Any) -> SlideOutcome:
    """Segment a slide and write its outputs (:class:`SlideRun` with ``options``)."""
    path = Path(path)
    return SlideRun(path, segmenter, Path(out_dir), relative_name or Path(path.name), formats, **options).run()
