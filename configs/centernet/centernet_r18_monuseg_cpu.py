# CPU recipe for MoNuSeg: the DSB CPU recipe on the 45 training crops (5 images x 9), fine-tuned
# from the DSB CPU detector (`load_from`) rather than from scratch, since 45 crops are too few.
_base_ = ['./centernet_r18_dsb2018_cpu.py']
dataset_type = 'MoNuSegDataset'
data_root = 'data/monuseg/'
train_dataloader = dict(batch_size=8, dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/instances_val.json'))
val_evaluator = [dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox',
                      proposal_nums=(100, 300, 1000)),
                 dict(type='BoxF1Metric', iou_thr=0.5)]
test_evaluator = val_evaluator  # MoNuSeg's 6 images: one held out (val), no test split
max_epochs = 40
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [dict(_base_.param_scheduler[0], end=20),
                   dict(_base_.param_scheduler[1], end=max_epochs, T_max=max_epochs)]
optim_wrapper = dict(optimizer=dict(lr=5e-4))
auto_scale_lr = dict(base_batch_size=8)
load_from = 'checkpoints/centernet_r18_dsb2018_cpu.pth'
