#!/usr/bin/env python3
"""An independent CoAP client over raw UDP for black-box tests of lwm2m-bs-server's own
CoAP-over-UDP endpoint (src/net/coap_udp.c): hand-built frames (RFC 7252, RFC 7959), no libcoap
and none of the project's code. Each check prints "ok: ..." or "FAIL: ...".

usage: bs_udp_peer.py run SERVER_PORT SERVER_LOG
         runs every check against the server on 127.0.0.1:SERVER_PORT, whose stderr goes to
         SERVER_LOG (its "Bootstrap-Request from" and "session:" lines are checked); the
         server's store must hold the configurations printed by `configs`
       bs_udp_peer.py configs [BIG_ENDPOINT...]
         prints the configurations the checks need, one JSON document per line, plus one
         configuration like udp-big's (a Bootstrap-Write larger than 1024 bytes) per
         BIG_ENDPOINT
       bs_udp_peer.py check-state STATE_FILE
         exit 0 when an lwm2m-client state file holds the big configuration's opaque /0/1/4
Exit status: 0 only when every check passed.

Endpoints: udp-dedup (a retransmitted Bootstrap-Request), udp-separate (Empty ACK + separate
responses), udp-retx (the server's retransmission), udp-rst (a command answered with RST),
udp-disc2 (a Discover answer in Block2 blocks), udp-big (a Write in Block1 blocks), udp-pack
(Bootstrap-Pack in Block2 slices, SenML JSON and SenML CBOR).
"""
import base64
import json
import os
import random
import re
import select
import socket
import struct
import sys
import time

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4
OPT_URI_PATH, OPT_CF, OPT_URI_QUERY, OPT_ACCEPT = 11, 12, 15, 17
OPT_BLOCK2, OPT_BLOCK1, OPT_SIZE2, OPT_SIZE1 = 23, 27, 28, 60
OPT_ETAG = 4
CF_TEXT, CF_LINK, CF_SENML_JSON, CF_SENML_CBOR = 0, 40, 110, 112
RD_URI = "coap://127.0.0.1:5799"  # never contacted by the checks
# The big configuration's Server Public Key: 1200 bytes, so its Bootstrap-Write (SenML JSON,
# base64) and its Bootstrap-Pack are larger than one 1024-byte block.
OPAQUE = bytes((i * 7 + 3) % 256 for i in range(1200))
DISCOVER_LINKS = b"</>;lwm2m=1.1,</0/0>,</1>,</3/0>"


def code(c, d):
    return (c << 5) | d


def code_str(c):
    return "%d.%02d" % (c >> 5, c & 31)


# ---- framing -------------------------------------------------------------------------------

# Options and frames are built by the same hand-written code as the independent Bootstrap
# Server peer (bs_peer.py, next to this file): no libcoap and none of the project's C.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bs_peer import encode_options, frame as bs_peer_frame  # noqa: E402,F401


def frame(mtype, c, mid, token=b"", opts=(), payload=b""):
    return bs_peer_frame(mtype, c, mid, token, opts, payload)


class Msg:
    """A parsed datagram; raises ValueError on anything RFC 7252 calls a format error."""

    def __init__(self, data):
        if len(data) < 4 or data[0] >> 6 != 1:
            raise ValueError("not CoAP 1")
        self.raw = data
        self.type, tkl, self.code = (data[0] >> 4) & 3, data[0] & 15, data[1]
        self.mid = struct.unpack("!H", data[2:4])[0]
        if tkl > 8 or len(data) < 4 + tkl:
            raise ValueError("bad token length %d" % tkl)
        self.token = data[4:4 + tkl]
        pos, num, self.opts, self.payload = 4 + tkl, 0, [], b""
        while pos < len(data):
            b = data[pos]
            pos += 1
            if b == 0xFF:
                if pos == len(data):
                    raise ValueError("payload marker without payload")
                self.payload = data[pos:]
                break
            vals = []
            for v in (b >> 4, b & 15):
                if v == 13:
                    v = data[pos] + 13
                    pos += 1
                elif v == 14:
                    v = struct.unpack("!H", data[pos:pos + 2])[0] + 269
                    pos += 2
                elif v == 15:
                    raise ValueError("option nibble 15")
                vals.append(v)
            num += vals[0]
            if pos + vals[1] > len(data):
                raise ValueError("option past the end")
            self.opts.append((num, data[pos:pos + vals[1]]))
            pos += vals[1]

    def opt(self, num):
        return [v for n, v in self.opts if n == num]

    def uint(self, num):
        v = self.opt(num)
        return int.from_bytes(v[0], "big") if v else None

    def block(self, num):
        """(num, more, szx) of a Block1/Block2 option, or None."""
        v = self.uint(num)
        return None if v is None else (v >> 4, bool(v & 8), v & 7)

    @property
    def path(self):
        return "/" + "/".join(v.decode() for v in self.opt(OPT_URI_PATH))

    @property
    def query(self):
        return "&".join(v.decode() for v in self.opt(OPT_URI_QUERY))

    @property
    def is_request(self):
        return 1 <= self.code <= 31

    def __repr__(self):
        return "%s %s mid=%d tok=%s %s %d bytes" % (
            "CON NON ACK RST".split()[self.type], code_str(self.code), self.mid, self.token.hex(),
            self.path if self.is_request else "", len(self.payload))


