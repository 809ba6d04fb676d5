#!/bin/sh
# The JSON Schema (policy/upsxen-policy.schema.json) and the loader agree:
# every example policy passes both, every policy in test/policy/bad fails
# both. Debian's python3-jsonschema (Draft 2020-12) does the validating.
set -u
ctl=$1 examples=$2 schema=$3 bad=$4
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3

for f in "$examples"/*.json; do
	"$ctl" check -q "$f" >/dev/null 2>&1 || fail "loader rejects $f"
done
for f in "$bad"/*.json; do
	"$ctl" check -q "$f" >/dev/null 2>&1
	[ $? -eq 1 ] || fail "loader accepts $f"
done
"$py" - "$schema" "$examples" "$bad" <<'PY' || exit 1
import glob, json, os, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(
    schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
bad = 0
for f in sorted(glob.glob(os.path.join(sys.argv[2], "*.json"))):
    errors = list(v.iter_errors(json.load(open(f))))
    if errors:
        print("FAIL: schema rejects %s: %s" % (f, errors[0].message))
        bad = 1
n = 0
for f in sorted(glob.glob(os.path.join(sys.argv[3], "*.json"))):
    n += 1
    if v.is_valid(json.load(open(f))):
        print("FAIL: schema accepts %s" % f)
        bad = 1
if n < 20:
    print("FAIL: only %d bad examples" % n)
    bad = 1
sys.exit(bad)
PY
echo "schema: ok"
