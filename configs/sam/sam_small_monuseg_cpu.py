# Fine-tune the DSB-trained small SAM on MoNuSeg H&E (45 training crops of 5 images; the 9 crops of
# TCGA-AC-A2FO-01A-01-TS1 are val), one CPU core, 200 steps from checkpoints/sam_small_dsb2018_cpu.pth.
#   OMP_NUM_THREADS=1 python tools/train.py configs/sam/sam_small_monuseg_cpu.py
_base_ = ['./sam_small_dsb2018_cpu.py']
dataset_type = 'MoNuSegDataset'
data_root = 'data/monuseg/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
# MoNuSeg's 6 images: one held out (val), no test split
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/instances_val.json'))
load_from = 'checkpoints/sam_small_dsb2018_cpu.pth'
max_iters = 200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=max_iters, T_max=max_iters - 20, eta_min=1e-5),
]
