"""tools/train.py and tools/test.py end a run that lacks its data or checkpoint, or is given an unsafe or wrong
checkpoint, with exit status 2 and one stderr line naming the file (and the command that makes it), before
anything of the file runs (issue 18, deliverables 4 and 6)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmdet')
REPO_ROOT = Path(__file__).resolve().parents[2]
CENTERNET = str(REPO_ROOT / 'configs' / 'centernet' / 'centernet_r18_dsb2018_cpu.py')


def run_tool(args: list, cwd: Path) -> subprocess.CompletedProcess:
    """A tool run from ``cwd`` (configs resolve ``data/...`` relative to it: no data there)."""
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(REPO_ROOT)}
    return subprocess.run([sys.executable, str(REPO_ROOT / 'tools' / args[0]), *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def only_stderr_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith('error: ')
    return lines[0]


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_train_without_converted_tissuenet_names_the_file_and_the_converter(tmp_path):
    result = run_tool(['train.py', str(REPO_ROOT / 'configs' / 'centersam_tissuenet.py'), '--work-dir',
                       str(tmp_path / 'work')], cwd=tmp_path)
    assert only_stderr_line(result) == (
        "error: data/tissuenet/annotations/instances_train.json not found: make it with "
        "'python tools/dataset_converters/convert_dataset.py tissuenet SRC data/tissuenet' "
        "(SRC: a folder of TissueNet v1 .npz files from https://datasets.deepcell.org)")
    assert not (tmp_path / 'work').exists()  # nothing was built


def test_test_with_a_missing_checkpoint_says_so(tmp_path):
    result = run_tool(['test.py', CENTERNET, 'missing.pth', '--work-dir', str(tmp_path / 'work')], cwd=tmp_path)
    assert only_stderr_line(result) == 'error: missing.pth: checkpoint file not found (the CHECKPOINT argument)'


def test_test_without_data_names_make_data(tmp_path):
    checkpoint = REPO_ROOT / 'checkpoints' / 'centernet_r18_dsb2018_cpu.pth'
    result = run_tool(['test.py', CENTERNET, str(checkpoint), '--work-dir', str(tmp_path / 'work')], cwd=tmp_path)
    assert only_stderr_line(result).startswith(
        "error: data/dsb2018/annotations/instances_test.json not found: make it with 'make data'")


@pytest.fixture
def test_set(tmp_path) -> list:
    """--cfg-options pointing the test split at an (empty) set whose files exist: the run gets to the checkpoint."""
    root = tmp_path / 'set'
    (root / 'images').mkdir(parents=True)
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'instances_test.json').write_text('{}')
    return ['--cfg-options', f'test_dataloader.dataset.data_root={root}/',
            f'test_evaluator.0.ann_file={root}/annotations/instances_test.json']


def test_test_refuses_a_checkpoint_that_pickles_code(tmp_path, test_set):
    marker = tmp_path / 'code_ran'
    evil = tmp_path / 'evil.pth'
    torch.save(dict(meta=dict(payload=_RunsCode(marker)), state_dict={}), evil)
    result = run_tool(['test.py', CENTERNET, str(evil), '--work-dir', str(tmp_path / 'work'), *test_set], cwd=tmp_path)
    assert only_stderr_line(result) == (
        f"error: {evil}: refused to unpickle 'posix.system' (not a plain weights file or an MMEngine training "
        "checkpoint; weights-only loading runs no code from a file)")
    assert not marker.exists()


def test_test_refuses_the_weights_of_another_model(tmp_path, test_set):
    sam = REPO_ROOT / 'checkpoints' / 'sam_small_dsb2018_cpu.pth'
    result = run_tool(['test.py', CENTERNET, str(sam), '--work-dir', str(tmp_path / 'work'), *test_set], cwd=tmp_path)
    assert only_stderr_line(result).startswith(f'error: {sam} does not fit the model: none of its ')
