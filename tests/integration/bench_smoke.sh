#!/usr/bin/env bash
# lwm2m-bench, quick mode, against lwm2m-bs-server, lwm2m-server and its own responder on
# 127.0.0.1: seed (NoSec, PSK, and endpoints whose server account is the running lwm2m-server),
# a NoSec storm of 300 bootstraps over 200 endpoints with a fifth of single-server clients
# (each refuses the primary plan once with 4.06, then the fallback succeeds), 50 DTLS PSK
# bootstraps, 100 ping sessions, ping --psk against `responder --dtls-listen` (derived keys,
# then a fixed --psk-key on both sides, the same and a different one), 20 bootstraps followed
# by Register + De-register, and seed --rpk / --x509 with 20 bootstraps per mode against a
# server presenting the seeded certificate. Asserts the counts of the --json reports (no
# timing), the failure causes of wrong credentials and unknown endpoints, the PSK derivation in
# the store and (with openssl) the seeded keys and certificates.
# Then the same over `--io udp` (plain sockets, our own CoAP), against that server and against
# one with `--io libcoap`: the storm's counts must be the same; through a relay that drops each
# client's first Bootstrap-Request and its first answers to Delete and Finish, both transports
# must retransmit, answer again and linger alike; a scripted peer checks the udp transport's
# RFC 7252/7959 behaviour datagram by datagram; ping --io udp against both responders.
set -u
bin=${LWM2M_BIN_DIR:?}
work=$(mktemp -d)
pids=()
cleanup() {
  # SIGTERM: the servers and the responder stop cleanly (no job-killed notice).
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
wait_for() { # tenths of a second, command...
  local n=$1
  shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  "$@"
}
# field JSON EXPR: a Python expression over the JSON text as `d`.
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v,separators=(",",":")))' "$1" "$2" 2>/dev/null; }
expect() { # what, got, want
  [ "$2" == "$3" ] && ok || ko "$1: got '$2', expected '$3'"
}
bench=$bin/lwm2m-bench

# Options.
"$bench" --help >/dev/null; expect "--help" $? 0
"$bench" --server coap://127.0.0.1:1 --bogus 2>/dev/null; expect "unknown option" $? 2
"$bench" --server coaps://127.0.0.1:1 2>/dev/null; expect "coaps:// without --psk" $? 2
"$bench" --server coap://127.0.0.1:1 -n 5 -c 6 2>/dev/null; expect "concurrency above endpoints" $? 2
"$bench" ping --server coap://127.0.0.1:1 --register 2>/dev/null; expect "ping --register" $? 2
"$bench" seed --store "sqlite:$work/x.db" 2>/dev/null; expect "seed without --endpoints" $? 2
msg=$("$bench" --server coap://127.0.0.1:1 --io udp --psk 2>&1); expect "--io udp --psk" $? 2
case $msg in *"--io udp speaks NoSec coap:// only"*) ok ;; *) ko "--io udp --psk message: $msg" ;; esac
"$bench" --server coaps://127.0.0.1:1 --io udp 2>/dev/null; expect "--io udp with coaps://" $? 2
"$bench" ping --server coap://127.0.0.1:1 --io tcp 2>/dev/null; expect "--io tcp" $? 2
"$bench" responder --io udp --max-idle 5 2>/dev/null; expect "responder --io udp --max-idle" $? 2

# The LwM2M Server first: the reg- endpoints' server account points at it.
"$bin/lwm2m-server" --listen 127.0.0.1:0 --no-http --store "sqlite:$work/server.db" \
  2>"$work/server.log" &
