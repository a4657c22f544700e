# CandidateScorer of configs/centersam/centersam_r18-skip-hed56_sam-small-size29_scorer-colour_dsb2018-monuseg_cpu.py (the
# default): the recipe of candidate_scorer_size29-hed56_dsb2018-monuseg_cpu.py with the colour features too (each
# mask's mean colour and its contrast with its ring per RGB channel and in haematoxylin / eosin density:
# COLOUR_FEATURES), on the candidates of all 480 DSB `train` images and all 270 MoNuSeg training crops, dumped with
# the default's model and options (mask threshold -0.25, masks as SAM draws them). Dump both first
# (configs/recipes/README.md):
#   python tools/analysis_tools/dump_candidates.py configs/centersam/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.py \
#       checkpoints/centersam_r18-skip-hed56_sam-small-size29_dsb2018-monuseg_cpu.pth --split train \
#       --out data/dsb2018/candidates/candidates_train_size29-hed56-colour.npz
#   ... --out data/monuseg_train/candidates/candidates_train_size29-hed56-colour.npz \
#       --cfg-options test_dataloader.dataset.data_root=data/monuseg_train/ test_dataloader.dataset.type=MoNuSegDataset
#   python tools/train.py configs/scorer/candidate_scorer_size29-hed56-colour_dsb2018-monuseg_cpu.py
_base_ = ['./candidate_scorer_size29_dsb2018-monuseg_cpu.py']

features = 'base+colour'  # BASE_FEATURES + COLOUR_FEATURES (centersam_mm/models/scorers/candidate_features.py)
model = dict(features=features)
dsb = dict(_base_.dsb, ann_file='candidates/candidates_train_size29-hed56-colour.npz', features=features)
train_dataloader = dict(dataset=dict(datasets=[dsb, dict(dsb, data_root='data/monuseg_train/')]))
