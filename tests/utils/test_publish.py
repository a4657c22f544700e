"""Release tools: publish (weights only, fp16) and combine detector + segmenter checkpoints."""
import subprocess
import sys

import pytest
import torch

from centersam_mm.utils.publish import combine_states, publish_state, save_atomic

REPO = __import__('pathlib').Path(__file__).resolve().parents[2]


def test_publish_strips_optimizer_and_halves_floats():
    ckpt = dict(meta=dict(iter=5, seed=0), state_dict=dict(w=torch.ones(3), n=torch.tensor([2])),
                optimizer=dict(state={}), message_hub={})
    out = publish_state(ckpt)
    assert set(out) == {'meta', 'state_dict'}
    assert out['state_dict']['w'].dtype == torch.float16
    assert out['state_dict']['n'].dtype == torch.int64
    assert out['meta']['iter'] == 5 and 'seed' not in out['meta']


def test_combine_prefixes_keys_and_drops_preprocessor():
    det = {'backbone.conv1.weight': torch.ones(2), 'data_preprocessor.mean': torch.zeros(3)}
    seg = {'mask_decoder.iou_token.weight': torch.ones(1, 4)}
    out = combine_states(det, seg)
    assert set(out['state_dict']) == {'detector.backbone.conv1.weight',
                                      'segmenter.mask_decoder.iou_token.weight'}


def test_combine_adds_the_scorer_when_given():
    scorer = {'mlp.0.running_mean': torch.zeros(3), 'data_preprocessor.x': torch.zeros(1)}
    out = combine_states({'a.weight': torch.ones(1)}, {'b.weight': torch.ones(1)}, scorer=scorer)
    assert set(out['state_dict']) == {'detector.a.weight', 'segmenter.b.weight', 'scorer.mlp.0.running_mean'}
    assert out['state_dict']['scorer.mlp.0.running_mean'].dtype == torch.float16


def test_save_atomic_leaves_no_temporary(tmp_path):
    save_atomic(dict(a=torch.zeros(1)), tmp_path / 'x.pth')
    assert [p.name for p in tmp_path.iterdir()] == ['x.pth']


@pytest.mark.slow  # the subprocess imports mmdet (several seconds); the failure itself is immediate
def test_download_cli_offline_prints_one_line(tmp_path):
    """No network here (or a blackholed one): one line on stderr, exit 1, fast."""
    code = ('import sys, urllib.error, urllib.request\n'
            'def offline(*a, **k): raise urllib.error.URLError("offline")\n'
            'urllib.request.urlopen = offline\n'
            f'sys.argv = ["download_checkpoint.py", "sam_vit_b", "--dir", r"{tmp_path}"]\n'
            f'sys.path.insert(0, r"{REPO}")\n'
            f'exec(open(r"{REPO / "tools" / "download_checkpoint.py"}").read())\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'sam_vit_b_01ec64.pth' in lines[0] and str(tmp_path) in lines[0]
