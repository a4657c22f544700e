"""``NucleusSegmenter``: images in, instance label maps out (any MMDetection instance-segmentation model).

Example::

    from centersam_mm.apis import NucleusSegmenter
    seg = NucleusSegmenter()                # default CenterSAM config + checkpoint, CPU
    labels = seg(image)                     # (H, W) uint16 label map; napari: viewer.add_labels(labels)
    result = seg.predict('slide.tif')       # NucleusResult: labels, scores (N,), boxes (N, 4)
    results = seg.predict([img1, img2])     # a list in, a list out

Following MMDetection's ``DetInferencer``: ``model`` is a config path or a config name found under the
repository's ``configs/`` (e.g. ``'centersam_r18_sam-small_dsb2018_cpu'``), ``weights`` a checkpoint, and
``device`` where to run. The model is built with ``mmdet.apis.init_detector`` and run as
``inference_detector`` runs it (test pipeline, ``model.test_step``) on in-memory arrays, so the config's test
pipeline (resizing, CLAHE, ...) decides the preprocessing exactly as in testing. Images larger than ``tile_size`` are segmented in overlapping tiles
(see :mod:`centersam_mm.apis.tiling`).
"""
import copy
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ..io.readers import read_image, to_rgb_uint8
from .result import NucleusResult
from .stub import ThresholdSegmenter
from .tiling import InstanceFn, make_tiles, segment_tiled

PathLike = Union[str, Path]
ImageInput = Union[np.ndarray, PathLike]
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = 'configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py'
DEFAULT_CHECKPOINT = 'checkpoints/centersam_r18_sam-small_dsb2018_cpu.pth'
FALLBACK_SCORE_THR = 0.3  # used when neither the caller nor the config's test_evaluator sets score_thr
STUB_MODEL = 'stub'


def find_repo_file(relative: PathLike) -> Path:
    """``relative`` under the repository root if it exists there, else under the working directory if it
    exists there, else (missing) under the repository root."""
    for root in (REPO_ROOT, Path.cwd()):
        if (root / relative).exists():
            return root / relative
    return REPO_ROOT / relative


def resolve_config(model: PathLike) -> Path:
    """Config file for ``model``: an existing path, or a config name looked up as ``configs/**/<name>.py``."""
    if Path(model).is_file():
        return Path(model)
    name = Path(model).name if str(model).endswith('.py') else f'{Path(model).name}.py'
    matches = sorted(find_repo_file('configs').rglob(name))
    if not matches:
        raise FileNotFoundError(f'config {model!r} is neither a file nor a name under configs/')
    return matches[0]


