#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the whole LwM2M journey on
# 127.0.0.1 and tells it as a timeline — a Bootstrap Server with a SQLite store seeded with
# demo configurations, an LwM2M Server, five clients: client-initiated bootstrap, the seed's
# 4.06 case and its recovery, one client per DTLS mode (PSK, RPK, X.509; test credentials from
# scripts/mkcreds.sh), registrations, a Read of /3/0, Observe, a bootstrap trigger. Stops
# everything it started; exit 0 when every step happened, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
Usage: scripts/demo.sh [--quick] [--no-build] [--keep]

  --quick     shorter waits (the test suite runs the demo this way)
  --no-build  use the programs already built (LWM2M_BIN_DIR, default build/)
  --keep      keep the working directory (logs, stores) and print where it is
  -h, --help  this help

Exit status: 0 every step of the journey happened, 1 a step failed (the logs of the
programs are printed), 2 bad usage.
EOF
}

quick=0 build=1 keep=0
for arg in "$@"; do
  case $arg in
  --quick) quick=1 ;;
  --no-build) build=0 ;;
  --keep) keep=1 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "demo.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  echo "Building (scripts/build.sh: installs missing Debian packages, then CMake)..."
  "$root/scripts/build.sh" >/dev/null || { echo "demo.sh: build failed" >&2; exit 1; }
fi
bin=${LWM2M_BIN_DIR:-$root/build}
for p in lwm2m-bs-server lwm2m-server lwm2m-client; do
  [ -x "$bin/$p" ] || { echo "demo.sh: $bin/$p is missing (build first)" >&2; exit 1; }
