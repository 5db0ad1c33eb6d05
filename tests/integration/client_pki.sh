#!/usr/bin/env bash
# DTLS with raw public keys (Security Mode 1) and X.509 certificates (Mode 2) on the client's
# server and bootstrap links, against libcoap's own coap-server-gnutls as an independent DTLS
# peer, with credentials from scripts/mkcreds.sh. That server has no /rd and no /bs: a Register
# or Bootstrap-Request that crossed an established DTLS session is answered 4.04, which is the
# success signal. Each refusal must name its cause in the client's log, send nothing over DTLS,
# and leave the client running (exit 0 on SIGTERM).
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-client
src=${LWM2M_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }

c=$work/creds
mk() { "$src/scripts/mkcreds.sh" "$c" "$@" >/dev/null || { echo "mkcreds.sh $* failed" >&2; exit 1; }; }
mk cert server                 # the servers' certificate, CN=server, signed by "ca"
mk cert client                 # the device's certificate
mk cert sibling                # another certificate of the same CA
mk cert expired --expired      # 2020-01-01..2021-01-01
mk cert stranger --ca otherca  # from another CA
mk rpk srv                     # the RPK server's key pair
mk rpk dev                     # the device's key pair
mk rpk other                   # a key the device does not know
# coap-server-gnutls -M reads the RPK server's key as "EC PRIVATE KEY" PEM (SEC1) only.
openssl ec -in "$c/srv.key.pem" -out "$c/srv.sec1.pem" 2>/dev/null
# A certificate for the RPK server's key (self-signed: pinned, for Certificate Usage 3).
openssl req -new -x509 -key "$c/srv.key.pem" -subj "/CN=srv" -days 30 -outform DER \
  -out "$c/srv.crt.der" 2>/dev/null || { echo "openssl req failed" >&2; exit 1; }

base=$((20000 + RANDOM % 40000))
start_server() { # $1 name, $2 port, coap-server-gnutls options...: DTLS on port + 1
  local name=$1 port=$2
  shift 2
  coap-server-gnutls -A 127.0.0.1 -p "$port" "$@" >"$work/server-$name.log" 2>&1 &
  pids+=($!)
}
rpk_port=$base cert_port=$((base + 2)) stranger_port=$((base + 4)) expired_port=$((base + 6))
start_server rpk "$rpk_port" -M "$c/srv.sec1.pem"
start_server cert "$cert_port" -c "$c/server.crt.pem" -j "$c/server.key.pem" -C "$c/ca.crt.pem"
start_server stranger "$stranger_port" -c "$c/stranger.crt.pem" -j "$c/stranger.key.pem" \
  -C "$c/ca.crt.pem"
start_server expired "$expired_port" -c "$c/expired.crt.pem" -j "$c/expired.key.pem" \
  -C "$c/ca.crt.pem"
# The RPK server again, accepting any client certificate (-n): for certificate-mode clients.
rpk_any_port=$((base + 8))
start_server rpk-any "$rpk_any_port" -M "$c/srv.sec1.pem" -n
sleep 0.5

# Stops client $1 (pid) and checks it exits 0 (no crash): name $2.
stop_client() {
  kill -TERM "$1" 2>/dev/null
  wait "$1"
  local rc=$?
  [ "$rc" -eq 0 ] && ok || ko "$2: exit status $rc after SIGTERM"
}

# The server link: a saved configuration with one server account on coaps://127.0.0.1:$2+1.
# $1 name, $2 server port, $3 mode, $4 /0/1/3 file, $5 /0/1/5 file, $6 /0/1/4 file,
# $7 more SenML records (",{...}") or "".
try_server() {
  cat >"$work/$1.json" <<JSON
[{"bn":"/","n":"0/1/0","vs":"coaps://127.0.0.1:$(($2 + 1))"},{"n":"0/1/1","vb":false},
{"n":"0/1/2","v":$3},{"n":"0/1/3","vd":"$(b64url "$4")"},{"n":"0/1/4","vd":"$(b64url "$6")"},
{"n":"0/1/5","vd":"$(b64url "$5")"},{"n":"0/1/10","v":101}$7,
{"n":"1/1/0","v":101},{"n":"1/1/1","v":300},{"n":"1/1/6","vb":true},{"n":"1/1/7","vs":"U"},
{"n":"1/1/17","v":0}]
JSON
  "$bin" -e dev-pki -s "$work/$1.json" -p 0 2>"$work/$1.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 80); do grep -q "giving up" "$work/$1.log" && break; sleep 0.1; done
  stop_client "$pid" "$1"
}
# Success: the Register went over DTLS and the server answered.
reached() { # $1 name
  grep -q "Register answered 4.04" "$work/$1.log" && ok || ko "$1: no answer over DTLS: $(cat "$work/$1.log")"
}
# Refusal: no answer, and the log names the cause $2 (a fixed string).
refused() { # $1 name, $2 cause
  grep -q "Register answered" "$work/$1.log" && ko "$1: the server answered"
  grep -qF -- "$2" "$work/$1.log" && ok || ko "$1: cause '$2' not logged: $(cat "$work/$1.log")"
}

