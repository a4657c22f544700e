"""Install centersam_mm, the CenterSAM MMDetection plugin.

As MMDetection does (its ``.mim`` folder), a built package (wheel, ``pip install .``) carries the repository's
``configs/`` and ``checkpoints/`` inside it as ``centersam_mm/.mim/``, so that ``NucleusSegmenter()`` and config
names (``NucleusSegmenter('centersam_r18_sam-small_dsb2018_cpu')``) work from an installed package too; an
editable install (``pip install -e .``, what ``make setup`` does) reads them from the checkout.
"""
import shutil
import sys
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
MIM_FOLDERS = ('configs', 'checkpoints')


def add_mim_extension() -> None:
    """Copy configs/ and checkpoints/ into centersam_mm/.mim/ for builds that are not editable."""
    if any(command in sys.argv for command in ('develop', 'editable_wheel')):
        return
    mim = ROOT / 'centersam_mm' / '.mim'
    for folder in MIM_FOLDERS:
        target = mim / folder
        if (ROOT / folder).is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns('__pycache__'))


add_mim_extension()
setup(
    name='centersam_mm',
    version='0.1.0',
    description='CenterNet + Segment Anything: automatic nucleus instance segmentation for MMDetection 3.x',
    packages=find_packages(include=['centersam_mm', 'centersam_mm.*']),
    package_data={'centersam_mm': ['.mim/configs/**/*.py', '.mim/checkpoints/*.pth', 'napari/napari.yaml']},
    python_requires='>=3.9',
    install_requires=['mmdet>=3.3,<3.4', 'mmengine>=0.10', 'mmcv>=2.0,<2.2', 'segment-anything',
                      'numpy', 'scipy', 'pycocotools', 'tifffile', 'opencv-python-headless'],
    # napari: the napari plugin (dock widget, reader, writer; centersam_mm/napari/napari.yaml) with a Qt binding,
    # and pytest-qt for its tests
    # slides: whole-slide images (tools/infer.py on pyramidal TIFF / OME-TIFF / SVS): tifffile's zarr store, OME-Zarr
    # labels, JPEG/JPEG 2000 tiles
    extras_require={'tests': ['pytest', 'shapely'], 'napari': ['napari>=0.5', 'PyQt6', 'pytest-qt'],
                    'slides': ['zarr>=3.1,<4', 'ome-zarr>=0.18,<0.19', 'imagecodecs']},
    entry_points={'napari.manifest': ['centersam_mm = centersam_mm.napari:napari.yaml']},
)
