#!/usr/bin/env python3
"""An independent Bootstrap Server for black-box tests: hand-built CoAP frames over UDP
(RFC 7252), no libcoap and none of the project's code. It waits for the client's
Bootstrap-Request, answers it, then runs a scripted sequence and checks each answer.

usage: bs_peer.py PORT_FILE SCENARIO EXPECTED_QUERY
  PORT_FILE       the peer writes its UDP port there once bound
  SCENARIO        'plain' (Delete /, Write /0/1 and /1/1, Finish -> 2.04),
                  'seed' (multi-server + ACL -> Finish 4.06, then Delete /, rewrite -> 2.04),
                  'trigger' (plain, then as LwM2M Server: Read, Execute /1/1/9, and a second
                  bootstrap: Discover, Finish, Register again),
                  'pack' (1.2: answers GET /bspack with a SenML JSON pack),
                  'packfallback' (answers GET /bspack with 4.05, then plain via /bs)
  EXPECTED_QUERY  the Uri-Query the Bootstrap-Request must carry, e.g. 'ep=dev&pct=110'
Then, as the LwM2M Server of the account it wrote, it expects the client's Register
(CON POST /rd?ep=..&lt=300&lwm2m=1.1&b=U, link format listing /1/1 and /3/0), answers 2.01
with Location-Path /rd/5a3f, creates PORT_FILE.registered, and expects the De-register
(DELETE /rd/5a3f) when the client is stopped.
Exit 0 when every answer was as expected; prints one line per step.
"""
import os
import socket
import struct
import sys

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4


def code(c, d):
    return (c << 5) | d


def encode_options(opts):
    out, last = b"", 0
    for num, val in sorted(opts, key=lambda o: o[0]):
        delta, last = num - last, num
        def ext(n):
            if n < 13:
                return n, b""
            if n < 269:
                return 13, bytes([n - 13])
            return 14, struct.pack("!H", n - 269)
        d, dx = ext(delta)
        l, lx = ext(len(val))
        out += bytes([(d << 4) | l]) + dx + lx + val
    return out


def frame(mtype, c, mid, token, opts=(), payload=b""):
    head = bytes([0x40 | (mtype << 4) | len(token), c]) + struct.pack("!H", mid) + token
    body = encode_options(list(opts))
    if payload:
        body += b"\xff" + payload
    return head + body


def parse(data):
    if len(data) < 4 or data[0] >> 6 != 1:
        raise ValueError("not CoAP")
    mtype, tkl, c = (data[0] >> 4) & 3, data[0] & 15, data[1]
    mid = struct.unpack("!H", data[2:4])[0]
    token, pos, num, opts = data[4:4 + tkl], 4 + tkl, 0, []
    while pos < len(data) and data[pos] != 0xFF:
        b = data[pos]
        pos += 1
        d, l = b >> 4, b & 15
        for which in ("d", "l"):
            v = d if which == "d" else l
            if v == 13:
                v = data[pos] + 13
                pos += 1
            elif v == 14:
                v = struct.unpack("!H", data[pos:pos + 2])[0] + 269
                pos += 2
            if which == "d":
                d = v
            else:
                l = v
        num += d
        opts.append((num, data[pos:pos + l]))
        pos += l
    payload = data[pos + 1:] if pos < len(data) else b""
    return mtype, c, mid, token, opts, payload


