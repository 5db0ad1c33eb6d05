#!/usr/bin/env bash
# `lwm2m-bs-server config ...` as a black box: add (valid, and the seed's inconsistent case),
# show, list, remove, validate, templates and resolve, export -> remove all -> import ->
# identical export, Leshan import, all-or-nothing import, exit codes (0 ok, 1 failed,
# 2 usage, 3 not found), and kill -9 during the import of 3000 endpoints: afterwards the
# store holds the old set or the complete new one, never part of it.
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-bs-server
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

db="$work/bs.db"
# run ARGS...: runs `config --store sqlite:$db ARGS`; sets rc, out (stdout), err (stderr).
run() {
  "$bin" config --store "sqlite:$db" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
# expect NAME RC: the last run exited with RC.
expect() {
  if [ "$rc" -eq "$2" ]; then ok; else ko "$1: exit $rc, expected $2 (stderr: $err)"; fi
}
# json_check NAME PYTHON-EXPR: evaluates EXPR with d = the last stdout parsed as JSON.
json_check() {
  if printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" 2>/dev/null; then
    ok
  else
    ko "$1: stdout fails $2: $(printf '%s' "$out" | head -c 400)"
  fi
}
contains() { # NAME HAYSTACK NEEDLE
  case "$2" in *"$3"*) ok ;; *) ko "$1: '$3' not in: $(printf '%s' "$2" | head -c 400)" ;; esac
}

cat >"$work/ep1.json" <<'EOF'
{"endpoint": "ep1", "psk": {"identity": "ep1-id", "key": "000102030405060708090a0b0c0d0e0f"},
 "delete": ["/0", "/1"],
 "objects": {"0": {"1": {"0": "coap://127.0.0.1:5683", "1": false, "2": 3, "10": 101}},
             "1": {"0": {"0": 101, "1": 300, "6": false, "7": "U"}}}}
EOF
# The seed's case: two LwM2M Servers and Access Control for a single-server client
# without Access Control.
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
 "objects": {"0": {"1": {"0": "coap://${host}:5683", "1": false, "2": 3, "10": 101}},
             "1": {"0": {"0": 101, "1": 300, "6": false, "7": "U"}}}}
EOF
# Uses the template with its own variable; resolving a dev-* endpoint without a document
# of its own fails for want of ${host}; the "plain" template serves other-*.
echo '{"endpoint": "dev-1", "template": "fleet", "vars": {"host": "10.0.0.7"}}' >"$work/dev1.json"
cat >"$work/plain.json" <<'EOF'
{"template": "plain", "match": "other-*",
 "objects": {"0": {"1": {"0": "coap://${endpoint}.example:5683", "1": false, "2": 3, "10": 7}},
             "1": {"0": {"0": 7, "1": 60, "6": false, "7": "U"}}}}
EOF

# --- help and usage errors ---------------------------------------------------------------
run --help; expect "config --help" 0; contains "config --help" "$out" "Usage:"
contains "config --help lists exit codes" "$out" "3 NAME not found"
for c in add show list remove validate import export resolve; do
  run "$c" --help; expect "config $c --help" 0; contains "config $c --help" "$out" "Usage:"
done
[ ! -e "$db" ] && ok || ko "--help created the store"
for args in "" "bogus" "add" "add a b" "show" "list extra" "remove" "--bogus list" \
  "list --bogus" "add --leshan $work/ep1.json" "add --template $work/ep1.json" "list --store"; do
  # shellcheck disable=SC2086
  run $args; expect "usage error '$args'" 2
  [ -z "$out" ] && ok || ko "usage error '$args' wrote to stdout"
done

