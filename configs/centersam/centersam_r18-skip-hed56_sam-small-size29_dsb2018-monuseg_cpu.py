# One CenterSAM for fluorescence, brightfield and H&E (CPU), the built-in default (tools/infer.py, NucleusSegmenter(),
# make demo): the model of centersam_r18-skip-hed_sam-small-size29_dsb2018-monuseg_cpu.py with its detector trained
# 32 epochs more on DSB 2018 + the 30 MoNuSeg training images, HED stain jitter on the H&E crops
# (configs/centernet/centernet_r18-skip_size44-hed_56e_dsb2018-monuseg_cpu.py), the same small SAM, the same
# scale-estimate options but scale_gain 1.3, and a scorer retrained on the pair's candidates
# (configs/scorer/candidate_scorer_size29-hed56_dsb2018-monuseg_cpu.py).
# Recipe: configs/recipes/README.md; figures: docs/benchmarks.md.
#   python tools/test.py configs/centersam/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.pth
_base_ = ['./centersam_r18-skip-hed_sam-small-size29_dsb2018-monuseg_cpu.py']

# the estimate aims at boxes 1.3 x the trained diameter (1.1 in the base config), chosen on the validation images
# (DSB val + the 6 MoNuSeg images; docs/benchmarks.md)
# SAM's image encoder in bfloat16 on CPUs with native bf16 instructions (AVX512-BF16 / AMX; fp32 elsewhere):
# 1.5x faster encoder, F1 / AJI within 0.001 of fp32 on DSB val/test and MoNuSeg (docs/benchmarks.md, CPU speed)
# clean_masks: each kept mask reduced to its largest connected component with its holes filled (as Cellpose tidies
# its masks): F1 / AJI +0.003 / +0.001 on DSB val, AJI +0.001 on MoNuSeg, +0.003 on DSB test (docs/benchmarks.md)
# mask_threshold: a pixel belongs to a nucleus where SAM's mask logit exceeds -0.25 (0 before 2026-12-04; this small
# SAM draws masks ~8 % narrower than the annotated ones on H&E): chosen on DSB val + the 6 MoNuSeg images among
# 0, -0.125, -0.25, -0.375, -0.5 (F1 / AJI +0.007 / +0.005 on DSB val, AJI +0.007 on MoNuSeg; docs/benchmarks.md)
model = dict(segmenter=dict(encoder_precision='auto', mask_threshold=-0.25),
             test_cfg=dict(scale_gain=1.3, clean_masks=True))
