"""Whole-slide benchmark: a synthetic pyramidal slide of real H&E islands on white, segmented by ``tools/infer.py``.

Writes SIZE×SIZE pyramidal OME-TIFF (tiles of 512, zlib by default, sub-resolutions down to 1,024 px, 0.25 µm/px
in the OME and TIFF resolution metadata) holding ISLANDS 1000×1000 H&E images (the 6 MoNuSeg test images, then
the 30 training images, in sorted order) on a jittered grid, the rest white. Then:

1. ``tools/infer.py SLIDE --out DIR`` (default options; ``--model stub`` for the hidden stub) in a child process:
   wall time, peak RSS of the child (``ru_maxrss``), tiles segmented / skipped, nuclei, the factor (and the
   estimates it is the median of);
2. each island segmented alone as an ordinary image, in this process, default options: ``exported``, the island
   written as a TIFF carrying the slide's pixel size (as QuPath's or a scanner's region export does) and read
   back by ``NucleusSegmenter().predict(path)``, which takes the factor from the file; ``own``, the island as
   bare pixels (``predict_rgb``, no pixel size), with its own estimated factor; and ``slide``, the slide's factor
   given (``scale=``, or ``pixel_size=0.25`` when the slide's factor came from its pixel size: the same
   computation as the slide's region, so it isolates the slide machinery); the
   object F1 (IoU 0.5, :func:`centersam_mm.evaluation.functional.instance_metrics`) between the slide's labels
   (read back with zarr) and each reference, per island and pooled;
3. ``--check-resume``: the run again in a fresh folder, killed (SIGKILL) once about half of its tiles are done,
   then run again to the end: labels (every level) and tables (GeoJSON, CSV) compared with run 1;
4. ``--check-dist``: ``tools/dist_infer.sh 2`` in a fresh folder, compared with run 1 (each process runs as many
   threads as run 1, the script's default, so the float sums are the same: labels and tables byte-identical).

Examples::

    python tools/analysis_tools/benchmark_slide.py --size 8000 --islands 2 --work-dir work_dirs/benchmark_slide_8k
    python tools/analysis_tools/benchmark_slide.py --size 40000 --islands 16 --check-resume --check-dist
"""
import argparse
import glob
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from centersam_mm.slides.synthetic import Island, grid_positions, write_island_slide  # noqa: E402

IMAGE_GLOBS = (str(REPO / 'data' / 'monuseg_test' / 'images' / '*.png'),
               str(REPO.parent / 'shared' / 'data' / 'monuseg' / 'MoNuSegTrainingData' / 'images' / '*.png'))
ISLAND = 1000
PIXEL_SIZE = 0.25  # µm per pixel written in the slide's metadata (MoNuSeg's 40x)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--size', type=int, default=40000, help='slide side (level-0 pixels)')
    parser.add_argument('--islands', type=int, default=16, help='number of 1000x1000 H&E islands')
    parser.add_argument('--jitter', type=int, default=400, help='islands moved off their grid cell centre by up '
                        'to this many pixels (so they do not line up with tiles)')
    parser.add_argument('--compression', default='zlib', help="TIFF tile compression ('zlib', 'jpeg')")
    parser.add_argument('--model', choices=('default', 'stub'), default='default')
    parser.add_argument('--work-dir', type=Path, default=REPO / 'work_dirs' / 'benchmark_slide')
    parser.add_argument('--references', default='exported,own,slide',
                        help="islands alone to compare with (comma-separated): 'exported' (a TIFF with the slide's "
                        "pixel size), 'own' (bare pixels, own estimated factor), 'slide' (the slide's factor given), "
                        "or 'none'")
    parser.add_argument('--reference-islands', type=int, help='compare only the first N islands (default: all)')
    parser.add_argument('--check-resume', action='store_true', help='kill a second run half way, resume, compare')
    parser.add_argument('--check-dist', action='store_true', help='2 processes (tools/dist_infer.sh), compare')
    parser.add_argument('--infer-args', default='', help='extra tools/infer.py options for every run')
    parser.add_argument('--rewrite', action='store_true', help='write the slide again even if it exists')
    return parser.parse_args(argv)


def island_images(count: int) -> List[Tuple[str, np.ndarray]]:
    """(name, 1000x1000 RGB) of the first ``count`` H&E images (see the module docstring)."""
    paths = [path for pattern in IMAGE_GLOBS for path in sorted(glob.glob(pattern))]
    if len(paths) < count:
        raise FileNotFoundError(f'{count} islands need {count} H&E images; found {len(paths)} ({IMAGE_GLOBS})')
    out = []
    for path in paths[:count]:
        image = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)[:ISLAND, :ISLAND]
        out.append((Path(path).stem, np.ascontiguousarray(image)))
    return out


