"""Scorers: rescore CenterSAM's (box, mask) candidates from features of both; regress an image's nucleus size."""
from .candidate_features import (BASE_FEATURES, COLOUR_FEATURES, FEATURE_NAMES, FEATURE_SETS,  # noqa: F401
                                 candidate_features, feature_set)
from .candidate_scorer import CandidateScorer  # noqa: F401
from .size_regressor import NucleusSizeRegressor, pooled_features  # noqa: F401

__all__ = ['BASE_FEATURES', 'COLOUR_FEATURES', 'FEATURE_NAMES', 'FEATURE_SETS', 'feature_set', 'candidate_features',
           'CandidateScorer', 'NucleusSizeRegressor', 'pooled_features']
