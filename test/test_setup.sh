#!/bin/sh
# The install step of the README's commands (test/setup.sh) fails loudly:
# every way it can fail names what failed and returns non-zero, under the
# same `set -eu` the README's commands run with. Uses the real dpkg-query
# and apt-get, with a package name that no archive has.
set -u
cd "$(dirname "$0")/.."
bogus=upsxen-no-such-package
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

check() {
	what=$1 want_rc=$2 want=$3
	shift 3
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || ! grep -q -- "$want" "$out"; then
		echo "FAIL: $what: exit $rc (want $want_rc), output:"
		sed 's/^/    /' "$out"
		echo "    (wanted a line matching: $want)"
		failed=$((failed + 1))
	else
		echo "ok: $what"
	fi
}

# dpkg-query exits 1 for a name it never heard of; that must read as
# "missing", not end the shell (the first command of the README once
# exited 1 in 0.03 s printing nothing).
check "an unknown package is reported missing under set -eu" 0 "^$bogus $" \
	sh -eu -c ". test/setup.sh; upsxen_missing $bogus; echo"
check "an installed package is not reported" 0 "^$" \
	sh -eu -c ". test/setup.sh; upsxen_missing dpkg; echo"

# Not root: say what is missing and how to get it.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	check "a user who cannot install is told what is missing" 1 \
		"missing packages: $bogus (run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -eu -c ". test/setup.sh; upsxen_deps $bogus"
fi

# Root, and apt-get fails: the command, then apt's own words.
if [ "$(id -u)" -eq 0 ]; then
	check "apt-get's failure is shown with its command" 1 \
		"'apt-get install -y --no-install-recommends $bogus' failed" \
		sh -eu -c ". test/setup.sh; upsxen_deps $bogus"
	check "apt-get's own message is shown" 1 \
		"Unable to locate package $bogus" \
		sh -eu -c ". test/setup.sh; upsxen_deps $bogus"
	check "what is being installed is said first" 1 \
		"upsxen: installing $bogus" \
		sh -eu -c ". test/setup.sh; upsxen_deps $bogus"
fi

# A build that fails says so and shows the compiler.
src=$(mktemp -d)
mkdir -p "$src/t"
cp test/setup.sh "$src/t/"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(x C)\nadd_executable(x x.c)\n' \
	>"$src/CMakeLists.txt"
printf 'int main(void) { return nosuchsymbol; }\n' >"$src/x.c"
check "a failed build shows the compiler's error" 1 "nosuchsymbol" \
	sh -eu -c "cd $src && . t/setup.sh && upsxen_build b"
check "a failed build is named" 1 "upsxen: build failed" \
	sh -eu -c "cd $src && . t/setup.sh && upsxen_build b"
rm -rf "$src"

[ "$failed" -eq 0 ] || { echo "$failed check(s) failed"; exit 1; }
echo "all checks passed"
