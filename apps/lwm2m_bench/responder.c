/* `lwm2m-bench responder`: a trivial CoAP server that answers 2.04 to any request, the peer
 * of `ping`, until SIGTERM or SIGINT: through libcoap (here), or raw (responder_udp.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <coap3/coap.h>

#include "app_loop.h"
#include "app_options.h"
#include "app_util.h"
#include "bench.h"
#include "lwm2m/coap_code.h"
#include "net/net_util.h"

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: " BENCH_PROG " responder --listen HOST:PORT [--io libcoap|udp]\n"
           "\n"
           "Answers 2.04 Changed to every CoAP request (the peer of `" BENCH_PROG " ping`), until\n"
           "SIGTERM or SIGINT. Port 0 picks a free port; the start-up line on stderr\n"
           "`responder: listening on coap://HOST:PORT` tells which.\n"
           "\n"
           "  -l, --listen HOST:PORT   where to listen (default 127.0.0.1:5693)\n"
           "      --io libcoap|udp     libcoap (default: a CoAP server context with its\n"
           "                           sessions), or `udp`: one socket read with recvmmsg and\n"
           "                           written with sendmmsg in batches, framed with our own\n"
           "                           CoAP code: a CON request gets a piggybacked 2.04, a\n"
           "                           malformed CON or an Empty CON a RST, the rest nothing\n"
           "                           (no state: a retransmission is answered again)\n"
           "      --max-idle N         (libcoap) keep at most N idle sessions (libcoap's\n"
           "                           coap_context_set_max_idle_sessions; default 0: libcoap's\n"
           "                           default, every peer kept for 300 s, as the servers do)\n"
           "  -h, --help               this help\n"
           "\n"
           "Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up failure, 2 on bad options.\n");
}

typedef struct responder_opts {
    const char *listen;
    int64_t max_idle;
    bench_io_kind io;
} responder_opts;

enum { OPT_MAX_IDLE = 256, OPT_IO };

static int take(void *ctx, int opt, const char *arg)
{
    responder_opts *o = ctx;
    if (opt == 'l') {
        o->listen = arg;
        return 0;
    }
    if (opt == OPT_IO)
        return bench_parse_io(arg, &o->io);
    if (opt == OPT_MAX_IDLE && lwm2m_app_parse_int(arg, 0, 1000000, &o->max_idle))
        return 0;
    if (opt == OPT_MAX_IDLE)
        fprintf(stderr, BENCH_PROG ": responder: bad --max-idle '%s' (0..1000000)\n", arg);
    return 2;
}

static void on_request(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    (void)session;
    (void)pdu;
    (void)query;
    coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CHANGED);
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

int bench_responder_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"max-idle", required_argument, NULL, OPT_MAX_IDLE},
        {"io", required_argument, NULL, OPT_IO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    responder_opts o = {"127.0.0.1:5693", 0, BENCH_IO_LIBCOAP};
    int rc =
        lwm2m_app_options(BENCH_PROG " responder", argc, argv, "l:h", longopts, usage, take, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if (o.io == BENCH_IO_UDP && o.max_idle > 0) {
        fprintf(stderr, BENCH_PROG ": responder: --max-idle is an option of --io libcoap\n");
        return 2;
    }
    int sfd = lwm2m_app_signals_open(NULL);
    if (sfd < 0) {
        fprintf(stderr, BENCH_PROG ": responder: cannot set up signals: %s\n", strerror(errno));
        return 1;
    }
    if (o.io == BENCH_IO_UDP) {
        int status = bench_responder_udp(o.listen, sfd);
        lwm2m_app_signals_close(sfd, NULL);
        return status;
    }
    coap_startup();
    coap_set_log_level(LOG_ERR);
    int status = 1;
    char err[200];
    uint16_t port = 0;
    coap_context_t *ctx = coap_new_context(NULL);
    coap_resource_t *any = ctx ? coap_resource_unknown_init2(on_request, 0) : NULL;
    if (any == NULL) {
        fprintf(stderr, BENCH_PROG ": responder: out of memory\n");
    } else if (lwm2m_net_listen(ctx, o.listen, COAP_PROTO_UDP, &port, err, sizeof err) == NULL) {
        coap_delete_resource(NULL, any);
        fprintf(stderr, BENCH_PROG ": responder: %s\n", err);
    } else {
        coap_register_request_handler(any, COAP_REQUEST_GET, on_request);
        coap_register_request_handler(any, COAP_REQUEST_POST, on_request);
        coap_register_request_handler(any, COAP_REQUEST_DELETE, on_request);
        coap_add_resource(ctx, any);
        if (o.max_idle > 0)
            coap_context_set_max_idle_sessions(ctx, (unsigned)o.max_idle);
        char host[128];
        snprintf(host, sizeof host, "%s", o.listen);
        char *colon = strrchr(host, ':');
        if (colon != NULL)
            *colon = '\0';
        fprintf(stderr, BENCH_PROG ": responder: listening on coap://%s:%u\n", host,
                (unsigned)port);
        serve(ctx, sfd);
        status = 0;
    }
    if (ctx != NULL)
        coap_free_context(ctx);
    coap_cleanup();
    lwm2m_app_signals_close(sfd, NULL);
    return status;
}
