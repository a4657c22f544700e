"""SAM box-prompt mask head: one image encoding, one mask per detector box.

Coordinates: boxes are XYXY in pixels. ``segment`` takes them in the original
image frame; internally the image is resized so its longest side is the arch's
``img_size`` (1024 for Meta's models, 512 for ``sam_small``), zero-padded
(after normalisation, as ``Sam.preprocess``) to a square, and boxes are scaled
by the same factors ("encoder-input" frame).

With ``input_scale`` set, the image is instead resized by that fixed factor; an
image that is then larger than ``img_size`` is encoded in overlapping windows of
``img_size`` (encoder-input pixels), each box decoded on the window whose core
holds its centre (:mod:`centersam_mm.utils.tile_grid`). A nucleus is then seen at
the same scale, in the same window, whatever the size of the image around it, so
tiled and whole-image inference agree.

State-dict keys are those of Meta's ``Sam``: ``image_encoder.*``,
``prompt_encoder.*``, ``mask_decoder.*`` (``pixel_mean``/``pixel_std`` are
non-persistent buffers, as in ``Sam``), so official checkpoints load unchanged.
"""
import math
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from ...utils.tile_grid import Tile, make_tiles
from ..losses.sam_mask_loss import sam_mask_loss
from ..utils.precision import check_precision, uses_bf16
from .box_jitter import jitter_boxes
from .decoding import (Windows, assign_window_sizes, box_mask_input, box_windows, crop_windows,
                       decode_masks, group_indices)
from .image_io import gt_boxes_tensor, original_image
from .sam_archs import build_sam_parts, get_arch
from .valid_encoding import ValidRegionEncoder

ImageLike = Union[np.ndarray, Tensor]


class SegmentResult(NamedTuple):
    """Masks N×H×W bool at the original resolution and SAM's predicted IoU (N,)."""

    masks: Tensor
    iou_pred: Tensor


class EncodedImage(NamedTuple):
    """One encoder input's embedding (1×C×gh×gw), its size (h, w) before padding and the original (H, W)."""

    embedding: Tensor
    in_hw: Tuple[int, int]
    orig_hw: Tuple[int, int]


class DecodedGroup(NamedTuple):
    """Low-res logits of boxes decoded on windows of one size.

    ``index`` (n,) into the box list; ``logits`` n×L×L; ``windows`` their token
    windows (origin (n,2) y,x; ``size`` tokens; the whole grid for full decoding).
    """

    index: Tensor
    logits: Tensor
    iou_pred: Tensor
    windows: Windows


DEFAULT_TRAIN_CFG = dict(max_instances=32, jitter_ratio=0.1, jitter_pixels=2.0,
                         focal_weight=20.0, dice_weight=1.0, iou_weight=1.0)


