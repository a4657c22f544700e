"""The slide path with the stub model: equal to the ordinary path, tissue skip, resume, processes, outputs."""
import csv
import json
import types
from pathlib import Path

import numpy as np
import pytest

from centersam_mm.apis import NucleusSegmenter, ThresholdSegmenter
from centersam_mm.io import write_geojson, write_nuclei_csv
from centersam_mm.slides import label_levels, read_label_level, segment_slide

STEM = 'dark.ome'


def run_slide(path: Path, out: Path, segmenter=None, **options):
    return segment_slide(path, segmenter or NucleusSegmenter('stub'), out, **options)


def outputs(out: Path) -> dict:
    """Labels (every level), GeoJSON and CSV of a slide run, for comparing runs."""
    levels = [np.asarray(level[...]) for level in label_levels(out / f'{STEM}_labels.ome.zarr')]
    return dict(levels=levels, geojson=(out / f'{STEM}.geojson').read_text(),
                csv=(out / f'{STEM}_nuclei.csv').read_text())


def assert_same(a: dict, b: dict) -> None:
    assert len(a['levels']) == len(b['levels'])
    for level_a, level_b in zip(a['levels'], b['levels']):
        np.testing.assert_array_equal(level_a, level_b)
    assert a['geojson'] == b['geojson'] and a['csv'] == b['csv']


@pytest.fixture(scope='module')
def reference(dark_slide, tmp_path_factory):
    """One uninterrupted single-process run with the tissue mask."""
    out = tmp_path_factory.mktemp('reference')
    outcome = run_slide(dark_slide[0], out)
    return out, outcome, outputs(out)


def test_slide_equals_the_ordinary_path_and_skips_background(dark_slide, reference, tmp_path):
    path, pixels, _ = dark_slide
    out, outcome, result = reference
    whole = NucleusSegmenter('stub').predict_rgb(pixels)  # the ordinary tiled path on the image in memory
    labels = result['levels'][0]
    np.testing.assert_array_equal(labels, whole.labels)  # same nuclei, same ids (descending score)
    assert outcome.status == 'done' and outcome.num_nuclei == whole.num_nuclei > 300
    assert outcome.regions == 4 and outcome.tiles_skipped > 0
    assert outcome.tiles_segmented + outcome.tiles_skipped == 16  # the 3000² slide in tiles of 1024, overlap 128
    progress = json.loads((out / f'{STEM}_progress.json').read_text())
    assert progress['status'] == 'done' and progress['summary']['tiles_skipped'] == outcome.tiles_skipped
    assert not (out / f'{STEM}_slide_work').exists()
    # pyramid: every second pixel of the level above
    for fine, coarse in zip(result['levels'], result['levels'][1:]):
        np.testing.assert_array_equal(coarse, fine[::2, ::2])
    # GeoJSON / CSV hold the same nuclei as the ordinary writers (in tile order rather than id order)
    write_geojson(tmp_path / 'whole.geojson', whole.labels, whole.scores)
    write_nuclei_csv(tmp_path / 'whole.csv', whole.labels, whole.scores, pixels)
    by_label = lambda features: {f['properties']['measurements']['label']: f for f in features}  # noqa: E731
    slide_features = json.loads(result['geojson'])['features']
    assert by_label(slide_features) == by_label(json.loads((tmp_path / 'whole.geojson').read_text())['features'])
    assert len(slide_features) == whole.num_nuclei
    with open(tmp_path / 'whole.csv') as stream:
        whole_rows = {row['id']: row for row in csv.DictReader(stream)}
    slide_rows = {row['id']: row for row in csv.DictReader(result['csv'].splitlines())}
    assert slide_rows == whole_rows


def test_without_tissue_mask_every_tile_is_segmented_with_the_same_result(dark_slide, reference, tmp_path):
    outcome = run_slide(dark_slide[0], tmp_path, tissue=False)
    assert outcome.tiles_segmented == 16 and outcome.tiles_skipped == 0 and outcome.regions == 1
    result, expected = outputs(tmp_path), reference[2]
    for level, expected_level in zip(result['levels'], expected['levels']):
        np.testing.assert_array_equal(level, expected_level)
    # the same features and rows, in another tile order
    assert sorted(result['geojson'].splitlines()[1:-1]) == sorted(expected['geojson'].splitlines()[1:-1]) or \
        sorted(line.rstrip(',') for line in result['geojson'].splitlines()) == \
        sorted(line.rstrip(',') for line in expected['geojson'].splitlines())
    assert sorted(result['csv'].splitlines()) == sorted(expected['csv'].splitlines())


