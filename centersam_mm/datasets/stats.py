"""Density analysis of a converted benchmark (paper Fig. 2 and Table 3); numpy/scipy only.

Definitions (on one seeded random ``crop_size``×``crop_size`` crop per image; an image smaller than
the crop along an axis is used whole along that axis):

- nuclei per image: number of distinct labels in the crop;
- size: pixels of each nucleus inside the crop;
- connected: a nucleus is *connected* if at least one of its pixels is 8-adjacent (sharing an edge
  or a corner) to a pixel of another nucleus in the crop. The 4-adjacent (edge-only) share is
  reported alongside.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import tifffile

# (row, col) neighbour offsets covering each unordered neighbour pair once
EDGE_OFFSETS = ((0, 1), (1, 0))
CORNER_OFFSETS = ((1, 1), (1, -1))


@dataclass
class CropStats:
    """Per-crop measurements: label count, per-nucleus areas and touching flags."""

    num_nuclei: int
    areas: np.ndarray            # (n,) pixels
    touching_8: np.ndarray       # (n,) bool
    touching_4: np.ndarray       # (n,) bool


@dataclass
class DatasetStats:
    """Aggregated density figures of a dataset."""

    num_images: int
    nuclei_per_image: np.ndarray  # (num_images,)
    areas: np.ndarray             # (total nuclei,) pixels
    connected_share_8: float      # fraction in [0, 1]
    connected_share_4: float


def random_crop(label_map: np.ndarray, crop_size: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly placed ``crop_size`` square crop (whole axis where the image is smaller)."""
    height, width = label_map.shape
    top = int(rng.integers(0, max(height - crop_size, 0) + 1))
    left = int(rng.integers(0, max(width - crop_size, 0) + 1))
    return label_map[top:top + crop_size, left:left + crop_size]


def touching_labels(label_map: np.ndarray, offsets: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Labels that have a pixel adjacent (along any of ``offsets`` or their opposites) to a pixel
    of a different non-zero label.

    Args:
        label_map: (H, W) integer label map, 0 = background.
        offsets: (dy, dx) with dy >= 0, e.g. ``EDGE_OFFSETS + CORNER_OFFSETS`` for 8-adjacency.

    Returns:
        Sorted unique labels.
    """
    height, width = label_map.shape
    found = []
    for dy, dx in offsets:
        a = label_map[0:height - dy, max(-dx, 0):width - max(dx, 0)]
        b = label_map[dy:height, max(dx, 0):width - max(-dx, 0)]
        differ = (a != b) & (a > 0) & (b > 0)
        found.extend((a[differ], b[differ]))
    return np.unique(np.concatenate(found)) if found else np.zeros(0, label_map.dtype)


def crop_stats(crop: np.ndarray) -> CropStats:
    """Nuclei count, areas and touching flags of one (H, W) label-map crop."""
    labels, areas = np.unique(crop[crop > 0], return_counts=True)
    touch_4 = touching_labels(crop, EDGE_OFFSETS)
    touch_8 = touching_labels(crop, EDGE_OFFSETS + CORNER_OFFSETS)
    return CropStats(len(labels), areas, np.isin(labels, touch_8), np.isin(labels, touch_4))


def list_label_maps(dataset_dir: Path, splits: Optional[Sequence[str]] = None) -> List[Path]:
    """Label-map paths of a converted dataset, sorted; restricted to ``splits`` via splits.json."""
    if splits is None:
        return sorted((dataset_dir / 'labels').glob('*.tif'))
    with open(dataset_dir / 'splits.json') as file:
        split_stems = json.load(file)
    stems = sorted(stem for split in splits for stem in split_stems[split])
    return [dataset_dir / 'labels' / f'{stem}.tif' for stem in stems]


def dataset_stats(label_paths: Sequence[Path], crop_size: int = 512, seed: int = 0) -> DatasetStats:
    """Density figures over one seeded random crop per label map (crops drawn in the given order)."""
    rng = np.random.default_rng(seed)
    per_crop = [crop_stats(random_crop(tifffile.imread(str(path)), crop_size, rng)) for path in label_paths]
    areas = np.concatenate([c.areas for c in per_crop]) if per_crop else np.zeros(0)
    touching_8 = np.concatenate([c.touching_8 for c in per_crop]) if per_crop else np.zeros(0, bool)
    touching_4 = np.concatenate([c.touching_4 for c in per_crop]) if per_crop else np.zeros(0, bool)
    return DatasetStats(
        num_images=len(per_crop),
        nuclei_per_image=np.array([c.num_nuclei for c in per_crop]),
        areas=areas,
        connected_share_8=float(touching_8.mean()) if touching_8.size else 0.0,
        connected_share_4=float(touching_4.mean()) if touching_4.size else 0.0,
    )


def format_table(name: str, stats: DatasetStats) -> str:
    """A plain-text table of the figures (Table 3 style)."""
    per_image = stats.nuclei_per_image
    rows = [
        ('dataset', name),
        ('images (crops)', f'{stats.num_images}'),
        ('nuclei', f'{int(per_image.sum())}'),
        ('nuclei / image  mean | median | max',
         f'{per_image.mean():.1f} | {np.median(per_image):.0f} | {per_image.max()}' if per_image.size else '-'),
        ('size px  median | mean', f'{np.median(stats.areas):.0f} | {stats.areas.mean():.1f}'
         if stats.areas.size else '-'),
        ('connected (8-adjacent)', f'{100 * stats.connected_share_8:.2f} %'),
        ('connected (4-adjacent)', f'{100 * stats.connected_share_4:.2f} %'),
    ]
    width = max(len(key) for key, _ in rows)
    return '\n'.join(f'{key:<{width}}  {value}' for key, value in rows)


def save_histograms(path: Path, name: str, stats: DatasetStats) -> None:
    """Save a PNG with the nuclei-per-image and nucleus-size histograms (median marked)."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(10, 4))
    left.hist(stats.nuclei_per_image, bins=40, color='tab:blue')
    left.set(xlabel='nuclei per image (crop)', ylabel='images', title=f'{name}: density')
    right.hist(stats.areas, bins=np.logspace(0, np.log10(max(stats.areas.max(initial=1), 2)), 50),
               color='tab:orange')
    right.set_xscale('log')
    median = float(np.median(stats.areas)) if stats.areas.size else 0.0
    right.axvline(median, color='black', linestyle='--', label=f'median {median:.0f} px')
    right.set(xlabel='nucleus size (pixels)', ylabel='nuclei', title=f'{name}: size')
    right.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
