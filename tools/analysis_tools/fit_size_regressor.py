"""Fit a CenterSAM model's size regressor (``NucleusSizeRegressor``: Cellpose's SizeModel idea) on annotated images.

    python tools/analysis_tools/fit_size_regressor.py CONFIG CHECKPOINT --out SIZE.pth
        [--train data/dsb2018:train data/monuseg_train:train] [--val data/dsb2018:val data/monuseg_test:test]
        [--augment 2] [--l2 0.1 1 10 100 1000] [--features FEATURES.npz]

For every image of the ``--train`` sets (``FOLDER:SPLIT`` of converted datasets, COCO boxes) and ``--augment``
copies of it resized by random factors in [1/2, 2], the model's ``size_features`` (its detector's pooled neck
features of the central crop at the first guess) are paired with the log ratio of the factor its annotated
nuclei ask for (``test_cfg.diameter`` / median box diameter) to the first guess. A ridge regression is fitted
for each ``--l2``; the one with the lowest median error on the ``--val`` images (not augmented) is written to
``--out`` (``size_regressor.*`` weights; add it to a CenterSAM checkpoint with ``combine_centersam.py
--size-regressor``). Prints the errors (|log(predicted / annotated factor)|) of the first guess and of each fit.
``--features``: cache of the features (reused when it exists).
"""
import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from centersam_mm.apis import MMDetInstanceFn  # noqa: E402
from centersam_mm.io.readers import read_image  # noqa: E402
from centersam_mm.models.scorers.size_regressor import NucleusSizeRegressor, log_errors  # noqa: E402
from centersam_mm.models.utils.nucleus_scale import first_guess  # noqa: E402
from centersam_mm.utils.publish import save_and_describe  # noqa: E402


def annotated_images(spec: str):
    """(image path, median annotated box diameter) of each annotated image of ``FOLDER:SPLIT``."""
    folder, split = spec.rsplit(':', 1)
    coco = json.loads((Path(folder) / 'annotations' / f'instances_{split}.json').read_text())
    diameters = {}
    for ann in coco['annotations']:
        diameters.setdefault(ann['image_id'], []).append(np.sqrt(ann['bbox'][2] * ann['bbox'][3]))
    for info in coco['images']:
        if info['id'] in diameters:
            yield Path(folder) / 'images' / Path(info['file_name']).name, float(np.median(diameters[info['id']]))


@torch.no_grad()
def features_of(fn: MMDetInstanceFn, image: np.ndarray) -> np.ndarray:
    """The model's size features of an RGB image (as inference computes them)."""
    data = fn._pack(image, None, None)
    data = fn.model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
    sample = data['data_samples'][0]
    height, width = sample.ori_shape[:2]
    return fn.model.size_features(data['inputs'][..., :height, :width], height, width).numpy()


def collect(fn: MMDetInstanceFn, specs, augment: int, rng: np.random.Generator):
    """(features (N, 2C), log factor ratios (N,)) of the images of ``specs`` and their resized copies."""
    target, guess = float(fn.model.test_cfg['diameter']), first_guess(fn.model.test_cfg)
    features, ratios = [], []
    for spec in specs:
        for path, diameter in annotated_images(spec):
            image = read_image(path)
            factors = [1.0] + list(np.exp(rng.uniform(np.log(0.5), np.log(2.0), augment)))
            for factor in factors:
                resized = image if factor == 1.0 else cv2.resize(
                    image, None, fx=factor, fy=factor,
                    interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
                features.append(features_of(fn, resized))
                ratios.append(np.log(target / (diameter * factor) / guess))
        print(f'{spec}: {len(ratios)} samples so far', flush=True)
    return np.stack(features), np.asarray(ratios)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', type=Path, required=True)
    parser.add_argument('--train', nargs='+', default=['data/dsb2018:train', 'data/monuseg_train:train'])
    parser.add_argument('--val', nargs='+', default=['data/dsb2018:val', 'data/monuseg_test:test'])
    parser.add_argument('--augment', type=int, default=2, help='resized copies of each training image')
    parser.add_argument('--l2', type=float, nargs='+', default=[0.1, 1.0, 10.0, 100.0, 1000.0])
    parser.add_argument('--features', type=Path, help='cache of the features (.npz)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    fn = MMDetInstanceFn(args.config, args.checkpoint)
    if args.features and args.features.is_file():
        cached = np.load(args.features)
        train_x, train_y, val_x, val_y = (cached[key] for key in ('train_x', 'train_y', 'val_x', 'val_y'))
    else:
        rng = np.random.default_rng(args.seed)
        train_x, train_y = collect(fn, args.train, args.augment, rng)
        val_x, val_y = collect(fn, args.val, 0, rng)
        if args.features:
            args.features.parent.mkdir(parents=True, exist_ok=True)
            np.savez(args.features, train_x=train_x, train_y=train_y, val_x=val_x, val_y=val_y)
    train_x, train_y, val_x, val_y = (torch.from_numpy(np.asarray(a)) for a in (train_x, train_y, val_x, val_y))
    median, p90 = log_errors(torch.zeros_like(val_y), val_y)
    print(json.dumps(dict(fit='first guess', val_median_abs_log_error=round(median, 4),
                          val_p90_abs_log_error=round(p90, 4))))
    best = None
    for l2 in args.l2:
        regressor = NucleusSizeRegressor(train_x.shape[1]).fit(train_x, train_y, l2)
        median, p90 = log_errors(regressor(val_x), val_y)
        train_median, _ = log_errors(regressor(train_x), train_y)
        print(json.dumps(dict(l2=l2, train_median_abs_log_error=round(train_median, 4),
                              val_median_abs_log_error=round(median, 4), val_p90_abs_log_error=round(p90, 4))))
        if best is None or median < best[0]:
            best = (median, l2, regressor)
    state = {f'size_regressor.{key}': value for key, value in best[2].state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f'l2 {best[1]}: ' + save_and_describe(dict(meta=dict(l2=best[1], in_channels=train_x.shape[1]),
                                                     state_dict=state), args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