srv_pid=$!
pids+=("$srv_pid")
wait_for 50 grep -q "listening: " "$work/server.log" || { cat "$work/server.log"; exit 1; }
srv_port=$(sed -n 's/.*listening: coap=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")

store="sqlite:$work/bs.db"
out=$("$bench" seed --store "$store" --endpoints 200 --json -q)
expect "seed NoSec" "$(field "$out" 'd["seeded"]')" 200
out=$("$bench" seed --store "$store" --endpoints 50 --prefix psk- --psk --json -q)
expect "seed PSK" "$(field "$out" 'd["seeded"]')" 50
out=$("$bench" seed --store "$store" --endpoints 20 --prefix reg- --json -q \
  --lwm2m-server "coap://127.0.0.1:$srv_port")
expect "seed reg" "$(field "$out" 'd["seeded"]')" 20
# The store holds what the help promises: identity = name, key = SHA-256("lwm2m-bench-psk:" NAME)[:16].
got=$(python3 - "$work/bs.db" <<'PY'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(*) FROM entries WHERE kind = 0").fetchone()[0]
ident, key, doc = db.execute("SELECT psk_identity, psk_key, json FROM entries WHERE name = 'psk-7'").fetchone()
want = hashlib.sha256(b"lwm2m-bench-psk:psk-7").digest()[:16]
d = json.loads(doc)
reg = json.loads(db.execute("SELECT json FROM entries WHERE name = 'reg-3'").fetchone()[0])
print(n, bytes(ident) == b"psk-7", bytes(key) == want, d["psk"]["key"] == want.hex(), d["discover"],
      len(d["fallbacks"]), reg["objects"]["0"]["1"]["0"])
PY
)
expect "store contents" "$got" "270 True True True False 1 coap://127.0.0.1:$srv_port"

"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --store "$store" \
  2>"$work/bs.log" &
bs_pid=$!
pids+=("$bs_pid")
wait_for 50 grep -q "serving coap port" "$work/bs.log" || { cat "$work/bs.log"; exit 1; }
coap=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")
coaps=$(sed -n 's/.*coaps port \([0-9]*\),.*/\1/p' "$work/bs.log")

# NoSec storm: endpoints 4, 9, ..., 199 (40 of 200) are single-server. Each refuses the primary
# plan once (6 exchanges, 4.06, 5 rollback Deletes, fallback: 4 more = 15); the server remembers
# the fallback, so the 20 of them in the second round (endpoints 0..99) take it at once (5).
# Exchanges: 160*6 + 40*15 + 80*6 + 20*5 = 2140.
out=$("$bench" --server "coap://127.0.0.1:$coap" --endpoints 200 --count 300 --concurrency 20 \
  --reject-share 0.2 --linger 1 --server-pid "$bs_pid" --json --quiet)
expect "storm exit status" $? 0
expect "storm counts" "$(field "$out" '[d["started"],d["completed"],d["failed"]]')" "[300,300,0]"
expect "storm 4.06" "$(field "$out" '[d["finish_406"],d["recovered"]]')" "[40,40]"
expect "storm plans" "$(field "$out" '[d["primary_plan"],d["fallback_plan"]]')" "[240,60]"
expect "storm exchanges" "$(field "$out" '[d["exchanges"]["total"],d["exchanges"]["min"],d["exchanges"]["max"]]')" "[2140,5,15]"
expect "storm failures" "$(field "$out" 'sum(d["failures"].values())')" 0
expect "storm latency count" "$(field "$out" 'd["latency_ms"]["count"]')" 300
expect "storm server sampled" "$(field "$out" '[d["servers"][0]["pid"],d["servers"][0]["readable"],d["servers"][0]["cpu_s"]>=0]')" "[$bs_pid,true,true]"
expect "storm generator cpu" "$(field "$out" 'd["generator"]["cpu_s"]>=0')" true

# DTLS PSK: 50 bootstraps; an identity the server does not know fails the handshake; a PSK
# endpoint over NoSec is refused.
out=$("$bench" --server "coaps://127.0.0.1:$coaps" --psk --prefix psk- --endpoints 50 --count 50 \
  --concurrency 10 --linger 1 --json --quiet)
expect "psk exit status" $? 0
expect "psk counts" "$(field "$out" '[d["security"],d["completed"],d["failed"],d["exchanges"]["total"]]')" '["psk",50,0,300]'
out=$("$bench" --server "coaps://127.0.0.1:$coaps" --psk --prefix nobody- --endpoints 3 --count 3 \
  --concurrency 3 --timeout 10 --json --quiet)
expect "unknown identity exit status" $? 1
expect "unknown identity" "$(field "$out" '[d["completed"],d["failures"]["dtls-handshake"]]')" "[0,3]"
out=$("$bench" --server "coap://127.0.0.1:$coap" --prefix psk- --endpoints 2 --count 2 \
  --concurrency 2 --json --quiet)
expect "PSK endpoint over NoSec" "$(field "$out" '[d["failures"]["request-refused"],d["refused_codes"]]')" '[2,{"4.00":2}]'

# ---- DTLS RPK and X.509 -------------------------------------------------------------------------
# seed --rpk / --x509 DIR: a fresh key pair per endpoint (X.509: and a certificate, CN = its name,
# from the CA seed makes in DIR), the server's certificate in DIR; openssl checks what was
# written. A Bootstrap Server started with DIR's files; a storm of 20 per mode. Refused: an
# X.509 endpoint over NoSec, RPK endpoints as PSK identities, RPK keys of another seed (the same
# CA and server) the store does not hold, a server key other than the pinned one; a bundle
# short of endpoints does not run.
keys=$work/keys
store3="sqlite:$work/bs-pki.db"
"$bench" seed --store "$store3" --endpoints 2 --psk --rpk "$keys" 2>/dev/null; expect "seed --psk --rpk" $? 2
"$bench" --server coaps://127.0.0.1:1 --rpk "$keys" --x509 "$keys" 2>/dev/null; expect "--rpk --x509" $? 2
"$bench" --server coap://127.0.0.1:1 --x509 "$keys" 2>/dev/null; expect "--x509 with coap://" $? 2
"$bench" ping --server coaps://127.0.0.1:1 --rpk "$keys" 2>/dev/null; expect "ping --rpk" $? 2
out=$("$bench" seed --store "$store3" --endpoints 20 --prefix rpk- --rpk "$keys" --json -q)
expect "seed --rpk" "$(field "$out" '[d["seeded"],d["security"],d["keys"]]')" "[20,\"rpk\",\"$keys/rpk-endpoints.bin\"]"
made=$(cat "$keys/ca.crt.der" "$keys/server.crt.der" | cksum)
out=$("$bench" seed --store "$store3" --endpoints 20 --prefix x509- --x509 "$keys" --json -q)
expect "seed --x509" "$(field "$out" '[d["seeded"],d["security"],d["keys"]]')" "[20,\"x509\",\"$keys/x509-endpoints.bin\"]"
# The bundles' entries as DER files (endpoint 7 of each), and the store's view of them.
got=$(python3 - "$keys" "$work/bs-pki.db" <<'PY'
import json, sqlite3, struct, sys
keys, db = sys.argv[1], sqlite3.connect(sys.argv[2])
def entries(mode):
    d = open(f"{keys}/{mode}-endpoints.bin", "rb").read()
    assert d[:8] == b"LWBKEYS1" and d[8] == (1 if mode == "rpk" else 2)
    i = 10 + d[9]
    count, i, out = struct.unpack("!I", d[i:i + 4])[0], i + 4, []
    for _ in range(count):
        item = []
        for _ in range(2):
            n = struct.unpack("!H", d[i:i + 2])[0]
            item.append(d[i + 2:i + 2 + n])
            i += 2 + n
        out.append(item)
    assert i == len(d)
    return d[10:10 + d[9]].decode(), out
for mode in ("rpk", "x509"):
    prefix, items = entries(mode)
    key, own = items[7]
    open(f"{keys}/{mode}7.key.der", "wb").write(key)
    open(f"{keys}/{mode}7.own.der", "wb").write(own)
    print(mode, prefix, len(items), end=" ")
pub, doc = db.execute("SELECT public_key, json FROM entries WHERE name = 'rpk-7'").fetchone()
xpub, xdoc = db.execute("SELECT public_key, json FROM entries WHERE name = 'x509-7'").fetchone()
print(bytes(pub) == entries("rpk")[1][7][1], json.loads(doc)["rpk"]["publicKey"] == bytes(pub).hex(),
      xpub is None, json.loads(xdoc)["x509"])
PY
)
expect "key bundles and store" "$got" "rpk rpk- 20 x509 x509- 20 True True True {}"
ossl() { openssl "$@" 2>&1 | tr -d '\n'; }
expect "rpk-7: the stored key is its key's" "$(openssl pkey -inform DER -in "$keys/rpk7.key.der" -pubout -outform DER | cmp - "$keys/rpk7.own.der" && echo same)" same
expect "x509-7: the certificate is its key's" "$(openssl pkey -inform DER -in "$keys/x5097.key.der" -pubout -outform DER | cmp - <(openssl x509 -inform DER -in "$keys/x5097.own.der" -noout -pubkey | openssl pkey -pubin -outform DER) && echo same)" same
openssl x509 -inform DER -in "$keys/ca.crt.der" -out "$work/ca.pem"
openssl x509 -inform DER -in "$keys/x5097.own.der" -out "$work/x509-7.pem"
openssl x509 -inform DER -in "$keys/server.crt.der" -out "$work/server.pem"
expect "x509-7 chains to the CA" "$(ossl verify -CAfile "$work/ca.pem" "$work/x509-7.pem")" "$work/x509-7.pem: OK"
expect "server chains to the CA" "$(ossl verify -CAfile "$work/ca.pem" "$work/server.pem")" "$work/server.pem: OK"
expect "certificate subjects" "$(ossl x509 -in "$work/x509-7.pem" -noout -subject)|$(ossl x509 -in "$work/server.pem" -noout -subject)" "subject=CN = x509-7|subject=CN = lwm2m-bench server"
# The second seed took the CA and the server's files from DIR.
expect "CA and server kept" "$(cat "$keys/ca.crt.der" "$keys/server.crt.der" | cksum)" "$made"

"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --store "$store3" \
  --cert "$keys/server.crt.der" --key "$keys/server.key.der" --ca-file "$keys/ca.crt.der" 2>"$work/bs-pki.log" &
bs3_pid=$!
pids+=("$bs3_pid")
wait_for 50 grep -q "serving coap port" "$work/bs-pki.log" || { cat "$work/bs-pki.log"; exit 1; }
coap3=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs-pki.log")
coaps3=$(sed -n 's/.*coaps port \([0-9]*\),.*/\1/p' "$work/bs-pki.log")
for mode in rpk x509; do
  out=$("$bench" --server "coaps://127.0.0.1:$coaps3" --$mode "$keys" --prefix $mode- --endpoints 20 \
    --count 20 --concurrency 5 --linger 1 --server-pid "$bs3_pid" --json --quiet)
  expect "$mode storm exit status" $? 0
  expect "$mode storm counts" "$(field "$out" '[d["security"],d["completed"],d["failed"],d["exchanges"]["total"]]')" "[\"$mode\",20,0,120]"
done
# An X.509 endpoint over NoSec; RPK endpoints' names as PSK identities.
out=$("$bench" --server "coap://127.0.0.1:$coap3" --prefix x509- --endpoints 2 --count 2 \
  --concurrency 2 --linger 0 --json --quiet)
expect "X.509 endpoint over NoSec" "$(field "$out" '[d["completed"],d["failures"]["request-refused"],d["refused_codes"]]')" '[0,2,{"4.00":2}]'
expect "X.509 endpoint over NoSec: logged" "$(grep -c 'security: .* for endpoint x509-[01] refused: endpoint has credentials, request came over NoSec' "$work/bs-pki.log")" 2
out=$("$bench" --server "coaps://127.0.0.1:$coaps3" --psk --prefix rpk- --endpoints 2 --count 2 \
  --concurrency 2 --linger 0 --timeout 5 --json --quiet)
expect "RPK endpoints as PSK identities" "$(field "$out" '[d["completed"],d["failures"]["dtls-handshake"]]')" "[0,2]"
# Another seed's keys for rpk-0..2 (DIR2 holds the same CA and server, so only the clients'
# keys differ): the handshake succeeds, the Bootstrap-Request is refused.
keys2=$work/keys2
mkdir -p "$keys2"
cp "$keys"/ca.*.der "$keys"/server.*.der "$keys2/"
out=$("$bench" seed --store "sqlite:$work/scratch.db" --endpoints 3 --prefix rpk- --rpk "$keys2" --json -q)
expect "seed other keys" "$(field "$out" 'd["seeded"]')" 3
expect "the same server files kept" "$(cmp "$keys/server.crt.der" "$keys2/server.crt.der" && cmp "$keys/ca.crt.der" "$keys2/ca.crt.der" && echo same)" same
out=$("$bench" --server "coaps://127.0.0.1:$coaps3" --rpk "$keys2" --prefix rpk- --endpoints 3 --count 3 \
  --concurrency 3 --linger 0 --json 2>"$work/rpk-unseeded.log")
expect "unseeded RPK keys exit status" $? 1
expect "unseeded RPK keys" "$(field "$out" '[d["completed"],d["failures"]["request-refused"],d["refused_codes"]]')" '[0,3,{"4.00":3}]'
expect "unseeded RPK keys: cause on stderr" "$(grep -c 'rpk-[0-2] failed: request-refused: Bootstrap-Request answered 4.00: unauthorized' "$work/rpk-unseeded.log")" 3
expect "unseeded RPK keys: logged" "$(grep -c 'for endpoint rpk-[0-2] refused: public key not registered for this endpoint' "$work/bs-pki.log")" 3
# A pinned key that is not the server's (the CA's in its place): the client refuses the server.
openssl pkey -inform DER -in "$keys2/ca.key.der" -pubout -outform DER -out "$keys2/server.pub.der"
out=$("$bench" --server "coaps://127.0.0.1:$coaps3" --rpk "$keys2" --prefix rpk- --endpoints 3 --count 3 \
  --concurrency 3 --linger 0 --timeout 5 --json 2>"$work/rpk-pin.log")
expect "another pinned key" "$? $(field "$out" '[d["completed"],d["failures"]["dtls-handshake"]]')" "1 [0,3]"
expect "another pinned key: cause on stderr" "$(grep -c "rpk-[0-2] failed: dtls-handshake: the server's public key is not the one in server.pub.der" "$work/rpk-pin.log")" 3
msg=$("$bench" --server "coaps://127.0.0.1:$coaps3" --x509 "$keys" --prefix x509- --endpoints 21 --count 1 2>&1)
expect "bundle short of endpoints exit status" $? 1
case $msg in *"x509-endpoints.bin: holds the keys of x509-0..x509-19, not of x509-0..x509-20"*) ok ;; *) ko "bundle short of endpoints: $msg" ;; esac
wait_for 30 test "$(grep -c 'outcome=success' "$work/bs-pki.log")" -eq 40
expect "bs-server (PKI) successes" "$(grep -c 'outcome=success' "$work/bs-pki.log")" 40
expect "bs-server (PKI) sessions by mode" "$(grep -c 'session: endpoint=rpk-.* outcome=success' "$work/bs-pki.log") $(grep -c 'session: endpoint=x509-.* outcome=success' "$work/bs-pki.log")" "20 20"
# A server presenting its raw public key (--rpk-key) instead: both modes pin it.
kill "$bs3_pid"
wait "$bs3_pid"
"$bin/lwm2m-bs-server" --no-listen --dtls-listen 127.0.0.1:0 --store "$store3" \
  --rpk-key "$keys/server.key.der" --ca-file "$keys/ca.crt.der" 2>"$work/bs-rawkey.log" &
