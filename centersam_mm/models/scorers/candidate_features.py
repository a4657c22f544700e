"""Per-candidate features of CenterSAM's (box, mask) pairs, for rescoring them (numpy + scipy; no network).

A candidate is one detector box, its detector score, the SAM mask it prompted and SAM's predicted IoU. The
features describe how well the mask fits its box, the nucleus's contrast with its surround, its shape, and how
much higher-scoring candidates already cover it (duplicates); the colour features add the mask's mean colour and
its contrast with its ring in each RGB channel and in the haematoxylin and eosin densities of H&E (Ruifrok-Johnston
colour deconvolution, ``skimage.color.rgb2hed``), each standardised by the image's own spread. None counts
candidates, so a tile and the whole image describe a nucleus alike (up to the image statistics the values are
standardised by). A scorer (:class:`CandidateScorer`) turns them into an estimate of how well the mask matches a
nucleus (its IoU, or the probability of IoU >= 0.5); it names the features it was trained on.
"""
from typing import Sequence, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from scipy import ndimage
from skimage.color import rgb2hed

BASE_FEATURES = ('det_score', 'sam_iou', 'log_area', 'box_fill', 'box_agreement', 'covered_by_higher',
                 'max_iou_higher', 'image_colour', 'log_area_vs_median', 'abs_log_aspect',
                 'contrast', 'inner_std', 'log_components', 'boundary_fraction', 'mask_box_fill')
COLOUR_FEATURES = ('contrast_r', 'contrast_g', 'contrast_b', 'mean_r', 'mean_g', 'mean_b',
                   'haematoxylin', 'haematoxylin_contrast', 'eosin', 'eosin_contrast')
FEATURE_NAMES = BASE_FEATURES + COLOUR_FEATURES  # every feature computed (and dumped), in this order
FEATURE_SETS = {'base': BASE_FEATURES, 'base+colour': FEATURE_NAMES}  # named sets, for configs

STRONG_SCORE = 0.3  # detections at least this sure set the image's typical nucleus size
RING_PX = 3  # width of the ring around a mask that its contrast is measured against


def feature_set(features) -> Tuple[str, ...]:
    """A scorer's features: a name of ``FEATURE_SETS`` or a sequence of names of ``FEATURE_NAMES`` (checked)."""
    if isinstance(features, str):
        if features not in FEATURE_SETS:
            raise ValueError(f'unknown feature set {features!r}; known: {sorted(FEATURE_SETS)}')
        return FEATURE_SETS[features]
    unknown = [name for name in features if name not in FEATURE_NAMES]
    if unknown or not features:
        raise ValueError(f'unknown candidate features {unknown or "(none given)"}; known: {FEATURE_NAMES}')
    return tuple(features)


def input_area_scale(scale, at_input: bool) -> float:
    """``area_scale`` of :func:`candidate_features` for an image at factor ``scale`` to the detector's input:
    ``scale ** 2`` for scorers that measure areas at the input (``at_input``), else 1 (image pixels)."""
    return float(scale) ** 2 if at_input and scale else 1.0


