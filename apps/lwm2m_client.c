/* lwm2m-client: the reference LwM2M client daemon. It runs client-initiated bootstrap
 * (Bootstrap-Request after the hold-off, back-off with jitter), serves the Bootstrap interface
 * on its CoAP port (also 1.0-style server-initiated: commands without a request), persists each
 * configuration a successful Finish accepts, then registers with every server account (NoSec,
 * DTLS with PSK, RPK or certificates; Update before the lifetime ends, De-register on SIGTERM),
 * serves the servers' DM requests and their observations (notifications per pmin/pmax/gt/lt/st;
 * Current Time /3/0/13 follows the system clock). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_loop.h"
#include "app_options.h"
#include "app_util.h"
#include "lwm2m/bs_client.h"
#include "lwm2m/dm_client.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/consistency.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"
#include "lwm2m/observe.h"
#include "lwm2m/registration.h"
#include "lwm2m/state_file.h"
#include "net/coap_message.h"

#define PROG "lwm2m-client"

#define MAX_SERVERS 8
/* Largest observed payload: a notification must fit one datagram (RFC 7252 §4.6: 1024 bytes of
 * payload when the path MTU is unknown). */
#define NOTIFY_MAX_PAYLOAD 1024

enum { REG_IDLE, REG_REGISTER, REG_UPDATE, REG_DEREGISTER };

/* One LwM2M Server the client registers with. */
typedef struct server_link {
    lwm2m_server_account account;
    coap_session_t *session;
    uint8_t token[8];
    size_t token_len;
    int pending;         /* REG_* in flight */
    bool session_failed; /* DTLS handshake failed: a new session for the next attempt */
    bool registered;
    bool disabled;
    char location[128]; /* "/rd/5a3f" */
    int64_t next_ms;    /* next Register (when not registered) or Update */
    uint32_t attempt;
    int64_t retry_count;       /* /1/x/17, default 5 */
    int64_t retry_timer_s;     /* /1/x/18, default 60 */
    bool bootstrap_on_failure; /* /1/x/16, default true */
    int64_t seq_delay_s;       /* /1/x/19, default 86400 */
    int64_t seq_retry_count;   /* /1/x/20, default 1 */
    int64_t sequences;         /* retry sequences done */
    bool failed;               /* retries exhausted */
} server_link;

typedef struct client_app {
    const char *endpoint;
    const char *state_path;
    int verbose;
    int legacy_bootstrap; /* accept bootstrap commands without a Bootstrap-Request */
    lwm2m_model *model;
    lwm2m_bs_client *bs;
    uint8_t response_buf[4096];
    /* client-initiated bootstrap */
    coap_context_t *ctx;
    const char *version;
    coap_session_t *bs_session;
    bool bs_session_failed; /* DTLS handshake failed: a new session for the next attempt */
    uint8_t req_token[8];
    size_t req_token_len;
    bool request_pending;
    bool need_bootstrap;
    int64_t next_request_ms;
    uint32_t attempt;
    uint32_t rng;
    server_link servers[MAX_SERVERS];
    size_t n_servers;
    int64_t purge_at_ms; /* Bootstrap-Server Account Timeout /0/x/12 */
    bool prefer_pack;    /* 1.2: try GET /bspack before POST /bs */
    bool pack_failed;    /* the pack of this bootstrap attempt failed: use /bs */
    bool pack_pending;   /* the request in flight is a Bootstrap-Pack-Request */
    /* The last bootstrap command answered, to answer its retransmission alike (RFC 7252 4.5:
     * libcoap 4.3.1 hands duplicates to the handler; a repeated Finish after the commit would
     * otherwise get 5.03 and make the Bootstrap Server roll back a good configuration). */
    struct {
        const coap_session_t *session;
        coap_mid_t mid;
        uint8_t token[8]; /* the same message ID with another token is a new request */
        size_t token_len;
        unsigned code;
        bool valid;
    } last_bs;
    lwm2m_observe_table *observations;
    uint8_t notify_buf[NOTIFY_MAX_PAYLOAD];
    time_t clock_s; /* the last Current Time (/3/0/13) written */
} client_app;

static void logf_(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s\n", line);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " --endpoint NAME --state FILE [options]\n"
            "\n"
            "LwM2M client daemon. With no LwM2M Server account it sends a Bootstrap-Request\n"
            "(POST /bs?ep=NAME&pct=110) to its Bootstrap-Server account after the Client Hold\n"
            "Off Time, retrying with exponential back-off and jitter. It serves the Bootstrap\n"
            "interface while that bootstrap runs (or, with --legacy-bootstrap, whenever a\n"
            "Bootstrap Server sends commands), then\n"
            "registers with its LwM2M Servers (NoSec, or DTLS with PSK, RPK or certificates as\n"
            "their Security instances say; Update before the lifetime ends, De-register on\n"
            "SIGTERM/SIGINT) and serves their requests (Read, Write, Discover,\n"
            "Write-Attributes, Execute, Create, Delete; Execute /1/x/9 starts a new\n"
            "bootstrap) and observations (GET with Observe: CON notifications as the\n"
            "pmin/pmax/gt/lt/st attributes say, at most 1024 bytes each; /3/0/13 is the\n"
            "system clock). Bootstrap operations:\n"
            "Bootstrap-Write, -Delete, -Discover, -Read and -Finish are applied to a working\n"
            "copy of the configuration; Finish checks it and answers 2.04 (the configuration\n"
            "is then saved atomically to FILE) or 4.06 with the failed rule.\n"
            "\n"
            "  -e, --endpoint NAME        endpoint client name (required)\n"
            "  -s, --state FILE           configuration file, created on first success\n"
            "                             (required); loaded at start when it exists\n"
            "  -b, --bootstrap URI        factory Bootstrap-Server account (coap://host:port,\n"
            "                             coaps:// with one of the credentials below) used\n"
            "                             when FILE does not exist yet\n"
            "      --psk-identity ID      its DTLS PSK identity (text) ...\n"
            "      --psk-key HEX          ... and key (1 to 64 bytes as hex): PSK mode\n"
            "      --bs-key FILE          own private key for RPK or certificate mode (PKCS#8,\n"
            "                             SEC1 or PKCS#1; DER or PEM)\n"
            "      --bs-server-public-key FILE\n"
            "                             the Bootstrap Server's public key\n"
            "                             (SubjectPublicKeyInfo, DER or PEM): RPK mode; the\n"
            "                             handshake accepts no other key, raw or in the\n"
            "                             certificate the server presents\n"
            "      --bs-public-key FILE   own public key (RPK mode; default: the one --bs-key\n"
            "                             carries)\n"
            "      --bs-cert FILE         own X.509 certificate (DER or PEM): certificate mode\n"
            "      --bs-server-cert FILE  the Bootstrap Server's certificate, or its CA with\n"
            "                             --bs-cert-usage 0 or 2 (DER or PEM)\n"
            "      --bs-cert-usage N      Certificate Usage /0/0/15: 0 CA constraint, 1 service\n"
            "                             certificate constraint, 2 trust anchor assertion, 3\n"
            "                             domain-issued certificate (default: the server's\n"
            "                             certificate must equal --bs-server-cert)\n"
            "      --bs-sni NAME          SNI /0/0/14 (default: the URI's host when a name)\n"
            "  -p, --local-port N         UDP port to listen on (default 56830; 0: any)\n"
            "      --listen ADDR          IPv4 address to listen on (default 127.0.0.1)\n"
            "      --single-server        hold at most one LwM2M Server account\n"
            "      --no-acl               no Access Control object (/2)\n"
            "      --lwm2m-version V      1.0, 1.1 (default) or 1.2\n"
            "      --bootstrap-pack       (1.2) ask for a Bootstrap-Pack (GET /bspack) first,\n"
            "                             falling back to a Bootstrap-Request\n"
            "      --finish-timeout S     give up a bootstrap when no command or Finish came\n"
            "                             for S seconds (default 247, EXCHANGE_LIFETIME)\n"
            "      --legacy-bootstrap     also accept bootstrap commands that arrive without a\n"
            "                             Bootstrap-Request (LwM2M 1.0 server-initiated\n"
            "                             bootstrap; only on a trusted network)\n"
            "  -v, --verbose              log every request\n"
            "  -h, --help                 this help\n"
            "\n"
            "Server accounts in RPK (1) or certificate (2) mode connect with /0/x/3 (own public\n"
            "key or certificate), /0/x/5 (private key) and /0/x/4 (the server's public key,\n"
            "certificate or CA, per Certificate Usage /0/x/15); /0/x/14 is the SNI. A refused\n"
            "handshake is logged with its cause.\n"
            "\n"
            "Exit status: 0 after SIGTERM/SIGINT, 1 on a bad state file or start-up error,\n"
            "2 on bad options.\n");
}

