"""Tests of tools/analysis_tools/eval_labels.py (folder pairing, JSON output, error lines)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from centersam_mm.evaluation.functional import aggregate, instance_metrics

tifffile = pytest.importorskip('tifffile')
TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'eval_labels.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('eval_labels', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def eval_labels():
    return _load_tool()


def _label_pair(seed: int):
    rng = np.random.default_rng(seed)
    gt = np.zeros((32, 32), np.uint16)
    for object_id, (row, col) in enumerate(rng.integers(0, 26, (5, 2)), start=1):
        gt[row:row + 6, col:col + 6] = object_id
    pred = np.roll(gt, 1, axis=1) * 3  # shifted, ids 3, 6, 9, ...
    return gt, pred


def _write_folders(tmp_path: Path):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    pairs = {'a': _label_pair(0), 'b': _label_pair(1)}
    for stem, (gt, pred) in pairs.items():
        tifffile.imwrite(gt_dir / f'{stem}.tif', gt)
    tifffile.imwrite(pred_dir / 'a.tif', pairs['a'][1])
    tifffile.imwrite(pred_dir / 'b_labels.tif', pairs['b'][1])  # <stem>_labels matches <stem>
    return gt_dir, pred_dir, pairs


def _expected(pairs) -> dict:
    """What eval_labels prints: the library's aggregate plus the mean centroid offset and the median box size
    ratios of matched nuclei."""
    from centersam_mm.evaluation.functional import box_size_log_ratios, centroid_offsets, mean_offset, median_log_ratio
    expected = aggregate([instance_metrics(gt, pred) for gt, pred in pairs])
    offsets = np.concatenate([centroid_offsets(gt, pred) for gt, pred in pairs])
    expected['centroid_dx'], expected['centroid_dy'] = mean_offset(offsets)
    ratios = np.concatenate([box_size_log_ratios(gt, pred) for gt, pred in pairs])
    expected['box_log_w_ratio'], expected['box_log_h_ratio'] = median_log_ratio(ratios)
    return expected


def test_scores_folders_like_the_library(tmp_path, capsys, eval_labels):
    gt_dir, pred_dir, pairs = _write_folders(tmp_path)
    csv_path = tmp_path / 'metrics.csv'
    assert eval_labels.main([str(gt_dir), str(pred_dir), '--out', str(csv_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == pytest.approx(_expected(pairs.values()))
    assert printed['n_images'] == 2 and printed['aji'] < 1.0
    rows = csv_path.read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith('image,f1_05') and rows[2].startswith('b,')


def test_png_predictions_are_read(tmp_path, capsys, eval_labels):
    image_module = pytest.importorskip('PIL.Image')
    gt_dir, pred_dir, pairs = _write_folders(tmp_path)
    (pred_dir / 'a.tif').unlink()
    image_module.fromarray(pairs['a'][1]).save(pred_dir / 'a.png')
    assert eval_labels.main([str(gt_dir), str(pred_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == pytest.approx(_expected(pairs.values()))


def test_missing_prediction_is_an_error_naming_the_file(tmp_path, capsys, eval_labels):
    gt_dir, pred_dir, pairs = _write_folders(tmp_path)
    (pred_dir / 'b_labels.tif').unlink()
    assert eval_labels.main([str(gt_dir), str(pred_dir)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.count('error:') == 1 and 'b.tif' in captured.err


def test_allow_missing_scores_against_an_empty_map(tmp_path, capsys, eval_labels):
    gt_dir, pred_dir, pairs = _write_folders(tmp_path)
    (pred_dir / 'b_labels.tif').unlink()
    assert eval_labels.main([str(gt_dir), str(pred_dir), '--allow-missing']) == 0
    gt_b = pairs['b'][0]
    expected = _expected([pairs['a'], (gt_b, np.zeros_like(gt_b))])
    printed = json.loads(capsys.readouterr().out)
    assert printed == pytest.approx(expected) and printed['fn_05'] >= 5


@pytest.mark.parametrize('content, reason', [(b'not an image', 'cannot read'), ('rgb', 'single-channel'),
                                             ('float', 'integer labels'), ('shape', 'differs')])
def test_bad_file_gives_one_line_naming_it(tmp_path, capsys, eval_labels, content, reason):
    gt_dir, pred_dir, _ = _write_folders(tmp_path)
    bad = pred_dir / 'a.tif'
    if content == 'rgb':
        tifffile.imwrite(bad, np.zeros((32, 32, 3), np.uint8), photometric='rgb')
    elif content == 'float':
        tifffile.imwrite(bad, np.zeros((32, 32), np.float32))
    elif content == 'shape':
        tifffile.imwrite(bad, np.zeros((16, 32), np.uint16))
    else:
        bad.write_bytes(content)
    assert eval_labels.main([str(gt_dir), str(pred_dir)]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and 'a.tif' in err_lines[0] and reason in err_lines[0]


@pytest.mark.slow  # a fresh interpreter imports mmdet through centersam_mm: ~10 s on 2 loaded cores
def test_runs_as_a_script(tmp_path):
    gt_dir, pred_dir, _ = _write_folders(tmp_path)
    python_path = os.pathsep.join(filter(None, [str(TOOL.parents[2]), os.environ.get('PYTHONPATH')]))
    environment = {**os.environ, 'PYTHONPATH': python_path}
    completed = subprocess.run([sys.executable, str(TOOL), str(gt_dir), str(pred_dir)], capture_output=True,
                               text=True, env=environment, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert 0 < json.loads(completed.stdout)['aji'] < 1
