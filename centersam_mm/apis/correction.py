"""Box-by-box correction of a segmentation: move, add or delete a nucleus's box and SAM re-draws just that nucleus.

A CenterSAM model segments an image as ``NucleusSegmenter.predict_rgb`` does (tiles of ``tile_size``; in each
tile the detector's boxes prompt SAM, which encodes the tile in windows, :meth:`SAMBoxPromptSegmenter.segment`).
:func:`segment_for_correction` runs exactly that, and also keeps each nucleus's *prompt* (the detector box SAM was
given, not the box of its final mask). A :class:`CorrectionSession` then re-decodes a box the way the pipeline
decoded it: in the tile that owns the box's centre, on the SAM window of that tile whose core owns it, with the
same encoder input (``SAMBoxPromptSegmenter.encoding_windows`` / ``encode`` / ``decode_encoded``, the code
``segment`` itself runs) and the same mask cleaning (``test_cfg.clean_masks``). Each window's image embedding is
computed once and cached, so a re-decode costs one prompt through SAM's mask decoder (a few milliseconds on a CPU).
An unchanged box gives back its pipeline mask.

Edits are returned as :class:`LabelEdit` (pixel indices and their new values) for the caller to write into its
label map (napari's ``Labels.data_setitem``, which records undo history, or :meth:`LabelEdit.apply`):

* an edited or new nucleus takes the pixels of its new mask that are background or already its own; the pixels
  of every other nucleus are left alone (a correction never overwrites another nucleus);
* its former pixels outside the new mask become background;
* scores: a moved box keeps its nucleus's score; a drawn box gets ``MANUAL_SCORE``. Nothing is re-scored,
  re-thresholded or suppressed (mask NMS) after an edit: the user's box is taken as it is.

Example::

    session = segment_for_correction(NucleusSegmenter(), image)
    labels = session.result.labels.copy()
    session.update(labels, 3, [10, 12, 40, 44]).apply(labels)   # nucleus 3 re-drawn from a new box
    session.export_result(labels)                                # NucleusResult for write_outputs
"""
import copy
import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage

from ..io.labels import compact_label_dtype
from ..utils.tile_grid import Tile, make_tiles
from .result import NucleusResult
from .segmenter import MMDetInstanceFn

MANUAL_SCORE = 1.0  # score of a nucleus whose box was drawn by hand
Region = Tuple[int, int, int, int]  # y0, y1, x0, x1 (exclusive ends)


class CorrectionUnavailable(RuntimeError):
    """The segmenter's model has no box-prompted SAM to re-decode with (e.g. the threshold stub)."""


@dataclass
class Nucleus:
    """One nucleus of a session: its prompt ``box`` (x0, y0, x1, y1, image pixels), ``score``, the outer tile it
    is decoded in, and ``extent`` (y0, y1, x0, x1), a region holding every pixel it has been given so far."""
    box: np.ndarray
    score: float
    tile: int
    extent: Region


@dataclass
class LabelEdit:
    """Pixels to change in the label map: ``labels[indices] = values`` (only pixels whose value changes)."""
    label: int
    indices: Tuple[np.ndarray, np.ndarray]
    values: np.ndarray

    @property
    def num_pixels(self) -> int:
        return int(self.values.size)

    def apply(self, labels: np.ndarray) -> None:
        """Write the edit into ``labels`` in place."""
        labels[self.indices] = self.values


@dataclass
class TileRecord:
    """What the model returned for one outer tile: prompt boxes (image pixels), scores, mask boxes."""
    prompts: np.ndarray
    scores: np.ndarray
    mask_boxes: np.ndarray  # x0, y0, x1, y1 of each mask (image pixels, exclusive ends)
    masks: Optional[np.ndarray] = None  # (N, h, w) bool in the tile's frame, with keep_masks
    sam_scale: Optional[float] = None  # factor SAM encoded the tile at (None: the tile fitted to its input)
    align: Optional[int] = None  # SAM window alignment in the tile (None: the segmenter's default)


