#!/bin/sh
# upsxenctl status against state files as the plugin writes them: what it
# prints, its JSON, and its exit status (0 fine, 1 a host failed, 2 the
# state or the policy cannot be read).
set -u
ctl=$1 examples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
policy=$examples/seed3-three-hosts.json
now=$(date +%s)

# No state yet: said plainly, not an error.
"$ctl" status --state-dir "$tmp" "$policy" >"$tmp/out" 2>&1 ||
	fail "no state: exit $?"
grep -q "^no state in $tmp yet" "$tmp/out" || fail "no state: $(cat "$tmp/out")"

# ups2 on battery for 70 s: xenserver-2 (maintenance at 60 s, shutdown
# at 120 s) is disabled and marked, its evacuation next; xenserver-3 failed.
cat >"$tmp/state.json" <<JSON
{"version": 1, "saved": $now, "policy": "$policy",
 "ups": {"ups2": {"power": "on_battery", "since": $((now - 70))},
         "ups3": {"power": "on_battery", "since": $((now - 100))}},
 "hosts": {
  "pool1/xenserver-2": {"at_risk": true, "risk_since": $((now - 70)),
    "disabled": true, "marked": true, "touched": true,
    "last_op": "mark_maintenance", "last_outcome": "ok"},
  "pool1/xenserver-3": {"at_risk": true, "risk_since": $((now - 100)),
    "touched": true, "failed": true, "error": "HOST_OFFLINE",
    "last_op": "disable", "last_outcome": "permanent"}}}
JSON
"$ctl" status --state-dir "$tmp" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "a failed host: exit $rc, not 1: $(cat "$tmp/err")"
grep -q '^ups  ups2 .*on_battery' "$tmp/out" || fail "ups2 line: $(cat "$tmp/out")"
grep -q '^host pool1/xenserver-3: failed (HOST_OFFLINE), .*last disable: permanent' "$tmp/out" ||
	fail "failed host line: $(cat "$tmp/out")"
grep -q '^host pool1/xenserver-2: evacuating (maintenance_after), next step .*(in [45][0-9] s), last mark_maintenance: ok' "$tmp/out" ||
	fail "xenserver-2 line: $(cat "$tmp/out")"
grep -q 'xenserver-1' "$tmp/out" && fail "a host at rest is listed without --all"

"$ctl" status --state-dir "$tmp" --json >"$tmp/json" || [ $? -eq 1 ] ||
	fail "--json exit"
python3 - "$tmp/json" <<'PY' || fail "--json content: $(cat "$tmp/json")"
import json, sys
j = json.load(open(sys.argv[1]))
h = j["hosts"]
assert h["pool1/xenserver-3"]["stage"] == "failed", h
assert h["pool1/xenserver-1"]["stage"] == "normal", h
assert 40 < h["pool1/xenserver-2"]["next_in_s"] <= 50, h
assert h["pool1/xenserver-2"]["stage"] == "evacuating", h
assert h["pool1/xenserver-2"]["last_action"] == "mark_maintenance", h
assert j["ups"]["ups2"]["power"] == "on_battery", j["ups"]
PY

# Recovered: nothing failed, exit 0.
sed 's/"failed": true, //' "$tmp/state.json" >"$tmp/s2" && mv "$tmp/s2" "$tmp/state.json"
"$ctl" status --state-dir "$tmp" >/dev/null 2>&1 || fail "no failed host: exit $?"

# Garbage, an unreadable policy, bad arguments: exit 2, with a reason.
echo '{"version": 1, "hosts": ' >"$tmp/state.json"
"$ctl" status --state-dir "$tmp" "$policy" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "broken state: exit not 2"
grep -q "state.json:[0-9]*:[0-9]*: " "$tmp/err" || fail "broken state: $(cat "$tmp/err")"
echo '{"version": 1, "saved": 1, "policy": "/nonexistent.json"}' >"$tmp/state.json"
"$ctl" status --state-dir "$tmp" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "missing policy: exit not 2"
grep -q "/nonexistent.json" "$tmp/err" || fail "missing policy: $(cat "$tmp/err")"
"$ctl" status --frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad argument: exit not 2"

