"""Evaluation: numpy metrics on label maps (``functional``) and the registered MMEngine metric (``metrics``).

``functional`` and ``label_files`` need only numpy/scipy (and tifffile/Pillow to read files); ``metrics``
needs mmengine and mmdet. Without mmdet installed, the functional part still imports and
``NucleusInstanceMetric`` is simply not registered.
"""
from .functional import aggregate, instance_metrics, instances_to_label_map

__all__ = ['aggregate', 'instance_metrics', 'instances_to_label_map']
try:
    from .metrics import NucleusInstanceMetric
except ModuleNotFoundError as missing:  # only tolerate the optional MMLab/torch stack being absent
    if missing.name is None or missing.name.split('.')[0] not in {'mmdet', 'mmengine', 'mmcv', 'torch'}:
        raise
else:
    __all__.append('NucleusInstanceMetric')
