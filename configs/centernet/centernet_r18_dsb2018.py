# DSB2018 with the ResNet-18 detector and the paper's recipe (512x512 crops, batch 32, Adam
# 1.25e-4, 140 epochs, DCN neck). GPU-sized; see `centernet_r18_dsb2018_cpu.py` for 2 CPU cores.
_base_ = [
    '../_base_/models/centernet_r18.py', '../_base_/datasets/dsb2018_detection.py',
    '../_base_/schedules/paper_140e.py', '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=32, num_workers=4)