def candidate_features(image: np.ndarray, masks: np.ndarray, boxes_xyxy: np.ndarray, det_scores: np.ndarray,
                       sam_iou: np.ndarray, area_scale: float = 1.0,
                       names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """Features of N candidates of one image.

    Args:
        image: (H, W, 3) uint8 RGB (or (H, W) grey) image, the masks' resolution.
        masks: (N, H, W) bool SAM masks.
        boxes_xyxy: (N, 4) float prompt boxes, pixels.
        det_scores: (N,) detector scores; sam_iou: (N,) SAM's predicted IoU.
        area_scale: ``log_area`` is of ``area * area_scale``: the square of the image's factor to the detector's
            input (scale-aware models), so that it describes a nucleus at the size the detector saw it.
        names: the features wanted, in their order: names of ``FEATURE_NAMES`` or a set's name of
            ``FEATURE_SETS`` (the colour features are computed only when named).

    Returns:
        (N, len(names)) float32, columns in ``names`` order; empty masks get zero shape and colour features.
    """
    names = feature_set(names)
    masks = np.asarray(masks, dtype=bool)
    n = len(masks)
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(n, 4)
    scores = np.asarray(det_scores, dtype=np.float64).reshape(n)
    feats = np.zeros((n, len(BASE_FEATURES)), np.float64)
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    grey = _grey(rgb)
    windows, mask_boxes, areas = _mask_windows(masks)
    colour = np.zeros((n, len(COLOUR_FEATURES)))
    planes = _colour_planes(image) if any(name in COLOUR_FEATURES for name in names) else None
    for i, window in enumerate(windows):
        if window is not None:
            mask = masks[i][window]
            ring = ndimage.binary_dilation(mask, iterations=RING_PX) & ~mask
            feats[i, 10:15] = _appearance_and_shape(grey[window], mask, ring)
            if planes is not None:
                colour[i] = _colour_features(planes[0][window], planes[1][window], mask, ring)
    feats[:, 5], feats[:, 6] = _overlap_with_higher(masks, scores, windows, mask_boxes, areas)
    box_w, box_h = (boxes[:, 2] - boxes[:, 0]).clip(1), (boxes[:, 3] - boxes[:, 1]).clip(1)
    drawn = areas > 0  # empty masks change no feature of the others
    strong_areas = areas[drawn & (scores >= STRONG_SCORE)]
    median_area = np.median(strong_areas) if len(strong_areas) else (np.median(areas[drawn]) if drawn.any() else 1.0)
    feats[:, 0], feats[:, 1] = scores, np.asarray(sam_iou, dtype=np.float64).reshape(n)
    feats[:, 2], feats[:, 3] = np.log1p(areas * area_scale), areas / (box_w * box_h)
    feats[:, 4] = bbox_overlaps(torch.from_numpy(mask_boxes), torch.from_numpy(boxes), is_aligned=True).numpy()
    feats[:, 7] = _colourfulness(rgb)
    feats[:, 8] = np.log1p(areas) - np.log1p(median_area)
    feats[:, 9] = np.abs(np.log(box_w / box_h))
    feats = np.concatenate([feats, colour], 1)
    return feats[:, [FEATURE_NAMES.index(name) for name in names]].astype(np.float32)


def _standardised(values: np.ndarray) -> np.ndarray:
    """(H, W, C) values less each channel's image mean, over its image standard deviation."""
    flat = values.reshape(-1, values.shape[-1])
    return (values - flat.mean(0)) / (flat.std(0) + 1e-3)


def _colour_planes(image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) RGB in [0, 1] and (H, W, 2) haematoxylin / eosin density (``rgb2hed``) of an image, each
    standardised per image (grey images as three equal channels)."""
    image = np.asarray(image)
    rgb = np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image[..., :3]
    return _standardised(rgb.astype(np.float32) / 255.0), _standardised(rgb2hed(rgb)[..., :2].astype(np.float32))


def _colour_features(rgb_z: np.ndarray, stains_z: np.ndarray, mask: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """COLOUR_FEATURES of one mask in its window: per RGB channel its mean less its ring's, and its mean; the
    same two for haematoxylin and eosin (a mask without a ring has contrast 0)."""
    colour_in, stain_in = rgb_z[mask].mean(0), stains_z[mask].mean(0)
    colour_ring = rgb_z[ring].mean(0) if ring.any() else colour_in
    stain_ring = stains_z[ring].mean(0) if ring.any() else stain_in
    return np.concatenate([colour_in - colour_ring, colour_in,
                           [stain_in[0], stain_in[0] - stain_ring[0], stain_in[1], stain_in[1] - stain_ring[1]]])


def _grey(rgb: np.ndarray) -> np.ndarray:
    """(H, W) grey of an image scaled to [0, 1], standardised by the image's own spread."""
    grey = rgb.mean(2) if rgb.ndim == 3 else rgb
    return grey / (grey.std() + 1e-3)


def _colourfulness(rgb: np.ndarray) -> float:
    """Mean |channel - grey| of an image scaled to [0, 1]: ~0 for grey fluorescence, larger for stained (H&E)."""
    return float(np.abs(rgb - rgb.mean(2, keepdims=True)).mean()) if rgb.ndim == 3 else 0.0


def _mask_windows(masks: np.ndarray) -> Tuple[list, np.ndarray, np.ndarray]:
    """Per mask: its bounding window grown by RING_PX (a slice pair, None if empty), xyxy box, pixel area."""
    n, height, width = masks.shape
    windows, mask_boxes, areas = [], np.zeros((n, 4)), np.zeros(n)
    any_rows = masks.any(2)  # (N, H): one pass over the stack; each mask's columns are looked for in its rows
    for i in range(n):
        rows = np.flatnonzero(any_rows[i])
        if len(rows) == 0:
            windows.append(None)
            continue
        y0, y1 = rows[0], rows[-1] + 1
        cols = np.flatnonzero(masks[i, y0:y1].any(0))
        x0, x1 = cols[0], cols[-1] + 1
        mask_boxes[i] = (x0, y0, x1, y1)
        windows.append((slice(max(0, y0 - RING_PX), min(height, y1 + RING_PX)),
                        slice(max(0, x0 - RING_PX), min(width, x1 + RING_PX))))
        areas[i] = np.count_nonzero(masks[i][windows[-1]])
    return windows, mask_boxes, areas


def _appearance_and_shape(grey: np.ndarray, mask: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """contrast |inside - ring|, inner std, log #components, boundary pixels / area, area / bounding box."""
    inside = grey[mask]
    contrast = abs(inside.mean() - grey[ring].mean()) if ring.any() else 0.0
    boundary = mask & ~ndimage.binary_erosion(mask, border_value=0)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    bbox_area = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    return np.array([contrast, inside.std(), np.log(ndimage.label(mask)[1]),
                     boundary.sum() / inside.size, inside.size / bbox_area])


def _overlap_with_higher(masks: np.ndarray, scores: np.ndarray, windows: list, mask_boxes: np.ndarray,
                         areas: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per mask: share of its pixels under higher-scoring masks, and its largest IoU with one of them."""
    n = len(masks)
    covered, max_iou = np.zeros(n), np.zeros(n)
    occupied = np.zeros(masks.shape[1:], bool)
    order = np.argsort(-scores, kind='stable')
    for rank, i in enumerate(order):
        if windows[i] is None:
            continue
        rows, cols = windows[i]
        mask = masks[i][rows, cols]
        covered[i] = np.count_nonzero(mask & occupied[rows, cols]) / areas[i]
        higher = order[:rank]
        higher = higher[(areas[higher] > 0) & (mask_boxes[higher, 0] < cols.stop) & (mask_boxes[higher, 2] > cols.start)
                        & (mask_boxes[higher, 1] < rows.stop) & (mask_boxes[higher, 3] > rows.start)]
        if len(higher):
            # the window of each higher mask only (masks[higher][:, rows, cols] copied the whole masks first)
            inter = (masks[higher, rows, cols] & mask).reshape(len(higher), -1).sum(1)
            max_iou[i] = (inter / (areas[higher] + areas[i] - inter)).max()
        occupied[rows, cols] |= mask
    return covered, max_iou
