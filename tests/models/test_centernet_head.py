"""CenterNet pieces: Gaussian radius, targets for hand-placed boxes, decoding of a hand-made heatmap, the
width-height and offset branches evaluated at the peaks only."""
import math

import numpy as np
import pytest

torch = pytest.importorskip('torch')
pytest.importorskip('mmdet')

from mmdet.models.utils.gaussian_target import gaussian_radius  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmdet.models.utils import transpose_and_gather_feat  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402

from centersam_mm.models.dense_heads import MultiStackCenterNetHead, NucleusCenterNetHead  # noqa: E402
from centersam_mm.models.dense_heads.nucleus_centernet_head import PeakBranch  # noqa: E402


def _iou_corner_shift(h, w, r, case):
    """IoU between a h x w box and the box whose corners move by r (CornerNet's three cases)."""
    if case == 1:  # one corner inside, one outside: both move by r in the same direction
        inter = (w - r) * (h - r)
        return inter / (2 * w * h - inter)
    if case == 2:  # both corners inside
        return (w - 2 * r) * (h - 2 * r) / (w * h)
    return w * h / ((w + 2 * r) * (h + 2 * r))  # both corners outside


def _largest_radius(h, w, min_iou, case):
    """Largest r with IoU(r) >= min_iou, by bisection (IoU falls monotonically with r)."""
    lo, hi = 0.0, min(h, w) / (2 if case == 2 else 1)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _iou_corner_shift(h, w, mid, case) >= min_iou else (lo, mid)
    return lo


def _cornernet_original_radius(h, w, min_iou):
    """The formula as first published in CornerNet/CenterNet: '+' roots and '/ 2' for every case."""
    b1, c1 = h + w, w * h * (1 - min_iou) / (1 + min_iou)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2, c2 = 2 * (h + w), (1 - min_iou) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3, b3, c3 = 4 * min_iou, -2 * min_iou * (h + w), (min_iou - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


@pytest.mark.parametrize('h,w,min_iou', [(10, 10, 0.7), (12, 30, 0.7), (40, 25, 0.3), (6, 6, 0.5)])
def test_gaussian_radius_is_closed_form_minimum(h, w, min_iou):
    expected = min(_largest_radius(h, w, min_iou, case) for case in (1, 2, 3))
    assert gaussian_radius((h, w), min_iou) == pytest.approx(expected, rel=1e-6)


def test_original_cornernet_radius_bug_breaks_the_iou_guarantee():
    # The published formula divides by 2 instead of 2a and takes the wrong root for cases 1-2:
    # a 10x10 box at min IoU 0.7 gets r = 2.96 instead of 0.78 (case 2: (10-2r)^2/100 >= 0.7).
    h = w = 10
    buggy, fixed = _cornernet_original_radius(h, w, 0.7), gaussian_radius((h, w), 0.7)
    assert fixed == pytest.approx(5 - math.sqrt(17.5), rel=1e-9)  # case 2 root: r = (10 - sqrt(70))/2
    assert buggy > fixed
    assert _iou_corner_shift(h, w, buggy, 3) < 0.7  # the buggy radius no longer guarantees the IoU


def _head(**kwargs):
    head = NucleusCenterNetHead(num_classes=1, in_channels=8, feat_channels=8, **kwargs)
    head.init_weights()
    return head


def test_targets_for_hand_placed_boxes():
    head = _head()
    # two boxes on a 128x128 input; feature stride 4 -> 32x32 maps
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 48., 48.], [80., 72., 106., 120.]]),
                      labels=torch.tensor([0, 0]))
    targets, avg_factor = head.compute_targets([gt], [dict(batch_input_shape=(128, 128))], (1, 1, 32, 32))
    heatmap = targets['center_heatmap_target'][0, 0]
    # centres (28, 28) and (93, 96) px -> (7, 7) and (23.25, 24) cells -> integer peaks (7, 7), (23, 24)
    assert avg_factor == 2
    assert torch.nonzero(heatmap == 1).tolist() == [[7, 7], [24, 23]]
    # wh in feature cells (box / 4) and the sub-cell offset, at the peaks only
    assert targets['wh_target'][0, :, 7, 7].tolist() == [10.0, 10.0]
    assert targets['wh_target'][0, :, 24, 23].tolist() == [6.5, 12.0]
    assert targets['offset_target'][0, :, 24, 23].tolist() == [0.25, 0.0]
    assert targets['wh_offset_target_weight'].sum() == 4  # 2 boxes x 2 channels
    # box 1 (10x10 cells): radius int(gaussian_radius) = int(2.26) = 2, sigma = (2*2+1)/6;
    # one cell from the peak exp(-1 / (2 sigma^2)) = 0.487, three cells away 0 (outside the radius)
    sigma = 5 / 6
    assert heatmap[7, 8].item() == pytest.approx(math.exp(-1 / (2 * sigma ** 2)), rel=1e-5)
    assert heatmap[7, 10] == 0


