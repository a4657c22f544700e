"""Paths and loaders shared by the napari plugin tests."""
import importlib.util
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_IMAGE = REPO_ROOT / 'demo' / 'dsb_aa47f0b3.png'  # 256 x 256 fluorescence, ~20 nuclei


def load_infer_tool() -> ModuleType:
    """``tools/infer.py`` as a module (tools/ is not a package)."""
    path = REPO_ROOT / 'tools' / 'infer.py'
    spec = importlib.util.spec_from_file_location('infer_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
