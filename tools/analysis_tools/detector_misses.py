"""Why a detector misses nuclei: per image size, matches at box IoU 0.5 and each miss sorted by kind.

    python tools/analysis_tools/detector_misses.py CONFIG CHECKPOINT [--data-root data/dsb2018] [--split val]
        [--score-thr 0.35] [--cfg-options model.test_cfg.flip=[horizontal]]

The detector runs on every image of ``annotations/instances_<split>.json`` with its score threshold lowered to
``--min-score`` (to see the weak peaks); boxes scoring >= ``--score-thr`` are kept. A missed ground-truth box is
``localisation`` (a kept box overlaps it with IoU 0.3-0.5, or it was taken by a neighbour), ``low_score`` (a
dropped box reaches IoU 0.5) or ``no_detection`` (see ``classify_box_misses``). Prints a Markdown table, one line
per image shape (H x W) and a total.
"""
import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config, DictAction

from centersam_mm.evaluation.functional import MISS_KINDS, classify_box_misses


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', type=Path, default=Path('data/dsb2018'))
    parser.add_argument('--split', default='val')
    parser.add_argument('--score-thr', type=float, default=0.35, help='boxes kept (as the chosen operating point)')
    parser.add_argument('--min-score', type=float, default=0.05, help='weakest peak decoded')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def gt_boxes_by_image(coco: dict) -> Dict[int, np.ndarray]:
    """{image id: (N, 4) xyxy pixels} from COCO ``bbox`` (x, y, w, h)."""
    boxes = defaultdict(list)
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        boxes[ann['image_id']].append([x, y, x + w, y + h])
    return {img['id']: np.asarray(boxes[img['id']], np.float64).reshape(-1, 4) for img in coco['images']}


def misses_table(counts_by_shape: Dict[Tuple[int, int], Counter]) -> str:
    """Markdown table: shape, images, nuclei, recall, precision, then each miss kind (count)."""
    lines = ['| image size (px) | images | nuclei | recall | precision | ' + ' | '.join(MISS_KINDS) + ' |',
             '|---' * (5 + len(MISS_KINDS)) + '|']
    rows = sorted(counts_by_shape.items()) + [(('all', ''), sum(counts_by_shape.values(), Counter()))]
    for (height, width), counts in rows:
        recall = counts['tp'] / max(counts['gt'], 1)
        precision = counts['tp'] / max(counts['kept'], 1)
        size = f'{height}x{width}' if width != '' else '**all**'
        lines.append(f"| {size} | {counts['images']} | {counts['gt']} | {recall:.3f} | {precision:.3f} | "
                     + ' | '.join(str(counts[kind]) for kind in MISS_KINDS) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from mmdet.apis import inference_detector, init_detector

    import centersam_mm  # noqa: F401  (registers the plugin)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.model.test_cfg.score_thr = args.min_score
    detector = init_detector(cfg, args.checkpoint, device='cpu')
    coco = json.loads((args.data_root / 'annotations' / f'instances_{args.split}.json').read_text())
    gt_boxes = gt_boxes_by_image(coco)
    counts_by_shape: Dict[Tuple[int, int], Counter] = defaultdict(Counter)
    for image in coco['images']:
        pred = inference_detector(detector, str(args.data_root / 'images' / image['file_name'])).pred_instances
        counts = classify_box_misses(gt_boxes[image['id']], pred.bboxes.cpu().numpy(), pred.scores.cpu().numpy(),
                                     args.score_thr)
        counts_by_shape[(image['height'], image['width'])].update(counts + Counter(images=1))
    print(misses_table(counts_by_shape))


if __name__ == '__main__':
    main()