def test_edge_and_degenerate_boxes_make_valid_targets():
    """A zero-width box on the right edge (a flipped crop-edge box) crashed MMDetection's get_targets with an
    IndexError one cell past the map; it is dropped, and a box reaching past the input is clipped to it."""
    head = _head()
    gt = InstanceData(bboxes=torch.tensor([[128., 40., 128., 60.],     # zero width at x = 128 (the edge)
                                           [100., 100., 140., 130.]]),  # reaches past the 128x128 input
                      labels=torch.tensor([0, 0]))
    targets, avg_factor = head.compute_targets([gt], [dict(batch_input_shape=(128, 128))], (1, 1, 32, 32))
    # the second box becomes [100, 100, 128 - 1e-3, 128 - 1e-3]: centre (114, 114) px -> cell (28.5, 28.5)
    assert avg_factor == 1
    assert torch.nonzero(targets['center_heatmap_target'][0, 0] == 1).tolist() == [[28, 28]]
    assert targets['wh_target'][0, :, 28, 28].tolist() == pytest.approx([7.0, 7.0], abs=1e-3)


def _hand_made_outputs():
    heatmap = torch.zeros(1, 1, 16, 16)
    heatmap[0, 0, 4, 4] = 0.9    # peak
    heatmap[0, 0, 4, 5] = 0.5    # neighbour of a higher peak: suppressed by the 3x3 max-pool
    heatmap[0, 0, 10, 12] = 0.3  # second peak
    heatmap[0, 0, 14, 2] = 0.05  # below theta = 0.1
    wh = torch.zeros(1, 2, 16, 16)
    wh[0, :, 4, 4] = torch.tensor([4., 2.])
    wh[0, :, 10, 12] = torch.tensor([2., 2.])
    offset = torch.zeros(1, 2, 16, 16)
    offset[0, :, 4, 4] = torch.tensor([0.5, 0.25])
    return heatmap, wh, offset


def test_decoding_of_a_hand_made_heatmap():
    head = _head()
    heatmap, wh, offset = _hand_made_outputs()
    meta = dict(batch_input_shape=(64, 64), scale_factor=(2.0, 2.0))
    (result,) = head.predict_by_feat([heatmap], [wh], [offset], [meta], rescale=True)
    order = result.scores.argsort(descending=True)
    # peak 1: centre (4.5, 4.25) cells = (18, 17) px, wh (16, 8) px -> xyxy (10, 13, 26, 21), / scale 2
    # peak 2: centre (12, 10) cells = (48, 40) px, wh (8, 8) px -> (44, 36, 52, 44), / 2
    expected = torch.tensor([[5.0, 6.5, 13.0, 10.5], [22.0, 18.0, 26.0, 22.0]])
    assert torch.allclose(result.bboxes[order], expected)
    assert torch.allclose(result.scores[order], torch.tensor([0.9, 0.3]))


def test_box_nms_removes_a_second_peak_on_one_nucleus():
    """Two peaks two cells apart, both 8x8 cells wide, on one large nucleus: box IoU (6*8) / (2*64 - 48) = 0.6."""
    heatmap = torch.zeros(1, 1, 16, 16)
    heatmap[0, 0, 6, 6] = 0.9
    heatmap[0, 0, 6, 8] = 0.6  # outside the 3x3 max-pool window of the first peak: survives decoding
    wh = torch.full((1, 2, 16, 16), 8.0)
    offset = torch.zeros(1, 2, 16, 16)
    meta = dict(batch_input_shape=(64, 64))

    def decode(**test_cfg):
        (result,) = _head(test_cfg=test_cfg).predict_by_feat([heatmap], [wh], [offset], [meta], rescale=False)
        return result

    assert len(decode()) == 2  # no NMS by default, as the paper's CenterNet
    assert decode(nms=dict(type='nms', iou_threshold=0.5)).scores.tolist() == pytest.approx([0.9])
    assert len(decode(nms=dict(type='nms', iou_threshold=0.7))) == 2  # IoU 0.6 < 0.7: both kept


