#!/usr/bin/env python3
"""An independent registering client for black-box tests of lwm2m-server: hand-built CoAP
frames over UDP (RFC 7252), none of the project's code. It sends well-formed and malformed
Register, Update and De-register requests and checks each answer's code, Location-Path and
diagnostic.

usage: rd_client_peer.py SERVER_PORT ENDPOINT
Prints one line per check ("ok ..." or "FAIL ..."); exit 0 when every answer was as expected.
The endpoint is left registered with lifetime 120 at the end (id printed as 'registered ID').
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bs_peer import CON, ACK, GET, POST, PUT, DELETE, code, frame, parse, path_opts, uint_opt  # noqa: E402

LINKS = b'</>;rt="oma.lwm2m";ct=110,</1/1>,</3/0>'


class Client:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.dst = ("127.0.0.1", port)
        self.mid = 0x2000
        self.failures = 0

    def request(self, method, path, query=(), payload=b"", fmt=40):
        self.mid += 1
        token = self.mid.to_bytes(2, "big")
        opts = path_opts(path) + [(15, q.encode()) for q in query]
        if payload and fmt is not None:
            opts.append((12, uint_opt(fmt)))
        self.sock.sendto(frame(CON, method, self.mid, token, opts, payload), self.dst)
        while True:
            data, _ = self.sock.recvfrom(2048)
            mtype, c, mid, tok, ropts, body = parse(data)
            if tok == token and mtype == ACK:
                location = "/".join(v.decode() for n, v in ropts if n == 8)
                return c, location, body.decode(errors="replace")

    def check(self, what, got, want_code, diag_part=None):
        c, location, diag = got
        good = c == want_code and (diag_part is None or diag_part in diag)
        self.failures += not good
        print("%s %s: %d.%02d %s%s" % ("ok" if good else "FAIL", what, c >> 5, c & 31,
                                        ("location " + location) if location else "",
                                        ('"%s"' % diag) if diag else ""))
        return location


def main():
    port, ep = int(sys.argv[1]), sys.argv[2]
    c = Client(port)
    bad = code(4, 0)
    c.check("no ep", c.request(POST, "/rd", ["lt=60"], LINKS), bad, "ep")
    c.check("empty ep", c.request(POST, "/rd", ["ep="], LINKS), bad, "ep")
    c.check("bad lt", c.request(POST, "/rd", ["ep=" + ep, "lt=abc"], LINKS), bad, "lifetime")
    c.check("lt 0", c.request(POST, "/rd", ["ep=" + ep, "lt=0"], LINKS), bad, "lifetime")
    c.check("unknown version", c.request(POST, "/rd", ["ep=" + ep, "lwm2m=2.0"], LINKS), bad,
            "2.0")
    c.check("bad binding", c.request(POST, "/rd", ["ep=" + ep, "lwm2m=1.1", "b=X"], LINKS), bad,
            "binding")
    c.check("duplicate ep", c.request(POST, "/rd", ["ep=" + ep, "ep=x"], LINKS), bad)
    c.check("no object links", c.request(POST, "/rd", ["ep=" + ep]), bad)
    c.check("malformed links", c.request(POST, "/rd", ["ep=" + ep], b"</1/1,</3/0>"), bad)
    c.check("not link format", c.request(POST, "/rd", ["ep=" + ep], LINKS, fmt=110), code(4, 15))
    c.check("PUT /rd", c.request(PUT, "/rd", ["ep=" + ep], LINKS), code(4, 5))
    c.check("unknown path", c.request(POST, "/other", ["ep=" + ep], LINKS), code(4, 4))
    q = ["ep=" + ep, "lt=60", "lwm2m=1.1", "b=U"]
    first = c.check("Register", c.request(POST, "/rd", q, LINKS), code(2, 1))
    if not first.startswith("rd/") or len(first) != 13:
        c.failures += 1
        print("FAIL location '%s' is not rd/<10 hex>" % first)
    c.check("Update lt=120", c.request(POST, "/" + first, ["lt=120"]), code(2, 4))
    c.check("Update with a bad lt", c.request(POST, "/" + first, ["lt=-5"]), bad, "lifetime")
    second = c.check("Register again (replaces)", c.request(POST, "/rd", q, LINKS), code(2, 1))
    if second == first:
        c.failures += 1
        print("FAIL the new registration kept the id %s" % first)
    c.check("Update of the replaced id", c.request(POST, "/" + first, []), code(4, 4))
    c.check("De-register", c.request(DELETE, "/" + second), code(2, 2))
    c.check("De-register again", c.request(DELETE, "/" + second), code(4, 4))
    third = c.check("Register once more", c.request(POST, "/rd", q, LINKS), code(2, 1))
    c.check("Update lt=120 and new objects",
            c.request(POST, "/" + third, ["lt=120"], b"</1/1>,</3/0>,</5/0>"), code(2, 4))
    print("registered %s" % third[3:])
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
