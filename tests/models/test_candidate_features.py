"""candidate_features: hand-computed answers on a drawn image, and order invariance."""
import numpy as np
import pytest

from centersam_mm.models.scorers.candidate_features import FEATURE_NAMES, candidate_features

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def drawn_scene():
    """A 24x24 grey image: a 6x6 bright square nucleus (value 200) on black at rows/cols 4-9. Candidates:
    0 the square with its exact box (score 0.9); 1 the same mask again (0.5); 2 two 2x2 blobs inside a
    wider box on the background (0.2)."""
    image = np.zeros((24, 24, 3), np.uint8)
    image[4:10, 4:10] = 200
    masks = np.zeros((3, 24, 24), bool)
    masks[0, 4:10, 4:10] = masks[1, 4:10, 4:10] = True
    masks[2, 16:18, 14:16] = masks[2, 16:18, 20:22] = True
    boxes = np.array([[4, 4, 10, 10], [4, 4, 10, 10], [14, 16, 22, 18]], float)
    return image, masks, boxes, np.array([0.9, 0.5, 0.2]), np.array([0.95, 0.9, 0.4])


def test_hand_computed_features_of_a_square_nucleus():
    feats = candidate_features(*drawn_scene())
    assert feats.shape == (3, len(FEATURE_NAMES)) and feats.dtype == np.float32
    square = feats[0]
    assert square[COL['det_score']] == pytest.approx(0.9) and square[COL['sam_iou']] == pytest.approx(0.95)
    assert square[COL['log_area']] == pytest.approx(np.log1p(36))
    assert square[COL['box_fill']] == pytest.approx(1.0) and square[COL['box_agreement']] == pytest.approx(1.0)
    assert square[COL['mask_box_fill']] == pytest.approx(1.0) and square[COL['log_components']] == 0
    assert square[COL['boundary_fraction']] == pytest.approx(20 / 36)  # 6x6 minus its 4x4 interior
    assert square[COL['covered_by_higher']] == 0 and square[COL['max_iou_higher']] == 0
    # contrast: (200 - 0) / 255 over the grey image's standard deviation; a flat inside has no spread
    grey_std = np.std(np.where(drawn_scene()[0][..., 0] > 0, 200 / 255, 0.0))
    assert square[COL['contrast']] == pytest.approx((200 / 255) / (grey_std + 1e-3), rel=1e-4)
    assert square[COL['inner_std']] == pytest.approx(0.0, abs=1e-6)
    assert square[COL['image_colour']] == 0  # grey image
    assert square[COL['log_area_vs_median']] == pytest.approx(0.0)  # the median strong (>= 0.3) area is its own


def test_a_copy_is_covered_and_two_blobs_are_two_components():
    feats = candidate_features(*drawn_scene())
    assert feats[1, COL['covered_by_higher']] == pytest.approx(1.0)
    assert feats[1, COL['max_iou_higher']] == pytest.approx(1.0)
    blobs = feats[2]
    assert blobs[COL['log_components']] == pytest.approx(np.log(2))
    assert blobs[COL['box_fill']] == pytest.approx(8 / 16)  # 8 mask pixels in an 8x2 box
    assert blobs[COL['abs_log_aspect']] == pytest.approx(np.log(4))
    assert blobs[COL['log_area_vs_median']] == pytest.approx(np.log1p(8) - np.log1p(36))
    assert blobs[COL['covered_by_higher']] == 0


def test_input_order_does_not_change_any_candidates_features():
    image, masks, boxes, scores, ious = drawn_scene()
    order = np.array([2, 0, 1])
    direct = candidate_features(image, masks, boxes, scores, ious)
    permuted = candidate_features(image, masks[order], boxes[order], scores[order], ious[order])
    np.testing.assert_allclose(permuted, direct[order], rtol=1e-6)


