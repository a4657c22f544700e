"""NucleusSizeRegressor: the closed-form ridge fit, and the scale estimate starting where it points."""
import math

import pytest
import torch

from centersam_mm.models.scorers import NucleusSizeRegressor, pooled_features
from centersam_mm.models.utils.nucleus_scale import estimate_scale


def test_fit_recovers_a_linear_law_on_unscaled_features():
    """Targets exactly linear in the raw features (with very different feature scales): the fit predicts them."""
    gen = torch.Generator().manual_seed(0)
    features = torch.randn(200, 6, generator=gen) * torch.tensor([1.0, 10.0, 0.1, 5.0, 1.0, 100.0]) + 3.0
    weight = torch.tensor([0.5, -0.02, 3.0, 0.1, 0.0, 0.001])
    targets = features @ weight - 0.7
    regressor = NucleusSizeRegressor(6).fit(features, targets, l2=1e-6)
    assert torch.allclose(regressor(features), targets.float(), atol=1e-3)
    assert torch.allclose(regressor(features[0]), targets[:1].float(), atol=1e-3)  # one (2C,) vector
    # a strong penalty shrinks towards the mean target (the bias is not penalised)
    shrunk = NucleusSizeRegressor(6).fit(features, targets, l2=1e9)
    assert torch.allclose(shrunk(features), targets.mean().float().expand(200), atol=1e-3)


def test_unfitted_regressor_predicts_no_change():
    assert torch.equal(NucleusSizeRegressor(4)(torch.randn(3, 4)), torch.zeros(3))


def test_pooled_features_are_channel_means_and_stds():
    fmap = torch.tensor([[1.0, 3.0], [5.0, 7.0]]).reshape(1, 1, 2, 2).repeat(1, 2, 1, 1) * torch.tensor(
        [1.0, 2.0]).reshape(1, 2, 1, 1)
    assert torch.allclose(pooled_features(fmap), torch.tensor([4.0, 8.0, math.sqrt(5.0), 2 * math.sqrt(5.0)]))


def test_estimate_starts_where_the_regressor_points():
    """Nuclei of 60 px are 3x the first guess's 20 px: from the first guess the iteration gives up (boxes more
    than a factor 2 off) and the sweep runs; started at the regressor's 0.7 it settles in one run plus the check."""
    cfg = dict(diameter=40.0, prior_diameter=20.0)
    calls = []

    def detect(scale):
        calls.append(scale)
        return torch.tensor([[0.0, 0.0, 60.0, 60.0]] * 10), torch.full((10,), 0.9)
    assert estimate_scale(detect, cfg, start=0.7) == pytest.approx(0.7)
    assert calls == pytest.approx([0.7, 0.35])
    calls.clear()
    assert estimate_scale(detect, cfg) == pytest.approx(40 / 60)
    assert len(calls) > 5
