"""The converter CLI: success output, one-line errors with exit status 1, argument checks."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'dataset_converters' / 'convert_dataset.py'


@pytest.fixture
def dsb_subset(tmp_path: Path) -> Path:
    """Three DSB image folders from the shared data, copied into tmp_path."""
    shared = Path(os.environ.get('CENTERSAM_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))
    src = shared / 'dsb2018' / 'stage1_train'
    if not src.is_dir():
        pytest.skip(f'{src} not found (set CENTERSAM_SHARED_DATA)')
    subset = tmp_path / 'src'
    for image_dir in sorted(src.iterdir())[:3]:
        shutil.copytree(image_dir, subset / image_dir.name)
    return subset


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_converts_and_reports_counts(dsb_subset, tmp_path):
    result = run_cli('dsb2018', str(dsb_subset), str(tmp_path / 'out'), '--split-ratio', '0,0,1', '--seed', '2')
    assert result.returncode == 0, result.stderr
    assert 'test: 3 images' in result.stdout and 'train: 0 images' in result.stdout
    assert (tmp_path / 'out' / 'annotations' / 'instances_test.json').is_file()


def test_existing_out_is_one_error_line(dsb_subset, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    result = run_cli('dsb2018', str(dsb_subset), str(out))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f'error: {out}: already exists (pass --overwrite to replace it)']


def test_bad_input_prints_file_and_problem_without_traceback(dsb_subset, tmp_path):
    image_dir = sorted(dsb_subset.iterdir())[0]
    bad = image_dir / 'images' / f'{image_dir.name}.png'
    bad.write_bytes(b'garbage')
    result = run_cli('dsb2018', str(dsb_subset), str(tmp_path / 'out'))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'error: {bad}: ')
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'out').exists()


def test_bad_split_ratio_is_a_usage_error(tmp_path):
    result = run_cli('dsb2018', str(tmp_path), str(tmp_path / 'out'), '--split-ratio', '0.5,0.6,0.1')
    assert result.returncode == 2 and 'split ratio' in result.stderr
