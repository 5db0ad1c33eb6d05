/* lwm2m-bench: load generator for lwm2m-bs-server (and lwm2m-server). A storm of simulated
 * clients bootstraps (and registers), `seed` fills a Bootstrap Server store, `ping` and
 * `responder` measure the ceiling of plain CoAP exchanges on the same machine. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app_options.h"
#include "bench.h"

void bench_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: " BENCH_PROG " [run] --server URI [options]       bootstrap storm\n"
        "       " BENCH_PROG " seed --store sqlite:PATH --endpoints N [options]\n"
        "       " BENCH_PROG " ping --server coap://HOST:PORT [options]\n"
        "       " BENCH_PROG " ping --psk --server coaps://HOST:PORT [options]\n"
        "       " BENCH_PROG " responder [--listen HOST:PORT] [--dtls-listen HOST:PORT] "
        "[options]\n"
        "\n"
        "The storm simulates clients PREFIX0..PREFIX{N-1}, each over its own CoAP session (own\n"
        "socket and source port), all in one loop: Bootstrap-Request (POST /bs?ep=NAME&pct=F), "
        "the\n"
        "server's Deletes and Writes answered by the same sans-I/O client as lwm2m-client,\n"
        "Finish checked and committed (the client must then hold the server account; anything\n"
        "else is a failure), optionally Register + De-register with the account written. It\n"
        "reports bootstraps/s, latency percentiles, failures by cause, exchanges per\n"
        "bootstrap, the servers' CPU and memory (--server-pid) and its own CPU. Seed the\n"
        "endpoints first (`seed --help`).\n"
        "\n"
        "  -S, --server URI        the Bootstrap Server: coap://HOST:PORT, or coaps://HOST:PORT\n"
        "                          with --psk, --rpk or --x509 (required)\n"
        "      --io libcoap|udp    how the sessions talk: through libcoap (default; one\n"
        "                          coap_session each, NoSec or DTLS), or `udp`: a plain\n"
        "                          UDP socket each, all in one epoll set, CoAP framed,\n"
        "                          retransmitted, deduplicated and Block1-reassembled by\n"
        "                          " BENCH_PROG " itself (RFC 7252/7959; NoSec coap:// only)\n"
        "  -n, --endpoints N       distinct endpoints, cycled (default 1000)\n"
        "  -p, --prefix P          endpoint name prefix (default \"bench-\")\n"
        "  -c, --concurrency C     sessions in flight (default 10; at most N)\n"
        "      --count M           sessions to run (default: N; ping: 1000)\n"
        "      --duration S        start sessions for S seconds instead\n"
        "      --timeout S         bound on one session (default 30)\n"
        "      --psk               DTLS PSK: identity = endpoint name, key = first 16 bytes of\n"
        "                          SHA-256(\"lwm2m-bench-psk:\" NAME), as `seed --psk` stores\n"
        "      --rpk DIR           DTLS with raw public keys: each endpoint's EC P-256 key pair\n"
        "                          from DIR (`seed --rpk DIR`); the server's public key\n"
        "                          (DIR/server.pub.der) is pinned, whether the server presents\n"
        "                          it in its certificate or as a raw key\n"
        "      --x509 DIR          DTLS with certificates: each endpoint's key and certificate\n"
        "                          (CN = its name) from DIR (`seed --x509 DIR`); the server's\n"
        "                          certificate must chain to DIR/ca.crt.der and name\n"
        "                          \"lwm2m-bench server\" (a raw key, as with the server's\n"
        "                          --rpk-key, is pinned as with --rpk). A handshake costs the\n"
        "                          generator about as much CPU as the server (ECDHE, ECDSA\n"
        "                          both ways): its CPU line and --server-pid tell them apart\n"
        "      --format F          pct= of the request: senml-json (default), senml-cbor, tlv\n"
        "      --reject-share P    share 0..1 of endpoints (spread evenly, the same ones every\n"
        "                          run) that hold one server account at most: they answer the\n"
        "                          primary plan's Finish with 4.06, the server's fallback plan\n"
        "                          (one account) then succeeds\n"
        "      --register          after each bootstrap, Register with the first server account\n"
        "                          written (SSID 101) and De-register\n"
        "      --linger S          keep a bootstrapped client's session open S seconds (default\n"
        "                          5, 0..300; its slot is free meanwhile): a Finish the server\n"
        "                          sends again because our 2.04 was lost is answered again and\n"
        "                          counted; the run ends S seconds after the last session.\n"
        "                          With DTLS all sockets must stay below 1024 (libcoap\n"
        "                          4.3.1's GnuTLS layer select()s on them): at most about\n"
        "                          950 sessions in flight, fewer of them linger\n"
        "      --single-source     every session from the default source address (ephemeral\n"
        "                          ports, reused along a long run); by default, towards a server\n"
        "                          on 127.0.0.0/8, each session binds an address of its own in\n"
        "                          127.1.0.1 .. 127.254.255.254, so no address:port is reused\n"
        "      --server-pid PID    sample /proc/PID before and after (CPU, VmHWM, VmRSS);\n"
        "                          repeatable, up to 8\n"
        "      --json              the report as one JSON object on stdout\n"
        "  -q, --quiet             no progress or failure lines on stderr\n"
        "  -h, --help              this help\n"
        "\n"
        "ping: each session makes K CON POST /ping exchanges in a row against `responder`\n"
        "(which answers 2.04 to anything) over a link of its own, then closes it; the same\n"
        "--io, --concurrency, --count, --duration, --timeout, --single-source, --server-pid,\n"
        "--json, --quiet, and\n"
        "      --exchanges K       exchanges per session (default 6, as many as a bootstrap\n"
        "                          of a seeded endpoint takes; 1 with --psk)\n"
        "      --psk               each session a fresh DTLS PSK session (a full handshake)\n"
        "                          towards `responder --dtls-listen` (--server coaps://...),\n"
        "                          identity \"ping-\" and the session's number, key derived\n"
        "                          from it as for the storm; with --exchanges 1 the rate is\n"
        "                          libcoap's raw PSK handshake rate (handshake + 1 request).\n"
        "                          The storm's --psk limits hold (--concurrency at most about\n"
        "                          950: DTLS sockets below 1024)\n"
        "      --psk-key HEX       with --psk: this key (1..64 bytes in hex) for every\n"
        "                          session instead (`responder --psk-key HEX` matches it)\n"
        "\n"
        "Exit status: 0 when every session succeeded, 1 when some failed (or could not run),\n"
        "2 on bad options.\n");
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "seed") == 0)
        return bench_seed_main(argc - 1, argv + 1);
    if (strcmp(cmd, "responder") == 0)
        return bench_responder_main(argc - 1, argv + 1);
    bench_mode mode = strcmp(cmd, "ping") == 0 ? BENCH_MODE_PING : BENCH_MODE_BOOTSTRAP;
    bool sub = mode == BENCH_MODE_PING || strcmp(cmd, "run") == 0;
    bench_opts o;
    int rc = bench_parse_run(sub ? argc - 1 : argc, sub ? argv + 1 : argv, mode, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    return bench_run_main(&o);
}
