"""Registered MMEngine metrics."""
from .box_f1_metric import BoxF1Metric
from .nucleus_metric import NucleusInstanceMetric

__all__ = ['BoxF1Metric', 'NucleusInstanceMetric']
