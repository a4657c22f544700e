"""A deterministic, model-free instance function for tests and benchmarks (``tools/infer.py --model stub``).

Threshold + connected components: every 8-connected group of pixels whose gray value exceeds a fixed
threshold is one nucleus, scored by its mean gray value / 255. A fixed threshold (not Otsu) makes each
object's mask and score independent of the tile it is seen in, so tiled and whole-image runs must agree
exactly for objects narrower than the tile overlap.
"""
from typing import Tuple

import cv2
import numpy as np


class ThresholdSegmenter:
    """``image (h, w, 3) uint8 -> (label map (h, w) int32, scores (N,) float64)``.

    Args:
        threshold: gray level (0-255) above which a pixel belongs to a nucleus.
        min_area: components with fewer pixels are dropped.
    """

    def __init__(self, threshold: int = 30, min_area: int = 8):
        self.threshold = threshold
        self.min_area = min_area

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        count, labels = cv2.connectedComponents((gray > self.threshold).astype(np.uint8), connectivity=8,
                                                ltype=cv2.CV_32S)
        area = np.bincount(labels.ravel(), minlength=count)[1:]
        gray_sum = np.bincount(labels.ravel(), weights=gray.ravel(), minlength=count)[1:]
        scores = np.round(gray_sum / np.maximum(area, 1) / 255.0, 6)
        keep = area >= self.min_area
        new_id = np.zeros(count, np.int32)
        new_id[1:][keep] = np.arange(1, np.count_nonzero(keep) + 1, dtype=np.int32)
        return new_id[labels], scores[keep]
