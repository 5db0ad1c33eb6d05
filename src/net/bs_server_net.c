/* The Bootstrap Server's transport: sessions over libcoap sessions or over peers of our own
 * UDP endpoint (coap_udp.h), one code path for both above the send and receive calls. */
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
#include "net/coap_udp.h"
#include "net/net_util.h"

#define PAYLOAD_START    4096
#define PAYLOAD_MAX      (1u << 20)
#define TICK_SCAN_MS     100 /* how often every session's deadline is checked */
#define STATUS_BATCH_MS  20  /* statuses are written together at most this long after the first */
#define STATUS_BATCH_MAX 256
#define HOT_TURNS_MAX    8 /* loop turns in a row that read the UDP socket without select */

/* The client's end of a session: a libcoap session or a peer of our UDP endpoint. */
typedef struct bs_link {
    coap_session_t *coap;
    lwm2m_udp_peer *udp;
} bs_link;

typedef struct live_session {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    char peer[64];
    char query[256]; /* the Bootstrap-Request's Uri-Query, extra parameters included */
    bs_link link;    /* referenced */
    lwm2m_bs_session *bs;
    lwm2m_bs_config *cfg;
    lwm2m_bs_endpoint_status status; /* as read when the session started */
    uint8_t token[8];
    size_t token_len;
    uint32_t udp_request;   /* the outstanding request's id (our UDP endpoint) */
    bool waiting;           /* a request is outstanding */
    bool ready;             /* in the ready list: pump and check it at the next turn */
    coap_mid_t request_mid; /* of the Bootstrap-Request that started it (-1: triggered) */
    bool triggered;
    int64_t start_ms;
    struct live_session *prev, *next; /* every session */
    struct live_session *hash_next;   /* same endpoint-hash bucket */
    struct live_session *ready_next;
} live_session;

/* A status to record at the end of the loop turn. */
typedef struct pending_status {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    lwm2m_bs_endpoint_status status;
} pending_status;

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
    lwm2m_udp_endpoint *udp; /* the NoSec listener, unless libcoap_nosec */
    uint16_t udp_port, dtls_port;
    live_session *sessions;
    live_session **buckets; /* by endpoint name */
    size_t n_buckets;
    live_session *ready;
    size_t active;
    int64_t next_scan_ms;
    bool udp_hot;       /* the last turn read datagrams: more are likely waiting */
    unsigned hot_turns; /* turns since the last select */
    last_outcome *outcomes;
    pending_status *pending; /* statuses of the sessions ended in this turn */
    size_t n_pending, pending_cap;
    int64_t pending_since_ms;
    lwm2m_bs_status_update *updates; /* pending_cap of them */
    uint64_t counts[LWM2M_BS_OUTCOME_INTERNAL + 1];
    uint64_t refused[REFUSED_N];
    uint8_t *payload;
    size_t payload_cap;
    char reply_diag[200]; /* the diagnostic of the UDP reply being built */
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

static size_t bucket_of(const lwm2m_bs_runtime *r, const char *endpoint)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)endpoint; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (h ^ (h >> 15)) & (r->n_buckets - 1);
}

static live_session *find_session(lwm2m_bs_runtime *r, const char *endpoint)
{
    for (live_session *l = r->buckets[bucket_of(r, endpoint)]; l != NULL; l = l->hash_next)
        if (strcmp(l->endpoint, endpoint) == 0)
            return l;
    return NULL;
}

/* The session a client transport serves (one at most). */
static live_session *session_of_link(bs_link link)
{
    return link.coap != NULL ? coap_session_get_app_data(link.coap) : lwm2m_udp_peer_data(link.udp);
}

static void set_link_owner(bs_link link, live_session *l)
{
    if (link.coap != NULL)
        coap_session_set_app_data(link.coap, l);
    else
        lwm2m_udp_peer_set_data(link.udp, l);
}

