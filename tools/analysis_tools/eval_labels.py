"""Score a folder of predicted label maps against a folder of GT label maps.

    python tools/analysis_tools/eval_labels.py GT_DIR PRED_DIR [--out metrics.csv] [--allow-missing]

Files (.tif/.tiff/.png, 0 = background) are matched by stem; a prediction ``<stem>_labels.tif`` also
matches ``<stem>.tif``. Prints one JSON object: ``aggregate`` of the per-image ``instance_metrics``
(``<metric>`` = mean over images, ``<metric>_pooled`` = pooled over the dataset) and ``centroid_dx`` /
``centroid_dy``, the mean centroid offset (prediction - annotation, pixels) of the nuclei matched at IoU 0.5, and
``box_log_w_ratio`` / ``box_log_h_ratio``, the median log(predicted / annotated) width and height of their tight
boxes. ``--out`` writes one CSV row per image. Exit status 2, with one ``error: ...`` line per problem on stderr,
when a GT file has no prediction (unless ``--allow-missing``, which scores it against an empty map) or a file
cannot be used.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from centersam_mm.evaluation.functional import (aggregate, box_size_log_ratios, centroid_offsets, instance_metrics,
                                                mean_offset, median_log_ratio, write_results_csv)
from centersam_mm.evaluation.label_files import LabelFileError, pair_label_files, read_label_map


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('gt_dir', type=Path, help='folder of ground-truth label maps')
    parser.add_argument('pred_dir', type=Path, help='folder of predicted label maps')
    parser.add_argument('--out', type=Path, help='per-image CSV to write')
    parser.add_argument('--allow-missing', action='store_true',
                        help='score a GT file without prediction against an empty label map instead of failing')
    return parser.parse_args(argv)


def fail(messages: List[str]) -> int:
    for message in messages:
        print(f'error: {message}', file=sys.stderr)
    return 2


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    for folder in (args.gt_dir, args.pred_dir):
        if not folder.is_dir():
            return fail([f'{folder}: not a folder'])
    try:
        pairs, _ = pair_label_files(args.gt_dir, args.pred_dir)
    except LabelFileError as error:
        return fail([str(error)])
    if not pairs:
        return fail([f'{args.gt_dir}: no label files (.tif, .tiff, .png)'])
    missing = [gt_path for gt_path, pred_path in pairs if pred_path is None]
    if missing and not args.allow_missing:
        return fail([f'{gt_path}: no prediction in {args.pred_dir} (expected {gt_path.stem}.tif/.png or '
                     f'{gt_path.stem}_labels.tif/.png)' for gt_path in missing])
    results, offsets, size_ratios = [], [], []
    try:
        for gt_path, pred_path in pairs:
            gt_label = read_label_map(gt_path)
            pred_label = read_label_map(pred_path) if pred_path else np.zeros_like(gt_label)
            if pred_label.shape != gt_label.shape:
                raise LabelFileError(f'{pred_path}: shape {pred_label.shape} differs from {gt_path} '
                                     f'{gt_label.shape}')
            results.append(instance_metrics(gt_label, pred_label))
            offsets.append(centroid_offsets(gt_label, pred_label))
            size_ratios.append(box_size_log_ratios(gt_label, pred_label))
    except LabelFileError as error:
        return fail([str(error)])
    if args.out:
        write_results_csv(args.out, [gt_path.stem for gt_path, _ in pairs], results)
    summary = aggregate(results)
    summary['centroid_dx'], summary['centroid_dy'] = mean_offset(np.concatenate(offsets))
    summary['box_log_w_ratio'], summary['box_log_h_ratio'] = median_log_ratio(np.concatenate(size_ratios))
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