/* Objects 0, 1, 3 and, unless the client has no Access Control, 2. */
static int add_objects(lwm2m_model *m, const char *version, bool access_control)
{
    static const uint16_t ids[] = {0, 1, 2, 3};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (ids[i] == 2 && !access_control)
            continue;
        /* Newest definition no newer than the client's LwM2M version. */
        const lwm2m_object_def *best = NULL;
        for (size_t k = 0; k < lwm2m_objdef_builtin_count(); k++) {
            const lwm2m_object_def *d = lwm2m_objdef_builtin_at(k);
            if (d->id != ids[i] || lwm2m_version_compare(d->version, version) > 0)
                continue;
            if (best == NULL || lwm2m_version_compare(d->version, best->version) > 0)
                best = d;
        }
        if (best == NULL || lwm2m_model_add_object(m, best, NULL) != LWM2M_OK)
            return -1;
    }
    return 0;
}

static int set_str(lwm2m_model *m, lwm2m_path p, const char *s)
{
    lwm2m_value v = lwm2m_value_str(s);
    return lwm2m_model_set(m, &p, &v);
}

/* The Device object describes this program, not the configuration: set at every start. */
static int set_device(lwm2m_model *m, const char *endpoint)
{
    if (set_str(m, lwm2m_path_res(3, 0, 0), "lwm2m-bootstrap") != LWM2M_OK ||
        set_str(m, lwm2m_path_res(3, 0, 1), "lwm2m-client") != LWM2M_OK ||
        set_str(m, lwm2m_path_res(3, 0, 2), endpoint) != LWM2M_OK ||
        set_str(m, lwm2m_path_res(3, 0, 16), "U") != LWM2M_OK)
        return -1;
    return 0;
}

/* A DER file of the factory credentials (PEM decoded). */
typedef struct der_file {
    uint8_t data[8192];
    size_t len;
} der_file;

/* The security of the factory Bootstrap-Server account, from the options. */
typedef struct factory_security {
    int mode; /* lwm2m_security_mode */
    const char *psk_identity;
    uint8_t psk_key[64];
    size_t psk_key_len;
    der_file own;       /* /0/0/3: own SubjectPublicKeyInfo (RPK) or certificate */
    der_file key;       /* /0/0/5 */
    der_file server;    /* /0/0/4 */
    int64_t cert_usage; /* /0/0/15; -1: not given */
    const char *sni;    /* /0/0/14, or NULL */
} factory_security;

static int set_opaque(lwm2m_model *m, lwm2m_path p, const void *data, size_t len)
{
    lwm2m_value v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, data, len);
    return lwm2m_model_set(m, &p, &v);
}

/* The factory Bootstrap-Server account at /0/0: NoSec, PSK, RPK or certificate mode. */
static int factory_bootstrap(lwm2m_model *m, const char *bs_uri, const factory_security *sec)
{
    if (bs_uri == NULL)
        return 0;
    lwm2m_value yes = lwm2m_value_bool(true);
    lwm2m_value mode = lwm2m_value_int(sec->mode);
    lwm2m_path p1 = lwm2m_path_res(0, 0, 1), p2 = lwm2m_path_res(0, 0, 2);
    if (set_str(m, lwm2m_path_res(0, 0, 0), bs_uri) != LWM2M_OK ||
        lwm2m_model_set(m, &p1, &yes) != LWM2M_OK || lwm2m_model_set(m, &p2, &mode) != LWM2M_OK)
        return -1;
    if (sec->mode == LWM2M_SECURITY_PSK)
        return set_opaque(m, lwm2m_path_res(0, 0, 3), sec->psk_identity,
                          strlen(sec->psk_identity)) != LWM2M_OK ||
                       set_opaque(m, lwm2m_path_res(0, 0, 5), sec->psk_key, sec->psk_key_len) !=
                           LWM2M_OK
                   ? -1
                   : 0;
    if (sec->mode != LWM2M_SECURITY_RPK && sec->mode != LWM2M_SECURITY_CERTIFICATE)
        return 0;
    if (set_opaque(m, lwm2m_path_res(0, 0, 3), sec->own.data, sec->own.len) != LWM2M_OK ||
        set_opaque(m, lwm2m_path_res(0, 0, 4), sec->server.data, sec->server.len) != LWM2M_OK ||
        set_opaque(m, lwm2m_path_res(0, 0, 5), sec->key.data, sec->key.len) != LWM2M_OK)
        return -1;
    lwm2m_path p15 = lwm2m_path_res(0, 0, 15);
    lwm2m_value usage = lwm2m_value_uint((uint64_t)sec->cert_usage);
    if (sec->cert_usage >= 0 && lwm2m_model_set(m, &p15, &usage) != LWM2M_OK)
        return -1;
    if (sec->sni != NULL && set_str(m, lwm2m_path_res(0, 0, 14), sec->sni) != LWM2M_OK)
        return -1;
    return 0;
}

static const char *method_name(unsigned m)
{
    switch (m) {
    case LWM2M_METHOD_GET:
        return "GET";
    case LWM2M_METHOD_POST:
        return "POST";
    case LWM2M_METHOD_PUT:
        return "PUT";
    case LWM2M_METHOD_DELETE:
        return "DELETE";
    default:
        return "?";
    }
}

static size_t count_server_accounts(const lwm2m_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < lwm2m_model_instance_count(m, 0); i++)
        n += !lwm2m_model_is_bootstrap_account(m, lwm2m_model_instance_id_at(m, 0, i));
    return n;
}

/* xorshift32: jitter for the back-off, no global state. */
static uint32_t next_random(client_app *app)
{
    uint32_t x = app->rng ? app->rng : 2463534242u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    app->rng = x;
    return x;
}

static void schedule_retry(client_app *app, const char *why)
{
    int64_t delay = lwm2m_bs_retry_delay_ms(app->attempt++, 2, 600, next_random(app));
    app->next_request_ms = now_ms() + delay;
    logf_("bootstrap: %s; next Bootstrap-Request in %.1f s", why, (double)delay / 1000.0);
}

/* The credentials a Security instance gives its link (borrowing from the model). */
static lwm2m_net_credentials credentials_of(const lwm2m_model *m, uint16_t sec_iid)
{
    int64_t mode = LWM2M_SECURITY_NOSEC;
    lwm2m_path mp = lwm2m_path_res(0, sec_iid, 2);
    lwm2m_model_get_int(m, &mp, &mode);
    lwm2m_net_credentials c = lwm2m_net_credentials_init((int)mode, sec_iid);
    lwm2m_path p3 = lwm2m_path_res(0, sec_iid, 3), p4 = lwm2m_path_res(0, sec_iid, 4);
    lwm2m_path p5 = lwm2m_path_res(0, sec_iid, 5), p13 = lwm2m_path_res(0, sec_iid, 13);
    lwm2m_path p14 = lwm2m_path_res(0, sec_iid, 14), p15 = lwm2m_path_res(0, sec_iid, 15);
    if (mode == LWM2M_SECURITY_NOSEC)
        return c;
    lwm2m_model_get_bytes(m, &p3, &c.own);
    lwm2m_model_get_bytes(m, &p5, &c.secret);
    if (mode == LWM2M_SECURITY_PSK)
        return c;
    lwm2m_model_get_bytes(m, &p4, &c.server);
    lwm2m_model_get_int(m, &p13, &c.matching_type);
    lwm2m_model_get_int(m, &p15, &c.cert_usage);
    lwm2m_model_get_bytes(m, &p14, &c.sni);
    return c;
}

/* Why a DTLS session failed, for the log: this side's refusal, what the handshake required of
 * the server (RPK, certificates), or NULL (PSK: the key did not match, or no answer). */
static const char *dtls_failure(const coap_session_t *s, char *buf, size_t cap)
{
    const char *refusal = lwm2m_net_session_refusal(s);
    const char *requirement = lwm2m_net_session_requirement(s);
    if (refusal != NULL)
        snprintf(buf, cap, "DTLS handshake refused: %s", refusal);
    else if (requirement != NULL)
        snprintf(buf, cap, "DTLS handshake failed (%s)", requirement);
    else
        return NULL;
    return buf;
}

/* The Bootstrap-Server account's URI, NUL-terminated into buf, or NULL; *iid its instance. */
static const char *bootstrap_uri(const lwm2m_model *m, char *buf, size_t cap, uint16_t *bs_iid)
{
    for (size_t i = 0; i < lwm2m_model_instance_count(m, 0); i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 0, i);
        lwm2m_bytes uri;
        lwm2m_path p = lwm2m_path_res(0, iid, 0);
        if (lwm2m_model_is_bootstrap_account(m, iid) &&
            lwm2m_model_get_bytes(m, &p, &uri) == LWM2M_OK && uri.len < cap) {
            memcpy(buf, uri.ptr, uri.len);
            buf[uri.len] = '\0';
            *bs_iid = iid;
            return buf;
        }
    }
    return NULL;
}

