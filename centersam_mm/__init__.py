"""centersam_mm: CenterNet + Segment Anything nucleus instance segmentation for MMDetection 3.x.

Importing the package registers its datasets, transforms, models and metrics into MMDetection's
registries, and its optimizer wrapper into MMEngine's (configs load it with ``custom_imports = dict(imports=['centersam_mm'])``). The pure
parts (dataset converters, ``evaluation.functional``, ``io``) need only numpy/scipy. Importing it changes no
checkpoint loading: torch's weights-only default stays in force (``utils/safe_load.py``).
"""
from importlib.util import find_spec

__version__ = '0.1.0'

if find_spec('mmdet') is not None:
    from .utils.deferred_imports import defer_unused_at_inference
    defer_unused_at_inference()  # matplotlib.pyplot, scipy.optimize / .special, numpy.f2py: loaded at first use
    from . import datasets, engine, evaluation, models  # noqa: F401  (registers modules)
