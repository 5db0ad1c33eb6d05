#!/usr/bin/env bash
# lwm2m-bs-server and lwm2m-client as real processes on 127.0.0.1: bootstrap, then the client
# registers at a listener (tests/integration/rd_peer.py). The seed's case ends in a good
# configuration both through Discover (no 4.06) and through the fallback (4.06, delete,
# rewrite). Unknown endpoint, bad pct, DTLS PSK (good key, wrong key, another endpoint's
# identity), Bootstrap-Pack, kill -9 of the server during a session.
set -u
bin=${LWM2M_BIN_DIR:?}
src=${LWM2M_SOURCE_DIR:?}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
store="sqlite:$work/bs.db"
port() { echo $((20000 + RANDOM % 40000)); }

python3 "$src/tests/integration/rd_peer.py" "$work/rd" 240 & pids+=($!)
for _ in $(seq 50); do [ -s "$work/rd" ] && break; sleep 0.1; done
rd=$(cat "$work/rd")

account() { # iid ssid
  echo "\"$1\":{\"0\":\"coap://127.0.0.1:$rd\",\"1\":false,\"2\":3,\"10\":$2}"
}
server() { # iid ssid
  echo "\"$1\":{\"0\":$2,\"1\":300,\"6\":true,\"7\":\"U\"}"
}
single="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{$(account 1 101)},\"1\":{$(server 1 101)}}"
multi="\"delete\":[\"/\"],\"objects\":{\"0\":{$(account 1 101),$(account 2 102)},\"1\":{$(server 1 101),$(server 2 102)},\"2\":{\"0\":{\"0\":3,\"1\":0,\"2\":{\"101\":1,\"102\":1},\"3\":101}}}"
add() { echo "$1" | "$bin/lwm2m-bs-server" config add --store "$store" - 2>>"$work/config.log"; }

add "{\"endpoint\":\"dev-basic\",$single}" && ok || ko "config add dev-basic: $(cat "$work/config.log")"
add "{\"endpoint\":\"dev-seed\",$multi,\"fallbacks\":[{$single}]}" && ok || ko "config add dev-seed"
add "{\"endpoint\":\"dev-seed-nodisc\",\"discover\":false,$multi,\"fallbacks\":[{$single}]}" && ok || ko "config add dev-seed-nodisc"
add "{\"endpoint\":\"dev-psk\",\"psk\":{\"identity\":\"dev-psk-id\",\"key\":\"000102030405060708090a0b0c0d0e0f\"},$single}" && ok || ko "config add dev-psk"
add "{\"endpoint\":\"dev-other\",\"psk\":{\"identity\":\"dev-other-id\",\"key\":\"ffeeddccbbaa99887766554433221100\"},$single}" && ok || ko "config add dev-other"
add "{\"endpoint\":\"dev-pack\",$single}" && ok || ko "config add dev-pack"

bs=$(port); dtls=$((bs + 1))
start_server() {
  "$bin/lwm2m-bs-server" --listen "127.0.0.1:$bs" --dtls-listen "127.0.0.1:$dtls" --store "$store" \
    --session-timeout 20 -v 2>>"$work/server.log" &
  server_pid=$!; pids+=("$server_pid")
  for _ in $(seq 50); do grep -q "serving coap port $bs" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
}
start_server

