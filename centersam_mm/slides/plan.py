"""What a slide run will do, decided once and saved: level, factor, tissue regions and the tiles to segment.

Steps (:func:`make_plan`):

1. thumbnail (:meth:`SlideReader.thumbnail`) → :class:`~centersam_mm.slides.tissue.TissueRule` and tissue mask;
2. the factor for level-0 pixels (one for the whole slide), in order: the segmenter's options (``--scale``,
   ``--pixel-size``, ``--diameter``); the slide's own pixel size when the model records the pixel size it was
   trained at (``test_cfg.pixel_size``); else the median of the model's estimates on up to ``SCALE_PROBES``
   tissue windows (each estimated as the ordinary path estimates an image: a region that fits in one probe is
   probed as that region cut out; larger regions on their ``PROBE_SIDE``² windows with the most tissue),
   rounded to ``FACTOR_DIGITS`` significant digits (:func:`round_factor`);
3. the level (:func:`~centersam_mm.slides.reader.choose_level`) and the factor for its pixels;
4. tissue regions at that level (:mod:`~centersam_mm.slides.tissue`; the whole level with ``tissue=False``);
5. each region's tiles (:func:`~centersam_mm.utils.tile_grid.make_tiles`, anchored at the region's top-left
   corner, starts on the detector's grid), keeping those that hold tissue in the mask.
"""
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils.tile_grid import Tile, make_tiles
from .prepare import CELL, SMALL_REGION_PIXELS, fixed_cell_prepare, prepare_window
from .reader import SlideReader, choose_level
from .tissue import TissueRule, mask_boxes, merge_boxes, refine_box, tissue_mask, tissue_rule

PLAN_VERSION = 1
SCALE_PROBES = 5      # tissue windows the factor is estimated on (median)
PROBE_SIDE = 1024     # side of a probe window in level-0 pixels (the ordinary path's central probe crop)
FACTOR_DIGITS = 4     # significant digits of an estimated slide factor


@dataclass
class SlidePlan:
    """A slide run's decisions (saved as JSON in the work folder; see the module docstring).

    Coordinates are pixels of the segmented ``level``; ``regions`` are (y0, y1, x0, x1); ``tiles`` are (region
    index, index into :meth:`region_tiles`) of the tiles to segment, in processing order.
    """
    fingerprint: str
    level: int
    downsample: float
    shape: Tuple[int, int]
    scale: Optional[float]
    scale_source: str
    probe_scales: List[float]
    align: Optional[int]
    tile_size: Optional[int]
    tile_overlap: int
    tissue_rule: Optional[Dict[str, Any]]
    tissue_mask: bool
    regions: List[Tuple[int, int, int, int]]
    tiles: List[Tuple[int, int]]
    slide_tiles: int
    pixel_size: Optional[float]
    launch_id: str = ''
    version: int = PLAN_VERSION
    _tile_cache: Dict[int, List[Tile]] = field(default_factory=dict, repr=False, compare=False)

    def region_tiles(self, region: int) -> List[Tile]:
        """All tiles of a region (region pixels)."""
        if region not in self._tile_cache:
            y0, y1, x0, x1 = self.regions[region]
            self._tile_cache[region] = make_tiles(y1 - y0, x1 - x0, self.tile_size, self.tile_overlap, self.align)
        return self._tile_cache[region]

    def tile(self, index: int) -> Tuple[int, Tile]:
        """(region index, tile in region pixels) of work item ``index``."""
        region, position = self.tiles[index]
        return region, self.region_tiles(region)[position]

    def is_small(self, region: int) -> bool:
        """True for a region held in memory and prepared as a whole image (see :mod:`.prepare`)."""
        y0, y1, x0, x1 = self.regions[region]
        return (y1 - y0) * (x1 - x0) <= SMALL_REGION_PIXELS

    def to_json(self) -> str:
        data = asdict(self)
        data.pop('_tile_cache')
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> 'SlidePlan':
        data = json.loads(text)
        data['shape'] = tuple(data['shape'])
        data['regions'] = [tuple(region) for region in data['regions']]
        data['tiles'] = [tuple(tile) for tile in data['tiles']]
        return cls(**data)


def round_factor(scale: float, digits: int = FACTOR_DIGITS) -> float:
    """``scale`` rounded to ``digits`` significant digits: processes with other thread counts (torchrun gives
    each one thread) estimate factors that differ in their last bits, and the rounded factor is the same."""
    return float(f'{scale:.{digits}g}')


