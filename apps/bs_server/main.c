/* lwm2m-bs-server: the Bootstrap Server daemon, its `config` and `trigger` commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "app_loop.h"
#include "app_options.h"
#include "app_util.h"
#include "bs_admin.h"
#include "http_api.h"
#include "lwm2m/bs_session.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "net/bs_server_net.h"
#include "net/host_port.h"

#define PROG "lwm2m-bs-server"

int bs_config_main(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " [options]                 run the Bootstrap Server\n"
            "       " PROG " config COMMAND [...]      manage configurations (see config --help)\n"
            "       " PROG " trigger --endpoint NAME --address HOST:PORT [--store SPEC]\n"
            "                                         bootstrap a client without its request\n"
            "\n"
            "Serves LwM2M Bootstrap-Request (POST /bs?ep=) and 1.2 Bootstrap-Pack-Request\n"
            "(GET /bspack?ep=) from the per-endpoint configurations of the store: each session\n"
            "runs Bootstrap-Discover, Deletes, Writes and Finish; after a 4.06 it deletes what it\n"
            "wrote and tries the configuration's next fallback. One log line per session.\n"
            "A client's DTLS credentials are bound to its endpoint (the configuration's psk,\n"
            "rpk or x509, docs/bs-config.md; certificate CNs through `config cert-map`):\n"
            "anything else gets 4.00 and a `security:` log line.\n"
            "\n"
            "  -l, --listen HOST:PORT       coap:// listener (default 127.0.0.1:5683)\n"
            "      --no-listen              no coap:// listener (DTLS only)\n"
            "  -d, --dtls-listen HOST:PORT  coaps:// DTLS listener (default: none; the IANA\n"
            "                               port is 5684): PSK clients, and with --cert/--key\n"
            "                               or --rpk-key also RPK and X.509 "
            "clients\n" LWM2M_APP_DTLS_OPTIONS_HELP
            "  -s, --store SPEC             sqlite:PATH (default sqlite:lwm2m-bs.db)\n"
            "  -H, --http HOST:PORT         HTTP JSON API (default: off; e.g. 127.0.0.1:8080)\n"
            "  -t, --session-timeout S      bound on a whole session (default 120)\n"
            "      --io udp|libcoap         what serves coap://: our own CoAP over UDP (default;\n"
            "                               block-wise, retransmission and deduplication of\n"
            "                               RFC 7252/7959, batched socket calls) or libcoap\n"
            "      --workers N              N processes (1..64, default 1) serve the coap://\n"
            "                               port together (SO_REUSEPORT: a client stays with\n"
            "                               one); the first also serves coaps:// and --http\n"
            "      --object-dir DIR         extra object definitions (OMA DDF XML files)\n"
            "  -v, --verbose                log every request of every session\n"
            "  -h, --help                   this help\n"
            "\n"
            "Exit status: 0 after SIGTERM/SIGINT (trigger: the session succeeded), 1 on a\n"
            "start-up or session failure, 2 on bad options.\n");
}

typedef struct app {
    bs_admin admin;
    lwm2m_bs_runtime *runtime;
} app;

static int hook_resolve(void *ctx, const char *endpoint, lwm2m_bs_config **out, char *err,
                        size_t errlen)
{
    app *a = ctx;
    return bs_admin_resolve(&a->admin, endpoint, out, err, errlen);
}

static int hook_identity(void *ctx, const uint8_t *id, size_t len, char **endpoint, uint8_t *key,
                         size_t *key_len)
{
    app *a = ctx;
    return bs_admin_lookup_identity(&a->admin, id, len, endpoint, key, key_len);
}

static int hook_public_key(void *ctx, const uint8_t *key, size_t len, char **endpoint)
{
    app *a = ctx;
    return bs_admin_lookup_public_key(&a->admin, key, len, endpoint);
}

static int hook_cn(void *ctx, const char *cn, char **endpoint)
{
    app *a = ctx;
    return bs_admin_lookup_cn(&a->admin, cn, endpoint);
}

static char *hook_stats(void *ctx)
{
    app *a = ctx;
    return lwm2m_bs_runtime_stats_json(a->runtime);
}

static int hook_trigger(void *ctx, const char *endpoint, const char *address, char *err,
                        size_t errlen)
{
    app *a = ctx;
    return lwm2m_bs_runtime_trigger(a->runtime, endpoint, address, err, errlen);
}

/* --session-timeout: 0, or 2 with the message printed. */
static int parse_seconds(const char *s, int64_t *out)
{
    if (lwm2m_app_parse_int(s, 1, 86400, out))
        return 0;
    fprintf(stderr, PROG ": bad --session-timeout '%s' (1..86400)\n", s);
    return 2;
}

