"""Load a script under tools/ as a module (tools/ is not a package), for testing its functions."""
import importlib.util
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_tool(relative_path: str) -> ModuleType:
    """The module of ``tools/<relative_path>`` (e.g. ``'analysis_tools/sweep_thresholds.py'``), executed once."""
    path = REPO_ROOT / 'tools' / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
