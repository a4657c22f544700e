"""CandidateDataset: reads the dump of tools/analysis_tools/dump_candidates.py; refuses foreign files."""
import numpy as np
import pytest

pytest.importorskip('mmdet')
from centersam_mm.datasets import CandidateDataset  # noqa: E402
from centersam_mm.models.scorers import BASE_FEATURES, FEATURE_NAMES  # noqa: E402


def write_dump(path, n=5, names=FEATURE_NAMES, with_ious=True):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(n, len(names))).astype(np.float32)
    best_ious = np.linspace(0.1, 0.9, n).astype(np.float32)
    labels = (best_ious >= 0.5).astype(np.uint8)
    arrays = dict(features=features, labels=labels, image_index=np.zeros(n, np.int32), feature_names=np.array(names))
    np.savez_compressed(path, **arrays, **(dict(best_ious=best_ious) if with_ious else {}))
    return features, labels


def test_items_are_the_dumped_rows(tmp_path):
    features, labels = write_dump(tmp_path / 'c.npz')
    dataset = CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[])
    assert len(dataset) == 5
    np.testing.assert_array_equal(dataset[3]['features'], features[3, :len(BASE_FEATURES)])  # 'base' by default
    assert dataset[3]['label'] == labels[3] == 1
    assert set(dataset[3]) == {'features', 'label'}, 'items are the model\'s forward arguments'


def test_iou_target_is_the_masks_best_iou(tmp_path):
    write_dump(tmp_path / 'c.npz')
    dataset = CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[], target='iou')
    assert [round(float(dataset[i]['label']), 6) for i in range(5)] == [0.1, 0.3, 0.5, 0.7, 0.9]
    assert dataset[2]['label'].dtype == np.float32


def test_iou_target_of_a_dump_without_ious_is_refused_with_its_path(tmp_path):
    write_dump(tmp_path / 'old.npz', with_ious=False)
    assert len(CandidateDataset(ann_file=str(tmp_path / 'old.npz'), pipeline=[])) == 5, 'labels still load'
    with pytest.raises(ValueError, match=r'old\.npz: not a candidate dump \(features, best_ious'):
        CandidateDataset(ann_file=str(tmp_path / 'old.npz'), pipeline=[], target='iou')


def test_an_unknown_target_is_refused(tmp_path):
    write_dump(tmp_path / 'c.npz')
    with pytest.raises(ValueError, match="target must be one of.*'area'"):
        CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[], target='area')


def test_named_features_are_read_in_the_scorers_order(tmp_path):
    features, _ = write_dump(tmp_path / 'c.npz')
    names = ('eosin', 'det_score')
    dataset = CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[], features=names)
    np.testing.assert_array_equal(dataset[1]['features'], features[1, [FEATURE_NAMES.index(n) for n in names]])
    colour = CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[], features='base+colour')
    np.testing.assert_array_equal(colour[1]['features'], features[1])


def test_a_dump_of_other_features_is_refused_with_its_path(tmp_path):
    write_dump(tmp_path / 'old.npz', names=BASE_FEATURES[:-1])
    with pytest.raises(ValueError, match=r"old\.npz: no features \['mask_box_fill'\].*dump again"):
        CandidateDataset(ann_file=str(tmp_path / 'old.npz'), pipeline=[])
    write_dump(tmp_path / 'base.npz', names=BASE_FEATURES)  # a dump of before the colour features
    assert len(CandidateDataset(ann_file=str(tmp_path / 'base.npz'), pipeline=[])) == 5, 'still serves base scorers'
    with pytest.raises(ValueError, match=r"base\.npz: no features \['contrast_r'"):
        CandidateDataset(ann_file=str(tmp_path / 'base.npz'), pipeline=[], features='base+colour')


def test_a_file_that_is_not_a_dump_is_refused_with_its_path(tmp_path):
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match=r'bad\.npz: not a candidate dump'):
        CandidateDataset(ann_file=str(tmp_path / 'bad.npz'), pipeline=[])
