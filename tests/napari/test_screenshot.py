"""The headless screenshot of docs/images/napari_widget.png (tools/analysis_tools/napari_screenshot.py)."""
import numpy as np
import pytest

from centersam_mm.napari._screenshot import CANVAS_BACKGROUND, composite_canvas, render_screenshot

from _napari_helpers import DEMO_IMAGE


def test_composite_canvas_draws_image_labels_and_boxes(viewer):
    image = np.full((20, 40, 3), 100, np.uint8)
    labels = np.zeros((20, 40), np.uint16)
    labels[5:10, 5:10] = 1
    viewer.add_image(image, rgb=True)
    labels_layer = viewer.add_labels(labels, opacity=0.5)
    viewer.add_shapes([np.array([[9.5, 19.5], [9.5, 29.5], [14.5, 29.5], [14.5, 19.5]])], shape_type='rectangle',
                      edge_color='red', face_color='transparent', edge_width=1)
    canvas = composite_canvas(viewer, (400, 300), margin=0.0)  # 10 canvas pixels per image pixel
    assert canvas.shape == (300, 400, 3)
    assert (canvas[5, 200] == CANVAS_BACKGROUND).all() and (canvas[150, 50] == 100).all()  # border, image
    colour = np.asarray(labels_layer.colormap.map(np.array([1])))[0, :3] * 255
    assert np.abs(canvas[50 + 75, 75].astype(float) - (0.5 * 100 + 0.5 * colour)).max() <= 1.5  # label 1
    edge = canvas[50 + 100, 200 + 50]  # the box's top-left corner: image pixel (10, 20) corner
    assert edge[0] > 200 and edge[1] < 60 and edge[2] < 60


@pytest.mark.slow
def test_screenshot_of_the_widget_after_segmenting(tmp_path, default_segmenter):
    from qtpy.QtGui import QImage
    out = render_screenshot(DEMO_IMAGE, tmp_path / 'napari_widget.png', size=(1000, 640),
                            segmenter=default_segmenter, force_composite=True)
    picture = QImage(str(out))
    assert picture.width() == 1000 and picture.height() >= 640  # at least the size asked for (the dock's minimum)
    pixels = np.array([[picture.pixelColor(x, y).getRgb()[:3] for x in range(0, picture.width(), 5)]
                       for y in range(0, picture.height(), 5)])
    saturated = (pixels.max(-1).astype(int) - pixels.min(-1)) > 80  # label colours / boxes, not napari's greys
    assert saturated.mean() > 0.01