static void make_ready(lwm2m_bs_runtime *r, live_session *l)
{
    if (l->ready)
        return;
    l->ready = true;
    l->ready_next = r->ready;
    r->ready = l;
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

/* Writes the statuses of the sessions that ended since the last call: one transaction, so one
 * disk sync for all of them (one per session made the sync the storm's bottleneck). */
static void flush_statuses(lwm2m_bs_runtime *r)
{
    if (r->n_pending == 0)
        return;
    for (size_t i = 0; i < r->n_pending; i++) {
        r->updates[i].endpoint = r->pending[i].endpoint;
        r->updates[i].status = &r->pending[i].status;
    }
    if (lwm2m_bs_store_set_statuses(r->opts.store, r->updates, r->n_pending) != LWM2M_OK)
        logf_("store: cannot record the status of %zu endpoint(s) (%s ...): %s", r->n_pending,
              r->pending[0].endpoint, lwm2m_bs_store_last_error(r->opts.store));
    r->n_pending = 0;
}

static void record_status(lwm2m_bs_runtime *r, const char *endpoint,
                          const lwm2m_bs_endpoint_status *st)
{
    if (r->n_pending == r->pending_cap) {
        size_t cap = r->pending_cap ? r->pending_cap * 2 : 64;
        pending_status *p = realloc(r->pending, cap * sizeof *p);
        if (p != NULL)
            r->pending = p;
        lwm2m_bs_status_update *u = p ? realloc(r->updates, cap * sizeof *u) : NULL;
        if (u != NULL) {
            r->updates = u;
            r->pending_cap = cap;
        } else {
            flush_statuses(r); /* out of memory: write what is pending, and this one alone */
            if (lwm2m_bs_store_set_status(r->opts.store, endpoint, st) != LWM2M_OK)
                logf_("store: cannot record the status of %s: %s", endpoint,
                      lwm2m_bs_store_last_error(r->opts.store));
            return;
        }
    }
    if (r->n_pending == 0)
        r->pending_since_ms = lwm2m_net_now_ms();
    pending_status *p = &r->pending[r->n_pending++];
    snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
    p->status = *st;
}

/* Before reading an endpoint's status: what is pending for it must be in the store. */
static void flush_statuses_of(lwm2m_bs_runtime *r, const char *endpoint)
{
    for (size_t i = 0; i < r->n_pending; i++)
        if (strcmp(r->pending[i].endpoint, endpoint) == 0) {
            flush_statuses(r);
            return;
        }
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
        lwm2m_bs_status_after_session(&l->status, outcome, plan, diag, (int64_t)time(NULL));
        record_status(r, l->endpoint, &l->status);
    }
    if (l->ready)
        for (live_session **pp = &r->ready; *pp != NULL; pp = &(*pp)->ready_next)
            if (*pp == l) {
                *pp = l->ready_next;
                break;
            }
    for (live_session **pp = &r->buckets[bucket_of(r, l->endpoint)]; *pp != NULL;
         pp = &(*pp)->hash_next)
        if (*pp == l) {
            *pp = l->hash_next;
            break;
        }
    if (l->prev != NULL)
        l->prev->next = l->next;
    else
        r->sessions = l->next;
    if (l->next != NULL)
        l->next->prev = l->prev;
    r->active--;
    set_link_owner(l->link, NULL);
    if (l->link.coap != NULL) {
        coap_session_release(l->link.coap);
    } else {
        if (l->waiting)
            lwm2m_udp_cancel(r->udp, l->link.udp, l->udp_request);
        lwm2m_udp_peer_release(r->udp, l->link.udp);
    }
    lwm2m_bs_session_free(l->bs);
    lwm2m_bs_config_free(l->cfg);
    free(l);
}

