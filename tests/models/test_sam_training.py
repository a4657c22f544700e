"""SAMBoxPromptSegmenter.loss: SAM's loss falls over a few steps on synthetic disks."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.structures.mask import BitmapMasks  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from centersam_mm.models.losses import sam_mask_loss  # noqa: E402
from centersam_mm.models.segmenters import SAMBoxPromptSegmenter  # noqa: E402
from centersam_mm.models.segmenters.box_jitter import jitter_boxes  # noqa: E402


def _disks(size: int = 128, n: int = 6, seed: int = 0):
    """Bright disks on a dark image: image 3×S×S (0-255), masks n×S×S, boxes n×4."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    masks, boxes = [], []
    for _ in range(n):
        r = rng.uniform(5, 12)
        cy, cx = rng.uniform(r + 2, size - r - 2, 2)
        m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        masks.append(m)
        ys, xs = np.nonzero(m)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    img = np.where(np.any(masks, 0), 200, 30).astype(np.float32)
    return torch.from_numpy(np.stack([img] * 3)), np.stack(masks).astype(np.uint8), \
        torch.tensor(boxes, dtype=torch.float32)


def _sample(masks, boxes, size=128) -> DetDataSample:
    ds = DetDataSample(metainfo=dict(ori_shape=(size, size), img_shape=(size, size),
                                     scale_factor=(1.0, 1.0)))
    ds.gt_instances = InstanceData(bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long),
                                   masks=BitmapMasks(masks, size, size))
    return ds


def test_loss_decreases_on_disks():
    torch.manual_seed(0)
    model = SAMBoxPromptSegmenter(arch='sam_tiny_test', decode_windows=(8,),
                                  train_cfg=dict(max_instances=6))
    img, masks, boxes = _disks()
    inputs, samples = img[None], [_sample(masks, boxes)]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    history = []
    for _ in range(25):
        losses = model.loss(inputs, samples)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(total.item())
    assert set(losses) == {'loss_focal', 'loss_dice', 'loss_iou'}
    assert np.mean(history[-5:]) < 0.7 * np.mean(history[:5])


def test_frozen_parts_get_no_gradient():
    model = SAMBoxPromptSegmenter(arch='sam_tiny_test', trainable=('mask_decoder',))
    img, masks, boxes = _disks()
    sum(model.loss(img[None], [_sample(masks, boxes)]).values()).backward()
    assert all(p.grad is None for p in model.image_encoder.parameters())
    assert any(p.grad is not None for p in model.mask_decoder.parameters())


def test_sam_loss_perfect_prediction_is_small():
    target = torch.zeros(2, 16, 16)
    target[:, 4:10, 4:10] = 1
    logits = (target * 2 - 1) * 20
    losses = sam_mask_loss(logits, target, torch.ones(2))
    assert all(float(v) < 1e-3 for v in losses.values())


def test_jitter_stays_near_box():
    boxes = torch.tensor([[10., 10, 30, 50]])
    out = jitter_boxes(boxes.repeat(100, 1), ratio=0.1, pixels=2, bounds=(64, 64))
    assert (out - boxes).abs()[:, 0::2].max() <= 0.1 * 20 + 2 + 1e-4
    assert (out - boxes).abs()[:, 1::2].max() <= 0.1 * 40 + 2 + 1e-4
    assert (out[:, 2:] > out[:, :2]).all()


def test_sample_instances_keeps_at_most_n():
    from centersam_mm.datasets.transforms import SampleInstances
    results = dict(instances=[dict(bbox=[i, i, i + 5, i + 5], ignore_flag=0) for i in range(50)]
                   + [dict(bbox=[0, 0, 1, 1], ignore_flag=1)])
    out = SampleInstances(max_num=32, seed=0)(results)
    assert len(out['instances']) == 32
    assert all(not inst['ignore_flag'] for inst in out['instances'])
    few = SampleInstances(max_num=32)(dict(instances=[dict(bbox=[0, 0, 2, 2], ignore_flag=0)]))
    assert len(few['instances']) == 1
