"""How well a scale-aware model estimates each image's factor, against the annotations' nucleus size.

    python tools/analysis_tools/benchmark_scale_estimate.py CONFIG CHECKPOINT [--data data/dsb2018] [--split val]
        [--cfg-options model.test_cfg.scale_search=sweep]

For each image of the split, the factor the model chooses by itself (``MMDetInstanceFn.scale_for``, as
``tools/infer.py`` does) is compared with the factor that brings the annotated nuclei to the model's trained size
(``test_cfg.diameter`` / median annotated box diameter). Prints one JSON line per image and a summary:
median and 90th percentile of |log(estimated / annotated)|, the share within 25 %, the mean signed error and the
mean number of detector runs per estimate.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mmengine.config import Config, DictAction  # noqa: E402

from centersam_mm.apis import MMDetInstanceFn  # noqa: E402
from centersam_mm.apis.segmenter import build_detector, resolve_config  # noqa: E402
from centersam_mm.io.readers import read_image  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data', type=Path, default=Path('data/dsb2018'))
    parser.add_argument('--split', default='val')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings (e.g. model.test_cfg.scale_search=sweep)')
    args = parser.parse_args()
    coco = json.loads((args.data / 'annotations' / f'instances_{args.split}.json').read_text())
    diameters = {}
    for ann in coco['annotations']:
        diameters.setdefault(ann['image_id'], []).append(np.sqrt(ann['bbox'][2] * ann['bbox'][3]))
    cfg = Config.fromfile(resolve_config(args.config))
    cfg.merge_from_dict(args.cfg_options)
    fn = MMDetInstanceFn(build_detector(cfg, args.checkpoint, 'cpu'))
    target = float(fn.model.test_cfg['diameter'])
    errors, runs = [], []
    detect = fn.model._detect

    def counted_detect(*args, **kwargs):  # counts the detector runs of each estimate
        runs[-1] += 1
        return detect(*args, **kwargs)

    fn.model._detect = counted_detect
    for image_info in coco['images']:
        runs.append(0)
        image = read_image(args.data / 'images' / Path(image_info['file_name']).name)
        start = time.perf_counter()
        estimated = fn.scale_for(image)
        seconds = time.perf_counter() - start
        annotated = target / float(np.median(diameters[image_info['id']]))
        errors.append(np.log(estimated / annotated))
        print(json.dumps(dict(image=Path(image_info['file_name']).stem[:12], size=image.shape[:2],
                              estimated=round(estimated, 3), annotated=round(annotated, 3),
                              seconds=round(seconds, 2), detector_runs=runs[-1])), flush=True)
    errors = np.asarray(errors)
    print(json.dumps(dict(images=len(errors), median_abs_log_error=round(float(np.median(np.abs(errors))), 4),
                          p90_abs_log_error=round(float(np.percentile(np.abs(errors), 90)), 4),
                          within_25_percent=round(float(np.mean(np.abs(errors) <= np.log(1.25))), 4),
                          mean_signed_log_error=round(float(errors.mean()), 4),
                          mean_detector_runs=round(float(np.mean(runs)), 2))))


if __name__ == '__main__':
    main()
