#!/usr/bin/env bash
# RPK and X.509 end to end with real processes only: lwm2m-bs-server and lwm2m-server, each with
# one DTLS port presenting a certificate (--cert/--key, --ca-file), and lwm2m-client processes
# with credentials from scripts/mkcreds.sh.
#  a. a client bootstraps over DTLS in RPK (resp. X.509) mode from its factory --bs-* account
#     (the bs config binds it with "rpk"/"x509"), is given an account for lwm2m-server in the
#     same mode, and registers with it (`security add`); it is listed and its /3/0 is read.
#     The RPK client pins the servers' public keys: they present certificates carrying them.
#  b. a NoSec bootstrap provisions RPK (resp. X.509) credentials for the server link, then the
#     client registers with them (Leshan's bootstrap_unsecure_then_register_to_server_using_*).
#  c. failures: the bs config gives the client another endpoint's key pair for the server link
#     (4.03 and a security: line at lwm2m-server); a certificate from a CA neither server trusts,
#     on the server link and on the bootstrap link (handshake refused, logged).
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
summary() { echo "pki_e2e: $pass passed, $fail failed"; }
abort() { ko "$*"; summary; exit 1; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# Waits up to $1 tenths of a second until a line of file $2 matches the extended regex $3.
wait_line() {
  for _ in $(seq "$1"); do grep -qE -- "$3" "$2" 2>/dev/null && return 0; sleep 0.1; done
  grep -qE -- "$3" "$2" 2>/dev/null
}

# ---- credentials ----------------------------------------------------------------------------
c=$work/creds
mk() { "$src/scripts/mkcreds.sh" "$c" "$@" >/dev/null 2>>"$work/mkcreds.log" || abort "mkcreds.sh $*: $(cat "$work/mkcreds.log")"; }
mk ca                          # the CA both servers trust for client certificates
mk cert bsserver               # the Bootstrap Server's certificate
mk cert dmserver               # the LwM2M Server's certificate
mk rpk e2e-rpk                 # a. RPK client
mk cert e2e-x509               # a. X.509 client (CN = its endpoint name)
mk rpk e2e-nosec-rpk           # b. NoSec bootstrap, then RPK
mk cert e2e-nosec-x509         # b. NoSec bootstrap, then X.509
mk rpk e2e-hash-rpk            # b. the same with the server's key as a SHA-256 hash (Matching Type 1)
mk rpk e2e-thief               # c. the key lwm2m-server knows for e2e-thief (it gets e2e-rpk's)
mk cert e2e-rogue --ca otherca # c. a certificate from a CA neither server trusts
mk cert e2e-rogue-bs --ca otherca

# ---- the servers ----------------------------------------------------------------------------
sdb=sqlite:$work/server.db bsdb=sqlite:$work/bs.db
sec() { "$bin/lwm2m-server" security add --store "$sdb" --endpoint "$@" 2>>"$work/setup.log" || abort "security add $*: $(cat "$work/setup.log")"; }
sec e2e-rpk --rpk-public-key "$c/e2e-rpk.pub.der"
sec e2e-x509 --x509
sec e2e-nosec-rpk --rpk-public-key "$c/e2e-nosec-rpk.pub.der"
sec e2e-nosec-x509 --x509
sec e2e-hash-rpk --rpk-public-key "$c/e2e-hash-rpk.pub.der"
sec e2e-thief --rpk-public-key "$c/e2e-thief.pub.der"
sec e2e-rogue --x509
"$bin/lwm2m-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --store "$sdb" --cert "$c/dmserver.crt.der" --key "$c/dmserver.key.der" \
  --ca-file "$c/ca.crt.pem" --request-timeout 5 2>"$work/server.log" &
pids+=($!)
wait_line 50 "$work/server.log" "listening: " || abort "lwm2m-server did not start: $(cat "$work/server.log")"
coap=$(sed -n 's/.*listening: coap=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")
coaps=$(sed -n 's/.* coaps=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")
http=$(sed -n 's/.* http=127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log")
[ -n "$coap" ] && [ -n "$coaps" ] && [ -n "$http" ] || abort "lwm2m-server ports: $(cat "$work/server.log")"
api() { "$bin/lwm2m-server" "$@" --api "http://127.0.0.1:$http"; }

# A bs config: endpoint $1, its credentials member ("" for NoSec bootstrap), then the server
# account: mode $3 (1 RPK, 2 certificate), /0/1/3, /0/1/4 and /0/1/5 files, more resources $7.
bsconf() {
  local keys
  keys=",\"3\":{\"hex\":\"$(hex "$4")\"},\"4\":{\"hex\":\"$(hex "$5")\"},\"5\":{\"hex\":\"$(hex "$6")\"}${7:-}"
  echo "{\"endpoint\":\"$1\"${2:+,$2},\"delete\":[\"/0\",\"/1\"],\"objects\":{
    \"0\":{\"1\":{\"0\":\"coaps://127.0.0.1:$coaps\",\"1\":false,\"2\":$3,\"10\":101$keys}},
    \"1\":{\"1\":{\"0\":101,\"1\":60,\"6\":true,\"7\":\"U\"}}}}" >"$work/$1.json"
  "$bin/lwm2m-bs-server" config add --store "$bsdb" "$work/$1.json" 2>>"$work/setup.log" || abort "config add $1: $(cat "$work/setup.log")"
}
usage2=',"15":2' # Certificate Usage 2: /0/1/4 is the CA the server's certificate must chain to
bsconf e2e-rpk "\"rpk\":{\"publicKey\":\"$(hex "$c/e2e-rpk.pub.der")\"}" 1 \
  "$c/e2e-rpk.pub.der" "$c/dmserver.pub.der" "$c/e2e-rpk.key.der"
bsconf e2e-x509 '"x509":{}' 2 "$c/e2e-x509.crt.der" "$c/ca.crt.der" "$c/e2e-x509.key.der" "$usage2"
bsconf e2e-nosec-rpk "" 1 "$c/e2e-nosec-rpk.pub.der" "$c/dmserver.pub.der" "$c/e2e-nosec-rpk.key.der"
bsconf e2e-nosec-x509 "" 2 "$c/e2e-nosec-x509.crt.der" "$c/dmserver.crt.der" "$c/e2e-nosec-x509.key.der"
openssl dgst -sha256 -binary "$c/dmserver.pub.der" >"$c/dmserver.pub.sha256" || abort "openssl dgst"
bsconf e2e-hash-rpk "" 1 "$c/e2e-hash-rpk.pub.der" "$c/dmserver.pub.sha256" "$c/e2e-hash-rpk.key.der" ',"13":1'
bsconf e2e-thief "" 1 "$c/e2e-rpk.pub.der" "$c/dmserver.pub.der" "$c/e2e-rpk.key.der"
bsconf e2e-rogue "" 2 "$c/e2e-rogue.crt.der" "$c/ca.crt.der" "$c/e2e-rogue.key.der" "$usage2"
bsconf e2e-rogue-bs '"x509":{}' 2 "$c/e2e-rogue-bs.crt.der" "$c/ca.crt.der" "$c/e2e-rogue-bs.key.der" "$usage2"
"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --store "$bsdb" \
  --cert "$c/bsserver.crt.pem" --key "$c/bsserver.key.pem" --ca-file "$c/ca.crt.der" \
  2>"$work/bs.log" &
pids+=($!)
wait_line 50 "$work/bs.log" "serving coap port" || abort "lwm2m-bs-server did not start: $(cat "$work/bs.log")"
bs=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")
bsd=$(sed -n 's/.*coaps port \([0-9]*\),.*/\1/p' "$work/bs.log")
[ -n "$bs" ] && [ -n "$bsd" ] || abort "lwm2m-bs-server ports: $(cat "$work/bs.log")"

# ---- the clients, all at once ---------------------------------------------------------------
client() { # endpoint, options...
  local ep=$1
  shift
  "$bin/lwm2m-client" -e "$ep" -s "$work/$ep.state" -p 0 "$@" 2>"$work/$ep.log" &
  pids+=($!)
}
client e2e-rpk -b "coaps://127.0.0.1:$bsd" --bs-key "$c/e2e-rpk.key.der" \
  --bs-server-public-key "$c/bsserver.pub.der"
client e2e-x509 -b "coaps://127.0.0.1:$bsd" --bs-cert "$c/e2e-x509.crt.pem" \
  --bs-key "$c/e2e-x509.key.pem" --bs-server-cert "$c/bsserver.crt.der"
client e2e-nosec-rpk -b "coap://127.0.0.1:$bs"
client e2e-nosec-x509 -b "coap://127.0.0.1:$bs"
client e2e-hash-rpk -b "coap://127.0.0.1:$bs"
client e2e-thief -b "coap://127.0.0.1:$bs"
client e2e-rogue -b "coap://127.0.0.1:$bs"
client e2e-rogue-bs -b "coaps://127.0.0.1:$bsd" --bs-cert "$c/e2e-rogue-bs.crt.der" \
  --bs-key "$c/e2e-rogue-bs.key.der" --bs-server-cert "$c/bsserver.crt.der"

# ---- a and b: bootstrapped, registered in the mode, listed, read ----------------------------
registered() { # endpoint, identity prefix: prints the registration once it is secure
  for _ in $(seq 150); do
    local reg
    reg=$(api show "$1" 2>/dev/null) && echo "$reg" | grep -q "\"identity\": \"$2" &&
      { echo "$reg"; return 0; }
    sleep 0.1
  done
  return 1
}
success() { # endpoint, identity prefix ("rpk:" or "x509:"), how it bootstrapped
  local ep=$1 id=$2 how=$3
  wait_line 150 "$work/bs.log" "session: endpoint=$ep .*outcome=success" && ok ||
    ko "$ep: no successful bootstrap session: $(grep -E "$ep|security" "$work/bs.log" | tail -3; tail -3 "$work/$ep.log")"
  grep -qF "POST $how://127.0.0.1:" "$work/$ep.log" && ok || ko "$ep: no Bootstrap-Request over $how"
  local reg
  if reg=$(registered "$ep" "$id"); then
    ok
    echo "$reg" | grep -q '"secure": true' && ok || ko "$ep: registration not secure: $reg"
  else
    ko "$ep: not registered with identity $id*: $(grep -E "$ep" "$work/server.log" | tail -3; tail -5 "$work/$ep.log")"
    return
  fi
  grep -q "registered with SSID 101 at coaps://127.0.0.1:$coaps" "$work/$ep.log" && ok ||
    ko "$ep: the client does not say it registered over coaps: $(tail -3 "$work/$ep.log")"
  api clients 2>>"$work/cli.log" | grep -qw -- "$ep" && ok || ko "$ep: not in 'lwm2m-server clients'"
  local out
  out=$(api read "$ep" /3/0 2>>"$work/cli.log")
  echo "$out" | grep -qF '/3/0/0 = "lwm2m-bootstrap"' && ok || ko "$ep: Read /3/0: '$out' $(tail -1 "$work/cli.log")"
}
# a. DTLS bootstrap in the mode (the RPK client pinned bsserver's key, which the Bootstrap
# Server presents in its certificate), then the server link in the same mode.
success e2e-rpk rpk:e2e-rpk coaps
grep -qE "Bootstrap-Request from 127.0.0.1:[0-9]+.*endpoint e2e-rpk" "$work/bs.log" && ok || ko "e2e-rpk: no Bootstrap-Request line"
success e2e-x509 x509:e2e-x509 coaps
# b. NoSec bootstrap that provisions the credentials.
success e2e-nosec-rpk rpk:e2e-nosec-rpk coap
success e2e-nosec-x509 x509:e2e-nosec-x509 coap
# Matching Type 1: /0/1/4 is the SHA-256 of the server's key; Finish accepts it, the handshake
# checks the hash of the key the server's certificate carries.
success e2e-hash-rpk rpk:e2e-hash-rpk coap

# ---- c: refusals ----------------------------------------------------------------------------
# Another endpoint's key pair for the server link: the handshake succeeds (the key is known),
# the Register is refused as the key belongs to e2e-rpk.
wait_line 150 "$work/server.log" "security: registration of endpoint e2e-thief from 127.0.0.1:[0-9]+ \(RPK\) refused: public key registered for endpoint 'e2e-rpk'" &&
  ok || ko "e2e-thief: no security: line: $(grep -E 'e2e-thief|security' "$work/server.log" | tail -3)"
wait_line 50 "$work/e2e-thief.log" "Register answered 4.03" && ok || ko "e2e-thief: no 4.03: $(tail -5 "$work/e2e-thief.log")"
# A certificate from another CA on the server link: GnuTLS refuses the handshake.
wait_line 150 "$work/server.log" "security: DTLS handshake from 127.0.0.1:[0-9]+ refused: certificate from an untrusted CA \(certificate 'e2e-rogue'\)" &&
  ok || ko "e2e-rogue: no handshake refusal at lwm2m-server: $(grep security "$work/server.log" | tail -3)"
grep -q "session: endpoint=e2e-rogue .*outcome=success" "$work/bs.log" && ok || ko "e2e-rogue: not bootstrapped (NoSec)"
# ... and on the bootstrap link.
wait_line 150 "$work/bs.log" "security: DTLS handshake from 127.0.0.1:[0-9]+ refused: certificate from an untrusted CA \(certificate 'e2e-rogue-bs'\)" &&
  ok || ko "e2e-rogue-bs: no handshake refusal at lwm2m-bs-server: $(grep security "$work/bs.log" | tail -3)"
grep -q "session: endpoint=e2e-rogue-bs " "$work/bs.log" && ko "e2e-rogue-bs: a bootstrap session ran" || ok
for ep in e2e-thief e2e-rogue e2e-rogue-bs; do
  api show "$ep" >/dev/null 2>&1 && ko "$ep is registered" || ok
done
grep -q "event=registered endpoint=e2e-\(thief\|rogue\)" "$work/server.log" && ko "a refused client registered" || ok

if [ "$fail" -gt 0 ]; then
  for f in server bs e2e-rpk e2e-x509 e2e-nosec-rpk e2e-nosec-x509 e2e-hash-rpk e2e-thief e2e-rogue e2e-rogue-bs; do
    echo "---- $f.log"
    tail -n 15 "$work/$f.log"
  done
fi
summary
[ "$fail" -eq 0 ]
