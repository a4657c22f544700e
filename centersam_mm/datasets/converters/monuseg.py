"""MoNuSeg (``*.tif`` H&E images + Aperio ``*.xml`` polygon annotations) → 3×3 crops.

Rasterisation: each Aperio ``<Region>`` is one nucleus; its ``<Vertex X= Y=>`` coordinates (pixels,
may be fractional) are rounded to the nearest integer and filled with ``cv2.fillPoly`` (boundary
included). Regions with fewer than 3 vertices are skipped with a warning.

Overlap rule: the polygon with the smaller filled area wins a shared pixel (ties: the earlier region
in the XML wins).

Crops (as Cellpose does for MoNuSeg): a H×W image is cut on a 3×3 grid at rows
``[0, H//3, 2*H//3, H]`` and columns ``[0, W//3, 2*W//3, W]``; for 1000×1000 the tiles are
333, 333 and 334 pixels wide/high. A nucleus cut by a tile border stays an instance in every tile
that holds part of it; labels are renumbered 1..n within each tile in order of first label value.
Crops are named ``<image stem>_r<row>c<col>`` and grouped by source image for splitting.
"""
import logging
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import cv2
import numpy as np
import tifffile

from .errors import ConversionError
from .writer import Sample

logger = logging.getLogger(__name__)

GRID = 3
CROP_RULE = '3x3 grid, edges [0, n//3, 2n//3, n] (1000 -> 333/333/334)'
OVERLAP_RULE = 'smaller-area polygon wins; equal areas: earlier region in the XML wins'


def read_image(path: Path) -> np.ndarray:
    """Read a MoNuSeg TIFF as (H, W, 3) uint8 RGB (an alpha channel is dropped)."""
    try:
        image = tifffile.imread(str(path))
    except (OSError, ValueError, tifffile.TiffFileError) as error:
        raise ConversionError(path, f'cannot be read as TIFF ({error})') from error
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise ConversionError(path, f'expected an RGB(A) uint8 image, got {image.shape} {image.dtype}')
    return np.ascontiguousarray(image[..., :3])


def parse_annotation(path: Path) -> Tuple[float, List[np.ndarray]]:
    """Parse an Aperio XML file.

    Returns:
        MicronsPerPixel (from the root ``Annotations`` element) and one (K, 2) float array of
        (x, y) pixel vertices per region, in document order.
    """
    try:
        root = ElementTree.parse(str(path)).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise ConversionError(path, f'cannot be parsed as XML ({error})') from error
    mpp_text = root.get('MicronsPerPixel')
    try:
        microns_per_pixel = float(mpp_text)
    except (TypeError, ValueError) as error:
        raise ConversionError(path, f'MicronsPerPixel attribute missing or not a number: {mpp_text!r}') from error
    polygons = []
    for region in root.iter('Region'):
        vertices = []
        for vertex in region.iter('Vertex'):
            try:
                vertices.append((float(vertex.get('X')), float(vertex.get('Y'))))
            except (TypeError, ValueError) as error:
                raise ConversionError(path, f'region {region.get("Id")}: malformed vertex '
                                            f'X={vertex.get("X")!r} Y={vertex.get("Y")!r}') from error
        polygons.append(np.asarray(vertices, np.float64).reshape(-1, 2))
    return microns_per_pixel, polygons


def _fill_polygon(polygon: np.ndarray, shape: Tuple[int, int]) -> Tuple[Tuple[slice, slice], np.ndarray]:
    """Fill one polygon inside its bounding box (clipped to the image).

    Returns:
        The (rows, cols) slices of the box in the image and the (h, w) bool mask inside it.
    """
    points = np.round(polygon).astype(np.int32)
    low = np.maximum(points.min(axis=0), 0)
    high = np.minimum(points.max(axis=0) + 1, (shape[1], shape[0]))
    if np.any(high <= low):
        return (slice(0, 0), slice(0, 0)), np.zeros((0, 0), bool)
    mask = np.zeros((high[1] - low[1], high[0] - low[0]), np.uint8)
    cv2.fillPoly(mask, [points], 1, offset=(-int(low[0]), -int(low[1])))
    return (slice(low[1], high[1]), slice(low[0], high[0])), mask.astype(bool)