def test_decoding_keeps_more_than_a_thousand_peaks_when_asked():
    head = _head(test_cfg=dict(topk=1200, score_thr=0.1))
    heatmap = torch.zeros(1, 1, 128, 128)
    heatmap[0, 0, ::3, ::3] = 0.5  # 43 x 43 = 1849 isolated peaks
    (result,) = head.predict_by_feat([heatmap], [torch.ones(1, 2, 128, 128)], [torch.zeros(1, 2, 128, 128)],
                                     [dict(batch_input_shape=(512, 512))], rescale=False)
    assert len(result) == 1200


def test_multi_stack_head_supervises_every_stack_and_predicts_from_the_last():
    head = MultiStackCenterNetHead(num_stacks=2, num_classes=1, in_channels=8, feat_channels=8)
    head.init_weights()
    feats = [torch.randn(1, 8, 16, 16), torch.randn(1, 8, 16, 16)]
    heatmaps, whs, offsets = head(feats)
    assert len(heatmaps) == 2 and not torch.equal(heatmaps[0], heatmaps[1])
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.]]), labels=torch.tensor([0]))
    losses = head.loss_by_feat(heatmaps, whs, offsets, [gt], [dict(batch_input_shape=(64, 64))])
    assert set(losses) == {f's{i}.loss_{k}' for i in (0, 1) for k in ('center_heatmap', 'wh', 'offset')}
    losses['s0.loss_center_heatmap'].backward()
    assert head.heatmap_heads[0][0].weight.grad is not None and head.heatmap_heads[1][0].weight.grad is None
    meta = [dict(batch_input_shape=(64, 64))]
    last_only = NucleusCenterNetHead.predict_by_feat(head, heatmaps[-1:], whs[-1:], offsets[-1:], meta)
    (decoded,) = head.predict_by_feat(heatmaps, whs, offsets, meta)
    assert torch.equal(decoded.bboxes, last_only[0].bboxes)
    with pytest.raises(ValueError, match='expects 2 feature maps'):
        head(feats[:1])


def test_box_iou_loss_reads_the_box_at_each_centre():
    head = _head(loss_box_iou=dict(type='IoULoss', mode='linear', loss_weight=1.0))
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 48., 48.], [80., 72., 106., 120.]]),
                      labels=torch.tensor([0, 0]))
    targets, avg_factor = head.compute_targets([gt], [dict(batch_input_shape=(128, 128))], (1, 1, 32, 32))
    heatmap = targets['center_heatmap_target'].clone()
    # predictions equal to the targets: the IoU loss is 0
    exact = head.losses_from_targets(heatmap, targets['wh_target'], targets['offset_target'], targets, avg_factor)
    assert exact['loss_box_iou'].item() == pytest.approx(0.0, abs=1e-6)
    # box 1 (10 x 10 cells) predicted 5 x 10 at the same centre: IoU 0.5; box 2 exact -> mean loss 0.25
    wh_pred = targets['wh_target'].clone()
    wh_pred[0, 0, 7, 7] = 5.0
    half = head.losses_from_targets(heatmap, wh_pred, targets['offset_target'], targets, avg_factor)
    assert half['loss_box_iou'].item() == pytest.approx(0.25, rel=1e-5)
    # a centre offset by half the width (5 cells) on box 1: IoU 5*10 / (2*100 - 50) = 1/3 -> loss (2/3) / 2
    offset_pred = targets['offset_target'].clone()
    offset_pred[0, 0, 7, 7] += 5.0
    shifted = head.losses_from_targets(heatmap, targets['wh_target'], offset_pred, targets, avg_factor)
    assert shifted['loss_box_iou'].item() == pytest.approx(1 / 3, rel=1e-5)
    # off-centre cells do not count, and a negative size gives an empty box (IoU 0, loss 1), not an
    # inverted one (whose signed area would make a spurious overlap): mean loss (0 + 1) / 2
    wh_pred = targets['wh_target'].clone()
    wh_pred[0, :, 0, 0] = 99.0
    wh_pred[0, :, 24, 23] = -3.0
    clamped = head.losses_from_targets(heatmap, wh_pred, targets['offset_target'], targets, avg_factor)
    assert clamped['loss_box_iou'].item() == pytest.approx(0.5, abs=1e-5)


