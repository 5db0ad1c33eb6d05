#!/usr/bin/env bash
# The Bootstrap Server's HTTP JSON API as a black box: `lwm2m-bs-server --http` is started on
# a fresh store and every route is exercised with curl (status codes, JSON bodies, content
# type), including 400, 404, 405, 409 and 413; then SIGTERM must stop it with status 0.
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-bs-server
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# Start the server on random ports; retry when a port happens to be taken.
pid='' base=''
for _ in 1 2 3 4 5; do
  http_port=$((20000 + RANDOM % 40000))
  coap_port=$((20000 + RANDOM % 40000))
  "$bin" --listen "127.0.0.1:$coap_port" --http "127.0.0.1:$http_port" \
    --store "sqlite:$work/bs.db" 2>"$work/server.log" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$http_port/api/bootstrap" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if curl -s -o /dev/null "http://127.0.0.1:$http_port/api/bootstrap"; then
    base="http://127.0.0.1:$http_port"
    break
  fi
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done
if [ -z "$base" ]; then
  echo "FAIL: the server did not answer on its HTTP port" >&2; cat "$work/server.log" >&2
  echo "bs_http_api: 0 passed, 1 failed"
  exit 1
fi

# req NAME EXPECTED-STATUS METHOD PATH [curl args...]: the body goes to $work/body; checks
# the status and that every response is application/json.
req() {
  local name=$1 want=$2 method=$3 path=$4
  shift 4
  local got
  got=$(curl -s -o "$work/body" -w '%{http_code} %{content_type}' -X "$method" "$@" "$base$path")
  code=${got%% *}
  ctype=${got#* }
  if [ "$code" = "$want" ]; then ok; else ko "$name: $method $path -> $code, expected $want: $(head -c 300 "$work/body")"; fi
  case "$ctype" in application/json*) ok ;; *) ko "$name: content type '$ctype'" ;; esac
}
# check NAME PYTHON-EXPR: d is the last body parsed as JSON.
check() {
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$work/body" 2>/dev/null; then
    ok
  else
    ko "$1: body fails $2: $(head -c 300 "$work/body")"
  fi
}
error_has() { # NAME TEXT: the body is {"error": "...TEXT..."}
  check "$1" "isinstance(d.get('error'), str) and $(python3 -c 'import sys; print(repr(sys.argv[1]))' "$2") in d['error']"
}

cat >"$work/ep1.json" <<'EOF'
{"endpoint": "ep1", "psk": {"identity": "ep1-id", "key": "000102030405060708090a0b0c0d0e0f"},
 "delete": ["/0", "/1"],
 "objects": {"0": {"1": {"0": "coap://127.0.0.1:5683", "1": false, "2": 3, "10": 101}},
             "1": {"0": {"0": 101, "1": 300, "6": false, "7": "U"}}}}
EOF
# The same configuration without a name: the URL gives it.
cat >"$work/anon.json" <<'EOF'
{"objects": {"0": {"1": {"0": "coap://127.0.0.1:5683", "1": false, "2": 3, "10": 101}},
             "1": {"0": {"0": 101, "1": 300, "6": false, "7": "U"}}}}
EOF
cat >"$work/seed.json" <<'EOF'
{"endpoint": "seed", "capabilities": {"maxServers": 1, "accessControl": false},
 "objects": {"0": {"1": {"0": "coap://a.example:5683", "1": false, "2": 3, "10": 101},
                   "2": {"0": "coap://b.example:5683", "1": false, "2": 3, "10": 102}},
             "1": {"0": {"0": 101, "1": 300, "6": false, "7": "U"},
                   "1": {"0": 102, "1": 300, "6": false, "7": "U"}},
             "2": {"0": {"0": 1, "1": 0, "2": {"101": 15}, "3": 101}}}}
EOF
cat >"$work/fleet.json" <<'EOF'
{"template": "fleet", "match": "dev-*",
 "objects": {"0": {"1": {"0": "coap://${endpoint}.example:5683", "1": false, "2": 3, "10": 9}},
             "1": {"0": {"0": 9, "1": 60, "6": false, "7": "U"}}}}
EOF