def rasterise(polygons: List[np.ndarray], shape: Tuple[int, int], source: Path) -> np.ndarray:
    """Fill polygons into an (H, W) int32 label map (region i → label i + 1) with the overlap rule."""
    filled = []
    for index, polygon in enumerate(polygons):
        if len(polygon) < 3:
            logger.warning('%s: region %d has %d vertices; skipped', source, index + 1, len(polygon))
            continue
        box, mask = _fill_polygon(polygon, shape)
        filled.append((index + 1, box, mask))
    label_map = np.zeros(shape, np.int32)
    for label, box, mask in sorted(filled, key=lambda item: (-int(item[2].sum()), -item[0])):
        label_map[box][mask] = label
    vanished = sorted({label for label, _, _ in filled} - set(np.unique(label_map).tolist()))
    if vanished:
        logger.warning('%s: regions %s empty or covered by smaller ones; dropped', source, vanished)
    return label_map


def crop_edges(size: int, parts: int = GRID) -> List[int]:
    """Tile edges along one axis: ``[0, size//parts, ..., size]`` (1000 → [0, 333, 666, 1000])."""
    return [index * size // parts for index in range(parts + 1)]


def relabel_consecutive(label_map: np.ndarray) -> np.ndarray:
    """Renumber the labels present to 1..n (in increasing old-label order); 0 stays 0."""
    values, inverse = np.unique(label_map, return_inverse=True)
    if values[0] != 0:
        inverse = inverse + 1
    return inverse.reshape(label_map.shape).astype(np.int32)


def list_pairs(src: Path) -> List[Tuple[Path, Path]]:
    """Sorted (tif, xml) pairs of SRC; a TIFF without its XML is an error."""
    if not src.is_dir():
        raise ConversionError(src, 'is not a folder')
    tifs = sorted(src.glob('*.tif'))
    if not tifs:
        raise ConversionError(src, 'holds no *.tif image')
    pairs = []
    for tif in tifs:
        xml = tif.with_suffix('.xml')
        if not xml.is_file():
            raise ConversionError(xml, 'annotation XML for this image is missing')
        pairs.append((tif, xml))
    return pairs


def read_all_microns_per_pixel(src: Path) -> Dict[str, float]:
    """MicronsPerPixel of every image of SRC, by image stem."""
    return {tif.stem: parse_annotation(xml)[0] for tif, xml in list_pairs(Path(src))}


def crops_of(tif: Path, xml: Path) -> Iterator[Sample]:
    """The 3×3 crops of one image, row by row."""
    image = read_image(tif)
    microns_per_pixel, polygons = parse_annotation(xml)
    label_map = rasterise(polygons, image.shape[:2], xml)
    row_edges, col_edges = crop_edges(image.shape[0]), crop_edges(image.shape[1])
    for row in range(GRID):
        for col in range(GRID):
            rows = slice(row_edges[row], row_edges[row + 1])
            cols = slice(col_edges[col], col_edges[col + 1])
            yield Sample(stem=f'{tif.stem}_r{row}c{col}', image=np.ascontiguousarray(image[rows, cols]),
                         label_map=relabel_consecutive(label_map[rows, cols]), group=tif.stem,
                         extra={'source_image': tif.name, 'crop_xywh': [cols.start, rows.start,
                                                                        cols.stop - cols.start,
                                                                        rows.stop - rows.start],
                                'microns_per_pixel': microns_per_pixel})


def iter_samples(src: Path) -> Iterator[Sample]:
    """Crops of every image of SRC, in sorted stem order."""
    for tif, xml in list_pairs(Path(src)):
        yield from crops_of(tif, xml)
