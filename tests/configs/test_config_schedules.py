"""Every config's learning-rate schedule spans its own training length."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


@pytest.mark.parametrize('config', CONFIGS)
def test_cosine_and_step_schedules_end_with_training(config):
    """A config that changes `max_epochs` must rebuild its schedule too (MMEngine replaces lists whole, so an
    inherited cosine step would otherwise keep its base's length and leave lr high or at its floor early)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / config))
    loop = cfg.train_cfg
    length = loop.get('max_epochs', loop.get('max_iters'))
    for step in cfg.get('param_scheduler', []):
        if step['type'] == 'CosineAnnealingLR':
            assert step['end'] == length and step['T_max'] == step['end'] - step.get('begin', 0), step
        if step['type'] == 'MultiStepLR':
            assert step['end'] == length and max(step['milestones']) < length, step
