"""Tests of the registered NucleusInstanceMetric (needs torch, mmengine, mmdet)."""
import csv
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip('torch')
pytest.importorskip('mmdet')
tifffile = pytest.importorskip('tifffile')

from mmengine.evaluator import Evaluator  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmdet.registry import METRICS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.structures.mask import BitmapMasks  # noqa: E402

import centersam_mm.evaluation  # noqa: E402,F401  (registers the metric)
from centersam_mm.evaluation.functional import (RATE_KEYS, aggregate, centroid_offsets,  # noqa: E402
                                                instance_metrics, instances_to_label_map, mean_offset)


def _scene(seed: int):
    """GT label map (40 x 48) and predicted masks/scores that overlap it imperfectly."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((40, 48), np.uint16)
    masks = []
    for object_id, (row, col) in enumerate(rng.integers(0, 32, (6, 2)), start=1):
        gt[row:row + 8, col:col + 8] = object_id
        mask = np.zeros(gt.shape, bool)
        mask[row + 1:row + 9, col:col + 7] = True
        masks.append(mask)
    masks.append(np.ones(gt.shape, bool) & (np.arange(48) < 3))  # low-score junk along the left edge
    scores = np.concatenate([rng.uniform(0.5, 1.0, 6), [0.05]])
    return gt, np.stack(masks), scores


def _sample(tmp_path: Path, name: str, gt: np.ndarray, masks, scores) -> DetDataSample:
    label_map_path = tmp_path / f'{name}.tif'
    tifffile.imwrite(label_map_path, gt)
    sample = DetDataSample(metainfo=dict(label_map_path=str(label_map_path), ori_shape=gt.shape,
                                         img_id=name))
    sample.pred_instances = InstanceData(masks=masks, scores=torch.as_tensor(scores, dtype=torch.float32),
                                         labels=torch.zeros(len(scores), dtype=torch.long))
    return sample


def _evaluate(samples, **metric_kwargs):
    metric = METRICS.build(dict(type='NucleusInstanceMetric', **metric_kwargs))
    evaluator = Evaluator([metric])
    evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(len(samples))


def test_tensor_and_bitmap_masks_scored_like_the_library(tmp_path):
    (gt_a, masks_a, scores_a), (gt_b, masks_b, scores_b) = _scene(0), _scene(1)
    samples = [_sample(tmp_path, 'a', gt_a, torch.from_numpy(masks_a), scores_a),  # Mask R-CNN: bool tensor
               _sample(tmp_path, 'b', gt_b, BitmapMasks(masks_b, *gt_b.shape), scores_b)]
    csv_path = tmp_path / 'out' / 'per_image.csv'
    results = _evaluate(samples, score_thr=0.1, min_area=2, csv_path=str(csv_path))
    scores_f32 = [np.float32(scores_a), np.float32(scores_b)]  # the scores went through a float32 tensor
    expected = aggregate([
        instance_metrics(gt, instances_to_label_map(masks, scores, score_thr=0.1, min_area=2))
        for gt, masks, scores in [(gt_a, masks_a, scores_f32[0]), (gt_b, masks_b, scores_f32[1])]
    ])
    offsets = np.concatenate([centroid_offsets(gt, instances_to_label_map(masks, scores, score_thr=0.1, min_area=2))
                              for gt, masks, scores in [(gt_a, masks_a, scores_f32[0]), (gt_b, masks_b, scores_f32[1])]])
    expected['centroid_dx'], expected['centroid_dy'] = mean_offset(offsets)
    assert results == pytest.approx({f'nucleus/{key}': value for key, value in expected.items()})
    assert 0 < results['nucleus/aji'] < 1
    with open(csv_path) as stream:
        rows = list(csv.DictReader(stream))
    assert [row['image'] for row in rows] == ['a', 'b']
    assert float(rows[0]['aji']) == pytest.approx(instance_metrics(
        gt_a, instances_to_label_map(masks_a, scores_f32[0], 0.1, 2))['aji'])


def test_score_threshold_matters(tmp_path):
    gt, masks, scores = _scene(2)
    sample = _sample(tmp_path, 'c', gt, torch.from_numpy(masks), scores)
    with_junk = _evaluate([sample], csv_path=str(tmp_path / 'one.csv'))
    without_junk = _evaluate([sample], score_thr=0.1, csv_path=str(tmp_path / 'two.csv'))
    assert with_junk['nucleus/fp_05'] == without_junk['nucleus/fp_05'] + 1


def test_no_prediction_and_perfect_prediction(tmp_path):
    gt, _, _ = _scene(3)
    ids = [object_id for object_id in np.unique(gt) if object_id]
    perfect = torch.from_numpy(np.stack([gt == object_id for object_id in ids]))
    samples = [_sample(tmp_path, 'empty', gt, torch.zeros((0, *gt.shape), dtype=torch.bool), np.zeros(0)),
               _sample(tmp_path, 'perfect', gt, perfect, np.linspace(0.9, 0.5, len(ids)))]
    results = _evaluate(samples, csv_path=str(tmp_path / 'm.csv'))
    for key in RATE_KEYS:
        assert results[f'nucleus/{key}'] == pytest.approx(0.5), key  # mean of 0 and 1


def test_default_csv_goes_next_to_the_log_file(tmp_path):
    (tmp_path / 'run').mkdir()
    MMLogger.get_instance('nucleus_metric_test', log_file=str(tmp_path / 'run' / 'run.log'))
    gt, masks, scores = _scene(4)
    _evaluate([_sample(tmp_path, 'd', gt, torch.from_numpy(masks), scores)])
    assert (tmp_path / 'run' / 'nucleus_metrics.csv').is_file()


def test_wrong_mask_size_and_missing_path_are_clear_errors(tmp_path):
    gt, masks, scores = _scene(5)
    small = _sample(tmp_path, 'e', gt, torch.from_numpy(masks[:, :20]), scores)
    with pytest.raises(ValueError, match='original image size'):
        _evaluate([small])
    no_path = DetDataSample()
    no_path.pred_instances = InstanceData(masks=torch.from_numpy(masks), scores=torch.as_tensor(scores))
    with pytest.raises(KeyError, match='label_map_path'):
        _evaluate([no_path])


@pytest.mark.slow
def test_stock_mask_rcnn_output_is_scored(tmp_path):
    """A randomly initialised MMDetection Mask R-CNN (ResNet-18 FPN): its test_step output goes straight in."""
    pytest.importorskip('mmcv.ops')
    import mmdet
    from mmengine.config import Config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    model_cfg = Config.fromfile(Path(mmdet.__file__).parent / '.mim' / 'configs' / '_base_' / 'models' /
                                'mask-rcnn_r50_fpn.py').model
    model_cfg.backbone.update(depth=18, init_cfg=None)
    model_cfg.neck.in_channels = [64, 128, 256, 512]
    model_cfg.roi_head.bbox_head.num_classes = model_cfg.roi_head.mask_head.num_classes = 1
    model_cfg.test_cfg.rcnn.update(score_thr=0.0, max_per_img=20)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).eval()
    gt, _, _ = _scene(6)
    sample = _sample(tmp_path, 'maskrcnn', gt, torch.zeros((0, *gt.shape), dtype=torch.bool), np.zeros(0))
    sample.set_metainfo(dict(img_shape=gt.shape, scale_factor=(1.0, 1.0)))
    del sample.pred_instances
    image = torch.randint(0, 256, (3, *gt.shape), dtype=torch.uint8)
    with torch.no_grad():
        outputs = model.test_step(dict(inputs=[image], data_samples=[sample]))
    pred = outputs[0].pred_instances
    assert len(pred) > 0 and tuple(pred.masks.shape[1:]) == gt.shape and pred.masks.dtype == torch.bool
    results = _evaluate(outputs, csv_path=str(tmp_path / 'maskrcnn.csv'))
    label = instances_to_label_map(pred.masks.numpy(), pred.scores.numpy())
    expected = aggregate([instance_metrics(gt, label)])
    expected['centroid_dx'], expected['centroid_dy'] = mean_offset(centroid_offsets(gt, label))
    assert results == pytest.approx({f'nucleus/{key}': value for key, value in expected.items()})
