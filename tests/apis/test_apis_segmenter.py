"""NucleusSegmenter: inputs of every kind, label maps out; MMDetection models through init_detector."""
from pathlib import Path

import numpy as np
import pytest
import tifffile

from centersam_mm.apis import NucleusResult, NucleusSegmenter, ThresholdSegmenter, resolve_config
from centersam_mm.apis.segmenter import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, REPO_ROOT, find_repo_file

DEMO_IMAGE = REPO_ROOT / 'demo' / 'dsb_aa47f0b3.png'


def _two_squares(dtype=np.uint8, high: int = 200) -> np.ndarray:
    """(40, 60) gray image with two bright squares."""
    image = np.zeros((40, 60), dtype)
    image[5:15, 5:15] = high
    image[20:30, 40:55] = high // 2
    return image


def test_call_returns_label_map_for_napari():
    labels = NucleusSegmenter('stub')(_two_squares())
    assert labels.shape == (40, 60) and labels.dtype == np.uint16
    assert labels.max() == 2 and labels[10, 10] == 1  # the brighter square scores higher: id 1


def test_predict_accepts_paths_16bit_channel_first_and_lists(tmp_path):
    segmenter = NucleusSegmenter('stub')
    tifffile.imwrite(tmp_path / 'deep.tif', _two_squares(np.uint16, 60000))
    from_path = segmenter.predict(tmp_path / 'deep.tif')
    assert isinstance(from_path, NucleusResult) and from_path.num_nuclei == 2
    channel_first = np.repeat(_two_squares()[None], 3, axis=0)  # (3, H, W)
    results = segmenter.predict([channel_first, str(tmp_path / 'deep.tif')])
    assert [result.num_nuclei for result in results] == [2, 2]
    assert results[0].boxes.tolist()[0] == [5, 5, 15, 15]  # x0, y0, x1, y1 (exclusive)
    assert len(segmenter([channel_first, channel_first])) == 2


def test_any_callable_is_a_model_and_thresholds_apply():
    def masks_fn(image):
        masks = np.zeros((2, *image.shape[:2]), bool)
        masks[0, :5, :5] = masks[1, 10:20, 10:20] = True
        return masks, np.array([0.2, 0.9])

    assert NucleusSegmenter(masks_fn).predict(np.zeros((30, 30, 3), np.uint8)).num_nuclei == 2
    assert NucleusSegmenter(masks_fn, score_thr=0.5).predict(np.zeros((30, 30, 3), np.uint8)).num_nuclei == 1
    assert NucleusSegmenter(masks_fn, min_area=50).predict(np.zeros((30, 30, 3), np.uint8)).num_nuclei == 1


def test_large_images_are_tiled():
    segmenter = NucleusSegmenter(ThresholdSegmenter(), tile_size=64, tile_overlap=16)
    assert segmenter.num_tiles(40, 60) == 1 and segmenter.num_tiles(200, 100) == 4 * 2
    tiles_seen = []
    image = np.repeat(np.tile(_two_squares(), (5, 2))[..., None], 3, axis=2)  # (200, 120, 3)
    result = segmenter.predict(image, on_tile_done=lambda: tiles_seen.append(1))
    assert len(tiles_seen) == segmenter.num_tiles(200, 120) and result.num_nuclei == 20


class _FixedFactorStub:
    """A scale-aware instance function whose model applies the factor 4 (the stub's masks, whatever the factor)."""
    scale_aware = True

    def __init__(self):
        self.stub = ThresholdSegmenter()

    def scale_for(self, image, prepared=None, options=None):
        return 4.0

    def tile_align(self, scale):
        return None

    def __call__(self, image, prepared=None, options=None):
        assert options['nucleus_scale'] == 4.0  # every tile runs at the whole image's factor
        return self.stub(image)


