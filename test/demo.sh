#!/bin/sh
# The demo command of the README: install, build into build/, then show what
# upsxen does when ups2 and ups3 of the seed example-3 pool fail.
set -eu
cd "$(dirname "$0")/.."
. test/setup.sh
upsxen_deps
upsxen_build build
policy=examples/seed3-three-hosts.json
echo "== upsxenctl check $policy"
./build/upsxenctl check "$policy" 2>/dev/null
