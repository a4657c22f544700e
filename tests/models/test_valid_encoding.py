"""SAM's image encoder run on the attention windows that hold the image equals the whole input's."""
from functools import partial

import numpy as np
import pytest
import torch

pytest.importorskip('segment_anything')
from centersam_mm.models.segmenters import SAMBoxPromptSegmenter  # noqa: E402
from centersam_mm.models.segmenters.sam_modeling import modeling  # noqa: E402
from centersam_mm.models.segmenters.valid_encoding import ValidRegionEncoder, windowed_only  # noqa: E402


def _encoder(global_attn=()):
    torch.manual_seed(0)
    return modeling.ImageEncoderViT(img_size=128, patch_size=8, embed_dim=32, depth=2, num_heads=2, mlp_ratio=2,
                                    out_chans=16, qkv_bias=True, use_rel_pos=True, window_size=4,
                                    global_attn_indexes=global_attn,
                                    norm_layer=partial(torch.nn.LayerNorm, eps=1e-6)).eval()


def _input(h, w):
    """A 1 x 3 x 128 x 128 input holding an image in its top-left h x w, zero elsewhere (as SAM pads)."""
    x = torch.zeros(1, 3, 128, 128)
    x[..., :h, :w] = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(h * 1000 + w))
    return x


def test_windowed_only_finds_the_window_or_a_global_block():
    assert windowed_only(_encoder()) == 4
    assert windowed_only(_encoder(global_attn=(1,))) is None


@pytest.mark.parametrize('hw', [(1, 1), (20, 90), (32, 32), (33, 128), (127, 5), (128, 128)])
def test_valid_region_encoding_equals_the_whole_input(hw):
    """Windows of 4 tokens x 8 px = 32 px: a 20 x 90 image is computed on 32 x 96 pixels (3 of 16 windows),
    the rest taken from the blank input's features; the embedding is the whole input's."""
    encoder = _encoder()
    x = _input(*hw)
    with torch.no_grad():
        assert torch.allclose(ValidRegionEncoder(encoder).encode(x, hw), encoder(x), atol=1e-5, rtol=1e-5)


def test_blank_features_follow_the_weights_and_global_attention_runs_whole():
    encoder = _encoder()
    valid = ValidRegionEncoder(encoder)
    x = _input(40, 50)
    with torch.no_grad():
        valid.encode(x, (40, 50))
        encoder.pos_embed.add_(0.5)  # new weights in place (as load_state_dict): the cached blank is stale
        assert torch.allclose(valid.encode(x, (40, 50)), encoder(x), atol=1e-5, rtol=1e-5)
        whole = _encoder(global_attn=(1,))
        assert torch.equal(ValidRegionEncoder(whole).encode(x, (40, 50)), whole(x))


def test_segmenter_encodes_the_valid_region_as_the_whole_input():
    """The small SAM (windowed attention only, random weights): ``encode`` of a small image equals its encoder
    on the padded input, in fp32 and under bf16 autocast (within bf16 rounding)."""
    torch.manual_seed(0)
    sam = SAMBoxPromptSegmenter(arch='sam_small').eval()
    assert windowed_only(sam.image_encoder) == 16
    image = np.random.default_rng(0).integers(0, 255, (150, 90, 3), dtype=np.uint8)
    x, in_hw, _ = sam.prepare_image(image, 1.5)
    with torch.no_grad():
        whole = sam.image_encoder(x)
    assert in_hw == (225, 135)
    assert torch.allclose(sam.encode(image, 1.5).embedding, whole, atol=1e-5, rtol=1e-4)
    sam.encoder_precision = 'bf16'
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        whole_bf16 = sam.image_encoder(x).float()
    assert torch.allclose(sam.encode(image, 1.5).embedding, whole_bf16, atol=1e-2, rtol=1e-2)
