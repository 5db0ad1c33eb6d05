#!/usr/bin/env bash
# The README's main command in its quick mode: every step of the journey must be reported ok,
# the exit status must be 0, and no process may be left behind — also after a Ctrl-C midway.
set -u
bin=${LWM2M_BIN_DIR:?}
src=${LWM2M_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# Every program the demo starts runs with a path under $tmp on its command line (its store,
# state file or API URL file), which is how leftovers are found.
leftovers() { pgrep -f "$tmp/lwm2m-demo" >/dev/null; }

TMPDIR=$tmp LWM2M_BIN_DIR=$bin bash "$src/scripts/demo.sh" --quick --no-build >"$tmp/out" 2>&1
rc=$?
[ "$rc" = 0 ] && ok || ko "demo exit status $rc"
for step in "scripts/mkcreds.sh: a test CA" "demo-plain bootstrapped:" \
  "demo-seed answered Finish with 4.06 Not Acceptable: too-many-servers" \
  "wrote the fallback, Finish 2.04" "demo-psk bootstrapped over DTLS PSK" \
  "demo-rpk bootstrapped over DTLS RPK" "demo-x509 bootstrapped over DTLS X.509" \
  "demo-plain registered, over NoSec" "demo-seed registered, over NoSec" \
  "demo-psk registered, over DTLS PSK" "demo-rpk registered, over DTLS RPK" \
  "demo-x509 registered, over DTLS X.509" "Read /3/0 of demo-plain answered 2.05" \
  "Observe /3/0/13" "Execute /1/1/9 answered 2.04" "demo-plain bootstrapped again" \
  "demo-plain registered again" "steps ok: the whole journey worked"; do
  grep -qF -- "$step" "$tmp/out" && ok || ko "no '$step' in the demo's output"
done
grep -q "FAILED" "$tmp/out" && ko "a step FAILED" || ok
grep -qE '/3/0/0 = "lwm2m-bootstrap"' "$tmp/out" && ok || ko "the Read did not show /3/0/0"
# Five clients, one line each in the clients table, and the timeline names each one's mode.
for ep in demo-plain demo-seed demo-psk demo-rpk demo-x509; do
  grep -qE "^ +$ep +[0-9a-f]+ " "$tmp/out" && ok || ko "$ep not in the clients table"
done
grep -qF "starting lwm2m-client demo-plain (NoSec), demo-seed (NoSec, --single-server), demo-psk (DTLS PSK), demo-rpk (DTLS RPK), demo-x509 (DTLS X.509)" "$tmp/out" && ok || ko "the start line does not name each client's mode"
sleep 0.5
leftovers && ko "processes left after the demo: $(pgrep -af "$tmp/lwm2m-demo")" || ok
ls "$tmp" | grep -q lwm2m-demo && ko "the demo left its working directory" || ok

# Ctrl-C once the clients are running: exit 130, nothing left. (A background job of a script
# starts with SIGINT ignored, which bash cannot undo: python restores the default first.)
TMPDIR=$tmp LWM2M_BIN_DIR=$bin python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$src/scripts/demo.sh" --quick --no-build >"$tmp/out2" 2>&1 &
demo=$!
for _ in $(seq 200); do grep -q "client-initiated bootstrap" "$tmp/out2" && break; sleep 0.1; done
grep -q "client-initiated bootstrap" "$tmp/out2" && ok || ko "the second demo run did not reach the clients"
kill -INT "$demo"
wait "$demo"
rc=$?
[ "$rc" = 130 ] && ok || ko "Ctrl-C: exit status $rc, expected 130"
sleep 0.5
leftovers && ko "processes left after Ctrl-C: $(pgrep -af "$tmp/lwm2m-demo")" || ok

if [ "$fail" -gt 0 ]; then
  echo "---- demo output"; cat "$tmp/out"; echo "---- demo output (Ctrl-C run)"; cat "$tmp/out2"
fi
echo "demo: $pass passed, $fail failed"
[ "$fail" = 0 ]
