/* The options of a storm (`lwm2m-bench [run]`) and of `lwm2m-bench ping`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_options.h"
#include "app_util.h"
#include "bench.h"
#include "config_doc.h"
#include "endpoint.h"
#include "lwm2m/consistency.h"

enum {
    OPT_COUNT = 256,
    OPT_DURATION,
    OPT_TIMEOUT,
    OPT_PSK,
    OPT_FORMAT,
    OPT_REJECT,
    OPT_REGISTER,
    OPT_EXCHANGES,
    OPT_PID,
    OPT_JSON,
    OPT_LINGER,
    OPT_SINGLE_SOURCE,
    OPT_IO,
    OPT_PSK_KEY,
    OPT_RPK,
    OPT_X509
};

typedef struct parse_ctx {
    bench_opts *o;
    bool boot_only, ping_only; /* an option of the other mode was given */
    const char *wrong, *ping_wrong;
    bool exchanges_given;
} parse_ctx;

static int bad(const char *opt, const char *arg, const char *range)
{
    fprintf(stderr, BENCH_PROG ": bad %s '%s' (%s)\n", opt, arg, range);
    return 2;
}

static int take_number(int opt, const char *arg, bench_opts *o)
{
    int64_t v = 0;
    switch (opt) {
    case 'n':
        if (!lwm2m_app_parse_int(arg, 1, 100000000, &v))
            return bad("--endpoints", arg, "1..100000000");
        o->endpoints = (uint32_t)v;
        return 0;
    case 'c':
        if (!lwm2m_app_parse_int(arg, 1, 10000, &v))
            return bad("--concurrency", arg, "1..10000");
        o->concurrency = (uint32_t)v;
        return 0;
    case OPT_COUNT:
        if (!lwm2m_app_parse_int(arg, 1, INT64_MAX, &v))
            return bad("--count", arg, "at least 1");
        o->count = (uint64_t)v;
        return 0;
    case OPT_DURATION:
        if (!lwm2m_app_parse_int(arg, 1, 86400, &v))
            return bad("--duration", arg, "1..86400 seconds");
        o->duration_s = (uint32_t)v;
        return 0;
    case OPT_TIMEOUT:
        if (!lwm2m_app_parse_int(arg, 1, 3600, &v))
            return bad("--timeout", arg, "1..3600 seconds");
        o->timeout_s = (uint32_t)v;
        return 0;
    case OPT_LINGER:
        if (!lwm2m_app_parse_int(arg, 0, 300, &v))
            return bad("--linger", arg, "0..300 seconds");
        o->linger_s = (uint32_t)v;
        return 0;
    case OPT_EXCHANGES:
        if (!lwm2m_app_parse_int(arg, 1, 1000, &v))
            return bad("--exchanges", arg, "1..1000");
        o->exchanges = (uint32_t)v;
        return 0;
    case OPT_PID:
        if (!lwm2m_app_parse_int(arg, 1, INT32_MAX, &v))
            return bad("--server-pid", arg, "a process id");
        if (o->n_pids == BENCH_MAX_PIDS)
            return bad("--server-pid", arg, "at most 8 of them");
        o->pids[o->n_pids++] = (pid_t)v;
        return 0;
    default:
        return 2;
    }
}

int bench_parse_io(const char *arg, bench_io_kind *io)
{
    if (strcmp(arg, "libcoap") == 0)
        *io = BENCH_IO_LIBCOAP;
    else if (strcmp(arg, "udp") == 0)
        *io = BENCH_IO_UDP;
    else
        return bad("--io", arg, "libcoap or udp");
    return 0;
}

int bench_parse_pki(const char *where, bool x509, const char *dir, bench_pki_mode *mode,
                    const char **mode_dir)
{
    if (*mode != BENCH_PKI_NONE) {
        fprintf(stderr, BENCH_PROG ": %s--rpk and --x509 exclude each other\n", where);
        return 2;
    }
    *mode = x509 ? BENCH_PKI_X509 : BENCH_PKI_RPK;
    *mode_dir = dir;
    return 0;
}

