"""Read checkpoints without running code from them (``torch.load(weights_only=True)``).

Importing ``centersam_mm`` changes no loading behaviour. Under torch >= 2.6 every ``torch.load`` that does not
say otherwise (MMEngine's ``load_checkpoint`` and Runner, mmdet's ``init_detector``) is weights-only: it rebuilds
tensors and plain containers and refuses any other pickled global, before anything of it runs. The published
weights (``checkpoints/*.pth``: a ``meta`` of plain values and a ``state_dict``) need nothing more.

A checkpoint written by MMEngine's runner also holds its training state: the message hub's ``HistoryBuffer``
objects, which pickle numpy arrays and scalars and ``getattr(HistoryBuffer, 'mean')``-style references to their
statistics methods. :func:`training_state_allowed` allow-lists exactly those for the time of a ``with`` block
(``getattr`` through :func:`_history_buffer_method`, which returns nothing but those four methods);
:func:`checkpoint_loading` adds a static pre-scan of the file and turns a refusal into a one-line
:class:`UnsafeCheckpointError`. The tools read a runner's checkpoints inside it (``tools/train.py`` when resuming
or loading ``load_from``, ``tools/test.py``); :func:`load_weights` is ``mmengine.runner.load_checkpoint`` with
both, for model builders.
"""
import os
import os.path as osp
import pickle
import re
import zipfile
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator, List, Mapping, Optional, Union

import numpy as np
import torch

from .checkpoints import CheckpointError

PathLike = Union[str, 'os.PathLike[str]']

