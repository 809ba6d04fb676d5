#!/bin/sh
# The test command of the README: install, build into build/, run ctest.
set -eu
cd "$(dirname "$0")/.."
. test/setup.sh
upsxen_deps
upsxen_build build
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
