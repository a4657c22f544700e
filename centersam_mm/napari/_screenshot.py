"""A screenshot of napari with the plugin's widget after segmenting an image, rendered headless.

With an OpenGL context (a desktop, or ``xvfb-run``), napari draws its canvas itself and the window is captured
as it is (``Window.screenshot``). Without one (Qt's ``offscreen`` platform on a machine without an X server),
napari cannot draw a layer: the window is then built with its layer visuals switched off, and the canvas area
shows the layers composited here from napari's own state: the image, each label in the Labels layer's colour at
the layer's opacity, each box outlined in its Shapes edge colour, fitted to the canvas as napari's home view.
Every other part of the window (layer list, layer controls, our dock widget) is Qt's own rendering.
"""
import contextlib
import os
import time
from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

DEFAULT_SIZE = (1400, 820)
CANVAS_BACKGROUND = (38, 41, 48)  # napari's dark theme canvas


def opengl_available() -> bool:
    """True if Qt can create an OpenGL context (napari's canvas needs one); asked in a child process, as some
    platforms crash on trying."""
    import subprocess
    import sys
    probe = ('from qtpy.QtWidgets import QApplication; from qtpy.QtGui import QOpenGLContext; '
             'app = QApplication([]); raise SystemExit(0 if QOpenGLContext().create() else 3)')
    try:
        return subprocess.run([sys.executable, '-c', probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def _without_layer_visuals() -> Iterator[None]:
    """napari's Qt viewer without vispy visuals for its layers (nothing to draw them with)."""
    from napari._qt.qt_viewer import QtViewer
    from napari._vispy.canvas import VispyCanvas
    originals = QtViewer._add_layer, VispyCanvas._remove_layer
    QtViewer._add_layer = lambda self, layer: None
    VispyCanvas._remove_layer = lambda self, event: None
    try:
        yield
    finally:
        QtViewer._add_layer, VispyCanvas._remove_layer = originals


def composite_canvas(viewer, size: Tuple[int, int], margin: float = 0.05) -> np.ndarray:
    """(h, w, 3) uint8: the visible Image, Labels and Shapes (rectangles/polygons) layers of a 2-D viewer
    drawn as napari draws them at its home view (the data fitted to the canvas, ``margin`` around)."""
    from napari.layers import Image, Labels, Shapes
    from qtpy.QtCore import QPointF, Qt
    from qtpy.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

    width, height = size
    base = None
    for layer in viewer.layers:
        if isinstance(layer, Image) and layer.visible:
            base = _image_rgb(layer)
    if base is None:
        raise ValueError('no visible image layer')
    picture = base.astype(np.float32)
    for layer in viewer.layers:
        if isinstance(layer, Labels) and layer.visible:
            colours = np.asarray(layer.colormap.map(np.asarray(layer.data)), np.float32)
            alpha = colours[..., 3:4] * layer.opacity
            picture = picture * (1 - alpha) + colours[..., :3] * 255 * alpha
    rows, cols = base.shape[:2]
    zoom = min(width / cols, height / rows) * (1 - 2 * margin)
    shown = np.ascontiguousarray(np.clip(picture, 0, 255).astype(np.uint8))
    canvas = QImage(width, height, QImage.Format_RGB888)
    canvas.fill(QColor(*CANVAS_BACKGROUND))
    origin = ((width - cols * zoom) / 2, (height - rows * zoom) / 2)
    source = QImage(shown.data, cols, rows, 3 * cols, QImage.Format_RGB888)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
    painter.drawImage(QPointF(*origin), source.scaled(int(round(cols * zoom)), int(round(rows * zoom))))
    painter.setRenderHint(QPainter.Antialiasing, True)
    for layer in viewer.layers:
        if not (isinstance(layer, Shapes) and layer.visible):
            continue
        for vertices, colour, edge_width in zip(layer.data, layer.edge_color, layer.edge_width):
            # napari vertex (row, col): pixel centres at integers, so corners sit at -0.5
            points = [QPointF(origin[0] + (x + 0.5) * zoom, origin[1] + (y + 0.5) * zoom)
                      for y, x in np.asarray(vertices)[:, -2:]]
            pen = QPen(QColor.fromRgbF(*[float(c) for c in colour[:3]], float(colour[3]) * layer.opacity))
            pen.setWidthF(max(1.0, edge_width * zoom))
            pen.setJoinStyle(Qt.MiterJoin)
            painter.setPen(pen)
            painter.drawPolygon(QPolygonF(points))
    painter.end()
    data = canvas.constBits()
    data.setsize(canvas.sizeInBytes() if hasattr(canvas, 'sizeInBytes') else canvas.byteCount())
    return np.frombuffer(data, np.uint8).reshape(height, canvas.bytesPerLine())[:, :3 * width] \
        .reshape(height, width, 3).copy()


def _image_rgb(layer) -> np.ndarray:
    """An Image layer as shown: RGB as is, grey through its contrast limits (grey colormap)."""
    data = np.asarray(layer.data[0] if layer.multiscale else layer.data)
    if layer.rgb:
        return data[..., :3].astype(np.uint8) if data.dtype == np.uint8 else \
            np.clip(data[..., :3] * (255 if data.max() <= 1 else 1), 0, 255).astype(np.uint8)
    low, high = layer.contrast_limits
    grey = np.clip((data.astype(np.float32) - low) / max(high - low, 1e-9), 0, 1) * 255
    return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)


def render_screenshot(image_path, out_path, size: Tuple[int, int] = DEFAULT_SIZE, timeout_s: float = 300,
                      segmenter=None, force_composite: bool = False) -> Path:
    """Open ``image_path`` in napari, dock the plugin's widget, segment, save the window as ``out_path``.

    ``segmenter``: a ``NucleusSegmenter`` to take the model from (default: the widget loads the built-in one).
    ``force_composite``: draw the canvas here even where OpenGL is available. Returns ``out_path``.
    """
    os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
    import napari
    from qtpy.QtWidgets import QApplication

    composite = force_composite or not opengl_available()
    with _without_layer_visuals() if composite else contextlib.nullcontext():
        viewer = napari.Viewer(show=False)
        try:
            viewer.open(str(image_path), plugin='napari')
            _, widget = viewer.window.add_plugin_dock_widget('centersam_mm', 'Segment nuclei (CenterSAM)')
            if segmenter is not None:
                widget._segmenters[widget.model_key()] = segmenter
            window = viewer.window._qt_window
            window.resize(*size)
            widget.segment()
            deadline = time.time() + timeout_s
            while widget.labels_layer is None and widget.last_error is None and time.time() < deadline:
                QApplication.processEvents()
                time.sleep(0.02)
            if widget.labels_layer is None:
                raise RuntimeError(f'segmentation did not finish: {widget.last_error or "timeout"}')
            while not widget.segment_button.isEnabled() and time.time() < deadline:
                QApplication.processEvents()
                time.sleep(0.02)
            viewer.layers.selection.active = widget.shapes_layer
            out_path = Path(out_path)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            if not composite:
                window.show()
                viewer.reset_view()
                QApplication.processEvents()
                viewer.window.screenshot(str(out_path), canvas_only=False)
                return out_path
            _show_composite_canvas(viewer, window)
            window.grab().save(str(out_path))
            return out_path
        finally:
            viewer.close()


def _show_composite_canvas(viewer, window) -> None:
    """Lay the composited canvas where napari's OpenGL canvas would be, at that widget's size."""
    from qtpy.QtGui import QImage, QPixmap
    from qtpy.QtWidgets import QApplication, QLabel
    canvas = viewer.window._qt_viewer.canvas.native
    window.show()
    QApplication.processEvents()
    width, height = max(canvas.width(), 64), max(canvas.height(), 64)
    layout = canvas.parentWidget().layout()
    index = layout.indexOf(canvas)
    layout.removeWidget(canvas)
    canvas.hide()
    pixels = composite_canvas(viewer, (width, height))
    label = QLabel()
    label.setPixmap(QPixmap.fromImage(QImage(pixels.data, width, height, 3 * width, QImage.Format_RGB888).copy()))
    label.setMinimumSize(width, height)
    layout.insertWidget(index, label, 1)
    QApplication.processEvents()
