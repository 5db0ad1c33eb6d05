/* The LwM2M Server's transport over libcoap: /rd through lwm2m_rd, Device Management requests
 * to registered clients over the session each one registered from, their answers and Observe
 * notifications. Everything the caller hears about (answers, notifications) is queued and
 * delivered from lwm2m_srv_runtime_process, after libcoap's handlers have returned; requests
 * are queued by lwm2m_srv_send and go out from the loop too (libcoap 4.3.1 must not send from
 * inside a request handler). */
#include "net/server_net.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/sec_store.h"
#include "net/coap_message.h"
#include "net/net_util.h"

#define PAYLOAD_START      4096
#define PAYLOAD_MAX        (1u << 20)
#define DEFAULT_TIMEOUT_MS 30000
#define TOKEN_MAX          8
#define DELIVER_ROUNDS     16 /* callbacks that send again and fail at once cannot spin forever */

/* Where a registered client's requests go: the session of its last Register or Update. */
typedef struct reg_link {
    char endpoint[LWM2M_RD_ENDPOINT_MAX + 1];
    coap_session_t *session; /* referenced */
    bool busy;               /* a request is out: the next waits (order kept, one at a time) */
    struct reg_link *next;
} reg_link;

typedef struct item_list {
    struct item *head, *tail;
} item_list;

/* A request (queued, then sent, then answered) or a notification waiting for delivery. */
typedef struct item {
    struct item *prev, *next;
    item_list *list; /* the list it is on */
    bool notify;     /* a notification (events list only) */
    char endpoint[LWM2M_RD_ENDPOINT_MAX + 1];
    lwm2m_dm_op op;
    lwm2m_path path;
    /* The request. */
    lwm2m_dm_wire wire;
    uint8_t *body; /* the request payload, until sent */
    size_t body_len;
    coap_session_t *session; /* referenced while queued (cancel) or sent */
    reg_link *link;          /* while sent: its client, marked busy */
    uint8_t token[TOKEN_MAX];
    size_t token_len;
    uint64_t obs_id;  /* OBSERVE: the id of the observation; notifications: theirs */
    bool cancel;      /* OBSERVE_CANCEL: session and token are the observation's */
    int64_t deadline; /* no answer by then: code 0 */
    lwm2m_srv_done done;
    void *arg;
    /* The outcome. */
    unsigned code;
    lwm2m_format format;
    uint8_t *answer;
    size_t answer_len;
    const char *error;
} item;

typedef struct observation {
    uint64_t id;
    char endpoint[LWM2M_RD_ENDPOINT_MAX + 1];
    lwm2m_path path;
    coap_session_t *session; /* referenced */
    uint8_t token[TOKEN_MAX];
    size_t token_len;
    struct observation *next;
} observation;

struct lwm2m_srv_runtime {
    lwm2m_srv_options opts;
    lwm2m_srv_hooks hooks;
    lwm2m_rd *rd;
    coap_context_t *ctx;
    uint16_t udp_port, dtls_port;
    reg_link *links;
    reg_link *spare;             /* allocated before each /rd request: REGISTERED needs no malloc */
    coap_session_t *current;     /* the session of the /rd request being handled */
    lwm2m_net_peer current_peer; /* and what its client presented */
    bool closing;                /* lwm2m_srv_runtime_free: no more callbacks */
    bool refused;                /* `authorize` refused (and logged) the /rd request at hand */
    item_list outbox;            /* requests not sent yet */
    item_list sent;              /* requests waiting for their answer */
    item_list events;            /* answers and notifications to deliver */
    observation *observations;
    uint64_t last_obs_id;
    uint8_t *payload;
    size_t payload_cap;
    uint8_t psk_key[LWM2M_SEC_KEY_MAX];
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
    fprintf(stderr, "%s lwm2m-server: %s\n", stamp, line);
}

/* A PSK identity for the log: bytes outside printable ASCII become '?'. */
static const char *printable(const uint8_t *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    if (cap > 0)
        out[n] = '\0';
    return out;
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

static const char *event_name(lwm2m_rd_event e)
{
    switch (e) {
    case LWM2M_RD_REGISTERED:
        return "registered";
    case LWM2M_RD_UPDATED:
        return "updated";
    case LWM2M_RD_DEREGISTERED:
        return "deregistered";
    default:
        return "expired";
    }
}

static const char *nack_text(coap_nack_reason_t reason)
{
    switch (reason) {
    case COAP_NACK_TOO_MANY_RETRIES:
        return "no answer";
    case COAP_NACK_RST:
        return "reset";
    case COAP_NACK_TLS_FAILED:
        return "dtls failed";
    case COAP_NACK_ICMP_ISSUE:
        return "unreachable";
    default:
        return "not deliverable";
    }
}

static unsigned uint_option(const coap_pdu_t *pdu, coap_option_num_t num, unsigned absent)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, num, &it);
    return opt ? coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : absent;
}

/* ---- lists ---- */

static void list_append(item_list *l, item *it)
{
    it->list = l;
    it->next = NULL;
    it->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
}

