#!/usr/bin/env bash
# lwm2m-server end to end on 127.0.0.1: real lwm2m-client processes (one bootstrapped by
# lwm2m-bs-server, others from saved configurations; NoSec and DTLS PSK) register, and every
# route of docs/server-api.md is exercised with curl: listing, Read (exact values), Discover,
# Write, Write-Update, Write-Attributes, Execute (Registration Update Trigger), Create, Delete,
# Observe with notifications on the event stream, cancel; 404/400/405/413/504; credentials
# through the API and the `security` command; the event stream (registered, updated,
# deregistered, expired, notification, ?endpoint= filter, no busy loop while idle).
set -u
bin=${LWM2M_BIN_DIR:?}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1"; }
expect() { # description, actual, expected
  if [ "$2" == "$3" ]; then ok "$1"; else ko "$1: got '$2', expected '$3'"; fi
}
check() { # description, command...
  local what=$1; shift
  if "$@"; then ok "$what"; else ko "$what"; fi
}
wait_for() { # tenths of a second, command...: true once the command succeeds
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  "$@"
}
free_udp() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
b64url() { printf %s "$1" | base64 | tr '+/' '-_' | tr -d '=\n'; }
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# call METHOD PATH [curl options]: sets $code (HTTP status) and $body.
call() {
  local m=$1 u=$2; shift 2
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X "$m" "$@" "$api$u")
  body=$(cat "$work/body")
}
# jv EXPR: a Python expression over the last body `d`, printed as compact JSON (strings bare).
jv() {
  python3 - "$work/body" "$1" <<'PY' 2>/dev/null
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2], {"d": d})
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
except Exception as e:
    print("<%s: %s>" % (type(e).__name__, e))
PY
}
# events FILE NAME ENDPOINT: how many events NAME of ENDPOINT the stream FILE holds.
events() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
n, name = 0, None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("event: "):
        name = line[7:]
    elif line.startswith("data: ") and name == sys.argv[2]:
        if json.loads(line[6:]).get("endpoint") == sys.argv[3]:
            n += 1
print(n)
PY
}
has_events() { [ "$(events "$1" "$2" "$3")" -ge "${4:-1}" ]; }

# ---- usage and start-up ------------------------------------------------------------------
"$bin/lwm2m-server" --bogus >/dev/null 2>&1; expect "unknown option exits 2" $? 2
"$bin/lwm2m-server" --request-timeout 0 >/dev/null 2>&1; expect "--request-timeout 0 exits 2" $? 2
"$bin/lwm2m-server" --no-listen >/dev/null 2>&1; expect "--no-listen alone exits 2" $? 2
"$bin/lwm2m-server" --help >"$work/help.txt" 2>&1; expect "--help exits 0" $? 0
grep -q -- "--request-timeout" "$work/help.txt" && ok "--help lists the options" || ko "--help text"

store="sqlite:$work/server.db"
"$bin/lwm2m-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --store "$store" --request-timeout 2 --grace 1 2>"$work/server.log" &
server_pid=$!; pids+=("$server_pid")
wait_for 50 grep -q "listening: " "$work/server.log"
line=$(grep -m1 "listening: " "$work/server.log")
coap=$(echo "$line" | sed -n 's/.*listening: coap=127\.0\.0\.1:\([0-9]*\) .*/\1/p')
coaps=$(echo "$line" | sed -n 's/.* coaps=127\.0\.0\.1:\([0-9]*\) .*/\1/p')
http=$(echo "$line" | sed -n 's/.* http=127\.0\.0\.1:\([0-9]*\).*/\1/p')
if [ -z "$coap" ] || [ -z "$coaps" ] || [ -z "$http" ] || [ "$http" = 0 ]; then
  ko "start-up line: '$line'"; cat "$work/server.log"; exit 1
fi
ok "listening: coap=$coap coaps=$coaps http=$http"
api="http://127.0.0.1:$http"

"$bin/lwm2m-server" --listen 127.0.0.1:0 --http "127.0.0.1:$http" --store "sqlite:$work/other.db" \
  2>"$work/busy.log"
