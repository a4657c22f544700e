# Runtime shared by every centersam_mm config: MMDetection 3.3's `_base_/default_runtime.py` written out, plus the
# plugin import. Written out rather than inherited as 'mmdet::_base_/default_runtime.py': resolving a `mmdet::` base
# makes MMEngine reload pkg_resources and parse MMDetection's 102 metafiles, 0.3-0.4 s of every start-up
# (docs/benchmarks.md, "CPU speed (issue 20)"). tests/configs checks it still equals MMDetection's.
default_scope = 'mmdet'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the last checkpoints so a killed run resumes with `--resume`
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False

custom_imports = dict(imports=['centersam_mm'], allow_failed_imports=False)
