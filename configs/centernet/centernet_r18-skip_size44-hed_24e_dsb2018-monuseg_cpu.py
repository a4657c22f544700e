# The one-model detector, trained on: the default's detector (configs/centernet/
# centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu.py, epoch 15: 15 epochs on DSB + MoNuSeg after six DSB stages)
# continued for 24 epochs on the same data, with HED stain jitter (HEDJitter: each stain's density x U(0.92, 1.08)
# + U(-0.01, 0.01)) on the MoNuSeg crops before the shared colour jitter; a fresh warm-up + cosine from 1e-4.
# That run's checkpoint is not published on its own (it is inside the default CenterSAM), so it is given on the
# command line, stripped first (weights only):
#   python tools/model_converters/publish_checkpoint.py \
#       work_dirs/centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu/epoch_15.pth DET44.pth
#   python tools/train.py configs/centernet/centernet_r18-skip_size44-hed_24e_dsb2018-monuseg_cpu.py \
#       --cfg-options load_from=DET44.pth [--resume]
_base_ = ['./centernet_r18-skip_size44_18e_dsb2018-monuseg_cpu.py']

load_from = None
he_pipeline = _base_.train_pipeline[:2] + [dict(type='HEDJitter', sigma=0.08, bias=0.01, prob=0.8)] + \
    _base_.train_pipeline[2:]
train_dataloader = dict(
    dataset=dict(dataset=dict(datasets=[_base_.dsb_train, dict(_base_.monuseg_train, pipeline=he_pipeline)])))

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=12)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
