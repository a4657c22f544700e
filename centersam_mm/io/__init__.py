"""Image reading and result writing (numpy/OpenCV/tifffile/Pillow/pycocotools only; nothing of the models).

Every writer is atomic: a temporary file in the destination folder is renamed over the target when complete.
"""
from .atomic import atomic_open, atomic_path
from .coco import crop_to_rle, iter_coco_results, write_coco_results
from .geojson import iter_features, nucleus_polygon, write_geojson
from .labels import (LabelFileError, NucleusCrop, compact_label_dtype, iter_nuclei, label_dtype, read_label_map,
                     write_label_tiff)
from .overlay import draw_overlay, label_outlines, write_overlay_png
from .readers import (IMAGE_EXTENSIONS, ImageReadError, collect_image_files, is_image_file, read_image,
                      to_rgb_uint8)
from .table import CSV_COLUMNS, nucleus_row, write_nuclei_csv

__all__ = [
    'atomic_open', 'atomic_path', 'crop_to_rle', 'iter_coco_results', 'write_coco_results', 'iter_features',
    'nucleus_polygon', 'write_geojson', 'NucleusCrop', 'compact_label_dtype', 'iter_nuclei', 'label_dtype',
    'LabelFileError', 'read_label_map', 'write_label_tiff', 'draw_overlay', 'label_outlines', 'write_overlay_png',
    'IMAGE_EXTENSIONS', 'ImageReadError', 'collect_image_files', 'is_image_file', 'read_image', 'to_rgb_uint8',
    'CSV_COLUMNS', 'nucleus_row', 'write_nuclei_csv'
]
