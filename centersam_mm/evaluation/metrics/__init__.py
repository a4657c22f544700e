"""Registered MMEngine metrics."""
from .nucleus_metric import NucleusInstanceMetric

__all__ = ['NucleusInstanceMetric']
