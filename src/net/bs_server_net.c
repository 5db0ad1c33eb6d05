/* The Bootstrap Server's transport over libcoap. */
#include "net/bs_server_net.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "net/coap_message.h"
#include "net/net_util.h"

#define PAYLOAD_START 4096
#define PAYLOAD_MAX   (1u << 20)

typedef struct live_session {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    char peer[64];
    char query[256];      /* the Bootstrap-Request's Uri-Query, extra parameters included */
    coap_session_t *coap; /* referenced */
    lwm2m_bs_session *bs;
    lwm2m_bs_config *cfg;
    uint8_t token[8];
    size_t token_len;
    bool waiting;           /* a request is outstanding */
    coap_mid_t request_mid; /* of the Bootstrap-Request that started it (-1: triggered) */
    bool triggered;
    int64_t start_ms;
    struct live_session *next;
} live_session;

/* Outcome of the last session per endpoint, for `trigger` to wait on. */
typedef struct last_outcome {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    const char *outcome;
    struct last_outcome *next;
} last_outcome;

enum {
    REFUSED_BAD_REQUEST,
    REFUSED_UNKNOWN,
    REFUSED_SECURITY,
    REFUSED_FAILED,
    REFUSED_BUSY,
    REFUSED_N
};
static const char *const refused_names[REFUSED_N] = {"bad-request", "unknown-endpoint", "security",
                                                     "endpoint-failed", "busy"};

struct lwm2m_bs_runtime {
    lwm2m_bs_runtime_options opts;
    lwm2m_bs_runtime_hooks hooks;
    coap_context_t *ctx;
    uint16_t udp_port, dtls_port;
    live_session *sessions;
    size_t active;
    last_outcome *outcomes;
    uint64_t counts[LWM2M_BS_OUTCOME_INTERNAL + 1];
    uint64_t refused[REFUSED_N];
    uint8_t *payload;
    size_t payload_cap;
    uint8_t psk_key[LWM2M_PSK_KEY_MAX];
    coap_bin_const_t psk_key_bin;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
    fprintf(stderr, "%s lwm2m-bs-server: %s\n", stamp, line);
}

static live_session *find_session(lwm2m_bs_runtime *r, const char *endpoint)
{
    for (live_session *l = r->sessions; l != NULL; l = l->next)
        if (strcmp(l->endpoint, endpoint) == 0)
            return l;
    return NULL;
}

static void remember_outcome(lwm2m_bs_runtime *r, const char *endpoint, const char *outcome)
{
    for (last_outcome *o = r->outcomes; o != NULL; o = o->next)
        if (strcmp(o->endpoint, endpoint) == 0) {
            o->outcome = outcome;
            return;
        }
    last_outcome *o = calloc(1, sizeof *o);
    if (o == NULL)
        return; /* only `trigger`'s wait is affected */
    snprintf(o->endpoint, sizeof o->endpoint, "%s", endpoint);
    o->outcome = outcome;
    o->next = r->outcomes;
    r->outcomes = o;
}

