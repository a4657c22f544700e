"""Detector training through tools/train.py: every CenterNet config runs two iterations on CPU,
a killed run resumes with --resume and ends at the same iteration (its checkpoints read weights-only, MMEngine's
training state allow-listed; tools/test.py scores one; a --resume file that pickles code is refused unrun), and
torchrun runs two processes."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip('mmdet')
REPO_ROOT = Path(__file__).resolve().parents[2]
CENTERNET_CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs' / 'centernet').glob('*.py'))


def tiny_options(data_root: Path, max_epochs: int = 1, wrapped_train_set: bool = False,
                 train_sets: tuple = None) -> list:
    """--cfg-options retargeting a detector config to the tiny set (2 train images, batch 1: 2 iterations
    per epoch), validating at the end, checkpointing every epoch. ``wrapped_train_set``: the training set is
    a dataset wrapper (e.g. ImageGroupBalancedDataset), whose inner ``dataset`` holds the data root;
    ``train_sets``: the config keys of the training sets when there are several (a ConcatDataset)."""
    root = f'{data_root}/'
    train_set = 'train_dataloader.dataset.dataset' if wrapped_train_set else 'train_dataloader.dataset'
    return [
        *[f'{key}.data_root={root}' for key in (train_sets or (train_set,))], f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.0.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.0.ann_file={root}annotations/instances_test.json',
        'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'train_cfg.max_epochs={max_epochs}', f'train_cfg.val_interval={max_epochs}',
        'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.save_best=None',
        'default_hooks.logger.interval=1', 'load_from=None',
    ]


def run_tool(args: list, timeout: int = 600, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def last_iteration(work_dir: Path) -> int:
    """Iteration count stored in the work dir's latest checkpoint (read weights-only, training state allowed)."""
    from centersam_mm.utils.safe_load import read_checkpoint
    last = (work_dir / 'last_checkpoint').read_text().strip()
    return read_checkpoint(last)['meta']['iter']


@pytest.mark.slow
@pytest.mark.parametrize('config', CENTERNET_CONFIGS)
def test_two_training_iterations_of_each_config(config, tiny_dsb, tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / config))
    wrapped = 'dataset' in cfg.train_dataloader.dataset
    inner = cfg.train_dataloader.dataset.get('dataset', {})
    # a ConcatDataset (DSB + MoNuSeg): every part takes the tiny set, so an epoch holds it once per part
    train_sets = tuple(f'train_dataloader.dataset.dataset.datasets.{i}' for i in range(len(inner.get('datasets', []))))
    extra = []
    if cfg.get('load_from'):  # a continuation (stage 2): start from the published detector's weights
        extra = ['load_from=checkpoints/centernet_r18_dsb2018_cpu.pth']
    if 'hourglass' in config:  # the paper's hourglass is large: a two-iteration check of a slim one is enough
        extra += ['model.backbone.stage_channels=[32,32,48,48,48,64]',
                  'model.backbone.feat_channel=32', 'model.bbox_head.in_channels=32',
                  'model.bbox_head.feat_channels=32']
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path),
                       '--cfg-options', *tiny_options(tiny_dsb, wrapped_train_set=wrapped, train_sets=train_sets or None),
                       *extra])
    assert result.returncode == 0, result.stderr[-3000:]
    # two images of the tiny set per part: no shape below 20 %, nothing repeated
    assert last_iteration(tmp_path) == 2 * max(1, len(train_sets))
    assert 'box/f1' in result.stdout + result.stderr
    if extra and 'load_from' in extra[0]:
        assert 'Load checkpoint from checkpoints/centernet_r18_dsb2018_cpu.pth' in result.stdout + result.stderr


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_iteration_count(tiny_dsb, tmp_path):
    config = 'configs/centernet/centernet_r18_dsb2018_cpu.py'
    options = tiny_options(tiny_dsb, max_epochs=3)  # 6 iterations
    command = [sys.executable, 'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *options]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (tmp_path / 'epoch_1.pth').exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(0.5)  # into epoch 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (tmp_path / 'epoch_1.pth').exists(), 'the run never finished epoch 1'
    assert not (tmp_path / 'epoch_3.pth').exists(), 'the run finished before it was killed'
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--resume', '--cfg-options', *options])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed' in (result.stdout + result.stderr).lower()
    assert last_iteration(tmp_path) == 6
    check_runner_checkpoint_is_training_state_only(tmp_path / 'epoch_3.pth')
    scored = run_tool(['tools/test.py', config, str(tmp_path / 'epoch_3.pth'), '--work-dir', str(tmp_path / 'test'),
                       '--cfg-options', *options])
    assert scored.returncode == 0, scored.stderr[-3000:]
    assert 'box/f1' in scored.stdout + scored.stderr


def check_runner_checkpoint_is_training_state_only(path: Path) -> None:
    """What a runner checkpoint pickles beyond weights is exactly the allow-listed training state."""
    import torch

    from centersam_mm.utils.safe_load import training_state_allowed, unsafe_globals
    assert set(unsafe_globals(path)) <= {
        'mmengine.logging.history_buffer.HistoryBuffer', 'builtins.getattr', 'builtins.bytes', 'numpy.ndarray',
        'numpy.dtype',
        'numpy._core.multiarray._reconstruct', 'numpy._core.multiarray.scalar'}
    with training_state_allowed():
        assert unsafe_globals(path) == []
        assert torch.load(path, map_location='cpu', weights_only=True)['meta']['epoch'] == 3


@pytest.mark.slow
def test_resume_from_a_checkpoint_that_pickles_code_is_refused(tiny_dsb, tmp_path):
    import torch

    class RunsCode:
        def __reduce__(self):
            return (os.system, (f'touch {tmp_path / "code_ran"}',))

    evil = tmp_path / 'epoch_1.pth'
    torch.save(dict(meta=dict(epoch=1, iter=2, payload=RunsCode()), state_dict={}), evil)
    config = 'configs/centernet/centernet_r18_dsb2018_cpu.py'
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path / 'work'), '--resume', str(evil),
                       '--cfg-options', *tiny_options(tiny_dsb)])
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        f"error: {evil}: refused to unpickle 'posix.system' (not a plain weights file or an MMEngine training "
        "checkpoint; weights-only loading runs no code from a file)"]
    assert not (tmp_path / 'code_ran').exists()


@pytest.mark.slow
def test_dist_train_runs_two_cpu_processes(tiny_dsb, tmp_path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHON': sys.executable, 'PORT': '29517'}
    command = ['bash', 'tools/dist_train.sh', 'configs/centernet/centernet_r18_dsb2018_cpu.py', '2',
               '--work-dir', str(tmp_path), '--cfg-options', *tiny_options(tiny_dsb),
               'env_cfg.dist_cfg.backend=gloo']
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # MMEngine's name for the world size, CPU processes included
    assert last_iteration(tmp_path) == 1  # 2 train images shared by 2 processes at batch 1: one iteration
