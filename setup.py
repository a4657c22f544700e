"""Install centersam_mm, the CenterSAM MMDetection plugin."""
from setuptools import find_packages, setup

setup(
    name='centersam_mm',
    version='0.1.0',
    description='CenterNet + Segment Anything: automatic nucleus instance segmentation for MMDetection 3.x',
    packages=find_packages(include=['centersam_mm', 'centersam_mm.*']),
    python_requires='>=3.9',
    install_requires=['mmdet>=3.3,<3.4', 'mmengine>=0.10', 'mmcv>=2.0,<2.2', 'segment-anything',
                      'numpy', 'scipy', 'pycocotools', 'tifffile', 'opencv-python-headless'],
    extras_require={'tests': ['pytest']},
)