#: the statistics methods a ``HistoryBuffer`` pickles references to (MMEngine 0.10's ``_set_default_statistics``)
HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')
#: numpy dtypes whose class a weights-only load must know to rebuild an array or scalar of them
_NUMPY_DTYPES = ('?', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16')
_TORCH_REFUSAL = 'Weights only load failed'


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint pickles a Python global that is neither a tensor nor plain data; it was refused unrun.

    A :class:`CheckpointError`, hence a ``ValueError`` too (what ``tools/infer.py`` reports in one line).
    """


def _history_buffer_method(owner: Any, name: str) -> Any:
    """``builtins.getattr`` as a training checkpoint uses it: ``HistoryBuffer.<statistic>`` and nothing else."""
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and name in HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'Unsupported global: GLOBAL builtins.getattr, used on {owner!r} for {name!r} '
                                 f'(only HistoryBuffer.{"/".join(HISTORY_BUFFER_METHODS)} is allowed)')


def _numpy_multiarray() -> Any:
    try:
        import numpy._core.multiarray as multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        import numpy.core.multiarray as multiarray
    return multiarray


def training_state_globals() -> List[Any]:
    """The globals an MMEngine training checkpoint holds besides tensors, in ``add_safe_globals``'s form.

    ``HistoryBuffer`` (its state: numpy arrays, a window size and the statistics methods); numpy's array and
    scalar reconstructors under numpy 2's and numpy 1's module names, ``ndarray``, ``dtype`` and the dtype
    classes of numeric arrays (a weights-only load only sets the state of allow-listed types); ``bytes`` (the
    data of an empty array; torch allows ``bytearray`` already); and ``builtins.getattr``, served by
    :func:`_history_buffer_method`.
    """
    from mmengine.logging import HistoryBuffer
    multiarray = _numpy_multiarray()
    entries: List[Any] = [HistoryBuffer, np.ndarray, np.dtype, bytes]
    entries += sorted({type(np.dtype(code)) for code in _NUMPY_DTYPES}, key=lambda cls: cls.__name__)
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'), (multiarray.scalar, f'{module}.scalar')]
    entries.append((_history_buffer_method, 'builtins.getattr'))
    return entries


def training_state_allowed() -> Any:
    """Context manager: :func:`training_state_globals` are safe for weights-only loads inside it, not after."""
    return torch.serialization.safe_globals(training_state_globals())


def unsafe_globals(path: PathLike) -> Optional[List[str]]:
    """Globals of a ``torch.save`` zip file that a weights-only load would refuse now, by a static scan of its
    pickle (nothing runs); None when the file is not a zip checkpoint (legacy format, not a checkpoint)."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(os.fspath(path))
    except Exception:  # not a zip checkpoint: torch.load itself decides
        return None


def refusal_message(path: PathLike, refused: str) -> str:
    """The one line of an :class:`UnsafeCheckpointError`."""
    return (f"{path}: refused to unpickle '{refused}' (not a plain weights file or an MMEngine training "
            "checkpoint; weights-only loading runs no code from a file)")


def _refused_name(path: Optional[PathLike], error: BaseException) -> str:
    """What torch refused: the first unsafe global of the file (static scan), else the one its message names."""
    names = unsafe_globals(path) if path is not None and osp.isfile(path) else None
    if names:
        return names[0]
    text = str(error)
    for pattern in (r'GLOBAL ([\w.]+)', r"but got <class '([^']+)'>", r'unrecognized function (.+?)(?: which|\n|$)'):
        match = re.search(pattern, text)
        if match:
            return match.group(1)
    return 'a pickled object'


def refuse_unsafe(path: PathLike) -> None:
    """Raise :class:`UnsafeCheckpointError` if a static scan finds a global that weights-only loading refuses."""
    names = unsafe_globals(path) if osp.isfile(path) else None
    if names:
        raise UnsafeCheckpointError(refusal_message(path, names[0]))


@contextmanager
def checkpoint_loading(path: Optional[PathLike], training_state: bool = True) -> Iterator[None]:
    """Read the checkpoint ``path`` inside this block safely, whoever calls ``torch.load``.

    ``path`` is scanned first (:func:`refuse_unsafe`); inside, the training-state globals are allow-listed
    (``training_state``) and torch's refusal (``pickle.UnpicklingError``, many lines) is raised as a one-line
    :class:`UnsafeCheckpointError` naming ``path``. Example (mmdet's ``init_detector`` reads with MMEngine)::

        with checkpoint_loading(weights):
            model = init_detector(cfg, weights, device='cpu')
    """
    with training_state_allowed() if training_state else nullcontext():
        if path is not None:
            refuse_unsafe(path)
        try:
            yield
        except pickle.UnpicklingError as error:
            if _TORCH_REFUSAL not in str(error):
                raise
            raise UnsafeCheckpointError(refusal_message(path if path is not None else 'checkpoint',
                                                        _refused_name(path, error))) from None


def read_checkpoint(path: PathLike, map_location: Any = 'cpu', training_state: bool = True,
                    mmap: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` inside :func:`checkpoint_loading`, with one-line errors.

    Missing file, unreadable file, refused global: :class:`CheckpointError` (``UnsafeCheckpointError`` for the
    last). ``mmap``: map the tensors instead of reading them (zip checkpoints; ignored for others).
    """
    if not osp.isfile(path):
        raise CheckpointError(f'{path}: checkpoint file not found')
    mmap = mmap and zipfile.is_zipfile(path)
    with checkpoint_loading(path, training_state):
        try:
            return torch.load(os.fspath(path), map_location=map_location, weights_only=True, mmap=mmap)
        except pickle.UnpicklingError as error:
            if _TORCH_REFUSAL in str(error):
                raise  # -> UnsafeCheckpointError (checkpoint_loading)
            raise _unreadable(path, error) from error
        except Exception as error:  # torch raises many types for a file that is not a checkpoint
            raise _unreadable(path, error) from error


def _unreadable(path: PathLike, error: BaseException) -> CheckpointError:
    first = str(error).splitlines()[0][:120] if str(error) else ''
    return CheckpointError(f'{path}: not a readable PyTorch checkpoint ({type(error).__name__}: {first})')


def checkpoint_state_dict(checkpoint: Any, path: PathLike) -> Mapping[str, Any]:
    """The weights of a checkpoint: its ``state_dict`` (MMEngine's layout) or the checkpoint itself."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{path}: holds a {type(checkpoint).__name__}, not a checkpoint')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise CheckpointError(f'{path}: its state_dict is a {type(state).__name__}, not a dict of tensors')
    return state


def check_weights_fit(model: torch.nn.Module, checkpoint: Any, path: PathLike) -> None:
    """Raise a one-line :class:`CheckpointError` when ``checkpoint`` is not weights of ``model``: none of its
    tensors has the name of one of the model's (``module.`` prefixes aside), or some have another shape.
    Missing or extra keys alone are allowed (MMEngine's ``strict=False`` reports them)."""
    model = getattr(model, 'module', model)  # DDP & co.
    state = {re.sub(r'^module\.', '', key): value for key, value in checkpoint_state_dict(checkpoint, path).items()
             if torch.is_tensor(value)}
    model_state = model.state_dict()
    shared = [key for key in model_state if key in state]
    if not shared:
        example = (f" (e.g. '{next(iter(state))}' vs the model's '{next(iter(model_state))}')"
                   if state and model_state else '')
        raise CheckpointError(f'{path} does not fit the model: none of its {len(state)} weights has the name of '
                              f'one of the model\'s {len(model_state)}{example}')
    bad = [key for key in shared if tuple(state[key].shape) != tuple(model_state[key].shape)]
    if bad:
        raise CheckpointError(f'{path} does not fit the model: {len(bad)} of {len(shared)} shared weights differ in '
                              f'shape, e.g. {bad[0]} {tuple(state[bad[0]].shape)} in the file vs '
                              f'{tuple(model_state[bad[0]].shape)} in the model')


def load_weights(model: torch.nn.Module, path: PathLike, map_location: Any = 'cpu', strict: bool = False,
                 logger: Any = None, check_fit: bool = True) -> dict:
    """``mmengine.runner.load_checkpoint(model, path)`` read safely (:func:`read_checkpoint`); returns the
    checkpoint (``meta`` ...). ``check_fit``: first :func:`check_weights_fit` (a wrong file is an error, not
    a model left at its random initial weights)."""
    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    checkpoint = read_checkpoint(path, map_location)
    if not isinstance(checkpoint, dict):
        checkpoint_state_dict(checkpoint, path)  # raises: not a mapping
        checkpoint = dict(checkpoint)
    if check_fit:
        check_weights_fit(model, checkpoint, path)
    _load_checkpoint_to_model(model, checkpoint, strict, logger)
    return checkpoint