/* Ends a session: one log line, the endpoint's status, the counters. */
static void end_session(lwm2m_bs_runtime *r, live_session *l)
{
    lwm2m_bs_outcome outcome = lwm2m_bs_session_outcome(l->bs);
    size_t plan = lwm2m_bs_session_plan(l->bs);
    const char *diag = lwm2m_bs_session_diagnostic(l->bs);
    int64_t duration = lwm2m_net_now_ms() - l->start_ms;
    logf_("session: endpoint=%s peer=%s outcome=%s plan=%zu operations=%zu "
          "duration_ms=%lld%s%s%s%s%s",
          l->endpoint, l->peer, lwm2m_bs_outcome_name(outcome), plan,
          lwm2m_bs_session_operations(l->bs), (long long)duration, *l->query ? " query=" : "",
          l->query, *diag ? " diagnostic=\"" : "", diag, *diag ? "\"" : "");
    if ((unsigned)outcome <= LWM2M_BS_OUTCOME_INTERNAL)
        r->counts[outcome]++;
    /* Only `trigger` waits on outcomes: remembering every endpoint's would grow forever. */
    if (l->triggered)
        remember_outcome(r, l->endpoint, lwm2m_bs_outcome_name(outcome));
    if (r->opts.store != NULL && outcome != LWM2M_BS_OUTCOME_CANCELLED) {
        lwm2m_bs_endpoint_status st;
        if (lwm2m_bs_store_get_status(r->opts.store, l->endpoint, &st) != LWM2M_OK)
            memset(&st, 0, sizeof st);
        lwm2m_bs_status_after_session(&st, outcome, plan, diag, (int64_t)time(NULL));
        if (lwm2m_bs_store_set_status(r->opts.store, l->endpoint, &st) != LWM2M_OK)
            logf_("store: cannot record the status of %s: %s", l->endpoint,
                  lwm2m_bs_store_last_error(r->opts.store));
    }
    live_session **pp = &r->sessions;
    while (*pp != l)
        pp = &(*pp)->next;
    *pp = l->next;
    r->active--;
    coap_session_release(l->coap);
    lwm2m_bs_session_free(l->bs);
    lwm2m_bs_config_free(l->cfg);
    free(l);
}

