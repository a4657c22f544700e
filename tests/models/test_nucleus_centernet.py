"""NucleusCenterNet: flip test-time averaging of heatmaps and sizes (known answers and flip equivariance)."""
import pytest
import torch

pytest.importorskip('mmdet')
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402

import centersam_mm  # noqa: E402,F401
from centersam_mm.models.detectors import flip_averaged_outputs  # noqa: E402
from _tiny_centernet import tiny_centernet_cfg  # noqa: E402


def _ramp_head(x):
    """A head that is not flip-equivariant: heatmap = input x column index, wh = 2 x that, offset = row index."""
    cols = torch.arange(x.shape[-1], dtype=x.dtype).expand_as(x[:, :1])
    rows = torch.arange(x.shape[-2], dtype=x.dtype)[:, None].expand_as(x[:, :1])
    return [x[:, :1] * cols], [torch.cat([2 * x[:, :1] * cols] * 2, 1)], [torch.cat([rows] * 2, 1)]


def test_horizontal_flip_averages_heatmap_and_wh_and_keeps_plain_offsets():
    ones = torch.ones(1, 3, 2, 4)
    heatmaps, whs, offsets = flip_averaged_outputs(_ramp_head, ones, ['horizontal'])
    # columns 0..3 and their mirror 3..0 average to 1.5 everywhere; wh to 3; offsets are the plain pass's rows
    assert torch.equal(heatmaps[0], torch.full((1, 1, 2, 4), 1.5))
    assert torch.equal(whs[0], torch.full((1, 2, 2, 4), 3.0))
    assert torch.equal(offsets[0], _ramp_head(ones)[2][0])
    # a vertical flip leaves a column ramp as it is
    heatmaps, _, _ = flip_averaged_outputs(_ramp_head, ones, ['vertical'])
    assert torch.equal(heatmaps[0], _ramp_head(ones)[0][0])


def test_unknown_flip_is_refused():
    with pytest.raises(ValueError, match='unknown flips'):
        flip_averaged_outputs(_ramp_head, torch.ones(1, 3, 2, 4), ['sideways'])


def _detector(**test_cfg):
    register_all_modules(init_default_scope=True)
    cfg = tiny_centernet_cfg('NucleusCenterNet', base_channels=16, topk=50, max_per_img=50, score_thr=0.0,
                             **test_cfg)
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(cfg)).eval()


def _samples():
    meta = dict(ori_shape=(64, 64), img_shape=(64, 64), batch_input_shape=(64, 64), scale_factor=(1.0, 1.0),
                pad_shape=(64, 64))
    return [DetDataSample(metainfo=meta)]


def test_without_flip_it_is_mmdetections_centernet():
    model, inputs = _detector(), torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ours = model.predict(inputs, _samples())[0].pred_instances
        stock = super(type(model), model).predict(inputs, _samples())[0].pred_instances
    assert torch.equal(ours.bboxes, stock.bboxes) and torch.equal(ours.scores, stock.scores)


def test_flip_test_scores_are_flip_invariant():
    """Averaged over the plain and the mirrored pass, an image and its mirror give the same peak scores."""
    model, inputs = _detector(flip=['horizontal']), torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        scores = model.predict(inputs, _samples())[0].pred_instances.scores
        mirrored = model.predict(inputs.flip(3), _samples())[0].pred_instances.scores
        plain = _detector().predict(inputs, _samples())[0].pred_instances.scores
    assert torch.allclose(scores.sort().values, mirrored.sort().values, atol=1e-6)
    assert not torch.allclose(scores.sort().values, plain.sort().values, atol=1e-6)
