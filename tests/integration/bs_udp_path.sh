#!/usr/bin/env bash
# lwm2m-bs-server's own CoAP-over-UDP endpoint (the default coap:// path, src/net/coap_udp.c)
# as a black box on 127.0.0.1: an independent raw-UDP client (bs_udp_peer.py: deduplication,
# piggybacked and separate responses, retransmission, RST, malformed datagrams, ping, errors,
# Block1 Writes, Block2 answers and Bootstrap-Pack slices); lwm2m-client bootstrapping a
# configuration whose Write needs Block1, over our endpoint and over --io libcoap; --workers 2
# (one port, 20 lwm2m-bench bootstraps, nothing left after SIGTERM); option errors.
set -u
bin=${LWM2M_BIN_DIR:?}
src=${LWM2M_SOURCE_DIR:?}
peer=$src/tests/integration/bs_udp_peer.py
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
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
free_port() { # udp|tcp
  python3 -c 'import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
children_of() { grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3; }
gone() { [ ! -e "/proc/$1" ] || grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null; } # or a zombie
store="sqlite:$work/bs.db"

# Configurations: the peer's, and two like its big one for lwm2m-client.
python3 "$peer" configs blk-client blk-libcoap >"$work/configs.jsonl" || ko "peer configs"
while read -r doc; do
  echo "$doc" | "$bin/lwm2m-bs-server" config add --store "$store" - 2>>"$work/config.log" \
    || ko "config add: $(cat "$work/config.log")"
done <"$work/configs.jsonl"
[ "$(wc -l <"$work/configs.jsonl")" -eq 9 ] && ok || ko "expected 9 configurations"

start_server() { # log, options...: sets server_pid and server_port
  local log=$1
  shift
  "$bin/lwm2m-bs-server" --store "$store" "$@" 2>"$log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_for 50 grep -q "serving coap port" "$log"
  server_port=$(sed -n 's/.*: serving coap port \([0-9]*\),.*/\1/p' "$log" | head -1)
}
stop_server() { # what; the server must exit 0 on SIGTERM
  kill -TERM "$server_pid"
  wait "$server_pid"
  local rc=$?
  [ $rc -eq 0 ] && ok || ko "$1: exit $rc on SIGTERM"
}

# 1. The independent client against the default path (--io udp).
log=$work/server.log
start_server "$log" --listen 127.0.0.1:0 -v
[ -n "$server_port" ] && grep -q "(coap:// by udp, 1 worker)" "$log" && ok \
  || { ko "server did not start: $(cat "$log")"; exit 1; }
python3 "$peer" run "$server_port" "$log" >"$work/peer.out" 2>&1
peer_rc=$?
cat "$work/peer.out"
pass=$((pass + $(grep -c "^ok: " "$work/peer.out")))
fail=$((fail + $(grep -c "^FAIL: " "$work/peer.out")))
[ $peer_rc -eq 0 ] && ok || ko "bs_udp_peer.py exit $peer_rc"
[ "$(grep -c "^ok: " "$work/peer.out")" -ge 40 ] && ok || ko "bs_udp_peer.py ran too few checks"

# 2. lwm2m-client, a Bootstrap-Write above 1024 bytes (Block1 from our endpoint).
client() { # endpoint, server port: runs until bootstrapped (or 15 s)
  local name=$1
  "$bin/lwm2m-client" -e "$name" -s "$work/$name.json" -b "coap://127.0.0.1:$2" -p 0 -v \
    >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for 150 grep -q "bootstrap: finished" "$work/$name.log"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
  grep -q "bootstrap: finished, 1 server account(s), saved to" "$work/$name.log" && ok \
    || { ko "$name: not bootstrapped"; cat "$work/$name.log" >&2; }
  python3 "$peer" check-state "$work/$name.json" >/dev/null 2>&1 && ok \
    || ko "$name: the state file lacks the 1200-byte /0/1/4"
}
client blk-client "$server_port"
wait_for 30 grep -q "session: endpoint=blk-client .*outcome=success" "$log" && ok \
  || ko "blk-client: no outcome=success line"
size=$(sed -n 's/.*session blk-client: PUT \/0 (\([0-9]*\) bytes.*/\1/p' "$log" | head -1)
[ "${size:-0}" -gt 1024 ] && ok || ko "blk-client: the Write of /0 was ${size:-?} bytes, not above 1024"
grep -q "bootstrap: PUT /0 -> 2.04" "$work/blk-client.log" && ok || ko "blk-client: no PUT /0 -> 2.04"
stop_server "udp server"

# 3. The same with --io libcoap.
log=$work/libcoap.log
start_server "$log" --listen 127.0.0.1:0 --io libcoap
grep -q "(coap:// by libcoap, 1 worker)" "$log" && ok || ko "--io libcoap: $(cat "$log")"
client blk-libcoap "$server_port"
wait_for 30 grep -q "session: endpoint=blk-libcoap .*outcome=success" "$log" && ok \
  || ko "blk-libcoap: no outcome=success line"
stop_server "libcoap server"

# 4. --workers 2: two processes on one port; 20 bootstraps; nothing left after SIGTERM.
wstore="sqlite:$work/workers.db"
"$bin/lwm2m-bench" seed --store "$wstore" --endpoints 20 --prefix wk- -q >/dev/null 2>"$work/seed.log" \
  && ok || ko "bench seed: $(cat "$work/seed.log")"
wport=$(free_port udp)
hport=$(free_port tcp)
log=$work/workers.log
"$bin/lwm2m-bs-server" --store "$wstore" --listen "127.0.0.1:$wport" --workers 2 \
  --http "127.0.0.1:$hport" 2>"$log" &
wpid=$!
pids+=("$wpid")
wait_for 50 grep -q "worker 1 (pid [0-9]*) serving coap port" "$log"
grep -q "serving coap port $wport, .*(coap:// by udp, 2 workers)" "$log" && ok || ko "workers: $(cat "$log")"
grep -q "worker 1 (pid [0-9]*) serving coap port $wport\$" "$log" && ok || ko "worker 1 not on port $wport: $(cat "$log")"
kids=$(children_of "$wpid")
pids+=($kids)
[ "$(echo "$kids" | grep -c .)" -eq 1 ] && ok || ko "workers: children of $wpid: '$kids'"
wkid=$(sed -n 's/.*worker 1 (pid \([0-9]*\)).*/\1/p' "$log")
[ "$kids" = "$wkid" ] && ok || ko "workers: worker pid $wkid is not the child '$kids'"
out=$(timeout 40 "$bin/lwm2m-bench" --server "coap://127.0.0.1:$wport" --endpoints 20 --count 20 \
  --concurrency 4 --linger 0 --prefix wk- --timeout 10 --json -q 2>"$work/bench.err")
rc=$?
[ $rc -eq 0 ] && ok || ko "bench exit $rc: $out $(cat "$work/bench.err")"
got=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["completed"], d["failed"])' "$out" 2>/dev/null)
[ "$got" = "20 0" ] && ok || ko "bench: completed/failed '$got': $out"
wait_for 30 test "$(grep -c "session: endpoint=wk-[0-9]* .*outcome=success" "$log")" -eq 20 && ok \
  || ko "workers: $(grep -c "session: endpoint=wk-" "$log") session lines, 20 successes expected"
