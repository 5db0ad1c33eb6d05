#!/usr/bin/env bash
# Black-box test of lwm2m-client's Bootstrap interface, driven by an independent CoAP peer
# (coap-client-notls from libcoap3-bin, which exits 0 even on 4.xx: judge its output), as a
# 1.0-style server-initiated bootstrap (--legacy-bootstrap); without it, refusal:
# Discover, Delete /, Write /0 (SenML JSON) and /1 (TLV), the seed's 4.06 and its recovery,
# persistence, restart, kill -9 during a write burst, option and state-file errors.
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-client
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
C() { timeout 20 coap-client-notls -U -B 5 "$@" 2>&1; }

# Starts the client on a free port (retries on a taken one). Sets $pid and $url.
start() {
  local try
  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    "$bin" -e dev-it -s "$work/state.json" -b coap://127.0.0.1:9 -p "$port" -v "$@" \
      2>>"$work/client.log" &
    pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then url="coap://127.0.0.1:$port"; return 0; fi
    wait "$pid" 2>/dev/null
    pid=""
  done
  echo "cannot start lwm2m-client" >&2
  cat "$work/client.log" >&2
  exit 1
}
stop() { kill -TERM "$pid"; wait "$pid"; local rc=$?; pid=""; return $rc; }

account0='[{"bn":"/0/1/","n":"0","vs":"coap://127.0.0.1:5690"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":101}]'
account0b='[{"bn":"/0/2/","n":"0","vs":"coap://127.0.0.1:5691"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":102}]'
server1b='[{"bn":"/1/2/","n":"0","v":102},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U"}]'
acl='[{"bn":"/2/0/","n":"0","v":3},{"n":"1","v":0},{"n":"2/101","v":1},{"n":"3","v":101}]'
printf '\xc1\x00\x65\xc2\x01\x01\x2c\xc1\x06\x01\xc1\x07U' >"$work/server1.tlv"

# --- a single-server client without Access Control: the seed's example ---------------------
# Without --legacy-bootstrap, commands that no Bootstrap-Request asked for are refused.
start --single-server --no-acl
out=$(C -m delete "$url/"); case "$out" in *5.03*) ok ;; *) ko "unrequested Delete /: '$out'" ;; esac
out=$(C -m put -t 110 -e "$account0" "$url/0/1"); case "$out" in *5.03*) ok ;; *) ko "unrequested Write: '$out'" ;; esac
stop || ko "SIGTERM exit status"
[ ! -e "$work/state.json" ] && ok || ko "unrequested commands changed the state"

start --single-server --no-acl --legacy-bootstrap
out=$(C -m get -A 40 "$url/")
# --no-acl: the client implements no Access Control object, so Discover lists no /2.
[ "$out" = '</>;lwm2m=1.1,</0>;ver=1.1,</0/0>,</1>;ver=1.1,</3>;ver=1.1,</3/0>' ] \
  && ok || ko "Discover /: '$out'"
out=$(C -m delete "$url/"); [ -z "$out" ] && ok || ko "Delete /: '$out'"
out=$(C -m put -t 110 -e "$account0" "$url/0/1"); [ -z "$out" ] && ok || ko "Write /0/1 SenML JSON: '$out'"
out=$(C -m put -t 11542 -f "$work/server1.tlv" "$url/1/1"); [ -z "$out" ] && ok || ko "Write /1/1 TLV: '$out'"
C -m put -t 110 -e "$account0b" "$url/0/2" >/dev/null
C -m put -t 110 -e "$server1b" "$url/1/2" >/dev/null
C -m put -t 110 -e "$acl" "$url/2/0" >/dev/null
# Multi-server + ACL into this client: Finish must be refused with 4.06 and the rule.
out=$(C -m post "$url/bs")
case "$out" in *4.06*) ok ;; *) ko "Finish of the seed's configuration: '$out'" ;; esac
grep -q "POST /bs -> 4.06: too-many-servers" "$work/client.log" && ok || ko "4.06 not logged with its rule"
[ ! -e "$work/state.json" ] && ok || ko "a refused configuration was saved"
# The Bootstrap Server's corrective action: delete what it wrote, write one account, Finish.
C -m delete "$url/0/2" >/dev/null
C -m delete "$url/1/2" >/dev/null
C -m delete "$url/2" >/dev/null
out=$(C -m post "$url/bs"); [ -z "$out" ] && ok || ko "Finish after recovery: '$out'"
grep -q "finished, 1 server account(s)" "$work/client.log" && ok || ko "no finish log line"
if grep -q '"n":"1/1/0","v":101' "$work/state.json" && ! grep -q '"0/2/' "$work/state.json" \
   && ! grep -q '"2/0/' "$work/state.json" && grep -q '"0/0/1","vb":true' "$work/state.json"; then ok; else
  ko "state file content: $(cat "$work/state.json")"; fi
# Bootstrap-Read /1 answers in SenML JSON; /3 is not readable during bootstrap.
out=$(C -m get "$url/1")
case "$out" in '[{"bn":"/1/","n":"1/0","v":101}'*) ok ;; *) ko "Bootstrap-Read /1: '$out'" ;; esac
C -m post "$url/bs" >/dev/null
out=$(C -m get "$url/3"); case "$out" in *4.05*) ok ;; *) ko "Read /3: '$out'" ;; esac
out=$(C -m put -t 40 -e '</1>' "$url/1/1"); case "$out" in *4.15*) ok ;; *) ko "Write in link format: '$out'" ;; esac
stop && ok || ko "SIGTERM exit status"
grep -q "signal 15: stopping" "$work/client.log" && ok || ko "no stop log line"

# --- restart: the saved configuration is used --------------------------------------------------
cp "$work/state.json" "$work/good.json"
start --single-server --no-acl --legacy-bootstrap
grep -q "configuration loaded from $work/state.json: 1 server account(s)" "$work/client.log" && ok \
  || ko "restart did not load the state file"
# --- kill -9 during a Bootstrap-Write burst: the file stays the last good configuration -------
( for i in $(seq 1 30); do C -m put -t 110 -e "$account0b" "$url/0/2" >/dev/null; done ) &
burst=$!
sleep 0.3
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
wait "$burst" 2>/dev/null
cmp -s "$work/state.json" "$work/good.json" && ok || ko "state file changed by an unfinished bootstrap"
ls "$work"/state.json.tmp* >/dev/null 2>&1 && ko "temporary file left" || ok

# --- errors ---------------------------------------------------------------------------------
"$bin" -e x </dev/null >/dev/null 2>"$work/err"; [ $? -eq 2 ] && grep -q -- "--state" "$work/err" && ok || ko "missing --state"
"$bin" -e 'a b' -s "$work/s" >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "bad endpoint accepted"
"$bin" -e x -s "$work/s" --lwm2m-version 2.0 >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "bad version accepted"
echo '[{"bn":"/1/0/","n":"1","v":' >"$work/broken.json"
"$bin" -e x -s "$work/broken.json" -p 1 >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 1 ] && grep -q "unreadable state file: $work/broken.json: byte" "$work/err" && ok || ko "broken state file: rc=$rc $(cat "$work/err")"
"$bin" --help | grep -q -- "--single-server" && ok || ko "--help"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