static void send_bootstrap_request(client_app *app)
{
    char uri[256];
    uint16_t bs_iid = 0;
    if (bootstrap_uri(app->model, uri, sizeof uri, &bs_iid) == NULL) {
        logf_("bootstrap: no Bootstrap-Server account, waiting for server-initiated bootstrap");
        app->need_bootstrap = false;
        return;
    }
    if (app->bs_session != NULL && app->bs_session_failed) {
        lwm2m_net_session_release(app->bs_session);
        app->bs_session = NULL;
    }
    app->bs_session_failed = false;
    if (app->bs_session == NULL) {
        lwm2m_net_credentials cred = credentials_of(app->model, bs_iid);
        char why[200], msg[260];
        app->bs_session = lwm2m_net_session_for_uri(app->ctx, uri, &cred, why, sizeof why);
        if (app->bs_session == NULL) {
            snprintf(msg, sizeof msg, "cannot reach the Bootstrap-Server URI: %s", why);
            schedule_retry(app, msg);
            return;
        }
    }
    char query[300];
    lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
    bool pack = app->prefer_pack && !app->pack_failed;
    lwm2m_format pct =
        strcmp(app->version, "1.0") == 0 || pack ? LWM2M_FORMAT_NONE : LWM2M_FORMAT_SENML_JSON;
    if (lwm2m_bs_request_query(app->endpoint, app->version, pct, &q) != LWM2M_OK) {
        schedule_retry(app, "cannot build the Bootstrap-Request");
        return;
    }
    query[q.len] = '\0';
    coap_pdu_t *pdu = lwm2m_net_new_request(
        app->bs_session, pack ? LWM2M_METHOD_GET : LWM2M_METHOD_POST, pack ? "/bspack" : "/bs",
        LWM2M_FORMAT_NONE, pack ? LWM2M_FORMAT_SENML_CBOR : LWM2M_FORMAT_NONE, query, NULL, 0,
        app->req_token, &app->req_token_len);
    if (pdu == NULL || coap_send(app->bs_session, pdu) == COAP_INVALID_MID) {
        schedule_retry(app, "cannot send the Bootstrap-Request");
        return;
    }
    app->request_pending = true;
    app->pack_pending = pack;
    logf_("bootstrap: %s %s/%s?%s", pack ? "GET" : "POST", uri, pack ? "bspack" : "bs", query);
}

static void start_registration(client_app *app);

/* A transaction FINISHED (Finish 2.04 or a consistent pack): make it live, save it, register.
 * Non-zero when it could not even be committed. */
static int bootstrap_done(client_app *app)
{
    char err[300];
    if (lwm2m_bs_client_commit(app->bs, (int64_t)time(NULL)) != LWM2M_OK) {
        logf_("bootstrap: cannot commit the new configuration (out of memory)");
        lwm2m_bs_client_abort(app->bs);
        return -1;
    }
    if (lwm2m_state_save(app->model, app->state_path, err, sizeof err) != LWM2M_OK) {
        logf_("bootstrap: finished but not saved: %s", err);
    } else {
        logf_("bootstrap: finished, %zu server account(s), saved to %s",
              count_server_accounts(app->model), app->state_path);
    }
    app->need_bootstrap = false;
    app->pack_failed = false;
    app->purge_at_ms = lwm2m_bs_account_purge_at(app->model, now_ms());
    start_registration(app);
    return 0;
}

/* The answer to GET /bspack: apply the pack, or fall back to POST /bs at once. */
static void on_pack_response(client_app *app, const coap_pdu_t *received)
{
    unsigned code = (unsigned)coap_pdu_get_code(received);
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    coap_get_data_large(received, &len, &data, &offset, &total);
    char why[260];
    if (code == LWM2M_CODE_CONTENT) {
        coap_opt_iterator_t it;
        coap_opt_t *cf = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it);
        lwm2m_format fmt =
            cf ? (lwm2m_format)coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf))
               : LWM2M_FORMAT_NONE;
        char diag[200];
        if (lwm2m_bs_client_apply_pack(app->bs, fmt, data, len, now_ms(), diag, sizeof diag) ==
            LWM2M_OK) {
            logf_("bootstrap: Bootstrap-Pack applied (%zu bytes, format %u)", len, (unsigned)fmt);
            if (bootstrap_done(app) != 0)
                schedule_retry(app, "out of memory");
            return;
        }
        snprintf(why, sizeof why, "Bootstrap-Pack not usable: %s", diag);
    } else {
        snprintf(why, sizeof why, "Bootstrap-Pack-Request answered %u.%02u", code >> 5, code & 31);
    }
    /* The spec's fallback: a Bootstrap-Request right away, not after a back-off. */
    logf_("bootstrap: %s; falling back to Bootstrap-Request", why);
    app->pack_failed = true;
    app->next_request_ms = now_ms();
}

static bool is_our_request(const client_app *app, const coap_pdu_t *pdu)
{
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    return app->request_pending && token.length == app->req_token_len &&
           memcmp(token.s, app->req_token, token.length) == 0;
}

/* Ends the observations of server `ssid` (0: of every server), logging why. */
static void end_observations(client_app *app, uint16_t ssid, const char *why)
{
    if (app->observations == NULL)
        return;
    size_t n = ssid != 0 ? lwm2m_observe_cancel_server(app->observations, ssid)
                         : lwm2m_observe_clear(app->observations);
    if (n > 0 && ssid != 0)
        logf_("observe: SSID %u: %zu observation(s) ended (%s)", (unsigned)ssid, n, why);
    else if (n > 0)
        logf_("observe: %zu observation(s) ended (%s)", n, why);
}

static void release_servers(client_app *app)
{
    end_observations(app, 0, "server accounts reloaded");
    for (size_t i = 0; i < app->n_servers; i++)
        if (app->servers[i].session != NULL)
            lwm2m_net_session_release(app->servers[i].session);
    app->n_servers = 0;
}

/* (Re)starts registration with every server account of the live configuration. */
static void start_registration(client_app *app)
{
    release_servers(app);
    lwm2m_server_account accounts[MAX_SERVERS];
    size_t n = lwm2m_server_accounts(app->model, accounts, MAX_SERVERS);
    if (n > MAX_SERVERS) {
        logf_("registration: %zu server accounts, registering with the first %d", n, MAX_SERVERS);
        n = MAX_SERVERS;
    }
    for (size_t i = 0; i < n; i++) {
        server_link *l = &app->servers[app->n_servers++];
        memset(l, 0, sizeof *l);
        l->account = accounts[i];
        l->next_ms = now_ms();
        /* The 1.1 communication retry resources, with the spec's defaults when absent. */
        l->retry_count = 5;
        l->retry_timer_s = 60;
        l->bootstrap_on_failure = true;
        lwm2m_path p17 = lwm2m_path_res(1, accounts[i].server_iid, 17);
        lwm2m_path p18 = lwm2m_path_res(1, accounts[i].server_iid, 18);
        lwm2m_path p16 = lwm2m_path_res(1, accounts[i].server_iid, 16);
        l->seq_delay_s = 86400;
        l->seq_retry_count = 1;
        lwm2m_path p19 = lwm2m_path_res(1, accounts[i].server_iid, 19);
        lwm2m_path p20 = lwm2m_path_res(1, accounts[i].server_iid, 20);
        lwm2m_model_get_int(app->model, &p19, &l->seq_delay_s);
        lwm2m_model_get_int(app->model, &p20, &l->seq_retry_count);
        lwm2m_model_get_int(app->model, &p17, &l->retry_count);
        lwm2m_model_get_int(app->model, &p18, &l->retry_timer_s);
        lwm2m_model_get_bool(app->model, &p16, &l->bootstrap_on_failure);
        if (l->retry_timer_s < 1)
            l->retry_timer_s = 1;
        if (l->retry_timer_s > 86400)
            l->retry_timer_s = 86400;
        if (accounts[i].security_mode == LWM2M_SECURITY_EST) {
            /* The consistency check accepted it for a client declaring EST; this one does not. */
            logf_("registration: SSID %u uses security mode %lld, which this daemon does not "
                  "connect with yet; not registering",
                  (unsigned)accounts[i].ssid, (long long)accounts[i].security_mode);
            l->disabled = true;
        }
    }
}

/* Every server failed for good: bootstrap again when one of them asks for it (/1/x/16). */
static void check_registration_failure(client_app *app)
{
    bool any_left = false, fallback = false;
    for (size_t i = 0; i < app->n_servers; i++) {
        const server_link *l = &app->servers[i];
        any_left |= !l->disabled && !l->failed;
        fallback |= l->failed && l->bootstrap_on_failure;
    }
    if (any_left || !fallback || app->need_bootstrap)
        return;
    logf_("registration: failed with every server, falling back to bootstrap");
    app->need_bootstrap = true;
    app->attempt = 0;
    app->next_request_ms = lwm2m_bs_request_not_before(app->model, now_ms());
}