# Both processes served: the first (its counters are the HTTP API's) received some of the
# bench's datagrams, not all (each exchange is at least one; the bench binds one source
# address per session, which SO_REUSEPORT spreads; all 20 on one side: 2 in a million).
stats=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/api/stats" % sys.argv[1], timeout=5).read().decode())' "$hport" 2>&1)
spread=$(python3 -c 'import json, sys; r = json.loads(sys.argv[1])["udp"]["received"]; t = json.loads(sys.argv[2])["exchanges"]["total"]; print("yes" if 0 < r < t else "no: first process received %d of %d exchanges" % (r, t))' "$stats" "$out" 2>&1)
[ "$spread" = yes ] && ok || ko "workers: not both serving ($spread; stats $stats)"
kill -TERM "$wpid"
wait "$wpid"
rc=$?
[ $rc -eq 0 ] && ok || ko "workers: parent exit $rc on SIGTERM"
for k in $kids; do
  wait_for 30 gone "$k" && ok || ko "workers: process $k left after SIGTERM"
done

# 4b. Workers with port 0: one port for all of them (or the combination refused with exit 2),
#     never one free port per process, which would leave the workers unreachable.
log=$work/workers0.log
"$bin/lwm2m-bs-server" --store "$wstore" --listen 127.0.0.1:0 --workers 2 2>"$log" &
wpid=$!
pids+=("$wpid")
wait_for 50 eval 'grep -q "worker 1 (pid [0-9]*) serving coap port" "$log" || gone $wpid'
if ! gone "$wpid"; then
  p0=$(sed -n 's/.*: serving coap port \([0-9]*\),.*/\1/p' "$log")
  p1=$(sed -n 's/.*worker 1 (pid [0-9]*) serving coap port \([0-9]*\)$/\1/p' "$log")
  [ -n "$p0" ] && [ "$p0" = "$p1" ] && ok \
    || ko "--workers 2 --listen 127.0.0.1:0: parent on port '$p0', worker 1 on '$p1'"
  kids=$(children_of "$wpid")
  pids+=($kids)
  kill -TERM "$wpid"
  wait "$wpid" 2>/dev/null
  for k in $kids; do wait_for 30 gone "$k" || ko "workers (port 0): process $k left"; done
else
  wait "$wpid"
  rc=$?
  [ $rc -eq 2 ] && ok || ko "--workers 2 --listen 127.0.0.1:0: exit $rc: $(cat "$log")"
fi

# 5. Options.
timeout 10 "$bin/lwm2m-bs-server" --store "$wstore" --listen 127.0.0.1:0 --workers 2 --io libcoap 2>"$work/opt.log"
rc=$?
[ $rc -eq 2 ] && grep -q "workers" "$work/opt.log" && ok || ko "--workers 2 --io libcoap: exit $rc $(cat "$work/opt.log")"
timeout 10 "$bin/lwm2m-bs-server" --store "$wstore" --listen 127.0.0.1:0 --io foo 2>"$work/opt.log"
rc=$?
[ $rc -eq 2 ] && grep -q "bad --io 'foo'" "$work/opt.log" && ok || ko "--io foo: exit $rc $(cat "$work/opt.log")"
for n in 0 65 x; do
  timeout 10 "$bin/lwm2m-bs-server" --store "$wstore" --listen 127.0.0.1:0 --workers "$n" 2>/dev/null
  rc=$?
  [ $rc -eq 2 ] && ok || ko "--workers $n: exit $rc"
done

# A -DLWM2M_SANITIZE=ON build reports to the programs' logs.
reports=$(grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work"/*.log 2>/dev/null)
[ -z "$reports" ] && ok || { ko "sanitizer reports in $reports"; cat $reports >&2; }

echo "bs_udp_path: $pass passed, $fail failed"
[ $fail -eq 0 ]
