"""Converters: RLE round trips, seeded splits, DSB2018 / MoNuSeg / TissueNet / images + label maps conversion
and bad input."""
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from pycocotools import mask as mask_utils

from centersam_mm.datasets.converters import (BadFilesError, ConversionError, convert, label_map_annotations,
                                              parse_split_ratio, seeded_split, split_counts)
from centersam_mm.datasets.converters.crops import parse_crop, relabel_consecutive
from centersam_mm.datasets.converters.dsb2018 import merge_masks
from centersam_mm.datasets.converters.monuseg import crop_edges, parse_annotation, rasterise, read_image
from centersam_mm.datasets.converters.tissuenet import render_rgb


def decode_to_label_map(annotations: list, shape: tuple) -> np.ndarray:
    """Paint decoded RLE masks with their ``label``; fails on overlapping masks."""
    painted = np.zeros(shape, np.int64)
    for annotation in annotations:
        mask = mask_utils.decode(annotation['segmentation']).astype(bool)
        assert not painted[mask].any(), 'decoded masks overlap'
        painted[mask] = annotation['label']
    return painted


def assert_dataset_matches_labels(out: Path) -> int:
    """Every split's RLE masks decode to exactly the label maps; return the number of instances."""
    total = 0
    for split in ('train', 'val', 'test'):
        document = json.loads((out / 'annotations' / f'instances_{split}.json').read_text())
        assert document['categories'] == [{'id': 1, 'name': 'nucleus', 'supercategory': 'nucleus'}]
        by_image = {image['id']: [] for image in document['images']}
        for annotation in document['annotations']:
            by_image[annotation['image_id']].append(annotation)
            assert annotation['iscrowd'] == 0 and annotation['category_id'] == 1
            assert isinstance(annotation['segmentation']['counts'], str)
            assert annotation['area'] == int(mask_utils.area(annotation['segmentation']))
            assert annotation['bbox'] == mask_utils.toBbox(annotation['segmentation']).tolist()
        for image in document['images']:
            label_map = tifffile.imread(out / image['label_file'])
            assert label_map.dtype in (np.uint16, np.uint32)
            assert (out / 'images' / image['file_name']).is_file()
            np.testing.assert_array_equal(decode_to_label_map(by_image[image['id']], label_map.shape), label_map)
            total += len(by_image[image['id']])
    return total


class TestCoco:
    @pytest.mark.parametrize('shape', [(7, 9), (1, 5), (6, 1)])
    def test_rle_round_trip_on_random_label_maps(self, shape):
        rng = np.random.default_rng(0)
        label_map = rng.integers(0, 4, size=shape)
        label_map[0, 0] = 3  # instance touching the first column and row
        annotations = label_map_annotations(label_map)
        np.testing.assert_array_equal(decode_to_label_map(annotations, shape), label_map)
        assert [a['label'] for a in annotations] == sorted(set(label_map.ravel()) - {0})

    def test_bbox_is_tight_xywh(self):
        label_map = np.zeros((10, 12), np.uint16)
        label_map[2:5, 3:9] = 7
        (annotation,) = label_map_annotations(label_map)
        assert annotation['bbox'] == [3, 2, 6, 3]
        assert annotation['area'] == 18 and annotation['label'] == 7

    def test_split_counts_round_to_the_largest_fractions(self):
        assert split_counts(600, (0.8, 0.1, 0.1)) == [480, 60, 60]
        assert split_counts(6, (0.8, 0.1, 0.1)) == [5, 1, 0]
        assert split_counts(5, (0.0, 0.0, 1.0)) == [0, 0, 5]

    def test_seeded_split_repeats_and_depends_on_seed(self):
        groups = [f'g{i:03d}' for i in range(50)]
        first = seeded_split(groups, (0.8, 0.1, 0.1), seed=0)
        assert first == seeded_split(list(reversed(groups)), (0.8, 0.1, 0.1), seed=0)
        assert first != seeded_split(groups, (0.8, 0.1, 0.1), seed=1)
        assert sorted(sum(first.values(), [])) == groups

    @pytest.mark.parametrize('text', ['0.8,0.1', '0.9,0.2,0.1', '-0.1,0.6,0.5', 'a,b,c'])
    def test_bad_split_ratio_is_rejected(self, text):
        with pytest.raises(ValueError):
            parse_split_ratio(text)


