"""CPUAutocastOptimWrapper: forward in bfloat16 inside its context, float32 everywhere else."""
import pytest
import torch

pytest.importorskip('mmdet')


def build_wrapper(model: torch.nn.Module, **kwargs):
    from mmengine.registry import OPTIM_WRAPPERS
    import centersam_mm  # noqa: F401  (registers the wrapper)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return OPTIM_WRAPPERS.build(dict(type='CPUAutocastOptimWrapper', optimizer=optimizer, **kwargs))


def test_forward_runs_in_bfloat16_only_inside_the_context():
    model = torch.nn.Linear(4, 2)
    wrapper = build_wrapper(model)
    inputs = torch.ones(3, 4)
    with wrapper.optim_context(model):
        inside = model(inputs)
    assert inside.dtype == torch.bfloat16
    assert model(inputs).dtype == torch.float32


def test_step_keeps_float32_parameters_and_applies_the_sgd_update():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0]]))
    wrapper = build_wrapper(model)
    with wrapper.optim_context(model):
        loss = model(torch.tensor([[1.0, 1.0]])).float().sum()  # d loss / d w = (1, 1)
    wrapper.update_params(loss)
    assert model.weight.dtype == torch.float32
    torch.testing.assert_close(model.weight, torch.tensor([[0.9, 1.9]]))  # w - 0.1 * grad


def test_float32_dtype_disables_autocast_and_bad_dtype_is_refused():
    model = torch.nn.Linear(4, 2)
    with build_wrapper(model, dtype='float32').optim_context(model):
        assert model(torch.ones(1, 4)).dtype == torch.float32
    with pytest.raises(ValueError, match='bfloat16 or float32'):
        build_wrapper(model, dtype='float16')


def test_centernet_head_outputs_float32_under_autocast():
    from mmdet.registry import MODELS
    head = MODELS.build(dict(type='NucleusCenterNetHead', num_classes=1, in_channels=8, feat_channels=8))
    features = torch.randn(1, 8, 16, 16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outputs = head.forward_single(features)
    assert [out.dtype for out in outputs] == [torch.float32] * 3
    expected = head.forward_single(features)  # outside autocast: the same float32 computation
    for got, want in zip(outputs, expected):
        torch.testing.assert_close(got, want)


def test_multi_stack_head_outputs_float32_under_autocast():
    from mmdet.registry import MODELS
    head = MODELS.build(dict(type='MultiStackCenterNetHead', num_classes=1, in_channels=8, feat_channels=8,
                             num_stacks=2))
    features = [torch.randn(1, 8, 16, 16), torch.randn(1, 8, 16, 16)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        heatmaps, whs, offsets = head(features)
    assert {out.dtype for out in [*heatmaps, *whs, *offsets]} == {torch.float32}
    expected = head(features)
    for got, want in zip([*heatmaps, *whs, *offsets], [*expected[0], *expected[1], *expected[2]]):
        torch.testing.assert_close(got, want)
