# The built-in default (tools/infer.py, NucleusSegmenter(), make demo) since 2026-12-05: the model and options of
# centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py (same detector, small SAM, scale estimate, mask
# threshold -0.25 and mask cleaning) with a candidate scorer that also reads each mask's colour: its mean colour and
# its contrast with its ring per RGB channel and in haematoxylin / eosin density
# (configs/scorer/candidate_scorer_size29-hed56-colour_dsb2018-monuseg_cpu.py, trained on the candidates of all DSB
# `train` images and all MoNuSeg training crops). Recipe: configs/recipes/README.md; figures: docs/benchmarks.md.
#   python tools/test.py configs/centersam/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.pth
_base_ = ['./centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py']

# Inference options for speed (issue 20; 2026-12-05, chosen on the validation images, docs/benchmarks.md "CPU
# speed"): the scale estimate's detector runs compute backbone + neck in bf16 where the CPU has native bf16
# (probe_precision; the final run stays float32), and its sweep probes the factors above the first guess only
# when none below counted. (scale_check_ratio was measured and left off: it cost the scale-invariance images.)
model = dict(scorer=dict(features='base+colour'),
             test_cfg=dict(probe_precision='auto', scale_sweep_above='if_none_below'))