expect "HTTP port in use exits 1" $? 1
expect "one line naming it" "$(wc -l <"$work/busy.log" | tr -d ' ')" 1
grep -q -- "--http 127.0.0.1:$http" "$work/busy.log" && ok "the line names --http" || ko "busy: $(cat "$work/busy.log")"

# Event streams: everything, one endpoint, another endpoint.
curl -sN "$api/api/events" >"$work/ev_all" 2>/dev/null & pids+=($!); ev_all_pid=$!
curl -sN "$api/api/events?endpoint=dev1" >"$work/ev_dev1" 2>/dev/null & pids+=($!)
curl -sN "$api/api/events?endpoint=nobody" >"$work/ev_nobody" 2>/dev/null & pids+=($!)
wait_for 30 grep -q "^: " "$work/ev_all" && ok "event stream opens with a comment" || ko "event stream"

# ---- credentials from the shell ----------------------------------------------------------
sec() { "$bin/lwm2m-server" security "$@" --store "$store"; }
key2=$(hex "dev2-secret-key")
sec add --endpoint dev2 --psk-identity dev2-id --psk-key "$key2" 2>/dev/null; expect "security add dev2" $? 0
sec add --endpoint dev3 --psk-identity dev3-id --psk-key 0011 2>/dev/null; expect "security add dev3" $? 0
sec add --endpoint dev9 --psk-identity dev2-id --psk-key 00 2>"$work/sec.err"; expect "identity of another endpoint: exit 1" $? 1
grep -q "dev2" "$work/sec.err" && ok "the refusal names the owner" || ko "refusal: $(cat "$work/sec.err")"
sec add --endpoint dev9 --psk-identity x --psk-key zz 2>/dev/null; expect "bad hex key: exit 1" $? 1
sec add --endpoint dev9 2>/dev/null; expect "add without identity: exit 2" $? 2
sec frobnicate 2>/dev/null; expect "unknown security command: exit 2" $? 2
out=$(sec show dev2); expect "security show dev2" "$out" '{"endpoint":"dev2","pskIdentity":"dev2-id"}'
sec show nobody 2>/dev/null; expect "security show of an unknown endpoint: exit 1" $? 1
out=$(sec list | tr -d '\n'); expect "security list" "$out" '[{"endpoint":"dev2","pskIdentity":"dev2-id"},{"endpoint":"dev3","pskIdentity":"dev3-id"}]'
sec remove nobody 2>/dev/null; expect "security remove of an unknown endpoint: exit 1" $? 1
sec list | grep -qi "key" && ko "a key is shown" || ok "keys are never shown"

# ---- dev1: bootstrapped by lwm2m-bs-server, registers over NoSec -------------------------
account="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{\"1\":{\"0\":\"coap://127.0.0.1:$coap\",\"1\":false,\"2\":3,\"10\":101}},\"1\":{\"1\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}"
echo "{\"endpoint\":\"dev1\",$account}" | "$bin/lwm2m-bs-server" config add --store "sqlite:$work/bs.db" - \
  && ok "bs config dev1" || ko "bs config dev1"
"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --store "sqlite:$work/bs.db" 2>"$work/bs.log" &
pids+=($!)
wait_for 50 grep -q "serving coap port" "$work/bs.log"
bs=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")
start_client() { # name, options...
  local name=$1; shift
  "$bin/lwm2m-client" -e "$name" -s "$work/$name.json" -p "$(free_udp)" "$@" 2>>"$work/$name.log" &
  client_pid=$!; pids+=("$client_pid")
}
registered() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/api/clients/$1")" = 200 ]; }
start_client dev1 -b "coap://127.0.0.1:$bs"
dev1_pid=$client_pid
wait_for 150 registered dev1 && ok "dev1 registered" || { ko "dev1 not registered"; cat "$work/dev1.log" "$work/server.log"; }

call GET /api/clients
expect "GET /api/clients" "$code $(jv '[c["endpoint"] for c in d]')" '200 ["dev1"]'
call GET /api/clients/dev1
expect "registration fields" "$code $(jv '[d["version"],d["lifetime"],d["binding"],d["queueMode"],d["secure"],d["rootPath"]]')" \
  '200 ["1.1",300,"U",false,false,"/"]'
