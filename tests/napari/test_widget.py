"""The dock widget: segment a demo image, correct nuclei by moving, drawing and deleting boxes, export."""
import json
import time

import numpy as np
import pytest
import tifffile

from centersam_mm.apis.correction import MANUAL_SCORE
from centersam_mm.io.readers import read_image
from centersam_mm.napari._layers import BOX_TOLERANCE, NUCLEUS, SCORE, box_to_rectangle, shape_to_box

from _napari_helpers import DEMO_IMAGE, REPO_ROOT, load_infer_tool

pytestmark = pytest.mark.slow  # each test segments the demo image with the real model (~1-2 s)


def _move(shapes, index: int, dx: float, dy: float) -> None:
    """Shift one shape as a drag does: new data, then napari's data event 'changed'."""
    data = [np.array(vertices) for vertices in shapes.data]
    data[index] = data[index] + np.array([dy, dx])
    shapes.data = data


def _isolated_nucleus(labels: np.ndarray) -> int:
    """The largest nucleus touching no other nucleus (so that a moved box gives it a visibly new mask)."""
    from scipy import ndimage
    best, best_area = 0, 0
    for label in range(1, int(labels.max()) + 1):
        mask = labels == label
        ring = ndimage.binary_dilation(mask, iterations=2) & ~mask
        area = int(mask.sum())
        if not np.any(labels[ring] > 0) and area > best_area:
            best, best_area = label, area
    assert best, 'the demo image has no isolated nucleus'
    return best


def test_segment_adds_labels_and_score_coloured_boxes(segmented, default_segmenter):
    widget = segmented
    expected = default_segmenter.predict(DEMO_IMAGE)  # what tools/infer.py segments
    labels, shapes = widget.labels_layer, widget.shapes_layer
    assert np.array_equal(labels.data, expected.labels) and expected.num_nuclei > 5
    assert shapes.nshapes == expected.num_nuclei and set(shapes.shape_type) == {'rectangle'}
    assert shapes.features[NUCLEUS].tolist() == list(range(1, expected.num_nuclei + 1))
    np.testing.assert_allclose(shapes.features[SCORE], expected.scores, rtol=1e-6)
    # edge colour follows the score: the best and the worst box differ in colour
    colours = np.asarray(shapes.edge_color)
    assert not np.allclose(colours[np.argmax(expected.scores)], colours[np.argmin(expected.scores)])
    # each box is the prompt SAM decoded its nucleus from: it holds that nucleus's pixels
    for index, vertices in enumerate(shapes.data):
        x0, y0, x1, y1 = shape_to_box(vertices)
        rows, cols = np.nonzero(labels.data == index + 1)
        assert rows.min() >= np.floor(y0) - 2 and rows.max() < np.ceil(y1) + 2
        assert cols.min() >= np.floor(x0) - 2 and cols.max() < np.ceil(x1) + 2
    assert widget.session.num_cached >= 1 and 'nuclei' in widget.status_label.text()
    assert widget.progress_bar.value() == widget.progress_bar.maximum() == 1 and widget.export_button.isEnabled()


def test_moving_one_box_changes_only_that_nucleus_and_undo_restores(segmented):
    widget = segmented
    labels_layer, shapes = widget.labels_layer, widget.shapes_layer
    before = labels_layer.data.copy()
    label = _isolated_nucleus(before)
    index = shapes.features[NUCLEUS].tolist().index(label)
    _move(shapes, index, dx=5.0, dy=4.0)
    after = labels_layer.data.copy()
    changed = before != after
    assert changed.any(), 'the moved nucleus kept its pixels'
    assert np.isin(before[changed], [0, label]).all() and np.isin(after[changed], [0, label]).all()
    for other in np.unique(before):
        if other not in (0, label):
            assert np.array_equal(before == other, after == other)
    # the new pixels are SAM's mask of the moved box, where the label map was background or the nucleus itself
    (y0, y1, x0, x1), mask = widget.session.decode(shape_to_box(shapes.data[index]))
    expected = np.zeros(before.shape, bool)
    expected[y0:y1, x0:x1] = mask
    assert np.array_equal(after == label, expected & np.isin(before, [0, label]))
    # one box edit is one undo step of the Labels layer
    labels_layer.undo()
    assert np.array_equal(labels_layer.data, before)
    labels_layer.redo()
    assert np.array_equal(labels_layer.data, after)
    # moving the box back gives the nucleus back exactly
    _move(shapes, index, dx=-5.0, dy=-4.0)
    assert np.array_equal(labels_layer.data, before)


