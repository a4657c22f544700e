from .skip_ct_resnet_neck import SkipCTResNetNeck

__all__ = ['SkipCTResNetNeck']