expect "registration objects" "$(jv '[o for o in d["objects"] if o in ("/1/1","/3/0")]')" '["/1/1","/3/0"]'
expect "registration address" "$(jv 'd["address"].startswith("127.0.0.1:")')" true
call GET /api/clients/dev%31
expect "percent-encoded endpoint" "$code $(jv 'd["endpoint"]')" "200 dev1"
wait_for 30 has_events "$work/ev_all" registered dev1 && ok "event: registered" || ko "no registered event"
expect "registered event carries the registration" \
  "$(grep -m1 '^data: .*"registration"' "$work/ev_all" | sed 's/^data: //' >"$work/body"; jv 'd["registration"]["endpoint"]')" dev1

# ---- Read, Discover -----------------------------------------------------------------------
call GET "/api/clients/dev1/3/0/0?format=senml-json"
expect "read /3/0/0 (exact)" "$code $body" \
  '200 {"code":"2.05","status":"CONTENT","format":"senml-json","content":[{"path":"/3/0/0","type":"string","value":"lwm2m-bootstrap"}]}'
call GET /api/clients/dev1/3/0
expect "read /3/0" "$code $(jv '[d["code"],d["status"]]')" '200 ["2.05","CONTENT"]'
expect "read /3/0 values" "$(jv '[c for c in d["content"] if c["path"] != "/3/0/13"]')" \
  '[{"path":"/3/0/0","type":"string","value":"lwm2m-bootstrap"},{"path":"/3/0/1","type":"string","value":"lwm2m-client"},{"path":"/3/0/2","type":"string","value":"dev1"},{"path":"/3/0/16","type":"string","value":"U"}]'
call GET "/api/clients/dev1/3/0?format=tlv"
expect "read /3/0 as TLV" "$(jv '[d["format"], [c["value"] for c in d["content"] if c["path"] == "/3/0/2"]]')" \
  '["tlv",["dev1"]]'
call GET /api/clients/dev1/3/0/discover
expect "discover /3/0" "$code $(jv '[l["path"] for l in d["links"] if l["path"] in ("/3/0","/3/0/0","/3/0/16")]')" \
  '200 ["/3/0","/3/0/0","/3/0/16"]'
call GET /api/clients/dev1/5/0
expect "read of an object the client lacks" "$code $(jv 'd["code"]')" "200 4.04"

# ---- Write, Write-Update, Write-Attributes -------------------------------------------------
call PUT /api/clients/dev1/1/1/1 -H 'Content-Type: text/plain' --data-binary 120
expect "write /1/1/1 (text)" "$code $(jv 'd["code"]')" "200 2.04"
call GET /api/clients/dev1/1/1/1
expect "read back /1/1/1" "$(jv 'd["content"]')" '[{"path":"/1/1/1","type":"integer","value":120}]'
call PATCH /api/clients/dev1/1/1 -H 'Content-Type: application/senml+json' --data-binary '[{"n":"/1/1/1","v":150}]'
expect "write-update /1/1 (SenML JSON)" "$code $(jv 'd["code"]')" "200 2.04"
call GET /api/clients/dev1/1/1/1
expect "read back after write-update" "$(jv 'd["content"][0]["value"]')" 150
call PUT /api/clients/dev1/1/1 -H 'Content-Type: application/senml+json' \
  --data-binary '[{"n":"/1/1/1","v":300},{"n":"/1/1/6","vb":true},{"n":"/1/1/7","vs":"U"}]'
expect "write (replace) /1/1" "$code $(jv 'd["code"]')" "200 2.04"
call GET /api/clients/dev1/1/1/1
expect "read back after the replace" "$(jv 'd["content"][0]["value"]')" 300
call PUT /api/clients/dev1/1/1 -H 'Content-Type: application/senml+json' --data-binary '[{"n":"/1/1/0","v":7}]'
expect "write of a read-only resource: the client's 4.05" "$code $(jv '[d["code"], d["status"]]')" \
  '200 ["4.05","METHOD_NOT_ALLOWED"]'
