#!/usr/bin/env bash
# Client-initiated bootstrap of a running lwm2m-client against an independent Bootstrap Server
# (tests/integration/bs_peer.py: hand-built CoAP frames): the Bootstrap-Request with ep and pct,
# a plain sequence, and the seed's 4.06 and recovery, each ending in a saved configuration.
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-client
peer=${LWM2M_SOURCE_DIR:?}/tests/integration/bs_peer.py
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

run() { # $1 scenario, $2.. client options
  local scenario=$1; shift
  rm -f "$work/port" "$work/state.json"
  python3 "$peer" "$work/port" "$scenario" "ep=dev-$scenario&pct=110" >"$work/peer.log" 2>&1 &
  local peer_pid=$!; pids+=("$peer_pid")
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  local bs_port; bs_port=$(cat "$work/port")
  local port=$((20000 + RANDOM % 40000))
  "$bin" -e "dev-$scenario" -s "$work/state.json" -b "coap://127.0.0.1:$bs_port" -p "$port" "$@" \
    2>"$work/client-$scenario.log" &
  local client_pid=$!; pids+=("$client_pid")
  wait "$peer_pid"; local peer_rc=$?
  for _ in $(seq 30); do [ -e "$work/state.json" ] && break; sleep 0.1; done
  kill -TERM "$client_pid"; wait "$client_pid"; local client_rc=$?
  [ $peer_rc -eq 0 ] && ok || { ko "$scenario: peer saw a wrong answer"; cat "$work/peer.log" >&2; cat "$work/client-$scenario.log" >&2; }
  [ $client_rc -eq 0 ] && ok || ko "$scenario: client exit $client_rc"
  grep -q "bootstrap: Bootstrap-Request accepted (2.04)" "$work/client-$scenario.log" && ok || ko "$scenario: no 2.04 logged"
  grep -q '"n":"1/1/0","v":101' "$work/state.json" 2>/dev/null && ok || ko "$scenario: state not saved"
}

run plain
run seed --single-server --no-acl
grep -q "FAIL" "$work/peer.log" && ko "peer log has failures" || ok
grep -q "4.06 too-many-servers" "$work/peer.log" && ok || ko "4.06 diagnostic not received: $(cat "$work/peer.log")"
grep -q '"0/2/' "$work/state.json" && ko "refused account saved" || ok

# No Bootstrap Server: the client backs off and keeps no half configuration.
port=$((20000 + RANDOM % 40000))
"$bin" -e dev-alone -s "$work/alone.json" -b "coap://127.0.0.1:9" -p "$port" 2>"$work/alone.log" &
pid=$!; pids+=("$pid")
sleep 3
kill -TERM "$pid"; wait "$pid"
grep -q "next Bootstrap-Request in" "$work/alone.log" && ok || ko "no back-off: $(cat "$work/alone.log")"
[ ! -e "$work/alone.json" ] && ok || ko "state written without a bootstrap"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
