"""Config loading shared by ``tools/train.py`` and ``tools/test.py`` (MMDetection's conventions), and the check
that the files a run reads exist (:func:`check_run_inputs`), so that a missing one is one line saying how to
make it rather than a traceback from deep inside the Runner."""
import argparse
import os
import os.path as osp
import re
import sys
from pathlib import Path, PurePath
from typing import Any, Callable, Iterator, List, Optional, Tuple

from mmengine.config import Config, DictAction

from .checkpoints import CheckpointError
from .dist import prepare_cpu_distributed


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


class MissingInputError(FileNotFoundError):
    """A file or folder a run reads (annotations, images, a checkpoint) does not exist; the message is one line
    naming it and, where known, the command that makes it."""


def build_runner(cfg: Config) -> Any:
    """The run's ``Runner`` as MMDetection's tools build it (the config's ``runner_type`` if it names one), after
    :func:`~centersam_mm.utils.dist.prepare_cpu_distributed`."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    prepare_cpu_distributed(cfg)
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)


def run_reporting_errors(run: Callable[[], None]) -> int:
    """Exit status of a tool's ``run``: 0, or 2 after one ``error:`` line on stderr for a missing input
    (:class:`MissingInputError`) or an unreadable, unsafe or unfitting checkpoint (``CheckpointError``)."""
    try:
        run()
    except (MissingInputError, CheckpointError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    return 0


#: dataset types that default ``data_prefix`` to ``dict(img='images/')`` (``NucleusCocoDataset`` and subclasses)
NUCLEUS_DATASETS = ('NucleusCocoDataset', 'DSB2018Dataset', 'MoNuSegDataset', 'TissueNetDataset')
CONVERTER = 'python tools/dataset_converters/convert_dataset.py'
#: benchmark -> (where its source comes from, the ``make data`` conversion: source, output); see the Makefile
BENCHMARK_SOURCES = {
    'dsb2018': ('the DSB 2018 stage1_train folder', ('../shared/data/dsb2018/stage1_train', 'data/dsb2018')),
    'monuseg': ('the MoNuSeg MoNuSegTestData folder', ('../shared/data/monuseg/MoNuSegTestData', 'data/monuseg')),
    'tissuenet': ('a folder of TissueNet v1 .npz files from https://datasets.deepcell.org', None),
}
_DATA_FOLDERS = ('annotations', 'images', 'labels', 'candidates')


def check_run_inputs(cfg: Config, mode: str, checkpoint: Optional[str] = None) -> None:
    """Raise :class:`MissingInputError` for the first input of a run that does not exist.

    ``mode`` ``'train'``: ``load_from`` (also ``--resume PATH``), then the datasets of ``train_dataloader`` and,
    when the run validates, ``val_dataloader`` and the ``ann_file`` of ``val_evaluator``; ``'test'``:
    ``checkpoint``, then ``test_dataloader`` and ``test_evaluator``. A dataset's inputs are ``ann_file`` and the
    image folder ``data_prefix.img``, both under ``data_root`` as MMEngine joins them (relative paths are relative
    to the current directory); wrappers (``dataset=`` / ``datasets=``: ClassBalancedDataset, ConcatDataset,
    ImageGroupBalancedDataset ...) are walked into. Remote paths (``s3://`` ...) are not checked.
    """
    if mode not in ('train', 'test'):
        raise ValueError(f"mode must be 'train' or 'test', not {mode!r}")
    if mode == 'train':
        checkpoint = cfg.get('load_from') or None
        what = '--resume' if cfg.get('resume') else 'load_from'
        stages: List[Tuple[str, str]] = [('train_dataloader', '')]
        if all(cfg.get(key) is not None for key in ('val_dataloader', 'val_cfg', 'val_evaluator')):
            stages.append(('val_dataloader', 'val_evaluator'))
    else:
        what = 'the CHECKPOINT argument'
        stages = [('test_dataloader', 'test_evaluator')]
    if checkpoint is not None and not _is_remote(checkpoint) and not osp.isfile(checkpoint):
        raise MissingInputError(missing_checkpoint_message(checkpoint, what, getattr(cfg, 'filename', None)))
    for loader_key, evaluator_key in stages:
        loader = cfg.get(loader_key) or {}
        for where, path in _dataset_inputs(loader.get('dataset') if isinstance(loader, dict) else None,
                                           f'{loader_key}.dataset'):
            _check_exists(path, where)
        if evaluator_key:
            for where, path in _evaluator_inputs(cfg.get(evaluator_key), evaluator_key):
                _check_exists(path, where)


def _is_remote(path: str) -> bool:
    return '://' in str(path)


def _type_name(dataset: dict) -> str:
    kind = dataset.get('type', '')
    return getattr(kind, '__name__', str(kind))


def _dataset_inputs(dataset: Any, where: str) -> Iterator[Tuple[str, str]]:
    """(config key, path) of each ``ann_file`` and image folder of a dataset config, wrappers walked into."""
    if isinstance(dataset, (list, tuple)):
        for index, item in enumerate(dataset):
            yield from _dataset_inputs(item, f'{where}.{index}')
        return
    if not isinstance(dataset, dict):  # a built dataset object, or nothing
        return
    nested = [key for key in ('dataset', 'datasets') if dataset.get(key) is not None]
    if nested:
        for key in nested:
            yield from _dataset_inputs(dataset[key], f'{where}.{key}')
        return
    backend = (dataset.get('backend_args') or {}).get('backend', 'local')
    if backend not in ('local', 'disk'):
        return
    root = dataset.get('data_root') or ''
    ann_file = dataset.get('ann_file')
    if isinstance(ann_file, str) and ann_file:
        yield f'{where}.ann_file', _join(root, ann_file)
    prefix = dataset.get('data_prefix')
    if prefix is None and _type_name(dataset) in NUCLEUS_DATASETS:
        prefix = dict(img='images/')
    image_folder = prefix.get('img', prefix.get('img_path')) if isinstance(prefix, dict) else None
    if isinstance(image_folder, str) and (image_folder or root):
        yield f'{where}.data_prefix.img', _join(root, image_folder)


def _join(root: str, path: str) -> str:
    """MMEngine's joining of ``data_root`` with ``ann_file`` / a ``data_prefix``."""
    return path if (not root or osp.isabs(path) or _is_remote(path)) else osp.join(root, path)


def _evaluator_inputs(evaluator: Any, where: str) -> Iterator[Tuple[str, str]]:
    """(config key, path) of each metric's ``ann_file`` (CocoMetric ...), in lists and ``Evaluator(metrics=)``."""
    if isinstance(evaluator, (list, tuple)):
        for index, item in enumerate(evaluator):
            yield from _evaluator_inputs(item, f'{where}.{index}')
    elif isinstance(evaluator, dict):
        if evaluator.get('metrics') is not None:
            yield from _evaluator_inputs(evaluator['metrics'], f'{where}.metrics')
        ann_file = evaluator.get('ann_file')
        if isinstance(ann_file, str) and ann_file:
            yield f'{where}.ann_file', ann_file


def _check_exists(path: str, where: str) -> None:
    if not _is_remote(path) and not osp.exists(path):
        raise MissingInputError(missing_data_message(path, where))


def _dataset_root(path: str) -> str:
    """The converted dataset's root of one of its files: the folder above ``annotations/``, ``images/`` ..."""
    parts = PurePath(path).parts
    for index, part in enumerate(parts):
        if part in _DATA_FOLDERS and index > 0:
            return str(PurePath(*parts[:index]))
    return str(PurePath(path))


def missing_data_message(path: str, where: str = '') -> str:
    """``<path> not found: make it with '<command>' (<where the source comes from>)``."""
    shown = osp.normpath(path) + ('/' if path.endswith('/') else '')
    candidates = re.search(r'candidates_(\w+)\.npz$', path)
    if 'candidates' in PurePath(path).parts and path.endswith('.npz'):
        split = candidates.group(1) if candidates else 'train'
        return (f"{shown} not found: make it with 'python tools/analysis_tools/dump_candidates.py CONFIG CHECKPOINT "
                f"--split {split} --out {shown}' (CONFIG, CHECKPOINT: the CenterSAM model whose candidates to score)")
    root = _dataset_root(path)
    benchmark = PurePath(root).name.lower()  # the converters' output folders are named after the benchmark
    if benchmark not in BENCHMARK_SOURCES:
        return (f'{shown} not found ({where}: check data_root, ann_file and data_prefix in the config, or set '
                'them with --cfg-options)')
    source, make_data = BENCHMARK_SOURCES[benchmark]
    if make_data is not None and osp.normpath(root) == make_data[1]:
        return (f"{shown} not found: make it with 'make data' (runs {CONVERTER} {benchmark} {make_data[0]} "
                f"{make_data[1]})")
    return f"{shown} not found: make it with '{CONVERTER} {benchmark} SRC {root}' (SRC: {source})"


def missing_checkpoint_message(path: str, what: str, config_file: Optional[str] = None) -> str:
    """``<path>: checkpoint file not found (<what>)``, with the command that makes it where one is known:
    ``work_dirs/<name>/...`` is written by ``tools/train.py`` on the config ``<name>.py``."""
    message = f'{path}: checkpoint file not found ({what})'
    parts = PurePath(path).parts
    if 'work_dirs' in parts and parts.index('work_dirs') + 1 < len(parts) - 1:
        name = parts[parts.index('work_dirs') + 1]
        config = _find_config(name, config_file)
        if config is not None:
            return f"{message}: make it with 'python tools/train.py {config}'"
        return f'{message}: it is written by tools/train.py on the config {name}.py'
    if parts and parts[0] == 'checkpoints' and not osp.isabs(path):
        return f'{message}: the published weights are in the repository\'s checkpoints/; run from its root'
    return message


def _find_config(name: str, config_file: Optional[str]) -> Optional[str]:
    """``configs/.../<name>.py`` next to ``config_file`` (under its nearest ``configs`` folder), as given."""
    if not config_file:
        return None
    config_path = Path(config_file)
    roots = [parent for parent in config_path.parents if parent.name == 'configs'] or [config_path.parent]
    found = sorted(roots[0].rglob(f'{name}.py'))
    if not found:
        return None
    try:
        return str(found[0].relative_to(Path.cwd()))
    except ValueError:
        return str(found[0])
