/* lwm2m-server: the LwM2M Server daemon (Registration interface, device management through the
 * HTTP JSON API of docs/server-api.md), its `security` command, and the API's command-line
 * clients (cli.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "cli.h"
#include "http_api.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/sec_store.h"
#include "net/server_net.h"
#include "security_cmd.h"

#define PROG                  "lwm2m-server"
#define DEFAULT_GRACE_S       2
#define DEFAULT_REQ_TIMEOUT_S 30
#define LOOP_MS               200

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " [options]               run the LwM2M Server\n"
               "       " PROG " security COMMAND [...]  manage DTLS credentials (security --help)\n"
               "       " PROG " COMMAND [...]           talk to a running server's API: clients,\n"
               "                                      show, read, write, ... (COMMAND --help)\n"
               "\n"
               "Serves the LwM2M Registration interface (POST /rd) and manages the registered\n"
               "clients through an HTTP JSON API (docs/server-api.md): Read, Discover, Write,\n"
               "Write-Attributes, Execute, Create, Delete, Observe; registration changes and\n"
               "notifications as Server-Sent Events on /api/events.\n"
               "\n"
               "  -l, --listen HOST:PORT       coap:// listener (default 127.0.0.1:5683)\n"
               "      --no-listen              no coap:// listener (DTLS only)\n"
               "  -d, --dtls-listen HOST:PORT  coaps:// DTLS PSK listener (default: none; the\n"
               "                               IANA port is 5684)\n"
               "  -s, --store SPEC             credentials store, sqlite:PATH (default\n"
               "                               " SRV_DEFAULT_STORE "; may be the Bootstrap\n"
               "                               Server's file)\n"
               "  -H, --http HOST:PORT         HTTP JSON API (default 127.0.0.1:8081; no\n"
               "                               authentication: keep it on loopback)\n"
               "      --no-http                no HTTP API\n"
               "  -t, --request-timeout S      default wait for a client's answer, 1..300\n"
               "                               (default 30; ?timeout=S per call)\n"
               "  -g, --grace S                added to registration lifetimes before they\n"
               "                               expire, 0..3600 (default 2)\n"
               "      --object-dir DIR         extra object definitions (OMA DDF XML files)\n"
               "  -v, --verbose                log every request and API call\n"
               "  -h, --help                   this help\n"
               "\n"
               "A port 0 picks a free port; the start-up line `listening: coap=HOST:PORT\n"
               "coaps=HOST:PORT|off http=HOST:PORT|off` tells which.\n"
               "\n"
               "Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up failure, 2 on bad options.\n");
    fputc('\n', f);
    lwm2m_server_cli_usage(f);
}

typedef struct app {
    lwm2m_sec_store *store;
    lwm2m_srv_runtime *runtime;
    srv_http *http;
} app;

static int hook_identity(void *ctx, const uint8_t *id, size_t len, char *endpoint, uint8_t *key,
                         size_t *key_len)
{
    app *a = ctx;
    lwm2m_sec_info info;
    int rc = lwm2m_sec_store_find_identity(a->store, id, len, &info);
    if (rc != LWM2M_OK)
        return rc;
    if (info.psk_key_len > *key_len)
        return LWM2M_ERR_OVERFLOW;
    memcpy(endpoint, info.endpoint, strlen(info.endpoint) + 1);
    memcpy(key, info.psk_key, info.psk_key_len);
    *key_len = info.psk_key_len;
    return LWM2M_OK;
}

static int hook_has_credentials(void *ctx, const char *endpoint)
{
    app *a = ctx;
    lwm2m_sec_info info;
    /* A store error counts as "has credentials": refusing NoSec is the safe side. */
    int rc = lwm2m_sec_store_get(a->store, endpoint, &info);
    return rc == LWM2M_ERR_NOT_FOUND ? 0 : 1;
}

static void hook_registration(void *ctx, lwm2m_rd_event event, const lwm2m_registration *reg)
{
    app *a = ctx;
    srv_http_on_registration(a->http, event, reg);
}

static void hook_notify(void *ctx, uint64_t obs_id, const char *endpoint, const lwm2m_path *path,
                        unsigned code, lwm2m_format format, const uint8_t *payload, size_t len)
{
    app *a = ctx;
    srv_http_on_notify(a->http, obs_id, endpoint, path, code, format, payload, len);
}

