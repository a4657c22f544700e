"""Where the start-up of ``tools/infer.py`` goes: import the heavy third-party packages one after the other, then
the package, then build the default segmenter, in fresh interpreters; print the median seconds of each step.

    python tools/analysis_tools/benchmark_startup.py [--repeats 3]

Each step is timed after the ones before it, so a module shared by two steps counts in the first (torch's
``torch.distributed.tensor``, which mmengine's optimizers import, counts in ``mmengine.model``); the package's
step holds whatever else it imports (segment-anything's model modules; torchvision only if something asks for it:
the last line says whether it was imported). The first step enters the modules the package defers
(``centersam_mm/utils/deferred_imports.py``, loaded as a file: importing the package would import MMDetection
first), as the package's ``__init__`` does before MMDetection imports them; it holds their parents' imports
(matplotlib, scipy, numpy).
"""
import argparse
import json
import statistics
import subprocess
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=3, help='fresh interpreters to take the median of')
    args = parser.parse_args()
    root = str(Path(__file__).resolve().parents[2])
    code = CHILD.format(root=root, steps=STEPS,
                        deferrals=str(Path(root) / 'centersam_mm' / 'utils' / 'deferred_imports.py'))
    runs = [json.loads(subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True,
                                      cwd=root).stdout.splitlines()[-1]) for _ in range(args.repeats)]
    print(f'| step | median s (of {args.repeats}) |\n|---|---|')
    for key in runs[0]:
        if isinstance(runs[0][key], bool):
            print(f'{key}: {any(run[key] for run in runs)}')
        else:
            print(f'| {key} | {statistics.median(run[key] for run in runs):.2f} |')


if __name__ == '__main__':
    main()