/* Shared by the server and `trigger`: the store, the object definitions. */
static int open_admin(app *a, const char *store_spec, const char *object_dir, lwm2m_ddf_set *ddf,
                      lwm2m_objdef_list *defs)
{
    char err[300];
    if (lwm2m_app_load_objects(PROG, NULL, object_dir, ddf, defs) != 0)
        return -1;
    if (object_dir != NULL)
        a->admin.defs = defs;
    if (lwm2m_bs_store_open(store_spec, &a->admin.store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, PROG ": store %s: %s\n", store_spec, err);
        return -1;
    }
    return 0;
}

static int trigger_main(int argc, char **argv)
{
    const char *endpoint = NULL, *address = NULL, *store_spec = "sqlite:lwm2m-bs.db";
    const char *object_dir = NULL;
    int64_t timeout_s = 120;
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"address", required_argument, NULL, 'a'},
        {"store", required_argument, NULL, 's'},
        {"session-timeout", required_argument, NULL, 't'},
        {"object-dir", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "e:a:s:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            endpoint = optarg;
            break;
        case 'a':
            address = optarg;
            break;
        case 's':
            store_spec = optarg;
            break;
        case 'o':
            object_dir = optarg;
            break;
        case 't':
            if (parse_seconds(optarg, &timeout_s) != 0)
                return 2;
            break;
        case 'h':
            printf("Usage: " PROG " trigger --endpoint NAME --address HOST:PORT [--store SPEC]\n"
                   "               [--session-timeout S] [--object-dir DIR]\n"
                   "LwM2M 1.0 server-initiated bootstrap: runs the endpoint's bootstrap session\n"
                   "towards a client listening at HOST:PORT (NoSec), without a Bootstrap-Request.\n"
                   "Exit status: 0 when Finish was accepted, 1 otherwise, 2 on bad options.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (endpoint == NULL || address == NULL || optind < argc) {
        fprintf(stderr, PROG ": trigger needs --endpoint and --address (try trigger --help)\n");
        return 2;
    }
    app a;
    memset(&a, 0, sizeof a);
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    int status = 1;
    coap_startup();
    coap_set_log_level(LOG_ERR);
    if (open_admin(&a, store_spec, object_dir, &ddf, &defs) != 0)
        goto done;
    lwm2m_bs_runtime_options ro = {
        .session_timeout_ms = timeout_s * 1000, .store = a.admin.store, .defs = a.admin.defs};
    lwm2m_bs_runtime_hooks hooks = {&a, hook_resolve, hook_identity, hook_public_key, hook_cn};
    char err[300];
    a.runtime = lwm2m_bs_runtime_new(&ro, &hooks, err, sizeof err);
    if (a.runtime == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto done;
    }
    if (lwm2m_bs_runtime_trigger(a.runtime, endpoint, address, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": trigger: %s\n", err);
        goto done;
    }
    while (lwm2m_bs_runtime_active(a.runtime) > 0)
        lwm2m_bs_runtime_process(a.runtime, 100, 0, NULL, NULL, NULL);
    status = strcmp(lwm2m_bs_runtime_last_outcome(a.runtime, endpoint), "success") == 0 ? 0 : 1;
done:
    lwm2m_bs_runtime_free(a.runtime);
    if (a.admin.store != NULL)
        lwm2m_bs_store_close(a.admin.store);
    lwm2m_ddf_free(&ddf);
    coap_cleanup();
    return status;
}

typedef struct options {
    lwm2m_app_listen_opts l;
    int64_t timeout_s;
    bool libcoap_nosec;
    int64_t workers;
} options;

enum { OPT_IO = LWM2M_APP_OPT_FREE, OPT_WORKERS };

