# Stage 2 of the small SAM: continues `sam_small_dsb2018_cpu.py` from its published weights
# (checkpoints/sam_small_dsb2018_cpu.pth, step 1,000 = 4.2 epochs of DSB `train`), whose loss was still
# falling when the first run was stopped for time (0.30 at step 400 -> 0.23 at step 1,000).
# What changes: AdamW restarted at lr 3e-4 (the first run's cosine ended near 1e-5), 1,000 more steps.
#   OMP_NUM_THREADS=1 python tools/train.py configs/sam/sam_small_dsb2018_cpu_stage2.py [--resume]
_base_ = ['./sam_small_dsb2018_cpu.py']

load_from = 'checkpoints/sam_small_dsb2018_cpu.pth'  # stage 1, as published
max_iters = 1000
warmup_iters = 50
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [dict(_base_.param_scheduler[0], end=warmup_iters),
                   dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters,
                        T_max=max_iters - warmup_iters)]
