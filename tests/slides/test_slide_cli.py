"""Slides through tools/infer.py and tools/dist_infer.sh, and one accuracy check with the default model."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from _tool_loader import load_tool

from centersam_mm.apis.segmenter import DEFAULT_CHECKPOINT as DEFAULT_CHECKPOINT_NAME
from centersam_mm.apis.segmenter import find_repo_file
from centersam_mm.slides import read_label_level
from centersam_mm.slides.synthetic import Island, write_island_slide

REPO = Path(__file__).resolve().parents[2]
STEM = 'dark.ome'
DEFAULT_CHECKPOINT = find_repo_file(DEFAULT_CHECKPOINT_NAME)
MONUSEG_IMAGE = Path(os.environ.get('CENTERSAM_SHARED_DATA', REPO.parent / 'shared' / 'data')) / 'monuseg' / 'MoNuSegTestData' / 'TCGA-AC-A2FO-01A-01-TS1.tif'
infer_tool = load_tool('infer.py')


def _outputs(out: Path) -> tuple:
    return (read_label_level(out / f'{STEM}_labels.ome.zarr'), (out / f'{STEM}.geojson').read_bytes(),
            (out / f'{STEM}_nuclei.csv').read_bytes())


def _same(a: tuple, b: tuple) -> bool:
    return np.array_equal(a[0], b[0]) and a[1:] == b[1:]


def test_cli_slide_outputs_resume_and_skip(dark_slide, tmp_path, capsys):
    path = dark_slide[0]
    out = tmp_path / 'out'
    assert infer_tool.main([str(path), '--out', str(out), '--model', 'stub', '--tile-size', '384',
                            '--tile-overlap', '64', '--formats', 'tif,png,geojson,csv,coco']) == 0
    printed = capsys.readouterr().out
    assert 'tiles segmented' in printed and 'skipped as background' in printed
    assert 'coco is not written for slides' in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == [f'{STEM}.geojson', f'{STEM}_labels.ome.zarr', f'{STEM}_nuclei.csv', f'{STEM}_overlay.png',
                     f'{STEM}_progress.json']
    overlay = cv2.imread(str(out / f'{STEM}_overlay.png'))
    assert overlay.shape[:2] == read_label_level(out / f'{STEM}_labels.ome.zarr', 0).shape  # 3000 <= 4096
    # stopped after 2 tiles (exit status 1), then resumed: the same outputs
    resumed = tmp_path / 'resumed'
    args = [str(path), '--out', str(resumed), '--model', 'stub', '--tile-size', '384', '--tile-overlap', '64']
    assert infer_tool.main(args + ['--max-tiles', '2']) == 1
    assert 'stopped after 2 tiles' in capsys.readouterr().out
    assert infer_tool.main(args) == 0
    assert _same(_outputs(resumed), _outputs(out))
    assert infer_tool.main(args) == 0
    assert '1 skipped (outputs exist)' in capsys.readouterr().out
    # --slide never: the ordinary whole-image path (label TIFF)
    assert infer_tool.main([str(path), '--out', str(tmp_path / 'plain'), '--model', 'stub', '--slide', 'never',
                            '--formats', 'tif']) == 0
    assert (tmp_path / 'plain' / f'{STEM}_labels.tif').is_file()


@pytest.mark.slow
def test_dist_infer_two_processes_share_one_slide(dark_slide, tmp_path):
    path = dark_slide[0]
    options = ['--model', 'stub', '--tile-size', '384', '--tile-overlap', '64']
    assert infer_tool.main([str(path), '--out', str(tmp_path / 'one')] + options) == 0
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    completed = subprocess.run(['bash', str(REPO / 'tools' / 'dist_infer.sh'), '2', str(path), '--out',
                                str(tmp_path / 'two')] + options, env=env, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert '[rank 1/2]' in completed.stdout and 'process 0 writes the outputs' in completed.stdout
    assert _same(_outputs(tmp_path / 'two'), _outputs(tmp_path / 'one'))


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file() or not MONUSEG_IMAGE.is_file(),
                    reason='default checkpoint or MoNuSeg test image missing')
def test_default_model_island_on_a_slide_equals_the_island_alone(tmp_path):
    """One 600x600 H&E island on a white 2500² slide (0.25 µm/px): the slide's factor is the island's (from the
    pixel size when the model records its own, as ``--pixel-size 0.25`` gives the island alone; else the island's
    own estimate, rounded), and its labels are the island's segmented alone as an ordinary image."""
    from centersam_mm.apis import NucleusSegmenter
    from centersam_mm.evaluation.functional.instance_metrics import instance_metrics
    island = cv2.cvtColor(cv2.imread(str(MONUSEG_IMAGE)), cv2.COLOR_BGR2RGB)[200:800, 200:800].copy()
    path = tmp_path / 'he.ome.tif'
    write_island_slide(path, (2500, 2500), [Island(1111, 777, island)])
    out = tmp_path / 'out'
    assert infer_tool.main([str(path), '--out', str(out), '--formats', 'tif']) == 0
    progress = json.loads((out / 'he.ome_progress.json').read_text())
    segmenter = NucleusSegmenter()
    if segmenter.instance_fn.model.test_cfg.get('pixel_size'):
        assert progress['scale_source'].startswith('slide pixel size 0.25')
        segmenter = NucleusSegmenter(pixel_size=0.25)
    alone = segmenter.predict_rgb(island)
    assert progress['summary']['tiles_segmented'] == 1
    assert progress['scale'] == pytest.approx(alone.scale, rel=1e-3)  # an estimate is rounded to 4 digits
    labels = read_label_level(out / 'he.ome_labels.ome.zarr')
    crop = labels[1111:1711, 777:1377]
    assert labels[:1111].max() == 0 and labels[1711:].max() == 0  # nothing on the white glass
    assert alone.num_nuclei > 50
    assert instance_metrics(alone.labels, crop)['f1_05'] >= 0.99


def test_every_process_takes_every_slide_and_its_share_of_the_other_images(dark_slide, tmp_path):
    from centersam_mm.apis.batch import is_slide_input, shard_inputs
    for name in ('a.png', 'b.png', 'c.png'):
        cv2.imwrite(str(tmp_path / name), np.zeros((8, 8), np.uint8))
    files = [(tmp_path / 'a.png', Path('a.png')), (dark_slide[0], Path('dark.ome.tif')),
             (tmp_path / 'b.png', Path('b.png')), (tmp_path / 'c.png', Path('c.png'))]
    names = lambda items: [relative.name for _, relative in items]  # noqa: E731
    assert names(shard_inputs(files, 0, 2)) == ['a.png', 'dark.ome.tif', 'c.png']
    assert names(shard_inputs(files, 1, 2)) == ['dark.ome.tif', 'b.png']
    assert names(shard_inputs(files, 1, 2, 'never')) == ['dark.ome.tif', 'c.png']  # 4 ordinary images: 1, 3
    assert is_slide_input(dark_slide[0]) and not is_slide_input(dark_slide[0], 'never')
    assert not is_slide_input(tmp_path / 'a.png', 'always')
    with pytest.raises(ValueError):
        is_slide_input(dark_slide[0], 'sometimes')
