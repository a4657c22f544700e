"""Slide reading (levels, pixel size, regions, thumbnails), tissue detection and the fixed-cell CLAHE windows."""
import types

import cv2
import numpy as np
import pytest
import tifffile

from centersam_mm.slides import SlideReader, choose_level, is_slide
from centersam_mm.slides.prepare import fixed_cell_prepare, pad_to_cells, prepare_window
from centersam_mm.slides.synthetic import Island, write_island_slide
from centersam_mm.slides.tissue import TissueRule, merge_boxes, refine_box, tissue_mask, tissue_rule


def test_pyramid_levels_pixel_size_and_regions(dark_slide):
    path, pixels, _ = dark_slide
    with SlideReader(path) as reader:
        assert reader.shapes == [(3000, 3000), (1500, 1500), (750, 750)]
        assert reader.downsamples == [1.0, 2.0, 4.0]
        assert reader.pixel_size == pytest.approx(0.5)
        np.testing.assert_array_equal(reader.read_region(0, 1234, 1500, 77, 900), pixels[1234:1500, 77:900])
        # regions are clipped to the level
        assert reader.read_region(1, 1400, 1600, -5, 10).shape == (100, 10, 3)
        thumb, downsample = reader.thumbnail(1000)
        assert downsample == 4.0 and thumb.shape == (750, 750, 3)
        thumb, downsample = reader.thumbnail(400)  # decimated from the smallest level
        assert downsample == 8.0 and thumb.shape == (375, 375, 3)


def test_pixel_size_from_tiff_resolution_and_svs_description(tmp_path):
    image = np.zeros((64, 64, 3), np.uint8)
    tifffile.imwrite(tmp_path / 'inch.tif', image, resolution=(25400 / 0.25, 25400 / 0.25), resolutionunit='INCH')
    tifffile.imwrite(tmp_path / 'none.tif', image)
    with SlideReader(tmp_path / 'inch.tif') as reader:
        assert reader.pixel_size == pytest.approx(0.25)
        assert reader.shapes == [(64, 64)]
    with SlideReader(tmp_path / 'none.tif') as reader:
        assert reader.pixel_size is None


def test_what_is_a_slide(dark_slide, tmp_path, monkeypatch):
    path, _, _ = dark_slide
    assert is_slide(path)  # pyramidal
    small = tmp_path / 'small.tif'
    tifffile.imwrite(small, np.zeros((300, 400, 3), np.uint8))
    assert not is_slide(small)
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((10, 10), np.uint8))
    assert not is_slide(tmp_path / 'a.png') and not is_slide(tmp_path / 'missing.tif')
    import centersam_mm.slides.reader as reader_module
    monkeypatch.setattr(reader_module, 'SLIDE_MIN_PIXELS', 300 * 400 - 1)  # large enough without a pyramid
    assert is_slide(small)


def test_choose_level_takes_the_coarsest_level_the_model_still_shrinks():
    downsamples = [1.0, 2.0, 4.0, 8.0]
    assert choose_level(downsamples, 2.0) == 0      # the model enlarges level 0
    assert choose_level(downsamples, None) == 0
    assert choose_level(downsamples, 0.5) == 1      # level 1 at factor 1.0
    assert choose_level(downsamples, 0.3) == 1      # level 2 would need enlarging by 1.2
    assert choose_level(downsamples, 0.26) == 2     # 1.04: within the tolerance
    assert choose_level(downsamples, 0.01) == 3


def test_uint16_grey_slide_is_scaled_with_one_fixed_range(tmp_path):
    ramp = np.tile(np.arange(2048, dtype=np.uint16)[None, :] * 16, (2048, 1))
    with tifffile.TiffWriter(tmp_path / 'grey.ome.tif') as tif:
        tif.write(ramp, subifds=1, tile=(256, 256), metadata={'axes': 'YX'})
        tif.write(ramp[::2, ::2], subfiletype=1, tile=(256, 256))
    with SlideReader(tmp_path / 'grey.ome.tif') as reader:
        left, right = reader.read_region(0, 0, 8, 0, 8), reader.read_region(0, 0, 8, 2040, 2048)
    assert left.shape == (8, 8, 3) and left.dtype == np.uint8
    assert left.max() == 0 and right.min() == 255  # the slide's 1st / 99.8th percentiles, not each region's


