"""segment-anything's model modules, without paying for the parts of the package CenterSAM does not use.

``import segment_anything.modeling`` first runs ``segment_anything/__init__.py``, which imports ``SamPredictor``
and ``SamAutomaticMaskGenerator`` and, through their image transforms, torchvision: 0.7 s of every start-up on
2 cores (``tools/analysis_tools/benchmark_startup.py``), for modules CenterSAM never calls. Here the package is
entered lazily (PEP 562, :func:`centersam_mm.utils.deferred_imports.defer_module`): ``segment_anything`` is
registered with its ``__path__`` but its ``__init__`` not yet run, ``segment_anything.modeling`` (which needs
torch only) is imported into it, and the first access to any other name of the package
(``segment_anything.SamPredictor``, ``from segment_anything import sam_model_registry``) runs the real ``__init__``
in place. Code that imports segment-anything itself, before or after us, gets the whole
package and the same classes.
"""
import importlib
import types

from ...utils.deferred_imports import defer_module

PACKAGE = 'segment_anything'

defer_module(PACKAGE)  # the package's __init__ deferred (centersam_mm/utils/deferred_imports.py)
modeling: types.ModuleType = importlib.import_module(f'{PACKAGE}.modeling')

ImageEncoderViT = modeling.ImageEncoderViT
MaskDecoder = modeling.MaskDecoder
PromptEncoder = modeling.PromptEncoder
TwoWayTransformer = modeling.TwoWayTransformer

__all__ = ['ImageEncoderViT', 'MaskDecoder', 'PromptEncoder', 'TwoWayTransformer', 'modeling']
