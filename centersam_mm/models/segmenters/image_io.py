"""Recover what SAM needs from MMDetection data samples: the original RGB image and gt boxes."""
from typing import Optional

import mmcv
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor


def original_image(data_sample: DetDataSample, inputs_i: Optional[Tensor] = None) -> np.ndarray:
    """H×W×3 uint8 RGB image at its original resolution.

    ``inputs_i`` (3×h×w, RGB 0-255, *not normalised*) is used when given and the
    pipeline did not resize (``img_shape == ori_shape``); otherwise the file at
    ``img_path`` is read again (a detector's input is resized and normalised).
    """
    ori = tuple(data_sample.ori_shape[:2])
    if inputs_i is not None and tuple(data_sample.img_shape[:2]) == ori:
        img = inputs_i[:, :ori[0], :ori[1]].detach().float().round().clamp(0, 255)
        return img.byte().permute(1, 2, 0).cpu().numpy()
    img_path = data_sample.metainfo.get('img_path')
    if img_path is None:
        raise ValueError('SAM needs the original image: the data sample has no img_path')
    return mmcv.imread(img_path, flag='color', channel_order='rgb')


def gt_boxes_tensor(gt_instances: InstanceData) -> Tensor:
    """gt_instances.bboxes as an N×4 float tensor (HorizontalBoxes or Tensor)."""
    boxes = gt_instances.bboxes
    boxes = boxes.tensor if hasattr(boxes, 'tensor') else torch.as_tensor(boxes)
    return boxes.float().reshape(-1, 4)
