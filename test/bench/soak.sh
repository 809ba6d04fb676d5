#!/bin/sh
# Random outages against the engine's safety invariants for SECONDS
# (default 600), from a fresh first seed each run. A violation prints its
# seed and the shortest history that still fails; replay it with
#   build/check_invariants -n 1 -s SEED -T
set -eu
cd "$(dirname "$0")/../.."
. test/setup.sh
upsxen_deps
upsxen_build build
seed=$(date +%s)
echo "first seed $seed"
./build/check_invariants -t "${1:-600}" -s "$seed"
