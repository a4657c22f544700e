# The default model's detector architecture: the CPU ResNet-18 CenterNet (centernet_r18_dsb2018_cpu.py) with
# skip connections in its neck (SkipCTResNetNeck: 1x1 projections of the stride-16/8/4 backbone stages added
# after each deconv stage). The published weights (checkpoints/centernet_r18-skip_dsb2018_cpu.pth) come from
# stages 1 and 2 without skips, then stages 3 to 6 with them (centernet_r18_dsb2018_cpu_stage3.py, _stage4.py:
# + a GIoU box loss, which only training uses; _stage5.py: 768x768 images; _stage6.py: 384x384 crops); trained from
# scratch with this file alone, the recipe is stage 1's (not measured).
_base_ = ['./centernet_r18_dsb2018_cpu.py']

model = dict(neck=dict(type='SkipCTResNetNeck', skip_in_channels=(128, 64, 32)))

# Tested at the scale of its last training stages (5 and 6: images resized to 768x768, not 512x512)
image_size = (768, 768)
test_pipeline = [dict(t, scale=image_size) if t['type'] == 'Resize' else t for t in _base_.test_pipeline]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
