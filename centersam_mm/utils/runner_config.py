"""Config loading shared by ``tools/train.py`` and ``tools/test.py`` (MMDetection's conventions)."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


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
