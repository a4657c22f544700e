"""CandidateDataset: CenterSAM candidates (features + 0/1 label) dumped by tools/analysis_tools/dump_candidates.py."""
from pathlib import Path
from typing import List

import numpy as np
from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset

from ..models.scorers.candidate_features import FEATURE_NAMES


@DATASETS.register_module()
class CandidateDataset(BaseDataset):
    """One item per candidate: ``features`` (F,) float32 and ``label`` (1: mask IoU >= 0.5 with a nucleus).

    ``ann_file`` is an ``.npz`` with ``features`` (M, F), ``labels`` (M,) and ``feature_names`` (F,); the
    names must be :data:`FEATURE_NAMES` (a dump made by another version of the features is refused).
    """

    def load_data_list(self) -> List[dict]:
        path = Path(self.ann_file)
        try:
            data = np.load(path, allow_pickle=False)
            features, labels, names = data['features'], data['labels'], tuple(data['feature_names'].tolist())
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f'{path}: not a candidate dump (features, labels, feature_names): {error}') from None
        if names != FEATURE_NAMES:
            raise ValueError(f'{path}: features {names} differ from this version\'s {FEATURE_NAMES}; dump again')
        if len(features) != len(labels):
            raise ValueError(f'{path}: {len(features)} feature rows but {len(labels)} labels')
        return [dict(features=row.astype(np.float32), label=np.float32(label))
                for row, label in zip(features, labels)]

    def prepare_data(self, idx: int) -> dict:
        """``{'features', 'label'}`` of candidate ``idx`` (the model's forward arguments; no bookkeeping keys)."""
        item = super().prepare_data(idx)
        return dict(features=item['features'], label=item['label'])
