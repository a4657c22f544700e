"""Decode a detector on a mosaic with 1,000+ touching nuclei (DSB images tiled edge to edge).

Builds a mosaic from the 256x256 images of a converted DSB split (sorted by nucleus count, densest
first) until it holds at least ``--min-nuclei`` ground-truth nuclei, runs the detector at the scale its
config's test ``Resize`` gives one such image (x2 for 512x512, so the mosaic is resized x2 too), and
prints the number of detections and the box precision / recall / F1 at IoU >= 0.5.

    python tools/analysis_tools/dense_decode_check.py CONFIG CHECKPOINT [--data-root data/dsb2018]
"""
import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np
import tifffile


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', default='data/dsb2018')
    parser.add_argument('--split', default='train', help='annotation split whose images form the mosaic')
    parser.add_argument('--min-nuclei', type=int, default=1000)
    parser.add_argument('--tile', type=int, default=256, help='side of the DSB images used (pixels)')
    parser.add_argument('--topk', type=int, default=None,
                        help="peaks kept per image (default: the config's test_cfg.topk, the paper's K = 1000)")
    return parser.parse_args()


def dense_tiles(data_root: Path, split: str, tile: int, min_nuclei: int):
    """Images (BGR) and label maps of ``tile`` x ``tile`` DSB images, densest first, enough for ``min_nuclei``."""
    coco = json.loads((data_root / 'annotations' / f'instances_{split}.json').read_text())
    counts = {}
    for ann in coco['annotations']:
        counts[ann['image_id']] = counts.get(ann['image_id'], 0) + 1
    square = [img for img in coco['images'] if img['height'] == tile and img['width'] == tile]
    square.sort(key=lambda img: -counts.get(img['id'], 0))
    chosen, total = [], 0
    for img in square:
        chosen.append(img)
        total += counts.get(img['id'], 0)
        if total >= min_nuclei and math.isqrt(len(chosen)) ** 2 == len(chosen):
            break
    images = [cv2.imread(str(data_root / 'images' / img['file_name'])) for img in chosen]
    labels = [tifffile.imread(data_root / 'labels' / f'{Path(img["file_name"]).stem}.tif') for img in chosen]
    return images, labels


def mosaic(tiles, side: int) -> np.ndarray:
    """Stack ``side * side`` equally sized arrays into one grid (row-major)."""
    rows = [np.concatenate(tiles[r * side:(r + 1) * side], axis=1) for r in range(side)]
    return np.concatenate(rows, axis=0)


def offset_labels(labels):
    """Make label ids unique across tiles (each tile's ids shifted past the previous maximum)."""
    shifted, offset = [], 0
    for label in labels:
        label = label.astype(np.int64)
        shifted.append(np.where(label > 0, label + offset, 0))
        offset += int(label.max())
    return shifted


def boxes_from_labels(label_map: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy pixel boxes of every object of a label map."""
    from scipy.ndimage import find_objects
    slices = [s for s in find_objects(label_map) if s is not None]
    return np.array([[s[1].start, s[0].start, s[1].stop, s[0].stop] for s in slices], dtype=np.float64)


def main() -> None:
    args = parse_args()
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config

    import centersam_mm  # noqa: F401  (registers the plugin)
    from centersam_mm.evaluation.metrics.box_f1_metric import count_box_matches, f1_from_counts

    images, labels = dense_tiles(Path(args.data_root), args.split, args.tile, args.min_nuclei)
    side = math.isqrt(len(images))
    image = mosaic(images[:side * side], side)
    label_map = mosaic(offset_labels(labels[:side * side]), side)
    gt_boxes = boxes_from_labels(label_map)
    cfg = Config.fromfile(args.config)
    resize = next(step for step in cfg.test_dataloader.dataset.pipeline if step['type'] == 'Resize')
    factor = resize['scale'][0] / args.tile  # the config's scale for one DSB image (x2 at 512x512, x3 at 768x768)
    resize['scale'] = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    cfg.test_pipeline = cfg.test_dataloader.dataset.pipeline
    if args.topk is not None:
        cfg.model.bbox_head.test_cfg = dict(cfg.model.get('test_cfg', {}), topk=args.topk, max_per_img=args.topk)
        cfg.model.test_cfg = cfg.model.bbox_head.test_cfg
    model = init_detector(cfg, args.checkpoint, device='cpu')
    pred = inference_detector(model, image).pred_instances
    pred_boxes = pred.bboxes.numpy().astype(np.float64)
    tp = count_box_matches(gt_boxes, pred_boxes, 0.5)
    scores = f1_from_counts(tp, len(pred_boxes) - tp, len(gt_boxes) - tp)
    print(json.dumps(dict(mosaic_px=list(image.shape[:2]), tiles=side * side, gt_nuclei=len(gt_boxes),
                          detections=len(pred_boxes), topk=model.bbox_head.test_cfg.topk,
                          **{k: round(v, 4) for k, v in scores.items()})))


if __name__ == '__main__':
    main()
