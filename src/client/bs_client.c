/* Client side of the Bootstrap interface: a transaction over a working copy of the model. */
#include "lwm2m/bs_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "client/response.h"

struct lwm2m_bs_client {
    lwm2m_model *live;
    lwm2m_model *working; /* NULL when no transaction runs */
    lwm2m_bs_client_config cfg;
    lwm2m_bs_state state;
    int64_t deadline_ms;
    uint16_t *servers_written; /* /1 instances written in this transaction */
    size_t n_servers_written;
    char diagnostic[160];
    const lwm2m_path *write_base; /* during handle_write */
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
    if (c->cfg.finish_timeout_ms <= 0)
        c->cfg.finish_timeout_ms = LWM2M_EXCHANGE_LIFETIME_MS;
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
    c->deadline_ms = now_ms + c->cfg.finish_timeout_ms;
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

static void on_bootstrap_written(void *ctx, const lwm2m_record *recs, size_t n)
{
    lwm2m_bs_client *c = ctx;
    note_server_written(c, recs, n, c->write_base);
}

static void handle_write(lwm2m_bs_client *c, const lwm2m_request *req, const lwm2m_path *path,
                         lwm2m_response *resp)
{
    if (path->len < 1 || path->len > 3) {
        lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Write needs /o, /o/i or /o/i/r");
        return;
    }
    const lwm2m_object_def *def = lwm2m_model_object_def(c->working, path->id[0]);
    if (def == NULL) {
        lwm2m_reply(resp, LWM2M_CODE_NOT_FOUND, "object %u is not supported",
                    (unsigned)path->id[0]);
        return;
    }
    size_t vlen;
    const char *ver = lwm2m_query_param(req, "ver", &vlen);
    if (ver != NULL) {
        char want[16];
        snprintf(want, sizeof want, "%.*s", (int)(vlen < 15 ? vlen : 15), ver);
        if (lwm2m_version_compare(want, def->version) != 0) {
            lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST,
                        "object %u: version %s requested, %s implemented", (unsigned)path->id[0],
                        want, def->version);
            return;
        }
    }
    c->write_base = path;
    if (lwm2m_decode_and_write(c->working, req, path, LWM2M_WRITE_BOOTSTRAP, resp,
                               on_bootstrap_written, c) == LWM2M_OK)
        lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
}

static void handle_delete(lwm2m_bs_client *c, const lwm2m_path *path, lwm2m_response *resp)
{
    int rc = lwm2m_model_delete(c->working, path, LWM2M_DELETE_BOOTSTRAP);
    if (rc != LWM2M_OK) {
        /* The spec's only failure for Bootstrap-Delete: 4.00 bad or unknown URI. */
        lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "cannot delete: %s", lwm2m_strerror(rc));
        return;
    }
    lwm2m_reply(resp, LWM2M_CODE_DELETED, NULL);
}

/* The formats that carry several resources, in the order a Bootstrap-Read without Accept
 * falls back to when cfg.read_format is one of them that this build leaves out. */
static const lwm2m_format multi_formats[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR,
                                             LWM2M_FORMAT_TLV, LWM2M_FORMAT_LWM2M_JSON,
                                             LWM2M_FORMAT_LWM2M_CBOR};

static bool is_multi_format(lwm2m_format f)
{
    for (size_t i = 0; i < sizeof multi_formats / sizeof multi_formats[0]; i++)
        if (multi_formats[i] == f)
            return true;
    return false;
}

/* Accept, else cfg.read_format, else (not compiled in) the first compiled format of the
 * client's version (LwM2M CBOR is 1.2). Anything else is left for the caller's 4.06. */
static lwm2m_format bootstrap_read_format(const lwm2m_bs_client *c, lwm2m_format accept)
{
    lwm2m_format f = accept != LWM2M_FORMAT_NONE ? accept : c->cfg.read_format;
    if (accept != LWM2M_FORMAT_NONE || !is_multi_format(f) || lwm2m_format_available(f))
        return f;
    bool v12 = lwm2m_version_compare(c->cfg.lwm2m_version, "1.2") >= 0;
    for (size_t i = 0; i < sizeof multi_formats / sizeof multi_formats[0]; i++) {
        lwm2m_format m = multi_formats[i];
        if (lwm2m_format_available(m) && (v12 || m != LWM2M_FORMAT_LWM2M_CBOR))
            return m;
    }
    return f;
}

