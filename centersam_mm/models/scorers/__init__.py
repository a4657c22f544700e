"""Scorers: rescore CenterSAM's (box, mask) candidates from features of both; regress an image's nucleus size."""
from .candidate_features import FEATURE_NAMES, candidate_features  # noqa: F401
from .candidate_scorer import CandidateScorer  # noqa: F401
from .size_regressor import NucleusSizeRegressor, pooled_features  # noqa: F401

__all__ = ['FEATURE_NAMES', 'candidate_features', 'CandidateScorer', 'NucleusSizeRegressor', 'pooled_features']
