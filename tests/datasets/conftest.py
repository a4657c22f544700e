"""Fixtures for dataset tests: the shared benchmark data (skipped when absent) and small copies of it."""
import hashlib
import os
import shutil
from pathlib import Path
from typing import Dict

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """``$CENTERSAM_SHARED_DATA`` or ``<repo>/../shared/data``."""
    return Path(os.environ.get('CENTERSAM_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


def tree_digest(root: Path) -> Dict[str, str]:
    """SHA-256 of every file under ``root``, by relative path (detects any change to SRC)."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob('*')) if path.is_file()}


@pytest.fixture(name='tree_digest')
def tree_digest_fixture():
    """The ``tree_digest`` function, for tests that check SRC is left untouched."""
    return tree_digest


def shared_folder_or_skip(relative: str) -> Path:
    """``relative`` under the shared data folder; the test is skipped when it is not there."""
    path = shared_data_dir() / relative
    if not path.is_dir():
        pytest.skip(f'{path} not found (set CENTERSAM_SHARED_DATA)')
    return path


@pytest.fixture(scope='session')
def dsb_src() -> Path:
    return shared_folder_or_skip('dsb2018/stage1_train')


@pytest.fixture(scope='session')
def monuseg_src() -> Path:
    return shared_folder_or_skip('monuseg/MoNuSegTestData')


@pytest.fixture
def dsb_subset(dsb_src: Path, tmp_path: Path) -> Path:
    """The first 4 DSB image folders copied into tmp_path/dsb_src."""
    subset = tmp_path / 'dsb_src'
    for image_dir in sorted(dsb_src.iterdir())[:4]:
        shutil.copytree(image_dir, subset / image_dir.name)
    return subset


@pytest.fixture
def monuseg_subset(monuseg_src: Path, tmp_path: Path) -> Path:
    """The first MoNuSeg image and its XML copied into tmp_path/monuseg_src."""
    subset = tmp_path / 'monuseg_src'
    subset.mkdir()
    tif = sorted(monuseg_src.glob('*.tif'))[0]
    shutil.copy(tif, subset)
    shutil.copy(tif.with_suffix('.xml'), subset)
    return subset


@pytest.fixture(scope='session')
def monuseg_train_src() -> Path:
    return shared_folder_or_skip('monuseg/MoNuSegTrainingData')


@pytest.fixture
def monuseg_train_subset(monuseg_train_src: Path, tmp_path: Path) -> Path:
    """The first MoNuSeg training image and its label map copied into tmp_path/monuseg_train (images/ + labels/)."""
    subset = tmp_path / 'monuseg_train'
    (subset / 'images').mkdir(parents=True)
    (subset / 'labels').mkdir()
    image = sorted((monuseg_train_src / 'images').glob('*.png'))[0]
    shutil.copy(image, subset / 'images')
    shutil.copy(monuseg_train_src / 'labels' / f'{image.stem}.tif', subset / 'labels')
    return subset