static void handle_get(lwm2m_bs_client *c, const lwm2m_request *req, const lwm2m_path *path,
                       lwm2m_response *resp)
{
    bool discover = req->accept == LWM2M_FORMAT_LINK || path->len == 0;
    if (discover) {
        if (path->len > 1) {
            lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Discover takes / or /o");
            return;
        }
        int rc = lwm2m_model_discover(c->working, path, LWM2M_DISCOVER_BOOTSTRAP,
                                      c->cfg.lwm2m_version, 0, &resp->payload);
        if (rc != LWM2M_OK) {
            resp->payload.len = 0;
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot discover: %s", lwm2m_strerror(rc));
            return;
        }
        resp->code = LWM2M_CODE_CONTENT;
        resp->format = LWM2M_FORMAT_LINK;
        return;
    }
    /* Bootstrap-Read: Server and Access Control objects only (1.1+). */
    if (path->len < 1 || path->len > 2 || (path->id[0] != 1 && path->id[0] != 2) ||
        strcmp(c->cfg.lwm2m_version, "1.0") == 0) {
        lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED,
                    "Bootstrap-Read is allowed on /1 and /2 only");
        return;
    }
    lwm2m_format fmt = bootstrap_read_format(c, req->accept);
    if (!is_multi_format(fmt) || !lwm2m_format_available(fmt)) {
        lwm2m_reply(resp, LWM2M_CODE_NOT_ACCEPTABLE, "cannot answer in content format %u",
                    (unsigned)fmt);
        return;
    }
    lwm2m_read_and_encode(c->working, path, fmt, resp);
}

static void handle_finish(lwm2m_bs_client *c, lwm2m_response *resp)
{
    lwm2m_consistency_result r;
    if (lwm2m_consistency_check(c->working, &c->cfg.caps, &r) != LWM2M_CONSISTENT) {
        /* Stay in bootstrap: the Bootstrap Server may delete and rewrite, then Finish again. */
        snprintf(c->diagnostic, sizeof c->diagnostic, "%s", r.message);
        lwm2m_reply(resp, LWM2M_CODE_NOT_ACCEPTABLE, "%s", r.message);
        return;
    }
    c->state = LWM2M_BS_FINISHED;
    c->diagnostic[0] = '\0';
    lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
}

void lwm2m_bs_client_handle(lwm2m_bs_client *c, const lwm2m_request *req, int64_t now_ms,
                            lwm2m_response *resp)
{
    if (c->state != LWM2M_BS_IN_PROGRESS) {
        lwm2m_reply(resp, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap in progress");
        return;
    }
    bool is_bs = req->uri_path_len == 3 && memcmp(req->uri_path, "/bs", 3) == 0;
    if (is_bs) {
        if (req->method != LWM2M_METHOD_POST) {
            lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "/bs takes POST (Bootstrap-Finish)");
            return;
        }
        c->deadline_ms = now_ms + c->cfg.finish_timeout_ms;
        handle_finish(c, resp);
        return;
    }
    lwm2m_path path;
    int rc = lwm2m_path_parse(req->uri_path, req->uri_path_len, &path);
    if (rc != LWM2M_OK) {
        lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "bad URI path");
        return;
    }
    switch (req->method) {
    case LWM2M_METHOD_PUT:
        c->deadline_ms = now_ms + c->cfg.finish_timeout_ms;
        handle_write(c, req, &path, resp);
        return;
    case LWM2M_METHOD_DELETE:
        c->deadline_ms = now_ms + c->cfg.finish_timeout_ms;
        if (path.len > 2) {
            lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "Bootstrap-Delete takes /, /o or /o/i");
            return;
        }
        handle_delete(c, &path, resp);
        return;
    case LWM2M_METHOD_GET:
        c->deadline_ms = now_ms + c->cfg.finish_timeout_ms;
        handle_get(c, req, &path, resp);
        return;
    default:
        /* Execute, Create, Observe, ...: not bootstrap operations (spec: MAY be ignored). */
        lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "not a bootstrap operation");
        return;
    }
}

/* ---- Bootstrap-Pack (1.2) ------------------------------------------------------------------ */

