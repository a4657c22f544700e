"""The converter CLI: success output, one-line errors with exit status 1, argument checks."""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

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


@pytest.fixture
def label_src(tmp_path: Path) -> Path:
    """images/ + labels/ with two 12x12 images, two nuclei each."""
    src = tmp_path / 'labels_src'
    (src / 'images').mkdir(parents=True)
    (src / 'labels').mkdir()
    for stem in ('p', 'q'):
        cv2.imwrite(str(src / 'images' / f'{stem}.png'), np.full((12, 12, 3), 90, np.uint8))
        label_map = np.zeros((12, 12), np.uint16)
        label_map[1:4, 1:4], label_map[4:9, 4:9] = 5, 9  # the second one is cut by both crop borders
        tifffile.imwrite(src / 'labels' / f'{stem}.tif', label_map)
    return src


def test_labels_with_crops_and_pixel_size(label_src, tmp_path):
    result = run_cli('labels', str(label_src), str(tmp_path / 'out'), '--crop', '2x2', '--split-ratio', '1,0,0',
                     '--pixel-size', '0.25')
    assert result.returncode == 0, result.stderr
    assert 'train: 8 images, 10 instances' in result.stdout and 'val: 0 images' in result.stdout


def test_labels_prints_one_line_per_bad_file(label_src, tmp_path):
    (label_src / 'labels' / 'p.tif').unlink()
    tifffile.imwrite(label_src / 'labels' / 'q.tif', np.zeros((12, 13), np.uint16))
    result = run_cli('labels', str(label_src), str(tmp_path / 'out'))
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f'error: {label_src / "labels" / "p.tif"}: label map for image p.png is missing',
        f'error: {label_src / "labels" / "q.tif"}: label map shape 12x13 differs from image q.png shape 12x12']
    assert not (tmp_path / 'out').exists()


@pytest.fixture(scope='module')
def cli_module():
    """The CLI script imported in-process (argument checks need no subprocess)."""
    spec = importlib.util.spec_from_file_location('convert_dataset_cli', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('args, message', [
    (('dsb2018', '--crop', '3x3'), 'dsb2018 takes no --crop'),
    (('monuseg', '--pixel-size', '0.25'), 'monuseg takes no --pixel-size'),
    (('labels', '--crop', '3'), 'crop must be'),
    (('labels', '--pixel-size', '-1'), 'pixel size must be'),
])
def test_options_a_benchmark_does_not_take_are_usage_errors(cli_module, capsys, args, message):
    with pytest.raises(SystemExit) as raised:
        cli_module.parse_args([args[0], 'src', 'out', *args[1:]])
    assert raised.value.code == 2 and message in capsys.readouterr().err
