"""Detector training through tools/train.py: every CenterNet config runs two iterations on CPU,
a killed run resumes with --resume and ends at the same iteration, and torchrun runs two processes."""
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


def tiny_options(data_root: Path, max_iters: int = 2, batch_size: int = 2) -> list:
    """--cfg-options that retarget a detector config to the tiny set and an iteration-based loop."""
    root = f'{data_root}/'
    return [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.0.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.0.ann_file={root}annotations/instances_test.json',
        f'train_dataloader.batch_size={batch_size}', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'train_cfg.type=IterBasedTrainLoop', f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
        'param_scheduler=[]', 'default_hooks.checkpoint.by_epoch=False', 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.save_best=None', 'default_hooks.logger.interval=1', 'log_processor.by_epoch=False',
        'load_from=None',
    ]


def run_tool(args: list, timeout: int = 600, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def last_iteration(work_dir: Path) -> int:
    """Iteration count stored in the work dir's latest checkpoint."""
    import torch
    last = (work_dir / 'last_checkpoint').read_text().strip()
    return torch.load(last, map_location='cpu', weights_only=False)['meta']['iter']


@pytest.mark.slow
@pytest.mark.parametrize('config', CENTERNET_CONFIGS)
def test_two_training_iterations_of_each_config(config, tiny_dsb, tmp_path):
    extra = []
    if 'hourglass' in config:  # the paper's hourglass is large: a two-iteration check at 128 px is enough
        extra = ['train_dataloader.batch_size=1', 'model.backbone.stage_channels=[32,32,48,48,48,64]',
                 'model.backbone.feat_channel=32', 'model.bbox_head.in_channels=32',
                 'model.bbox_head.feat_channels=32']
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path),
                       '--cfg-options', *tiny_options(tiny_dsb), *extra])
    assert result.returncode == 0, result.stderr[-3000:]
    assert last_iteration(tmp_path) == 2
    assert 'box/f1' in result.stdout + result.stderr


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_iteration_count(tiny_dsb, tmp_path):
    config = 'configs/centernet/centernet_r18_dsb2018_cpu.py'
    options = tiny_options(tiny_dsb, max_iters=6, batch_size=1)
    command = [sys.executable, 'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *options]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(tmp_path.glob('iter_3.pth')) and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (tmp_path / 'iter_3.pth').exists(), 'the run never reached iteration 3'
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--resume', '--cfg-options', *options])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed' in (result.stdout + result.stderr).lower()
    assert last_iteration(tmp_path) == 6


@pytest.mark.slow
def test_dist_train_runs_two_cpu_processes(tiny_dsb, tmp_path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHON': sys.executable, 'PORT': '29517'}
    command = ['bash', 'tools/dist_train.sh', 'configs/centernet/centernet_r18_dsb2018_cpu.py', '2',
               '--work-dir', str(tmp_path), '--cfg-options', *tiny_options(tiny_dsb, batch_size=1),
               'env_cfg.dist_cfg.backend=gloo']
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'world_size: 2' in log or 'world_size=2' in log.replace(' ', '')
    assert last_iteration(tmp_path) == 2
