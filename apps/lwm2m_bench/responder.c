/* `lwm2m-bench responder`: a trivial CoAP server that answers 2.04 to any request, the peer
 * of `ping`, until SIGTERM or SIGINT: through libcoap (here; NoSec and/or DTLS PSK), or raw
 * (responder_udp.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <coap3/coap.h>

#include "app_loop.h"
#include "app_options.h"
#include "app_util.h"
#include "bench.h"
#include "lwm2m/coap_code.h"
#include "net/net_util.h"

#define DEFAULT_LISTEN "127.0.0.1:5693"
#define LOG_UNFINISHED 10 /* sessions given up unfinished named on stderr; then not */

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: " BENCH_PROG " responder [--listen HOST:PORT] [--dtls-listen HOST:PORT]\n"
        "                           [--psk-key HEX] [--io libcoap|udp] [--max-idle N]\n"
        "\n"
        "Answers 2.04 Changed to every CoAP request (the peer of `" BENCH_PROG " ping`), until\n"
        "SIGTERM or SIGINT. Port 0 picks a free port; the start-up lines on stderr\n"
        "`responder: listening on coap://HOST:PORT` (and `coaps://HOST:PORT` for the DTLS\n"
        "listener) tell which.\n"
        "\n"
        "  -l, --listen HOST:PORT   NoSec coap:// listener (default " DEFAULT_LISTEN " when\n"
        "                           --dtls-listen is not given either)\n"
        "  -d, --dtls-listen HOST:PORT\n"
        "                           DTLS PSK coaps:// listener (libcoap), for `ping --psk`:\n"
        "                           any identity is accepted; its key is the one the storm's\n"
        "                           --psk derives from the identity (the first 16 bytes of\n"
        "                           SHA-256(\"lwm2m-bench-psk:\" IDENTITY); identities of up to\n"
        "                           74 bytes), or --psk-key. The listener's sessions share its\n"
        "                           one socket: the responder needs few descriptors, while\n"
        "                           `ping --psk`, like the storm with --psk, keeps every DTLS\n"
        "                           socket below 1024 (libcoap 4.3.1's GnuTLS layer select()s\n"
        "                           on them): --concurrency at most about 950\n"
        "      --psk-key HEX        with --dtls-listen: this key (1..64 bytes in hex) for every\n"
        "                           identity instead (`ping --psk --psk-key HEX` matches it)\n"
        "      --io libcoap|udp     libcoap (default: a CoAP server context with its\n"
        "                           sessions), or `udp`: one socket read with recvmmsg and\n"
        "                           written with sendmmsg in batches, framed with our own\n"
        "                           CoAP code: a CON request gets a piggybacked 2.04, a\n"
        "                           malformed CON or an Empty CON a RST, the rest nothing\n"
        "                           (no state: a retransmission is answered again; NoSec only)\n"
        "      --max-idle N         (libcoap) keep at most N idle sessions (libcoap's\n"
        "                           coap_context_set_max_idle_sessions; default 0: libcoap's\n"
        "                           default, every peer kept for 300 s, as the servers do)\n"
        "  -h, --help               this help\n"
        "\n"
        "With --dtls-listen it writes on stderr, when it stops, its DTLS sessions, those\n"
        "that got requests (and how many), those that did not (their handshake unfinished)\n"
        "and the identities refused, and names the peers of the first ten sessions libcoap\n"
        "gives up without a request (some seconds later): a record that does not decrypt\n"
        "(a key other than ours) is dropped unanswered, as DTLS wants, so a wrong key shows\n"
        "there and as a handshake timeout at the client. All DTLS peers share the\n"
        "listener's one socket: when its receive buffer overflows (the drops column of\n"
        "/proc/net/udp), each lost handshake datagram costs a DTLS retransmission timer\n"
        "(1 s, then 2 s) at the client.\n"
        "\n"
        "Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up failure, 2 on bad options.\n");
}

typedef struct responder_opts {
    const char *listen, *dtls_listen;
    int64_t max_idle;
    bench_io_kind io;
    uint8_t psk_key[BENCH_PSK_KEY_MAX];
    size_t psk_key_len; /* 0: the key derived from the identity */
} responder_opts;

/* What the DTLS callbacks share: the context's app data. */
typedef struct responder_dtls {
    const responder_opts *opts;
    uint8_t key[BENCH_PSK_KEY_MAX];
    coap_bin_const_t key_bin;
    uint64_t sessions;     /* DTLS sessions past the cookie exchange */
    uint64_t with_request; /* of them, those that got past the handshake: a request came */
    uint64_t answered;     /* requests answered over DTLS */
    uint64_t refused;      /* identities the derivation does not take */
    uint32_t logged;       /* sessions given up without a request, named on stderr */
} responder_dtls;

