#!/usr/bin/env bash
# Installs the Debian 12 packages lwm2m-bootstrap needs, only those that are missing.
# Usage: scripts/install-deps.sh            (build + test dependencies)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  clang libclang-rt-14-dev        # libFuzzer harnesses and sanitizers
  libcmocka-dev                   # unit tests
  libcoap3-dev libcoap3-bin       # CoAP/DTLS (GnuTLS flavour) and the independent coap-client
  libgnutls28-dev                 # lwm2m-bench makes RPK/X.509 test keys with GnuTLS
  libsqlite3-dev libcjson-dev libmicrohttpd-dev libpq-dev
  xxd                             # hex dumps in the black-box tests
  python3                         # the independent hand-built-frame CoAP peer in the tests
  curl                            # the HTTP API black-box tests
  openssl                         # test credentials (scripts/mkcreds.sh) for the demo and DTLS tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