RPK=1 CERT=2
# RPK: the server's key pinned from /0/1/4.
try_server rpk-good "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/srv.pub.der" ""
reached rpk-good
grep -q "POST coaps://127.0.0.1:$((rpk_port + 1))/rd?ep=dev-pki" "$work/rpk-good.log" && ok || ko "rpk-good: no Register over coaps"
try_server rpk-wrong "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/other.pub.der" ""
refused rpk-wrong "DTLS handshake refused: the server's public key differs from /0/1/4"
# A SEC1 private key works as well as PKCS#8.
openssl ec -in "$c/dev.key.pem" -outform DER -out "$c/dev.sec1.der" 2>/dev/null
try_server rpk-sec1 "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.sec1.der" "$c/srv.pub.der" ""
reached rpk-sec1

# Certificates. Usage 3 (the default, /0/1/15 absent): the server's certificate itself.
cert() { try_server "$1" "$2" $CERT "$c/client.crt.der" "$c/client.key.der" "$3" "${4:-}"; }
usage() { echo ",{\"n\":\"0/1/15\",\"v\":$1}"; }
cert cert-u3 "$cert_port" "$c/server.crt.der"
reached cert-u3
cert cert-u3-sibling "$cert_port" "$c/sibling.crt.der"
refused cert-u3-sibling "DTLS handshake failed (its certificate must equal /0/1/4"
grep -q "CA is unknown" "$work/cert-u3-sibling.log" && ok || ko "cert-u3-sibling: GnuTLS's reason not logged"
cert cert-u3-ca "$cert_port" "$c/ca.crt.der"
refused cert-u3-ca "DTLS handshake refused: the server's certificate (CN 'server') is not the one in /0/1/4 (Certificate Usage 3)"
cert cert-u3-expired "$expired_port" "$c/expired.crt.der"
refused cert-u3-expired "The certificate has an invalid usage date"
# Usage 1: the same certificate, validated.
cert cert-u1 "$cert_port" "$c/server.crt.der" "$(usage 1)"
reached cert-u1
# Usage 2 and 0: /0/1/4 is the CA.
cert cert-u2 "$cert_port" "$c/ca.crt.der" "$(usage 2)"
reached cert-u2
cert cert-u0 "$cert_port" "$c/ca.crt.der" "$(usage 0)"
reached cert-u0
cert cert-u2-stranger "$stranger_port" "$c/ca.crt.der" "$(usage 2)"
refused cert-u2-stranger "The peer certificate's CA is unknown: 'stranger'"
grep -qF "DTLS handshake failed (its certificate must chain to the CA in /0/1/4" "$work/cert-u2-stranger.log" && ok || ko "cert-u2-stranger: requirement not logged"
cert cert-u0-stranger "$stranger_port" "$c/ca.crt.der" "$(usage 0)"
refused cert-u0-stranger "CA is unknown"
cert cert-u2-expired "$expired_port" "$c/ca.crt.der" "$(usage 2)"
refused cert-u2-expired "The certificate has an invalid usage date: 'expired'"
# SNI /0/1/14: the name the certificate must carry (usages 0..2).
cert cert-sni-match "$cert_port" "$c/ca.crt.der" "$(usage 2),{\"n\":\"0/1/14\",\"vs\":\"server\"}"
reached cert-sni-match
cert cert-sni-other "$cert_port" "$c/ca.crt.der" "$(usage 2),{\"n\":\"0/1/14\",\"vs\":\"dm.example\"}"
refused cert-sni-other "the server's certificate names 'server', not the SNI 'dm.example'"

