# One CenterSAM for fluorescence, brightfield and H&E (CPU), both networks trained at one nucleus size on DSB 2018
# + the 30 MoNuSeg training images: the detector of centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.py
# (configs/centernet/centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu.py, nuclei at 44.2 px), the small SAM of
# configs/sam/sam_small_size29_dsb2018-monuseg_cpu.py (nuclei at 28.8 px at its input, boxes of up to 6 tokens
# decoded on 8x8-token windows) and a CandidateScorer trained on this model's candidates of both training sets
# (configs/scorer/candidate_scorer_size29_dsb2018-monuseg_cpu.py). The built-in default (tools/infer.py,
# NucleusSegmenter(), make demo) until 2026-12-01 (now the base of the -hed one). Recipe: configs/recipes/README.md.
# A size regressor (model.size_regressor=dict(type='NucleusSizeRegressor', in_channels=128), fitted by
# tools/analysis_tools/fit_size_regressor.py) makes the scale estimate 25 % faster here but cost 0.012 F1 on DSB
# test (docs/benchmarks.md): not used.
#   python tools/test.py configs/centersam/centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.pth
_base_ = ['./centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.py']

model = dict(
    segmenter=dict(decode_windows=(8, 16, 32)),
    # pixel_size: µm per pixel at the detector's input for H&E: MoNuSeg's nuclei (median 22.5 px at 0.25 µm/px,
    # 5.6 µm) reach 44.2 px at 0.25 * 22.49 / 44.2 = 0.127 µm/px; so `--pixel-size 0.25` (40x) gives factor 1.97
    # test_cfg.scale_gain (the estimate aims at boxes gain x the trained diameter) stays 1: 1.2, chosen on DSB val +
    # the 6 MoNuSeg images, lost 0.03 F1 on DSB test (docs/benchmarks.md)
    test_cfg=dict(pixel_size=0.127))