call PUT "/api/clients/dev1/3/0/attributes?pmin=10&pmax=60"
expect "write-attributes /3/0" "$code $(jv 'd["code"]')" "200 2.04"
call GET /api/clients/dev1/3/0/discover
expect "discover shows the attributes" "$(jv '[l["attributes"] for l in d["links"] if l["path"] == "/3/0"]')" \
  '[{"pmin":"10","pmax":"60"}]'

# ---- Execute: Registration Update Trigger --------------------------------------------------
before=$(events "$work/ev_all" updated dev1)
call POST /api/clients/dev1/1/1/8
expect "execute /1/1/8" "$code $(jv 'd["code"]')" "200 2.04"
wait_for 50 has_events "$work/ev_all" updated dev1 $((before + 1)) && ok "event: updated after the trigger" \
  || ko "no updated event"

# ---- Create, Delete (an Access Control instance that controls itself) ----------------------
call POST /api/clients/dev1/2 -H 'Content-Type: application/senml+json' \
  --data-binary '[{"n":"/2/5/0","v":2},{"n":"/2/5/1","v":5},{"n":"/2/5/3","v":101}]'
expect "create /2/5" "$code $(jv 'd["code"]')" "200 2.01"
call GET /api/clients/dev1/2/5
expect "read the created instance" "$(jv '[c["value"] for c in d["content"]]')" '[2,5,101]'
call DELETE /api/clients/dev1/2/5
expect "delete /2/5" "$code $(jv 'd["code"]')" "200 2.02"
call GET /api/clients/dev1/2/5
expect "deleted instance is gone" "$(jv 'd["code"]')" "4.04"

# ---- Observe, notifications, cancel --------------------------------------------------------
call POST /api/clients/dev1/3/0/13/observe
expect "observe /3/0/13" "$code $(jv '[d["code"], d["content"][0]["path"], type(d["observation"]).__name__]')" \
  '200 ["2.05","/3/0/13","int"]'
obs=$(jv 'd["observation"]')
call GET /api/observations
expect "GET /api/observations" "$(jv 'd')" "[{\"id\":$obs,\"endpoint\":\"dev1\",\"path\":\"/3/0/13\"}]"
wait_for 50 has_events "$work/ev_all" notification dev1 && ok "event: notification" || ko "no notification"
grep -m1 '^data: .*"/3/0/13"' "$work/ev_all" | sed 's/^data: //' >"$work/body"
expect "notification fields" "$(jv '[d["path"], d["observation"], d["code"], d["content"][0]["type"]]')" \
  "[\"/3/0/13\",$obs,\"2.05\",\"time\"]"
grep -q "notification: endpoint=dev1 path=/3/0/13 obs=$obs {\"code\":\"2.05\".*\"type\":\"time\"" "$work/server.log" &&
  ok "notification logged with its content" || ko "no notification log line"
call DELETE /api/clients/dev1/3/0/13/observe
expect "cancel the observation" "$code $(jv 'd["code"]')" "200 2.05"
call GET /api/observations
expect "no observation left" "$body" "[]"
call DELETE /api/clients/dev1/3/0/13/observe
expect "cancel again: 404" "$code" 404

