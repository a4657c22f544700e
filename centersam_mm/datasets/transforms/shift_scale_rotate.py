"""``RandomShiftScaleRotate``: one affine warp of the image and its instance masks, boxes recomputed.

Why not mmdet's own: ``RandomShift`` and ``RandomAffine`` move boxes but not ``gt_masks``;
``Rotate``/``Translate`` move masks but take the rotated box's corners as the new box (looser than
the rotated nucleus). This transform warps image and masks together and takes each box from its
warped mask, dropping instances left with fewer than ``min_area`` pixels.
"""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks

def affine_matrix(center_xy: Tuple[float, float], angle_deg: float, scale: float,
                  shift_xy: Tuple[float, float]) -> np.ndarray:
    """(2, 3) float64 matrix: rotate by ``angle_deg`` (counter-clockwise on screen) and scale about
    ``center_xy``, then translate by ``shift_xy`` pixels."""
    matrix = cv2.getRotationMatrix2D(center_xy, angle_deg, scale)
    matrix[:, 2] += shift_xy
    return matrix


def boxes_from_masks(masks: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Tight xyxy boxes (x2, y2 exclusive, as mmdet's ``BitmapMasks.get_bboxes``) and pixel areas.

    Args:
        masks: (N, H, W) binary (bool or uint8 in {0, 1}).

    Returns:
        (N, 4) float32 boxes (zeros for empty masks) and (N,) int64 areas.
    """
    masks = masks.view(bool) if masks.dtype == np.uint8 else masks.astype(bool, copy=False)
    num = masks.shape[0]
    rows_hit, cols_hit = masks.any(axis=2), masks.any(axis=1)  # (N, H), (N, W)
    boxes = np.zeros((num, 4), np.float32)
    boxes[:, 0] = cols_hit.argmax(axis=1)
    boxes[:, 1] = rows_hit.argmax(axis=1)
    boxes[:, 2] = cols_hit.shape[1] - cols_hit[:, ::-1].argmax(axis=1)
    boxes[:, 3] = rows_hit.shape[1] - rows_hit[:, ::-1].argmax(axis=1)
    boxes[~rows_hit.any(axis=1)] = 0
    return boxes, np.count_nonzero(masks.reshape(num, -1), axis=1)


def _destination_window(box: np.ndarray, matrix: np.ndarray, shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Output pixel window (x0, y0, x1, y1), clipped to ``shape`` (H, W), that can receive the
    pixels of the source ``box`` (xyxy, exclusive) under ``matrix``; a 1-pixel margin absorbs rounding."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0 - 0.5, y0 - 0.5], [x1 - 0.5, y0 - 0.5], [x0 - 0.5, y1 - 0.5], [x1 - 0.5, y1 - 0.5]])
    moved = corners @ matrix[:, :2].T + matrix[:, 2]
    low = np.floor(moved.min(axis=0)).astype(int) - 1
    high = np.ceil(moved.max(axis=0)).astype(int) + 2
    return max(low[0], 0), max(low[1], 0), min(high[0], shape[1]), min(high[1], shape[0])


def warp_masks(masks: np.ndarray, matrix: np.ndarray,
               min_area: int = 1) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp (N, H, W) binary masks with nearest-neighbour sampling and a zero border; keep those
    with at least ``min_area`` pixels afterwards.

    Each mask is warped only from its bounding box into the window that box maps to, so the cost
    follows the nuclei's size, not N × H × W (the matrix is re-expressed in the local frames); the
    (K, H, W) output is allocated once for the kept masks.

    Returns:
        (K, H, W) uint8 kept warped masks in {0, 1}, their (K, 4) float32 xyxy boxes (exclusive),
        and the (N,) bool keep flags.
    """
    num, height, width = masks.shape
    source_boxes, source_areas = boxes_from_masks(masks)
    patches, boxes, keep = [], [], np.zeros(num, bool)
    for index in np.flatnonzero(source_areas):
        x0, y0, x1, y1 = source_boxes[index].astype(int)
        wx0, wy0, wx1, wy1 = _destination_window(source_boxes[index], matrix, (height, width))
        if wx1 <= wx0 or wy1 <= wy0:
            continue
        local = matrix.copy()
        local[:, 2] += matrix[:, :2] @ (x0, y0) - (wx0, wy0)
        source = np.ascontiguousarray(masks[index, y0:y1, x0:x1], dtype=np.uint8)
        patch = cv2.warpAffine(source, local, (wx1 - wx0, wy1 - wy0), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        patch_box, patch_area = boxes_from_masks(patch[None])
        if patch_area[0] >= max(min_area, 1):
            keep[index] = True
            patches.append((wx0, wy0, patch))
            boxes.append(patch_box[0] + (wx0, wy0, wx0, wy0))
    warped = np.zeros((len(patches), height, width), np.uint8)
    for slot, (wx0, wy0, patch) in enumerate(patches):
        warped[slot, wy0:wy0 + patch.shape[0], wx0:wx0 + patch.shape[1]] = patch
    return warped, np.array(boxes, np.float32).reshape(-1, 4), keep


@TRANSFORMS.register_module()
class RandomShiftScaleRotate(BaseTransform):
    """Randomly shift, scale and rotate (each independently with its probability) in one warp.

    Required keys: ``img``, ``gt_masks`` (BitmapMasks) when ``gt_bboxes`` is present.
    Modified keys: ``img``, ``gt_masks``, ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``,
    ``homography_matrix`` (if present).

    Args:
        shift_prob, scale_prob, rotate_prob: probability of each component (paper: 0.5 each).
        shift_limit: shift drawn uniformly in ±``shift_limit`` × image size per axis.
        scale_limit: scale drawn uniformly in [1 - limit, 1 + limit].
        rotate_limit: angle drawn uniformly in ±``rotate_limit`` degrees.
        border_value: image fill value outside the source.
        min_area: instances whose warped mask has fewer pixels are dropped.
    """

    def __init__(self, shift_prob: float = 0.5, scale_prob: float = 0.5, rotate_prob: float = 0.5,
                 shift_limit: float = 0.0625, scale_limit: float = 0.1, rotate_limit: float = 45.0,
                 border_value: int = 0, min_area: int = 1) -> None:
        for name, prob in (('shift_prob', shift_prob), ('scale_prob', scale_prob), ('rotate_prob', rotate_prob)):
            if not 0.0 <= prob <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {prob}')
        self.shift_prob, self.scale_prob, self.rotate_prob = shift_prob, scale_prob, rotate_prob
        self.shift_limit, self.scale_limit, self.rotate_limit = shift_limit, scale_limit, rotate_limit
        self.border_value = border_value
        self.min_area = min_area

    @cache_randomness
    def _sample_matrix(self, height: int, width: int) -> Optional[np.ndarray]:
        """A random (2, 3) matrix, or None when no component was drawn."""
        shift = scale = rotate = False
        shift_xy, factor, angle = (0.0, 0.0), 1.0, 0.0
        if np.random.rand() < self.shift_prob:
            shift = True
            shift_xy = tuple(np.random.uniform(-self.shift_limit, self.shift_limit, 2) * (width, height))
        if np.random.rand() < self.scale_prob:
            scale = True
            factor = float(np.random.uniform(1 - self.scale_limit, 1 + self.scale_limit))
        if np.random.rand() < self.rotate_prob:
            rotate = True
            angle = float(np.random.uniform(-self.rotate_limit, self.rotate_limit))
        if not (shift or scale or rotate):
            return None
        return affine_matrix(((width - 1) / 2, (height - 1) / 2), angle, factor, shift_xy)

    def transform(self, results: dict) -> dict:
        """Warp ``img`` and ``gt_masks`` with one random matrix; recompute boxes; drop empty instances."""
        height, width = results['img'].shape[:2]
        matrix = self._sample_matrix(height, width)
        if matrix is None:
            return results
        results['img'] = cv2.warpAffine(results['img'], matrix, (width, height), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT, borderValue=self.border_value)
        if results.get('homography_matrix') is not None:
            results['homography_matrix'] = (np.vstack([matrix, [0, 0, 1]]).astype(np.float32)
                                             @ results['homography_matrix'])
        if results.get('gt_masks') is not None:
            self._warp_instances(results, matrix)
        elif results.get('gt_bboxes') is not None and len(results['gt_bboxes']):
            raise KeyError('RandomShiftScaleRotate needs gt_masks to recompute gt_bboxes '
                           '(LoadAnnotations with_mask=True)')
        return results

    def _warp_instances(self, results: dict, matrix: np.ndarray) -> None:
        """Warp masks, take boxes from them and keep instances with at least ``min_area`` pixels."""
        height, width = results['img'].shape[:2]
        masks, boxes, keep = warp_masks(results['gt_masks'].masks, matrix, self.min_area)
        results['gt_masks'] = BitmapMasks(masks, height, width)
        if results.get('gt_bboxes') is not None:
            results['gt_bboxes'] = type(results['gt_bboxes'])(boxes)
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key) is not None:
                results[key] = results[key][keep]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift_prob={self.shift_prob}, scale_prob={self.scale_prob}, '
                f'rotate_prob={self.rotate_prob}, shift_limit={self.shift_limit}, '
                f'scale_limit={self.scale_limit}, rotate_limit={self.rotate_limit}, min_area={self.min_area})')
