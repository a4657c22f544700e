"""Scale-aware inference on real DSB images: the same nuclei alone, in a 3x3 mosaic and upscaled 2x."""
import numpy as np
import pytest

from centersam_mm.evaluation.scale_invariance import mosaic, pick_groups, scale_invariance, upscale

# nine 256x256 images of DSB `val` (seeded split of `make data`), none of them trained on
VAL_IDS = ('05040e2e959c', '072ff14c1d32', '10328b822b83', '2817299fd3b8', '29dd28df98ee', '2cfa857e63be',
           '317832f90f02', '358e47eaa1e9', '57d88f45e479')


def test_mosaic_and_upscale_by_hand():
    a, b = np.array([[1, 0], [0, 2]]), np.array([[0, 1], [1, 1]])
    tiled = mosaic([a, b, a, b, a, b, a, b, a])
    assert tiled.shape == (6, 6) and tiled[0, 2] == 0 and tiled[0, 3] == 3 and tiled.max() == 2 * 5 + 4
    assert np.array_equal(upscale(np.array([[1, 2]])), [[1, 1, 2, 2], [1, 1, 2, 2]])
    assert pick_groups([(2, 2)] * 10 + [(3, 3)] * 9, (2, 2), 5) == [list(range(9))]


def test_perfect_segmenter_is_invariant():
    images = [np.full((8, 8, 3), i, np.uint8) for i in range(9)]
    labels = [np.pad(np.ones((3, 3), np.int32), ((1, 4), (2, 3))) for _ in range(9)]
    by_value = {int(image[0, 0, 0]): label for image, label in zip(images, labels)}

    def oracle(image):  # knows each tile by its grey value
        if image.shape[0] == 24:
            return mosaic([by_value[int(image[r * 8, c * 8, 0])] for r in range(3) for c in range(3)])
        label = by_value[int(image[0, 0, 0])]
        return label if image.shape[0] == 8 else upscale(label)
    assert scale_invariance(oracle, images, labels) == dict(f1_alone=1.0, f1_mosaic=1.0, f1_upscaled=1.0)


@pytest.mark.slow
def test_default_model_keeps_f1_in_mosaics_and_upscaled(shared_data):
    """Acceptance of scale-aware inference: with default options, F1 of a 3x3 mosaic and of 2x-upscaled images
    stays within 0.03 of the images alone (a fixed 768x768 resize gave 0.705 against 0.963)."""
    from centersam_mm.apis import NucleusSegmenter
    from centersam_mm.apis.segmenter import DEFAULT_CHECKPOINT, find_repo_file
    from centersam_mm.datasets.converters.dsb2018 import OverlapStats, load_sample
    if not find_repo_file(DEFAULT_CHECKPOINT).is_file():
        pytest.skip('default checkpoint not there')
    root = shared_data / 'dsb2018' / 'stage1_train'
    dirs = [next(root.glob(f'{prefix}*')) for prefix in VAL_IDS]
    samples = [load_sample(path, OverlapStats()) for path in dirs]
    result = scale_invariance(NucleusSegmenter(), [s.image for s in samples], [s.label_map for s in samples])
    assert result['f1_alone'] > 0.85
    assert abs(result['f1_mosaic'] - result['f1_alone']) <= 0.03
    assert abs(result['f1_upscaled'] - result['f1_alone']) <= 0.03
