#!/usr/bin/env bash
# The Registration interface of lwm2m-server on 127.0.0.1: an independent client made of
# hand-built frames (rd_client_peer.py) sends malformed and well-formed Register, Update and
# De-register requests (4.00/4.04/4.05/4.15 with diagnostics, replace, Update of lifetime and
# objects); LwM2M 1.0 and 1.2 lwm2m-client processes, bootstrapped by lwm2m-bs-server, register
# and are read and written in the format each announced (TLV for 1.0, LwM2M CBOR for 1.2).
set -u
bin=${LWM2M_BIN_DIR:?}
src=${LWM2M_SOURCE_DIR:?}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
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
# get PATH: the API's JSON answer; field EXPR: a Python expression over it as `d`.
get() { curl -s "$api$1"; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v,separators=(",",":")))' "$1" "$2" 2>/dev/null; }
expect() { # what, got, want
  [ "$2" == "$3" ] && ok || ko "$1: got '$2', expected '$3'"
}

"$bin/lwm2m-server" --listen 127.0.0.1:0 --http 127.0.0.1:0 --store "sqlite:$work/server.db" \
  --request-timeout 5 2>"$work/server.log" &
pids+=($!)
wait_for 50 grep -q "listening: " "$work/server.log" || { cat "$work/server.log"; exit 1; }
coap=$(sed -n 's/.*listening: coap=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")
api=http://127.0.0.1:$(sed -n 's/.*http=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")

# 1. Malformed and well-formed requests from an independent client.
python3 "$src/tests/integration/rd_client_peer.py" "$coap" raw1 >"$work/peer.out" 2>&1 && ok ||
  ko "rd_client_peer: $(grep -v '^ok' "$work/peer.out")"
id=$(sed -n 's/^registered //p' "$work/peer.out")
reg=$(get /api/clients/raw1)
expect "raw1 id" "$(field "$reg" 'd["id"]')" "$id"
expect "raw1 lifetime after Update" "$(field "$reg" 'd["lifetime"]')" 120
expect "raw1 objects after Update" "$(field "$reg" 'd["objects"]')" '["/1/1","/3/0","/5/0"]'
expect "raw1 version" "$(field "$reg" 'd["version"]')" 1.1
for cause in "refused (4.00): missing endpoint name (ep)" "refused (4.00): bad lifetime 'abc'" \
  "refused (4.15): payload Content-Format 110 is not link format (40)" \
  "refused (4.00): malformed links at byte 6"; do
  grep -qF -- "$cause" "$work/server.log" && ok || ko "no log line naming '$cause'"
done
expect "one registration of raw1 after the replace" \
  "$(grep -c 'event=registered endpoint=raw1 ' "$work/server.log")" 3
grep -q "event=deregistered endpoint=raw1 " "$work/server.log" && ok || ko "no deregistered line"

# 2. LwM2M 1.0 and 1.2 clients, bootstrapped by lwm2m-bs-server.
account="\"0\":{\"1\":{\"0\":\"coap://127.0.0.1:$coap\",\"1\":false,\"2\":3,\"10\":101}}"
server="\"1\":{\"1\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}"
for ep in dev10 dev12; do
  echo "{\"endpoint\":\"$ep\",\"delete\":[\"/0\",\"/1\"],\"objects\":{$account,$server}}" |
    "$bin/lwm2m-bs-server" config add --store "sqlite:$work/bs.db" - 2>>"$work/config.log" && ok ||
    ko "config add $ep: $(cat "$work/config.log")"
done
"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --store "sqlite:$work/bs.db" 2>"$work/bs.log" &
pids+=($!)
wait_for 50 grep -q "serving coap port" "$work/bs.log" || { cat "$work/bs.log"; exit 1; }
bs=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")
"$bin/lwm2m-client" -e dev10 -s "$work/dev10.state" -p 0 --lwm2m-version 1.0 \
  -b "coap://127.0.0.1:$bs" 2>"$work/dev10.log" &
pids+=($!)
"$bin/lwm2m-client" -e dev12 -s "$work/dev12.state" -p 0 --lwm2m-version 1.2 \
  -b "coap://127.0.0.1:$bs" 2>"$work/dev12.log" &
pids+=($!)
registered() { [ "$(field "$(get "/api/clients/$1")" 'd["endpoint"]')" = "$1" ]; }
for ep in dev10 dev12; do
  wait_for 150 registered "$ep" && ok || ko "$ep did not register: $(tail -3 "$work/$ep.log")"
done
grep -q "session: endpoint=dev10 .*outcome=success .*query=ep=dev10$" "$work/bs.log" && ok ||
  ko "dev10: no successful 1.0 bootstrap (no pct in its request): $(grep dev10 "$work/bs.log")"

reg=$(get /api/clients/dev10)
expect "dev10 version" "$(field "$reg" 'd["version"]')" 1.0
expect "dev10 formats (1.0 announces none)" "$(field "$reg" 'd["formats"]')" "[]"
read10=$(get /api/clients/dev10/3/0)
expect "dev10 Read /3/0 code" "$(field "$read10" 'd["code"]')" 2.05
expect "dev10 Read /3/0 format (negotiated)" "$(field "$read10" 'd["format"]')" tlv
expect "dev10 /3/0/0" "$(field "$read10" '[r["value"] for r in d["content"] if r["path"]=="/3/0/0"][0]')" lwm2m-bootstrap
w=$(curl -s -X PUT -H 'Content-Type: text/plain' --data 90 "$api/api/clients/dev10/1/1/1")
expect "dev10 Write /1/1/1 (TLV)" "$(field "$w" 'd["code"]')" 2.04
expect "dev10 /1/1/1 read back" "$(field "$(get /api/clients/dev10/1/1/1)" 'd["content"][0]["value"]')" 90

reg=$(get /api/clients/dev12)
expect "dev12 version" "$(field "$reg" 'd["version"]')" 1.2
expect "dev12 announces LwM2M CBOR" "$(field "$reg" '11544 in d["formats"]')" true
read12=$(get /api/clients/dev12/3/0)
expect "dev12 Read /3/0 format (negotiated)" "$(field "$read12" 'd["format"]')" cbor
expect "dev12 /3/0/2" "$(field "$read12" '[r["value"] for r in d["content"] if r["path"]=="/3/0/2"][0]')" dev12
w=$(curl -s -X PATCH -H 'Content-Type: application/senml+json' \
  --data '[{"bn":"/1/1/","n":"1","v":75},{"n":"6","vb":false}]' "$api/api/clients/dev12/1/1")
expect "dev12 Write-Update /1/1 (LwM2M CBOR)" "$(field "$w" 'd["code"]')" 2.04
r=$(get /api/clients/dev12/1/1)
expect "dev12 /1/1/1 read back" "$(field "$r" '[x["value"] for x in d["content"] if x["path"]=="/1/1/1"][0]')" 75
expect "dev12 /1/1/6 read back" "$(field "$r" '[x["value"] for x in d["content"] if x["path"]=="/1/1/6"][0]')" false
expect "dev12 Read as TLV on request" "$(field "$(get '/api/clients/dev12/3/0?format=tlv')" 'd["format"]')" tlv

# 3. De-register on SIGTERM.
kill -TERM "${pids[2]}" "${pids[3]}"
wait "${pids[2]}" "${pids[3]}" 2>/dev/null
for ep in dev10 dev12; do
  wait_for 30 grep -q "event=deregistered endpoint=$ep " "$work/server.log" && ok || ko "$ep did not de-register"
done
expect "registrations left" "$(field "$(get /api/clients)" '[r["endpoint"] for r in d]')" '["raw1"]'

echo "server_registration: $pass passed, $fail failed"
[ "$fail" = 0 ]
