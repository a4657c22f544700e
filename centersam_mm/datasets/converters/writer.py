"""Write converted samples as the on-disk layout of docs/design.md, atomically.

```
OUT/images/<stem>.png   OUT/labels/<stem>.tif   OUT/annotations/instances_<split>.json   OUT/splits.json
```
Everything is written to a hidden temporary folder next to OUT and renamed into place at the end,
so OUT is either absent, the old dataset, or the complete new one.
"""
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import cv2
import numpy as np
import tifffile

from .coco import SPLITS, coco_document, label_map_annotations, seeded_split
from .errors import ConversionError

logger = logging.getLogger(__name__)


@dataclass
class Sample:
    """One converted image.

    Attributes:
        stem: file stem shared by ``images/<stem>.png`` and ``labels/<stem>.tif``.
        image: (H, W, 3) uint8 RGB.
        label_map: (H, W) integer instance label map, 0 = background; labels need not be consecutive.
        group: samples of one group always land in the same split (e.g. crops of one slide).
        fixed_split: the split given by the source (TissueNet file names), or None.
        extra: additional JSON-serialisable fields stored in the COCO image entry.
    """

    stem: str
    image: np.ndarray
    label_map: np.ndarray
    group: str
    fixed_split: Optional[str] = None
    extra: dict = field(default_factory=dict)


@dataclass
class _Collected:
    """What the writer keeps in memory per sample: its COCO image entry and annotations."""

    image_entry: dict
    annotations: List[dict]
    group: str
    fixed_split: Optional[str]


def label_map_dtype(max_label: int) -> type:
    """uint16 for labels up to 65,535, uint32 above (design.md)."""
    return np.uint16 if max_label <= np.iinfo(np.uint16).max else np.uint32


def write_image(path: Path, image: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 RGB image as PNG."""
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise ConversionError(path, 'could not write PNG')


def write_label_map(path: Path, label_map: np.ndarray) -> None:
    """Write an (H, W) label map as a zlib-compressed uint16/uint32 TIFF."""
    max_label = int(label_map.max(initial=0))
    tifffile.imwrite(str(path), label_map.astype(label_map_dtype(max_label), copy=False),
                     compression='zlib')


def prepare_output(out: Path, overwrite: bool) -> Path:
    """Check OUT may be written and return a fresh temporary folder next to it.

    Raises:
        ConversionError: OUT exists and ``overwrite`` is False.
    """
    if out.exists() and not overwrite:
        raise ConversionError(out, 'already exists (pass --overwrite to replace it)')
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', suffix='.tmp', dir=out.parent))
    for sub in ('images', 'labels', 'annotations'):
        (tmp / sub).mkdir()
    return tmp


def publish(tmp: Path, out: Path) -> None:
    """Move the finished temporary folder to OUT, replacing an old OUT only at the last moment."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', suffix='.old', dir=out.parent))
        out.rename(old / out.name)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old)


def _write_sample(tmp: Path, sample: Sample) -> _Collected:
    """Write one sample's PNG and TIFF and compute its annotations."""
    height, width = sample.label_map.shape
    if sample.image.shape != (height, width, 3) or sample.image.dtype != np.uint8:
        raise ValueError(f'{sample.stem}: image {sample.image.shape} {sample.image.dtype} does not match '
                         f'label map {sample.label_map.shape}')
    write_image(tmp / 'images' / f'{sample.stem}.png', sample.image)
    write_label_map(tmp / 'labels' / f'{sample.stem}.tif', sample.label_map)
    entry = {'file_name': f'{sample.stem}.png', 'height': height, 'width': width,
             'label_file': f'labels/{sample.stem}.tif', **sample.extra}
    return _Collected(entry, label_map_annotations(sample.label_map), sample.group, sample.fixed_split)


def assign_splits(collected: Sequence[_Collected], split_ratio: Optional[Sequence[float]],
                  seed: int) -> Dict[str, List[str]]:
    """Groups per split: the source's fixed split if every sample has one and no ratio was given,
    otherwise a seeded random split of the groups."""
    fixed = {item.group: item.fixed_split for item in collected}
    if split_ratio is None and all(fixed.values()):
        return {split: sorted(g for g, s in fixed.items() if s == split) for split in SPLITS}
    return seeded_split(list(fixed), split_ratio or (0.8, 0.1, 0.1), seed)


def _number_and_write(tmp: Path, collected: List[_Collected], groups_per_split: Dict[str, List[str]],
                      meta: dict) -> Dict[str, List[str]]:
    """Give images ids in sorted-stem order (1-based) and annotations ids in that order too,
    write one COCO file per split and ``splits.json``; return the stems per split."""
    split_of_group = {g: split for split, groups in groups_per_split.items() for g in groups}
    images: Dict[str, List[dict]] = {split: [] for split in SPLITS}
    annotations: Dict[str, List[dict]] = {split: [] for split in SPLITS}
    next_annotation_id = 1
    for image_id, item in enumerate(sorted(collected, key=lambda c: c.image_entry['file_name']), 1):
        split = split_of_group[item.group]
        images[split].append({'id': image_id, **item.image_entry})
        for annotation in item.annotations:
            annotations[split].append({'id': next_annotation_id, 'image_id': image_id, **annotation})
            next_annotation_id += 1
    for split in SPLITS:
        document = coco_document(images[split], annotations[split], meta.get('benchmark'))
        with open(tmp / 'annotations' / f'instances_{split}.json', 'w') as file:
            json.dump(document, file)
    stems = {split: [Path(e['file_name']).stem for e in images[split]] for split in SPLITS}
    with open(tmp / 'splits.json', 'w') as file:
        json.dump({**stems, **meta}, file, indent=1)
    return stems


def write_dataset(samples: Iterable[Sample], out: Path, split_ratio: Optional[Sequence[float]],
                  seed: int, overwrite: bool, meta: dict) -> Dict[str, dict]:
    """Write all samples to OUT (atomically) and return per-split counts.

    Args:
        samples: converted samples, in any order; stems must be unique.
        out: the dataset folder to create.
        split_ratio: (train, val, test) fractions of groups, or None for the source's fixed
            split (falls back to 0.8/0.1/0.1 when the samples carry none).
        seed: seed of the split.
        overwrite: replace an existing OUT.
        meta: extra JSON fields for ``splits.json`` (benchmark, source, rules ...).

    Returns:
        ``{split: {'images': n, 'instances': m}}``.
    """
    out = Path(out).absolute()
    tmp = prepare_output(out, overwrite)
    try:
        collected = [_write_sample(tmp, sample) for sample in samples]
        groups_per_split = assign_splits(collected, split_ratio, seed)
        stems = _number_and_write(tmp, collected, groups_per_split,
                                  {**meta, 'seed': seed, 'split_ratio': split_ratio})
        publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    per_split = {split: {'images': 0, 'instances': 0} for split in SPLITS}
    split_of_stem = {stem: split for split, names in stems.items() for stem in names}
    for item in collected:
        counts = per_split[split_of_stem[Path(item.image_entry['file_name']).stem]]
        counts['images'] += 1
        counts['instances'] += len(item.annotations)
    return per_split
