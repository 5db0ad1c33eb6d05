#!/usr/bin/env bash
# Observe on a running lwm2m-client (Information Reporting), against the independent LwM2M Server
# tests/integration/observe_peer.py (hand-built CoAP frames): the client starts from a state file
# holding one server account, registers (root link with ct=110), and the peer observes
# /3/0/13 with pmin=1&pmax=2 (notifications with increasing Observe numbers and changing values),
# observes /1/1/1 and writes it (a notification with the new value), creates /1/5 (Location-Path),
# cancels with Observe 1 and resets a notification with a RST (no more notifications of either).
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-client
peer=${LWM2M_SOURCE_DIR:?}/tests/integration/observe_peer.py
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

python3 "$peer" "$work/port" dev-obs >"$work/peer.log" 2>&1 &
peer_pid=$!; pids+=("$peer_pid")
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
cat >"$work/state.json" <<JSON
[{"bn":"/","n":"0/1/0","vs":"coap://127.0.0.1:$(cat "$work/port")"},{"n":"0/1/1","vb":false},
{"n":"0/1/2","v":3},{"n":"0/1/10","v":101},
{"n":"1/1/0","v":101},{"n":"1/1/1","v":300},{"n":"1/1/6","vb":true},{"n":"1/1/7","vs":"U"}]
JSON
port=$((20000 + RANDOM % 40000))
"$bin" -e dev-obs -s "$work/state.json" -p "$port" 2>"$work/client.log" &
client_pid=$!; pids+=("$client_pid")
for _ in $(seq 400); do [ -e "$work/port.done" ] && break; sleep 0.1; done
kill -TERM "$client_pid"; wait "$client_pid"; client_rc=$?
wait "$peer_pid"; peer_rc=$?
[ $peer_rc -eq 0 ] && ok || { ko "peer saw a wrong answer"; cat "$work/peer.log" "$work/client.log" >&2; }
[ $client_rc -eq 0 ] && ok || ko "client exit $client_rc"
[ "$(grep -c '^ok ' "$work/peer.log")" -ge 12 ] && ok || ko "peer ran only $(grep -c '^ok ' "$work/peer.log") checks"
grep -q "observe: SSID 101 observes /3/0/13" "$work/client.log" && ok || ko "observation not logged"
grep -q "observe: SSID 101: observation of /3/0/13 cancelled" "$work/client.log" && ok \
  || ko "cancel not logged"
grep -q "observe: SSID 101: notification of /3/0/13 reset by the server; observation cancelled" \
  "$work/client.log" && ok || ko "RST not logged"
grep -q "observe: SSID 101: 1 observation(s) ended (de-registering)" "$work/client.log" && ok \
  || ko "observation of /1/1/1 not ended at de-registration"
grep -q "registration: de-registered from SSID 101 (2.02)" "$work/client.log" && ok \
  || ko "de-registration not logged"

echo "client_observe: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
