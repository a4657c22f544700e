"""Every config loads in a clean clone, every checkpoint it loads is in the repository, and every file in
checkpoints/ is named by a config or a README (configs/recipes/README.md holds each published model's recipe)."""
import importlib
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs').rglob('*.py'))
READMES = ('README.md', 'configs/recipes/README.md')
CHECKPOINT_SUFFIXES = ('.pth', '.pt', '.bin', '.safetensors', '.ckpt')


def _load(config: str):
    import centersam_mm  # noqa: F401  (registers the plugin's modules and config lookups)
    from mmengine.config import Config
    return Config.fromfile(str(REPO_ROOT / config))


@lru_cache(maxsize=None)
def _official_names() -> frozenset:
    """Names of official SAM weights (fetched by tools/download_checkpoint.py, never in the repository)."""
    for module in ('centersam_mm.utils.checkpoints', 'centersam_mm.models.segmenters.checkpoints',
                   'centersam_mm.models.segmenters.sam_checkpoints'):
        try:
            return frozenset(importlib.import_module(module).OFFICIAL_CHECKPOINTS)
        except (ImportError, AttributeError):
            continue
    raise AssertionError('OFFICIAL_CHECKPOINTS (the official SAM checkpoint names) not found')


@lru_cache(maxsize=None)
def _tracked() -> frozenset:
    """Files a clean clone has: git's tracked files (the working tree when git cannot tell)."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return frozenset()
    return frozenset(name for name in out.decode().split('\0') if name)


def _in_clean_clone(path: str) -> bool:
    file = REPO_ROOT / path
    if not file.is_file():
        return False
    tracked = _tracked()
    return not tracked or str(Path(path)) in tracked


def _checkpoints_named(node, key=None):
    """(key, value) of every `load_from` and every string `checkpoint` anywhere in a resolved config."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _checkpoints_named(v, k)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _checkpoints_named(v, key)
    elif isinstance(node, str) and key in ('load_from', 'checkpoint'):
        yield key, node


def _is_path(value: str) -> bool:
    return '/' in value or '\\' in value or value.endswith(CHECKPOINT_SUFFIXES)


def test_configs_are_found():
    assert len(CONFIGS) > 20
    assert 'configs/centernet/centernet_r18-skip_dsb2018_cpu.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_config_loads_and_its_checkpoints_are_in_the_repository(config):
    cfg = _load(config)
    for key, value in _checkpoints_named(cfg.to_dict()):
        if '://' in value:  # a URL or MMEngine scheme (torchvision://, open-mmlab://): fetched, not a file here
            continue
        if not _is_path(value):
            assert value in _official_names(), f'{config}: {key}={value!r} is neither a path nor an official name'
            continue
        assert not Path(value).is_absolute(), f'{config}: {key}={value!r} must be relative to the repository'
        assert _in_clean_clone(value), (
            f'{config}: {key}={value!r} is not in the repository (a clean clone lacks it); a recipe stage that '
            'continues an unpublished run sets load_from = None and names the run in configs/recipes/README.md')


def test_every_published_checkpoint_is_named_by_a_config_or_a_readme():
    files = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'checkpoints').rglob('*')
                   if p.is_file() and not p.name.startswith('.'))
    assert files, 'checkpoints/ is empty'
    texts = [_load(config).pretty_text for config in CONFIGS]
    texts += [(REPO_ROOT / name).read_text(encoding='utf-8') for name in READMES if (REPO_ROOT / name).is_file()]
    unnamed = [name for name in files if not any(name in text for text in texts)]
    assert not unnamed, f'named by no config and no README ({", ".join(READMES)}): {unnamed}'


def test_runtime_base_is_mmdetections_written_out():
    """configs/_base_/default_runtime.py writes out MMDetection's runtime base (inheriting it as `mmdet::` costs
    every start-up 0.3-0.4 s): MMDetection's settings with this project's own changes made on them, nothing else."""
    import mmdet
    from mmengine.config import Config
    expected = Config.fromfile(str(Path(mmdet.__file__).parent / '.mim/configs/_base_/default_runtime.py')).to_dict()
    expected['default_hooks']['logger']['interval'] = 10
    expected['default_hooks']['checkpoint'].update(max_keep_ckpts=2, save_last=True)
    expected['log_processor']['window_size'] = 10
    expected['custom_imports'] = dict(imports=['centersam_mm'], allow_failed_imports=False)
    assert _load('configs/_base_/default_runtime.py').to_dict() == expected