def test_tiles_shrink_at_large_factors_and_still_match_the_whole_image():
    """At factor 4 a 64-px tile would be 256 px at the model's input; ``max_tile_input=128`` halves tiles and
    overlap (32 / 16 px, stride 16): 12 x 7 tiles for (200, 120), announced through ``on_tiles``."""
    segmenter = NucleusSegmenter(_FixedFactorStub(), tile_size=64, tile_overlap=32, max_tile_input=128)
    assert segmenter.tile_geometry(200, 120, 4.0) == (32, 16)
    assert segmenter.tile_geometry(60, 60, 4.0) == (64, 32)  # an image that fits in one tile stays whole
    assert segmenter.num_tiles(200, 120) == 6 * 3 and segmenter.num_tiles(200, 120, scale=4.0) == 12 * 7
    image = np.repeat(np.tile(_two_squares(), (5, 2))[..., None], 3, axis=2)  # (200, 120, 3), squares <= 15 px
    announced, tiles_seen = [], []

    def on_tiles(num_tiles):
        announced.append(num_tiles)
        return lambda: tiles_seen.append(1)

    result = segmenter.predict_rgb(image, on_tiles=on_tiles)
    assert announced == [84] and len(tiles_seen) == 84 and result.scale == 4.0
    whole = NucleusSegmenter(ThresholdSegmenter(), tile_size=None).predict(image)
    assert result.num_nuclei == 20 and np.array_equal(result.labels, whole.labels)
    unbounded = NucleusSegmenter(_FixedFactorStub(), tile_size=64, tile_overlap=32, max_tile_input=None)
    assert unbounded.num_tiles(200, 120, scale=4.0) == unbounded.num_tiles(200, 120)


class _WindowedFixedFactorStub(_FixedFactorStub):
    """The stub of a model whose SAM encodes 20-px windows every 8 px (original pixels), at any factor."""

    def window_grid(self, scale):
        return 20, 8


def test_bounded_tiles_are_cut_to_whole_windows():
    """A bounded 32-px tile (the test above) is cut to 2 windows: 2 x 8 + (20 - 8) = 28 px, overlap kept; tiles of
    ``tile_size`` (factor 1: 64 px at the input, within the bound) are left as they are."""
    segmenter = NucleusSegmenter(_WindowedFixedFactorStub(), tile_size=64, tile_overlap=32, max_tile_input=128)
    assert segmenter.tile_geometry(200, 120, 4.0) == (28, 16)
    assert segmenter.tile_geometry(200, 120, 1.0) == (64, 32)
    image = np.repeat(np.tile(_two_squares(), (5, 2))[..., None], 3, axis=2)
    whole = NucleusSegmenter(ThresholdSegmenter(), tile_size=None).predict(image)
    unsnapped = NucleusSegmenter(_FixedFactorStub(), tile_size=64, tile_overlap=32, max_tile_input=128)
    assert segmenter.num_tiles(200, 120, scale=4.0) > unsnapped.num_tiles(200, 120, scale=4.0)
    np.testing.assert_array_equal(segmenter.predict_rgb(image).labels, whole.labels)


def test_resolve_config_by_path_or_name(tmp_path):
    config = tmp_path / 'my_model.py'
    config.write_text('model = dict()\n')
    assert resolve_config(config) == config
    with pytest.raises(FileNotFoundError):
        resolve_config('no_such_config_anywhere')
    if find_repo_file(DEFAULT_CONFIG).is_file():
        assert resolve_config(Path(DEFAULT_CONFIG).stem) == find_repo_file(DEFAULT_CONFIG)


MASK_RCNN_CONFIG = """
_base_ = ['{mmdet}/.mim/configs/_base_/models/mask-rcnn_r50_fpn.py']
model = dict(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]),
             roi_head=dict(bbox_head=dict(num_classes=1), mask_head=dict(num_classes=1)),
             test_cfg=dict(rcnn=dict(score_thr=0.0, max_per_img=20)))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(128, 128), keep_ratio=True),
                 dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                 dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                                       'scale_factor'))]
test_dataloader = dict(dataset=dict(type='CocoDataset', pipeline=test_pipeline))
"""