int bench_parse_psk_key(const char *arg, uint8_t key[BENCH_PSK_KEY_MAX], size_t *len)
{
    *len = lwm2m_app_parse_hex(arg, key, BENCH_PSK_KEY_MAX);
    return *len == 0 ? bad("--psk-key", arg, "1..64 bytes in hex") : 0;
}

static int take_format(const char *arg, bench_opts *o)
{
    if (strcmp(arg, "senml-json") == 0)
        o->format = LWM2M_FORMAT_SENML_JSON;
    else if (strcmp(arg, "senml-cbor") == 0)
        o->format = LWM2M_FORMAT_SENML_CBOR;
    else if (strcmp(arg, "tlv") == 0)
        o->format = LWM2M_FORMAT_TLV;
    else
        return bad("--format", arg, "senml-json, senml-cbor or tlv");
    return 0;
}

static int take_share(const char *arg, bench_opts *o)
{
    char *end = NULL;
    double p = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(p >= 0.0 && p <= 1.0))
        return bad("--reject-share", arg, "0..1");
    o->reject_ppm = (uint32_t)(p * 1e6 + 0.5);
    return 0;
}

static void mark_boot_only(parse_ctx *p, const char *opt)
{
    p->boot_only = true;
    p->wrong = opt;
}

static int take(void *ctx, int opt, const char *arg)
{
    parse_ctx *p = ctx;
    bench_opts *o = p->o;
    switch (opt) {
    case 'S':
        o->server = arg;
        return 0;
    case 'p':
        mark_boot_only(p, "--prefix");
        o->prefix = arg;
        return 0;
    case OPT_PSK:
        o->psk = true;
        return 0;
    case OPT_RPK:
    case OPT_X509:
        mark_boot_only(p, opt == OPT_RPK ? "--rpk" : "--x509");
        return bench_parse_pki("", opt == OPT_X509, arg, &o->pki, &o->pki_dir);
    case OPT_PSK_KEY:
        p->ping_only = true;
        p->ping_wrong = "--psk-key";
        return bench_parse_psk_key(arg, o->psk_key, &o->psk_key_len);
    case OPT_FORMAT:
        mark_boot_only(p, "--format");
        return take_format(arg, o);
    case OPT_REJECT:
        mark_boot_only(p, "--reject-share");
        return take_share(arg, o);
    case OPT_REGISTER:
        mark_boot_only(p, "--register");
        o->reg = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    case OPT_SINGLE_SOURCE:
        o->single_source = true;
        return 0;
    case OPT_IO:
        return bench_parse_io(arg, &o->io);
    case 'q':
        o->quiet = true;
        return 0;
    case 'n':
        mark_boot_only(p, "--endpoints");
        return take_number(opt, arg, o);
    case OPT_EXCHANGES:
        p->ping_only = true;
        p->ping_wrong = "--exchanges";
        p->exchanges_given = true;
        return take_number(opt, arg, o);
    case OPT_LINGER:
        mark_boot_only(p, "--linger");
        return take_number(opt, arg, o);
    default:
        return take_number(opt, arg, o);
    }
}