static void server_retry(client_app *app, server_link *l, const char *why)
{
    l->pending = REG_IDLE;
    if (!l->registered && (int64_t)l->attempt >= l->retry_count &&
        ++l->sequences < l->seq_retry_count) {
        /* One retry sequence failed: the next one after the Sequence Delay Timer (/1/x/19). */
        l->attempt = 0;
        int64_t delay_s = l->seq_delay_s < 0 ? 0 : l->seq_delay_s;
        l->next_ms = now_ms() + delay_s * 1000;
        logf_("registration: SSID %u: %s; retry sequence %lld of %lld in %lld s",
              (unsigned)l->account.ssid, why, (long long)l->sequences + 1,
              (long long)l->seq_retry_count, (long long)delay_s);
        return;
    }
    if (!l->registered && (int64_t)l->attempt >= l->retry_count) {
        l->failed = true;
        logf_("registration: SSID %u: %s; %lld attempt(s) in %lld sequence(s), giving up",
              (unsigned)l->account.ssid, why, (long long)l->retry_count + 1,
              (long long)l->sequences);
        check_registration_failure(app);
        return;
    }
    int64_t delay = lwm2m_bs_retry_delay_ms(l->attempt++, (uint32_t)l->retry_timer_s,
                                            (uint32_t)(l->retry_timer_s * 16), next_random(app));
    l->next_ms = now_ms() + delay;
    logf_("registration: SSID %u: %s; retry in %.1f s", (unsigned)l->account.ssid, why,
          (double)delay / 1000.0);
}

static void send_registration(client_app *app, server_link *l, int kind)
{
    if (l->session != NULL && l->session_failed) {
        lwm2m_net_session_release(l->session);
        l->session = NULL;
    }
    l->session_failed = false;
    if (l->session == NULL) {
        lwm2m_net_credentials cred = credentials_of(app->model, l->account.security_iid);
        char why[200], msg[260];
        l->session = lwm2m_net_session_for_uri(app->ctx, l->account.uri, &cred, why, sizeof why);
        if (l->session == NULL) {
            snprintf(msg, sizeof msg, "cannot reach the server URI: %s", why);
            server_retry(app, l, msg);
            return;
        }
    }
    coap_pdu_t *pdu = NULL;
    if (kind != REG_UPDATE)
        end_observations(app, l->account.ssid,
                         kind == REG_REGISTER ? "registering again" : "de-registering");
    if (kind == REG_REGISTER) {
        char query[400];
        uint8_t links[2048];
        lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
        lwm2m_buf payload = lwm2m_buf_init(links, sizeof links);
        if (lwm2m_register_query(app->endpoint, app->version, &l->account, &q) != LWM2M_OK ||
            lwm2m_register_payload(app->model, app->version, &payload) != LWM2M_OK) {
            server_retry(app, l, "cannot build the Register request");
            return;
        }
        query[q.len] = '\0';
        pdu = lwm2m_net_new_request(l->session, LWM2M_METHOD_POST, "/rd", LWM2M_FORMAT_LINK,
                                    LWM2M_FORMAT_NONE, query, links, payload.len, l->token,
                                    &l->token_len);
        logf_("registration: SSID %u: POST %s/rd?%s", (unsigned)l->account.ssid, l->account.uri,
              query);
    } else {
        unsigned method = kind == REG_UPDATE ? LWM2M_METHOD_POST : LWM2M_METHOD_DELETE;
        pdu = lwm2m_net_new_request(l->session, method, l->location, LWM2M_FORMAT_NONE,
                                    LWM2M_FORMAT_NONE, NULL, NULL, 0, l->token, &l->token_len);
    }
    if (pdu == NULL || coap_send(l->session, pdu) == COAP_INVALID_MID) {
        server_retry(app, l, "cannot send");
        return;
    }
    l->pending = kind;
}

static server_link *link_of(client_app *app, const coap_pdu_t *pdu)
{
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    for (size_t i = 0; i < app->n_servers; i++) {
        server_link *l = &app->servers[i];
        if (l->pending != REG_IDLE && token.length == l->token_len &&
            memcmp(token.s, l->token, token.length) == 0)
            return l;
    }
    return NULL;
}

static void on_registration_response(client_app *app, server_link *l, const coap_pdu_t *pdu)
{
    unsigned code = (unsigned)coap_pdu_get_code(pdu);
    int kind = l->pending;
    l->pending = REG_IDLE;
    if (kind == REG_REGISTER && code == LWM2M_CODE_CREATED) {
        lwm2m_net_location_path(pdu, l->location, sizeof l->location);
        l->registered = l->location[0] != '\0';
        l->attempt = 0;
        l->next_ms = lwm2m_register_update_at(&l->account, now_ms());
        logf_("registration: registered with SSID %u at %s, location %s", (unsigned)l->account.ssid,
              l->account.uri, l->location);
    } else if (kind == REG_UPDATE && code == LWM2M_CODE_CHANGED) {
        l->next_ms = lwm2m_register_update_at(&l->account, now_ms());
        if (app->verbose)
            logf_("registration: SSID %u: updated", (unsigned)l->account.ssid);
    } else if (kind == REG_DEREGISTER) {
        l->registered = false;
        logf_("registration: de-registered from SSID %u (%u.%02u)", (unsigned)l->account.ssid,
              code >> 5, code & 31);
    } else {
        char why[64];
        snprintf(why, sizeof why, "%s answered %u.%02u",
                 kind == REG_REGISTER ? "Register" : "Update", code >> 5, code & 31);
        l->registered = false; /* an Update refused means: register again */
        server_retry(app, l, why);
    }
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    client_app *app = coap_get_app_data(coap_session_get_context(session));
    server_link *l = link_of(app, received);
    if (l != NULL) {
        on_registration_response(app, l, received);
        return COAP_RESPONSE_OK;
    }
    if (!is_our_request(app, received))
        return COAP_RESPONSE_OK;
    app->request_pending = false;
    if (app->pack_pending) {
        app->pack_pending = false;
        on_pack_response(app, received);
        return COAP_RESPONSE_OK;
    }
    unsigned code = (unsigned)coap_pdu_get_code(received);
    if (code == LWM2M_CODE_CHANGED) {
        logf_("bootstrap: Bootstrap-Request accepted (2.04)");
        app->attempt = 0;
        if (lwm2m_bs_client_state(app->bs) != LWM2M_BS_IN_PROGRESS &&
            lwm2m_bs_client_begin(app->bs, now_ms()) != LWM2M_OK)
            schedule_retry(app, "out of memory");
        return COAP_RESPONSE_OK;
    }
    size_t len = 0;
    const uint8_t *data = NULL;
    coap_get_data(received, &len, &data);
    char why[200];
    snprintf(why, sizeof why, "Bootstrap-Request refused with %u.%02u%s%.*s", code >> 5, code & 31,
             len ? ": " : "", (int)(len > 120 ? 120 : len), (const char *)data);
    schedule_retry(app, why);
    return COAP_RESPONSE_OK;
}

static server_link *server_of_session(client_app *app, const coap_session_t *session);

/* A notification the server reset (RST) or never acknowledged: its observation ends. */
static void on_notification_failed(client_app *app, const coap_session_t *session,
                                   const coap_pdu_t *sent, coap_nack_reason_t reason)
{
    server_link *l = server_of_session(app, session);
    coap_bin_const_t token = coap_pdu_get_token(sent);
    lwm2m_path p;
    if (l == NULL ||
        !lwm2m_observe_find(app->observations, l->account.ssid, token.s, token.length, &p))
        return; /* already over: an error notification, or the server is gone */
    lwm2m_observe_cancel(app->observations, l->account.ssid, token.s, token.length);
    char ps[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&p, ps, sizeof ps);
    logf_("observe: SSID %u: notification of %s %s; observation cancelled",
          (unsigned)l->account.ssid, ps,
          reason == COAP_NACK_RST                ? "reset by the server"
          : reason == COAP_NACK_TOO_MANY_RETRIES ? "never acknowledged"
                                                 : "not delivered");
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    client_app *app = coap_get_app_data(coap_session_get_context(session));
    /* What the client sends with a response code is a notification. */
    if (sent != NULL && COAP_RESPONSE_CLASS(coap_pdu_get_code(sent)) >= 2) {
        on_notification_failed(app, session, sent, reason);
        return;
    }
    /* A failed handshake: released (not here, inside libcoap's loop) before the next try. */
    char failure[300];
    const char *dtls =
        reason == COAP_NACK_TLS_FAILED ? dtls_failure(session, failure, sizeof failure) : NULL;
    server_link *l = sent ? link_of(app, sent) : NULL;
    if (l != NULL) {
        l->session_failed |= reason == COAP_NACK_TLS_FAILED && l->session == session;
        if (l->pending == REG_DEREGISTER) {
            l->pending = REG_IDLE;
            l->registered = false;
            return;
        }
        server_retry(app, l, dtls != NULL ? dtls : "no answer");
        return;
    }
    if (reason == COAP_NACK_TLS_FAILED && session == app->bs_session)
        app->bs_session_failed = true;
    if (sent == NULL || !is_our_request(app, sent))
        return;
    app->request_pending = false;
    if (app->pack_pending) {
        app->pack_pending = false;
        app->pack_failed = true; /* next attempt: Bootstrap-Request */
    }
    char why[340];
    if (dtls != NULL)
        snprintf(why, sizeof why, "Bootstrap Server: %s", dtls);
    schedule_retry(app, dtls != NULL ? why
                        : reason == COAP_NACK_TOO_MANY_RETRIES
                            ? "no answer from the Bootstrap Server"
                            : "Bootstrap Server unreachable");
}

static server_link *server_of_session(client_app *app, const coap_session_t *session)
{
    for (size_t i = 0; i < app->n_servers; i++)
        if (app->servers[i].session == session && app->servers[i].registered)
            return &app->servers[i];
    return NULL;
}