# ---- errors ------------------------------------------------------------------------------
call GET /api/clients/nobody/3/0
expect "unknown endpoint" "$code $body" "404 {\"error\":\"endpoint 'nobody' is not registered\"}"
call GET /api/clients/nobody
expect "unknown endpoint (show)" "$code" 404
call GET /api/clients/dev1/3/x
expect "bad path: 400" "$code" 400
call GET /api/clients/dev1/3/0/1/2/3
expect "path too deep: 400" "$code" 400
call GET /api/clients/dev1/70000
expect "id out of range: 400" "$code" 400
call GET "/api/clients/dev1/3/0?timeout=0"
expect "bad timeout: 400" "$code" 400
call GET "/api/clients/dev1/3/0?format=xml"
expect "bad format: 400" "$code" 400
call PUT /api/clients/dev1/1/1/1 -H 'Content-Type: text/plain' --data-binary 'abc'
expect "bad body: 400" "$code" 400
call PUT /api/clients/dev1/1/1/1 -H 'Content-Type: image/png' --data-binary '1'
expect "unsupported body type: 400" "$code" 400
call POST /api/clients/dev1/1/1 --data-binary ''
expect "POST on an instance: 400" "$code" 400
call PUT "/api/clients/dev1/3/0/attributes?bogus=1"
expect "bad attribute: 400" "$code" 400
call DELETE /api/clients
expect "DELETE /api/clients: 405" "$code" 405
call GET /api/nothing
expect "unknown route: 404" "$code" 404
head -c 70000 /dev/zero | tr '\0' 1 >"$work/big"
call PUT /api/clients/dev1/1/1/1 -H 'Content-Type: text/plain' --data-binary @"$work/big"
expect "body above 64 KiB: 413" "$code" 413
grep -q "api: PUT /api/clients/dev1/1/1/1 -> 413" "$work/server.log" && ok "failed calls are logged" || ko "no log of the 413"

# ---- credentials through the API -----------------------------------------------------------
call GET /api/security
expect "GET /api/security" "$(echo "$body" | tr -d '\n')" '[{"endpoint":"dev2","pskIdentity":"dev2-id"},{"endpoint":"dev3","pskIdentity":"dev3-id"}]'
call PUT /api/security/dev5 -d '{"pskIdentity":"dev5-id","pskKey":"00112233"}'
expect "PUT new credentials: 201" "$code $body" '201 {"endpoint":"dev5","pskIdentity":"dev5-id"}'
call PUT /api/security/dev5 -d '{"pskIdentity":"dev5-id","pskKey":"0011223344"}'
expect "PUT replacing credentials: 200" "$code" 200
call PUT /api/security/dev6 -d '{"pskIdentity":"dev5-id","pskKey":"00"}'
expect "PUT with a taken identity: 409" "$code" 409
call PUT /api/security/dev6 -d '{"pskIdentity":"dev6-id","pskKey":"xyz"}'
expect "PUT with a bad key: 400" "$code" 400
call PUT /api/security/dev6 -d 'not json'
expect "PUT with a bad body: 400" "$code" 400
call GET /api/security/dev5
expect "GET credentials (no key)" "$code $body" '200 {"endpoint":"dev5","pskIdentity":"dev5-id"}'
call DELETE /api/security/dev5
expect "DELETE credentials: 204" "$code" 204
call DELETE /api/security/dev5
expect "DELETE again: 404" "$code" 404
call GET /api/security/dev5
expect "GET deleted credentials: 404" "$code" 404