class MMDetInstanceFn:
    """Instance function (see :mod:`.tiling`) running an MMDetection detector that predicts masks.

    Images go through the config's test pipeline as in-memory arrays and ``model.test_step``, as in
    ``inference_detector``. A model that re-reads the original image from the data sample's ``img_path`` (and
    so fails on arrays, which have none) is detected on the first call and from then on given each image/tile
    as a temporary lossless PNG (one warning).

    Whole-image steps: a step whose output depends on the size of its input (CLAHE: an 8×8 grid over the
    input) would treat a tile differently from the whole image. :meth:`prepare` runs those steps once on the
    whole image; each tile then passes ``prepared`` (its crop of that result), which the pipeline takes in
    their place. A SAM segmenter that re-reads the file still sees the raw tile, as in training.

    Args:
        model: config path/name, or a detector already built by ``init_detector`` (has ``.cfg``).
        weights: checkpoint path (``None``: random weights, with mmdet's warning).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ...
        score_thr: instances below it are dropped before their masks leave the model's device.
        input_scale: if set, every image/tile is resized by this factor (keeping its aspect ratio) instead
            of by the config's ``Resize`` (e.g. to a fixed 512x512), so tiles and whole images are seen at the
            same scale; a SAM segmenter inside the model (``model.segmenter.input_scale``) is set to the same
            factor, so it encodes fixed-scale windows instead of fitting each input to its own size.
    """

    def __init__(self, model: Any, weights: Optional[PathLike] = None, device: str = 'cpu',
                 score_thr: float = 0.0, input_scale: Optional[float] = None):
        if isinstance(model, (str, Path)):
            model = build_detector(resolve_config(model), weights, device)
        self.model = model
        self.score_thr = score_thr
        self.tile_align = None
        if input_scale is not None:
            self._align_to_scale(input_scale)
        self.whole_image_steps = [step for step in _test_pipeline_steps(model.cfg) if _is_whole_image_step(step)]
        self.pipelines = {(from_file, prepared): build_ndarray_test_pipeline(model.cfg, from_file, input_scale,
                                                                             prepared)
                          for from_file in (False, True) for prepared in (False, True)}
        self.needs_file: Optional[bool] = None  # unknown until the first call

    def _align_to_scale(self, input_scale: float) -> None:
        """Tiles start on the detector's pixel grid; a SAM segmenter encodes at ``input_scale`` on that grid.

        The data preprocessor pads inputs to a multiple of its ``pad_size_divisor`` (the network's total
        stride); tiles starting on multiples of it (in input pixels) see exactly the whole image's grid.
        """
        divisor = int(getattr(self.model.data_preprocessor, 'pad_size_divisor', 1) or 1)
        self.tile_align = max(1, round(divisor / input_scale))
        segmenter = getattr(self.model, 'segmenter', None)
        if hasattr(segmenter, 'input_scale'):
            segmenter.input_scale, segmenter.window_align = input_scale, divisor

    def prepare(self, image: np.ndarray) -> Optional[np.ndarray]:
        """The whole-image steps (e.g. CLAHE) applied to an (H, W, 3) RGB image: (H, W, 3) BGR, or None."""
        if not self.whole_image_steps:
            return None
        from mmdet.registry import TRANSFORMS
        results = dict(img=np.ascontiguousarray(image[..., ::-1]))  # mmdet pipelines work in BGR
        for step in self.whole_image_steps:
            results = TRANSFORMS.build(step)(results)
        return results['img']

    def __call__(self, image: np.ndarray, prepared: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """(h, w, 3) RGB uint8 [+ its crop of :meth:`prepare`] → ((N, h, w) bool masks, (N,) float scores)."""
        if self.needs_file is None:
            try:
                sample = self._infer(image, prepared, from_file=False)
                self.needs_file = False
            except ValueError as error:
                if 'img_path' not in str(error):
                    raise
                warnings.warn(f'{type(self.model).__name__} reads images from files ({error}); '
                              'passing each image/tile as a temporary PNG')
                self.needs_file = True
        if self.needs_file:
            sample = self._infer(image, prepared, from_file=True)
        return self._masks_and_scores(sample.pred_instances)

    def _infer(self, image: np.ndarray, prepared: Optional[np.ndarray], from_file: bool) -> Any:
        """DetDataSample for an RGB image, given in memory or (``from_file``) as a temporary PNG."""
        pipeline = self.pipelines[(from_file, prepared is not None)]
        data = dict(img_id=0) if prepared is None else dict(img_id=0, prepared_img=prepared)
        if not from_file:
            return self._test_step(pipeline, dict(data, img=np.ascontiguousarray(image[..., ::-1])))
        with tempfile.TemporaryDirectory(prefix='centersam_') as folder:
            path = str(Path(folder) / 'image.png')
            cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
            return self._test_step(pipeline, dict(data, img_path=path))

    def _test_step(self, pipeline: Callable, data: dict) -> Any:
        """What ``inference_detector`` does with one input: pipeline, batch of one, ``model.test_step``."""
        import torch
        data = pipeline(data)
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            return self.model.test_step(batch)[0]

    def _masks_and_scores(self, instances: Any) -> Tuple[np.ndarray, np.ndarray]:
        """(N, h, w) bool masks and (N,) scores of the instances scoring at least ``score_thr``."""
        keep = instances.scores >= self.score_thr
        masks = instances.masks if bool(keep.all()) else instances.masks[keep]  # no (N, h, w) copy if all kept
        masks = masks.cpu().numpy() if hasattr(masks, 'cpu') else np.asarray(masks)
        return masks.astype(bool, copy=False), instances.scores[keep].cpu().numpy()


class TakePreparedImage:
    """Pipeline step standing in for the whole-image steps: ``img`` ← ``prepared_img`` (see MMDetInstanceFn)."""

    def __call__(self, results: dict) -> dict:
        results['img'] = results.pop('prepared_img')
        return results


def _is_whole_image_step(step: dict) -> bool:
    """True for pipeline steps whose output depends on the input's size (CLAHE's grid of tiles)."""
    return 'CLAHE' in str(step['type'])


def _test_pipeline_steps(cfg: Any) -> List[dict]:
    """Copies of the config's test pipeline steps, without annotation loading."""
    from mmdet.utils import get_test_pipeline_cfg
    return [copy.deepcopy(step) for step in get_test_pipeline_cfg(cfg)
            if 'LoadAnnotations' not in str(step['type'])]


def build_detector(config_path: Union[PathLike, Any], weights: Optional[PathLike], device: str) -> Any:
    """``mmdet.apis.init_detector``, also for composite models whose config has no ``model.backbone``.

    ``config_path`` is a config file or an already loaded (and possibly edited) ``mmengine.Config``.

    ``init_detector`` reads ``config.model.backbone`` (to clear its ``init_cfg``), which composite models such
    as CenterSAM (``model.detector`` + ``model.segmenter``) do not have; those are built with the same steps
    (default scope, ``MODELS.build``, ``load_checkpoint``, ``dataset_meta`` from the checkpoint).
    """
    from mmengine.config import Config
    from mmdet.apis import init_detector
    cfg = config_path if isinstance(config_path, Config) else Config.fromfile(str(config_path))
    if 'pretrained' in cfg.model or 'backbone' in cfg.model:
        return init_detector(cfg, None if weights is None else str(weights), device=device)
    return _build_composite_detector(cfg, weights, device)


def _build_composite_detector(cfg: Any, weights: Optional[PathLike], device: str) -> Any:
    """The part of ``init_detector`` that applies to any model config (see :func:`build_detector`)."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmdet.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.dataset_meta = {'classes': ('nucleus',)}
    if weights is not None:
        checkpoint = load_checkpoint(model, str(weights), map_location='cpu')
        dataset_meta = checkpoint.get('meta', {}).get('dataset_meta')
        if dataset_meta:
            model.dataset_meta = {key.lower(): value for key, value in dataset_meta.items()}
    model.cfg = cfg
    return model.to(device).eval()


def build_ndarray_test_pipeline(cfg: Any, from_file: bool = False, input_scale: Optional[float] = None,
                                prepared: bool = False) -> Callable:
    """The config's test pipeline, loading from an in-memory array and without annotation loading.

    This is what ``DetInferencer`` does: ``LoadImageFromNDArray`` replaces the file loader (unless
    ``from_file``) and ``LoadAnnotations`` steps are dropped (there are no annotations at inference).
    With ``input_scale``, ``Resize`` steps become a resize by that factor (aspect ratio kept). With
    ``prepared``, the whole-image steps (CLAHE) are replaced by :class:`TakePreparedImage`.
    """
    from mmcv.transforms import Compose
    steps = _test_pipeline_steps(cfg)
    if not from_file:
        steps[0]['type'] = 'mmdet.LoadImageFromNDArray'
    if input_scale is not None:
        steps = [dict(type='Resize', scale_factor=input_scale, keep_ratio=True) if 'Resize' in str(step['type'])
                 else step for step in steps]
    if prepared:
        steps = [TakePreparedImage() if _is_whole_image_step(step) else step for step in steps]
    return Compose(steps)


def config_evaluator_setting(cfg: Any, key: str) -> Optional[Any]:
    """``key`` (e.g. ``'score_thr'``) of the config's ``test_evaluator`` (a dict or a list of dicts), if set."""
    evaluators = cfg.get('test_evaluator', None)
    for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
        if evaluator is not None and key in evaluator:
            return evaluator[key]
    return None


class NucleusSegmenter:
    """Segment nuclei in images of any size; see the module docstring.

    Args:
        model: config path or name (default: the built-in CenterSAM config), ``'stub'`` (threshold +
            connected components, for tests), an ``init_detector`` model, or any instance function
            ``image (h, w, 3) uint8 -> (masks (N, h, w) bool or label map (h, w), scores (N,))``.
        weights: checkpoint; defaults to the built-in checkpoint when ``model`` is the default.
        device: torch device for MMDetection models.
        tile_size: images with a side above it are tiled (tiles of this side); ``None``/0: never tile.
        tile_overlap: overlap of neighbouring tiles in pixels (larger than a nucleus).
        score_thr: minimum score; default: the config's ``test_evaluator.score_thr``, else 0.3 (0 for
            instance functions and the stub, which have no config).
        min_area: minimum nucleus area in pixels; default: the config's ``test_evaluator.min_area``, else 0.
        input_scale: resize factor applied to every image or tile instead of the config's ``Resize``
            (``None``: the config decides, e.g. 512x512 for the DSB models). Tiled and whole-image runs agree
            only when both see nuclei at the same scale, i.e. with the same ``input_scale``.
    """

    def __init__(self, model: Union[PathLike, InstanceFn, None] = None, weights: Optional[PathLike] = None,
                 device: str = 'cpu', tile_size: Optional[int] = 1024, tile_overlap: int = 128,
                 score_thr: Optional[float] = None, min_area: Optional[int] = None,
                 input_scale: Optional[float] = None):
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.instance_fn, cfg = self._build_instance_fn(model, weights, device, score_thr, input_scale)
        self.score_thr = score_thr if score_thr is not None else _config_default(cfg, 'score_thr',
                                                                                  FALLBACK_SCORE_THR)
        self.min_area = min_area if min_area is not None else _config_default(cfg, 'min_area', 0)
        if isinstance(self.instance_fn, MMDetInstanceFn):
            self.instance_fn.score_thr = self.score_thr

    @staticmethod
    def _build_instance_fn(model: Any, weights: Optional[PathLike], device: str, score_thr: Optional[float],
                           input_scale: Optional[float] = None) -> Tuple[InstanceFn, Any]:
        """(instance function, its MMEngine config or None) for the ``model`` argument."""
        if isinstance(model, str) and model == STUB_MODEL:
            return ThresholdSegmenter(), None
        if callable(model) and not hasattr(model, 'cfg'):
            return model, None
        if model is None:
            model, weights = find_repo_file(DEFAULT_CONFIG), weights or find_repo_file(DEFAULT_CHECKPOINT)
            if not Path(weights).is_file():
                raise FileNotFoundError(f'default checkpoint {weights} not found: train or download it, or pass '
                                        'a config and checkpoint')
        instance_fn = MMDetInstanceFn(model, weights, device, score_thr or 0.0, input_scale)
        return instance_fn, instance_fn.model.cfg

    def predict(self, images: Union[ImageInput, Sequence[ImageInput]],
                on_tile_done: Optional[Callable[[], None]] = None) -> Union[NucleusResult, List[NucleusResult]]:
        """Segment one image (array of any supported layout/dtype, or a file path) or a list of them."""
        if isinstance(images, (list, tuple)):
            return [self.predict(image, on_tile_done) for image in images]
        image = read_image(images) if isinstance(images, (str, Path)) else to_rgb_uint8(images)
        return self.predict_rgb(image, on_tile_done)

    def predict_rgb(self, image: np.ndarray, on_tile_done: Optional[Callable[[], None]] = None) -> NucleusResult:
        """Segment an (H, W, 3) RGB uint8 image (tiled when a side exceeds ``tile_size``).

        When tiled, the model's whole-image steps (CLAHE) run once on the whole image first
        (:meth:`MMDetInstanceFn.prepare`), so every tile is equalised as in the whole image.
        """
        prepared = None
        if self.num_tiles(*image.shape[:2]) > 1 and hasattr(self.instance_fn, 'prepare'):
            prepared = self.instance_fn.prepare(image)
        return segment_tiled(image, self.instance_fn, self.tile_size, self.tile_overlap, self.score_thr,
                             self.min_area, on_tile_done, getattr(self.instance_fn, 'tile_align', None), prepared)

    def num_tiles(self, height: int, width: int) -> int:
        """How many tiles an (height, width) image is cut into."""
        return len(make_tiles(height, width, self.tile_size, self.tile_overlap,
                              getattr(self.instance_fn, 'tile_align', None)))

    def __call__(self, images: Union[ImageInput, Sequence[ImageInput]]) -> Union[np.ndarray, List[np.ndarray]]:
        """Label map(s) (H, W) uint16/uint32 of one image or a list of images."""
        results = self.predict(images)
        if isinstance(results, list):
            return [result.labels for result in results]
        return results.labels


def _config_default(cfg: Any, key: str, fallback: Any) -> Any:
    """The config's ``test_evaluator`` setting ``key``, else ``fallback``; 0 for models without a config."""
    if cfg is None:
        return 0
    value = config_evaluator_setting(cfg, key)
    return fallback if value is None else value


__all__ = ['NucleusSegmenter', 'MMDetInstanceFn', 'resolve_config', 'DEFAULT_CONFIG', 'DEFAULT_CHECKPOINT']