"""CenterSAM: any MMDetection detector finds nuclei, each box prompts SAM for its mask.

Two views of one image (documented in docs/design.md):

* the detector sees the preprocessed image (CLAHE, normalised by the data preprocessor). A scale-aware model
  (``test_cfg.diameter`` set) resizes it itself by the image's factor (given, or estimated from the image:
  :mod:`centersam_mm.models.utils.nucleus_scale`), so nuclei arrive at the size it was trained at; otherwise the
  config's pipeline resized it (fixed size). ``predict(rescale=True)`` returns boxes in *original* pixels;
* SAM sees the *original* RGB image, carried in the sample's metainfo (``ori_img``, from ``KeepOriginalImage``),
  encoded at ``factor * sam_diameter / diameter`` (scale-aware) or fitted to its ``img_size``.

Output per image: ``pred_instances`` = InstanceData(bboxes N×4 XYXY original
pixels, scores, labels, masks N×H×W bool at original resolution). Masks whose
SAM-predicted IoU is below ``iou_thr`` and empty masks are dropped. Overlaps are
resolved later, when a label map is painted: a pixel goes to the highest-scoring
mask (``centersam_mm.evaluation.functional``). With a ``scorer`` (e.g. ``CandidateScorer``), each (box, mask)
candidate is rescored from features of both and ``scores`` become the scorer's outputs in [0, 1] (the detector's
are kept as ``det_scores``); candidates below ``scorer_thr`` are dropped before mask NMS.
"""
import copy
import math
import warnings
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple, Union

import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, SampleList
from mmengine.structures import InstanceData
from torch import Tensor

from ..segmenters.image_io import gt_boxes_tensor, original_image
from ..scorers.size_regressor import pooled_features
from ..utils.masks import any_along, clean_masks, keep_rows, mask_boxes
from ..utils.precision import bf16_features, check_precision, uses_bf16
from ..utils.nucleus_scale import (clip_scale, estimate_scale, first_guess, probe_side, probe_window, resize_input,
                                   scale_from_options, scaled_size)

PROMPTS = ('detector', 'oracle')


def suppress_covered_masks(masks: Tensor, scores: Tensor, max_covered: float,
                           candidates: Optional[Tensor] = None) -> Tensor:
    """Mask NMS: keep a mask unless more than ``max_covered`` of its pixels lie under higher-scoring kept masks.

    Two peaks on one nucleus give two near-identical SAM masks; painted into a label map, the weaker one
    would survive as a sliver and count as a false positive. Args: masks (N, H, W) bool, scores (N,),
    candidates (N,) bool: only these masks take part (default: all; saves masking a copy of ``masks``).
    Returns: (N,) bool, True for the masks kept.

    Each mask is compared inside its own bounding box (:func:`mask_boxes`), so the work per mask is its box's
    size, not the image's (a 1000x1000 H&E image holds ~500 candidates of ~30x30 px).
    """
    keep = torch.zeros(len(masks), dtype=torch.bool, device=masks.device)
    if len(masks) == 0:
        return keep
    order = scores.argsort(descending=True)
    if candidates is not None:
        order = order[candidates[order]]
    if len(order) == 0:
        return keep
    indices, boxes = order.tolist(), mask_boxes(masks)[order].tolist()
    crops = [masks[index, y0:y1, x0:x1] for index, (y0, y1, x0, x1) in zip(indices, boxes)]
    areas = torch.stack([crop.sum() for crop in crops]).clamp(min=1)  # int64 per crop: no whole-stack widening
    occupied = torch.zeros(masks.shape[1:], dtype=torch.bool, device=masks.device)
    for index, crop, area, (y0, y1, x0, x1) in zip(indices, crops, areas, boxes):
        under = occupied[y0:y1, x0:x1]
        if (crop & under).sum() <= max_covered * area:
            keep[index] = True
            under |= crop
    return keep


