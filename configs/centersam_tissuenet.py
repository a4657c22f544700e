# CenterSAM on TissueNet (CPU): trains the detector (the light two-stack hourglass CenterNet of
# configs/centernet/centernet_hourglass-small_tissuenet_cpu.py) with SAM frozen, and validates end
# to end (detector boxes -> SAM masks) with NucleusInstanceMetric.
#   python tools/dataset_converters/convert_dataset.py tissuenet <dir with tissuenet_v1.*.npz> data/tissuenet
#   python tools/train.py configs/centersam_tissuenet.py
# The segmenter is the small SAM trained on DSB 2018 (checkpoints/sam_small_dsb2018_cpu.pth);
# for Meta's ViT-H use configs/centersam/centersam_hourglass_sam-vit-h_tissuenet.py.
_base_ = ['./centernet/centernet_hourglass-small_tissuenet_cpu.py']

sam_checkpoint = 'checkpoints/sam_small_dsb2018_cpu.pth'
model = dict(
    _delete_=True,
    type='CenterSAM',
    detector={{_base_.model}},
    segmenter=dict(type='SAMBoxPromptSegmenter', arch='sam_small', box_mask_prompt=True,
                   checkpoint=sam_checkpoint,
                   decode_windows=(16, 32), chunk_size=64, trainable=()),
    train_cfg=dict(mode='train_detector'),
    test_cfg=dict(prompt='detector', score_thr=0.3, iou_thr=0.0, max_per_img=1000))
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric')
test_evaluator = val_evaluator
# the box-F1 checkpoint rule of the detector config does not apply: keep the best AJI
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
