"""Stain offsets: where annotated masks sit against the stain (the MoNuSeg label sets' placement)."""
import numpy as np
import pytest

from centersam_mm.evaluation.functional.centroid_offsets import stain_offsets


def _disc(shape, centre_xy, radius):
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return (cols - centre_xy[0]) ** 2 + (rows - centre_xy[1]) ** 2 <= radius ** 2


def test_stain_offsets_point_from_the_mask_to_the_stain():
    """A dark disc drawn one pixel right of and two pixels above its annotation, on a white background: within
    the 3-pixel ring the whole disc is seen, so the offset is exactly (+1, -2); a stain centred on its mask reads
    zero; a grey background inside the ring pulls the reading towards zero, keeping its sign."""
    label = np.zeros((60, 120), np.int32)
    label[_disc(label.shape, (30, 30), 8)] = 1
    label[_disc(label.shape, (90, 30), 8)] = 2
    signal = (_disc(label.shape, (31, 28), 8) | _disc(label.shape, (90, 30), 8)).astype(float)
    offsets = stain_offsets(signal, label)
    assert offsets.shape == (2, 2)
    np.testing.assert_allclose(offsets, [[1.0, -2.0], [0.0, 0.0]], atol=1e-9)
    dx, dy = stain_offsets(signal + 0.2, label)[0]
    assert 0.2 < dx < 1 and -2 < dy < -0.4 and dy == pytest.approx(-2 * dx, rel=0.05)
