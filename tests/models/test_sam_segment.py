"""SAMBoxPromptSegmenter.segment: resolution, chunking, windowed decoding (tiny random SAM)."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
from centersam_mm.models.segmenters import SAMBoxPromptSegmenter  # noqa: E402
from centersam_mm.models.segmenters.decoding import decode_masks  # noqa: E402

BOXES = np.array([[5, 8, 30, 40], [50, 20, 90, 60], [10, 60, 25, 75], [100, 5, 150, 70],
                  [0, 0, 199, 89]], dtype=np.float32)


def _model(**kw) -> SAMBoxPromptSegmenter:
    torch.manual_seed(0)
    return SAMBoxPromptSegmenter(arch='sam_tiny_test', **kw).eval()


def _image(h: int = 90, w: int = 200) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_masks_at_original_resolution_non_square():
    result = _model().segment(_image(), BOXES)
    assert result.masks.shape == (len(BOXES), 90, 200)
    assert result.masks.dtype == torch.bool
    assert result.iou_pred.shape == (len(BOXES),)


def test_no_boxes():
    result = _model().segment(_image(), np.zeros((0, 4), np.float32))
    assert result.masks.shape == (0, 90, 200)


def test_tensor_input_equals_array_input():
    model, img = _model(), _image()
    a = model.segment(img, BOXES)
    b = model.segment(torch.from_numpy(img).permute(2, 0, 1)[None], BOXES)
    assert torch.equal(a.masks, b.masks)


def test_chunked_equals_unchunked():
    model, img = _model(), _image()
    full = model.segment(img, BOXES, chunk_size=len(BOXES))
    chunked = model.segment(img, BOXES, chunk_size=2)
    assert torch.equal(full.masks, chunked.masks)
    assert torch.allclose(full.iou_pred, chunked.iou_pred, atol=1e-6)


def test_window_covering_the_grid_equals_full_decoding():
    """A 16-token window on a 16-token grid sees exactly the full embedding."""
    img = _image()
    windowed = _model(decode_windows=(16,)).segment(img, BOXES)
    full = _model(decode_windows=()).segment(img, BOXES)
    assert torch.equal(windowed.masks, full.masks)
    assert torch.allclose(windowed.iou_pred, full.iou_pred, atol=1e-5)


def test_small_window_is_used_and_close_to_full():
    """8-token windows differ from full decoding (fewer tokens attended) but keep the same size."""
    img = _image()
    windowed = _model(decode_windows=(8,)).segment(img, BOXES[:3])
    assert windowed.masks.shape == (3, 90, 200)


def test_decode_masks_matches_official_mask_decoder():
    model = _model()
    emb = torch.randn(1, 32, 16, 16)
    boxes = torch.tensor([[10., 10, 40, 50], [60, 20, 90, 70]])
    sparse, dense = model.prompt_encoder(points=None, boxes=boxes, masks=None)
    ref, ref_iou = model.mask_decoder(emb, model.prompt_encoder.get_dense_pe(), sparse, dense,
                                      multimask_output=False)
    ours, iou = decode_masks(model.mask_decoder, emb.expand(2, -1, -1, -1),
                             model.prompt_encoder.get_dense_pe(), sparse, dense)
    assert torch.allclose(ref[:, 0], ours, atol=1e-5)
    assert torch.allclose(ref_iou[:, 0], iou, atol=1e-6)


def test_box_mask_prompt_chunked_and_windowed_consistent():
    img = _image()
    model = _model(decode_windows=(16,), box_mask_prompt=True)
    a = model.segment(img, BOXES, chunk_size=2)
    b = _model(decode_windows=(), box_mask_prompt=True).segment(img, BOXES)
    assert torch.equal(a.masks, b.masks)
    assert a.masks.shape == (len(BOXES), 90, 200)


def test_box_mask_input_rasterises_the_box():
    from centersam_mm.models.segmenters.decoding import Windows, box_mask_input
    boxes = torch.tensor([[8., 16, 24, 40], [40., 40, 48, 44]])
    m = box_mask_input(boxes, Windows(torch.tensor([[0, 0], [4, 4]]), 8), patch_size=8)
    assert m.shape == (2, 1, 32, 32)  # 2 input px per mask pixel
    assert (m[0, 0, 8:20, 4:12] == 1).all() and (m[0, 0, :8] == -1).all()
    assert (m[0, 0, :, 12:] == -1).all() and int((m[0] == 1).sum()) == 12 * 8
    assert (m[1, 0, 4:6, 4:8] == 1).all() and int((m[1] == 1).sum()) == 2 * 4


def test_fixed_scale_windows_match_each_window_alone():
    """With ``input_scale``, a 200×300 image is encoded in 128-pixel windows (img_size 128, overlap 32,
    starts on multiples of 32: 0, 96 (rows); 0, 96, 192 (columns)); each box's mask equals the one from
    segmenting its window's crop on its own, and a box is decoded on the window whose core holds its centre.
    """
    model = _model(input_scale=1.0, window_overlap=32, window_align=32)
    image = _image(200, 300)
    boxes = np.array([[10, 10, 40, 50],      # centre (25, 30): window rows 0-128, columns 0-128
                      [150, 120, 180, 160],  # centre (165, 140): cores split at 112 and 208 -> cols 96-224, rows 96-200
                      [250, 20, 290, 60]], dtype=np.float32)  # centre (270, 40): window columns 192-300
    whole = model.segment(image, boxes)
    windows = [(0, 128, 0, 128), (96, 200, 96, 224), (0, 128, 192, 300)]
    for box, (y0, y1, x0, x1), mask, iou in zip(boxes, windows, whole.masks, whole.iou_pred):
        alone = model.segment(image[y0:y1, x0:x1], box[None] - np.array([x0, y0, x0, y0], np.float32))
        assert torch.equal(mask[y0:y1, x0:x1], alone.masks[0])
        assert not mask.any() or (mask.nonzero()[:, 0].min() >= y0 and mask.nonzero()[:, 1].min() >= x0)
        assert torch.allclose(iou, alone.iou_pred[0])


def test_fixed_scale_resizes_by_the_factor():
    """input_scale 0.5 on a 100×200 image: the encoder input is 50×100 (no fitting to 128)."""
    model = _model(input_scale=0.5)
    _, in_hw, orig_hw = model.prepare_image(_image(100, 200), model.input_scale)
    assert in_hw == (50, 100) and orig_hw == (100, 200)
