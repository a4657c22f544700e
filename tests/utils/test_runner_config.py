"""The runner options and config loading that tools/train.py and tools/test.py share."""
import argparse
import os
import sys
from pathlib import Path

from centersam_mm.utils.runner_config import add_runner_args, load_run_config, parse_runner_args

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(REPO_ROOT / 'configs' / 'centernet' / 'centernet_r18_dsb2018_cpu.py')


def _parse(argv, monkeypatch):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_runner_args(parser, 'train_cfg.max_epochs=2')
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    return parse_runner_args(parser)


def test_local_rank_is_exported_unless_the_launcher_set_it(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = _parse([CONFIG, '--local-rank', '3'], monkeypatch)
    assert args.local_rank == 3 and args.launcher == 'none'
    assert os.environ['LOCAL_RANK'] == '3'
    monkeypatch.setenv('LOCAL_RANK', '1')  # torchrun's own value wins
    _parse([CONFIG, '--local_rank', '5'], monkeypatch)
    assert os.environ['LOCAL_RANK'] == '1'


def test_cfg_options_launcher_and_work_dir_reach_the_config(monkeypatch, tmp_path):
    args = _parse([CONFIG, '--launcher', 'pytorch', '--cfg-options', 'train_cfg.max_epochs=2',
                   'model.backbone.base_channels=16'], monkeypatch)
    cfg = load_run_config(args.config, args.launcher, args.cfg_options)
    assert cfg.train_cfg.max_epochs == 2 and cfg.model.backbone.base_channels == 16
    assert cfg.launcher == 'pytorch'
    assert cfg.work_dir == './work_dirs/centernet_r18_dsb2018_cpu'  # MMDetection's default
    assert load_run_config(args.config, work_dir=str(tmp_path)).work_dir == str(tmp_path)


# ------------------------------------------------------------ missing inputs (issue 18, deliverable 6)
import json  # noqa: E402

import pytest  # noqa: E402
from mmengine.config import Config  # noqa: E402

from centersam_mm.utils.runner_config import MissingInputError, check_run_inputs  # noqa: E402

TISSUENET_MESSAGE = ("data/tissuenet/annotations/instances_train.json not found: make it with "
                     "'python tools/dataset_converters/convert_dataset.py tissuenet SRC data/tissuenet' "
                     "(SRC: a folder of TissueNet v1 .npz files from https://datasets.deepcell.org)")


def _config(relative: str) -> Config:
    return Config.fromfile(str(REPO_ROOT / 'configs' / relative))


def _missing(cfg, mode='train', checkpoint=None) -> str:
    with pytest.raises(MissingInputError) as error:
        check_run_inputs(cfg, mode, checkpoint)
    assert '\n' not in str(error.value)
    return str(error.value)


def _make_dataset(root, splits=('train', 'val', 'test')) -> None:
    (root / 'images').mkdir(parents=True)
    (root / 'annotations').mkdir()
    for split in splits:
        (root / 'annotations' / f'instances_{split}.json').write_text(json.dumps({}))


def test_missing_tissuenet_annotations_name_the_converter_and_the_source(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # data_root is relative to the current directory: no data/ here
    assert _missing(_config('centersam_tissuenet.py')) == TISSUENET_MESSAGE


@pytest.mark.parametrize('config,benchmark,source', [
    ('centernet/centernet_r18_dsb2018_cpu.py', 'dsb2018', '../shared/data/dsb2018/stage1_train'),
    ('centernet/centernet_r18_monuseg.py', 'monuseg', '../shared/data/monuseg/MoNuSegTestData')])
def test_missing_make_data_sets_name_make_data(config, benchmark, source, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    message = _missing(_config(config))
    assert message == (f"data/{benchmark}/annotations/instances_train.json not found: make it with 'make data' "
                       f"(runs python tools/dataset_converters/convert_dataset.py {benchmark} {source} "
                       f"data/{benchmark})")


def test_images_then_evaluator_annotations_then_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    cfg = _config('centernet/centernet_r18_dsb2018_cpu.py')
    root = tmp_path / 'data' / 'dsb2018'
    (root / 'annotations').mkdir(parents=True)
    for split in ('train', 'val'):
        (root / 'annotations' / f'instances_{split}.json').write_text('{}')
    assert _missing(cfg).startswith("data/dsb2018/images/ not found: make it with 'make data'")
    (root / 'images').mkdir()
    check_run_inputs(cfg, 'train')  # train + val present: a training run has what it needs
    assert _missing(cfg, 'test', None).startswith('data/dsb2018/annotations/instances_test.json not found')
    cfg.test_dataloader.dataset.ann_file = 'annotations/instances_val.json'
    assert _missing(cfg, 'test').startswith(  # the evaluator's own ann_file
        'data/dsb2018/annotations/instances_test.json not found')
    cfg.test_evaluator[0].ann_file = 'data/dsb2018/annotations/instances_val.json'
    check_run_inputs(cfg, 'test')


def test_only_the_loaders_of_the_command_are_checked(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    cfg = _config('centernet/centernet_r18_dsb2018_cpu.py')
    _make_dataset(tmp_path / 'data' / 'dsb2018', splits=('test',))
    check_run_inputs(cfg, 'test')  # no train / val annotations needed to test
    assert 'instances_train.json' in _missing(cfg, 'train')
    cfg.val_cfg = None  # a run without validation does not need the val set
    _make_dataset(tmp_path / 'other', splits=('train',))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'other')
    check_run_inputs(cfg, 'train')


def test_wrapped_datasets_are_walked_into(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _make_dataset(tmp_path / 'a')
    inner = dict(type='DSB2018Dataset', data_root=str(tmp_path / 'b'), ann_file='annotations/instances_train.json')
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
        dict(type='DSB2018Dataset', data_root=str(tmp_path / 'a'), ann_file='annotations/instances_train.json'),
        dict(type='ImageGroupBalancedDataset', oversample_thr=0.2, dataset=inner)]))))
    message = _missing(cfg)
    assert message.startswith(f"{tmp_path / 'b'}/annotations/instances_train.json not found")
    assert "'python tools/dataset_converters/convert_dataset.py" not in message  # not a benchmark's folder name
    assert 'train_dataloader.dataset.datasets.1.dataset.ann_file' in message