client() { # name, extra options...; runs until registered (or 15 s), then SIGTERM
  local name=$1; shift
  local before; before=$(grep -c "register ep=$name&" "$work/rd.log" 2>/dev/null)
  "$bin/lwm2m-client" -e "$name" -s "$work/$name.json" -p "$(port)" "$@" 2>"$work/$name.log" &
  local pid=$!; pids+=("$pid")
  for _ in $(seq 150); do
    [ "$(grep -c "register ep=$name&" "$work/rd.log" 2>/dev/null)" -gt "$before" ] && break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
registered() { grep -q "register ep=$1&" "$work/rd.log" 2>/dev/null; }

# 1. Plain bootstrap, then registration.
client dev-basic -b "coap://127.0.0.1:$bs"
registered dev-basic && ok || { ko "dev-basic not registered"; cat "$work/dev-basic.log" >&2; }
grep -q "session: endpoint=dev-basic peer=127.0.0.1:[0-9]* outcome=success plan=0 .* query=ep=dev-basic&pct=110" "$work/server.log" \
  && ok || ko "dev-basic: no success line"

# 2. The seed's case through Discover: the client lists no /2, the single-server fallback is
#    chosen before any write, no 4.06 at all.
client dev-seed -b "coap://127.0.0.1:$bs" --single-server --no-acl
registered dev-seed && ok || { ko "dev-seed not registered"; cat "$work/dev-seed.log" >&2; }
grep -q "session: endpoint=dev-seed peer=[0-9.:]* outcome=success plan=1" "$work/server.log" && ok || ko "dev-seed: plan 1 not used"
grep -qF -- "-> 4.06" "$work/dev-seed.log" && ko "dev-seed: a 4.06 happened" || ok
grep -q '"0/2/' "$work/dev-seed.json" && ko "dev-seed: second server saved" || ok

# 3. The seed's case without Discover: 4.06, the session deletes what it wrote, rewrites the
#    fallback, Finish 2.04.
client dev-seed-nodisc -b "coap://127.0.0.1:$bs" --single-server --no-acl
registered dev-seed-nodisc && ok || { ko "dev-seed-nodisc not registered"; cat "$work/dev-seed-nodisc.log" >&2; }
grep -q "POST /bs -> 4.06: too-many-servers" "$work/dev-seed-nodisc.log" && ok || ko "dev-seed-nodisc: no 4.06 at the client"
grep -q "session: endpoint=dev-seed-nodisc .*outcome=success plan=1" "$work/server.log" && ok || ko "dev-seed-nodisc: no success with plan 1"
grep -q '"0/2/' "$work/dev-seed-nodisc.json" && ko "dev-seed-nodisc: second server saved" || ok

# 4. Unknown endpoint, bad pct, bad query: judged by coap-client's output (it exits 0 anyway).
out=$(coap-client-notls -m post -B 3 "coap://127.0.0.1:$bs/bs?ep=nobody" 2>&1)
echo "$out" | grep -q "^4\.00 " && ok || ko "unknown endpoint: $out"
grep -q "for endpoint nobody refused: unknown endpoint" "$work/server.log" && ok || ko "unknown endpoint not logged"
out=$(coap-client-notls -m post -B 3 "coap://127.0.0.1:$bs/bs?ep=dev-basic&pct=0" 2>&1)
echo "$out" | grep -q "^4\.15 " && ok || ko "bad pct: $out"
out=$(coap-client-notls -m post -B 3 "coap://127.0.0.1:$bs/bs?pct=abc" 2>&1)
echo "$out" | grep -q "^4\.00 " && ok || ko "bad query: $out"
# An endpoint that has credentials, over NoSec.
out=$(coap-client-notls -m post -B 3 "coap://127.0.0.1:$bs/bs?ep=dev-psk" 2>&1)
echo "$out" | grep -q "^4\.00 " && ok || ko "dev-psk over NoSec: $out"
grep -q "security: Bootstrap-Request from .* for endpoint dev-psk refused: endpoint has credentials, request came over NoSec" \
  "$work/server.log" && ok || ko "NoSec refusal not logged"

# 5. DTLS PSK: good key, wrong key, the identity of another endpoint.
client dev-psk -b "coaps://127.0.0.1:$dtls" --psk-identity dev-psk-id --psk-key 000102030405060708090a0b0c0d0e0f
registered dev-psk && ok || { ko "dev-psk not registered over DTLS"; cat "$work/dev-psk.log" >&2; }
grep -q "session: endpoint=dev-psk .*outcome=success" "$work/server.log" && ok || ko "dev-psk: no success"
"$bin/lwm2m-client" -e dev-psk -s "$work/wrongkey.json" -p "$(port)" -b "coaps://127.0.0.1:$dtls" \
  --psk-identity dev-psk-id --psk-key 0f0e0d0c0b0a09080706050403020100 2>"$work/wrongkey.log" &
pid=$!; pids+=("$pid"); sleep 3; kill -TERM "$pid"; wait "$pid" 2>/dev/null
grep -q "Bootstrap-Request accepted" "$work/wrongkey.log" && ko "wrong key accepted" || ok
[ -e "$work/wrongkey.json" ] && ko "wrong key: a configuration was saved" || ok
"$bin/lwm2m-client" -e dev-psk -s "$work/stolen.json" -p "$(port)" -b "coaps://127.0.0.1:$dtls" \
  --psk-identity dev-other-id --psk-key ffeeddccbbaa99887766554433221100 2>"$work/stolen.log" &
pid=$!; pids+=("$pid")
for _ in $(seq 50); do grep -q "refused with 4.00" "$work/stolen.log" && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" 2>/dev/null
grep -q "Bootstrap-Request refused with 4.00: unauthorized" "$work/stolen.log" && ok || { ko "other identity: no 4.00"; cat "$work/stolen.log" >&2; }
grep -q "security: Bootstrap-Request from .* for endpoint dev-psk refused: identity not bound to this endpoint" \
  "$work/server.log" && ok || ko "other identity not logged as a security event"

# 6. Bootstrap-Pack (1.2).
client dev-pack -b "coap://127.0.0.1:$bs" --lwm2m-version 1.2 --bootstrap-pack
registered dev-pack && ok || { ko "dev-pack not registered"; cat "$work/dev-pack.log" >&2; }
grep -q "bootstrap: Bootstrap-Pack applied" "$work/dev-pack.log" && ok || ko "dev-pack: pack not applied"
grep -q "Bootstrap-Pack-Request from [0-9.:]*: endpoint dev-pack, plan 0" "$work/server.log" && ok || ko "dev-pack: not logged"

# 7. An independent client (hand-built CoAP frames) drives the server black-box: Discover that
#    lists /2, plan 0, 4.06, the rollback of exactly what was written, plan 1, 2.04.
add "{\"endpoint\":\"peer-seed\",$multi,\"fallbacks\":[{$single}]}" || ko "config add peer-seed"
python3 "$src/tests/integration/bs_client_peer.py" "$bs" peer-seed >"$work/client_peer.log" 2>&1 \
  && ok || { ko "independent client peer"; cat "$work/client_peer.log" >&2; }
grep -q "session: endpoint=peer-seed .*outcome=success plan=1 .*diagnostic=\"too-many-servers" \
  "$work/server.log" && ok || ko "peer-seed: session line"

# 8. kill -9 of the server during a session; restarted, the client completes.
add "{\"endpoint\":\"dev-kill\",$single}" || ko "config add dev-kill"
# 8a. Our server killed while a session is in flight (its first request sent, unanswered); the
#     restarted server serves the endpoint from the same store.
python3 "$src/tests/integration/bs_client_peer.py" "$bs" dev-kill --stall "$work/stalled" \
  >"$work/stall.log" 2>&1
[ -e "$work/stalled" ] && ok || { ko "stalling peer got no request"; cat "$work/stall.log" >&2; }
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null
start_server
client dev-kill -b "coap://127.0.0.1:$bs"
registered dev-kill && ok || { ko "dev-kill: not registered after the server's kill -9"; cat "$work/dev-kill.log" >&2; }
"$bin/lwm2m-bs-server" config list --store "$store" >"$work/list.txt" 2>&1 \
  && grep -q dev-kill "$work/list.txt" && ok || ko "store unreadable after kill -9: $(cat "$work/list.txt")"
# 8b. A server that answers the Bootstrap-Request and dies before its first command: the
#     client gives the bootstrap up after --finish-timeout and completes with the restarted one.
add "{\"endpoint\":\"dev-kill2\",$single}" || ko "config add dev-kill2"
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null
# A server that answers the Bootstrap-Request and dies before the first command: the
# Bootstrap-Request is accepted (2.04) by a stand-in that then vanishes.
python3 - "$bs" >"$work/standin.log" 2>&1 <<'PY' &
import socket, sys
sys.path.insert(0, sys.argv[0] and ".")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
data, addr = s.recvfrom(2048)
tkl = data[0] & 15
s.sendto(bytes([0x60 | tkl, 0x44]) + data[2:4 + tkl], addr)
print("answered 2.04 and died")
PY
standin=$!; pids+=("$standin")
sleep 0.3
"$bin/lwm2m-client" -e dev-kill2 -s "$work/dev-kill2.json" -p "$(port)" -b "coap://127.0.0.1:$bs" \
  --finish-timeout 2 2>"$work/dev-kill2.log" &
kpid=$!; pids+=("$kpid")
wait "$standin"
start_server
for _ in $(seq 200); do registered dev-kill2 && break; sleep 0.1; done
kill -TERM "$kpid"; wait "$kpid" 2>/dev/null
grep -q "answered 2.04 and died" "$work/standin.log" && ok || ko "stand-in did not run"
grep -q "no Finish within EXCHANGE_LIFETIME" "$work/dev-kill2.log" && ok || ko "dev-kill2: no Finish timeout"
registered dev-kill2 && ok || { ko "dev-kill2: not registered after the restart"; cat "$work/dev-kill2.log" >&2; }

# 9. 1.0-style server-initiated bootstrap: `trigger` runs the session towards a client that
#    sent no Bootstrap-Request (--legacy-bootstrap), which then registers.
add "{\"endpoint\":\"dev-trig\",$single}" || ko "config add dev-trig"
tport=$(port)
"$bin/lwm2m-client" -e dev-trig -s "$work/dev-trig.json" -p "$tport" --legacy-bootstrap \
  2>"$work/dev-trig.log" &
tpid=$!; pids+=("$tpid")
sleep 0.5
"$bin/lwm2m-bs-server" trigger --endpoint dev-trig --address "127.0.0.1:$tport" --store "$store" \
  2>"$work/trigger.log" && ok || { ko "trigger failed"; cat "$work/trigger.log" >&2; }
for _ in $(seq 50); do registered dev-trig && break; sleep 0.1; done
kill -TERM "$tpid"; wait "$tpid" 2>/dev/null
registered dev-trig && ok || { ko "dev-trig not registered"; cat "$work/dev-trig.log" >&2; }
grep -q "session: endpoint=dev-trig .*outcome=success" "$work/trigger.log" && ok || ko "trigger: no success line"
"$bin/lwm2m-bs-server" trigger --endpoint nobody --address "127.0.0.1:$tport" --store "$store" \
  2>"$work/trigger2.log"; [ $? -eq 1 ] && grep -q "unknown endpoint 'nobody'" "$work/trigger2.log" \
  && ok || ko "trigger of an unknown endpoint"

# 10. 1.2: a DTLS client may leave ep out; the identity names the endpoint.
add "{\"endpoint\":\"dev-ascii\",\"psk\":{\"identity\":\"dev-ascii-id\",\"key\":\"7365637265746b6579\"},$single}" \
  || ko "config add dev-ascii"
out=$(coap-client-gnutls -m post -B 3 -u dev-ascii-id -k secretkey "coaps://127.0.0.1:$dtls/bs" 2>&1)
for _ in $(seq 30); do grep -q "Bootstrap-Request from [0-9.:]*: endpoint dev-ascii$" "$work/server.log" && break; sleep 0.1; done
grep -q "Bootstrap-Request from [0-9.:]*: endpoint dev-ascii$" "$work/server.log" && ok \
  || ko "ep-less request not served from the identity: $out"

kill -TERM "$server_pid"; wait "$server_pid"; rc=$?
[ $rc -eq 0 ] && ok || ko "server exit $rc on SIGTERM"
echo "bs_server_client: $pass passed, $fail failed"
[ $fail -eq 0 ]
