"""HEDJitter: exact identity without jitter, haematoxylin scaled where it stains, grey left alone."""
import numpy as np
import pytest
from skimage.color import hed_from_rgb, rgb_from_hed

from centersam_mm.datasets.transforms import HEDJitter, hed_jitter


def _stain(h: float, e: float) -> np.ndarray:
    """The RGB (uint8) of densities h, e of haematoxylin and eosin by Beer-Lambert with skimage's vectors."""
    density = np.array([h, e, 0.0]) @ rgb_from_hed
    return np.clip(np.rint(255 * 10 ** -density), 0, 255).astype(np.uint8)


def test_no_jitter_is_the_identity_and_density_scales_linearly():
    rng = np.random.default_rng(0)
    image = rng.integers(1, 256, (16, 16, 3), dtype=np.uint8)
    np.testing.assert_array_equal(hed_jitter(image, [1, 1, 1], [0, 0, 0]), image)
    # a pure haematoxylin pixel at density 0.4: doubling its H density gives the pixel of density 0.8
    nucleus = np.tile(_stain(0.4, 0.0), (2, 2, 1))
    doubled = hed_jitter(nucleus, [2, 1, 1], [0, 0, 0], bgr=False)
    np.testing.assert_allclose(doubled.astype(int), np.tile(_stain(0.8, 0.0), (2, 2, 1)).astype(int), atol=1)
    # eosin untouched by an H-only change: its unmixed density stays
    pink = np.tile(_stain(0.0, 0.3), (2, 2, 1))
    out = hed_jitter(pink, [1.5, 1, 1], [0, 0, 0], bgr=False)
    density = -np.log10(np.maximum(out, 1) / 255.0) @ hed_from_rgb
    assert density[..., 1].mean() == pytest.approx(0.3, abs=0.01) and abs(density[..., 0].mean()) < 0.01


def test_transform_jitters_colour_and_skips_grey():
    rng = np.random.default_rng(1)
    colour = rng.integers(40, 220, (8, 8, 3), dtype=np.uint8)
    grey = np.repeat(colour[..., :1], 3, axis=2)
    jitter = HEDJitter(sigma=0.2, bias=0.02, prob=1.0, seed=0)
    assert not np.array_equal(jitter.transform({'img': colour.copy()})['img'], colour)
    np.testing.assert_array_equal(jitter.transform({'img': grey.copy()})['img'], grey)
    np.testing.assert_array_equal(HEDJitter(prob=0.0).transform({'img': colour.copy()})['img'], colour)
    with pytest.raises(ValueError):
        HEDJitter(sigma=-1)
