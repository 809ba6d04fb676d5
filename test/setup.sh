# Sourced by the README's commands and by .ci/run: install what is missing
# from Debian's packages, then configure and build.

UPSXEN_PACKAGES="gcc make cmake pkg-config libc6-dev
  libjansson-dev libcmocka-dev libsnmp-dev snmptrapd snmp snmpd
  libxmlrpc-core-c3-dev libcurl4-openssl-dev stunnel4 openssl valgrind
  python3 python3-jsonschema mandoc"

upsxen_deps() {
	missing=""
	for pkg in $UPSXEN_PACKAGES; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
		case "$status" in
		*" installed") ;;
		*) missing="$missing $pkg" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "upsxen: missing packages:$missing (run as root to install them)" >&2
		return 1
	fi
	echo "upsxen: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "upsxen: apt-get install failed" >&2; return 1; }
	# Debian starts snmpd and snmptrapd on install; tests run their own.
	systemctl disable --now snmpd snmptrapd >/dev/null 2>&1 || true
}

# upsxen_build BUILD_DIR [cmake options...]
upsxen_build() {
	dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null &&
	cmake --build "$dir" -j "$(nproc)" >"$dir/build.log" 2>&1 ||
	{ cat "$dir/build.log" >&2; echo "upsxen: build failed" >&2; return 1; }
}
