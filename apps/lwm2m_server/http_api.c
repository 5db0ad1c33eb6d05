/* The LwM2M Server's HTTP JSON API (routes in http_api.h, contract in docs/server-api.md). */
#include "http_api.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_util.h"
#include "events.h"
#include "http_util.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/dm_server.h"
#include "lwm2m/error.h"
#include "security_cmd.h"

#define BODY_MAX      (64u * 1024u)
#define CONN_LIMIT    256
#define CONN_TIMEOUT  60   /* seconds of silence before an active connection is closed */
#define GONE_CHECK_MS 1000 /* how often waiting calls are checked for a closed peer */
#define WHAT_MAX      160  /* "METHOD URL" kept for the log */

typedef struct request request;

struct srv_http {
    struct MHD_Daemon *d;
    srv_http_env env;
    srv_events *events;
    request *waiting; /* calls suspended until the client's answer */
    int64_t next_gone_check_ms;
    int64_t next_due_ms; /* when srv_http_run is due for timers */
    bool started;
    char start_error[200]; /* libmicrohttpd's message while starting */
};

typedef enum call_state {
    CALL_NEW,      /* reading the request */
    CALL_WAITING,  /* suspended, the runtime owes an answer */
    CALL_ANSWERED, /* resumed with `answer` to send */
    CALL_GONE,     /* its client went away: close */
} call_state;

/* Per connection and request. Freed when libmicrohttpd completes the request, which first
 * makes the runtime forget a `done` still owed to it. */
struct request {
    srv_http *h;
    struct MHD_Connection *con;
    char what[WHAT_MAX];
    lwm2m_app_http_body in; /* up to BODY_MAX */
    call_state state;
    bool pending; /* the runtime will call on_done with this request */
    request *prev, *next;
    int64_t deadline_ms;
    int64_t timeout_s;
    lwm2m_dm_op op;
    lwm2m_path path;
    uint64_t obs_id;
    bool observing;  /* obs_id is an established observation */
    unsigned status; /* the HTTP status of `answer` */
    unsigned code;   /* the client's CoAP code, for the log */
    char *answer;
};

void srv_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lwm2m_app_vlog("lwm2m-server", fmt, ap);
    va_end(ap);
}

/* ---- responses ---------------------------------------------------------------------------- */

/* One log line for a failed call (for every call with -v), with the body's "error" or the
 * client's "diagnostic". */
static void log_call(const request *q, unsigned status, const char *body)
{
    if (q == NULL)
        return;
    bool failed = status >= 400 || (q->code >= LWM2M_COAP_CODE(4, 0));
    if (!failed && !q->h->env.verbose)
        return;
    char why[300] = "";
    cJSON *root = body != NULL ? cJSON_Parse(body) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "diagnostic");
    if (cJSON_IsString(e))
        snprintf(why, sizeof why, ": %s", e->valuestring);
    else if (cJSON_IsString(d))
        snprintf(why, sizeof why, ": %s", d->valuestring);
    cJSON_Delete(root);
    if (q->code != 0)
        srv_log("api: %s -> %u (client answered %u.%02u)%s", q->what, status, q->code >> 5,
                q->code & 31, why);
    else
        srv_log("api: %s -> %u%s", q->what, status, why);
}

/* Queues `body` (taken over and freed; NULL: empty) with status and JSON content type. */
static enum MHD_Result reply(struct MHD_Connection *con, const request *q, unsigned status,
                             char *body)
{
    log_call(q, status, body);
    return lwm2m_app_http_reply(con, status, body, body != NULL ? "application/json" : NULL,
                                "GET, PUT, PATCH, POST, DELETE");
}

__attribute__((format(printf, 4, 5))) static enum MHD_Result
reply_error(struct MHD_Connection *con, const request *q, unsigned status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return reply(con, q, status, lwm2m_app_http_error_json(msg));
}

