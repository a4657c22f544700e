"""``SampleInstances``: keep at most N annotated instances per image, before masks are decoded.

Segmenter training uses ≤ ``max_instances`` prompts per image; sampling the
raw ``instances`` list before ``LoadAnnotations`` avoids decoding and resizing
hundreds of full-size RLE masks per image (dense DSB images hold 300+).
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleInstances(BaseTransform):
    """Randomly keep ``max_num`` entries of ``results['instances']`` (ignored ones dropped first).

    Args:
        max_num: instances kept per image.
        seed: optional seed of a private generator (None: numpy's global state).
    """

    def __init__(self, max_num: int = 32, seed: Optional[int] = None) -> None:
        self.max_num = max_num
        self.rng = np.random.default_rng(seed) if seed is not None else np.random

    def transform(self, results: dict) -> dict:
        instances = [i for i in results.get('instances', []) if not i.get('ignore_flag', 0)]
        if len(instances) > self.max_num:
            keep = self.rng.choice(len(instances), self.max_num, replace=False)
            instances = [instances[k] for k in sorted(keep)]
        results['instances'] = instances
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_num={self.max_num})'
