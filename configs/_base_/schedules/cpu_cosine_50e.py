# The CPU recipes' schedule, instead of the paper's (paper_140e.py: Adam 1.25e-4 at batch 32, 140 epochs, steps at
# 90 and 120): a from-scratch run must converge in about an hour on 2 cores, so Adam at lr 1e-3 (batch 16 or
# less), a linear warm-up over 100 iterations and a cosine decay to 1e-5 over `max_epochs` epochs, validating
# every 5. A config with other epochs restates the cosine step:
#     param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
_base_ = './paper_140e.py'
max_epochs = 50
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=16)  # the batch that lr 1e-3 was set for (MMEngine scales lr only if enabled)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
