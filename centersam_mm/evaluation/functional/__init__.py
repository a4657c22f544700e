"""Metrics on label maps; numpy/scipy only (no torch, no mmdet)."""
from .box_matching import MISS_KINDS, box_iou_matrix, classify_box_misses, count_box_matches, matched_gt
from .centroid_offsets import box_size_log_ratios, centroid_offsets, mean_offset, median_log_ratio
from .instance_metrics import (COUNT_KEYS, DSB_THRESHOLDS, RATE_KEYS, RESULT_KEYS, SUM_KEYS, LabelOverlaps,
                               aggregate, instance_metrics, label_overlaps)
from .label_map import instances_to_label_map
from .mask_matching import best_gt_iou
from .results_table import format_summary_table, write_results_csv

__all__ = [
    'box_size_log_ratios', 'centroid_offsets', 'mean_offset', 'median_log_ratio',
    'MISS_KINDS', 'box_iou_matrix', 'classify_box_misses', 'count_box_matches', 'matched_gt',
    'COUNT_KEYS', 'DSB_THRESHOLDS', 'RATE_KEYS', 'RESULT_KEYS', 'SUM_KEYS', 'LabelOverlaps', 'aggregate',
    'instance_metrics', 'label_overlaps', 'instances_to_label_map', 'best_gt_iou', 'format_summary_table',
    'write_results_csv'
]
