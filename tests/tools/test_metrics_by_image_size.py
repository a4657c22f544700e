"""metrics_by_image_size: rows grouped by label-map shape, recall / precision pooled by hand."""

import numpy as np
import pytest
from _tool_loader import load_tool

tifffile = pytest.importorskip('tifffile')
tool = load_tool('analysis_tools/metrics_by_image_size.py')
group_by_shape, summary_table = tool.group_by_shape, tool.summary_table


def test_groups_by_shape_and_pools_counts(tmp_path):
    for stem, shape in [('a', (4, 6)), ('b', (4, 6)), ('c', (8, 8))]:
        tifffile.imwrite(tmp_path / f'{stem}.tif', np.zeros(shape, np.uint16))
    rows = [dict(image='a', tp_05='3', fp_05='1', fn_05='1', aji='0.5'),
            dict(image='b', tp_05='1', fp_05='0', fn_05='3', aji='0.3'),
            dict(image='c', tp_05='2', fp_05='2', fn_05='0', aji='0.9')]
    groups = group_by_shape(rows, tmp_path)
    assert {shape: len(g) for shape, g in groups.items()} == {(4, 6): 2, (8, 8): 1}
    lines = summary_table(groups).splitlines()
    # 4x6: tp 4, fp 1, fn 4 -> 8 nuclei, recall 0.50, precision 0.80, mean AJI 0.4
    assert lines[2] == '| 4x6 | 2 | 8 | 0.50 | 0.80 | 0.400 |'
    assert lines[3] == '| 8x8 | 1 | 2 | 1.00 | 0.50 | 0.900 |'