enum { OPT_MAX_IDLE = 256, OPT_IO, OPT_PSK_KEY };

static int take(void *ctx, int opt, const char *arg)
{
    responder_opts *o = ctx;
    switch (opt) {
    case 'l':
        o->listen = arg;
        return 0;
    case 'd':
        o->dtls_listen = arg;
        return 0;
    case OPT_IO:
        return bench_parse_io(arg, &o->io);
    case OPT_PSK_KEY:
        return bench_parse_psk_key(arg, o->psk_key, &o->psk_key_len);
    case OPT_MAX_IDLE:
        if (lwm2m_app_parse_int(arg, 0, 1000000, &o->max_idle))
            return 0;
        fprintf(stderr, BENCH_PROG ": responder: bad --max-idle '%s' (0..1000000)\n", arg);
        return 2;
    default:
        return 2;
    }
}

/* What the options say together: 0, or 2 with the message printed. */
static int check(responder_opts *o)
{
    const char *wrong = o->io != BENCH_IO_UDP ? NULL
                        : o->max_idle > 0     ? "--max-idle"
                        : o->dtls_listen      ? "--dtls-listen"
                                              : NULL;
    if (wrong != NULL) {
        fprintf(stderr, BENCH_PROG ": responder: %s is an option of --io libcoap\n", wrong);
        return 2;
    }
    if (o->psk_key_len > 0 && o->dtls_listen == NULL) {
        fprintf(stderr, BENCH_PROG ": responder: --psk-key needs --dtls-listen\n");
        return 2;
    }
    if (o->listen == NULL && o->dtls_listen == NULL)
        o->listen = DEFAULT_LISTEN;
    return 0;
}

static void on_request(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    (void)pdu;
    (void)query;
    responder_dtls *d = coap_get_app_data(coap_session_get_context(session));
    if (d != NULL && coap_session_get_proto(session) == COAP_PROTO_DTLS) {
        d->answered++;
        if (coap_session_get_app_data(session) == NULL) {
            coap_session_set_app_data(session, d); /* it got past its handshake */
            d->with_request++;
        }
    }
    coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CHANGED);
}

/* DTLS PSK: any identity, with --psk-key or the key derived from the identity. */
static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    (void)session;
    responder_dtls *d = arg;
    char name[BENCH_NAME_MAX] = "";
    if (d->opts->psk_key_len == 0) {
        /* The derivation takes a name as the storm's: no NUL inside, at most 74 bytes. */
        if (identity == NULL || identity->length >= sizeof name ||
            (identity->length > 0 && memchr(identity->s, '\0', identity->length) != NULL)) {
            d->refused++;
            return NULL;
        }
        if (identity->length > 0)
            memcpy(name, identity->s, identity->length);
        name[identity->length] = '\0';
    }
    d->key_bin.length = bench_psk_key_for(name, d->opts->psk_key, d->opts->psk_key_len, d->key);
    d->key_bin.s = d->key;
    return &d->key_bin;
}

/* Counts the DTLS sessions, and names the peers of the first that libcoap gives up without a
 * request: with DTLS a record that does not decrypt is dropped unanswered, so a key other than
 * ours shows here (some seconds later) and as a handshake timeout at the client. libcoap 4.3.1
 * tells a server nothing when a handshake finishes (no COAP_EVENT_DTLS_CONNECTED; the state is gone
 * by SESSION_DEL): a request stands for it. */
static int on_event(coap_session_t *session, const coap_event_t event)
{
    responder_dtls *d = coap_get_app_data(coap_session_get_context(session));
    if (d == NULL || coap_session_get_proto(session) != COAP_PROTO_DTLS)
        return 0;
    if (event == COAP_EVENT_SERVER_SESSION_NEW) {
        d->sessions++;
    } else if (event == COAP_EVENT_SERVER_SESSION_DEL &&
               coap_session_get_app_data(session) == NULL && d->logged++ < LOG_UNFINISHED) {
        char peer[64];
        lwm2m_net_peer_of(session, peer, sizeof peer);
        fprintf(stderr,
                BENCH_PROG ": responder: DTLS session with %s ended without a request (its "
                           "handshake unfinished: a key other than ours, or the client gave "
                           "up)%s\n",
                peer, d->logged == LOG_UNFINISHED ? "; further ones are only counted" : "");
    }
    return 0;
}

/* Serves until a signal arrives on `sfd`. */
static void serve(coap_context_t *ctx, int sfd)
{
    for (;;) {
        fd_set rfds;
        FD_ZERO(&rfds);
        FD_SET(sfd, &rfds);
        lwm2m_net_io_process(ctx, 1000, sfd + 1, &rfds, NULL, NULL);
        int sig = lwm2m_app_signal_caught(sfd);
        if (sig != 0) {
            fprintf(stderr, BENCH_PROG ": responder: signal %d: stopping\n", sig);
            return;
        }
    }
}

