#!/bin/sh
# The test command of the README: install, build into build/, run ctest.
set -eu
cd "$(dirname "$0")/.."
# No way out of this script is silent.
trap 'rc=$?; [ "$rc" -eq 0 ] || echo "upsxen: test/run.sh failed (exit $rc)" >&2' EXIT
. test/setup.sh
upsxen_deps
upsxen_build build
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