/* What a DM answer carries beyond lwm2m_response. */
typedef struct dm_extras {
    bool observe; /* a 2.05 that starts an observation: Observe option `seq` */
    uint32_t seq;
    char location[LWM2M_PATH_STR_MAX]; /* Location-Path of a Create, "" for none */
} dm_extras;

/* GET with Observe after lwm2m_dm_handle answered: start (2.05 only) or end the observation. */
static void observe_request(client_app *app, const server_link *from, const lwm2m_request *req,
                            coap_bin_const_t token, const lwm2m_response *resp, dm_extras *extras)
{
    uint16_t ssid = from->account.ssid;
    int plen = (int)req->uri_path_len;
    lwm2m_path p;
    bool observable = req->observe == LWM2M_OBSERVE_REGISTER && resp->code == LWM2M_CODE_CONTENT &&
                      resp->format != LWM2M_FORMAT_LINK &&
                      lwm2m_path_parse(req->uri_path, req->uri_path_len, &p) == LWM2M_OK;
    if (observable && resp->payload.len > NOTIFY_MAX_PAYLOAD) {
        logf_("observe: SSID %u: %.*s answers %zu bytes, more than a notification carries (%d): "
              "not observed",
              (unsigned)ssid, plen, req->uri_path, resp->payload.len, NOTIFY_MAX_PAYLOAD);
        observable = false;
    }
    if (!observable) {
        /* Observe 1, or an answer that is no observation (RFC 7641 §3.2): any under this
         * token ends. */
        if (lwm2m_observe_cancel(app->observations, ssid, token.s, token.length) == LWM2M_OK)
            logf_("observe: SSID %u: observation of %.*s %s", (unsigned)ssid, plen, req->uri_path,
                  req->observe == LWM2M_OBSERVE_CANCEL ? "cancelled" : "ended");
        return;
    }
    int rc = lwm2m_observe_add(app->observations, app->model, ssid, token.s, token.length, &p,
                               resp->format, resp->payload.data, resp->payload.len, now_ms(),
                               &extras->seq);
    if (rc != LWM2M_OK) {
        logf_("observe: SSID %u: cannot observe %.*s: %s", (unsigned)ssid, plen, req->uri_path,
              lwm2m_strerror(rc));
        return;
    }
    extras->observe = true;
    logf_("observe: SSID %u observes %.*s (%zu observation(s))", (unsigned)ssid, plen,
          req->uri_path, lwm2m_observe_count(app->observations));
}

/* A request of a registered LwM2M Server, and what its Executes ask of the client. */
static void handle_dm_request(client_app *app, server_link *from, const lwm2m_request *req,
                              coap_bin_const_t token, lwm2m_response *resp, dm_extras *extras)
{
    memset(extras, 0, sizeof *extras);
    lwm2m_dm_context dm = {app->model, app->version,
                           strcmp(app->version, "1.0") == 0 ? LWM2M_FORMAT_TLV
                                                            : LWM2M_FORMAT_SENML_JSON};
    lwm2m_dm_event ev;
    uint16_t ev_iid;
    lwm2m_dm_handle(&dm, from->account.ssid, req, resp, &ev, &ev_iid);
    if (req->method == LWM2M_METHOD_GET && req->observe != LWM2M_OBSERVE_NONE)
        observe_request(app, from, req, token, resp, extras);
    unsigned code = resp->code;
    if (app->verbose || code >= 0x80)
        logf_("dm: SSID %u: %s %.*s -> %u.%02u%s%.*s", (unsigned)from->account.ssid,
              method_name(req->method), (int)req->uri_path_len, req->uri_path, code >> 5, code & 31,
              code >= 0x80 && resp->payload.len ? ": " : "",
              code >= 0x80 ? (int)resp->payload.len : 0, (const char *)resp->payload.data);
    switch (ev) {
    case LWM2M_DM_EVENT_BOOTSTRAP_REQUEST:
        /* 1.1 server-initiated bootstrap: the response goes out first, then the request. */
        logf_("bootstrap: Bootstrap-Request Trigger /1/%u/9 executed by SSID %u", (unsigned)ev_iid,
              (unsigned)from->account.ssid);
        app->need_bootstrap = true;
        app->attempt = 0;
        app->pack_failed = false;
        app->next_request_ms = now_ms();
        break;
    case LWM2M_DM_EVENT_REGISTRATION_UPDATE:
        for (size_t i = 0; i < app->n_servers; i++)
            if (app->servers[i].account.server_iid == ev_iid && app->servers[i].registered)
                app->servers[i].next_ms = now_ms();
        break;
    case LWM2M_DM_EVENT_DISABLE:
        for (size_t i = 0; i < app->n_servers; i++) {
            server_link *l = &app->servers[i];
            if (l->account.server_iid != ev_iid || !l->registered)
                continue;
            int64_t timeout_s = 86400; /* /1/x/5 Disable Timeout, spec default one day */
            lwm2m_path p5 = lwm2m_path_res(1, ev_iid, 5);
            lwm2m_model_get_int(app->model, &p5, &timeout_s);
            logf_("registration: SSID %u disabled for %lld s", (unsigned)l->account.ssid,
                  (long long)timeout_s);
            send_registration(app, l, REG_DEREGISTER);
            l->next_ms = now_ms() + (timeout_s > 0 ? timeout_s : 0) * 1000;
        }
        break;
    case LWM2M_DM_EVENT_CREATED:
        lwm2m_dm_location(req, ev_iid, extras->location, sizeof extras->location);
        break;
    case LWM2M_DM_EVENT_NONE:
        break;
    }
}

static void on_request(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    client_app *app = coap_get_app_data(coap_session_get_context(session));
    lwm2m_net_scratch scratch;
    lwm2m_request req;
    lwm2m_response resp;
    resp.payload = lwm2m_buf_init(app->response_buf, sizeof app->response_buf);
    if (lwm2m_net_request_from_pdu(pdu, query, &scratch, &req) != LWM2M_OK) {
        resp.code = LWM2M_CODE_BAD_REQUEST;
        resp.format = LWM2M_FORMAT_NONE;
        lwm2m_net_response_to_pdu(&resp, response);
        return;
    }
    int64_t now = now_ms();
    server_link *from = server_of_session(app, session);
    if (from != NULL && lwm2m_bs_client_state(app->bs) != LWM2M_BS_IN_PROGRESS) {
        dm_extras extras;
        coap_bin_const_t token = coap_pdu_get_token(pdu);
        handle_dm_request(app, from, &req, token, &resp, &extras);
        /* Options before lwm2m_net_response_to_pdu's Content-Format: Location-Path (8) and
         * Observe (6) have lower numbers. */
        if (extras.observe && lwm2m_net_add_observe(response, extras.seq) != 0) {
            logf_("observe: SSID %u: no room for the Observe option, not observed",
                  (unsigned)from->account.ssid);
            lwm2m_observe_cancel(app->observations, from->account.ssid, token.s, token.length);
        }
        if (extras.location[0] != '\0' &&
            lwm2m_net_add_location_path(response, extras.location) != 0)
            logf_("dm: no room for Location-Path %s", extras.location);
        lwm2m_net_response_to_pdu(&resp, response);
        return;
    }
    coap_mid_t mid = coap_pdu_get_mid(pdu);
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    if (app->last_bs.valid && app->last_bs.session == session && app->last_bs.mid == mid &&
        app->last_bs.token_len == tok.length &&
        (tok.length == 0 || memcmp(app->last_bs.token, tok.s, tok.length) == 0)) {
        resp.code = app->last_bs.code;
        resp.format = LWM2M_FORMAT_NONE;
        if (app->verbose)
            logf_("bootstrap: retransmitted %s %.*s (message %d) answered %u.%02u again",
                  method_name(req.method), (int)req.uri_path_len, req.uri_path, (int)mid,
                  resp.code >> 5, resp.code & 31);
        lwm2m_net_response_to_pdu(&resp, response);
        return;
    }
    /* Without a Bootstrap-Request accepted by the Bootstrap Server, commands open a transaction
     * only in 1.0-style server-initiated mode; otherwise lwm2m_bs_client_handle answers 5.03. */
    if (lwm2m_bs_client_state(app->bs) != LWM2M_BS_IN_PROGRESS && app->legacy_bootstrap) {
        if (lwm2m_bs_client_begin(app->bs, now) != LWM2M_OK) {
            logf_("out of memory starting a bootstrap transaction");
            resp.code = LWM2M_CODE_INTERNAL_ERROR;
            resp.format = LWM2M_FORMAT_NONE;
            lwm2m_net_response_to_pdu(&resp, response);
            return;
        }
        logf_("bootstrap: transaction started by %s %.*s", method_name(req.method),
              (int)req.uri_path_len, req.uri_path);
    }
    lwm2m_bs_client_handle(app->bs, &req, now, &resp);
    unsigned code = resp.code;
    if (app->verbose || code >= 0x80)
        logf_("bootstrap: %s %.*s%s%.*s -> %u.%02u%s%.*s", method_name(req.method),
              (int)req.uri_path_len, req.uri_path, req.query_len ? "?" : "", (int)req.query_len,
              req.query ? req.query : "", code >> 5, code & 31,
              code >= 0x80 && resp.payload.len ? ": " : "",
              code >= 0x80 ? (int)resp.payload.len : 0, (const char *)resp.payload.data);
    if (lwm2m_bs_client_state(app->bs) == LWM2M_BS_FINISHED && bootstrap_done(app) != 0) {
        resp.code = LWM2M_CODE_INTERNAL_ERROR;
        resp.format = LWM2M_FORMAT_NONE;
        resp.payload.len = 0;
    }
    /* Reads answer with content, which is not kept: only commands are replayed. */
    app->last_bs.valid = req.method != LWM2M_METHOD_GET;
    app->last_bs.session = session;
    app->last_bs.mid = mid;
    app->last_bs.code = resp.code;
    app->last_bs.token_len = tok.length <= sizeof app->last_bs.token ? tok.length : 0;
    if (app->last_bs.token_len > 0)
        memcpy(app->last_bs.token, tok.s, app->last_bs.token_len);
    app->last_bs.valid &= tok.length <= sizeof app->last_bs.token;
    lwm2m_net_response_to_pdu(&resp, response);
}