def test_deleting_and_drawing_boxes(segmented):
    widget = segmented
    labels_layer, shapes = widget.labels_layer, widget.shapes_layer
    before = labels_layer.data.copy()
    count = shapes.nshapes
    label = _isolated_nucleus(before)
    index = shapes.features[NUCLEUS].tolist().index(label)
    box = shape_to_box(shapes.data[index])
    shapes.selected_data = {index}
    shapes.remove_selected()
    assert not (labels_layer.data == label).any()
    assert np.array_equal(labels_layer.data, np.where(before == label, 0, before))
    assert label not in widget.session.nuclei
    # a box drawn where the nucleus was becomes a new nucleus, with the same pixels and a new id
    shapes.add_rectangles(box_to_rectangle(box))
    new_label = int(shapes.features[NUCLEUS].iloc[-1])
    assert new_label == count + 1 and shapes.nshapes == count
    assert shapes.features[SCORE].iloc[-1] == MANUAL_SCORE
    assert np.array_equal(labels_layer.data == new_label, before == label)
    others = (before != label)
    assert np.array_equal(labels_layer.data[others], before[others])
    # exported, the drawn nucleus takes its place in score order (MANUAL_SCORE = 1 comes first)
    result = widget.current_result()
    assert result.num_nuclei == count and result.scores[0] == MANUAL_SCORE
    assert np.array_equal(result.labels == 1, before == label)


def test_unchanged_boxes_make_no_edit(segmented):
    widget = segmented
    before = widget.labels_layer.data.copy()
    assert widget.link.sync() == []
    _move(widget.shapes_layer, 0, dx=BOX_TOLERANCE / 10, dy=0.0)  # below the tolerance: unchanged
    assert widget.link.last_edits == [] and np.array_equal(widget.labels_layer.data, before)
    widget.correct_check.setChecked(False)  # correction off: boxes move, labels stay
    _move(widget.shapes_layer, 0, dx=6.0, dy=0.0)
    assert np.array_equal(widget.labels_layer.data, before)
    widget.correct_check.setChecked(True)  # on again: the moved box is decoded now
    assert not np.array_equal(widget.labels_layer.data, before)


def test_redecoding_one_box_is_fast_on_cpu(segmented):
    """Issue 22's acceptance: re-decoding one edited box takes < 0.2 s on CPU (embedding cached)."""
    widget = segmented
    shapes, session = widget.shapes_layer, widget.session
    label = _isolated_nucleus(widget.labels_layer.data)
    index = shapes.features[NUCLEUS].tolist().index(label)
    box = shape_to_box(shapes.data[index])
    decode_times, sync_times = [], []
    for step in range(1, 8):
        start = time.perf_counter()
        session.decode(box + step)
        decode_times.append(time.perf_counter() - start)
        _move(shapes, index, dx=1.0, dy=1.0)  # the whole path: event, decode, label update (data_setitem)
        assert [edit.label for edit in widget.link.last_edits] == [label]
        sync_times.append(widget.link.last_seconds)
    decode_ms, sync_ms = 1000 * np.median(decode_times), 1000 * np.median(sync_times)
    print(f'\nre-decode one box: SAM decode {decode_ms:.1f} ms, box edit -> labels updated {sync_ms:.1f} ms '
          f'(median of {len(sync_times)}, CPU)')
    assert np.median(sync_times) < 0.2 and np.median(decode_times) < 0.2


