"""Object F1 of DSB images alone, in 3x3 mosaics and upscaled 2x (scale-aware inference; docs/benchmarks.md).

    python tools/analysis_tools/benchmark_scale_invariance.py [--split val] [--groups 2] [--config C --checkpoint K]

Takes groups of nine 256x256 images of a converted split (``data/dsb2018``, ``make data``) in sorted order and
prints, per group and pooled, the object F1 alone / mosaic / upscaled with the model's default options.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import tifffile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from centersam_mm.apis import NucleusSegmenter  # noqa: E402
from centersam_mm.evaluation.scale_invariance import pick_groups, scale_invariance  # noqa: E402
from centersam_mm.io.readers import read_image  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/dsb2018', type=Path)
    parser.add_argument('--split', default='val')
    parser.add_argument('--groups', type=int, default=2)
    parser.add_argument('--config')
    parser.add_argument('--checkpoint')
    args = parser.parse_args()
    stems = sorted(json.loads((args.data / 'splits.json').read_text())[args.split])
    images = [read_image(args.data / 'images' / f'{stem}.png') for stem in stems]
    labels = [tifffile.imread(args.data / 'labels' / f'{stem}.tif') for stem in stems]
    segmenter = NucleusSegmenter(args.config, args.checkpoint)
    rows = []
    for group in pick_groups([image.shape[:2] for image in images], (256, 256), args.groups):
        row = scale_invariance(segmenter, [images[i] for i in group], [labels[i] for i in group])
        rows.append(row)
        print(json.dumps({'images': [stems[i][:8] for i in group], **{k: round(v, 4) for k, v in row.items()}}),
              flush=True)
    print(json.dumps({key: round(float(np.mean([row[key] for row in rows])), 4) for key in rows[0]}))


if __name__ == '__main__':
    main()
