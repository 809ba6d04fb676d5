#!/bin/sh
# upsxenctl check: exit status and output contract (0 valid, 1 invalid,
# 2 usage; errors on stderr; --quiet prints errors only).
set -u
ctl=$1 examples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for f in "$examples"/*.json; do
	"$ctl" check "$f" >"$tmp/out" 2>"$tmp/err" || fail "$f rejected: $(cat "$tmp/err")"
done

"$ctl" check "$examples/seed3-three-hosts.json" >"$tmp/out" 2>/dev/null
grep -qx '  xenserver-2 (pool1, powered by ups2): maintenance after 60 s, shutdown after 120 s' "$tmp/out" ||
	fail "schedule line missing: $(cat "$tmp/out")"

cat >"$tmp/bad.json" <<'JSON'
{"ups": {"ups2": {"address": "10.0.0.12", "warning_period": 180}},
 "pools": {"pool1": {"url": "https://10.0.0.21", "username": "root",
   "password_file": "/dev/null",
   "hosts": {"xenserver-2": {"powered_by": ["ups2"], "shutdown_after": 200},
             "xenserver-3": {"powered_by": ["ups3"], "shutdown_after": 100}}}}}
JSON
"$ctl" check "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "invalid policy: exit status is not 1"
[ -s "$tmp/out" ] && fail "invalid policy printed a summary"
grep -qx 'error: pools.pool1.hosts.xenserver-2.shutdown_after: 200 is not shorter than ups.ups2.warning_period (180)' "$tmp/err" ||
	fail "warning-period error missing: $(cat "$tmp/err")"
grep -qx 'error: pools.pool1.hosts.xenserver-3.powered_by\[0\]: "ups3" is not a UPS of this policy' "$tmp/err" ||
	fail "second error missing: $(cat "$tmp/err")"

# The deadline budget: each host's row, and a schedule that cannot be
# off before the card cuts is an error that names the numbers.
"$ctl" check "$examples/redundant-feeds.json" >"$tmp/out" 2>/dev/null
grep -q '^  HOST  *LEAVES  *EVACUATE  *STOP_BY  *POWER_OFF  *OFF_BY  *WARNING  *MARGIN$' "$tmp/out" ||
	fail "budget header missing: $(cat "$tmp/out")"
grep -qE '^  xenserver-3 +30 +60 +90 +120 +180 +300 +120$' "$tmp/out" ||
	fail "budget row of xenserver-3 wrong: $(cat "$tmp/out")"
cat >"$tmp/late.json" <<'JSON'
{"ups": {"ups1": {"address": "10.0.0.11", "warning_period": 180}},
 "pools": {"pool1": {"url": "https://10.0.0.21", "username": "root",
   "password_file": "/dev/null", "vm_shutdown_timeout": 3600,
   "hosts": {"xenserver-1": {"powered_by": ["ups1"], "shutdown_after": 179.9}}}}}
JSON
"$ctl" check "$tmp/late.json" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "a host off after its warning period: exit status is not 1"
grep -qx 'error: pools.pool1.hosts.xenserver-1.shutdown_after: 179.9 + halt_time 60 = 239.9 s: the host would not be off before ups.ups1.warning_period (180) ends' "$tmp/err" ||
	fail "budget error missing: $(cat "$tmp/err")"

# A UPS that is not polled: a single forged packet can power its hosts off.
"$ctl" check "$tmp/late.json" >/dev/null 2>&1
sed 's/179.9/100/' "$tmp/late.json" >"$tmp/traps.json"
"$ctl" check "$tmp/traps.json" >"$tmp/out" 2>"$tmp/err" || fail "traps-only policy rejected: $(cat "$tmp/err")"
grep -qx 'warning: ups.ups1: traps only: one forged packet from its address can power off its hosts (give it an snmp block, SNMPv3 recommended)' "$tmp/err" ||
	fail "forgeable UPS not warned about: $(cat "$tmp/err")"
"$ctl" check "$examples/seed3-three-hosts.json" >"$tmp/out" 2>"$tmp/err"
grep -q 'forged' "$tmp/err" && fail "the examples' polled cards are warned about: $(cat "$tmp/err")"

"$ctl" check --quiet "$examples/seed1-two-hosts.json" >"$tmp/out" 2>"$tmp/err" || fail "--quiet rejected a valid policy"
[ -s "$tmp/out" ] || [ -s "$tmp/err" ] && fail "--quiet printed on a valid policy"

"$ctl" check >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing argument: exit status is not 2"
"$ctl" check --bogus x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option: exit status is not 2"
"$ctl" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: exit status is not 2"
"$ctl" check "$tmp/missing.json" 2>"$tmp/err"; [ $? -eq 1 ] || fail "missing file: exit status is not 1"
grep -q "missing.json: No such file or directory" "$tmp/err" || fail "missing file: no reason given"
echo "ctl_check: ok"
