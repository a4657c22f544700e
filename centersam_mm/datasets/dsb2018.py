"""2018 Data Science Bowl (stage1_train, random 80/10/10 split), as converted by tools/dataset_converters/convert_dataset.py."""
from mmdet.registry import DATASETS

from .nucleus_coco import NucleusCocoDataset


@DATASETS.register_module()
class DSB2018Dataset(NucleusCocoDataset):
    """2018 Data Science Bowl (stage1_train, random 80/10/10 split); class ``nucleus``; data infos carry ``label_map_path``."""

    METAINFO = {'classes': ('nucleus',), 'palette': [(220, 20, 60)]}