def make_slide(args: argparse.Namespace) -> Tuple[Path, List[Island], List[str]]:
    """Write (or reuse) the slide; returns its path, the islands and their names."""
    images = island_images(args.islands)
    shape = (args.size, args.size)
    positions = grid_positions(shape, (ISLAND, ISLAND), args.islands, jitter=args.jitter, seed=0)
    islands = [Island(y, x, image) for (y, x), (_, image) in zip(positions, images)]
    path = args.work_dir / f'slide_{args.size}_{args.islands}_{args.compression}.ome.tif'
    if args.rewrite or not path.exists():
        args.work_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        levels = write_island_slide(path, shape, islands, pixel_size=PIXEL_SIZE, compression=args.compression)
        print(f'wrote {path} ({path.stat().st_size / 2 ** 20:.0f} MiB, levels {levels}) in '
              f'{time.perf_counter() - start:.0f} s', flush=True)
    return path, islands, [name for name, _ in images]


def infer_command(slide: Path, out: Path, args: argparse.Namespace, processes: int = 1) -> List[str]:
    extra = (['--model', 'stub'] if args.model == 'stub' else []) + args.infer_args.split()
    if processes > 1:
        return [str(REPO / 'tools' / 'dist_infer.sh'), str(processes), str(slide), '--out', str(out)] + extra
    return [sys.executable, str(REPO / 'tools' / 'infer.py'), str(slide), '--out', str(out)] + extra


def timed_run(command: List[str], log: Path) -> Dict[str, float]:
    """Run ``command`` to the end (output to ``log``); wall time and the peak RSS of its processes (MiB)."""
    start = time.perf_counter()
    with open(log, 'w') as stream:
        code = subprocess.call(command, stdout=stream, stderr=subprocess.STDOUT, cwd=REPO)
    wall = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f'{command} exited with {code}; see {log}')
    return dict(wall_s=round(wall, 1), peak_rss_mib=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss /
                                                          1024))


def killed_run(command: List[str], out: Path, stem: str, log: Path, fraction: float = 0.5) -> int:
    """Start ``command``, SIGKILL it once ``fraction`` of its tiles are saved; returns the tiles saved then."""
    tiles = out / f'{stem}_slide_work' / 'tiles'
    progress = out / f'{stem}_progress.json'
    with open(log, 'w') as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, cwd=REPO,
                                   start_new_session=True)
        while process.poll() is None:
            try:
                total = json.loads(progress.read_text())['tiles_total']
            except (OSError, ValueError, KeyError):
                total = None
            done = len(list(tiles.glob('[0-9]*.npz'))) if tiles.is_dir() else 0
            if total and done >= fraction * total:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return done
            time.sleep(0.2)
    raise RuntimeError(f'{command} finished before it could be killed; see {log}')


def outputs_digest(out: Path, stem: str) -> Dict[str, str]:
    """SHA-256 of the label arrays (every dataset, chunk by chunk of the data), GeoJSON and CSV of a run."""
    import zarr
    digests = {}
    group = zarr.open_group(str(out / f'{stem}_labels.ome.zarr'), mode='r')
    for item in group.attrs['multiscales'][0]['datasets']:
        array, digest = group[item['path']], hashlib.sha256()
        for y in range(0, array.shape[0], 4096):
            digest.update(np.ascontiguousarray(array[y:y + 4096]).tobytes())
        digests[f'labels/{item["path"]}'] = digest.hexdigest()[:16]
    for suffix in ('.geojson', '_nuclei.csv'):
        digests[suffix] = hashlib.sha256((out / f'{stem}{suffix}').read_bytes()).hexdigest()[:16]
    return digests


def export_island(island: Island, name: str, folder: Path) -> Path:
    """The island as an RGB TIFF recording the slide's pixel size (centimetre resolution, as scanners write)."""
    import tifffile
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'{Path(name).stem}.tif'
    tifffile.imwrite(path, island.image, photometric='rgb', resolution=(1e4 / PIXEL_SIZE,) * 2,
                     resolutionunit='CENTIMETER')
    return path


