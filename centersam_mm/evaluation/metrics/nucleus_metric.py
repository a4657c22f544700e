"""``NucleusInstanceMetric``: label-map metrics (AJI, SEG, PQ, F1, DSB mAP, ...) for any MMDetection
instance-segmentation model.

Config::

    val_evaluator = dict(type='NucleusInstanceMetric', score_thr=0.3, min_area=10)

Every data sample must carry ``label_map_path`` in its metainfo (the datasets of centersam_mm put it there,
see docs/design.md) and ``pred_instances`` with ``masks`` ((N, H, W) bool tensor / array, ``BitmapMasks``,
``PolygonMasks`` or COCO RLE dicts, at the original image size) and ``scores`` (N,).
"""
import os.path as osp
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmdet.registry import METRICS
from ..functional import (aggregate, centroid_offsets, format_summary_table, instance_metrics, instances_to_label_map,
                          write_results_csv)
from ..label_files import read_label_map

CSV_NAME = 'nucleus_metrics.csv'


def _to_numpy(values: Any) -> np.ndarray:
    """A torch tensor (any device) or array-like as a numpy array."""
    if hasattr(values, 'detach'):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def masks_to_numpy(masks: Any, image_shape: Sequence[int]) -> np.ndarray:
    """(N, H, W) bool array from an MMDetection ``pred_instances.masks`` value.

    Accepts a bool/0-1 tensor or array, ``BitmapMasks`` / ``PolygonMasks`` (anything with ``to_ndarray``) and
    a list of COCO RLE dicts. ``image_shape`` (H, W) shapes the result when there is no mask at all.
    """
    if hasattr(masks, 'to_ndarray'):
        masks = masks.to_ndarray()
    elif isinstance(masks, (list, tuple)) and masks and isinstance(masks[0], dict):
        from pycocotools import mask as mask_utils
        masks = np.moveaxis(mask_utils.decode(list(masks)), -1, 0)
    array = _to_numpy(masks)
    if array.size == 0:
        return np.zeros((0, *image_shape[:2]), bool)
    return array.astype(bool, copy=False)


@METRICS.register_module()
class NucleusInstanceMetric(BaseMetric):
    """Scores predicted instances against the dataset's instance label maps.

    Predictions become a label map with ``instances_to_label_map`` (the highest score wins a pixel),
    the GT label map (TIFF via tifffile, or PNG) is read from ``label_map_path``, and each image is scored with
    ``instance_metrics``. ``compute_metrics`` returns every key of ``aggregate`` (mean over images and
    ``_pooled``), which the evaluator prefixes with ``nucleus/``; it also logs a table and writes one CSV
    row per image.

    Args:
        score_thr: predictions with a lower score are ignored.
        min_area: predictions with fewer visible pixels (after overlap resolution) are ignored.
        csv_path: where to write the per-image CSV. Default: ``nucleus_metrics.csv`` next to the current
            MMLogger's log file (a runner's ``<work_dir>/<timestamp>/``), or in the system temp dir when the
            logger has no log file. The path is logged.
        collect_device: 'cpu' or 'gpu', for collecting results across ranks.
        prefix: key prefix; default 'nucleus'.
    """
    default_prefix: Optional[str] = 'nucleus'

    def __init__(self, score_thr: float = 0.0, min_area: int = 0, csv_path: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_thr = score_thr
        self.min_area = min_area
        self.csv_path = csv_path

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score every sample of a batch; keeps one ``instance_metrics`` dict (plus ``image``) per sample."""
        for sample in data_samples:
            self.results.append(self.score_sample(sample))

    def score_sample(self, sample: Dict[str, Any]) -> Dict[str, Union[str, float]]:
        """``instance_metrics`` of one data sample (a dict as the evaluator passes it) plus its image name."""
        if 'label_map_path' not in sample:
            raise KeyError("data sample has no 'label_map_path': list it in PackDetInputs.meta_keys")
        label_map_path = sample['label_map_path']
        gt_label = read_label_map(label_map_path)
        pred = sample['pred_instances']
        masks = masks_to_numpy(pred['masks'], gt_label.shape)
        if masks.shape[1:] != gt_label.shape:
            raise ValueError(f'{label_map_path}: predicted masks are {masks.shape[1:]}, label map is '
                             f'{gt_label.shape}; masks must be at the original image size')
        pred_label = instances_to_label_map(masks, _to_numpy(pred['scores']), self.score_thr, self.min_area)
        offsets = centroid_offsets(gt_label, pred_label)
        return {'image': Path(label_map_path).stem, **instance_metrics(gt_label, pred_label),
                'centroid_dx_sum': float(offsets[:, 0].sum()), 'centroid_dy_sum': float(offsets[:, 1].sum())}

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        """Aggregate, log a table, write the per-image CSV; returns the ``aggregate`` keys."""
        logger = MMLogger.get_current_instance()
        summary = aggregate(results)
        # systematic shift: mean centroid offset (prediction - annotation, px) of the nuclei matched at IoU 0.5
        matched = max(1, summary['tp_05'])
        summary['centroid_dx'] = sum(r['centroid_dx_sum'] for r in results) / matched
        summary['centroid_dy'] = sum(r['centroid_dy_sum'] for r in results) / matched
        csv_path = write_results_csv(self._resolve_csv_path(logger), [r['image'] for r in results], results)
        logger.info('Nucleus instance metrics (mean over images | pooled over the dataset):\n'
                    f'{format_summary_table(summary)}\nmean centroid offset of matched nuclei (prediction - '
                    f"annotation): dx {summary['centroid_dx']:+.3f} px, dy {summary['centroid_dy']:+.3f} px\n"
                    f'per-image CSV: {csv_path}')
        return summary

    def _resolve_csv_path(self, logger: MMLogger) -> str:
        """``csv_path`` if given, else next to the logger's log file, else in the temp dir."""
        if self.csv_path is not None:
            return self.csv_path
        log_file = getattr(logger, 'log_file', None)
        folder = osp.dirname(log_file) if log_file else tempfile.gettempdir()
        return osp.join(folder, CSV_NAME)