bs4_pid=$!
pids+=("$bs4_pid")
wait_for 50 grep -q "serving coap port" "$work/bs-rawkey.log" || { cat "$work/bs-rawkey.log"; exit 1; }
coaps4=$(sed -n 's/.*coaps port \([0-9]*\),.*/\1/p' "$work/bs-rawkey.log")
for mode in rpk x509; do
  out=$("$bench" --server "coaps://127.0.0.1:$coaps4" --$mode "$keys" --prefix $mode- --endpoints 20 \
    --count 5 --concurrency 5 --linger 0 --json --quiet)
  expect "$mode storm, server's raw key" "$? $(field "$out" '[d["completed"],d["failed"]]')" "0 [5,0]"
done
out=$("$bench" --server "coaps://127.0.0.1:$coaps4" --rpk "$keys2" --prefix rpk- --endpoints 3 --count 1 \
  --concurrency 1 --linger 0 --timeout 5 --json 2>"$work/rawkey-pin.log")
expect "another pinned key, server's raw key" "$? $(field "$out" '[d["completed"],d["failures"]["dtls-handshake"]]')" "1 [0,1]"
expect "another pinned key, server's raw key: cause" "$(grep -c "rpk-0 failed: dtls-handshake: the server's public key is not the one in server.pub.der" "$work/rawkey-pin.log")" 1

