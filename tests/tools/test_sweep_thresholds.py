"""tools/analysis_tools/sweep_thresholds.py: each setting filters the cached predictions as CenterSAM does."""
import numpy as np
import pytest
from _tool_loader import load_tool

pytest.importorskip('mmdet')


@pytest.fixture(scope='module')
def sweep():
    return load_tool('analysis_tools/sweep_thresholds.py')


def hand_made_cache():
    """Two GT nuclei (8x8 squares); four predicted masks: nucleus 1 (score 0.9, SAM IoU 0.9), a copy of it
    (0.5, 0.95: mask NMS removes it), nucleus 2 found weakly (0.15, 0.8), a background blob (0.3, SAM IoU 0.3)."""
    gt_label = np.zeros((32, 32), np.int32)
    gt_label[2:10, 2:10] = 1
    gt_label[20:28, 20:28] = 2
    masks = np.zeros((4, 32, 32), bool)
    masks[0] = masks[1] = gt_label == 1
    masks[2] = gt_label == 2
    masks[3, 2:10, 20:28] = True
    return [dict(masks=masks, scores=np.array([0.9, 0.5, 0.15, 0.3]), iou_pred=np.array([0.9, 0.95, 0.8, 0.3]),
                 gt_label=gt_label)]


@pytest.mark.parametrize('score_thr, iou_thr, expected_tp_fp_fn', [
    (0.2, 0.0, (1, 1, 1)),  # nucleus 2 below the score threshold, the blob kept, the copy suppressed
    (0.1, 0.0, (2, 1, 0)),
    (0.1, 0.5, (2, 0, 0)),  # the SAM-IoU gate drops the blob
    (0.6, 0.0, (1, 0, 1)),
])
def test_each_setting_filters_the_cache_like_centersam(sweep, score_thr, iou_thr, expected_tp_fp_fn):
    summary = sweep.score_setting(hand_made_cache(), score_thr, iou_thr, mask_nms_thr=0.5)
    assert (summary['tp_05'], summary['fp_05'], summary['fn_05']) == expected_tp_fp_fn
    tp, fp, fn = expected_tp_fp_fn
    assert summary['f1_05'] == pytest.approx(2 * tp / (2 * tp + fp + fn))


def test_oracle_selection_keeps_exactly_the_matching_masks(sweep):
    """The background blob (score 0.3) goes, nucleus 2 (score 0.15) stays: the ceiling of any keep/drop rule."""
    summary = sweep.score_setting(hand_made_cache(), 0.1, 0.0, mask_nms_thr=0.5, matched_only=True)
    assert (summary['tp_05'], summary['fp_05'], summary['fn_05']) == (2, 0, 0)


def test_mask_nms_threshold_decides_whether_a_wider_copy_leaves_a_sliver(sweep):
    """The copy of nucleus 1 made wider (8 x 12 px, 64 of its 96 pixels under nucleus 1's mask: 0.67 covered):
    mask NMS at 0.5 drops it; at 0.7 it stays and its 32 uncovered pixels become a false-positive sliver."""
    cache = hand_made_cache()
    cache[0]['masks'][1, 2:10, 2:14] = True
    assert sweep.score_setting(cache, 0.1, 0.0, mask_nms_thr=0.5)['fp_05'] == 1  # the blob
    assert sweep.score_setting(cache, 0.1, 0.0, mask_nms_thr=0.7)['fp_05'] == 2  # the blob and the sliver


def test_cfg_options_reach_the_config(sweep):
    """``--cfg-options`` parses as tools/test.py's (dotted keys, lists), so a flip test can be swept too."""
    args = sweep.parse_args(['cfg.py', 'ckpt.pth', '--cfg-options', 'model.detector.test_cfg.flip=[horizontal]'])
    assert args.cfg_options == {'model.detector.test_cfg.flip': ['horizontal']}
    assert sweep.parse_args(['cfg.py', 'ckpt.pth']).cfg_options == {}
