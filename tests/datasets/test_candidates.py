"""CandidateDataset: reads the dump of tools/analysis_tools/dump_candidates.py; refuses foreign files."""
import numpy as np
import pytest

pytest.importorskip('mmdet')
from centersam_mm.datasets import CandidateDataset  # noqa: E402
from centersam_mm.models.scorers import FEATURE_NAMES  # noqa: E402


def write_dump(path, n=5, names=FEATURE_NAMES):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(n, len(names))).astype(np.float32)
    labels = (np.arange(n) % 2).astype(np.uint8)
    np.savez_compressed(path, features=features, labels=labels, image_index=np.zeros(n, np.int32),
                        feature_names=np.array(names))
    return features, labels


def test_items_are_the_dumped_rows(tmp_path):
    features, labels = write_dump(tmp_path / 'c.npz')
    dataset = CandidateDataset(ann_file=str(tmp_path / 'c.npz'), pipeline=[])
    assert len(dataset) == 5
    np.testing.assert_array_equal(dataset[3]['features'], features[3])
    assert dataset[3]['label'] == labels[3] == 1
    assert set(dataset[3]) == {'features', 'label'}, 'items are the model\'s forward arguments'


def test_a_dump_of_other_features_is_refused_with_its_path(tmp_path):
    write_dump(tmp_path / 'old.npz', names=FEATURE_NAMES[:-1])
    with pytest.raises(ValueError, match=r'old\.npz: features .* dump again'):
        CandidateDataset(ann_file=str(tmp_path / 'old.npz'), pipeline=[])


def test_a_file_that_is_not_a_dump_is_refused_with_its_path(tmp_path):
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match=r'bad\.npz: not a candidate dump'):
        CandidateDataset(ann_file=str(tmp_path / 'bad.npz'), pipeline=[])