def uint_opt(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""


def block_opt(num, more, szx):
    return uint_opt((num << 4) | (8 if more else 0) | szx)


# ---- SenML ---------------------------------------------------------------------------------

def cbor_decode(data):
    """Just enough CBOR (RFC 8949) for SenML: every major type, definite and indefinite."""
    pos = 0

    def head():
        nonlocal pos
        ib = data[pos]
        pos += 1
        major, info = ib >> 5, ib & 31
        if info < 24:
            return major, info, info
        if info == 31:
            return major, info, None
        size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
        if size is None:
            raise ValueError("reserved additional info %d" % info)
        raw = data[pos:pos + size]
        pos += size
        return major, info, int.from_bytes(raw, "big")

    def item():
        nonlocal pos
        major, info, n = head()
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            if n is None:
                parts = []
                while data[pos] != 0xFF:
                    parts.append(item())
                pos += 1
                joined = b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
            else:
                joined = bytes(data[pos:pos + n])
                pos += n
            return joined if major == 2 else joined.decode()
        if major == 4:
            out = []
            while (n is None and data[pos] != 0xFF) or (n is not None and len(out) < n):
                out.append(item())
            if n is None:
                pos += 1
            return out
        if major == 5:
            out, count = {}, 0
            while (n is None and data[pos] != 0xFF) or (n is not None and count < n):
                k = item()
                out[k] = item()
                count += 1
            if n is None:
                pos += 1
            return out
        if major == 6:
            return item()
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        fmt = {25: "!e", 26: "!f", 27: "!d"}.get(info)
        if fmt is None:
            raise ValueError("simple value %d" % info)
        return struct.unpack(fmt, n.to_bytes(struct.calcsize(fmt), "big"))[0]

    value = item()
    if pos != len(data):
        raise ValueError("%d trailing bytes" % (len(data) - pos))
    return value


SENML_CBOR_LABELS = {-2: "bn", -3: "bt", 0: "n", 1: "u", 2: "v", 3: "vs", 4: "vb", 5: "s",
                     6: "t", 7: "ut", 8: "vd"}


def b64_any(text):
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def senml_records(records, cbor):
    """[(name, kind, value)] with base names resolved; vd as bytes."""
    out, bn = [], ""
    for r in records:
        if cbor:
            r = {SENML_CBOR_LABELS.get(k, k): v for k, v in r.items()}
        bn = r.get("bn", bn)
        name = bn + r.get("n", "")
        for kind in ("v", "vs", "vb", "vd", "vlo"):
            if kind in r:
                v = r[kind]
                if kind == "vd" and not cbor:
                    v = b64_any(v)
                out.append((name, kind, v))
    return out


def big_expected():
    return [("/0/1/0", "vs", RD_URI), ("/0/1/4", "vd", OPAQUE), ("/0/1/10", "v", 101),
            ("/1/1/0", "v", 101), ("/1/1/7", "vs", "U")]


# ---- configurations ------------------------------------------------------------------------

def config(endpoint, big=False):
    account = {"0": RD_URI, "1": False, "2": 3, "10": 101}
    if big:
        account["4"] = {"hex": OPAQUE.hex()}
    doc = {"endpoint": endpoint,
           "objects": {"0": {"1": account}, "1": {"1": {"0": 101, "1": 300, "6": True, "7": "U"}}}}
    if endpoint != "udp-pack":  # a pack cannot carry Deletes of objects it does not write
        doc["delete"] = ["/0", "/1"]
    return json.dumps(doc, separators=(",", ":"))


SMALL = ["udp-dedup", "udp-separate", "udp-retx", "udp-rst", "udp-disc2"]
BIG = ["udp-big", "udp-pack"]


# ---- the client ----------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        print("%s: %s" % ("ok" if ok else "FAIL", what), flush=True)
        self.failures += not ok
        return ok


class Peer:
    """One client socket (one address and port: one peer for the server)."""

    def __init__(self, port):
        self.server = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.mid = random.randrange(0x10000)
        self.answered = {}  # the server's MID -> our answer, for its retransmissions

    def close(self):
        self.sock.close()

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def send(self, data):
        self.sock.sendto(data, self.server)

    def recv(self, timeout):
        """The next datagram from the server (bytes), or None after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            data, addr = self.sock.recvfrom(65536)
            if addr == self.server:
                return data

    def drain(self, timeout):
        """Every datagram within `timeout` seconds."""
        out, end = [], time.monotonic() + timeout
        while True:
            d = self.recv(max(0.0, end - time.monotonic()))
            if d is None:
                return out
            out.append(d)

    def exchange(self, mtype, method, path, query=(), opts=(), payload=b"", token=None,
                 timeout=3.0):
        """Sends a request; returns (request bytes, the answer with our MID, other datagrams)."""
        mid = self.next_mid()
        token = os.urandom(4) if token is None else token
        o = [(OPT_URI_PATH, s.encode()) for s in path.strip("/").split("/") if s]
        o += [(OPT_URI_QUERY, q.encode()) for q in query] + list(opts)
        req = frame(mtype, method, mid, token, o, payload)
        self.send(req)
        return (req,) + self.await_answer(mid, token, mtype, timeout)

    def await_answer(self, mid, token, mtype=CON, timeout=3.0):
        others, end = [], time.monotonic() + timeout
        while True:
            d = self.recv(max(0.0, end - time.monotonic()))
            if d is None:
                return None, others
            m = Msg(d)
            if mtype == CON and m.type in (ACK, RST) and m.mid == mid:
                return m, others
            if mtype == NON and m.type == NON and m.token == token and not m.is_request:
                return m, others
            others.append(d)


def bootstrap_request(endpoint):
    return [("ep=" + endpoint), "pct=110"]


def default_answer(m, payload):
    """(code, content format, body) of a plain client for the server's command `m`."""
    if m.code == GET and m.path == "/":
        return code(2, 5), CF_LINK, DISCOVER_LINKS
    if m.code == DELETE:
        return code(2, 2), None, b""
    if m.code in (PUT, POST):
        return code(2, 4), None, b""
    return code(4, 4), None, b""


class Session:
    """Answers the server's commands until Finish got 2.04. `policy(index, msg, payload)` may
    return None (a plain answer), ("drop",), ("rst",), ("separate", code, cf, body),
    ("piggy", code, cf, body). Block1 requests are reassembled (2.31 Continue per block), and an
    answer larger than 1024 bytes goes out in Block2 slices the server must fetch."""

    def __init__(self, checks, peer, endpoint, policy=None):
        self.c, self.p, self.endpoint = checks, peer, endpoint
        self.policy = policy or (lambda i, m, body: None)
        self.commands = []       # (method, path, payload) per whole command
        # Blocks are matched by method and path, not token (RFC 7959 2.4: a client may change
        # the token between blocks; ours keeps it, which needs no check here).
        self.block1 = {}         # (method, path) -> (parts, size1)
        self.large = {}          # path -> (code, cf, body) answered in Block2 slices
        self.block1_log = []     # (num, more, szx, size1, len) of every Block1 datagram
        self.block2_fetches = []  # (num, szx) of the server's follow-up GETs
        self.dropped = {}        # mid -> (time, bytes)
        self.retransmission = None  # (delay, same bytes) of a dropped command
        self.separate_acks = []  # whether each separate response got its Empty ACK
        self.block1_whole = (None, b"")  # (Size1, body) of the last Block1 request
        self.finished = False

    def reply(self, m, data):
        self.p.answered[m.mid] = data
        self.p.send(data)

    def handle(self, data):
        m = Msg(data)
        if m.type != CON or not m.is_request:
            return
        if m.mid in self.p.answered:  # the server retransmits: answered alike
            self.p.send(self.p.answered[m.mid])
            return
        if m.mid in self.dropped:
            t0, first = self.dropped.pop(m.mid)
            self.retransmission = (time.monotonic() - t0, data == first)
        b1 = m.block(OPT_BLOCK1)
        if b1 is not None:
            num, more, szx = b1
            parts, size1 = self.block1.get((m.code, m.path), ([], m.uint(OPT_SIZE1)))
            self.block1_log.append((num, more, szx, m.uint(OPT_SIZE1), len(m.payload)))
            if num != len(parts):
                self.reply(m, frame(ACK, code(4, 8), m.mid, m.token))  # Request Entity Incomplete
                return
            parts.append(m.payload)
            if more:
                self.block1[(m.code, m.path)] = (parts, size1)
                self.reply(m, frame(ACK, code(2, 31), m.mid, m.token,
                                    [(OPT_BLOCK1, block_opt(num, True, szx))]))
                return
            self.block1.pop((m.code, m.path), None)
            body = b"".join(parts)
            self.block1_whole = (size1, body)
        else:
            body = m.payload
        b2 = m.block(OPT_BLOCK2)
        if b2 is not None and b2[0] > 0 and m.code == GET and m.path in self.large:
            rc, cf, whole = self.large[m.path]
            num, _, szx = b2
            self.block2_fetches.append((num, szx))
            size = 16 << szx
            piece = whole[num * size:(num + 1) * size]
            more = (num + 1) * size < len(whole)
            o = [(OPT_BLOCK2, block_opt(num, more, szx))]
            if cf is not None:
                o.append((OPT_CF, uint_opt(cf)))
            self.reply(m, frame(ACK, rc, m.mid, m.token, o, piece))
            if not more:
                del self.large[m.path]
            return
        self.commands.append((m.code, m.path, body))
        action = self.policy(len(self.commands) - 1, m, body)
        if action is None:
            action = ("piggy",) + default_answer(m, body)
        if action[0] == "drop":
            self.dropped[m.mid] = (time.monotonic(), data)
            return
        if action[0] == "rst":
            self.reply(m, frame(RST, 0, m.mid))
            return
        kind, rc, cf, payload = action
        o = [(OPT_CF, uint_opt(cf))] if cf is not None else []
        if b1 is not None:
            o.append((OPT_BLOCK1, block_opt(b1[0], False, b1[2])))
        if len(payload) > 1024:
            self.large[m.path] = (rc, cf, payload)
            o.append((OPT_BLOCK2, block_opt(0, True, 6)))
            payload = payload[:1024]
        if kind == "piggy":
            self.reply(m, frame(ACK, rc, m.mid, m.token, o, payload))
        else:
            self.separate(m, rc, o, payload)
        if m.code == POST and m.path == "/bs" and rc == code(2, 4):
            self.finished = True

    def separate(self, m, rc, opts, payload):
        """Empty ACK now; the response as a CON of ours later, which the server must ACK
        (Empty ACK with our MID), also when we send it twice (our ACK-less retransmission)."""
        self.reply(m, frame(ACK, 0, m.mid))
        # The server must not retransmit a request acknowledged by an Empty ACK.
        seen = self.p.drain(2.8 if not self.separate_acks else 0.3)
        again = [d for d in seen if Msg(d).type == CON and Msg(d).mid == m.mid]
        self.c.check(not again, "%s: %s %s after our Empty ACK: no retransmission (%d)"
                     % (self.endpoint, "GET POST PUT DELETE".split()[m.code - 1], m.path, len(again)))
        mid = self.p.next_mid()
        resp = frame(CON, rc, mid, m.token, opts, payload)
        acks = 0
        for _ in range(2):
            self.p.send(resp)
            ack, others = self.p.await_answer(mid, b"", CON, 2.0)
            for d in others + seen:
                self.handle(d)
            seen = []
            acks += ack is not None and ack.type == ACK and ack.code == 0 and ack.token == b"" \
                and len(ack.raw) == 4
        self.separate_acks.append(acks == 2)

    def run(self, first=(), timeout=8.0):
        """Handles `first`, then what arrives, until the Finish was answered 2.04."""
        for d in first:
            self.handle(d)
        end = time.monotonic() + timeout
        while not self.finished:
            d = self.p.recv(max(0.0, end - time.monotonic()))
            if d is None:
                return self.c.check(False, "%s: timed out after %s" % (
                    self.endpoint, [(code_str(c), p) for c, p, _ in self.commands]))
            self.handle(d)
        # Nothing but retransmissions may come after Finish.
        for d in self.p.drain(0.3):
            m = Msg(d)
            if m.type == CON and m.mid not in self.p.answered:
                return self.c.check(False, "%s: %r after Finish" % (self.endpoint, m))
            self.handle(d)
        return True

    def start(self):
        """The Bootstrap-Request, piggybacked 2.04; returns the datagrams that came with it."""
        req, ack, others = self.p.exchange(CON, POST, "/bs", bootstrap_request(self.endpoint))
        self.c.check(ack is not None and ack.type == ACK and ack.code == code(2, 4)
                     and ack.token == Msg(req).token,
                     "%s: Bootstrap-Request -> %r" % (self.endpoint, ack))
        return req, ack, others


# ---- the server's log ----------------------------------------------------------------------

class Log:
    def __init__(self, path):
        self.path = path

    def text(self):
        with open(self.path, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout=3.0):
        end = time.monotonic() + timeout
        while True:
            found = re.findall(pattern, self.text(), re.M)
            if found or time.monotonic() > end:
                return found
            time.sleep(0.05)

    def session(self, endpoint, timeout=3.0):
        """The outcomes of the endpoint's "session:" lines, once there is one."""
        return self.wait_for(r"session: endpoint=%s peer=\S+ outcome=(\S+)" % re.escape(endpoint),
                             timeout)


# ---- the checks ----------------------------------------------------------------------------

def check_dedup(c, port, log):
    """A retransmitted Bootstrap-Request (same MID) gets the same bytes, not a second session."""
    p = Peer(port)
    s = Session(c, p, "udp-dedup")
    req, ack1, others = s.start()
    p.send(req)
    ack2, more = p.await_answer(Msg(req).mid, Msg(req).token)
    c.check(ack1 is not None and ack2 is not None and ack2.raw == ack1.raw,
            "udp-dedup: the retransmitted Bootstrap-Request got byte-identical bytes (%s / %s)"
            % (ack1 and ack1.raw.hex(), ack2 and ack2.raw.hex()))
    cmds = others + more + p.drain(1.0)
    firsts = {(Msg(d).mid, Msg(d).token) for d in cmds if Msg(d).type == CON}
    c.check(len(firsts) == 1, "udp-dedup: the server's first command arrived once (%s)"
            % [repr(Msg(d)) for d in cmds])
    if s.run(cmds):
        c.check(True, "udp-dedup: session answered to Finish")
    outcomes = log.session("udp-dedup")
    c.check(outcomes == ["success"], "udp-dedup: one session line, outcome=success (%s)" % outcomes)
    reqs = re.findall(r"Bootstrap-Request from \S+: endpoint udp-dedup,", log.text())
    c.check(len(reqs) == 1, "udp-dedup: one 'Bootstrap-Request from' line (%d)" % len(reqs))
    p.close()


def check_separate(c, port, log):
    """Discover and Finish answered by Empty ACK + separate CON response."""
    p = Peer(port)

    def policy(i, m, body):
        if m.code == GET and m.path == "/":
            return ("separate", code(2, 5), CF_LINK, DISCOVER_LINKS)
        if m.code == POST and m.path == "/bs":
            return ("separate", code(2, 4), None, b"")
        return None
    s = Session(c, p, "udp-separate", policy)
    _, _, others = s.start()
    s.run(others, timeout=12)
    c.check(len(s.separate_acks) == 2 and all(s.separate_acks),
            "udp-separate: both separate responses (each sent twice) got an Empty ACK of their "
            "MID (%s)" % s.separate_acks)
    outcomes = log.session("udp-separate")
    c.check(outcomes == ["success"], "udp-separate: outcome=success (%s)" % outcomes)
    p.close()


def check_retransmission(c, port, log):
    """The server's first command, unanswered, comes again: same bytes, 2-3 s later."""
    p = Peer(port)
    s = Session(c, p, "udp-retx", lambda i, m, body: ("drop",) if i == 0 else None)
    _, _, others = s.start()
    s.run(others, timeout=8)
    rt = s.retransmission
    c.check(rt is not None and rt[1] and 1.9 <= rt[0] <= 3.4,
            "udp-retx: unanswered command retransmitted with the same bytes after 2-3 s (%s)"
            % (rt and "%.2f s, same=%s" % rt))
    outcomes = log.session("udp-retx")
    c.check(outcomes == ["success"], "udp-retx: outcome=success after the retransmission (%s)"
            % outcomes)
    p.close()


def check_rst(c, port, log):
    """A command answered with RST ends the session: outcome request-failed."""
    p = Peer(port)
    s = Session(c, p, "udp-rst", lambda i, m, body: ("rst",) if i == 0 else None)
    _, _, others = s.start()
    for d in others:
        s.handle(d)
    if not s.commands:
        d = p.recv(3.0)
        if d is not None:
            s.handle(d)
    c.check(len(s.commands) == 1, "udp-rst: first command received and reset (%s)"
            % [(code_str(x), y) for x, y, _ in s.commands])
    after = [Msg(d) for d in p.drain(1.0)]
    c.check(not after, "udp-rst: no command after the RST (%s)" % after)
    outcomes = log.session("udp-rst")
    c.check(outcomes == ["request-failed"], "udp-rst: outcome=request-failed (%s)" % outcomes)
    p.close()


def check_block2_answer(c, port, log):
    """A Discover answer larger than a block (Block2 from us): fetched block by block."""
    links = DISCOVER_LINKS + b"".join(b",</3/0/%d>" % r for r in range(0, 400))
    p = Peer(port)

    def policy(i, m, body):
        if m.code == GET and m.path == "/":
            return ("piggy", code(2, 5), CF_LINK, links)
        return None
    s = Session(c, p, "udp-disc2", policy)
    _, _, others = s.start()
    s.run(others)
    want = [(n, 6) for n in range(1, (len(links) + 1023) // 1024)]
    c.check(s.block2_fetches == want, "udp-disc2: %d-byte Discover answer fetched in Block2 "
            "blocks %s (want %s)" % (len(links), s.block2_fetches, want))
    outcomes = log.session("udp-disc2")
    c.check(outcomes == ["success"], "udp-disc2: outcome=success (%s)" % outcomes)
    p.close()


def check_block1(c, port, log):
    """A Bootstrap-Write larger than 1024 bytes comes in Block1 blocks of 1024 (SZX 6)."""
    p = Peer(port)
    s = Session(c, p, "udp-big")
    _, _, others = s.start()
    s.run(others)
    blocks = s.block1_log
    total = sum(b[4] for b in blocks)
    shape = (len(blocks) >= 2 and all(b[0] == i and b[2] == 6 for i, b in enumerate(blocks))
             and all(b[1] and b[4] == 1024 for b in blocks[:-1]) and not blocks[-1][1]
             and blocks[0][3] == total and all(b[3] in (None, total) for b in blocks[1:]))
    c.check(shape, "udp-big: Write in Block1 blocks num 0.. SZX 6, 1024 bytes each, M until the "
            "last, Size1 %s = %d bytes (%s)" % (blocks[0][3] if blocks else None, total, blocks))
    whole = s.block1_whole[1]
    try:
        got = senml_records(json.loads(whole), cbor=False)
    except ValueError as e:
        got = ["%s" % e]
    c.check(("/0/1/4", "vd", OPAQUE) in got,
            "udp-big: the reassembled Write (%d bytes) is SenML JSON holding the 1200-byte /0/1/4"
            % len(whole))
    outcomes = log.session("udp-big")
    c.check(outcomes == ["success"], "udp-big: outcome=success (%s)" % outcomes)
    p.close()


def fetch_pack(p, accept, szx=None):
    """GET /bspack?ep=udp-pack block by block: (first answer, body, problems)."""
    opts = [(OPT_ACCEPT, uint_opt(accept))] if accept is not None else []
    first_opts = opts + ([(OPT_BLOCK2, block_opt(0, False, szx))] if szx is not None else [])
    req, first, _ = p.exchange(CON, GET, "/bspack", ["ep=udp-pack"], first_opts)
    problems = []
    if first is None or first.code != code(2, 5):
        return first, b"", ["first answer %r %s" % (first, first and first.payload)]
    b2 = first.block(OPT_BLOCK2)
    if b2 is None:
        return first, first.payload, ["no Block2 in the first answer"]
    body, num, size = first.payload, 0, 16 << b2[2]
    more, block_szx, cf = b2[1], b2[2], first.uint(OPT_CF)
    etag = first.opt(OPT_ETAG)
    if len(etag) != 1 or not 1 <= len(etag[0]) <= 8:
        problems.append("first block without one ETag (%r)" % (etag,))
    if len(first.payload) != size:
        problems.append("first block %d bytes" % len(first.payload))
    # A retransmission of a block request (same MID) is answered with the same bytes.
    p.send(req)
    dup, _ = p.await_answer(Msg(req).mid, Msg(req).token)
    if dup is None or dup.raw != first.raw:
        problems.append("retransmitted block request answered differently")
    while more and num < 100:
        num += 1
        _, m, _ = p.exchange(CON, GET, "/bspack", ["ep=udp-pack"],
                             opts + [(OPT_BLOCK2, block_opt(num, False, block_szx))])
        if m is None or m.code != code(2, 5):
            problems.append("block %d: %r" % (num, m))
            break
        got = m.block(OPT_BLOCK2)
        if got is None or got[0] != num or got[2] != block_szx or m.uint(OPT_CF) != cf:
            problems.append("block %d answered with Block2 %s cf %s" % (num, got, m.uint(OPT_CF)))
            break
        if m.opt(OPT_ETAG) != etag:
            problems.append("block %d: ETag %r, first block's %r" % (num, m.opt(OPT_ETAG), etag))
        more = got[1]
        if more and len(m.payload) != size or not more and not 0 < len(m.payload) <= size:
            problems.append("block %d: %d bytes, more=%s" % (num, len(m.payload), more))
        body += m.payload
    return first, body, problems


def check_pack(c, port, log):
    p = Peer(port)
    first, body, problems = fetch_pack(p, CF_SENML_JSON)
    b2 = first.block(OPT_BLOCK2) if first is not None else None
    size2 = first.uint(OPT_SIZE2) if first is not None else None
    c.check(b2 == (0, True, 6) and size2 is not None and size2 > 1024,
            "udp-pack: first answer Block2 num 0 M=1 SZX 6 with Size2 (%s, Size2 %s)" % (b2, size2))
    c.check(not problems and len(body) == size2 and first.uint(OPT_CF) == CF_SENML_JSON,
            "udp-pack: every block fetched, %d bytes = Size2, SenML JSON (%s)"
            % (len(body), problems))
    try:
        from_json = senml_records(json.loads(body), cbor=False)
    except ValueError as e:
        from_json = ["%s" % e]
    missing = [r for r in big_expected() if r not in from_json]
    c.check(not missing, "udp-pack: the SenML JSON pack holds the configuration (missing %s)"
            % [m[:2] for m in missing])

    first, cbody, problems = fetch_pack(p, None)
    size2 = first.uint(OPT_SIZE2) if first is not None else None
    c.check(not problems and first.uint(OPT_CF) == CF_SENML_CBOR and len(cbody) == size2,
            "udp-pack: without Accept, SenML CBOR in blocks, %d bytes = Size2 %s (%s)"
            % (len(cbody), size2, problems))
    try:
        from_cbor = senml_records(cbor_decode(cbody), cbor=True)
    except (ValueError, IndexError, AttributeError) as e:
        from_cbor = ["%s" % e]
    c.check(sorted(map(repr, from_cbor)) == sorted(map(repr, from_json)),
            "udp-pack: the SenML CBOR pack decodes to the same records as the JSON one (%d / %d)"
            % (len(from_cbor), len(from_json)))

    first, small, problems = fetch_pack(p, CF_SENML_JSON, szx=2)
    b2 = first.block(OPT_BLOCK2) if first is not None else None
    c.check(b2 == (0, True, 2) and not problems and small == body,
            "udp-pack: a client asking for 64-byte blocks (SZX 2) gets them, same pack (%s, %s)"
            % (b2, problems))

    _, m, _ = p.exchange(CON, GET, "/bspack", ["ep=udp-pack"], [(OPT_ACCEPT, uint_opt(60))])
    c.check(m is not None and m.code == code(4, 6),
            "udp-pack: Accept CBOR (60) -> 4.06 (%r)" % m)
    packs = log.wait_for(r"Bootstrap-Pack-Request from \S+: endpoint udp-pack, plan 0")
    c.check(packs, "udp-pack: Bootstrap-Pack-Request logged")
    p.close()


def check_errors(c, port, log):
    p = Peer(port)

    def ask(mtype, method, path, query=(), opts=()):
        _, m, _ = p.exchange(mtype, method, path, query, opts)
        return m

    m = ask(CON, POST, "/foo")
    c.check(m is not None and m.type == ACK and m.code == code(4, 4) and m.payload
            and m.uint(OPT_CF) == CF_TEXT,
            "POST /foo -> 4.04 with a text diagnostic (%r %s)" % (m, m and m.payload))
    m = ask(CON, GET, "/bs")
    c.check(m is not None and m.code == code(4, 5), "GET /bs -> 4.05 (%r)" % m)
    m = ask(CON, POST, "/bs")
    c.check(m is not None and m.code == code(4, 0) and m.payload and m.uint(OPT_CF) == CF_TEXT,
            "POST /bs without ep -> 4.00 with a text diagnostic (%r %s)" % (m, m and m.payload))
    m = ask(CON, POST, "/bs", ["ep=udp-nobody"])
    c.check(m is not None and m.code == code(4, 0) and b"unknown endpoint" in m.payload,
            "POST /bs?ep=udp-nobody -> 4.00 unknown endpoint (%r %s)" % (m, m and m.payload))
    tok = b"\x0a\x0b"
    _, m, _ = p.exchange(NON, POST, "/foo", token=tok)
    c.check(m is not None and m.type == NON and m.code == code(4, 4) and m.token == tok,
            "NON POST /foo -> NON 4.04 with the token (%r)" % m)
    # CoAP ping: an Empty CON is answered with a RST of its MID.
    mid = p.next_mid()
    p.send(frame(CON, 0, mid))
    d = p.recv(2.0)
    c.check(d == frame(RST, 0, mid), "Empty CON (CoAP ping) -> RST of its MID (%s)"
            % (d and d.hex()))
    p.close()


def check_malformed(c, port, log):
    p = Peer(port)
    cases = [
        ("token length 9", lambda mid: bytes([0x49, POST]) + struct.pack("!H", mid) + bytes(9)
         + encode_options([(OPT_URI_PATH, b"bs")])),
        ("option delta nibble 15", lambda mid: bytes([0x40, POST]) + struct.pack("!H", mid)
         + b"\xf1\x00"),
        ("payload marker without payload",
         lambda mid: frame(CON, POST, mid, b"\x01", [(OPT_URI_PATH, b"bs")]) + b"\xff"),
        ("option running past the end", lambda mid: bytes([0x40, POST]) + struct.pack("!H", mid)
         + b"\xb5bs"),
        ("Empty CON with a token", lambda mid: bytes([0x41, 0]) + struct.pack("!H", mid) + b"\x01"),
    ]
    for what, build in cases:
        mid = p.next_mid()
        p.send(build(mid))
        d = p.recv(2.0)
        c.check(d == frame(RST, 0, mid), "malformed CON (%s) -> RST of its MID (%s)"
                % (what, d and d.hex()))
    # RFC 7252 3: a message of an unknown version MUST be silently ignored (no RST).
    mid = p.next_mid()
    p.send(bytes([0x80 | 0x01, POST]) + struct.pack("!H", mid) + b"\x01"
           + encode_options([(OPT_URI_PATH, b"bs")]))
    d = p.recv(0.5)
    c.check(d is None, "CON of version 2 silently ignored (%s)" % (d and d.hex()))
    # A malformed NON may be reset (RFC 7252 4.3), never answered otherwise; a datagram too
    # short for a header gets nothing. The server still serves this peer afterwards.
    mid = p.next_mid()
    p.send(bytes([0x59, POST]) + struct.pack("!H", mid) + bytes(9))
    p.send(b"\x40\x02")
    got = p.drain(0.5)
    c.check(got in ([], [frame(RST, 0, mid)]),
            "malformed NON: nothing or a RST; a 2-byte datagram: nothing (%s)"
            % [d.hex() for d in got])
    _, m, _ = p.exchange(CON, POST, "/foo")
    c.check(m is not None and m.code == code(4, 4), "after malformed datagrams, POST /foo -> %r" % m)
    p.close()


def run(port, log_path):
    c, log = Checks(), Log(log_path)
    for check in (check_errors, check_malformed, check_dedup, check_rst, check_block1,
                  check_block2_answer, check_pack, check_separate, check_retransmission):
        try:
            check(c, port, log)
        except Exception as e:  # a crash of a check is its failure, the others still run
            c.check(False, "%s raised %s: %s" % (check.__name__, type(e).__name__, e))
    return 1 if c.failures else 0


def check_state(path):
    with open(path) as f:
        records = senml_records(json.load(f), cbor=False)
    ok = any(n.strip("/") == "0/1/4" and k == "vd" and v == OPAQUE for n, k, v in records)
    print("%s: state file holds the 1200-byte /0/1/4" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "configs":
        for ep in SMALL:
            print(config(ep))
        for ep in BIG + argv[2:]:
            print(config(ep, big=True))
        return 0
    if len(argv) == 4 and argv[1] == "run":
        return run(int(argv[2]), argv[3])
    if len(argv) == 3 and argv[1] == "check-state":
        return check_state(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
