"""Test (and evaluate) a checkpoint, MMDetection style (MMEngine ``Runner``).

Example::

    python tools/test.py configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py \
        checkpoints/centersam_r18_sam-small_dsb2018_cpu.pth
"""
import argparse
import os.path as osp

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from centersam_mm.utils.dist import prepare_cpu_distributed
from centersam_mm.utils.runner_config import add_runner_args, load_run_config, parse_runner_args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a centersam_mm / MMDetection model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where metrics and per-image CSVs go')
    parser.add_argument('--out', help='dump raw predictions to this .pkl file')
    add_runner_args(parser, 'test_dataloader.dataset.ann_file=...')
    return parse_runner_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: {args.checkpoint}: checkpoint file not found')
    cfg.load_from = args.checkpoint
    prepare_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.out is not None:
        from mmdet.evaluation import DumpDetResults
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'error: {args.out}: --out must end with .pkl')
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