# RPK against a server that presents a certificate (libcoap has one server credential per DTLS
# port, so a server serving certificate clients presents its certificate to RPK clients too):
# the pin is on the key, so a certificate carrying /0/1/4's key is accepted whoever issued it and
# whatever its dates (as DANE-EE, RFC 7671 5.1); one carrying another key is refused.
try_server rpk-cert-server "$cert_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/server.pub.der" ""
reached rpk-cert-server
try_server rpk-cert-other "$cert_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/srv.pub.der" ""
refused rpk-cert-other "DTLS handshake refused: the public key of the server's certificate (CN 'server') differs from /0/1/4"
try_server rpk-cert-sibling "$cert_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/sibling.pub.der" ""
refused rpk-cert-sibling "the public key of the server's certificate (CN 'server') differs from /0/1/4"
try_server rpk-cert-expired "$expired_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/expired.pub.der" ""
reached rpk-cert-expired
try_server rpk-cert-stranger "$stranger_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/stranger.pub.der" ""
reached rpk-cert-stranger
# The raw-key server still gets the strict pin (checked above: rpk-good, rpk-wrong).

# Certificate mode against a server presenting a raw public key (one DTLS port for every mode
# may present a raw key to everyone): libcoap reports it as validated, but nothing chains a raw
# key to a CA, so usages 0 and 2 refuse it; for 1 and 3 it must be the key of the certificate
# in /0/1/4.
cert cert-u2-rawkey "$rpk_any_port" "$c/ca.crt.der" "$(usage 2)"
refused cert-u2-rawkey "DTLS handshake refused: the server presented a raw public key, no certificate to chain to the CA in /0/1/4 (Certificate Usage 2)"
cert cert-u0-rawkey "$rpk_any_port" "$c/ca.crt.der" "$(usage 0)"
refused cert-u0-rawkey "the server presented a raw public key, no certificate to chain to the CA in /0/1/4 (Certificate Usage 0)"
cert cert-u3-rawkey "$rpk_any_port" "$c/srv.crt.der"
reached cert-u3-rawkey
cert cert-u1-rawkey "$rpk_any_port" "$c/srv.crt.der" "$(usage 1)"
reached cert-u1-rawkey
cert cert-u3-rawkey-other "$rpk_any_port" "$c/server.crt.der"
refused cert-u3-rawkey-other "DTLS handshake refused: the server's raw public key is not the key of the certificate in /0/1/4 (Certificate Usage 3)"
cert cert-u1-rawkey-sni "$rpk_any_port" "$c/srv.crt.der" "$(usage 1),{\"n\":\"0/1/14\",\"vs\":\"dm.example\"}"
refused cert-u1-rawkey-sni "the certificate in /0/1/4 names 'srv', not the SNI 'dm.example'"

# Matching Type /0/1/13 1..3: /0/1/4 is the SHA-256/384/512 hash of the server's
# SubjectPublicKeyInfo (RPK mode) or of its whole DER certificate (certificate mode, RFC 6698
# selector 0), compared with what the server presents.
hash() { # $1 file, $2 256|384|512: writes and names $1.sha$2
  openssl dgst "-sha$2" -binary "$1" >"$1.sha$2" || { echo "openssl dgst failed" >&2; exit 1; }
  echo "$1.sha$2"
}
matching() { echo ",{\"n\":\"0/1/13\",\"v\":$1}"; }
try_server rpk-sha256 "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$(hash "$c/srv.pub.der" 256)" "$(matching 1)"
reached rpk-sha256
try_server rpk-sha512 "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$(hash "$c/srv.pub.der" 512)" "$(matching 3)"
reached rpk-sha512
try_server rpk-sha256-wrong "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$(hash "$c/other.pub.der" 256)" "$(matching 1)"
refused rpk-sha256-wrong "DTLS handshake refused: the SHA-256 hash of the server's public key differs from /0/1/4 (Matching Type 1)"
# a hash of another size than the Matching Type's: refused before any handshake
try_server rpk-sha-size "$rpk_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$c/srv.pub.der.sha512" "$(matching 1)"
refused rpk-sha-size "/0/1/4 is not a SHA-256 hash (Matching Type 1)"
# the certificate server: the hash of the key in its certificate (server.pub.der)
try_server rpk-sha256-cert "$cert_port" $RPK "$c/dev.pub.der" "$c/dev.key.der" "$(hash "$c/server.pub.der" 256)" "$(matching 1)"
reached rpk-sha256-cert
# Certificate mode, usage 3 (default) and 1: the hash of the server's certificate.
cert cert-u3-sha256 "$cert_port" "$(hash "$c/server.crt.der" 256)" "$(matching 1)"
reached cert-u3-sha256
cert cert-u1-sha384 "$cert_port" "$(hash "$c/server.crt.der" 384)" "$(matching 2)$(usage 1)"
reached cert-u1-sha384
cert cert-u3-sha256-wrong "$cert_port" "$(hash "$c/sibling.crt.der" 256)" "$(matching 1)"
refused cert-u3-sha256-wrong "DTLS handshake refused: the SHA-256 hash of the server's certificate (CN 'server') differs from /0/1/4 (Matching Type 1)"
cert cert-u1-sha256-sni "$cert_port" "$c/server.crt.der.sha256" "$(matching 1)$(usage 1),{\"n\":\"0/1/14\",\"vs\":\"dm.example\"}"
refused cert-u1-sha256-sni "the server's certificate names 'server', not the SNI 'dm.example'"
cert cert-u3-sha256-expired "$expired_port" "$(hash "$c/expired.crt.der" 256)" "$(matching 1)"
refused cert-u3-sha256-expired "the server's certificate is not valid now"
# a raw key cannot be matched with the hash of a certificate; a hashed CA is not supported
cert cert-u3-sha256-rawkey "$rpk_any_port" "$(hash "$c/srv.crt.der" 256)" "$(matching 1)"
refused cert-u3-sha256-rawkey "the server presented a raw public key, /0/1/4 is the SHA-256 hash of a certificate"
cert cert-u2-sha256 "$cert_port" "$(hash "$c/ca.crt.der" 256)" "$(matching 1)$(usage 2)"
refused cert-u2-sha256 "Certificate Usage 2 needs the CA in full in /0/1/4, not a hash (Matching Type 1)"

