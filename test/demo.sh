#!/bin/sh
# The demo command of the README: install, build into build/, then play
# seed example 3 end to end: fakexapi as the pool, snmptrapd with
# upsxen.so, snmptrap as the UPS cards. Exit status 0 only if the outcome
# is right.
set -eu
cd "$(dirname "$0")/.."
# No way out of this script is silent.
trap 'rc=$?; [ "$rc" -eq 0 ] || echo "upsxen: test/demo.sh failed (exit $rc)" >&2' EXIT
. test/setup.sh
upsxen_deps "$UPSXEN_PACKAGES_DEMO"
upsxen_build build
echo "== what upsxenctl check says of the seed policy"
./build/upsxenctl check examples/seed3-three-hosts.json 2>/dev/null | tail -3
echo
echo "== the outage, live"
UPSXEN_BUILD="$PWD/build" python3 test/demo.py