@pytest.mark.parametrize('name', ['centersam_r18_sam-small_dsb2018_cpu', 'centersam_r18_sam-small_monuseg_cpu'])
def test_shipped_models_are_scale_aware_and_threshold_themselves(name):
    """The shipped CenterSAM configs record their trained nucleus size (scale-aware inference), keep every
    threshold in model.test_cfg, and their test pipelines resize nothing (the model does, per image)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'centersam' / f'{name}.py'))
    test_cfg = cfg.model.test_cfg
    assert test_cfg.diameter > 0 and test_cfg.sam_diameter > 0 and test_cfg.prior_diameter > 0
    assert test_cfg.score_thr > 0 and test_cfg.scale == 'auto'
    steps = [step['type'] for step in cfg.test_dataloader.dataset.pipeline]
    assert 'Resize' not in steps and steps[1] == 'KeepOriginalImage'
    assert 'ori_img' in cfg.test_dataloader.dataset.pipeline[-1]['meta_keys']


@pytest.mark.slow
def test_stock_mmdet_mask_rcnn_random_weights(tmp_path):
    """Any MMDetection instance-segmentation config works (here a random ResNet-18 Mask R-CNN)."""
    pytest.importorskip('mmcv.ops')
    import mmdet
    import torch
    config = tmp_path / 'mask_rcnn_r18.py'
    config.write_text(MASK_RCNN_CONFIG.format(mmdet=Path(mmdet.__file__).parent))
    torch.manual_seed(0)
    segmenter = NucleusSegmenter(str(config), weights=None, score_thr=0.0)
    result = segmenter.predict(DEMO_IMAGE)
    assert result.labels.shape == (256, 256) and result.num_nuclei > 0
    assert result.labels.max() == result.num_nuclei and np.all(np.diff(result.scores) <= 0)


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_default_model_finds_nuclei_on_a_demo_image():
    labels = NucleusSegmenter()(str(DEMO_IMAGE))
    assert labels.shape == (256, 256) and 15 <= labels.max() <= 60  # the image holds 31 annotated nuclei


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_estimated_factor_gives_the_nuclei_of_that_factor_given():
    """A one-tile image reuses the estimate's last detector run as its detections: the same nuclei as a run
    with that factor given (``scale=``), which runs the detector once, anew."""
    auto = NucleusSegmenter().predict(str(DEMO_IMAGE))
    given = NucleusSegmenter(scale=auto.scale).predict(str(DEMO_IMAGE))
    assert auto.scale is not None and auto.num_nuclei > 15
    assert given.scale == auto.scale
    np.testing.assert_array_equal(given.labels, auto.labels)
    np.testing.assert_allclose(given.scores, auto.scores, rtol=1e-5)


def _demo_mosaic() -> np.ndarray:
    """(600, 600, 3) RGB mosaic of three fluorescence demo images, rows rolled so that no two rows repeat."""
    import cv2
    fluorescence = [REPO_ROOT / 'demo' / f'{name}.png' for name in ('dsb_aa47f0b3', 'dsb_f8e74d40', 'dsb_16c3d593')]
    row = np.hstack([cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in fluorescence])
    return np.ascontiguousarray(np.vstack([row, np.roll(row, 256, axis=1), np.roll(row, 512, axis=1)])[:600, :600])


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_default_model_tiled_matches_whole():
    """Object F1 at IoU 0.5 between tiled (4 tiles of 512) and whole-image runs of a 600×600 demo mosaic, with
    default options: the factor is estimated once for the whole image and every tile uses it (detector and SAM,
    which encodes windows aligned as the tiles), and tiling equalises (CLAHE) the whole image once."""
    from centersam_mm.evaluation.functional import instance_metrics
    mosaic = _demo_mosaic()
    whole = NucleusSegmenter(tile_size=None).predict(mosaic)
    tiled_segmenter = NucleusSegmenter(tile_size=512, tile_overlap=128)
    assert tiled_segmenter.num_tiles(600, 600) == 4
    tiled = tiled_segmenter.predict(mosaic)
    assert whole.scale == tiled.scale
    assert whole.num_nuclei > 100
    assert instance_metrics(whole.labels, tiled.labels)['f1_05'] >= 0.99


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_default_model_tiles_bounded_at_its_input_match_whole():
    """The mosaic of the test above with tiles bounded at 768 pixels of the detector's input: at its factor
    (~2.9) 512-px tiles would be ~1,500 px there, so they shrink to about a third of their side (and overlap),
    and the nuclei still match the whole-image run's."""
    from centersam_mm.evaluation.functional import instance_metrics
    mosaic = _demo_mosaic()
    whole = NucleusSegmenter(tile_size=None).predict(mosaic)
    bounded = NucleusSegmenter(tile_size=512, tile_overlap=128, max_tile_input=768)
    tile_size, overlap = bounded.tile_geometry(600, 600, whole.scale)
    assert tile_size * whole.scale <= 768 < 512 * whole.scale and overlap < 128
    announced = []
    tiled = bounded.predict_rgb(mosaic, on_tiles=announced.append)
    assert whole.scale == tiled.scale and announced[0] > 4
    assert instance_metrics(whole.labels, tiled.labels)['f1_05'] >= 0.98


