#!/bin/bash
# TLS between the XenAPI client and a pool: fakexapi behind stunnel4, with
# certificates and pins made here by openssl.
set -u
probe=$1 fakexapi=$2 base=$3
plain=$((base + 1)) tls=$((base + 2))
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp"

ssl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $*"; }
ssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca
ssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other-ca
ssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
printf 'subjectAltName=DNS:localhost\n' >san.ext
ssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext
pin="sha256//$(openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
wrongpin="sha256//$(openssl x509 -in other.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"

printf 'secret\n' >pw
chmod 600 pw
cat >pool.json <<JSON
{"password": "secret", "hosts": [{"name_label": "xs1", "port": $plain, "master": true}]}
JSON
"$fakexapi" pool.json >fake.out 2>&1 &
pids+=($!)
cat >stunnel.conf <<CONF
foreground = yes
pid =
[xapi]
accept = 127.0.0.1:$tls
connect = 127.0.0.1:$plain
cert = $tmp/server.pem
key = $tmp/server.key
CONF
stunnel4 stunnel.conf >stunnel.out 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	(exec 3<>/dev/tcp/127.0.0.1/$tls) 2>/dev/null && grep -q ready fake.out && break
	sleep 0.05
done

expect() {
	want=$1
	shift
	out=$("$probe" "$@" 2>"$tmp/stderr")
	case "$want:$out" in
	ok:ok*|tls:"error tls"*|transport:"error transport"*) ;;
	*) fail "$want expected for $*: got '$out' $(cat "$tmp/stderr")" ;;
	esac
}

expect ok https://localhost:$tls root pw --ca ca.pem
expect tls https://localhost:$tls root pw --ca other.pem
expect tls https://localhost:$tls root pw
expect tls https://127.0.0.1:$tls root pw --ca ca.pem
expect ok https://127.0.0.1:$tls root pw --ca ca.pem --no-verify-name
expect ok https://127.0.0.1:$tls root pw --pin "$pin"
expect tls https://127.0.0.1:$tls root pw --pin "$wrongpin"
expect tls https://localhost:$tls root pw --ca ca.pem --pin "$wrongpin"
expect ok https://localhost:$tls root pw --ca ca.pem --pin "$wrongpin;$pin"
expect transport http://127.0.0.1:$tls root pw
expect ok https://127.0.0.1:$tls root pw --insecure
grep -q "without checking its certificate" "$tmp/stderr" || fail "verify off must warn at connect"
echo "tls: ok"
