"""Configs of the segmenter and of CenterSAM run through tools/train.py and tools/test.py (slow)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('mmdet')
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_tool(args: list, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def data_options(root: Path, metric_ann: bool = False) -> list:
    root = f'{root}/'
    opts = [f'{d}.dataset.data_root={root}' for d in
            ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += [f'{d}.{k}' for d in ('train_dataloader', 'val_dataloader', 'test_dataloader')
             for k in ('num_workers=0', 'persistent_workers=False')]
    return opts


def epoch_options() -> list:
    """One epoch (the tiny sets hold 2 training images: 2 iterations at batch 1), then validation."""
    return ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'param_scheduler=[]',
            'default_hooks.checkpoint.save_best=None', 'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=1']


@pytest.mark.slow
def test_segmenter_config_trains_resumes_and_tests(tiny_dsb, tmp_path):
    config = 'configs/sam/sam_small_dsb2018_cpu.py'
    opts = [*data_options(tiny_dsb), 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
            'param_scheduler=[]']
    first = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *opts])
    assert first.returncode == 0, first.stderr[-3000:]
    assert 'nucleus/aji' in first.stdout + first.stderr
    more = [o.replace('max_iters=2', 'max_iters=3') for o in opts]
    resumed = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--resume',
                        '--cfg-options', *more])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'Iter(train) [3/3]' in resumed.stdout + resumed.stderr
    published = tmp_path / 'published.pth'
    pub = run_tool(['tools/model_converters/publish_checkpoint.py', str(tmp_path / 'iter_3.pth'),
                    str(published)])
    assert pub.returncode == 0, pub.stderr[-3000:]
    test = run_tool(['tools/test.py', config, str(published), '--work-dir', str(tmp_path / 't'),
                     '--cfg-options', *data_options(tiny_dsb)])
    assert test.returncode == 0, test.stderr[-3000:]


@pytest.mark.slow
def test_default_centersam_config_trains_detector_and_validates(tiny_dsb, tmp_path):
    config = 'configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py'
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options',
                       *data_options(tiny_dsb), *epoch_options()])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'nucleus/aji' in result.stdout + result.stderr


@pytest.mark.slow
def test_stock_faster_rcnn_prompts_sam(tiny_dsb, tmp_path):
    """Mixing: MMDetection's own Faster R-CNN as CenterSAM's detector trains and validates end to end."""
    config = 'configs/centersam/centersam_faster-rcnn_sam-small_dsb2018.py'
    result = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options',
                       *data_options(tiny_dsb), *epoch_options()])
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'loss_rpn_cls' in log and 'loss_bbox' in log  # Faster R-CNN's own losses were trained
    assert 'nucleus/aji' in log


def write_tissuenet(folder: Path, num: int = 2, size: int = 64) -> None:
    """Tiny TissueNet-format npz files (X: N×S×S×2 float, y: N×S×S×2 int, nuclear = channel 1)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split in ('train', 'val', 'test'):
        x = rng.random((num, size, size, 2), dtype=np.float32)
        y = np.zeros((num, size, size, 2), np.int32)
        for i in range(num):
            for k, (r, c) in enumerate([(8, 8), (30, 20), (45, 45)]):
                y[i, r:r + 10, c:c + 10, 1] = k + 1
                x[i, r:r + 10, c:c + 10, 0] += 2.0
        np.savez(folder / f'tissuenet_v1.1_{split}.npz', X=x, y=y)


@pytest.mark.slow
def test_tissuenet_config_on_generated_npz(tmp_path):
    write_tissuenet(tmp_path / 'src')
    out = tmp_path / 'tissuenet'
    conv = run_tool(['tools/dataset_converters/convert_dataset.py', 'tissuenet', str(tmp_path / 'src'),
                     str(out)])
    assert conv.returncode == 0, conv.stderr[-3000:]
    small = ['model.detector.backbone.stage_channels=[32,32,48,48,48,64]',
             'model.detector.backbone.feat_channel=32', 'model.detector.bbox_head.in_channels=32',
             'model.detector.bbox_head.feat_channels=32', 'model.segmenter.checkpoint=None']
    result = run_tool(['tools/train.py', 'configs/centersam_tissuenet.py', '--work-dir',
                       str(tmp_path / 'wd'), '--cfg-options', *data_options(out), *epoch_options(),
                       *small])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'nucleus/aji' in result.stdout + result.stderr
