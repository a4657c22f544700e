"""The model builder works from an installed package: configs/ and checkpoints/ travel in the wheel (.mim)."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from centersam_mm.apis import segmenter as segmenter_module

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_config_names_resolve_from_package_data(tmp_path, monkeypatch):
    """Without a checkout (REPO_ROOT lacking configs/), names and the default files come from the package's .mim."""
    mim = tmp_path / 'mim'
    (mim / 'configs' / 'centersam').mkdir(parents=True)
    (mim / 'configs' / 'centersam' / 'my_model.py').write_text('model = dict()\n')
    monkeypatch.setattr(segmenter_module, 'REPO_ROOT', tmp_path / 'no_checkout')
    monkeypatch.setattr(segmenter_module, 'PACKAGE_DATA', mim)
    monkeypatch.chdir(tmp_path)
    assert segmenter_module.resolve_config('my_model') == mim / 'configs' / 'centersam' / 'my_model.py'


@pytest.mark.slow
def test_wheel_carries_configs_and_default_checkpoint(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
                    str(tmp_path), str(REPO_ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob('centersam_mm-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'centersam_mm/.mim/' + segmenter_module.DEFAULT_CONFIG in names
    assert 'centersam_mm/.mim/' + segmenter_module.DEFAULT_CHECKPOINT in names
    assert 'centersam_mm/.mim/configs/_base_/datasets/dsb2018_detection.py' in names
