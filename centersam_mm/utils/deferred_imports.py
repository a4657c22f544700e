"""Third-party modules that start-up imports but inference does not use, entered lazily so they load at first use.

MMDetection's model modules import ``matplotlib.pyplot`` (``mmdet.utils.mot_error_visualize``, for tracking plots)
and ``scipy.optimize`` (``from scipy.optimize import linear_sum_assignment``, Hungarian assigners): 0.25 s and 0.38
s of every start-up on 2 cores (``python -X importtime``); ``scipy.ndimage``, which the package uses, imports
``scipy.special`` (0.2 s of start-up: its array-API wrappers parse docstrings) for ``rotate`` only; scipy's
array-API layer reaches ``numpy.f2py`` (0.04 s) by cloning numpy's namespace; and segment-anything's package
``__init__`` imports torchvision (0.7 s) for ``SamPredictor``, which CenterSAM never calls. :func:`defer_module`
registers such a module (PEP 562) with its ``__file__``, ``__spec__`` and ``__path__`` but its code not yet run;
the first access to any other name runs the real module in place, so code that uses it, before or after us, gets
the whole module and the same objects. Names given as ``eager`` are bound at once from a submodule (scipy's
``linear_sum_assignment`` from ``scipy.optimize._lsap``), so ``from scipy.optimize import linear_sum_assignment``
does not load the rest. Dunder names never trigger the load: ``inspect.getmodule``, which MMEngine's registries
call, reads ``__file__`` of every module in ``sys.modules`` (``importlib.util.LazyLoader`` loads on that).
"""
import importlib
import importlib.util
import sys
import types
from typing import Dict, Optional, Tuple

# module -> names bound at once: name -> (submodule, attribute)
UNUSED_AT_INFERENCE: Dict[str, Dict[str, Tuple[str, str]]] = {
    'matplotlib.pyplot': {},
    'scipy.optimize': {'linear_sum_assignment': ('_lsap', 'linear_sum_assignment')},
    'scipy.special': {},
    'numpy.f2py': {},  # the Fortran wrapper generator: scipy's array-API layer clones numpy's namespace
}


def defer_module(name: str, eager: Optional[Dict[str, Tuple[str, str]]] = None) -> bool:
    """Register module ``name`` with its code deferred to the first access of a (non-dunder) name it lacks.

    Args:
        name: dotted module name; its parent packages are imported now (``importlib.util.find_spec``).
        eager: names to bind at once, each ``name: (submodule, attribute)`` of a submodule of ``name``.
    Returns:
        True when deferred; False when ``name`` is already imported or cannot be found (nothing changes: a later
        plain import loads it, or reports what is wrong).
    """
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    loaded = []

    def load() -> None:
        loaded.append(True)
        del module.__dict__['__getattr__']
        spec.loader.exec_module(module)  # the real module, in the registered object

    def __getattr__(attr: str):
        if attr.startswith('__') or loaded:
            raise AttributeError(f'module {name!r} has no attribute {attr!r}')
        load()
        return getattr(module, attr)

    module.__getattr__ = __getattr__
    sys.modules[name] = module
    parent, _, child = name.rpartition('.')
    if parent:
        setattr(sys.modules[parent], child, module)
    try:
        for attr, (submodule, source) in (eager or {}).items():
            setattr(module, attr, getattr(importlib.import_module(f'{name}.{submodule}'), source))
    except (ImportError, AttributeError):  # another version's layout: load the module as usual
        load()
    return True


def defer_unused_at_inference() -> None:
    """:func:`defer_module` for each of ``UNUSED_AT_INFERENCE`` not imported yet (called by the package's
    ``__init__``: a plugin imported after MMDetection changes nothing)."""
    for name, eager in UNUSED_AT_INFERENCE.items():
        defer_module(name, eager)


def is_deferred(module: types.ModuleType) -> bool:
    """True while ``module`` (registered by :func:`defer_module`) has not run its code yet."""
    return '__getattr__' in vars(module) and getattr(vars(module)['__getattr__'], '__qualname__', '').startswith(
        'defer_module.')
