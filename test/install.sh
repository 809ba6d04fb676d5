#!/bin/sh
# The operator's path, for real (root; CI runs it on a fresh machine):
# build the .deb, install it with apt-get (which pulls its Depends),
# check the installed files, enable and disable the drop-in, then run a
# seed scenario with snmptrapd started the way the installed drop-in
# starts it, against fakexapi, using the installed plugin and upsxenctl.
# The package is removed at the end.
set -eu
cd "$(dirname "$0")/.."
. test/setup.sh
fail() { echo "install: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (apt-get, /etc/systemd)"
upsxen_deps
rm -rf build-deb
upsxen_build build-deb
(cd build-deb && cpack -G DEB >/dev/null) || fail "cpack"
deb=$(ls build-deb/upsxen_*.deb)
dpkg-deb -f "$deb" Depends | grep -q "snmptrapd, libsnmp40, libxmlrpc-core-c3, libcurl4, libjansson4" ||
	fail "Depends: $(dpkg-deb -f "$deb" Depends)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "./$deb" >/dev/null || fail "apt-get install $deb"
trap 'upsxenctl disable >/dev/null 2>&1; apt-get remove -y -qq upsxen >/dev/null 2>&1 || true' EXIT

plugin=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	gcc -print-multiarch)/upsxen/upsxen.so
doc=/usr/share/doc/upsxen
[ -f "$plugin" ] || fail "$plugin not installed"
[ "$(command -v upsxenctl)" = /usr/bin/upsxenctl ] || fail "upsxenctl not in /usr/bin"
for f in "$doc"/examples/*.json; do
	upsxenctl check -q "$f" >/dev/null 2>&1 || fail "installed example $f"
done
[ -f "$doc/upsxen-policy.schema.json" ] || fail "schema not installed"
mandoc -T lint -W warning /usr/share/man/man8/upsxen.8 \
	/usr/share/man/man8/upsxenctl.8 /usr/share/man/man5/upsxen-policy.5 ||
	fail "installed manual pages"

# Installing changed nothing in snmptrapd; enable does, disable undoes.
dropin=/etc/systemd/system/snmptrapd.service.d/upsxen.conf
[ ! -e "$dropin" ] || fail "the package installed the drop-in by itself"
upsxenctl enable | grep -q "systemctl daemon-reload && systemctl restart snmptrapd" ||
	fail "enable does not tell how to restart snmptrapd"
grep -qx "Environment=LD_PRELOAD=$plugin" "$dropin" || fail "drop-in: $(cat "$dropin")"
preload=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$dropin")

# snmptrapd as the drop-in starts it: the installed plugin preloaded.
UPSXEN_PLUGIN=$preload UPSXEN_CTL=/usr/bin/upsxenctl \
	UPSXEN_BUILD="$PWD/build-deb" \
	python3 test/integration/test_plugin.py 17600 \
	PluginTest.test_seed1_outage_and_return ||
	fail "seed scenario with the installed files"

upsxenctl disable >/dev/null || fail "disable"
[ ! -e "$dropin" ] || fail "disable left $dropin"
echo "install: ok ($deb)"