static int take_option(void *ctx, int opt, const char *arg)
{
    options *o = ctx;
    if (lwm2m_app_listen_option(&o->l, opt, arg))
        return 0;
    switch (opt) {
    case 't':
        return parse_seconds(arg, &o->timeout_s);
    case OPT_IO:
        if (strcmp(arg, "udp") != 0 && strcmp(arg, "libcoap") != 0) {
            fprintf(stderr, PROG ": bad --io '%s' (udp or libcoap)\n", arg);
            return 2;
        }
        o->libcoap_nosec = strcmp(arg, "libcoap") == 0;
        return 0;
    case OPT_WORKERS:
        if (lwm2m_app_parse_int(arg, 1, 64, &o->workers))
            return 0;
        fprintf(stderr, PROG ": bad --workers '%s' (1..64)\n", arg);
        return 2;
    default:
        return 2;
    }
}

/* Starts workers 1..n-1 (worker 0 is this process). Each child serves only the coap:// port
 * and dies with its parent. Returns the worker number in the child, 0 in the parent (*pids
 * filled), -1 when a fork failed (the children started are stopped). */
static int start_workers(int n, pid_t *pids)
{
    for (int i = 1; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() == 1)
                _exit(0); /* the parent is already gone */
            return i;
        }
        if (pid < 0) {
            fprintf(stderr, PROG ": cannot start worker %d: %s\n", i, strerror(errno));
            for (int k = 1; k < i; k++)
                kill(pids[k], SIGTERM);
            for (int k = 1; k < i; k++)
                waitpid(pids[k], NULL, 0);
            return -1;
        }
        pids[i] = pid;
    }
    return 0;
}