def test_ome_zarr_is_a_multiscale_label_image(reference):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    out, _, result = reference
    nodes = list(Reader(parse_url(str(out / f'{STEM}_labels.ome.zarr')))())
    specs = {type(spec).__name__ for spec in nodes[0].specs}
    assert {'Label', 'Multiscales'} <= specs
    assert [tuple(data.shape) for data in nodes[0].data] == [level.shape for level in result['levels']]
    multiscales = nodes[0].zarr.root_attrs['multiscales'][0]
    assert multiscales['datasets'][0]['coordinateTransformations'][0]['scale'] == [0.5, 0.5]  # µm
    assert multiscales['axes'][0]['unit'] == 'micrometer'
    labels = result['levels'][0]
    ids = np.unique(labels)
    np.testing.assert_array_equal(ids, np.arange(ids.size))  # ids 0..N, unique over the slide
    assert result['levels'][0].dtype == np.uint32


def small_tiles() -> NucleusSegmenter:
    """The stub with tiles of 384 (overlap 64): every island spans several tiles."""
    return NucleusSegmenter('stub', tile_size=384, tile_overlap=64)


def test_interrupted_run_resumes_to_the_same_result(dark_slide, tmp_path, monkeypatch):
    path = dark_slide[0]
    uninterrupted = run_slide(path, tmp_path / 'once', small_tiles())
    assert uninterrupted.tiles_segmented >= 12
    # killed while segmenting its 3rd tile: the stub raises as a killed process stops
    calls = {'left': 2}
    segment = ThresholdSegmenter.__call__

    def dies_on_third(self, image):
        if calls['left'] == 0:
            raise KeyboardInterrupt('killed')
        calls['left'] -= 1
        return segment(self, image)

    out = tmp_path / 'resumed'
    monkeypatch.setattr(ThresholdSegmenter, '__call__', dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_slide(path, out, small_tiles())
    monkeypatch.setattr(ThresholdSegmenter, '__call__', segment)
    assert len(list((out / f'{STEM}_slide_work' / 'tiles').glob('*.npz'))) == 2
    progress = json.loads((out / f'{STEM}_progress.json').read_text())
    assert progress['status'] == 'segmenting' and progress['tiles_done'] == 2
    # a tile being written when the process died leaves a hidden temporary file: not a finished tile
    stale = out / f'{STEM}_slide_work' / 'tiles' / '.000002.npz.abcd.tmp.npz'
    stale.write_bytes(b'half a tile')
    # stopped again after 3 more tiles (max_tiles), then to the end
    stopped = run_slide(path, out, small_tiles(), max_tiles=3)
    assert not stale.exists()
    assert stopped.status == 'stopped' and stopped.tiles_segmented == 3
    said = []
    finished = run_slide(path, out, small_tiles(), say=said.append)
    assert finished.status == 'done'
    assert any('resuming, 5 of' in message for message in said)
    assert any(message.endswith(f'; {uninterrupted.tiles_segmented - 5} left for this process') for message in said)
    assert_same(outputs(out), outputs(tmp_path / 'once'))
    assert run_slide(path, out, small_tiles()).status == 'skipped'


def test_changed_options_start_again_and_overwrite_redoes(dark_slide, tmp_path):
    path = dark_slide[0]
    run_slide(path, tmp_path, max_tiles=2)
    said = []
    changed = run_slide(path, tmp_path, NucleusSegmenter('stub', min_area=30), say=said.append)
    assert changed.status == 'done'
    assert any('changed since the unfinished run' in message for message in said)
    small = NucleusSegmenter('stub').predict_rgb(dark_slide[1])
    labels = read_label_level(tmp_path / f'{STEM}_labels.ome.zarr')
    assert 0 < labels.max() <= small.num_nuclei
    redone = run_slide(path, tmp_path, overwrite=True)
    assert redone.status == 'done' and redone.num_nuclei == small.num_nuclei


def test_two_processes_share_the_tiles(dark_slide, tmp_path, monkeypatch):
    """Process 1 first (it waits for process 0's plan, so it runs in a thread), then process 0 assembles."""
    import threading
    monkeypatch.setenv('TORCHELASTIC_RUN_ID', 'test-launch')
    path = dark_slide[0]
    results = {}

    def worker(rank):
        results[rank] = run_slide(path, tmp_path / 'two', small_tiles(), rank=rank, world_size=2)

    one = threading.Thread(target=worker, args=(1,))
    one.start()
    worker(0)
    one.join(timeout=120)
    single = run_slide(path, tmp_path / 'one', small_tiles())
    assert results[1].status == 'shared' and results[0].status == 'done'
    total = single.tiles_segmented
    assert results[1].tiles_segmented == total // 2 and results[0].tiles_segmented == total
    assert_same(outputs(tmp_path / 'two'), outputs(tmp_path / 'one'))


def test_scale_aware_model_segments_the_matching_pyramid_level(dark_slide, tmp_path):
    """A model asking for half the resolution of level 0 is run on level 1; outputs in level-0 coordinates."""
    stub = ThresholdSegmenter()

    class HalfScale:
        scale_aware = True
        model = types.SimpleNamespace(test_cfg={'diameter': 10.0})

        def tile_align(self, scale):
            return 1

        def __call__(self, image, prepared=None, options=None):
            assert options['nucleus_scale'] == pytest.approx(1.0)
            return stub(image)

    path, pixels, _ = dark_slide
    outcome = run_slide(path, tmp_path, NucleusSegmenter(HalfScale(), scale=0.5))
    assert outcome.status == 'done' and outcome.scale == pytest.approx(1.0)
    labels = read_label_level(tmp_path / f'{STEM}_labels.ome.zarr')
    assert labels.shape == (1500, 1500)
    progress = json.loads((tmp_path / f'{STEM}_progress.json').read_text())
    assert progress['level'] == 1 and progress['scale_source'] == 'from the options'
    group = label_levels(tmp_path / f'{STEM}_labels.ome.zarr')
    assert len(group) == 2
    with open(tmp_path / f'{STEM}_nuclei.csv') as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == outcome.num_nuclei > 0
    first = next(f for f in json.loads((tmp_path / f'{STEM}.geojson').read_text())['features']
                 if f['geometry']['type'] == 'Polygon')
    label = first['properties']['measurements']['label']
    ys, xs = np.nonzero(labels == label)
    ring = np.asarray(first['geometry']['coordinates'][0])
    assert ring[:, 0].min() == pytest.approx(2 * xs.min()) and ring[:, 1].max() == pytest.approx(2 * (ys.max() + 1))
    row = next(r for r in rows if int(r['id']) == label)
    assert float(row['centroid_x']) == pytest.approx(2 * xs.mean(), abs=1e-2)
    assert int(float(row['area_px'])) == 4 * xs.size


def test_factor_from_the_slide_pixel_size_or_estimated_on_tissue(dark_slide):
    """The slide's 0.5 µm/px against a model trained at 0.25 µm/px: factor 2 without estimating; without a model
    pixel size, the median of the estimates on the tissue windows (here one per island)."""
    from centersam_mm.slides import SlideReader
    from centersam_mm.slides.plan import make_plan

    class Model:
        scale_aware = True

        def __init__(self, test_cfg):
            self.model = types.SimpleNamespace(test_cfg=test_cfg)
            self.pixel_size = test_cfg.get('pixel_size')
            self.probed = []

        def tile_align(self, scale):
            return 16

        def scale_for(self, image, prepared=None, options=None):
            self.probed.append(image.shape)
            return 1.0 + len(self.probed) / 10  # 1.1, 1.2, ...

    with SlideReader(dark_slide[0]) as reader:
        known = Model({'diameter': 10.0, 'pixel_size': 0.25})
        plan = make_plan(reader, known, {}, 1024, 128, True, 'x')
        assert plan.scale == pytest.approx(2.0) and plan.level == 0 and known.probed == []
        assert plan.scale_source.startswith('slide pixel size 0.5')
        assert (plan.tile_size, plan.tile_overlap) == (1024, 128)
        # tiles sized at the plan's factor as the ordinary path sizes them: bounded at 1,024 input pixels, 1024-px
        # tiles at factor 2 become 512 px (overlap 64)
        from centersam_mm.utils.tile_grid import input_bounded_tiles
        plan = make_plan(reader, known, {}, 1024, 128, True, 'x',
                         lambda scale: input_bounded_tiles(1024, 128, scale, 1024))
        assert (plan.tile_size, plan.tile_overlap) == (512, 64) and plan.slide_tiles == 7 * 7
        estimated = Model({'diameter': 10.0})
        plan = make_plan(reader, estimated, {}, 1024, 128, True, 'x')
    # each island's region (the tight box of its disks) probed as itself (most tissue first)
    assert len(plan.regions) == 4 and all(y1 - y0 <= 700 and x1 - x0 <= 600 for y0, y1, x0, x1 in plan.regions)
    assert sorted(estimated.probed) == sorted((y1 - y0, x1 - x0, 3) for y0, y1, x0, x1 in plan.regions)
    assert plan.probe_scales == pytest.approx([1.1, 1.2, 1.3, 1.4])
    assert plan.scale == pytest.approx(1.25) and plan.align == 16
