"""Render docs/images/napari_widget.png: napari with the plugin's dock widget after segmenting a demo image.

Usage::

    python tools/analysis_tools/napari_screenshot.py [--image demo/dsb_f8e74d40.png]
        [--out docs/images/napari_widget.png] [--size 1400x820] [--composite]

Runs headless (``QT_QPA_PLATFORM=offscreen``). napari's canvas needs OpenGL; where Qt has no OpenGL context (no X
server, e.g. CI), the canvas is composited from the layers instead (``--composite`` forces that): see
:mod:`centersam_mm.napari._screenshot`. Needs the napari extra (``make setup`` installs it).
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a clone without installing
os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')

from centersam_mm.napari._screenshot import DEFAULT_SIZE, render_screenshot  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--image', type=Path, default=ROOT / 'demo' / 'dsb_f8e74d40.png')
    parser.add_argument('--out', type=Path, default=ROOT / 'docs' / 'images' / 'napari_widget.png')
    parser.add_argument('--size', default='x'.join(map(str, DEFAULT_SIZE)), help='window WIDTHxHEIGHT')
    parser.add_argument('--composite', action='store_true', help='composite the canvas even with OpenGL')
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split('x'))
    out = render_screenshot(args.image, args.out, (width, height), force_composite=args.composite)
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
