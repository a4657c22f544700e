"""Scale-aware inference: the factor from options, the estimate from the image, the input resizing."""
import math

import pytest
import torch

from centersam_mm.models.utils.nucleus_scale import (estimate_scale, median_diameter, probe_scales, probe_window,
                                                     resize_input, scale_from_options)

CFG = dict(diameter=40.0, prior_diameter=20.0, pixel_size=0.125)
SWEEP = dict(CFG, scale_search='sweep')


def _honest_detector(true_diameter: float, calls: list):
    """detect(scale): 10 boxes of the true diameter (original pixels), whatever the scale; records the scales."""
    def detect(scale):
        calls.append(scale)
        boxes = torch.tensor([[0.0, 0.0, true_diameter, true_diameter]] * 10)
        return boxes, torch.full((10,), 0.9)
    return detect


def test_sweep_reaches_the_trained_diameter():
    calls = []
    scale = estimate_scale(_honest_detector(10.0, calls), SWEEP)
    assert scale == pytest.approx(4.0)           # 40 px at the input / 10 px in the image
    assert calls == pytest.approx(probe_scales(CFG)) and min(calls) == pytest.approx(2.0 / 8)


def test_iterate_converges_in_two_runs_and_returns_the_factor_it_ran_at():
    calls = []
    assert estimate_scale(_honest_detector(10.0, calls), CFG) == pytest.approx(4.0)
    # first guess 40 / 20, then 40 / 10; the check at half of it, 2.0, is the first run's, not run again
    assert calls == pytest.approx([2.0, 4.0])
    calls = []
    # 21 px nuclei: the first guess (2.0) brings them to 42 px, within the 1.15 tolerance of 40: one run, and
    # the factor returned is the one that run used (so its detections can be reused), not 40 / 21
    assert estimate_scale(_honest_detector(21.0, calls), CFG) == pytest.approx(2.0)
    assert calls == pytest.approx([2.0, 1.0])     # the check at 1.0 sees 21 px nuclei, too far from 40 px
    calls = []
    assert estimate_scale(_honest_detector(21.0, calls), dict(CFG, scale_tolerance=1.01, scale_check=None)) \
        == pytest.approx(40 / 21)
    assert calls == pytest.approx([2.0, 40 / 21])


def test_iterate_falls_back_to_the_sweep_far_from_the_first_guess():
    """Nuclei of 60 px are 6x the first guess's 20 px: the first run's boxes (120 px at the input) are more
    than a factor 2 from the trained 40 px, so the sweep decides, and finds them."""
    calls = []
    assert estimate_scale(_honest_detector(60.0, calls), CFG) == pytest.approx(40 / 60)
    # the sweep's probe at the first guess is the iteration's first run, not a second one
    assert calls[0] == pytest.approx(2.0) and calls[1:] == pytest.approx([s for s in probe_scales(CFG) if s != 2.0])
    with pytest.raises(ValueError, match='scale_search'):
        estimate_scale(_honest_detector(10.0, []), dict(CFG, scale_search='grid'))


def test_estimate_takes_the_most_confident_probe_near_the_trained_size():
    """At small factors the detector sees the real 20-px nuclei (score 0.8); at large ones it fires on texture
    (3-px boxes, score 0.5); far from the trained size (factor 2 off) a probe does not count."""
    def detect(scale):
        if scale < 3:
            return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.8)
        return torch.tensor([[0.0, 0.0, 3.0, 3.0]] * 10), torch.full((10,), 0.5)
    assert estimate_scale(detect, SWEEP) == pytest.approx(2.0)
    assert estimate_scale(detect, dict(SWEEP, prior_diameter=2.0)) == pytest.approx(2.0)
    # iterating from a first guess near the nuclei converges on them (the check at 1.0 is no more confident)
    assert estimate_scale(detect, dict(CFG, prior_diameter=20.0)) == pytest.approx(2.0)


def test_iterate_check_catches_a_factor_twice_too_large():
    """Large 40-px nuclei; at factor 2 the detector fires on their 20-px parts (score 0.5), at factor 1 it sees
    them whole (0.9): the check run at half the converged factor sends the estimate to the sweep, which finds 1."""
    def detect(scale):
        if scale >= 1.9:
            return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.5)
        return torch.tensor([[0.0, 0.0, 40.0, 40.0]] * 10), torch.full((10,), 0.9)
    assert estimate_scale(detect, dict(CFG, scale_check=None)) == pytest.approx(2.0)
    assert estimate_scale(detect, CFG) == pytest.approx(1.0)


def test_check_ratio_passes_the_same_nuclei_seen_smaller():
    """Small 20-px nuclei, converged at factor 2 (40 px, score 0.6); at the check's factor 1 the same nuclei are
    20 px and score higher (0.8). The quality check alone fails the right factor and the sweep decides; with
    ``scale_check_ratio`` sqrt(1/2) the check's boxes, half the trained size, are the same nuclei: it passes.
    Objects that reach the trained size at the check's factor (40-px nuclei whose halves converged) still fail."""
    def small(scale):
        return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.6 if scale >= 1.9 else 0.8)
    cfg = dict(CFG, prior_diameter=20.0, scale_check_ratio=math.sqrt(0.5))
    calls = []

    def counted(scale):
        calls.append(scale)
        return small(scale)
    assert estimate_scale(counted, cfg) == pytest.approx(2.0)
    assert calls == pytest.approx([2.0, 1.0])  # converged and checked: no sweep
    calls.clear()
    estimate_scale(counted, dict(cfg, scale_check_ratio=None))
    assert len(calls) == len(probe_scales(cfg))  # the quality check alone sends it to the sweep

    def large(scale):
        if scale >= 1.9:
            return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.5)
        return torch.tensor([[0.0, 0.0, 40.0, 40.0]] * 10), torch.full((10,), 0.9)
    assert estimate_scale(large, cfg) == pytest.approx(1.0)