/* A listener on `where` for `proto`, announced on stderr: 0, or -1 with the message printed. */
static int listen_on(coap_context_t *ctx, const char *where, coap_proto_t proto)
{
    char err[200];
    uint16_t port = 0;
    if (lwm2m_net_listen(ctx, where, proto, &port, err, sizeof err) == NULL) {
        fprintf(stderr, BENCH_PROG ": responder: %s\n", err);
        return -1;
    }
    char host[128];
    snprintf(host, sizeof host, "%s", where);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    fprintf(stderr, BENCH_PROG ": responder: listening on %s://%s:%u\n",
            proto == COAP_PROTO_DTLS ? "coaps" : "coap", host, (unsigned)port);
    return 0;
}

/* The DTLS PSK listener's set-up (before its endpoint): 0, or -1 with the message printed. */
static int setup_dtls(coap_context_t *ctx, responder_dtls *d)
{
    if (!coap_dtls_is_supported()) {
        fprintf(stderr, BENCH_PROG ": responder: this libcoap has no DTLS support\n");
        return -1;
    }
    coap_dtls_spsk_t spsk;
    memset(&spsk, 0, sizeof spsk);
    spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    spsk.validate_id_call_back = psk_for_identity;
    spsk.id_call_back_arg = d;
    if (!coap_context_set_psk2(ctx, &spsk)) {
        fprintf(stderr, BENCH_PROG ": responder: this libcoap has no DTLS PSK support\n");
        return -1;
    }
    coap_set_app_data(ctx, d);
    coap_register_event_handler(ctx, on_event);
    return 0;
}

/* The libcoap responder until a signal arrives on `sfd`: 0, or 1 when it cannot start. */
static int run_libcoap(const responder_opts *o, int sfd)
{
    coap_startup();
    coap_set_log_level(LOG_ERR);
    int status = 1;
    responder_dtls dtls;
    memset(&dtls, 0, sizeof dtls);
    dtls.opts = o;
    coap_context_t *ctx = coap_new_context(NULL);
    coap_resource_t *any = ctx ? coap_resource_unknown_init2(on_request, 0) : NULL;
    if (any == NULL) {
        fprintf(stderr, BENCH_PROG ": responder: out of memory\n");
    } else if ((o->dtls_listen != NULL && (setup_dtls(ctx, &dtls) != 0 ||
                                           listen_on(ctx, o->dtls_listen, COAP_PROTO_DTLS) != 0)) ||
               (o->listen != NULL && listen_on(ctx, o->listen, COAP_PROTO_UDP) != 0)) {
        coap_delete_resource(NULL, any);
    } else {
        coap_register_request_handler(any, COAP_REQUEST_GET, on_request);
        coap_register_request_handler(any, COAP_REQUEST_POST, on_request);
        coap_register_request_handler(any, COAP_REQUEST_DELETE, on_request);
        coap_add_resource(ctx, any);
        if (o->max_idle > 0)
            coap_context_set_max_idle_sessions(ctx, (unsigned)o->max_idle);
        serve(ctx, sfd);
        status = 0;
    }
    if (status == 0 && o->dtls_listen != NULL)
        fprintf(stderr,
                BENCH_PROG ": responder: DTLS: %" PRIu64 " sessions: %" PRIu64
                           " with requests (%" PRIu64 " answered), %" PRIu64
                           " without (handshake unfinished); %" PRIu64 " identities refused\n",
                dtls.sessions, dtls.with_request, dtls.answered, dtls.sessions - dtls.with_request,
                dtls.refused);
    if (ctx != NULL)
        coap_free_context(ctx);
    coap_cleanup();
    return status;
}

int bench_responder_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"dtls-listen", required_argument, NULL, 'd'},
        {"psk-key", required_argument, NULL, OPT_PSK_KEY},
        {"max-idle", required_argument, NULL, OPT_MAX_IDLE},
        {"io", required_argument, NULL, OPT_IO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    responder_opts o;
    memset(&o, 0, sizeof o);
    o.io = BENCH_IO_LIBCOAP;
    int rc =
        lwm2m_app_options(BENCH_PROG " responder", argc, argv, "l:d:h", longopts, usage, take, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if ((rc = check(&o)) != 0)
        return rc;
    int sfd = lwm2m_app_signals_open(NULL);
    if (sfd < 0) {
        fprintf(stderr, BENCH_PROG ": responder: cannot set up signals: %s\n", strerror(errno));
        return 1;
    }
    int status = o.io == BENCH_IO_UDP ? bench_responder_udp(o.listen, sfd) : run_libcoap(&o, sfd);
    lwm2m_app_signals_close(sfd, NULL);
    return status;
}
