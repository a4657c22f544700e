# Stage 5 of the CPU recipe for DSB2018 (configs/recipes/README.md): continues stage 4
# (`centernet_r18_dsb2018_cpu_stage4.py`) from its best checkpoint at a larger image scale. What changes, and why:
#   * images resized to 768x768 instead of 512x512 (crops of 320x320 instead of 256x256): after stage 4 the
#     detector underfits rather than overfits (box F1 0.877 on `train` vs 0.858 on `val`), and most misses are
#     small touching nuclei (median 15-23 px in the original image) that the stride-4 heatmap resolves poorly.
#     At 768 a nucleus spans 1.5x more heatmap cells; tests run at 768 too (2.25x the detector's pixels).
#   * Adam restarted at lr 3e-4 with cosine decay over `max_epochs` epochs (as stage 4).
#   python tools/train.py configs/centernet/centernet_r18_dsb2018_cpu_stage5.py \
#       --cfg-options load_from=work_dirs/centernet_r18_dsb2018_cpu_stage4/best_box_best_f1_epoch_55.pth
# Stage 6 continues from its best val box F1 (epoch 35).
_base_ = ['./centernet_r18_dsb2018_cpu_stage4.py']

load_from = None  # stage 4's best, given on the command line (above)
image_size = (768, 768)
train_crop_size = (320, 320)
# the stage-1 pipelines with the new sizes (MMEngine's `_base_.<name>` references)
train_pipeline = [dict(t, scale=image_size) if t['type'] == 'Resize' else
                  dict(t, crop_size=train_crop_size) if t['type'] == 'RandomCrop' else t
                  for t in _base_.train_pipeline]
test_pipeline = [dict(t, scale=image_size) if t['type'] == 'Resize' else t for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
# the inherited warm-up and cosine decay, over this stage's epochs (MMEngine replaces lists whole)
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