def test_export_equals_infer_cli(segmented, tmp_path):
    infer = load_infer_tool()
    assert infer.main([str(DEMO_IMAGE), '--out', str(tmp_path / 'cli')]) == 0
    paths = segmented.export(tmp_path / 'widget')
    stem = DEMO_IMAGE.stem
    assert set(paths) == {'tif', 'png', 'geojson', 'csv'}
    assert paths['tif'] == tmp_path / 'widget' / f'{stem}_labels.tif'
    cli_labels = tifffile.imread(tmp_path / 'cli' / f'{stem}_labels.tif')
    widget_labels = tifffile.imread(paths['tif'])
    assert cli_labels.dtype == widget_labels.dtype and np.array_equal(cli_labels, widget_labels)
    cli_geojson = json.loads((tmp_path / 'cli' / f'{stem}.geojson').read_text())
    assert json.loads(paths['geojson'].read_text()) == cli_geojson and len(cli_geojson['features']) > 5
    assert paths['csv'].read_text() == (tmp_path / 'cli' / f'{stem}_nuclei.csv').read_text()
    assert paths['png'].read_bytes() == (tmp_path / 'cli' / f'{stem}_overlay.png').read_bytes()


def test_options_reach_the_segmenter(qtbot, viewer):
    from centersam_mm.napari._widget import CUSTOM, SegmentWidget
    widget = SegmentWidget(viewer)
    qtbot.addWidget(widget)
    assert widget.options() == dict(tile_size=1024, scale=None, diameter=None, pixel_size=None, channels=None)
    widget.channels_edit.setText('2,1')
    widget.diameter_spin.setValue(12.5)
    widget.pixel_size_spin.setValue(0.25)
    widget.scale_spin.setValue(1.5)
    widget.tile_spin.setValue(0)
    assert widget.options() == dict(tile_size=None, scale=1.5, diameter=12.5, pixel_size=0.25, channels=(2, 1))
    widget.model_combo.setCurrentText(CUSTOM)
    assert widget.config_edit.isEnabled() and widget.model_key() == ('', '', 'cpu')
    widget.segment()  # no image open: a message, no worker
    assert widget.worker is None and 'open an image' in widget.status_label.text()
    viewer.add_image(read_image(DEMO_IMAGE), name='demo', rgb=True)
    assert widget.image_combo.currentText() == 'demo'
    widget.segment()  # custom model without a config: a message, no worker
    assert widget.worker is None and 'choose a config' in widget.status_label.text()
    widget.config_edit.setText('no_such_config')  # fails in the worker: reported, the button comes back
    widget.segment()
    qtbot.waitUntil(lambda: widget.last_error is not None and widget.segment_button.isEnabled(), timeout=30_000)
    assert isinstance(widget.last_error, FileNotFoundError) and 'no_such_config' in widget.status_label.text()
    assert widget.labels_layer is None


def test_plugin_is_listed_and_docks_in_a_napari_window(qtbot):
    import napari
    from npe2 import PluginManager
    from centersam_mm.napari._widget import SegmentWidget
    manager = PluginManager.instance()
    manager.discover()
    manifest = manager.get_manifest('centersam_mm')
    assert [widget.display_name for widget in manifest.contributions.widgets] == ['Segment nuclei (CenterSAM)']
    assert manifest.contributions.readers and manifest.contributions.writers
    assert (REPO_ROOT / 'centersam_mm' / 'napari' / 'napari.yaml').is_file()
    viewer = napari.Viewer(show=False)
    try:
        dock, widget = viewer.window.add_plugin_dock_widget('centersam_mm', 'Segment nuclei (CenterSAM)')
        assert isinstance(widget, SegmentWidget) and dock.widget() is not None
        assert widget.image_combo.count() == 0 and widget.segment_button.text() == 'Segment'
    finally:
        viewer.close()
