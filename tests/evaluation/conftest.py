"""Real label maps for the metric tests: DSB 2018 masks and rasterised MoNuSeg polygons.

The shared data folder is ``$CENTERSAM_SHARED_DATA`` if set, else ``<repo>/../shared/data``; tests that need it
are skipped when it is absent.
"""
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DSB_IMAGES = 3  # first image folders (sorted) of stage1_train used by the tests
CROP = 256  # label maps are cropped to CROP x CROP pixels so that the loop-based reference stays fast


def shared_data_root() -> Path:
    """Folder holding dsb2018/ and monuseg/."""
    return Path(os.environ.get('CENTERSAM_SHARED_DATA', REPO_ROOT / '..' / 'shared' / 'data')).resolve()


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f'shared data not found: {path} (set CENTERSAM_SHARED_DATA)')
    return path


def dsb_label_map(image_dir: Path) -> np.ndarray:
    """(H, W) int32 label map from a DSB image folder's masks/*.png (one binary PNG per nucleus, ids 1..n)."""
    image_module = pytest.importorskip('PIL.Image')
    mask_paths = sorted((image_dir / 'masks').glob('*.png'))
    label = None
    for object_id, mask_path in enumerate(mask_paths, start=1):
        mask = np.asarray(image_module.open(mask_path)) > 0
        label = np.zeros(mask.shape, np.int32) if label is None else label
        label[mask] = object_id
    return label


def monuseg_polygons(xml_path: Path) -> List[np.ndarray]:
    """Every Region of a MoNuSeg annotation XML as a (V, 2) float array of x, y vertices (pixels)."""
    root = ElementTree.parse(xml_path).getroot()
    return [
        np.array([[float(vertex.get('X')), float(vertex.get('Y'))] for vertex in region.iter('Vertex')])
        for region in root.iter('Region')
    ]


def rasterise_polygons(polygons: List[np.ndarray], shape: Tuple[int, int]) -> np.ndarray:
    """(H, W) int32 label map with polygon k filled with id k + 1 (later polygons overwrite earlier ones)."""
    image_module = pytest.importorskip('PIL.Image')
    draw_module = pytest.importorskip('PIL.ImageDraw')
    canvas = image_module.new('I', (shape[1], shape[0]), 0)
    draw = draw_module.Draw(canvas)
    for object_id, polygon in enumerate(polygons, start=1):
        if len(polygon) >= 3:
            draw.polygon([tuple(vertex) for vertex in polygon], fill=object_id, outline=object_id)
    return np.asarray(canvas, dtype=np.int32)


@pytest.fixture(scope='session')
def dsb_label_maps() -> Dict[str, np.ndarray]:
    """A few DSB ground-truth label maps, cropped to at most CROP x CROP pixels."""
    train_dir = _require(shared_data_root() / 'dsb2018' / 'stage1_train')
    image_dirs = sorted(path for path in train_dir.iterdir() if path.is_dir())[:DSB_IMAGES]
    return {path.name[:12]: dsb_label_map(path)[:CROP, :CROP] for path in image_dirs}


@pytest.fixture(scope='session')
def monuseg_label_map() -> np.ndarray:
    """A CROP x CROP window of one MoNuSeg test image's rasterised polygon annotations (1000 x 1000 image)."""
    xml_paths = sorted(_require(shared_data_root() / 'monuseg' / 'MoNuSegTestData').glob('*.xml'))
    if not xml_paths:
        pytest.skip('no MoNuSeg annotation XML found')
    label = rasterise_polygons(monuseg_polygons(xml_paths[0]), (1000, 1000))
    return label[300:300 + CROP, 300:300 + CROP]
