"""Convert DSB2018 / MoNuSeg / TissueNet / images + label maps into images/, labels/, annotations/ and splits.json.

Examples:
    python tools/dataset_converters/convert_dataset.py dsb2018 ../shared/data/dsb2018/stage1_train data/dsb2018
    python tools/dataset_converters/convert_dataset.py labels ../shared/data/monuseg/MoNuSegTrainingData \\
        data/monuseg_train --crop 3x3 --split-ratio 1,0,0 --pixel-size 0.25

``labels`` reads SRC/images/<stem>.<png|tif|jpg> + SRC/labels/<stem>.tif, or Cellpose's
SRC/<stem>.tif + SRC/<stem>_masks.tif; every bad file is reported on its own line.
"""
import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from centersam_mm.datasets.converters import (BENCHMARKS, OPTIONS, ConversionError, convert,  # noqa: E402
                                              parse_crop, parse_split_ratio)


def _split_ratio(text: str) -> tuple:
    try:
        return parse_split_ratio(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _crop(text: str) -> str:
    try:
        parse_crop(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def _pixel_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float('nan')
    if not value > 0:
        raise argparse.ArgumentTypeError(f'pixel size must be a positive number of microns per pixel, got {text!r}')
    return value


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('benchmark', choices=sorted(BENCHMARKS),
                        help='labels = SRC/images/ + SRC/labels/ (or Cellpose <stem>_masks.tif files)')
    parser.add_argument('src', type=Path, help='source folder (never modified)')
    parser.add_argument('out', type=Path, help='output folder (must not exist unless --overwrite)')
    parser.add_argument('--split-ratio', type=_split_ratio, default=None,
                        help='train,val,test fractions, zeros allowed (1,0,0 = all in train; default 0.8,0.1,0.1; '
                             'tissuenet: the file-name split)')
    parser.add_argument('--seed', type=int, default=0, help='split seed (default 0)')
    parser.add_argument('--crop', type=_crop, default=None,
                        help="monuseg, labels: 'RxC' cuts each image on that grid (3x3 = MoNuSeg's protocol), "
                             "'none' keeps whole images (default: monuseg 3x3, labels none)")
    parser.add_argument('--pixel-size', type=_pixel_size, default=None, metavar='MICRONS',
                        help='labels: microns per pixel of the images, recorded in splits.json and the COCO files')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    args = parser.parse_args(argv)
    for option, value in (('crop', args.crop), ('pixel_size', args.pixel_size)):
        if value is not None and option not in OPTIONS[args.benchmark]:
            parser.error(f'{args.benchmark} takes no --{option.replace("_", "-")}')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    try:
        counts = convert(args.benchmark, args.src, args.out, args.split_ratio, args.seed, args.overwrite,
                         crop=args.crop, pixel_size=args.pixel_size)
    except ConversionError as error:
        for bad in error.errors:
            print(f'error: {bad}', file=sys.stderr)
        return 1
    for split, numbers in counts.items():
        print(f'{split}: {numbers["images"]} images, {numbers["instances"]} instances')
    print(f'total: {sum(n["images"] for n in counts.values())} images, '
          f'{sum(n["instances"] for n in counts.values())} instances -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
