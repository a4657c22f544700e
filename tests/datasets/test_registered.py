"""Registered datasets and transforms (need MMDetection)."""
import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

pytest.importorskip('mmdet.datasets')

from mmdet.registry import DATASETS, TRANSFORMS  # noqa: E402
from mmdet.structures.bbox import HorizontalBoxes  # noqa: E402
from mmdet.structures.mask import BitmapMasks  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

import centersam_mm.datasets  # noqa: E402,F401  (registers the modules)
from centersam_mm.datasets.converters import convert  # noqa: E402
from centersam_mm.datasets.transforms.clahe import apply_clahe  # noqa: E402
from centersam_mm.datasets.transforms.shift_scale_rotate import boxes_from_masks, warp_masks  # noqa: E402


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build pipeline steps from mmdet's registry (mmdet's LoadAnnotations, not mmcv's)."""
    init_default_scope('mmdet')


@pytest.fixture
def converted_dsb(dsb_subset: Path, tmp_path: Path) -> Path:
    out = tmp_path / 'dsb2018'
    convert('dsb2018', dsb_subset, out, split_ratio=(0.5, 0.5, 0.0))
    return out


@pytest.mark.parametrize('name', ['DSB2018Dataset', 'MoNuSegDataset', 'TissueNetDataset'])
def test_dataset_carries_label_map_paths(name, converted_dsb):
    dataset = DATASETS.build(dict(type=name, data_root=str(converted_dsb), ann_file='annotations/instances_train.json',
                                  pipeline=[], test_mode=True))
    assert dataset.metainfo['classes'] == ('nucleus',)
    assert len(dataset) == 2
    document = json.loads((converted_dsb / 'annotations' / 'instances_train.json').read_text())
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        label_path = Path(info['label_map_path'])
        assert label_path.is_absolute() and label_path.parent == converted_dsb / 'labels'
        assert label_path.stem == Path(info['img_path']).stem
        label_map = tifffile.imread(label_path)
        assert len(info['instances']) == len(np.unique(label_map)) - 1
        assert Path(info['img_path']).parent == converted_dsb / 'images'
    assert sum(len(dataset.get_data_info(i)['instances']) for i in range(2)) == len(document['annotations'])


PACK = dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'label_map_path'))
AUGMENT = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
           dict(type='NucleusCLAHE'),
           dict(type='RandomShiftScaleRotate', shift_prob=1.0, scale_prob=1.0, rotate_prob=1.0),
           dict(type='RandomFlip', prob=1.0)]


def test_augmented_boxes_are_the_boxes_of_the_augmented_masks(converted_dsb):
    dataset = DATASETS.build(dict(type='DSB2018Dataset', data_root=str(converted_dsb),
                                  ann_file='annotations/instances_val.json', pipeline=AUGMENT + [PACK]))
    instances = dataset[0]['data_samples'].gt_instances
    boxes, areas = boxes_from_masks(instances.masks.masks)
    assert len(instances) > 0 and (areas > 0).all()
    np.testing.assert_array_equal(instances.bboxes.numpy(), boxes)


def test_pipeline_resizes_to_512_and_passes_label_map_path(converted_dsb):
    pipeline = AUGMENT + [dict(type='Resize', scale=(512, 512), keep_ratio=False), PACK]
    dataset = DATASETS.build(dict(type='DSB2018Dataset', data_root=str(converted_dsb),
                                  ann_file='annotations/instances_val.json', pipeline=pipeline))
    packed = dataset[0]
    assert tuple(packed['inputs'].shape) == (3, 512, 512)
    assert packed['data_samples'].gt_instances.masks.masks.shape[1:] == (512, 512)
    assert packed['data_samples'].metainfo['label_map_path'] == dataset.get_data_info(0)['label_map_path']


def test_warp_masks_matches_whole_image_warps():
    import cv2
    rng = np.random.default_rng(0)
    masks = np.zeros((12, 40, 60), np.uint8)
    for index, (y, x) in enumerate(rng.integers(0, 36, (12, 2))):
        masks[index, y:y + 4, x:x + rng.integers(2, 20)] = 1
    matrix = cv2.getRotationMatrix2D((29.5, 19.5), 30, 1.1)
    matrix[:, 2] += (7, -3)
    expected = np.stack([cv2.warpAffine(m, matrix, (60, 40), flags=cv2.INTER_NEAREST) for m in masks])
    warped, boxes, keep = warp_masks(masks, matrix)
    assert keep.tolist() == expected.any(axis=(1, 2)).tolist()
    assert (warped != expected[keep]).sum() <= 2  # only fixed-point rounding ties may differ
    np.testing.assert_array_equal(boxes, boxes_from_masks(warped)[0])


def test_shift_scale_rotate_boxes_follow_masks_and_empty_instances_drop():
    masks = np.zeros((3, 40, 40), np.uint8)
    masks[0, 18:22, 18:22] = 1     # central: survives any warp
    masks[1, 0:2, 0:2] = 1         # corner: leaves the image under the shift below
    masks[2, 30:35, 5:12] = 1
    results = {'img': np.full((40, 40, 3), 128, np.uint8), 'gt_masks': BitmapMasks(masks, 40, 40),
               'gt_bboxes': BitmapMasks(masks, 40, 40).get_bboxes('hbox'),
               'gt_bboxes_labels': np.array([0, 0, 0]), 'gt_ignore_flags': np.array([False, False, True])}
    transform = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', shift_prob=1.0, scale_prob=0.0, rotate_prob=0.0,
                                      shift_limit=0.2))
    transform._sample_matrix = lambda height, width: np.array([[1.0, 0, 5], [0, 1.0, -3]])  # shift right 5, up 3
    out = transform(results)
    assert len(out['gt_masks']) == 2 and out['gt_ignore_flags'].tolist() == [False, True]
    np.testing.assert_array_equal(out['gt_bboxes'].numpy(), [[23, 15, 27, 19], [10, 27, 17, 32]])
    np.testing.assert_array_equal(out['gt_bboxes'].numpy(), out['gt_masks'].get_bboxes('hbox').numpy())
    assert isinstance(out['gt_bboxes'], HorizontalBoxes)


def test_shift_scale_rotate_with_zero_probabilities_is_identity():
    img = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    transform = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', shift_prob=0, scale_prob=0, rotate_prob=0))
    assert transform({'img': img.copy()})['img'].tolist() == img.tolist()


def test_clahe_stretches_low_contrast_and_keeps_grey():
    ramp = np.tile(np.linspace(100, 120, 64).astype(np.uint8), (64, 1))
    grey = np.repeat(ramp[..., None], 3, axis=2)
    out = TRANSFORMS.build(dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8)))({'img': grey})['img']
    assert out.shape == grey.shape and out.dtype == np.uint8
    assert np.ptp(out) > np.ptp(grey)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    lab = apply_clahe(grey, channel_mode='lab_l')
    assert np.ptp(lab) > np.ptp(grey)
