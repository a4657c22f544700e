"""Join a detector checkpoint and a segmenter checkpoint into one CenterSAM checkpoint.

    python tools/model_converters/combine_centersam.py DETECTOR.pth SEGMENTER.pth OUT.pth [--keep-fp32]

Keys become ``detector.*`` (from the detector's ``state_dict``; ``data_preprocessor.*`` dropped)
and ``segmenter.*`` (Meta's SAM keys: image_encoder.*, prompt_encoder.*, mask_decoder.*; an
official SAM file works too). Optimizer state is dropped, floats cast to fp16.
"""
import argparse
import sys
from pathlib import Path

import torch

from centersam_mm.utils.checkpoints import read_state_dict
from centersam_mm.utils.publish import combine_states, save_and_describe


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Combine detector + segmenter checkpoints')
    parser.add_argument('detector', type=Path)
    parser.add_argument('segmenter', type=Path)
    parser.add_argument('dst', type=Path)
    parser.add_argument('--keep-fp32', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    det = torch.load(args.detector, map_location='cpu', weights_only=False)
    det = det.get('state_dict', det)
    seg = read_state_dict(args.segmenter)
    out = combine_states(det, seg, half=not args.keep_fp32,
                         sources=dict(detector=str(args.detector), segmenter=str(args.segmenter)))
    print(save_and_describe(out, args.dst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