def select_candidates(masks: Tensor, scores: Tensor, iou_pred: Tensor, iou_thr: float,
                      score_thr: Optional[float] = None, mask_nms_thr: Optional[float] = None,
                      candidates: Optional[Tensor] = None) -> Tensor:
    """The rule that keeps SAM's masks: iou_pred ≥ ``iou_thr``, non-empty, score ≥ ``score_thr`` (None: no
    score gate), then mask NMS (``suppress_covered_masks`` at ``mask_nms_thr``; None: none). Args: masks
    (N, H, W) bool, scores / iou_pred (N,), candidates (N,) bool: an extra gate (default: none).
    Returns: (N,) bool, True for the masks kept."""
    keep = (iou_pred >= iou_thr) & any_along(masks.flatten(1), 1)
    if candidates is not None:
        keep &= candidates
    if score_thr is not None:
        keep &= scores >= score_thr
    if mask_nms_thr is not None:
        keep = suppress_covered_masks(masks, scores, mask_nms_thr, candidates=keep)
    return keep


@contextmanager
def _head_topk(detector, k: int) -> Iterator[None]:
    """The detector's head decodes at least ``k`` peaks meanwhile (heads whose ``test_cfg`` has a ``topk``, as
    CenterNet's; others as they are)."""
    cfg = getattr(getattr(detector, 'bbox_head', None), 'test_cfg', None)
    if cfg is None or 'topk' not in cfg or cfg['topk'] >= k:
        yield
        return
    before = cfg['topk']
    cfg['topk'] = k
    try:
        yield
    finally:
        cfg['topk'] = before


