"""segment-anything's model modules, without paying for the parts of the package CenterSAM does not use.

``import segment_anything.modeling`` first runs ``segment_anything/__init__.py``, which imports ``SamPredictor``
and ``SamAutomaticMaskGenerator`` and, through their image transforms, torchvision: 0.7 s of every start-up on
2 cores (``tools/analysis_tools/benchmark_startup.py``), for modules CenterSAM never calls. Here the package is
entered lazily (PEP 562): ``segment_anything`` is registered with its ``__path__`` but its ``__init__`` not yet
run, ``segment_anything.modeling`` (which needs torch only) is imported into it, and the first access to any other
name of the package (``segment_anything.SamPredictor``, ``from segment_anything import sam_model_registry``) runs
the real ``__init__`` in place. Code that imports segment-anything itself, before or after us, gets the whole
package and the same classes.
"""
import importlib
import importlib.util
import sys
import types

PACKAGE = 'segment_anything'


def _enter_lazily() -> None:
    """Register ``segment_anything`` with its ``__init__`` deferred to the first missing attribute."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not an ordinary package: a plain import below reports what is wrong
    package = importlib.util.module_from_spec(spec)
    state = {'done': False}

    def __getattr__(name: str):
        if name.startswith('__') or state['done']:
            raise AttributeError(f'module {PACKAGE!r} has no attribute {name!r}')
        state['done'] = True
        del package.__dict__['__getattr__']
        spec.loader.exec_module(package)  # the real __init__, in the registered module
        return getattr(package, name)

    package.__getattr__ = __getattr__
    sys.modules[PACKAGE] = package


_enter_lazily()
modeling: types.ModuleType = importlib.import_module(f'{PACKAGE}.modeling')

ImageEncoderViT = modeling.ImageEncoderViT
MaskDecoder = modeling.MaskDecoder
PromptEncoder = modeling.PromptEncoder
TwoWayTransformer = modeling.TwoWayTransformer

__all__ = ['ImageEncoderViT', 'MaskDecoder', 'PromptEncoder', 'TwoWayTransformer', 'modeling']