def compare_islands(out: Path, stem: str, islands: List[Island], names: List[str], args: argparse.Namespace,
                    slide_scale: Optional[float], pixel_size: Optional[float] = None) -> Dict[str, dict]:
    """Object F1 between the slide's labels and each island segmented alone (see the module docstring)."""
    import zarr
    from centersam_mm.apis import NucleusSegmenter
    from centersam_mm.evaluation.functional.instance_metrics import aggregate, instance_metrics
    level0 = zarr.open_group(str(out / f'{stem}_labels.ome.zarr'), mode='r')['0']
    kinds = [kind for kind in args.references.split(',') if kind and kind != 'none']
    count = min(len(islands), args.reference_islands or len(islands))
    model = 'stub' if args.model == 'stub' else None
    results = {}
    for kind in kinds:
        if kind == 'slide' and slide_scale is None:  # a model without a factor: 'own' is the only reference
            continue
        if kind == 'slide' and pixel_size:  # the slide's factor came from its pixel size: give the islands that
            segmenter = NucleusSegmenter(model, pixel_size=pixel_size)
        else:
            segmenter = NucleusSegmenter(model, scale=slide_scale if kind == 'slide' else None)
        per_island = []
        for island, name in zip(islands[:count], names[:count]):
            start = time.perf_counter()
            if kind == 'exported':
                reference = segmenter.predict(str(export_island(island, name, args.work_dir / 'islands')))
            else:
                reference = segmenter.predict_rgb(island.image)
            y0, y1, x0, x1 = island.box
            metrics = instance_metrics(reference.labels, np.asarray(level0[y0:y1, x0:x1]))
            metrics.update(name=name, scale=reference.scale, seconds=round(time.perf_counter() - start, 1))
            per_island.append(metrics)
            print(f'  {kind:5s} {name}: factor {reference.scale if reference.scale is None else round(reference.scale, 4)}'
                  f', {int(metrics["n_gt"])} alone / {int(metrics["n_pred"])} in the slide, F1 {metrics["f1_05"]:.4f}',
                  flush=True)
        pooled = aggregate(per_island)
        results[kind] = dict(f1_mean=round(pooled['f1_05'], 4), f1_pooled=round(pooled['f1_05_pooled'], 4),
                             f1_min=round(min(m['f1_05'] for m in per_island), 4),
                             identical_islands=sum(m['f1_05'] == 1.0 and m['n_gt'] == m['n_pred']
                                                   for m in per_island),
                             islands=[dict(name=m['name'], scale=m['scale'], f1=round(m['f1_05'], 4),
                                           alone=int(m['n_gt']), slide=int(m['n_pred']), seconds=m['seconds'])
                                      for m in per_island])
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    slide, islands, names = make_slide(args)
    stem = slide.name[:-len('.tif')]
    report: Dict[str, object] = dict(slide=str(slide), size=args.size, islands=args.islands, model=args.model,
                                     cpus=os.cpu_count(), load_before=os.getloadavg()[0],
                                     date=time.strftime('%Y-%m-%d'))
    out = args.work_dir / 'run'
    _clean(out)
    run = timed_run(infer_command(slide, out, args), args.work_dir / 'run.log')
    progress = json.loads((out / f'{stem}_progress.json').read_text())
    report['run'] = dict(run, **{key: progress['summary'][key] for key in
                                 ('nuclei', 'tiles_segmented', 'tiles_skipped', 'regions', 'scale', 'level')},
                         scale_source=progress['scale_source'], probe_scales=progress['probe_scales'])
    print(f'run: {json.dumps(report["run"])}', flush=True)
    digest = outputs_digest(out, stem)
    from_pixel_size = progress['scale_source'].startswith('slide pixel size')
    report['references'] = compare_islands(out, stem, islands, names, args, progress['summary']['scale'],
                                           PIXEL_SIZE if from_pixel_size else None)
    if args.check_resume:
        resumed = args.work_dir / 'resumed'
        _clean(resumed)
        killed_at = killed_run(infer_command(slide, resumed, args), resumed, stem, args.work_dir / 'killed.log')
        rerun = timed_run(infer_command(slide, resumed, args), args.work_dir / 'resumed.log')
        report['resume'] = dict(killed_after_tiles=killed_at, rerun_wall_s=rerun['wall_s'],
                                **_compare(outputs_digest(resumed, stem), digest))
        print(f'resume: {json.dumps(report["resume"])}', flush=True)
    if args.check_dist:
        dist = args.work_dir / 'dist2'
        _clean(dist)
        two = timed_run(infer_command(slide, dist, args, processes=2), args.work_dir / 'dist2.log')
        report['dist2'] = dict(wall_s=two['wall_s'], **_compare(outputs_digest(dist, stem), digest))
        print(f'dist2: {json.dumps(report["dist2"])}', flush=True)
    report['load_after'] = os.getloadavg()[0]
    (args.work_dir / 'report.json').write_text(json.dumps(report, indent=1))
    print(json.dumps({key: value for key, value in report.items() if key != 'references'}, indent=1))
    for kind, result in report['references'].items():
        print(f'islands alone ({kind} factor): F1 mean {result["f1_mean"]}, pooled {result["f1_pooled"]}, min '
              f'{result["f1_min"]}, identical {result["identical_islands"]}/{len(result["islands"])}')
    return 0


def _compare(digest: Dict[str, str], reference: Dict[str, str]) -> Dict[str, bool]:
    """Whether the label arrays (every level) and the tables (GeoJSON, CSV) of two runs are identical."""
    labels = [key for key in reference if key.startswith('labels/')]
    return dict(labels_identical=all(digest.get(key) == reference[key] for key in labels) and
                len([key for key in digest if key.startswith('labels/')]) == len(labels),
                tables_identical=all(digest.get(key) == reference[key] for key in reference if key not in labels))


def _clean(folder: Path) -> None:
    import shutil
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
