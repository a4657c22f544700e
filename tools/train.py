"""Train a model from a config, MMDetection style (MMEngine ``Runner``).

Examples::

    python tools/train.py configs/centernet/centernet_r18_dsb2018_cpu.py
    python tools/train.py CONFIG --resume            # continue from the last checkpoint in the work dir
    bash tools/dist_train.sh CONFIG 2                 # torchrun, 2 processes
"""
import argparse

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from centersam_mm.utils.dist import prepare_cpu_distributed
from centersam_mm.utils.runner_config import add_runner_args, load_run_config, parse_runner_args


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


def main() -> None:
    cfg = build_cfg(parse_args())
    prepare_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
