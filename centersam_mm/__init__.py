"""centersam_mm: CenterNet + SAM nucleus instance segmentation for MMDetection."""
__version__ = '0.1.0'
