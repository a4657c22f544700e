"""``KeepOriginalImage``: the loaded image travels with the data sample, so SAM never re-reads a file."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class KeepOriginalImage(BaseTransform):
    """Store the image as loaded, in RGB, under ``ori_img`` (list ``'ori_img'`` in ``PackDetInputs.meta_keys``).

    Place it right after the loader (``LoadImageFromFile`` / ``LoadImageFromNDArray``, which give BGR), before
    CLAHE or resizing: SAM encodes the original image, the detector the preprocessed one.

    Required keys: ``img`` (H×W×3 BGR or H×W grey uint8). Added keys: ``ori_img`` (H×W×3 RGB uint8).
    """

    def transform(self, results: dict) -> dict:
        image = results['img']
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        results['ori_img'] = np.ascontiguousarray(image[..., ::-1])
        return results
