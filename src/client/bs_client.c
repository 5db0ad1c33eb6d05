/* Client side of the Bootstrap interface: a transaction over a working copy of the model. */
#include "lwm2m/bs_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

struct lwm2m_bs_client {
    lwm2m_model *live;
    lwm2m_model *working; /* NULL when no transaction runs */
    lwm2m_bs_client_config cfg;
    lwm2m_bs_state state;
    int64_t deadline_ms;
    uint16_t *servers_written; /* /1 instances written in this transaction */
    size_t n_servers_written;
    char diagnostic[160];
};

lwm2m_bs_client *lwm2m_bs_client_new(lwm2m_model *live, const lwm2m_bs_client_config *cfg)
{
    lwm2m_bs_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->live = live;
    c->cfg = *cfg;
    if (c->cfg.lwm2m_version == NULL)
        c->cfg.lwm2m_version = "1.1";
    c->state = LWM2M_BS_IDLE;
    c->deadline_ms = INT64_MAX;
    return c;
}

void lwm2m_bs_client_abort(lwm2m_bs_client *c)
{
    lwm2m_model_free(c->working);
    c->working = NULL;
    free(c->servers_written);
    c->servers_written = NULL;
    c->n_servers_written = 0;
    c->state = LWM2M_BS_IDLE;
    c->deadline_ms = INT64_MAX;
}

void lwm2m_bs_client_free(lwm2m_bs_client *c)
{
    if (c == NULL)
        return;
    lwm2m_bs_client_abort(c);
    free(c);
}

int lwm2m_bs_client_begin(lwm2m_bs_client *c, int64_t now_ms)
{
    lwm2m_bs_client_abort(c);
    c->working = lwm2m_model_clone(c->live);
    if (c->working == NULL)
        return LWM2M_ERR_NOMEM;
    c->state = LWM2M_BS_IN_PROGRESS;
    c->deadline_ms = now_ms + LWM2M_EXCHANGE_LIFETIME_MS;
    c->diagnostic[0] = '\0';
    return LWM2M_OK;
}

int64_t lwm2m_bs_client_deadline(const lwm2m_bs_client *c)
{
    return c->state == LWM2M_BS_IN_PROGRESS ? c->deadline_ms : INT64_MAX;
}

lwm2m_bs_state lwm2m_bs_client_tick(lwm2m_bs_client *c, int64_t now_ms)
{
    if (c->state == LWM2M_BS_IN_PROGRESS && now_ms >= c->deadline_ms) {
        lwm2m_bs_client_abort(c);
        c->state = LWM2M_BS_FAILED;
        snprintf(c->diagnostic, sizeof c->diagnostic, "no Bootstrap-Finish in time");
    }
    return c->state;
}

lwm2m_bs_state lwm2m_bs_client_state(const lwm2m_bs_client *c)
{
    return c->state;
}

const char *lwm2m_bs_client_last_diagnostic(const lwm2m_bs_client *c)
{
    return c->diagnostic;
}

const lwm2m_model *lwm2m_bs_client_working(const lwm2m_bs_client *c)
{
    return c->working;
}

int lwm2m_bs_client_commit(lwm2m_bs_client *c, int64_t now_s)
{
    if (c->state != LWM2M_BS_FINISHED || c->working == NULL)
        return LWM2M_ERR_NOT_ALLOWED;
    for (size_t i = 0; i < c->n_servers_written; i++) {
        lwm2m_path p = lwm2m_path_res(1, c->servers_written[i], 12);
        lwm2m_value t = lwm2m_value_time(now_s);
        if (lwm2m_model_has_instance(c->working, 1, c->servers_written[i]))
            lwm2m_model_set(c->working, &p, &t); /* absent in 1.0 objects: ignored */
    }
    int rc = lwm2m_model_assign(c->live, c->working);
    if (rc != LWM2M_OK)
        return rc;
    lwm2m_bs_client_abort(c);
    return LWM2M_OK;
}