static void list_unlink(item *it)
{
    item_list *l = it->list;
    if (it->prev != NULL)
        it->prev->next = it->next;
    else
        l->head = it->next;
    if (it->next != NULL)
        it->next->prev = it->prev;
    else
        l->tail = it->prev;
    it->prev = it->next = NULL;
    it->list = NULL;
}

static void item_free(item *it)
{
    if (it->session != NULL)
        coap_session_release(it->session);
    free(it->body);
    free(it->answer);
    free(it);
}

static void list_clear(item_list *l)
{
    while (l->head != NULL) {
        item *it = l->head;
        list_unlink(it);
        item_free(it);
    }
}

static bool same_token(const uint8_t *a, size_t alen, coap_bin_const_t b)
{
    return alen == b.length && (alen == 0 || memcmp(a, b.s, alen) == 0);
}

static item *find_sent(lwm2m_srv_runtime *r, const coap_session_t *s, coap_bin_const_t token)
{
    for (item *it = r->sent.head; it != NULL; it = it->next)
        if (it->session == s && same_token(it->token, it->token_len, token))
            return it;
    return NULL;
}

/* ---- answers and notifications ---- */

static void log_answer(const lwm2m_srv_runtime *r, const item *it)
{
    char path[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&it->path, path, sizeof path);
    if (it->code == 0)
        logf_("dm: endpoint=%s op=%s path=%s no answer (%s)", it->endpoint,
              lwm2m_dm_op_name(it->op), path, it->error ? it->error : "?");
    else if (r->opts.verbose)
        logf_("dm: endpoint=%s op=%s path=%s answer=%u.%02u format=%u bytes=%zu", it->endpoint,
              lwm2m_dm_op_name(it->op), path, it->code >> 5, it->code & 31, (unsigned)it->format,
              it->answer_len);
}

/* Ends a request: its outcome goes to the events list, `done` runs from process(). */
static void complete(lwm2m_srv_runtime *r, item *it, unsigned code, lwm2m_format format,
                     const uint8_t *data, size_t len, const char *error)
{
    list_unlink(it);
    if (it->link != NULL) {
        it->link->busy = false;
        it->link = NULL;
    }
    if (it->session != NULL) {
        coap_session_release(it->session);
        it->session = NULL;
    }
    free(it->body);
    it->body = NULL;
    it->code = code;
    it->format = format;
    it->error = error;
    if (len > 0 && (it->answer = malloc(len)) != NULL) {
        memcpy(it->answer, data, len);
        it->answer_len = len;
    } else if (len > 0) {
        it->code = 0;
        it->format = LWM2M_FORMAT_NONE;
        it->error = "out of memory";
    }
    list_append(&r->events, it);
    log_answer(r, it);
}

static void queue_notification(lwm2m_srv_runtime *r, const observation *o, unsigned code,
                               lwm2m_format format, const uint8_t *data, size_t len)
{
    item *it = calloc(1, sizeof *it);
    if (it == NULL || (len > 0 && (it->answer = malloc(len)) == NULL)) {
        free(it);
        logf_("observe: endpoint=%s obs=%llu notification dropped: out of memory", o->endpoint,
              (unsigned long long)o->id);
        return;
    }
    it->notify = true;
    it->obs_id = o->id;
    memcpy(it->endpoint, o->endpoint, sizeof it->endpoint);
    it->path = o->path;
    it->code = code;
    it->format = format;
    if (len > 0)
        memcpy(it->answer, data, len);
    it->answer_len = len;
    list_append(&r->events, it);
    if (r->opts.verbose)
        logf_("observe: endpoint=%s obs=%llu notification %u.%02u format=%u bytes=%zu", o->endpoint,
              (unsigned long long)o->id, code >> 5, code & 31, (unsigned)format, len);
}

static void deliver(lwm2m_srv_runtime *r)
{
    item *it;
    while ((it = r->events.head) != NULL) {
        list_unlink(it);
        if (!it->notify && it->done != NULL)
            it->done(it->arg, it->code, it->format, it->answer, it->answer_len, it->error);
        else if (it->notify && r->hooks.on_notify != NULL)
            r->hooks.on_notify(r->hooks.ctx, it->obs_id, it->endpoint, &it->path, it->code,
                               it->format, it->answer, it->answer_len);
        item_free(it);
    }
}

/* ---- observations ---- */

static void free_observation(observation *o)
{
    coap_session_release(o->session);
    free(o);
}

static void end_observation(lwm2m_srv_runtime *r, observation *o, const char *why)
{
    observation **pp = &r->observations;
    while (*pp != o)
        pp = &(*pp)->next;
    *pp = o->next;
    char path[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&o->path, path, sizeof path);
    logf_("observe: endpoint=%s path=%s obs=%llu ended (%s)", o->endpoint, path,
          (unsigned long long)o->id, why);
    free_observation(o);
}

static observation *find_observation(lwm2m_srv_runtime *r, const coap_session_t *s,
                                     coap_bin_const_t token)
{
    for (observation *o = r->observations; o != NULL; o = o->next)
        if (o->session == s && same_token(o->token, o->token_len, token))
            return o;
    return NULL;
}

static observation *observation_of(lwm2m_srv_runtime *r, const char *endpoint,
                                   const lwm2m_path *path)
{
    for (observation *o = r->observations; o != NULL; o = o->next)
        if (strcmp(o->endpoint, endpoint) == 0 && lwm2m_path_equal(&o->path, path))
            return o;
    return NULL;
}

