"""Safe loading (issue 18): importing centersam_mm changes no loading behaviour; a .pth that pickles a callable
is refused unrun by MMEngine's loader, init_detector, the project's loaders and tools/infer.py, in one line;
published weights load weights-only as they are; MMEngine training state loads only inside the allow-list."""
import copy
import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
import centersam_mm  # noqa: E402,F401  (what the requirement is about: loading after the plugin is imported)
from centersam_mm.models.segmenters.sam_checkpoint import load_sam_checkpoint  # noqa: E402
from centersam_mm.utils.checkpoints import CheckpointError  # noqa: E402
from centersam_mm.utils.safe_load import (UnsafeCheckpointError, check_weights_fit, checkpoint_loading,  # noqa: E402
                                          load_weights, read_checkpoint, training_state_allowed,
                                          training_state_globals, unsafe_globals)

REPO_ROOT = Path(__file__).resolve().parents[2]
CENTERNET = str(REPO_ROOT / 'configs' / 'centernet' / 'centernet_r18_dsb2018_cpu.py')
PUBLISHED = sorted((REPO_ROOT / 'checkpoints').glob('*.pth'))


def _load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tiny_centernet_cfg = _load_module(REPO_ROOT / 'tests' / 'models' / '_tiny_centernet.py').tiny_centernet_cfg


class _RunsCode:
    """Unpickling this runs ``touch <marker>`` (what a malicious checkpoint does)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / 'code_ran'


@pytest.fixture
def evil(tmp_path, marker) -> Path:
    """A checkpoint in MMEngine's layout whose meta pickles os.system."""
    path = tmp_path / 'evil.pth'
    torch.save(dict(meta=dict(payload=_RunsCode(marker)), state_dict={'w': torch.zeros(2)}), path)
    return path


@pytest.fixture
def evil_legacy(tmp_path, marker) -> Path:
    """The same in torch's legacy (non-zip) format, which the static scan cannot read: torch's refusal counts."""
    path = tmp_path / 'evil_legacy.pth'
    torch.save(dict(payload=_RunsCode(marker)), path, _use_new_zipfile_serialization=False)
    return path


def _one_line_naming(error: BaseException, path: Path) -> str:
    text = str(error)
    assert '\n' not in text, text
    assert str(path) in text and "refused to unpickle 'posix.system'" in text, text
    return text


def _tiny_model():
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    return MODELS.build(tiny_centernet_cfg(base_channels=8))


def _training_state(model) -> dict:
    """What MMEngine's runner saves besides the weights: message hub (HistoryBuffer of numpy values), numpy
    scalars in meta (a best score)."""
    from mmengine.logging import HistoryBuffer
    loss = HistoryBuffer()
    loss.update(0.5)
    loss.update(0.25)
    return dict(meta=dict(epoch=1, iter=2, hook_msgs=dict(best_score=np.float64(0.75), last_ckpt='x.pth')),
                state_dict=model.state_dict(), message_hub=dict(log_scalars={'train/loss': loss},
                                                                runtime_info={'iter': 2, 'eta': np.float32(1.5)}))


def _project_safe_globals() -> list:
    """Safe globals of this project's allow-list, or of its stack's modules, currently set (torch allow-lists
    some of its own: exceptions, traceback summaries, _dynamo types)."""
    ours = set(training_state_globals())
    return [entry for entry in torch.serialization.get_safe_globals() if entry in ours or getattr(
        entry[0] if isinstance(entry, tuple) else entry, '__module__', '').startswith(
            ('centersam_mm', 'mmengine', 'mmdet', 'mmcv', 'numpy', 'os', 'posix'))]


def test_importing_the_plugin_changes_no_loading_behaviour():
    from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
    assert CheckpointLoader._schemes[''] is load_from_local  # MMEngine's own loader (torch's default: weights-only)
    assert _project_safe_globals() == []


def test_mmengine_loader_refuses_code_after_import(evil, evil_legacy, marker):
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import CheckpointLoader
    for path in (evil, evil_legacy):
        with pytest.raises(pickle.UnpicklingError):
            CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
        with pytest.raises(pickle.UnpicklingError):
            load_checkpoint(torch.nn.Linear(2, 1), str(path), map_location='cpu')
        # the same calls inside checkpoint_loading: one line naming the file and what it pickles
        with pytest.raises(UnsafeCheckpointError) as error:
            with checkpoint_loading(path):
                CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
        _one_line_naming(error.value, path)
    assert not marker.exists()
    assert _project_safe_globals() == []  # the context left nothing behind


def test_torch_refusal_is_one_line_where_the_static_scan_cannot_see(evil_legacy, marker):
    """checkpoint_loading(None) (path unknown up front) still converts torch's refusal raised inside."""
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(UnsafeCheckpointError, match=r"^checkpoint: refused to unpickle 'posix.system'"):
        with checkpoint_loading(None):
            CheckpointLoader.load_checkpoint(str(evil_legacy), map_location='cpu')
    assert not marker.exists()


