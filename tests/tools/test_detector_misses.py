"""tools/analysis_tools/detector_misses.py: the table of miss kinds per image size (no model needed)."""
from collections import Counter

import pytest
from _tool_loader import load_tool


@pytest.fixture(scope='module')
def misses():
    return load_tool('analysis_tools/detector_misses.py')


def test_gt_boxes_become_xyxy_per_image(misses):
    coco = dict(images=[dict(id=1), dict(id=2)], annotations=[dict(image_id=1, bbox=[2, 3, 10, 20])])
    boxes = misses.gt_boxes_by_image(coco)
    assert boxes[1].tolist() == [[2, 3, 12, 23]] and boxes[2].shape == (0, 4)


def test_table_pools_groups_into_a_total(misses):
    small = Counter(images=2, gt=10, kept=9, tp=8, localisation=1, low_score=1, no_detection=0)
    large = Counter(images=1, gt=30, kept=20, tp=15, localisation=5, low_score=0, no_detection=10)
    lines = misses.misses_table({(512, 640): large, (256, 256): small}).splitlines()
    assert lines[2] == '| 256x256 | 2 | 10 | 0.800 | 0.889 | 1 | 1 | 0 |'  # smallest shape first
    assert lines[3] == '| 512x640 | 1 | 30 | 0.500 | 0.750 | 5 | 0 | 10 |'
    assert lines[4] == '| **all** | 3 | 40 | 0.575 | 0.793 | 6 | 1 | 10 |'  # 23/40, 23/29