/* The first answer of an OBSERVE was 2.05 with Observe: later responses with its token are
 * notifications. A newer observation of the same path replaces the older one (whose
 * notifications are then reset, which cancels it at the client). */
static void start_observation(lwm2m_srv_runtime *r, const item *it, coap_session_t *s)
{
    observation *old = observation_of(r, it->endpoint, &it->path);
    if (old != NULL)
        end_observation(r, old, "replaced");
    observation *o = calloc(1, sizeof *o);
    if (o == NULL) {
        logf_("observe: endpoint=%s obs=%llu not kept: out of memory", it->endpoint,
              (unsigned long long)it->obs_id);
        return;
    }
    o->id = it->obs_id;
    memcpy(o->endpoint, it->endpoint, sizeof o->endpoint);
    o->path = it->path;
    o->session = coap_session_reference(s);
    memcpy(o->token, it->token, it->token_len);
    o->token_len = it->token_len;
    o->next = r->observations;
    r->observations = o;
    char path[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&o->path, path, sizeof path);
    logf_("observe: endpoint=%s path=%s obs=%llu established", o->endpoint, path,
          (unsigned long long)o->id);
}

/* ---- registrations ---- */

static reg_link *find_link(lwm2m_srv_runtime *r, const char *endpoint)
{
    for (reg_link *l = r->links; l != NULL; l = l->next)
        if (strcmp(l->endpoint, endpoint) == 0)
            return l;
    return NULL;
}

static void bind_session(lwm2m_srv_runtime *r, const char *endpoint, coap_session_t *s)
{
    if (s == NULL)
        return;
    reg_link *l = find_link(r, endpoint);
    if (l == NULL) {
        l = r->spare; /* set up before lwm2m_rd_handle; never NULL here */
        if (l == NULL)
            return;
        r->spare = NULL;
        memset(l, 0, sizeof *l);
        snprintf(l->endpoint, sizeof l->endpoint, "%s", endpoint);
        l->next = r->links;
        r->links = l;
    }
    if (l->session != s) {
        coap_session_t *old = l->session;
        l->session = coap_session_reference(s);
        if (old != NULL)
            coap_session_release(old);
    }
}

static void complete_endpoint(lwm2m_srv_runtime *r, item_list *l, const char *endpoint)
{
    for (item *it = l->head, *next; it != NULL; it = next) {
        next = it->next;
        if (strcmp(it->endpoint, endpoint) == 0)
            complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, "deregistered");
    }
}

/* The registration went away: its session, requests and observations go too. */
static void drop_endpoint(lwm2m_srv_runtime *r, const char *endpoint)
{
    complete_endpoint(r, &r->outbox, endpoint);
    complete_endpoint(r, &r->sent, endpoint); /* before the link its items point to goes */
    for (reg_link **pp = &r->links; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->endpoint, endpoint) == 0) {
            reg_link *l = *pp;
            *pp = l->next;
            coap_session_release(l->session);
            free(l);
            break;
        }
    for (observation *o = r->observations, *next; o != NULL; o = next) {
        next = o->next;
        if (strcmp(o->endpoint, endpoint) == 0)
            end_observation(r, o, "registration gone");
    }
}

static void on_rd_event(void *ctx, lwm2m_rd_event event, const lwm2m_registration *reg)
{
    lwm2m_srv_runtime *r = ctx;
    if (r->closing)
        return;
    if (event == LWM2M_RD_REGISTERED || event == LWM2M_RD_UPDATED)
        bind_session(r, reg->endpoint, r->current);
    logf_("registration: event=%s endpoint=%s id=%s address=%s lifetime=%lld version=%s "
          "binding=%s%s secure=%s",
          event_name(event), reg->endpoint, reg->id, reg->address, (long long)reg->lifetime_s,
          reg->version, reg->binding, reg->queue_mode ? " queue=yes" : "",
          reg->secure ? "yes" : "no");
    if (r->hooks.on_registration != NULL)
        r->hooks.on_registration(r->hooks.ctx, event, reg);
    if (event == LWM2M_RD_DEREGISTERED || event == LWM2M_RD_EXPIRED)
        drop_endpoint(r, reg->endpoint);
}

static const char *creds_name(int creds)
{
    switch (creds) {
    case LWM2M_SRV_CREDS_NONE:
        return "no";
    case LWM2M_SRV_CREDS_PSK:
        return "PSK";
    case LWM2M_SRV_CREDS_RPK:
        return "RPK";
    case LWM2M_SRV_CREDS_X509:
        return "X.509";
    default:
        return "unknown";
    }
}

static const char *peer_mode_name(lwm2m_net_peer_mode m)
{
    switch (m) {
    case LWM2M_NET_PEER_NOSEC:
        return "NoSec";
    case LWM2M_NET_PEER_PSK:
        return "PSK";
    case LWM2M_NET_PEER_RPK:
        return "RPK";
    case LWM2M_NET_PEER_X509:
        return "X.509";
    default:
        return "DTLS without known credentials";
    }
}

