"""Test (and evaluate) a checkpoint, MMDetection style (MMEngine ``Runner``).

Example::

    python tools/test.py configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py \
        checkpoints/centersam_r18_sam-small_dsb2018_cpu.pth

A missing checkpoint, annotation file or image folder, and a checkpoint that is unreadable, unsafe (it pickles
code) or not weights of the config's model, end the command with one ``error:`` line on stderr and exit status 2.
The checkpoint is read weights-only, MMEngine's training state allow-listed (``centersam_mm.utils.safe_load``),
so the runner's own ``epoch_N.pth`` load as well as published weights.
"""
import argparse
import sys

from centersam_mm.utils.runner_config import (add_runner_args, build_runner, check_run_inputs, load_run_config,
                                              parse_runner_args, run_reporting_errors)
from centersam_mm.utils.safe_load import check_weights_fit, checkpoint_loading, read_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a centersam_mm / MMDetection model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where metrics and per-image CSVs go')
    parser.add_argument('--out', help='dump raw predictions to this .pkl file')
    add_runner_args(parser, 'test_dataloader.dataset.ann_file=...')
    return parse_runner_args(parser)


def main() -> int:
    args = parse_args()
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        print(f'error: {args.out}: --out must end with .pkl', file=sys.stderr)
        return 2

    def run() -> None:
        cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
        check_run_inputs(cfg, 'test', args.checkpoint)
        cfg.load_from = args.checkpoint
        runner = build_runner(cfg)
        # a file of another model would leave it at its initial weights and score it: refuse it (tensors mapped)
        check_weights_fit(runner.model, read_checkpoint(args.checkpoint, mmap=True), args.checkpoint)
        if args.out is not None:
            from mmdet.evaluation import DumpDetResults
            runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
        with checkpoint_loading(args.checkpoint):
            runner.test()

    return run_reporting_errors(run)


if __name__ == '__main__':
    sys.exit(main())
