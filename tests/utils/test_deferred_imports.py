"""centersam_mm.utils.deferred_imports: a deferred module runs its code at the first use of one of its names, and
code using it then gets the whole module; importing the package leaves matplotlib.pyplot, scipy.optimize and
scipy.special unloaded until used."""
import subprocess
import sys
import textwrap
from pathlib import Path

from centersam_mm.utils.deferred_imports import defer_module, is_deferred

REPO = Path(__file__).resolve().parents[2]


def _write_package(root, name):
    package = root / name
    package.mkdir()
    (package / '__init__.py').write_text('import sys\nsys.modules[__name__ + "._runs"] = None\nRUNS = 1\n'
                                         'from .helper import helper\n')
    (package / 'helper.py').write_text('def helper():\n    return 42\n')


def test_deferred_module_runs_at_first_use_of_a_name(tmp_path, monkeypatch):
    _write_package(tmp_path, 'deferme_pkg')
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert defer_module('deferme_pkg', eager={'early': ('helper', 'helper')})
        module = sys.modules['deferme_pkg']
        assert is_deferred(module)
        assert module.__file__.endswith('__init__.py') and module.__spec__.name == 'deferme_pkg'
        assert not hasattr(module, '__wrapped__')  # dunder probes (inspect.getmodule's) do not load it
        from deferme_pkg import early  # an eager name: still deferred
        assert early() == 42 and is_deferred(module) and 'deferme_pkg._runs' not in sys.modules
        assert module.RUNS == 1  # any other name runs the real __init__, in place
        assert not is_deferred(module) and 'deferme_pkg._runs' in sys.modules
        assert module.helper is early
        import deferme_pkg
        assert deferme_pkg is module
        assert not defer_module('deferme_pkg')  # already imported: nothing changes
        assert not defer_module('no_such_module_here')
    finally:
        for name in [n for n in sys.modules if n.startswith('deferme_pkg')]:
            del sys.modules[name]


def test_package_import_leaves_pyplot_and_scipy_optimize_special_unloaded_until_used():
    code = textwrap.dedent('''
        import sys
        import centersam_mm.apis
        import centersam_mm.evaluation.functional
        loaded = lambda name: name in sys.modules
        assert not loaded('matplotlib.figure') and not loaded('scipy.optimize._linprog'), 'loaded at import'
        # scipy.special: scipy.ndimage imports it for rotate() only; mask cleaning and labelling leave it unloaded
        import numpy as np
        import torch
        from scipy import ndimage
        from centersam_mm.models.utils.masks import clean_masks
        from centersam_mm.utils.deferred_imports import is_deferred
        masks = torch.zeros(1, 8, 8, dtype=torch.bool)
        masks[0, 1:5, 1:5] = True
        masks[0, 2, 2] = False  # a hole
        masks[0, 7, 7] = True   # a second component
        cleaned = clean_masks(masks)
        assert cleaned[0].sum() == 16 and not cleaned[0, 7, 7], cleaned
        assert ndimage.label(cleaned[0].numpy())[1] == 1
        assert is_deferred(sys.modules['scipy.special']), 'scipy.special loaded by inference-time ndimage'
        assert is_deferred(sys.modules['numpy.f2py'])
        import numpy.f2py
        assert callable(numpy.f2py.run_main) and not is_deferred(sys.modules['numpy.f2py'])
        rotated = ndimage.rotate(np.eye(3), 90)  # uses scipy.special.cosdg: it loads, whole
        assert np.allclose(rotated, np.eye(3)[::-1]) and not is_deferred(sys.modules['scipy.special'])
        from scipy.special import gamma
        assert gamma(5.0) == 24.0
        from scipy.optimize import linear_sum_assignment
        rows, cols = linear_sum_assignment(np.array([[4.0, 1.0], [2.0, 3.0]]), maximize=True)
        assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
        assert not loaded('scipy.optimize._linprog')
        from scipy.optimize import linprog
        assert loaded('scipy.optimize._linprog')
        import scipy.optimize
        assert scipy.optimize.linear_sum_assignment is linear_sum_assignment and scipy.optimize.linprog is linprog
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        figure = plt.figure()
        plt.close(figure)
        assert loaded('matplotlib.figure') and plt.get_backend().lower() == 'agg'
        print('ok')
    ''')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and done.stdout.strip() == 'ok', done.stderr[-2000:]
