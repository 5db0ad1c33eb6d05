#!/usr/bin/env bash
# lwm2m-bench, quick mode, against lwm2m-bs-server, lwm2m-server and its own responder on
# 127.0.0.1: seed (NoSec, PSK, and endpoints whose server account is the running lwm2m-server),
# a NoSec storm of 300 bootstraps over 200 endpoints with a fifth of single-server clients
# (each refuses the primary plan once with 4.06, then the fallback succeeds), 50 DTLS PSK
# bootstraps, 100 ping sessions, 20 bootstraps followed by Register + De-register. Asserts the
# counts of the --json reports (no timing), the failure causes of wrong credentials and
# unknown endpoints, and the PSK derivation in the store.
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

# Bootstrap, then Register with the account written and De-register.
out=$("$bench" --server "coap://127.0.0.1:$coap" --prefix reg- --endpoints 20 --count 20 \
  --concurrency 5 --register --linger 1 --server-pid "$bs_pid" --server-pid "$srv_pid" --json --quiet)
expect "register exit status" $? 0
expect "register counts" "$(field "$out" '[d["completed"],d["failed"],d["registration"]["completed"],d["registration"]["exchanges"]]')" "[20,0,20,40]"
expect "register servers" "$(field "$out" 'len(d["servers"])')" 2
wait_for 30 test "$(grep -c 'event=deregistered endpoint=reg-' "$work/server.log")" -eq 20
expect "lwm2m-server registered" "$(grep -c 'event=registered endpoint=reg-' "$work/server.log")" 20
expect "lwm2m-server de-registered" "$(grep -c 'event=deregistered endpoint=reg-' "$work/server.log")" 20

# The Bootstrap Server saw every bootstrap succeed (300 + 50 + 20).
wait_for 30 test "$(grep -c 'outcome=success' "$work/bs.log")" -eq 370
expect "bs-server successes" "$(grep -c 'outcome=success' "$work/bs.log")" 370
expect "bs-server other outcomes" "$(grep 'session: ' "$work/bs.log" | grep -vc 'outcome=success')" 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