/* ---- responses --------------------------------------------------------------------------- */

static void reply(lwm2m_response *resp, unsigned code, const char *fmt, ...)
{
    resp->code = code;
    resp->format = LWM2M_FORMAT_NONE;
    resp->payload.len = 0;
    if (fmt == NULL)
        return;
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    /* A diagnostic payload (RFC 7252 §5.5.2) that does not fit is cut, never overflowed. */
    if (len > resp->payload.cap)
        len = resp->payload.cap;
    lwm2m_buf_put(&resp->payload, text, len);
    resp->format = LWM2M_FORMAT_TEXT;
}

static unsigned code_of(int err)
{
    switch (err) {
    case LWM2M_ERR_NOT_FOUND:
        return LWM2M_CODE_NOT_FOUND;
    case LWM2M_ERR_UNSUPPORTED:
        return LWM2M_CODE_UNSUPPORTED_FORMAT;
    case LWM2M_ERR_NOT_ALLOWED:
        return LWM2M_CODE_METHOD_NOT_ALLOWED;
    case LWM2M_ERR_NOMEM:
    case LWM2M_ERR_OVERFLOW:
        return LWM2M_CODE_INTERNAL_ERROR;
    default:
        return LWM2M_CODE_BAD_REQUEST;
    }
}

/* Value of `key` in an '&'-separated query, or NULL. */
static const char *query_param(const lwm2m_request *req, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    size_t pos = 0;
    while (req->query != NULL && pos < req->query_len) {
        size_t end = pos;
        while (end < req->query_len && req->query[end] != '&')
            end++;
        if (end - pos > klen && memcmp(req->query + pos, key, klen) == 0 &&
            req->query[pos + klen] == '=') {
            *len = end - pos - klen - 1;
            return req->query + pos + klen + 1;
        }
        pos = end + 1;
    }
    return NULL;
}

static lwm2m_type working_type_of(void *ctx, const lwm2m_path *res)
{
    const lwm2m_object_def *def = lwm2m_model_object_def(ctx, res->id[0]);
    const lwm2m_resource_def *rd = def ? lwm2m_objdef_resource(def, res->id[2]) : NULL;
    return rd ? (lwm2m_type)rd->type : LWM2M_TYPE_NONE;
}

static void note_server_written(lwm2m_bs_client *c, const lwm2m_record *recs, size_t n,
                                const lwm2m_path *base)
{
    for (size_t i = 0; i <= n; i++) {
        const lwm2m_path *p = i < n ? &recs[i].path : base;
        if (p->len < 2 || p->id[0] != 1)
            continue;
        bool known = false;
        for (size_t k = 0; k < c->n_servers_written && !known; k++)
            known = c->servers_written[k] == p->id[1];
        if (known)
            continue;
        uint16_t *grown =
            realloc(c->servers_written, (c->n_servers_written + 1) * sizeof *c->servers_written);
        if (grown == NULL)
            return; /* only Last Bootstrapped is lost, not the write */
        c->servers_written = grown;
        c->servers_written[c->n_servers_written++] = p->id[1];
    }
}

/* ---- operations -------------------------------------------------------------------------- */