static void stop_workers(int n, const pid_t *pids)
{
    for (int i = 1; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    for (int i = 1; i < n; i++)
        if (pids[i] > 0)
            waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "config") == 0)
        return bs_config_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "trigger") == 0)
        return trigger_main(argc - 1, argv + 1);

    options o = {{"127.0.0.1:5683", NULL, "sqlite:lwm2m-bs.db", NULL, NULL, false}, 120, false, 1};
    static const struct option opts[] = {
        LWM2M_APP_LISTEN_LONG_OPTIONS,
        {"session-timeout", required_argument, NULL, 't'},
        {"io", required_argument, NULL, OPT_IO},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {NULL, 0, NULL, 0},
    };
    int status = lwm2m_app_options(PROG, argc, argv, "l:d:s:H:t:vh", opts, usage, take_option, &o);
    if (status != LWM2M_APP_GO_ON)
        return status;
    if ((status = lwm2m_app_listen_check(PROG, &o.l)) != 0)
        return status;
    if (o.workers > 1 && (o.libcoap_nosec || o.l.listen == NULL)) {
        fprintf(stderr, PROG ": --workers needs the coap:// listener of --io udp (libcoap binds "
                             "without SO_REUSEPORT)\n");
        return 2;
    }
    int workers = (int)o.workers;
    pid_t pids[64] = {0};
    char fixed_listen[128];
    if (workers > 1) {
        /* Port 0 would give each worker a port of its own: choose the port before forking. */
        char err[200];
        if (lwm2m_net_fix_port(o.l.listen, fixed_listen, sizeof fixed_listen, err, sizeof err) !=
            0) {
            fprintf(stderr, PROG ": --listen %s: %s\n", o.l.listen, err);
            return 1;
        }
        o.l.listen = fixed_listen;
    }
    int worker = start_workers(workers, pids);
    if (worker < 0)
        return 1;
    if (worker > 0) { /* a child serves coap:// only */
        o.l.dtls_listen = NULL;
        o.l.http = NULL;
        workers = 1;
    }
    const char *http = o.l.http;
    app a;
    memset(&a, 0, sizeof a);
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    bs_http *api = NULL;
    lwm2m_net_pki *pki = NULL;
    int sfd = -1;
    char err[300];
    status = 1;
    /* Two log lines per session: at thousands of sessions per second, one write(2) per line
     * was a tenth of the server's time. The loop flushes after every turn. */
    setvbuf(stderr, NULL, _IOFBF, 1 << 16);
    coap_startup();
    /* Warnings: GnuTLS's refusals of client certificates become `security:` lines. */
    coap_set_log_handler(lwm2m_net_log_handler);
    coap_set_log_level(o.l.verbose ? LOG_NOTICE : LOG_WARNING);
    if (open_admin(&a, o.l.store_spec, o.l.object_dir, &ddf, &defs) != 0)
        goto done;
    if (o.l.cert != NULL || o.l.rpk_key != NULL) {
        const lwm2m_net_pki_files files = {o.l.cert,     o.l.key,           o.l.rpk_key,
                                           o.l.ca_files, o.l.ca_file_count, o.l.ca_dir};
        if ((pki = lwm2m_net_pki_load(&files, err, sizeof err)) == NULL) {
            fprintf(stderr, PROG ": %s\n", err);
            goto done;
        }
    }
    if ((sfd = lwm2m_app_signals_open(NULL)) < 0) {
        fprintf(stderr, PROG ": cannot set up signals: %s\n", strerror(errno));
        goto done;
    }
    lwm2m_bs_runtime_options ro = {.listen = o.l.listen,
                                   .libcoap_nosec = o.libcoap_nosec,
                                   .reuseport = o.workers > 1,
                                   .dtls_listen = o.l.dtls_listen,
                                   .pki = pki,
                                   .session_timeout_ms = o.timeout_s * 1000,
                                   .verbose = o.l.verbose,
                                   .store = a.admin.store,
                                   .defs = a.admin.defs};
    lwm2m_bs_runtime_hooks hooks = {&a, hook_resolve, hook_identity, hook_public_key, hook_cn};
    a.runtime = lwm2m_bs_runtime_new(&ro, &hooks, err, sizeof err);
    if (a.runtime == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto done;
    }
    if (http != NULL) {
        bs_http_hooks hh = {&a, hook_stats, hook_trigger};
        api = bs_http_start(http, &a.admin, &hh, err, sizeof err);
        if (api == NULL) {
            fprintf(stderr, PROG ": --http %s: %s\n", http, err);
            goto done;
        }
    }
    /* The bound ports (a port 0 in the options means: any free one). */
    if (worker > 0)
        fprintf(stderr, PROG ": worker %d (pid %ld) serving coap port %u\n", worker, (long)getpid(),
                lwm2m_bs_runtime_port(a.runtime, false));
    else
        fprintf(stderr,
                PROG ": serving coap port %u, coaps port %u, store %s%s%s (coap:// by %s, %d "
                     "worker%s)\n",
                lwm2m_bs_runtime_port(a.runtime, false), lwm2m_bs_runtime_port(a.runtime, true),
                o.l.store_spec, http ? ", HTTP API on " : "", http ? http : "",
                o.libcoap_nosec ? "libcoap" : "udp", (int)o.workers, o.workers > 1 ? "s" : "");
    if (worker == 0 && pki != NULL) {
        char what[2400];
        lwm2m_net_pki_describe(pki, what, sizeof what);
        fprintf(stderr,
                PROG ": coaps also serves RPK and X.509 clients; the server presents its %s\n",
                what);
    }
    for (;;) {
        lwm2m_app_fdsets s;
        lwm2m_app_fdsets_init(&s, sfd);
        uint32_t wait_ms = 200;
        if (api != NULL) {
            bs_http_fdset(api, &s.r, &s.w, &s.e, &s.max_fd);
            wait_ms = lwm2m_app_wait_ms(wait_ms, bs_http_timeout_ms(api));
        }
        lwm2m_bs_runtime_process(a.runtime, wait_ms, s.max_fd + 1, &s.r, &s.w, &s.e);
        if (api != NULL)
            bs_http_run(api);
        fflush(stderr); /* buffered (below): one write per loop turn, not per line */
        int sig = lwm2m_app_signal_caught(sfd);
        if (sig != 0) {
            fprintf(stderr, PROG ": signal %d: stopping\n", sig);
            break;
        }
    }
    status = 0;
done:
    stop_workers(workers, pids);
    bs_http_stop(api);
    lwm2m_bs_runtime_free(a.runtime);
    lwm2m_net_pki_free(pki); /* after the runtime: libcoap used its buffers */
    if (a.admin.store != NULL)
        lwm2m_bs_store_close(a.admin.store);
    lwm2m_ddf_free(&ddf);
    lwm2m_app_signals_close(sfd, NULL);
    coap_cleanup();
    return status;
}
