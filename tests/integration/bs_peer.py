#!/usr/bin/env python3
"""An independent Bootstrap Server for black-box tests: hand-built CoAP frames over UDP
(RFC 7252), no libcoap and none of the project's code. It waits for the client's
Bootstrap-Request, answers it, then runs a scripted sequence and checks each answer.

usage: bs_peer.py PORT_FILE SCENARIO EXPECTED_QUERY
  PORT_FILE       the peer writes its UDP port there once bound
  SCENARIO        'plain' (Delete /, Write /0/1 and /1/1, Finish -> 2.04) or
                  'seed' (multi-server + ACL -> Finish 4.06, then Delete /, rewrite -> 2.04)
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
POST, PUT, DELETE = 2, 3, 4


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
        (PUT, "/2/0", 110, ACL, code(2, 4)),
        (POST, "/bs", None, b"", code(4, 6)),
        (DELETE, "/", None, b"", code(2, 2)),
        (PUT, "/0/1", 110, ACCOUNT(1, 101, rd), code(2, 4)),
        (PUT, "/1/1", 110, SERVER(1, 101), code(2, 4)),
        (POST, "/bs", None, b"", code(2, 4)),
    ],
  }


def main():
    port_file, scenario, want_query = sys.argv[1], sys.argv[2], sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(20)
    rd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rd.bind(("127.0.0.1", 0))
    rd.settimeout(20)
    rd_port = rd.getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    failures = 0

    # 1. The Bootstrap-Request: CON POST /bs?ep=..., answered with a piggybacked 2.04.
    data, client = sock.recvfrom(2048)
    mtype, c, mid, token, opts, _ = parse(data)
    path = "/" + "/".join(v.decode() for n, v in opts if n == 11)
    query = "&".join(v.decode() for n, v in opts if n == 15)
    ok = mtype == CON and c == POST and path == "/bs" and query == want_query
    print("%s Bootstrap-Request %s?%s" % ("ok" if ok else "FAIL", path, query))
    failures += not ok
    sock.sendto(frame(ACK, code(2, 4), mid, token), client)

    # 2. The scripted sequence, each request confirmable from our socket to the client's.
    mid_out = 0x1000
    for method, path, fmt, payload, want in scenarios(rd_port)[scenario]:
        mid_out += 1
        tok = struct.pack("!I", mid_out)
        opts = path_opts(path)
        if fmt is not None:
            opts.append((12, uint_opt(fmt)))
        sock.sendto(frame(CON, method, mid_out, tok, opts, payload), client)
        while True:
            data, _ = sock.recvfrom(2048)
            rtype, rc, rmid, rtok, _, rpayload = parse(data)
            if rtype == ACK and rmid == mid_out:
                break
        ok = rc == want and rtok == tok
        print("%s %s %s -> %d.%02d %s" % ("ok" if ok else "FAIL", {2: "POST", 3: "PUT", 4: "DELETE"}[method],
                                        path, rc >> 5, rc & 31, rpayload.decode(errors="replace")))
        failures += not ok

    # 3. Registration with the account just written, then De-register.
    endpoint = want_query.split("&")[0][3:]
    while True:
        data, client = rd.recvfrom(4096)
        mtype, c, mid, token, opts, payload = parse(data)
        if mtype == CON:
            break
    path = "/" + "/".join(v.decode() for n, v in opts if n == 11)
    query = "&".join(v.decode() for n, v in opts if n == 15)
    cf = [int.from_bytes(v, "big") for n, v in opts if n == 12]
    links = payload.decode(errors="replace")
    ok = (c == POST and path == "/rd" and query == "ep=%s&lt=300&lwm2m=1.1&b=U" % endpoint
          and cf == [40] and "</1/1>" in links and "</3/0>" in links and "</0" not in links)
    print("%s Register %s?%s cf=%s %s" % ("ok" if ok else "FAIL", path, query, cf, links))
    failures += not ok
    rd.sendto(frame(ACK, code(2, 1), mid, token, [(8, b"rd"), (8, b"5a3f")]), client)
    with open(port_file + ".registered", "w") as f:
        f.write("1")
    while True:
        data, client = rd.recvfrom(4096)
        mtype, c, mid, token, opts, _ = parse(data)
        if mtype == CON and c != POST:
            break
        if mtype == CON:  # an Update before the stop: acknowledge it
            rd.sendto(frame(ACK, code(2, 4), mid, token), client)
    path = "/" + "/".join(v.decode() for n, v in opts if n == 11)
    ok = c == DELETE and path == "/rd/5a3f"
    print("%s De-register %s" % ("ok" if ok else "FAIL", path))
    failures += not ok
    rd.sendto(frame(ACK, code(2, 2), mid, token), client)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
