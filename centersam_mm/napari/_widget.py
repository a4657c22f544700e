"""The dock widget: segment the selected image layer, correct nuclei by their boxes, export the result.

"Segment" runs in a napari ``thread_worker`` (the model is loaded there the first time, then kept): it segments
the image as ``tools/infer.py`` does (:func:`centersam_mm.apis.correction.segment_for_correction`), then encodes
the SAM windows that hold nuclei so that corrections only decode. It adds a Labels layer ``<image> nuclei`` and a
Shapes layer ``<image> boxes`` (the prompts, feature ``score``, edge colour by score). Editing that Shapes layer
re-decodes the nuclei whose boxes changed (:class:`~centersam_mm.napari._layers.BoxCorrectionLink`). "Export"
writes the current labels through :func:`centersam_mm.apis.batch.write_outputs`, the code ``tools/infer.py``
uses, under the names it uses.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                            QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout,
                            QWidget)

from ..apis.correction import CorrectionUnavailable, relabel_by_score, segment_for_correction
from ..io.readers import parse_channels, to_rgb_uint8

BUILT_IN = 'built-in CenterSAM (DSB 2018 + MoNuSeg)'
CUSTOM = 'config + weights'
FORMATS = ('tif', 'png', 'geojson', 'csv', 'coco')
DEFAULT_FORMATS = ('tif', 'png', 'geojson', 'csv')


class SegmentWidget(QWidget):
    """Dock widget of the plugin (see the module docstring); ``napari_viewer`` may be a ``ViewerModel``."""

    progressed = Signal(int, int, str)  # done, total (0: busy), message; emitted from the worker thread

    def __init__(self, napari_viewer, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.viewer = napari_viewer
        self._segmenters: Dict[Tuple[str, str, str], object] = {}
        self.session = None  # CorrectionSession of the last segmentation (None for models without SAM boxes)
        self.result = None  # its NucleusResult as segmented
        self.image = None  # the RGB uint8 image segmented
        self.image_name = ''
        self.labels_layer = None
        self.shapes_layer = None
        self.link = None  # BoxCorrectionLink
        self.worker = None
        self.last_error: Optional[BaseException] = None
        self._build()
        self.progressed.connect(self._on_progress)
        for event in (napari_viewer.layers.events.inserted, napari_viewer.layers.events.removed):
            event.connect(self._refresh_images)
        self._refresh_images()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.image_combo = QComboBox()
        form.addRow('image', self.image_combo)
        self.model_combo = QComboBox()
        self.model_combo.addItems([BUILT_IN, CUSTOM])
        form.addRow('model', self.model_combo)
        self.config_edit, config_row = self._path_row('config (.py or name)', 'Config (*.py)')
        self.weights_edit, weights_row = self._path_row('checkpoint (.pth)', 'Checkpoint (*.pth)')
        form.addRow('config', config_row)
        form.addRow('weights', weights_row)
        self.device_combo = QComboBox()
        self.device_combo.setEditable(True)
        self.device_combo.addItems(['cpu'] + (['cuda'] if _cuda_available() else []))
        form.addRow('device', self.device_combo)
        self.channels_edit = QLineEdit()
        self.channels_edit.setPlaceholderText('as is; N or N,M (1-based)')
        form.addRow('channels', self.channels_edit)
        self.diameter_spin = self._auto_spin(' px', 1000.0)
        form.addRow('diameter', self.diameter_spin)
        self.pixel_size_spin = self._auto_spin(' µm/px', 100.0, decimals=4)
        form.addRow('pixel size', self.pixel_size_spin)
        self.scale_spin = self._auto_spin('', 100.0, decimals=4)
        form.addRow('scale', self.scale_spin)
        self.tile_spin = QSpinBox()
        self.tile_spin.setRange(0, 1 << 16)
        self.tile_spin.setSingleStep(256)
        self.tile_spin.setValue(1024)
        self.tile_spin.setSpecialValueText('never')
        form.addRow('tile size', self.tile_spin)
        layout.addLayout(form)
        self.segment_button = QPushButton('Segment')
        self.segment_button.clicked.connect(self.segment)
        layout.addWidget(self.segment_button)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        layout.addWidget(self.progress_bar)
        self.status_label = QLabel('')
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        self.correct_check = QCheckBox('re-decode nuclei when their boxes are edited')
        self.correct_check.setChecked(True)
        self.correct_check.toggled.connect(self._on_correct_toggled)
        layout.addWidget(self.correct_check)

        export = QGroupBox('export')
        export_layout = QVBoxLayout(export)
        formats_row = QHBoxLayout()
        self.format_checks = {}
        for fmt in FORMATS:
            check = QCheckBox(fmt)
            check.setChecked(fmt in DEFAULT_FORMATS)
            formats_row.addWidget(check)
            self.format_checks[fmt] = check
        export_layout.addLayout(formats_row)
        self.annotations_check = QCheckBox('GeoJSON as QuPath annotations')
        export_layout.addWidget(self.annotations_check)
        self.export_button = QPushButton('Export…')
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._choose_export_folder)
        export_layout.addWidget(self.export_button)
        layout.addWidget(export)
        layout.addStretch(1)
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self._on_model_changed(self.model_combo.currentText())

    def _path_row(self, placeholder: str, file_filter: str) -> Tuple[QLineEdit, QWidget]:
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        button = QPushButton('…')
        button.setMaximumWidth(30)
        button.clicked.connect(lambda: self._browse(edit, file_filter))
        row_layout.addWidget(edit)
        row_layout.addWidget(button)
        return edit, row

    def _browse(self, edit: QLineEdit, file_filter: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, 'Choose a file', '', file_filter)
        if path:
            edit.setText(path)

    @staticmethod
    def _auto_spin(suffix: str, maximum: float, decimals: int = 2) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, maximum)
        spin.setDecimals(decimals)
        spin.setSuffix(suffix)
        spin.setSpecialValueText('auto')  # 0: estimated from the image
        return spin

    def _on_model_changed(self, text: str) -> None:
        custom = text == CUSTOM
        self.config_edit.setEnabled(custom)
        self.weights_edit.setEnabled(custom)

    def _refresh_images(self, event=None) -> None:
        from napari.layers import Image
        current = self.image_combo.currentText()
        names = [layer.name for layer in self.viewer.layers if isinstance(layer, Image)]
        self.image_combo.clear()
        self.image_combo.addItems(names)
        if current in names:
            self.image_combo.setCurrentText(current)
        elif names:
            selected = [layer.name for layer in self.viewer.layers.selection if layer.name in names]
            self.image_combo.setCurrentText(selected[0] if selected else names[-1])

    # ------------------------------------------------------------------ options
    def options(self) -> dict:
        """The segmenter's options as chosen in the widget (keyword arguments of ``NucleusSegmenter``)."""
        def value(spin: QDoubleSpinBox) -> Optional[float]:
            return spin.value() or None
        return dict(tile_size=self.tile_spin.value() or None, scale=value(self.scale_spin),
                    diameter=value(self.diameter_spin), pixel_size=value(self.pixel_size_spin),
                    channels=parse_channels(self.channels_edit.text().strip() or None))

    def model_key(self) -> Tuple[str, str, str]:
        """(config, weights, device); config '' for the built-in model."""
        device = self.device_combo.currentText().strip() or 'cpu'
        if self.model_combo.currentText() == BUILT_IN:
            return '', '', device
        return self.config_edit.text().strip(), self.weights_edit.text().strip(), device

    def build_segmenter(self, key: Optional[Tuple[str, str, str]] = None, options: Optional[dict] = None):
        """A ``NucleusSegmenter`` for ``key`` (default: the widget's model) with ``options`` (default: the
        widget's); the model is loaded once per (config, weights, device) and kept."""
        from ..apis.segmenter import NucleusSegmenter
        config, weights, device = key = key or self.model_key()
        options = self.options() if options is None else options
        if key not in self._segmenters:
            self._segmenters[key] = NucleusSegmenter(config or None, weights or None, device)
        model = self._segmenters[key].instance_fn
        return NucleusSegmenter(getattr(model, 'model', model), device=device, **options)

    # ------------------------------------------------------------------ segmenting
    def selected_image_layer(self):
        name = self.image_combo.currentText()
        if not name or name not in self.viewer.layers:
            raise ValueError('open an image first')
        return self.viewer.layers[name]

    def segment(self) -> None:
        """Segment the chosen image layer in a worker thread (see the module docstring)."""
        from napari.qt.threading import thread_worker
        try:
            layer = self.selected_image_layer()
            options = self.options()
            if self.model_combo.currentText() == CUSTOM and not self.model_key()[0]:
                raise ValueError('choose a config (or the built-in model)')
        except ValueError as error:
            self._status(f'error: {error}')
            return
        data = layer.data[0] if layer.multiscale else layer.data
        self.segment_button.setEnabled(False)
        self.last_error = None
        self._status(f'segmenting {layer.name}…')
        self.progress_bar.setRange(0, 0)
        # the widget's state is read here, in the GUI thread; the worker only gets plain values
        worker = thread_worker(self._run, start_thread=False,
                               connect={'errored': self._on_error})(data, self.model_key(), options)
        worker.returned.connect(lambda out: self._on_segmented(layer, out))
        worker.finished.connect(lambda: self.segment_button.setEnabled(True))
        self.worker = worker
        worker.start()

    def _run(self, data, key: Tuple[str, str, str], options: dict):
        """Worker thread: model, image, segmentation, embeddings."""
        self.progressed.emit(0, 0, 'loading the model…')
        segmenter = self.build_segmenter(key, options)
        image = to_rgb_uint8(np.asarray(data), options['channels'])
        done = [0]

        def on_tiles(total: int):  # called once the tiles are known (their size depends on the factor)
            self.progressed.emit(0, 0 if total == 1 else total, 'segmenting…')

            def tile_done():
                done[0] += 1
                self.progressed.emit(done[0], total, f'segmented tile {done[0]}/{total}')
            return tile_done

        self.progressed.emit(0, 0, 'segmenting…')
        try:
            session = segment_for_correction(segmenter, image, on_tiles=on_tiles)
        except CorrectionUnavailable:
            return None, segmenter.predict_rgb(image, on_tiles=on_tiles), image
        session.prefetch(lambda k, n: self.progressed.emit(k, n, f'encoding SAM window {k}/{n} for corrections'))
        return session, session.result, image

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)
        self._status(message)

    def _on_error(self, error: BaseException) -> None:
        self.last_error = error
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self._status(f'error: {type(error).__name__}: {error}')

    def _on_segmented(self, layer, out) -> None:
        from ._layers import BoxCorrectionLink, add_result_layers, box_layer_kwargs
        session, result, image = out
        if self.link is not None:
            self.link.disconnect()
            self.link = None
        for old in (self.labels_layer, self.shapes_layer):
            if old is not None and old in self.viewer.layers:
                self.viewer.layers.remove(old)
        self.session, self.result, self.image = session, result, image
        self.image_name = _layer_stem(layer)
        placement = dict(scale=layer.scale[-2:], translate=layer.translate[-2:])
        if session is not None:
            self.labels_layer, self.shapes_layer = add_result_layers(self.viewer, session, layer.name, placement)
            self.link = BoxCorrectionLink(session, self.labels_layer, self.shapes_layer)
            self.link.enabled = self.correct_check.isChecked()
            note = f'; {session.num_cached} SAM window(s) cached for corrections'
        else:
            self.labels_layer = self.viewer.add_labels(result.labels.copy(), name=f'{layer.name} nuclei',
                                                       **placement)
            ids = np.arange(1, result.num_nuclei + 1)
            self.shapes_layer = self.viewer.add_shapes(name=f'{layer.name} boxes', **placement,
                                                       **box_layer_kwargs(result.boxes, ids, result.scores))
            note = '; this model has no box-prompted SAM: boxes cannot re-decode nuclei'
        scale = '' if result.scale is None else f' at scale {result.scale:.3g}'
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.export_button.setEnabled(True)
        self._status(f'{result.num_nuclei} nuclei{scale}{note}')

    def _on_correct_toggled(self, checked: bool) -> None:
        if self.link is not None:
            self.link.enabled = checked
            if checked:
                self.link.sync()

    # ------------------------------------------------------------------ export
    def current_result(self):
        """The current labels (with corrections) as a ``NucleusResult`` renumbered as the pipeline numbers."""
        if self.labels_layer is None:
            raise ValueError('segment an image first')
        labels = np.asarray(self.labels_layer.data)
        if self.session is not None:
            return self.session.export_result(labels)
        scores = dict(zip(range(1, self.result.num_nuclei + 1), self.result.scores.tolist()))
        return relabel_by_score(labels, lambda label: scores.get(label, 1.0), self.result.scale)

    def export(self, out_dir, formats: Optional[Sequence[str]] = None) -> Dict[str, Path]:
        """Write the exports of the current result under ``out_dir`` (names as ``tools/infer.py``'s)."""
        from ..apis.batch import output_paths, write_outputs
        formats = tuple(formats or [fmt for fmt, check in self.format_checks.items() if check.isChecked()])
        if not formats:
            raise ValueError('choose at least one export format')
        result = self.current_result()
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        paths = output_paths(Path(out_dir), Path(self.image_name), formats)
        write_outputs(result, self.image, paths, 'annotation' if self.annotations_check.isChecked() else 'detection')
        self._status(f'{result.num_nuclei} nuclei written to {Path(out_dir) / self.image_name}*')
        return paths

    def _choose_export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, 'Export to folder')
        if folder:
            try:
                self.export(folder)
            except (OSError, ValueError) as error:
                self._status(f'error: {error}')

    def _status(self, text: str) -> None:
        self.status_label.setText(text)


def _layer_stem(layer) -> str:
    """Output name of an image layer: its file's stem when opened from a file, else the layer name."""
    path = getattr(getattr(layer, 'source', None), 'path', None)
    return Path(path).stem if path else layer.name


def _cuda_available() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        return False
