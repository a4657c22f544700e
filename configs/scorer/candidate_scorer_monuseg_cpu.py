# CandidateScorer of the H&E (MoNuSeg) CenterSAM model: the DSB recipe (mask-IoU target, 15 epochs) on the
# candidates of MoNuSeg's 45 training crops, dumped by the MoNuSeg model itself:
#   python tools/analysis_tools/dump_candidates.py configs/centersam/centersam_r18_sam-small_monuseg_cpu.py \
#       checkpoints/centersam_r18_sam-small_monuseg_cpu.pth --split train \
#       --out data/monuseg/candidates/candidates_train.npz
#   python tools/train.py configs/scorer/candidate_scorer_monuseg_cpu.py        # seconds on one CPU core
_base_ = ['./candidate_scorer_dsb2018_cpu.py']
train_dataloader = dict(dataset=dict(data_root='data/monuseg/'))
