"""The folded relative-position attention equals Meta's, values and gradients, and keeps its parameters."""
import pytest
import torch

from centersam_mm.models.segmenters.rel_pos_attention import (Attention, FoldedRelPosAttention, _one_hot_keys,
                                                              fold_rel_pos)
from centersam_mm.models.segmenters.sam_archs import build_image_encoder, get_arch


def _pair(height, width, dim=32, heads=4):
    torch.manual_seed(0)
    meta = Attention(dim, heads, qkv_bias=True, use_rel_pos=True, input_size=(height, width))
    with torch.no_grad():  # zero-initialised by default: give the relative terms something to do
        meta.rel_pos_h.normal_()
        meta.rel_pos_w.normal_()
    folded = Attention(dim, heads, qkv_bias=True, use_rel_pos=True, input_size=(height, width))
    folded.load_state_dict(meta.state_dict())
    return meta, fold_rel_pos(folded)


def test_one_hot_keys_by_hand():
    # keys of a 2 x 3 grid, row-major: (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) -> [e_row, e_col]
    expected = torch.tensor([[1, 0, 1, 0, 0], [1, 0, 0, 1, 0], [1, 0, 0, 0, 1],
                             [0, 1, 1, 0, 0], [0, 1, 0, 1, 0], [0, 1, 0, 0, 1]], dtype=torch.float32)
    assert torch.equal(_one_hot_keys(2, 3, torch.float32, torch.device('cpu')), expected)


@pytest.mark.parametrize('height, width', [(16, 16), (5, 9)])
def test_folded_equals_meta_forward_and_backward(height, width):
    meta, folded = _pair(height, width)
    assert type(folded) is FoldedRelPosAttention
    x = torch.randn(2, height, width, 32)
    x_meta, x_folded = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_meta, out_folded = meta(x_meta), folded(x_folded)
    # the relative terms matter here (so a wrong fold could not pass unseen)
    with torch.no_grad():
        plain = Attention(32, 4, qkv_bias=True, use_rel_pos=False)
        plain.qkv.load_state_dict(meta.qkv.state_dict())
        plain.proj.load_state_dict(meta.proj.state_dict())
        assert (plain(x) - out_meta).abs().max() > 0.1
    torch.testing.assert_close(out_folded, out_meta, atol=1e-5, rtol=1e-5)
    grad = torch.randn_like(out_meta)
    out_meta.backward(grad)
    out_folded.backward(grad)
    torch.testing.assert_close(x_folded.grad, x_meta.grad, atol=1e-5, rtol=1e-4)
    for (name, p_meta), p_folded in zip(meta.named_parameters(), folded.parameters()):
        torch.testing.assert_close(p_folded.grad, p_meta.grad, atol=1e-4, rtol=1e-4, msg=name)


def test_encoder_built_folded_with_meta_parameter_names():
    encoder = build_image_encoder(get_arch('sam_tiny_test'))
    attns = [m for m in encoder.modules() if isinstance(m, Attention)]
    assert attns and all(type(m) is FoldedRelPosAttention for m in attns)
    names = {k for k in encoder.state_dict() if '.attn.' in k}
    assert {'blocks.0.attn.qkv.weight', 'blocks.0.attn.rel_pos_h', 'blocks.0.attn.rel_pos_w',
            'blocks.0.attn.proj.bias'} <= names


def test_unfold_restores_meta_forward():
    meta, folded = _pair(4, 4)
    fold_rel_pos(folded, fold=False)
    assert type(folded) is Attention
    x = torch.randn(1, 4, 4, 32)
    assert torch.equal(folded(x), meta(x))
