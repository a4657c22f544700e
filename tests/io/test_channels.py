"""Multichannel images are read as channels, not pages; ``channels`` picks the nuclear one (1-based)."""
import numpy as np
import pytest
import tifffile

from centersam_mm.io.readers import ImageReadError, parse_channels, read_image


def _stack(channels: int, height: int = 40, width: int = 50) -> np.ndarray:
    """(C, H, W) uint16 where channel c holds value 1000 * (c + 1) in a disc, plus a gradient."""
    rows, cols = np.mgrid[:height, :width]
    stack = np.zeros((channels, height, width), np.uint16)
    for c in range(channels):
        disc = (rows - 10 - 3 * c) ** 2 + (cols - 12 - 4 * c) ** 2 < 36
        stack[c] = cols * (c + 1) + disc * 1000 * (c + 1)
    return stack


@pytest.mark.parametrize('layout', ['hwc', 'chw', 'ome'])
def test_channel_k_of_a_stack_equals_channel_k_alone(tmp_path, layout):
    stack = _stack(5)
    path = tmp_path / 'stack.tif'
    if layout == 'hwc':
        tifffile.imwrite(path, np.moveaxis(stack, 0, -1))  # stored as 40 pages of 50x5 (tifffile's default)
    elif layout == 'chw':
        tifffile.imwrite(path, stack)
    else:
        tifffile.imwrite(path, stack, ome=True, metadata={'axes': 'CYX'})
    tifffile.imwrite(tmp_path / 'alone.tif', stack[1])
    picked = read_image(path, channels=(2,))
    alone = read_image(tmp_path / 'alone.tif')
    assert picked.shape == (40, 50, 3)
    np.testing.assert_array_equal(picked, alone)
    # and it is channel 2's disc, not another channel's
    assert picked[10 + 3, 12 + 4, 0] > 250 and picked[10 - 5, 12 - 5, 0] < 100


def test_more_than_three_channels_without_choice_asks_for_channels(tmp_path):
    path = tmp_path / 'five.tif'
    tifffile.imwrite(path, _stack(5), ome=True, metadata={'axes': 'CYX'})
    with pytest.raises(ImageReadError, match='--channels'):
        read_image(path)
    with pytest.raises(ImageReadError, match='5 channel'):
        read_image(path, channels=(6,))


def test_two_channel_tiff_renders_nuclear_blue_second_green(tmp_path):
    stack = _stack(2)
    path = tmp_path / 'two.tif'
    tifffile.imwrite(path, stack, ome=True, metadata={'axes': 'CYX'})
    rgb = read_image(path)
    np.testing.assert_array_equal(rgb, read_image(path, channels=(1, 2)))
    tifffile.imwrite(tmp_path / 'c1.tif', stack[0])
    tifffile.imwrite(tmp_path / 'c2.tif', stack[1])
    np.testing.assert_array_equal(rgb[..., 2], read_image(tmp_path / 'c1.tif')[..., 0])
    np.testing.assert_array_equal(rgb[..., 1], read_image(tmp_path / 'c2.tif')[..., 0])
    assert not rgb[..., 0].any()


def test_ome_time_and_z_take_the_first_plane_with_warning(tmp_path):
    data = np.stack([_stack(3) + 7 * t for t in range(2)])[:, None]  # T, Z, C, Y, X
    path = tmp_path / 'tzcyx.ome.tif'
    tifffile.imwrite(path, data, ome=True, metadata={'axes': 'TZCYX'})
    with pytest.warns(UserWarning, match='planes along axis T'):
        picked = read_image(path, channels=(3,))
    tifffile.imwrite(tmp_path / 'alone.tif', data[0, 0, 2])
    np.testing.assert_array_equal(picked, read_image(tmp_path / 'alone.tif'))


def test_rgb_and_grey_keep_working(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (30, 20, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / 'rgb.tif', rgb, photometric='rgb')
    np.testing.assert_array_equal(read_image(tmp_path / 'rgb.tif'), rgb)
    tifffile.imwrite(tmp_path / 'grey.tif', rgb[..., 0])
    np.testing.assert_array_equal(read_image(tmp_path / 'grey.tif'), np.repeat(rgb[..., :1], 3, axis=2))


def test_parse_channels():
    assert parse_channels('2') == (2,) and parse_channels('2,1') == (2, 1) and parse_channels(None) is None
    for bad in ('0', 'a', '1,2,3'):
        with pytest.raises(ValueError):
            parse_channels(bad)