def test_prepared_pipeline_takes_the_whole_image_clahe():
    """Tiled runs equalise the whole image once: the per-tile pipeline takes its crop in place of CLAHE."""
    pytest.importorskip('mmdet')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from centersam_mm.apis.segmenter import build_ndarray_test_pipeline
    init_default_scope('mmdet')
    from centersam_mm.datasets.transforms.clahe import apply_clahe
    cfg = Config.fromfile(str(find_repo_file(DEFAULT_CONFIG)))
    rng = np.random.default_rng(0)
    whole = rng.integers(0, 120, (300, 200, 3), dtype=np.uint8)
    equalised = apply_clahe(whole)  # the config's step: clip 2, 8x8 grid over the whole image
    tile, prepared_tile = whole[:128, :128], np.ascontiguousarray(equalised[:128, :128])
    plain = build_ndarray_test_pipeline(cfg)(dict(img=tile.copy(), img_id=0))
    prepared = build_ndarray_test_pipeline(cfg, prepared=True)(
        dict(img=tile.copy(), img_id=0, prepared_img=prepared_tile))
    assert np.array_equal(prepared['inputs'].permute(1, 2, 0).numpy(), prepared_tile)
    assert not np.array_equal(plain['inputs'].permute(1, 2, 0).numpy(), prepared_tile)  # a tile's own CLAHE differs
    # the original tile travels with the sample, in RGB, for SAM
    assert np.array_equal(prepared['data_samples'].metainfo['ori_img'], tile[..., ::-1])


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_a_files_pixel_size_sets_the_factor_unless_options_do(tmp_path):
    """A TIFF recording 0.25 µm/px gives the default model (trained at 0.127 µm/px at its input) factor
    0.25 / 0.127, the same nuclei as ``pixel_size=0.25`` on the bare PNG; the segmenter's own options win."""
    import cv2
    png = REPO_ROOT / 'demo' / 'he_monuseg_TCGA-18-5592_crop.png'
    tif = tmp_path / 'he.tif'
    tifffile.imwrite(tif, cv2.imread(str(png))[..., ::-1], photometric='rgb', resolution=(1e4 / 0.25,) * 2,
                     resolutionunit='CENTIMETER')
    from_file = NucleusSegmenter().predict(str(tif))
    given = NucleusSegmenter(pixel_size=0.25).predict(str(png))
    assert from_file.scale == pytest.approx(0.25 / 0.127, rel=1e-3) and from_file.num_nuclei > 20
    assert given.scale == from_file.scale
    np.testing.assert_array_equal(given.labels, from_file.labels)
    assert NucleusSegmenter(diameter=22.1).options_for(0.25) == {'nucleus_diameter': 22.1}


@pytest.mark.slow
@pytest.mark.skipif(not find_repo_file(DEFAULT_CHECKPOINT).is_file(), reason='default checkpoint not there yet')
def test_default_segmenter_speed_ups_keep_the_nuclei():
    """NucleusSegmenter's model (detector BatchNorm folded, channels-last) finds the nuclei of the model as built.
    Both run the detector in float32 here (the default's estimate runs in bf16 where the CPU has it, whose
    rounding differs between the folded and the built detector: ``tests/tools/test_benchmark_speed.py``)."""
    from centersam_mm.apis.segmenter import MMDetInstanceFn, build_detector
    segmenter = NucleusSegmenter()
    assert not any(type(m).__name__ == 'BatchNorm2d' for m in segmenter.instance_fn.model.detector.backbone.modules())
    segmenter.instance_fn.model.test_cfg['probe_precision'] = 'fp32'
    fast = segmenter.predict(str(DEMO_IMAGE))
    model = build_detector(find_repo_file(DEFAULT_CONFIG), find_repo_file(DEFAULT_CHECKPOINT), 'cpu')
    assert any(type(m).__name__ == 'BatchNorm2d' for m in model.detector.backbone.modules())
    model.test_cfg['probe_precision'] = 'fp32'
    reference = NucleusSegmenter(MMDetInstanceFn(model)).predict(str(DEMO_IMAGE))
    assert fast.scale == pytest.approx(reference.scale, rel=1e-3)
    assert fast.num_nuclei == reference.num_nuclei
    assert np.mean((fast.labels > 0) == (reference.labels > 0)) > 0.998