static enum MHD_Result reply_json(struct MHD_Connection *con, const request *q, unsigned status,
                                  cJSON *item)
{
    char *text = item != NULL ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (text == NULL)
        return reply_error(con, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return reply(con, q, status, text);
}

/* ---- routes ------------------------------------------------------------------------------- */

typedef struct route {
    struct MHD_Connection *con;
    srv_http *h;
    const char *method;
    request *q;
} route;

static bool is(const route *r, const char *method)
{
    return strcmp(r->method, method) == 0;
}

static bool is_get(const route *r)
{
    return lwm2m_app_http_is_get(r->method);
}

static enum MHD_Result not_allowed(const route *r)
{
    return reply_error(r->con, r->q, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed here",
                       r->method);
}

/* A query argument percent-decoded into out ("" when absent); false when malformed. */
static bool query_arg(const route *r, const char *key, char *out, size_t cap, bool *present)
{
    return lwm2m_app_http_query_arg(r->con, key, out, cap, present);
}

static const lwm2m_rd *directory(const route *r)
{
    return lwm2m_srv_rd(r->h->env.runtime);
}

static cJSON *registration_item(const lwm2m_registration *reg, int64_t now)
{
    char *text = lwm2m_dm_registration_json(reg, now);
    cJSON *item = text != NULL ? cJSON_Parse(text) : NULL;
    free(text);
    return item;
}

static int by_endpoint(const void *a, const void *b)
{
    const lwm2m_registration *const *x = a, *const *y = b;
    return strcmp((*x)->endpoint, (*y)->endpoint);
}

/* GET /api/clients: sorted by endpoint. */
static enum MHD_Result list_clients(const route *r)
{
    if (!is_get(r))
        return not_allowed(r);
    const lwm2m_rd *rd = directory(r);
    size_t n = lwm2m_rd_count(rd);
    const lwm2m_registration **regs = calloc(n + 1, sizeof *regs);
    cJSON *list = cJSON_CreateArray();
    bool ok = regs != NULL && list != NULL;
    for (size_t i = 0; i < n && ok; i++)
        regs[i] = lwm2m_rd_at(rd, i);
    if (ok)
        qsort(regs, n, sizeof *regs, by_endpoint);
    int64_t now = srv_now_ms();
    for (size_t i = 0; i < n && ok; i++) {
        cJSON *item = registration_item(regs[i], now);
        ok = item != NULL && cJSON_AddItemToArray(list, item);
        if (!ok)
            cJSON_Delete(item);
    }
    free(regs);
    if (!ok) {
        cJSON_Delete(list);
        list = NULL;
    }
    return reply_json(r->con, r->q, MHD_HTTP_OK, list);
}

static enum MHD_Result not_registered(const route *r, const char *ep)
{
    return reply_error(r->con, r->q, MHD_HTTP_NOT_FOUND, "endpoint '%s' is not registered", ep);
}

/* GET /api/clients/{ep} */
static enum MHD_Result show_client(const route *r, const char *ep)
{
    if (!is_get(r))
        return not_allowed(r);
    const lwm2m_registration *reg = lwm2m_rd_find(directory(r), ep);
    if (reg == NULL)
        return not_registered(r, ep);
    return reply_json(r->con, r->q, MHD_HTTP_OK, registration_item(reg, srv_now_ms()));
}

typedef struct obs_list {
    cJSON *list;
    const char *endpoint; /* filter, "" none */
    bool nomem;
} obs_list;

static void add_observation(void *ctx, uint64_t obs_id, const char *endpoint,
                            const lwm2m_path *path)
{
    obs_list *l = ctx;
    if (l->nomem || (l->endpoint[0] != '\0' && strcmp(l->endpoint, endpoint) != 0))
        return;
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(path, p, sizeof p);
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || cJSON_AddNumberToObject(o, "id", (double)obs_id) == NULL ||
        cJSON_AddStringToObject(o, "endpoint", endpoint) == NULL ||
        cJSON_AddStringToObject(o, "path", p) == NULL || !cJSON_AddItemToArray(l->list, o)) {
        cJSON_Delete(o);
        l->nomem = true;
    }
}

/* GET /api/observations[?endpoint=EP] */
static enum MHD_Result list_observations(const route *r)
{
    if (!is_get(r))
        return not_allowed(r);
    char ep[LWM2M_RD_ENDPOINT_MAX + 1];
    if (!query_arg(r, "endpoint", ep, sizeof ep, NULL))
        return reply_error(r->con, r->q, MHD_HTTP_BAD_REQUEST, "bad endpoint in the query");
    obs_list l = {cJSON_CreateArray(), ep, false};
    if (l.list != NULL)
        lwm2m_srv_observations(r->h->env.runtime, add_observation, &l);
    if (l.nomem) {
        cJSON_Delete(l.list);
        l.list = NULL;
    }
    return reply_json(r->con, r->q, MHD_HTTP_OK, l.list);
}

/* GET /api/events[?endpoint=EP] */
static enum MHD_Result open_events(const route *r)
{
    if (!is(r, MHD_HTTP_METHOD_GET))
        return not_allowed(r);
    char ep[LWM2M_RD_ENDPOINT_MAX + 1];
    if (!query_arg(r, "endpoint", ep, sizeof ep, NULL))
        return reply_error(r->con, r->q, MHD_HTTP_BAD_REQUEST, "bad endpoint in the query");
    if (r->h->env.verbose)
        srv_log("api: %s -> 200 (event stream%s%s)", r->q->what, ep[0] ? " of " : "", ep);
    return srv_events_open(r->h->events, r->con, ep);
}

/* ---- credentials -------------------------------------------------------------------------- */

static const char *store_error(const route *r)
{
    const char *e = lwm2m_sec_store_last_error(r->h->env.store);
    return e != NULL && e[0] != '\0' ? e : "store error";
}

/* The credentials of a PUT /api/security/{ep} body: {"pskIdentity": .., "pskKey": hex},
 * {"rpkPublicKey": hex of a SubjectPublicKeyInfo} or {"x509": true}. 0, or an HTTP status
 * with `err`. */
