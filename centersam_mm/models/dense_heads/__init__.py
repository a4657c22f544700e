from .multi_stack_centernet_head import MultiStackCenterNetHead
from .nucleus_centernet_head import NucleusCenterNetHead

__all__ = ['NucleusCenterNetHead', 'MultiStackCenterNetHead']
