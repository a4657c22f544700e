"""Nucleus benchmarks: converters (pure numpy) and, when MMDetection is installed, registered datasets
and transforms."""
from importlib.util import find_spec

from . import converters  # noqa: F401  (importable without torch/mmdet)

if find_spec('mmdet') is not None:  # the registered parts need mmdet; the converters do not
    from .dsb2018 import DSB2018Dataset  # noqa: F401
    from .nucleus_coco import NucleusCocoDataset  # noqa: F401
    from .monuseg import MoNuSegDataset  # noqa: F401
    from .tissuenet import TissueNetDataset  # noqa: F401
    from .image_group_balanced_dataset import ImageGroupBalancedDataset  # noqa: F401
    from .candidates import CandidateDataset  # noqa: F401
    from .transforms import *  # noqa: F401,F403

__all__ = ['converters', 'NucleusCocoDataset', 'DSB2018Dataset', 'MoNuSegDataset', 'TissueNetDataset',
           'ImageGroupBalancedDataset', 'CandidateDataset']
