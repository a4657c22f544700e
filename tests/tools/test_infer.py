"""tools/infer.py and tools/dist_infer.sh as a user runs them (stub model unless the checkpoint exists)."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from _tool_loader import load_tool

from centersam_mm.apis.segmenter import DEFAULT_CHECKPOINT as DEFAULT_CHECKPOINT_NAME
from centersam_mm.apis.segmenter import find_repo_file

REPO = Path(__file__).resolve().parents[2]
DEMO_IMAGES = sorted((REPO / 'demo').glob('*.png'))
DEFAULT_CHECKPOINT = find_repo_file(DEFAULT_CHECKPOINT_NAME)
infer_tool = load_tool('infer.py')


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Two demo images, an all-black image, and a corrupt PNG."""
    folder = tmp_path / 'images'
    folder.mkdir()
    for path in DEMO_IMAGES[:2]:
        shutil.copy(path, folder / path.name)
    cv2.imwrite(str(folder / 'black.png'), np.zeros((64, 80), np.uint8))
    (folder / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    return folder


def _run(*args: str) -> int:
    return infer_tool.main([*map(str, args), '--model', 'stub'])


def _check_outputs_agree(out: Path, stem: str) -> int:
    """Label image, GeoJSON and CSV of one image describe the same nuclei; returns their number."""
    labels = tifffile.imread(out / f'{stem}_labels.tif')
    assert labels.dtype == np.uint16
    count = len(np.unique(labels[labels > 0]))
    assert labels.max() == count
    features = json.loads((out / f'{stem}.geojson').read_text())['features']
    with open(out / f'{stem}_nuclei.csv', newline='') as stream:
        rows = list(csv.DictReader(stream))
    assert len(features) == len(rows) == count
    assert cv2.imread(str(out / f'{stem}_overlay.png')).shape[:2] == labels.shape
    return count


def test_folder_run_writes_outputs_reports_bad_file_and_fails(image_folder, tmp_path, capsys):
    out = tmp_path / 'out'
    assert _run(image_folder, '--out', out) == 1  # the corrupt file makes the run fail...
    printed = capsys.readouterr().out
    assert 'corrupt.png: FAILED' in printed and '1 failed' in printed
    for path in DEMO_IMAGES[:2]:  # ...but every other image was segmented
        assert _check_outputs_agree(out, path.stem) > 0
    assert _check_outputs_agree(out, 'black') == 0
    assert json.loads((out / 'black.geojson').read_text()) == {'type': 'FeatureCollection', 'features': []}
    assert not list(out.glob('corrupt*')) and not list(out.glob('.*tmp*'))


def test_existing_outputs_are_skipped_unless_overwrite(tmp_path, capsys):
    out = tmp_path / 'out'
    assert _run(DEMO_IMAGES[0], '--out', out) == 0
    labels_path = out / f'{DEMO_IMAGES[0].stem}_labels.tif'
    labels_path.write_bytes(b'sentinel')
    assert _run(DEMO_IMAGES[0], '--out', out) == 0
    assert 'skipped' in capsys.readouterr().out and labels_path.read_bytes() == b'sentinel'
    assert _run(DEMO_IMAGES[0], '--out', out, '--overwrite') == 0
    assert labels_path.read_bytes() != b'sentinel'


def test_missing_outputs_are_completed(tmp_path):
    out = tmp_path / 'out'
    assert _run(DEMO_IMAGES[0], '--out', out, '--formats', 'tif') == 0
    assert _run(DEMO_IMAGES[0], '--out', out, '--formats', 'tif,coco') == 0
    results = json.loads((out / f'{DEMO_IMAGES[0].stem}_coco.json').read_text())
    assert results and {'segmentation', 'score', 'bbox', 'image_id'} <= set(results[0])


def test_recursive_glob_and_bad_arguments(tmp_path, capsys):
    nested = tmp_path / 'in' / 'sub'
    nested.mkdir(parents=True)
    shutil.copy(DEMO_IMAGES[0], nested / 'a.png')
    assert _run(tmp_path / 'in', '--out', tmp_path / 'flat') == 2  # nothing at the top level
    assert _run(tmp_path / 'in', '--recursive', '--out', tmp_path / 'deep', '--formats', 'csv') == 0
    assert (tmp_path / 'deep' / 'sub' / 'a_nuclei.csv').is_file()
    assert _run(str(tmp_path / 'in' / '*' / '*.png'), '--out', tmp_path / 'glob', '--formats', 'csv') == 0
    assert (tmp_path / 'glob' / 'a_nuclei.csv').is_file()
    assert _run(DEMO_IMAGES[0], '--out', tmp_path / 'x', '--formats', 'tif,jpg') == 2
    assert 'unknown format' in capsys.readouterr().err


def test_large_image_is_tiled_and_matches_whole(tmp_path):
    # the 256x256 fluorescence demo images (nuclei < overlap)
    fluorescence = [path for path in DEMO_IMAGES if path.stem.startswith('dsb_') and path.stem != 'dsb_8e507d58']
    mosaic = np.vstack([np.hstack([cv2.imread(str(path)) for path in fluorescence])] * 2)  # 512 x 768
    cv2.imwrite(str(tmp_path / 'mosaic.png'), mosaic)
    assert _run(tmp_path / 'mosaic.png', '--out', tmp_path / 'whole', '--tile-size', '0', '--formats', 'tif') == 0
    assert _run(tmp_path / 'mosaic.png', '--out', tmp_path / 'tiled', '--tile-size', '300', '--tile-overlap', '96',
                '--formats', 'tif') == 0
    whole = tifffile.imread(tmp_path / 'whole' / 'mosaic_labels.tif')
    tiled = tifffile.imread(tmp_path / 'tiled' / 'mosaic_labels.tif')
    np.testing.assert_array_equal(tiled, whole)


@pytest.mark.slow
def test_dist_infer_two_processes_equals_single_run(image_folder, tmp_path):
    shutil.copy(DEMO_IMAGES[2], image_folder / DEMO_IMAGES[2].name)
    (image_folder / 'corrupt.png').unlink()
    single, sharded = tmp_path / 'single', tmp_path / 'sharded'
    assert _run(image_folder, '--out', single) == 0
    env = dict(os.environ, PYTHON=sys.executable)
    completed = subprocess.run(['bash', str(REPO / 'tools' / 'dist_infer.sh'), '2', str(image_folder), '--out',
                                str(sharded), '--model', 'stub'], env=env, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert '[rank 1/2]' in completed.stdout
    single_files = sorted(path.name for path in single.iterdir())
    assert single_files == sorted(path.name for path in sharded.iterdir())
    for name in single_files:
        assert (single / name).read_bytes() == (sharded / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason='default checkpoint not trained/downloaded yet')
def test_default_model_on_one_demo_image(tmp_path):
    out = tmp_path / 'out'
    assert infer_tool.main([str(DEMO_IMAGES[0]), '--out', str(out)]) == 0
    assert _check_outputs_agree(out, DEMO_IMAGES[0].stem) > 0