static unsigned security_body(const cJSON *root, const char *ep, lwm2m_sec_info *info, char *err,
                              size_t errlen)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "pskIdentity");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "pskKey");
    const cJSON *rpk = cJSON_GetObjectItemCaseSensitive(root, "rpkPublicKey");
    const cJSON *x509 = cJSON_GetObjectItemCaseSensitive(root, "x509");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    int members = (id != NULL) + (key != NULL) + (rpk != NULL) + (x509 != NULL) + (name != NULL);
    bool psk = id != NULL || key != NULL;
    if (!cJSON_IsObject(root) || (psk + (rpk != NULL) + (x509 != NULL)) != 1 ||
        (psk && (!cJSON_IsString(id) || !cJSON_IsString(key))) ||
        (rpk != NULL && !cJSON_IsString(rpk)) || (x509 != NULL && !cJSON_IsTrue(x509))) {
        lwm2m_app_errf(err, errlen,
                       "expected {\"pskIdentity\": TEXT, \"pskKey\": HEX}, "
                       "{\"rpkPublicKey\": HEX} or {\"x509\": true}");
        return MHD_HTTP_BAD_REQUEST;
    }
    if (name != NULL && (!cJSON_IsString(name) || strcmp(name->valuestring, ep) != 0)) {
        lwm2m_app_errf(err, errlen, "the body's \"endpoint\" differs from '%s' in the URL", ep);
        return MHD_HTTP_BAD_REQUEST;
    }
    if (cJSON_GetArraySize(root) != members) {
        lwm2m_app_errf(err, errlen,
                       "unknown member: expected pskIdentity and pskKey, "
                       "rpkPublicKey or x509 only");
        return MHD_HTTP_BAD_REQUEST;
    }
    int rc;
    if (psk) {
        rc = srv_security_fill(info, ep, id->valuestring, key->valuestring, err, errlen);
    } else if (rpk != NULL) {
        uint8_t spki[LWM2M_SEC_PUBLIC_KEY_MAX];
        size_t len = lwm2m_app_parse_hex(rpk->valuestring, spki, sizeof spki);
        rc = srv_security_fill_pki(info, ep, spki, len, false, err, errlen);
    } else {
        rc = srv_security_fill_pki(info, ep, NULL, 0, true, err, errlen);
    }
    return rc == LWM2M_OK ? 0 : MHD_HTTP_BAD_REQUEST;
}

