"""Where the start-up of ``tools/infer.py`` goes: import the heavy third-party packages one after the other, then
the package, then build the default segmenter, in fresh interpreters; print the median seconds of each step.

    python tools/analysis_tools/benchmark_startup.py [--repeats 3] [--image demo/dsb_16c3d593.png]

Each step is timed after the ones before it, so a module shared by two steps counts in the first (torch's
``torch.distributed.tensor``, which mmengine's optimizers import, counts in ``mmengine.model``); the package's
step holds whatever else it imports (segment-anything's model modules; torchvision only if something asks for it:
the last line says whether it was imported). The first step enters the modules the package defers
(``centersam_mm/utils/deferred_imports.py``, loaded as a file: importing the package would import MMDetection
first), as the package's ``__init__`` does before MMDetection imports them; it holds their parents' imports
(matplotlib, scipy, numpy).

The last row is issue 20's measure, timed in other fresh interpreters: ``tools/infer.py IMAGE --out DIR`` as a
user runs it, from the interpreter's first line to the image reaching ``NucleusSegmenter`` (argument parsing,
imports, building the model, reading the image).
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

STEPS = ('torch', 'mmengine.model', 'mmdet.models')
CHILD = """
import importlib, importlib.util, json, sys, time
sys.path.insert(0, {root!r})
times, last = {{}}, time.perf_counter()
start = last
spec = importlib.util.spec_from_file_location('deferred_imports', {deferrals!r})
deferrals = importlib.util.module_from_spec(spec)
spec.loader.exec_module(deferrals)
deferrals.defer_unused_at_inference()
now = time.perf_counter(); times['deferred modules entered'] = now - last; last = now
for name in {steps!r}:
    importlib.import_module(name)
    now = time.perf_counter(); times[name] = now - last; last = now
from centersam_mm.apis.segmenter import NucleusSegmenter
now = time.perf_counter(); times['centersam_mm'] = now - last; last = now
NucleusSegmenter()
now = time.perf_counter(); times['build the default segmenter'] = now - last; times['total'] = now - start
times['torchvision imported'] = 'torchvision' in sys.modules
print(json.dumps(times))
"""
INFER_CHILD = """
import runpy, sys, time
start = time.perf_counter()
sys.argv = [{infer!r}, {image!r}, '--out', {out!r}]
sys.path.insert(0, {root!r})
from centersam_mm.apis.segmenter import NucleusSegmenter
first = []
for name in ('predict', 'predict_rgb'):
    def timed(self, *args, _inner=getattr(NucleusSegmenter, name), **kwargs):
        if not first:
            first.append(time.perf_counter() - start)
        return _inner(self, *args, **kwargs)
    setattr(NucleusSegmenter, name, timed)
try:
    runpy.run_path({infer!r}, run_name='__main__')
finally:  # the tool ends by sys.exit
    print('FIRST_IMAGE_AT', first[0] if first else 'never')
"""


def time_infer_startup(root: str, image: str) -> float:
    """Seconds from a fresh interpreter's first line to ``tools/infer.py IMAGE`` handing the image to the
    segmenter (its outputs go to a temporary folder)."""
    with tempfile.TemporaryDirectory() as out:
        code = INFER_CHILD.format(root=root, infer=str(Path(root) / 'tools' / 'infer.py'), image=image,
                                  out=str(Path(out) / 'out'))
        done = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True, cwd=root)
    return float(done.stdout.rsplit('FIRST_IMAGE_AT', 1)[1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=3, help='fresh interpreters to take the median of')
    parser.add_argument('--image', default='demo/dsb_16c3d593.png',
                        help="image for the last row's tools/infer.py run (relative to the repository)")
    args = parser.parse_args()
    root = str(Path(__file__).resolve().parents[2])
    code = CHILD.format(root=root, steps=STEPS,
                        deferrals=str(Path(root) / 'centersam_mm' / 'utils' / 'deferred_imports.py'))
    runs = [json.loads(subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True,
                                      cwd=root).stdout.splitlines()[-1]) for _ in range(args.repeats)]
    image = str(Path(root) / args.image)
    infer = statistics.median(time_infer_startup(root, image) for _ in range(args.repeats))
    print(f'| step | median s (of {args.repeats}) |\n|---|---|')
    for key, value in runs[0].items():
        if not isinstance(value, bool):
            print(f'| {key} | {statistics.median(run[key] for run in runs):.2f} |')
    print(f'| tools/infer.py to its first image (separate runs) | {infer:.2f} |')
    print(f"torchvision imported: {any(run['torchvision imported'] for run in runs)}")


if __name__ == '__main__':
    main()
