"""SkipCTResNetNeck: equal to CTResNetNeck at initialisation, skips trainable, shapes as CTResNetNeck."""
import pytest

torch = pytest.importorskip('torch')
pytest.importorskip('mmdet')

from mmdet.models.necks import CTResNetNeck  # noqa: E402

from centersam_mm.models.necks import SkipCTResNetNeck  # noqa: E402

NECK_ARGS = dict(in_channels=64, num_deconv_filters=(32, 16, 8), num_deconv_kernels=(4, 4, 4), use_dcn=False)
SKIP_CHANNELS = (32, 16, 8)  # backbone stages at strides 16, 8, 4


def backbone_maps(batch: int = 2, size: int = 64) -> tuple:
    """Random stand-ins for a ResNet's four stages: strides 4, 8, 16, 32 (B x C x size/s x size/s)."""
    torch.manual_seed(0)
    channels_by_stride = {4: 8, 8: 16, 16: 32, 32: 64}
    return tuple(torch.randn(batch, c, size // s, size // s) for s, c in channels_by_stride.items())


def test_equals_plain_neck_with_the_same_weights_at_initialisation():
    plain, skip = CTResNetNeck(**NECK_ARGS), SkipCTResNetNeck(skip_in_channels=SKIP_CHANNELS, **NECK_ARGS)
    plain.init_weights()
    skip.init_weights()  # CTResNetNeck resets every Conv2d: the skips must come back to zero
    missing, unexpected = skip.load_state_dict(plain.state_dict(), strict=False)
    assert unexpected == [] and all(key.startswith('skip_projections') for key in missing) and len(missing) == 6
    plain.eval(), skip.eval()
    x = backbone_maps()
    with torch.no_grad():
        (expected,), (got,) = plain(x), skip(x)
    assert got.shape == expected.shape == (2, 8, 16, 16)  # stride 4 of a 64-px input
    assert torch.equal(got, expected)


def test_skips_change_the_output_and_receive_gradients():
    neck = SkipCTResNetNeck(skip_in_channels=SKIP_CHANNELS, **NECK_ARGS)
    x = backbone_maps()
    (out,) = neck(x)
    out.square().mean().backward()
    assert all(p.weight.grad.abs().sum() > 0 for p in neck.skip_projections)
    with torch.no_grad():
        neck.skip_projections[2].bias.fill_(1.0)  # the stride-4 skip adds 1 to every output value
        (shifted,) = neck(x)
    assert torch.allclose(shifted - out.detach(), torch.ones_like(out))


def test_mismatched_channels_and_missing_stages_are_refused():
    with pytest.raises(ValueError, match='3 deconv stages need as many skip_in_channels'):
        SkipCTResNetNeck(skip_in_channels=(32, 16), **NECK_ARGS)
    neck = SkipCTResNetNeck(skip_in_channels=SKIP_CHANNELS, **NECK_ARGS)
    with pytest.raises(ValueError, match='needs every backbone stage'):
        neck(backbone_maps()[-1:])