/* The registered server of Short Server ID `ssid`, or NULL. */
static server_link *registered_server(client_app *app, uint16_t ssid)
{
    for (size_t i = 0; i < app->n_servers; i++)
        if (app->servers[i].account.ssid == ssid && app->servers[i].registered &&
            app->servers[i].session != NULL)
            return &app->servers[i];
    return NULL;
}

/* Sends every notification due now: CON, on the observing server's session. */
static void send_notifications(client_app *app)
{
    /* Each notification handed out is committed, so this ends; the bound is a safety net. */
    for (size_t k = 0; k < 1024; k++) {
        lwm2m_notification n;
        n.payload = lwm2m_buf_init(app->notify_buf, sizeof app->notify_buf);
        int rc = lwm2m_observe_tick(app->observations, app->model, now_ms(), &n);
        if (rc == 0)
            return;
        if (rc < 0) {
            logf_("observe: out of memory checking the observations");
            return;
        }
        char ps[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&n.path, ps, sizeof ps);
        server_link *l = registered_server(app, n.ssid);
        if (l == NULL) {
            end_observations(app, n.ssid, "not registered");
            continue;
        }
        if (n.ended && n.needed > 0)
            logf_("observe: SSID %u: notification of %s too large (%zu bytes, at most %zu); "
                  "observation ended",
                  (unsigned)n.ssid, ps, n.needed, sizeof app->notify_buf);
        else if (n.ended)
            logf_("observe: SSID %u: %s answers %u.%02u; observation ended", (unsigned)n.ssid, ps,
                  n.code >> 5, n.code & 31);
        lwm2m_response resp = {n.code, n.format, n.payload};
        coap_pdu_t *pdu =
            lwm2m_net_new_notification(l->session, n.token, n.token_len, !n.ended, n.seq, &resp);
        if (pdu == NULL || coap_send(l->session, pdu) == COAP_INVALID_MID) {
            logf_("observe: SSID %u: cannot send the notification of %s (%zu bytes); observation "
                  "ended",
                  (unsigned)n.ssid, ps, n.payload.len);
            lwm2m_observe_cancel(app->observations, n.ssid, n.token, n.token_len);
            continue;
        }
        if (app->verbose)
            logf_("observe: SSID %u: notification %u of %s (%zu bytes)", (unsigned)n.ssid,
                  (unsigned)n.seq, ps, n.payload.len);
    }
}

/* The Device object's Current Time (/3/0/13) follows the system clock, second by second. */
static void update_clock(client_app *app)
{
    time_t t = time(NULL);
    if (t == app->clock_s || !lwm2m_model_has_instance(app->model, 3, 0))
        return;
    app->clock_s = t;
    lwm2m_path p = lwm2m_path_res(3, 0, 13);
    lwm2m_value v = lwm2m_value_time((int64_t)t);
    if (lwm2m_model_set(app->model, &p, &v) != LWM2M_OK)
        logf_("cannot set the Current Time /3/0/13");
}

typedef struct options {
    const char *endpoint, *state_path, *bs_uri, *listen_addr, *version;
    int64_t port, finish_timeout_s;
    const char *psk_identity, *psk_key_hex;
    /* files of the factory account's RPK and certificate credentials */
    const char *bs_key, *bs_public_key, *bs_server_public_key, *bs_cert, *bs_server_cert;
    const char *bs_cert_usage;
    bool single, no_acl, verbose, legacy, prefer_pack;
    factory_security sec;
    struct in_addr ip;
} options;

enum {
    OPT_SINGLE = 256,
    OPT_NO_ACL,
    OPT_VERSION,
    OPT_LISTEN,
    OPT_LEGACY,
    OPT_PSK_ID,
    OPT_PSK_KEY,
    OPT_PACK,
    OPT_FINISH_TIMEOUT,
    OPT_BS_KEY,
    OPT_BS_PUBLIC_KEY,
    OPT_BS_SERVER_PUBLIC_KEY,
    OPT_BS_CERT,
    OPT_BS_SERVER_CERT,
    OPT_BS_CERT_USAGE,
    OPT_BS_SNI
};

/* One option into `o`: 0, or 2 with the message printed. */
static int take_option(void *ctx, int opt, const char *arg)
{
    options *o = ctx;
    switch (opt) {
    case 'e':
        o->endpoint = arg;
        return 0;
    case 's':
        o->state_path = arg;
        return 0;
    case 'b':
        o->bs_uri = arg;
        return 0;
    case 'p':
        if (lwm2m_app_parse_int(arg, 0, 65535, &o->port))
            return 0;
        fprintf(stderr, PROG ": bad --local-port '%s' (0..65535, 0: any free port)\n", arg);
        return 2;
    case OPT_LISTEN:
        o->listen_addr = arg;
        return 0;
    case OPT_SINGLE:
        o->single = true;
        return 0;
    case OPT_NO_ACL:
        o->no_acl = true;
        return 0;
    case OPT_LEGACY:
        o->legacy = true;
        return 0;
    case OPT_PSK_ID:
        o->psk_identity = arg;
        return 0;
    case OPT_PSK_KEY:
        o->psk_key_hex = arg;
        return 0;
    case OPT_PACK:
        o->prefer_pack = true;
        return 0;
    case OPT_BS_KEY:
        o->bs_key = arg;
        return 0;
    case OPT_BS_PUBLIC_KEY:
        o->bs_public_key = arg;
        return 0;
    case OPT_BS_SERVER_PUBLIC_KEY:
        o->bs_server_public_key = arg;
        return 0;
    case OPT_BS_CERT:
        o->bs_cert = arg;
        return 0;
    case OPT_BS_SERVER_CERT:
        o->bs_server_cert = arg;
        return 0;
    case OPT_BS_CERT_USAGE:
        o->bs_cert_usage = arg;
        if (lwm2m_app_parse_int(arg, 0, 3, &o->sec.cert_usage))
            return 0;
        fprintf(stderr, PROG ": bad --bs-cert-usage '%s' (0..3)\n", arg);
        return 2;
    case OPT_BS_SNI:
        o->sec.sni = arg;
        return 0;
    case OPT_FINISH_TIMEOUT:
        if (lwm2m_app_parse_int(arg, 1, 3600, &o->finish_timeout_s))
            return 0;
        fprintf(stderr, PROG ": bad --finish-timeout '%s' (1..3600 seconds)\n", arg);
        return 2;
    case OPT_VERSION:
        o->version = arg;
        if (strcmp(arg, "1.0") == 0 || strcmp(arg, "1.1") == 0 || strcmp(arg, "1.2") == 0)
            return 0;
        fprintf(stderr, PROG ": bad --lwm2m-version '%s' (1.0, 1.1 or 1.2)\n", arg);
        return 2;
    case 'v':
        o->verbose = true;
        return 0;
    default:
        return 2;
    }
}

/* A DER or PEM file (the first PEM block) into f: 0, or 2 with the message printed. */
static int read_der_file(const char *option, const char *path, der_file *f)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, PROG ": %s %s: %s\n", option, path, strerror(errno));
        return 2;
    }
    char text[16384];
    size_t n = fread(text, 1, sizeof text, fp);
    bool too_big = n == sizeof text && fgetc(fp) != EOF;
    fclose(fp);
    if (too_big) {
        fprintf(stderr, PROG ": %s %s: larger than %zu bytes\n", option, path, sizeof text);
        return 2;
    }
    if (!lwm2m_der_is_pem((const uint8_t *)text, n)) {
        if (n > sizeof f->data) {
            fprintf(stderr, PROG ": %s %s: larger than %zu bytes\n", option, path, sizeof f->data);
            return 2;
        }
        memcpy(f->data, text, n);
        f->len = n;
        return 0;
    }
    char label[64];
    if (lwm2m_der_from_pem(text, n, label, sizeof label, f->data, sizeof f->data, &f->len) !=
        LWM2M_OK) {
        fprintf(stderr, PROG ": %s %s: unreadable PEM\n", option, path);
        return 2;
    }
    return 0;
}

