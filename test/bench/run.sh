#!/bin/sh
# The README's bench command: build, generate the large policy, print the
# numbers. Benchmarks print; they never pass or fail on timing.
set -eu
cd "$(dirname "$0")/../.."
. test/setup.sh
upsxen_deps
upsxen_build build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./build/genpolicy -u 1000 -p 200 -n 5000 >"$tmp/policy.json"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
./build/bench_policy "$tmp/policy.json" 20
./build/bench_engine "$tmp/policy.json" 5
./build/bench_xenapi 20000
UPSXEN_BUILD="$PWD/build" python3 test/bench/bench_latency.py 1000
