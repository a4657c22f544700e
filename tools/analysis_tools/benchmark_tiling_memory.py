"""Peak memory and time of tiled inference on a large synthetic mosaic of DSB 2018 crops.

Builds a SIZE×SIZE RGB mosaic of 256×256 crops of fluorescence images from
``../shared/data/dsb2018/stage1_train`` (cycled, in sorted order), saves it as a TIFF, then runs
``tools/infer.py`` on it in a child process (all default exports) and reports the child's peak resident
memory (``ru_maxrss`` of RUSAGE_CHILDREN), wall time, tiles (as ``tools/infer.py`` announces them: their size
depends on the factor) and nuclei. (Tiled == whole-image results
are a slow test: ``tests/apis/test_apis_segmenter.py::test_default_model_tiled_matches_whole``.)

Examples::

    python tools/analysis_tools/benchmark_tiling_memory.py --size 10000 --model stub
    python tools/analysis_tools/benchmark_tiling_memory.py --size 2048 --model default
"""
import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import cv2
import numpy as np
import tifffile

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DSB_TRAIN = REPO.parent / 'shared' / 'data' / 'dsb2018' / 'stage1_train'
CROP = 256


def fluorescence_crops(dsb_root: Path, max_mean_gray: float = 60.0) -> Iterator[np.ndarray]:
    """Top-left 256×256 RGB crops of the DSB images that look like fluorescence (dark background), forever."""
    paths = sorted(dsb_root.glob('*/images/*.png'))
    crops: List[np.ndarray] = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None or min(image.shape[:2]) < CROP:
            continue
        crop = cv2.cvtColor(image[:CROP, :CROP], cv2.COLOR_BGR2RGB)
        if crop.mean() <= max_mean_gray:
            crops.append(crop)
            yield crop
    if not crops:
        raise FileNotFoundError(f'no DSB fluorescence images under {dsb_root}')
    while True:
        yield from crops


def build_mosaic(size: int, dsb_root: Path) -> np.ndarray:
    """(size, size, 3) uint8 mosaic of DSB crops, row-major."""
    mosaic = np.zeros((size, size, 3), np.uint8)
    crops = fluorescence_crops(dsb_root)
    for y in range(0, size, CROP):
        for x in range(0, size, CROP):
            crop = next(crops)
            mosaic[y:y + CROP, x:x + CROP] = crop[:size - y, :size - x]
    return mosaic


def model_arguments(args: argparse.Namespace) -> List[str]:
    """tools/infer.py options selecting the model ('stub' or 'default') and its input scale."""
    scale = [] if args.scale is None else ['--scale', str(args.scale)]
    return (['--model', 'stub'] if args.model == 'stub' else []) + scale


def run_infer(image_path: Path, out_dir: Path, args: argparse.Namespace, extra: List[str]) -> Dict[str, float]:
    """Run tools/infer.py on one image in a child process; wall time and the child's peak RSS."""
    command = [sys.executable, str(REPO / 'tools' / 'infer.py'), str(image_path), '--out', str(out_dir),
               '--overwrite', '--tile-size', str(args.tile_size), '--tile-overlap', str(args.tile_overlap),
               *model_arguments(args), *extra]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed:\n{completed.stdout}\n{completed.stderr}')
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB, max over children so far
    figures = {'wall_s': round(wall, 1), 'peak_rss_mib': round(peak_kib / 1024, 1)}
    announced = re.search(r': (\d+) tiles$', completed.stdout, re.MULTILINE)  # tools/infer.py's "<path>: N tiles"
    figures.update(tiles=int(announced.group(1)) if announced else 1)
    return figures


def memory_benchmark(args: argparse.Namespace) -> Dict[str, float]:
    """Figures for one SIZE×SIZE mosaic run through tools/infer.py."""
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    image_path = work / f'mosaic_{args.size}.tif'
    if not image_path.is_file():
        tifffile.imwrite(image_path, build_mosaic(args.size, Path(args.dsb_root)), photometric='rgb')
    figures = run_infer(image_path, work / f'out_{args.model}', args, [])
    labels = tifffile.imread(work / f'out_{args.model}' / f'{image_path.stem}_labels.tif')
    figures.update(size=args.size, nuclei=int(labels.max()), label_dtype=str(labels.dtype))
    return figures


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=10000, help='mosaic side in pixels')
    parser.add_argument('--model', choices=['stub', 'default'], default='stub')
    parser.add_argument('--tile-size', type=int, default=1024)
    parser.add_argument('--tile-overlap', type=int, default=128)
    parser.add_argument('--scale', type=float, help="tools/infer.py's --scale (default: estimated per image)")
    parser.add_argument('--dsb-root', default=str(DSB_TRAIN))
    parser.add_argument('--work-dir', default=str(REPO / 'work_dirs' / 'benchmark_tiling'))
    return parser.parse_args()


def main() -> None:
    """Print the figures as one JSON line."""
    args = parse_args()
    figures = memory_benchmark(args)
    print(json.dumps({'model': args.model, 'tile_size': args.tile_size, 'tile_overlap': args.tile_overlap,
                      'scale': args.scale, **figures}))


if __name__ == '__main__':
    main()
