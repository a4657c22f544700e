"""Fixtures shared by the whole suite: where ../shared/data is, and a tiny converted DSB set."""
import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """``$CENTERSAM_SHARED_DATA`` or ``<repo>/../shared/data`` (read-only benchmark data)."""
    return Path(os.environ.get('CENTERSAM_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


@pytest.fixture(scope='session')
def shared_data() -> Path:
    root = shared_data_root()
    if not (root / 'dsb2018' / 'stage1_train').is_dir():
        pytest.skip(f'shared data not found at {root}')
    return root


@pytest.fixture(scope='session')
def tiny_dsb(shared_data, tmp_path_factory) -> Path:
    """Four DSB images converted to data/ layout: 2 train, 2 val (the same 2 also as test)."""
    from centersam_mm.datasets.converters import convert
    src = tmp_path_factory.mktemp('dsb_src')
    image_dirs = sorted((shared_data / 'dsb2018' / 'stage1_train').iterdir())[:4]
    for image_dir in image_dirs:
        shutil.copytree(image_dir, src / image_dir.name)
    out = tmp_path_factory.mktemp('dsb_tiny') / 'dsb2018'
    convert('dsb2018', src, out, (0.5, 0.5, 0.0), 0, False)
    test_json = out / 'annotations' / 'instances_test.json'
    shutil.copy(out / 'annotations' / 'instances_val.json', test_json)
    return out