# The bootstrap link: the factory Bootstrap-Server account from the options (DER or PEM files).
try_bs() { # $1 name, $2 DTLS port, options...
  local name=$1 port=$2
  shift 2
  "$bin" -e dev-pki -s "$work/bs-$name.json" -b "coaps://127.0.0.1:$port" -p 0 "$@" \
    2>"$work/bs-$name.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 80); do grep -q "next Bootstrap-Request in" "$work/bs-$name.log" && break; sleep 0.1; done
  stop_client "$pid" "bs-$name"
}
bs_reached() {
  grep -q "Bootstrap-Request refused with 4.0" "$work/bs-$1.log" && ok || ko "bs-$1: no answer over DTLS: $(cat "$work/bs-$1.log")"
}
bs_refused() { # $1 name, $2 cause
  grep -q "refused with 4" "$work/bs-$1.log" && ko "bs-$1: the server answered"
  grep -qF -- "$2" "$work/bs-$1.log" && ok || ko "bs-$1: cause '$2' not logged: $(cat "$work/bs-$1.log")"
}
# RPK, the own public key taken from the PKCS#8 key
try_bs rpk-good $((rpk_port + 1)) --bs-key "$c/dev.key.pem" --bs-server-public-key "$c/srv.pub.der"
bs_reached rpk-good
grep -q "POST coaps://127.0.0.1:$((rpk_port + 1))/bs?ep=dev-pki" "$work/bs-rpk-good.log" && ok || ko "bs-rpk-good: no Bootstrap-Request over coaps"
try_bs rpk-wrong $((rpk_port + 1)) --bs-key "$c/dev.key.der" --bs-public-key "$c/dev.pub.der" \
  --bs-server-public-key "$c/other.pub.der"
bs_refused rpk-wrong "Bootstrap Server: DTLS handshake refused: the server's public key differs from /0/0/4"
# RPK against the certificate server: its certificate's key pinned, or another key.
try_bs rpk-cert-server $((cert_port + 1)) --bs-key "$c/dev.key.der" \
  --bs-server-public-key "$c/server.pub.der"
bs_reached rpk-cert-server
try_bs rpk-cert-other $((cert_port + 1)) --bs-key "$c/dev.key.der" \
  --bs-server-public-key "$c/srv.pub.der"
bs_refused rpk-cert-other "Bootstrap Server: DTLS handshake refused: the public key of the server's certificate (CN 'server') differs from /0/0/4"
try_bs cert-good $((cert_port + 1)) --bs-cert "$c/client.crt.pem" --bs-key "$c/client.key.der" \
  --bs-server-cert "$c/ca.crt.pem" --bs-cert-usage 2
bs_reached cert-good
try_bs cert-pinned $((cert_port + 1)) --bs-cert "$c/client.crt.der" --bs-key "$c/client.key.pem" \
  --bs-server-cert "$c/server.crt.der"
bs_reached cert-pinned
try_bs cert-expired $((expired_port + 1)) --bs-cert "$c/client.crt.pem" \
  --bs-key "$c/client.key.der" --bs-server-cert "$c/ca.crt.pem" --bs-cert-usage 2
bs_refused cert-expired "The certificate has an invalid usage date: 'expired'"

