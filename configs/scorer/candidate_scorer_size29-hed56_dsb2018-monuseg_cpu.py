# CandidateScorer of configs/centersam/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py: the recipe of
# candidate_scorer_size29_dsb2018-monuseg_cpu.py on that model's candidates (its detector trained 56 epochs with
# HED stain jitter). Dump both first (configs/recipes/README.md):
#   python tools/analysis_tools/dump_candidates.py configs/centersam/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py \
#       NOSCORER.pth --split train --out data/dsb2018/candidates/candidates_train_size29-hed56.npz \
#       --cfg-options test_dataloader.dataset.indices=240
#   ... --out data/monuseg_train/candidates/candidates_train_size29-hed56.npz --cfg-options test_dataloader.dataset.indices=135 \
#       test_dataloader.dataset.data_root=data/monuseg_train/ test_dataloader.dataset.type=MoNuSegDataset
#   python tools/train.py configs/scorer/candidate_scorer_size29-hed56_dsb2018-monuseg_cpu.py
_base_ = ['./candidate_scorer_size29_dsb2018-monuseg_cpu.py']

dsb = dict(_base_.dsb, ann_file='candidates/candidates_train_size29-hed56.npz')
train_dataloader = dict(dataset=dict(datasets=[dsb, dict(dsb, data_root='data/monuseg_train/')]))
