"""Segment nuclei in image files and folders; write label images, QuPath GeoJSON, CSV tables and overlays.

Usage::

    python tools/infer.py INPUT... --out DIR [--config C --checkpoint K] [--device cpu|cuda]
        [--tile-size 1024 --tile-overlap 128] [--formats tif,png,geojson,csv,coco] [--recursive] [--overwrite]
        [--no-tissue-mask] [--slide auto|always|never]

INPUT: image files (PNG, JPEG, TIFF, SVS, NDPI), folders (``--recursive``: with sub-folders, mirrored under DIR) or glob
patterns (quote them). Without ``--config`` the built-in CenterSAM model is used
(``configs/centersam/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.py`` with
``checkpoints/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.pth``).
Images are read as RGB uint8: 16-bit and float images are scaled so that their 1st-99.8th percentiles span 0-255;
multichannel images (C×H×W, H×W×C, OME-TIFF) need ``--channels N`` (nuclear channel, 1-based) or ``N,M`` when they
have more than 3 channels. Each image is resized so that its nuclei reach the size the model was trained at: from
``--pixel-size`` or ``--diameter`` when given, else estimated from the image (printed per image); ``--scale``
fixes the factor. Images with a side above ``--tile-size`` are
segmented in overlapping tiles (``--tile-size 0``: never tile), smaller ones where the factor would make a tile
larger than ``--max-tile-input`` pixels at the model's input (memory stays bounded for images of small nuclei).

Outputs per image: ``<stem>_labels.tif`` (uint16/uint32 label image), ``<stem>_overlay.png`` (outlines),
``<stem>.geojson`` (QuPath: File > Import objects), ``<stem>_nuclei.csv`` (one row per nucleus), and with
``coco`` in ``--formats`` ``<stem>_coco.json`` (COCO results, RLE). Existing outputs are kept unless
``--overwrite``. Exit status: 0 if every image was segmented or skipped, 1 if any failed, 2 on bad arguments.

Whole-slide images (pyramidal TIFF / OME-TIFF / SVS, or a TIFF above 2^27 pixels; ``--slide always|never``
overrides the choice) are read tile by tile, never whole: tissue is detected on a low-resolution level and only
tiles holding tissue are segmented (``--no-tissue-mask``: every tile), with one factor for the whole slide (the
options above, else the slide's pixel size when the model records its own, else estimated on tissue), at the
pyramid level matching it. Their outputs: ``<stem>_labels.ome.zarr`` (OME-Zarr multiscale labels, ids unique over
the slide), ``<stem>.geojson`` and ``<stem>_nuclei.csv`` (level-0 pixel coordinates), ``<stem>_overlay.png`` (a
low-resolution overlay) and ``<stem>_progress.json``; a killed run started again continues from its last finished
tile.

Under ``torchrun`` (``tools/dist_infer.sh N ...``) process RANK of WORLD_SIZE takes files RANK::WORLD_SIZE of
the sorted list, and the tiles of every slide are shared the same way (process 0 writes the slide's outputs). For tests and benchmarks, the hidden option ``--model stub`` replaces the network by a
deterministic threshold + connected-components segmenter (``centersam_mm.apis.ThresholdSegmenter``).
"""
import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from centersam_mm.apis.batch import (DEFAULT_FORMATS, SLIDE_MODES, Reporter, SlideSettings,  # noqa: E402
                                     parse_formats, segment_files, shard_inputs)
