"""segment-anything entered lazily: CenterSAM's SAM builds without torchvision, and the package stays whole."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_building_sam_imports_no_torchvision_and_the_package_stays_whole():
    out = _run(
        'import sys\n'
        'from centersam_mm.models.segmenters.sam_archs import build_sam_parts, get_arch\n'
        'from centersam_mm.models.segmenters import sam_modeling\n'
        "parts = build_sam_parts(get_arch('sam_small'))\n"
        "print('torchvision' in sys.modules, 'segment_anything.predictor' in sys.modules)\n"
        # the rest of the package arrives on first use, with the very classes CenterSAM built from
        'import segment_anything\n'
        'from segment_anything import SamPredictor, sam_model_registry\n'
        'import segment_anything.modeling as modeling\n'
        'print(modeling.MaskDecoder is sam_modeling.MaskDecoder, segment_anything.modeling is modeling,\n'
        "      'vit_b' in sam_model_registry, SamPredictor.__module__, 'torchvision' in sys.modules)\n")
    lines = out.split('\n')
    assert lines[0] == 'False False'  # nothing beyond segment_anything.modeling before the user asks for it
    assert lines[1] == 'True True True segment_anything.predictor True'


@pytest.mark.slow
def test_segment_anything_imported_first_is_used_as_it_is():
    out = _run(
        'import segment_anything\n'
        'from centersam_mm.models.segmenters import sam_modeling\n'
        'print(sam_modeling.MaskDecoder is segment_anything.modeling.MaskDecoder,\n'
        "      hasattr(segment_anything, 'SamPredictor'))\n")
    assert out.split('\n')[0] == 'True True'
