"""Inference speed-ups: BatchNorm folding + channels-last (same features), SAM encoder precision."""
import pytest
import torch
from torch import nn

pytest.importorskip('mmdet')
from mmdet.registry import MODELS  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from centersam_mm.models.segmenters import SAMBoxPromptSegmenter  # noqa: E402
from centersam_mm.models.utils import precision  # noqa: E402
from centersam_mm.models.utils.inference_speedups import speed_up_detector, speed_up_for_inference  # noqa: E402

from _tiny_centernet import tiny_centernet_cfg  # noqa: E402


def _detector() -> nn.Module:
    init_default_scope('mmdet')
    torch.manual_seed(0)
    detector = MODELS.build(tiny_centernet_cfg(base_channels=16))
    for module in detector.modules():  # non-trivial BatchNorm statistics, so folding has something to fold
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return detector.eval()


def _count_bn(module: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in module.modules())


def test_folded_detector_gives_the_same_features():
    detector = _detector()
    fast = speed_up_detector(detector)
    assert fast is not None and fast is not detector
    assert _count_bn(fast.backbone) == 0 and _count_bn(detector.backbone) > 0  # the original is untouched
    conv = next(m for m in fast.backbone.modules() if isinstance(m, nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(1)) * 255  # not the probe's size
    with torch.no_grad():
        before, after = detector.extract_feat(x), fast.extract_feat(x)
    for a, b in zip(after, before):
        torch.testing.assert_close(a.contiguous(), b, rtol=1e-4, atol=1e-4)


class _BNBeforeConv(nn.Module):
    """Registers conv then bn, but normalises the input before the convolution: folding would be wrong."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.bn.running_mean.fill_(0.7)
        self.bn.running_var.fill_(3.0)

    def forward(self, x):
        return (self.conv(self.bn(x)),)


class _Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = _BNBeforeConv()

    def extract_feat(self, x):
        return self.backbone(x)


def test_a_model_folding_would_change_keeps_its_modules():
    detector = _Detector().eval()
    assert speed_up_detector(detector) is None
    composite = nn.Module()
    composite.detector = detector
    assert speed_up_for_inference(composite).detector is detector


def test_composite_model_gets_the_fast_detector_in_place():
    composite = nn.Module()
    composite.detector = _detector()
    out = speed_up_for_inference(composite)
    assert out is composite and _count_bn(out.detector.backbone) == 0


def test_precision_choice(monkeypatch):
    cpu, cuda = torch.device('cpu'), torch.device('cuda')
    assert not precision.uses_bf16('fp32', cpu)
    assert precision.uses_bf16('bf16', cpu)
    assert not precision.uses_bf16('bf16', cuda) and not precision.uses_bf16('auto', cuda)
    monkeypatch.setattr(precision, 'cpu_has_native_bf16', lambda: False)
    assert not precision.uses_bf16('auto', cpu)
    monkeypatch.setattr(precision, 'cpu_has_native_bf16', lambda: True)
    assert precision.uses_bf16('auto', cpu)
    with pytest.raises(ValueError, match='encoder_precision'):
        SAMBoxPromptSegmenter(arch='sam_tiny_test', encoder_precision='fp16')


def test_bf16_encoder_embeddings_are_float32_and_close():
    image = torch.randint(0, 255, (1, 3, 100, 120), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    embeddings = {}
    for precision in ('fp32', 'bf16'):
        torch.manual_seed(0)
        model = SAMBoxPromptSegmenter(arch='sam_tiny_test', encoder_precision=precision).eval()
        embeddings[precision] = model.encode(image).embedding
    assert embeddings['bf16'].dtype == torch.float32
    assert not torch.equal(embeddings['bf16'], embeddings['fp32'])  # it did run in bf16
    scale = float(embeddings['fp32'].abs().max())
    torch.testing.assert_close(embeddings['bf16'], embeddings['fp32'], rtol=0.05, atol=0.03 * scale)


def test_bf16_features_are_float32_close_and_the_method_comes_back():
    detector = _detector()
    inputs = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = detector.extract_feat(inputs)
        with precision.bf16_features(detector):
            features = detector.extract_feat(inputs)
        with precision.bf16_features(detector, enabled=False):
            unchanged = detector.extract_feat(inputs)
    assert 'extract_feat' not in vars(detector)
    for ref, got, same in zip(reference, features, unchanged):
        assert got.dtype == torch.float32 and torch.equal(same, ref)
        assert not torch.equal(got, ref), 'bf16 rounding leaves a trace'
        assert torch.allclose(got, ref, rtol=0.05, atol=0.05 * float(ref.abs().max()))
