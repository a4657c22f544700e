#!/usr/bin/env bash
# Distributed inference: shard the inputs over N processes on this machine.
#   tools/dist_infer.sh N INPUT... --out DIR [tools/infer.py options]
# Process RANK of N takes files RANK::N of the sorted input list (no process group is needed);
# the tiles of a whole-slide image are shared the same way (process 0 writes its outputs);
# the outputs are the same as those of one `tools/infer.py` run (byte for byte when each process runs as many
# threads as that run, e.g. OMP_NUM_THREADS=2; with torchrun's 1 thread a model's scores may differ in their
# last printed digit and its masks in a few pixels). With --device cuda each process
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
# OMP_NUM_THREADS: torchrun would set 1 per process anyway; keep the user's value if given.
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} exec "$PYTHON" -m torch.distributed.run --standalone \
  --nproc_per_node="$NPROC" "$ROOT/tools/infer.py" "$@"
