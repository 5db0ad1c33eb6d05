#!/usr/bin/env bash
# The client commands of lwm2m-server (clients, show, read, discover, write, attributes, exec,
# create, delete, observe, cancel, events) end to end: a real lwm2m-server (ports picked by
# the kernel), a real lwm2m-bs-server that bootstraps real lwm2m-clients towards it. Exact
# output lines, exit codes 0 / 1 (unknown endpoint, 4.04, the endpoint going away) / 2 (bad
# usage) / 3 (API down: the stopped server's port), the observation cancelled on exit.
set -u
bin=${LWM2M_BIN_DIR:?}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
finish() { echo "server_cli: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
srv=$bin/lwm2m-server
for b in lwm2m-server lwm2m-bs-server lwm2m-client; do
  [ -x "$bin/$b" ] || { ko "$bin/$b is missing"; finish; }
done

# run NAME WANT-STATUS ARGS...: lwm2m-server ARGS, stdout in $work/out, stderr in $work/err.
run() {
  local name=$1 want=$2 rc
  shift 2
  "$srv" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  if [ "$rc" = "$want" ]; then ok; else
    ko "$name: exit $rc, expected $want: $(head -c 300 "$work/err")"; fi
}
# same NAME EXPECTED-TEXT FILE: the file holds exactly the text.
same() {
  if [ "$(cat "$3")" = "$2" ]; then ok; else
    ko "$1: got '$(head -c 400 "$3")', expected '$2'"; fi
}
# has NAME REGEX FILE
has() { if grep -qE -- "$2" "$3"; then ok; else ko "$1: no /$2/ in '$(head -c 400 "$3")'"; fi; }
# json NAME PYTHON-EXPR FILE: d is the file parsed as JSON.
json() {
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$3" 2>/dev/null
  then ok; else ko "$1: $(head -c 400 "$3") fails $2"; fi
}
wait_for() { # PATTERN FILE: up to 10 s
  for _ in $(seq 100); do grep -qE -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# 1. The server, on ports the kernel picks.
"$srv" --listen 127.0.0.1:0 --http 127.0.0.1:0 --store "sqlite:$work/srv.db" 2>"$work/server.log" &
srv_pid=$!
pids+=("$srv_pid")
wait_for 'listening: coap=' "$work/server.log" || { ko "server did not start: $(cat "$work/server.log")"; finish; }
coap=$(sed -n 's/.*listening: coap=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/server.log")
http=$(sed -n 's/.*listening: .* http=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")
[ -n "$coap" ] && [ -n "$http" ] || { ko "no ports in: $(cat "$work/server.log")"; finish; }
export LWM2M_SERVER_API=http://127.0.0.1:$http

# 2. The Bootstrap Server gives each client an account on it (server instance /1/1, SSID 101).
store="sqlite:$work/bs.db"
for ep in dev1 dev2; do
  echo "{\"endpoint\":\"$ep\",\"delete\":[\"/0\",\"/1\"],\"objects\":{
    \"0\":{\"1\":{\"0\":\"coap://127.0.0.1:$coap\",\"1\":false,\"2\":3,\"10\":101}},
    \"1\":{\"1\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}}" |
    "$bin/lwm2m-bs-server" config add --store "$store" - 2>>"$work/config.log" \
    || ko "config add $ep: $(cat "$work/config.log")"
done
"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --store "$store" 2>"$work/bs.log" &
pids+=($!)
wait_for 'serving coap port [1-9]' "$work/bs.log" || { ko "bs server did not start"; finish; }
bs=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")

start_client() { # NAME: bootstraps, then registers with our server
  "$bin/lwm2m-client" -e "$1" -s "$work/$1.json" -p $((20000 + RANDOM % 40000)) \
    -b "coap://127.0.0.1:$bs" 2>"$work/$1.log" &
  client_pid=$!
  pids+=("$client_pid")
}
registered() { # NAME: up to 20 s
  for _ in $(seq 200); do "$srv" show "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
start_client dev1
dev1_pid=$client_pid
registered dev1 && ok || { ko "dev1 did not register: $(tail -5 "$work/dev1.log")"; finish; }

# 3. clients, show.
run "clients" 0 clients
has "clients header" '^ENDPOINT +ID +VERSION +BINDING +ADDRESS +LIFETIME +EXPIRES IN$' "$work/out"
has "clients row" '^dev1 +[0-9a-f]+ +1\.1 +U +127\.0\.0\.1:[0-9]+ +300s +[0-9]+s$' "$work/out"
[ "$(wc -l <"$work/out")" -eq 2 ] && ok || ko "clients: $(cat "$work/out")"
run "clients --json" 0 clients --json
json "clients --json" 'len(d) == 1 and d[0]["endpoint"] == "dev1" and d[0]["lifetime"] == 300' "$work/out"
run "show" 0 show dev1
json "show" 'd["endpoint"] == "dev1" and d["version"] == "1.1" and "/3/0" in d["objects"]' "$work/out"
has "show is indented" '^  "endpoint": "dev1",$' "$work/out"

# 4. read, discover.
run "read /3/0/0" 0 read dev1 /3/0/0
same "read /3/0/0" '/3/0/0 = "lwm2m-bootstrap"' "$work/out"
run "read 3/0/0 as text" 0 read dev1 3/0/0 --format text
same "read 3/0/0 as text" '/3/0/0 = "lwm2m-bootstrap"' "$work/out"
run "read /3/0" 0 read dev1 /3/0
has "read /3/0: manufacturer" '^/3/0/0 = "lwm2m-bootstrap"$' "$work/out"
has "read /3/0: endpoint" '^/3/0/2 = "dev1"$' "$work/out"
has "read /3/0: time" '^/3/0/13 = [0-9]+$' "$work/out"
run "read --json" 0 read dev1 /3/0/0 --json --format senml-json
json "read --json" 'd["code"] == "2.05" and d["format"] == "senml-json" and d["content"][0]["value"] == "lwm2m-bootstrap"' "$work/out"
run "discover /3/0" 0 discover dev1 /3/0
has "discover /3/0" '^</3/0/0>$' "$work/out"

# 5. write, then read back; partial update with SenML; a value of the wrong type is refused.
run "write /1/1/1" 0 write dev1 /1/1/1 120
same "write /1/1/1" '2.04 CHANGED' "$work/out"
run "read back /1/1/1" 0 read dev1 1/1/1
same "read back /1/1/1" '/1/1/1 = 120' "$work/out"
run "write --update" 0 write dev1 /1/1 --update --json '[{"bn":"/1/1/","n":"1","v":150}]'
run "read back after --update" 0 read dev1 /1/1/1
same "read back after --update" '/1/1/1 = 150' "$work/out"
run "write a string to an integer" 2 write dev1 /1/1/1 abc
has "write a string to an integer" '^lwm2m-server: write dev1 /1/1/1: ' "$work/err"

# 6. exec /1/1/8 (Registration Update Trigger): the client's Update shows as an event.
"$srv" events --endpoint dev1 --count 1 >"$work/ev_update" 2>&1 &
ev=$!
sleep 0.5
run "exec /1/1/8" 0 exec dev1 /1/1/8
same "exec /1/1/8" '2.04 CHANGED' "$work/out"
for _ in $(seq 100); do kill -0 "$ev" 2>/dev/null || break; sleep 0.1; done
kill "$ev" 2>/dev/null && ko "events: no event after the Update trigger"
wait "$ev" && ok || ko "events --count 1 exit status"
has "update event" '^updated dev1 \{"endpoint":"dev1","registration":\{' "$work/ev_update"
run "exec on a string" 1 exec dev1 /3/0/0
has "exec on a string" '^lwm2m-server: exec dev1 /3/0/0: 4\.05 METHOD_NOT_ALLOWED' "$work/err"

# 7. attributes, create, delete.
run "attributes" 0 attributes dev1 /3/0/13 pmin=1 pmax=2
same "attributes" '2.04 CHANGED' "$work/out"
run "discover shows them" 0 discover dev1 /3/0/13
same "discover shows them" '</3/0/13>;pmin=1;pmax=2' "$work/out"
run "create /1" 0 create dev1 /1 --json '[{"bn":"/1/5/","n":"0","v":102},{"n":"1","v":60},{"n":"6","vb":false},{"n":"7","vs":"U"}]'
has "create /1" '^2\.01 CREATED' "$work/out"
run "read created" 0 read dev1 /1/5/1
same "read created" '/1/5/1 = 60' "$work/out"
run "delete /1/5" 0 delete dev1 /1/5
same "delete /1/5" '2.02 DELETED' "$work/out"
run "delete /1/5 again" 1 delete dev1 /1/5
has "delete /1/5 again" '^lwm2m-server: delete dev1 /1/5: 4\.04 NOT_FOUND' "$work/err"

# 8. observe /3/0/13 (pmin=1 pmax=2): the value, two notifications, then the cancel.
run "observe --count 2" 0 observe dev1 /3/0/13 --count 2
[ "$(grep -cE '^/3/0/13 = [0-9]+$' "$work/out")" -eq 3 ] && [ "$(wc -l <"$work/out")" -eq 3 ] && ok \
  || ko "observe --count 2: '$(cat "$work/out")' $(cat "$work/err")"
sort -c -t= -k2n "$work/out" 2>/dev/null && ok || ko "observe: values not increasing: $(cat "$work/out")"
curl -s "$LWM2M_SERVER_API/api/observations" >"$work/obs"
same "observation cancelled on exit" '[]' "$work/obs"
run "cancel with no observation" 1 cancel dev1 /3/0/13
# Ctrl-C ends it cleanly (status 0) and cancels too.
"$srv" observe dev1 /3/0/13 >"$work/obs_int" 2>&1 &
op=$!
wait_for '^/3/0/13 = ' "$work/obs_int" || ko "observe: no first value"
kill -INT "$op" 2>/dev/null
wait "$op" && ok || ko "observe after SIGINT: status $? $(cat "$work/obs_int")"
curl -s "$LWM2M_SERVER_API/api/observations" >"$work/obs"
same "observation cancelled after SIGINT" '[]' "$work/obs"
run "observe --duration" 0 observe dev1 3/0/13 --duration 1 --json
json "observe --json first answer" '"observation" in d and d["code"] == "2.05"' <(head -1 "$work/out")

# 9. events while a client registers.
"$srv" events --count 1 >"$work/ev_reg" 2>&1 &
ev=$!
sleep 0.5
start_client dev2
for _ in $(seq 200); do kill -0 "$ev" 2>/dev/null || break; sleep 0.1; done
kill "$ev" 2>/dev/null && ko "events: nothing while dev2 registered"
wait "$ev" && ok || ko "events --count 1 exit status"
has "registered event" '^registered dev2 \{"endpoint":"dev2","registration":\{"endpoint":"dev2",' "$work/ev_reg"
[ "$(wc -l <"$work/ev_reg")" -eq 1 ] && ok || ko "events --count 1 printed $(cat "$work/ev_reg")"
run "events --duration" 0 events --endpoint nobody --duration 1
same "events --duration: nothing" '' "$work/out"

# 10. Errors: unknown endpoint, 4.04, bad usage, the endpoint going away, the API down.
run "unknown endpoint" 1 read nobody /3/0/0
same "unknown endpoint" "lwm2m-server: read nobody /3/0/0: endpoint 'nobody' is not registered" "$work/err"
run "show unknown" 1 show nobody
run "4.04" 1 read dev1 /3/0/99
has "4.04" '^lwm2m-server: read dev1 /3/0/99: 4\.04 NOT_FOUND' "$work/err"
[ -s "$work/out" ] && ko "4.04: something on stdout" || ok
run "bad path" 2 read dev1 /3/x
run "ID out of range" 2 read dev1 /3/0/70000
run "exec on an instance" 2 exec dev1 /1/1
run "missing argument" 2 write dev1 /1/1/1
run "unknown option" 2 clients --bogus
run "bad --api" 2 clients --api ftp://127.0.0.1:1
"$srv" observe dev2 /3/0/13 >"$work/obs_gone" 2>"$work/obs_gone.err" &
op=$!
wait_for '^/3/0/13 = ' "$work/obs_gone" || ko "observe dev2: no first value"
kill -TERM "$client_pid"
wait "$op"
rc=$?
[ "$rc" -eq 1 ] && ok || ko "observe of a deregistering client: status $rc"
has "observe of a deregistering client" 'observe dev2 /3/0/13: the endpoint deregistered' "$work/obs_gone.err"
kill -TERM "$dev1_pid"

# 11. The API down: the server stopped (SIGTERM: status 0), its port refuses connections.
kill -TERM "$srv_pid"
wait "$srv_pid" && ok || ko "server: status $? after SIGTERM"
down=$LWM2M_SERVER_API
for c in "clients" "show dev1" "read dev1 /3/0/0" "observe dev1 /3/0/13" "events"; do
  # shellcheck disable=SC2086
  run "API down: $c" 3 $c
  has "API down: $c" "^lwm2m-server: $c: cannot reach the API at $down: Connection refused\$" "$work/err"
done
LWM2M_SERVER_API=http://127.0.0.1:8 run "API down via --api" 3 clients --api "$down"
finish