static int parse_seconds(const char *s, long long min, long long max, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "HOST:PORT" of an option with the port actually bound; "off" without the option. */
static void bound(char *out, size_t cap, const char *option, uint16_t port)
{
    if (option == NULL) {
        snprintf(out, cap, "off");
        return;
    }
    const char *colon = strrchr(option, ':');
    int hlen = colon != NULL ? (int)(colon - option) : 0;
    snprintf(out, cap, "%.*s:%u", hlen, option, (unsigned)port);
}

typedef struct options {
    const char *listen, *dtls_listen, *store_spec, *http, *object_dir;
    int64_t timeout_s, grace_s;
    bool verbose;
} options;

/* 0, or the exit status (help: 0 with *done, bad usage: 2). */
static int parse_options(int argc, char **argv, options *o, bool *done)
{
    enum { OPT_NO_LISTEN = 256, OPT_NO_HTTP, OPT_OBJECT_DIR };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"no-listen", no_argument, NULL, OPT_NO_LISTEN},
        {"dtls-listen", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"http", required_argument, NULL, 'H'},
        {"no-http", no_argument, NULL, OPT_NO_HTTP},
        {"request-timeout", required_argument, NULL, 't'},
        {"grace", required_argument, NULL, 'g'},
        {"object-dir", required_argument, NULL, OPT_OBJECT_DIR},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *done = false;
    int c;
    while ((c = getopt_long(argc, argv, "l:d:s:H:t:g:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            o->listen = optarg;
            break;
        case OPT_NO_LISTEN:
            o->listen = NULL;
            break;
        case 'd':
            o->dtls_listen = optarg;
            break;
        case 's':
            o->store_spec = optarg;
            break;
        case 'H':
            o->http = optarg;
            break;
        case OPT_NO_HTTP:
            o->http = NULL;
            break;
        case OPT_OBJECT_DIR:
            o->object_dir = optarg;
            break;
        case 't':
            if (parse_seconds(optarg, 1, SRV_HTTP_TIMEOUT_MAX_S, &o->timeout_s) != 0) {
                fprintf(stderr, PROG ": bad --request-timeout '%s' (1..%d)\n", optarg,
                        SRV_HTTP_TIMEOUT_MAX_S);
                return 2;
            }
            break;
        case 'g':
            if (parse_seconds(optarg, 0, 3600, &o->grace_s) != 0) {
                fprintf(stderr, PROG ": bad --grace '%s' (0..3600)\n", optarg);
                return 2;
            }
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            *done = true;
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if (o->listen == NULL && o->dtls_listen == NULL) {
        fprintf(stderr, PROG ": --no-listen needs --dtls-listen\n");
        return 2;
    }
    return 0;
}

/* The select loop until SIGTERM or SIGINT arrives on `sfd`. */
static void serve(app *a, int sfd)
{
    for (;;) {
        fd_set r, w, e;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&e);
        FD_SET(sfd, &r);
        int max_fd = sfd;
        uint32_t wait_ms = LOOP_MS;
        if (a->http != NULL) {
            srv_http_fdset(a->http, &r, &w, &e, &max_fd);
            int64_t t = srv_http_timeout_ms(a->http);
            if (t >= 0 && t < wait_ms)
                wait_ms = (uint32_t)t;
        }
        lwm2m_srv_runtime_process(a->runtime, wait_ms, max_fd + 1, &r, &w, &e);
        srv_http_run(a->http);
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            srv_log("signal %u: stopping", si.ssi_signo);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "security") == 0)
        return srv_security_main(argc - 1, argv + 1);
    if (argc > 1 && lwm2m_server_cli_is_command(argv[1]))
        return lwm2m_server_cli_run(argc - 1, argv + 1);

    options o = {"127.0.0.1:5683", NULL, SRV_DEFAULT_STORE,
                 "127.0.0.1:8081", NULL, DEFAULT_REQ_TIMEOUT_S,
                 DEFAULT_GRACE_S,  false};
    bool done;
    int status = parse_options(argc, argv, &o, &done);
    if (status != 0 || done)
        return status;

    app a = {NULL, NULL, NULL};
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    int sfd = -1;
    char err[300];
    status = 1;
    coap_startup();
    coap_set_log_level(o.verbose ? LOG_NOTICE : LOG_ERR);
    if (o.object_dir != NULL) {
        if (lwm2m_ddf_load_dir(o.object_dir, &ddf, err, sizeof err) != LWM2M_OK) {
            fprintf(stderr, PROG ": --object-dir: %s\n", err);
            goto out;
        }
        defs = lwm2m_ddf_list(&ddf);
    }
    if (lwm2m_sec_store_open(o.store_spec, &a.store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, PROG ": store %s: %s\n", o.store_spec, err);
        goto out;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
        (sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        fprintf(stderr, PROG ": cannot set up signals: %s\n", strerror(errno));
        goto out;
    }
    /* The runtime waits as long as any call may (?timeout= up to the cap); each call's own
     * deadline, --request-timeout by default, is kept by the HTTP API, which then makes the
     * runtime forget the call. */
    lwm2m_srv_options ro = {
        o.listen, o.dtls_listen, (int64_t)SRV_HTTP_TIMEOUT_MAX_S * 1000, o.grace_s * 1000,
        0,        o.verbose};
    lwm2m_srv_hooks hooks = {&a, hook_identity, hook_has_credentials, hook_registration,
                             hook_notify};
    a.runtime = lwm2m_srv_runtime_new(&ro, &hooks, err, sizeof err);
    if (a.runtime == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (o.http != NULL) {
        srv_http_env env = {a.runtime, a.store, o.object_dir != NULL ? &defs : NULL,
                            o.timeout_s * 1000, o.verbose};
        a.http = srv_http_start(o.http, &env, err, sizeof err);
        if (a.http == NULL) {
            fprintf(stderr, PROG ": --http %s: %s\n", o.http, err);
            goto out;
        }
    }
    char coap[300], coaps[300], http[300];
    bound(coap, sizeof coap, o.listen, lwm2m_srv_runtime_port(a.runtime, false));
    bound(coaps, sizeof coaps, o.dtls_listen, lwm2m_srv_runtime_port(a.runtime, true));
    bound(http, sizeof http, o.http, srv_http_port(a.http));
    srv_log("listening: coap=%s coaps=%s http=%s store=%s", coap, coaps, http, o.store_spec);
    serve(&a, sfd);
    status = 0;
out:
    srv_http_stop(a.http);
    a.http = NULL; /* the runtime may still report registrations as it goes */
    if (a.runtime != NULL)
        lwm2m_srv_runtime_free(a.runtime);
    if (a.store != NULL)
        lwm2m_sec_store_close(a.store);
    lwm2m_ddf_free(&ddf);
    if (sfd >= 0)
        close(sfd);
    coap_cleanup();
    return status;
}