static int pack_fail(lwm2m_bs_client *c, int rc, char *diag, size_t diaglen, const char *fmt,
                     const char *what)
{
    if (diag != NULL && diaglen > 0)
        snprintf(diag, diaglen, fmt, what);
    lwm2m_bs_client_abort(c);
    return rc;
}

int lwm2m_bs_client_apply_pack(lwm2m_bs_client *c, lwm2m_format fmt, const uint8_t *payload,
                               size_t len, int64_t now_ms, char *diag, size_t diaglen)
{
    if (fmt != LWM2M_FORMAT_SENML_CBOR && fmt != LWM2M_FORMAT_SENML_JSON)
        return pack_fail(c, LWM2M_ERR_UNSUPPORTED, diag, diaglen, "%s",
                         "pack not in SenML CBOR or SenML JSON");
    if (!lwm2m_format_available(fmt))
        return pack_fail(c, LWM2M_ERR_UNSUPPORTED, diag, diaglen, "pack in %s, not compiled in",
                         lwm2m_format_name(fmt));
    int rc = lwm2m_bs_client_begin(c, now_ms);
    if (rc != LWM2M_OK)
        return pack_fail(c, rc, diag, diaglen, "%s", "out of memory");
    lwm2m_record *recs = calloc(len + 1, sizeof *recs);
    void *arena_mem = malloc(len + 64);
    if (recs == NULL || arena_mem == NULL) {
        free(recs);
        free(arena_mem);
        return pack_fail(c, LWM2M_ERR_NOMEM, diag, diaglen, "%s", "out of memory");
    }
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, len + 1);
    lwm2m_types types = {lwm2m_model_type_of, c->working};
    lwm2m_codec_error err = {0, NULL};
    lwm2m_path root = lwm2m_path_root();
    char why[200] = "";
    rc = lwm2m_decode(fmt, &root, payload, len, &types, &arena, &list, &err);
    if (rc != LWM2M_OK) {
        snprintf(why, sizeof why, "pack byte %zu: %s", err.offset,
                 err.reason ? err.reason : lwm2m_strerror(rc));
        goto out;
    }
    lwm2m_record_sort(list.items, list.count);
    /* Object by object: Bootstrap-Delete /o (the BS account and /3/0 survive), then write. */
    for (size_t i = 0; i < list.count;) {
        uint16_t obj = list.items[i].path.id[0];
        size_t j = i;
        while (j < list.count && list.items[j].path.id[0] == obj)
            j++;
        size_t first = i, n = j - i;
        if (obj == 3) {
            /* The device describes itself; a pack does not rewrite /3/0. */
            while (n > 0 && list.items[first].path.len >= 2 && list.items[first].path.id[1] == 0)
                first++, n--;
        }
        lwm2m_path op = lwm2m_path_obj(obj);
        if (lwm2m_model_object_def(c->working, obj) == NULL) {
            i = j; /* an object the client does not implement: ignored, as a Write would be */
            continue;
        }
        rc = lwm2m_model_delete(c->working, &op, LWM2M_DELETE_BOOTSTRAP);
        lwm2m_path bad = op;
        if (rc == LWM2M_OK && n > 0)
            rc = lwm2m_model_write(c->working, &op, list.items + first, n, LWM2M_WRITE_BOOTSTRAP,
                                   &bad);
        if (rc != LWM2M_OK) {
            char p[LWM2M_PATH_STR_MAX];
            lwm2m_path_format(&bad, p, sizeof p);
            snprintf(why, sizeof why, "pack %s: %s", p, lwm2m_strerror(rc));
            goto out;
        }
        note_server_written(c, list.items + first, n, &op);
        i = j;
    }
    lwm2m_consistency_result r;
    if (lwm2m_consistency_check(c->working, &c->cfg.caps, &r) != LWM2M_CONSISTENT) {
        snprintf(why, sizeof why, "%s", r.message);
        rc = LWM2M_ERR_INVALID;
        goto out;
    }
    c->state = LWM2M_BS_FINISHED;
out:
    free(recs);
    free(arena_mem);
    if (rc != LWM2M_OK)
        return pack_fail(c, rc, diag, diaglen, "%s", why);
    return LWM2M_OK;
}
