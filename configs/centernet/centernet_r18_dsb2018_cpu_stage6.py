# Stage 6, the last of the CPU recipe for DSB2018 (configs/recipes/README.md): continues stage 5
# (`centernet_r18_dsb2018_cpu_stage5.py`) from its best checkpoint with larger crops. What changes, and why:
#   * crops of 384x384 instead of 320x320 of the 768x768-resized image (1.44x the pixels per step): after
#     stage 5 the detector still underfits (box recall 0.895 on `train`, 0.842 on `val` at score 0.3) and the
#     H&E tissue images (256x320, nuclei up to ~200 px at 768) are the weakest group on both splits (recall
#     0.78 on `train`, 0.68 on `val`, most misses weak peaks): a larger crop holds more whole large nuclei and
#     their context, and truncates fewer boxes at its edges.
#   * Adam restarted at lr 2e-4 with cosine decay over `max_epochs` epochs.
#   python tools/train.py configs/centernet/centernet_r18_dsb2018_cpu_stage6.py \
#       --cfg-options load_from=work_dirs/centernet_r18_dsb2018_cpu_stage5/best_box_best_f1_epoch_35.pth
# Its best val box F1 (epoch 30) is published as checkpoints/centernet_r18-skip_dsb2018_cpu.pth, tested by
# configs/centernet/centernet_r18-skip_dsb2018_cpu.py.
_base_ = ['./centernet_r18_dsb2018_cpu_stage5.py']

load_from = None  # stage 5's best, given on the command line (above)
train_crop_size = (384, 384)
train_pipeline = [dict(t, crop_size=train_crop_size) if t['type'] == 'RandomCrop' else t
                  for t in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

max_epochs = 35
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
