# The paper's CenterSAM wrapper around a detector: Meta's SAM ViT-H (1024 input, official weights, frozen),
# full-embedding decoding as SAM does, every detector box scoring >= 0.3 prompts it. A config that inherits
# this file and a detector config wraps the detector with
#     model = dict(_base_.centersam_sam_vit_h, detector=_base_.model, _delete_=True)
# (MMEngine forbids a key defined by two bases, so this file names its dict `centersam_sam_vit_h`).
centersam_sam_vit_h = dict(
    type='CenterSAM',
    segmenter=dict(type='SAMBoxPromptSegmenter', arch='vit_h', checkpoint='sam_vit_h',
                   decode_windows=(), chunk_size=64, trainable=()),
    train_cfg=dict(mode='train_detector'),
    test_cfg=dict(prompt='detector', score_thr=0.3, iou_thr=0.0, max_per_img=1000))
