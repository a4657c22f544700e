"""Atomic file writing: write a temporary file in the destination folder, then ``os.replace`` it."""
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator, Union

PathLike = Union[str, Path]


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The temporary file keeps the destination's suffix (some writers choose the format by it). If the
    block raises, the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=f'.tmp{path.suffix}', dir=path.parent)
    os.close(handle)
    temp_path = Path(temp_name)
    os.chmod(temp_path, 0o666 & ~_current_umask())  # mkstemp makes 0600 files; use the usual permissions
    try:
        yield temp_path
        os.replace(temp_path, path)
    finally:
        temp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = 'w', **open_kwargs) -> Iterator[IO]:
    """``open`` for writing (mode ``'w'`` or ``'wb'``) whose result appears at ``path`` only when complete."""
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_open writes only ('w' or 'wb'), got mode {mode!r}")
    with atomic_path(path) as temp_path, open(temp_path, mode, **open_kwargs) as stream:
        yield stream


def _current_umask() -> int:
    """The process umask (read by setting it and setting it back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def write_json_items(path: PathLike, head: str, items: Iterable[object], tail: str) -> int:
    """Stream ``head``, the items as compact JSON separated by commas, and ``tail`` atomically to ``path``.

    Items are produced one at a time (e.g. one nucleus), so memory does not grow with their number.
    Returns the number of items written.
    """
    count = 0
    with atomic_open(path, 'w', encoding='utf-8') as stream:
        stream.write(head)
        for item in items:
            stream.write(('\n' if count == 0 else ',\n') + json.dumps(item, separators=(',', ':')))
            count += 1
        stream.write(tail)
    return count