class PromptRecorder:
    """Stands in for an :class:`~centersam_mm.apis.segmenter.MMDetInstanceFn` and records, for each tile the
    model runs on (each ``predict_sample`` call), the prompt boxes, scores and mask boxes of the instances it
    returns and the factor and window alignment it used; everything else goes to the wrapped function."""

    def __init__(self, fn, keep_masks: bool = False):
        self.fn = fn
        self.keep_masks = keep_masks
        self.records: List[dict] = []

    def __getattr__(self, name):
        return getattr(self.fn, name)

    def predict_sample(self, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                       options: Optional[dict] = None):
        sample = self.fn.predict_sample(image, prepared, options)
        masks, scores = MMDetInstanceFn.masks_and_scores(sample.pred_instances)
        self.records.append(dict(
            prompts=sample.pred_instances.bboxes.detach().cpu().numpy().astype(np.float32).reshape(-1, 4),
            scores=scores, mask_boxes=_mask_boxes(masks), masks=masks.copy() if self.keep_masks else None,
            scale=sample.metainfo.get('nucleus_scale'), align=sample.metainfo.get('tile_align')))
        return sample

    def __call__(self, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                 options: Optional[dict] = None) -> Tuple[np.ndarray, np.ndarray]:
        return MMDetInstanceFn.masks_and_scores(self.predict_sample(image, prepared, options).pred_instances)


