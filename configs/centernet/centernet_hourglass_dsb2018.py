# Paper setup (CenterSAM section 2.1) for DSB2018: two-stack hourglass, 512x512 inputs, batch 32,
# Adam 1.25e-4, 140 epochs. Needs a GPU; `centernet_r18_dsb2018_cpu.py` is the CPU recipe.
_base_ = [
    '../_base_/models/centernet_hourglass.py', '../_base_/datasets/dsb2018_detection.py',
    '../_base_/schedules/paper_140e.py', '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=32, num_workers=4)