/* The binding of every mode: a PSK identity or a public key must belong to the endpoint, a
 * certificate's CN must be the endpoint's name or map to it (and the endpoint have X.509
 * credentials); an endpoint with credentials may not register over NoSec or another mode.
 * 0, or 1 with the reason in `why` (logged; the client gets 4.03). */
static int check_binding(lwm2m_srv_runtime *r, const char *endpoint, const lwm2m_net_peer *p,
                         char *why, size_t whylen)
{
    const lwm2m_srv_hooks *h = &r->hooks;
    char owner[LWM2M_RD_ENDPOINT_MAX + 1] = "";
    switch (p->mode) {
    case LWM2M_NET_PEER_NOSEC: {
        /* Anything but a clear "no credentials" keeps the endpoint on DTLS. */
        int creds =
            h->credentials_of != NULL ? h->credentials_of(h->ctx, endpoint) : LWM2M_SRV_CREDS_NONE;
        if (creds == LWM2M_SRV_CREDS_NONE)
            return 0;
        snprintf(why, whylen, "the endpoint has %s credentials, NoSec registration refused",
                 creds_name(creds));
        return 1;
    }
    case LWM2M_NET_PEER_PSK: {
        char id[LWM2M_SEC_IDENTITY_MAX + 1] = "";
        uint8_t key[LWM2M_SEC_KEY_MAX];
        size_t key_len = sizeof key;
        printable(p->psk_identity, p->psk_identity_len, id, sizeof id);
        int rc = h->lookup_identity == NULL
                     ? LWM2M_ERR_NOT_FOUND
                     : h->lookup_identity(h->ctx, p->psk_identity, p->psk_identity_len, owner, key,
                                          &key_len);
        memset(key, 0, sizeof key);
        owner[sizeof owner - 1] = '\0';
        if (rc != LWM2M_OK)
            snprintf(why, whylen, "PSK identity '%s' belongs to no endpoint", id);
        else if (strcmp(owner, endpoint) != 0)
            snprintf(why, whylen, "PSK identity '%s' belongs to endpoint '%s'", id, owner);
        else
            return 0;
        return 1;
    }
    case LWM2M_NET_PEER_RPK: {
        int rc = h->lookup_public_key == NULL
                     ? LWM2M_ERR_NOT_FOUND
                     : h->lookup_public_key(h->ctx, p->public_key, p->public_key_len, owner);
        owner[sizeof owner - 1] = '\0';
        if (rc != LWM2M_OK)
            snprintf(why, whylen, "public key not registered for any endpoint");
        else if (strcmp(owner, endpoint) != 0)
            snprintf(why, whylen, "public key registered for endpoint '%s'", owner);
        else
            return 0;
        return 1;
    }
    case LWM2M_NET_PEER_X509: {
        if (*p->cn == '\0') {
            snprintf(why, whylen, "certificate without subject CN");
            return 1;
        }
        int creds =
            h->credentials_of != NULL ? h->credentials_of(h->ctx, endpoint) : LWM2M_SRV_CREDS_NONE;
        if (creds != LWM2M_SRV_CREDS_X509) {
            snprintf(why, whylen, "the endpoint has %s credentials, X.509 registration refused",
                     creds_name(creds));
            return 1;
        }
        if (strcmp(p->cn, endpoint) == 0)
            return 0;
        int rc = h->lookup_cn != NULL ? h->lookup_cn(h->ctx, p->cn, owner) : LWM2M_ERR_NOT_FOUND;
        owner[sizeof owner - 1] = '\0';
        if (rc == LWM2M_OK && strcmp(owner, endpoint) == 0)
            return 0;
        if (rc == LWM2M_OK)
            snprintf(why, whylen, "certificate CN '%.64s' is mapped to endpoint '%.64s'", p->cn,
                     owner);
        else
            snprintf(why, whylen,
                     "certificate CN '%.64s' is not the endpoint name and is not mapped to it",
                     p->cn);
        return 1;
    }
    default:
        snprintf(why, whylen, "DTLS session without known credentials");
        return 1;
    }
}

static int authorize(void *ctx, const char *endpoint, const lwm2m_rd_peer *peer, char *why,
                     size_t whylen)
{
    lwm2m_srv_runtime *r = ctx;
    int refused = check_binding(r, endpoint, &r->current_peer, why, whylen);
    /* A secure registration keeps an identity its Updates must match: none, none could. */
    if (refused == 0 && peer->secure && (peer->identity == NULL || peer->identity_len == 0)) {
        snprintf(why, whylen, "no registration identity (CN longer than %d bytes)",
                 (int)(sizeof((lwm2m_registration *)0)->identity - strlen(LWM2M_SEC_X509_PREFIX)));
        refused = 1;
    }
    if (refused == 0)
        return 0;
    logf_("security: registration of endpoint %s from %s (%s) refused: %s", endpoint, peer->address,
          peer_mode_name(r->current_peer.mode), why);
    r->refused = true;
    return 1;
}

/* The identity a registration keeps, which its Updates and De-register must present again:
 * the PSK identity; "rpk:" and the endpoint owning the public key; "x509:" and the CN (PSK
 * identities may not start with these prefixes: sec_store.h). 0, or -1 when it cannot be
 * made (no owner, too long): no Update can match it. */