static void release_payload(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

static const char *method_name(unsigned method)
{
    return method == LWM2M_METHOD_GET      ? "GET"
           : method == LWM2M_METHOD_PUT    ? "PUT"
           : method == LWM2M_METHOD_DELETE ? "DELETE"
                                           : "POST";
}

/* Sends `out` over libcoap; false when it could not be sent. */
static bool send_libcoap(live_session *l, const lwm2m_bs_outgoing *out)
{
    coap_pdu_t *pdu = lwm2m_net_new_request(l->link.coap, out->method, out->uri_path, out->format,
                                            out->accept, NULL, NULL, 0, l->token, &l->token_len);
    bool ok = pdu != NULL;
    if (ok && out->payload.len > 0) {
        /* Block-wise (RFC 7959) when larger than a datagram: libcoap owns a copy until done. */
        uint8_t *copy = malloc(out->payload.len);
        ok = copy != NULL;
        if (ok) {
            memcpy(copy, out->payload.data, out->payload.len);
            ok = coap_add_data_large_request(l->link.coap, pdu, out->payload.len, copy,
                                             release_payload, copy) != 0;
        }
    }
    if (!ok) {
        if (pdu != NULL)
            coap_delete_pdu(pdu);
        return false;
    }
    return coap_send(l->link.coap, pdu) != COAP_INVALID_MID;
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
    bool sent;
    if (l->link.coap != NULL) {
        sent = send_libcoap(l, &out);
    } else {
        l->udp_request =
            lwm2m_udp_request(r->udp, l->link.udp, out.method, out.uri_path, out.format, out.accept,
                              out.payload.data, out.payload.len);
        sent = l->udp_request != 0;
    }
    if (!sent) {
        lwm2m_bs_session_on_failure(l->bs, now);
        return;
    }
    l->waiting = true;
    if (r->opts.verbose)
        logf_("session %s: %s %s (%zu bytes, format %u)", l->endpoint, method_name(out.method),
              out.uri_path, out.payload.len, (unsigned)out.format);
}

static void peer_name(bs_link link, char *buf, size_t cap)
{
    if (link.coap != NULL)
        lwm2m_net_peer_of(link.coap, buf, cap);
    else
        lwm2m_udp_peer_name(link.udp, buf, cap);
}

static live_session *start_session(lwm2m_bs_runtime *r, bs_link link, const char *endpoint,
                                   lwm2m_bs_config *cfg, const lwm2m_bs_endpoint_status *st,
                                   lwm2m_format pct, bool triggered)
{
    live_session *old = find_session(r, endpoint);
    if (old != NULL) {
        /* One live session per endpoint: the newer request wins. */
        lwm2m_bs_session_cancel(old->bs);
        end_session(r, old);
    }
    /* And one per client transport: a client that now bootstraps as another endpoint (a reused
     * address and port) must not also receive the old endpoint's commands. */
    old = session_of_link(link);
    if (old != NULL) {
        logf_("session %s: the client at %s sent another endpoint's Bootstrap-Request, "
              "cancelled",
              old->endpoint, old->peer);
        lwm2m_bs_session_cancel(old->bs);
        end_session(r, old);
    }
    lwm2m_bs_session_params p = {cfg, r->opts.defs, st->next_plan, pct, r->opts.session_timeout_ms};
    live_session *l = calloc(1, sizeof *l);
    if (l == NULL || (l->bs = lwm2m_bs_session_new(&p, lwm2m_net_now_ms())) == NULL) {
        free(l);
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    snprintf(l->endpoint, sizeof l->endpoint, "%s", endpoint);
    peer_name(link, l->peer, sizeof l->peer);
    l->link = link;
    if (link.coap != NULL)
        coap_session_reference(link.coap);
    else
        lwm2m_udp_peer_ref(r->udp, link.udp);
    set_link_owner(link, l);
    l->status = *st;
    l->request_mid = -1;
    l->cfg = cfg;
    l->triggered = triggered;
    l->start_ms = lwm2m_net_now_ms();
    l->next = r->sessions;
    if (r->sessions != NULL)
        r->sessions->prev = l;
    r->sessions = l;
    size_t b = bucket_of(r, endpoint);
    l->hash_next = r->buckets[b];
    r->buckets[b] = l;
    r->active++;
    make_ready(r, l); /* its first request goes out from the loop, after the reply */
    return l;
}

/* A refusal: the code and the diagnostic to answer with. */
typedef struct bs_answer {
    unsigned code;
    char diag[200];
} bs_answer;

static void refuse(bs_answer *a, unsigned code, const char *diag)
{
    a->code = code;
    snprintf(a->diag, sizeof a->diag, "%s", diag);
}

/* The endpoint a secure client names by its credentials alone (1.2: ep may be left out):
 * its PSK identity's or public key's owner, or for a certificate the endpoint its CN maps to,
 * else the CN itself. A malloc'ed name, or NULL. */
static char *endpoint_of_peer(lwm2m_bs_runtime *r, const lwm2m_net_peer *p)
{
    char *ep = NULL;
    const lwm2m_bs_runtime_hooks *h = &r->hooks;
    switch (p->mode) {
    case LWM2M_NET_PEER_PSK:
        if (h->lookup_identity == NULL ||
            h->lookup_identity(h->ctx, p->psk_identity, p->psk_identity_len, &ep, NULL, NULL) !=
                LWM2M_OK)
            ep = NULL;
        break;
    case LWM2M_NET_PEER_RPK:
        if (h->lookup_public_key == NULL ||
            h->lookup_public_key(h->ctx, p->public_key, p->public_key_len, &ep) != LWM2M_OK)
            ep = NULL;
        break;
    case LWM2M_NET_PEER_X509:
        if (*p->cn != '\0' &&
            (h->lookup_cn == NULL || h->lookup_cn(h->ctx, p->cn, &ep) != LWM2M_OK)) {
            free(ep);
            ep = strdup(p->cn);
        }
        break;
    default:
        break;
    }
    return ep;
}

/* What both /bs and /bspack do first: who is asking, for which endpoint, with which rights.
 * Returns the configuration and the endpoint's status, or NULL with the refusal in `a`. */
static lwm2m_bs_config *admit(lwm2m_bs_runtime *r, const char *peer, const lwm2m_net_peer *np,
                              const char *what, const char *query, size_t query_len,
                              lwm2m_bs_request_info *info, lwm2m_bs_endpoint_status *st,
                              bs_answer *a)
{
    char diag[200] = "";
    unsigned code = lwm2m_bs_request_parse(query, query_len, info, diag, sizeof diag);
    if (code != 0) {
        r->refused[REFUSED_BAD_REQUEST]++;
        logf_("%s from %s refused (%u.%02u): %s", what, peer, code >> 5, code & 31, diag);
        refuse(a, code, diag);
        return NULL;
    }
    if (np->mode == LWM2M_NET_PEER_UNKNOWN) {
        r->refused[REFUSED_SECURITY]++;
        logf_("security: %s from %s refused: DTLS session without known credentials", what, peer);
        refuse(a, LWM2M_CODE_BAD_REQUEST, "unauthorized");
        return NULL;
    }
    if (info->endpoint[0] == '\0') {
        /* 1.2: a secure client may leave ep out; its credentials name it. */
        char *ep = endpoint_of_peer(r, np);
        if (ep == NULL || strlen(ep) > LWM2M_ENDPOINT_MAX) {
            free(ep);
            r->refused[REFUSED_BAD_REQUEST]++;
            logf_("%s from %s refused (4.00): no endpoint name", what, peer);
            refuse(a, LWM2M_CODE_BAD_REQUEST, "missing endpoint name (ep)");
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
        refuse(a, unknown ? LWM2M_CODE_BAD_REQUEST : LWM2M_CODE_INTERNAL_ERROR,
               unknown ? "unknown endpoint" : "configuration unusable");
        return NULL;
    }
    lwm2m_bs_peer bp = {(lwm2m_bs_peer_mode)np->mode,
                        np->psk_identity,
                        np->psk_identity_len,
                        np->public_key,
                        np->public_key_len,
                        np->cn,
                        NULL};
    char *mapped = NULL;
    if (np->mode == LWM2M_NET_PEER_X509 && *np->cn != '\0' && r->hooks.lookup_cn != NULL &&
        r->hooks.lookup_cn(r->hooks.ctx, np->cn, &mapped) == LWM2M_OK)
        bp.cn_endpoint = mapped;
    code = lwm2m_bs_request_authorize_peer(cfg, &bp, diag, sizeof diag);
    free(mapped);
    if (code != 0) {
        r->refused[REFUSED_SECURITY]++;
        logf_("security: %s from %s for endpoint %s refused: %s", what, peer, info->endpoint, diag);
        /* Nothing of the endpoint's configuration, not even why, goes to the requester. */
        refuse(a, code, "unauthorized");
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    memset(st, 0, sizeof *st);
    flush_statuses_of(r, info->endpoint);
    if (r->opts.store != NULL &&
        lwm2m_bs_store_get_status(r->opts.store, info->endpoint, st) == LWM2M_OK && st->failed) {
        r->refused[REFUSED_FAILED]++;
        logf_("%s from %s for endpoint %s refused: every configuration was rejected before (%s)",
              what, peer, info->endpoint, st->diagnostic);
        refuse(a, LWM2M_CODE_BAD_REQUEST, "bootstrap failed for this endpoint");
        lwm2m_bs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Bootstrap-Request: starts a session; the answer in `a` (2.04 or a refusal). */
static void bootstrap_request(lwm2m_bs_runtime *r, bs_link link, coap_mid_t mid,
                              const lwm2m_net_peer *np, const char *query, size_t query_len,
                              bs_answer *a)
{
    char peer[64];
    peer_name(link, peer, sizeof peer);
    lwm2m_bs_request_info info;
    lwm2m_bs_endpoint_status st;
    lwm2m_bs_config *cfg = admit(r, peer, np, "Bootstrap-Request", query, query_len, &info, &st, a);
    if (cfg == NULL)
        return;
    if (r->active >= r->opts.max_sessions && find_session(r, info.endpoint) == NULL) {
        r->refused[REFUSED_BUSY]++;
        logf_("Bootstrap-Request for %s refused: %zu sessions running", info.endpoint, r->active);
        refuse(a, LWM2M_CODE_SERVICE_UNAVAILABLE, "too many sessions");
        lwm2m_bs_config_free(cfg);
        return;
    }
    live_session *l = start_session(r, link, info.endpoint, cfg, &st, info.pct, false);
    if (l == NULL) {
        refuse(a, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    l->request_mid = mid;
    if (query_len < sizeof l->query) {
        memcpy(l->query, query, query_len);
        l->query[query_len] = '\0';
    }
    logf_("Bootstrap-Request from %s: endpoint %s%s%.*s", l->peer, info.endpoint,
          query_len ? ", query " : "", (int)query_len, query_len ? query : "");
    refuse(a, LWM2M_CODE_CHANGED, "");
}

/* Bootstrap-Pack-Request: the pack in r->payload[0..*len) in *fmt, or a refusal in `a`. */
static void pack_request(lwm2m_bs_runtime *r, bs_link link, const lwm2m_net_peer *np,
                         const char *query, size_t query_len, lwm2m_format fmt, size_t *len,
                         bs_answer *a)
{
    char peer[64];
    peer_name(link, peer, sizeof peer);
    lwm2m_bs_request_info info;
    lwm2m_bs_endpoint_status st;
    *len = 0;
    lwm2m_bs_config *cfg =
        admit(r, peer, np, "Bootstrap-Pack-Request", query, query_len, &info, &st, a);
    if (cfg == NULL)
        return;
    size_t plan = st.next_plan < cfg->plan_count ? st.next_plan : 0;
    char diag[200] = "";
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
        *len = out.len;
        break;
    }
    if (rc == LWM2M_OK) {
        logf_("Bootstrap-Pack-Request from %s: endpoint %s, plan %zu, %zu bytes, format %u", peer,
              info.endpoint, plan, *len, (unsigned)fmt);
        refuse(a, LWM2M_CODE_CONTENT, "");
    } else if (rc == LWM2M_ERR_NOT_ALLOWED || rc == LWM2M_ERR_UNSUPPORTED) {
        unsigned code =
            rc == LWM2M_ERR_NOT_ALLOWED ? LWM2M_CODE_METHOD_NOT_ALLOWED : LWM2M_CODE_NOT_ACCEPTABLE;
        logf_("Bootstrap-Pack-Request from %s for %s answered %u.%02u: %s", peer, info.endpoint,
              code >> 5, code & 31, diag);
        refuse(a, code, diag);
    } else {
        refuse(a, LWM2M_CODE_INTERNAL_ERROR, "cannot encode the pack");
    }
    if (rc != LWM2M_OK)
        *len = 0;
    lwm2m_bs_config_free(cfg);
}

/* Which of the two resources a request names, and whether the method fits. */
typedef enum bs_route { ROUTE_BS, ROUTE_PACK, ROUTE_WRONG_METHOD, ROUTE_NONE } bs_route;

static bs_route route_of(unsigned method, const char *path, size_t path_len, bs_answer *a)
{
    bool bs = path_len == 3 && memcmp(path, "/bs", 3) == 0;
    bool pack = path_len == 7 && memcmp(path, "/bspack", 7) == 0;
    if (bs && method == LWM2M_METHOD_POST)
        return ROUTE_BS;
    if (pack && method == LWM2M_METHOD_GET)
        return ROUTE_PACK;
    if (bs || pack)
        refuse(a, LWM2M_CODE_METHOD_NOT_ALLOWED, bs ? "/bs takes POST" : "/bspack takes GET");
    else
        refuse(a, LWM2M_CODE_NOT_FOUND, "not a Bootstrap Server resource");
    return bs || pack ? ROUTE_WRONG_METHOD : ROUTE_NONE;
}

/* ---- libcoap transport ------------------------------------------------------------------ */

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
    bs_answer a;
    bs_link link = {session, NULL};
    lwm2m_net_peer np;
    lwm2m_net_peer_get(r->opts.pki, session, &np);
    const char *q = query ? (const char *)query->s : "";
    size_t qlen = query ? query->length : 0;
    switch (route_of(req.method, req.uri_path, req.uri_path_len, &a)) {
    case ROUTE_BS: {
        /* libcoap 4.3.1 hands a retransmitted request to the handler again: the same message
         * ID from the same client is answered again, not a reason to restart its session. */
        live_session *l = session_of_link(link);
        if (l != NULL && l->request_mid == coap_pdu_get_mid(request)) {
            refuse(&a, LWM2M_CODE_CHANGED, "");
            break;
        }
        bootstrap_request(r, link, coap_pdu_get_mid(request), &np, q, qlen, &a);
        break;
    }
    case ROUTE_PACK: {
        coap_opt_iterator_t it;
        coap_opt_t *acc = coap_check_option(request, COAP_OPTION_ACCEPT, &it);
        lwm2m_format fmt =
            acc ? (lwm2m_format)coap_decode_var_bytes(coap_opt_value(acc), coap_opt_length(acc))
                : LWM2M_FORMAT_SENML_CBOR;
        size_t len = 0;
        pack_request(r, link, &np, q, qlen, fmt, &len, &a);
        if (a.code != LWM2M_CODE_CONTENT)
            break;
        /* Block2 when larger than a datagram: libcoap keeps the copy until it is sent. */
        uint8_t *copy = malloc(len ? len : 1);
        coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CONTENT);
        if (copy != NULL)
            memcpy(copy, r->payload, len);
        if (copy == NULL ||
            !coap_add_data_large_response(resource, session, request, response, query,
                                          (uint16_t)fmt, -1, 0, len, copy, release_payload, copy))
            refuse(&a, LWM2M_CODE_INTERNAL_ERROR, "cannot send the pack");
        else
            return;
        break;
    }
    default:
        break;
    }
    lwm2m_net_reply(response, a.code, a.diag);
}

static live_session *session_of_token(const coap_session_t *s, const coap_pdu_t *pdu)
{
    live_session *l = coap_session_get_app_data(s);
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    if (l != NULL && l->waiting && token.length == l->token_len &&
        memcmp(token.s, l->token, token.length) == 0)
        return l;
    return NULL;
}

/* The answer to the session's outstanding request, from either transport. */
static void session_response(lwm2m_bs_runtime *r, live_session *l, unsigned code, lwm2m_format fmt,
                             const uint8_t *data, size_t len)
{
    l->waiting = false;
    if (r->opts.verbose)
        logf_("session %s: answer %u.%02u (%zu bytes)", l->endpoint, code >> 5, code & 31, len);
    lwm2m_bs_session_on_response(l->bs, code, fmt, data, len, lwm2m_net_now_ms());
    make_ready(r, l);
}

static void session_failure(lwm2m_bs_runtime *r, live_session *l)
{
    l->waiting = false;
    lwm2m_bs_session_on_failure(l->bs, lwm2m_net_now_ms());
    make_ready(r, l);
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    lwm2m_bs_runtime *r = coap_get_app_data(coap_session_get_context(session));
    live_session *l = session_of_token(session, received);
    if (l == NULL)
        return COAP_RESPONSE_OK;
    coap_opt_iterator_t it;
    coap_opt_t *cf = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it);
    lwm2m_format fmt =
        cf ? (lwm2m_format)coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf))
           : LWM2M_FORMAT_NONE;
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    coap_get_data_large(received, &len, &data, &offset, &total);
    session_response(r, l, (unsigned)coap_pdu_get_code(received), fmt, data, len);
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
    live_session *l = session_of_token(session, sent);
    if (l != NULL)
        session_failure(r, l);
}

/* DTLS PSK: the key of whichever endpoint owns the identity the client presents. */
static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    lwm2m_bs_runtime *r = arg;
    char peer[64];
    lwm2m_net_peer_of(session, peer, sizeof peer);
    lwm2m_net_pki_forget(r->opts.pki, session); /* a PSK handshake now, whatever came before */
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

static int on_event(coap_session_t *session, const coap_event_t event)
{
    lwm2m_bs_runtime *r = coap_get_app_data(coap_session_get_context(session));
    if (r != NULL)
        lwm2m_net_pki_event(r->opts.pki, session, event);
    return 0;
}

/* ---- our UDP endpoint ------------------------------------------------------------------- */

static void udp_on_request(void *ctx, lwm2m_udp_peer *peer, const lwm2m_coap_msg *req,
                           lwm2m_udp_reply *reply)
{
    lwm2m_bs_runtime *r = ctx;
    char path[64], query[512];
    bs_answer a;
    bs_link link = {NULL, peer};
    const lwm2m_net_peer nosec = {.mode = LWM2M_NET_PEER_NOSEC, .cn = ""};
    int path_len = lwm2m_coap_join(req, LWM2M_COAP_OPT_URI_PATH, path, sizeof path);
    int query_len = lwm2m_coap_join(req, LWM2M_COAP_OPT_URI_QUERY, query, sizeof query);
    size_t len = 0;
    if (path_len < 0 || query_len < 0) {
        refuse(&a, LWM2M_CODE_BAD_REQUEST, "bad request");
    } else {
        switch (route_of(req->code, path, (size_t)path_len, &a)) {
        case ROUTE_BS:
            /* a retransmission never gets here: the endpoint answers it from its cache */
            bootstrap_request(r, link, -1, &nosec, query, (size_t)query_len, &a);
            break;
        case ROUTE_PACK: {
            uint32_t accept = LWM2M_FORMAT_SENML_CBOR;
            lwm2m_coap_uint(req, LWM2M_COAP_OPT_ACCEPT, &accept);
            if (lwm2m_coap_find(req, LWM2M_COAP_OPT_ACCEPT, NULL) == NULL)
                accept = LWM2M_FORMAT_SENML_CBOR;
            pack_request(r, link, &nosec, query, (size_t)query_len, (lwm2m_format)accept, &len, &a);
            if (a.code == LWM2M_CODE_CONTENT) {
                reply->code = a.code;
                reply->format = (lwm2m_format)accept;
                reply->body = r->payload;
                reply->len = len;
                return;
            }
            break;
        }
        default:
            break;
        }
    }
    reply->code = a.code;
    snprintf(r->reply_diag, sizeof r->reply_diag, "%s", a.diag);
    reply->len = strlen(r->reply_diag);
    reply->body = (const uint8_t *)r->reply_diag;
    reply->format = reply->len > 0 ? LWM2M_FORMAT_TEXT : LWM2M_FORMAT_NONE;
}

static void udp_on_response(void *ctx, lwm2m_udp_peer *peer, uint32_t id, unsigned code,
                            lwm2m_format format, const uint8_t *payload, size_t len)
{
    lwm2m_bs_runtime *r = ctx;
    live_session *l = lwm2m_udp_peer_data(peer);
    if (l != NULL && l->waiting && l->udp_request == id)
        session_response(r, l, code, format, payload, len);
}

static void udp_on_failure(void *ctx, lwm2m_udp_peer *peer, uint32_t id)
{
    lwm2m_bs_runtime *r = ctx;
    live_session *l = lwm2m_udp_peer_data(peer);
    if (l != NULL && l->waiting && l->udp_request == id)
        session_failure(r, l);
}

/* ---- the runtime ------------------------------------------------------------------------ */

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
    r->n_buckets = 1024;
    while (r->n_buckets < r->opts.max_sessions)
        r->n_buckets *= 2;
    r->buckets = calloc(r->n_buckets, sizeof *r->buckets);
    if (r->payload == NULL || r->buckets == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    bool own_udp = opts->listen != NULL && !opts->libcoap_nosec;
    lwm2m_net_server_setup setup = {.app = r,
                                    .on_response = on_response,
                                    .on_nack = on_nack,
                                    .on_request = on_request,
                                    .psk_for_identity = psk_for_identity,
                                    .on_event = on_event,
                                    .listen = own_udp ? NULL : opts->listen,
                                    .dtls_listen = opts->dtls_listen,
                                    .pki = opts->pki};
    r->ctx = lwm2m_net_server_context(&setup, &r->udp_port, &r->dtls_port, err, errlen);
    if (r->ctx == NULL)
        goto fail;
    if (own_udp) {
        lwm2m_udp_options uo = {opts->listen, opts->reuseport, 0, 0, 0, 0};
        lwm2m_udp_handlers uh = {r, udp_on_request, udp_on_response, udp_on_failure};
        r->udp = lwm2m_udp_endpoint_new(&uo, &uh, err, errlen);
        if (r->udp == NULL)
            goto fail;
        r->udp_port = lwm2m_udp_port(r->udp);
    }
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
    flush_statuses(r);
    while (r->outcomes != NULL) {
        last_outcome *o = r->outcomes;
        r->outcomes = o->next;
        free(o);
    }
    free(r->pending);
    free(r->updates);
    lwm2m_udp_endpoint_free(r->udp);
    if (r->ctx != NULL)
        coap_free_context(r->ctx);
    free(r->buckets);
    free(r->payload);
    free(r);
}

uint16_t lwm2m_bs_runtime_port(const lwm2m_bs_runtime *r, bool dtls)
{
    return dtls ? r->dtls_port : r->udp_port;
}

/* Sends what the ready sessions have to send, ends those that are over; every TICK_SCAN_MS,
 * checks every session's deadline. */
static void drive_sessions(lwm2m_bs_runtime *r, int64_t now)
{
    if (now >= r->next_scan_ms) {
        r->next_scan_ms = now + TICK_SCAN_MS;
        for (live_session *l = r->sessions; l != NULL; l = l->next)
            if (lwm2m_bs_session_tick(l->bs, now) != LWM2M_BS_SESSION_RUNNING)
                make_ready(r, l);
    }
    while (r->ready != NULL) {
        live_session *l = r->ready;
        r->ready = l->ready_next;
        l->ready = false;
        pump(r, l, now);
        if (lwm2m_bs_session_state_of(l->bs) != LWM2M_BS_SESSION_RUNNING)
            end_session(r, l);
    }
}

/* After the sockets were read: timers, sessions, sends, statuses. */
static void after_io(lwm2m_bs_runtime *r, int64_t now)
{
    if (r->udp != NULL)
        lwm2m_udp_timers(r->udp, now);
    drive_sessions(r, now);
    if (r->udp != NULL)
        lwm2m_udp_flush(r->udp); /* the answers go out before the disk sync */
    /* One transaction (one disk sync) for the sessions of the last STATUS_BATCH_MS: a session's
     * status is advisory (the plan to start with next time), the client already has its
     * answer, and a new request of the same endpoint flushes first (admit). */
    if (r->n_pending >= STATUS_BATCH_MAX || now - r->pending_since_ms >= STATUS_BATCH_MS)
        flush_statuses(r);
}

void lwm2m_bs_runtime_process(lwm2m_bs_runtime *r, uint32_t timeout_ms, int nfds, fd_set *rfds,
                              fd_set *wfds, fd_set *efds)
{
    fd_set own_r;
    int udp_fd = r->udp != NULL ? lwm2m_udp_fd(r->udp) : -1;
    int64_t now = lwm2m_net_now_ms();
    /* Under load the socket is rarely empty: read it again before paying for a select (a
     * tenth of the server's time at 10,000 bootstraps/s), a few turns in a row at most so the
     * other descriptors (DTLS, HTTP) are still served. */
    if (r->udp_hot && r->hot_turns < HOT_TURNS_MAX) {
        r->hot_turns++;
        if (lwm2m_udp_read(r->udp, now) > 0) {
            after_io(r, now);
            if (rfds != NULL)
                FD_ZERO(rfds);
            if (wfds != NULL)
                FD_ZERO(wfds);
            if (efds != NULL)
                FD_ZERO(efds);
            return;
        }
    }
    r->udp_hot = false;
    r->hot_turns = 0;
    if (r->ready != NULL)
        timeout_ms = 1; /* the shortest wait there is (lwm2m_net_io_process) */
    if (r->active > 0 && r->next_scan_ms - now < (int64_t)timeout_ms)
        timeout_ms = r->next_scan_ms > now ? (uint32_t)(r->next_scan_ms - now) : 1;
    int64_t flush_at = r->pending_since_ms + STATUS_BATCH_MS;
    if (r->n_pending > 0 && flush_at - now < (int64_t)timeout_ms)
        timeout_ms = flush_at > now ? (uint32_t)(flush_at - now) : 1;
    if (udp_fd >= 0) {
        int64_t next = lwm2m_udp_next_timer(r->udp, now);
        if (next >= 0 && next < (int64_t)timeout_ms)
            timeout_ms = next > 0 ? (uint32_t)next : 1;
        if (rfds == NULL || nfds <= 0) {
            FD_ZERO(&own_r);
            rfds = &own_r;
            nfds = 0;
        }
        FD_SET(udp_fd, rfds);
        if (udp_fd >= nfds)
            nfds = udp_fd + 1;
    }
    lwm2m_net_io_process(r->ctx, timeout_ms, nfds, rfds, wfds, efds);
    now = lwm2m_net_now_ms();
    if (udp_fd >= 0 && FD_ISSET(udp_fd, rfds)) {
        FD_CLR(udp_fd, rfds);
        r->udp_hot = lwm2m_udp_read(r->udp, now) > 0;
    }
    after_io(r, now);
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
    if (lwm2m_bs_config_credentials(cfg) != LWM2M_BS_CREDS_NONE) {
        /* Credentials bind the endpoint to DTLS; this path would write its secrets in clear. */
        snprintf(err, errlen, "endpoint '%s' has DTLS credentials; trigger runs over NoSec only",
                 endpoint);
        lwm2m_bs_config_free(cfg);
        return -1;
    }
    bs_link link = {NULL, NULL};
    if (r->udp != NULL)
        link.udp = lwm2m_udp_peer_at(r->udp, host_port, err, errlen);
    else
        link.coap = coap_new_client_session(r->ctx, NULL, &addr, COAP_PROTO_UDP);
    if (link.coap == NULL && link.udp == NULL) {
        if (r->udp == NULL)
            snprintf(err, errlen, "cannot open a session to %s", host_port);
        lwm2m_bs_config_free(cfg);
        return -1;
    }
    lwm2m_bs_endpoint_status st;
    memset(&st, 0, sizeof st);
    flush_statuses_of(r, endpoint);
    if (r->opts.store != NULL)
        lwm2m_bs_store_get_status(r->opts.store, endpoint, &st);
    live_session *l = start_session(r, link, endpoint, cfg, &st, LWM2M_FORMAT_NONE, true);
    /* the live session holds its own reference */
    if (link.coap != NULL)
        coap_session_release(link.coap);
    else
        lwm2m_udp_peer_release(r->udp, link.udp);
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
    lwm2m_buf_puts(&b, "}");
    if (r->udp != NULL) {
        lwm2m_udp_stats u;
        lwm2m_udp_get_stats(r->udp, &u);
        lwm2m_buf_printf(&b,
                         ",\"udp\":{\"received\":%llu,\"sent\":%llu,\"retransmitted\":%llu,"
                         "\"duplicates\":%llu,\"malformed\":%llu,\"unmatched\":%llu,"
                         "\"peers\":%llu}",
                         (unsigned long long)u.received, (unsigned long long)u.sent,
                         (unsigned long long)u.retransmitted, (unsigned long long)u.duplicates,
                         (unsigned long long)u.malformed, (unsigned long long)u.unmatched,
                         (unsigned long long)u.peers);
    }
    lwm2m_buf_puts(&b, "}");
    if (lwm2m_buf_overflowed(&b)) {
        free(out);
        return NULL;
    }
    out[b.len] = '\0';
    return out;
}
