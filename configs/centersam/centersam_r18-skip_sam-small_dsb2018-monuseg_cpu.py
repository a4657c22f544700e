# One CenterSAM for fluorescence, brightfield and H&E (CPU): the detector of
# configs/centernet/centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu.py (DSB 2018 + MoNuSeg, every image at one
# nucleus size: 44.2 px), the small SAM of the DSB default, and a CandidateScorer trained on this model's candidates
# of both training sets (configs/scorer/candidate_scorer_dsb2018-monuseg_cpu.py; areas measured at the detector's
# input). Test images are resized by their own factor (given, or estimated from the image), as the detector saw
# its training images.
#   python tools/test.py configs/centersam/centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.pth
_base_ = ['./centersam_r18_sam-small_dsb2018_cpu.py']

model = dict(
    scorer=dict(type='CandidateScorer', hidden=(64, 64), area_at_input=True),
    # diameter: the training size of the detector (NucleusSizeResize); sam_diameter: the small SAM's (DSB train,
    # longest side 512); prior_diameter: DSB train's median, the estimate's first guess
    test_cfg=dict(diameter=44.2, sam_diameter=28.8, prior_diameter=18.1))
