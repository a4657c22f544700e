# CandidateScorer of configs/centersam/centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.py: the recipe of
# candidate_scorer_dsb2018-monuseg_cpu.py on that model's candidates (its SAM is trained at one nucleus size).
# Dump both first (configs/recipes/README.md):
#   python tools/analysis_tools/dump_candidates.py configs/centersam/centersam_r18-skip_sam-small-size29_dsb2018-monuseg_cpu.py \
#       NOSCORER.pth --split train --out data/dsb2018/candidates/candidates_train_size29.npz \
#       --cfg-options test_dataloader.dataset.indices=240
#   ... --out data/monuseg_train/candidates/candidates_train_size29.npz --cfg-options test_dataloader.dataset.indices=135 \
#       test_dataloader.dataset.data_root=data/monuseg_train/ test_dataloader.dataset.type=MoNuSegDataset
#   python tools/train.py configs/scorer/candidate_scorer_size29_dsb2018-monuseg_cpu.py
_base_ = ['./candidate_scorer_dsb2018-monuseg_cpu.py']

dsb = dict(type='CandidateDataset', data_root='data/dsb2018/', ann_file='candidates/candidates_train_size29.npz',
           target='iou', pipeline=[])
train_dataloader = dict(dataset=dict(datasets=[dsb, dict(dsb, data_root='data/monuseg_train/')]))