static int rd_identity(lwm2m_srv_runtime *r, const lwm2m_net_peer *p, uint8_t *out, size_t cap,
                       size_t *len)
{
    char owner[LWM2M_RD_ENDPOINT_MAX + 1] = "";
    const char *prefix, *name;
    switch (p->mode) {
    case LWM2M_NET_PEER_PSK:
        if (p->psk_identity_len > cap)
            return -1;
        memcpy(out, p->psk_identity, p->psk_identity_len);
        *len = p->psk_identity_len;
        return 0;
    case LWM2M_NET_PEER_RPK:
        if (r->hooks.lookup_public_key == NULL ||
            r->hooks.lookup_public_key(r->hooks.ctx, p->public_key, p->public_key_len, owner) !=
                LWM2M_OK)
            return -1;
        owner[sizeof owner - 1] = '\0';
        prefix = LWM2M_SEC_RPK_PREFIX;
        name = owner;
        break;
    case LWM2M_NET_PEER_X509:
        prefix = LWM2M_SEC_X509_PREFIX;
        name = p->cn;
        break;
    default:
        return -1;
    }
    size_t n = strlen(prefix), m = strlen(name);
    if (m == 0 || n + m > cap)
        return -1;
    memcpy(out, prefix, n);
    memcpy(out + n, name, m);
    *len = n + m;
    return 0;
}

/* ---- the /rd resource ---- */

static void add_location(coap_pdu_t *response, const char *location)
{
    for (const char *p = location; *p != '\0';) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0)
            coap_add_option(response, COAP_OPTION_LOCATION_PATH, len, (const uint8_t *)p);
        p = end ? end + 1 : p + len;
    }
}

static void handle_rd(lwm2m_srv_runtime *r, coap_session_t *session, const lwm2m_request *req,
                      coap_pdu_t *response)
{
    char address[64];
    lwm2m_net_peer_of(session, address, sizeof address);
    if (r->spare == NULL && (r->spare = calloc(1, sizeof *r->spare)) == NULL) {
        logf_("registration: %s %.*s from %s: out of memory", method_name(req->method),
              (int)req->uri_path_len, req->uri_path, address);
        lwm2m_net_reply(response, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    lwm2m_rd_peer peer = {address, false, NULL, 0};
    uint8_t identity[sizeof((lwm2m_registration *)0)->identity];
    size_t identity_len = 0;
    lwm2m_net_peer_get(r->opts.pki, session, &r->current_peer);
    if (r->current_peer.mode != LWM2M_NET_PEER_NOSEC) {
        peer.secure = true;
        /* No identity (cannot be made): Register is refused by authorize, and an Update or
         * De-register cannot match a registration's. */
        if (rd_identity(r, &r->current_peer, identity, sizeof identity, &identity_len) == 0) {
            peer.identity = identity;
            peer.identity_len = identity_len;
        }
    }
    uint8_t buf[256];
    lwm2m_response resp;
    resp.code = LWM2M_CODE_INTERNAL_ERROR;
    resp.format = LWM2M_FORMAT_NONE;
    resp.payload = lwm2m_buf_init(buf, sizeof buf);
    char location[LWM2M_RD_ID_MAX + 8] = "";
    r->current = session;
    r->refused = false;
    int event =
        lwm2m_rd_handle(r->rd, req, &peer, lwm2m_net_now_ms(), &resp, location, sizeof location);
    r->current = NULL;
    if (resp.code == LWM2M_CODE_CREATED)
        add_location(response, location);
    lwm2m_net_response_to_pdu(&resp, response);
    if (event < 0 && !r->refused) {
        size_t n = resp.payload.len <= resp.payload.cap ? resp.payload.len : 0;
        logf_("registration: %s %.*s%s%.*s from %s refused (%u.%02u)%s%.*s",
              method_name(req->method), (int)req->uri_path_len, req->uri_path,
              req->query_len ? "?" : "", (int)req->query_len, req->query ? req->query : "", address,
              resp.code >> 5, resp.code & 31, n ? ": " : "", (int)n,
              (const char *)resp.payload.data);
    }
}

static void on_request(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    lwm2m_srv_runtime *r = coap_get_app_data(coap_session_get_context(session));
    lwm2m_net_scratch scratch;
    lwm2m_request req;
    if (lwm2m_net_request_from_pdu(request, query, &scratch, &req) != LWM2M_OK) {
        lwm2m_net_reply(response, LWM2M_CODE_BAD_REQUEST, "bad request");
        return;
    }
    bool rd = (req.uri_path_len == 3 && memcmp(req.uri_path, "/rd", 3) == 0) ||
              (req.uri_path_len > 4 && memcmp(req.uri_path, "/rd/", 4) == 0);
    if (rd)
        handle_rd(r, session, &req, response);
    else
        lwm2m_net_reply(response, LWM2M_CODE_NOT_FOUND, "not a LwM2M Server resource");
}

/* ---- answers from clients ---- */

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    lwm2m_srv_runtime *r = coap_get_app_data(coap_session_get_context(session));
    coap_bin_const_t token = coap_pdu_get_token(received);
    unsigned code = (unsigned)coap_pdu_get_code(received);
    lwm2m_format format =
        (lwm2m_format)uint_option(received, COAP_OPTION_CONTENT_FORMAT, LWM2M_FORMAT_NONE);
    coap_opt_iterator_t oit;
    bool observe = coap_check_option(received, COAP_OPTION_OBSERVE, &oit) != NULL;
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data_large(received, &len, &data, &offset, &total))
        len = 0;
    item *it = find_sent(r, session, token);
    if (it != NULL) {
        /* A notification still on its way when the cancel went out: not the cancel's answer. */
        if (it->cancel && observe)
            return COAP_RESPONSE_OK;
        if (it->op == LWM2M_DM_OBSERVE && code == LWM2M_CODE_CONTENT && observe)
            start_observation(r, it, session);
        complete(r, it, code, format, data, len, NULL);
        return COAP_RESPONSE_OK;
    }
    observation *o = find_observation(r, session, token);
    if (o != NULL) {
        queue_notification(r, o, code, format, data, len);
        if (code != LWM2M_CODE_CONTENT || !observe) {
            char why[48];
            snprintf(why, sizeof why, "%u.%02u%s", code >> 5, code & 31,
                     observe ? "" : " without Observe");
            end_observation(r, o, why);
        }
        return COAP_RESPONSE_OK;
    }
    if (r->opts.verbose) {
        char peer[64];
        lwm2m_net_peer_of(session, peer, sizeof peer);
        logf_("dm: unexpected %u.%02u from %s (unknown token), reset", code >> 5, code & 31, peer);
    }
    /* An RST to a notification nobody follows cancels the observation at the client. */
    return COAP_RESPONSE_FAIL;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    if (sent == NULL)
        return;
    lwm2m_srv_runtime *r = coap_get_app_data(coap_session_get_context(session));
    item *it = find_sent(r, session, coap_pdu_get_token(sent));
    if (it != NULL)
        complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, nack_text(reason));
}