static void handle_write(lwm2m_bs_client *c, const lwm2m_request *req, const lwm2m_path *path,
                         lwm2m_response *resp)
{
    if (path->len < 1 || path->len > 3) {
        reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Write needs /o, /o/i or /o/i/r");
        return;
    }
    const lwm2m_object_def *def = lwm2m_model_object_def(c->working, path->id[0]);
    if (def == NULL) {
        reply(resp, LWM2M_CODE_NOT_FOUND, "object %u is not supported", (unsigned)path->id[0]);
        return;
    }
    size_t vlen;
    const char *ver = query_param(req, "ver", &vlen);
    if (ver != NULL) {
        char want[16];
        snprintf(want, sizeof want, "%.*s", (int)(vlen < 15 ? vlen : 15), ver);
        if (lwm2m_version_compare(want, def->version) != 0) {
            reply(resp, LWM2M_CODE_BAD_REQUEST, "object %u: version %s requested, %s implemented",
                  (unsigned)path->id[0], want, def->version);
            return;
        }
    }
    if (req->format == LWM2M_FORMAT_NONE) {
        reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Write without Content-Format");
        return;
    }
    lwm2m_record *recs = calloc(req->payload_len + 1, sizeof *recs);
    void *arena_mem = malloc(req->payload_len + 64);
    if (recs == NULL || arena_mem == NULL) {
        reply(resp, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, req->payload_len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, req->payload_len + 1);
    lwm2m_types types = {working_type_of, c->working};
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_decode(req->format, path, req->payload, req->payload_len, &types, &arena, &list,
                          &err);
    if (rc != LWM2M_OK) {
        if (rc == LWM2M_ERR_UNSUPPORTED)
            reply(resp, LWM2M_CODE_UNSUPPORTED_FORMAT, "content format %u not supported",
                  (unsigned)req->format);
        else
            reply(resp, code_of(rc), "byte %zu: %s", err.offset,
                  err.reason ? err.reason : lwm2m_strerror(rc));
        goto out;
    }
    lwm2m_path bad = *path;
    rc = lwm2m_model_write(c->working, path, list.items, list.count, LWM2M_WRITE_BOOTSTRAP, &bad);
    if (rc != LWM2M_OK) {
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&bad, p, sizeof p);
        reply(resp, code_of(rc), "%s: %s", p, lwm2m_strerror(rc));
        goto out;
    }
    note_server_written(c, list.items, list.count, path);
    reply(resp, LWM2M_CODE_CHANGED, NULL);
out:
    free(recs);
    free(arena_mem);
}

static void handle_delete(lwm2m_bs_client *c, const lwm2m_path *path, lwm2m_response *resp)
{
    int rc = lwm2m_model_delete(c->working, path, LWM2M_DELETE_BOOTSTRAP);
    if (rc != LWM2M_OK) {
        /* The spec's only failure for Bootstrap-Delete: 4.00 bad or unknown URI. */
        reply(resp, LWM2M_CODE_BAD_REQUEST, "cannot delete: %s", lwm2m_strerror(rc));
        return;
    }
    reply(resp, LWM2M_CODE_DELETED, NULL);
}

static void handle_get(lwm2m_bs_client *c, const lwm2m_request *req, const lwm2m_path *path,
                       lwm2m_response *resp)
{
    bool discover = req->accept == LWM2M_FORMAT_LINK || path->len == 0;
    if (discover) {
        if (path->len > 1) {
            reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Discover takes / or /o");
            return;
        }
        int rc = lwm2m_model_discover(c->working, path, LWM2M_DISCOVER_BOOTSTRAP,
                                      c->cfg.lwm2m_version, 0, &resp->payload);
        if (rc != LWM2M_OK) {
            resp->payload.len = 0;
            reply(resp, code_of(rc), "cannot discover: %s", lwm2m_strerror(rc));
            return;
        }
        resp->code = LWM2M_CODE_CONTENT;
        resp->format = LWM2M_FORMAT_LINK;
        return;
    }
    /* Bootstrap-Read: Server and Access Control objects only (1.1+). */
    if (path->len < 1 || path->len > 2 || (path->id[0] != 1 && path->id[0] != 2) ||
        strcmp(c->cfg.lwm2m_version, "1.0") == 0) {
        reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "Bootstrap-Read is allowed on /1 and /2 only");
        return;
    }
    lwm2m_format fmt = req->accept != LWM2M_FORMAT_NONE ? req->accept : c->cfg.read_format;
    if (fmt != LWM2M_FORMAT_TLV && fmt != LWM2M_FORMAT_SENML_JSON &&
        fmt != LWM2M_FORMAT_SENML_CBOR && fmt != LWM2M_FORMAT_LWM2M_CBOR &&
        fmt != LWM2M_FORMAT_LWM2M_JSON) {
        reply(resp, LWM2M_CODE_NOT_ACCEPTABLE, "cannot answer in content format %u", (unsigned)fmt);
        return;
    }
    size_t cap = 256;
    for (;;) {
        lwm2m_record *items = malloc(cap * sizeof *items);
        if (items == NULL) {
            reply(resp, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
            return;
        }
        lwm2m_record_list l = lwm2m_record_list_init(items, cap);
        int rc = lwm2m_model_read(c->working, path, &l);
        if (rc == LWM2M_ERR_NOMEM && cap < 65536) {
            free(items);
            cap *= 4;
            continue;
        }
        if (rc == LWM2M_OK) {
            lwm2m_codec_error err;
            rc = lwm2m_encode(fmt, path, l.items, l.count, &resp->payload, &err);
        }
        free(items);
        if (rc != LWM2M_OK) {
            resp->payload.len = 0;
            reply(resp, code_of(rc), "cannot read: %s", lwm2m_strerror(rc));
            return;
        }
        resp->code = LWM2M_CODE_CONTENT;
        resp->format = fmt;
        return;
    }
}

