"""CPU speed of CenterSAM's parts: detector, SAM image encoder, mask decoder per 100 boxes.

    python tools/analysis_tools/benchmark_speed.py [--config CFG] [--archs sam_small vit_b vit_h]
        [--size 512] [--boxes 100] [--repeats 3] [--threads N]

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
from mmengine.config import Config

from centersam_mm.models.segmenters import SAMBoxPromptSegmenter


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CenterSAM CPU speed benchmark')
    parser.add_argument('--config', default='configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py')
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
    return parser.parse_args(argv)


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