/* PUT /api/security/{ep} */
static enum MHD_Result put_security(const route *r, const char *ep)
{
    cJSON *root = cJSON_ParseWithLength(r->q->in.text != NULL ? r->q->in.text : "", r->q->in.len);
    char err[512] = "";
    lwm2m_sec_info info;
    unsigned status = security_body(root, ep, &info, err, sizeof err);
    cJSON_Delete(root);
    if (status != 0)
        return reply_error(r->con, r->q, status, "%s", err);
    lwm2m_sec_info old;
    bool existed = lwm2m_sec_store_get(r->h->env.store, ep, &old) == LWM2M_OK;
    int rc = lwm2m_sec_store_put(r->h->env.store, &info, err, sizeof err);
    if (rc == LWM2M_ERR_EXISTS)
        return reply_error(r->con, r->q, MHD_HTTP_CONFLICT, "%s", err);
    if (rc == LWM2M_ERR_INVALID)
        return reply_error(r->con, r->q, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (rc != LWM2M_OK)
        return reply_error(r->con, r->q, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
                           err[0] != '\0' ? err : store_error(r));
    return reply_json(r->con, r->q, existed ? MHD_HTTP_OK : MHD_HTTP_CREATED,
                      srv_security_item(&info));
}

/* /api/security[/{ep}]; `ep` NULL for the collection. */
static enum MHD_Result security(const route *r, const char *ep)
{
    if (ep == NULL) {
        if (!is_get(r))
            return not_allowed(r);
        char *json = NULL;
        int rc = srv_security_list_json(r->h->env.store, &json);
        if (rc != LWM2M_OK)
            return reply_error(r->con, r->q, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
                               rc == LWM2M_ERR_NOMEM ? "out of memory" : store_error(r));
        return reply(r->con, r->q, MHD_HTTP_OK, json);
    }
    if (is(r, MHD_HTTP_METHOD_PUT))
        return put_security(r, ep);
    lwm2m_sec_info info;
    int rc;
    if (is_get(r))
        rc = lwm2m_sec_store_get(r->h->env.store, ep, &info);
    else if (is(r, MHD_HTTP_METHOD_DELETE))
        rc = lwm2m_sec_store_remove(r->h->env.store, ep);
    else
        return not_allowed(r);
    if (rc == LWM2M_ERR_NOT_FOUND)
        return reply_error(r->con, r->q, MHD_HTTP_NOT_FOUND, "no credentials for '%s'", ep);
    if (rc != LWM2M_OK)
        return reply_error(r->con, r->q, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", store_error(r));
    if (!is_get(r))
        return reply(r->con, r->q, MHD_HTTP_NO_CONTENT, NULL);
    return reply_json(r->con, r->q, MHD_HTTP_OK, srv_security_item(&info));
}

/* ---- device management calls -------------------------------------------------------------- */

typedef enum dm_kind { DM_PLAIN, DM_DISCOVER, DM_ATTRIBUTES, DM_OBSERVE } dm_kind;

/* "/3/0/13" or "/3/0/13/observe" into the path and the kind of call. */
static bool split_dm_path(const char *s, lwm2m_path *path, dm_kind *kind)
{
    static const struct {
        const char *word;
        dm_kind kind;
    } words[] = {{"discover", DM_DISCOVER}, {"attributes", DM_ATTRIBUTES}, {"observe", DM_OBSERVE}};
    size_t len = strlen(s);
    const char *last = strrchr(s, '/');
    *kind = DM_PLAIN;
    for (size_t k = 0; last != NULL && k < sizeof words / sizeof words[0]; k++) {
        if (strcmp(last + 1, words[k].word) == 0) {
            *kind = words[k].kind;
            len = (size_t)(last - s);
        }
    }
    return len > 1 && lwm2m_path_parse(s, len, path) == LWM2M_OK && path->len >= 1;
}

/* The operation of a method on a kind of call. 0, or the status to answer with `msg`. */
static unsigned choose_op(const route *r, dm_kind kind, const lwm2m_path *p, lwm2m_dm_op *op,
                          char *msg, size_t msglen)
{
    bool get = is(r, MHD_HTTP_METHOD_GET), put = is(r, MHD_HTTP_METHOD_PUT);
    bool post = is(r, MHD_HTTP_METHOD_POST), del = is(r, MHD_HTTP_METHOD_DELETE);
    switch (kind) {
    case DM_DISCOVER:
        *op = LWM2M_DM_DISCOVER;
        return get ? 0 : MHD_HTTP_METHOD_NOT_ALLOWED;
    case DM_ATTRIBUTES:
        *op = LWM2M_DM_WRITE_ATTRIBUTES;
        return put ? 0 : MHD_HTTP_METHOD_NOT_ALLOWED;
    case DM_OBSERVE:
        *op = del ? LWM2M_DM_OBSERVE_CANCEL : LWM2M_DM_OBSERVE;
        return post || del ? 0 : MHD_HTTP_METHOD_NOT_ALLOWED;
    case DM_PLAIN:
        break;
    }
    if (get) {
        *op = LWM2M_DM_READ;
    } else if (put) {
        *op = LWM2M_DM_WRITE;
    } else if (is(r, "PATCH")) {
        *op = LWM2M_DM_WRITE_UPDATE;
    } else if (del) {
        *op = LWM2M_DM_DELETE;
    } else if (post && (p->len == 1 || p->len == 3)) {
        *op = p->len == 1 ? LWM2M_DM_CREATE : LWM2M_DM_EXECUTE;
    } else if (post) {
        lwm2m_app_errf(msg, msglen, "POST takes /{o} (Create) or /{o}/{i}/{r} (Execute)");
        return MHD_HTTP_BAD_REQUEST;
    } else {
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    }
    return 0;
}

/* ?timeout=S (1..SRV_HTTP_TIMEOUT_MAX_S, larger is capped) and ?format=F. 0, or the status. */
static unsigned call_options(const route *r, request *q, lwm2m_format *format, char *msg,
                             size_t msglen)
{
    char text[32];
    bool present;
    q->timeout_s = (r->h->env.request_timeout_ms + 999) / 1000;
    if (!query_arg(r, "timeout", text, sizeof text, &present)) {
        lwm2m_app_errf(msg, msglen, "bad timeout: expected seconds, 1..%d", SRV_HTTP_TIMEOUT_MAX_S);
        return MHD_HTTP_BAD_REQUEST;
    }
    if (present) {
        char *end = NULL;
        long long v = strtoll(text, &end, 10);
        if (text[0] < '0' || text[0] > '9' || *end != '\0' || v < 1) {
            lwm2m_app_errf(msg, msglen, "bad timeout '%s': expected seconds, 1..%d", text,
                           SRV_HTTP_TIMEOUT_MAX_S);
            return MHD_HTTP_BAD_REQUEST;
        }
        q->timeout_s = v > SRV_HTTP_TIMEOUT_MAX_S ? SRV_HTTP_TIMEOUT_MAX_S : v;
    }
    *format = LWM2M_FORMAT_NONE;
    if (!query_arg(r, "format", text, sizeof text, &present) ||
        (present && lwm2m_format_from_name(text, format) != LWM2M_OK)) {
        lwm2m_app_errf(
            msg, msglen,
            "bad format '%s': expected tlv, senml-json, senml-cbor, json, cbor, text or opaque",
            text);
        return MHD_HTTP_BAD_REQUEST;
    }
    return 0;
}

/* The attribute query of Write-Attributes: every argument but timeout, decoded, re-joined. */
typedef struct attr_query {
    char text[256];
    size_t len;
    bool bad;
} attr_query;

static enum MHD_Result add_attr(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    attr_query *a = cls;
    char k[32], v[64];
    if (strcmp(key, "timeout") == 0)
        return MHD_YES;
    if (!lwm2m_app_http_decode(key, strlen(key), k, sizeof k) ||
        (value != NULL && !lwm2m_app_http_decode(value, strlen(value), v, sizeof v)) ||
        strpbrk(k, "&=") != NULL || (value != NULL && strpbrk(v, "&=") != NULL)) {
        a->bad = true;
        return MHD_NO;
    }
    int n = snprintf(a->text + a->len, sizeof a->text - a->len, "%s%s%s%s", a->len ? "&" : "", k,
                     value != NULL ? "=" : "", value != NULL ? v : "");
    if (n < 0 || (size_t)n >= sizeof a->text - a->len) {
        a->bad = true;
        return MHD_NO;
    }
    a->len += (size_t)n;
    return MHD_YES;
}

/* The media type of the body without parameters, or one guessed from the body when the
 * request has none (curl -d sends application/x-www-form-urlencoded): a SenML array starts
 * with '['. */
static void body_type(const route *r, char *out, size_t cap)
{
    const char *ct =
        MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = ct != NULL ? strcspn(ct, ";") : 0;
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 0 || (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0)) {
        size_t i = 0;
        while (i < r->q->in.len && strchr(" \t\r\n", r->q->in.text[i]) != NULL)
            i++;
        snprintf(out, cap, "%s",
                 i < r->q->in.len && r->q->in.text[i] == '[' ? "application/senml+json"
                                                             : "text/plain");
        return;
    }
    snprintf(out, cap, "%.*s", (int)n, ct);
    for (char *c = out; *c != '\0'; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

/* The values of a Write or Create body, in memory the caller frees (*recs and *arena_mem).
 * 0, or the status to answer with `msg`. */
static unsigned body_records(const route *r, const lwm2m_path *path, lwm2m_record **recs,
                             size_t *count, uint8_t **arena_mem, char *msg, size_t msglen)
{
    *recs = NULL;
    *arena_mem = NULL;
    *count = 0;
    if (r->q->in.len == 0) {
        lwm2m_app_errf(msg, msglen,
                       "empty body: expected the values (text/plain or application/senml+json)");
        return MHD_HTTP_BAD_REQUEST;
    }
    char type[64];
    body_type(r, type, sizeof type);
    /* Each SenML record takes more than 4 bytes of JSON; the strings of the body end up in the
     * arena, unescaped ones possibly twice, never longer than in the body. */
    size_t cap = r->q->in.len / 4 + 8, arena_cap = 2 * r->q->in.len + 64;
    *recs = calloc(cap, sizeof **recs);
    *arena_mem = malloc(arena_cap);
    if (*recs == NULL || *arena_mem == NULL) {
        lwm2m_app_errf(msg, msglen, "out of memory");
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    lwm2m_arena arena = lwm2m_arena_init(*arena_mem, arena_cap);
    lwm2m_record_list list = lwm2m_record_list_init(*recs, cap);
    char err[300] = "";
    int rc = lwm2m_dm_body_records(r->h->env.defs, path, type, (const uint8_t *)r->q->in.text,
                                   r->q->in.len, &arena, &list, err, sizeof err);
    if (rc != LWM2M_OK) {
        lwm2m_app_errf(msg, msglen, "bad body (%s): %s", type,
                       err[0] != '\0' ? err : lwm2m_strerror(rc));
        return rc == LWM2M_ERR_NOMEM && err[0] == '\0' ? MHD_HTTP_INTERNAL_SERVER_ERROR
                                                       : MHD_HTTP_BAD_REQUEST;
    }
    *count = list.count;
    return 0;
}

static void link_waiting(srv_http *h, request *q)
{
    q->prev = NULL;
    q->next = h->waiting;
    if (h->waiting != NULL)
        h->waiting->prev = q;
    h->waiting = q;
}

static void unlink_waiting(request *q)
{
    if (q->state != CALL_WAITING)
        return;
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        q->h->waiting = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

/* Ends the wait of a suspended call: `body` (taken over) is sent once the connection runs
 * again; NULL body with state CALL_GONE closes it. */
static void finish_call(request *q, call_state state, unsigned status, char *body)
{
    unlink_waiting(q);
    q->state = state;
    q->status = status;
    free(q->answer);
    q->answer = body;
    MHD_resume_connection(q->con);
}

static char *timeout_json(const char *error)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o != NULL && cJSON_AddNullToObject(o, "code") != NULL &&
        cJSON_AddStringToObject(o, "status", "TIMEOUT") != NULL &&
        cJSON_AddStringToObject(o, "error", error) != NULL)
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* `json` (an object, taken over) with ,"observation":ID before its closing brace. */
static char *with_observation(char *json, uint64_t id)
{
    size_t n = strlen(json);
    char *out = malloc(n + 40);
    if (out == NULL || n < 2 || json[n - 1] != '}') {
        free(out);
        return json;
    }
    snprintf(out, n + 40, "%.*s,\"observation\":%llu}", (int)(n - 1), json, (unsigned long long)id);
    free(json);
    return out;
}

static void find_observation(void *ctx, uint64_t obs_id, const char *endpoint,
                             const lwm2m_path *path)
{
    (void)endpoint;
    (void)path;
    request *q = ctx;
    if (obs_id == q->obs_id)
        q->observing = true;
}

static void on_done(void *arg, unsigned code, lwm2m_format format, const uint8_t *payload,
                    size_t len, const char *error)
{
    request *q = arg;
    q->pending = false;
    if (q->state != CALL_WAITING)
        return;
    if (code == 0) {
        finish_call(q, CALL_ANSWERED, MHD_HTTP_GATEWAY_TIMEOUT,
                    timeout_json(error != NULL && error[0] != '\0' ? error : "no answer"));
        return;
    }
    q->code = code;
    char *json =
        lwm2m_dm_response_json(q->h->env.defs, q->op, &q->path, code, format, payload, len);
    /* Only an answer that started an observation (2.05 with Observe) names it. */
    if (json != NULL && q->op == LWM2M_DM_OBSERVE)
        lwm2m_srv_observations(q->h->env.runtime, find_observation, q);
    if (json != NULL && q->observing)
        json = with_observation(json, q->obs_id);
    finish_call(q, CALL_ANSWERED, json != NULL ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR,
                json != NULL ? json : lwm2m_app_http_error_json("out of memory"));
}

/* The status of a failed lwm2m_srv_send. */
static unsigned send_status(int rc)
{
    switch (rc) {
    case LWM2M_ERR_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case LWM2M_ERR_NOMEM:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    case LWM2M_ERR_OVERFLOW:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    default:
        return MHD_HTTP_BAD_REQUEST;
    }
}

/* /api/clients/{ep}/{path}[/discover|/attributes|/observe] */
static enum MHD_Result dm_call(const route *r, const char *ep, const char *rest)
{
    request *q = r->q;
    dm_kind kind;
    char msg[600] = "";
    if (!split_dm_path(rest, &q->path, &kind))
        return reply_error(r->con, q, MHD_HTTP_BAD_REQUEST,
                           "bad path '%.64s': expected /{o}[/{i}[/{r}[/{ri}]]], ids 0..65534, "
                           "optionally followed by /discover, /attributes or /observe",
                           rest);
    unsigned status = choose_op(r, kind, &q->path, &q->op, msg, sizeof msg);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        return not_allowed(r);
    lwm2m_format format = LWM2M_FORMAT_NONE;
    if (status == 0)
        status = call_options(r, q, &format, msg, sizeof msg);
    if (status != 0)
        return reply_error(r->con, q, status, "%s", msg);
    if (lwm2m_rd_find(directory(r), ep) == NULL)
        return not_registered(r, ep);
    lwm2m_dm_args args = {q->op, q->path, NULL, 0, NULL, format};
    lwm2m_record *recs = NULL;
    uint8_t *arena = NULL;
    attr_query attrs = {"", 0, false};
    if (q->op == LWM2M_DM_WRITE || q->op == LWM2M_DM_WRITE_UPDATE || q->op == LWM2M_DM_CREATE) {
        status = body_records(r, &q->path, &recs, &args.record_count, &arena, msg, sizeof msg);
        args.records = recs;
    } else if (q->op == LWM2M_DM_EXECUTE) {
        if (q->in.len > 0 && memchr(q->in.text, '\0', q->in.len) != NULL) {
            lwm2m_app_errf(msg, sizeof msg, "Execute arguments must be text");
            status = MHD_HTTP_BAD_REQUEST;
        }
        args.text = q->in.len > 0 ? q->in.text : NULL;
    } else if (q->op == LWM2M_DM_WRITE_ATTRIBUTES) {
        MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, add_attr, &attrs);
        if (attrs.bad || attrs.len == 0) {
            lwm2m_app_errf(msg, sizeof msg, "%s",
                           attrs.bad
                               ? "bad attribute query"
                               : "no attributes: expected ?pmin=&pmax=&gt=&lt=&st=&epmin=&epmax=");
            status = MHD_HTTP_BAD_REQUEST;
        }
        args.text = attrs.text;
    }
    int rc = LWM2M_OK;
    if (status == 0) {
        rc = lwm2m_srv_send(r->h->env.runtime, ep, &args, on_done, q, &q->obs_id, msg, sizeof msg);
        if (rc != LWM2M_OK)
            status = send_status(rc);
    }
    free(recs);
    free(arena);
    if (status != 0)
        return reply_error(r->con, q, status, "%s", msg[0] != '\0' ? msg : lwm2m_strerror(rc));
    /* The answer comes through on_done, or the deadline passes (srv_http_run). */
    q->pending = true;
    q->state = CALL_WAITING;
    q->deadline_ms = srv_now_ms() + q->timeout_s * 1000;
    link_waiting(r->h, q);
    if (q->deadline_ms < r->h->next_due_ms)
        r->h->next_due_ms = q->deadline_ms;
    MHD_suspend_connection(r->con);
    return MHD_YES;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

/* "/{name}[/rest]" (rest points at its '/' or is "") into the decoded name. 0, or the status
 * to answer with `msg`. `rest` NULL: no further segments allowed. */
static unsigned split_name(const char *s, char *name, size_t cap, const char **rest, char *msg,
                           size_t msglen)
{
    bool ok;
    const char *after = lwm2m_app_http_segment(s, name, cap, &ok);
    if (rest != NULL)
        *rest = after;
    else if (after[0] != '\0' && strcmp(after, "/") != 0) {
        lwm2m_app_errf(msg, msglen, "no such resource");
        return MHD_HTTP_NOT_FOUND;
    }
    if (!ok) {
        lwm2m_app_errf(
            msg, msglen,
            "bad endpoint name in the URL (empty, malformed %%-escape, %%00, or longer than %zu "
            "bytes)",
            cap - 1);
        return MHD_HTTP_BAD_REQUEST;
    }
    return 0;
}

static enum MHD_Result clients(const route *r, const char *rest)
{
    if (rest[0] == '\0' || strcmp(rest, "/") == 0)
        return list_clients(r);
    char ep[LWM2M_RD_ENDPOINT_MAX + 1], msg[160];
    const char *tail = NULL;
    unsigned status = split_name(rest, ep, sizeof ep, &tail, msg, sizeof msg);
    if (status != 0)
        return reply_error(r->con, r->q, status, "%s", msg);
    if (tail[0] == '\0' || strcmp(tail, "/") == 0)
        return show_client(r, ep);
    return dm_call(r, ep, tail);
}

static enum MHD_Result dispatch(const route *r, const char *url)
{
    const char *rest;
    if ((rest = lwm2m_app_http_under(url, "/api/clients")) != NULL)
        return clients(r, rest);
    if ((rest = lwm2m_app_http_under(url, "/api/observations")) != NULL &&
        (!rest[0] || !strcmp(rest, "/")))
        return list_observations(r);
    if ((rest = lwm2m_app_http_under(url, "/api/events")) != NULL &&
        (!rest[0] || !strcmp(rest, "/")))
        return open_events(r);
    if ((rest = lwm2m_app_http_under(url, "/api/security")) != NULL) {
        if (rest[0] == '\0' || strcmp(rest, "/") == 0)
            return security(r, NULL);
        char ep[LWM2M_SEC_ENDPOINT_MAX + 1], msg[160];
        unsigned status = split_name(rest, ep, sizeof ep, NULL, msg, sizeof msg);
        if (status != 0)
            return reply_error(r->con, r->q, status, "%s", msg);
        return security(r, ep);
    }
    return reply_error(r->con, r->q, MHD_HTTP_NOT_FOUND, "no such resource");
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------------- */

static enum MHD_Result too_large(struct MHD_Connection *con, const request *q)
{
    return reply_error(con, q, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %u bytes",
                       BODY_MAX);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    request *q = *con_cls;
    if (q == NULL) {
        if ((q = calloc(1, sizeof *q)) == NULL)
            return MHD_NO;
        q->h = cls;
        q->con = con;
        snprintf(q->what, sizeof q->what, "%s %s", method, url);
        *con_cls = q;
        /* Headers only: a declared length too large is refused before the body is sent. */
        return lwm2m_app_http_declares_over(con, BODY_MAX) ? too_large(con, q) : MHD_YES;
    }
    if (*upload_data_size > 0)
        return lwm2m_app_http_body_take(&q->in, upload_data, upload_data_size, BODY_MAX);
    switch (q->state) {
    case CALL_ANSWERED: {
        char *body = q->answer;
        q->answer = NULL;
        return reply(con, q, q->status, body);
    }
    case CALL_GONE:
        return MHD_NO;
    case CALL_WAITING:
        return MHD_YES; /* not reached: a waiting call is suspended */
    case CALL_NEW:
        break;
    }
    if (q->in.discarded > 0)
        return too_large(con, q);
    route r = {con, cls, method, q};
    return dispatch(&r, url);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con;
    (void)toe;
    srv_http *h = cls;
    request *q = *con_cls;
    if (q == NULL)
        return;
    if (q->pending)
        lwm2m_srv_forget(h->env.runtime, q); /* on_done must not touch q any more */
    unlink_waiting(q);
    lwm2m_app_http_body_free(&q->in);
    free(q->answer);
    free(q);
    *con_cls = NULL;
}

/* ---- timers ------------------------------------------------------------------------------- */

/* Answers the calls whose deadline passed (504) and drops those whose client went away. */
static void expire_calls(srv_http *h, int64_t now)
{
    bool check_gone = now >= h->next_gone_check_ms;
    if (check_gone)
        h->next_gone_check_ms = now + GONE_CHECK_MS;
    request *next;
    for (request *q = h->waiting; q != NULL; q = next) {
        next = q->next;
        if (q->deadline_ms <= now) {
            lwm2m_srv_forget(h->env.runtime, q);
            q->pending = false;
            char why[64];
            snprintf(why, sizeof why, "no answer within %lld s", (long long)q->timeout_s);
            finish_call(q, CALL_ANSWERED, MHD_HTTP_GATEWAY_TIMEOUT, timeout_json(why));
        } else if (check_gone && srv_connection_gone(q->con)) {
            lwm2m_srv_forget(h->env.runtime, q);
            q->pending = false;
            srv_log("api: %s: the HTTP client went away, request forgotten", q->what);
            finish_call(q, CALL_GONE, 0, NULL);
        }
    }
    int64_t due = INT64_MAX;
    for (request *q = h->waiting; q != NULL; q = q->next)
        if (q->deadline_ms < due)
            due = q->deadline_ms;
    if (h->waiting != NULL && h->next_gone_check_ms < due)
        due = h->next_gone_check_ms;
    int64_t ev = srv_events_tick(h->events);
    if (ev != INT64_MAX && now + ev < due)
        due = now + ev;
    h->next_due_ms = due;
}

/* ---- the server --------------------------------------------------------------------------- */

/* libmicrohttpd's messages: kept while starting (the caller reports one line), logged after. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    srv_http *h = cls;
    char line[sizeof h->start_error];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\r\n")] = '\0';
    if (!h->started)
        memcpy(h->start_error, line, sizeof line);
    else
        srv_log("http: %s", line);
}

srv_http *srv_http_start(const char *host_port, const srv_http_env *env, char *err, size_t errlen)
{
    if (env == NULL || env->runtime == NULL || env->store == NULL) {
        lwm2m_app_errf(err, errlen, "expected HOST:PORT or [HOST]:PORT, port 0..65535");
        return NULL;
    }
    srv_http *h = calloc(1, sizeof *h);
    if (h == NULL || (h->events = srv_events_new(SRV_EVENTS_QUEUE_MAX)) == NULL) {
        free(h);
        lwm2m_app_errf(err, errlen, "out of memory");
        return NULL;
    }
    h->env = *env;
    if (h->env.request_timeout_ms <= 0)
        h->env.request_timeout_ms = 30000;
    h->next_due_ms = INT64_MAX;
    lwm2m_app_http_config cfg = {on_request, on_completed, h,       MHD_ALLOW_SUSPEND_RESUME,
                                 CONN_LIMIT, CONN_TIMEOUT, mhd_log, h};
    int rc = lwm2m_app_http_start(host_port, &cfg, &h->d, err, errlen);
    if (rc != LWM2M_OK) {
        if (rc == LWM2M_ERR_NOT_ALLOWED)
            lwm2m_app_errf(err, errlen, "cannot listen on %s: %s", host_port,
                           h->start_error[0] != '\0' ? h->start_error
                                                     : "in use, or not a local address");
        srv_events_free(h->events);
        free(h);
        return NULL;
    }
    h->started = true;
    return h;
}

uint16_t srv_http_port(const srv_http *h)
{
    return h != NULL ? lwm2m_app_http_port(h->d) : 0;
}

int srv_http_fdset(srv_http *h, fd_set *r, fd_set *w, fd_set *e, int *max_fd)
{
    return h != NULL ? lwm2m_app_http_fdset(h->d, r, w, e, max_fd) : -1;
}

int64_t srv_http_timeout_ms(srv_http *h)
{
    if (h == NULL)
        return -1;
    int64_t t = lwm2m_app_http_timeout_ms(h->d);
    if (h->next_due_ms != INT64_MAX) {
        int64_t due = h->next_due_ms - srv_now_ms();
        if (due < 0)
            due = 0;
        if (t < 0 || due < t)
            t = due;
    }
    return t;
}

void srv_http_run(srv_http *h)
{
    if (h == NULL)
        return;
    int64_t now = srv_now_ms();
    if (now >= h->next_due_ms || srv_events_count(h->events) > 0 || h->waiting != NULL)
        expire_calls(h, now);
    MHD_run(h->d);
}

void srv_http_stop(srv_http *h)
{
    if (h == NULL)
        return;
    /* libmicrohttpd may not stop with suspended connections: every one is resumed first. */
    while (h->waiting != NULL) {
        request *q = h->waiting;
        lwm2m_srv_forget(h->env.runtime, q);
        q->pending = false;
        finish_call(q, CALL_ANSWERED, MHD_HTTP_SERVICE_UNAVAILABLE,
                    lwm2m_app_http_error_json("the server is stopping"));
    }
    srv_events_close_all(h->events);
    /* A few rounds so that the answers (and the streams' ends) usually go out. */
    for (int i = 0; i < 4; i++)
        MHD_run(h->d);
    MHD_stop_daemon(h->d);
    srv_events_free(h->events);
    free(h);
}

/* ---- events from the runtime -------------------------------------------------------------- */

/* {"endpoint": EP, ...rest of `json` (an object)}, with path and observation when given. */
static char *event_json(const char *endpoint, const lwm2m_path *path, const uint64_t *obs_id,
                        const char *json)
{
    cJSON *s = cJSON_CreateString(endpoint);
    char *ep = s != NULL ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    if (ep == NULL)
        return NULL;
    char p[LWM2M_PATH_STR_MAX] = "";
    if (path != NULL)
        lwm2m_path_format(path, p, sizeof p);
    size_t n = strlen(ep) + strlen(json) + 96;
    char *out = malloc(n);
    if (out != NULL) {
        int k = snprintf(out, n, "{\"endpoint\":%s", ep);
        if (path != NULL)
            k += snprintf(out + k, n - (size_t)k, ",\"path\":\"%s\"", p);
        if (obs_id != NULL)
            k += snprintf(out + k, n - (size_t)k, ",\"observation\":%llu",
                          (unsigned long long)*obs_id);
        const char *body = json + 1; /* past '{' */
        snprintf(out + k, n - (size_t)k, "%s%s", body[0] != '}' ? "," : "", body);
    }
    free(ep);
    return out;
}

void srv_http_on_registration(srv_http *h, lwm2m_rd_event event, const lwm2m_registration *reg)
{
    static const char *const names[] = {
        [LWM2M_RD_REGISTERED] = "registered",
        [LWM2M_RD_UPDATED] = "updated",
        [LWM2M_RD_DEREGISTERED] = "deregistered",
        [LWM2M_RD_EXPIRED] = "expired",
    };
    if (h == NULL || reg == NULL || (unsigned)event >= sizeof names / sizeof names[0] ||
        srv_events_count(h->events) == 0)
        return;
    char *r = lwm2m_dm_registration_json(reg, srv_now_ms());
    size_t n = r != NULL ? strlen(r) + 32 : 0;
    char *wrapped = r != NULL ? malloc(n) : NULL;
    char *json = NULL;
    if (wrapped != NULL) {
        snprintf(wrapped, n, "{\"registration\":%s}", r);
        json = event_json(reg->endpoint, NULL, NULL, wrapped);
    }
    if (json != NULL)
        srv_events_publish(h->events, names[event], reg->endpoint, json);
    else
        srv_log("events: out of memory, event %s of %s lost", names[event], reg->endpoint);
    free(r);
    free(wrapped);
    free(json);
}

void srv_http_on_notify(srv_http *h, uint64_t obs_id, const char *endpoint, const lwm2m_path *path,
                        unsigned code, lwm2m_format format, const uint8_t *payload, size_t len)
{
    if (h == NULL)
        return;
    char *r =
        lwm2m_dm_response_json(h->env.defs, LWM2M_DM_OBSERVE, path, code, format, payload, len);
    /* Every notification leaves one log line with its content (cut at 400 bytes). */
    char where[64];
    lwm2m_path_format(path, where, sizeof where);
    srv_log("notification: endpoint=%s path=%s obs=%llu %.400s%s", endpoint, where,
            (unsigned long long)obs_id, r != NULL ? r : "(out of memory)",
            r != NULL && strlen(r) > 400 ? "..." : "");
    if (srv_events_count(h->events) == 0) {
        free(r);
        return;
    }
    char *json = r != NULL && r[0] == '{' ? event_json(endpoint, path, &obs_id, r) : NULL;
    if (json != NULL)
        srv_events_publish(h->events, "notification", endpoint, json);
    else
        srv_log("events: out of memory, notification %llu of %s lost", (unsigned long long)obs_id,
                endpoint);
    free(r);
    free(json);
}
