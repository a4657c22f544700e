"""Nucleus size a model was trained at: the numbers its config records for scale-aware inference.

Usage::

    python tools/analysis_tools/nucleus_size.py ANN_FILE [--detector-size 768 768 | --detector-scale S]
        [--sam-side 512] [--pixel-size UM]

For each training image, the median nucleus diameter (``sqrt(box w * box h)``) is taken in its own pixels
(``prior_diameter``), at the detector's input (the training pipeline's ``Resize``: a fixed size, or a fixed
factor) and at SAM's input (longest side to ``--sam-side``); the median over images of each is printed as
the ``test_cfg`` entries of :class:`centersam_mm.models.detectors.CenterSAM`.
"""
import argparse
import json
from collections import defaultdict

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO annotations of the training split')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--detector-size', type=int, nargs=2, metavar=('W', 'H'),
                       help='training Resize to this fixed size (keep_ratio=False)')
    group.add_argument('--detector-scale', type=float, help='training Resize by this factor')
    parser.add_argument('--sam-side', type=int, default=512, help="SAM's input: longest side resized to this")
    parser.add_argument('--pixel-size', type=float, help='µm per pixel of the training images, if known')
    args = parser.parse_args()
    with open(args.ann_file) as handle:
        coco = json.load(handle)
    sizes = {image['id']: (image['width'], image['height']) for image in coco['images']}
    per_image = defaultdict(list)
    for ann in coco['annotations']:
        per_image[ann['image_id']].append(np.sqrt(max(ann['bbox'][2], 0) * max(ann['bbox'][3], 0)))
    prior, det, sam, det_factor = [], [], [], []
    for image_id, diameters in per_image.items():
        width, height = sizes[image_id]
        sx, sy = ((args.detector_size[0] / width, args.detector_size[1] / height) if args.detector_size
                  else (args.detector_scale, args.detector_scale))
        median = float(np.median(diameters))
        prior.append(median)
        det.append(median * np.sqrt(sx * sy))
        det_factor.append(np.sqrt(sx * sy))
        sam.append(median * args.sam_side / max(width, height))
    print(f'{len(per_image)} images, {len(coco["annotations"])} nuclei')
    print(f'prior_diameter={np.median(prior):.2f}, diameter={np.median(det):.2f}, sam_diameter={np.median(sam):.2f}')
    print(f'per-image detector diameter: 10th {np.percentile(det, 10):.1f}, 90th {np.percentile(det, 90):.1f}')
    if args.pixel_size:
        print(f'pixel_size={args.pixel_size / float(np.median(det_factor)):.4f}  (µm/px at the detector input)')


if __name__ == '__main__':
    main()