@MODELS.register_module()
class SAMBoxPromptSegmenter(BaseModel):
    """Segment Anything prompted with boxes, with chunked and windowed decoding.

    Args:
        arch: key of ``SAM_ARCHS`` ('vit_h', 'vit_l', 'vit_b', 'sam_small', ...).
        checkpoint: official name ('sam_vit_h', ...), a file path, or None (random).
        decode_windows: window sides in tokens to try per box, smallest first;
            a box that fits none (with ``window_margin`` tokens around it) is
            decoded on the whole embedding. ``()`` = always full decoding (SAM).
        window_margin: tokens of context required around a box in its window.
        chunk_size: boxes decoded at once (bounds memory).
        mask_threshold: logit threshold of a foreground pixel.
        trainable: sub-modules trained by ``loss`` (others frozen).
        input_scale: resize factor from the original image to the encoder input (``None``:
            longest side to ``img_size``, as SAM); larger results are encoded in windows.
        window_overlap: overlap of encoding windows in encoder-input pixels (with
            ``input_scale``); boxes wider than it may be cut at a window edge.
        window_align: window starts are multiples of this many encoder-input pixels
            (:func:`~centersam_mm.utils.tile_grid.tile_starts`); tiled inference aligns its
            tiles the same way, so a tile and the whole image share encoding windows.
        box_mask_prompt: also give each box as a dense prompt (its rasterised mask through
            SAM's own mask encoder, ``PromptEncoder.mask_downscaling``). Off for Meta's
            models (trained without it); on for ``sam_small``, where it removes the long
            plateau of learning "inside the box" from the corner encodings alone.
        encoder_precision: the image encoder's arithmetic at inference (:meth:`encode`): ``'fp32'``,
            ``'bf16'`` (CPU autocast to bfloat16, embeddings returned as float32) or ``'auto'``: bf16 on a CPU
            with native bfloat16 instructions (AVX512-BF16 or AMX), else fp32; CUDA always fp32 here. Training
            is unaffected.
        train_cfg: ``max_instances`` per image, box ``jitter_ratio`` /
            ``jitter_pixels``, loss weights (see ``DEFAULT_TRAIN_CFG``).
    """

    def __init__(self,
                 arch: str = 'sam_small',
                 checkpoint: Optional[str] = None,
                 decode_windows: Sequence[int] = (16, 32),
                 window_margin: float = 1.0,
                 chunk_size: int = 64,
                 mask_threshold: float = 0.0,
                 trainable: Sequence[str] = ('image_encoder', 'prompt_encoder', 'mask_decoder'),
                 train_cfg: Optional[dict] = None,
                 box_mask_prompt: bool = False,
                 input_scale: Optional[float] = None,
                 window_overlap: int = 128,
                 window_align: int = 32,
                 encoder_precision: str = 'fp32',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.arch_name = arch
        self.arch = get_arch(arch)
        self.image_encoder, self.prompt_encoder, self.mask_decoder = build_sam_parts(self.arch)
        self._valid_encoder: Optional[ValidRegionEncoder] = None
        self.register_buffer('pixel_mean', torch.tensor(self.arch.pixel_mean).view(-1, 1, 1), False)
        self.register_buffer('pixel_std', torch.tensor(self.arch.pixel_std).view(-1, 1, 1), False)
        self.decode_windows = tuple(decode_windows)
        self.window_margin = window_margin
        self.chunk_size = chunk_size
        self.mask_threshold = mask_threshold
        self.train_cfg = {**DEFAULT_TRAIN_CFG, **(train_cfg or {})}
        self.trainable = tuple(trainable)
        self.box_mask_prompt = box_mask_prompt
        self.input_scale = input_scale
        self.window_overlap = window_overlap
        self.window_align = window_align
        self.encoder_precision = check_precision('encoder_precision', encoder_precision)
        if checkpoint is not None:
            from .sam_checkpoint import load_sam_checkpoint
            load_sam_checkpoint(self, checkpoint)
        self._freeze()

    # ------------------------------------------------------------------ setup
    def _freeze(self) -> None:
        """Turn off gradients of the sub-modules not listed in ``trainable``."""
        for name in ('image_encoder', 'prompt_encoder', 'mask_decoder'):
            getattr(self, name).requires_grad_(name in self.trainable)

    @property
    def grid(self) -> Tuple[int, int]:
        """Embedding size (gh, gw) in tokens."""
        g = self.arch.embedding_size
        return g, g

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    # ------------------------------------------------------------- image side
    def input_size(self, hw: Tuple[int, int], scale: Optional[float] = None) -> Tuple[int, int]:
        """Size (h, w) of an image of size ``hw`` resized by ``scale`` (default: longest side to img_size)."""
        scale = scale or self.arch.img_size / max(hw)
        return int(hw[0] * scale + 0.5), int(hw[1] * scale + 0.5)

    def prepare_image(self, image: ImageLike,
                      scale: Optional[float] = None) -> Tuple[Tensor, Tuple[int, int], Tuple[int, int]]:
        """RGB image -> normalised, padded 1×3×S×S encoder input.

        Args:
            image: H×W×3 uint8 RGB array, or 3×H×W / 1×3×H×W tensor (RGB, 0-255).
            scale: resize factor (default: longest side to img_size); the result must fit in S×S.

        Returns:
            (input 1×3×S×S, input (h, w) before padding, original (H, W)).
        """
        x = torch.as_tensor(np.ascontiguousarray(image)).permute(2, 0, 1) \
            if isinstance(image, np.ndarray) else image
        x = x.reshape(-1, *x.shape[-3:])[:1].to(self.device, torch.float32)
        orig_hw = tuple(x.shape[-2:])
        in_hw = self.input_size(orig_hw, scale)
        x = F.interpolate(x, in_hw, mode='bilinear', align_corners=False, antialias=True)
        return self.normalize_and_pad(x, [in_hw]), in_hw, orig_hw

    def normalize_and_pad(self, x: Tensor, valid_hw: List[Tuple[int, int]]) -> Tensor:
        """B×3×h×w RGB (0-255) -> B×3×S×S normalised, zero outside each valid region."""
        x = (x - self.pixel_mean) / self.pixel_std
        s = self.arch.img_size
        x = F.pad(x, (0, s - x.shape[-1], 0, s - x.shape[-2]))
        for i, (h, w) in enumerate(valid_hw):
            x[i, :, h:, :] = 0
            x[i, :, :, w:] = 0
        return x

    # ------------------------------------------------------------ prompt side
    def decode(self, embedding: Tensor, boxes: Tensor) -> List[DecodedGroup]:
        """Decode boxes (n×4 XYXY, encoder-input pixels) on one 1×C×gh×gw embedding."""
        patch = self.arch.patch_size
        boxes_tok = boxes / patch
        sizes = assign_window_sizes(boxes_tok, self.decode_windows, self.grid, self.window_margin)
        sparse, _ = self.prompt_encoder(points=None, boxes=boxes, masks=None)
        dense = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        pe = self.prompt_encoder.get_dense_pe()
        groups = []
        for size, idx in group_indices(sizes):
            if size == 0:
                windows = Windows(torch.zeros(len(idx), 2, dtype=torch.long, device=boxes.device),
                                  self.grid[0])
                src, pos = embedding.expand(len(idx), -1, -1, -1), pe
            else:
                windows = box_windows(boxes_tok[idx], size, self.grid)
                src, pos = crop_windows(embedding, windows), crop_windows(pe, windows)
            if self.box_mask_prompt:
                dense = self._box_mask_embedding(boxes[idx], windows)
            logits, iou = decode_masks(self.mask_decoder, src, pos, sparse[idx], dense)
            groups.append(DecodedGroup(idx, logits, iou, windows))
        return groups

    def _box_mask_embedding(self, boxes: Tensor, windows: Windows) -> Tensor:
        """Dense prompt from the box itself: its rasterised mask through SAM's mask encoder.

        Boxes n×4 (encoder-input pixels) -> n×C×s×s for windows of s tokens.
        """
        mask = box_mask_input(boxes, windows, self.arch.patch_size)
        return self.prompt_encoder._embed_masks(mask)

    def _paste(self, group: DecodedGroup, masks: Tensor, in_hw: Tuple[int, int],
               offset: int) -> None:
        """Resample each window's logits to the original frame and threshold into ``masks``."""
        H, W = masks.shape[-2:]
        sy, sx = H / in_hw[0], W / in_hw[1]
        span = group.windows.size * self.arch.patch_size  # window side, input pixels
        for k, (ty, tx) in enumerate(group.windows.origin.tolist()):
            y0, x0 = ty * self.arch.patch_size, tx * self.arch.patch_size
            r0, r1 = max(0, math.floor(y0 * sy)), min(H, math.ceil((y0 + span) * sy))
            c0, c1 = max(0, math.floor(x0 * sx)), min(W, math.ceil((x0 + span) * sx))
            if r1 <= r0 or c1 <= c0:
                continue
            region = _resample_window(group.logits[k], (y0, x0), span, (r0, r1, c0, c1), (sy, sx))
            masks[offset + int(group.index[k]), r0:r1, c0:c1] = region > self.mask_threshold

    @torch.no_grad()
    def segment(self, image: ImageLike, boxes: Union[Tensor, np.ndarray], chunk_size: Optional[int] = None,
                scale: Optional[float] = None, align: Optional[int] = None) -> SegmentResult:
        """Masks for boxes on one image; the image is encoded once (or once per window, see the module).

        Args:
            image: H×W×3 uint8 RGB array or (1×)3×H×W RGB tensor.
            boxes: N×4 XYXY in original-image pixels.
            chunk_size: boxes decoded at once (default ``self.chunk_size``).
            scale: resize factor original -> encoder input for this image (default ``self.input_scale``;
                ``None`` for both: longest side to ``img_size``).
            align: window starts on multiples of this many original pixels (default
                ``window_align / scale``); tiled inference passes its tile alignment.

        Returns:
            ``SegmentResult(masks N×H×W bool, iou_pred (N,))`` on the model's device.
        """
        boxes = torch.as_tensor(boxes, dtype=torch.float32, device=self.device).reshape(-1, 4)
        scale = scale or self.input_scale
        if scale is None:
            return self._segment_window(image, boxes, chunk_size, None)
        height, width = _image_hw(image)
        masks = torch.zeros((len(boxes), height, width), dtype=torch.bool, device=self.device)
        iou_pred = torch.zeros(len(boxes), device=self.device)
        centres = ((boxes[:, :2] + boxes[:, 2:]) / 2).tolist()
        for tile in self.encoding_windows(height, width, scale, align):
            owned = torch.tensor([tile.owns(x, y) for x, y in centres], dtype=torch.bool, device=self.device)
            if not owned.any():
                continue
            offset = boxes.new_tensor([tile.x0, tile.y0] * 2)
            window = self._segment_window(_crop_image(image, tile.y0, tile.y1, tile.x0, tile.x1),
                                          boxes[owned] - offset, chunk_size, scale)
            masks[owned, tile.y0:tile.y1, tile.x0:tile.x1] = window.masks
            iou_pred[owned] = window.iou_pred
        return SegmentResult(masks, iou_pred)

    def encoding_windows(self, height: int, width: int, scale: float, align: Optional[int] = None) -> List[Tile]:
        """The windows (original pixels) :meth:`segment` encodes an (height, width) image in at ``scale``; a box
        is decoded on the window whose core holds its centre. ``align``: as in :meth:`segment`."""
        return make_tiles(height, width, *self.window_geometry(scale, align))

    def window_geometry(self, scale: float, align: Optional[int] = None) -> Tuple[int, int, int]:
        """(side, overlap, alignment) in original pixels of the windows :meth:`encoding_windows` cuts at
        ``scale``: side ``img_size / scale``, overlap ``window_overlap / scale``, starts on multiples of ``align``
        (default ``window_align / scale``); windows then start every ``(side - overlap) // alignment * alignment``
        pixels."""
        side = int(self.arch.img_size / scale)  # window side, original pixels
        align = min(align or max(1, round(self.window_align / scale)), max(1, side // 2))
        overlap = min(side - align, math.ceil(self.window_overlap / scale))
        return side, overlap, align

    @property
    def valid_encoder(self) -> ValidRegionEncoder:
        """Inference's image encoder: :attr:`image_encoder` on the attention windows that hold the image
        (:mod:`.valid_encoding`); follows :attr:`image_encoder` if it is replaced."""
        if self._valid_encoder is None or self._valid_encoder.encoder is not self.image_encoder:
            self._valid_encoder = ValidRegionEncoder(self.image_encoder)
        return self._valid_encoder

    @torch.no_grad()
    def encode(self, image: ImageLike, scale: Optional[float] = None) -> EncodedImage:
        """The image embedding of one encoder input: ``image`` resized by ``scale`` (default: to fit)."""
        x, in_hw, orig_hw = self.prepare_image(image, scale)
        if uses_bf16(self.encoder_precision, x.device):
            with torch.autocast('cpu', dtype=torch.bfloat16):
                return EncodedImage(self.valid_encoder.encode(x, in_hw).float(), in_hw, orig_hw)
        return EncodedImage(self.valid_encoder.encode(x, in_hw), in_hw, orig_hw)

    @torch.no_grad()
    def decode_encoded(self, encoded: EncodedImage, boxes: Union[Tensor, np.ndarray],
                       chunk_size: Optional[int] = None) -> SegmentResult:
        """Masks (N×H×W bool, the encoded image's original frame) for boxes (N×4 XYXY, original pixels of the
        encoded image) on an embedding from :meth:`encode`: what :meth:`segment` decodes on each window."""
        boxes = torch.as_tensor(boxes, dtype=torch.float32, device=self.device).reshape(-1, 4)
        in_hw, orig_hw = encoded.in_hw, encoded.orig_hw
        masks = torch.zeros((len(boxes), *orig_hw), dtype=torch.bool, device=self.device)
        iou_pred = torch.zeros(len(boxes), device=self.device)
        box_scale = boxes.new_tensor([in_hw[1] / orig_hw[1], in_hw[0] / orig_hw[0]] * 2)
        chunk = chunk_size or self.chunk_size
        for start in range(0, len(boxes), chunk):
            for group in self.decode(encoded.embedding, boxes[start:start + chunk] * box_scale):
                iou_pred[start + group.index] = group.iou_pred
                self._paste(group, masks, in_hw, start)
        return SegmentResult(masks, iou_pred)

    def _segment_window(self, image: ImageLike, boxes: Tensor, chunk_size: Optional[int],
                        scale: Optional[float]) -> SegmentResult:
        """:meth:`segment` on one encoder input: ``image`` resized by ``scale`` (default: to fit)."""
        if len(boxes) == 0:
            return SegmentResult(torch.zeros((0, *_image_hw(image)), dtype=torch.bool, device=self.device),
                                 torch.zeros(0, device=self.device))
        return self.decode_encoded(self.encode(image, scale), boxes, chunk_size)

    # --------------------------------------------------------------- training
    def loss(self, inputs: Tensor, data_samples: List[DetDataSample]) -> Dict[str, Tensor]:
        """SAM loss with jittered ground-truth boxes as prompts.

        Args:
            inputs: B×3×S×S RGB 0-255, resized (longest side S) and padded by the pipeline.
            data_samples: with ``gt_instances.bboxes`` (XYXY, input pixels) and
                ``gt_instances.masks`` (BitmapMasks, S×S).
        """
        valid = [_valid_hw(ds) for ds in data_samples]
        x = self.normalize_and_pad(inputs.float(), valid)
        with torch.set_grad_enabled('image_encoder' in self.trainable):
            embeddings = self.image_encoder(x)
        parts = [self._image_loss_terms(embeddings[i:i + 1], ds, valid[i])
                 for i, ds in enumerate(data_samples)]
        parts = [p for p in parts if p is not None]
        if not parts:
            zero = embeddings.sum() * 0
            return dict(loss_focal=zero, loss_dice=zero, loss_iou=zero)
        logits = [lg for p in parts for lg in p[0]]
        targets = [t for p in parts for t in p[1]]
        ious = torch.cat([i for p in parts for i in p[2]])
        return self._weighted_losses(logits, targets, ious)

    def _image_loss_terms(self, embedding: Tensor, data_sample: DetDataSample,
                          valid_hw: Tuple[int, int]):
        """Sample ≤ max_instances gt instances, decode jittered boxes -> (logits, targets, ious)."""
        cfg = self.train_cfg
        boxes = gt_boxes_tensor(data_sample.gt_instances).to(self.device)
        if len(boxes) == 0:
            return None
        pick = torch.randperm(len(boxes))[:cfg['max_instances']]
        gt = torch.as_tensor(data_sample.gt_instances.masks.masks[pick.numpy()], device=self.device)
        prompts = jitter_boxes(boxes[pick.to(self.device)], cfg['jitter_ratio'],
                               cfg['jitter_pixels'], bounds=valid_hw)
        logits, targets, ious = [], [], []
        for group in self.decode(embedding, prompts):
            span = group.windows.size * self.arch.patch_size
            up = F.interpolate(group.logits[:, None], (span, span), mode='bilinear',
                               align_corners=False)[:, 0]
            logits.append(up)
            targets.append(_crop_masks(gt[group.index], group.windows.origin * self.arch.patch_size,
                                       span).float())
            ious.append(group.iou_pred)
        return logits, targets, ious

    def _weighted_losses(self, logits: List[Tensor], targets: List[Tensor],
                         ious: Tensor) -> Dict[str, Tensor]:
        """Average SAM's loss over all sampled instances (groups weighted by size)."""
        cfg = self.train_cfg
        total = sum(len(lg) for lg in logits)
        out: Dict[str, Tensor] = {}
        start = 0
        for lg, tg in zip(logits, targets):
            terms = sam_mask_loss(lg, tg, ious[start:start + len(lg)], cfg['focal_weight'],
                                  cfg['dice_weight'], cfg['iou_weight'])
            for key, value in terms.items():
                out[key] = out.get(key, 0) + value * (len(lg) / total)
            start += len(lg)
        return out

    # -------------------------------------------------------------- inference
    def predict(self, inputs: Tensor, data_samples: List[DetDataSample]) -> List[DetDataSample]:
        """Oracle prediction: prompt with ``gt_instances.bboxes`` (original pixels).

        Fills ``pred_instances`` (bboxes, scores = predicted IoU, labels 0, masks
        N×H×W bool at original resolution) of each data sample.
        """
        for i, ds in enumerate(data_samples):
            image = original_image(ds, inputs[i])
            boxes = gt_boxes_tensor(ds.gt_instances).to(self.device)
            result = self.segment(image, boxes)
            ds.pred_instances = InstanceData(
                bboxes=boxes, scores=result.iou_pred.clamp(0, 1),
                labels=torch.zeros(len(boxes), dtype=torch.long, device=self.device),
                masks=result.masks)
        return data_samples

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """MMEngine entry: 'loss' -> losses, 'predict' -> data samples, 'tensor' -> embeddings."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            x = self.normalize_and_pad(inputs.float(), [tuple(inputs.shape[-2:])] * len(inputs))
            return self.image_encoder(x)
        raise ValueError(f"invalid mode '{mode}': expected 'loss', 'predict' or 'tensor'")


def _resample_window(logits: Tensor, origin_px: Tuple[int, int], span: int,
                     region: Tuple[int, int, int, int], scale: Tuple[float, float]) -> Tensor:
    """Bilinearly sample one window's L×L logits at original-frame pixel centres.

    The window covers input pixels [y0, y0+span)×[x0, x0+span); output pixel
    (i, j) of ``region`` (r0, r1, c0, c1) has its centre at input coordinates
    ((i + .5)/sy, (j + .5)/sx).

    Returns:
        (r1-r0)×(c1-c0) logits.
    """
    (y0, x0), (r0, r1, c0, c1), (sy, sx) = origin_px, region, scale
    ys = ((torch.arange(r0, r1, device=logits.device) + 0.5) / sy - y0) * (2 / span) - 1
    xs = ((torch.arange(c0, c1, device=logits.device) + 0.5) / sx - x0) * (2 / span) - 1
    grid = torch.stack(torch.meshgrid(xs, ys, indexing='xy'), dim=-1)[None]
    return F.grid_sample(logits[None, None], grid.to(logits.dtype), mode='bilinear',
                         padding_mode='border', align_corners=False)[0, 0]


def _image_hw(image: ImageLike) -> Tuple[int, int]:
    """(H, W) of an H×W×3 array or a (1×)3×H×W tensor."""
    return tuple(image.shape[:2]) if isinstance(image, np.ndarray) else tuple(image.shape[-2:])


def _crop_image(image: ImageLike, y0: int, y1: int, x0: int, x1: int) -> ImageLike:
    """Rows [y0, y1) and columns [x0, x1) of an H×W×3 array or a (1×)3×H×W tensor."""
    return image[y0:y1, x0:x1] if isinstance(image, np.ndarray) else image[..., y0:y1, x0:x1]


def _crop_masks(masks: Tensor, origin_px: Tensor, span: int) -> Tensor:
    """Per-instance crops: masks n×S×S, origin (n,2) y,x pixels -> n×span×span (zero-padded)."""
    masks = F.pad(masks, (0, span, 0, span))
    ar = torch.arange(span, device=masks.device)
    ys = origin_px[:, :1] + ar
    xs = origin_px[:, 1:] + ar
    n = torch.arange(len(masks), device=masks.device)[:, None, None]
    return masks[n, ys[:, :, None], xs[:, None, :]]


def _valid_hw(data_sample: DetDataSample) -> Tuple[int, int]:
    """Image size after resizing, before padding: ori_shape × scale_factor."""
    h, w = data_sample.ori_shape[:2]
    sf = data_sample.metainfo.get('scale_factor', (1.0, 1.0))
    return int(round(h * sf[1])), int(round(w * sf[0]))
