# Runtime shared by every centersam_mm config: MMDetection's defaults plus the plugin import.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['centersam_mm'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    # keep the last checkpoints so a killed run resumes with `--resume`
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_last=True))
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
