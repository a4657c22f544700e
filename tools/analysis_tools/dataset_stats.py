"""Density analysis of a converted dataset (paper Fig. 2, Table 3): nuclei per image, sizes, connected share.

Example:
    python tools/analysis_tools/dataset_stats.py data/dsb2018
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from centersam_mm.datasets.stats import dataset_stats, format_table, list_label_maps, save_histograms  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset', type=Path, help='converted dataset folder (with labels/ and splits.json)')
    parser.add_argument('--splits', default=None, help='comma-separated splits to include (default: all images)')
    parser.add_argument('--crop-size', type=int, default=512, help='random crop side in pixels (default 512)')
    parser.add_argument('--seed', type=int, default=0, help='crop seed (default 0)')
    parser.add_argument('--png', type=Path, default=None,
                        help='histogram PNG (default work_dirs/dataset_stats/<dataset name>.png)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    splits = args.splits.split(',') if args.splits else None
    label_paths = list_label_maps(args.dataset, splits)
    if not label_paths:
        print(f'error: {args.dataset}: no label maps found', file=sys.stderr)
        return 1
    name = args.dataset.resolve().name
    stats = dataset_stats(label_paths, args.crop_size, args.seed)
    print(format_table(name, stats))
    png = args.png or Path('work_dirs') / 'dataset_stats' / f'{name}.png'
    save_histograms(png, name, stats)
    print(f'histograms -> {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
