#!/usr/bin/env bash
# Distributed inference: shard the inputs over N processes on this machine.
#   tools/dist_infer.sh N INPUT... --out DIR [tools/infer.py options]
# Process RANK of N takes files RANK::N of the sorted input list (no process group is needed);
# the tiles of a whole-slide image are shared the same way (process 0 writes its outputs);
# the outputs are byte for byte those of one `tools/infer.py` run: by default each process runs as many torch
# threads as that run would (torch's default, the machine's cores), since float sums over another thread count
# run in another order. OMP_NUM_THREADS=1 (torchrun's own default) avoids oversubscribing the cores, at the
# price of scores that may differ in their last printed digit and masks in a few pixels. With --device cuda each process
# uses GPU LOCAL_RANK. PYTHON selects the interpreter (default: .venv/bin/python if present, else python).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 NUM_PROCESSES INPUT... --out DIR [options of tools/infer.py]" >&2
  exit 2
fi
NPROC=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
# OMP_NUM_THREADS: the user's value if given, else the thread count of a single run
if [ -z "${OMP_NUM_THREADS:-}" ]; then
  OMP_NUM_THREADS=$("$PYTHON" -c 'import torch; print(torch.get_num_threads())')
fi
OMP_NUM_THREADS=$OMP_NUM_THREADS exec "$PYTHON" -m torch.distributed.run --standalone \
  --nproc_per_node="$NPROC" "$ROOT/tools/infer.py" "$@"