def fingerprint(parts: Dict[str, Any]) -> str:
    """Short hash of everything a run's result depends on (JSON-serialisable parts)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def model_identity(fn: Any) -> Dict[str, Any]:
    """What identifies the instance function: class, config and a hash of the weights (MMDetection models), or
    the class and its simple attributes."""
    identity: Dict[str, Any] = {'class': type(fn).__name__}
    model = getattr(fn, 'model', None)
    if model is not None and hasattr(model, 'state_dict'):
        digest = hashlib.sha256()
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        identity.update(config=getattr(model.cfg, 'filename', ''), test_cfg=dict(getattr(model, 'test_cfg', {}) or {}),
                        weights=digest.hexdigest()[:16])
    else:
        identity['attributes'] = {key: value for key, value in sorted(vars(fn).items())
                                  if isinstance(value, (int, float, str, bool, type(None)))} \
            if hasattr(fn, '__dict__') else repr(fn)
    return identity


def _scale_aware(fn: Any) -> bool:
    return bool(getattr(fn, 'scale_aware', False))


def level_boxes(mask_boxes_px: Sequence[Tuple[int, int, int, int]], mask_downsample: float, downsample: float,
                shape: Tuple[int, int]) -> List[Tuple[int, int, int, int]]:
    """Mask-pixel boxes as boxes of a level whose pixels are ``downsample`` level-0 pixels (rounded outward)."""
    ratio = mask_downsample / downsample
    return [(max(0, math.floor(y0 * ratio)), min(shape[0], math.ceil(y1 * ratio)),
             max(0, math.floor(x0 * ratio)), min(shape[1], math.ceil(x1 * ratio)))
            for y0, y1, x0, x1 in mask_boxes_px]


def find_regions(reader: SlideReader, level: int, mask: np.ndarray, mask_downsample: float,
                 rule: TissueRule) -> List[Tuple[int, int, int, int]]:
    """Tissue regions of a level: mask pieces' boxes, refined at the level, merged until disjoint."""
    shape, downsample = reader.shapes[level], reader.downsamples[level]
    refined = []
    for box in level_boxes(mask_boxes(mask), mask_downsample, downsample, shape):
        tight = refine_box(lambda y0, y1, x0, x1: reader.read_region(level, y0, y1, x0, x1), box, rule)
        if tight is not None:
            refined.append(tight)
    return merge_boxes(refined)


def tile_has_tissue(mask: np.ndarray, mask_downsample: float, downsample: float,
                    box: Tuple[int, int, int, int]) -> bool:
    """True if the mask (dilated by one pixel) has tissue in ``box`` (y0, y1, x0, x1 pixels of a level)."""
    ratio = downsample / mask_downsample
    y0, y1 = max(0, math.floor(box[0] * ratio) - 1), math.ceil(box[1] * ratio) + 1
    x0, x1 = max(0, math.floor(box[2] * ratio) - 1), math.ceil(box[3] * ratio) + 1
    return bool(mask[y0:y1, x0:x1].any())


