"""CenterNet's ResNet neck with U-Net style skip connections from the backbone.

MMDetection's ``CTResNetNeck`` upsamples only the last backbone stage (stride 32) back to stride 4
through three (conv, deconv) stages, so every heatmap peak of a small nucleus (8-15 px in the DSB
tissue images) must be recovered from a 32-px grid. This neck adds, after each deconv stage, a
1x1 projection of the backbone stage of the same stride (16, 8, 4): the skip connections of
U-Net and of CenterNet's DLA-34 variant, at the cost of three 1x1 convolutions.

The projections start at zero, so a freshly built ``SkipCTResNetNeck`` computes exactly what a
``CTResNetNeck`` with the same weights computes: a detector trained with the plain neck can be
loaded (``load_from``) and fine-tuned with skips without losing what it learned.
"""
from typing import Sequence, Tuple

from mmdet.models.necks import CTResNetNeck
from mmdet.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class SkipCTResNetNeck(CTResNetNeck):
    """``CTResNetNeck`` plus zero-initialised 1x1 skip projections from the backbone.

    Args:
        skip_in_channels (Sequence[int]): channels of the backbone stages at strides 16, 8 and 4
            (in that order, one per deconv stage), e.g. ``(128, 64, 32)`` for a half-width
            ResNet-18 (``base_channels=32``) or ``(256, 128, 64)`` for the full width.
        **kwargs: as :class:`mmdet.models.necks.CTResNetNeck` (``in_channels``,
            ``num_deconv_filters``, ``num_deconv_kernels``, ``use_dcn``).

    The backbone must return every stage (ResNet's default ``out_indices=(0, 1, 2, 3)``):
    inputs ``x[-1]`` (B x C x H/32 x W/32) ... ``x[-4]`` (B x C x H/4 x W/4); output one
    B x num_deconv_filters[-1] x H/4 x W/4 map, as ``CTResNetNeck``.
    """

    def __init__(self, skip_in_channels: Sequence[int], **kwargs) -> None:
        super().__init__(**kwargs)
        filters = kwargs['num_deconv_filters']
        if len(skip_in_channels) != len(filters):
            raise ValueError(f'SkipCTResNetNeck: {len(filters)} deconv stages need as many '
                             f'skip_in_channels, got {tuple(skip_in_channels)}')
        self.skip_projections = nn.ModuleList(
            nn.Conv2d(c_in, c_out, kernel_size=1) for c_in, c_out in zip(skip_in_channels, filters))
        self._zero_skips()

    def _zero_skips(self) -> None:
        for projection in self.skip_projections:
            nn.init.zeros_(projection.weight)
            nn.init.zeros_(projection.bias)

    def init_weights(self) -> None:
        """``CTResNetNeck``'s initialisation (which resets every Conv2d), then zero skips."""
        super().init_weights()
        self._zero_skips()

    def forward(self, x: Sequence[Tensor]) -> Tuple[Tensor]:
        """Upsample ``x[-1]`` stage by stage, adding the projected backbone map of each stride."""
        if not isinstance(x, (list, tuple)) or len(x) < len(self.skip_projections) + 1:
            raise ValueError('SkipCTResNetNeck needs every backbone stage (out_indices=(0, 1, 2, 3)), '
                             f'got {len(x) if isinstance(x, (list, tuple)) else type(x).__name__}')
        out = x[-1]
        stages = [self.deconv_layers[i:i + 2] for i in range(0, len(self.deconv_layers), 2)]
        for i, (stage, projection) in enumerate(zip(stages, self.skip_projections)):
            skip = x[-2 - i]
            out = stage(out)
            out = out + projection(skip).to(out.dtype)
        return out,
