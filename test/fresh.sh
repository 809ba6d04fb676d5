#!/bin/sh
# The README's quick start on a machine that has nothing installed but a
# minimal Debian 12: debootstrap builds one in a directory, the committed
# tree goes in as a clone would bring it, and the two README commands run
# inside, each timed. Needs root and Debian's archive; takes about ten
# minutes on two cores (not part of .ci/run, which removes a package and
# lets the test command put it back instead).
#
#   sh test/fresh.sh [ROOT_DIR]     (default /var/tmp/upsxen-fresh)
#
# A chroot is not a booted machine: there is no systemd, so the snmpd and
# snmptrapd that the packages install would be started by their init
# scripts on the host's network. A policy-rc.d keeps them stopped, which is
# what the README's commands do on a real machine (systemctl disable --now).
set -eu
cd "$(dirname "$0")/.."
root=${1:-/var/tmp/upsxen-fresh}
mirror=${UPSXEN_MIRROR:-http://deb.debian.org/debian}
fail() { echo "fresh: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null 2>&1 || {
	echo "fresh: installing debootstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
		>/dev/null || fail "apt-get install debootstrap"
}

mounted=""
cleanup() {
	for m in $mounted; do umount -l "$root$m" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
took() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }

rm -rf "$root"
mkdir -p "$root"
t=$(now)
echo "fresh: debootstrap --variant=minbase bookworm $root" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" \
	>"$root.debootstrap.log" 2>&1 ||
	{ tail -n 20 "$root.debootstrap.log" >&2; fail "debootstrap"; }
echo "fresh: minimal root in $(took "$t" "$(now)") s" >&2

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in /proc /sys /dev /dev/pts; do
	mount --bind "$m" "$root$m" || fail "mount $m"
	mounted="$m $mounted"
done

# What a clone of the repository holds: the committed tree, nothing built.
mkdir -p "$root/root/upsxen"
git archive --format=tar HEAD | tar -x -C "$root/root/upsxen" ||
	fail "git archive HEAD"

run() {
	name=$1
	shift
	t=$(now)
	if chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c "cd /root/upsxen && $*" >"$root.$name.log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	echo "fresh: '$*' exited $rc after $(took "$t" "$(now)") s" \
		"(output: $root.$name.log)"
	tail -n 12 "$root.$name.log" | sed 's/^/    /'
	[ "$rc" -eq 0 ] || fail "'$*' on a fresh Debian 12"
}
run demo "sh test/demo.sh"
run tests "sh test/run.sh"
echo "fresh: ok"
