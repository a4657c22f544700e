"""Config loading shared by ``tools/train.py`` and ``tools/test.py`` (MMDetection's conventions)."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction


def add_runner_args(parser: argparse.ArgumentParser, cfg_options_example: str) -> None:
    """Add the options both tools share: ``--cfg-options``, ``--launcher`` and torchrun's ``--local-rank``."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=f'override config entries, e.g. {cfg_options_example}')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (tools/dist_train.sh and tools/dist_test.sh set pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line; export ``--local-rank`` as ``LOCAL_RANK`` unless the launcher already did."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_run_config(config_path: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None) -> Config:
    """Read ``config_path``, apply ``--cfg-options`` and set the launcher and work dir.

    The work dir is ``work_dir`` if given, else the config's own, else ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    return cfg
