# One CenterSAM for fluorescence, brightfield and H&E (CPU), the built-in default (tools/infer.py, NucleusSegmenter(),
# make demo) until its detector was trained longer (now the base of the -hed56 config): the model of
# centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.py with its detector trained 24 epochs more on DSB 2018
# + the 30 MoNuSeg training images, HED stain jitter on the H&E crops
# (configs/centernet/centernet_r18-skip_size44-hed_24e_dsb2018-monuseg_cpu.py), the same small SAM, and a scorer
# retrained on the pair's candidates (configs/scorer/candidate_scorer_size29-hed_dsb2018-monuseg_cpu.py).
# Recipe: configs/recipes/README.md; figures: docs/benchmarks.md.
#   python tools/test.py configs/centersam/centersam_r18-skip-hed_sam-small-size29_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip-hed_sam-small-size29_dsb2018-monuseg_cpu.pth
_base_ = ['./centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.py']

model = dict(
    # the scale estimate (centersam_mm/models/utils/nucleus_scale.py), chosen on DSB val + the 6 MoNuSeg images:
    # aim at boxes 1.1 x the trained diameter (the detector's boxes run larger than the masks it learnt), iterate
    # until within 5 %, and let the sweep fallback prefer factors near the first guess (weight 0.1 per unit of
    # |log factor ratio|: clumps of nuclei seen at a far smaller factor can score as well as the nuclei)
    test_cfg=dict(scale_gain=1.1, scale_tolerance=1.05, scale_prior_weight=0.1))
