"""CandidateDataset: CenterSAM candidates (features + target) dumped by tools/analysis_tools/dump_candidates.py."""
from pathlib import Path
from typing import Any, List

import numpy as np
from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset

from ..models.scorers.candidate_features import feature_set


@DATASETS.register_module()
class CandidateDataset(BaseDataset):
    """One item per candidate: ``features`` (F,) float32 and ``label``, the scorer's float32 target.

    ``ann_file`` is an ``.npz`` with ``features`` (M, F), ``labels`` (M,) 0/1, ``best_ious`` (M,) and
    ``feature_names`` (F,); the columns named in ``features`` are read, in that order (a dump that lacks one,
    made by another version of the features, is refused).

    Args:
        target: ``'label'`` (1: mask IoU >= 0.5 with a nucleus) or ``'iou'`` (the mask's largest IoU with a
            nucleus, in [0, 1]: a scorer trained on it predicts mask quality, as Mask Scoring R-CNN's MaskIoU head).
        features: the features to read, as the scorer trained on them names them (``CandidateScorer``'s
            ``features``: names or a set's name; default ``'base'``, the 15 ``BASE_FEATURES``).
    """
    TARGET_KEYS = {'label': 'labels', 'iou': 'best_ious'}

    def __init__(self, *args: Any, target: str = 'label', features='base', **kwargs: Any) -> None:
        if target not in self.TARGET_KEYS:
            raise ValueError(f'CandidateDataset target must be one of {sorted(self.TARGET_KEYS)}, not {target!r}')
        self.target = target
        self.features = feature_set(features)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        path, key = Path(self.ann_file), self.TARGET_KEYS[self.target]
        try:
            data = np.load(path, allow_pickle=False)
            features, targets, names = data['features'], data[key], tuple(data['feature_names'].tolist())
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f'{path}: not a candidate dump (features, {key}, feature_names): {error}') from None
        missing = [name for name in self.features if name not in names]
        if missing:
            raise ValueError(f'{path}: no features {missing} (the dump has {names}); dump again')
        features = features[:, [names.index(name) for name in self.features]]
        if len(features) != len(targets):
            raise ValueError(f'{path}: {len(features)} feature rows but {len(targets)} {key}')
        return [dict(features=row.astype(np.float32), label=np.float32(target))
                for row, target in zip(features, targets)]

    def prepare_data(self, idx: int) -> dict:
        """``{'features', 'label'}`` of candidate ``idx`` (the model's forward arguments; no bookkeeping keys)."""
        item = super().prepare_data(idx)
        return dict(features=item['features'], label=item['label'])