# ---- dev2 over DTLS PSK; dev3 has credentials but tries NoSec -----------------------------
state() { # name, uri, mode, lifetime [identity key]
  local extra=""
  [ $# -gt 4 ] && extra="{\"n\":\"0/1/3\",\"vd\":\"$(b64url "$5")\"},{\"n\":\"0/1/5\",\"vd\":\"$(b64url "$6")\"},"
  cat >"$work/$1.json" <<JSON
[{"bn":"/","n":"0/1/0","vs":"$2"},{"n":"0/1/1","vb":false},{"n":"0/1/2","v":$3},$extra
{"n":"0/1/10","v":101},{"n":"1/1/0","v":101},{"n":"1/1/1","v":$4},{"n":"1/1/6","vb":true},
{"n":"1/1/7","vs":"U"}]
JSON
}
state dev2 "coaps://127.0.0.1:$coaps" 0 300 dev2-id dev2-secret-key
start_client dev2
wait_for 150 registered dev2 && ok "dev2 registered over DTLS" || { ko "dev2 not registered"; cat "$work/dev2.log"; }
call GET /api/clients/dev2
expect "dev2 registration is secure" "$(jv '[d["secure"], d["identity"]]')" '[true,"dev2-id"]'
call GET "/api/clients/dev2/3/0/2?format=senml-json"
expect "read over DTLS" "$(jv 'd["content"][0]["value"]')" dev2
state dev3 "coap://127.0.0.1:$coap" 3 300
start_client dev3
wait_for 50 grep -q "security: registration of endpoint dev3 .* refused" "$work/server.log" \
  && ok "NoSec registration of an endpoint with credentials refused" || ko "dev3 not refused"
registered dev3 && ko "dev3 registered over NoSec" || ok "dev3 is not registered"
kill -9 "$client_pid" 2>/dev/null; wait "$client_pid" 2>/dev/null

# ---- the event stream: filter, idle CPU ----------------------------------------------------
expect "?endpoint=dev1 gets dev1's events" "$(events "$work/ev_dev1" registered dev1)" 1
expect "?endpoint=dev1 gets no dev2 event" "$(events "$work/ev_dev1" registered dev2)" 0
grep -q "^event: " "$work/ev_nobody" && ko "?endpoint=nobody got an event" || ok "?endpoint=nobody gets no event"
ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
t0=$(ticks); sleep 3; t1=$(ticks)
[ $((t1 - t0)) -lt 50 ] && ok "idle with 3 open streams: $((t1 - t0)) ticks of CPU in 3 s" \
  || ko "busy while idle: $((t1 - t0)) ticks of CPU in 3 s"

# ---- De-register, restart, kill -9: 504; expiry ------------------------------------------
kill -TERM "$dev1_pid"; wait "$dev1_pid" 2>/dev/null
wait_for 50 has_events "$work/ev_all" deregistered dev1 && ok "event: deregistered" || ko "no deregistered event"
call GET /api/clients/dev1
expect "dev1 gone after De-register" "$code" 404
start_client dev1
dev1_pid=$client_pid
wait_for 150 registered dev1 && ok "dev1 registers again from its saved state" || ko "dev1 did not register again"
wait_for 30 has_events "$work/ev_dev1" registered dev1 2 && ok "registered twice on the dev1 stream" \
  || ko "dev1 stream: $(events "$work/ev_dev1" registered dev1) registered events, expected 2"
kill -9 "$dev1_pid"; wait "$dev1_pid" 2>/dev/null
t0=$(date +%s%N)
call GET /api/clients/dev1/3/0
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
expect "killed client: 504" "$code $(jv '[d["code"], d["status"]]')" '504 [null,"TIMEOUT"]'
[ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] && ok "504 after --request-timeout 2 ($ms ms)" || ko "504 after $ms ms"
t0=$(date +%s%N)
call GET "/api/clients/dev1/3/0?timeout=1"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 504 ] && [ "$ms" -lt 1900 ] && ok "?timeout=1: 504 after $ms ms" || ko "?timeout=1: $code after $ms ms"
curl -s --max-time 1 "$api/api/clients/dev1/3/0/0?timeout=30" >/dev/null
wait_for 30 grep -q "api: GET /api/clients/dev1/3/0/0: the HTTP client went away" "$work/server.log" \
  && ok "a call whose HTTP client left is forgotten" || ko "early close not noticed"
call GET /api/clients
expect "the server still answers" "$code" 200

state dev4 "coap://127.0.0.1:$coap" 3 2
start_client dev4
wait_for 100 registered dev4 && ok "dev4 registered (lifetime 2 s)" || ko "dev4 not registered"
kill -9 "$client_pid"; wait "$client_pid" 2>/dev/null
wait_for 80 has_events "$work/ev_all" expired dev4 && ok "event: expired (lifetime + --grace)" || ko "no expired event"
call GET /api/clients/dev4
expect "dev4 gone after expiry" "$code" 404

# ---- stop ---------------------------------------------------------------------------------
kill -TERM "$server_pid"; wait "$server_pid"; rc=$?
expect "exit 0 on SIGTERM" $rc 0
wait_for 30 bash -c "! kill -0 $ev_all_pid 2>/dev/null" && ok "event streams end with the server" || ko "event stream still open"
grep -q "ERROR: AddressSanitizer\|runtime error:" "$work/server.log" && ko "sanitizer report" || ok "no sanitizer report"
echo "server_api: $pass passed, $fail failed"
[ $fail -eq 0 ]
