#!/usr/bin/env bash
# DTLS RPK and X.509 on both servers, with libcoap's coap-client-gnutls as the independent
# client: POST /bs?ep= to lwm2m-bs-server and POST /rd?ep=&lt=60 to lwm2m-server, for each mode
# success, a wrong key, another endpoint's key, an expired certificate, an untrusted CA, a CN
# that is not the endpoint name (refused) and the same certificate once its CN is mapped by
# the cert map (accepted); an endpoint with RPK or X.509 credentials refused over NoSec and
# over another mode; a second lwm2m-server presenting a raw public key (--rpk-key). Every
# case checks the CoAP answer (coap-client -v 6 prints it) and the server's log line.
# coap-client always exits 0: its output is what is judged.
set -u
bsbin=${LWM2M_BIN_DIR:?}/lwm2m-bs-server
srvbin=${LWM2M_BIN_DIR:?}/lwm2m-server
mkcreds=${LWM2M_SOURCE_DIR:?}/scripts/mkcreds.sh
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
command -v coap-client-gnutls >/dev/null || { echo "coap-client-gnutls missing (libcoap3-bin)" >&2; exit 1; }

# ---- credentials --------------------------------------------------------------------------
c=$work/creds
{
  "$mkcreds" "$c" ca
  "$mkcreds" "$c" cert server
  "$mkcreds" "$c" cert dev-x                       # CN = its endpoint name
  "$mkcreds" "$c" cert dev-m --cn "Acme Sensor 42" # CN mapped to endpoint dev-m
  "$mkcreds" "$c" cert dev-old --expired
  "$mkcreds" "$c" ca other
  "$mkcreds" "$c" cert dev-rogue --ca other
  "$mkcreds" "$c" rpk dev-r
  "$mkcreds" "$c" rpk dev-r2
  "$mkcreds" "$c" rpk stranger                     # registered nowhere
} >/dev/null 2>"$work/mkcreds.log" || { cat "$work/mkcreds.log" >&2; exit 1; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# coap-client -M takes one PEM file with the private and the public key.
for k in dev-r dev-r2 stranger; do
  { cat "$c/$k.key.pem"; openssl pkey -in "$c/$k.key.pem" -pubout; } >"$c/$k.rpk.pem"
done

# ---- clients ------------------------------------------------------------------------------
# $1 log name, then coap-client options and URI; the answer lines of -v 6 (no debug) in $work/$1.
coap() {
  local name=$1
  shift
  timeout 20 coap-client-gnutls -v 6 "$@" 2>&1 | grep -v ' DEBG ' >"$work/$name" || true
}
rpk() { coap "$1" -m post -M "$c/$2.rpk.pem" -C "$c/ca.crt.pem" "${@:3}"; }
x509() { coap "$1" -m post -c "$c/$2.crt.pem" -j "$c/$2.key.pem" -C "$c/ca.crt.pem" "${@:3}"; }
psk() { coap "$1" -m post -u "$2" -k "$3" "${@:4}"; }
# $1 log name, $2 code: the response carried it.
answered() { grep -q "t:ACK c:$2 " "$work/$1"; }
no_answer() { ! grep -q "t:ACK c:" "$work/$1"; }
# $1 server log, $2 fixed text: it appears within 3 s.
logged() {
  for _ in $(seq 30); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
# $1 server log, $2 extended regular expression: a line matches within 3 s.
logged_re() {
  for _ in $(seq 30); do grep -qE -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
# $1 case, $2 client log, $3 code (or "none"), $4 server log, $5 text of its line.
expect() {
  local what=$1 out=$2 code=$3 log=$4 text=$5
  if [ "$code" = none ]; then
    no_answer "$out" && ok || ko "$what: answered: $(cat "$work/$out")"
  else
    answered "$out" "$code" && ok || ko "$what: no $code: $(cat "$work/$out")"
  fi
  logged "$log" "$text" && ok || ko "$what: no log line '$text' in: $(tail -5 "$log")"
}

# ---- lwm2m-bs-server ----------------------------------------------------------------------
bsdb=sqlite:$work/bs.db
plan='"delete": ["/0"], "objects": {"0": {"1": {"0": "coap://127.0.0.1:5683", "1": false, "2": 3, "10": 101}}, "1": {"1": {"0": 101, "1": 300, "6": true, "7": "U"}}}'
bsdoc() { # $1 endpoint, $2 credentials member
  echo "{\"endpoint\": \"$1\", $2, $plan}" >"$work/$1.json"
  "$bsbin" config add --store "$bsdb" "$work/$1.json" 2>>"$work/config.log" && ok || ko "config add $1: $(cat "$work/config.log")"
}
bsdoc dev-r "\"rpk\": {\"publicKey\": \"$(hex "$c/dev-r.pub.der")\"}"
bsdoc dev-r2 "\"rpk\": {\"publicKey\": {\"hex\": \"$(hex "$c/dev-r2.pub.der")\"}}"
bsdoc dev-x '"x509": {}'
bsdoc dev-x2 '"x509": {}'
bsdoc dev-m '"x509": {}'
bsdoc dev-old '"x509": {}'
bsdoc dev-rogue '"x509": {}'
bsdoc dev-p '"psk": {"identity": "dev-p-id", "key": "7365637265746b6579"}'
# A key that is no SubjectPublicKeyInfo (a certificate) is refused when added.
echo "{\"endpoint\": \"bad\", \"rpk\": {\"publicKey\": \"$(hex "$c/dev-x.crt.der")\"}, $plan}" >"$work/bad.json"
"$bsbin" config add --store "$bsdb" "$work/bad.json" 2>"$work/bad.err"; rc=$?
[ $rc -eq 1 ] && grep -q "rpk/publicKey: not a SubjectPublicKeyInfo" "$work/bad.err" && ok || ko "bad rpk accepted ($rc): $(cat "$work/bad.err")"
"$bsbin" config show --store "$bsdb" dev-r2 | grep -q "\"rpk\":{\"publicKey\":\"$(hex "$c/dev-r2.pub.der")\"}" && ok || ko "rpk not canonical in config show"

"$bsbin" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --store "$bsdb" \
  --cert "$c/server.crt.der" --key "$c/server.key.der" --ca-file "$c/ca.crt.pem" 2>"$work/bs.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "serving coap port" "$work/bs.log" && break; sleep 0.1; done
bsport=$(sed -n 's/.*coaps port \([0-9]*\),.*/\1/p' "$work/bs.log")
bsudp=$(sed -n 's/.*serving coap port \([0-9]*\),.*/\1/p' "$work/bs.log")
[ -n "$bsport" ] && ok || { ko "bs-server did not start: $(cat "$work/bs.log")"; echo "$pass passed, $fail failed"; exit 1; }
grep -q "the server presents its certificate CN=server, 1 trusted CA certificate" "$work/bs.log" && ok || ko "bs start-up line: $(cat "$work/bs.log")"
bs="coaps://127.0.0.1:$bsport/bs"
L=$work/bs.log

rpk bs-rpk-ok dev-r "$bs?ep=dev-r"
expect "bs rpk success" bs-rpk-ok 2.04 "$L" "Bootstrap-Request from 127.0.0.1:"
logged "$L" "endpoint dev-r, query ep=dev-r" && ok || ko "bs rpk: no session for dev-r"
rpk bs-rpk-wrong stranger "$bs?ep=dev-r"
expect "bs rpk wrong key" bs-rpk-wrong 4.00 "$L" "for endpoint dev-r refused: public key not registered for this endpoint"
grep -q "unauthorized" "$work/bs-rpk-wrong" && ok || ko "bs: the refusal says more than 'unauthorized'"
rpk bs-rpk-other dev-r2 "$bs?ep=dev-r"
answered bs-rpk-other 4.00 && ok || ko "bs rpk key of another endpoint: $(cat "$work/bs-rpk-other")"
[ "$(grep -c "for endpoint dev-r refused: public key not registered for this endpoint" "$L")" -ge 2 ] && ok || ko "bs rpk other key: no second refusal line"
# 1.2: without ep the key names its endpoint.
rpk bs-rpk-noep dev-r2 "$bs"
answered bs-rpk-noep 2.04 && ok || ko "bs rpk without ep: $(cat "$work/bs-rpk-noep")"
logged_re "$L" "Bootstrap-Request from 127.0.0.1:[0-9]+: endpoint dev-r2$" && ok || ko "bs rpk without ep: no session for dev-r2"

x509 bs-x509-ok dev-x "$bs?ep=dev-x"
expect "bs x509 success" bs-x509-ok 2.04 "$L" "endpoint dev-x, query ep=dev-x"
x509 bs-x509-expired dev-old "$bs?ep=dev-old"
expect "bs x509 expired" bs-x509-expired none "$L" "refused: certificate expired or not yet valid (certificate 'dev-old')"
x509 bs-x509-untrusted dev-rogue "$bs?ep=dev-rogue"
expect "bs x509 untrusted CA" bs-x509-untrusted none "$L" "refused: certificate from an untrusted CA (certificate 'dev-rogue')"
x509 bs-x509-cn dev-x "$bs?ep=dev-x2"
expect "bs x509 CN not the endpoint" bs-x509-cn 4.00 "$L" "for endpoint dev-x2 refused: certificate CN 'dev-x' is not the endpoint name and is not mapped to it"
x509 bs-x509-unmapped dev-m "$bs?ep=dev-m"
expect "bs x509 CN not mapped yet" bs-x509-unmapped 4.00 "$L" "for endpoint dev-m refused: certificate CN 'Acme Sensor 42' is not the endpoint name"
"$bsbin" config cert-map add --store "$bsdb" "Acme Sensor 42" dev-m && ok || ko "bs cert-map add"
[ "$("$bsbin" config cert-map list --store "$bsdb" | tr -d '\n')" = '[{"cn":"Acme Sensor 42","endpoint":"dev-m"}]' ] && ok || ko "bs cert-map list"
x509 bs-x509-mapped dev-m "$bs?ep=dev-m"
expect "bs x509 CN mapped" bs-x509-mapped 2.04 "$L" "endpoint dev-m, query ep=dev-m"
x509 bs-x509-mapped-noep dev-m "$bs"
answered bs-x509-mapped-noep 2.04 && ok || ko "bs x509 mapped CN without ep: $(cat "$work/bs-x509-mapped-noep")"
logged_re "$L" "Bootstrap-Request from 127.0.0.1:[0-9]+: endpoint dev-m$" && ok || ko "bs x509 mapped CN without ep: no session for dev-m"

# Other modes for these endpoints.
coap bs-nosec -m post "coap://127.0.0.1:$bsudp/bs?ep=dev-r"
expect "bs rpk endpoint over NoSec" bs-nosec 4.00 "$L" "for endpoint dev-r refused: endpoint has credentials, request came over NoSec"
psk bs-psk-for-x dev-p-id secretkey "coaps://127.0.0.1:$bsport/bs?ep=dev-x"
expect "bs x509 endpoint over PSK" bs-psk-for-x 4.00 "$L" "for endpoint dev-x refused: endpoint has x509 credentials, request came over psk"
x509 bs-x509-for-r dev-x "$bs?ep=dev-r"
expect "bs rpk endpoint over X.509" bs-x509-for-r 4.00 "$L" "for endpoint dev-r refused: endpoint has rpk credentials, request came over x509"
psk bs-psk-ok dev-p-id secretkey "coaps://127.0.0.1:$bsport/bs?ep=dev-p"
expect "bs psk still works" bs-psk-ok 2.04 "$L" "endpoint dev-p, query ep=dev-p"
"$bsbin" config cert-map remove --store "$bsdb" "Acme Sensor 42" && ok || ko "bs cert-map remove"
"$bsbin" config cert-map remove --store "$bsdb" "Acme Sensor 42" 2>/dev/null; [ $? -eq 3 ] && ok || ko "bs cert-map remove twice: not 3"

# ---- lwm2m-server -------------------------------------------------------------------------
sdb=sqlite:$work/srv.db
sec() { "$srvbin" security --store "$sdb" "$@"; }
sec add dev-r --rpk-public-key "$c/dev-r.pub.der" 2>/dev/null && ok || ko "security add rpk (DER)"
openssl pkey -in "$c/dev-r2.key.pem" -pubout >"$c/dev-r2.pub.pem"
sec add --endpoint dev-r2 --rpk-public-key "$c/dev-r2.pub.pem" 2>/dev/null && ok || ko "security add rpk (PEM)"
for e in dev-x dev-x2 dev-m dev-old dev-rogue; do sec add --endpoint "$e" --x509 2>/dev/null || ko "security add $e"; done
sec add --endpoint dev-p --psk-identity dev-p-id --psk-key 7365637265746b6579 2>/dev/null || ko "security add psk"
sec add --endpoint dev-q --rpk-public-key "$c/dev-r.pub.der" 2>"$work/dup.err"; rc=$?
[ $rc -eq 1 ] && grep -q "public key already belongs to endpoint 'dev-r'" "$work/dup.err" && ok || ko "rpk key of another endpoint accepted ($rc): $(cat "$work/dup.err")"
sec add --endpoint dev-q --rpk-public-key "$c/dev-x.crt.der" 2>"$work/notkey.err"; rc=$?
[ $rc -eq 1 ] && grep -q "bad public key" "$work/notkey.err" && ok || ko "certificate accepted as rpk ($rc)"
sec add --endpoint dev-q --psk-identity rpk:dev-r --psk-key 00 2>/dev/null; [ $? -eq 1 ] && ok || ko "reserved psk identity accepted"
[ "$(sec show dev-r)" = "{\"endpoint\":\"dev-r\",\"mode\":\"rpk\",\"publicKey\":\"$(hex "$c/dev-r.pub.der")\"}" ] && ok || ko "security show rpk: $(sec show dev-r)"
[ "$(sec show dev-x)" = '{"endpoint":"dev-x","mode":"x509"}' ] && ok || ko "security show x509: $(sec show dev-x)"
sec add --endpoint dev-z 2>/dev/null; [ $? -eq 2 ] && ok || ko "security add without a mode: not 2"
sec add --endpoint dev-z --x509 --rpk-public-key "$c/dev-r.pub.der" 2>/dev/null; [ $? -eq 2 ] && ok || ko "two modes: not 2"

"$srvbin" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --no-http --store "$sdb" \
  --cert "$c/server.crt.pem" --key "$c/server.key.pem" --ca-file "$c/ca.crt.der" 2>"$work/srv.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening:" "$work/srv.log" && break; sleep 0.1; done
sport=$(sed -n 's/.* coaps=127.0.0.1:\([0-9]*\) .*/\1/p' "$work/srv.log")
sudp=$(sed -n 's/.* coap=127.0.0.1:\([0-9]*\) .*/\1/p' "$work/srv.log")
[ -n "$sport" ] && ok || { ko "lwm2m-server did not start: $(cat "$work/srv.log")"; echo "$pass passed, $fail failed"; exit 1; }
rd() { echo "coaps://127.0.0.1:$sport/rd?ep=$1&lt=60"; }
reg=(-t 40 -e '</1/1>')
L=$work/srv.log

rpk srv-rpk-ok dev-r "${reg[@]}" "$(rd dev-r)"
expect "srv rpk success" srv-rpk-ok 2.01 "$L" "event=registered endpoint=dev-r id="
rpk srv-rpk-wrong stranger "${reg[@]}" "$(rd dev-r)"
expect "srv rpk wrong key" srv-rpk-wrong 4.03 "$L" "registration of endpoint dev-r from 127.0.0.1:"
logged "$L" "(RPK) refused: public key not registered for any endpoint" && ok || ko "srv rpk wrong key: reason"
rpk srv-rpk-other dev-r2 "${reg[@]}" "$(rd dev-r)"
expect "srv rpk key of another endpoint" srv-rpk-other 4.03 "$L" "(RPK) refused: public key registered for endpoint 'dev-r2'"

x509 srv-x509-ok dev-x "${reg[@]}" "$(rd dev-x)"
expect "srv x509 success" srv-x509-ok 2.01 "$L" "event=registered endpoint=dev-x id="
x509 srv-x509-expired dev-old "${reg[@]}" "$(rd dev-old)"
expect "srv x509 expired" srv-x509-expired none "$L" "refused: certificate expired or not yet valid (certificate 'dev-old')"
x509 srv-x509-untrusted dev-rogue "${reg[@]}" "$(rd dev-rogue)"
expect "srv x509 untrusted CA" srv-x509-untrusted none "$L" "refused: certificate from an untrusted CA (certificate 'dev-rogue')"
x509 srv-x509-cn dev-x "${reg[@]}" "$(rd dev-x2)"
expect "srv x509 CN not the endpoint" srv-x509-cn 4.03 "$L" "registration of endpoint dev-x2 from"
logged "$L" "(X.509) refused: certificate CN 'dev-x' is not the endpoint name and is not mapped to it" && ok || ko "srv x509 CN: reason"
x509 srv-x509-unmapped dev-m "${reg[@]}" "$(rd dev-m)"
expect "srv x509 CN not mapped yet" srv-x509-unmapped 4.03 "$L" "refused: certificate CN 'Acme Sensor 42' is not the endpoint name"
sec cert-map add "Acme Sensor 42" dev-m && ok || ko "security cert-map add"
[ "$(sec cert-map list | tr -d '\n')" = '[{"cn":"Acme Sensor 42","endpoint":"dev-m"}]' ] && ok || ko "security cert-map list"
x509 srv-x509-mapped dev-m "${reg[@]}" "$(rd dev-m)"
expect "srv x509 CN mapped" srv-x509-mapped 2.01 "$L" "event=registered endpoint=dev-m id="

coap srv-nosec -m post "${reg[@]}" "coap://127.0.0.1:$sudp/rd?ep=dev-r&lt=60"
expect "srv rpk endpoint over NoSec" srv-nosec 4.03 "$L" "refused: the endpoint has RPK credentials, NoSec registration refused"
psk srv-psk-for-x dev-p-id secretkey "${reg[@]}" "$(rd dev-x)"
expect "srv x509 endpoint over PSK" srv-psk-for-x 4.03 "$L" "(PSK) refused: PSK identity 'dev-p-id' belongs to endpoint 'dev-p'"
x509 srv-x509-for-r dev-x "${reg[@]}" "$(rd dev-r)"
expect "srv rpk endpoint over X.509" srv-x509-for-r 4.03 "$L" "(X.509) refused: the endpoint has RPK credentials, X.509 registration refused"
psk srv-psk-ok dev-p-id secretkey "${reg[@]}" "$(rd dev-p)"
expect "srv psk still works" srv-psk-ok 2.01 "$L" "event=registered endpoint=dev-p id="

# A server presenting a raw public key (--rpk-key) serves both kinds of clients too.
mkdir "$work/cas" && cp "$c/ca.crt.pem" "$work/cas/" && cp "$c/other.crt.der" "$work/cas/other.der"
"$srvbin" --listen 127.0.0.1:0 --dtls-listen 127.0.0.1:0 --http 127.0.0.1:0 --store "$sdb" \
  --rpk-key "$c/server.key.pem" --ca-dir "$work/cas" 2>"$work/srv2.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening:" "$work/srv2.log" && break; sleep 0.1; done
sport=$(sed -n 's/.* coaps=127.0.0.1:\([0-9]*\) .*/\1/p' "$work/srv2.log")
grep -q "the server presents its raw public key $(hex "$c/server.pub.der"), 2 trusted CA certificates" "$work/srv2.log" && ok || ko "rpk server start-up line: $(cat "$work/srv2.log")"
rpk srv2-rpk dev-r "${reg[@]}" "$(rd dev-r)"
expect "rpk server, rpk client" srv2-rpk 2.01 "$work/srv2.log" "event=registered endpoint=dev-r id="
x509 srv2-x509 dev-x "${reg[@]}" "$(rd dev-x)"
expect "rpk server, x509 client" srv2-x509 2.01 "$work/srv2.log" "event=registered endpoint=dev-x id="

# The HTTP API takes and shows the new modes too.
http=$(sed -n 's/.* http=\(127.0.0.1:[0-9]*\) .*/\1/p' "$work/srv2.log")
put() { curl -s -o "$work/put.out" -w '%{http_code}' -X PUT "http://$http/api/security/$1" -d "$2"; }
[ "$(put dev-h "{\"rpkPublicKey\":\"$(hex "$c/stranger.pub.der")\"}")" = 201 ] && ok || ko "PUT rpk: $(cat "$work/put.out")"
[ "$(curl -s "http://$http/api/security/dev-h")" = "{\"endpoint\":\"dev-h\",\"mode\":\"rpk\",\"publicKey\":\"$(hex "$c/stranger.pub.der")\"}" ] && ok || ko "GET rpk"
[ "$(put dev-h '{"x509":true}')" = 200 ] && ok || ko "PUT x509: $(cat "$work/put.out")"
[ "$(put dev-h "{\"rpkPublicKey\":\"$(hex "$c/dev-r.pub.der")\"}")" = 409 ] && ok || ko "PUT rpk of another endpoint: $(cat "$work/put.out")"
[ "$(put dev-h '{"rpkPublicKey":"3000"}')" = 400 ] && ok || ko "PUT bad rpk: $(cat "$work/put.out")"
[ "$(put dev-h '{"x509":true,"pskIdentity":"a","pskKey":"00"}')" = 400 ] && ok || ko "PUT two modes: $(cat "$work/put.out")"
[ "$(curl -s "http://$http/api/security/dev-h")" = '{"endpoint":"dev-h","mode":"x509"}' ] && ok || ko "GET x509"

# ---- option errors ------------------------------------------------------------------------
opt() { # $1 expected status, then options
  local want=$1
  shift
  "$srvbin" --no-http --store "$sdb" "$@" >/dev/null 2>"$work/opt.err"
  local rc=$?
  [ $rc -eq "$want" ] && ok || ko "lwm2m-server $* exited $rc, not $want: $(cat "$work/opt.err")"
}
opt 2 --dtls-listen 127.0.0.1:0 --cert "$c/server.crt.pem"
opt 2 --dtls-listen 127.0.0.1:0 --ca-file "$c/ca.crt.pem"
opt 2 --cert "$c/server.crt.pem" --key "$c/server.key.pem"
opt 2 --dtls-listen 127.0.0.1:0 --cert "$c/server.crt.pem" --key "$c/server.key.pem" --rpk-key "$c/server.key.pem"
opt 1 --dtls-listen 127.0.0.1:0 --cert "$c/server.key.pem" --key "$c/server.key.pem"
grep -q "not an X.509 certificate\|no PEM block" "$work/opt.err" && ok || ko "bad certificate message: $(cat "$work/opt.err")"
"$bsbin" --dtls-listen 127.0.0.1:0 --key "$c/server.key.pem" 2>/dev/null; [ $? -eq 2 ] && ok || ko "bs --key alone: not 2"
"$bsbin" --help | grep -q -- "--rpk-key FILE" && ok || ko "bs --help lacks --rpk-key"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
