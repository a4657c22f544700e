"""MoNuSeg H&E, each 1000x1000 image cut into 9 tiles, as converted by tools/dataset_converters/convert_dataset.py."""
from mmdet.registry import DATASETS

from .nucleus_coco import NucleusCocoDataset


@DATASETS.register_module()
class MoNuSegDataset(NucleusCocoDataset):
    """MoNuSeg H&E, each 1000x1000 image cut into 9 tiles (3x3 grid); class ``nucleus``; data infos carry ``label_map_path``."""

    METAINFO = {'classes': ('nucleus',), 'palette': [(220, 20, 60)]}
