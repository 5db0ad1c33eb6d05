#!/usr/bin/env bash
# DTLS PSK on the client's server and bootstrap links, against libcoap's own coap-server-gnutls as an
# independent DTLS peer (it has no /rd, so a Register that crossed the DTLS link is answered
# 4.04): the right key reaches the server, a wrong key never gets an answer.
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-client
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
b64url() { printf '%s' "$1" | base64 | tr '+/' '-_' | tr -d '=\n'; }

port=$((20000 + RANDOM % 40000))
coap-server-gnutls -A 127.0.0.1 -p "$port" -k 0123456789abcdef >"$work/server.log" 2>&1 &
pids+=($!)
sleep 0.5

# $1 name, $2 key: a saved configuration with one PSK server account on coaps://.
try_key() {
  cat >"$work/$1.json" <<JSON
[{"bn":"/","n":"0/1/0","vs":"coaps://127.0.0.1:$((port + 1))"},{"n":"0/1/1","vb":false},
{"n":"0/1/2","v":0},{"n":"0/1/3","vd":"$(b64url dev-psk)"},{"n":"0/1/5","vd":"$(b64url "$2")"},
{"n":"0/1/10","v":101},{"n":"1/1/0","v":101},{"n":"1/1/1","v":300},{"n":"1/1/6","vb":true},
{"n":"1/1/7","vs":"U"},{"n":"1/1/17","v":0}]
JSON
  "$bin" -e dev-psk -s "$work/$1.json" -p $((port + 10)) 2>"$work/$1.log" &
  local pid=$!; pids+=("$pid")
  for _ in $(seq 80); do grep -q "giving up" "$work/$1.log" && break; sleep 0.1; done
  kill -TERM "$pid"; wait "$pid"
}

try_key good 0123456789abcdef
grep -q "POST coaps://127.0.0.1:$((port + 1))/rd?ep=dev-psk" "$work/good.log" && ok || ko "no Register over coaps"
grep -q "Register answered 4.04" "$work/good.log" && ok || ko "right key: the server did not answer: $(cat "$work/good.log")"

try_key bad 0123456789abcdee
grep -q "Register answered" "$work/bad.log" && ko "wrong key: the server answered" || ok
grep -q "SSID 101: no answer; 1 attempt(s) in 1 sequence(s), giving up" "$work/bad.log" && ok || ko "wrong key: $(cat "$work/bad.log")"

# The bootstrap link: a factory PSK Bootstrap-Server account (--psk-identity/--psk-key). The
# gnutls server has no /bs either, so a Bootstrap-Request that crossed DTLS is refused (4.0x).
try_bs() { # $1 name, $2 key hex
  "$bin" -e dev-psk -s "$work/bs-$1.json" -b "coaps://127.0.0.1:$((port + 1))" \
    --psk-identity dev-psk --psk-key "$2" -p $((port + 20)) 2>"$work/bs-$1.log" &
  local pid=$!; pids+=("$pid")
  for _ in $(seq 100); do grep -q "next Bootstrap-Request in" "$work/bs-$1.log" && break; sleep 0.1; done
  kill -TERM "$pid"; wait "$pid"
}
try_bs good 30313233343536373839616263646566
grep -q "POST coaps://127.0.0.1:$((port + 1))/bs?ep=dev-psk&pct=110" "$work/bs-good.log" && ok || ko "no Bootstrap-Request over coaps"
grep -q "Bootstrap-Request refused with 4.0" "$work/bs-good.log" && ok || ko "right key: no answer on the bootstrap link: $(cat "$work/bs-good.log")"
try_bs bad 30313233343536373839616263646565
grep -q "refused with" "$work/bs-bad.log" && ko "wrong key: the server answered" || ok
grep -q -E "(no answer from|unreachable).*next Bootstrap-Request in" "$work/bs-bad.log" && ok || ko "wrong key: $(cat "$work/bs-bad.log")"

# Option errors: exit 2 with a message.
"$bin" -e x -s "$work/o.json" --psk-key 00 2>/dev/null; [ $? -eq 2 ] && ok || ko "--psk-key without identity"
"$bin" -e x -s "$work/o.json" -b coap://127.0.0.1:1 --psk-identity a --psk-key 00 2>/dev/null; [ $? -eq 2 ] && ok || ko "PSK with coap://"
"$bin" -e x -s "$work/o.json" -b coaps://127.0.0.1:1 --psk-identity a --psk-key 0g 2>/dev/null; [ $? -eq 2 ] && ok || ko "bad hex key"
"$bin" -e x -s "$work/o.json" -b coaps://127.0.0.1:1 2>/dev/null; [ $? -eq 2 ] && ok || ko "coaps:// without a key"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