def _square(size: int, start: int, stop: int) -> np.ndarray:
    """(size, size) bool mask, True on rows and columns [start, stop)."""
    mask = np.zeros((size, size), bool)
    mask[start:stop, start:stop] = True
    return mask


class TestDSB2018:
    def test_smaller_mask_wins_overlap(self):
        big, small = _square(6, 0, 4), _square(6, 3, 5)
        label_map, overlapping = merge_masks([big, small])
        assert overlapping == 1
        assert label_map[3, 3] == 2 and label_map[0, 0] == 1
        label_map, _ = merge_masks([small, big])  # order does not change who wins
        assert label_map[3, 3] == 1

    def test_equal_areas_first_in_sorted_order_wins(self):
        first, second = _square(4, 0, 2), _square(4, 1, 3)
        label_map, _ = merge_masks([first, second])
        assert label_map[1, 1] == 1

    def test_conversion_matches_masks_pixel_for_pixel(self, dsb_subset, tmp_path, tree_digest):
        before = tree_digest(dsb_subset)
        out = tmp_path / 'out'
        counts = convert('dsb2018', dsb_subset, out)
        num_masks = sum(len(list((d / 'masks').glob('*.png'))) for d in dsb_subset.iterdir())
        assert assert_dataset_matches_labels(out) == num_masks == sum(c['instances'] for c in counts.values())
        image_dir = sorted(dsb_subset.iterdir())[0]
        image = cv2.imread(str(out / 'images' / f'{image_dir.name}.png'), cv2.IMREAD_UNCHANGED)
        source = cv2.imread(str(image_dir / 'images' / f'{image_dir.name}.png'), cv2.IMREAD_UNCHANGED)
        assert image.shape == source.shape[:2] + (3,)
        np.testing.assert_array_equal(image, source[..., :3])  # RGBA -> RGB keeps the colour bytes
        assert tree_digest(dsb_subset) == before

    def test_same_seed_same_split(self, dsb_subset, tmp_path):
        splits = []
        for name in ('a', 'b'):
            convert('dsb2018', dsb_subset, tmp_path / name, split_ratio=(0.5, 0.25, 0.25), seed=3)
            splits.append(json.loads((tmp_path / name / 'splits.json').read_text()))
        assert splits[0] == {**splits[1], 'source': splits[0]['source']}
        assert [len(splits[0][s]) for s in ('train', 'val', 'test')] == [2, 1, 1]

    def test_all_in_test(self, dsb_subset, tmp_path):
        counts = convert('dsb2018', dsb_subset, tmp_path / 'out', split_ratio=(0.0, 0.0, 1.0))
        assert counts['test']['images'] == 4 and counts['train']['images'] == counts['val']['images'] == 0

    def test_image_ids_follow_sorted_stems(self, dsb_subset, tmp_path):
        convert('dsb2018', dsb_subset, tmp_path / 'out')
        images = []
        for split in ('train', 'val', 'test'):
            images += json.loads((tmp_path / 'out' / 'annotations' / f'instances_{split}.json').read_text())['images']
        by_id = sorted(images, key=lambda image: image['id'])
        assert [image['id'] for image in by_id] == [1, 2, 3, 4]
        assert [image['file_name'] for image in by_id] == sorted(f'{d.name}.png' for d in dsb_subset.iterdir())

    def test_existing_out_needs_overwrite(self, dsb_subset, tmp_path):
        out = tmp_path / 'out'
        convert('dsb2018', dsb_subset, out)
        with pytest.raises(ConversionError, match='already exists'):
            convert('dsb2018', dsb_subset, out)
        convert('dsb2018', dsb_subset, out, split_ratio=(0.0, 0.0, 1.0), overwrite=True)
        assert len(json.loads((out / 'splits.json').read_text())['test']) == 4
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith('.')] == []  # no temp left

    def test_missing_masks_folder_names_it_and_writes_nothing(self, dsb_subset, tmp_path):
        image_dir = sorted(dsb_subset.iterdir())[1]
        for mask in (image_dir / 'masks').iterdir():
            mask.unlink()
        (image_dir / 'masks').rmdir()
        with pytest.raises(ConversionError) as raised:
            convert('dsb2018', dsb_subset, tmp_path / 'out')
        assert raised.value.path == str(image_dir / 'masks') and 'missing' in str(raised.value)
        assert list(tmp_path.iterdir()) == [dsb_subset]  # neither OUT nor a temporary folder

    def test_corrupt_png_names_the_file(self, dsb_subset, tmp_path):
        image_dir = sorted(dsb_subset.iterdir())[2]
        bad = next((image_dir / 'masks').glob('*.png'))
        bad.write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
        with pytest.raises(ConversionError) as raised:
            convert('dsb2018', dsb_subset, tmp_path / 'out')
        assert raised.value.path == str(bad)
        assert '\n' not in str(raised.value)

    @pytest.mark.slow
    def test_full_stage1_train_gives_26463_instances(self, dsb_src, tmp_path):
        counts = convert('dsb2018', dsb_src, tmp_path / 'out')
        assert sum(c['instances'] for c in counts.values()) == 26463
        assert [counts[s]['images'] for s in ('train', 'val', 'test')] == [480, 60, 60]