def estimate_slide_scale(fn: Any, options: Dict[str, Any], reader: SlideReader, regions: List[Tuple[int, int, int, int]],
                         mask: Optional[np.ndarray], mask_downsample: float, tile_size: Optional[int],
                         tile_overlap: int, probes: int = SCALE_PROBES) -> List[float]:
    """The model's factor estimated on up to ``probes`` tissue windows of level 0 (see the module docstring)."""
    candidates = []  # (-tissue fraction, order, region index, window in region pixels)
    for index, (y0, y1, x0, x1) in enumerate(regions):
        height, width = y1 - y0, x1 - x0
        if height <= PROBE_SIDE and width <= PROBE_SIDE:
            windows = [(0, height, 0, width)]
        else:
            windows = [(wy, min(height, wy + PROBE_SIDE), wx, min(width, wx + PROBE_SIDE))
                       for wy in range(0, max(1, height - PROBE_SIDE // 2), PROBE_SIDE)
                       for wx in range(0, max(1, width - PROBE_SIDE // 2), PROBE_SIDE)]
        for window in windows:
            fraction = 1.0
            if mask is not None:
                ratio = 1.0 / mask_downsample
                sub = mask[math.floor((y0 + window[0]) * ratio):math.ceil((y0 + window[1]) * ratio),
                           math.floor((x0 + window[2]) * ratio):math.ceil((x0 + window[3]) * ratio)]
                fraction = float(sub.mean()) if sub.size else 0.0
            if fraction > 0:
                candidates.append((-round(fraction, 2), len(candidates), index, window))
    scales = []
    for _, _, index, (wy0, wy1, wx0, wx1) in sorted(candidates)[:probes]:
        y0, y1, x0, x1 = regions[index]
        height, width = y1 - y0, x1 - x0
        if height * width <= SMALL_REGION_PIXELS and (height > PROBE_SIDE or width > PROBE_SIDE):
            image = reader.read_region(0, y0, y1, x0, x1)  # as the ordinary path: the region, prepared whole
            prepared = fn.prepare(image) if len(make_tiles(height, width, tile_size, tile_overlap)) > 1 and \
                hasattr(fn, 'prepare') else None
            scales.append(float(fn.scale_for(image, prepared, options)))
            continue
        image = reader.read_region(0, y0 + wy0, y0 + wy1, x0 + wx0, x0 + wx1)
        prepared = None
        if height * width > SMALL_REGION_PIXELS:
            prepare = fixed_cell_prepare(fn)
            if prepare is not None:
                read_bgr = lambda a, b, c, d: np.ascontiguousarray(  # noqa: E731
                    reader.read_region(0, y0 + a, y0 + b, x0 + c, x0 + d)[..., ::-1])
                prepared = prepare_window(prepare, read_bgr, (height, width), (wy0, wy1, wx0, wx1), CELL)
        scales.append(float(fn.scale_for(image, prepared, options)))
    return scales


def make_plan(reader: SlideReader, fn: Any, options: Dict[str, Any], tile_size: Optional[int], tile_overlap: int,
              tissue: bool, identity: str,
              tile_geometry: Optional[Callable[[Optional[float]], Tuple[Optional[int], int]]] = None) -> SlidePlan:
    """Decide level, factor, regions and tiles of a slide (see the module docstring). ``tile_geometry``: the
    factor at the chosen level -> (tile side, overlap), as the ordinary path sizes a tiled image's tiles
    (``NucleusSegmenter.bounded_tile_geometry``); default: ``tile_size`` and ``tile_overlap`` as given."""
    thumbnail, mask_downsample = reader.thumbnail()
    rule = tissue_rule(thumbnail)
    mask = tissue_mask(thumbnail, mask_downsample, rule)
    level0_regions = (find_regions(reader, 0, mask, mask_downsample, rule) if tissue
                      else [(0, reader.shape[0], 0, reader.shape[1])])
    scale0, source, probe_scales = None, 'none', []
    if _scale_aware(fn):
        from ..models.utils.nucleus_scale import scale_from_options
        test_cfg = fn.model.test_cfg
        fixed = scale_from_options(test_cfg, options)
        if fixed is not None:
            scale0, source = float(fixed), 'from the options'
        elif reader.pixel_size and getattr(fn, 'pixel_size', None):
            scale0 = float(scale_from_options(test_cfg, dict(options, pixel_size=reader.pixel_size)))
            source = f'slide pixel size {reader.pixel_size:.4g} µm/px'
        else:
            probe_scales = estimate_slide_scale(fn, options, reader, level0_regions, mask, mask_downsample,
                                                tile_size, tile_overlap)
            if not probe_scales:
                raise ValueError('no tissue to estimate the nucleus scale on: give --scale, --diameter or '
                                 '--pixel-size')
            scale0 = round_factor(float(np.median(probe_scales)))
            source = f'median of {len(probe_scales)} estimates on tissue'
    level = choose_level(reader.downsamples, scale0)
    downsample = reader.downsamples[level]
    scale = None if scale0 is None else scale0 * downsample
    shape = reader.shapes[level]
    if not tissue:
        regions = [(0, shape[0], 0, shape[1])]
    elif level == 0:
        regions = level0_regions
    else:
        regions = find_regions(reader, level, mask, mask_downsample, rule)
    align = fn.tile_align(scale) if scale is not None and hasattr(fn, 'tile_align') else None
    if tile_geometry is not None and scale is not None:
        tile_size, tile_overlap = tile_geometry(scale)
    plan = SlidePlan(fingerprint=identity, level=level, downsample=downsample, shape=tuple(shape), scale=scale,
                     scale_source=source, probe_scales=probe_scales, align=align, tile_size=tile_size,
                     tile_overlap=tile_overlap, tissue_rule=rule.to_dict(), tissue_mask=tissue,
                     regions=regions, tiles=[], slide_tiles=len(make_tiles(*shape, tile_size, tile_overlap, align)),
                     pixel_size=reader.pixel_size)
    for index, (y0, y1, x0, x1) in enumerate(regions):
        for position, tile in enumerate(plan.region_tiles(index)):
            box = (y0 + tile.y0, y0 + tile.y1, x0 + tile.x0, x0 + tile.x1)
            if not tissue or tile_has_tissue(mask, mask_downsample, downsample, box):
                plan.tiles.append((index, position))
    return plan


def load_plan(path: Path) -> Optional[SlidePlan]:
    """The plan saved at ``path``, or ``None`` if there is none (or it is unreadable or of another version)."""
    try:
        plan = SlidePlan.from_json(path.read_text(encoding='utf-8'))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return plan if plan.version == PLAN_VERSION else None
