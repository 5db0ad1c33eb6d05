/* lwm2m-server: the LwM2M Server daemon (Registration interface, device management through the
 * HTTP JSON API of docs/server-api.md), its `security` command, and the API's command-line
 * clients (cli.c). */
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
               "notifications as Server-Sent Events on /api/events. An endpoint with\n"
               "credentials (`security add`) registers only over DTLS with them: its PSK\n"
               "identity, its public key, or a certificate whose CN is its name or maps to it\n"
               "(`security cert-map`); anything else gets 4.03 and a `security:` log line.\n"
               "\n"
               "  -l, --listen HOST:PORT       coap:// listener (default 127.0.0.1:5683)\n"
               "      --no-listen              no coap:// listener (DTLS only)\n"
               "  -d, --dtls-listen HOST:PORT  coaps:// DTLS listener (default: none; the IANA\n"
               "                               port is 5684): PSK clients, and with --cert/--key\n"
               "                               or --rpk-key also RPK and X.509 "
               "clients\n" LWM2M_APP_DTLS_OPTIONS_HELP
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

static int hook_public_key(void *ctx, const uint8_t *key, size_t len, char *endpoint)
{
    app *a = ctx;
    lwm2m_sec_info info;
    int rc = lwm2m_sec_store_find_public_key(a->store, key, len, &info);
    if (rc == LWM2M_OK)
        memcpy(endpoint, info.endpoint, strlen(info.endpoint) + 1);
    return rc;
}

static int hook_cn(void *ctx, const char *cn, char *endpoint)
{
    app *a = ctx;
    return lwm2m_sec_store_cert_map_get(a->store, cn, endpoint);
}

static int hook_credentials_of(void *ctx, const char *endpoint)
{
    app *a = ctx;
    lwm2m_sec_info info;
    int rc = lwm2m_sec_store_get(a->store, endpoint, &info);
    if (rc == LWM2M_ERR_NOT_FOUND)
        return LWM2M_SRV_CREDS_NONE;
    /* A store error counts as credentials nobody can present: refusing is the safe side. */
    if (rc != LWM2M_OK)
        return -1;
    return info.mode == LWM2M_SEC_RPK    ? LWM2M_SRV_CREDS_RPK
           : info.mode == LWM2M_SEC_X509 ? LWM2M_SRV_CREDS_X509
                                         : LWM2M_SRV_CREDS_PSK;
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
    lwm2m_app_listen_opts l;
    int64_t timeout_s, grace_s;
} options;

enum { OPT_NO_HTTP = LWM2M_APP_OPT_FREE };

static int take_option(void *ctx, int opt, const char *arg)
{
    options *o = ctx;
    if (lwm2m_app_listen_option(&o->l, opt, arg))
        return 0;
    switch (opt) {
    case OPT_NO_HTTP:
        o->l.http = NULL;
        return 0;
    case 't':
        if (lwm2m_app_parse_int(arg, 1, SRV_HTTP_TIMEOUT_MAX_S, &o->timeout_s))
            return 0;
        fprintf(stderr, PROG ": bad --request-timeout '%s' (1..%d)\n", arg, SRV_HTTP_TIMEOUT_MAX_S);
        return 2;
    case 'g':
        if (lwm2m_app_parse_int(arg, 0, 3600, &o->grace_s))
            return 0;
        fprintf(stderr, PROG ": bad --grace '%s' (0..3600)\n", arg);
        return 2;
    default:
        return 2;
    }
}