# Issue 19.7: run as root, status loaded whatever policy path the state
# named and quoted the first token of a root-only file in its error.
printf 'topsecret-token\n' >"$tmp/secret" && chmod 600 "$tmp/secret"
# A state others may write: its policy path is not followed.
printf '{"version": 1, "saved": 1, "policy": "%s"}\n' "$policy" \
	>"$tmp/state.json"
chmod 666 "$tmp/state.json"
"$ctl" status --state-dir "$tmp" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "state writable by others: exit not 2"
grep -q "state.json (uid [0-9]*, mode 666) is not root's or yours alone: the policy it names is not loaded; give the policy as an argument" \
	"$tmp/err" || fail "state writable by others: $(cat "$tmp/err")"
# Named by the operator, the same policy is used.
"$ctl" status --state-dir "$tmp" "$policy" >/dev/null 2>&1 ||
	fail "state writable by others, policy named: exit $?"
chmod 644 "$tmp/state.json"
if [ "$(id -u)" -eq 0 ]; then
	# Another user's state naming a root-only file.
	printf '{"version": 1, "saved": 1, "policy": "%s"}\n' "$tmp/secret" \
		>"$tmp/state.json"
	chown 65534 "$tmp/state.json"
	"$ctl" status --state-dir "$tmp" >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] || fail "another user's state: exit not 2"
	grep -q "(uid 65534, mode 644) is not root's or yours alone" "$tmp/err" ||
		fail "another user's state: $(cat "$tmp/err")"
	grep -q topsecret "$tmp/err" && fail "another user's state: secret shown"
	rm -f "$tmp/state.json"
fi
# Our own state naming a file only its owner can read: where the JSON
# breaks, not what it says there.
printf '{"version": 1, "saved": 1, "policy": "%s"}\n' "$tmp/secret" \
	>"$tmp/state.json"
"$ctl" status --state-dir "$tmp" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "root-only file as the policy: exit not 2"
grep -q "$tmp/secret:1:[0-9]*: not valid JSON (the text is not shown: others cannot read the file)" \
	"$tmp/err" || fail "root-only file as the policy: $(cat "$tmp/err")"
grep -q topsecret "$tmp/err" && fail "root-only file as the policy: secret shown"
# Valid JSON but not a policy, only its owner may read: no quote either.
printf '{"password": "topsecret-token"}\n' >"$tmp/secret"
"$ctl" status --state-dir "$tmp" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "root-only JSON as the policy: exit not 2"
grep -q "not a valid policy: [0-9]* errors, not shown" "$tmp/err" ||
	fail "root-only JSON as the policy: $(cat "$tmp/err")"
grep -q topsecret "$tmp/err" && fail "root-only JSON as the policy: secret shown"
# A broken state only its owner may read: the position, not the text.
printf 'topsecret-token\n' >"$tmp/state.json" && chmod 600 "$tmp/state.json"
"$ctl" status --state-dir "$tmp" "$policy" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "root-only broken state: exit not 2"
grep -q "state.json:1:[0-9]*: not valid JSON" "$tmp/err" ||
	fail "root-only broken state: $(cat "$tmp/err")"
grep -q topsecret "$tmp/err" && fail "root-only broken state: secret shown"
# A FIFO as the state does not block, a symlink is not followed.
rm -f "$tmp/state.json" && mkfifo "$tmp/state.json"
timeout 5 "$ctl" status --state-dir "$tmp" "$policy" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "FIFO state: exit not 2 (blocked?)"
grep -q "state.json is not a regular file" "$tmp/err" ||
	fail "FIFO state: $(cat "$tmp/err")"
rm -f "$tmp/state.json" && ln -s "$tmp/secret" "$tmp/state.json"
"$ctl" status --state-dir "$tmp" "$policy" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "symlinked state: exit not 2"
grep -q "state.json: a symlink, not upsxen's file" "$tmp/err" ||
	fail "symlinked state: $(cat "$tmp/err")"
echo "ctl_status: ok"
