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
import math
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..io.readers import read_image, read_pixel_size, to_rgb_uint8
from .result import NucleusResult
from .stub import ThresholdSegmenter
from ..utils.tile_grid import MAX_TILE_INPUT, Tile, input_bounded_tiles
from .tiling import InstanceFn, make_tiles, segment_tiled

PathLike = Union[str, Path]
ImageInput = Union[np.ndarray, PathLike]
REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = Path(__file__).resolve().parents[1] / '.mim'  # configs/ and checkpoints/ of a built package
DEFAULT_CONFIG = 'configs/centersam/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.py'
DEFAULT_CHECKPOINT = 'checkpoints/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.pth'
STUB_MODEL = 'stub'


def find_repo_file(relative: PathLike) -> Path:
    """``relative`` (e.g. ``configs/...`` or ``checkpoints/...``) under the repository checkout, else in the
    installed package's ``.mim`` folder (see setup.py), else under the working directory; if it is in none of
    them, its path under the checkout (missing)."""
    for root in (REPO_ROOT, PACKAGE_DATA, Path.cwd()):
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
    ``inference_detector``; per-image options (``nucleus_scale``, ``nucleus_diameter``, ``pixel_size``,
    ``tile_align``) travel in the data sample's metainfo, and the original image with it (``KeepOriginalImage``),
    so nothing is written to or read from disk.

    Whole-image steps: a step whose output depends on the size of its input (CLAHE: an 8×8 grid over the
    input) would treat a tile differently from the whole image. :meth:`prepare` runs those steps once on the
    whole image; each tile then passes ``prepared`` (its crop of that result), which the pipeline takes in
    their place.

    Args:
        model: config path/name, or a detector already built by :func:`build_detector` (has ``.cfg``). A model
            built here from its config has its detector's BatchNorm folded into the convolutions and its weights
            channels-last (:func:`~centersam_mm.models.utils.inference_speedups.speed_up_for_inference`: the
            same outputs up to float rounding, faster); a model passed in is used as it is.
        weights: checkpoint path (``None``: random weights, with mmdet's warning).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ...
    """

    def __init__(self, model: Any, weights: Optional[PathLike] = None, device: str = 'cpu'):
        if isinstance(model, (str, Path)):
            from ..models.utils.inference_speedups import speed_up_for_inference
            model = speed_up_for_inference(build_detector(resolve_config(model), weights, device))
        self.model = model
        self.whole_image_steps = [step for step in _test_pipeline_steps(model.cfg) if _is_whole_image_step(step)]
        self.pipelines = {prepared: build_ndarray_test_pipeline(model.cfg, prepared) for prepared in (False, True)}

    @property
    def scale_aware(self) -> bool:
        """True for models that resize each image to their nuclei's trained size (``test_cfg.diameter``)."""
        return bool(getattr(self.model, 'scale_aware', False))

    @property
    def pixel_size(self) -> Optional[float]:
        """µm per pixel at the detector's input the model was trained at (``test_cfg.pixel_size``), if known."""
        test_cfg = getattr(self.model, 'test_cfg', None) or {}
        return test_cfg.get('pixel_size') or None

    @property
    def stride(self) -> int:
        """The detector's total stride in input pixels (the data preprocessor's padding divisor)."""
        return int(getattr(self.model.data_preprocessor, 'pad_size_divisor', 1) or 1)

    def scale_for(self, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                  options: Optional[dict] = None) -> Optional[float]:
        """The factor the model applies to ``image`` (original pixels -> detector input); ``None`` if the model
        is not scale-aware. From ``options`` when they fix it, else estimated by the model on the image's
        central probe crop (:func:`~centersam_mm.models.utils.nucleus_scale.probe_window`), as the model
        does on a whole image, so tiles and the whole image share one factor."""
        if not self.scale_aware:
            return None
        from ..models.utils.nucleus_scale import probe_window, scale_from_options
        scale = scale_from_options(self.model.test_cfg, options or {})
        if scale is not None:
            return scale
        y0, y1, x0, x1 = probe_window(*image.shape[:2])
        crop = None if prepared is None else np.ascontiguousarray(prepared[y0:y1, x0:x1])
        data = self._pack(np.ascontiguousarray(image[y0:y1, x0:x1]), crop, options)
        data = self.model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
        import torch
        with torch.no_grad():
            return self.model.image_scale(data['inputs'], data['data_samples'][0])

    def tile_align(self, scale: Optional[float]) -> Optional[int]:
        """Tile starts (original pixels) on the detector's pixel grid at ``scale``: multiples of stride/scale."""
        return None if scale is None else max(1, round(self.stride / scale))

    def window_grid(self, scale: Optional[float]) -> Optional[Tuple[int, int]]:
        """(side, stride) in original pixels of the windows SAM encodes a tile in at the detector's factor
        ``scale`` (tiles aligned by :meth:`tile_align`); ``None`` for models without such windows. The side is
        the window's less two tokens: a tile cut at it leaves its last window a little short, so boxes at the
        tile's edge keep the margin SAM's small decoding windows need (a box at the very end of a full window
        is decoded on the whole window, several times slower)."""
        sam = getattr(self.model, 'segmenter', None)
        if scale is None or not hasattr(sam, 'window_geometry') or not hasattr(self.model, 'sam_scale'):
            return None
        sam_scale = self.model.sam_scale(scale)
        side, overlap, align = sam.window_geometry(sam_scale, self.tile_align(scale))
        slack = math.ceil(2 * sam.arch.patch_size / sam_scale)
        return side - slack, (side - overlap) // align * align

    def prepare(self, image: np.ndarray) -> Optional[np.ndarray]:
        """The whole-image steps (e.g. CLAHE) applied to an (H, W, 3) RGB image: (H, W, 3) BGR, or None."""
        if not self.whole_image_steps:
            return None
        from mmdet.registry import TRANSFORMS
        results = dict(img=np.ascontiguousarray(image[..., ::-1]))  # mmdet pipelines work in BGR
        for step in self.whole_image_steps:
            results = TRANSFORMS.build(step)(results)
        return results['img']

    def __call__(self, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                 options: Optional[dict] = None) -> Tuple[np.ndarray, np.ndarray]:
        """(h, w, 3) RGB uint8 [+ its crop of :meth:`prepare`, per-image options] → ((N, h, w) bool masks,
        (N,) float scores)."""
        sample = self.predict_sample(image, prepared, options)
        return self.masks_and_scores(sample.pred_instances)

    def predict_sample(self, image: np.ndarray, prepared: Optional[np.ndarray] = None,
                       options: Optional[dict] = None) -> Any:
        """The model's ``DetDataSample`` for one image or tile (what ``inference_detector`` returns)."""
        import torch
        data = self._pack(image, prepared, options)
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            return self.model.test_step(batch)[0]

    def _pack(self, image: np.ndarray, prepared: Optional[np.ndarray], options: Optional[dict]) -> dict:
        """The test pipeline's output for an RGB image (and its per-image options)."""
        data = dict(img=np.ascontiguousarray(image[..., ::-1]), img_id=0, **(options or {}))
        if prepared is not None:
            data['prepared_img'] = prepared
        return self.pipelines[prepared is not None](data)

    @staticmethod
    def masks_and_scores(instances: Any) -> Tuple[np.ndarray, np.ndarray]:
        """(N, h, w) bool masks and (N,) scores of the instances."""
        masks = instances.masks
        masks = masks.cpu().numpy() if hasattr(masks, 'cpu') else np.asarray(masks)
        return masks.astype(bool, copy=False), instances.scores.cpu().numpy()


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
    from ..utils.safe_load import checkpoint_loading
    cfg = config_path if isinstance(config_path, Config) else Config.fromfile(str(config_path))
    if 'pretrained' in cfg.model or 'backbone' in cfg.model:
        with checkpoint_loading(weights):
            return init_detector(cfg, None if weights is None else str(weights), device=device)
    return _build_composite_detector(cfg, weights, device)


def _build_composite_detector(cfg: Any, weights: Optional[PathLike], device: str) -> Any:
    """The part of ``init_detector`` that applies to any model config (see :func:`build_detector`)."""
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    from ..utils.safe_load import load_weights
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.dataset_meta = {'classes': ('nucleus',)}
    if weights is not None:
        checkpoint = load_weights(model, weights)
        dataset_meta = checkpoint.get('meta', {}).get('dataset_meta')
        if dataset_meta:
            model.dataset_meta = {key.lower(): value for key, value in dataset_meta.items()}
    model.cfg = cfg
    return model.to(device).eval()


# per-image options and the original image, carried in each data sample's metainfo
INFERENCE_META_KEYS = ('ori_img', 'nucleus_scale', 'nucleus_diameter', 'pixel_size', 'tile_align')


def build_ndarray_test_pipeline(cfg: Any, prepared: bool = False) -> Callable:
    """The config's test pipeline, loading from an in-memory array and without annotation loading.

    This is what ``DetInferencer`` does: ``LoadImageFromNDArray`` replaces the file loader and
    ``LoadAnnotations`` steps are dropped (there are no annotations at inference). ``KeepOriginalImage`` follows
    the loader and ``PackDetInputs`` carries ``INFERENCE_META_KEYS`` (added where the config lacks them). With
    ``prepared``, the whole-image steps (CLAHE) are replaced by :class:`TakePreparedImage`.
    """
    from mmcv.transforms import Compose
    steps = _test_pipeline_steps(cfg)
    steps[0]['type'] = 'mmdet.LoadImageFromNDArray'
    if not any('KeepOriginalImage' in str(step['type']) for step in steps):
        steps.insert(1, dict(type='KeepOriginalImage'))
    for step in steps:
        if 'PackDetInputs' in str(step['type']):
            keys = tuple(step.get('meta_keys', ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')))
            step['meta_keys'] = keys + tuple(key for key in INFERENCE_META_KEYS if key not in keys)
    if prepared:
        steps = [TakePreparedImage() if _is_whole_image_step(step) else step for step in steps]
    return Compose(steps)


class NucleusSegmenter:
    """Segment nuclei in images of any size; see the module docstring.

    Args:
        model: config path or name (default: the built-in CenterSAM config), ``'stub'`` (threshold +
            connected components, for tests), a model built by :func:`build_detector`, or any instance function
            ``image (h, w, 3) uint8 -> (masks (N, h, w) bool or label map (h, w), scores (N,))``.
        weights: checkpoint; defaults to the built-in checkpoint when ``model`` is the default.
        device: torch device for MMDetection models.
        tile_size: images with a side above it are tiled (tiles of this side); ``None``/0: never tile.
        tile_overlap: overlap of neighbouring tiles in pixels (larger than a nucleus).
        max_tile_input: bound on a tile's side at the model's input (pixels): when an image's factor would
            make a ``tile_size`` tile larger, tiles and their overlap shrink in proportion
            (:func:`~centersam_mm.utils.tile_grid.input_bounded_tiles`), so memory and time per tile stay
            bounded for images of small nuclei; ``None``: tiles of ``tile_size`` whatever the factor.
        score_thr: drop nuclei scoring below it (default 0: the model's own ``test_cfg`` thresholds decide).
        min_area: drop nuclei with fewer pixels (default 0).
        scale: resize factor from image pixels to the detector's input, for every image (overrides the rest).
        diameter: typical nucleus diameter in image pixels (the factor becomes the model's trained diameter / it).
        pixel_size: µm per pixel of the images (for models that record the pixel size they were trained at).
        channels: for files with several channels, ``(nuclear,)`` or ``(nuclear, second)`` 1-based channel
            numbers (see :func:`centersam_mm.io.readers.read_image`).

    Without ``scale``, ``diameter`` or ``pixel_size``, a scale-aware model estimates each image's factor from the
    image itself; tiles of a large image all use the factor of the whole image, so tiled and whole-image results
    agree. The factor used is in ``NucleusResult.scale``.
    """

    def __init__(self, model: Union[PathLike, InstanceFn, None] = None, weights: Optional[PathLike] = None,
                 device: str = 'cpu', tile_size: Optional[int] = 1024, tile_overlap: int = 128,
                 score_thr: float = 0.0, min_area: int = 0, scale: Optional[float] = None,
                 diameter: Optional[float] = None, pixel_size: Optional[float] = None,
                 channels: Optional[Sequence[int]] = None, max_tile_input: Optional[int] = MAX_TILE_INPUT):
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.max_tile_input = max_tile_input
        self.instance_fn = self._build_instance_fn(model, weights, device)
        self.score_thr = score_thr or 0.0
        self.min_area = min_area or 0
        self.channels = channels
        self.options = {key: value for key, value in (('nucleus_scale', scale), ('nucleus_diameter', diameter),
                                                      ('pixel_size', pixel_size)) if value is not None}

    @staticmethod
    def _build_instance_fn(model: Any, weights: Optional[PathLike], device: str) -> InstanceFn:
        """The instance function for the ``model`` argument."""
        if isinstance(model, str) and model == STUB_MODEL:
            return ThresholdSegmenter()
        if callable(model) and not hasattr(model, 'cfg'):
            return model
        if model is None:
            model, weights = find_repo_file(DEFAULT_CONFIG), weights or find_repo_file(DEFAULT_CHECKPOINT)
            if not Path(weights).is_file():
                raise FileNotFoundError(f'default checkpoint {weights} not found: train or download it, or pass '
                                        'a config and checkpoint')
        return MMDetInstanceFn(model, weights, device)

    def predict(self, images: Union[ImageInput, Sequence[ImageInput]],
                on_tile_done: Optional[Callable[[], None]] = None) -> Union[NucleusResult, List[NucleusResult]]:
        """Segment one image (array of any supported layout/dtype, or a file path) or a list of them.

        A file's recorded pixel size (:func:`~centersam_mm.io.readers.read_pixel_size`) sets the factor when the
        segmenter has no ``scale``, ``diameter`` or ``pixel_size`` of its own (see :meth:`options_for`)."""
        if isinstance(images, (list, tuple)):
            return [self.predict(image, on_tile_done) for image in images]
        if isinstance(images, (str, Path)):
            return self.predict_rgb(read_image(images, self.channels), on_tile_done, read_pixel_size(images))
        return self.predict_rgb(to_rgb_uint8(images, self.channels), on_tile_done)

    def options_for(self, pixel_size: Optional[float] = None) -> dict:
        """The per-image options: the segmenter's own, or, when it has none and the model knows the pixel size it
        was trained at, the image's ``pixel_size`` (µm/px, e.g. recorded in its file)."""
        if pixel_size is None or self.options or not getattr(self.instance_fn, 'pixel_size', None):
            return dict(self.options)
        return dict(pixel_size=float(pixel_size))

    def predict_rgb(self, image: np.ndarray, on_tile_done: Optional[Callable[[], None]] = None,
                    pixel_size: Optional[float] = None,
                    on_tiles: Optional[Callable[[int], Optional[Callable[[], None]]]] = None) -> NucleusResult:
        """Segment an (H, W, 3) RGB uint8 image (tiled when a side exceeds ``tile_size``); ``pixel_size``: the
        image's µm per pixel where known (used as :meth:`options_for` says).

        A scale-aware model's factor is chosen once for the whole image (:meth:`MMDetInstanceFn.scale_for`) and
        given to every tile, whose starts lie on the detector's pixel grid at that factor; the factor also
        bounds the tiles' side (``max_tile_input``). When tiled, the model's whole-image steps (CLAHE) run once
        on the whole image first (:meth:`MMDetInstanceFn.prepare`), so every tile is equalised as in the whole
        image. Progress: ``on_tile_done()`` after each tile; ``on_tiles(number of tiles)``, called once the
        tiles are known, may return a further per-tile callback.
        """
        fn, options = self.instance_fn, self.options_for(pixel_size)
        if getattr(fn, 'scale_aware', False) and self.num_tiles(*image.shape[:2]) == 1:
            return self._predict_one_tile(image, self._progress(on_tile_done, on_tiles, 1), options)
        prepared = None
        if self.num_tiles(*image.shape[:2]) > 1 and hasattr(fn, 'prepare'):
            prepared = fn.prepare(image)
        scale = fn.scale_for(image, prepared, options) if getattr(fn, 'scale_aware', False) else None
        align = None if scale is None else fn.tile_align(scale)
        tile_options = None if scale is None else dict(options, nucleus_scale=scale, tile_align=align)
        tile_size, overlap = self.tile_geometry(*image.shape[:2], scale)
        num_tiles = len(make_tiles(*image.shape[:2], tile_size, overlap, align))
        progress = self._progress(on_tile_done, on_tiles, num_tiles)
        result = segment_tiled(image, fn, tile_size, overlap, self.score_thr, self.min_area, progress, align,
                               prepared, tile_options)
        result.scale = scale
        return result

    @staticmethod
    def _progress(on_tile_done: Optional[Callable[[], None]], on_tiles: Optional[Callable[[int], Any]],
                  num_tiles: int) -> Optional[Callable[[], None]]:
        """One per-tile callback from ``on_tile_done`` and the one ``on_tiles(num_tiles)`` returns."""
        callbacks = [callback for callback in (on_tile_done, on_tiles(num_tiles) if on_tiles else None)
                     if callback is not None]
        if len(callbacks) < 2:
            return callbacks[0] if callbacks else None

        def each_tile() -> None:
            for callback in callbacks:
                callback()
        return each_tile

    def _predict_one_tile(self, image: np.ndarray, on_tile_done: Optional[Callable[[], None]],
                          options: dict) -> NucleusResult:
        """An image that is one tile: the model chooses (or estimates) its factor itself, in the same pass, on
        the same central crop :meth:`MMDetInstanceFn.scale_for` looks at, and may reuse the estimate's last
        detector run as its detections."""
        fn, used = self.instance_fn, {}

        def run(tile_image: np.ndarray, tile_prepared: Optional[np.ndarray] = None,
                options: Optional[dict] = None) -> Tuple[np.ndarray, np.ndarray]:
            sample = fn.predict_sample(tile_image, tile_prepared, options)
            used['scale'] = sample.metainfo.get('nucleus_scale')
            return fn.masks_and_scores(sample.pred_instances)

        result = segment_tiled(image, run, self.tile_size, self.tile_overlap, self.score_thr, self.min_area,
                               on_tile_done, None, None, options)
        result.scale = used.get('scale')
        return result

    def tile_geometry(self, height: int, width: int, scale: Optional[float] = None) -> Tuple[Optional[int], int]:
        """(tile side, overlap) in original pixels for an (height, width) image at the factor ``scale``: an image
        that fits in ``tile_size`` stays whole; a larger one gets ``tile_size`` tiles, shrunk when ``scale``
        would make them larger than ``max_tile_input`` at the model's input (``input_bounded_tiles``) and then
        cut down to a whole number of the model's SAM windows (``window_grid``): a tile's last window ends near
        its edge instead of overlapping the one before it by most of its width (about 30 % fewer windows to
        encode). Tiles of ``tile_size`` are left as they are (tiled == whole was validated with them)."""
        if len(make_tiles(height, width, self.tile_size, self.tile_overlap)) == 1:
            return self.tile_size, self.tile_overlap
        return self.bounded_tile_geometry(scale)

    def bounded_tile_geometry(self, scale: Optional[float]) -> Tuple[Optional[int], int]:
        """(tile side, overlap) of the tiles of a tiled image at the factor ``scale`` (see :meth:`tile_geometry`;
        the slide path's tiles too)."""
        tile_size, overlap = input_bounded_tiles(self.tile_size, self.tile_overlap, scale, self.max_tile_input)
        grid = self.instance_fn.window_grid(scale) if hasattr(self.instance_fn, 'window_grid') else None
        if grid is None or tile_size == self.tile_size:
            return tile_size, overlap
        side, stride = grid
        windows = (tile_size - (side - stride)) // stride if stride > 0 else 0
        snapped = windows * stride + side - stride
        return (snapped, overlap) if windows >= 1 and snapped > overlap else (tile_size, overlap)

    def tiles(self, height: int, width: int, align: Optional[int] = None, scale: Optional[float] = None) -> List[Tile]:
        """The tiles :meth:`predict_rgb` cuts an (height, width) image into at the factor ``scale``, their
        starts on multiples of ``align``."""
        return make_tiles(height, width, *self.tile_geometry(height, width, scale), align)

    def num_tiles(self, height: int, width: int, align: Optional[int] = None, scale: Optional[float] = None) -> int:
        """How many tiles an (height, width) image is cut into (see :meth:`tiles`)."""
        return len(self.tiles(height, width, align, scale))

    def __call__(self, images: Union[ImageInput, Sequence[ImageInput]]) -> Union[np.ndarray, List[np.ndarray]]:
        """Label map(s) (H, W) uint16/uint32 of one image or a list of images."""
        results = self.predict(images)
        if isinstance(results, list):
            return [result.labels for result in results]
        return results.labels


__all__ = ['NucleusSegmenter', 'MMDetInstanceFn', 'build_detector', 'resolve_config', 'DEFAULT_CONFIG',
           'DEFAULT_CHECKPOINT']