# --- endpoints ---------------------------------------------------------------------------
req "empty list" 200 GET /api/bootstrap; check "empty list" 'd == []'
req "create" 201 PUT /api/bootstrap/ep1 --data-binary @"$work/ep1.json"
check "create returns the document" 'd["endpoint"] == "ep1" and d["psk"]["identity"] == "ep1-id"'
req "replace" 200 PUT /api/bootstrap/ep1 --data-binary @"$work/ep1.json"
req "get" 200 GET /api/bootstrap/ep1
check "get" 'd["endpoint"] == "ep1" and d["objects"]["0"]["1"]["0"] == "coap://127.0.0.1:5683"'
req "POST without a name in the body" 201 POST /api/bootstrap/ep2 --data-binary @"$work/anon.json"
check "name from the URL" 'd["endpoint"] == "ep2"'
req "list" 200 GET /api/bootstrap; check "list" 'd == ["ep1", "ep2"]'
req "body names another endpoint" 400 PUT /api/bootstrap/other --data-binary @"$work/ep1.json"
error_has "name mismatch" "differs"
req "inconsistent" 400 PUT /api/bootstrap/seed --data-binary @"$work/seed.json"
error_has "inconsistent" "plan 0: too-many-servers"
req "inconsistent not stored" 404 GET /api/bootstrap/seed
req "malformed JSON" 400 PUT /api/bootstrap/x --data-binary '{"objects": '
error_has "malformed JSON" "invalid JSON"
req "empty body" 400 PUT /api/bootstrap/x
req "not an object" 400 PUT /api/bootstrap/x --data-binary '[1, 2]'
req "unknown endpoint" 404 GET /api/bootstrap/nope; error_has "unknown endpoint" "nope"
python3 - "$work/ep1.json" >"$work/clash.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); d["endpoint"] = "clash"; print(json.dumps(d))
EOF
req "PSK identity of another endpoint" 409 PUT /api/bootstrap/clash --data-binary @"$work/clash.json"
error_has "identity clash" "ep1-id"
# A name with '/' and a space: percent-decoded, %2F stays inside the name.
req "encoded name" 201 PUT "/api/bootstrap/a%2Fb%20c" --data-binary @"$work/anon.json"
check "encoded name decoded" 'd["endpoint"] == "a/b c"'
req "encoded name listed" 200 GET /api/bootstrap; check "encoded name listed" '"a/b c" in d'
req "get encoded" 200 GET "/api/bootstrap/a%2Fb%20c"
req "delete" 204 DELETE "/api/bootstrap/a%2Fb%20c"
req "delete again" 404 DELETE "/api/bootstrap/a%2Fb%20c"
req "bad escape" 400 GET "/api/bootstrap/a%zz"
req "%00" 400 GET "/api/bootstrap/a%00b"
req "deeper path" 404 GET /api/bootstrap/ep1/extra
req "PATCH" 405 PATCH /api/bootstrap/ep1
req "DELETE the collection" 405 DELETE /api/bootstrap

# --- templates and resolve ---------------------------------------------------------------
req "template list empty" 200 GET /api/templates; check "template list empty" 'd == []'
req "create template" 201 PUT /api/templates/fleet --data-binary @"$work/fleet.json"
check "template stored" 'd["template"] == "fleet" and d["match"] == "dev-*"'
req "replace template" 200 POST /api/templates/fleet --data-binary @"$work/fleet.json"
req "template list" 200 GET /api/templates; check "template list" 'd == [{"name": "fleet", "match": "dev-*"}]'
req "get template" 200 GET /api/templates/fleet
req "template name mismatch" 400 PUT /api/templates/other --data-binary @"$work/fleet.json"
req "endpoint under templates" 400 PUT /api/templates/ep1 --data-binary @"$work/ep1.json"
req "resolve by match" 200 GET /api/resolve/dev-7
check "resolve by match" 'd["endpoint"] == "dev-7" and d["objects"]["0"]["1"]["0"] == "coap://dev-7.example:5683"'
req "resolve own document" 200 GET /api/resolve/ep1; check "resolve ep1" 'd["endpoint"] == "ep1"'
req "resolve unknown" 404 GET /api/resolve/nobody
req "unknown template" 404 GET /api/templates/nope
req "delete template" 204 DELETE /api/templates/fleet
req "delete template again" 404 DELETE /api/templates/fleet
req "resolve after template removal" 404 GET /api/resolve/dev-7