def test_init_detector_refuses_code_and_loads_weights(evil, marker, tmp_path):
    from mmdet.apis import init_detector
    from mmengine.config import Config
    cfg = Config(dict(model=tiny_centernet_cfg(base_channels=8), default_scope='mmdet',
                      test_dataloader=dict(dataset=dict(type='DSB2018Dataset', data_root=str(tmp_path),
                                                        ann_file='none.json'))))
    with pytest.raises(pickle.UnpicklingError):
        init_detector(copy.deepcopy(cfg), str(evil), device='cpu')
    with pytest.raises(UnsafeCheckpointError) as error:
        with checkpoint_loading(evil):
            init_detector(copy.deepcopy(cfg), str(evil), device='cpu')
    _one_line_naming(error.value, evil)
    assert not marker.exists()
    # weights (and a runner checkpoint's training state) still load through init_detector
    good = tmp_path / 'runner_epoch_1.pth'
    model = _tiny_model()
    torch.save(_training_state(model), good)
    with checkpoint_loading(good):
        loaded = init_detector(copy.deepcopy(cfg), str(good), device='cpu')
    key = 'bbox_head.heatmap_head.2.bias'
    assert torch.equal(loaded.state_dict()[key], model.state_dict()[key])


def test_read_checkpoint_and_load_weights_refuse_code_in_one_line(evil, evil_legacy, marker):
    for path in (evil, evil_legacy):
        for load in (lambda: read_checkpoint(path), lambda: load_weights(torch.nn.Linear(2, 1), path)):
            with pytest.raises(UnsafeCheckpointError) as error:
                load()
            _one_line_naming(error.value, path)
            assert isinstance(error.value, ValueError) and isinstance(error.value, CheckpointError)
    assert not marker.exists()


def test_load_weights_reads_runner_checkpoints_and_refuses_other_models(tmp_path):
    model = _tiny_model()
    path = tmp_path / 'epoch_1.pth'
    torch.save(_training_state(model), path)
    target = _tiny_model()
    checkpoint = load_weights(target, path)
    assert checkpoint['meta']['hook_msgs']['best_score'] == 0.75
    for key, value in model.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
    assert _project_safe_globals() == []
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'image_encoder.x': torch.zeros(3)}), other)
    with pytest.raises(CheckpointError, match=r'does not fit the model: none of its 1 weights'):
        load_weights(_tiny_model(), other)
    reshaped = dict(model.state_dict(), **{'bbox_head.heatmap_head.2.bias': torch.zeros(5)})
    with pytest.raises(CheckpointError, match=r'1 of \d+ shared weights differ in shape, e\.g\. bbox_head'):
        check_weights_fit(model, dict(state_dict=reshaped), 'x.pth')


def test_training_state_loads_only_inside_the_allow_list(tmp_path):
    path = tmp_path / 'iter_2.pth'
    torch.save(_training_state(_tiny_model()), path)
    refused = set(unsafe_globals(path))
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in refused and 'builtins.getattr' in refused
    with pytest.raises(UnsafeCheckpointError, match='refused to unpickle'):
        read_checkpoint(path, training_state=False)
    with training_state_allowed():
        assert unsafe_globals(path) == []
        state = torch.load(path, weights_only=True)
    assert state['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(0.375)
    assert _project_safe_globals() == []


def test_getattr_of_a_training_checkpoint_reaches_nothing_but_history_buffer_statistics(tmp_path, marker):
    from mmengine.logging import HistoryBuffer

    class _Reach:
        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'reach.pth'
    torch.save(dict(x=_Reach()), path)
    with pytest.raises(UnsafeCheckpointError, match=r"refused to unpickle 'builtins.getattr'"):
        read_checkpoint(path)
    names = {entry[1] if isinstance(entry, tuple) else f'{entry.__module__}.{entry.__qualname__}'
             for entry in training_state_globals()}
    assert 'builtins.getattr' in names and not any(name.startswith(('os.', 'posix.', 'subprocess')) for name in names)


@pytest.mark.parametrize('path', PUBLISHED, ids=[p.name for p in PUBLISHED])
def test_published_checkpoints_are_plain_weights(path):
    assert unsafe_globals(path) == []  # nothing beyond torch's own weights-only set, no allow-list needed
    checkpoint = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    assert set(checkpoint) == {'meta', 'state_dict'}


def test_sam_loader_refuses_code_in_one_line(evil, evil_legacy, marker):
    for path in (evil, evil_legacy):
        with pytest.raises(UnsafeCheckpointError) as error:
            load_sam_checkpoint(torch.nn.Module(), str(path))
        _one_line_naming(error.value, path)
    assert not marker.exists()


def test_infer_never_runs_code_of_an_evil_checkpoint(evil, marker, tmp_path):
    infer = _load_module(REPO_ROOT / 'tools' / 'infer.py')
    image = sorted((REPO_ROOT / 'demo').glob('*.png'))[0]
    try:
        status = infer.main([str(image), '--out', str(tmp_path / 'out'), '--config', CENTERNET, '--checkpoint',
                             str(evil)])
    except pickle.UnpicklingError:  # refused, though not yet in one line (see the next test)
        status = None
    assert status != 0
    assert not marker.exists()


def test_infer_refuses_an_evil_checkpoint_in_one_line(evil, marker, tmp_path, capsys):
    infer = _load_module(REPO_ROOT / 'tools' / 'infer.py')
    image = sorted((REPO_ROOT / 'demo').glob('*.png'))[0]
    assert infer.main([str(image), '--out', str(tmp_path / 'out'), '--config', CENTERNET, '--checkpoint',
                       str(evil)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith('error: ') and "refused to unpickle 'posix.system'" in lines[-1]
    assert str(evil) in lines[-1]
    assert not marker.exists()