def _mask_boxes(masks: np.ndarray) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 (exclusive) of (N, h, w) bool masks; zeros for empty masks."""
    boxes = np.zeros((len(masks), 4), np.float32)
    for index, mask in enumerate(masks):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        if rows.size:
            boxes[index] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    return boxes


def segment_for_correction(segmenter, image: np.ndarray, on_tile_done: Optional[Callable[[], None]] = None,
                           keep_masks: bool = False,
                           on_tiles: Optional[Callable[[int], Optional[Callable[[], None]]]] = None
                           ) -> 'CorrectionSession':
    """Segment an (H, W, 3) RGB uint8 image with ``segmenter`` (a :class:`NucleusSegmenter` over a CenterSAM
    model) exactly as ``segmenter.predict_rgb`` does (progress callbacks as there), keeping what correction
    needs.

    ``session.result`` is the ``NucleusResult`` of ``predict_rgb``; ``keep_masks`` also keeps each tile's SAM
    masks (``session.tile_records[t].masks``; memory: one bool per pixel and nucleus), for tests.

    Raises:
        CorrectionUnavailable: the model is not a detector whose ``segmenter`` can encode and decode boxes.
    """
    fn = segmenter.instance_fn
    sam = getattr(getattr(fn, 'model', None), 'segmenter', None)
    if not (hasattr(fn, 'predict_sample') and hasattr(sam, 'decode_encoded')):
        raise CorrectionUnavailable('box correction needs a CenterSAM model (a detector prompting SAM); '
                                    f'{type(getattr(fn, "model", fn)).__name__} has no box-prompted SAM')
    recorder = PromptRecorder(fn, keep_masks)
    recording = copy.copy(segmenter)
    recording.instance_fn = recorder
    result = recording.predict_rgb(image, on_tile_done, on_tiles=on_tiles)
    return CorrectionSession(segmenter, image, result, recorder.records)


class CorrectionSession:
    """Re-decode nuclei of one segmented image from edited boxes (see the module docstring).

    Built by :func:`segment_for_correction`. ``nuclei`` maps label id → :class:`Nucleus`; ``result`` is the
    pipeline's result. Thread-safe for encoding (one lock); edits are meant to come from one thread.
    """

    def __init__(self, segmenter, image: np.ndarray, result: NucleusResult, records: Sequence[tuple]):
        self.segmenter = segmenter
        self.image = image
        self.result = result
        self.model = segmenter.instance_fn.model
        self.sam = self.model.segmenter
        height, width = image.shape[:2]
        self.tiles = segmenter.tiles(height, width, records[0]['align'] if records else None,
                                     records[0]['scale'] if records else None)
        if len(records) != len(self.tiles):
            raise RuntimeError(f'{len(records)} tiles recorded for {len(self.tiles)} tiles')
        self.tile_records = [self._global_record(tile, record) for tile, record in zip(self.tiles, records)]
        self.nuclei: Dict[int, Nucleus] = {}
        self.unmatched = 0  # nuclei whose prompt could not be identified (their mask box stands in)
        for index in range(result.num_nuclei):
            self.nuclei[index + 1] = self._match(index)
        self._next_id = result.num_nuclei + 1
        self._windows: Dict[int, List[Tile]] = {}
        self._embeddings: Dict[Tuple[int, int], object] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ pipeline bookkeeping
    def _global_record(self, tile: Tile, record: dict) -> TileRecord:
        """A tile's record in image pixels, with the SAM factor and window alignment its model run used."""
        offset = np.array([tile.x0, tile.y0, tile.x0, tile.y0], np.float32)
        mask_boxes = record['mask_boxes']
        nonempty = (mask_boxes[:, 2] > mask_boxes[:, 0])[:, None]
        scale = record['scale']
        sam_scale = None if scale is None else self.model.sam_scale(scale)
        return TileRecord(record['prompts'] + offset, np.asarray(record['scores'], np.float32),
                          np.where(nonempty, mask_boxes + offset, mask_boxes), record['masks'],
                          sam_scale or self.sam.input_scale, record['align'])

    def _match(self, index: int) -> Nucleus:
        """The pipeline's prompt for nucleus ``index`` (id ``index + 1``): in the tile that owned it (the one
        whose core holds its box centre, as the stitcher decided), the instance with its score whose mask box
        holds its box; the smallest such mask box if several do."""
        box = self.result.boxes[index].astype(np.float32)
        score = np.float32(self.result.scores[index])
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        tile = next(t for t, candidate in enumerate(self.tiles) if candidate.owns(*centre))
        record = self.tile_records[tile]
        mb = record.mask_boxes
        holds = (mb[:, 0] <= box[0]) & (mb[:, 1] <= box[1]) & (mb[:, 2] >= box[2]) & (mb[:, 3] >= box[3])
        candidates = np.flatnonzero((record.scores == score) & holds)
        if candidates.size == 0:
            self.unmatched += 1
            prompt = box
        else:
            areas = (mb[candidates, 2] - mb[candidates, 0]) * (mb[candidates, 3] - mb[candidates, 1])
            prompt = record.prompts[candidates[np.argmin(areas)]]
        extent = _union(_box_region(box), _box_region(prompt))
        return Nucleus(np.asarray(prompt, np.float32).copy(), float(score), tile, extent)

    def pipeline_mask(self, label: int) -> Optional[Tuple[Region, np.ndarray]]:
        """The pipeline's SAM mask of nucleus ``label`` as recorded (``keep_masks``): (tile region, mask)."""
        nucleus = self.nuclei[label]
        record = self.tile_records[nucleus.tile]
        if record.masks is None:
            return None
        match = np.flatnonzero(np.all(record.prompts == nucleus.box, axis=1))
        if match.size == 0:
            return None
        tile = self.tiles[nucleus.tile]
        return (tile.y0, tile.y1, tile.x0, tile.x1), record.masks[match[0]]

    # ------------------------------------------------------------------ encoding
    def windows(self, tile_index: int) -> List[Tile]:
        """The SAM encoding windows of an outer tile, in the tile's frame (as ``segment`` makes them)."""
        if tile_index not in self._windows:
            tile = self.tiles[tile_index]
            height, width = tile.y1 - tile.y0, tile.x1 - tile.x0
            record = self.tile_records[tile_index]
            if record.sam_scale is None:  # SAM fits the whole tile into one encoder input
                self._windows[tile_index] = make_tiles(height, width, None, 0)
            else:
                self._windows[tile_index] = self.sam.encoding_windows(height, width, record.sam_scale,
                                                                      record.align)
        return self._windows[tile_index]

    def owner(self, box: Sequence[float], tile_index: Optional[int] = None) -> Tuple[int, int]:
        """(outer tile, window) a box is decoded in: the tile (default: whose core holds the box centre), then
        its window whose core holds the centre."""
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if tile_index is None:
            tile_index = next(t for t, tile in enumerate(self.tiles) if tile.owns(x, y))
        tile = self.tiles[tile_index]
        window = next(w for w, win in enumerate(self.windows(tile_index)) if win.owns(x - tile.x0, y - tile.y0))
        return tile_index, window

    def window_region(self, tile_index: int, window_index: int) -> Region:
        """A window's region in image pixels (y0, y1, x0, x1)."""
        tile, win = self.tiles[tile_index], self.windows(tile_index)[window_index]
        return tile.y0 + win.y0, tile.y0 + win.y1, tile.x0 + win.x0, tile.x0 + win.x1

    def embedding(self, tile_index: int, window_index: int):
        """The cached SAM embedding (``EncodedImage``) of a window, encoded on first use."""
        key = (tile_index, window_index)
        with self._lock:
            if key not in self._embeddings:
                y0, y1, x0, x1 = self.window_region(*key)
                self._embeddings[key] = self.sam.encode(np.ascontiguousarray(self.image[y0:y1, x0:x1]),
                                                        self.tile_records[tile_index].sam_scale)
            return self._embeddings[key]

    @property
    def num_cached(self) -> int:
        """Windows whose embedding is cached."""
        return len(self._embeddings)

    def windows_to_prefetch(self) -> List[Tuple[int, int]]:
        """The windows holding at least one nucleus's box centre (those the pipeline encoded)."""
        return sorted({self.owner(nucleus.box, nucleus.tile) for nucleus in self.nuclei.values()})

    def prefetch(self, on_window_done: Optional[Callable[[int, int], None]] = None) -> int:
        """Encode (and cache) every window that holds a nucleus; returns how many windows were encoded."""
        keys = self.windows_to_prefetch()
        for done, key in enumerate(keys, 1):
            self.embedding(*key)
            if on_window_done is not None:
                on_window_done(done, len(keys))
        return len(keys)

    # ------------------------------------------------------------------ decoding
    def decode(self, box: Sequence[float], tile_index: Optional[int] = None) -> Tuple[Region, np.ndarray]:
        """SAM's mask for a box (x0, y0, x1, y1, image pixels): (region y0, y1, x0, x1 of its window, bool mask
        of that region), decoded as the pipeline decodes a prompt (see the module docstring) and finished as the
        pipeline finishes its kept masks (``CenterSAM.finish_masks``: cleaned when ``test_cfg.clean_masks`` is set)."""
        box = np.asarray(box, np.float32).reshape(4)
        tile_index, window_index = self.owner(box, tile_index)
        region = self.window_region(tile_index, window_index)
        local = box - np.array([region[2], region[0]] * 2, np.float32)
        result = self.sam.decode_encoded(self.embedding(tile_index, window_index), local[None])
        return region, self.model.finish_masks(result.masks)[0].cpu().numpy()

    # ------------------------------------------------------------------ edits
    def update(self, labels: np.ndarray, label: int, box: Sequence[float]) -> LabelEdit:
        """Re-draw nucleus ``label`` from a new (moved, resized) box."""
        nucleus = self.nuclei[label]
        box = np.asarray(box, np.float32).reshape(4).copy()
        tile_index = nucleus.tile if np.array_equal(box, nucleus.box) else None
        region, mask = self.decode(box, tile_index)
        nucleus.box = box
        nucleus.tile = self.owner(box, tile_index)[0]
        return self._repaint(labels, label, region, mask)

    def add(self, labels: np.ndarray, box: Sequence[float], score: float = MANUAL_SCORE) -> LabelEdit:
        """A new nucleus from a drawn box; its id is ``edit.label``."""
        label = self._next_id
        if labels.dtype.kind in 'ui' and label > np.iinfo(labels.dtype).max:
            raise OverflowError(f'label {label} does not fit in {labels.dtype}')
        self._next_id += 1
        box = np.asarray(box, np.float32).reshape(4).copy()
        region, mask = self.decode(box)
        self.nuclei[label] = Nucleus(box, float(score), self.owner(box)[0], _box_region(box))
        return self._repaint(labels, label, region, mask)

    def delete(self, labels: np.ndarray, label: int) -> LabelEdit:
        """Remove nucleus ``label`` (its pixels become background)."""
        region = _clip(self.nuclei[label].extent, labels.shape)
        edit = self._repaint(labels, label, region, np.zeros(_region_shape(region), bool))
        del self.nuclei[label]
        return edit

    def _repaint(self, labels: np.ndarray, label: int, region: Region, mask: np.ndarray) -> LabelEdit:
        """Edit giving ``label`` the pixels of ``mask`` (over ``region``) that are background or its own, and
        taking its other pixels (within its extent) back to background."""
        mask_region = _mask_region(region, mask)
        nucleus = self.nuclei.get(label)
        extent = mask_region if nucleus is None else _union(nucleus.extent, mask_region)
        area = _clip(_union(extent, mask_region), labels.shape)
        y0, y1, x0, x1 = area
        current = np.asarray(labels[y0:y1, x0:x1])
        new = np.zeros(current.shape, bool)
        ry0, ry1, rx0, rx1 = region
        iy0, iy1, ix0, ix1 = max(y0, ry0), min(y1, ry1), max(x0, rx0), min(x1, rx1)
        if iy1 > iy0 and ix1 > ix0:
            new[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = mask[iy0 - ry0:iy1 - ry0, ix0 - rx0:ix1 - rx0]
        old = current == label
        new &= (current == 0) | old
        rows, cols = np.nonzero(old ^ new)
        values = np.where(new[rows, cols], label, 0).astype(labels.dtype)
        if nucleus is not None:
            nucleus.extent = extent
        return LabelEdit(label, (rows + y0, cols + x0), values)

    # ------------------------------------------------------------------ export
    def score_of(self, label: int) -> float:
        """A label's score (``MANUAL_SCORE`` for labels the session does not know, e.g. painted by hand)."""
        nucleus = self.nuclei.get(label)
        return MANUAL_SCORE if nucleus is None else nucleus.score

    def export_result(self, labels: np.ndarray) -> NucleusResult:
        """The corrected label map as a ``NucleusResult`` (ids renumbered 1..N by descending score, as the
        pipeline numbers them; boxes of the masks), for :func:`centersam_mm.apis.batch.write_outputs`."""
        return relabel_by_score(labels, self.score_of, self.result.scale)


def relabel_by_score(labels: np.ndarray, score_of: Callable[[int], float],
                     scale: Optional[float] = None) -> NucleusResult:
    """A ``NucleusResult`` of a label map whose ids may have gaps: ids present renumbered 1..N by descending
    score (ties: by id), scores from ``score_of(id)``, boxes of each label's pixels."""
    labels = np.asarray(labels)
    ids = np.unique(labels)
    ids = ids[ids > 0]
    scores = np.array([score_of(int(i)) for i in ids], np.float64)
    order = np.lexsort((ids, -scores))
    ids, scores = ids[order], scores[order]
    lookup = np.zeros(int(labels.max(initial=0)) + 1, np.uint32)
    lookup[ids] = np.arange(1, ids.size + 1, dtype=np.uint32)
    renumbered = compact_label_dtype(lookup[labels])
    boxes = np.zeros((ids.size, 4), np.float32)
    for index, found in enumerate(ndimage.find_objects(renumbered.astype(np.int32, copy=False))):
        if found is not None:
            boxes[index] = (found[1].start, found[0].start, found[1].stop, found[0].stop)
    return NucleusResult(renumbered, scores.astype(np.float32), boxes, scale)


def _box_region(box: Sequence[float]) -> Region:
    """Pixel region (y0, y1, x0, x1) covering a box."""
    return int(np.floor(box[1])), int(np.ceil(box[3])), int(np.floor(box[0])), int(np.ceil(box[2]))


def _mask_region(region: Region, mask: np.ndarray) -> Region:
    """Region (image pixels) of the true pixels of ``mask`` (over ``region``); empty at the region's corner."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return region[0], region[0], region[2], region[2]
    return region[0] + rows[0], region[0] + rows[-1] + 1, region[2] + cols[0], region[2] + cols[-1] + 1


def _union(a: Region, b: Region) -> Region:
    """Smallest region holding both (an empty region adds nothing)."""
    if a[1] <= a[0] or a[3] <= a[2]:
        return b
    if b[1] <= b[0] or b[3] <= b[2]:
        return a
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def _clip(region: Region, shape: Tuple[int, ...]) -> Region:
    y0, y1, x0, x1 = region
    y0, x0 = max(0, y0), max(0, x0)
    return y0, max(y0, min(shape[0], y1)), x0, max(x0, min(shape[1], x1))


def _region_shape(region: Region) -> Tuple[int, int]:
    return region[1] - region[0], region[3] - region[2]


__all__ = ['CorrectionSession', 'CorrectionUnavailable', 'LabelEdit', 'MANUAL_SCORE', 'Nucleus', 'PromptRecorder',
           'segment_for_correction', 'relabel_by_score']