@MODELS.register_module()
class CenterSAM(BaseDetector):
    """Detector + SAM box-prompt segmenter.

    Args:
        detector: config of any MMDetection detector (CenterNet by default). Its
            ``data_preprocessor`` becomes CenterSAM's (the detector's inputs are
            preprocessed once, by the outer model).
        segmenter: config of a box-prompt segmenter (``SAMBoxPromptSegmenter``).
        scorer: optional config of a candidate scorer (``CandidateScorer``): rescores each prompted box from its
            detector score, SAM's predicted IoU and its mask; frozen like the segmenter. Not used with oracle prompts.
        train_cfg: ``dict(mode='train_detector')`` — the detector is trained,
            the segmenter frozen (eval mode, no gradients).
        test_cfg: ``score_thr`` (boxes kept as prompts), ``iou_thr`` (masks kept),
            ``prompt`` ('detector' or 'oracle': ground-truth boxes, original pixels,
            from ``data_sample.gt_instances`` — isolates the segmenter's error),
            ``max_per_img``, ``mask_nms_thr`` (``None``: off; else a mask more than this fraction
            covered by higher-scoring masks is dropped, see :func:`suppress_covered_masks`), ``scorer_thr``
            (with a scorer: candidates rated below it are dropped; default 0.5), ``clean_masks`` (each kept
            mask reduced to its largest connected component, holes filled: :func:`clean_masks`); for
            scale-aware inference ``diameter``, ``sam_diameter``, ``prior_diameter``, ``pixel_size``, ``scale`` ('auto' or a factor)
            and the estimate's options (:mod:`centersam_mm.models.utils.nucleus_scale`).
    """

    def __init__(self,
                 detector: dict,
                 segmenter: dict,
                 scorer: Optional[dict] = None,
                 size_regressor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        detector = copy.deepcopy(dict(detector))
        det_preprocessor = detector.pop('data_preprocessor', None)
        super().__init__(data_preprocessor=data_preprocessor or det_preprocessor,
                         init_cfg=init_cfg)
        self.detector = MODELS.build(detector)
        self.segmenter = MODELS.build(segmenter)
        self.scorer = MODELS.build(scorer) if scorer is not None else None
        self.size_regressor = MODELS.build(size_regressor) if size_regressor is not None else None
        self.train_cfg = {'mode': 'train_detector', **(train_cfg or {})}
        self.test_cfg = dict(dict(score_thr=0.3, iou_thr=0.0, prompt='detector',
                                  max_per_img=2000, scorer_thr=0.5), **(test_cfg or {}))
        if self.train_cfg['mode'] != 'train_detector':
            raise ValueError(f"unsupported train mode {self.train_cfg['mode']!r}: CenterSAM trains "
                             "its detector; train the segmenter alone (configs/sam/)")
        if self.test_cfg['prompt'] not in PROMPTS:
            raise ValueError(f"test_cfg.prompt must be one of {PROMPTS}")
        for option in ('probe_precision', 'detector_precision'):
            check_precision(f'test_cfg.{option}', self.test_cfg.get(option, 'fp32'))
        detector_thr = (detector.get('test_cfg') or {}).get('score_thr')
        if detector_thr is not None and detector_thr > self.test_cfg['score_thr']:
            warnings.warn(f"CenterSAM test_cfg.score_thr={self.test_cfg['score_thr']} is below its detector's own "
                          f"test_cfg.score_thr={detector_thr}, which applies first: lower that one too")
        self.segmenter.requires_grad_(False)
        for part in (self.scorer, self.size_regressor):
            if part is not None:
                part.requires_grad_(False)

    def train(self, mode: bool = True) -> 'CenterSAM':
        """Train the detector only; the frozen segmenter (and scorer) stay in eval mode."""
        super().train(mode)
        self.segmenter.eval()
        for part in (self.scorer, self.size_regressor):
            if part is not None:
                part.eval()
        return self

    # ------------------------------------------------------------- training
    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Union[dict, list]:
        """Detector losses (mode 'train_detector')."""
        return self.detector.loss(batch_inputs, batch_data_samples)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        return self.detector.extract_feat(batch_inputs)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList = None):
        return self.detector._forward(batch_inputs, batch_data_samples)

    # ------------------------------------------------------------ inference
    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Boxes (detector or oracle) -> SAM masks at original resolution.

        With ``test_cfg.diameter`` set (scale-aware models, :mod:`centersam_mm.models.utils.nucleus_scale`), each
        image is resized inside the model by its own factor (given in its metainfo as ``nucleus_scale``,
        ``pixel_size`` or ``nucleus_diameter``, else estimated) before the detector sees it; SAM encodes the
        original image at the matching factor. The factor used is stored as ``metainfo['nucleus_scale']``.
        Without it, the detector sees ``batch_inputs`` as the pipeline made them (fixed-size ``Resize``).

        Returns:
            the data samples with ``pred_instances`` (bboxes, scores, labels, masks).
        """
        for index, ds in enumerate(batch_data_samples):
            inputs = batch_inputs[index:index + 1]
            scale, probed = self._image_scale(inputs, ds) if self.scale_aware else (None, None)
            if self.test_cfg['prompt'] == 'oracle':
                prompts = self._oracle_instances(ds)
            else:
                limit = None if scale is None else self.detection_limit(scaled_size(*ds.ori_shape[:2], scale))
                prompts = self._select(probed if probed is not None else self._detect(inputs, ds, scale), limit)
            ds.pred_instances = self._segment(ds, prompts, scale)
        return batch_data_samples

    @property
    def scale_aware(self) -> bool:
        """True when the model records the nucleus size it was trained for (``test_cfg.diameter``)."""
        return bool(self.test_cfg.get('diameter'))

    def image_scale(self, inputs: Tensor, data_sample: DetDataSample) -> float:
        """Factor from original pixels to the detector's input for one image (1 x C x H x W preprocessed).

        Given by the image's options, else estimated on central crops of it (:func:`estimate_scale`); the
        result is written into the sample's metainfo as ``nucleus_scale``.
        """
        return self._image_scale(inputs, data_sample)[0]

    def _image_scale(self, inputs: Tensor, data_sample: DetDataSample) -> Tuple[float, Optional[InstanceData]]:
        """:meth:`image_scale`, and the detections of the estimate's run at that factor when that run saw the
        whole image at the final run's precision (small images: the final detection is that run, not a second
        one), else ``None``."""
        scale = scale_from_options(self.test_cfg, data_sample.metainfo)
        runs: Dict[float, InstanceData] = {}
        reusable = (uses_bf16(self.test_cfg.get('probe_precision', 'fp32'), inputs.device)
                    == uses_bf16(self.test_cfg.get('detector_precision', 'fp32'), inputs.device))
        if scale is None:
            valid = self._valid_inputs(inputs, data_sample)
            height, width = data_sample.ori_shape[:2]

            def detect(probe_scale: float) -> Tuple[Tensor, Tensor]:
                y0, y1, x0, x1 = probe_window(height, width, probe_side(probe_scale))
                sample = DetDataSample(metainfo=dict(ori_shape=(y1 - y0, x1 - x0)))
                instances = self._detect(valid[..., y0:y1, x0:x1], sample, probe_scale, 'probe_precision')
                if reusable and (y1 - y0, x1 - x0) == (height, width):
                    runs[probe_scale] = instances
                return instances.bboxes, instances.scores

            start = None
            if self.size_regressor is not None:
                guess = first_guess(self.test_cfg)
                features = self.size_features(valid, height, width)
                start = clip_scale(guess * math.exp(float(self.size_regressor(features)[0])))
            scale = estimate_scale(detect, self.test_cfg, start)
        data_sample.set_metainfo(dict(nucleus_scale=scale))
        return scale, runs.get(scale)

    def size_features(self, valid: Tensor, height: int, width: int) -> Tensor:
        """(2C,) pooled neck features of the image's central crop (``probe_window``) resized by the estimate's
        first guess: what the size regressor (:class:`~centersam_mm.models.scorers.NucleusSizeRegressor`) reads.

        Args:
            valid: 1 x 3 x height x width preprocessed image (no padding).
        """
        guess = first_guess(self.test_cfg)
        y0, y1, x0, x1 = probe_window(height, width, probe_side(guess))
        size = scaled_size(y1 - y0, x1 - x0, guess)
        divisor = int(getattr(self.data_preprocessor, 'pad_size_divisor', 1) or 1)
        padded = resize_input(valid[..., y0:y1, x0:x1], size, divisor)
        feature_map = self.detector.extract_feat(padded)[0]
        stride = padded.shape[-1] / feature_map.shape[-1]  # the padding is left out of the pooling
        rows, cols = math.ceil(size[0] / stride), math.ceil(size[1] / stride)
        return pooled_features(feature_map[..., :rows, :cols])

    def _valid_inputs(self, inputs: Tensor, data_sample: DetDataSample) -> Tensor:
        """The image part of a padded 1 x C x H x W input, at the pipeline's resolution."""
        height, width = data_sample.metainfo.get('img_shape', data_sample.ori_shape)[:2]
        return inputs[..., :height, :width]

    def _detect_boxes(self, inputs: Tensor, data_sample: DetDataSample, scale: float) -> Tuple[Tensor, Tensor]:
        """(boxes, scores) of the detector on ``inputs`` resized to ``scale`` x ``data_sample.ori_shape``."""
        instances = self._detect(inputs, data_sample, scale)
        return instances.bboxes, instances.scores

    def _detect(self, inputs: Tensor, data_sample: DetDataSample, scale: Optional[float],
                precision: str = 'detector_precision') -> InstanceData:
        """Detector boxes in original pixels; with ``scale``, the image is first resized to ``scale`` x its
        original size (and padded to the preprocessor's divisor). ``precision`` names the ``test_cfg`` option
        that sets the backbone and neck's arithmetic (:mod:`~centersam_mm.models.utils.precision`):
        ``detector_precision`` for the final run, ``probe_precision`` for the estimate's."""
        bf16 = uses_bf16(self.test_cfg.get(precision, 'fp32'), inputs.device)
        with bf16_features(self.detector, bf16):
            return self._detect_at(inputs, data_sample, scale)

    def _detect_at(self, inputs: Tensor, data_sample: DetDataSample, scale: Optional[float]) -> InstanceData:
        """:meth:`_detect` at the detector's own precision."""
        if scale is None:
            return self.detector.predict(inputs, [data_sample], rescale=True)[0].pred_instances
        ori_h, ori_w = data_sample.ori_shape[:2]
        valid = self._valid_inputs(inputs, data_sample)
        size = scaled_size(ori_h, ori_w, scale)
        divisor = int(getattr(self.data_preprocessor, 'pad_size_divisor', 1) or 1)
        resized = resize_input(valid, size, divisor)
        meta = dict(ori_shape=(ori_h, ori_w), img_shape=size, pad_shape=tuple(resized.shape[-2:]),
                    batch_input_shape=tuple(resized.shape[-2:]), scale_factor=(size[1] / ori_w, size[0] / ori_h))
        sample = DetDataSample(metainfo=meta)
        with _head_topk(self.detector, self.detection_limit(size)):
            return self.detector.predict(resized, [sample], rescale=True)[0].pred_instances

    def detection_limit(self, input_hw: Tuple[int, int]) -> int:
        """Most detections kept from one detector input of ``input_hw`` pixels: ``max_per_img``, raised for large
        inputs of a scale-aware model to one per (diameter / 2)² input pixels (nuclei at the trained size, and
        down to half of it, packed edge to edge), so a large or densely packed image is not cut at a fixed
        count; the detector's own top-K (a CenterNet head's ``test_cfg.topk``) is raised with it."""
        limit = int(self.test_cfg['max_per_img'])
        if not self.scale_aware:
            return limit
        cell = float(self.test_cfg['diameter']) / 2
        return max(limit, math.ceil(input_hw[0] * input_hw[1] / cell ** 2))

    def _select(self, instances: InstanceData, limit: Optional[int] = None) -> InstanceData:
        """Detections with score ≥ score_thr, best first, at most ``limit`` (default ``max_per_img``)."""
        keep = instances.scores >= self.test_cfg['score_thr']
        instances = instances[keep]
        order = instances.scores.argsort(descending=True)[:limit or self.test_cfg['max_per_img']]
        return instances[order]

    @staticmethod
    def _oracle_instances(data_sample: DetDataSample) -> InstanceData:
        """Ground-truth boxes (original pixels) as prompts with score 1."""
        boxes = gt_boxes_tensor(data_sample.gt_instances)
        labels = data_sample.gt_instances.get('labels', torch.zeros(len(boxes), dtype=torch.long))
        return InstanceData(bboxes=boxes, scores=torch.ones(len(boxes)), labels=labels)

    def _segment(self, data_sample: DetDataSample, instances: InstanceData,
                 scale: Optional[float] = None) -> InstanceData:
        """Prompt SAM with ``instances.bboxes``; keep masks with iou_pred ≥ iou_thr, non-empty, and (with a
        scorer) rating ≥ scorer_thr; then mask NMS in score order. With ``scale`` (the detector's factor), SAM
        encodes the image at ``scale * sam_diameter / diameter``."""
        device = self.segmenter.device
        image = original_image(data_sample)
        boxes = instances.bboxes.to(device).float()
        det_scores = instances.scores.to(device)
        sam_scale = None if scale is None else self.sam_scale(scale)
        # the candidates' stack: one bool per pixel and box; the kept masks end up at its front (keep_rows)
        candidates, iou_pred = self.segmenter.segment(image, boxes, scale=sam_scale,
                                                      align=data_sample.metainfo.get('tile_align'))
        scores, score_thr = det_scores, None
        if self.scorer is not None and self.test_cfg['prompt'] == 'detector':
            scores = self.scorer.score(image, candidates, boxes, det_scores, iou_pred, scale)
            score_thr = self.test_cfg['scorer_thr']
        keep = select_candidates(candidates, scores, iou_pred, self.test_cfg['iou_thr'], score_thr,
                                 self.test_cfg.get('mask_nms_thr'))
        # the kept masks moved to the front of the candidates' stack (the segmenter's, ours to overwrite), not
        # copied out of it: candidates[keep] took 1.8-2.1 s on a MoNuSeg image's 1,309 candidates
        masks = keep_rows(candidates, keep)
        masks = self.finish_masks(masks)
        out = InstanceData(bboxes=boxes[keep], scores=scores[keep],
                           labels=instances.labels.to(device)[keep], masks=masks)
        out.mask_scores = iou_pred[keep]
        out.det_scores = det_scores[keep]
        return out

    def finish_masks(self, masks: Tensor) -> Tensor:
        """Kept (N, H, W) bool masks as the model outputs them: cleaned (:func:`clean_masks`, in place: the
        caller hands over a stack of its own) when ``test_cfg.clean_masks`` is set, else as SAM drew them. Box
        correction (``apis.correction``) finishes a re-decoded mask with it too."""
        return clean_masks(masks, inplace=True) if self.test_cfg.get('clean_masks') else masks

    def sam_scale(self, scale: float) -> float:
        """The factor SAM encodes an image at when the detector's is ``scale``: ``scale * sam_diameter /
        diameter`` (nuclei reach the size each network was trained at)."""
        diameter = float(self.test_cfg['diameter'])
        return scale * float(self.test_cfg.get('sam_diameter') or diameter) / diameter

    def segmenter_state(self) -> Dict[str, Tensor]:
        """The segmenter's weights (keys as Meta's ``Sam``: image_encoder.* ...)."""
        return self.segmenter.state_dict()