/* What the options say together: 0, or 2 with the message printed. */
static int check(const parse_ctx *p, bench_mode mode)
{
    const bench_opts *o = p->o;
    if (mode == BENCH_MODE_PING && p->boot_only) {
        fprintf(stderr, BENCH_PROG ": ping: %s is an option of the bootstrap storm\n", p->wrong);
        return 2;
    }
    if (mode == BENCH_MODE_BOOTSTRAP && p->ping_only) {
        fprintf(stderr, BENCH_PROG ": %s is an option of ping\n", p->ping_wrong);
        return 2;
    }
    if (o->psk && o->pki != BENCH_PKI_NONE) {
        fprintf(stderr, BENCH_PROG ": --psk and --%s exclude each other\n",
                bench_pki_mode_name(o->pki));
        return 2;
    }
    if (o->psk_key_len > 0 && !o->psk) {
        fprintf(stderr, BENCH_PROG ": ping: --psk-key needs --psk\n");
        return 2;
    }
    if (o->server == NULL) {
        fprintf(stderr, BENCH_PROG ": --server is required (try --help)\n");
        return 2;
    }
    uint8_t scheme = lwm2m_uri_scheme(o->server, strlen(o->server));
    bool dtls = bench_dtls(o);
    if (o->io == BENCH_IO_UDP && (dtls || scheme == LWM2M_SCHEME_COAPS)) {
        fprintf(stderr, BENCH_PROG ": --io udp speaks NoSec coap:// only (no --psk, --rpk, "
                                   "--x509, no coaps://); DTLS needs --io libcoap\n");
        return 2;
    }
    uint8_t want = dtls ? LWM2M_SCHEME_COAPS : LWM2M_SCHEME_COAP;
    if (scheme != want || strlen(o->server) >= BENCH_URI_MAX) {
        fprintf(stderr, BENCH_PROG ": bad --server '%s' (%s://HOST:PORT%s)\n", o->server,
                dtls ? "coaps" : "coap",
                o->psk ? " with --psk"
                : dtls ? " with --rpk or --x509"
                       : "; coaps:// needs --psk, --rpk or --x509");
        return 2;
    }
    if (o->count > 0 && o->duration_s > 0) {
        fprintf(stderr, BENCH_PROG ": --count and --duration exclude each other\n");
        return 2;
    }
    if (mode == BENCH_MODE_BOOTSTRAP && !bench_prefix_ok(o->prefix)) {
        fprintf(stderr,
                BENCH_PROG ": bad --prefix '%s' (1..%d printable bytes, none of space \" \\ & = "
                           "? # %%)\n",
                o->prefix, BENCH_PREFIX_MAX);
        return 2;
    }
    if (mode == BENCH_MODE_BOOTSTRAP && o->concurrency > o->endpoints) {
        fprintf(stderr,
                BENCH_PROG ": --concurrency %u exceeds --endpoints %u (an endpoint runs one "
                           "session at a time)\n",
                (unsigned)o->concurrency, (unsigned)o->endpoints);
        return 2;
    }
    return 0;
}

int bench_parse_run(int argc, char **argv, bench_mode mode, bench_opts *o)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 'S'},
        {"endpoints", required_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'p'},
        {"concurrency", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, OPT_COUNT},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"psk", no_argument, NULL, OPT_PSK},
        {"psk-key", required_argument, NULL, OPT_PSK_KEY},
        {"rpk", required_argument, NULL, OPT_RPK},
        {"x509", required_argument, NULL, OPT_X509},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"reject-share", required_argument, NULL, OPT_REJECT},
        {"register", no_argument, NULL, OPT_REGISTER},
        {"exchanges", required_argument, NULL, OPT_EXCHANGES},
        {"linger", required_argument, NULL, OPT_LINGER},
        {"server-pid", required_argument, NULL, OPT_PID},
        {"single-source", no_argument, NULL, OPT_SINGLE_SOURCE},
        {"io", required_argument, NULL, OPT_IO},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->mode = mode;
    o->prefix = "bench-";
    o->endpoints = 1000;
    o->concurrency = 10;
    o->timeout_s = 30;
    o->linger_s = 5;
    o->format = LWM2M_FORMAT_SENML_JSON;
    o->exchanges = BENCH_EXCHANGES_PRIMARY;
    parse_ctx p = {o, false, false, NULL, NULL, false};
    int rc =
        lwm2m_app_options(BENCH_PROG, argc, argv, "S:n:p:c:qh", longopts, bench_usage, take, &p);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if ((rc = check(&p, mode)) != 0)
        return rc;
    /* Neither --count nor --duration: every endpoint once (ping: 1000 sessions). */
    if (o->count == 0 && o->duration_s == 0)
        o->count = mode == BENCH_MODE_PING ? 1000 : o->endpoints;
    /* ping --psk measures the handshake: one exchange per session unless told. */
    if (mode == BENCH_MODE_PING && o->psk && !p.exchanges_given)
        o->exchanges = 1;
    return LWM2M_APP_GO_ON;
}