/* DTLS PSK: the key of whichever endpoint owns the identity the client presents. */
static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    lwm2m_srv_runtime *r = arg;
    char owner[LWM2M_RD_ENDPOINT_MAX + 1] = "";
    size_t key_len = sizeof r->psk_key;
    lwm2m_net_pki_forget(r->opts.pki, session); /* a PSK handshake now, whatever came before */
    if (identity != NULL && r->hooks.lookup_identity != NULL &&
        r->hooks.lookup_identity(r->hooks.ctx, identity->s, identity->length, owner, r->psk_key,
                                 &key_len) == LWM2M_OK &&
        key_len > 0 && key_len <= sizeof r->psk_key) {
        r->psk_key_bin.s = r->psk_key;
        r->psk_key_bin.length = key_len;
        return &r->psk_key_bin;
    }
    char peer[64], id[LWM2M_SEC_IDENTITY_MAX + 1] = "";
    lwm2m_net_peer_of(session, peer, sizeof peer);
    if (identity != NULL)
        printable(identity->s, identity->length, id, sizeof id);
    logf_("security: DTLS handshake from %s with unknown PSK identity '%s' refused", peer, id);
    return NULL;
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
    lwm2m_srv_runtime *r = coap_get_app_data(coap_session_get_context(session));
    if (r != NULL)
        lwm2m_net_pki_event(r->opts.pki, session, event);
    return 0;
}

/* ---- sending ---- */

static void release_payload(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

static coap_pdu_t *build_pdu(item *it)
{
    coap_pdu_t *pdu =
        lwm2m_net_new_request(it->session, it->wire.method, it->wire.path, it->wire.format,
                              it->wire.accept, it->wire.query, NULL, 0, it->token, &it->token_len);
    if (pdu == NULL)
        return NULL;
    if (it->wire.observe != LWM2M_OBSERVE_NONE) {
        /* Observe (6) sorts before Uri-Path (11): libcoap inserts it in order. */
        uint8_t buf[4];
        unsigned v = it->wire.observe == LWM2M_OBSERVE_CANCEL ? 1 : 0;
        if (coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof buf, v),
                            buf) == 0)
            goto fail;
    }
    if (it->body_len > 0) {
        /* Block-wise (RFC 7959) when larger than a datagram: libcoap owns the body now. */
        uint8_t *body = it->body;
        it->body = NULL;
        if (!coap_add_data_large_request(it->session, pdu, it->body_len, body, release_payload,
                                         body))
            goto fail; /* libcoap released the body */
    }
    return pdu;
fail:
    coap_delete_pdu(pdu);
    return NULL;
}

static void log_request(const lwm2m_srv_runtime *r, const item *it)
{
    if (!r->opts.verbose)
        return;
    char path[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&it->path, path, sizeof path);
    logf_("dm: endpoint=%s op=%s path=%s %s %s%s%s%s format=%u accept=%u bytes=%zu", it->endpoint,
          lwm2m_dm_op_name(it->op), path, method_name(it->wire.method), it->wire.path,
          it->wire.query[0] ? "?" : "", it->wire.query,
          it->wire.observe == LWM2M_OBSERVE_REGISTER ? " observe=0"
          : it->wire.observe == LWM2M_OBSERVE_CANCEL ? " observe=1"
                                                     : "",
          (unsigned)it->wire.format, (unsigned)it->wire.accept, it->body_len);
}

