#!/bin/sh
# The README's bench command: build, run every benchmark, print the
# numbers and write them into BENCHMARKS.md. Benchmarks print; they never
# pass or fail on timing.
set -eu
cd "$(dirname "$0")/../.."
. test/setup.sh
upsxen_deps
upsxen_build build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/output.txt"
export UPSXEN_BENCH_JSON="$tmp/results.jsonl"
export UPSXEN_BUILD="$PWD/build"
./build/genpolicy -u 1000 -p 200 -n 5000 >"$tmp/policy.json"
{
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo |
	    cut -d: -f2 | sed 's/^ //'), $(uname -r)"
	./build/bench_policy "$tmp/policy.json" 20
	./build/bench_engine "$tmp/policy.json" 5
	./build/bench_xenapi 20000
	python3 test/bench/bench_intake.py 2
	python3 test/bench/bench_latency.py 1000
	python3 test/bench/bench_latency.py 1000 10000
	python3 test/bench/bench_timer.py 20
	python3 test/bench/bench_scale.py 200
} 2>&1 | tee "$out"
python3 test/bench/report.py "$UPSXEN_BENCH_JSON" "$out" BENCHMARKS.md
echo "bench: results written to BENCHMARKS.md"
