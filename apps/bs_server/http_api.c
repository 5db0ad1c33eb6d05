/* The HTTP JSON API over bs_admin (routes in http_api.h), on libmicrohttpd driven by the
 * caller's select loop. */
#include "http_api.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_util.h"
#include "http_util.h"
#include "lwm2m/error.h"

#define BODY_MAX      (1024u * 1024u)
#define NAME_MAX_     LWM2M_ENDPOINT_MAX
#define TEMPLATE_MAX_ 63
#define CONN_LIMIT    64
#define CONN_TIMEOUT  30 /* seconds of silence before a connection is closed */

struct bs_http {
    struct MHD_Daemon *d;
    bs_admin *admin;
    bs_http_hooks hooks;
    bool has_hooks;
};

/* Per request: the body as it arrives. */
typedef lwm2m_app_http_body request;

/* ---- responses ---------------------------------------------------------------------------- */

/* Queues `body` (taken over and freed; NULL: empty) with status and JSON content type. */
static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, char *body)
{
    return lwm2m_app_http_reply(con, status, body, "application/json", "GET, PUT, POST, DELETE");
}

/* An object of string members from key/value pairs, NULL-terminated; NULL on no memory. */
static char *json_object(const char *key, ...)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k != NULL && ok; k = va_arg(ap, const char *))
        ok = cJSON_AddStringToObject(o, k, va_arg(ap, const char *)) != NULL;
    va_end(ap);
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

static enum MHD_Result reply_error(struct MHD_Connection *con, unsigned status, const char *msg)
{
    char *body = lwm2m_app_http_error_json(msg);
    return reply(con, body != NULL ? status : MHD_HTTP_INTERNAL_SERVER_ERROR, body);
}

__attribute__((format(printf, 3, 4))) static enum MHD_Result
reply_errorf(struct MHD_Connection *con, unsigned status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return reply_error(con, status, msg);
}

/* The status of a failed bs_admin call. */
static unsigned status_of(int rc)
{
    switch (rc) {
    case LWM2M_ERR_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case LWM2M_ERR_EXISTS:
        return MHD_HTTP_CONFLICT;
    case LWM2M_ERR_NOMEM:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    default:
        return MHD_HTTP_BAD_REQUEST;
    }
}

/* ---- routes ------------------------------------------------------------------------------- */

typedef struct route {
    struct MHD_Connection *con;
    bs_http *h;
    const char *method;
    request *req;
} route;

static bool is(const route *r, const char *method)
{
    return strcmp(r->method, method) == 0;
}

static bool is_get(const route *r)
{
    return lwm2m_app_http_is_get(r->method);
}

static bool is_put(const route *r)
{
    return is(r, MHD_HTTP_METHOD_PUT) || is(r, MHD_HTTP_METHOD_POST);
}

static enum MHD_Result not_allowed(const route *r)
{
    return reply_errorf(r->con, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed here",
                        r->method);
}

static const char *kind_word(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT ? "endpoint" : "template";
}

/* The body with {"key": name} added after its opening brace. Textual, so that the rest of
 * the document reaches the parser byte for byte. */