from centersam_mm.apis.segmenter import STUB_MODEL, NucleusSegmenter  # noqa: E402
from centersam_mm.io import collect_image_files  # noqa: E402
from centersam_mm.io.readers import parse_channels  # noqa: E402
from centersam_mm.utils.tile_grid import MAX_TILE_INPUT  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description='Segment nuclei in images (CenterSAM).',
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help='image files, folders or glob patterns')
    parser.add_argument('--out', required=True, type=Path, help='output folder')
    parser.add_argument('--config', help='model config path or name (default: built-in CenterSAM)')
    parser.add_argument('--checkpoint', help='model weights (default: built-in checkpoint with the default config)')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--tile-size', type=int, default=1024, help='tile images with a side above this; 0: never')
    parser.add_argument('--tile-overlap', type=int, default=128, help='tile overlap in pixels (> nucleus size)')
    parser.add_argument('--max-tile-input', type=int, default=MAX_TILE_INPUT,
                        help="largest tile side at the model's input, in pixels: tiles and overlap shrink at "
                             'factors that would exceed it (0: tiles of --tile-size whatever the factor)')
    parser.add_argument('--formats', default=','.join(DEFAULT_FORMATS), help='tif,png,geojson,csv,coco')
    parser.add_argument('--recursive', action='store_true', help='look into sub-folders of folder inputs')
    parser.add_argument('--overwrite', action='store_true', help='replace existing outputs')
    parser.add_argument('--channels', help='nuclear channel N, or N,M with a second channel (1-based, as '
                        "Cellpose's --chan); needed for images with more than 3 channels")
    parser.add_argument('--diameter', type=float, help='typical nucleus diameter in image pixels '
                        '(default: estimated from each image)')
    parser.add_argument('--pixel-size', type=float, help='µm per pixel of the images, for models that record '
                        'the pixel size they were trained at (default: estimated from each image)')
    parser.add_argument('--scale', type=float, help='resize factor image -> detector input for every image '
                        '(overrides --diameter and --pixel-size)')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help="drop nuclei scoring below it (the model's test_cfg already thresholds)")
    parser.add_argument('--min-area', type=int, default=0, help='drop nuclei with fewer pixels')
    parser.add_argument('--annotations', action='store_true',
                        help='GeoJSON objectType "annotation" (editable in QuPath) instead of "detection"')
    parser.add_argument('--no-tissue-mask', action='store_true',
                        help='slides: segment every tile, not only those holding tissue')
    parser.add_argument('--slide', choices=SLIDE_MODES, default='auto',
                        help='auto: pyramidal or very large TIFFs take the tiled slide path; always: every TIFF; '
                        'never: none')
    parser.add_argument('--model', choices=[STUB_MODEL], help=argparse.SUPPRESS)  # tests/benchmarks only
    # tests/benchmarks: stop a slide after this many tiles (an interrupted run, resumed by the next one)
    parser.add_argument('--max-tiles', type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def distributed_position() -> tuple:
    """(rank, world_size, local_rank) from torchrun's environment variables; (0, 1, 0) when not set."""
    return (int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1)),
            int(os.environ.get('LOCAL_RANK', 0)))


def build_segmenter(args: argparse.Namespace, local_rank: int) -> NucleusSegmenter:
    """The segmenter chosen by the options (one GPU per process under torchrun)."""
    device = f'cuda:{local_rank}' if args.device == 'cuda' and 'LOCAL_RANK' in os.environ else args.device
    model = args.model or args.config
    return NucleusSegmenter(model, args.checkpoint, device, args.tile_size or None, args.tile_overlap,
                            args.score_thr, args.min_area, scale=args.scale, diameter=args.diameter,
                            pixel_size=args.pixel_size, channels=parse_channels(args.channels),
                            max_tile_input=args.max_tile_input or None)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command; returns the exit status."""
    args = parse_args(argv)
    rank, world_size, local_rank = distributed_position()
    try:
        formats = parse_formats(args.formats)
        all_files = collect_image_files(args.inputs, args.recursive)
        if not all_files:
            raise FileNotFoundError(f'no image files (.png, .jpg, .tif, ...) in {" ".join(args.inputs)}')
        files = shard_inputs(all_files, rank, world_size, args.slide)
        segmenter = build_segmenter(args, local_rank)
    except (ValueError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    prefix = f'[rank {rank}/{world_size}] ' if world_size > 1 else ''
    print(f'{prefix}Segmenting {len(files)} image(s) -> {args.out}', flush=True)
    reporter = Reporter(len(files), show_bar=world_size == 1, prefix=prefix)
    slides = SlideSettings(args.slide, not args.no_tissue_mask, rank, world_size, args.max_tiles)
    summary = segment_files(files, segmenter, args.out, formats, args.overwrite,
                            'annotation' if args.annotations else 'detection', reporter, slides)
    print(f'{prefix}{summary.describe(args.out)}', flush=True)
    return 1 if summary.count('failed') else 0


if __name__ == '__main__':
    sys.exit(main())
