"""``HEDJitter``: stain augmentation for H&E in haematoxylin-eosin-DAB space (Tellez et al. 2018, "H&E stain
augmentation improves generalization of convolutional networks for histopathological mitosis detection").

The image's optical density is unmixed into haematoxylin, eosin and DAB with scikit-image's stain matrices
(``skimage.color.hed_from_rgb`` / ``rgb_from_hed``: Ruifrok & Johnston's vectors); each stain's density is scaled
by ``U(1 - sigma, 1 + sigma)`` and shifted by ``U(-bias, bias)``, then mixed back. Unlike ``rgb2hed`` /
``hed2rgb`` (which clip negative densities, so colours outside the three stains' cone change even without jitter)
the unmixing is linear and exactly invertible: no jitter, no change. Lab-to-lab stain differences are mostly such per-stain changes
of strength, which a jitter of hue or saturation in RGB does not model.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from skimage.color import hed_from_rgb, rgb_from_hed


def hed_jitter(image: np.ndarray, alpha: np.ndarray, beta: np.ndarray, bgr: bool = True) -> np.ndarray:
    """Scale (``alpha``, 3 values) and shift (``beta``) each stain's density of a uint8 (H, W, 3) image.

    ``alpha = 1, beta = 0`` returns the image unchanged (pixel value 0 is read as 1: the density of 0 is infinite).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'HED jitter needs a uint8 (H, W, 3) image, got {image.dtype} {image.shape}')
    rgb = (image[..., ::-1] if bgr else image).astype(np.float64)
    density = -np.log10(np.maximum(rgb, 1.0) / 255.0)  # optical density; 0 for white
    hed = density @ hed_from_rgb
    hed = hed * np.asarray(alpha, dtype=np.float64) + np.asarray(beta, dtype=np.float64)
    out = np.clip(np.rint(255.0 * np.power(10.0, -(hed @ rgb_from_hed))), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out[..., ::-1] if bgr else out)


@TRANSFORMS.register_module()
class HEDJitter(BaseTransform):
    """Random per-stain density scale and shift: ``dict(type='HEDJitter', sigma=0.05, bias=0.01, prob=0.8)``.

    Required keys: ``img`` (uint8, 3 channels; BGR as ``LoadImageFromFile`` gives unless ``bgr=False``).
    Modified keys: ``img``. Grey or single-channel images pass through unchanged (fluorescence has no stains).

    Args:
        sigma: half-width of the density scale's uniform range (Tellez et al.: 0.05 "light" to 0.2 "strong").
        bias: half-width of the density shift's uniform range (optical density units).
        prob: probability of jittering an image.
        seed: seed of this transform's own generator (``None``: from numpy's global state, as mmdet's transforms).
    """

    def __init__(self, sigma: float = 0.05, bias: float = 0.01, prob: float = 0.8, bgr: bool = True,
                 seed: Optional[int] = None) -> None:
        if sigma < 0 or bias < 0 or not 0 <= prob <= 1:
            raise ValueError(f'HEDJitter needs sigma >= 0, bias >= 0 and 0 <= prob <= 1, got {sigma}, {bias}, {prob}')
        self.sigma = sigma
        self.bias = bias
        self.prob = prob
        self.bgr = bgr
        self.rng = np.random.default_rng(seed) if seed is not None else np.random

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3 or self.rng.random() >= self.prob:
            return results
        if np.array_equal(img[..., 0], img[..., 1]) and np.array_equal(img[..., 1], img[..., 2]):
            return results  # grey: no stain to vary
        alpha = self.rng.uniform(1 - self.sigma, 1 + self.sigma, 3)
        beta = self.rng.uniform(-self.bias, self.bias, 3)
        results['img'] = hed_jitter(img, alpha, beta, self.bgr)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sigma={self.sigma}, bias={self.bias}, prob={self.prob})'