static char *with_name(const char *body, size_t len, const char *key, const char *name,
                       size_t *out_len)
{
    size_t i = 0;
    while (i < len && body[i] != '{')
        i++;
    size_t j = i + 1;
    while (j < len && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r'))
        j++;
    bool empty = j < len && body[j] == '}';
    cJSON *s = cJSON_CreateString(name);
    char *lit = s != NULL ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    if (lit == NULL || i >= len) {
        free(lit);
        return NULL;
    }
    size_t n = len + strlen(key) + strlen(lit) + 8;
    char *out = malloc(n);
    if (out != NULL) {
        int head =
            snprintf(out, n, "%.*s\"%s\":%s%s", (int)(i + 1), body, key, lit, empty ? "" : ",");
        memcpy(out + head, body + i + 1, len - i - 1);
        *out_len = (size_t)head + len - i - 1;
        out[*out_len] = '\0';
    }
    free(lit);
    return out;
}

/* Checks that the body names the URL's entry, or names nothing: then the URL's name is put
 * in (*owned, malloc'ed). Returns 0, or the status to answer with `msg`. */
static unsigned name_body(const request *q, lwm2m_bs_entry_kind kind, const char *name,
                          char **owned, size_t *len, char *msg, size_t msglen)
{
    *owned = NULL;
    cJSON *root = cJSON_ParseWithLength(q->text, q->len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return 0; /* the document parser says what is wrong with it */
    }
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    const cJSON *own =
        kind == LWM2M_BS_ENTRY_ENDPOINT ? ep : cJSON_GetObjectItemCaseSensitive(root, "template");
    unsigned status = 0;
    if (kind == LWM2M_BS_ENTRY_TEMPLATE && ep != NULL) {
        lwm2m_app_errf(msg, msglen, "an endpoint document does not go under /api/templates");
        status = MHD_HTTP_BAD_REQUEST;
    } else if (own != NULL && (!cJSON_IsString(own) || strcmp(own->valuestring, name) != 0)) {
        lwm2m_app_errf(msg, msglen, "the body's \"%s\" differs from '%.255s' in the URL",
                       kind_word(kind), name);
        status = MHD_HTTP_BAD_REQUEST;
    } else if (own == NULL &&
               (*owned = with_name(q->text, q->len, kind_word(kind), name, len)) == NULL) {
        lwm2m_app_errf(msg, msglen, "out of memory");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    cJSON_Delete(root);
    return status;
}

static enum MHD_Result put_entry(const route *r, lwm2m_bs_entry_kind kind, const char *name)
{
    if (r->req->len == 0)
        return reply_error(r->con, MHD_HTTP_BAD_REQUEST, "empty body: expected a document");
    char *owned = NULL, *doc = NULL;
    size_t len = r->req->len;
    char err[512] = "";
    unsigned status = name_body(r->req, kind, name, &owned, &len, err, sizeof err);
    if (status != 0)
        return reply_error(r->con, status, err);
    bool existed = bs_admin_show(r->h->admin, kind, name, &doc) == LWM2M_OK;
    free(doc);
    doc = NULL;
    int rc = bs_admin_add(r->h->admin, owned != NULL ? owned : r->req->text, len, err, sizeof err);
    free(owned);
    if (rc != LWM2M_OK)
        return reply_error(r->con, status_of(rc == LWM2M_ERR_NOT_FOUND ? LWM2M_ERR_INVALID : rc),
                           err[0] != '\0' ? err : lwm2m_strerror(rc));
    if (bs_admin_show(r->h->admin, kind, name, &doc) != LWM2M_OK)
        doc = json_object("name", name, (const char *)NULL);
    return reply(r->con, existed ? MHD_HTTP_OK : MHD_HTTP_CREATED, doc);
}

static const char *store_error(const route *r)
{
    const char *e = lwm2m_bs_store_last_error(r->h->admin->store);
    return e != NULL && e[0] != '\0' ? e : "store error";
}

/* /api/bootstrap[/{ep}] and /api/templates[/{name}]. `name` NULL for the collection. */
static enum MHD_Result entries(const route *r, lwm2m_bs_entry_kind kind, const char *name)
{
    char *json = NULL;
    int rc;
    if (name == NULL) {
        if (!is_get(r))
            return not_allowed(r);
        rc = bs_admin_list(r->h->admin, kind, &json);
        return rc == LWM2M_OK ? reply(r->con, MHD_HTTP_OK, json)
                              : reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, store_error(r));
    }
    if (is_put(r))
        return put_entry(r, kind, name);
    if (is_get(r))
        rc = bs_admin_show(r->h->admin, kind, name, &json);
    else if (is(r, MHD_HTTP_METHOD_DELETE))
        rc = bs_admin_remove(r->h->admin, kind, name);
    else
        return not_allowed(r);
    if (rc == LWM2M_ERR_NOT_FOUND)
        return reply_errorf(r->con, MHD_HTTP_NOT_FOUND, "no %s '%.255s'", kind_word(kind), name);
    if (rc != LWM2M_OK)
        return reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, store_error(r));
    return is_get(r) ? reply(r->con, MHD_HTTP_OK, json) : reply(r->con, MHD_HTTP_NO_CONTENT, NULL);
}

