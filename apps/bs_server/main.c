/* lwm2m-bs-server: the Bootstrap Server daemon, its `config` and `trigger` commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

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
            "\n"
            "  -l, --listen HOST:PORT       coap:// listener (default 127.0.0.1:5683)\n"
            "      --no-listen              no coap:// listener (DTLS only)\n"
            "  -d, --dtls-listen HOST:PORT  coaps:// DTLS PSK listener (default: none; the\n"
            "                               IANA port is 5684)\n"
            "  -s, --store SPEC             sqlite:PATH (default sqlite:lwm2m-bs.db)\n"
            "  -H, --http HOST:PORT         HTTP JSON API (default: off; e.g. 127.0.0.1:8080)\n"
            "  -t, --session-timeout S      bound on a whole session (default 120)\n"
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
    lwm2m_bs_runtime_options ro = {NULL,  NULL,          timeout_s * 1000, 0,
                                   false, a.admin.store, a.admin.defs};
    lwm2m_bs_runtime_hooks hooks = {&a, hook_resolve, hook_identity};
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
} options;

static int take_option(void *ctx, int opt, const char *arg)
{
    options *o = ctx;
    if (lwm2m_app_listen_option(&o->l, opt, arg))
        return 0;
    return opt == 't' ? parse_seconds(arg, &o->timeout_s) : 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "config") == 0)
        return bs_config_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "trigger") == 0)
        return trigger_main(argc - 1, argv + 1);

    options o = {{"127.0.0.1:5683", NULL, "sqlite:lwm2m-bs.db", NULL, NULL, false}, 120};
    static const struct option opts[] = {
        LWM2M_APP_LISTEN_LONG_OPTIONS,
        {"session-timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int status = lwm2m_app_options(PROG, argc, argv, "l:d:s:H:t:vh", opts, usage, take_option, &o);
    if (status != LWM2M_APP_GO_ON)
        return status;
    if ((status = lwm2m_app_listen_check(PROG, &o.l)) != 0)
        return status;
    const char *http = o.l.http;
    app a;
    memset(&a, 0, sizeof a);
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    bs_http *api = NULL;
    int sfd = -1;
    char err[300];
    status = 1;
    coap_startup();
    coap_set_log_level(o.l.verbose ? LOG_NOTICE : LOG_ERR);
    if (open_admin(&a, o.l.store_spec, o.l.object_dir, &ddf, &defs) != 0)
        goto done;
    if ((sfd = lwm2m_app_signals_open(NULL)) < 0) {
        fprintf(stderr, PROG ": cannot set up signals: %s\n", strerror(errno));
        goto done;
    }
    lwm2m_bs_runtime_options ro = {o.l.listen,  o.l.dtls_listen, o.timeout_s * 1000, 0,
                                   o.l.verbose, a.admin.store,   a.admin.defs};
    lwm2m_bs_runtime_hooks hooks = {&a, hook_resolve, hook_identity};
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
    fprintf(stderr, PROG ": serving coap port %u, coaps port %u, store %s%s%s\n",
            lwm2m_bs_runtime_port(a.runtime, false), lwm2m_bs_runtime_port(a.runtime, true),
            o.l.store_spec, http ? ", HTTP API on " : "", http ? http : "");
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
        int sig = lwm2m_app_signal_caught(sfd);
        if (sig != 0) {
            fprintf(stderr, PROG ": signal %d: stopping\n", sig);
            break;
        }
    }
    status = 0;
done:
    bs_http_stop(api);
    lwm2m_bs_runtime_free(a.runtime);
    if (a.admin.store != NULL)
        lwm2m_bs_store_close(a.admin.store);
    lwm2m_ddf_free(&ddf);
    lwm2m_app_signals_close(sfd, NULL);
    coap_cleanup();
    return status;
}