# Ping against the responder.
"$bench" responder --listen 127.0.0.1:0 2>"$work/responder.log" &
resp_pid=$!
pids+=("$resp_pid")
wait_for 50 grep -q "listening on" "$work/responder.log" || { cat "$work/responder.log"; exit 1; }
rport=$(sed -n 's/.*coap:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/responder.log")
out=$("$bench" ping --server "coap://127.0.0.1:$rport" --count 100 --concurrency 10 \
  --server-pid "$resp_pid" --json --quiet)
expect "ping exit status" $? 0
expect "ping counts" "$(field "$out" '[d["mode"],d["completed"],d["failed"],d["exchanges"]["total"],d["exchanges_per_session"]]')" '["ping",100,0,600,6]'

# ping --psk: a fresh DTLS PSK session per ping session against `responder --dtls-listen`
# (any identity, its key derived from the name as the storm's), beside a NoSec listener; then
# fixed keys (--psk-key) on both sides, the same and different.
"$bench" ping --server coap://127.0.0.1:1 --psk-key 0011 2>/dev/null; expect "ping --psk-key without --psk" $? 2
"$bench" --server coaps://127.0.0.1:1 --psk --psk-key 0011 2>/dev/null; expect "storm --psk-key" $? 2
"$bench" ping --server coaps://127.0.0.1:1 --psk --psk-key 001 2>/dev/null; expect "ping --psk-key odd hex" $? 2
"$bench" responder --psk-key 0011 2>/dev/null; expect "responder --psk-key without --dtls-listen" $? 2
"$bench" responder --io udp --dtls-listen 127.0.0.1:0 2>/dev/null; expect "responder --io udp --dtls-listen" $? 2
"$bench" responder --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 2>"$work/responder-dtls.log" &
dresp_pid=$!
pids+=("$dresp_pid")
wait_for 50 grep -q "listening on coap:" "$work/responder-dtls.log" || { cat "$work/responder-dtls.log"; exit 1; }
dport=$(sed -n 's/.*coaps:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/responder-dtls.log")
dport_nosec=$(sed -n 's/.*coap:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/responder-dtls.log")
out=$("$bench" ping --psk --server "coaps://127.0.0.1:$dport" --count 50 --concurrency 10 \
  --server-pid "$dresp_pid" --json --quiet)
expect "ping --psk exit status" $? 0
expect "ping --psk counts" "$(field "$out" '[d["security"],d["completed"],d["failed"],d["exchanges"]["total"],d["exchanges_per_session"]]')" '["psk",50,0,50,1]'
expect "ping --psk responder sampled" "$(field "$out" '[d["servers"][0]["readable"],d["latency_ms"]["count"]]')" "[true,50]"
out=$("$bench" ping --psk --server "coaps://127.0.0.1:$dport" --count 10 --concurrency 5 --exchanges 3 --json --quiet)
expect "ping --psk --exchanges 3" "$(field "$out" '[d["completed"],d["failed"],d["exchanges"]["total"]]')" "[10,0,30]"
out=$("$bench" ping --server "coap://127.0.0.1:$dport_nosec" --count 10 --exchanges 2 --json --quiet)
expect "NoSec ping beside the DTLS listener" "$(field "$out" '[d["security"],d["completed"],d["failed"]]')" '["nosec",10,0]'
kill "$dresp_pid"
wait "$dresp_pid"
expect "responder --dtls-listen stops cleanly" $? 0
# 50 + 10 sessions of ping --psk, 50 + 30 requests, none unfinished.
expect "responder --dtls-listen counts" "$(grep -c 'DTLS: 60 sessions: 60 with requests (80 answered), 0 without' "$work/responder-dtls.log")" 1

"$bench" responder --dtls-listen 127.0.0.1:0 --psk-key 00112233445566778899aabbccddeeff \
  2>"$work/responder-key.log" &
kresp_pid=$!
pids+=("$kresp_pid")
wait_for 50 grep -q "listening on coaps:" "$work/responder-key.log" || { cat "$work/responder-key.log"; exit 1; }
kport=$(sed -n 's/.*coaps:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/responder-key.log")
out=$("$bench" ping --psk --psk-key 00112233445566778899aabbccddeeff --server "coaps://127.0.0.1:$kport" \
  --count 20 --concurrency 5 --json --quiet)
expect "ping --psk-key, the responder's key" "$? $(field "$out" '[d["completed"],d["failed"]]')" "0 [20,0]"
# A different key: DTLS drops what does not decrypt, so each handshake times out.
out=$("$bench" ping --psk --psk-key ffeeddccbbaa99887766554433221100 --server "coaps://127.0.0.1:$kport" \
  --count 3 --concurrency 3 --timeout 2 --json 2>"$work/ping-wrong-key.log")
expect "ping --psk-key, another key: exit status" $? 1
expect "ping --psk-key, another key: counts" "$(field "$out" '[d["completed"],d["failed"],d["failures"]["dtls-handshake"]]')" "[0,3,3]"
expect "ping --psk-key, another key: cause on stderr" "$(grep -c 'ping-[0-9] failed: dtls-handshake: not done within 2 s (DTLS handshake unfinished' "$work/ping-wrong-key.log")" 3
# The storm's derived key against the responder's fixed one fails alike.
out=$("$bench" ping --psk --server "coaps://127.0.0.1:$kport" --count 2 --concurrency 2 --timeout 2 --json --quiet)
expect "ping --psk (derived key) against --psk-key" "$? $(field "$out" '[d["completed"],d["failures"]["dtls-handshake"]]')" "1 [0,2]"
kill "$kresp_pid"
wait "$kresp_pid"
expect "responder --psk-key counts" "$(grep -c 'DTLS: 25 sessions: 20 with requests (20 answered), 5 without' "$work/responder-key.log")" 1

# Bootstrap, then Register with the account written and De-register.
out=$("$bench" --server "coap://127.0.0.1:$coap" --prefix reg- --endpoints 20 --count 20 \
  --concurrency 5 --register --linger 1 --server-pid "$bs_pid" --server-pid "$srv_pid" --json --quiet)
expect "register exit status" $? 0
expect "register counts" "$(field "$out" '[d["completed"],d["failed"],d["registration"]["completed"],d["registration"]["exchanges"]]')" "[20,0,20,40]"
expect "register servers" "$(field "$out" 'len(d["servers"])')" 2
wait_for 30 test "$(grep -c 'event=deregistered endpoint=reg-' "$work/server.log")" -eq 20
expect "lwm2m-server registered" "$(grep -c 'event=registered endpoint=reg-' "$work/server.log")" 20
expect "lwm2m-server de-registered" "$(grep -c 'event=deregistered endpoint=reg-' "$work/server.log")" 20

# ---- --io udp ----------------------------------------------------------------------------------
# The peers of the checks below (CoAP framed by hand): `fake`, a scripted Bootstrap Server, and
# `relay`, which drops, once per client, its first Bootstrap-Request and its first answers to
# the server's Delete and Finish.
cat >"$work/coap_peer.py" <<'PY'
import os, selectors, signal, socket, struct, sys, time
CON, NON, ACK, RST = 0, 1, 2, 3
def code(c, d): return c << 5 | d
def nibble(v):
    return (v, b"") if v < 13 else (13, bytes([v - 13])) if v < 269 else (14, struct.pack("!H", v - 269))
def encode(t, c, mid, token=b"", options=(), payload=b""):
    out, last = bytes([0x40 | t << 4 | len(token), c]) + struct.pack("!H", mid) + token, 0
    for num, val in sorted(options, key=lambda o: o[0]):
        (dn, dx), (ln, lx) = nibble(num - last), nibble(len(val))
        out, last = out + bytes([dn << 4 | ln]) + dx + lx + val, num
    return out + (b"\xff" + payload if payload else b"")
def decode(data):
    tkl = data[0] & 15
    m = {"type": data[0] >> 4 & 3, "code": data[1], "mid": struct.unpack("!H", data[2:4])[0],
         "token": data[4:4 + tkl], "opts": [], "payload": b"", "raw": data, "at": time.monotonic()}
    i, num = 4 + tkl, 0
    while i < len(data):
        if data[i] == 0xFF:
            m["payload"] = data[i + 1:]
            break
        d, l, i = data[i] >> 4, data[i] & 15, i + 1
        if d == 13: d, i = data[i] + 13, i + 1
        elif d == 14: d, i = struct.unpack("!H", data[i:i + 2])[0] + 269, i + 2
        if l == 13: l, i = data[i] + 13, i + 1
        elif l == 14: l, i = struct.unpack("!H", data[i:i + 2])[0] + 269, i + 2
        num += d
        m["opts"].append((num, data[i:i + l]))
        i += l
    return m
def opt(m, num): return [v for n, v in m["opts"] if n == num]
def is_bs_request(m):  # CON POST /bs?ep=...
    return m["type"] == CON and m["code"] == code(0, 2) and opt(m, 11) == [b"bs"] and opt(m, 15)
def bind(port_file):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    return s

def fake(port_file):  # one `fake-` client, then a `rst-` one; exit status: failed checks
    sock, fails, mids, later, peer = bind(port_file), [0], [int.from_bytes(os.urandom(2), "big")], [], [None]
    def check(what, cond, detail=""):
        print("ok:" if cond else "FAIL:", what, "" if cond else detail, flush=True)
        fails[0] += not cond
    def recv(timeout, pred):
        for k, m in enumerate(later):
            if pred(m): return later.pop(k)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            sock.settimeout(max(end - time.monotonic(), 0.001))
            try:
                data, peer[0] = sock.recvfrom(65536)
            except socket.timeout:
                break
            m = decode(data)
            if pred(m): return m
            later.append(m)
        return None
    def mid():
        mids[0] = (mids[0] + 1) & 0xFFFF
        return mids[0]
    def send(data): sock.sendto(data, peer[0])
    def answer(m_id, timeout=2.0):
        return recv(timeout, lambda m: m["type"] in (ACK, RST) and m["mid"] == m_id)
    def req(method, path, payload=b"", fmt=None, extra=()):
        m_id, tok = mid(), os.urandom(4)
        opts = [(11, p.encode()) for p in path.strip("/").split("/") if p] + list(extra)
        if fmt is not None: opts.append((12, bytes([fmt])))
        data = encode(CON, method, m_id, tok, opts, payload)
        send(data)
        return data, m_id, tok, answer(m_id)
    def is_(m, t, c, tok=None):
        return m is not None and m["type"] == t and m["code"] == c and (tok is None or m["token"] == tok)
    first = recv(30, is_bs_request)
    check("Bootstrap-Request of fake-0", first is not None and b"ep=fake-0" in opt(first, 15))
    if first is None: sys.exit(1)
    # Unanswered, it comes again, the same bytes, after ACK_TIMEOUT x [1, 1.5).
    again = recv(4, lambda m: m["raw"] == first["raw"])
    gap = again["at"] - first["at"] if again else -1
    check("Bootstrap-Request retransmitted after 2..3 s, same bytes", 1.95 <= gap <= 3.6, gap)
    # Another token is no answer; an Empty ACK, then the response on its own (twice).
    send(encode(ACK, code(2, 4), first["mid"], b"zzzz"))
    send(encode(ACK, 0, first["mid"]))
    sep = encode(CON, code(2, 4), mid(), first["token"])
    send(sep)
    check("separate response: Empty ACK", is_(answer(mids[0]), ACK, 0))
    send(sep)
    check("separate response again: Empty ACK again", is_(answer(mids[0]), ACK, 0))
    send(encode(CON, code(2, 4), mid(), b"none"))
    check("response to nothing: RST", is_(answer(mids[0]), RST, 0))
    send(bytes([0x49, code(0, 3)]) + struct.pack("!H", mid()) + b"123456789")
    check("malformed CON (token length 9): RST", is_(answer(mids[0]), RST, 0))
    send(encode(CON, code(0, 3), mid(), b"t", [(11, b"0")]) + b"\xff")
    check("malformed CON (payload marker, no payload): RST", is_(answer(mids[0]), RST, 0))
    send(encode(CON, 0, mid()))
    check("Empty CON (CoAP ping): RST", is_(answer(mids[0]), RST, 0))
    send(bytes([0x59, code(0, 3)]) + struct.pack("!H", mid()) + b"123456789")
    check("malformed NON: no answer", answer(mids[0], 0.3) is None)
    _, _, tok, a = req(code(0, 1), "/3/0", extra=[(9, b"x")])
    check("unknown critical option: 4.02", is_(a, ACK, code(4, 2), tok))
    data, m_id, tok, a = req(code(0, 4), "/")
    check("Bootstrap-Delete /: piggybacked 2.02", is_(a, ACK, code(2, 2), tok))
    send(data)
    b = answer(m_id)
    check("Delete again (same message ID): the same bytes", a and b and a["raw"] == b["raw"])
    # Block1 in 64-byte blocks (szx 2); block 1 sent twice.
    sec = (b'[{"bn":"/0/1/","n":"0","vs":"coap://127.0.0.1:5783"},{"n":"1","vb":false},'
           b'{"n":"2","v":3},{"n":"10","v":101},{"n":"4","vd":"' + b"QUJD" * 40 + b'"}]')
    blocks, ok_blocks, same = [sec[i:i + 64] for i in range(0, len(sec), 64)], True, False
    for num, chunk in enumerate(blocks):
        more = num < len(blocks) - 1
        val = num << 4 | (8 if more else 0) | 2
        data, m_id, _, a = req(code(0, 3), "/0/1", chunk, 110, [(27, bytes([val]))])
        ok_blocks &= is_(a, ACK, code(2, 31) if more else code(2, 4)) and opt(a, 27) == [bytes([val])]
        if num == 1:
            send(data)
            b = answer(m_id)
            same = a is not None and b is not None and a["raw"] == b["raw"]
    check("Block1 write in %d blocks: 2.31 with Block1 echoed, then 2.04" % len(blocks), ok_blocks)
    check("a block again: the same bytes", same)
    srv = b'[{"bn":"/1/0/","n":"0","v":101},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U"}]'
    _, _, _, a = req(code(0, 3), "/1/0", srv[:16], 110, [(27, bytes([1 << 4 | 8]))])
    check("block 1 without block 0: 4.08", is_(a, ACK, code(4, 8)))
    _, _, _, a = req(code(0, 3), "/1/0", srv, 110)
    check("Bootstrap-Write /1/0: 2.04", is_(a, ACK, code(2, 4)))
    fin, m_id, _, a = req(code(0, 2), "/bs")
    check("Bootstrap-Finish: 2.04", is_(a, ACK, code(2, 4)), a and a["payload"])
    time.sleep(0.3)
    send(fin)
    b = answer(m_id)
    check("Finish again, to the lingering socket: the same bytes", a and b and a["raw"] == b["raw"])
    _, _, _, a = req(code(0, 2), "/bs")
    check("a new request to the lingering socket: 5.03", is_(a, ACK, code(5, 3)))
    rst = recv(30, lambda m: is_bs_request(m) and b"ep=rst-0" in opt(m, 15))
    check("Bootstrap-Request of rst-0", rst is not None)
    if rst is not None: send(encode(RST, 0, rst["mid"]))
    sys.exit(fails[0])

def relay(port_file, server_port):  # prints its drops at SIGTERM
    front, sel, ups, drops, stop = bind(port_file), selectors.DefaultSelector(), {}, {}, []
    sel.register(front, selectors.EVENT_READ, None)
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        for key, _ in sel.select(0.2):
            data, addr = key.fileobj.recvfrom(65536)
            m, client = decode(data), key.data
            if client is None:  # client -> server
                state = ups.get(addr)
                if state is None:
                    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    up.connect(("127.0.0.1", server_port))
                    sel.register(up, selectors.EVENT_READ, addr)
                    state = ups[addr] = {"sock": up, "dropped": set(), "watch": {}}
                what = ("request" if is_bs_request(m) else
                        state["watch"].get(m["mid"]) if m["type"] == ACK else None)
                if what and what not in state["dropped"]:
                    state["dropped"].add(what)
                    drops[what] = drops.get(what, 0) + 1
                    continue
                state["sock"].send(data)
            else:  # server -> client: the message IDs of Delete and Finish
                if m["type"] == CON and m["code"] == code(0, 4):
                    ups[client]["watch"].setdefault(m["mid"], "delete")
                if m["type"] == CON and m["code"] == code(0, 2) and opt(m, 11) == [b"bs"]:
                    ups[client]["watch"].setdefault(m["mid"], "finish")
                front.sendto(data, client)
    print("relay dropped:", " ".join(f"{k}={drops.get(k, 0)}" for k in ("request", "delete", "finish")),
          flush=True)

fake(sys.argv[2]) if sys.argv[1] == "fake" else relay(sys.argv[2], int(sys.argv[3]))
PY
port_of() { wait_for 50 test -s "$1" && cat "$1"; }

# The storm over --io udp against the same server: the same counts as over libcoap.
out=$("$bench" seed --store "$store" --endpoints 200 --prefix udp- --json -q)
expect "seed udp-" "$(field "$out" 'd["seeded"]')" 200
out=$("$bench" --io udp --server "coap://127.0.0.1:$coap" --prefix udp- --endpoints 200 --count 300 \
  --concurrency 20 --reject-share 0.2 --linger 1 --server-pid "$bs_pid" --json --quiet)
expect "udp storm exit status" $? 0
expect "udp storm counts" "$(field "$out" '[d["io"],d["started"],d["completed"],d["failed"]]')" '["udp",300,300,0]'
expect "udp storm 4.06" "$(field "$out" '[d["finish_406"],d["recovered"]]')" "[40,40]"
expect "udp storm plans" "$(field "$out" '[d["primary_plan"],d["fallback_plan"]]')" "[240,60]"
expect "udp storm exchanges" "$(field "$out" '[d["exchanges"]["total"],d["exchanges"]["min"],d["exchanges"]["max"]]')" "[2140,5,15]"
expect "udp storm latency count" "$(field "$out" 'd["latency_ms"]["count"]')" 300
expect "udp storm retransmissions" "$(field "$out" '[d["requests_retransmitted"],d["duplicates"]]')" "[0,0]"

# Bootstrap, Register and De-register over --io udp.
out=$("$bench" seed --store "$store" --endpoints 20 --prefix ureg- --json -q \
  --lwm2m-server "coap://127.0.0.1:$srv_port")
expect "seed ureg-" "$(field "$out" 'd["seeded"]')" 20
out=$("$bench" --io udp --server "coap://127.0.0.1:$coap" --prefix ureg- --endpoints 20 --count 20 \
  --concurrency 5 --register --linger 1 --json --quiet)
expect "udp register exit status" $? 0
expect "udp register counts" "$(field "$out" '[d["completed"],d["failed"],d["registration"]["completed"],d["registration"]["exchanges"]]')" "[20,0,20,40]"
wait_for 30 test "$(grep -c 'event=deregistered endpoint=ureg-' "$work/server.log")" -eq 20
expect "lwm2m-server registered (udp)" "$(grep -c 'event=registered endpoint=ureg-' "$work/server.log")" 20
expect "lwm2m-server de-registered (udp)" "$(grep -c 'event=deregistered endpoint=ureg-' "$work/server.log")" 20

# A Bootstrap Server with --io libcoap (standard CoAP through libcoap), its own store.
store2="sqlite:$work/bs-libcoap.db"
for prefix in bench- loss-udp- loss-coap-; do
  n=200
  [ "$prefix" = bench- ] || n=10
  out=$("$bench" seed --store "$store2" --endpoints $n --prefix "$prefix" --json -q)
  expect "seed $prefix (libcoap server)" "$(field "$out" 'd["seeded"]')" $n
done
"$bin/lwm2m-bs-server" --io libcoap --listen 127.0.0.1:0 --store "$store2" 2>"$work/bs2.log" &
bs2_pid=$!
pids+=("$bs2_pid")
wait_for 50 grep -q "serving coap port" "$work/bs2.log" || { cat "$work/bs2.log"; exit 1; }
coap2=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs2.log")
out=$("$bench" --io udp --server "coap://127.0.0.1:$coap2" --endpoints 200 --count 300 \
  --concurrency 20 --reject-share 0.2 --linger 1 --json --quiet)
expect "udp storm (libcoap server) exit status" $? 0
expect "udp storm (libcoap server) counts" "$(field "$out" '[d["completed"],d["failed"],d["finish_406"],d["recovered"],d["exchanges"]["total"]]')" "[300,0,40,40,2140]"

# Through the dropping relay, both transports at once (10 clients each): one retransmitted
# Bootstrap-Request, one Delete answered again, one Finish answered again while lingering,
# per client; no failure.
for t in udp coap; do
  python3 "$work/coap_peer.py" relay "$work/relay-$t.port" "$coap2" >"$work/relay-$t.log" 2>&1 &
  pids+=($!)
  eval "relay_$t=$!"
done
for t in udp coap; do
  port=$(port_of "$work/relay-$t.port")
  io=$t
  [ "$t" = coap ] && io=libcoap
  "$bench" --io "$io" --server "coap://127.0.0.1:$port" --prefix "loss-$t-" --endpoints 10 --count 10 \
    --concurrency 10 --linger 5 --json --quiet >"$work/loss-$t.json" &
  eval "loss_$t=$!"
done

# The scripted peer, meanwhile: the udp transport datagram by datagram.
python3 "$work/coap_peer.py" fake "$work/fake.port" >"$work/fake.log" 2>&1 &
fake_pid=$!
pids+=("$fake_pid")
fport=$(port_of "$work/fake.port")
out=$("$bench" --io udp --server "coap://127.0.0.1:$fport" --prefix fake- --endpoints 1 --count 1 \
  --concurrency 1 --linger 2 --json --quiet)
expect "scripted peer exit status" $? 0
expect "scripted peer counts" "$(field "$out" '[d["completed"],d["exchanges"]["total"],d["duplicates"],d["finish_repeated"],d["requests_retransmitted"]]')" "[1,5,2,1,1]"
out=$("$bench" --io udp --server "coap://127.0.0.1:$fport" --prefix rst- --endpoints 1 --count 1 \
  --concurrency 1 --linger 1 --json --quiet)
expect "RST to the Bootstrap-Request exit status" $? 1
expect "RST to the Bootstrap-Request" "$(field "$out" 'd["failures"]["unreachable"]')" 1
wait "$fake_pid"
expect "scripted peer checks failed" $? 0
expect "scripted peer checks passed" "$(grep -c '^ok:' "$work/fake.log")" 20
grep '^FAIL' "$work/fake.log" >&2

for t in udp coap; do
  eval "wait \$loss_$t"
  expect "lossy $t exit status" $? 0
  out=$(cat "$work/loss-$t.json")
  expect "lossy $t counts" "$(field "$out" '[d["completed"],d["failed"],d["duplicates"],d["finish_repeated"],d["exchanges"]["total"]]')" "[10,0,10,10,60]"
  eval "kill \$relay_$t"
  eval "wait \$relay_$t"
  expect "relay $t drops" "$(cat "$work/relay-$t.log")" "relay dropped: request=10 delete=10 finish=10"
done
expect "lossy udp: our retransmissions" "$(field "$(cat "$work/loss-udp.json")" 'd["requests_retransmitted"]')" 10
wait_for 30 test "$(grep -c 'outcome=success' "$work/bs2.log")" -eq 320
expect "bs-server (libcoap) successes" "$(grep -c 'outcome=success' "$work/bs2.log")" 320
expect "bs-server (libcoap) other outcomes" "$(grep 'session: ' "$work/bs2.log" | grep -vc 'outcome=success')" 0

# ping --io udp against the raw responder and against libcoap's; libcoap's ping against the raw one.
"$bench" responder --io udp --listen 127.0.0.1:0 2>"$work/responder-udp.log" &
resp2_pid=$!
pids+=("$resp2_pid")
wait_for 50 grep -q "listening on" "$work/responder-udp.log" || { cat "$work/responder-udp.log"; exit 1; }
rport2=$(sed -n 's/.*coap:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/responder-udp.log")
for pair in "udp $rport2" "udp $rport" "libcoap $rport2"; do
  read -r io port <<<"$pair"
  out=$("$bench" ping --io "$io" --server "coap://127.0.0.1:$port" --count 100 --concurrency 10 --json --quiet)
  expect "ping --io $io to port $port exit status" $? 0
  expect "ping --io $io to port $port counts" "$(field "$out" '[d["io"],d["completed"],d["failed"],d["exchanges"]["total"]]')" "[\"$io\",100,0,600]"
done

# The Bootstrap Server saw every bootstrap succeed (300 + 50 + 20, then 300 + 20 over udp).
wait_for 30 test "$(grep -c 'outcome=success' "$work/bs.log")" -eq 690
expect "bs-server successes" "$(grep -c 'outcome=success' "$work/bs.log")" 690
expect "bs-server other outcomes" "$(grep 'session: ' "$work/bs.log" | grep -vc 'outcome=success')" 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
