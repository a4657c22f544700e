"""Convert DSB2018 / MoNuSeg / TissueNet into images/, labels/, annotations/ and splits.json.

Example:
    python tools/dataset_converters/convert_dataset.py dsb2018 ../shared/data/dsb2018/stage1_train data/dsb2018
"""
import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from centersam_mm.datasets.converters import BENCHMARKS, ConversionError, convert, parse_split_ratio  # noqa: E402


def _split_ratio(text: str) -> tuple:
    try:
        return parse_split_ratio(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('benchmark', choices=sorted(BENCHMARKS))
    parser.add_argument('src', type=Path, help='source folder (never modified)')
    parser.add_argument('out', type=Path, help='output folder (must not exist unless --overwrite)')
    parser.add_argument('--split-ratio', type=_split_ratio, default=None,
                        help='train,val,test fractions (default 0.8,0.1,0.1; tissuenet: the file-name split)')
    parser.add_argument('--seed', type=int, default=0, help='split seed (default 0)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    try:
        counts = convert(args.benchmark, args.src, args.out, args.split_ratio, args.seed, args.overwrite)
    except ConversionError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    for split, numbers in counts.items():
        print(f'{split}: {numbers["images"]} images, {numbers["instances"]} instances')
    print(f'total: {sum(n["images"] for n in counts.values())} images, '
          f'{sum(n["instances"] for n in counts.values())} instances -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
