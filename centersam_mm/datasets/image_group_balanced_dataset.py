"""Repeat-factor sampling over image groups (image shape by default) instead of categories.

DSB 2018 mixes imaging modalities (small fluorescence tiles, H&E tissue, bright field) in very
unequal numbers, and its image shape is a good proxy for the modality. With one class
(``nucleus``), MMEngine's :class:`ClassBalancedDataset` cannot rebalance anything; this wrapper
applies the same square-root rule (Gupta et al., LVIS) to image groups.
"""
import math
from collections import Counter
from typing import Hashable, List

from mmengine.dataset import BaseDataset, ClassBalancedDataset
from mmdet.registry import DATASETS


def image_shape_group(data_info: dict) -> Hashable:
    """Group key of one data info: its ``(height, width)`` in pixels."""
    return int(data_info['height']), int(data_info['width'])


def group_repeat_factors(group_keys: List[Hashable], oversample_thr: float) -> List[float]:
    """Per-image repeat factor ``max(1, sqrt(t / f(g)))``, ``f(g)`` = share of images in group ``g``.

    Args:
        group_keys: one hashable key per image.
        oversample_thr: ``t``; groups holding at least this share of the images are not repeated.

    Returns:
        One float per image (the caller rounds up, as :class:`ClassBalancedDataset` does).
    """
    counts = Counter(group_keys)
    num_images = len(group_keys)
    return [max(1.0, math.sqrt(oversample_thr / (counts[key] / num_images))) for key in group_keys]


@DATASETS.register_module()
class ImageGroupBalancedDataset(ClassBalancedDataset):
    """:class:`ClassBalancedDataset` whose "categories" are image groups (image shape).

    Args:
        dataset: the dataset (or its config) to wrap.
        oversample_thr: share of the images below which a group is repeated (``t`` above).
        lazy_init: as in :class:`ClassBalancedDataset`.
    """

    def _get_repeat_factors(self, dataset: BaseDataset, repeat_thr: float) -> List[float]:
        keys = [image_shape_group(dataset.get_data_info(idx)) for idx in range(len(dataset))]
        return group_repeat_factors(keys, repeat_thr)
