# CandidateScorer of the one-model CenterSAM (configs/centersam/centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.py):
# the default scorer's recipe on that model's candidates of DSB `train` and of the 30 MoNuSeg training images,
# with the area feature measured at the detector's input (area_at_input). Dump both first:
#   python tools/analysis_tools/dump_candidates.py configs/centersam/centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip_sam-small_dsb2018-monuseg_cpu.pth --split train \
#       --out data/dsb2018/candidates/candidates_train_one.npz
#   ... --cfg-options test_dataloader.dataset.data_root=data/monuseg_train/ test_dataloader.dataset.type=MoNuSegDataset \
#       --out data/monuseg_train/candidates/candidates_train_one.npz
#   python tools/train.py configs/scorer/candidate_scorer_dsb2018-monuseg_cpu.py
_base_ = ['./candidate_scorer_dsb2018_cpu.py']

model = dict(area_at_input=True)
dsb = dict(type='CandidateDataset', data_root='data/dsb2018/', ann_file='candidates/candidates_train_one.npz',
           target='iou', pipeline=[])
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    dsb, dict(dsb, data_root='data/monuseg_train/')]))
