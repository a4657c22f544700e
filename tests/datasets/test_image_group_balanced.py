"""Repeat-factor sampling over image shapes (ImageGroupBalancedDataset)."""
import math

import pytest

pytest.importorskip('mmdet')
from mmengine.dataset import BaseDataset  # noqa: E402

from centersam_mm.datasets.image_group_balanced_dataset import (  # noqa: E402
    ImageGroupBalancedDataset, group_repeat_factors, image_shape_group)


class _ShapesDataset(BaseDataset):
    """Data infos that carry only an image shape."""

    def __init__(self, shapes):
        self._shapes = shapes
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(height=h, width=w) for h, w in self._shapes]


def test_group_repeat_factors_hand_computed():
    # t = 0.5: group a holds 3/4 of the images (no repeat), b holds 1/4 -> sqrt(0.5 / 0.25)
    factors = group_repeat_factors(['a', 'a', 'a', 'b'], oversample_thr=0.5)
    assert factors[:3] == [1.0, 1.0, 1.0]
    assert factors[3] == pytest.approx(math.sqrt(2.0))


def test_wrapper_repeats_rare_shapes():
    shapes = [(256, 256)] * 8 + [(1024, 1024)] * 2
    dataset = ImageGroupBalancedDataset(_ShapesDataset(shapes), oversample_thr=0.8)
    # f(1024) = 0.2 -> sqrt(0.8 / 0.2) = 2 repeats each; f(256) = 0.8 -> 1
    assert len(dataset) == 8 + 2 * 2
    assert sorted(set(dataset.repeat_indices[-4:])) == [8, 9]
    assert image_shape_group(dataset.get_data_info(len(dataset) - 1)) == (1024, 1024)
