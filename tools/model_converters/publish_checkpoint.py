"""Publish a training checkpoint: keep only the weights, floats in half precision.

    python tools/model_converters/publish_checkpoint.py IN.pth OUT.pth [--keep-fp32]

Drops optimizer / scheduler / message-hub state and writes ``{'meta': ..., 'state_dict': ...}``
(MMEngine's layout, so ``load_from`` and ``load_checkpoint`` read it); the SHA-256 prefix of
the output is printed (append it to the file name when releasing).
"""
import argparse
import sys
from pathlib import Path

import torch

from centersam_mm.utils.publish import publish_state, save_and_describe


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Strip a checkpoint and cast it to fp16')
    parser.add_argument('src', type=Path)
    parser.add_argument('dst', type=Path)
    parser.add_argument('--keep-fp32', action='store_true', help='do not cast to fp16')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    ckpt = torch.load(args.src, map_location='cpu', weights_only=False)
    out = publish_state(ckpt, half=not args.keep_fp32)
    print(save_and_describe(out, args.dst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
