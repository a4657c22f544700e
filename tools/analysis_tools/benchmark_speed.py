"""CPU speed of CenterSAM: end to end on real images, or its parts on random inputs.

    python tools/analysis_tools/benchmark_speed.py --end-to-end [--data data/dsb2018 --split test]
        [--config CFG --checkpoint CKPT] [--max-images N] [--threads N] [--device cpu]
    python tools/analysis_tools/benchmark_speed.py [--config CFG] [--archs sam_small vit_b vit_h]
        [--size 512] [--boxes 100] [--repeats 3] [--threads N]

``--end-to-end``: the default model (or ``--config``/``--checkpoint``) through ``NucleusSegmenter.predict`` on
every image of the split, as ``tools/infer.py`` runs it (image already in memory; files are not written).
Prints the median seconds per image, in all and per stage (scale estimate with its detector runs, the
final detector run when the estimate's cannot be reused, SAM image encoding (``encode``: resizing, encoder),
mask decoder, candidate scorer, the rest: pipeline, mask pasting, label map), the start-up (a fresh
interpreter importing the package and building the segmenter, median of 3) and the object F1@0.5 / AJI of
the same predictions against the split's label maps (mean per image). ``--reference``: the model exactly as
built (no BatchNorm folding, no channels-last), every network in float32 (``encoder_precision``,
``probe_precision``, ``detector_precision``) and the SAM encoder's attention as Meta wrote it (relative-position
terms added to the attention map, not folded into the query-key product), the path the F1 / AJI are compared
with.

Otherwise:

Random weights (speed does not depend on them). The image is ``size``×``size``; each SAM
arch resizes it to its own input (512 for sam_small, 1024 for Meta's ViTs). Decoding is timed
with full-embedding decoding (SAM's way) and with windowed decoding (16×16 tokens per box),
on boxes of 10-40 px (DSB nuclei). Prints a Markdown table (ms, median of ``repeats``).
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List

import numpy as np
import torch
from mmengine.config import Config, DictAction

from centersam_mm.models.segmenters import SAMBoxPromptSegmenter


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CenterSAM CPU speed benchmark')
    parser.add_argument('--config', default=None, help='model config (default: the built-in model with '
                        '--end-to-end, configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py otherwise)')
    parser.add_argument('--archs', nargs='+', default=['sam_small', 'vit_b', 'vit_h'])
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--boxes', type=int, default=100)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: OMP)')
    parser.add_argument('--skip-full', action='store_true', help='skip full-embedding decoding')
    parser.add_argument('--skip-detector', action='store_true')
    parser.add_argument('--compare-ann', default=None,
                        help='COCO json (e.g. data/dsb2018/annotations/instances_val.json): also compare '
                             'windowed with full decoding of sam_small on its images, gt boxes as prompts')
    parser.add_argument('--checkpoint', default=None, help='sam_small weights for --compare-ann')
    parser.add_argument('--max-images', type=int, default=None, help='first N images of --compare-ann')
    parser.add_argument('--box-mask-prompt', action='store_true',
                        help='sam_small with box_mask_prompt=True (as trained)')
    parser.add_argument('--end-to-end', action='store_true', help='time the whole model on real images')
    parser.add_argument('--data', default='data/dsb2018', help='--end-to-end: converted dataset folder')
    parser.add_argument('--split', default='test', help='--end-to-end: split of its splits.json')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--reference', action='store_true',
                        help='--end-to-end: the model as built, without the inference speed-ups NucleusSegmenter '
                        'applies (BatchNorm folded, channels-last) and Meta\'s SAM attention (no folded relative positions)')
    parser.add_argument('--skip-startup', action='store_true', help='--end-to-end: do not time the start-up')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='--end-to-end: override config settings')
    return parser.parse_args(argv)


STARTUP = (
    'import sys, time; start = time.perf_counter(); sys.path.insert(0, {root!r})\n'
    'from centersam_mm.apis.segmenter import NucleusSegmenter\n'
    'NucleusSegmenter({config!r}, {checkpoint!r}, {device!r})\n'
    'print(time.perf_counter() - start)')


def time_startup(config, checkpoint, device: str, repeats: int = 3) -> float:
    """Median seconds of a fresh interpreter importing ``centersam_mm.apis`` and building the segmenter."""
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[2])
    code = STARTUP.format(root=root, config=config, checkpoint=checkpoint, device=device)
    times = [float(subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True,
                                  cwd=root).stdout.split()[-1]) for _ in range(repeats)]
    return statistics.median(times)


class StageTimes:
    """Wall time spent in chosen methods, per image: ``wrap(obj, 'name', 'stage')`` replaces ``obj.name``."""

    def __init__(self):
        self.current: Dict[str, float] = {}
        self.images: List[Dict[str, float]] = []
        self.depth = 0

    def wrap(self, obj, name: str, stage: str) -> None:
        inner = getattr(obj, name)

        def timed(*args, **kwargs):
            if self.depth:  # a stage inside another (the estimate's detector runs): counted by the outer one
                return inner(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.depth -= 1
                self.current[stage] = self.current.get(stage, 0.0) + time.perf_counter() - start
        setattr(obj, name, timed)

    def image_done(self, total: float) -> None:
        self.current['total'] = total
        self.images.append(self.current)
        self.current = {}


@torch.no_grad()
def end_to_end(args) -> List[str]:
    """See the module docstring."""
    import json
    from pathlib import Path

    from centersam_mm.apis.segmenter import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, MMDetInstanceFn,
                                             NucleusSegmenter, build_detector, find_repo_file, resolve_config)
    from centersam_mm.evaluation.functional.instance_metrics import aggregate, instance_metrics
    from centersam_mm.io.labels import read_label_map
    from centersam_mm.io.readers import read_image
    from centersam_mm.models.segmenters.rel_pos_attention import fold_rel_pos
    from centersam_mm.models.utils.inference_speedups import speed_up_for_inference
    config = args.config or str(find_repo_file(DEFAULT_CONFIG))
    checkpoint = args.checkpoint or (None if args.config else str(find_repo_file(DEFAULT_CHECKPOINT)))
    # timed first, in fresh interpreters while this one holds no model: timed after the images it read 0.4-
    # 1.3 s longer on the 2-core machine (docs/benchmarks.md, "CPU speed (issue 20)")
    startup = None if args.skip_startup else time_startup(config, checkpoint, args.device)
    cfg = Config.fromfile(resolve_config(config))
    cfg.merge_from_dict(args.cfg_options)
    if args.reference:  # every network in float32
        cfg.merge_from_dict({'model.segmenter.encoder_precision': 'fp32', 'model.test_cfg.probe_precision': 'fp32',
                             'model.test_cfg.detector_precision': 'fp32'})
    model = build_detector(cfg, checkpoint, args.device)
    if args.reference:  # every SAM attention in the model (none in a plain detector) back to Meta's forward
        fold_rel_pos(model, fold=False)
    fn = MMDetInstanceFn(model if args.reference else speed_up_for_inference(model))
    segmenter = NucleusSegmenter(fn)
    model, times = fn.model, StageTimes()
    times.wrap(model, '_image_scale', 'scale estimate')
    times.wrap(model, '_detect', 'detector')
    times.wrap(model.segmenter, 'encode', 'SAM encoder')
    times.wrap(model.segmenter, 'decode', 'mask decoder')
    if model.scorer is not None:
        times.wrap(model.scorer, 'score', 'scorer')
    data = Path(args.data)
    names = json.loads((data / 'splits.json').read_text())[args.split][:args.max_images]
    results = []
    for name in names:
        image = read_image(data / 'images' / f'{name}.png')
        start = time.perf_counter()
        result = segmenter.predict(image)
        times.image_done(time.perf_counter() - start)
        results.append(instance_metrics(read_label_map(data / 'labels' / f'{name}.tif'), result.labels))
    stages = ['scale estimate', 'detector', 'SAM encoder', 'mask decoder', 'scorer']
    for image_times in times.images:
        image_times['rest'] = image_times['total'] - sum(image_times.get(stage, 0.0) for stage in stages)
    summary = aggregate(results)
    rows = [f'{len(names)} images of {data}/{args.split}, {config} + {checkpoint}, '
            f'{torch.get_num_threads()} threads, device {args.device}',
            '| stage | median s per image | mean s per image |', '|---|---|---|']
    for stage in stages + ['rest', 'total']:
        values = [image_times.get(stage, 0.0) for image_times in times.images]
        rows.append(f'| {stage} | {statistics.median(values):.3f} | {np.mean(values):.3f} |')
    if startup is not None:
        rows.append(f'| start-up (import + build, fresh interpreter, median of 3) | {startup:.2f} | |')
    rows.append(f'object F1@0.5 {summary["f1_05"]:.3f}, AJI {summary["aji"]:.3f} (mean per image)')
    return rows


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in ms after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def random_boxes(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """n XYXY boxes of 10-40 px inside a size×size image."""
    rng = np.random.default_rng(seed)
    wh = rng.uniform(10, 40, (n, 2))
    xy = rng.uniform(0, size - 40, (n, 2))
    return torch.tensor(np.concatenate([xy, xy + wh], 1), dtype=torch.float32)


@torch.no_grad()
def time_detector(config: str, size: int, repeats: int) -> float:
    """ms per image of the config's detector forward + decoding on a size×size input."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    det_cfg = cfg.model.get('detector', cfg.model)
    det_cfg.pop('data_preprocessor', None)
    detector = MODELS.build(det_cfg).eval()
    inputs = torch.randn(1, 3, size, size)
    sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                         scale_factor=(1.0, 1.0), batch_input_shape=(size, size)))
    return median_ms(lambda: detector.predict(inputs, [sample], rescale=True), repeats)


