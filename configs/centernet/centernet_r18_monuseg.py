# Paper setup for MoNuSeg: ResNet-18 CenterNet (the small H&E set), 512x512 inputs, batch 32,
# Adam 1.25e-4, 140 epochs. GPU-sized; `centernet_r18_monuseg_cpu.py` is the CPU recipe.
_base_ = [
    '../_base_/models/centernet_r18.py', '../_base_/datasets/monuseg_detection.py',
    '../_base_/schedules/paper_140e.py', '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=32, num_workers=4)