/* Sends one queued request over its client's session. */
static void send_one(lwm2m_srv_runtime *r, item *it, reg_link *l)
{
    log_request(r, it);
    list_unlink(it);
    list_append(&r->sent, it);
    it->link = l;
    l->busy = true;
    if (it->cancel) {
        /* libcoap tracks the observation (lg_crcv): its own cancel keeps the token, where
         * coap_send would put its internal token on a GET with Observe 1. */
        coap_binary_t token = {it->token_len, it->token};
        if (coap_cancel_observe(it->session, &token, COAP_MESSAGE_CON))
            return;
        /* Not tracked any more: a plain GET with Observe 1; notifications still coming are
         * reset, which cancels too. */
        coap_session_release(it->session);
        it->session = NULL;
        it->cancel = false;
    }
    if (it->session == NULL)
        it->session = coap_session_reference(l->session);
    coap_pdu_t *pdu = build_pdu(it);
    if (pdu == NULL) {
        complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, "out of memory");
        return;
    }
    /* A nack from inside coap_send finds the item on the sent list and completes it. */
    coap_mid_t mid = coap_send(it->session, pdu);
    if (mid == COAP_INVALID_MID && it->list == &r->sent)
        complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, "cannot send");
}

/* Sends what may go: one request at a time per client, in the order they were asked for
 * (libcoap's NSTART queue alone lets a request overtake a block-wise one). */
static void flush(lwm2m_srv_runtime *r)
{
    for (item *it = r->outbox.head; it != NULL;) {
        reg_link *l = find_link(r, it->endpoint);
        if (l != NULL && l->busy) {
            it = it->next;
            continue;
        }
        if (l == NULL) /* cannot happen: drop_endpoint completed it */
            complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, "deregistered");
        else
            send_one(r, it, l);
        /* Every pass takes one item out; a failing session may have completed others. */
        it = r->outbox.head;
    }
}

static void expire_requests(lwm2m_srv_runtime *r, item_list *l, int64_t now)
{
    for (item *it = l->head, *next; it != NULL; it = next) {
        next = it->next;
        if (now >= it->deadline)
            complete(r, it, 0, LWM2M_FORMAT_NONE, NULL, 0, "timeout");
    }
}

static int64_t next_deadline(const lwm2m_srv_runtime *r)
{
    int64_t next = lwm2m_rd_next_expiry(r->rd);
    const item_list *lists[] = {&r->outbox, &r->sent};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        for (const item *it = lists[i]->head; it != NULL; it = it->next)
            if (it->deadline < next)
                next = it->deadline;
    return next;
}

/* ---- public ---- */

