#!/usr/bin/env bash
# Test credentials for the DTLS modes of LwM2M (RPK and X.509), made with openssl (Debian package
# `openssl`). Not for production: keys are unencrypted, the CA is a throw-away.
#
#   scripts/mkcreds.sh DIR ca [NAME]                 a CA (default name "ca")
#   scripts/mkcreds.sh DIR cert NAME [options]       a key pair and a certificate with CN=NAME
#       --ca CA            signed by CA (default "ca", made on first use)
#       --expired          valid from 2020-01-01 to 2021-01-01
#       --days N           validity from now (default 3650)
#       --cn TEXT          subject CN other than NAME
#   scripts/mkcreds.sh DIR rpk NAME                  a raw public key pair (no certificate)
#
# Files, for NAME (the encodings the LwM2M Security object asks for, and PEM for tools):
#   NAME.key.der  private key, PKCS#8 DER (RFC 5958)       /0/x/5
#   NAME.key.pem  the same, PEM
#   NAME.pub.der  public key, SubjectPublicKeyInfo DER     /0/x/3 (RPK), /0/x/4 of the peer (RPK)
#   NAME.crt.der  certificate, X.509 DER                    /0/x/3 (cert), /0/x/4 of the peer
#   NAME.crt.pem  the same, PEM
# and CA.crt.der / CA.crt.pem / CA.key.pem for a CA. Keys are EC P-256 (secp256r1), the curve
# LwM2M's cipher suites use. Hex of any DER file: `od -An -tx1 -v FILE | tr -d ' \n'`.
# Exit status: 0, 1 when openssl fails, 2 on bad usage.
set -euo pipefail

usage() {
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "mkcreds.sh: $*" >&2
  exit 2
}

[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { usage; exit 0; }
[ $# -ge 2 ] || { usage >&2; exit 2; }
command -v openssl >/dev/null || { echo "mkcreds.sh: openssl is missing (apt-get install openssl)" >&2; exit 1; }

dir=$1
what=$2
shift 2
mkdir -p "$dir"

new_key() { # NAME: NAME.key.pem, NAME.key.der, NAME.pub.der
  local name=$1
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key.pem" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$dir/$name.key.pem" -outform DER -out "$dir/$name.key.der"
  openssl pkey -in "$dir/$name.key.pem" -pubout -outform DER -out "$dir/$name.pub.der"
}

make_ca() { # NAME
  local name=$1
  [ -f "$dir/$name.crt.pem" ] && return 0
  new_key "$name"
  openssl req -new -x509 -key "$dir/$name.key.pem" -subj "/CN=$name test CA" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/$name.crt.pem" 2>/dev/null
  openssl x509 -in "$dir/$name.crt.pem" -outform DER -out "$dir/$name.crt.der"
}

case $what in
ca)
  make_ca "${1:-ca}"
  ;;
rpk)
  [ $# -eq 1 ] || die "rpk takes one NAME"
  new_key "$1"
  ;;
cert)
  [ $# -ge 1 ] || die "cert takes a NAME"
  name=$1
  shift
  ca=ca days=3650 expired=0 cn=$name
  while [ $# -gt 0 ]; do
    case $1 in
    --ca) ca=${2:?--ca needs a name}; shift 2 ;;
    --expired) expired=1; shift ;;
    --days) days=${2:?--days needs a number}; shift 2 ;;
    --cn) cn=${2:?--cn needs a text}; shift 2 ;;
    *) die "unknown option '$1'" ;;
    esac
  done
  make_ca "$ca"
  new_key "$name"
  openssl req -new -key "$dir/$name.key.pem" -subj "/CN=$cn" -out "$dir/$name.csr" 2>/dev/null
  ext=$(mktemp)
  trap 'rm -f "$ext"' EXIT
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  if [ "$expired" = 1 ]; then
    # `openssl x509` of OpenSSL 3.0 cannot set a start date in the past; `openssl ca` can.
    cadir=$(mktemp -d)
    trap 'rm -rf "$ext" "$cadir"' EXIT
    : >"$cadir/index.txt"
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
      "$cadir" "$cadir" "$cadir" >"$cadir/ca.cnf"
    echo 01 >"$cadir/serial"
    openssl ca -batch -config "$cadir/ca.cnf" -cert "$dir/$ca.crt.pem" -keyfile "$dir/$ca.key.pem" \
      -startdate 20200101000000Z -enddate 20210101000000Z -extfile "$ext" \
      -in "$dir/$name.csr" -out "$dir/$name.crt.pem" -notext 2>/dev/null
  else
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt.pem" -CAkey "$dir/$ca.key.pem" \
      -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "$dir/$name.crt.pem" 2>/dev/null
  fi
  openssl x509 -in "$dir/$name.crt.pem" -outform DER -out "$dir/$name.crt.der"
  rm -f "$dir/$name.csr"
  ;;
*)
  die "unknown command '$what' (ca, cert, rpk; --help)"
  ;;
esac