# --- add, show, list ---------------------------------------------------------------------
run add "$work/ep1.json"; expect "add valid" 0
[ -z "$out" ] && ok || ko "add wrote to stdout: $out"
[ -s "$db" ] && ok || ko "store file $db not created"
run add "$work/seed.json"; expect "add inconsistent" 1
contains "add inconsistent: rule on stderr" "$err" "config add: plan 0: too-many-servers"
run show seed; expect "inconsistent document not stored" 3
run show ep1; expect "show" 0
json_check "show ep1" 'd["endpoint"] == "ep1" and d["objects"]["1"]["0"]["1"] == 300'
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && ok || ko "show: not one line"
run list; expect "list" 0; json_check "list" 'd == ["ep1"]'
echo '{"endpoint": "ep1", "objects": ' >"$work/bad.json"
run add "$work/bad.json"; expect "add malformed JSON" 1; contains "add malformed" "$err" "invalid JSON"
run add "$work/missing.json"; expect "add missing file" 1
run add - <"$work/ep1.json"; expect "add from stdin (replace)" 0
echo '{"endpoint": "ep2", "psk": {"identity": "ep1-id", "key": "00"}, "objects": {"0": {"1": {"0": "coap://h:5683", "1": false, "2": 3, "10": 1}}, "1": {"0": {"0": 1, "1": 60, "6": false, "7": "U"}}}}' >"$work/ep2.json"
run add "$work/ep2.json"; expect "add with another endpoint's PSK identity" 1
contains "identity clash" "$err" "ep1-id"

# --- not found ---------------------------------------------------------------------------
run show nope; expect "show unknown" 3; contains "show unknown" "$err" "no endpoint 'nope'"
run remove nope; expect "remove unknown" 3
run show --template nope; expect "show unknown template" 3
run resolve nope; expect "resolve unknown" 3

