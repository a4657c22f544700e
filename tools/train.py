"""Train a model from a config, MMDetection style (MMEngine ``Runner``).

Examples::

    python tools/train.py configs/centernet/centernet_r18_dsb2018_cpu.py
    python tools/train.py CONFIG --resume            # continue from the last checkpoint in the work dir
    bash tools/dist_train.sh CONFIG 2                 # torchrun, 2 processes

A missing annotation file, image folder or checkpoint, and a checkpoint that is unreadable or unsafe (it pickles
code), end the command with one ``error:`` line on stderr and exit status 2. The checkpoint the run reads
(``--resume``, ``load_from``) is loaded weights-only with MMEngine's training state allow-listed
(``centersam_mm.utils.safe_load``): the runner's own checkpoints resume, a file that pickles code is refused.
"""
import argparse
import sys
from contextlib import nullcontext
from typing import Optional

from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from centersam_mm.utils.runner_config import (add_runner_args, build_runner, check_run_inputs, load_run_config,
                                              parse_runner_args, run_reporting_errors)
from centersam_mm.utils.safe_load import checkpoint_loading


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a centersam_mm / MMDetection model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest one in the work dir')
    add_runner_args(parser, 'train_cfg.max_epochs=2')
    return parse_runner_args(parser)


def build_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line overrides."""
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def checkpoint_to_read(cfg: Config) -> Optional[str]:
    """The checkpoint the runner will load: ``load_from`` (also ``--resume PATH``), or with ``--resume`` alone the
    work dir's latest; None when it starts from scratch."""
    if cfg.get('load_from'):
        return cfg.load_from
    if cfg.get('resume'):
        return find_latest_checkpoint(cfg.work_dir)
    return None


def main() -> int:
    def run() -> None:
        cfg = build_cfg(parse_args())
        check_run_inputs(cfg, 'train')
        checkpoint = checkpoint_to_read(cfg)
        runner = build_runner(cfg)
        with checkpoint_loading(checkpoint) if checkpoint is not None else nullcontext():
            runner.train()

    return run_reporting_errors(run)


if __name__ == '__main__':
    sys.exit(main())