# Bootstrap-Finish checks the key material (1.0-style bootstrap driven by coap-client-notls):
# 4.06 naming /0/1/3 for a certificate where RPK mode wants a SubjectPublicKeyInfo, then 2.04
# for the right keys, and the client registers with them over DTLS.
fin_port=$((base + 20))
"$bin" -e dev-fin -s "$work/fin.json" -p "$fin_port" --legacy-bootstrap 2>"$work/fin.log" &
fin_pid=$!
pids+=("$fin_pid")
sleep 0.3
put_rpk_account() { # $1 /0/1/3 file
  coap-client-notls -m put -t 110 -e "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coaps://127.0.0.1:$((rpk_port + 1))\"},{\"n\":\"1\",\"vb\":false},{\"n\":\"2\",\"v\":1},{\"n\":\"3\",\"vd\":\"$(b64url "$1")\"},{\"n\":\"4\",\"vd\":\"$(b64url "$c/srv.pub.der")\"},{\"n\":\"5\",\"vd\":\"$(b64url "$c/dev.key.der")\"},{\"n\":\"10\",\"v\":101}]" \
    "coap://127.0.0.1:$fin_port/0/1" >/dev/null 2>&1
}
put_rpk_account "$c/client.crt.der"
coap-client-notls -m put -t 110 -e '[{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U"},{"n":"17","v":0}]' \
  "coap://127.0.0.1:$fin_port/1/1" >/dev/null 2>&1
finish=$(coap-client-notls -m post "coap://127.0.0.1:$fin_port/bs" 2>&1)
case $finish in *4.06*) ok ;; *) ko "Finish with a certificate as RPK: '$finish'" ;; esac
grep -qF "4.06: bad-key-material: /0/1/3: not a SubjectPublicKeyInfo (RPK mode)" "$work/fin.log" && ok || ko "no 4.06 diagnostic naming /0/1/3: $(cat "$work/fin.log")"
put_rpk_account "$c/dev.pub.der"
coap-client-notls -m put -t 110 -e '[{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U"},{"n":"17","v":0}]' \
  "coap://127.0.0.1:$fin_port/1/1" >/dev/null 2>&1
finish=$(coap-client-notls -m post "coap://127.0.0.1:$fin_port/bs" 2>&1)
case $finish in *4.0*) ko "Finish with the right keys: '$finish'" ;; *) ok ;; esac
for _ in $(seq 50); do grep -q "giving up" "$work/fin.log" && break; sleep 0.1; done
grep -q "Register answered 4.04" "$work/fin.log" && ok || ko "no Register over RPK after bootstrap: $(cat "$work/fin.log")"
stop_client "$fin_pid" fin

# Option errors: exit 2 with a message naming the problem.
opt_err() { # $1 expected text, options...
  local want=$1
  shift
  "$bin" -e x -s "$work/o.json" "$@" 2>"$work/opt.log"
  local rc=$?
  [ "$rc" -eq 2 ] && grep -qF -- "$want" "$work/opt.log" && ok || ko "options $*: rc $rc, $(cat "$work/opt.log")"
}
u=coaps://127.0.0.1:1
opt_err "RPK mode needs --bs-key" -b $u --bs-server-public-key "$c/srv.pub.der"
opt_err "choose one of PSK" -b $u --psk-identity a --psk-key 00 --bs-key "$c/dev.key.der" \
  --bs-server-public-key "$c/srv.pub.der"
opt_err "certificate mode needs" -b $u --bs-cert "$c/client.crt.der" --bs-key "$c/client.key.der"
opt_err "not an X.509 certificate" -b $u --bs-cert "$c/client.key.der" --bs-key "$c/client.key.der" \
  --bs-server-cert "$c/ca.crt.der"
opt_err "is not the private key of --bs-cert" -b $u --bs-cert "$c/client.crt.der" \
  --bs-key "$c/other.key.der" --bs-server-cert "$c/ca.crt.der"
opt_err "not a SubjectPublicKeyInfo" -b $u --bs-key "$c/dev.key.der" \
  --bs-server-public-key "$c/server.crt.der"
opt_err "bad --bs-cert-usage" -b $u --bs-cert "$c/client.crt.der" --bs-key "$c/client.key.der" \
  --bs-server-cert "$c/ca.crt.der" --bs-cert-usage 5
opt_err "(coaps://host:port)" -b coap://127.0.0.1:1 --bs-key "$c/dev.key.der" \
  --bs-server-public-key "$c/srv.pub.der"
opt_err "No such file" -b $u --bs-key "$c/missing.der" --bs-server-public-key "$c/srv.pub.der"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
