"""napari plugin tests: headless Qt (QT_QPA_PLATFORM=offscreen, set before any QApplication exists).

The widget is tested on napari's ``ViewerModel`` (the viewer without its OpenGL canvas): Qt's offscreen platform
gives no OpenGL context here (no X server), and napari's canvas needs one to draw a layer. One test opens a real
``napari.Viewer`` window (no layers, so no drawing) to dock the plugin's widget from its npe2 manifest.
"""
import os

os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
if 'QT_API' not in os.environ:  # napari's Qt (qtpy) on the binding pytest-qt chose, should several be installed
    from pytestqt.qt_compat import qt_api
    if getattr(qt_api, 'pytest_qt_api', None):
        os.environ['QT_API'] = qt_api.pytest_qt_api

import pytest  # noqa: E402
from _napari_helpers import DEMO_IMAGE  # noqa: E402


@pytest.fixture(scope='session', autouse=True)
def _plugins_discovered():
    """npe2's plugin manager with the installed plugins (napari's builtins and ours), as napari starts it."""
    from npe2 import PluginManager
    PluginManager.instance().discover()


@pytest.fixture(scope='session')
def default_segmenter():
    """The built-in CenterSAM model (CPU), loaded once for the session."""
    from centersam_mm.apis import NucleusSegmenter
    return NucleusSegmenter()


@pytest.fixture
def viewer():
    from napari.components import ViewerModel
    return ViewerModel()


@pytest.fixture
def segmented(qtbot, viewer, default_segmenter):
    """The widget after segmenting the demo image (opened with napari's own reader) with the default model."""
    from centersam_mm.napari._widget import SegmentWidget
    viewer.open(str(DEMO_IMAGE), plugin='napari')
    widget = SegmentWidget(viewer)
    qtbot.addWidget(widget)
    widget._segmenters[widget.model_key()] = default_segmenter  # the session's model, not a second copy
    widget.segment()
    qtbot.waitUntil(lambda: widget.labels_layer is not None or widget.last_error is not None, timeout=120_000)
    assert widget.last_error is None, widget.last_error
    qtbot.waitUntil(lambda: widget.segment_button.isEnabled(), timeout=10_000)
    return widget
