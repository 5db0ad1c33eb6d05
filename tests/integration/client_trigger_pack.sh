#!/usr/bin/env bash
# The LwM2M Server side of a running lwm2m-client and the 1.2 Bootstrap-Pack, against the
# independent peer tests/integration/bs_peer.py (hand-built CoAP frames):
#  trigger       after registering, the server reads /1/1/1, is refused /0/1 (4.01), executes
#                /1/1/9; the client sends a new Bootstrap-Request, the bootstrap completes and
#                the client registers again.
#  pack          --bootstrap-pack: GET /bspack answered with a pack; applied, saved, registered.
#  packfallback  GET /bspack answered 4.05: the client falls back to POST /bs at once.
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

run() { # $1 scenario, $2 expected Bootstrap-Request query, $3.. client options
  local scenario=$1 query=$2; shift 2
  rm -f "$work/port" "$work/port.registered" "$work/state.json"
  python3 "$peer" "$work/port" "$scenario" "$query" >"$work/peer-$scenario.log" 2>&1 &
  local peer_pid=$!; pids+=("$peer_pid")
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  local port=$((20000 + RANDOM % 40000))
  "$bin" -e "dev-$scenario" -s "$work/state.json" -b "coap://127.0.0.1:$(cat "$work/port")" \
    -p "$port" "$@" 2>"$work/client-$scenario.log" &
  local client_pid=$!; pids+=("$client_pid")
  for _ in $(seq 150); do [ -e "$work/port.registered" ] && break; sleep 0.1; done
  kill -TERM "$client_pid"; wait "$client_pid"; local client_rc=$?
  wait "$peer_pid"; local peer_rc=$?
  [ $peer_rc -eq 0 ] && ok || { ko "$scenario: peer saw a wrong answer"; cat "$work/peer-$scenario.log" "$work/client-$scenario.log" >&2; }
  [ $client_rc -eq 0 ] && ok || ko "$scenario: client exit $client_rc"
  grep -q '"n":"1/1/0","v":101' "$work/state.json" 2>/dev/null && ok || ko "$scenario: state not saved"
}

run trigger "ep=dev-trigger&pct=110"
grep -q "bootstrap: Bootstrap-Request Trigger /1/1/9 executed by SSID 101" "$work/client-trigger.log" \
  && ok || ko "trigger: execute not logged"
[ "$(grep -c "registration: registered with SSID 101" "$work/client-trigger.log")" -eq 2 ] \
  && ok || ko "trigger: not registered twice"
grep -q "^ok Read /0/1 -> 4.01" "$work/peer-trigger.log" && ok || ko "trigger: /0 readable"

run pack "ep=dev-pack" --lwm2m-version 1.2 --bootstrap-pack
grep -q "bootstrap: Bootstrap-Pack applied" "$work/client-pack.log" && ok || ko "pack: not applied"
grep -q "Bootstrap-Request accepted" "$work/client-pack.log" && ko "pack: used /bs too" || ok

run packfallback "ep=dev-packfallback&pct=110" --lwm2m-version 1.2 --bootstrap-pack
grep -q "Bootstrap-Pack-Request answered 4.05; falling back to Bootstrap-Request" \
  "$work/client-packfallback.log" && ok || ko "packfallback: fallback not logged"

# Option errors.
"$bin" -e x -s "$work/s.json" --bootstrap-pack 2>"$work/err.log"; rc=$?
[ $rc -eq 2 ] && grep -q "needs --lwm2m-version 1.2" "$work/err.log" && ok || ko "--bootstrap-pack without 1.2: rc $rc"

echo "client_trigger_pack: $pass passed, $fail failed"
[ $fail -eq 0 ]
