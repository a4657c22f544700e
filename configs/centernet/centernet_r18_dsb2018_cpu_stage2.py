# Stage 2 of the CPU recipe for DSB2018 (configs/recipes/README.md): continues `centernet_r18_dsb2018_cpu.py`
# (stage 1, 50 epochs) from its last epoch, because one CPU hour is far from the paper's 140 epochs.
# What changes, and why:
#   * sampling balanced over image shapes (a proxy for the imaging modality): after stage 1 the
#     detector finds 0.83 of the nuclei (F1) in the 248 small fluorescence images but only 0.53 in
#     the 73 H&E tissue images (320x256) and 0.27 in the twelve 1024x1024 ones (docs/benchmarks.md);
#     `ImageGroupBalancedDataset` repeats rare shapes by sqrt(t / share), as LVIS sampling does;
#   * Adam restarted at lr 5e-4 (half of stage 1) with cosine decay over `max_epochs` epochs.
# Its output, epoch 60, is published as checkpoints/centernet_r18_dsb2018_cpu.pth (stage 3 starts from it).
#   python tools/train.py configs/centernet/centernet_r18_dsb2018_cpu_stage2.py \
#       --cfg-options load_from=work_dirs/centernet_r18_dsb2018_cpu/epoch_50.pth   (stage 1's last epoch)
_base_ = ['./centernet_r18_dsb2018_cpu.py']

load_from = None  # stage 1's output, given on the command line (above)
train_dataloader = dict(
    dataset=dict(_delete_=True, type='ImageGroupBalancedDataset', oversample_thr=0.2,
                 dataset={{_base_.train_dataloader.dataset}}))

max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
