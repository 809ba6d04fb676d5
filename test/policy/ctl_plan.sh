#!/bin/sh
# upsxenctl plan: the seed timelines line by line, JSON output, the exit
# status that tells an operator a VM would die, and usage errors.
set -u
ctl=$1 examples=$2 expected=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

check() {
	name=$1
	shift
	"$ctl" plan "$@" >"$tmp/$name" 2>"$tmp/err" || fail "$name: exit $? $(cat "$tmp/err")"
	diff -u "$expected/$name" "$tmp/$name" || fail "$name: timeline differs"
}

check seed1.txt "$examples/seed1-two-hosts.json" --master xenserver-2 \
	--event ups1:on_battery@0 --event ups1:power_restored@300 --evacuate-takes 20
check seed2.txt "$examples/seed1-two-hosts.json" --master xenserver-2 \
	--event ups1:on_battery@0 --event ups1:power_restored@70 --evacuate-takes 20
check seed3.txt "$examples/seed3-three-hosts.json" \
	--event ups2:on_battery@0 --event ups3:on_battery@0 \
	--event ups2:power_restored@300 --event ups3:power_restored@300 --evacuate-takes 20
check seed3.jsonl "$examples/seed3-three-hosts.json" --json \
	--event ups2:on_battery@0 --event ups3:on_battery@0 \
	--event ups2:power_restored@300 --event ups3:power_restored@300 --evacuate-takes 20

# A lone host with only a maintenance timer: its VMs have nowhere to go and
# nothing shuts it down, so they die with the UPS. The plan must say so.
cat >"$tmp/lone.json" <<'JSON'
{"ups": {"u": {"address": "10.0.0.11", "warning_period": 180}},
 "pools": {"p": {"url": "https://10.0.0.21", "username": "root",
   "password_file": "/dev/null",
   "hosts": {"solo": {"powered_by": ["u"], "maintenance_after": 60}}}}}
JSON
"$ctl" plan "$tmp/lone.json" --event u:on_battery@0 >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "a plan with crashed VMs must exit 1"
grep -q 'crashed=4' "$tmp/out" || fail "crashed VMs not reported: $(cat "$tmp/out")"

"$ctl" plan "$examples/seed3-three-hosts.json" --event ups9:on_battery@0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "unknown UPS: exit status is not 2"
grep -q 'no UPS "ups9"' "$tmp/err" || fail "unknown UPS not named: $(cat "$tmp/err")"
"$ctl" plan "$examples/seed3-three-hosts.json" --event ups2:on_batery@0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "unknown event: exit status is not 2"
"$ctl" plan "$examples/seed3-three-hosts.json" --event ups2:on_battery >/dev/null 2>&1
[ $? -eq 2 ] || fail "event without time: exit status is not 2"
"$ctl" plan "$examples/seed3-three-hosts.json" --master nobody >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown master: exit status is not 2"
"$ctl" plan "$tmp/missing.json" >/dev/null 2>&1
[ $? -eq 1 ] || fail "missing policy: exit status is not 1"
echo "ctl_plan: ok"
