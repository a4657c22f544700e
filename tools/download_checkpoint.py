"""Download Meta's official SAM checkpoints into the centersam_mm cache (SHA-256 checked).

    python tools/download_checkpoint.py sam_vit_h [sam_vit_b ...] [--dir DIR] [--timeout 10]

Cache: $CENTERSAM_CACHE (default ~/.cache/centersam_mm/checkpoints); configs refer to the
files by name (``checkpoint='sam_vit_h'``). Without network it fails at once with one line
saying what to download and where to put it.
"""
import argparse
import sys
from pathlib import Path

from centersam_mm.utils.checkpoints import (OFFICIAL_CHECKPOINTS, CheckpointError,
                                            download_checkpoint)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Download official SAM checkpoints')
    parser.add_argument('names', nargs='+', choices=sorted(OFFICIAL_CHECKPOINTS))
    parser.add_argument('--dir', type=Path, default=None, help='cache directory')
    parser.add_argument('--timeout', type=float, default=10.0, help='network timeout, seconds')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    for name in args.names:
        try:
            path = download_checkpoint(name, args.dir, timeout=args.timeout)
        except CheckpointError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
        print(f'{name}: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
