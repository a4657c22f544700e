# CPU recipe for MoNuSeg: the DSB CPU recipe on the 45 training crops (5 images x 9), fine-tuned
# from the DSB CPU detector (`load_from`) rather than from scratch, since 45 crops are too few.
_base_ = ['./centernet_r18_dsb2018_cpu.py', '../_base_/datasets/monuseg_detection.py']
train_dataloader = dict(batch_size=8)
max_epochs = 40
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
optim_wrapper = dict(optimizer=dict(lr=5e-4))
load_from = 'work_dirs/centernet_r18_dsb2018_cpu/best.pth'
