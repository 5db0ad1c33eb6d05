#!/usr/bin/env bash
# Client-initiated bootstrap of a running lwm2m-client against an independent Bootstrap Server
# (tests/integration/bs_peer.py: hand-built CoAP frames): the Bootstrap-Request with ep and pct,
# a plain sequence, and the seed's 4.06 and recovery, each ending in a saved configuration and
# a Register at the server the configuration names, then De-register on SIGTERM.
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
  for _ in $(seq 100); do [ -e "$work/port.registered" ] && break; sleep 0.1; done
  [ "$scenario" = plain ] && sleep 1.5  # past the 1 s Bootstrap-Server Account Timeout
  kill -TERM "$client_pid"; wait "$client_pid"; local client_rc=$?
  wait "$peer_pid"; local peer_rc=$?
  rm -f "$work/port.registered"
  [ $peer_rc -eq 0 ] && ok || { ko "$scenario: peer saw a wrong answer"; cat "$work/peer.log" >&2; cat "$work/client-$scenario.log" >&2; }
  [ $client_rc -eq 0 ] && ok || ko "$scenario: client exit $client_rc"
  grep -q "bootstrap: Bootstrap-Request accepted (2.04)" "$work/client-$scenario.log" && ok || ko "$scenario: no 2.04 logged"
  grep -q '"n":"1/1/0","v":101' "$work/state.json" 2>/dev/null && ok || ko "$scenario: state not saved"
  grep -q "registration: registered with SSID 101 at coap://127.0.0.1:[0-9]*, location /rd/5a3f" \
    "$work/client-$scenario.log" && ok || ko "$scenario: registration not logged"
  grep -q "registration: de-registered from SSID 101 (2.02)" "$work/client-$scenario.log" && ok \
    || ko "$scenario: de-registration not logged"
  cat "$work/peer.log" >>"$work/peers.log"
}

run plain
grep -q "Bootstrap-Server account purged (/0/x/12 timeout), 1 removed" "$work/client-plain.log" \
  && ok || ko "BS account not purged after /0/x/12"
grep -q '"0/0/1","vb":true' "$work/state.json" && ko "purged BS account still in the state file" || ok
run seed --single-server --no-acl
grep -q '"0/0/1","vb":true' "$work/state.json" && ok || ko "BS account without timeout was purged"
grep -q "FAIL" "$work/peers.log" && ko "peer log has failures" || ok
grep -q "4.06 too-many-servers" "$work/peers.log" && ok || ko "4.06 diagnostic not received: $(cat "$work/peers.log")"
[ "$(grep -c "^ok Register" "$work/peers.log")" -eq 2 ] && ok || ko "Register not seen twice"
grep -q '"0/2/' "$work/state.json" && ko "refused account saved" || ok

# A saved configuration whose only server cannot be reached (retry count /1/x/17 = 1, timer
# /1/x/18 = 1 s, two sequences /1/x/20 one second apart /1/x/19): registration fails, the
# client falls back to bootstrap (/1/x/16 absent means
# true), gets a working server from the Bootstrap Server and registers there.
rm -f "$work/port" "$work/port.registered"
python3 "$peer" "$work/port" plain "ep=dev-fallback&pct=110" >"$work/peer.log" 2>&1 &
peer_pid=$!; pids+=("$peer_pid")
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
bs_port=$(cat "$work/port")
cat >"$work/fallback.json" <<JSON
[{"bn":"/","n":"0/0/0","vs":"coap://127.0.0.1:$bs_port"},{"n":"0/0/1","vb":true},{"n":"0/0/2","v":3},
{"n":"0/1/0","vs":"coap://127.0.0.1:9"},{"n":"0/1/1","vb":false},{"n":"0/1/2","v":3},{"n":"0/1/10","v":101},
{"n":"1/1/0","v":101},{"n":"1/1/1","v":300},{"n":"1/1/6","vb":true},{"n":"1/1/7","vs":"U"},
{"n":"1/1/17","v":1},{"n":"1/1/18","v":1},{"n":"1/1/19","v":1},{"n":"1/1/20","v":2}]
JSON
port=$((20000 + RANDOM % 40000))
"$bin" -e dev-fallback -s "$work/fallback.json" -p "$port" 2>"$work/fallback.log" &
pid=$!; pids+=("$pid")
for _ in $(seq 150); do [ -e "$work/port.registered" ] && break; sleep 0.1; done
sleep 1.5
kill -TERM "$pid"; wait "$pid"
wait "$peer_pid" && ok || { ko "fallback: peer saw a wrong answer"; cat "$work/peer.log" >&2; cat "$work/fallback.log" >&2; }
grep -q "configuration loaded from $work/fallback.json: 1 server account(s)" "$work/fallback.log" && ok || ko "fallback: state not loaded"
grep -q "registration: SSID 101: .*retry sequence 2 of 2 in 1 s" "$work/fallback.log" && ok || ko "fallback: no second sequence (/1/x/19, /1/x/20)"
grep -q "registration: SSID 101: .*2 attempt(s) in 2 sequence(s), giving up" "$work/fallback.log" && ok || ko "fallback: no give-up after /1/x/17 and /1/x/20"
grep -q "registration: failed with every server, falling back to bootstrap" "$work/fallback.log" && ok || ko "fallback: no fallback"
grep -q "registration: registered with SSID 101 at coap://127.0.0.1:[0-9]*, location /rd/5a3f" "$work/fallback.log" && ok || ko "fallback: not registered after bootstrap"

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