static void handle_finish(lwm2m_bs_client *c, lwm2m_response *resp)
{
    lwm2m_consistency_result r;
    if (lwm2m_consistency_check(c->working, &c->cfg.caps, &r) != LWM2M_CONSISTENT) {
        /* Stay in bootstrap: the Bootstrap Server may delete and rewrite, then Finish again. */
        snprintf(c->diagnostic, sizeof c->diagnostic, "%s", r.message);
        reply(resp, LWM2M_CODE_NOT_ACCEPTABLE, "%s", r.message);
        return;
    }
    c->state = LWM2M_BS_FINISHED;
    c->diagnostic[0] = '\0';
    reply(resp, LWM2M_CODE_CHANGED, NULL);
}

void lwm2m_bs_client_handle(lwm2m_bs_client *c, const lwm2m_request *req, int64_t now_ms,
                            lwm2m_response *resp)
{
    if (c->state != LWM2M_BS_IN_PROGRESS) {
        reply(resp, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap in progress");
        return;
    }
    bool is_bs = req->uri_path_len == 3 && memcmp(req->uri_path, "/bs", 3) == 0;
    if (is_bs) {
        if (req->method != LWM2M_METHOD_POST) {
            reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "/bs takes POST (Bootstrap-Finish)");
            return;
        }
        c->deadline_ms = now_ms + LWM2M_EXCHANGE_LIFETIME_MS;
        handle_finish(c, resp);
        return;
    }
    lwm2m_path path;
    int rc = lwm2m_path_parse(req->uri_path, req->uri_path_len, &path);
    if (rc != LWM2M_OK) {
        reply(resp, LWM2M_CODE_BAD_REQUEST, "bad URI path");
        return;
    }
    switch (req->method) {
    case LWM2M_METHOD_PUT:
        c->deadline_ms = now_ms + LWM2M_EXCHANGE_LIFETIME_MS;
        handle_write(c, req, &path, resp);
        return;
    case LWM2M_METHOD_DELETE:
        c->deadline_ms = now_ms + LWM2M_EXCHANGE_LIFETIME_MS;
        if (path.len > 2) {
            reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Delete takes /, /o or /o/i");
            return;
        }
        handle_delete(c, &path, resp);
        return;
    case LWM2M_METHOD_GET:
        c->deadline_ms = now_ms + LWM2M_EXCHANGE_LIFETIME_MS;
        handle_get(c, req, &path, resp);
        return;
    default:
        /* Execute, Create, Observe, ...: not bootstrap operations (spec: MAY be ignored). */
        reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "not a bootstrap operation");
        return;
    }
}
