#!/usr/bin/env bash
# kill -9 of lwm2m-client at random moments of a bootstrap (before, during and after the save of
# the state file): the state file is then absent (factory configuration) or complete, never
# partial, and a restarted client starts from it.
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
complete=0 absent=0

for round in $(seq 10); do
  rm -f "$work/port" "$work/port.registered" "$work"/state.json*
  python3 "$peer" "$work/port" plain "ep=dev-k&pct=110" >"$work/peer.log" 2>&1 &
  peer_pid=$!; pids+=("$peer_pid")
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$((20000 + RANDOM % 40000))
  "$bin" -e dev-k -s "$work/state.json" -b "coap://127.0.0.1:$(cat "$work/port")" -p "$port" \
    2>"$work/client.log" &
  pid=$!; pids+=("$pid")
  # Spread the kills over the whole exchange: the bootstrap takes some tens of milliseconds.
  sleep "0.$(printf '%03d' $((RANDOM % 400 + 20 * round)))"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  kill -9 "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null
  if [ -e "$work/state.json" ]; then
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); names={r.get("n") for r in d}; sys.exit(0 if "1/1/0" in names and "0/1/10" in names else 1)' "$work/state.json"; then
      complete=$((complete + 1)); ok
    else
      ko "round $round: partial state file"; cat "$work/state.json" >&2
    fi
    # A restart uses it.
    "$bin" -e dev-k -s "$work/state.json" -p "$port" 2>"$work/restart.log" &
    rpid=$!; pids+=("$rpid")
    for _ in $(seq 30); do grep -q "configuration loaded" "$work/restart.log" && break; sleep 0.1; done
    kill -TERM "$rpid"; wait "$rpid" 2>/dev/null
    grep -q "configuration loaded from $work/state.json: 1 server account(s)" "$work/restart.log" \
      && ok || { ko "round $round: restart did not load the state"; cat "$work/restart.log" >&2; }
  else
    absent=$((absent + 1)); ok
  fi
done
echo "client_kill9: $complete complete, $absent absent state files"
[ $complete -gt 0 ] && ok || ko "no round got past the save: the test did not test anything"
echo "client_kill9: $pass passed, $fail failed"
[ $fail -eq 0 ]