/* The factory account's RPK or certificate credentials, read and checked as the consistency
 * check would (a pair of keys, certificates that parse): 0, or 2 with the message printed. */
static int load_factory_keys(options *o)
{
    factory_security *sec = &o->sec;
    bool rpk = sec->mode == LWM2M_SECURITY_RPK;
    const char *why = NULL;
    int rc;
    lwm2m_private_key key;
    lwm2m_public_key own;
    if ((rc = read_der_file("--bs-key", o->bs_key, &sec->key)) != 0)
        return rc;
    if (lwm2m_der_private_key(sec->key.data, sec->key.len, &key, &why) != LWM2M_OK) {
        fprintf(stderr, PROG ": --bs-key %s: not a PKCS#8, SEC1 or PKCS#1 private key: %s\n",
                o->bs_key, why);
        return 2;
    }
    if (rpk && o->bs_public_key == NULL) {
        if (lwm2m_der_spki_of(&key, sec->own.data, sizeof sec->own.data, &sec->own.len) !=
            LWM2M_OK) {
            fprintf(stderr,
                    PROG ": --bs-key %s does not carry its public key: give "
                         "--bs-public-key\n",
                    o->bs_key);
            return 2;
        }
    } else if ((rc = read_der_file(rpk ? "--bs-public-key" : "--bs-cert",
                                   rpk ? o->bs_public_key : o->bs_cert, &sec->own)) != 0) {
        return rc;
    }
    lwm2m_certificate cert;
    if (rpk ? lwm2m_der_public_key(sec->own.data, sec->own.len, &own, &why) != LWM2M_OK
            : lwm2m_der_certificate(sec->own.data, sec->own.len, &cert, &why) != LWM2M_OK) {
        fprintf(stderr, PROG ": %s %s: not %s: %s\n", rpk ? "--bs-public-key" : "--bs-cert",
                rpk ? o->bs_public_key : o->bs_cert,
                rpk ? "a SubjectPublicKeyInfo" : "an X.509 certificate", why);
        return 2;
    }
    if (!rpk)
        own = cert.public_key;
    if ((why = lwm2m_der_key_mismatch(&key, &own)) != NULL) {
        fprintf(stderr, PROG ": --bs-key %s is not the private key of %s: %s\n", o->bs_key,
                rpk ? "the public key" : "--bs-cert", why);
        return 2;
    }
    const char *server_opt = rpk ? "--bs-server-public-key" : "--bs-server-cert";
    const char *server_path = rpk ? o->bs_server_public_key : o->bs_server_cert;
    if ((rc = read_der_file(server_opt, server_path, &sec->server)) != 0)
        return rc;
    if (rpk ? lwm2m_der_public_key(sec->server.data, sec->server.len, &own, &why) != LWM2M_OK
            : lwm2m_der_certificate(sec->server.data, sec->server.len, &cert, &why) != LWM2M_OK) {
        fprintf(stderr, PROG ": %s %s: not %s: %s\n", server_opt, server_path,
                rpk ? "a SubjectPublicKeyInfo" : "an X.509 certificate", why);
        return 2;
    }
    return 0;
}

/* Which security the options give the factory account: 0, or 2 with the message printed. */
static int factory_mode(options *o)
{
    bool psk = o->psk_identity != NULL || o->psk_key_hex != NULL;
    bool rpk = o->bs_server_public_key != NULL || o->bs_public_key != NULL;
    bool cert = o->bs_cert != NULL || o->bs_server_cert != NULL || o->bs_cert_usage != NULL;
    if (psk + rpk + cert > 1) {
        fprintf(stderr, PROG ": choose one of PSK (--psk-identity/--psk-key), RPK "
                             "(--bs-server-public-key) or certificates (--bs-cert, "
                             "--bs-server-cert) for the Bootstrap-Server account\n");
        return 2;
    }
    if ((o->bs_key != NULL || o->sec.sni != NULL) && !rpk && !cert) {
        fprintf(stderr, PROG ": --bs-key and --bs-sni need --bs-server-public-key (RPK) or "
                             "--bs-cert and --bs-server-cert (certificates)\n");
        return 2;
    }
    o->sec.mode = psk    ? LWM2M_SECURITY_PSK
                  : rpk  ? LWM2M_SECURITY_RPK
                  : cert ? LWM2M_SECURITY_CERTIFICATE
                         : LWM2M_SECURITY_NOSEC;
    if (rpk && (o->bs_key == NULL || o->bs_server_public_key == NULL)) {
        fprintf(stderr, PROG ": RPK mode needs --bs-key and --bs-server-public-key\n");
        return 2;
    }
    if (cert && (o->bs_key == NULL || o->bs_cert == NULL || o->bs_server_cert == NULL)) {
        fprintf(stderr, PROG ": certificate mode needs --bs-cert, --bs-key and --bs-server-cert\n");
        return 2;
    }
    return 0;
}

/* The options that go together, the endpoint name, the key, the addresses: 0, or 2 with the
 * message printed. */
static int check_options(options *o)
{
    if (o->prefer_pack && strcmp(o->version, "1.2") != 0) {
        fprintf(stderr, PROG ": --bootstrap-pack needs --lwm2m-version 1.2\n");
        return 2;
    }
    if (o->endpoint == NULL || o->state_path == NULL) {
        fprintf(stderr, PROG ": --endpoint and --state are required (try --help)\n");
        return 2;
    }
    char qbuf[8];
    lwm2m_buf probe = lwm2m_buf_init(qbuf, sizeof qbuf);
    if (lwm2m_bs_request_query(o->endpoint, o->version, LWM2M_FORMAT_NONE, &probe) ==
        LWM2M_ERR_INVALID) {
        fprintf(stderr, PROG ": bad --endpoint '%s' (printable, no spaces, '&' or '=')\n",
                o->endpoint);
        return 2;
    }
    if ((o->psk_identity == NULL) != (o->psk_key_hex == NULL)) {
        fprintf(stderr, PROG ": --psk-identity and --psk-key go together\n");
        return 2;
    }
    int rc = factory_mode(o);
    if (rc != 0)
        return rc;
    if (o->psk_key_hex != NULL) {
        o->sec.psk_identity = o->psk_identity;
        o->sec.psk_key_len =
            lwm2m_app_parse_hex(o->psk_key_hex, o->sec.psk_key, sizeof o->sec.psk_key);
        if (o->sec.psk_key_len == 0 || *o->psk_identity == '\0') {
            fprintf(stderr,
                    PROG ": bad --psk-key (1 to 64 bytes as hex) or empty --psk-identity\n");
            return 2;
        }
    }
    if ((o->sec.mode == LWM2M_SECURITY_RPK || o->sec.mode == LWM2M_SECURITY_CERTIFICATE) &&
        (rc = load_factory_keys(o)) != 0)
        return rc;
    bool secure = o->sec.mode != LWM2M_SECURITY_NOSEC;
    uint8_t want_scheme = secure ? LWM2M_SCHEME_COAPS : LWM2M_SCHEME_COAP;
    if (o->bs_uri != NULL && lwm2m_uri_scheme(o->bs_uri, strlen(o->bs_uri)) != want_scheme) {
        fprintf(stderr, PROG ": bad --bootstrap '%s' (%s://host:port)\n", o->bs_uri,
                secure ? "coaps" : "coap");
        return 2;
    }
    if (inet_pton(AF_INET, o->listen_addr, &o->ip) != 1) {
        fprintf(stderr, PROG ": bad --listen '%s' (an IPv4 address)\n", o->listen_addr);
        return 2;
    }
    return 0;
}