class TestMoNuSeg:
    def test_crop_edges_split_1000_as_333_333_334(self):
        assert crop_edges(1000) == [0, 333, 666, 1000]
        assert np.diff(crop_edges(1000)).tolist() == [333, 333, 334]

    def test_rasterise_smaller_polygon_wins(self, tmp_path):
        square = np.array([[0, 0], [5, 0], [5, 5], [0, 5]], float)
        small = np.array([[4, 4], [6, 4], [6, 6], [4, 6]], float)
        label_map = rasterise([square, small], (8, 8), tmp_path / 'x.xml')
        assert label_map[5, 5] == 2 and label_map[0, 0] == 1 and label_map[7, 7] == 0
        # poly2mask: the 5x5 square's centres (1..5, 1..5) = pixels [0:5, 0:5]; the small one's = [4:6, 4:6]
        np.testing.assert_array_equal(label_map[4:6, 4:6], 2)
        assert (label_map == 1).sum() == 25 - 1 and (label_map == 2).sum() == 4

    def test_crops_tile_the_whole_image_and_keep_cut_nuclei(self, monuseg_subset, tmp_path, tree_digest):
        before = tree_digest(monuseg_subset)
        tif = next(monuseg_subset.glob('*.tif'))
        microns_per_pixel, polygons = parse_annotation(tif.with_suffix('.xml'))
        whole = rasterise(polygons, read_image(tif).shape[:2], tif)
        out = tmp_path / 'out'
        counts = convert('monuseg', monuseg_subset, out, split_ratio=(1.0, 0.0, 0.0))
        assert counts['train']['images'] == 9
        assert assert_dataset_matches_labels(out) == counts['train']['instances']
        edges = crop_edges(1000)
        expected_instances = 0
        for row in range(3):
            for col in range(3):
                window = whole[edges[row]:edges[row + 1], edges[col]:edges[col + 1]]
                crop = tifffile.imread(out / 'labels' / f'{tif.stem}_r{row}c{col}.tif')
                pairs = np.unique(np.stack([window.ravel(), crop.ravel()]), axis=1)
                assert len(set(pairs[0])) == len(set(pairs[1])) == pairs.shape[1]  # one-to-one relabelling
                expected_instances += len(set(window.ravel()) - {0})
        assert counts['train']['instances'] == expected_instances > len(polygons)  # cut nuclei counted twice
        splits = json.loads((out / 'splits.json').read_text())
        assert splits['microns_per_pixel'] == {tif.stem: microns_per_pixel}
        assert tree_digest(monuseg_subset) == before

    def test_whole_images_with_crop_none(self, monuseg_subset, tmp_path):
        tif = next(monuseg_subset.glob('*.tif'))
        _, polygons = parse_annotation(tif.with_suffix('.xml'))
        whole = rasterise(polygons, (1000, 1000), tif)
        counts = convert('monuseg', monuseg_subset, tmp_path / 'out', split_ratio=(0.0, 0.0, 1.0), crop='none')
        assert counts['test'] == {'images': 1, 'instances': len(set(whole.ravel()) - {0})}
        np.testing.assert_array_equal(tifffile.imread(tmp_path / 'out' / 'labels' / f'{tif.stem}.tif'),
                                      relabel_consecutive(whole))
        splits = json.loads((tmp_path / 'out' / 'splits.json').read_text())
        assert splits['test'] == [tif.stem] and splits['crop_grid'].startswith('none')
        assert 'poly2mask' in splits['rasterisation']

    def test_malformed_vertex_names_the_xml(self, monuseg_subset, tmp_path):
        xml = next(monuseg_subset.glob('*.xml'))
        text = xml.read_text()
        xml.write_text(text.replace('<Vertex X="', '<Vertex X="oops', 1))
        with pytest.raises(ConversionError, match='malformed vertex') as raised:
            convert('monuseg', monuseg_subset, tmp_path / 'out')
        assert raised.value.path == str(xml)

    def test_split_keeps_crops_of_one_image_together(self, monuseg_src, tmp_path):
        out = tmp_path / 'out'
        counts = convert('monuseg', monuseg_src, out)
        assert sum(c['images'] for c in counts.values()) == 54
        splits = json.loads((out / 'splits.json').read_text())
        sources = {split: {stem.rsplit('_r', 1)[0] for stem in splits[split]} for split in ('train', 'val', 'test')}
        assert [len(sources[s]) for s in ('train', 'val', 'test')] == [5, 1, 0]
        assert not sources['train'] & sources['val']
        assert all(len(splits[s]) == 9 * len(sources[s]) for s in sources)


