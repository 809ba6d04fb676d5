#!/bin/sh
# Fuzz every target for SECONDS each (default 60) with libFuzzer, ASan
# and UBSan, starting from the committed corpus. New interesting inputs
# stay in build-fuzz/corpus/; crashes are written to build-fuzz/ and make
# the script exit 1.
#
#   sh test/fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
. test/setup.sh
UPSXEN_PACKAGES="$UPSXEN_PACKAGES clang libclang-rt-14-dev"
upsxen_deps
secs=${1:-60}
out=build-fuzz
# Only the fuzz binaries: the plugin is not built for fuzzing.
cmake -S . -B "$out" -DCMAKE_C_COMPILER=clang -DUPSXEN_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j "$(nproc)" --target fuzz_policy fuzz_xenapi \
    fuzz_trap fuzz_state fuzz_records >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
status=0
for t in policy xenapi trap state records; do
	mkdir -p "$out/corpus/$t"
	echo "== fuzz_$t for $secs s"
	if ! "$out/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$out/crash-$t-" "$out/corpus/$t" \
	    "test/fuzz/corpus/$t" >"$out/fuzz_$t.log" 2>&1; then
		status=1
		echo "fuzz_$t found a crash: $(ls "$out"/crash-"$t"-* 2>/dev/null)"
	fi
	grep -E "stat::number_of_executed_units|stat::new_units_added" \
	    "$out/fuzz_$t.log" | sed 's/^/  /'
done
exit $status
