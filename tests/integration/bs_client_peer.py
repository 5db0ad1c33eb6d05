#!/usr/bin/env python3
"""An independent LwM2M client for black-box tests of lwm2m-bs-server: hand-built CoAP frames
over one UDP socket (no libcoap, none of the project's C code). It sends the Bootstrap-Request
from the socket it listens on, answers every request of the server with scripted answers, and
checks each request and the server's reaction to each answer, a 4.06 at Finish included.

usage: bs_client_peer.py SERVER_PORT ENDPOINT [--stall MARKER_FILE]
With --stall it only sends the Bootstrap-Request, receives the server's first request, creates
MARKER_FILE and stops answering (a session left hanging, e.g. to kill the server mid-session).
Expects the endpoint's configuration to be: plan 0 = two servers (SSID 101, 102) with an Access
Control instance, Delete "/" first; plan 1 (fallback) = one server (SSID 101).
The peer claims object 2 in its Discover answer (so plan 0 is sent), refuses plan 0's Finish
with 4.06, then expects the server to delete exactly what it wrote, write plan 1, and Finish.
Exit 0 when every request was as expected; one line per step.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bs_peer import (ACK, CON, DELETE, GET, POST, PUT, code, frame, parse,  # noqa: E402
                     path_of, query_of)

failures = 0


def check(ok, what):
    global failures
    print("%s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


def main():
    server = ("127.0.0.1", int(sys.argv[1]))
    endpoint = sys.argv[2]
    stall = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--stall" else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    token = b"\x01\x02\x03\x04"
    sock.sendto(frame(CON, POST, 0x7001, token, [(11, b"bs"), (15, ("ep=" + endpoint).encode()),
                                                 (15, b"pct=110")]), server)
    state = "request"
    written = []
    deletes = []
    finishes = 0
    while True:
        try:
            data, addr = sock.recvfrom(4096)
        except socket.timeout:
            check(False, "timed out waiting in state %s" % state)
            break
        mtype, c, mid, tok, opts, payload = parse(data)
        if mtype == ACK and state == "request":
            check(c == code(2, 4) and tok == token, "Bootstrap-Request -> %d.%02d" % (c >> 5, c & 31))
            state = "discover"
            continue
        if mtype != CON:
            continue
        if stall:
            open(stall, "w").close()
            print("ok first request %d %s, stalling" % (c, path_of(opts)))
            return 0
        path = path_of(opts)
        cf = [int.from_bytes(v, "big") for n, v in opts if n == 12]
        accept = [int.from_bytes(v, "big") for n, v in opts if n == 17]

        def answer(rc, body=b"", fmt=None):
            o = [(12, bytes([fmt]) if fmt else b"")] if fmt is not None else []
            sock.sendto(frame(ACK, rc, mid, tok, o, body), addr)

        if state == "discover":
            check(c == GET and path == "/" and accept == [40], "Bootstrap-Discover GET %s accept=%s" % (path, accept))
            answer(code(2, 5), b'</>;lwm2m=1.1,</0/0>,</1>,</2>,</3/0>', 40)
            state = "plan0"
        elif c == DELETE and state in ("plan0", "plan1") and not written:
            # The plans' own Deletes: "/" for plan 0, "/0" then "/1" for plan 1.
            want = ["/"] if state == "plan0" else ["/0", "/1"]
            deletes.append(path)
            check(deletes == want[:len(deletes)], "Delete %s before the writes of %s" % (path, state))
            answer(code(2, 2))
        elif c == PUT:
            check(cf == [110] and path.count("/") == 1, "Write %s in SenML JSON (cf=%s, %d bytes)" % (path, cf, len(payload)))
            body = payload.decode(errors="replace")
            # Instances the server wrote, from the SenML names, for the rollback check.
            for part in body.split('"bn":"')[1:]:
                base = part.split('"')[0].strip("/").split("/")
                if len(base) >= 2:
                    written.append("/%s/%s" % (base[0], base[1]))
                elif len(base) == 1:
                    for n in part.split('"n":"')[1:]:
                        written.append("/%s/%s" % (base[0], n.split("/")[0]))
            answer(code(2, 4))
        elif c == POST and path == "/bs":
            finishes += 1
            if state == "plan0":
                want = sorted(set(written))
                check(want == ["/0/1", "/0/2", "/1/1", "/1/2", "/2/0"], "plan 0 wrote %s" % want)
                answer(code(4, 6), b"too-many-servers: this client holds one server account", 0)
                state = "rollback"
                rollback = []
                deletes = []
            else:
                want = sorted(set(written))
                check(want == ["/0/1", "/1/1"], "plan 1 wrote %s" % want)
                answer(code(2, 4))
                break
        elif c == DELETE and state == "rollback":
            rollback.append(path)
            answer(code(2, 2))
            if sorted(rollback) == sorted(set(written)):
                check(True, "rollback deleted %s" % sorted(rollback))
                written = []
                state = "plan1"
        else:
            check(False, "unexpected %d %s in state %s" % (c, path, state))
            answer(code(4, 0))
    check(finishes == 2, "two Finish requests (%d)" % finishes)
    # The server must not send anything after the successful Finish.
    sock.settimeout(1.5)
    try:
        data, _ = sock.recvfrom(4096)
        check(parse(data)[0] != CON, "no request after Finish")
    except socket.timeout:
        check(True, "no request after Finish")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
