"""Where annotated masks sit against the stain: mean offset of each nucleus's stain-weighted centroid from its mask's.

    python tools/analysis_tools/label_stain_offset.py IMAGES_DIR LABELS_DIR [--label-suffix .tif] [--stain od|bright]

For each nucleus of each label map (``LABELS_DIR/<stem><suffix>`` beside ``IMAGES_DIR/<stem>.png|tif``), the
centroid of the stain signal (H&E: optical density summed over RGB, ``od``; fluorescence: brightness, ``bright``)
over the mask dilated by 3 pixels (background pixels only, not other nuclei) minus the mask's own centroid.
A positive dx / dy means the stain lies right of / below the annotation. Prints one line per image and the mean
over all nuclei. The dilation keeps the measure local, so it is smaller than the true shift (a half-pixel shift
of a 20-px disc reads about 0.2 px); compare label sets with it, not absolute positions.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from centersam_mm.evaluation.functional.centroid_offsets import stain_offsets  # noqa: E402
from centersam_mm.io.labels import read_label_map  # noqa: E402
from centersam_mm.io.readers import read_image  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('images', type=Path)
    parser.add_argument('labels', type=Path)
    parser.add_argument('--label-suffix', default='.tif')
    parser.add_argument('--stain', choices=('od', 'bright'), default='od')
    args = parser.parse_args(argv)
    offsets = []
    for path in sorted(p for p in args.images.iterdir() if p.suffix.lower() in ('.png', '.tif', '.tiff')):
        label_path = args.labels / f'{path.stem}{args.label_suffix}'
        if not label_path.is_file():
            continue
        image = read_image(path).astype(np.float64)
        signal = -np.log((image + 1) / 256).sum(-1) if args.stain == 'od' else image.mean(-1)
        found = stain_offsets(signal, read_label_map(label_path))
        offsets.append(found)
        print(f'{path.stem}: {len(found)} nuclei, dx {found[:, 0].mean():+.3f}, dy {found[:, 1].mean():+.3f}')
    every = np.concatenate(offsets)
    print(f'all: {len(every)} nuclei, dx {every[:, 0].mean():+.3f}, dy {every[:, 1].mean():+.3f} px')
    return 0


if __name__ == '__main__':
    sys.exit(main())