def test_sweep_above_the_first_guess_only_when_nothing_below_counted():
    """Nuclei of 60 px: probes below the first guess (2.0) find them, so with ``scale_sweep_above='if_none_below'``
    the factors from 2.0 up are not probed, the answer unchanged; 5-px nuclei are found only above it, and
    then every probe runs."""
    calls = []
    cfg = dict(SWEEP, scale_sweep_above='if_none_below')
    assert estimate_scale(_honest_detector(60.0, calls), cfg) == pytest.approx(40 / 60)
    assert calls == pytest.approx([s for s in probe_scales(CFG) if s < 2.0])
    calls.clear()
    assert estimate_scale(_honest_detector(5.0, calls), cfg) == pytest.approx(8.0)
    assert sorted(calls) == pytest.approx(probe_scales(CFG))
    with pytest.raises(ValueError, match='scale_sweep_above'):
        estimate_scale(_honest_detector(5.0, []), dict(SWEEP, scale_sweep_above='never'))


def test_estimate_runs_the_detector_once_per_factor():
    """The check of the previous test (factor 1, half the first guess) and the first guess are both sweep probes:
    each factor is detected once, the result as if every probe had run."""
    calls = []

    def detect(scale):
        calls.append(scale)
        if scale >= 1.9:
            return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.5)
        return torch.tensor([[0.0, 0.0, 40.0, 40.0]] * 10), torch.full((10,), 0.9)
    assert estimate_scale(detect, CFG) == pytest.approx(1.0)
    assert calls[:2] == pytest.approx([2.0, 1.0])  # the first guess, then the check at half of it
    assert sorted(calls) == pytest.approx(probe_scales(CFG)) and len(set(calls)) == len(calls)


def test_estimate_keeps_its_first_guess_without_confident_boxes():
    def detect(scale):
        return torch.tensor([[0.0, 0.0, 5.0, 5.0]] * 10), torch.full((10,), 0.1)
    assert estimate_scale(detect, CFG) == pytest.approx(2.0)


def test_median_diameter_counts_confident_boxes_only():
    boxes = torch.tensor([[0, 0, 4, 9], [0, 0, 10, 10], [0, 0, 20, 20], [0, 0, 100, 100]], dtype=torch.float)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.1])
    assert median_diameter(boxes, scores, 0.5) == pytest.approx(10.0)  # sqrt(4*9)=6, 10, 20
    assert median_diameter(boxes[:2], scores[:2], 0.5) is None


def test_options_take_precedence_in_order():
    assert scale_from_options(CFG, dict(nucleus_scale=3.0, pixel_size=0.5, nucleus_diameter=8)) == 3.0
    assert scale_from_options(CFG, dict(pixel_size=0.5, nucleus_diameter=8)) == pytest.approx(4.0)
    assert scale_from_options(CFG, dict(nucleus_diameter=8)) == pytest.approx(5.0)
    assert scale_from_options(CFG, {}) is None
    assert scale_from_options(dict(CFG, scale=1.5), {}) == 1.5
    with pytest.raises(ValueError, match='pixel size'):
        scale_from_options(dict(diameter=40.0), dict(pixel_size=0.5))


def test_resize_input_size_and_padding():
    x = torch.arange(2 * 30 * 50, dtype=torch.float).reshape(1, 2, 30, 50)
    out = resize_input(x, (45, 75), divisor=32)
    assert out.shape == (1, 2, 64, 96)
    assert out[..., 45:, :].abs().sum() == 0 and out[..., :, 75:].abs().sum() == 0
    assert torch.equal(resize_input(x, (30, 50)), x)


def test_probe_window_is_central_and_bounded():
    assert probe_window(500, 600) == (0, 500, 0, 600)
    assert probe_window(3000, 1500) == (988, 2012, 238, 1262)
    y0, y1, x0, x1 = probe_window(3000, 1500)
    assert y1 - y0 == 1024 and x1 - x0 == 1024 and math.isclose((y0 + y1) / 2, 1500, abs_tol=1)


def test_scale_gain_aims_at_larger_boxes():
    """With scale_gain 1.1 the search looks for boxes of 44 px instead of 40: 10-px nuclei get factor 4.4."""
    assert estimate_scale(_honest_detector(10.0, []), dict(CFG, scale_gain=1.1)) == pytest.approx(4.4)
    assert estimate_scale(_honest_detector(10.0, []), dict(SWEEP, scale_gain=1.1)) == pytest.approx(4.4)


def test_prior_weight_prefers_nuclei_near_the_first_guess_to_clumps_far_below():
    """First guess 2 (40 / 20). Near it the detector sees the 20-px nuclei, scoring 0.45; at factors below 0.5 it
    sees clumps of them (150-px boxes) scoring 0.5, which alone the sweep prefers (factor 40 / 150). With
    ``scale_prior_weight`` 0.1 a clump's factor, |log(0.267 / 2)| = 2.0 from the guess, loses 0.2 of its 0.5."""
    def detect(scale):
        if scale < 0.5:
            return torch.tensor([[0.0, 0.0, 150.0, 150.0]] * 10), torch.full((10,), 0.5)
        return torch.tensor([[0.0, 0.0, 20.0, 20.0]] * 10), torch.full((10,), 0.45)
    assert estimate_scale(detect, SWEEP) == pytest.approx(40 / 150)
    assert estimate_scale(detect, dict(SWEEP, scale_prior_weight=0.1)) == pytest.approx(2.0)
