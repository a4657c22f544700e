# The HED-jitter detector (configs/centernet/centernet_r18-skip_size44-hed_24e_dsb2018-monuseg_cpu.py, epoch 24)
# trained 32 epochs more on the same data and augmentations (56 epochs with HED jitter in all): a fresh warm-up +
# cosine from 1e-4. That run's checkpoint is not published on its own, so it is given on the command line,
# stripped first (weights only):
#   python tools/model_converters/publish_checkpoint.py \
#       work_dirs/centernet_r18-skip_size44-hed_24e_dsb2018-monuseg_cpu/epoch_24.pth DET_HED24.pth
#   python tools/train.py configs/centernet/centernet_r18-skip_size44-hed_56e_dsb2018-monuseg_cpu.py \
#       --cfg-options load_from=DET_HED24.pth [--resume]
_base_ = ['./centernet_r18-skip_size44-hed_24e_dsb2018-monuseg_cpu.py']

max_epochs = 32
train_cfg = dict(max_epochs=max_epochs, val_interval=16)
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