def test_candidates_name_dump_candidates(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    message = _missing(_config('scorer/candidate_scorer_monuseg_cpu.py'))
    assert message == ("data/monuseg/candidates/candidates_train.npz not found: make it with "
                       "'python tools/analysis_tools/dump_candidates.py CONFIG CHECKPOINT --split train "
                       "--out data/monuseg/candidates/candidates_train.npz' (CONFIG, CHECKPOINT: the CenterSAM model "
                       "whose candidates to score)")


def test_missing_checkpoints_say_which_and_how_to_make_them(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    stage2 = _config('centernet/centernet_r18_dsb2018_cpu_stage2.py')
    stage2.load_from = 'work_dirs/centernet_r18_dsb2018_cpu/epoch_50.pth'  # the recipe's --cfg-options load_from
    message = _missing(stage2)
    assert message.startswith('work_dirs/centernet_r18_dsb2018_cpu/epoch_50.pth: checkpoint file not found '
                              "(load_from): make it with 'python tools/train.py ")
    assert message.endswith("configs/centernet/centernet_r18_dsb2018_cpu.py'")
    assert _missing(_config('centernet/centernet_r18_monuseg_cpu.py')) == (
        "checkpoints/centernet_r18_dsb2018_cpu.pth: checkpoint file not found (load_from): the published weights "
        "are in the repository's checkpoints/; run from its root")
    cfg = _config('centernet/centernet_r18_dsb2018_cpu.py')
    assert _missing(cfg, 'test', 'nowhere.pth') == 'nowhere.pth: checkpoint file not found (the CHECKPOINT argument)'
    cfg.resume, cfg.load_from = True, 'nowhere.pth'
    assert _missing(cfg) == 'nowhere.pth: checkpoint file not found (--resume)'
