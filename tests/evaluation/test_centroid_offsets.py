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


def test_box_size_log_ratios_of_matched_pairs():
    """Annotated 10x10 and 20x10 (w x h) rectangles; predicted 8x10 inside the first (IoU 0.8) and 20x12 over the
    second (IoU 200/240): log(8/10), log(10/10) and log(20/20), log(12/10). An unmatched prediction (far away) and
    ids in another order change nothing."""
    from centersam_mm.evaluation.functional import box_size_log_ratios
    gt = np.zeros((40, 60), np.int32)
    gt[5:15, 5:15] = 7
    gt[20:30, 30:50] = 3
    pred = np.zeros_like(gt)
    pred[5:15, 6:14] = 2
    pred[19:31, 30:50] = 9
    pred[0:3, 55:58] = 1
    ratios = box_size_log_ratios(gt, pred)
    expected = {(round(np.log(0.8), 9), 0.0), (0.0, round(np.log(1.2), 9))}
    assert {tuple(np.round(row, 9)) for row in ratios} == expected
