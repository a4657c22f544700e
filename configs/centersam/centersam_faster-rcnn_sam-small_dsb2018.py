# Mixing: a stock MMDetection Faster R-CNN (R-50-FPN, one class, no ImageNet weights) prompts the
# small SAM. Any MMDetection detector config works the same way as `model.detector`.
#   python tools/train.py configs/centersam/centersam_faster-rcnn_sam-small_dsb2018.py   # detector only
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/dsb2018_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]

detector = _base_.model
detector.backbone.init_cfg = None  # from scratch: nothing is downloaded
detector.roi_head.bbox_head.num_classes = 1
detector.rpn_head.anchor_generator.scales = [2, 4]  # nuclei are 10-40 px at 512x512
detector.test_cfg.rpn.nms_pre = 2000
detector.test_cfg.rpn.max_per_img = 2000
detector.test_cfg.rcnn.max_per_img = 1000
model = dict(
    _delete_=True,
    type='CenterSAM',
    detector=detector,
    segmenter=dict(type='SAMBoxPromptSegmenter', arch='sam_small', box_mask_prompt=True,
                   checkpoint='checkpoints/sam_small_dsb2018_cpu.pth', decode_windows=(16, 32)),
    train_cfg=dict(mode='train_detector'),
    test_cfg=dict(prompt='detector', score_thr=0.5, iou_thr=0.0, max_per_img=1000))
del detector
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric')
test_evaluator = val_evaluator
# keep the checkpoint of best end-to-end AJI (NucleusInstanceMetric)
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
