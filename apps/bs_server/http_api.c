/* The HTTP JSON API over bs_admin (routes in http_api.h), on libmicrohttpd driven by the
 * caller's select loop. */
#include "http_api.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lwm2m/error.h"

#define BODY_MAX      (1024u * 1024u)
#define NAME_MAX_     LWM2M_ENDPOINT_MAX
#define TEMPLATE_MAX_ 63
#define DISCARD_MAX   (16u * 1024u * 1024u)
#define CONN_LIMIT    64
#define CONN_TIMEOUT  30 /* seconds of silence before a connection is closed */

struct bs_http {
    struct MHD_Daemon *d;
    bs_admin *admin;
    bs_http_hooks hooks;
    bool has_hooks;
};

/* Per request: the body as it arrives. */
typedef struct request {
    char *body;
    size_t len, cap;
    size_t discarded; /* bytes dropped past BODY_MAX */
} request;

__attribute__((format(printf, 3, 4))) static void say(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- responses ---------------------------------------------------------------------------- */

/* Queues `body` (taken over and freed; NULL: empty) with status and JSON content type. */
static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body != NULL ? strlen(body) : 0, body,
        body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, PUT, POST, DELETE");
    enum MHD_Result rc = MHD_queue_response(con, status, resp);
    MHD_destroy_response(resp);
    return rc;
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
    char *body = json_object("error", msg, (const char *)NULL);
    if (body == NULL)
        body = strdup("{\"error\":\"out of memory\"}");
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

/* ---- names in URLs ------------------------------------------------------------------------ */

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into out (cap bytes with the NUL). false for a malformed escape,
 * a %00 or a result that does not fit. */
static bool url_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi = i + 2 < len ? hex_val(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_val(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            ch = (char)(hi << 4 | lo);
            i += 2;
        }
        if (n + 1 >= cap)
            return false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return true;
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
    return is(r, MHD_HTTP_METHOD_GET) || is(r, MHD_HTTP_METHOD_HEAD);
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
    cJSON *root = cJSON_ParseWithLength(q->body, q->len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return 0; /* the document parser says what is wrong with it */
    }
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    const cJSON *own =
        kind == LWM2M_BS_ENTRY_ENDPOINT ? ep : cJSON_GetObjectItemCaseSensitive(root, "template");
    unsigned status = 0;
    if (kind == LWM2M_BS_ENTRY_TEMPLATE && ep != NULL) {
        say(msg, msglen, "an endpoint document does not go under /api/templates");
        status = MHD_HTTP_BAD_REQUEST;
    } else if (own != NULL && (!cJSON_IsString(own) || strcmp(own->valuestring, name) != 0)) {
        say(msg, msglen, "the body's \"%s\" differs from '%.255s' in the URL", kind_word(kind),
            name);
        status = MHD_HTTP_BAD_REQUEST;
    } else if (own == NULL &&
               (*owned = with_name(q->body, q->len, kind_word(kind), name, len)) == NULL) {
        say(msg, msglen, "out of memory");
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
    int rc = bs_admin_add(r->h->admin, owned != NULL ? owned : r->req->body, len, err, sizeof err);
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
    int rc = bs_admin_validate(r->h->admin, r->req->body != NULL ? r->req->body : "", r->req->len,
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

/* A query argument, percent-decoded into out; false when malformed. "" when absent. */
static bool query_arg(const route *r, const char *key, char *out, size_t cap)
{
    const char *v = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, key);
    if (v == NULL) {
        out[0] = '\0';
        return true;
    }
    return url_decode(v, strlen(v), out, cap);
}

static enum MHD_Result import_docs(const route *r)
{
    if (!is(r, MHD_HTTP_METHOD_POST))
        return not_allowed(r);
    char format[16];
    if (!query_arg(r, "format", format, sizeof format) ||
        (format[0] != '\0' && strcmp(format, "leshan") != 0 && strcmp(format, "lwm2m") != 0))
        return reply_error(r->con, MHD_HTTP_BAD_REQUEST,
                           "format: expected leshan, or lwm2m (the default)");
    char err[512] = "";
    int rc = bs_admin_import(r->h->admin, r->req->body != NULL ? r->req->body : "", r->req->len,
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
    cJSON *root = cJSON_ParseWithLength(r->req->body != NULL ? r->req->body : "", r->req->len);
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
    rest++; /* the '/' */
    if (strchr(rest, '/') != NULL) {
        say(msg, msglen, "no such resource");
        return MHD_HTTP_NOT_FOUND;
    }
    if (!url_decode(rest, strlen(rest), name, cap) || name[0] == '\0') {
        say(msg, msglen,
            "bad name in the URL (empty, malformed %%-escape, %%00, or longer than %zu bytes)",
            cap - 1);
        return MHD_HTTP_BAD_REQUEST;
    }
    *has_name = true;
    return 0;
}

/* The part of `url` after `prefix` when the url is the prefix or continues with '/'. */
static const char *under(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0 || (url[n] != '\0' && url[n] != '/'))
        return NULL;
    return url + n;
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
        const char *rest = under(url, plain[k].path);
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
        const char *rest = under(url, named[k].path);
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

/* Appends a piece of the body (the caller keeps it within BODY_MAX); false: no memory. */
static bool take_body(request *q, const char *data, size_t n)
{
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n + 1)
            cap *= 2;
        char *grown = realloc(q->body, cap);
        if (grown == NULL)
            return false;
        q->body = grown;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
    q->body[q->len] = '\0';
    return true;
}

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
        /* Headers only: a declared length too large is refused before the body is sent
         * (libmicrohttpd takes a response here, not while the body arrives). */
        const char *cl =
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > BODY_MAX)
            return too_large(con);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (q->discarded > 0 || n > BODY_MAX - q->len) {
            /* A chunked body past the limit is read and dropped, then answered 413; one
             * that goes on and on loses its connection. */
            free(q->body);
            q->body = NULL;
            q->len = q->cap = 0;
            q->discarded += n;
            return q->discarded <= DISCARD_MAX ? MHD_YES : MHD_NO;
        }
        return take_body(q, upload_data, n) ? MHD_YES : MHD_NO;
    }
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
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

/* {name} segments are decoded by the routes, so that %2F stays inside a name. */
static size_t keep_escapes(void *cls, struct MHD_Connection *con, char *s)
{
    (void)cls;
    (void)con;
    return strlen(s);
}

/* ---- the server --------------------------------------------------------------------------- */

/* "HOST:PORT" or "[HOST]:PORT" into host and port texts. */
static bool split_host_port(const char *hp, char *host, size_t host_cap, char *port,
                            size_t port_cap)
{
    const char *colon;
    const char *h = hp;
    size_t hlen;
    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');
        if (close == NULL || close[1] != ':')
            return false;
        h = hp + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(hp, ':');
        if (colon == NULL)
            return false;
        hlen = (size_t)(colon - hp);
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (hlen >= host_cap || plen == 0 || plen >= port_cap || plen > 5)
        return false;
    for (size_t i = 0; i < plen; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    if (strtoul(p, NULL, 10) > 65535)
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, p, plen + 1);
    return true;
}

bs_http *bs_http_start(const char *host_port, bs_admin *admin, const bs_http_hooks *hooks,
                       char *err, size_t errlen)
{
    char host[256], port[8];
    if (host_port == NULL || admin == NULL ||
        !split_host_port(host_port, host, sizeof host, port, sizeof port)) {
        say(err, errlen, "expected HOST:PORT or [HOST]:PORT, port 0..65535");
        return NULL;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] != '\0' ? host : "127.0.0.1", port, &hints, &ai);
    if (gai != 0 || ai == NULL) {
        say(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(gai));
        return NULL;
    }
    bs_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        freeaddrinfo(ai);
        say(err, errlen, "out of memory");
        return NULL;
    }
    h->admin = admin;
    if (hooks != NULL) {
        h->hooks = *hooks;
        h->has_hooks = true;
    }
    unsigned flags = MHD_USE_ERROR_LOG | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, (uint16_t)strtoul(port, NULL, 10), NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, h, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (h->d == NULL) {
        say(err, errlen, "cannot listen on %s (in use, or not a local address)", host_port);
        free(h);
        return NULL;
    }
    return h;
}

uint16_t bs_http_port(const bs_http *h)
{
    if (h == NULL)
        return 0;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return info != NULL ? info->port : 0;
}

int bs_http_fdset(bs_http *h, fd_set *r, fd_set *w, fd_set *e, int *max_fd)
{
    if (h == NULL || max_fd == NULL)
        return -1;
    MHD_socket m = *max_fd;
    if (MHD_get_fdset(h->d, r, w, e, &m) != MHD_YES)
        return -1;
    if (m > *max_fd)
        *max_fd = m;
    return 0;
}

int64_t bs_http_timeout_ms(bs_http *h)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (h == NULL || MHD_get_timeout(h->d, &t) != MHD_YES)
        return -1;
    return t > (MHD_UNSIGNED_LONG_LONG)INT64_MAX ? INT64_MAX : (int64_t)t;
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
