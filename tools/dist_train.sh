#!/usr/bin/env bash
# Distributed training through torchrun (MMEngine's launcher 'pytorch').
#   bash tools/dist_train.sh CONFIG NPROC [train.py args...]
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR, PORT on each.
set -euo pipefail
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
VENV_PYTHON="$(dirname "$0")/../.venv/bin/python"
[ -x "$VENV_PYTHON" ] && DEFAULT_PYTHON=$VENV_PYTHON || DEFAULT_PYTHON=python
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
