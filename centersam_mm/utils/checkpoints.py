"""SAM checkpoints by name: download (SHA-256 checked, atomic), cache, read with clear errors (loading into a
model: ``centersam_mm.models.segmenters.sam_checkpoint``).

Configs say ``checkpoint='sam_vit_h'``; :func:`resolve_checkpoint` turns a name
into a file in the cache (``$CENTERSAM_CACHE``, default
``~/.cache/centersam_mm/checkpoints``) and a path into itself. Official files
come from Meta (URLs of segment-anything's README); their SHA-256 and sizes are
the values published alongside many independent projects (micro-sam, ...).
"""
import hashlib
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import torch


class CheckpointError(RuntimeError, ValueError):
    """A checkpoint is missing, unreadable, corrupt, unsafe or of the wrong architecture (the message is one line).

    Also a ``ValueError``: what the command-line tools report in one line without a traceback.
    """


@dataclass(frozen=True)
class CheckpointSpec:
    """An official checkpoint: where it lives and how to verify it."""

    name: str
    arch: str
    url: str
    sha256: Optional[str]
    size: Optional[int]

    @property
    def filename(self) -> str:
        return self.url.rsplit('/', 1)[-1]


_BASE = 'https://dl.fbaipublicfiles.com/segment_anything/'
OFFICIAL_CHECKPOINTS: Dict[str, CheckpointSpec] = {
    'sam_vit_h': CheckpointSpec(
        'sam_vit_h', 'vit_h', _BASE + 'sam_vit_h_4b8939.pth',
        'a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e', 2564550879),
    'sam_vit_l': CheckpointSpec(
        'sam_vit_l', 'vit_l', _BASE + 'sam_vit_l_0b3195.pth',
        '3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622', 1249524607),
    'sam_vit_b': CheckpointSpec(
        'sam_vit_b', 'vit_b', _BASE + 'sam_vit_b_01ec64.pth',
        'ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912', 375042383),
}
SAM_PREFIXES = ('image_encoder.', 'prompt_encoder.', 'mask_decoder.')


def cache_dir() -> Path:
    """``$CENTERSAM_CACHE`` or ``~/.cache/centersam_mm/checkpoints``."""
    env = os.environ.get('CENTERSAM_CACHE')
    return Path(env).expanduser() if env else Path.home() / '.cache' / 'centersam_mm' / 'checkpoints'


def _how_to_get(spec: CheckpointSpec, dest: Path) -> str:
    return (f"download {spec.url} to {dest} (or run: python tools/download_checkpoint.py "
            f"{spec.name})")


def resolve_checkpoint(name_or_path: str) -> Path:
    """File of an official checkpoint name (must be in the cache) or an existing path."""
    spec = OFFICIAL_CHECKPOINTS.get(name_or_path)
    if spec is not None:
        path = cache_dir() / spec.filename
        if not path.is_file():
            raise CheckpointError(f"checkpoint '{spec.name}' is not in the cache: "
                                  + _how_to_get(spec, path))
        return path
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ', '.join(OFFICIAL_CHECKPOINTS)
        raise CheckpointError(f"checkpoint '{name_or_path}' is neither a file nor a known name "
                              f"({known})")
    return path


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(block), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _stream_to(response, tmp: Path, block: int = 1 << 20) -> Tuple[str, int]:
    """Copy an HTTP response into ``tmp``; return (sha256, bytes)."""
    digest, size = hashlib.sha256(), 0
    with open(tmp, 'wb') as f:
        for chunk in iter(lambda: response.read(block), b''):
            digest.update(chunk)
            f.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _verify(spec: CheckpointSpec, sha: str, size: int) -> None:
    """Raise CheckpointError on a size or SHA-256 mismatch (SHA None: size only)."""
    if spec.size is not None and size != spec.size:
        raise CheckpointError(f'{spec.name}: downloaded {size} bytes, expected {spec.size}')
    if spec.sha256 is not None and sha != spec.sha256:
        raise CheckpointError(f'{spec.name}: SHA-256 {sha} does not match {spec.sha256}')


def download_checkpoint(name: str, directory: Optional[Path] = None,
                        timeout: float = 10.0) -> Path:
    """Fetch an official checkpoint into the cache, verified and written atomically.

    The file is streamed into a temporary file next to the destination, checked
    (size, SHA-256) and renamed; on any failure the temporary file is removed.
    Unreachable network -> CheckpointError at once (``timeout`` seconds) saying
    what to download and where to put it.
    """
    if name not in OFFICIAL_CHECKPOINTS:
        raise CheckpointError(f"unknown checkpoint '{name}'; known: {', '.join(OFFICIAL_CHECKPOINTS)}")
    spec = OFFICIAL_CHECKPOINTS[name]
    directory = Path(directory) if directory is not None else cache_dir()
    dest = directory / spec.filename
    if dest.is_file() and (spec.sha256 is None or sha256_file(dest) == spec.sha256):
        return dest
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=spec.filename + '.', suffix='.part', dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            with urllib.request.urlopen(spec.url, timeout=timeout) as response:
                sha, size = _stream_to(response, tmp)
        except (urllib.error.URLError, socket.timeout, OSError) as err:
            raise CheckpointError(f'cannot reach {spec.url} ({_reason(err)}): '
                                  + _how_to_get(spec, dest)) from err
        _verify(spec, sha, size)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _reason(err: Exception) -> str:
    reason = getattr(err, 'reason', None) or err
    return str(reason).splitlines()[0] if str(reason) else type(err).__name__


# ---------------------------------------------------------------- loading
def read_state_dict(path: Path) -> Dict[str, torch.Tensor]:
    """State dict of a SAM checkpoint file: Meta's plain dict, an MMEngine checkpoint
    (``state_dict``/``meta``), or a CenterSAM one (``segmenter.*`` keys are taken).

    Read weights-only (:func:`~centersam_mm.utils.safe_load.read_checkpoint`) without the training-state
    allow-list: a training checkpoint is refused with the command that strips it, anything else that pickles
    a global with a one-line :class:`~centersam_mm.utils.safe_load.UnsafeCheckpointError`.
    """
    from .safe_load import UnsafeCheckpointError, read_checkpoint
    try:
        obj = read_checkpoint(path, 'cpu', training_state=False)
    except UnsafeCheckpointError as err:
        if _only_training_state(path):
            raise CheckpointError(
                f'{path} holds pickled Python objects (an MMEngine training checkpoint?); strip it '
                'first: python tools/model_converters/publish_checkpoint.py IN OUT') from err
        raise
    if isinstance(obj, Mapping) and 'state_dict' in obj:
        obj = obj['state_dict']
    if not isinstance(obj, Mapping):
        raise CheckpointError(f'{path}: holds a {type(obj).__name__}, not a state dict')
    if any(k.startswith('segmenter.') for k in obj):
        obj = {k[len('segmenter.'):]: v for k, v in obj.items() if k.startswith('segmenter.')}
    return {k: v for k, v in obj.items() if k.startswith(SAM_PREFIXES)}


def _only_training_state(path: Path) -> bool:
    """Whether every global of ``path`` that weights-only loading refuses is MMEngine training state."""
    from .safe_load import training_state_allowed, unsafe_globals
    with training_state_allowed():
        return unsafe_globals(path) == []
