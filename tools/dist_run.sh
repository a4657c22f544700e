#!/usr/bin/env bash
# Run a tools/ script in NPROC processes through torchrun (MMEngine's launcher 'pytorch').
#   bash tools/dist_run.sh SCRIPT NPROC [script args...]
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR, PORT on each. PYTHON selects the interpreter
# (default: the checkout's .venv/bin/python if present, else python).
set -euo pipefail
SCRIPT=$1
NPROC=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --nproc_per_node="$NPROC" --master_port="${PORT:-29500}" \
  "$ROOT/tools/$SCRIPT" "${@:3}"
