# Paper setup, TissueNet: two-stack hourglass CenterNet (configs/centernet/centernet_hourglass_tissuenet.py)
# + Meta's SAM ViT-H (official weights, frozen). Needs a GPU and `python tools/download_checkpoint.py sam_vit_h`.
_base_ = ['../centernet/centernet_hourglass_tissuenet.py', '../_base_/models/centersam_sam-vit-h.py']

model = dict(_base_.centersam_sam_vit_h, detector=_base_.model, _delete_=True)
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric')
test_evaluator = val_evaluator
# keep the checkpoint of best end-to-end AJI (NucleusInstanceMetric)
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