def test_empty_masks_change_nothing_else_and_no_candidates_give_no_rows():
    image, masks, boxes, scores, ious = drawn_scene()
    with_empty = candidate_features(image, np.concatenate([masks, np.zeros((1, 24, 24), bool)]),
                                    np.concatenate([boxes, [[0, 0, 3, 3]]]), np.append(scores, 0.99),
                                    np.append(ious, 0.5))
    np.testing.assert_allclose(with_empty[:3], candidate_features(image, masks, boxes, scores, ious), rtol=1e-6)
    assert candidate_features(image, masks[:0], boxes[:0], scores[:0], ious[:0]).shape == (0, len(FEATURE_NAMES))


def purple_nucleus_on_pink():
    """A 24x24 H&E-like image: a 6x6 purple nucleus (80, 50, 140) at rows/cols 4-9 on pink (230, 160, 200)."""
    image = np.empty((24, 24, 3), np.uint8)
    image[:] = (230, 160, 200)
    image[4:10, 4:10] = (80, 50, 140)
    masks = np.zeros((1, 24, 24), bool)
    masks[0, 4:10, 4:10] = True
    return image, masks, np.array([[4, 4, 10, 10]], float), np.array([0.9]), np.array([0.9])


def test_hand_computed_colour_features_of_a_two_colour_image():
    """Two values a (36 of 576 pixels, p = 1/16) and b: standardised, the inside is (1 - p)(a - b) / (s + 1e-3)
    and its contrast with the ring (all b) (a - b) / (s + 1e-3), s = |a - b| sqrt(p (1 - p)); stain densities of
    the two colours from skimage's colour deconvolution."""
    from skimage.color import rgb2hed
    image, masks, boxes, scores, ious = purple_nucleus_on_pink()
    feats = candidate_features(image, masks, boxes, scores, ious)[0]
    p = 36 / 576
    densities = rgb2hed(np.array([[[80, 50, 140], [230, 160, 200]]], np.uint8))[0]
    for channel, (inside, outside) in enumerate(zip(image[5, 5] / 255, image[0, 0] / 255)):
        spread = abs(inside - outside) * np.sqrt(p * (1 - p)) + 1e-3
        name = 'rgb'[channel]
        assert feats[COL[f'contrast_{name}']] == pytest.approx((inside - outside) / spread, rel=1e-4)
        assert feats[COL[f'mean_{name}']] == pytest.approx((1 - p) * (inside - outside) / spread, rel=1e-4)
    for stain, name in enumerate(('haematoxylin', 'eosin')):
        inside, outside = densities[0, stain], densities[1, stain]
        spread = abs(inside - outside) * np.sqrt(p * (1 - p)) + 1e-3
        assert feats[COL[f'{name}_contrast']] == pytest.approx((inside - outside) / spread, rel=1e-4)
        assert feats[COL[name]] == pytest.approx((1 - p) * (inside - outside) / spread, rel=1e-4)
    assert feats[COL['haematoxylin_contrast']] > 3, 'a purple nucleus holds more haematoxylin than pink stroma'


def test_named_features_are_the_full_sets_columns_in_that_order():
    scene = drawn_scene()
    full = candidate_features(*scene)
    names = ('eosin_contrast', 'det_score', 'contrast_g')
    np.testing.assert_array_equal(candidate_features(*scene, names=names), full[:, [COL[n] for n in names]])
    np.testing.assert_array_equal(candidate_features(*scene, names='base'), full[:, :15])
    with pytest.raises(ValueError, match="unknown candidate features \\['hue'\\]"):
        candidate_features(*scene, names=('det_score', 'hue'))
    with pytest.raises(ValueError, match="unknown feature set 'colour'"):
        candidate_features(*scene, names='colour')


def test_grey_images_have_equal_channel_features():
    feats = candidate_features(*drawn_scene())
    for stat in ('contrast', 'mean'):
        assert feats[0, COL[f'{stat}_r']] == pytest.approx(feats[0, COL[f'{stat}_g']]) == \
            pytest.approx(feats[0, COL[f'{stat}_b']])
    assert feats[0, COL['contrast_r']] == pytest.approx(feats[0, COL['contrast']], rel=1e-4), 'grey: same contrast'
