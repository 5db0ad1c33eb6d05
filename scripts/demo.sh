#!/usr/bin/env bash
# The main job. For now (foundation stage): builds, then shows the codec CLI converting the OMA
# TS Device object example from TLV to SenML JSON and back, byte-exact.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >/dev/null
codec="$root/build/lwm2m-codec"
sample="$root/tests/data/tlv/device_3_0.hex"

echo "== OMA TS 6.4.3.1 Device object /3/0, TLV (hex):"
cat "$sample"
echo
echo "== lwm2m-codec --from tlv --to senml-json --path /3/0 --hex"
json=$("$codec" --from tlv --to senml-json --path /3/0 --hex <"$sample")
echo "$json"
echo
echo "== back: lwm2m-codec --from senml-json --to tlv --path /3/0 --hex"
back=$(echo -n "$json" | "$codec" --from senml-json --to tlv --path /3/0 --hex)
echo "$back"
echo
norm() { tr -d ' \n\t' | tr 'A-F' 'a-f'; }
if [ "$(norm <"$sample")" = "$(echo "$back" | norm)" ]; then
  echo "round trip TLV -> SenML JSON -> TLV: byte-exact"
else
  echo "round trip TLV -> SenML JSON -> TLV: DIFFERENT" >&2
  exit 1
fi
