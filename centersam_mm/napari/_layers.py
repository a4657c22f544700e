"""Boxes as a napari Shapes layer, and the link that re-decodes nuclei when those boxes are edited.

Needs napari's layer classes only (no Qt): works with a ``napari.Viewer`` and a plain ``ViewerModel`` alike.

Coordinates: our boxes are ``x0, y0, x1, y1`` in pixel *corners* (pixel (r, c) is the square [c, c+1] x [r, r+1]);
napari puts pixel centres at integers, so a corner (x, y) is the napari point (y - 0.5, x - 0.5).
"""
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..apis.correction import MANUAL_SCORE, CorrectionSession, LabelEdit

BOX_COLORMAP = 'plasma'  # edge colour of each box by its score (0..1)
NUCLEUS = 'nucleus'  # feature: label id of the box's nucleus (0: a box not yet decoded)
SCORE = 'score'
BOX_TOLERANCE = 1e-3  # pixels: a box that moved less is unchanged


def box_to_rectangle(box: Sequence[float]) -> np.ndarray:
    """napari rectangle vertices (4, 2) (row, column) of a box x0, y0, x1, y1 (pixel corners)."""
    x0, y0, x1, y1 = (float(v) - 0.5 for v in box)
    return np.array([[y0, x0], [y0, x1], [y1, x1], [y1, x0]])


def shape_to_box(vertices: np.ndarray) -> np.ndarray:
    """Box x0, y0, x1, y1 (pixel corners) around a shape's vertices ((n, 2) row, column; last two axes)."""
    vertices = np.asarray(vertices, np.float64)[:, -2:]
    (y0, x0), (y1, x1) = vertices.min(0), vertices.max(0)
    return np.array([x0, y0, x1, y1], np.float64) + 0.5


def box_layer_kwargs(boxes: np.ndarray, labels: Sequence[int], scores: Sequence[float]) -> dict:
    """Keyword arguments of ``viewer.add_shapes`` for boxes (N, 4) of nuclei ``labels`` with ``scores``."""
    return dict(
        data=[box_to_rectangle(box) for box in boxes], shape_type='rectangle',
        features={NUCLEUS: np.asarray(labels, np.int64), SCORE: np.asarray(scores, np.float64)},
        feature_defaults={NUCLEUS: 0, SCORE: MANUAL_SCORE},
        edge_color=SCORE, edge_colormap=BOX_COLORMAP, edge_contrast_limits=(0.0, 1.0),
        face_color='transparent', edge_width=1.0)


def add_result_layers(viewer, session: CorrectionSession, name: str, layer_kwargs: Optional[dict] = None):
    """Add the session's label map (a copy, edited in place by corrections) and its prompt boxes; returns
    (labels layer, shapes layer)."""
    extra = dict(layer_kwargs or {})
    labels_layer = viewer.add_labels(session.result.labels.copy(), name=f'{name} nuclei', **extra)
    ids = sorted(session.nuclei)
    boxes = np.array([session.nuclei[i].box for i in ids], np.float64).reshape(-1, 4)
    scores = [session.nuclei[i].score for i in ids]
    shapes_layer = viewer.add_shapes(name=f'{name} boxes', **box_layer_kwargs(boxes, ids, scores), **extra)
    return labels_layer, shapes_layer


class BoxCorrectionLink:
    """Keeps a Labels layer in step with the boxes of a Shapes layer through a :class:`CorrectionSession`.

    On each finished edit of the Shapes layer (napari's ``data`` event with action added, removed or changed),
    the boxes are compared with the session's: a moved or resized box re-decodes its nucleus, a new box (feature
    ``nucleus`` 0, or a copy of another box) becomes a new nucleus, a missing box deletes its nucleus. The pixel
    changes are written with ``Labels.data_setitem`` inside one ``block_history``, so one box edit is one undo
    step of the Labels layer (napari's Shapes layer has no undo: undoing the pixels leaves the box where it is).
    """

    def __init__(self, session: CorrectionSession, labels_layer, shapes_layer):
        self.session = session
        self.labels_layer = labels_layer
        self.shapes_layer = shapes_layer
        self.enabled = True
        self.last_edits: List[LabelEdit] = []
        self.last_seconds = 0.0  # time of the last sync (decoding + label update)
        self._syncing = False
        shapes_layer.events.data.connect(self._on_data)

    def disconnect(self) -> None:
        """Stop following the Shapes layer."""
        self.shapes_layer.events.data.disconnect(self._on_data)

    def _on_data(self, event) -> None:
        if str(getattr(event, 'action', '')) in ('added', 'removed', 'changed'):
            self.sync()

    def sync(self) -> List[LabelEdit]:
        """Re-decode every nucleus whose box differs from the session's; returns the edits written."""
        if not self.enabled or self._syncing:
            return []
        self._syncing = True
        start = time.perf_counter()
        try:
            edits = self._sync()
        finally:
            self._syncing = False
        self.last_seconds = time.perf_counter() - start
        self.last_edits = edits
        return edits

    def _sync(self) -> List[LabelEdit]:
        layer, session = self.shapes_layer, self.session
        labels = self.labels_layer.data
        features = layer.features
        ids = features[NUCLEUS].to_numpy(np.int64).copy() if NUCLEUS in features else np.zeros(layer.nshapes,
                                                                                              np.int64)
        scores = features[SCORE].to_numpy(np.float64).copy() if SCORE in features else np.full(layer.nshapes,
                                                                                              MANUAL_SCORE)
        edits: List[LabelEdit] = []
        seen: Dict[int, int] = {}
        new_ids = False
        for index, vertices in enumerate(layer.data):
            box = shape_to_box(vertices)
            label = int(ids[index])
            if label in session.nuclei and label not in seen:
                seen[label] = index
                if not np.allclose(box, session.nuclei[label].box, rtol=0, atol=BOX_TOLERANCE):
                    edits.append(session.update(labels, label, box))
                continue
            score = scores[index] if np.isfinite(scores[index]) else MANUAL_SCORE
            edit = session.add(labels, box, MANUAL_SCORE if label in seen else score)
            ids[index], scores[index] = edit.label, session.nuclei[edit.label].score
            seen[edit.label] = index
            new_ids = True
            edits.append(edit)
        for label in sorted(set(session.nuclei) - set(seen)):
            edits.append(session.delete(labels, label))
        edits = [edit for edit in edits if edit.num_pixels]
        if edits:
            with self.labels_layer.block_history():
                for edit in edits:
                    self.labels_layer.data_setitem(edit.indices, edit.values, refresh=False)
            self.labels_layer.refresh()
        if new_ids:
            features = features.copy()
            features[NUCLEUS], features[SCORE] = ids, scores
            layer.features = features
            layer.refresh_colors(update_color_mapping=False)
        return edits