@torch.no_grad()
def time_sam(arch: str, size: int, n_boxes: int, repeats: int, skip_full: bool,
             box_mask_prompt: bool = False) -> Dict[str, float]:
    """ms of one image encoding and of decoding ``n_boxes`` boxes (full / windowed)."""
    model = SAMBoxPromptSegmenter(arch=arch, decode_windows=(16, 32), chunk_size=n_boxes,
                                  box_mask_prompt=box_mask_prompt).eval()
    image = np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)
    x, in_hw, _ = model.prepare_image(image)
    out = {'encoder': median_ms(lambda: model.image_encoder(x), repeats)}
    emb = model.image_encoder(x)
    boxes = random_boxes(n_boxes, size) * (in_hw[0] / size)
    out['decoder_window'] = median_ms(lambda: model.decode(emb, boxes), repeats)
    out['segment_window'] = median_ms(lambda: model.segment(image, boxes * (size / in_hw[0])), repeats)
    if not skip_full:
        model.decode_windows = ()
        out['decoder_full'] = median_ms(lambda: model.decode(emb, boxes), max(1, repeats // 2))
    return out


@torch.no_grad()
def compare_window_full(ann_file: str, checkpoint: str, max_images: int = None,
                        box_mask_prompt: bool = False) -> List[str]:
    """Mean IoU between windowed and full decoding (gt boxes), and decoding times, over a COCO set."""
    import os.path as osp

    import mmcv
    from pycocotools.coco import COCO
    coco = COCO(ann_file)
    img_dir = osp.join(osp.dirname(osp.dirname(ann_file)), 'images')
    model = SAMBoxPromptSegmenter(arch='sam_small', checkpoint=checkpoint,
                                  box_mask_prompt=box_mask_prompt).eval()
    img_ids = coco.getImgIds()[:max_images]
    ious, iou_win, iou_full, t_win, t_full, n_box = [], [], [], 0.0, 0.0, 0
    for img_id in img_ids:
        info = coco.loadImgs(img_id)[0]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        boxes = torch.tensor([[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                               a['bbox'][1] + a['bbox'][3]] for a in anns], dtype=torch.float32)
        image = mmcv.imread(osp.join(img_dir, info['file_name']), channel_order='rgb')
        model.decode_windows = (16, 32)
        start = time.perf_counter()
        win = model.segment(image, boxes).masks
        t_win += time.perf_counter() - start
        model.decode_windows = ()
        start = time.perf_counter()
        full = model.segment(image, boxes).masks
        t_full += time.perf_counter() - start
        gt = torch.from_numpy(np.stack([coco.annToMask(a) for a in anns])).bool()
        ious += mask_iou(win, full).tolist()
        iou_win += mask_iou(win, gt).tolist()
        iou_full += mask_iou(full, gt).tolist()
        n_box += len(boxes)
    return [f'| window vs full decoding on {osp.basename(ann_file)} ({len(img_ids)} images, '
            f'{n_box} gt boxes): mean mask IoU | {np.mean(ious):.3f} (median {np.median(ious):.3f}) |',
            f'| mean mask IoU with the gt mask, windowed / full | {np.mean(iou_win):.3f} / '
            f'{np.mean(iou_full):.3f} |',
            f'| segment() time, windowed / full, whole set | {t_win:.1f} s / {t_full:.1f} s |']


def mask_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of paired masks N×H×W bool -> (N,), 1 where both are empty."""
    inter = (a & b).flatten(1).sum(1).float()
    union = (a | b).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.end_to_end:
        rows = end_to_end(args)
        print('\n'.join(rows))
        return rows
    args.config = args.config or 'configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py'
    rows = [f'threads: {torch.get_num_threads()}, image {args.size}x{args.size}, '
            f'{args.boxes} boxes of 10-40 px',
            '| part | ms |', '|---|---|']
    if not args.skip_detector:
        rows.append(f'| detector ({args.config.rsplit("/", 1)[-1]}) | '
                    f'{time_detector(args.config, args.size, args.repeats):.0f} |')
    for arch in args.archs:
        res = time_sam(arch, args.size, args.boxes, args.repeats, args.skip_full,
                       args.box_mask_prompt and arch == 'sam_small')
        rows.append(f'| {arch} image encoder | {res["encoder"]:.0f} |')
        if 'decoder_full' in res:
            rows.append(f'| {arch} decoder, full embedding, per {args.boxes} boxes | '
                        f'{res["decoder_full"]:.0f} |')
        rows.append(f'| {arch} decoder, 16x16-token windows, per {args.boxes} boxes | '
                    f'{res["decoder_window"]:.0f} |')
        rows.append(f'| {arch} segment() total (encode + windowed decode + paste), {args.boxes} boxes | '
                    f'{res["segment_window"]:.0f} |')
    if args.compare_ann:
        rows += compare_window_full(args.compare_ann, args.checkpoint, args.max_images,
                                    args.box_mask_prompt)
    print('\n'.join(rows))
    return rows


if __name__ == '__main__':
    main()