# --- validate, import, export ------------------------------------------------------------
req "validate valid" 200 POST /api/validate --data-binary @"$work/ep1.json"; check "valid" 'd == {"valid": True}'
req "validate inconsistent" 400 POST /api/validate --data-binary @"$work/seed.json"
check "validate inconsistent" 'd["valid"] is False and "too-many-servers" in d["error"]'
req "validate with GET" 405 GET /api/validate
python3 - "$work/anon.json" >"$work/batch.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps([dict(d, endpoint="imp-%d" % i) for i in range(3)]))
EOF
req "import" 200 POST /api/import --data-binary @"$work/batch.json"; check "import" 'd == {"imported": 3}'
python3 - "$work/anon.json" "$work/seed.json" >"$work/mixed.json" <<'EOF'
import json, sys
print(json.dumps([dict(json.load(open(sys.argv[1])), endpoint="mixed-ok"), json.load(open(sys.argv[2]))]))
EOF
req "import with an inconsistent document" 400 POST /api/import --data-binary @"$work/mixed.json"
error_has "import names the endpoint" "seed"
req "failed import stored nothing" 404 GET /api/bootstrap/mixed-ok
cat >"$work/leshan.json" <<'EOF'
{"lesh-1": {"toDelete": ["/0", "/1"],
            "servers": {"0": {"shortId": 123, "lifetime": 20, "defaultMinPeriod": 1,
                              "notifIfDisabled": true, "binding": "U"}},
            "security": {"0": {"uri": "coap://127.0.0.1:5683", "bootstrapServer": false,
                               "securityMode": "NO_SEC", "publicKeyOrId": [],
                               "serverPublicKey": [], "secretKey": [], "serverId": 123,
                               "clientOldOffTime": 1, "bootstrapServerAccountTimeout": 0}},
            "acls": {}, "autoIdForSecurityObject": false}}
EOF
req "import leshan" 200 POST "/api/import?format=leshan" --data-binary @"$work/leshan.json"
check "import leshan" 'd == {"imported": 1}'
req "leshan endpoint" 200 GET /api/bootstrap/lesh-1; check "leshan endpoint" 'd["objects"]["1"]["0"]["0"] == 123'
req "import unknown format" 400 POST "/api/import?format=xml" --data-binary @"$work/batch.json"
req "export" 200 GET /api/export
check "export" 'sorted(x["endpoint"] for x in d) == ["ep1", "ep2", "imp-0", "imp-1", "imp-2", "lesh-1"]'
cp "$work/body" "$work/export.json"
for ep in ep1 ep2 imp-0 imp-1 imp-2 lesh-1; do req "delete $ep" 204 DELETE "/api/bootstrap/$ep"; done
req "import the export" 200 POST /api/import --data-binary @"$work/export.json"; check "re-import" 'd == {"imported": 6}'
req "export again" 200 GET /api/export
cmp -s "$work/body" "$work/export.json" && ok || ko "export after re-import differs"

# --- stats and trigger -------------------------------------------------------------------
req "stats" 200 GET /api/stats; check "stats is an object" 'isinstance(d, dict)'
req "trigger without fields" 400 POST /api/trigger --data-binary '{}'
req "trigger malformed" 400 POST /api/trigger --data-binary 'nope'
req "trigger unknown endpoint" 400 POST /api/trigger --data-binary '{"endpoint": "nobody", "address": "127.0.0.1:9"}'
# ep2 has no PSK: a server-initiated bootstrap runs over NoSec only.
req "trigger" 202 POST /api/trigger --data-binary "{\"endpoint\": \"ep2\", \"address\": \"127.0.0.1:$((coap_port + 1))\"}"
req "trigger with GET" 405 GET /api/trigger

# --- limits and unknown routes -----------------------------------------------------------
head -c 1100000 /dev/zero | tr '\0' ' ' >"$work/big.json"
req "body above 1 MiB" 413 PUT /api/bootstrap/big --data-binary @"$work/big.json"
req "chunked body above 1 MiB" 413 PUT /api/bootstrap/big -H 'Transfer-Encoding: chunked' --data-binary @"$work/big.json"
req "import above 1 MiB" 413 POST /api/import --data-binary @"$work/big.json"
req "unknown route" 404 GET /api/nothing
req "outside /api" 404 GET /
req "still serving" 200 GET /api/bootstrap/ep1

# --- stop --------------------------------------------------------------------------------
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  ko "still running 5 s after SIGTERM"
else
  wait "$pid"; status=$?
  [ "$status" -eq 0 ] && ok || { ko "exit status $status after SIGTERM"; cat "$work/server.log" >&2; }
fi

echo "bs_http_api: $pass passed, $fail failed"
[ $fail -eq 0 ]
