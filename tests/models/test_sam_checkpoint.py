"""Official-format SAM checkpoints: key-for-key round trip, wrong arch and corrupt files refused."""
import pytest
import torch

pytest.importorskip('mmdet')
from segment_anything import sam_model_registry  # noqa: E402

from centersam_mm.models.segmenters import SAMBoxPromptSegmenter  # noqa: E402
from centersam_mm.models.segmenters.sam_checkpoint import load_sam_checkpoint  # noqa: E402
from centersam_mm.utils.checkpoints import CheckpointError  # noqa: E402


def _shapes(state):
    return {k: tuple(v.shape) for k, v in state.items()}


def test_vit_b_state_dict_is_official_key_for_key():
    ours = SAMBoxPromptSegmenter(arch='vit_b').state_dict()
    official = sam_model_registry['vit_b']().state_dict()
    assert _shapes(ours) == _shapes(official)


@pytest.mark.slow
def test_official_vit_b_file_round_trips(tmp_path):
    torch.manual_seed(1)
    official = sam_model_registry['vit_b']()
    path = tmp_path / 'sam_vit_b.pth'
    torch.save(official.state_dict(), path)
    model = SAMBoxPromptSegmenter(arch='vit_b', checkpoint=str(path))
    for key, value in official.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_tiny_round_trip_through_official_layout(tmp_path):
    torch.manual_seed(2)
    src = SAMBoxPromptSegmenter(arch='sam_tiny_test')
    path = tmp_path / 'tiny.pth'
    torch.save(src.state_dict(), path)  # plain dict, keys image_encoder.* ... as Meta's
    dst = SAMBoxPromptSegmenter(arch='sam_tiny_test', checkpoint=str(path))
    for key, value in src.state_dict().items():
        assert torch.equal(dst.state_dict()[key], value), key


def test_wrong_arch_is_refused_with_one_line(tmp_path):
    path = tmp_path / 'small.pth'
    torch.save(SAMBoxPromptSegmenter(arch='sam_small').state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        SAMBoxPromptSegmenter(arch='sam_tiny_test', checkpoint=str(path))
    msg = str(err.value)
    assert '\n' not in msg and "arch 'sam_tiny_test'" in msg and '(= sam_small)' in msg


@pytest.mark.slow
def test_vit_b_file_into_vit_h_is_refused(tmp_path):
    path = tmp_path / 'sam_vit_b.pth'
    torch.save(sam_model_registry['vit_b']().state_dict(), path)
    with pytest.raises(CheckpointError, match=r"does not fit arch 'vit_h'.*\(= vit_b\)"):
        SAMBoxPromptSegmenter(arch='vit_h', checkpoint=str(path))


def test_corrupt_file_is_refused(tmp_path):
    path = tmp_path / 'broken.pth'
    path.write_bytes(b'PK\x03\x04 this is not a checkpoint')
    model = SAMBoxPromptSegmenter(arch='sam_tiny_test')
    with pytest.raises(CheckpointError, match='not a readable PyTorch checkpoint'):
        load_sam_checkpoint(model, str(path))


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / 'tiny.pth'
    torch.save(SAMBoxPromptSegmenter(arch='sam_tiny_test').state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='not a readable PyTorch checkpoint'):
        SAMBoxPromptSegmenter(arch='sam_tiny_test', checkpoint=str(path))


def test_centersam_checkpoint_segmenter_keys_are_read(tmp_path):
    src = SAMBoxPromptSegmenter(arch='sam_tiny_test')
    state = {f'segmenter.{k}': v.half() for k, v in src.state_dict().items()}
    state['detector.backbone.conv1.weight'] = torch.zeros(1)
    path = tmp_path / 'centersam.pth'
    torch.save(dict(meta={}, state_dict=state), path)
    dst = SAMBoxPromptSegmenter(arch='sam_tiny_test', checkpoint=str(path))
    key = 'mask_decoder.iou_token.weight'
    assert torch.allclose(dst.state_dict()[key], src.state_dict()[key].half().float())


def test_training_checkpoint_with_objects_says_publish_first(tmp_path):
    from collections import OrderedDict

    from mmengine.logging import HistoryBuffer
    path = tmp_path / 'iter_10.pth'
    torch.save(dict(state_dict=OrderedDict(), message_hub=dict(log=HistoryBuffer())), path)
    with pytest.raises(CheckpointError, match='publish_checkpoint.py'):
        SAMBoxPromptSegmenter(arch='sam_tiny_test', checkpoint=str(path))
