"""Time ``instance_metrics`` on a synthetic image: SIZE x SIZE pixels, OBJECTS nuclei on each side.

GT nuclei are disks of radius ~ sqrt(area share) around random seeds, cut where they meet (Voronoi);
the prediction uses the seeds jittered by ~2 px and radii scaled by 0.8-1.2, so that every kind of
overlap (IoU near every threshold, misses, extra fragments) occurs.

    python tools/analysis_tools/benchmark_metrics.py [--size 1000] [--objects 1000] [--repeats 5]
"""
import argparse
import json
import time
from typing import Tuple

import numpy as np
from scipy import ndimage

from centersam_mm.evaluation.functional import instance_metrics


def voronoi_disks(seeds: np.ndarray, radii: np.ndarray, size: int) -> np.ndarray:
    """(size, size) int32 label map: pixel -> id (1..len(seeds)) of its nearest seed if within that radius."""
    seed_image = np.ones((size, size), bool)
    rows, cols = np.clip(np.round(seeds).astype(int), 0, size - 1).T
    seed_image[rows, cols] = False
    distance, (nearest_row, nearest_col) = ndimage.distance_transform_edt(seed_image, return_indices=True)
    seed_id = np.zeros((size, size), np.int32)
    seed_id[rows, cols] = np.arange(1, len(seeds) + 1)
    label = seed_id[nearest_row, nearest_col]
    radius_of_pixel = np.concatenate([[0.0], radii])[label]
    return np.where(distance <= radius_of_pixel, label, 0).astype(np.int32)


def synthetic_pair(size: int, objects: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """(gt, pred) label maps with ``objects`` nuclei each (fewer if seeds collide)."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, size, (objects, 2))
    radius = 0.5 * np.sqrt(size * size / objects)
    gt = voronoi_disks(seeds, np.full(objects, radius), size)
    pred = voronoi_disks(seeds + rng.normal(0, 2, seeds.shape), radius * rng.uniform(0.8, 1.2, objects), size)
    return gt, pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=1000, help='image side in pixels')
    parser.add_argument('--objects', type=int, default=1000, help='nuclei per label map')
    parser.add_argument('--repeats', type=int, default=5, help='timed runs (the median is reported)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    gt, pred = synthetic_pair(args.size, args.objects, args.seed)
    instance_metrics(gt, pred)  # warm-up
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = instance_metrics(gt, pred)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({
        'size': args.size, 'n_gt': result['n_gt'], 'n_pred': result['n_pred'],
        'median_s': round(float(np.median(seconds)), 4), 'max_s': round(max(seconds), 4),
        'f1_05': round(result['f1_05'], 4), 'aji': round(result['aji'], 4), 'dsb_map': round(result['dsb_map'], 4),
    }))


if __name__ == '__main__':
    main()
