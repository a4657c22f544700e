"""NucleusSizeResize: training images resized so their median nucleus diameter is the target (+ jitter)."""
import math

import numpy as np
import pytest

from centersam_mm.datasets.transforms import NucleusSizeResize


def _results(boxes):
    return dict(img=np.zeros((100, 200, 3), np.uint8), img_shape=(100, 200), ori_shape=(100, 200),
                instances=[dict(bbox=box, bbox_label=0, ignore_flag=0) for box in boxes])


def test_median_diameter_reaches_the_target_without_jitter():
    boxes = [[0, 0, 10, 10], [20, 20, 30, 40], [50, 50, 70, 70]]  # diameters 10, 14.1, 20: median 14.14
    step = NucleusSizeResize(diameter=28.28, log_jitter=0.0)
    assert step.factor(_results(boxes)) == pytest.approx(2.0, rel=1e-3)
    out = step(_results(boxes))
    assert out['img'].shape[:2] == (200, 400) and out['scale_factor'] == pytest.approx((2.0, 2.0), rel=1e-3)


def test_jitter_stays_in_its_range_and_no_boxes_keep_the_size():
    step = NucleusSizeResize(diameter=20.0, log_jitter=math.log(1.25))
    rng = np.random.default_rng(0)
    factors = [step.factor(_results([[0, 0, 10, 10]] * 3), rng) for _ in range(200)]
    assert 2.0 / 1.25 - 1e-9 <= min(factors) and max(factors) <= 2.0 * 1.25 + 1e-9 and np.std(factors) > 0.1
    assert NucleusSizeResize(diameter=20.0, log_jitter=0.0).factor(_results([])) == 1.0
