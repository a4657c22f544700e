"""napari plugin (npe2 manifest ``napari.yaml``): segment the open image, correct nuclei by their boxes.

Install with ``pip install -e .[napari]`` (``make setup`` does), then *Plugins > Segment nuclei (CenterSAM)*.
Contributions: the dock widget (:class:`._widget.SegmentWidget`), a reader for our GeoJSON (shapes) and
``*_labels.tif`` (labels), and a writer of Labels layers as our label TIFF (:mod:`._io`).
Importing this package imports neither napari nor Qt; its modules do.
"""