def write_tissuenet(folder: Path, shapes: dict, compressed: bool = False) -> dict:
    """Write small TissueNet-like npz files; return the arrays per split."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, (num, size) in shapes.items():
        x = rng.random((num, size, size, 2), dtype=np.float32)
        y = np.zeros((num, size, size, 2), np.int32)
        for index in range(num):
            y[index, 2:6, 2:6, 1] = 10 + index   # nuclei with non-consecutive ids
            y[index, 8:12, 3:9, 1] = 40
            y[index, :, :, 0] = 99               # whole-cell channel must be ignored
        save = np.savez_compressed if compressed else np.savez
        save(folder / f'tissuenet_v1.1_{split}.npz', X=x, y=y)
        arrays[split] = (x, y)
    return arrays


class TestTissueNet:
    @pytest.mark.parametrize('compressed', [False, True])
    def test_split_from_file_names_and_nuclear_labels(self, tmp_path, compressed, tree_digest):
        arrays = write_tissuenet(tmp_path / 'src', {'train': (3, 16), 'val': (1, 16), 'test': (2, 16)}, compressed)
        before = tree_digest(tmp_path / 'src')
        out = tmp_path / 'out'
        counts = convert('tissuenet', tmp_path / 'src', out)
        assert {s: c['images'] for s, c in counts.items()} == {'train': 3, 'val': 1, 'test': 2}
        assert assert_dataset_matches_labels(out) == 12
        label_map = tifffile.imread(out / 'labels' / 'train_00002.tif')
        np.testing.assert_array_equal(label_map, np.where(arrays['train'][1][2, ..., 1] == 12, 1,
                                                          np.where(arrays['train'][1][2, ..., 1] == 40, 2, 0)))
        image = cv2.cvtColor(cv2.imread(str(out / 'images' / 'val_00000.png')), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(image, render_rgb(arrays['val'][0][0]))
        assert tree_digest(tmp_path / 'src') == before

    def test_render_puts_nuclear_in_blue_and_membrane_in_green(self):
        channels = np.zeros((8, 8, 2), np.float32)
        channels[:4, :, 0] = 5.0   # nuclear: top half
        channels[:, :4, 1] = 2.0   # membrane: left half
        rgb = render_rgb(channels)
        assert rgb[..., 0].max() == 0
        assert rgb[0, 7, 2] == 255 and rgb[7, 7, 2] == 0
        assert rgb[7, 0, 1] == 255 and rgb[7, 7, 1] == 0

    def test_explicit_ratio_overrides_file_split(self, tmp_path):
        write_tissuenet(tmp_path / 'src', {'train': (3, 8), 'test': (1, 8)})
        counts = convert('tissuenet', tmp_path / 'src', tmp_path / 'out', split_ratio=(0.0, 0.0, 1.0))
        assert counts['test']['images'] == 4

    def test_mismatched_shapes_name_the_file(self, tmp_path):
        src = tmp_path / 'src'
        src.mkdir()
        bad = src / 'tissuenet_v1.1_train.npz'
        np.savez(bad, X=np.zeros((2, 8, 8, 2), np.float32), y=np.zeros((2, 8, 9, 2), np.int32))
        with pytest.raises(ConversionError, match='shape') as raised:
            convert('tissuenet', src, tmp_path / 'out')
        assert raised.value.path == str(bad)

    def test_corrupt_npz_names_the_file(self, tmp_path):
        src = tmp_path / 'src'
        src.mkdir()
        bad = src / 'tissuenet_v1.1_test.npz'
        bad.write_bytes(b'not a zip')
        with pytest.raises(ConversionError) as raised:
            convert('tissuenet', src, tmp_path / 'out')
        assert raised.value.path == str(bad)
        assert not zipfile.is_zipfile(bad)


def _label_map(shape: tuple, boxes: list) -> np.ndarray:
    """A label map with rectangles (label, r0, r1, c0, c1); later boxes overwrite earlier ones."""
    label_map = np.zeros(shape, np.uint16)
    for label, r0, r1, c0, c1 in boxes:
        label_map[r0:r1, c0:c1] = label
    return label_map


def write_label_source(root: Path, layout: str = 'folders') -> dict:
    """A tiny images + label maps source: PNG, RGB TIFF, 16-bit grey TIFF and JPEG images with
    non-consecutive labels. Returns {stem: (image as written or None for the JPEG, label map)}."""
    rng = np.random.default_rng(0)
    specs = {
        'a': ('.png', (20, 24), [(7, 2, 8, 3, 9), (3, 10, 18, 12, 20), (200, 0, 4, 18, 24)]),
        'b': ('.tif', (20, 24), [(1, 5, 15, 5, 15), (2, 12, 19, 0, 4)]),
        'c': ('.tif', (18, 21), [(40, 1, 6, 1, 6), (41, 6, 12, 6, 12), (9, 14, 18, 15, 21)]),
        'd': ('.jpg', (16, 16), [(5, 3, 9, 3, 9)]),
    }
    image_dir = root / 'images' if layout == 'folders' else root
    label_dir = root / 'labels' if layout == 'folders' else root
    image_dir.mkdir(parents=True, exist_ok=True)
    label_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for stem, (suffix, shape, boxes) in specs.items():
        if stem == 'c':
            image = rng.integers(100, 4000, size=shape).astype(np.uint16)  # 12-bit grey
            tifffile.imwrite(image_dir / f'{stem}{suffix}', image)
        else:
            image = rng.integers(0, 256, size=shape + (3,), dtype=np.uint8)
            if suffix == '.tif':
                tifffile.imwrite(image_dir / f'{stem}{suffix}', image)
            else:
                cv2.imwrite(str(image_dir / f'{stem}{suffix}'), image[..., ::-1])
        label_map = _label_map(shape, boxes)
        label_name = f'{stem}.tif' if layout == 'folders' else f'{stem}_masks.tif'
        if stem == 'b':  # a 16-bit PNG label map
            label_name = label_name.replace('.tif', '.png')
            cv2.imwrite(str(label_dir / label_name), label_map)
        else:
            tifffile.imwrite(label_dir / label_name, label_map, compression='zlib')
        written[stem] = (None if suffix == '.jpg' else image, label_map)
    if layout == 'cellpose':  # Cellpose's own outputs and other files are ignored
        cv2.imwrite(str(root / 'a_cp_masks.png'), np.ones((20, 24), np.uint16))
        tifffile.imwrite(root / 'a_flows.tif', np.zeros((20, 24, 3), np.uint8))
        (root / 'notes.txt').write_text('not an image')
    return written


def _read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


class TestLabels:
    @pytest.mark.parametrize('layout', ['folders', 'cellpose'])
    def test_every_pair_converted_and_source_untouched(self, tmp_path, tree_digest, layout):
        src = tmp_path / 'src'
        written = write_label_source(src, layout)
        before = tree_digest(src)
        out = tmp_path / 'out'
        counts = convert('labels', src, out, split_ratio=(1.0, 0.0, 0.0))
        num_labels = sum(len(set(label_map.ravel()) - {0}) for _, label_map in written.values())
        assert counts['train'] == {'images': 4, 'instances': num_labels}
        assert counts['val']['images'] == counts['test']['images'] == 0
        assert assert_dataset_matches_labels(out) == num_labels
        for stem, (image, label_map) in written.items():
            np.testing.assert_array_equal(tifffile.imread(out / 'labels' / f'{stem}.tif'),
                                          relabel_consecutive(label_map))
            if image is not None and image.ndim == 3:
                np.testing.assert_array_equal(_read_rgb(out / 'images' / f'{stem}.png'), image)
        grey = _read_rgb(out / 'images' / 'c.png')  # 16-bit grey: percentile-scaled, replicated to RGB
        source = written['c'][0]
        assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 0] == grey[..., 2]).all()
        assert grey[source == source.max()].min() == 255 and grey[source == source.min()].max() == 0
        splits = json.loads((out / 'splits.json').read_text())
        assert splits['train'] == ['a', 'b', 'c', 'd'] and splits['val'] == splits['test'] == []
        assert splits['layout'].startswith('images/' if layout == 'folders' else 'cellpose')
        assert splits['microns_per_pixel'] is None and splits['split_ratio'] == [1.0, 0.0, 0.0]
        assert tree_digest(src) == before

    def test_crop_3x3_matches_cropping_by_hand_and_records_pixel_size(self, tmp_path):
        src = tmp_path / 'src'
        written = write_label_source(src)
        out = tmp_path / 'out'
        counts = convert('labels', src, out, split_ratio=(0.5, 0.5, 0.0), seed=1, crop='3x3', pixel_size=0.5)
        assert sum(c['images'] for c in counts.values()) == 36
        assert assert_dataset_matches_labels(out) == sum(c['instances'] for c in counts.values())
        entries = {}
        for split in ('train', 'val', 'test'):
            for entry in json.loads((out / 'annotations' / f'instances_{split}.json').read_text())['images']:
                entries[Path(entry['file_name']).stem] = entry
        for stem, (image, label_map) in written.items():
            rows, cols = crop_edges(label_map.shape[0]), crop_edges(label_map.shape[1])
            for row in range(3):
                for col in range(3):
                    name = f'{stem}_r{row}c{col}'
                    window = (slice(rows[row], rows[row + 1]), slice(cols[col], cols[col + 1]))
                    np.testing.assert_array_equal(tifffile.imread(out / 'labels' / f'{name}.tif'),
                                                  relabel_consecutive(label_map[window]))
                    if image is not None and image.ndim == 3:
                        np.testing.assert_array_equal(_read_rgb(out / 'images' / f'{name}.png'), image[window])
                    assert entries[name]['crop_xywh'] == [cols[col], rows[row], cols[col + 1] - cols[col],
                                                          rows[row + 1] - rows[row]]
                    assert entries[name]['microns_per_pixel'] == 0.5
        splits = json.loads((out / 'splits.json').read_text())
        assert splits['microns_per_pixel'] == 0.5 and splits['crop_grid'].startswith('3x3')
        for split in ('train', 'val'):  # all 9 crops of an image in one split
            sources = {name.rsplit('_r', 1)[0] for name in splits[split]}
            assert len(splits[split]) == 9 * len(sources) == 18

    def test_bad_files_each_get_one_line_and_nothing_is_written(self, tmp_path, tree_digest):
        src = tmp_path / 'src'
        write_label_source(src)
        (src / 'labels' / 'a.tif').unlink()                                                # missing label
        tifffile.imwrite(src / 'labels' / 'c.tif', np.zeros((18, 20), np.uint16))         # shape mismatch
        fractional = np.zeros((16, 16), np.float32)
        fractional[2, 3] = 0.5
        tifffile.imwrite(src / 'labels' / 'd.tif', fractional)                           # non-integer labels
        tifffile.imwrite(src / 'labels' / 'zzz.tif', np.zeros((4, 4), np.uint16))         # no image
        before = tree_digest(src)
        with pytest.raises(BadFilesError) as raised:
            convert('labels', src, tmp_path / 'out')
        lines = [str(error) for error in raised.value.errors]
        assert lines == [
            f'{src / "labels" / "a.tif"}: label map for image a.png is missing',
            f'{src / "labels" / "c.tif"}: label map shape 18x20 differs from image c.tif shape 18x21',
            f'{src / "labels" / "d.tif"}: holds non-integer labels (e.g. 0.5 at row 2, column 3); '
            f'expected integer instance labels (0 = background, 1..N = nuclei)',
            f'{src / "labels" / "zzz.tif"}: no image images/zzz.png|tif|jpg for this label map',
        ]
        assert all('\n' not in line for line in lines)
        assert str(raised.value) == f'{lines[0]} (and 3 more bad files)'
        assert list(tmp_path.iterdir()) == [src]  # neither OUT nor a temporary folder
        assert tree_digest(src) == before

    def test_one_bad_file_is_a_plain_conversion_error(self, tmp_path):
        src = tmp_path / 'src'
        write_label_source(src, 'cellpose')
        (src / 'b_masks.png').unlink()
        with pytest.raises(ConversionError) as raised:
            convert('labels', src, tmp_path / 'out')
        assert not isinstance(raised.value, BadFilesError)
        assert raised.value.path == str(src / 'b_masks.tif') and 'missing' in raised.value.problem

    @pytest.mark.parametrize('array, problem', [
        (np.zeros((20, 24, 3), np.uint16), 'must be 2-D'),
        (np.zeros((20, 24), bool), 'binary (bool) mask'),
        (np.full((20, 24), -1, np.int32), 'negative labels'),
    ])
    def test_label_maps_that_are_not_instance_labels(self, tmp_path, array, problem):
        src = tmp_path / 'src'
        write_label_source(src)
        tifffile.imwrite(src / 'labels' / 'a.tif', array)
        with pytest.raises(ConversionError, match=problem.replace('(', r'\(').replace(')', r'\)')) as raised:
            convert('labels', src, tmp_path / 'out')
        assert raised.value.path == str(src / 'labels' / 'a.tif')

    def test_float_label_map_with_whole_numbers_is_accepted(self, tmp_path):
        src = tmp_path / 'src'
        written = write_label_source(src)
        tifffile.imwrite(src / 'labels' / 'a.tif', written['a'][1].astype(np.float32))
        convert('labels', src, tmp_path / 'out')
        np.testing.assert_array_equal(tifffile.imread(tmp_path / 'out' / 'labels' / 'a.tif'),
                                      relabel_consecutive(written['a'][1]))

    def test_two_images_for_one_stem_and_no_layout(self, tmp_path):
        src = tmp_path / 'src'
        write_label_source(src)
        cv2.imwrite(str(src / 'images' / 'b.png'), np.zeros((20, 24, 3), np.uint8))
        with pytest.raises(ConversionError, match="a second image for stem 'b'"):
            convert('labels', src, tmp_path / 'out')
        (tmp_path / 'empty').mkdir()
        with pytest.raises(ConversionError, match='holds neither images/'):
            convert('labels', tmp_path / 'empty', tmp_path / 'out')

    def test_options_are_checked(self, tmp_path):
        with pytest.raises(ValueError, match='dsb2018 takes no crop'):
            convert('dsb2018', tmp_path, tmp_path / 'out', crop='3x3')
        with pytest.raises(ValueError, match='monuseg takes no pixel_size'):
            convert('monuseg', tmp_path, tmp_path / 'out', pixel_size=0.25)
        with pytest.raises(ValueError, match='pixel size'):
            convert('labels', tmp_path, tmp_path / 'out', pixel_size=0)
        for text in ('3', '0x3', 'axb'):
            with pytest.raises(ValueError):
                parse_crop(text)
        assert parse_crop('3x3') == (3, 3) and parse_crop('none') is None and parse_crop('1x1') is None

    def test_monuseg_training_image_crops_match_its_label_map(self, monuseg_train_subset, tmp_path, tree_digest):
        before = tree_digest(monuseg_train_subset)
        image_path = next((monuseg_train_subset / 'images').glob('*.png'))
        label_map = tifffile.imread(monuseg_train_subset / 'labels' / f'{image_path.stem}.tif')
        image = _read_rgb(image_path)
        out = tmp_path / 'out'
        counts = convert('labels', monuseg_train_subset, out, split_ratio=(1.0, 0.0, 0.0), crop='3x3',
                         pixel_size=0.25)
        assert counts['train']['images'] == 9
        edges = crop_edges(1000)
        expected_instances = 0
        for row in range(3):
            for col in range(3):
                window = (slice(edges[row], edges[row + 1]), slice(edges[col], edges[col + 1]))
                name = f'{image_path.stem}_r{row}c{col}'
                np.testing.assert_array_equal(tifffile.imread(out / 'labels' / f'{name}.tif'),
                                              relabel_consecutive(label_map[window]))
                np.testing.assert_array_equal(_read_rgb(out / 'images' / f'{name}.png'), image[window])
                expected_instances += len(np.unique(label_map[window])) - 1
        assert counts['train']['instances'] == expected_instances > len(np.unique(label_map)) - 1
        assert json.loads((out / 'splits.json').read_text())['microns_per_pixel'] == 0.25
        assert tree_digest(monuseg_train_subset) == before