static enum MHD_Result resolve(const route *r, const char *name)
{
    if (!is_get(r))
        return not_allowed(r);
    lwm2m_bs_config *cfg = NULL;
    char err[512] = "";
    int rc = bs_admin_resolve(r->h->admin, name, &cfg, err, sizeof err);
    if (rc != LWM2M_OK)
        return reply_error(r->con,
                           rc == LWM2M_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND
                           : rc == LWM2M_ERR_NOMEM   ? MHD_HTTP_INTERNAL_SERVER_ERROR
                                                     : MHD_HTTP_CONFLICT,
                           err[0] != '\0' ? err : lwm2m_strerror(rc));
    char *json = lwm2m_bs_config_to_json(cfg);
    lwm2m_bs_config_free(cfg);
    return json != NULL ? reply(r->con, MHD_HTTP_OK, json)
                        : reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

static enum MHD_Result validate(const route *r)
{
    if (!is(r, MHD_HTTP_METHOD_POST))
        return not_allowed(r);
    char err[512] = "";
    int rc = bs_admin_validate(r->h->admin, r->req->text != NULL ? r->req->text : "", r->req->len,
                               err, sizeof err);
    if (rc == LWM2M_OK)
        return reply(r->con, MHD_HTTP_OK, strdup("{\"valid\":true}"));
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    if (o != NULL && cJSON_AddFalseToObject(o, "valid") != NULL &&
        cJSON_AddStringToObject(o, "error", err[0] != '\0' ? err : lwm2m_strerror(rc)) != NULL)
        body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return body != NULL ? reply(r->con, status_of(rc), body)
                        : reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

static enum MHD_Result import_docs(const route *r)
{
    if (!is(r, MHD_HTTP_METHOD_POST))
        return not_allowed(r);
    char format[16];
    if (!lwm2m_app_http_query_arg(r->con, "format", format, sizeof format, NULL) ||
        (format[0] != '\0' && strcmp(format, "leshan") != 0 && strcmp(format, "lwm2m") != 0))
        return reply_error(r->con, MHD_HTTP_BAD_REQUEST,
                           "format: expected leshan, or lwm2m (the default)");
    char err[512] = "";
    int rc = bs_admin_import(r->h->admin, r->req->text != NULL ? r->req->text : "", r->req->len,
                             strcmp(format, "leshan") == 0, err, sizeof err);
    if (rc < 0)
        return reply_error(r->con, status_of(rc == LWM2M_ERR_NOT_FOUND ? LWM2M_ERR_INVALID : rc),
                           err[0] != '\0' ? err : lwm2m_strerror(rc));
    char body[48];
    snprintf(body, sizeof body, "{\"imported\":%d}", rc);
    return reply(r->con, MHD_HTTP_OK, strdup(body));
}

static enum MHD_Result export_all(const route *r)
{
    if (!is_get(r))
        return not_allowed(r);
    char *json = NULL;
    if (bs_admin_export(r->h->admin, &json) != LWM2M_OK)
        return reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, store_error(r));
    return reply(r->con, MHD_HTTP_OK, json);
}

static enum MHD_Result stats(const route *r)
{
    if (!is_get(r))
        return not_allowed(r);
    if (!r->h->has_hooks || r->h->hooks.stats_json == NULL)
        return reply_error(r->con, MHD_HTTP_NOT_IMPLEMENTED, "no statistics in this process");
    char *json = r->h->hooks.stats_json(r->h->hooks.ctx);
    return json != NULL ? reply(r->con, MHD_HTTP_OK, json)
                        : reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

static enum MHD_Result trigger(const route *r)
{
    if (!is(r, MHD_HTTP_METHOD_POST))
        return not_allowed(r);
    if (!r->h->has_hooks || r->h->hooks.trigger == NULL)
        return reply_error(r->con, MHD_HTTP_NOT_IMPLEMENTED, "no trigger in this process");
    cJSON *root = cJSON_ParseWithLength(r->req->text != NULL ? r->req->text : "", r->req->len);
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(root, "address");
    enum MHD_Result res;
    if (!cJSON_IsString(ep) || !cJSON_IsString(addr) || ep->valuestring[0] == '\0') {
        res = reply_error(r->con, MHD_HTTP_BAD_REQUEST,
                          "expected {\"endpoint\": NAME, \"address\": \"HOST:PORT\"}");
    } else {
        char err[512] = "";
        int rc = r->h->hooks.trigger(r->h->hooks.ctx, ep->valuestring, addr->valuestring, err,
                                     sizeof err);
        if (rc != 0) {
            res = reply_error(r->con, MHD_HTTP_BAD_REQUEST,
                              err[0] != '\0' ? err : lwm2m_strerror(rc));
        } else {
            char *body = json_object("endpoint", ep->valuestring, "address", addr->valuestring,
                                     (const char *)NULL);
            res = body != NULL
                      ? reply(r->con, MHD_HTTP_ACCEPTED, body)
                      : reply_error(r->con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        }
    }
    cJSON_Delete(root);
    return res;
}

/* Splits the rest of "/api/COLLECTION[/NAME]"; the name is decoded into `name`. Returns 0,
 * or the status to answer with `msg`. */
static unsigned split_name(const char *rest, char *name, size_t cap, bool *has_name, char *msg,
                           size_t msglen)
{
    *has_name = false;
    if (rest[0] == '\0' || strcmp(rest, "/") == 0)
        return 0;
    bool ok;
    const char *after = lwm2m_app_http_segment(rest, name, cap, &ok);
    if (after[0] != '\0') {
        lwm2m_app_errf(msg, msglen, "no such resource");
        return MHD_HTTP_NOT_FOUND;
    }
    if (!ok) {
        lwm2m_app_errf(
            msg, msglen,
            "bad name in the URL (empty, malformed %%-escape, %%00, or longer than %zu bytes)",
            cap - 1);
        return MHD_HTTP_BAD_REQUEST;
    }
    *has_name = true;
    return 0;
}

static enum MHD_Result dispatch(route *r, const char *url)
{
    static const struct {
        const char *path;
        enum MHD_Result (*fn)(const route *r);
    } plain[] = {
        {"/api/validate", validate}, {"/api/import", import_docs}, {"/api/export", export_all},
        {"/api/stats", stats},       {"/api/trigger", trigger},
    };
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++) {
        const char *rest = lwm2m_app_http_under(url, plain[k].path);
        if (rest != NULL && (rest[0] == '\0' || strcmp(rest, "/") == 0))
            return plain[k].fn(r);
    }
    static const struct {
        const char *path;
        lwm2m_bs_entry_kind kind;
        size_t name_max;
        bool resolve; /* /api/resolve/{ep}, else entries of `kind` */
    } named[] = {
        {"/api/bootstrap", LWM2M_BS_ENTRY_ENDPOINT, NAME_MAX_, false},
        {"/api/templates", LWM2M_BS_ENTRY_TEMPLATE, TEMPLATE_MAX_, false},
        {"/api/resolve", LWM2M_BS_ENTRY_ENDPOINT, NAME_MAX_, true},
    };
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        const char *rest = lwm2m_app_http_under(url, named[k].path);
        if (rest == NULL)
            continue;
        char name[NAME_MAX_ + 1], msg[128];
        bool has_name;
        unsigned status = split_name(rest, name, named[k].name_max + 1, &has_name, msg, sizeof msg);
        if (status != 0)
            return reply_error(r->con, status, msg);
        if (!named[k].resolve)
            return entries(r, named[k].kind, has_name ? name : NULL);
        if (!has_name)
            return reply_error(r->con, MHD_HTTP_NOT_FOUND, "expected /api/resolve/{endpoint}");
        return resolve(r, name);
    }
    return reply_error(r->con, MHD_HTTP_NOT_FOUND, "no such resource");
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------------- */

static enum MHD_Result too_large(struct MHD_Connection *con)
{
    return reply_errorf(con, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %u bytes",
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
        *con_cls = q;
        /* Headers only: libmicrohttpd takes a response here, not while the body arrives. */
        return lwm2m_app_http_declares_over(con, BODY_MAX) ? too_large(con) : MHD_YES;
    }
    if (*upload_data_size > 0)
        return lwm2m_app_http_body_take(q, upload_data, upload_data_size, BODY_MAX);
    if (q->discarded > 0)
        return too_large(con);
    route r = {con, cls, method, q};
    return dispatch(&r, url);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)con;
    (void)toe;
    request *q = *con_cls;
    if (q != NULL) {
        lwm2m_app_http_body_free(q);
        free(q);
        *con_cls = NULL;
    }
}

/* ---- the server --------------------------------------------------------------------------- */

bs_http *bs_http_start(const char *host_port, bs_admin *admin, const bs_http_hooks *hooks,
                       char *err, size_t errlen)
{
    if (admin == NULL) {
        lwm2m_app_errf(err, errlen, "expected HOST:PORT or [HOST]:PORT, port 0..65535");
        return NULL;
    }
    bs_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return NULL;
    }
    h->admin = admin;
    if (hooks != NULL) {
        h->hooks = *hooks;
        h->has_hooks = true;
    }
    lwm2m_app_http_config cfg = {on_request, on_completed, h,    0,
                                 CONN_LIMIT, CONN_TIMEOUT, NULL, NULL};
    int rc = lwm2m_app_http_start(host_port, &cfg, &h->d, err, errlen);
    if (rc != LWM2M_OK) {
        if (rc == LWM2M_ERR_NOT_ALLOWED)
            lwm2m_app_errf(err, errlen, "cannot listen on %s (in use, or not a local address)",
                           host_port);
        free(h);
        return NULL;
    }
    return h;
}

uint16_t bs_http_port(const bs_http *h)
{
    return h != NULL ? lwm2m_app_http_port(h->d) : 0;
}

int bs_http_fdset(bs_http *h, fd_set *r, fd_set *w, fd_set *e, int *max_fd)
{
    return h != NULL ? lwm2m_app_http_fdset(h->d, r, w, e, max_fd) : -1;
}

int64_t bs_http_timeout_ms(bs_http *h)
{
    return h != NULL ? lwm2m_app_http_timeout_ms(h->d) : -1;
}

void bs_http_run(bs_http *h)
{
    if (h != NULL)
        MHD_run(h->d);
}

void bs_http_stop(bs_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
