"""apis.correction: the pipeline's prompts are recovered and re-decoding them reproduces the pipeline's masks."""
import numpy as np
import pytest

from centersam_mm.apis import NucleusSegmenter
from centersam_mm.apis.correction import (CorrectionUnavailable, relabel_by_score, segment_for_correction)
from centersam_mm.io.readers import read_image

from _napari_helpers import DEMO_IMAGE, REPO_ROOT

HE_CROP = REPO_ROOT / 'demo' / 'he_monuseg_TCGA-18-5592_crop.png'  # 400 x 400 H&E, ~75 nuclei


def _full(shape, region, mask) -> np.ndarray:
    out = np.zeros(shape, bool)
    y0, y1, x0, x1 = region
    out[y0:y1, x0:x1] = mask
    return out


def _check_reproduces_pipeline(segmenter, image, one_tile: bool = True):
    """Re-decoding every unchanged prompt gives the pipeline's SAM mask, cleaned as the pipeline cleans it (on the
    demo image cleaning changes a pixel of one mask of the default model); re-applying it changes no pixel of a
    one-tile image. In a tiled one, a nucleus may gain background pixels that a higher-scoring mask took from it
    inside its tile when that mask then belonged to another tile (and did not cover them there); nothing else."""
    session = segment_for_correction(segmenter, image, keep_masks=True)
    expected = segmenter.predict_rgb(image)
    assert np.array_equal(session.result.labels, expected.labels)  # the recorded run is the pipeline's run
    assert session.unmatched == 0 and len(session.nuclei) == expected.num_nuclei > 5
    ious = []
    for label, nucleus in session.nuclei.items():
        pipeline = _full(image.shape[:2], *session.pipeline_mask(label))
        decoded = _full(image.shape[:2], *session.decode(nucleus.box, nucleus.tile))
        ious.append((pipeline & decoded).sum() / (pipeline | decoded).sum())
        own = session.result.labels == label
        assert not (own & ~decoded).any()  # the label map's nucleus lies inside its re-decoded mask
    assert min(ious) > 0.999, f'IoU of re-decoded vs pipeline masks: min {min(ious):.4f}'
    labels = session.result.labels.copy()
    for label, nucleus in list(session.nuclei.items()):
        edit = session.update(labels, label, nucleus.box)
        assert (labels[edit.indices] == 0).all() and (edit.values == label).all()
        edit.apply(labels)
    gained = labels != expected.labels
    assert not gained.any() if one_tile else gained.sum() < 0.01 * (expected.labels > 0).sum()
    labels = expected.labels.copy()
    exported = session.export_result(labels)
    assert np.array_equal(exported.labels, expected.labels) and np.array_equal(exported.scores, expected.scores)
    if one_tile:
        assert np.array_equal(exported.boxes, expected.boxes)
    else:  # the pipeline's boxes are measured before a neighbour tile's nuclei took pixels (NucleusResult.boxes)
        inside = (exported.boxes[:, :2] >= expected.boxes[:, :2]).all(1) & \
            (exported.boxes[:, 2:] <= expected.boxes[:, 2:]).all(1)
        assert inside.all() and (exported.boxes == expected.boxes).all(1).mean() > 0.95
    return session


@pytest.mark.slow
def test_unchanged_boxes_reproduce_the_pipeline_masks(default_segmenter):
    _check_reproduces_pipeline(default_segmenter, read_image(DEMO_IMAGE))


@pytest.mark.slow
def test_unchanged_boxes_reproduce_the_pipeline_masks_in_tiles_and_windows(default_segmenter):
    """A tiled image (4 tiles, each owning nuclei) whose tiles SAM encodes in several windows."""
    model = default_segmenter.instance_fn.model
    segmenter = NucleusSegmenter(model, tile_size=350, tile_overlap=100, scale=2.5)
    image = read_image(HE_CROP)
    session = _check_reproduces_pipeline(segmenter, image, one_tile=False)
    assert len(session.tiles) == 4 and len({nucleus.tile for nucleus in session.nuclei.values()}) == 4
    assert len(session.windows(0)) > 1  # SAM's windows are smaller than the tile
    windows = session.windows_to_prefetch()
    assert len({window for _, window in windows}) > 1
    assert session.prefetch() == len(windows) == session.num_cached


def test_models_without_sam_boxes_are_refused():
    with pytest.raises(CorrectionUnavailable):
        segment_for_correction(NucleusSegmenter('stub'), np.zeros((32, 32, 3), np.uint8))


def test_relabel_by_score_orders_ids_and_fills_gaps():
    labels = np.zeros((6, 8), np.uint16)
    labels[0:2, 0:2] = 5
    labels[3:6, 4:8] = 2
    labels[0:1, 6:8] = 9
    result = relabel_by_score(labels, {5: 0.5, 2: 0.9, 9: 0.5}.get, scale=2.0)
    assert result.scores.tolist() == pytest.approx([0.9, 0.5, 0.5]) and result.scale == 2.0
    assert (result.labels[3:6, 4:8] == 1).all() and (result.labels[0:2, 0:2] == 2).all()  # tie: lower id first
    assert (result.labels[0, 6:8] == 3).all() and result.labels.max() == 3
    assert result.boxes.tolist() == [[4, 3, 8, 6], [0, 0, 2, 2], [6, 0, 8, 1]]


@pytest.mark.slow
def test_unchanged_boxes_reproduce_the_pipeline_masks_in_bounded_tiles(default_segmenter):
    """Tiles bounded at the model's input and cut to whole SAM windows: the session rebuilds the same tiles.
    350-px tiles at factor 2.5 would be 875 px at the input: bounded at 800 they become 320 px (overlap 92), then
    one SAM window (side 314 less 10 px of slack, stride 234: 234 + 70 = 304 px); 2 x 2 tiles of one window."""
    model = default_segmenter.instance_fn.model
    segmenter = NucleusSegmenter(model, tile_size=350, tile_overlap=100, scale=2.5, max_tile_input=800)
    assert segmenter.instance_fn.window_grid(2.5) == (304, 234)
    assert segmenter.tile_geometry(400, 400, 2.5) == (304, 92)
    session = _check_reproduces_pipeline(segmenter, read_image(HE_CROP), one_tile=False)
    assert len(session.tiles) == 4 and all(len(session.windows(index)) == 1 for index in range(4))
