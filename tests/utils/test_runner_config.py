"""The runner options and config loading that tools/train.py and tools/test.py share."""
import argparse
import os
import sys
from pathlib import Path

from centersam_mm.utils.runner_config import add_runner_args, load_run_config, parse_runner_args

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(REPO_ROOT / 'configs' / 'centernet' / 'centernet_r18_dsb2018_cpu.py')


def _parse(argv, monkeypatch):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_runner_args(parser, 'train_cfg.max_epochs=2')
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    return parse_runner_args(parser)


def test_local_rank_is_exported_unless_the_launcher_set_it(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = _parse([CONFIG, '--local-rank', '3'], monkeypatch)
    assert args.local_rank == 3 and args.launcher == 'none'
    assert os.environ['LOCAL_RANK'] == '3'
    monkeypatch.setenv('LOCAL_RANK', '1')  # torchrun's own value wins
    _parse([CONFIG, '--local_rank', '5'], monkeypatch)
    assert os.environ['LOCAL_RANK'] == '1'


def test_cfg_options_launcher_and_work_dir_reach_the_config(monkeypatch, tmp_path):
    args = _parse([CONFIG, '--launcher', 'pytorch', '--cfg-options', 'train_cfg.max_epochs=2',
                   'model.backbone.base_channels=16'], monkeypatch)
    cfg = load_run_config(args.config, args.launcher, args.cfg_options)
    assert cfg.train_cfg.max_epochs == 2 and cfg.model.backbone.base_channels == 16
    assert cfg.launcher == 'pytorch'
    assert cfg.work_dir == './work_dirs/centernet_r18_dsb2018_cpu'  # MMDetection's default
    assert load_run_config(args.config, work_dir=str(tmp_path)).work_dir == str(tmp_path)
