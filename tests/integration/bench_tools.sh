#!/usr/bin/env bash
# The benchmark programs of bench/ in their quick mode: each runs and reports (correctness
# only; no timing is asserted).
set -u
bin=${LWM2M_BIN_DIR:?}
src=${LWM2M_SOURCE_DIR:?}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
bash "$src/bench/run_all.sh" --quick "$bin" >"$out" 2>&1 || { echo "FAIL: run_all.sh exit $?"; fail=1; }
for part in "== codec" "== store" "== done"; do
  grep -qF -- "$part" "$out" || { echo "FAIL: no '$part' in the output"; fail=1; }
done
grep -q "SenML CBOR" "$out" || { echo "FAIL: no SenML CBOR row"; fail=1; }
[ "$fail" = 0 ] || cat "$out"
echo "bench_tools: $([ "$fail" = 0 ] && echo ok || echo FAILED)"
[ "$fail" = 0 ]
