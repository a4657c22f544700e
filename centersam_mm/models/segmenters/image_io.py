"""Recover what SAM needs from MMDetection data samples: the original RGB image and gt boxes."""
from typing import Optional

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor


def original_image(data_sample: DetDataSample, inputs_i: Optional[Tensor] = None) -> np.ndarray:
    """H×W×3 uint8 RGB image at its original resolution, as loaded (before CLAHE or any resizing).

    It travels in the sample's metainfo as ``ori_img`` (put there by the ``KeepOriginalImage`` pipeline step);
    without it, ``inputs_i`` (3×h×w, RGB 0-255, *not normalised*) is used when the pipeline did not resize
    (``img_shape == ori_shape``). Nothing is read from disk.

    Raises:
        ValueError: neither is available (the test pipeline lacks ``KeepOriginalImage``).
    """
    image = data_sample.metainfo.get('ori_img')
    if image is not None:
        return image
    ori = tuple(data_sample.ori_shape[:2])
    if inputs_i is not None and tuple(data_sample.img_shape[:2]) == ori:
        img = inputs_i[:, :ori[0], :ori[1]].detach().float().round().clamp(0, 255)
        return img.byte().permute(1, 2, 0).cpu().numpy()
    raise ValueError("SAM needs the original image: add dict(type='KeepOriginalImage') after the image loader "
                     "of the test pipeline (and 'ori_img' to PackDetInputs' meta_keys)")


def gt_boxes_tensor(gt_instances: InstanceData) -> Tensor:
    """gt_instances.bboxes as an N×4 float tensor (HorizontalBoxes or Tensor)."""
    boxes = gt_instances.bboxes
    boxes = boxes.tensor if hasattr(boxes, 'tensor') else torch.as_tensor(boxes)
    return boxes.float().reshape(-1, 4)
