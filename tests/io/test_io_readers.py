"""Reading images of every supported layout and dtype into RGB uint8; finding image files."""
import warnings

import cv2
import numpy as np
import pytest
import tifffile

from centersam_mm.io import ImageReadError, collect_image_files, read_image, to_rgb_uint8


def _gradient(height: int = 20, width: int = 30) -> np.ndarray:
    """(H, W) uint8 gradient, distinct per pixel column/row."""
    return (np.add.outer(np.arange(height) * 3, np.arange(width) * 5) % 256).astype(np.uint8)


@pytest.mark.parametrize('layout', ['gray', 'rgb', 'rgba', 'chw', 'chw_single'])
def test_tiff_layouts_become_rgb_uint8(tmp_path, layout):
    gray = _gradient()
    rgb = np.stack([gray, 255 - gray, gray // 2], axis=-1)
    arrays = {'gray': gray, 'rgb': rgb, 'rgba': np.dstack([rgb, np.full_like(gray, 255)]),
              'chw': np.moveaxis(rgb, -1, 0), 'chw_single': gray[None]}
    path = tmp_path / f'{layout}.tif'
    tifffile.imwrite(path, arrays[layout])
    image = read_image(path)
    assert image.shape == (20, 30, 3) and image.dtype == np.uint8
    expected = np.repeat(gray[..., None], 3, axis=2) if layout in ('gray', 'chw_single') else rgb
    np.testing.assert_array_equal(image, expected)


def test_16bit_is_percentile_scaled():
    values = np.linspace(1000, 5000, 600 * 10).reshape(60, 100).astype(np.uint16)
    image = to_rgb_uint8(values)
    assert image.dtype == np.uint8
    assert image.min() == 0 and image.max() == 255
    assert np.all(np.diff(image[..., 0].astype(int).ravel()) >= 0)  # monotonic mapping


def test_constant_16bit_image_does_not_divide_by_zero():
    assert to_rgb_uint8(np.full((8, 9), 700, np.uint16)).max() == 0


def test_png_is_converted_from_bgr(tmp_path):
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[..., 0] = 200  # red
    cv2.imwrite(str(tmp_path / 'red.png'), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(read_image(tmp_path / 'red.png'), rgb)


def test_16bit_png_and_rgba_png(tmp_path):
    cv2.imwrite(str(tmp_path / 'deep.png'), (_gradient().astype(np.uint16) * 200))
    cv2.imwrite(str(tmp_path / 'alpha.png'), np.dstack([_gradient()] * 4))
    assert read_image(tmp_path / 'deep.png').shape == (20, 30, 3)
    assert read_image(tmp_path / 'alpha.png').shape == (20, 30, 3)


def test_multipage_tiff_reads_first_page_with_warning(tmp_path):
    path = tmp_path / 'stack.tif'
    with tifffile.TiffWriter(path) as tif:
        tif.write(_gradient())
        tif.write(np.zeros((20, 30), np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        image = read_image(path)
    assert any('2 pages' in str(warning.message) for warning in caught)
    np.testing.assert_array_equal(image[..., 0], _gradient())


@pytest.mark.parametrize('name,content', [('broken.png', b'\x89PNG not really'), ('broken.tif', b'II*\x00junk'),
                                          ('empty.jpg', b'')])
def test_corrupt_files_raise_read_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImageReadError):
        read_image(tmp_path / name)


def test_missing_file_and_bad_shape_raise_read_error(tmp_path):
    with pytest.raises(ImageReadError, match='no such file'):
        read_image(tmp_path / 'absent.png')
    with pytest.raises(ImageReadError, match='shape'):
        to_rgb_uint8(np.zeros((4, 5, 6, 7), np.uint8))


def test_collect_files_folders_globs_recursive(tmp_path):
    for name in ['b.png', 'a.tif', 'notes.txt', 'sub/c.jpg']:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b'')
    flat = collect_image_files([tmp_path])
    assert [relative.as_posix() for _, relative in flat] == ['a.tif', 'b.png']
    deep = collect_image_files([tmp_path], recursive=True)
    assert sorted(relative.as_posix() for _, relative in deep) == ['a.tif', 'b.png', 'sub/c.jpg']
    globbed = collect_image_files([str(tmp_path / '*.png'), tmp_path / 'b.png'])
    assert len(globbed) == 1  # duplicates removed
    missing = collect_image_files([tmp_path / 'nothing.png'])
    assert missing[0][1].name == 'nothing.png'  # kept, so that reading it reports the problem


def test_pixel_size_recorded_in_ordinary_files(tmp_path):
    """µm/px from OME, ImageJ and centimetre TIFF resolution; desktop placeholders (inches, 72 dpi) and PNGs
    carry none, nor do values no microscope samples at."""
    from centersam_mm.io.readers import read_pixel_size
    image = np.zeros((32, 48, 3), np.uint8)
    tifffile.imwrite(tmp_path / 'ome.ome.tif', image, photometric='rgb',
                     metadata={'axes': 'YXS', 'PhysicalSizeX': 250, 'PhysicalSizeXUnit': 'nm'})
    tifffile.imwrite(tmp_path / 'cm.tif', image, resolution=(1e4 / 0.5, 1e4 / 0.5), resolutionunit='CENTIMETER')
    tifffile.imwrite(tmp_path / 'imagej.tif', image[..., 0], imagej=True, resolution=(1 / 0.65, 1 / 0.65),
                     metadata={'unit': 'micron'})
    tifffile.imwrite(tmp_path / 'dpi72.tif', image, resolution=(72, 72), resolutionunit='INCH')
    tifffile.imwrite(tmp_path / 'inch40x.tif', image, resolution=(25400 / 0.25,) * 2, resolutionunit='INCH')
    tifffile.imwrite(tmp_path / 'nano.tif', image, resolution=(1e7, 1e7), resolutionunit='CENTIMETER')  # 1 nm/px
    tifffile.imwrite(tmp_path / 'bare.tif', image)
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    assert read_pixel_size(tmp_path / 'ome.ome.tif') == pytest.approx(0.25)
    assert read_pixel_size(tmp_path / 'cm.tif') == pytest.approx(0.5)
    assert read_pixel_size(tmp_path / 'imagej.tif') == pytest.approx(0.65)
    for name in ('dpi72.tif', 'inch40x.tif', 'nano.tif', 'bare.tif', 'a.png', 'missing.tif'):
        assert read_pixel_size(tmp_path / name) is None, name
