# Paper setup, TissueNet: two-stack hourglass CenterNet (configs/centernet/centernet_hourglass_tissuenet.py)
# + Meta's SAM ViT-H (official weights, frozen). Needs a GPU and `python tools/download_checkpoint.py sam_vit_h`.
_base_ = ['../centernet/centernet_hourglass_tissuenet.py']

model = dict(
    _delete_=True,
    type='CenterSAM',
    detector={{_base_.model}},
    segmenter=dict(type='SAMBoxPromptSegmenter', arch='vit_h', checkpoint='sam_vit_h',
                   decode_windows=(), chunk_size=64, trainable=()),
    train_cfg=dict(mode='train_detector'),
    test_cfg=dict(prompt='detector', score_thr=0.3, iou_thr=0.0, max_per_img=1000))
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric')
test_evaluator = val_evaluator
# keep the checkpoint of best end-to-end AJI (NucleusInstanceMetric)
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
