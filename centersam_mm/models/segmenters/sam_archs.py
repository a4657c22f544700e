"""SAM architectures: Meta's three official ones and our small CPU variant.

Every arch is composed exactly like ``segment_anything/build_sam.py`` from the
official modules (``ImageEncoderViT``, ``PromptEncoder``, ``MaskDecoder``,
``TwoWayTransformer``), so the parameter names and shapes of ``vit_h``,
``vit_l`` and ``vit_b`` are those of Meta's checkpoints.
"""
from dataclasses import dataclass, field
from functools import partial
from typing import Dict, Tuple

import torch
from torch import nn

from .rel_pos_attention import fold_rel_pos
from .sam_modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, TwoWayTransformer


@dataclass(frozen=True)
class SAMArch:
    """Hyper-parameters of one SAM architecture.

    ``img_size`` is the square (padded) encoder input; the image embedding is
    ``img_size // patch_size`` tokens a side and ``prompt_embed_dim`` channels;
    low-res masks are 4x the embedding grid (stride ``patch_size / 4`` pixels).
    """

    encoder_embed_dim: int
    encoder_depth: int
    encoder_num_heads: int
    encoder_global_attn_indexes: Tuple[int, ...]
    img_size: int = 1024
    patch_size: int = 16
    window_size: int = 14
    prompt_embed_dim: int = 256
    decoder_mlp_dim: int = 2048
    decoder_num_heads: int = 8
    iou_head_hidden_dim: int = 256
    mask_in_chans: int = 16
    pe_scale: float = 1.0
    pixel_mean: Tuple[float, float, float] = (123.675, 116.28, 103.53)
    pixel_std: Tuple[float, float, float] = (58.395, 57.12, 57.375)
    extra: Dict[str, int] = field(default_factory=dict)

    @property
    def embedding_size(self) -> int:
        """Side of the square image embedding, in tokens."""
        return self.img_size // self.patch_size


SAM_ARCHS: Dict[str, SAMArch] = {
    # Official (segment_anything/build_sam.py).
    'vit_h': SAMArch(1280, 32, 16, (7, 15, 23, 31)),
    'vit_l': SAMArch(1024, 24, 16, (5, 11, 17, 23)),
    'vit_b': SAMArch(768, 12, 12, (2, 5, 8, 11)),
    # Ours: trains from scratch on a CPU. 512 input, patch 8 -> the same
    # 64x64 embedding grid as SAM; 4 window-attention blocks (16x16 tokens,
    # 128 px receptive field, enough for nuclei); no global block (it alone
    # costs 3x the other four on 4096 tokens).
    # pe_scale 8: random Fourier features 8x finer than SAM's, so the box-corner / token
    # position kernel is ~10 px wide at 512 input instead of ~80 px (nuclei are 10-80 px).
    'sam_small': SAMArch(128, 4, 4, (), img_size=512, patch_size=8, window_size=16,
                         prompt_embed_dim=128, decoder_mlp_dim=512, decoder_num_heads=4,
                         iou_head_hidden_dim=128, pe_scale=8.0),
    # Unit tests only: a few thousand parameters.
    'sam_tiny_test': SAMArch(32, 2, 2, (1,), img_size=128, patch_size=8, window_size=8,
                             prompt_embed_dim=32, decoder_mlp_dim=64, decoder_num_heads=2,
                             iou_head_hidden_dim=32, mask_in_chans=8),
}


def get_arch(name: str) -> SAMArch:
    """Look up an architecture by name; raise a one-line KeyError listing the known ones."""
    if name not in SAM_ARCHS:
        raise KeyError(f"unknown SAM arch '{name}'; known: {', '.join(SAM_ARCHS)}")
    return SAM_ARCHS[name]


def build_image_encoder(arch: SAMArch) -> ImageEncoderViT:
    """ViT image encoder: B×3×S×S normalised image -> B×C×(S/p)×(S/p) embedding.

    Its attention modules run on a CPU with the relative-position terms folded into the query-key product
    (:mod:`.rel_pos_attention`: the same parameters and outputs up to float rounding, faster).
    """
    return fold_rel_pos(ImageEncoderViT(
        depth=arch.encoder_depth,
        embed_dim=arch.encoder_embed_dim,
        img_size=arch.img_size,
        mlp_ratio=4,
        norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
        num_heads=arch.encoder_num_heads,
        patch_size=arch.patch_size,
        qkv_bias=True,
        use_rel_pos=True,
        global_attn_indexes=arch.encoder_global_attn_indexes,
        window_size=arch.window_size,
        out_chans=arch.prompt_embed_dim,
    ))


def build_prompt_encoder(arch: SAMArch) -> PromptEncoder:
    """Prompt encoder: boxes XYXY in encoder-input pixels -> N×2×C corner tokens."""
    grid = arch.embedding_size
    encoder = PromptEncoder(
        embed_dim=arch.prompt_embed_dim,
        image_embedding_size=(grid, grid),
        input_image_size=(arch.img_size, arch.img_size),
        mask_in_chans=arch.mask_in_chans,
    )
    if arch.pe_scale != 1.0:  # PositionEmbeddingRandom(scale=...); a buffer, saved with the weights
        encoder.pe_layer.positional_encoding_gaussian_matrix.mul_(arch.pe_scale)
    return encoder


def build_mask_decoder(arch: SAMArch) -> MaskDecoder:
    """Two-layer two-way transformer mask decoder (3 multimask outputs + 1 single)."""
    return MaskDecoder(
        num_multimask_outputs=3,
        transformer=TwoWayTransformer(
            depth=2,
            embedding_dim=arch.prompt_embed_dim,
            mlp_dim=arch.decoder_mlp_dim,
            num_heads=arch.decoder_num_heads,
        ),
        transformer_dim=arch.prompt_embed_dim,
        iou_head_depth=3,
        iou_head_hidden_dim=arch.iou_head_hidden_dim,
    )


def build_sam_parts(arch: SAMArch) -> Tuple[nn.Module, nn.Module, nn.Module]:
    """(image_encoder, prompt_encoder, mask_decoder) as in ``build_sam._build_sam``."""
    return build_image_encoder(arch), build_prompt_encoder(arch), build_mask_decoder(arch)
