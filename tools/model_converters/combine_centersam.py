"""Join a detector checkpoint and a segmenter checkpoint into one CenterSAM checkpoint.

    python tools/model_converters/combine_centersam.py DETECTOR.pth SEGMENTER.pth OUT.pth [--keep-fp32]
        [--scorer SCORER.pth] [--size-regressor SIZE.pth]

Keys become ``detector.*`` (from the detector's ``state_dict``; ``data_preprocessor.*`` dropped)
and ``segmenter.*`` (Meta's SAM keys: image_encoder.*, prompt_encoder.*, mask_decoder.*; an
official SAM file works too), and ``scorer.*`` from a CandidateScorer checkpoint when ``--scorer`` is given
(configs/scorer/), and ``size_regressor.*`` (kept in fp32) from ``--size-regressor``. Optimizer state is dropped, floats cast to fp16. DETECTOR.pth and SEGMENTER.pth may both be
an existing CenterSAM checkpoint (its ``detector.*`` / ``segmenter.*`` keys are taken), e.g. to add a scorer to a
published model:

    python tools/model_converters/combine_centersam.py MODEL.pth MODEL.pth OUT.pth --scorer SCORER.pth
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
    parser.add_argument('--scorer', type=Path, help='CandidateScorer checkpoint (tools/train.py configs/scorer/...)')
    parser.add_argument('--size-regressor', type=Path,
                        help='size regressor (tools/analysis_tools/fit_size_regressor.py): its size_regressor.* keys')
    return parser.parse_args(argv)


def model_state(path: Path) -> dict:
    """The weights of an MMEngine checkpoint (its ``state_dict``) or of a bare state dict."""
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    return checkpoint.get('state_dict', checkpoint)


def detector_state(path: Path) -> dict:
    """A detector's weights: :func:`model_state`, or the ``detector.*`` keys (unprefixed) of a CenterSAM one."""
    state = model_state(path)
    if any(key.startswith('detector.') for key in state):
        return {key[len('detector.'):]: value for key, value in state.items() if key.startswith('detector.')}
    return state


def main(argv=None) -> int:
    args = parse_args(argv)
    sources = dict(detector=str(args.detector), segmenter=str(args.segmenter))
    if args.scorer:
        sources['scorer'] = str(args.scorer)
    if args.size_regressor:
        sources['size_regressor'] = str(args.size_regressor)
    out = combine_states(detector_state(args.detector), read_state_dict(args.segmenter), half=not args.keep_fp32,
                         sources=sources, scorer=model_state(args.scorer) if args.scorer else None)
    if args.size_regressor:  # fp32: a few hundred numbers, and the regression is sensitive to rounding
        out['state_dict'].update({key: value for key, value in model_state(args.size_regressor).items()
                                  if key.startswith('size_regressor.')})
    print(save_and_describe(out, args.dst))
    return 0

if __name__ == '__main__':
    sys.exit(main())
