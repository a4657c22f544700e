"""CenterSAM: detector boxes (or oracle gt boxes) -> SAM masks at the original resolution."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import centersam_mm  # noqa: E402,F401
from _tiny_centernet import tiny_centernet_cfg  # noqa: E402

ORI = (60, 90)  # original H, W (non-square); the detector sees 64x64


def _model(scorer=None, size_regressor=None, **test_cfg):
    register_all_modules(init_default_scope=True)
    detector = tiny_centernet_cfg()
    cfg = dict(type='CenterSAM', detector=detector,
               segmenter=dict(type='SAMBoxPromptSegmenter', arch='sam_tiny_test'), scorer=scorer,
               size_regressor=size_regressor, test_cfg=dict(dict(score_thr=0.0, iou_thr=-10.0), **test_cfg))
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(cfg)).eval()


def _sample(tmp_path, **meta) -> DetDataSample:
    """A sample as the test pipeline packs it: the loaded image in ``ori_img`` (its ``img_path`` does not exist:
    nothing is read from disk)."""
    img = np.random.default_rng(0).integers(0, 255, (*ORI, 3), dtype=np.uint8)
    ds = DetDataSample(metainfo=dict(
        img_path=str(tmp_path / 'not_there.png'), ori_img=img, ori_shape=ORI, img_shape=(64, 64),
        batch_input_shape=(64, 64), scale_factor=(64 / ORI[1], 64 / ORI[0]), pad_shape=(64, 64), **meta))
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


def _scale_aware_sample(tmp_path, **meta) -> DetDataSample:
    """A sample of a scale-aware pipeline: no resize (img_shape == ori_shape)."""
    ds = _sample(tmp_path, **meta)
    ds.set_metainfo(dict(img_shape=ORI, batch_input_shape=(64, 96), scale_factor=(1.0, 1.0), pad_shape=(64, 96)))
    return ds


def test_scale_aware_model_resizes_by_the_given_factor(tmp_path, monkeypatch):
    """With test_cfg.diameter, the detector sees the image resized by nucleus_scale (padded to the stride) and its
    boxes come back in original pixels; SAM encodes at scale * sam_diameter / diameter."""
    model = _model(diameter=20.0, sam_diameter=10.0)
    seen, sam_scales = [], []
    detect = model.detector.predict
    monkeypatch.setattr(model.detector, 'predict', lambda x, samples, rescale: seen.append(
        (tuple(x.shape[-2:]), samples[0].scale_factor)) or detect(x, samples, rescale))
    segment = model.segmenter.segment
    monkeypatch.setattr(model.segmenter, 'segment', lambda image, boxes, scale=None, align=None: sam_scales.append(
        scale) or segment(image, boxes, scale=scale, align=align))
    ds = _scale_aware_sample(tmp_path, nucleus_scale=2.0)
    out = model.predict(torch.rand(1, 3, 64, 96), [ds])[0]
    divisor = int(getattr(model.data_preprocessor, 'pad_size_divisor', 1) or 1)
    padded = tuple(-(-side // divisor) * divisor for side in (120, 180))  # 60 x 90 at factor 2, padded
    assert seen == [(padded, (2.0, 2.0))] and sam_scales == [1.0]
    assert out.metainfo['nucleus_scale'] == 2.0 and out.pred_instances.masks.shape[1:] == ORI
    boxes = out.pred_instances.bboxes
    assert len(boxes) and float(boxes[:, 2].max()) <= ORI[1] + 1 and float(boxes[:, 3].max()) <= ORI[0] + 1


def test_scale_aware_model_estimates_its_factor(tmp_path):
    """Without options the factor is estimated (here from a random network: a number in the allowed range) and
    recorded in the sample; the same factor given back reproduces the result exactly."""
    model = _model(diameter=20.0, prior_diameter=10.0)
    inputs = torch.rand(1, 3, 64, 96)
    first = model.predict(inputs, [_scale_aware_sample(tmp_path)])[0]
    scale = first.metainfo['nucleus_scale']
    assert 1 / 8 <= scale <= 8
    again = model.predict(inputs, [_scale_aware_sample(tmp_path, nucleus_scale=scale)])[0]
    assert torch.equal(first.pred_instances.masks, again.pred_instances.masks)


@pytest.mark.parametrize('detector_precision', ['fp32', 'bf16'])
def test_probe_precision_sets_the_estimates_runs_only(tmp_path, monkeypatch, detector_precision):
    """``probe_precision='bf16'``: the estimate's detector runs compute the backbone and neck under bf16 autocast;
    the final run follows ``detector_precision``. With fp32 there, the result is that of the estimated factor
    given as an option (everything in fp32), and the estimate's run at that factor is not reused as the final
    detection, though it saw the whole image; with bf16 there, it is."""
    model = _model(diameter=20.0, prior_diameter=10.0, probe_precision='bf16', detector_precision=detector_precision)
    autocast = []
    extract = model.detector.extract_feat
    monkeypatch.setattr(model.detector, 'extract_feat', lambda x: autocast.append(
        torch.is_autocast_enabled('cpu')) or extract(x))
    inputs = torch.rand(1, 3, 64, 96)
    first = model.predict(inputs, [_scale_aware_sample(tmp_path)])[0]
    scale = first.metainfo['nucleus_scale']
    assert 'extract_feat' in vars(model.detector)  # the test's wrapper is put back after each run
    if detector_precision == 'fp32':
        assert autocast[:-1] and all(autocast[:-1]) and autocast[-1] is False
        fp32 = _model(diameter=20.0, prior_diameter=10.0)
        again = fp32.predict(inputs, [_scale_aware_sample(tmp_path, nucleus_scale=scale)])[0]
        assert torch.equal(first.pred_instances.masks, again.pred_instances.masks)
        assert torch.equal(first.pred_instances.bboxes, again.pred_instances.bboxes)
    else:
        assert autocast and all(autocast)
    with pytest.raises(ValueError, match='probe_precision'):
        _model(diameter=20.0, probe_precision='fp16')


def test_size_regressor_sets_where_the_estimate_starts(tmp_path, monkeypatch):
    """A size regressor predicting log 1.5 makes the estimate's first detector run look at 1.5 x the first guess
    (diameter / prior_diameter = 2); its features are the detector neck's (32 channels: 64 numbers)."""
    import math
    model = _model(diameter=20.0, prior_diameter=10.0,
                   size_regressor=dict(type='NucleusSizeRegressor', in_channels=64))
    model.size_regressor.linear.bias.data.fill_(math.log(1.5))
    scales = []
    detect = model._detect
    monkeypatch.setattr(model, '_detect', lambda x, sample, scale, *args: scales.append(scale) or detect(
        x, sample, scale, *args))
    model.predict(torch.rand(1, 3, 64, 96), [_scale_aware_sample(tmp_path)])
    assert scales[0] == pytest.approx(3.0)
    features = model.size_features(torch.rand(1, 3, 60, 90), 60, 90)
    assert features.shape == (64,)


def test_large_inputs_keep_more_detections_than_max_per_img(tmp_path):
    """The tiny detector decodes its top 20 peaks and CenterSAM keeps at most 20 (max_per_img); a scale-aware
    model raises both to one per (diameter / 2)² input pixels: at factor 2 the 60 x 90 image is 120 x 180 at
    the input, 21,600 / (4 / 2)² = 5,400 allowed, so every peak of the random network above score 0 is kept."""
    model = _model(diameter=4.0, max_per_img=20)
    assert model.detection_limit((120, 180)) == 5400 and model.detection_limit((8, 8)) == 20
    out = model.predict(torch.rand(1, 3, 64, 96), [_scale_aware_sample(tmp_path, nucleus_scale=2.0)])[0]
    assert len(out.pred_instances) > 20
    assert model.detector.bbox_head.test_cfg['topk'] == 20  # the head's own setting is restored
    fixed = _model(max_per_img=20)  # not scale-aware: max_per_img holds
    assert fixed.detection_limit((120, 180)) == 20
    assert len(fixed.predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])[0].pred_instances) <= 20
