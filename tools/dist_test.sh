#!/usr/bin/env bash
# Distributed testing through torchrun:  bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
# (several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT; see tools/dist_run.sh)
exec bash "$(dirname "$0")/dist_run.sh" test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
