# The default model's detector, test-ready: the CPU ResNet-18 CenterNet (centernet_r18_dsb2018_cpu.py) with skip
# connections in its neck (SkipCTResNetNeck: 1x1 projections of the stride-16/8/4 backbone stages added after each
# deconv stage), tested at 768x768.
#   python tools/test.py configs/centernet/centernet_r18-skip_dsb2018_cpu.py checkpoints/centernet_r18-skip_dsb2018_cpu.pth
# Its weights come from the six-stage recipe of configs/recipes/README.md (stages 1-2 without skips, 3-6 with them;
# stage 4's GIoU box loss is used by training only); train them with those stage configs, not with this file.
_base_ = ['./centernet_r18_dsb2018_cpu.py']

model = dict(neck=dict(type='SkipCTResNetNeck', skip_in_channels=(128, 64, 32)))

# Tested at the scale of its last training stages (5 and 6: images resized to 768x768, not 512x512)
image_size = (768, 768)
test_pipeline = [dict(t, scale=image_size) if t['type'] == 'Resize' else t for t in _base_.test_pipeline]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
