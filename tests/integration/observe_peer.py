#!/usr/bin/env python3
"""An independent LwM2M Server for the Observe test of lwm2m-client: hand-built CoAP frames over
UDP (the helpers of bs_peer.py), no libcoap and none of the project's code.

usage: observe_peer.py PORT_FILE ENDPOINT
It binds 127.0.0.1:0 and writes its port to PORT_FILE, then expects the client's Register
(root link '</>;rt="oma.lwm2m";ct=110' first) and answers 2.01 /rd/1. As the client's server it:
  1. sets pmin=1&pmax=2 on /3/0/13 (Write-Attributes) and observes it (GET, Observe 0, token T1):
     the 2.05 carries an Observe option; then at least 2 notifications (CON 2.05, token T1) with
     increasing Observe numbers and changing values, each ACKed;
  2. is refused Observe on the Security object (4.01, no Observe option);
  3. observes /1/1/1 (token T2), writes 120 to it: a notification with 120 arrives;
  4. creates /1/5 (2.01 with Location-Path 1/5);
  5. cancels T1 (GET with Observe 1): 2.05 without Observe, no T1 notification afterwards;
  6. observes /3/0/13 with token T3 and answers its first notification with a RST: no T3
     notification afterwards;
then creates PORT_FILE.done and expects the De-register (DELETE /rd/1) when the client stops.
Prints one line per check ("ok ..." / "FAIL ..."); exit status 0 when all passed.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bs_peer import (ACK, CON, DELETE, GET, POST, PUT, RST, code, frame, parse,  # noqa: E402
                     path_of, path_opts, query_of, uint_opt)

OBSERVE, CONTENT_FORMAT, LOCATION_PATH = 6, 12, 8
T1, T2, T3 = b"\x71\x01", b"\x72\x02\x02", b"\x73\x03\x03\x03"


def opt_uint(opts, num):
    vals = [int.from_bytes(v, "big") for n, v in opts if n == num]
    return vals[0] if vals else None


class Server:
    def __init__(self, port_file, endpoint):
        self.port_file, self.endpoint = port_file, endpoint
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.client = None
        self.mid = 0x2000
        self.failures = 0
        self.notes = []  # (time, token, code, observe, payload)
        self.reset = set()  # tokens whose notifications get a RST
        self.pending_con = None  # a CON request of the client not yet handled

    def check(self, ok, what):
        print("%s %s" % ("ok" if ok else "FAIL", what), flush=True)
        self.failures += not ok

    def receive(self, deadline):
        """One datagram before `deadline`, or None. Notifications are recorded and answered
        here (ACK, or RST for tokens in self.reset); other messages are returned."""
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                return None
            msg = parse(data)
            mtype, c, mid, token, opts, payload = msg
            if mtype == CON and c >= code(2, 0):
                self.notes.append((time.time(), token, c, opt_uint(opts, OBSERVE), payload))
                reply = RST if token in self.reset else ACK
                self.sock.sendto(frame(reply, 0, mid, b""), addr)
                continue
            return msg, addr

    def register(self):
        got = self.receive(time.time() + 15)
        if got is None:
            self.check(False, "no Register within 15 s")
            return False
        (mtype, c, mid, token, opts, payload), self.client = got
        links = payload.decode(errors="replace")
        self.check(mtype == CON and c == POST and path_of(opts) == "/rd"
                   and query_of(opts) == "ep=%s&lt=300&lwm2m=1.1&b=U" % self.endpoint
                   and links.startswith('</>;rt="oma.lwm2m";ct=110,') and "</3/0>" in links
                   and "</0" not in links,
                   "Register %s?%s %s" % (path_of(opts), query_of(opts), links))
        self.sock.sendto(frame(ACK, code(2, 1), mid, token, [(LOCATION_PATH, b"rd"),
                                                             (LOCATION_PATH, b"1")]), self.client)
        return True

    def request(self, method, path, token=None, query=None, fmt=None, payload=b"", observe=None):
        """A confirmable request; returns (code, options, payload) of the piggybacked answer."""
        self.mid += 1
        token = token if token is not None else struct.pack("!H", self.mid)
        opts = path_opts(path)
        if observe is not None:
            opts.append((OBSERVE, uint_opt(observe)))
        if fmt is not None:
            opts.append((CONTENT_FORMAT, uint_opt(fmt)))
        for q in (query.split("&") if query else []):
            opts.append((15, q.encode()))
        self.sock.sendto(frame(CON, method, self.mid, token, opts, payload), self.client)
        deadline = time.time() + 5
        while True:
            got = self.receive(deadline)
            if got is None:
                return None, [], b""
            (mtype, c, mid, rtok, ropts, rpayload), _ = got
            if mtype == ACK and mid == self.mid and rtok == token:
                return c, ropts, rpayload

    def wait(self, seconds):
        deadline = time.time() + seconds
        while self.receive(deadline) is not None:
            pass

    def notes_of(self, token, since=0.0):
        return [n for n in self.notes if n[1] == token and n[0] >= since]

    def deregister(self):
        with open(self.port_file + ".done", "w") as f:
            f.write("1")
        got = self.receive(time.time() + 10)
        while got is not None and got[0][0] != CON:
            got = self.receive(time.time() + 10)
        if got is None:
            self.check(False, "no De-register")
            return
        (mtype, c, mid, token, opts, _), addr = got
        self.check(c == DELETE and path_of(opts) == "/rd/1", "De-register %s" % path_of(opts))
        self.sock.sendto(frame(ACK, code(2, 2), mid, token), addr)


def fmt_code(c):
    return "%d.%02d" % (c >> 5, c & 31) if c is not None else "none"


def increasing(notes):
    seqs = [n[3] for n in notes]
    return all(s is not None for s in seqs) and all(b > a for a, b in zip(seqs, seqs[1:]))


def main():
    srv = Server(sys.argv[1], sys.argv[2])
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.sock.getsockname()[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    if not srv.register():
        return 1

    # 1. Current Time with pmin 1 s, pmax 2 s.
    c, _, _ = srv.request(PUT, "/3/0/13", query="pmin=1&pmax=2")
    srv.check(c == code(2, 4), "Write-Attributes /3/0/13?pmin=1&pmax=2 -> %s" % fmt_code(c))
    c, opts, body = srv.request(GET, "/3/0/13", token=T1, observe=0)
    first_seq = opt_uint(opts, OBSERVE)
    srv.check(c == code(2, 5) and first_seq is not None and body.isdigit()
              and abs(int(body) - time.time()) < 5,
              "Observe /3/0/13 -> %s observe=%s %s" % (fmt_code(c), first_seq, body))
    start = time.time()
    srv.wait(3.6)
    notes = srv.notes_of(T1)
    values = [n[4] for n in notes]
    srv.check(len(notes) >= 2 and all(n[2] == code(2, 5) for n in notes)
              and increasing([(0, 0, 0, first_seq, b"")] + notes)
              and len(set(values)) == len(values) and all(v.isdigit() for v in values),
              "%d notifications of /3/0/13 in %.1f s: observe %s values %s" % (
                  len(notes), time.time() - start, [n[3] for n in notes], values))
    gaps = [b[0] - a[0] for a, b in zip(notes, notes[1:])]
    srv.check(all(g > 0.7 for g in gaps), "pmin respected: gaps %s" % [round(g, 2) for g in gaps])

    # 2. The Security object stays closed, Observe or not.
    c, opts, _ = srv.request(GET, "/0/1", observe=0)
    srv.check(c == code(4, 1) and opt_uint(opts, OBSERVE) is None,
              "Observe /0/1 -> %s (no Observe option)" % fmt_code(c))

    # 3. Lifetime: observed, written, notified.
    c, opts, body = srv.request(GET, "/1/1/1", token=T2, observe=0)
    srv.check(c == code(2, 5) and opt_uint(opts, OBSERVE) is not None and body == b"300",
              "Observe /1/1/1 -> %s %s" % (fmt_code(c), body.decode(errors="replace")))
    written = time.time()
    c, _, _ = srv.request(PUT, "/1/1/1", fmt=0, payload=b"120")
    srv.check(c == code(2, 4), "Write /1/1/1 120 -> %s" % fmt_code(c))
    srv.wait(1.0)
    lt_notes = srv.notes_of(T2, written)
    srv.check(len(lt_notes) == 1 and lt_notes[0][4] == b"120" and lt_notes[0][2] == code(2, 5),
              "notification of /1/1/1 after the Write: %s" % [n[4] for n in lt_notes])

    # 4. Create answers with the new instance's Location-Path.
    c, opts, _ = srv.request(POST, "/1", fmt=110, payload=(
        b'[{"bn":"/1/5/","n":"0","v":105},{"n":"1","v":60},{"n":"7","vs":"U"}]'))
    loc = [v.decode() for n, v in opts if n == LOCATION_PATH]
    srv.check(c == code(2, 1) and loc == ["1", "5"], "Create /1/5 -> %s Location-Path %s" % (
        fmt_code(c), loc))

    # 5. Cancel T1 with Observe 1: answered normally, no more notifications.
    c, opts, body = srv.request(GET, "/3/0/13", token=T1, observe=1)
    cancelled = time.time()
    srv.check(c == code(2, 5) and opt_uint(opts, OBSERVE) is None and body.isdigit(),
              "Observe cancel /3/0/13 -> %s, observe option %s" % (
                  fmt_code(c), opt_uint(opts, OBSERVE)))

    # 6. A RST to a notification ends that observation.
    srv.reset.add(T3)
    c, opts, _ = srv.request(GET, "/3/0/13", token=T3, observe=0)
    srv.check(c == code(2, 5) and opt_uint(opts, OBSERVE) is not None,
              "Observe /3/0/13 with a new token -> %s" % fmt_code(c))
    srv.wait(2.5)
    reset_at = srv.notes_of(T3)
    srv.wait(3.0)
    srv.check(len(srv.notes_of(T1, cancelled)) == 0,
              "no notification of the cancelled token in %.1f s" % (time.time() - cancelled))
    srv.check(len(reset_at) == 1 and len(srv.notes_of(T3)) == 1,
              "one notification answered with RST, then none: %d" % len(srv.notes_of(T3)))
    srv.deregister()
    return 1 if srv.failures else 0


if __name__ == "__main__":
    sys.exit(main())
