#!/usr/bin/env bash
# Black-box tests of lwm2m-codec: conversions, exit codes, diagnostics. Run by CTest with
# LWM2M_BIN_DIR and LWM2M_SOURCE_DIR set; prints "N passed, N failed".
set -u
bin=${LWM2M_BIN_DIR:?}/lwm2m-codec
data=${LWM2M_SOURCE_DIR:?}/tests/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
norm() { tr -d ' \n\t\r' | tr 'A-F' 'a-f'; }

# $1 name, $2 path, $3 hex file: TLV -> each format -> TLV must give the same bytes.
roundtrip() {
  local name=$1 path=$2 file=$3 fmt
  for fmt in senml-json senml-cbor json cbor; do
    if ! "$bin" --from tlv --to "$fmt" --path "$path" --hex <"$file" >"$work/mid" 2>"$work/err"; then
      ko "$name: tlv -> $fmt failed: $(cat "$work/err")"; continue
    fi
    if ! "$bin" --from "$fmt" --to tlv --path "$path" --hex <"$work/mid" >"$work/back" 2>"$work/err"; then
      ko "$name: $fmt -> tlv failed: $(cat "$work/err")"; continue
    fi
    if [ "$(norm <"$file")" = "$(norm <"$work/back")" ]; then ok; else
      ko "$name: tlv -> $fmt -> tlv differs: $(norm <"$work/back")"; fi
  done
}

# The issue's check: the OMA TS Device object TLV example to SenML JSON and back, byte-exact.
roundtrip "Read /3/0 (TS 6.4.3.1)" /3/0 "$data/tlv/device_3_0.hex"
roundtrip "Read /3 (TS 6.4.3.2 A)" /3 "$data/tlv/device_3.hex"

# SenML JSON of the Device example names the values as the TS does.
json=$("$bin" --from tlv --to senml-json --path /3/0 --hex <"$data/tlv/device_3_0.hex")
case "$json" in
  '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},'*'{"n":"6/1","v":5},'*'{"n":"13","v":1367491215}'*) ok ;;
  *) ko "unexpected SenML JSON: $json" ;;
esac

# Without --path the records' common path is used when writing.
out=$(echo -n '[{"bn":"/3/0/","n":"9","v":100}]' | "$bin" --from senml-json --to tlv --hex)
[ "$(echo "$out" | norm)" = "c10964" ] && ok || ko "default path: got '$out'"

# Text and opaque need a single resource.
out=$(echo -n '[{"bn":"/3/0/9","v":100}]' | "$bin" --from senml-json --to text --path /3/0/9)
[ "$out" = "100" ] && ok || ko "senml-json -> text: got '$out'"

# Bad input: exit 1 and one line naming the byte offset and the cause.
for bad in "c8 00 14 4f 70" "88 07 08 42 00 0e" "c1"; do
  echo "$bad" | "$bin" --from tlv --to senml-json --path /3/0 --hex >"$work/out" 2>"$work/err"
  rc=$?
  lines=$(wc -l <"$work/err")
  if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "byte [0-9]" "$work/err" && [ ! -s "$work/out" ]; then ok; else
    ko "bad TLV '$bad': rc=$rc stderr=$(cat "$work/err")"; fi
done
echo -n '[{"bn":"/3/0/","n":"9","v":}]' | "$bin" --from senml-json --to tlv --hex >/dev/null 2>"$work/err"
rc=$?
[ $rc -eq 1 ] && grep -E -q "byte 2[67]" "$work/err" && ok || ko "bad JSON: rc=$rc $(cat "$work/err")"
echo "zz" | "$bin" --from tlv --to json --path /3/0 --hex >/dev/null 2>"$work/err"
[ $? -eq 1 ] && ok || ko "bad hex accepted"

# Usage errors: exit 2 with a message; --help exits 0.
"$bin" --to tlv </dev/null >/dev/null 2>"$work/err"; [ $? -eq 2 ] && [ -s "$work/err" ] && ok || ko "missing --from"
"$bin" --from xml --to tlv </dev/null >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "unknown format"
"$bin" --from tlv --to tlv --path /3/x </dev/null >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "bad --path"
"$bin" --from link --to tlv </dev/null >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "link to tlv"
"$bin" --help | grep -q -- "--object-dir" && ok || ko "--help"

# --object-dir: a custom object whose resource 5700 is a Float; an integral JSON number is then
# written as a 4-byte TLV float instead of a 1-byte integer.
mkdir -p "$work/objs"
cat >"$work/objs/3303.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name>Temperature</Name>
    <Description1><![CDATA[A temperature sensor & more]]></Description1>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700">
        <Name>Sensor Value</Name>
        <Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Float</Type>
        <RangeEnumeration></RangeEnumeration>
        <Units>Cel</Units>
        <Description><![CDATA[Last value]]></Description>
      </Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
XML
in='[{"bn":"/3303/0/","n":"5700","v":21}]'
out=$(echo -n "$in" | "$bin" --from senml-json --to tlv --path /3303/0 --hex --object-dir "$work/objs")
[ "$(echo "$out" | norm)" = "e4164441a80000" ] && ok || ko "--object-dir float: got '$out'"
out=$(echo -n "$in" | "$bin" --from senml-json --to tlv --path /3303/0 --hex)
[ "$(echo "$out" | norm)" = "e1164415" ] && ok || ko "no object dir: got '$out'"
echo "<oops" >"$work/objs/bad.xml"
"$bin" --from senml-json --to tlv --object-dir "$work/objs" </dev/null >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "bad.xml" "$work/err" && ok || ko "bad DDF file: $(cat "$work/err")"

# Link format is re-written canonically.
out=$(echo -n '</>;lwm2m=1.1,</0/0>;ssid=101;uri="coap://s1",</1/0>;ssid=101,</3/0>' | "$bin" --from link --to link)
[ "$out" = '</>;lwm2m=1.1,</0/0>;ssid=101;uri="coap://s1",</1/0>;ssid=101,</3/0>' ] && ok || ko "link: got '$out'"
echo -n '</3/0' | "$bin" --from link --to link >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "byte" "$work/err" && ok || ko "bad link accepted"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
