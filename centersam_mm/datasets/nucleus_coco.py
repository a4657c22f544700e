"""Base class of the nucleus benchmarks: an mmdet ``CocoDataset`` that also carries label-map paths."""
from pathlib import Path

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class NucleusCocoDataset(CocoDataset):
    """COCO dataset written by ``tools/dataset_converters/convert_dataset.py`` (docs/design.md layout).

    Besides mmdet's fields every data info holds ``label_map_path``: the absolute path of
    ``labels/<stem>.tif``, the (H, W) instance label map (0 = background) that metrics compare
    against. The dataset root is the parent of the ``annotations/`` folder holding ``ann_file``.
    ``data_prefix`` defaults to ``dict(img='images/')``.
    """

    METAINFO = {'classes': ('nucleus',), 'palette': [(220, 20, 60)]}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault('data_prefix', dict(img='images/'))
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """mmdet's parsing plus ``label_map_path`` (and ``microns_per_pixel`` when the source gives it)."""
        data_info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        root = Path(self.ann_file).absolute().parent.parent
        label_file = img_info.get('label_file', f'labels/{Path(img_info["file_name"]).stem}.tif')
        data_info['label_map_path'] = str(root / label_file)
        if 'microns_per_pixel' in img_info:
            data_info['microns_per_pixel'] = img_info['microns_per_pixel']
        return data_info