done
# The RPK and X.509 clients' credentials are made with openssl (scripts/mkcreds.sh).
if ! command -v openssl >/dev/null; then
  echo "Installing what is missing (scripts/install-deps.sh: openssl)..."
  "$root/scripts/install-deps.sh" >/dev/null && command -v openssl >/dev/null ||
    { echo "demo.sh: openssl is missing (apt-get install openssl)" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lwm2m-demo.XXXXXX")
pids=()
stopping=0
cleanup() {
  stopping=1
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$keep" = 1 ]; then echo "logs and stores kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo; echo "interrupted: stopping everything"; exit 130' INT TERM

t0=$(date +%s%N)
say() {
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf '[%3d.%02ds] %s\n' $((ms / 1000)) $((ms % 1000 / 10)) "$*"
}
passed=0 failed=0
good() { passed=$((passed + 1)); say "  ok: $*"; }
bad() { failed=$((failed + 1)); say "  FAILED: $*"; }
limit=$([ "$quick" = 1 ] && echo 20 || echo 40) # seconds per step

# Waits until FILE has a line matching the extended regex; prints that line.
wait_line() { # file regex [seconds]
  local end=$((SECONDS + ${3:-$limit}))
  while [ $SECONDS -lt $end ]; do
    local line
    line=$(grep -E -m1 -- "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
    sleep 0.1
  done
  return 1
}
# The registration id of EP at the LwM2M Server ("" when not registered).
reg_id() { api show "$1" 2>/dev/null | sed -n 's/^  "id": "\([0-9a-f]*\)",$/\1/p'; }
# Waits until EP is registered with an id other than $2; prints the registration.
wait_registered() { # ep [old id]
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do
    local id
    id=$(reg_id "$1")
    if [ -n "$id" ] && [ "$id" != "${2:-}" ]; then
      # `show` is a second API call: only a registration it returns in full counts.
      local reg
      reg=$(api show "$1" 2>/dev/null) && echo "$reg" | grep -q '"secure": ' &&
        { echo "$reg"; return 0; }
    fi
    sleep 0.2
  done
  return 1
}
# Waits for the Nth line (N >= 1) matching the regex.
wait_count() { # file regex n
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do
    [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

srv_db="sqlite:$work/server.db" bs_db="sqlite:$work/bs.db"
psk_bs_key=000102030405060708090a0b0c0d0e0f
psk_srv_key=f0e1d2c3b4a5968778695a4b3c2d1e0f
api() { "$bin/lwm2m-server" "$@" --api "http://127.0.0.1:$http"; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

echo "== lwm2m-bootstrap demo: everything runs on 127.0.0.1, logs in $work"

# --- Test credentials: a CA, the servers' certificates, the RPK and X.509 clients' keys. ---
creds=$work/creds
mk() { "$root/scripts/mkcreds.sh" "$creds" "$@" >/dev/null 2>>"$work/setup.log"; }
mk ca && mk cert demo-bs && mk cert demo-dm && mk rpk demo-rpk && mk cert demo-x509 ||
  { echo "demo.sh: scripts/mkcreds.sh failed" >&2; cat "$work/setup.log" >&2; exit 1; }
say "scripts/mkcreds.sh: a test CA, certificates CN=demo-bs and CN=demo-dm for the servers, a raw public key pair for demo-rpk, a certificate CN=demo-x509"

# --- The LwM2M Server, with credentials for the PSK, RPK and X.509 clients. ----------------
sec_add() { "$bin/lwm2m-server" security add --store "$srv_db" --endpoint "$@" 2>>"$work/setup.log"; }
sec_add demo-psk --psk-identity demo-psk-srv --psk-key "$psk_srv_key" &&
  sec_add demo-rpk --rpk-public-key "$creds/demo-rpk.pub.der" && sec_add demo-x509 --x509 ||
  { echo "demo.sh: cannot store the LwM2M Server credentials" >&2; cat "$work/setup.log" >&2; exit 1; }
"$bin/lwm2m-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --store "$srv_db" --cert "$creds/demo-dm.crt.der" --key "$creds/demo-dm.key.der" \
  --ca-file "$creds/ca.crt.der" 2>"$work/lwm2m-server.log" &
pids+=($!)
line=$(wait_line "$work/lwm2m-server.log" "listening: ") ||
  { echo "demo.sh: lwm2m-server did not start" >&2; cat "$work/lwm2m-server.log" >&2; exit 1; }
coap=$(echo "$line" | sed -n 's/.*coap=127.0.0.1:\([0-9]*\).*/\1/p')
coaps=$(echo "$line" | sed -n 's/.*coaps=127.0.0.1:\([0-9]*\).*/\1/p')
http=$(echo "$line" | sed -n 's/.*http=127.0.0.1:\([0-9]*\).*/\1/p')
say "lwm2m-server: LwM2M Server on coap://127.0.0.1:$coap and coaps://127.0.0.1:$coaps (PSK, RPK, X.509; certificate CN=demo-dm), API http://127.0.0.1:$http"

# --- The Bootstrap Server, its store seeded with five configurations. ---------------------
account() { # iid ssid uri mode [PSK identity and key | /0/x/3, /0/x/4, /0/x/5 files]
  local keys=""
  [ "$4" = 0 ] && keys=",\"3\":\"$5\",\"5\":{\"hex\":\"$6\"}"
  [ "$4" = 1 ] || [ "$4" = 2 ] &&
    keys=",\"3\":{\"hex\":\"$(hex "$5")\"},\"4\":{\"hex\":\"$(hex "$6")\"},\"5\":{\"hex\":\"$(hex "$7")\"}"
  echo "\"$1\":{\"0\":\"$3\",\"1\":false,\"2\":$4,\"10\":$2$keys}"
}
server() { echo "\"$1\":{\"0\":$2,\"1\":60,\"6\":true,\"7\":\"U\"}"; } # iid ssid
plain=coap://127.0.0.1:$coap
single="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{$(account 1 101 "$plain" 3)},\"1\":{$(server 1 101)}}"
multi="\"delete\":[\"/\"],\"objects\":{\"0\":{$(account 1 101 "$plain" 3),$(account 2 102 "$plain" 3)},\"1\":{$(server 1 101),$(server 2 102)},\"2\":{\"0\":{\"0\":3,\"1\":0,\"2\":{\"101\":1,\"102\":1},\"3\":101}}}"
secure="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{$(account 1 201 "coaps://127.0.0.1:$coaps" 0 demo-psk-srv "$psk_srv_key")},\"1\":{$(server 1 201)}}"
# RPK: the client's key pair, the LwM2M Server's public key (which it presents in its
# certificate). X.509: the client's certificate and key, the LwM2M Server's certificate.
rpk="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{$(account 1 301 "coaps://127.0.0.1:$coaps" 1 "$creds/demo-rpk.pub.der" "$creds/demo-dm.pub.der" "$creds/demo-rpk.key.der")},\"1\":{$(server 1 301)}}"
x509="\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{$(account 1 401 "coaps://127.0.0.1:$coaps" 2 "$creds/demo-x509.crt.der" "$creds/demo-dm.crt.der" "$creds/demo-x509.key.der")},\"1\":{$(server 1 401)}}"
add() { echo "$1" | "$bin/lwm2m-bs-server" config add --store "$bs_db" - 2>>"$work/setup.log"; }
add "{\"endpoint\":\"demo-plain\",$single}" &&
  add "{\"endpoint\":\"demo-seed\",\"discover\":false,$multi,\"fallbacks\":[{$single}]}" &&
  add "{\"endpoint\":\"demo-psk\",\"psk\":{\"identity\":\"demo-psk-bs\",\"key\":\"$psk_bs_key\"},$secure}" &&
  add "{\"endpoint\":\"demo-rpk\",\"rpk\":{\"publicKey\":\"$(hex "$creds/demo-rpk.pub.der")\"},$rpk}" &&
  add "{\"endpoint\":\"demo-x509\",\"x509\":{},$x509}" ||
  { echo "demo.sh: cannot seed the Bootstrap Server store" >&2; cat "$work/setup.log" >&2; exit 1; }
"$bin/lwm2m-bs-server" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --store "$bs_db" \
  --cert "$creds/demo-bs.crt.der" --key "$creds/demo-bs.key.der" --ca-file "$creds/ca.crt.der" \
  2>"$work/lwm2m-bs-server.log" &
pids+=($!)
line=$(wait_line "$work/lwm2m-bs-server.log" "serving coap port") ||
  { echo "demo.sh: lwm2m-bs-server did not start" >&2; cat "$work/lwm2m-bs-server.log" >&2; exit 1; }
bs=$(echo "$line" | sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p')
bsd=$(echo "$line" | sed -n 's/.*coaps port \([0-9]*\),.*/\1/p')
say "lwm2m-bs-server: Bootstrap Server on coap://127.0.0.1:$bs and coaps://127.0.0.1:$bsd (PSK, RPK, X.509; certificate CN=demo-bs), store $work/bs.db"
say "  demo-plain: one NoSec server account"
say "  demo-seed:  two server accounts + Access Control, no Discover; fallback: one account"
say "  demo-psk:   DTLS PSK to the Bootstrap Server, a PSK account on the LwM2M Server"
say "  demo-rpk:   DTLS RPK to the Bootstrap Server (its public key bound to the endpoint), an RPK account"
say "  demo-x509:  DTLS X.509 to the Bootstrap Server (certificate CN = endpoint), an X.509 account"

# --- Five clients, each with only a factory Bootstrap-Server account. ---------------------
client() { # name options...
  local name=$1
  shift
  "$bin/lwm2m-client" -e "$name" -s "$work/$name.state" -p 0 "$@" 2>"$work/$name.log" &
  pids+=($!)
}
say "starting lwm2m-client demo-plain (NoSec), demo-seed (NoSec, --single-server), demo-psk (DTLS PSK), demo-rpk (DTLS RPK), demo-x509 (DTLS X.509)"
client demo-plain -b "coap://127.0.0.1:$bs"
client demo-seed -b "coap://127.0.0.1:$bs" --single-server
client demo-psk -b "coaps://127.0.0.1:$bsd" --psk-identity demo-psk-bs --psk-key "$psk_bs_key"
# RPK: the Bootstrap Server's public key pinned (it presents it in its certificate).
client demo-rpk -b "coaps://127.0.0.1:$bsd" --bs-key "$creds/demo-rpk.key.der" \
  --bs-server-public-key "$creds/demo-bs.pub.der"
# X.509: the Bootstrap Server's certificate must chain to the CA (Certificate Usage 2).
client demo-x509 -b "coaps://127.0.0.1:$bsd" --bs-cert "$creds/demo-x509.crt.der" \
  --bs-key "$creds/demo-x509.key.der" --bs-server-cert "$creds/ca.crt.der" --bs-cert-usage 2

say "-- client-initiated bootstrap"
if line=$(wait_line "$work/lwm2m-bs-server.log" "session: endpoint=demo-plain .*outcome=success"); then
  good "demo-plain bootstrapped: Bootstrap-Request, Discover, Delete, Write /0 /1, Finish 2.04 ($(echo "$line" | grep -o 'operations=[0-9]*'))"
else bad "demo-plain was not bootstrapped"; fi

say "-- the seed's case: a single-server device given two accounts"
if line=$(wait_line "$work/demo-seed.log" "-> 4.06"); then
  good "demo-seed answered Finish with 4.06 Not Acceptable: ${line##*4.06: }"
else bad "demo-seed never answered 4.06"; fi
if line=$(wait_line "$work/lwm2m-bs-server.log" "session: endpoint=demo-seed .*outcome=success plan=1"); then
  good "lwm2m-bs-server deleted what it wrote, wrote the fallback, Finish 2.04"
else bad "demo-seed did not recover through the fallback"; fi

say "-- DTLS: one client per mode"
if wait_line "$work/lwm2m-bs-server.log" "session: endpoint=demo-psk .*outcome=success" >/dev/null; then
  good "demo-psk bootstrapped over DTLS PSK (PSK identity demo-psk-bs bound to its endpoint)"
else bad "demo-psk was not bootstrapped over DTLS PSK"; fi
if wait_line "$work/lwm2m-bs-server.log" "session: endpoint=demo-rpk .*outcome=success" >/dev/null; then
  good "demo-rpk bootstrapped over DTLS RPK (its public key bound to its endpoint; it pinned the server's key)"
else bad "demo-rpk was not bootstrapped over DTLS RPK"; fi
if wait_line "$work/lwm2m-bs-server.log" "session: endpoint=demo-x509 .*outcome=success" >/dev/null; then
  good "demo-x509 bootstrapped over DTLS X.509 (certificate CN demo-x509 from the trusted CA)"
else bad "demo-x509 was not bootstrapped over DTLS X.509"; fi

say "-- registrations at the LwM2M Server"
# The security mode of a registration: the identity it is bound to names it.
mode_of() { # registration JSON
  local identity
  identity=$(echo "$1" | sed -n 's/^  "identity": "\(.*\)",$/\1/p')
  if ! echo "$1" | grep -q '"secure": true'; then echo "NoSec"
  elif [ "${identity#rpk:}" != "$identity" ]; then echo "DTLS RPK"
  elif [ "${identity#x509:}" != "$identity" ]; then echo "DTLS X.509"
  else echo "DTLS PSK"; fi
}
for ep in demo-plain demo-seed demo-psk demo-rpk demo-x509; do
  if reg=$(wait_registered "$ep"); then
    good "$ep registered, over $(mode_of "$reg")"
  else bad "$ep did not register"; fi
done
api clients 2>>"$work/cli.log" | sed 's/^/           /'

say "-- device management"
if out=$(api read demo-plain /3/0 2>>"$work/cli.log"); then
  good "Read /3/0 of demo-plain answered 2.05:"
  echo "$out" | sed 's/^/           /'
else bad "Read /3/0 of demo-plain failed: $(tail -1 "$work/cli.log")"; fi
if api attributes demo-plain /3/0/13 pmin=1 pmax=1 >/dev/null 2>>"$work/cli.log" &&
  out=$(api observe demo-plain /3/0/13 --count 2 --duration "$limit" 2>>"$work/cli.log") &&
  [ "$(echo "$out" | grep -c "/3/0/13")" -ge 3 ]; then
  good "Observe /3/0/13 (Current Time, pmin=pmax=1 s): first value and 2 notifications"
  echo "$out" | sed 's/^/           /'
else bad "Observe /3/0/13 of demo-plain failed: $(tail -1 "$work/cli.log")"; fi

say "-- bootstrap trigger: Execute /1/1/9 sends demo-plain back to its Bootstrap Server"
first_id=$(reg_id demo-plain)
if api exec demo-plain /1/1/9 >/dev/null 2>>"$work/cli.log"; then
  good "Execute /1/1/9 answered 2.04"
else bad "Execute /1/1/9 failed: $(tail -1 "$work/cli.log")"; fi
if wait_count "$work/lwm2m-bs-server.log" "session: endpoint=demo-plain .*outcome=success" 2; then
  good "demo-plain bootstrapped again"
else bad "demo-plain did not bootstrap again"; fi
if wait_registered demo-plain "$first_id" >/dev/null; then
  good "demo-plain registered again"
else bad "demo-plain did not register again"; fi

say "-- stopping every process"
if [ "$failed" -gt 0 ]; then
  for f in lwm2m-bs-server lwm2m-server demo-plain demo-seed demo-psk demo-rpk demo-x509 cli setup; do
    for log in "$work/$f.log" "$work/$f.err"; do
      [ -s "$log" ] && { echo "---- $(basename "$log")"; tail -n 30 "$log"; }
    done
  done
  say "$passed steps ok, $failed FAILED"
  exit 1
fi
say "$passed steps ok: the whole journey worked"
exit 0