/* LWM2M_APP_GO_ON, or the exit status (help: 0, bad usage: 2). */
static int parse_options(int argc, char **argv, options *o)
{
    static const struct option opts[] = {
        LWM2M_APP_LISTEN_LONG_OPTIONS,
        {"no-http", no_argument, NULL, OPT_NO_HTTP},
        {"request-timeout", required_argument, NULL, 't'},
        {"grace", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    int rc = lwm2m_app_options(PROG, argc, argv, "l:d:s:H:t:g:vh", opts, usage, take_option, o);
    if (rc == LWM2M_APP_GO_ON && lwm2m_app_listen_check(PROG, &o->l) != 0)
        return 2;
    return rc;
}

/* The select loop until SIGTERM or SIGINT arrives on `sfd`. */
static void serve(app *a, int sfd)
{
    for (;;) {
        lwm2m_app_fdsets s;
        lwm2m_app_fdsets_init(&s, sfd);
        uint32_t wait_ms = LOOP_MS;
        if (a->http != NULL) {
            srv_http_fdset(a->http, &s.r, &s.w, &s.e, &s.max_fd);
            wait_ms = lwm2m_app_wait_ms(wait_ms, srv_http_timeout_ms(a->http));
        }
        lwm2m_srv_runtime_process(a->runtime, wait_ms, s.max_fd + 1, &s.r, &s.w, &s.e);
        srv_http_run(a->http);
        int sig = lwm2m_app_signal_caught(sfd);
        if (sig != 0) {
            srv_log("signal %d: stopping", sig);
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

    options o = {{"127.0.0.1:5683", NULL, SRV_DEFAULT_STORE, "127.0.0.1:8081", NULL, false},
                 DEFAULT_REQ_TIMEOUT_S,
                 DEFAULT_GRACE_S};
    int status = parse_options(argc, argv, &o);
    if (status != LWM2M_APP_GO_ON)
        return status;

    app a = {NULL, NULL, NULL};
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    lwm2m_net_pki *pki = NULL;
    int sfd = -1;
    char err[300];
    status = 1;
    coap_startup();
    /* Warnings: GnuTLS's refusals of client certificates become `security:` lines. */
    coap_set_log_handler(lwm2m_net_log_handler);
    coap_set_log_level(o.l.verbose ? LOG_NOTICE : LOG_WARNING);
    if (lwm2m_app_load_objects(PROG, NULL, o.l.object_dir, &ddf, &defs) != 0)
        goto out;
    if (o.l.cert != NULL || o.l.rpk_key != NULL) {
        const lwm2m_net_pki_files files = {o.l.cert,     o.l.key,           o.l.rpk_key,
                                           o.l.ca_files, o.l.ca_file_count, o.l.ca_dir};
        if ((pki = lwm2m_net_pki_load(&files, err, sizeof err)) == NULL) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
    }
    if (lwm2m_sec_store_open(o.l.store_spec, &a.store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, PROG ": store %s: %s\n", o.l.store_spec, err);
        goto out;
    }
    if ((sfd = lwm2m_app_signals_open(NULL)) < 0) {
        fprintf(stderr, PROG ": cannot set up signals: %s\n", strerror(errno));
        goto out;
    }
    /* The runtime waits as long as any call may (?timeout= up to the cap); each call's own
     * deadline, --request-timeout by default, is kept by the HTTP API, which then makes the
     * runtime forget the call. */
    lwm2m_srv_options ro = {.listen = o.l.listen,
                            .dtls_listen = o.l.dtls_listen,
                            .pki = pki,
                            .request_timeout_ms = (int64_t)SRV_HTTP_TIMEOUT_MAX_S * 1000,
                            .grace_ms = o.grace_s * 1000,
                            .verbose = o.l.verbose};
    lwm2m_srv_hooks hooks = {.ctx = &a,
                             .lookup_identity = hook_identity,
                             .lookup_public_key = hook_public_key,
                             .lookup_cn = hook_cn,
                             .credentials_of = hook_credentials_of,
                             .on_registration = hook_registration,
                             .on_notify = hook_notify};
    a.runtime = lwm2m_srv_runtime_new(&ro, &hooks, err, sizeof err);
    if (a.runtime == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (o.l.http != NULL) {
        srv_http_env env = {a.runtime, a.store, o.l.object_dir != NULL ? &defs : NULL,
                            o.timeout_s * 1000, o.l.verbose};
        a.http = srv_http_start(o.l.http, &env, err, sizeof err);
        if (a.http == NULL) {
            fprintf(stderr, PROG ": --http %s: %s\n", o.l.http, err);
            goto out;
        }
    }
    char coap[300], coaps[300], http[300];
    bound(coap, sizeof coap, o.l.listen, lwm2m_srv_runtime_port(a.runtime, false));
    bound(coaps, sizeof coaps, o.l.dtls_listen, lwm2m_srv_runtime_port(a.runtime, true));
    bound(http, sizeof http, o.l.http, srv_http_port(a.http));
    srv_log("listening: coap=%s coaps=%s http=%s store=%s", coap, coaps, http, o.l.store_spec);
    if (pki != NULL) {
        char what[2400];
        lwm2m_net_pki_describe(pki, what, sizeof what);
        srv_log("coaps also serves RPK and X.509 clients; the server presents its %s", what);
    }
    serve(&a, sfd);
    status = 0;
out:
    srv_http_stop(a.http);
    a.http = NULL; /* the runtime may still report registrations as it goes */
    if (a.runtime != NULL)
        lwm2m_srv_runtime_free(a.runtime);
    lwm2m_net_pki_free(pki); /* after the runtime: libcoap used its buffers */
    if (a.store != NULL)
        lwm2m_sec_store_close(a.store);
    lwm2m_ddf_free(&ddf);
    lwm2m_app_signals_close(sfd, NULL);
    coap_cleanup();
    return status;
}