# --- validate ----------------------------------------------------------------------------
run validate "$work/ep1.json"; expect "validate valid" 0
run validate - <"$work/seed.json"; expect "validate inconsistent" 1
contains "validate inconsistent" "$err" "too-many-servers"
"$bin" config --store "sqlite:$work/none.db" validate "$work/ep1.json" 2>/dev/null
[ ! -e "$work/none.db" ] && ok || ko "validate opened (created) a store"
# RPK key material is checked as the client's Bootstrap-Finish check does: a certificate
# where Security Mode 1 wants a SubjectPublicKeyInfo is refused at the door, naming /0/1/3.
src=${LWM2M_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if "$src/scripts/mkcreds.sh" "$work/creds" cert dev-rpk >/dev/null 2>&1; then
  hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
  rpk_doc() { # ENDPOINT OWN-KEY-FILE: an RPK account whose /0/1/3 is that file
    echo "{\"endpoint\": \"$1\", \"objects\": {\"0\": {\"1\": {\"0\": \"coaps://127.0.0.1:5684\",
      \"1\": false, \"2\": 1, \"3\": {\"hex\": \"$(hex "$2")\"},
      \"4\": {\"hex\": \"$(hex "$work/creds/ca.pub.der")\"},
      \"5\": {\"hex\": \"$(hex "$work/creds/dev-rpk.key.der")\"}, \"10\": 101}},
      \"1\": {\"0\": {\"0\": 101, \"1\": 300, \"6\": false, \"7\": \"U\"}}}}"
  }
  rpk_doc rpk-ok "$work/creds/dev-rpk.pub.der" >"$work/rpk-ok.json"
  run validate "$work/rpk-ok.json"; expect "validate a valid RPK account" 0
  rpk_doc rpk-bad "$work/creds/dev-rpk.crt.der" >"$work/rpk-bad.json"
  run add "$work/rpk-bad.json"; expect "add an RPK account with a certificate for its key" 1
  contains "bad RPK key: resource named" "$err" \
    "config add: plan 0: bad-key-material: /0/1/3: not a SubjectPublicKeyInfo (RPK mode)"
  run show rpk-bad; expect "bad RPK account not stored" 3
else
  ko "scripts/mkcreds.sh failed (openssl missing?)"
fi

# --- templates and resolve ---------------------------------------------------------------
run add "$work/fleet.json"; expect "add template" 0
run add "$work/plain.json"; expect "add second template" 0
run add "$work/dev1.json"; expect "add endpoint using a template" 0
run list --template; expect "list --template" 0
json_check "list --template" 'd == [{"name": "fleet", "match": "dev-*"}, {"name": "plain", "match": "other-*"}]'
run show --template fleet; expect "show --template" 0; json_check "show template" 'd["template"] == "fleet"'
run resolve dev-1; expect "resolve via vars" 0
json_check "resolve dev-1" 'd["endpoint"] == "dev-1" and d["objects"]["0"]["1"]["0"] == "coap://10.0.0.7:5683"'
run resolve other-42; expect "resolve via match" 0
json_check "resolve other-42" 'd["objects"]["0"]["1"]["0"] == "coap://other-42.example:5683"'
run resolve dev-2; expect "resolve with a missing variable" 1; contains "resolve dev-2" "$err" "host"

# --- export, remove everything, import, same export --------------------------------------
run export; expect "export" 0; exported=$out
json_check "export: templates first" '[x.get("template") for x in d[:2]] == ["fleet", "plain"] and len(d) == 4'
run export "$work/export.json"; expect "export FILE" 0
[ "$(cat "$work/export.json")" = "$exported" ] && ok || ko "export FILE differs from stdout"
run export -; expect "export -" 0; [ "$out" = "$exported" ] && ok || ko "export - differs"
for ep in $(printf '%s' "$exported" | python3 -c 'import json,sys; print(" ".join(x["endpoint"] for x in json.load(sys.stdin) if "endpoint" in x))'); do
  run remove "$ep"; expect "remove $ep" 0
done
run remove --template fleet; expect "remove template" 0
run remove --template plain; expect "remove template" 0
run export; expect "export empty" 0; json_check "export empty" 'd == []'
run import "$work/export.json"; expect "import the export" 0
contains "import count" "$err" "4 document(s) stored"
run export; expect "export again" 0
[ "$out" = "$exported" ] && ok || ko "export after import differs"
run import "$work/ep1.json"; expect "import one document" 0

# --- all or nothing ----------------------------------------------------------------------
python3 - "$work/ep1.json" "$work/seed.json" >"$work/mixed.json" <<'EOF'
import json, sys
good = json.load(open(sys.argv[1])); good["endpoint"] = "mixed-good"
good["psk"]["identity"] = "mixed-id"
print(json.dumps([good, json.load(open(sys.argv[2]))]))
EOF
run import "$work/mixed.json"; expect "import with one inconsistent document" 1
contains "import names the failing endpoint" "$err" "endpoint 'seed'"
contains "import gives the rule" "$err" "too-many-servers"
run show mixed-good; expect "nothing of a failed import stored" 3
printf '[%s, %s]' "$(cat "$work/ep1.json")" "$(cat "$work/ep1.json")" >"$work/twice.json"
run import "$work/twice.json"; expect "import with a name twice" 1
echo '"text"' >"$work/str.json"
run import "$work/str.json"; expect "import of a non-document" 1

# --- Leshan import -----------------------------------------------------------------------
cat >"$work/leshan.json" <<'EOF'
{
  "lesh-1": {
    "toDelete": ["/0", "/1"],
    "servers": {"0": {"shortId": 123, "lifetime": 20, "defaultMinPeriod": 1,
                      "notifIfDisabled": true, "binding": "U"}},
    "security": {
      "0": {"uri": "coap://127.0.0.1:5683", "bootstrapServer": false, "securityMode": "NO_SEC",
            "publicKeyOrId": [], "serverPublicKey": [], "secretKey": [],
            "serverId": 123, "clientOldOffTime": 1, "bootstrapServerAccountTimeout": 0},
      "1": {"uri": "coap://127.0.0.1:5783", "bootstrapServer": true, "securityMode": "NO_SEC",
            "publicKeyOrId": [], "serverPublicKey": [], "secretKey": [],
            "serverId": 0, "clientOldOffTime": 1, "bootstrapServerAccountTimeout": 0}
    },
    "acls": {},
    "autoIdForSecurityObject": false
  },
  "lesh-2": {
    "toDelete": ["/"],
    "servers": {"0": {"shortId": 7, "lifetime": 300, "defaultMinPeriod": 1,
                      "notifIfDisabled": true, "binding": "U"}},
    "security": {
      "0": {"uri": "coaps://127.0.0.1:5684", "bootstrapServer": false, "securityMode": "PSK",
            "publicKeyOrId": [108, 101, 115, 104], "serverPublicKey": [],
            "secretKey": [1, 2, 3, -1], "serverId": 7, "clientOldOffTime": 1,
            "bootstrapServerAccountTimeout": 0}
    },
    "autoIdForSecurityObject": true
  }
}
EOF
run import --leshan "$work/leshan.json"; expect "import --leshan" 0
run show lesh-1; expect "show a Leshan endpoint" 0
json_check "lesh-1 converted" 'd["objects"]["0"]["0"]["0"] == "coap://127.0.0.1:5683" and d["objects"]["1"]["0"]["0"] == 123 and d["delete"] == ["/0", "/1"]'
run show lesh-2; expect "show a Leshan PSK endpoint" 0
json_check "lesh-2 converted" 'd["objects"]["0"]["0"]["2"] == 0 and d["autoIdForSecurityObject"] is True'
echo '{"lesh-3": {"servers": "nope"}}' >"$work/leshan-bad.json"
run import --leshan "$work/leshan-bad.json"; expect "import --leshan malformed" 1
contains "Leshan error names the endpoint" "$err" "lesh-3"
run show lesh-3; expect "malformed Leshan file stored nothing" 3

# --- kill -9 during a large import -------------------------------------------------------
kdb="$work/kill.db"
gen() { # PREFIX FILE: 3000 endpoints
  python3 - "$1" >"$2" <<'EOF'
import json, sys
p = sys.argv[1]
print(json.dumps([{"endpoint": "%s-%d" % (p, i),
                   "psk": {"identity": "%s-id-%d" % (p, i), "key": "00112233445566778899aabbccddeeff"},
                   "delete": ["/0", "/1"],
                   "objects": {"0": {"1": {"0": "coap://127.0.0.1:5683", "1": False, "2": 3, "10": 101}},
                               "1": {"0": {"0": 101, "1": 300, "6": False, "7": "U"}}}}
                  for i in range(3000)]))
EOF
}
count() { # the number of endpoints in $kdb, or "error"
  "$bin" config --store "sqlite:$kdb" list 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo error
}
# How long one import takes here, to spread the kills over it.
gen warm "$work/warm.json"
t0=$(date +%s%N)
"$bin" config --store "sqlite:$work/warm.db" import "$work/warm.json" 2>/dev/null
t1=$(date +%s%N)
span_ms=$(((t1 - t0) / 1000000 + 5))
killed=0 completed=0 old=0
for round in $(seq 8); do
  gen "k$round" "$work/k.json"
  "$bin" config --store "sqlite:$kdb" import "$work/k.json" >/dev/null 2>&1 &
  pid=$!; pids+=("$pid")
  delay=$((RANDOM % (span_ms * 13 / 10 + 1)))
  sleep "$(printf '0.%03d' "$delay")"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; status=$?
  n=$(count)
  if [ "$n" = "$old" ]; then
    ok
  elif [ "$n" = "$((old + 3000))" ]; then
    ok; old=$n
  else
    ko "kill round $round (after ${delay} ms, exit $status): $n endpoints, expected $old or $((old + 3000))"
    [ "$n" != error ] && old=$n
  fi
  if [ "$status" -eq 137 ]; then killed=$((killed + 1)); else completed=$((completed + 1)); fi
done
echo "bs_config_cli: kill -9 rounds: $killed killed, $completed completed (import ~${span_ms} ms), $old endpoints kept"
[ "$killed" -gt 0 ] && ok || ko "no import was killed: the kill test did not test anything"
# The store still takes a complete import afterwards.
gen after "$work/k.json"
"$bin" config --store "sqlite:$kdb" import "$work/k.json" 2>/dev/null && ok || ko "import after the kills failed"
n=$(count)
[ "$n" = "$((old + 3000))" ] && ok || ko "after the kills: $n endpoints, expected $((old + 3000))"

echo "bs_config_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
