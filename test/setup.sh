# Sourced by the README's commands, test/install.sh and .ci/run: install
# what is missing from Debian's packages, then configure and build.
#
# Every way out of these functions but success prints what failed: the
# README's commands run under `set -e`, and a silent exit is the worst
# thing a new user can meet.

# What building upsxen needs (the cmake configuration requires all of it;
# python3 runs the integration tests it declares).
UPSXEN_PACKAGES_BUILD="gcc make cmake pkg-config libc6-dev
  libjansson-dev libcmocka-dev libsnmp-dev
  libxmlrpc-core-c3-dev libcurl4-openssl-dev python3"
# What the demo runs besides the build: the real daemon and trap sender.
UPSXEN_PACKAGES_DEMO="$UPSXEN_PACKAGES_BUILD snmptrapd snmp"
# What the whole test suite runs: TLS through stunnel, a real snmpd as a
# card, valgrind, the JSON Schema check and the manual page linter.
UPSXEN_PACKAGES="$UPSXEN_PACKAGES_DEMO snmpd stunnel4 openssl valgrind
  python3-jsonschema mandoc"

# upsxen_missing PACKAGE...: print the ones not installed. dpkg-query
# fails for a package it has never heard of: that is "missing" too.
upsxen_missing() {
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=""
		case "$status" in
		*" installed") ;;
		*) printf '%s ' "$pkg" ;;
		esac
	done
}

# upsxen_apt LOG ARGS...: run apt-get quietly into LOG; on failure show
# its last lines and say which command failed.
upsxen_apt() {
	log=$1
	shift
	if apt-get "$@" >"$log" 2>&1; then
		return 0
	fi
	echo "upsxen: 'apt-get $*' failed; its last lines:" >&2
	tail -n 15 "$log" | sed 's/^/    /' >&2
	return 1
}

# upsxen_deps [PACKAGES]: install what is missing (default: everything
# the test suite needs).
upsxen_deps() {
	want=${1:-$UPSXEN_PACKAGES}
	if ! command -v dpkg-query >/dev/null 2>&1 ||
	   ! command -v apt-get >/dev/null 2>&1; then
		echo "upsxen: this is not a Debian system (no dpkg-query or apt-get);" \
			"install these yourself:" $want >&2
		return 1
	fi
	# shellcheck disable=SC2086 # a list of names, split on purpose
	missing=$(upsxen_missing $want)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "upsxen: missing packages: $missing(run as root to install them)" >&2
		return 1
	fi
	echo "upsxen: installing $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp "${TMPDIR:-/tmp}/upsxen-apt.XXXXXX") || {
		echo "upsxen: cannot create a temporary file for apt's output" >&2
		return 1
	}
	t0=$(date +%s)
	upsxen_apt "$log" update || { rm -f "$log"; return 1; }
	# shellcheck disable=SC2086
	upsxen_apt "$log" install -y --no-install-recommends $missing ||
		{ rm -f "$log"; return 1; }
	rm -f "$log"
	# Debian starts snmpd and snmptrapd on install; tests run their own.
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now snmpd snmptrapd >/dev/null 2>&1 || true
	fi
	# shellcheck disable=SC2086
	still=$(upsxen_missing $missing)
	if [ -n "$still" ]; then
		echo "upsxen: apt-get succeeded but these are still not installed: $still" >&2
		return 1
	fi
	echo "upsxen: installed in $(( $(date +%s) - t0 )) s" >&2
}

# upsxen_build BUILD_DIR [cmake options...]
upsxen_build() {
	dir=$1
	shift
	mkdir -p "$dir" || { echo "upsxen: cannot create $dir" >&2; return 1; }
	echo "upsxen: building into $dir" >&2
	if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" \
		>"$dir/configure.log" 2>&1; then
		tail -n 30 "$dir/configure.log" >&2
		echo "upsxen: cmake configuration failed (all of it: $dir/configure.log)" >&2
		return 1
	fi
	if ! cmake --build "$dir" -j "$(nproc)" >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		echo "upsxen: build failed (all of it: $dir/build.log)" >&2
		return 1
	fi
}
