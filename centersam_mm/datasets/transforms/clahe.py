"""``NucleusCLAHE``: contrast-limited adaptive histogram equalisation (paper: clip limit 2, 8×8 tiles).

Written here because MMDetection 3.3 has no CLAHE transform (2.x had one; it was not ported).
"""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

CHANNEL_MODES = ('per_channel', 'lab_l')


def apply_clahe(image: np.ndarray, clip_limit: float = 2.0, tile_grid_size: Tuple[int, int] = (8, 8),
                channel_mode: str = 'per_channel', bgr: bool = True) -> np.ndarray:
    """CLAHE on a uint8 image.

    Args:
        image: (H, W) or (H, W, 3) uint8.
        clip_limit: OpenCV clip limit (paper: 2).
        tile_grid_size: (columns, rows) of tiles (paper: 8×8).
        channel_mode: ``'per_channel'`` equalises each channel independently (grey stays grey);
            ``'lab_l'`` equalises only the L channel of CIELAB (keeps the hue of H&E stains).
        bgr: channel order of a 3-channel image (mmdet's ``LoadImageFromFile`` gives BGR); used by ``'lab_l'``.

    Returns:
        Image of the same shape, uint8.
    """
    if image.dtype != np.uint8:
        raise TypeError(f'CLAHE needs a uint8 image, got {image.dtype}')
    if channel_mode not in CHANNEL_MODES:
        raise ValueError(f'channel_mode must be one of {CHANNEL_MODES}, got {channel_mode!r}')
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=tuple(tile_grid_size))
    if image.ndim == 2:
        return clahe.apply(image)
    if channel_mode == 'lab_l':
        to_lab, from_lab = ((cv2.COLOR_BGR2LAB, cv2.COLOR_LAB2BGR) if bgr
                            else (cv2.COLOR_RGB2LAB, cv2.COLOR_LAB2RGB))
        lab = cv2.cvtColor(image, to_lab)
        lab[..., 0] = clahe.apply(np.ascontiguousarray(lab[..., 0]))
        return cv2.cvtColor(lab, from_lab)
    return np.stack([clahe.apply(np.ascontiguousarray(image[..., c])) for c in range(image.shape[2])], axis=-1)


@TRANSFORMS.register_module()
class NucleusCLAHE(BaseTransform):
    """CLAHE as a pipeline step: ``dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8))``.

    Required keys: ``img`` (uint8). Modified keys: ``img``. See :func:`apply_clahe` for the arguments.
    """

    def __init__(self, clip_limit: float = 2.0, tile_grid_size: Tuple[int, int] = (8, 8),
                 channel_mode: str = 'per_channel', bgr: bool = True) -> None:
        if channel_mode not in CHANNEL_MODES:
            raise ValueError(f'channel_mode must be one of {CHANNEL_MODES}, got {channel_mode!r}')
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(tile_grid_size)
        self.channel_mode = channel_mode
        self.bgr = bgr

    def transform(self, results: dict) -> dict:
        results['img'] = apply_clahe(results['img'], self.clip_limit, self.tile_grid_size, self.channel_mode, self.bgr)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_limit={self.clip_limit}, tile_grid_size={self.tile_grid_size}, '
                f'channel_mode={self.channel_mode!r})')
