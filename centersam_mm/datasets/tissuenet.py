"""TissueNet v1 (512x512 multiplexed, nuclear labels), as converted by tools/dataset_converters/convert_dataset.py."""
from mmdet.registry import DATASETS

from .nucleus_coco import NucleusCocoDataset


@DATASETS.register_module()
class TissueNetDataset(NucleusCocoDataset):
    """TissueNet v1 (512x512 multiplexed, nuclear labels); class ``nucleus``; data infos carry ``label_map_path``."""

    METAINFO = {'classes': ('nucleus',), 'palette': [(220, 20, 60)]}