def test_no_box_iou_loss_unless_configured():
    head = _head()
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 48., 48.]]), labels=torch.tensor([0]))
    targets, avg_factor = head.compute_targets([gt], [dict(batch_input_shape=(128, 128))], (1, 1, 32, 32))
    losses = head.losses_from_targets(targets['center_heatmap_target'], targets['wh_target'],
                                      targets['offset_target'], targets, avg_factor)
    assert set(losses) == {'loss_center_heatmap', 'loss_wh', 'loss_offset'}


def _random_head(seed=0):
    """A head (8 channels) with weights of trained magnitude (init_weights' std 0.001 would make wh / offset
    near zero)."""
    torch.manual_seed(seed)
    head = _head()
    for param in head.parameters():
        torch.nn.init.normal_(param, std=0.5)
    return head.eval()


def test_peak_branch_known_answer_at_a_corner_and_inside():
    """A branch summing channel 0 over each 3x3 neighbourhood (zero padding): at the corner (0, 0) of a map
    holding 0..11 in channel 0, the sum of cells (0,0), (0,1), (1,0), (1,1) = 0 + 1 + 4 + 5 = 10; at (1, 1)
    the sum of rows 0-2, columns 0-2 = (0+1+2) + (4+5+6) + (8+9+10) = 45."""
    branch = torch.nn.Sequential(torch.nn.Conv2d(2, 1, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(1, 2, 1))
    with torch.no_grad():
        branch[0].weight.zero_()
        branch[0].weight[0, 0] = 1.0
        branch[0].bias.zero_()
        branch[2].weight[:] = torch.tensor([1.0, 2.0]).view(2, 1, 1, 1)
        branch[2].bias[:] = torch.tensor([0.0, 1.0])
    feat = torch.zeros(1, 2, 3, 4)
    feat[0, 0] = torch.arange(12.0).view(3, 4)
    feat[0, 1] = 100.0  # weighted 0: must not leak in
    values = PeakBranch(branch, feat).at(torch.tensor([[0, 5]]))  # cells (0, 0) and (1, 1)
    assert values.tolist() == [[[10.0, 21.0], [45.0, 91.0]]]


@pytest.mark.parametrize('channels_last', [False, True])
def test_peak_branch_equals_the_dense_branch_at_every_cell(channels_last):
    head = _random_head()
    feat = torch.randn(2, 8, 7, 9)
    if channels_last:
        feat = feat.contiguous(memory_format=torch.channels_last)
    cells = torch.arange(7 * 9).repeat(2, 1)  # borders and corners included
    with torch.no_grad():
        for branch in (head.wh_head, head.offset_head):
            dense = transpose_and_gather_feat(branch(feat), cells)
            assert torch.allclose(PeakBranch(branch, feat).at(cells), dense, atol=1e-5)
            assert torch.allclose(PeakBranch(branch, feat)[1:].at(cells[1:]), dense[1:], atol=1e-5)


@pytest.mark.parametrize('score_thr', [0.0, 0.1, 0.3])
def test_predict_with_branches_at_peaks_gives_the_dense_boxes(score_thr):
    """Equal boxes whatever the threshold: the branches run at the peaks that can pass it (k is clamped to the
    480 cells; at 0.0 every cell passes, non-maxima with score 0)."""
    head = _random_head(seed=1)
    head.test_cfg['score_thr'] = score_thr
    feats = (torch.randn(2, 8, 20, 24),)
    samples = [DetDataSample(metainfo=dict(batch_input_shape=(80, 96), scale_factor=(1.5, 2.0))),
               DetDataSample(metainfo=dict(batch_input_shape=(80, 96), scale_factor=(1.0, 1.0)))]
    with torch.no_grad():
        sparse = head.predict(feats, samples, rescale=True)
        head.test_cfg['branches_at_peaks'] = False
        dense = head.predict(feats, samples, rescale=True)
    for a, b in zip(sparse, dense):
        assert len(a) == len(b) > 0
        assert torch.equal(a.scores, b.scores) and torch.equal(a.labels, b.labels)
        assert torch.allclose(a.bboxes, b.bboxes, atol=1e-4)
    assert (len(sparse[0]) == 20 * 24) == (score_thr == 0.0)
    assert not torch.allclose(sparse[0].bboxes[:1], sparse[1].bboxes[:1])  # each image decoded on its own maps
