"""Segment images of any size with overlapping tiles, streaming owned nuclei into one label map.

Works with any *instance function* ``image (h, w, 3) uint8 -> (instances, scores (N,))`` where
``instances`` is either (N, h, w) bool masks or an (h, w) integer label map (label ``i + 1`` ↔ ``scores[i]``).

Ownership (tile geometry in :mod:`centersam_mm.utils.tile_grid`): a nucleus is kept only from the tile whose
core holds the centre of its mask's box, hence exactly once. A
nucleus narrower than ``overlap`` whose centre is in a core lies wholly inside that tile, so seams neither
cut nor duplicate it. Memory: one tile's instances at a time plus the output label map (uint32, 4 bytes
per pixel); pixels where owned nuclei from different tiles overlap go to the higher score, as in a whole
image.
"""
from typing import Callable, List, Optional, Tuple

import numpy as np
from scipy import ndimage

from ..evaluation.functional.label_map import instances_to_label_map
from ..io.labels import compact_label_dtype
from ..utils.tile_grid import Tile, core_bounds, make_tiles, tile_starts  # noqa: F401  (re-exported)
from .result import NucleusResult

InstanceFn = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]
_ROWS_PER_CHUNK = 1024  # rows processed at once when counting/relabelling the whole label map


def instances_to_labels(instances: np.ndarray, scores: np.ndarray, score_thr: float = 0.0,
                        min_area: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Turn an instance function's output into an (h, w) label map and the score of each label.

    Args:
        instances: (N, h, w) bool masks (overlaps: the highest score wins a pixel) or an (h, w) int label
            map (label ``i + 1`` ↔ ``scores[i]``).
        scores: (N,) confidences.
        score_thr: instances scoring below it are dropped.
        min_area: instances left with fewer visible pixels are dropped.

    Returns:
        (h, w) int32 label map with ids 1..K, and (K,) float64 scores (``label_scores[k - 1]`` ↔ id k).
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if instances.ndim == 3:
        labels = instances_to_label_map(instances, scores, score_thr, min_area)
        return labels, _winning_scores(labels, instances, scores)
    return _filter_label_map(instances, scores, score_thr, min_area)


def _winning_scores(labels: np.ndarray, masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(K,) score of each label 1..K: the best score among masks covering one of its pixels (the winner)."""
    num_labels = int(labels.max()) if labels.size else 0
    if num_labels == 0:
        return np.zeros(0)
    ids, first_pixel = np.unique(labels.ravel(), return_index=True)
    first_pixel = first_pixel[ids > 0]
    covering = masks.reshape(masks.shape[0], -1)[:, first_pixel].astype(bool)  # (N, K)
    return np.where(covering, scores[:, None], -np.inf).max(axis=0)


def _filter_label_map(label_map: np.ndarray, scores: np.ndarray, score_thr: float,
                      min_area: int) -> Tuple[np.ndarray, np.ndarray]:
    """Drop labels below ``score_thr`` or ``min_area`` from a label map and renumber the rest 1..K."""
    label_map = np.asarray(label_map)
    area = np.bincount(label_map.ravel(), minlength=scores.size + 1)[1:scores.size + 1]
    keep = (scores >= score_thr) & (area >= max(min_area, 1))
    new_id = np.zeros(max(int(label_map.max(initial=0)), scores.size) + 1, np.int32)
    new_id[1:scores.size + 1][keep] = np.arange(1, np.count_nonzero(keep) + 1, dtype=np.int32)
    return new_id[label_map], scores[keep]


class LabelMapStitcher:
    """Accumulates nuclei owned by successive tiles into an (H, W) label map (see the module docstring)."""

    def __init__(self, height: int, width: int):
        self.labels = np.zeros((height, width), np.uint32)
        self._scores = np.full(1024, -np.inf)  # _scores[id]; id 0 (background) loses against any nucleus
        self._boxes: List[Tuple[float, float, float, float]] = []

    def add_tile(self, tile: Tile, tile_labels: np.ndarray, tile_scores: np.ndarray) -> int:
        """Paste the nuclei of ``tile_labels`` (tile-sized, ids 1..K ↔ ``tile_scores``) that ``tile`` owns.

        Returns:
            the number of nuclei taken from this tile.
        """
        taken = 0
        for index, box in enumerate(ndimage.find_objects(tile_labels)):
            if box is None:
                continue
            rows, cols = slice(box[0].start + tile.y0, box[0].stop + tile.y0), \
                slice(box[1].start + tile.x0, box[1].stop + tile.x0)
            if tile.owns((cols.start + cols.stop) / 2, (rows.start + rows.stop) / 2):
                self._paste(rows, cols, tile_labels[box] == index + 1, float(tile_scores[index]))
                taken += 1
        return taken

    def _paste(self, rows: slice, cols: slice, mask: np.ndarray, score: float) -> None:
        """Give the nucleus a new id and the pixels of ``mask`` (box-sized) not held by a higher score."""
        new_id = len(self._boxes) + 1
        if new_id >= self._scores.size:
            self._scores = np.concatenate([self._scores, np.full(self._scores.size, -np.inf)])
        self._scores[new_id] = score
        self._boxes.append((cols.start, rows.start, cols.stop, rows.stop))
        target = self.labels[rows, cols]
        mask_rows, mask_cols = np.nonzero(mask)
        wins = self._scores[target[mask_rows, mask_cols]] < score
        target[mask_rows[wins], mask_cols[wins]] = new_id

    def finish(self) -> NucleusResult:
        """Renumber the surviving nuclei 1..N by descending score (ties: by box) and return the result."""
        count = len(self._boxes)
        scores, boxes = self._scores[1:count + 1], np.asarray(self._boxes, np.float32).reshape(-1, 4)
        survives = self._pixel_counts(count)[1:] > 0
        order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 0], boxes[:, 1], -scores))
        order = order[survives[order]]
        new_id = np.zeros(count + 1, np.uint32)
        new_id[order + 1] = np.arange(1, order.size + 1, dtype=np.uint32)
        for start in range(0, self.labels.shape[0], _ROWS_PER_CHUNK):
            chunk = self.labels[start:start + _ROWS_PER_CHUNK]
            chunk[...] = new_id[chunk]
        return NucleusResult(compact_label_dtype(self.labels), scores[order].astype(np.float32), boxes[order])

    def _pixel_counts(self, count: int) -> np.ndarray:
        """(count + 1,) pixels held by each id (0 = background), counted in row chunks to bound memory."""
        total = np.zeros(count + 1, np.int64)
        for start in range(0, self.labels.shape[0], _ROWS_PER_CHUNK):
            total += np.bincount(self.labels[start:start + _ROWS_PER_CHUNK].ravel(), minlength=count + 1)
        return total


def tile_label_map(instance_fn: InstanceFn, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                   options: Optional[dict] = None, score_thr: float = 0.0,
                   min_area: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """One tile through the instance function (``fn(image)``, ``fn(image, prepared)`` or ``fn(image, prepared,
    options)``, as given) and :func:`instances_to_labels`: (h, w) label map and the score of each label."""
    if options is not None:
        instances, scores = instance_fn(image, prepared, options)
    elif prepared is not None:
        instances, scores = instance_fn(image, prepared)
    else:
        instances, scores = instance_fn(image)
    return instances_to_labels(instances, scores, score_thr, min_area)


def segment_tiled(image: np.ndarray, instance_fn: InstanceFn, tile_size: Optional[int] = 1024,
                  overlap: int = 128, score_thr: float = 0.0, min_area: int = 0,
                  on_tile_done: Optional[Callable[[], None]] = None, align: Optional[int] = None,
                  prepared: Optional[np.ndarray] = None, options: Optional[dict] = None) -> NucleusResult:
    """Segment an (H, W, 3) image tile by tile (one tile when it fits in ``tile_size``).

    Args:
        image: (H, W, 3) RGB uint8.
        instance_fn: see the module docstring.
        tile_size: tile side in pixels; ``None``/0 runs the whole image at once.
        overlap: minimum overlap of neighbouring tiles in pixels; nuclei must be narrower than it.
        score_thr, min_area: see :func:`instances_to_labels`.
        on_tile_done: called after each tile (progress display).
        align: tile starts on multiples of it (see :func:`~centersam_mm.utils.tile_grid.tile_starts`).
        prepared: (H, W, C) image after the instance function's whole-image steps; when given, each tile is
            run as ``instance_fn(tile_image, prepared_tile)``.
        options: per-image options (e.g. ``nucleus_scale``) passed to each tile as
            ``instance_fn(tile_image, prepared_tile, options)``.
    """
    height, width = image.shape[:2]
    stitcher = LabelMapStitcher(height, width)
    for tile in make_tiles(height, width, tile_size, overlap, align):
        tile_image = np.ascontiguousarray(image[tile.y0:tile.y1, tile.x0:tile.x1])
        tile_prepared = None if prepared is None else np.ascontiguousarray(prepared[tile.y0:tile.y1,
                                                                                    tile.x0:tile.x1])
        tile_labels, tile_scores = tile_label_map(instance_fn, tile_image, tile_prepared, options, score_thr,
                                                  min_area)
        stitcher.add_tile(tile, tile_labels, tile_scores)
        if on_tile_done is not None:
            on_tile_done()
    return stitcher.finish()
