# Default CenterSAM model (CPU): the ResNet-18 CenterNet with a skip-connected neck of
# configs/centernet/centernet_r18-skip_dsb2018_cpu.py (trained by centernet_r18_dsb2018_cpu.py, then _stage2.py
# _stage3.py to _stage6.py; tested at 768x768) finds nuclei, each box (score >= 0.1) prompts the small SAM of
# configs/sam/sam_small_dsb2018_cpu.py, the CandidateScorer of configs/scorer/candidate_scorer_dsb2018_cpu.py
# rates each (box, mask) pair (its estimate of the mask's IoU with a nucleus), masks rated >= scorer_thr are kept
# (then mask NMS), at original resolution, and scored by NucleusInstanceMetric (F1@0.5, AJI, ...).
#   test:   python tools/test.py configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py \
#               checkpoints/centersam_r18_sam-small_dsb2018_cpu.pth
#   oracle: ... --cfg-options model.test_cfg.prompt=oracle   (ground-truth boxes as prompts)
#   no scorer (the fixed rule of the stage-6 model): ... --cfg-options model.scorer=None model.test_cfg.score_thr=0.25
#           model.test_cfg.iou_thr=0.65
#   train:  python tools/train.py <this config>   (trains the detector, SAM frozen; set
#           model.segmenter.checkpoint to the published segmenter first)
_base_ = ['../centernet/centernet_r18-skip_dsb2018_cpu.py']

# Scale-aware test pipeline: the dataset's without its fixed-size Resize; the model resizes each image so its nuclei
# reach the diameter it was trained at (test_cfg.diameter, below). The loaded image travels in the sample (ori_img).
test_pipeline = [step for step in _base_.test_pipeline if step['type'] != 'Resize']
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

model = dict(
    _delete_=True,
    type='CenterSAM',
    detector={{_base_.model}},
    segmenter=dict(
        type='SAMBoxPromptSegmenter', arch='sam_small', box_mask_prompt=True,
        checkpoint=None,  # weights come with the combined CenterSAM checkpoint (segmenter.*)
        decode_windows=(16, 32), chunk_size=64),
    # rescores every (box, mask) candidate (configs/scorer/candidate_scorer_dsb2018_cpu.py); weights come with
    # the combined checkpoint (scorer.*)
    scorer=dict(type='CandidateScorer', hidden=(64, 64)),
    train_cfg=dict(mode='train_detector'),
    # every box with detector score >= 0.1 prompts SAM; the scorer's estimated mask IoU decides (scorer_thr), then
    # mask NMS; scorer_thr and mask_nms_thr chosen on DSB val (docs/benchmarks.md, 'the scorer learns the mask's IoU')
    # nucleus size at training (tools/analysis_tools/nucleus_size.py on the train split; docs/benchmarks.md):
    # diameter at the detector's input (images resized to 768x768), at SAM's (longest side 512), in the images' own
    # pixels (prior_diameter: the estimate's first guess); scale='auto' estimates each image's factor
    test_cfg=dict(prompt='detector', score_thr=0.1, iou_thr=0.0, scorer_thr=0.4, max_per_img=1000,
                  mask_nms_thr=0.5, scale='auto', diameter=44.2, sam_diameter=28.8,
                  prior_diameter=18.1))

# score_thr 0: the model has already thresholded (prompt score, scorer_thr), so tools/test.py and tools/infer.py
# (which reads this setting, else falls back to 0.3) count the same nuclei, also with `model.scorer=None` overrides
val_evaluator = dict(_delete_=True, type='NucleusInstanceMetric', score_thr=0.0)
test_evaluator = val_evaluator
# keep the checkpoint of best end-to-end AJI (NucleusInstanceMetric)
default_hooks = dict(checkpoint=dict(save_best='nucleus/aji', rule='greater'))
