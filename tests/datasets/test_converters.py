"""Converters: RLE round trips, seeded splits, DSB2018 / MoNuSeg / TissueNet conversion and bad input."""
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from pycocotools import mask as mask_utils

from centersam_mm.datasets.converters import (ConversionError, convert, label_map_annotations, parse_split_ratio,
                                              seeded_split, split_counts)
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
        assert (label_map == 1).sum() == 36 - 4  # 6x6 square (boundary included) minus the shared 2x2

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
