#!/bin/sh
# The demo command of the README: install, build into build/, then show what
# upsxen does when ups2 and ups3 of the seed example-3 pool fail: the policy
# check, then the engine's plan against a simulated pool.
set -eu
cd "$(dirname "$0")/.."
. test/setup.sh
upsxen_deps
upsxen_build build
policy=examples/seed3-three-hosts.json
echo "== upsxenctl check $policy"
./build/upsxenctl check "$policy" 2>/dev/null
echo
echo "== upsxenctl plan: ups2 and ups3 fail at 0 s, power returns at 300 s"
./build/upsxenctl plan "$policy" --event ups2:on_battery@0 \
	--event ups3:on_battery@0 --event ups2:power_restored@300 \
	--event ups3:power_restored@300 --evacuate-takes 20