static void release_payload(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

/* Sends the session's next request, if any. */
static void pump(lwm2m_bs_runtime *r, live_session *l, int64_t now)
{
    if (l->waiting || lwm2m_bs_session_state_of(l->bs) != LWM2M_BS_SESSION_RUNNING)
        return;
    lwm2m_bs_outgoing out;
    int rc;
    for (;;) {
        out.payload = lwm2m_buf_init(r->payload, r->payload_cap);
        rc = lwm2m_bs_session_next(l->bs, &out, now);
        if (rc != LWM2M_ERR_OVERFLOW || out.payload.len > PAYLOAD_MAX)
            break;
        uint8_t *grown = realloc(r->payload, out.payload.len);
        if (grown == NULL)
            break;
        r->payload = grown;
        r->payload_cap = out.payload.len;
    }
    if (rc == LWM2M_ERR_OVERFLOW) {
        logf_("session %s: request larger than %u bytes, cancelled", l->endpoint, PAYLOAD_MAX);
        lwm2m_bs_session_cancel(l->bs);
        return;
    }
    if (rc != 1)
        return;
    coap_pdu_t *pdu = lwm2m_net_new_request(l->coap, out.method, out.uri_path, out.format,
                                            out.accept, NULL, NULL, 0, l->token, &l->token_len);
    bool ok = pdu != NULL;
    if (ok && out.payload.len > 0) {
        /* Block-wise (RFC 7959) when larger than a datagram: libcoap owns a copy until done. */
        uint8_t *copy = malloc(out.payload.len);
        ok = copy != NULL;
        if (ok) {
            memcpy(copy, out.payload.data, out.payload.len);
            ok = coap_add_data_large_request(l->coap, pdu, out.payload.len, copy, release_payload,
                                             copy) != 0;
        }
    }
    if (!ok || coap_send(l->coap, pdu) == COAP_INVALID_MID) {
        if (!ok && pdu != NULL)
            coap_delete_pdu(pdu);
        lwm2m_bs_session_on_failure(l->bs, now);
        return;
    }
    l->waiting = true;
    if (r->opts.verbose)
        logf_("session %s: %s %s (%zu bytes, format %u)", l->endpoint,
              out.method == LWM2M_METHOD_GET      ? "GET"
              : out.method == LWM2M_METHOD_PUT    ? "PUT"
              : out.method == LWM2M_METHOD_DELETE ? "DELETE"
                                                  : "POST",
              out.uri_path, out.payload.len, (unsigned)out.format);
}

static live_session *start_session(lwm2m_bs_runtime *r, coap_session_t *coap, const char *endpoint,
                                   lwm2m_bs_config *cfg, lwm2m_format pct, bool triggered)
{
    live_session *old = find_session(r, endpoint);
    if (old != NULL) {
        /* One live session per endpoint: the newer request wins. */
        lwm2m_bs_session_cancel(old->bs);
        end_session(r, old);
    }
    /* And one per client transport: a client that now bootstraps as another endpoint (a reused
     * address and port) must not also receive the old endpoint's commands. */
    for (live_session *l = r->sessions, *next; l != NULL; l = next) {
        next = l->next;
        if (l->coap == coap) {
            logf_("session %s: the client at %s sent another endpoint's Bootstrap-Request, "
                  "cancelled",
                  l->endpoint, l->peer);
            lwm2m_bs_session_cancel(l->bs);
            end_session(r, l);
        }
    }
    lwm2m_bs_endpoint_status st;
    memset(&st, 0, sizeof st);
    if (r->opts.store != NULL)
        lwm2m_bs_store_get_status(r->opts.store, endpoint, &st);
    lwm2m_bs_session_params p = {cfg, r->opts.defs, st.next_plan, pct, r->opts.session_timeout_ms};
    live_session *l = calloc(1, sizeof *l);
    if (l == NULL || (l->bs = lwm2m_bs_session_new(&p, lwm2m_net_now_ms())) == NULL) {
        free(l);
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    snprintf(l->endpoint, sizeof l->endpoint, "%s", endpoint);
    lwm2m_net_peer_of(coap, l->peer, sizeof l->peer);
    l->coap = coap_session_reference(coap);
    l->request_mid = -1;
    l->cfg = cfg;
    l->triggered = triggered;
    l->start_ms = lwm2m_net_now_ms();
    l->next = r->sessions;
    r->sessions = l;
    r->active++;
    return l;
}

/* What both /bs and /bspack do first: who is asking, for which endpoint, with which rights.
 * Returns the configuration, or NULL after answering the refusal. */
static lwm2m_bs_config *admit(lwm2m_bs_runtime *r, coap_session_t *session, const char *what,
                              lwm2m_bs_request_info *info, const coap_string_t *query,
                              coap_pdu_t *response)
{
    char diag[200] = "", peer[64];
    lwm2m_net_peer_of(session, peer, sizeof peer);
    unsigned code = lwm2m_bs_request_parse(query ? (const char *)query->s : NULL,
                                           query ? query->length : 0, info, diag, sizeof diag);
    if (code != 0) {
        r->refused[REFUSED_BAD_REQUEST]++;
        logf_("%s from %s refused (%u.%02u): %s", what, peer, code >> 5, code & 31, diag);
        lwm2m_net_reply(response, code, diag);
        return NULL;
    }
    const coap_bin_const_t *identity = NULL;
    if (coap_session_get_proto(session) == COAP_PROTO_DTLS)
        identity = coap_session_get_psk_identity(session);
    if (info->endpoint[0] == '\0') {
        /* 1.2: a secure client may leave ep out; its identity names it. */
        char *ep = NULL;
        if (identity == NULL || r->hooks.lookup_identity == NULL ||
            r->hooks.lookup_identity(r->hooks.ctx, identity->s, identity->length, &ep, NULL,
                                     NULL) != LWM2M_OK) {
            r->refused[REFUSED_BAD_REQUEST]++;
            logf_("%s from %s refused (4.00): no endpoint name", what, peer);
            lwm2m_net_reply(response, LWM2M_CODE_BAD_REQUEST, "missing endpoint name (ep)");
            return NULL;
        }
        snprintf(info->endpoint, sizeof info->endpoint, "%s", ep);
        free(ep);
    }
    lwm2m_bs_config *cfg = NULL;
    char err[200] = "";
    int rc = r->hooks.resolve(r->hooks.ctx, info->endpoint, &cfg, err, sizeof err);
    if (rc != LWM2M_OK) {
        bool unknown = rc == LWM2M_ERR_NOT_FOUND;
        r->refused[unknown ? REFUSED_UNKNOWN : REFUSED_BAD_REQUEST]++;
        logf_("%s from %s for endpoint %s refused: %s%s", what, peer, info->endpoint,
              unknown ? "unknown endpoint" : "configuration unusable: ", unknown ? "" : err);
        lwm2m_net_reply(response, unknown ? LWM2M_CODE_BAD_REQUEST : LWM2M_CODE_INTERNAL_ERROR,
                        unknown ? "unknown endpoint" : "configuration unusable");
        return NULL;
    }
    code = lwm2m_bs_request_authorize(cfg, identity ? identity->s : NULL,
                                      identity ? identity->length : 0, diag, sizeof diag);
    if (code != 0) {
        r->refused[REFUSED_SECURITY]++;
        logf_("security: %s from %s for endpoint %s refused: %s", what, peer, info->endpoint, diag);
        /* Nothing of the endpoint's configuration, not even why, goes to the requester. */
        lwm2m_net_reply(response, code, "unauthorized");
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    lwm2m_bs_endpoint_status st;
    if (r->opts.store != NULL &&
        lwm2m_bs_store_get_status(r->opts.store, info->endpoint, &st) == LWM2M_OK && st.failed) {
        r->refused[REFUSED_FAILED]++;
        logf_("%s from %s for endpoint %s refused: every configuration was rejected before (%s)",
              what, peer, info->endpoint, st.diagnostic);
        lwm2m_net_reply(response, LWM2M_CODE_BAD_REQUEST, "bootstrap failed for this endpoint");
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void handle_bootstrap_request(lwm2m_bs_runtime *r, coap_session_t *session, coap_mid_t mid,
                                     const coap_string_t *query, coap_pdu_t *response)
{
    /* libcoap 4.3.1 hands a retransmitted request to the handler again: the same message ID
     * from the same client is answered again, not a reason to restart its session. */
    for (live_session *l = r->sessions; l != NULL; l = l->next)
        if (l->coap == session && l->request_mid == mid) {
            lwm2m_net_reply(response, LWM2M_CODE_CHANGED, NULL);
            return;
        }
    lwm2m_bs_request_info info;
    lwm2m_bs_config *cfg = admit(r, session, "Bootstrap-Request", &info, query, response);
    if (cfg == NULL)
        return;
    if (r->active >= r->opts.max_sessions && find_session(r, info.endpoint) == NULL) {
        r->refused[REFUSED_BUSY]++;
        logf_("Bootstrap-Request for %s refused: %zu sessions running", info.endpoint, r->active);
        lwm2m_net_reply(response, LWM2M_CODE_SERVICE_UNAVAILABLE, "too many sessions");
        lwm2m_bs_config_free(cfg);
        return;
    }
    live_session *l = start_session(r, session, info.endpoint, cfg, info.pct, false);
    if (l == NULL) {
        lwm2m_net_reply(response, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    l->request_mid = mid;
    if (query != NULL && query->length < sizeof l->query) {
        memcpy(l->query, query->s, query->length);
        l->query[query->length] = '\0';
    }
    logf_("Bootstrap-Request from %s: endpoint %s%s%.*s", l->peer, info.endpoint,
          query && query->length ? ", query " : "", query ? (int)query->length : 0,
          query ? (const char *)query->s : "");
    lwm2m_net_reply(response, LWM2M_CODE_CHANGED, NULL);
    /* The session's first request goes out from the loop, after this 2.04. */
}

static void handle_pack_request(lwm2m_bs_runtime *r, coap_resource_t *resource,
                                coap_session_t *session, const coap_pdu_t *request,
                                const coap_string_t *query, coap_pdu_t *response)
{
    lwm2m_bs_request_info info;
    lwm2m_bs_config *cfg = admit(r, session, "Bootstrap-Pack-Request", &info, query, response);
    if (cfg == NULL)
        return;
    coap_opt_iterator_t it;
    coap_opt_t *acc = coap_check_option(request, COAP_OPTION_ACCEPT, &it);
    lwm2m_format fmt =
        acc ? (lwm2m_format)coap_decode_var_bytes(coap_opt_value(acc), coap_opt_length(acc))
            : LWM2M_FORMAT_SENML_CBOR;
    lwm2m_bs_endpoint_status st;
    memset(&st, 0, sizeof st);
    if (r->opts.store != NULL)
        lwm2m_bs_store_get_status(r->opts.store, info.endpoint, &st);
    size_t plan = st.next_plan < cfg->plan_count ? st.next_plan : 0;
    char diag[200] = "", peer[64];
    lwm2m_net_peer_of(session, peer, sizeof peer);
    int rc;
    for (;;) {
        lwm2m_buf out = lwm2m_buf_init(r->payload, r->payload_cap);
        rc = lwm2m_bs_pack_encode(cfg, plan, fmt, &out, diag, sizeof diag);
        if (rc == LWM2M_ERR_OVERFLOW && out.len <= PAYLOAD_MAX) {
            uint8_t *grown = realloc(r->payload, out.len);
            if (grown != NULL) {
                r->payload = grown;
                r->payload_cap = out.len;
                continue;
            }
        }
        if (rc == LWM2M_OK) {
            /* Block2 when larger than a datagram: libcoap keeps the copy until it is sent. */
            uint8_t *copy = malloc(out.len ? out.len : 1);
            coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CONTENT);
            if (copy != NULL)
                memcpy(copy, out.data, out.len);
            if (copy == NULL || !coap_add_data_large_response(resource, session, request, response,
                                                              query, (uint16_t)fmt, -1, 0, out.len,
                                                              copy, release_payload, copy)) {
                lwm2m_net_reply(response, LWM2M_CODE_INTERNAL_ERROR, "cannot send the pack");
                rc = LWM2M_ERR_NOMEM;
            } else {
                logf_("Bootstrap-Pack-Request from %s: endpoint %s, plan %zu, %zu bytes, "
                      "format %u",
                      peer, info.endpoint, plan, out.len, (unsigned)fmt);
            }
        }
        break;
    }
    if (rc == LWM2M_ERR_NOT_ALLOWED || rc == LWM2M_ERR_UNSUPPORTED) {
        unsigned code =
            rc == LWM2M_ERR_NOT_ALLOWED ? LWM2M_CODE_METHOD_NOT_ALLOWED : LWM2M_CODE_NOT_ACCEPTABLE;
        logf_("Bootstrap-Pack-Request from %s for %s answered %u.%02u: %s", peer, info.endpoint,
              code >> 5, code & 31, diag);
        lwm2m_net_reply(response, code, diag);
    } else if (rc != LWM2M_OK && rc != LWM2M_ERR_NOMEM) {
        lwm2m_net_reply(response, LWM2M_CODE_INTERNAL_ERROR, "cannot encode the pack");
    }
    lwm2m_bs_config_free(cfg);
}

static void on_request(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    lwm2m_bs_runtime *r = coap_get_app_data(coap_session_get_context(session));
    lwm2m_net_scratch scratch;
    lwm2m_request req;
    if (lwm2m_net_request_from_pdu(request, query, &scratch, &req) != LWM2M_OK) {
        lwm2m_net_reply(response, LWM2M_CODE_BAD_REQUEST, "bad request");
        return;
    }
    bool bs = req.uri_path_len == 3 && memcmp(req.uri_path, "/bs", 3) == 0;
    bool pack = req.uri_path_len == 7 && memcmp(req.uri_path, "/bspack", 7) == 0;
    if (bs && req.method == LWM2M_METHOD_POST)
        handle_bootstrap_request(r, session, coap_pdu_get_mid(request), query, response);
    else if (pack && req.method == LWM2M_METHOD_GET)
        handle_pack_request(r, resource, session, request, query, response);
    else if (bs || pack)
        lwm2m_net_reply(response, LWM2M_CODE_METHOD_NOT_ALLOWED,
                        bs ? "/bs takes POST" : "/bspack takes GET");
    else
        lwm2m_net_reply(response, LWM2M_CODE_NOT_FOUND, "not a Bootstrap Server resource");
}

static live_session *session_of_token(lwm2m_bs_runtime *r, const coap_session_t *s,
                                      const coap_pdu_t *pdu)
{
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    for (live_session *l = r->sessions; l != NULL; l = l->next)
        if (l->coap == s && l->waiting && token.length == l->token_len &&
            memcmp(token.s, l->token, token.length) == 0)
            return l;
    return NULL;
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    lwm2m_bs_runtime *r = coap_get_app_data(coap_session_get_context(session));
    live_session *l = session_of_token(r, session, received);
    if (l == NULL)
        return COAP_RESPONSE_OK;
    l->waiting = false;
    unsigned code = (unsigned)coap_pdu_get_code(received);
    coap_opt_iterator_t it;
    coap_opt_t *cf = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it);
    lwm2m_format fmt =
        cf ? (lwm2m_format)coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf))
           : LWM2M_FORMAT_NONE;
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    coap_get_data_large(received, &len, &data, &offset, &total);
    if (r->opts.verbose)
        logf_("session %s: answer %u.%02u (%zu bytes)", l->endpoint, code >> 5, code & 31, len);
    lwm2m_bs_session_on_response(l->bs, code, fmt, data, len, lwm2m_net_now_ms());
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    (void)reason;
    if (sent == NULL)
        return;
    lwm2m_bs_runtime *r = coap_get_app_data(coap_session_get_context(session));
    live_session *l = session_of_token(r, session, sent);
    if (l == NULL)
        return;
    l->waiting = false;
    lwm2m_bs_session_on_failure(l->bs, lwm2m_net_now_ms());
}

/* DTLS PSK: the key of whichever endpoint owns the identity the client presents. */
static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    lwm2m_bs_runtime *r = arg;
    char peer[64];
    lwm2m_net_peer_of(session, peer, sizeof peer);
    size_t key_len = 0;
    if (identity == NULL || r->hooks.lookup_identity == NULL ||
        r->hooks.lookup_identity(r->hooks.ctx, identity->s, identity->length, NULL, r->psk_key,
                                 &key_len) != LWM2M_OK ||
        key_len == 0) {
        r->refused[REFUSED_SECURITY]++;
        logf_("security: DTLS handshake from %s with unknown PSK identity '%.*s'", peer,
              identity ? (int)identity->length : 0, identity ? (const char *)identity->s : "");
        return NULL;
    }
    r->psk_key_bin.s = r->psk_key;
    r->psk_key_bin.length = key_len;
    return &r->psk_key_bin;
}

lwm2m_bs_runtime *lwm2m_bs_runtime_new(const lwm2m_bs_runtime_options *opts,
                                       const lwm2m_bs_runtime_hooks *hooks, char *err,
                                       size_t errlen)
{
    lwm2m_bs_runtime *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->opts = *opts;
    r->hooks = *hooks;
    if (r->opts.max_sessions == 0)
        r->opts.max_sessions = 10000;
    r->payload_cap = PAYLOAD_START;
    r->payload = malloc(r->payload_cap);
    if (r->payload == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    lwm2m_net_server_setup setup = {
        r, on_response, on_nack, on_request, psk_for_identity, opts->listen, opts->dtls_listen};
    r->ctx = lwm2m_net_server_context(&setup, &r->udp_port, &r->dtls_port, err, errlen);
    if (r->ctx == NULL)
        goto fail;
    return r;
fail:
    lwm2m_bs_runtime_free(r);
    return NULL;
}

void lwm2m_bs_runtime_free(lwm2m_bs_runtime *r)
{
    if (r == NULL)
        return;
    while (r->sessions != NULL) {
        lwm2m_bs_session_cancel(r->sessions->bs);
        end_session(r, r->sessions);
    }
    while (r->outcomes != NULL) {
        last_outcome *o = r->outcomes;
        r->outcomes = o->next;
        free(o);
    }
    if (r->ctx != NULL)
        coap_free_context(r->ctx);
    free(r->payload);
    free(r);
}

uint16_t lwm2m_bs_runtime_port(const lwm2m_bs_runtime *r, bool dtls)
{
    return dtls ? r->dtls_port : r->udp_port;
}

void lwm2m_bs_runtime_process(lwm2m_bs_runtime *r, uint32_t timeout_ms, int nfds, fd_set *rfds,
                              fd_set *wfds, fd_set *efds)
{
    lwm2m_net_io_process(r->ctx, timeout_ms, nfds, rfds, wfds, efds);
    int64_t now = lwm2m_net_now_ms();
    for (live_session *l = r->sessions, *next; l != NULL; l = next) {
        next = l->next;
        lwm2m_bs_session_tick(l->bs, now);
        pump(r, l, now);
        if (lwm2m_bs_session_state_of(l->bs) != LWM2M_BS_SESSION_RUNNING)
            end_session(r, l);
    }
}

int lwm2m_bs_runtime_trigger(lwm2m_bs_runtime *r, const char *endpoint, const char *host_port,
                             char *err, size_t errlen)
{
    coap_address_t addr;
    if (lwm2m_net_parse_host_port(host_port, &addr) != 0) {
        snprintf(err, errlen, "bad client address '%s' (HOST:PORT)", host_port);
        return -1;
    }
    lwm2m_bs_config *cfg = NULL;
    int rc = r->hooks.resolve(r->hooks.ctx, endpoint, &cfg, err, errlen);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        snprintf(err, errlen, "unknown endpoint '%s'", endpoint);
        return -1;
    }
    if (rc != LWM2M_OK)
        return -1;
    if (cfg->psk_identity_len > 0) {
        /* Credentials bind the endpoint to DTLS; this path would write its secrets in clear. */
        snprintf(err, errlen, "endpoint '%s' has DTLS credentials; trigger runs over NoSec only",
                 endpoint);
        lwm2m_bs_config_free(cfg);
        return -1;
    }
    coap_session_t *s = coap_new_client_session(r->ctx, NULL, &addr, COAP_PROTO_UDP);
    if (s == NULL) {
        snprintf(err, errlen, "cannot open a session to %s", host_port);
        lwm2m_bs_config_free(cfg);
        return -1;
    }
    live_session *l = start_session(r, s, endpoint, cfg, LWM2M_FORMAT_NONE, true);
    coap_session_release(s); /* the live session holds its own reference */
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    logf_("trigger: server-initiated bootstrap of %s at %s", endpoint, host_port);
    return 0;
}

size_t lwm2m_bs_runtime_active(const lwm2m_bs_runtime *r)
{
    return r->active;
}

const char *lwm2m_bs_runtime_last_outcome(const lwm2m_bs_runtime *r, const char *endpoint)
{
    for (const last_outcome *o = r->outcomes; o != NULL; o = o->next)
        if (strcmp(o->endpoint, endpoint) == 0)
            return o->outcome;
    return "";
}

char *lwm2m_bs_runtime_stats_json(const lwm2m_bs_runtime *r)
{
    size_t cap = 1024;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    lwm2m_buf b = lwm2m_buf_init(out, cap - 1);
    lwm2m_buf_printf(&b, "{\"active\":%zu,\"outcomes\":{", r->active);
    for (int o = LWM2M_BS_OUTCOME_SUCCESS; o <= LWM2M_BS_OUTCOME_INTERNAL; o++)
        lwm2m_buf_printf(&b, "%s\"%s\":%llu", o == LWM2M_BS_OUTCOME_SUCCESS ? "" : ",",
                         lwm2m_bs_outcome_name((lwm2m_bs_outcome)o),
                         (unsigned long long)r->counts[o]);
    lwm2m_buf_puts(&b, "},\"refused\":{");
    for (int i = 0; i < REFUSED_N; i++)
        lwm2m_buf_printf(&b, "%s\"%s\":%llu", i ? "," : "", refused_names[i],
                         (unsigned long long)r->refused[i]);
    lwm2m_buf_puts(&b, "}}");
    if (lwm2m_buf_overflowed(&b)) {
        free(out);
        return NULL;
    }
    out[b.len] = '\0';
    return out;
}