lwm2m_srv_runtime *lwm2m_srv_runtime_new(const lwm2m_srv_options *opts,
                                         const lwm2m_srv_hooks *hooks, char *err, size_t errlen)
{
    lwm2m_srv_runtime *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->opts = *opts;
    r->hooks = *hooks;
    if (r->opts.request_timeout_ms <= 0)
        r->opts.request_timeout_ms = DEFAULT_TIMEOUT_MS;
    lwm2m_rd_options ro;
    memset(&ro, 0, sizeof ro);
    ro.grace_ms = opts->grace_ms;
    ro.max_registrations = opts->max_registrations;
    ro.seed = (uint32_t)lwm2m_net_now_ms() ^ ((uint32_t)getpid() << 16) ^ (uint32_t)time(NULL);
    lwm2m_rd_hooks rh = {r, on_rd_event, authorize};
    r->payload_cap = PAYLOAD_START;
    r->payload = malloc(r->payload_cap);
    r->rd = lwm2m_rd_new(&ro, &rh);
    if (r->payload == NULL || r->rd == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    lwm2m_net_server_setup setup = {.app = r,
                                    .on_response = on_response,
                                    .on_nack = on_nack,
                                    .on_request = on_request,
                                    .psk_for_identity = psk_for_identity,
                                    .on_event = on_event,
                                    .listen = opts->listen,
                                    .dtls_listen = opts->dtls_listen,
                                    .pki = opts->pki};
    r->ctx = lwm2m_net_server_context(&setup, &r->udp_port, &r->dtls_port, err, errlen);
    if (r->ctx == NULL)
        goto fail;
    return r;
fail:
    lwm2m_srv_runtime_free(r);
    return NULL;
}

void lwm2m_srv_runtime_free(lwm2m_srv_runtime *r)
{
    if (r == NULL)
        return;
    r->closing = true;
    lwm2m_rd_free(r->rd);
    /* Every session reference goes before the context, which frees the sessions. */
    list_clear(&r->outbox);
    list_clear(&r->sent);
    list_clear(&r->events);
    while (r->observations != NULL) {
        observation *o = r->observations;
        r->observations = o->next;
        free_observation(o);
    }
    while (r->links != NULL) {
        reg_link *l = r->links;
        r->links = l->next;
        coap_session_release(l->session);
        free(l);
    }
    free(r->spare);
    if (r->ctx != NULL)
        coap_free_context(r->ctx);
    free(r->payload);
    memset(r->psk_key, 0, sizeof r->psk_key);
    free(r);
}

uint16_t lwm2m_srv_runtime_port(const lwm2m_srv_runtime *r, bool dtls)
{
    return dtls ? r->dtls_port : r->udp_port;
}

void lwm2m_srv_runtime_process(lwm2m_srv_runtime *r, uint32_t timeout_ms, int nfds, fd_set *rfds,
                               fd_set *wfds, fd_set *efds)
{
    flush(r);
    /* Wake up in time for the next expiry or request deadline. */
    int64_t until = next_deadline(r) - lwm2m_net_now_ms();
    if (until < (int64_t)timeout_ms)
        timeout_ms = until > 0 ? (uint32_t)until : 1;
    lwm2m_net_io_process(r->ctx, timeout_ms, nfds, rfds, wfds, efds);
    int64_t now = lwm2m_net_now_ms();
    if (now >= lwm2m_rd_next_expiry(r->rd))
        lwm2m_rd_expire(r->rd, now);
    expire_requests(r, &r->outbox, now);
    expire_requests(r, &r->sent, now);
    /* Callbacks may send again: those requests go out now, not after the next wait. */
    for (int round = 0; round < DELIVER_ROUNDS && r->events.head != NULL; round++) {
        deliver(r);
        flush(r);
    }
}

int lwm2m_srv_send(lwm2m_srv_runtime *r, const char *endpoint, const lwm2m_dm_args *args,
                   lwm2m_srv_done done, void *arg, uint64_t *obs_id, char *err, size_t errlen)
{
    const lwm2m_registration *reg = lwm2m_rd_find(r->rd, endpoint);
    if (reg == NULL || find_link(r, endpoint) == NULL) {
        snprintf(err, errlen, "endpoint '%s' is not registered", endpoint);
        return LWM2M_ERR_NOT_FOUND;
    }
    lwm2m_dm_wire wire;
    lwm2m_buf payload;
    int rc;
    for (;;) {
        payload = lwm2m_buf_init(r->payload, r->payload_cap);
        rc = lwm2m_dm_build(reg, args, &wire, &payload, err, errlen);
        if (rc != LWM2M_ERR_OVERFLOW || payload.len > PAYLOAD_MAX || payload.len <= r->payload_cap)
            break;
        uint8_t *grown = realloc(r->payload, payload.len);
        if (grown == NULL) {
            snprintf(err, errlen, "out of memory");
            return LWM2M_ERR_NOMEM;
        }
        r->payload = grown;
        r->payload_cap = payload.len;
    }
    if (rc == LWM2M_ERR_OVERFLOW && payload.len > PAYLOAD_MAX)
        snprintf(err, errlen, "request payload larger than %u bytes", PAYLOAD_MAX);
    if (rc != LWM2M_OK)
        return rc;
    observation *o = NULL;
    if (args->op == LWM2M_DM_OBSERVE_CANCEL &&
        (o = observation_of(r, endpoint, &args->path)) == NULL) {
        char path[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&args->path, path, sizeof path);
        snprintf(err, errlen, "no observation of %s", path);
        return LWM2M_ERR_NOT_FOUND;
    }
    item *it = calloc(1, sizeof *it);
    if (it == NULL || (payload.len > 0 && (it->body = malloc(payload.len)) == NULL)) {
        free(it);
        snprintf(err, errlen, "out of memory");
        return LWM2M_ERR_NOMEM;
    }
    snprintf(it->endpoint, sizeof it->endpoint, "%s", endpoint);
    it->op = args->op;
    it->path = args->path;
    it->wire = wire;
    if (payload.len > 0)
        memcpy(it->body, payload.data, payload.len);
    it->body_len = payload.len;
    it->done = done;
    it->arg = arg;
    it->deadline = lwm2m_net_now_ms() + r->opts.request_timeout_ms;
    if (args->op == LWM2M_DM_OBSERVE) {
        it->obs_id = ++r->last_obs_id;
        if (obs_id != NULL)
            *obs_id = it->obs_id;
    } else if (o != NULL) {
        /* The cancel reuses the observation's token on its session; it is forgotten now. */
        it->cancel = true;
        it->session = coap_session_reference(o->session);
        memcpy(it->token, o->token, o->token_len);
        it->token_len = o->token_len;
        it->obs_id = o->id;
        end_observation(r, o, "cancelled");
    }
    list_append(&r->outbox, it);
    return LWM2M_OK;
}

void lwm2m_srv_forget(lwm2m_srv_runtime *r, void *arg)
{
    item_list *lists[] = {&r->outbox, &r->sent, &r->events};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        for (item *it = lists[i]->head; it != NULL; it = it->next)
            if (!it->notify && it->arg == arg)
                it->done = NULL;
}

const lwm2m_rd *lwm2m_srv_rd(const lwm2m_srv_runtime *r)
{
    return r->rd;
}

void lwm2m_srv_observations(const lwm2m_srv_runtime *r,
                            void (*fn)(void *ctx, uint64_t obs_id, const char *endpoint,
                                       const lwm2m_path *path),
                            void *ctx)
{
    for (const observation *o = r->observations; o != NULL; o = o->next)
        fn(ctx, o->id, o->endpoint, &o->path);
}
