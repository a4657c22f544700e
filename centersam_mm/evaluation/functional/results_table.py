"""Per-image result CSV and the summary table that the metric logs (standard library and ``io.atomic``)."""
import csv
from pathlib import Path
from typing import Mapping, Sequence, Union

from ...io.atomic import atomic_open
from .instance_metrics import RATE_KEYS, RESULT_KEYS


def write_results_csv(path: Union[str, Path], names: Sequence[str],
                      results: Sequence[Mapping[str, float]]) -> Path:
    """Write one row per image (``image`` then every ``RESULT_KEYS`` column); atomic (temp file + rename)."""
    path = Path(path)
    with atomic_open(path, 'w', newline='') as stream:
        writer = csv.writer(stream)
        writer.writerow(['image', *RESULT_KEYS])
        for name, result in zip(names, results):
            writer.writerow([name, *(result[key] for key in RESULT_KEYS)])
    return path


def format_summary_table(summary: Mapping[str, float]) -> str:
    """Plain-text table of an ``aggregate`` result: one row per score, mean over images and pooled."""
    lines = [f'{"metric":<18}{"mean/image":>12}{"pooled":>12}']
    lines += [f'{key:<18}{summary[key]:>12.4f}{summary[key + "_pooled"]:>12.4f}' for key in RATE_KEYS]
    lines.append(f'images {summary["n_images"]}, GT objects {summary["n_gt"]}, predicted {summary["n_pred"]}, '
                 f'TP/FP/FN@0.5 {summary["tp_05"]}/{summary["fp_05"]}/{summary["fn_05"]}')
    return '\n'.join(lines)
