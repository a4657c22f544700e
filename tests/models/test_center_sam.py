"""CenterSAM: detector boxes (or oracle gt boxes) -> SAM masks at the original resolution."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
import mmcv  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import centersam_mm  # noqa: E402,F401
from _tiny_centernet import tiny_centernet_cfg  # noqa: E402

ORI = (60, 90)  # original H, W (non-square); the detector sees 64x64


def _model(scorer=None, **test_cfg):
    register_all_modules(init_default_scope=True)
    detector = tiny_centernet_cfg()
    cfg = dict(type='CenterSAM', detector=detector,
               segmenter=dict(type='SAMBoxPromptSegmenter', arch='sam_tiny_test'), scorer=scorer,
               test_cfg=dict(dict(score_thr=0.0, iou_thr=-10.0), **test_cfg))
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(cfg)).eval()


def _sample(tmp_path) -> DetDataSample:
    img = np.random.default_rng(0).integers(0, 255, (*ORI, 3), dtype=np.uint8)
    path = str(tmp_path / 'img.png')
    mmcv.imwrite(img, path)
    ds = DetDataSample(metainfo=dict(
        img_path=path, ori_shape=ORI, img_shape=(64, 64), batch_input_shape=(64, 64),
        scale_factor=(64 / ORI[1], 64 / ORI[0]), pad_shape=(64, 64)))
    ds.gt_instances = InstanceData(bboxes=torch.tensor([[5., 5, 30, 25], [40, 10, 80, 50]]),
                                   labels=torch.zeros(2, dtype=torch.long))
    return ds


def test_detector_prompts_give_masks_at_original_resolution(tmp_path):
    model = _model()
    out = model.predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])[0].pred_instances
    assert len(out) > 0
    assert out.masks.shape[1:] == ORI and out.masks.dtype == torch.bool
    assert out.bboxes.shape == (len(out), 4) and out.scores.shape == (len(out),)
    assert out.masks.flatten(1).any(1).all(), 'empty masks are dropped'


def test_oracle_prompts_are_the_gt_boxes(tmp_path):
    model = _model(prompt='oracle')
    ds = _sample(tmp_path)
    out = model.predict(torch.rand(1, 3, 64, 64), [ds])[0].pred_instances
    gt = ds.gt_instances.bboxes
    assert all(any(torch.equal(b, g) for g in gt) for b in out.bboxes)
    assert out.masks.shape[1:] == ORI


def test_iou_threshold_drops_masks(tmp_path):
    out = _model(iou_thr=1e9).predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])
    assert len(out[0].pred_instances) == 0


def test_segmenter_is_frozen_and_stays_in_eval(tmp_path):
    model = _model().train()
    assert not model.segmenter.training
    assert not any(p.requires_grad for p in model.segmenter.parameters())
    assert any(p.requires_grad for p in model.detector.parameters())


def test_state_dict_keys_are_detector_and_segmenter():
    keys = _model().state_dict().keys()
    assert all(k.startswith(('detector.', 'segmenter.')) for k in keys)
    assert 'segmenter.mask_decoder.iou_token.weight' in keys


def test_a_prompt_threshold_below_the_detectors_own_is_flagged():
    """The detector decodes with its own score_thr first, so a lower CenterSAM score_thr would change nothing."""
    with pytest.warns(UserWarning, match="below its detector's own"):
        register_all_modules(init_default_scope=True)
        detector = tiny_centernet_cfg()
        detector['test_cfg'] = dict(detector.get('test_cfg') or {}, score_thr=0.1)
        MODELS.build(ConfigDict(type='CenterSAM', detector=detector,
                                segmenter=dict(type='SAMBoxPromptSegmenter', arch='sam_tiny_test'),
                                test_cfg=dict(score_thr=0.05)))
