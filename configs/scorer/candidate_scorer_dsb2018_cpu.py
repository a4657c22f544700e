# CandidateScorer for the default CenterSAM model: an MLP over features of each (box, SAM mask) candidate,
# trained to predict the mask's IoU with its best-matching nucleus (target='iou'; target='label' learns
# "IoU >= 0.5" instead: same val F1 0.877, AJI 0.737 against 0.742, docs/benchmarks.md) on the candidates of
# DSB `train`
# (`tools/analysis_tools/dump_candidates.py ... --split train --out data/dsb2018/candidates/candidates_train.npz`).
# Seconds on one CPU core: 33k candidates, batch 256, 15 epochs.
#   python tools/train.py configs/scorer/candidate_scorer_dsb2018_cpu.py [--resume]
_base_ = ['../_base_/default_runtime.py']

model = dict(type='CandidateScorer', hidden=(64, 64))

train_dataloader = dict(
    batch_size=256, num_workers=0, persistent_workers=False,
    drop_last=True,  # the features' BatchNorm needs 2+ rows; a 1-row last batch would fail
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='CandidateDataset', data_root='data/dsb2018/',
                 ann_file='candidates/candidates_train.npz', target='iou', pipeline=[]))

max_epochs = 15
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, T_max=max_epochs - 1, eta_min=1e-5,
         convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=50))
randomness = dict(seed=0)