def test_brightfield_tissue_mask_and_tight_regions(tmp_path):
    rng = np.random.default_rng(0)
    pink = np.empty((300, 200, 3), np.uint8)
    pink[...] = (200, 120, 170)
    pink = np.clip(pink + rng.integers(-20, 20, pink.shape), 0, 255).astype(np.uint8)
    islands = [Island(101, 203, pink), Island(1000, 1500, pink[:150])]
    path = tmp_path / 'bright.ome.tif'
    write_island_slide(path, (2000, 2000), islands, tile=256)
    with SlideReader(path) as reader:
        thumb, downsample = reader.thumbnail(500)
        rule = tissue_rule(thumb)
        assert rule.brightfield and 12 <= rule.threshold <= 30
        mask = tissue_mask(thumb, downsample, rule)
        assert 0.01 < mask.mean() < 0.05
        from centersam_mm.slides.plan import find_regions
        assert find_regions(reader, 0, mask, downsample, rule) == [(101, 401, 203, 403), (1000, 1150, 1500, 1700)]


def test_refine_box_and_merge_boxes():
    image = np.zeros((100, 120, 3), np.uint8)
    image[17:40, 33:34] = 200
    image[39, 60] = 200
    rule = TissueRule(False, 50.0)
    read = lambda y0, y1, x0, x1: image[y0:y1, x0:x1]  # noqa: E731
    assert refine_box(read, (0, 100, 0, 120), rule, strip=7) == (17, 40, 33, 61)
    assert refine_box(read, (50, 100, 0, 120), rule) is None
    assert merge_boxes([(0, 10, 0, 10), (20, 30, 20, 30), (5, 25, 5, 25), (40, 50, 0, 5)]) == \
        [(0, 30, 0, 30), (40, 50, 0, 5)]
    assert merge_boxes([(0, 10, 0, 10), (10, 20, 0, 10)]) == [(0, 10, 0, 10), (10, 20, 0, 10)]  # touching only


def test_fixed_cell_clahe_window_equals_the_whole_region():
    import centersam_mm.datasets  # noqa: F401  (registers NucleusCLAHE)
    fn = types.SimpleNamespace(whole_image_steps=[dict(type='NucleusCLAHE', clip_limit=2.0, tile_grid_size=(8, 8))])
    rng = np.random.default_rng(0)
    image = (rng.random((700, 900, 3)) * 80 + np.linspace(0, 170, 900)[None, :, None]).astype(np.uint8)
    prepare = fixed_cell_prepare(fn, 64)
    whole = prepare(pad_to_cells(image, 64))[:700, :900]
    read = lambda y0, y1, x0, x1: image[y0:y1, x0:x1]  # noqa: E731
    for tile in [(0, 300, 0, 300), (250, 577, 391, 900), (650, 700, 850, 900), (0, 700, 0, 900), (5, 6, 7, 9)]:
        window = prepare_window(prepare, read, image.shape[:2], tile, 64)
        np.testing.assert_array_equal(window, whole[tile[0]:tile[1], tile[2]:tile[3]])
    assert not np.array_equal(whole, image)


def test_channel_first_fluorescence_pyramid_and_svs_pixel_size(tmp_path):
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 4000, (2, 1024, 1024), dtype=np.uint16)
    stack[1, :, :512] = 0
    with tifffile.TiffWriter(tmp_path / 'cyx.ome.tif') as tif:
        tif.write(stack, subifds=1, tile=(256, 256), metadata={'axes': 'CYX', 'PhysicalSizeX': 650,
                                                               'PhysicalSizeXUnit': 'nm'})
        tif.write(stack[:, ::2, ::2], subfiletype=1, tile=(256, 256))
    with SlideReader(tmp_path / 'cyx.ome.tif', channels=(2,)) as reader:
        assert reader.shapes == [(1024, 1024), (512, 512)] and reader.pixel_size == pytest.approx(0.65)
        region = reader.read_region(0, 0, 16, 500, 520)
    assert region.shape == (16, 20, 3) and (region[..., 0] == region[..., 2]).all()  # channel 2 as grey
    assert region[:, :12].max() == 0 and region[:, 12:].max() > 0
    description = 'Aperio Image Library v12.0.15\n1024x1024 (256x256) RGB|AppMag = 20|MPP = 0.4990'
    tifffile.imwrite(tmp_path / 'a.svs', np.zeros((1024, 1024, 3), np.uint8), tile=(256, 256),
                     description=description)
    with SlideReader(tmp_path / 'a.svs') as reader:
        assert reader.pixel_size == pytest.approx(0.499)
    from centersam_mm.io import collect_image_files
    assert [path.name for path, _ in collect_image_files([tmp_path])] == ['a.svs', 'cyx.ome.tif']


def test_placeholder_resolution_is_no_pixel_size(tmp_path):
    """72 dpi (352.8 µm/px) is a desktop program's default, not a scanner's sampling."""
    tifffile.imwrite(tmp_path / 'dpi72.tif', np.zeros((64, 64, 3), np.uint8), resolution=(72, 72),
                     resolutionunit='INCH')
    with SlideReader(tmp_path / 'dpi72.tif') as reader:
        assert reader.pixel_size is None
