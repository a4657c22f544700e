#!/usr/bin/env bash
# Distributed training through torchrun:  bash tools/dist_train.sh CONFIG NPROC [train.py args...]
# (several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT; see tools/dist_run.sh)
exec bash "$(dirname "$0")/dist_run.sh" train.py "$2" "$1" --launcher pytorch "${@:3}"
