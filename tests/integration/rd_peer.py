#!/usr/bin/env python3
"""An independent LwM2M Server registration listener for black-box tests (hand-built CoAP
frames, no libcoap). It binds 127.0.0.1:0, writes its port to PORT_FILE, answers every
Register (POST /rd?ep=...) with 2.01 Location-Path /rd/<n>, every Update with 2.04 and every
De-register with 2.02, and appends one line per message to PORT_FILE.log
("register ep=dev-1&lt=300&lwm2m=1.1&b=U"). Runs until killed or SECONDS elapse.

usage: rd_peer.py PORT_FILE [SECONDS]
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bs_peer import ACK, CON, DELETE, POST, code, frame, parse, path_of, query_of  # noqa: E402


def main():
    port_file = sys.argv[1]
    until = time.time() + (float(sys.argv[2]) if len(sys.argv) > 2 else 120)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    log = open(port_file + ".log", "a", buffering=1)
    n = 0
    while time.time() < until:
        sock.settimeout(max(0.1, until - time.time()))
        try:
            data, addr = sock.recvfrom(4096)
        except socket.timeout:
            break
        try:
            mtype, c, mid, token, opts, _ = parse(data)
        except (ValueError, IndexError):
            continue
        if mtype != CON:
            continue
        path, query = path_of(opts), query_of(opts)
        if c == POST and path == "/rd":
            n += 1
            sock.sendto(frame(ACK, code(2, 1), mid, token, [(8, b"rd"), (8, str(n).encode())]),
                        addr)
            log.write("register %s\n" % query)
        elif c == POST and path.startswith("/rd/"):
            sock.sendto(frame(ACK, code(2, 4), mid, token), addr)
            log.write("update %s\n" % path)
        elif c == DELETE and path.startswith("/rd/"):
            sock.sendto(frame(ACK, code(2, 2), mid, token), addr)
            log.write("deregister %s\n" % path)
        else:
            sock.sendto(frame(ACK, code(4, 4), mid, token), addr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
