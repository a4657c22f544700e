"""``NucleusSizeRegressor``: the image's nucleus size from one look of the detector, as Cellpose's SizeModel.

Cellpose regresses an image's cell diameter from the style vector of its network (linear regression on
the pooled bottleneck features). Here the detector's neck features of the image's central crop, resized by the
model's first guess ``diameter / prior_diameter``, are pooled (per-channel mean and standard deviation) and a
ridge regression gives ``log(true factor / first guess)``: the scale estimate then starts next to the answer
instead of iterating or sweeping towards it (:func:`~centersam_mm.models.utils.nucleus_scale.estimate_scale`).
Fitted in closed form by ``tools/analysis_tools/fit_size_regressor.py``; its weights travel in the CenterSAM
checkpoint (``size_regressor.*``).
"""
from typing import Tuple

import torch
from mmdet.registry import MODELS
from torch import Tensor, nn


def pooled_features(feature_map: Tensor) -> Tensor:
    """(2C,) per-channel mean and standard deviation of a 1 x C x h x w feature map."""
    flat = feature_map.flatten(2)[0].float()
    return torch.cat([flat.mean(1), flat.std(1, unbiased=False)])


@MODELS.register_module()
class NucleusSizeRegressor(nn.Module):
    """Ridge regression ``features (2C,) -> log(true factor / first guess)``, on standardised features.

    Args:
        in_channels: length of the feature vector (2 x the detector neck's channels).
    """

    def __init__(self, in_channels: int = 128) -> None:
        super().__init__()
        self.register_buffer('feature_mean', torch.zeros(in_channels))
        self.register_buffer('feature_std', torch.ones(in_channels))
        self.linear = nn.Linear(in_channels, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, features: Tensor) -> Tensor:
        """(N,) predicted log factor ratios of (N, 2C) (or (2C,)) features."""
        x = (features.reshape(-1, self.feature_mean.numel()).float() - self.feature_mean) / self.feature_std
        return self.linear(x)[:, 0]

    @torch.no_grad()
    def fit(self, features: Tensor, targets: Tensor, l2: float = 1.0) -> 'NucleusSizeRegressor':
        """Closed-form ridge regression on (N, 2C) features and (N,) targets (the bias is not penalised)."""
        features, targets = features.double(), targets.double()
        mean, std = features.mean(0), features.std(0).clamp(min=1e-6)
        x = (features - mean) / std
        offset = targets.mean()
        gram = x.T @ x + l2 * torch.eye(x.shape[1], dtype=x.dtype)
        weight = torch.linalg.solve(gram, x.T @ (targets - offset))
        self.feature_mean.copy_(mean.float())
        self.feature_std.copy_(std.float())
        self.linear.weight.copy_(weight.float()[None])
        self.linear.bias.fill_(float(offset))
        return self


def log_errors(predicted: Tensor, targets: Tensor) -> Tuple[float, float]:
    """Median and 90th percentile of |predicted - target| (log factors)."""
    errors = (predicted - targets).abs()
    return float(errors.median()), float(errors.quantile(0.9))
