"""benchmark_startup.py: each step of the start-up timed in fresh interpreters, the package's deferrals in force."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_startup_steps_add_up_and_leave_torchvision_out():
    done = subprocess.run([sys.executable, 'tools/analysis_tools/benchmark_startup.py', '--repeats', '1'],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = dict(re.findall(r'^\| ([^|]+?) \| ([0-9.]+) \|$', done.stdout, re.M))
    steps = ['deferred modules entered', 'torch', 'mmengine.model', 'mmdet.models', 'centersam_mm',
             'build the default segmenter']
    infer = 'tools/infer.py to its first image (separate runs)'
    assert list(rows) == steps + ['total', infer], done.stdout
    # one run: the total is the sum of its steps (each printed to 0.01 s)
    assert sum(float(rows[step]) for step in steps) == pytest.approx(float(rows['total']), abs=0.035)
    assert float(rows['torch']) > 0.1  # a fresh interpreter: torch is really imported in its step
    assert float(rows[infer]) > float(rows['torch'])  # tools/infer.py's own run, imports and model included
    assert 'torchvision imported: False' in done.stdout