def uint_opt(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""


def path_opts(path):
    return [(11, seg.encode()) for seg in path.strip("/").split("/") if seg]


ACCOUNT = lambda iid, ssid, port: (
    '[{"bn":"/0/%d/","n":"0","vs":"coap://127.0.0.1:%d"},{"n":"1","vb":false},'
    '{"n":"2","v":3},{"n":"10","v":%d}]' % (iid, port, ssid)).encode()
SERVER = lambda iid, ssid: (
    '[{"bn":"/1/%d/","n":"0","v":%d},{"n":"1","v":300},{"n":"6","vb":true},'
    '{"n":"7","vs":"U"}]' % (iid, ssid)).encode()
ACL = b'[{"bn":"/2/0/","n":"0","v":3},{"n":"1","v":0},{"n":"2/101","v":1},{"n":"3","v":101}]'

def scenarios(rd):
  return {
    "plain": [
        (DELETE, "/", None, b"", code(2, 2)),
        (PUT, "/0/1", 110, ACCOUNT(1, 101, rd), code(2, 4)),
        (PUT, "/1/1", 110, SERVER(1, 101), code(2, 4)),
        (PUT, "/0/0/12", 0, b"1", code(2, 4)),  # BS Account Timeout 1 s, plain text
        (POST, "/bs", None, b"", code(2, 4)),
    ],
    "seed": [
        (DELETE, "/", None, b"", code(2, 2)),
        (PUT, "/0/1", 110, ACCOUNT(1, 101, rd), code(2, 4)),
        (PUT, "/0/2", 110, ACCOUNT(2, 102, rd + 1), code(2, 4)),
        (PUT, "/1/1", 110, SERVER(1, 101), code(2, 4)),
        (PUT, "/1/2", 110, SERVER(2, 102), code(2, 4)),
        (PUT, "/2/0", 110, ACL, code(4, 4)),  # --no-acl: the client has no object 2
        (POST, "/bs", None, b"", code(4, 6)),
        (DELETE, "/", None, b"", code(2, 2)),
        (PUT, "/0/1", 110, ACCOUNT(1, 101, rd), code(2, 4)),
        (PUT, "/1/1", 110, SERVER(1, 101), code(2, 4)),
        (POST, "/bs", None, b"", code(2, 4)),
    ],
  }


def path_of(opts):
    return "/" + "/".join(v.decode() for n, v in opts if n == 11)


def query_of(opts):
    return "&".join(v.decode() for n, v in opts if n == 15)


class Peer:
    def __init__(self, port_file, scenario, want_query):
        self.port_file, self.scenario, self.want_query = port_file, scenario, want_query
        self.endpoint = want_query.split("&")[0][3:]
        self.version = "1.2" if scenario.startswith("pack") else "1.1"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(20)
        self.rd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rd.bind(("127.0.0.1", 0))
        self.rd.settimeout(20)
        self.rd_port = self.rd.getsockname()[1]
        self.failures = 0
        self.mid_out = 0x1000

    def check(self, ok, what):
        print("%s %s" % ("ok" if ok else "FAIL", what))
        self.failures += not ok

    def receive_con(self, sock):
        while True:
            data, addr = sock.recvfrom(4096)
            msg = parse(data)
            if msg[0] == CON:
                return msg, addr

    def request(self, sock, addr, method, path, fmt=None, payload=b"", accept=None):
        """Sends a confirmable request, returns (code, payload) of the piggybacked answer."""
        self.mid_out += 1
        tok = struct.pack("!I", self.mid_out)
        opts = path_opts(path)
        if fmt is not None:
            opts.append((12, uint_opt(fmt)))
        if accept is not None:
            opts.append((17, uint_opt(accept)))
        self.last = frame(CON, method, self.mid_out, tok, opts, payload)
        sock.sendto(self.last, addr)
        return self.answer(sock)

    def answer(self, sock):
        tok = struct.pack("!I", self.mid_out)
        while True:
            data, _ = sock.recvfrom(4096)
            rtype, rc, rmid, rtok, _, rpayload = parse(data)
            if rtype == ACK and rmid == self.mid_out:
                return rc, rpayload, rtok == tok

    def bootstrap_request(self, want_query):
        """The Bootstrap-Request: CON POST /bs?ep=..., answered with a piggybacked 2.04."""
        (mtype, c, mid, token, opts, _), client = self.receive_con(self.sock)
        path, query = path_of(opts), query_of(opts)
        self.check(c == POST and path == "/bs" and query == want_query,
                   "Bootstrap-Request %s?%s" % (path, query))
        self.sock.sendto(frame(ACK, code(2, 4), mid, token), client)
        return client

    def run_sequence(self, client, steps):
        for method, path, fmt, payload, want in steps:
            rc, rpayload, tok_ok = self.request(self.sock, client, method, path, fmt, payload)
            self.check(rc == want and tok_ok, "%s %s -> %d.%02d %s" % (
                {2: "POST", 3: "PUT", 4: "DELETE"}[method], path, rc >> 5, rc & 31,
                rpayload.decode(errors="replace")))

    def register(self):
        """The client's Register at the account written; answered 2.01 /rd/5a3f."""
        (mtype, c, mid, token, opts, payload), client = self.receive_con(self.rd)
        path, query = path_of(opts), query_of(opts)
        cf = [int.from_bytes(v, "big") for n, v in opts if n == 12]
        links = payload.decode(errors="replace")
        self.check(c == POST and path == "/rd"
                   and query == "ep=%s&lt=300&lwm2m=%s&b=U" % (self.endpoint, self.version)
                   and cf == [40] and "</1/1>" in links and "</3/0>" in links
                   and "</0" not in links,
                   "Register %s?%s cf=%s %s" % (path, query, cf, links))
        self.rd.sendto(frame(ACK, code(2, 1), mid, token, [(8, b"rd"), (8, b"5a3f")]), client)
        return client

    def deregister(self):
        while True:
            (mtype, c, mid, token, opts, _), client = self.receive_con(self.rd)
            if c != POST:
                break
            self.rd.sendto(frame(ACK, code(2, 4), mid, token), client)  # an Update
        path = path_of(opts)
        self.check(c == DELETE and path == "/rd/5a3f", "De-register %s" % path)
        self.rd.sendto(frame(ACK, code(2, 2), mid, token), client)

    def pack_request(self, answer):
        """GET /bspack?ep=... with Accept SenML CBOR; answered with `answer` (code, cf, body)."""
        (mtype, c, mid, token, opts, _), client = self.receive_con(self.sock)
        accept = [int.from_bytes(v, "big") for n, v in opts if n == 17]
        path, query = path_of(opts), query_of(opts)
        self.check(c == 1 and path == "/bspack" and query == "ep=" + self.endpoint
                   and accept == [112], "Bootstrap-Pack-Request %s?%s accept=%s" % (
                       path, query, accept))
        rc, cf, body = answer
        opts = [(12, uint_opt(cf))] if cf is not None else []
        self.sock.sendto(frame(ACK, rc, mid, token, opts, body), client)

    def registered(self):
        with open(self.port_file + ".registered", "w") as f:
            f.write("1")


def main():
    port_file, scenario, want_query = sys.argv[1], sys.argv[2], sys.argv[3]
    peer = Peer(port_file, scenario, want_query)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(peer.sock.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    steps = scenarios(peer.rd_port)

    if scenario == "pack":
        pack = ACCOUNT(1, 101, peer.rd_port)[:-1] + b"," + SERVER(1, 101)[1:]
        peer.pack_request((code(2, 5), 110, pack))
    elif scenario == "packfallback":
        peer.pack_request((code(4, 5), None, b""))
        peer.run_sequence(peer.bootstrap_request(want_query), steps["plain"])
    else:
        bs_client = peer.bootstrap_request(want_query)
        peer.run_sequence(bs_client, steps["plain" if scenario == "trigger" else scenario])
        # The Finish again, same message ID and token, as if the 2.04 had been lost: a
        # retransmission is answered alike, not as a command after the commit (5.03).
        peer.sock.sendto(peer.last, bs_client)
        rc, _, tok_ok = peer.answer(peer.sock)
        peer.check(rc == code(2, 4) and tok_ok,
                   "retransmitted Finish -> %d.%02d (answered again)" % (rc >> 5, rc & 31))

    client = peer.register()
    if scenario == "trigger":
        # As the LwM2M Server: read, then the 1.1 Bootstrap-Request Trigger.
        rc, body, _ = peer.request(peer.rd, client, 1, "/1/1/1")
        peer.check(rc == code(2, 5) and body == b"300", "Read /1/1/1 -> %d.%02d %s" % (
            rc >> 5, rc & 31, body.decode(errors="replace")))
        rc, body, _ = peer.request(peer.rd, client, 1, "/0/1")
        peer.check(rc == code(4, 1), "Read /0/1 -> %d.%02d (the Security object)" % (
            rc >> 5, rc & 31))
        rc, body, _ = peer.request(peer.rd, client, POST, "/1/1/9")
        peer.check(rc == code(2, 4), "Execute /1/1/9 -> %d.%02d" % (rc >> 5, rc & 31))
        # A new bootstrap: Discover shows the account written the first time, then Finish.
        bs_client = peer.bootstrap_request(want_query)
        rc, body, _ = peer.request(peer.sock, bs_client, 1, "/", accept=40)
        links = body.decode(errors="replace")
        peer.check(rc == code(2, 5) and "</0/1>;ssid=101" in links and "</1/1>;ssid=101" in links,
                   "Discover / -> %d.%02d %s" % (rc >> 5, rc & 31, links))
        peer.run_sequence(bs_client, [(POST, "/bs", None, b"", code(2, 4))])
        peer.register()
    peer.registered()
    peer.deregister()
    return 1 if peer.failures else 0


if __name__ == "__main__":
    sys.exit(main())