/* libcoap's log lines, prefixed like ours. */
static void on_coap_log(coap_log_t level, const char *message)
{
    (void)level;
    size_t n = strlen(message);
    while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
        n--;
    size_t skip = 0;
    while (skip < n && (message[skip] == ' ' || message[skip] == '*'))
        skip++;
    /* GnuTLS's remark on a pinned end-entity certificate used as its own trust anchor
     * (Certificate Usage 1 and 3): expected, not worth a line per handshake. */
    if (strstr(message, "non-CA certificate in the trusted list") != NULL)
        return;
    fprintf(stderr, PROG ": libcoap: %.*s\n", (int)(n - skip), message + skip);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"state", required_argument, NULL, 's'},
        {"bootstrap", required_argument, NULL, 'b'},
        {"local-port", required_argument, NULL, 'p'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"single-server", no_argument, NULL, OPT_SINGLE},
        {"no-acl", no_argument, NULL, OPT_NO_ACL},
        {"lwm2m-version", required_argument, NULL, OPT_VERSION},
        {"legacy-bootstrap", no_argument, NULL, OPT_LEGACY},
        {"psk-identity", required_argument, NULL, OPT_PSK_ID},
        {"psk-key", required_argument, NULL, OPT_PSK_KEY},
        {"bootstrap-pack", no_argument, NULL, OPT_PACK},
        {"bs-key", required_argument, NULL, OPT_BS_KEY},
        {"bs-public-key", required_argument, NULL, OPT_BS_PUBLIC_KEY},
        {"bs-server-public-key", required_argument, NULL, OPT_BS_SERVER_PUBLIC_KEY},
        {"bs-cert", required_argument, NULL, OPT_BS_CERT},
        {"bs-server-cert", required_argument, NULL, OPT_BS_SERVER_CERT},
        {"bs-cert-usage", required_argument, NULL, OPT_BS_CERT_USAGE},
        {"bs-sni", required_argument, NULL, OPT_BS_SNI},
        {"finish-timeout", required_argument, NULL, OPT_FINISH_TIMEOUT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    options o; /* with 24 KiB of key files: main's stack has room */
    memset(&o, 0, sizeof o);
    o.sec.cert_usage = -1;
    o.listen_addr = "127.0.0.1";
    o.version = "1.1";
    o.port = 56830;
    o.finish_timeout_s = LWM2M_EXCHANGE_LIFETIME_MS / 1000;
    int rc = lwm2m_app_options(PROG, argc, argv, "e:s:b:p:vh", opts, usage, take_option, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if ((rc = check_options(&o)) != 0)
        return rc;

    int status = 1;
    client_app app;
    memset(&app, 0, sizeof app);
    app.endpoint = o.endpoint;
    app.state_path = o.state_path;
    app.verbose = o.verbose;
    app.legacy_bootstrap = o.legacy;
    app.prefer_pack = o.prefer_pack;
    coap_context_t *ctx = NULL;
    int sfd = -1;
    app.model = lwm2m_model_new();
    if (app.model == NULL || add_objects(app.model, o.version, !o.no_acl) != 0) {
        logf_("cannot build the object model");
        goto done;
    }
    char err[300];
    rc = lwm2m_state_load(app.model, o.state_path, err, sizeof err);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        if (factory_bootstrap(app.model, o.bs_uri, &o.sec) != 0) {
            logf_("cannot set the factory configuration");
            goto done;
        }
        logf_("no state file %s yet: factory configuration%s%s", o.state_path,
              o.bs_uri ? ", Bootstrap-Server " : "", o.bs_uri ? o.bs_uri : "");
    } else if (rc != LWM2M_OK) {
        logf_("unreadable state file: %s", err);
        goto done;
    } else {
        logf_("configuration loaded from %s: %zu server account(s)", o.state_path,
              count_server_accounts(app.model));
    }
    if (set_device(app.model, o.endpoint) != 0) {
        logf_("cannot set the Device object");
        goto done;
    }
    app.observations = lwm2m_observe_new(0);
    if (app.observations == NULL) {
        logf_("out of memory");
        goto done;
    }
    update_clock(&app);
    lwm2m_bs_client_config cfg = {
        {o.single ? 1u : 0u, !o.no_acl,
         (1u << LWM2M_SECURITY_PSK) | (1u << LWM2M_SECURITY_RPK) |
             (1u << LWM2M_SECURITY_CERTIFICATE) | (1u << LWM2M_SECURITY_NOSEC),
         LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS, LWM2M_NET_MATCHING_TYPES,
         lwm2m_consistency_check_keys},
        o.version,
        strcmp(o.version, "1.0") == 0 ? LWM2M_FORMAT_TLV : LWM2M_FORMAT_SENML_JSON,
        (int64_t)o.finish_timeout_s * 1000};
    app.bs = lwm2m_bs_client_new(app.model, &cfg);
    if (app.bs == NULL) {
        logf_("out of memory");
        goto done;
    }

    if ((sfd = lwm2m_app_signals_open(NULL)) < 0) {
        logf_("cannot set up signals: %s", strerror(errno));
        goto done;
    }

    coap_startup();
    /* Warnings too: GnuTLS's reasons for refusing a server's certificate come that way. */
    coap_set_log_handler(on_coap_log);
    coap_set_log_level(o.verbose ? LOG_NOTICE : LOG_WARNING);
    coap_address_t addr;
    coap_address_init(&addr);
    addr.addr.sin.sin_family = AF_INET;
    addr.addr.sin.sin_port = htons((uint16_t)o.port);
    addr.addr.sin.sin_addr = o.ip;
    addr.size = sizeof addr.addr.sin;
    ctx = coap_new_context(NULL);
    if (ctx == NULL || coap_new_endpoint(ctx, &addr, COAP_PROTO_UDP) == NULL) {
        logf_("cannot listen on %s:%ld/udp", o.listen_addr, (long)o.port);
        goto done;
    }
    coap_set_app_data(ctx, &app);
    /* Block-wise transfers (large writes and packs) arrive reassembled. */
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    app.ctx = ctx;
    app.version = o.version;
    app.rng = (uint32_t)now_ms() ^ (uint32_t)getpid();
    coap_register_response_handler(ctx, on_response);
    coap_register_nack_handler(ctx, on_nack);
    /* The bootstrap sequence: with no server account, client-initiated bootstrap after the
     * Client Hold Off Time. */
    app.need_bootstrap = count_server_accounts(app.model) == 0;
    app.next_request_ms = lwm2m_bs_request_not_before(app.model, now_ms());
    /* After a restart the end of the last bootstrap is unknown: the timeout counts from now. */
    app.purge_at_ms = lwm2m_bs_account_purge_at(app.model, now_ms());
    if (!app.need_bootstrap)
        start_registration(&app);
    coap_resource_t *any = coap_resource_unknown_init2(on_request, 0);
    coap_register_request_handler(any, COAP_REQUEST_GET, on_request);
    coap_register_request_handler(any, COAP_REQUEST_POST, on_request);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, on_request);
    coap_add_resource(ctx, any);
    logf_("endpoint %s listening on coap://%s:%ld (LwM2M %s%s%s)", o.endpoint, o.listen_addr,
          (long)o.port, o.version, o.single ? ", single server" : "",
          o.no_acl ? ", no Access Control" : "");

    for (;;) {
        /* Wake for the next pmin/pmax end; changed values are found by polling (200 ms). */
        int64_t wake = lwm2m_observe_deadline(app.observations, app.model, now_ms()) - now_ms();
        coap_io_process(ctx, (uint32_t)(wake < 1 ? 1 : wake > 200 ? 200 : wake));
        int sig = lwm2m_app_signal_caught(sfd);
        if (sig != 0) {
            logf_("signal %d: stopping", sig);
            break;
        }
        lwm2m_bs_state before = lwm2m_bs_client_state(app.bs);
        if (before == LWM2M_BS_IN_PROGRESS &&
            lwm2m_bs_client_tick(app.bs, now_ms()) == LWM2M_BS_FAILED) {
            lwm2m_bs_client_abort(app.bs);
            schedule_retry(&app, "no Finish within EXCHANGE_LIFETIME, configuration unchanged");
        }
        if (app.need_bootstrap && !app.request_pending &&
            lwm2m_bs_client_state(app.bs) != LWM2M_BS_IN_PROGRESS &&
            now_ms() >= app.next_request_ms)
            send_bootstrap_request(&app);
        int64_t now = now_ms();
        if (now >= app.purge_at_ms && lwm2m_bs_client_state(app.bs) != LWM2M_BS_IN_PROGRESS) {
            app.purge_at_ms = INT64_MAX;
            size_t n = lwm2m_bs_account_purge(app.model);
            if (lwm2m_state_save(app.model, o.state_path, err, sizeof err) != LWM2M_OK)
                logf_("bootstrap: account purged but not saved: %s", err);
            else
                logf_("bootstrap: Bootstrap-Server account purged (/0/x/12 timeout), %zu removed",
                      n);
        }
        for (size_t i = 0; i < app.n_servers; i++) {
            server_link *l = &app.servers[i];
            if (!l->disabled && !l->failed && l->pending == REG_IDLE && now >= l->next_ms)
                send_registration(&app, l, l->registered ? REG_UPDATE : REG_REGISTER);
        }
        update_clock(&app);
        if (app.need_bootstrap || lwm2m_bs_client_state(app.bs) == LWM2M_BS_IN_PROGRESS)
            end_observations(&app, 0, "bootstrap");
        else
            send_notifications(&app);
    }
    /* De-register from every server, waiting a little for the answers. */
    for (size_t i = 0; i < app.n_servers; i++) {
        server_link *l = &app.servers[i];
        if (l->registered && l->pending == REG_IDLE)
            send_registration(&app, l, REG_DEREGISTER);
    }
    for (int64_t until = now_ms() + 2000; now_ms() < until;) {
        bool waiting = false;
        for (size_t i = 0; i < app.n_servers; i++)
            waiting |= app.servers[i].pending == REG_DEREGISTER;
        if (!waiting)
            break;
        coap_io_process(ctx, 100);
    }
    status = 0;
done:
    release_servers(&app);
    lwm2m_net_session_release(app.bs_session);
    if (ctx != NULL)
        coap_free_context(ctx);
    lwm2m_app_signals_close(sfd, NULL);
    lwm2m_bs_client_free(app.bs);
    lwm2m_observe_free(app.observations);
    lwm2m_model_free(app.model);
    coap_cleanup();
    return status;
}
