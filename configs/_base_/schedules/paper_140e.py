# The paper's detector recipe: Adam, lr 1.25e-4 at batch 32, 140 epochs, lr / 10 at epochs 90 and 120.
max_epochs = 140
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1.25e-4),
                     clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
                        milestones=[90, 120], gamma=0.1)]
auto_scale_lr = dict(enable=False, base_batch_size=32)
