# Paper setup, DSB2018: two-stack hourglass CenterNet (configs/centernet/centernet_hourglass_dsb2018.py)
# + Meta's SAM ViT-H (1024 input, official weights, frozen), full-embedding decoding as SAM does.
# Needs a GPU and the official checkpoint:
#   python tools/download_checkpoint.py sam_vit_h
#   python tools/train.py configs/centersam/centersam_hourglass_sam-vit-h_dsb2018.py   # detector only
_base_ = ['../centernet/centernet_hourglass_dsb2018.py', '../_base_/models/centersam_sam-vit-h.py']

model = dict(_base_.centersam_sam_vit_h, detector=_base_.model, _delete_=True)
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric')
test_evaluator = val_evaluator
# keep the checkpoint of best end-to-end AJI (NucleusInstanceMetric)
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
