"""Instance label maps to COCO annotations (RLE masks), and seeded splits.

Needs only numpy, scipy and pycocotools.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils
from scipy import ndimage

SPLITS = ('train', 'val', 'test')
NUCLEUS_CATEGORY = {'id': 1, 'name': 'nucleus', 'supercategory': 'nucleus'}


def _column_major_runs(strip: np.ndarray) -> List[int]:
    """Run lengths of a boolean array read in column-major (Fortran) order.

    Args:
        strip: (H, w) bool.

    Returns:
        Alternating run lengths, starting with a (possibly empty) run of zeros, as COCO's
        uncompressed RLE expects.
    """
    flat = strip.ravel(order='F')
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


def instance_rle(strip: np.ndarray, first_column: int, image_width: int) -> dict:
    """COCO compressed RLE of one instance from the columns that hold it.

    Only the columns ``first_column : first_column + w`` are scanned, so the cost is
    O(H * w) rather than O(H * W) per instance.

    Args:
        strip: (H, w) bool, the instance mask restricted to columns
            ``first_column : first_column + w`` of the image.
        first_column: index of the strip's first column in the image.
        image_width: W, width of the whole image in pixels.

    Returns:
        ``{'size': [H, W], 'counts': str}`` (compressed counts decoded to str for JSON).
    """
    height, width = strip.shape
    runs = _column_major_runs(strip)
    runs[0] += first_column * height
    trailing_zeros = (image_width - first_column - width) * height
    if len(runs) % 2 == 1:  # ends on a zero run
        runs[-1] += trailing_zeros
    elif trailing_zeros:
        runs.append(trailing_zeros)
    rle = mask_utils.frPyObjects({'size': [height, image_width], 'counts': runs}, height, image_width)
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def label_map_annotations(label_map: np.ndarray) -> List[dict]:
    """COCO annotations (without ids) for every instance of a label map.

    Args:
        label_map: (H, W) integer instance label map, 0 = background.

    Returns:
        One dict per instance label present, in increasing label order, each holding
        ``label`` (the value in the map), ``segmentation`` (RLE), ``bbox`` ([x, y, w, h] in
        pixels, tight around the mask), ``area`` (pixels), ``category_id`` 1 and ``iscrowd`` 0.
    """
    annotations = []
    image_width = label_map.shape[1]
    for index, found in enumerate(ndimage.find_objects(label_map)):
        if found is None:
            continue
        label = index + 1
        rows, cols = found
        strip = label_map[:, cols] == label
        annotations.append({
            'label': label,
            'segmentation': instance_rle(strip, cols.start, image_width),
            'bbox': [cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start],
            'area': int(np.count_nonzero(strip[rows])),
            'category_id': NUCLEUS_CATEGORY['id'],
            'iscrowd': 0,
        })
    return annotations


def parse_split_ratio(text: str) -> tuple:
    """Parse ``'0.8,0.1,0.1'`` into three non-negative fractions that sum to 1.

    Raises:
        ValueError: if there are not three numbers, one is negative, or they do not sum to 1.
    """
    ratio = tuple(float(part) for part in text.split(','))
    if len(ratio) != 3 or min(ratio) < 0 or abs(sum(ratio) - 1.0) > 1e-6:
        raise ValueError(f'split ratio must be three non-negative numbers summing to 1, got {text!r}')
    return ratio


def split_counts(num_groups: int, ratio: Sequence[float]) -> List[int]:
    """Group counts per split: floors of ``ratio * n``, the remainder going to the largest fractions.

    Ties in the fractional part go to the earlier split (train before val before test).
    E.g. 600 groups at 0.8/0.1/0.1 → [480, 60, 60]; 6 groups → [5, 1, 0].
    """
    exact = [r * num_groups for r in ratio]
    counts = [int(np.floor(value + 1e-9)) for value in exact]
    by_fraction = sorted(range(len(ratio)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_fraction[:num_groups - sum(counts)]:
        counts[i] += 1
    return counts


def seeded_split(groups: Sequence[str], ratio: Sequence[float], seed: int) -> Dict[str, List[str]]:
    """Shuffle the sorted groups with ``numpy.random.default_rng(seed)`` and cut by ``ratio``.

    Returns:
        ``{'train': [...], 'val': [...], 'test': [...]}``, each list sorted.
    """
    ordered = sorted(set(groups))
    permutation = np.random.default_rng(seed).permutation(len(ordered))
    shuffled = [ordered[i] for i in permutation]
    result, start = {}, 0
    for split, count in zip(SPLITS, split_counts(len(ordered), ratio)):
        result[split] = sorted(shuffled[start:start + count])
        start += count
    return result


def coco_document(images: List[dict], annotations: List[dict],
                  description: Optional[str] = None) -> dict:
    """A COCO instances document with the single ``nucleus`` category."""
    return {
        'info': {'description': description or 'centersam_mm nucleus instances'},
        'images': images,
        'annotations': annotations,
        'categories': [dict(NUCLEUS_CATEGORY)],
    }
