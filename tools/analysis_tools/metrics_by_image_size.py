"""Group a NucleusInstanceMetric per-image CSV by image size: where the misses are.

    python tools/analysis_tools/metrics_by_image_size.py work_dirs/<run>/<stamp>/nucleus_metrics.csv \
        [--labels data/dsb2018/labels]

Each CSV row (``image`` = stem, ``tp_05``, ``fp_05``, ``fn_05``, ``aji``) is put in the group of its label map's
shape (``<labels>/<stem>.tif``, H x W). Prints a Markdown table: images, nuclei, pooled recall and precision at
IoU 0.5, mean AJI per group, smallest size first.
"""
import argparse
import csv
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from centersam_mm.evaluation.label_files import read_label_map


def group_by_shape(rows: List[Dict[str, str]], labels_dir: Path) -> Dict[Tuple[int, int], List[Dict[str, str]]]:
    """{(H, W): rows of the images of that shape}."""
    groups = defaultdict(list)
    for row in rows:
        groups[read_label_map(labels_dir / f"{row['image']}.tif").shape[:2]].append(row)
    return dict(groups)


def summary_table(groups: Dict[Tuple[int, int], List[Dict[str, str]]]) -> str:
    """Markdown table, one line per shape: images, nuclei, pooled recall / precision, mean AJI."""
    lines = ['| image size (px) | images | nuclei | recall | precision | AJI (mean) |', '|---|---|---|---|---|---|']
    for (height, width), rows in sorted(groups.items()):
        tp, fp, fn = (sum(int(r[key]) for r in rows) for key in ('tp_05', 'fp_05', 'fn_05'))
        aji = sum(float(r['aji']) for r in rows) / len(rows)
        lines.append(f'| {height}x{width} | {len(rows)} | {tp + fn} | {tp / max(tp + fn, 1):.2f} | '
                     f'{tp / max(tp + fp, 1):.2f} | {aji:.3f} |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('csv', type=Path, help="NucleusInstanceMetric's nucleus_metrics.csv")
    parser.add_argument('--labels', type=Path, default=Path('data/dsb2018/labels'))
    args = parser.parse_args(argv)
    with open(args.csv, newline='') as handle:
        rows = list(csv.DictReader(handle))
    print(summary_table(group_by_shape(rows, args.labels)))


if __name__ == '__main__':
    main()
