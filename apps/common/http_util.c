/* The libmicrohttpd plumbing both HTTP JSON APIs share (see http_util.h). */
#include "http_util.h"

#include <cjson/cJSON.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app_util.h"
#include "lwm2m/error.h"

/* ---- the daemon ---- */

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

/* {name} segments are decoded by the routes, so that %2F stays inside a name. */
static size_t keep_escapes(void *cls, struct MHD_Connection *con, char *s)
{
    (void)cls;
    (void)con;
    return strlen(s);
}

/* What libmicrohttpd does without a logger of its own. */
static void log_to_stderr(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    vfprintf(stderr, fmt, ap);
}

int lwm2m_app_http_start(const char *host_port, const lwm2m_app_http_config *cfg,
                         struct MHD_Daemon **out, char *err, size_t errlen)
{
    char host[256], port[8];
    *out = NULL;
    if (host_port == NULL || !split_host_port(host_port, host, sizeof host, port, sizeof port)) {
        lwm2m_app_errf(err, errlen, "expected HOST:PORT or [HOST]:PORT, port 0..65535");
        return LWM2M_ERR_INVALID;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] != '\0' ? host : "127.0.0.1", port, &hints, &ai);
    if (gai != 0 || ai == NULL) {
        lwm2m_app_errf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(gai));
        return LWM2M_ERR_NOT_FOUND;
    }
    unsigned flags =
        MHD_USE_ERROR_LOG | cfg->flags | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    *out = MHD_start_daemon(
        flags, (uint16_t)strtoul(port, NULL, 10), NULL, NULL, cfg->on_request, cfg->cls,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, cfg->on_completed, cfg->cls,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL, MHD_OPTION_CONNECTION_LIMIT,
        cfg->conn_limit, MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
        MHD_OPTION_EXTERNAL_LOGGER, cfg->logger != NULL ? cfg->logger : log_to_stderr,
        cfg->logger_cls, MHD_OPTION_END);
    freeaddrinfo(ai);
    return *out != NULL ? LWM2M_OK : LWM2M_ERR_NOT_ALLOWED;
}

uint16_t lwm2m_app_http_port(struct MHD_Daemon *d)
{
    if (d == NULL)
        return 0;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info != NULL ? info->port : 0;
}

int lwm2m_app_http_fdset(struct MHD_Daemon *d, fd_set *r, fd_set *w, fd_set *e, int *max_fd)
{
    if (d == NULL || max_fd == NULL)
        return -1;
    MHD_socket m = *max_fd;
    if (MHD_get_fdset(d, r, w, e, &m) != MHD_YES)
        return -1;
    if (m > *max_fd)
        *max_fd = m;
    return 0;
}

int64_t lwm2m_app_http_timeout_ms(struct MHD_Daemon *d)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (d == NULL || MHD_get_timeout(d, &t) != MHD_YES)
        return -1;
    return t > (MHD_UNSIGNED_LONG_LONG)INT64_MAX ? INT64_MAX : (int64_t)t;
}

/* ---- request bodies ---- */

bool lwm2m_app_http_declares_over(struct MHD_Connection *con, size_t max)
{
    const char *cl =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl != NULL && strtoull(cl, NULL, 10) > max;
}

/* Appends a piece (the caller keeps the body within its limit); false: no memory. */
static bool append(lwm2m_app_http_body *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->text, cap);
        if (grown == NULL)
            return false;
        b->text = grown;
        b->cap = cap;
    }
    memcpy(b->text + b->len, data, n);
    b->len += n;
    b->text[b->len] = '\0';
    return true;
}

enum MHD_Result lwm2m_app_http_body_take(lwm2m_app_http_body *b, const char *data, size_t *size,
                                         size_t max)
{
    size_t n = *size;
    *size = 0;
    if (b->discarded > 0 || n > max - b->len) {
        /* A chunked body past the limit is read and dropped, then answered 413; one that goes
         * on and on loses its connection. */
        free(b->text);
        b->text = NULL;
        b->len = b->cap = 0;
        b->discarded += n;
        return b->discarded <= LWM2M_APP_HTTP_DISCARD_MAX ? MHD_YES : MHD_NO;
    }
    return append(b, data, n) ? MHD_YES : MHD_NO;
}

void lwm2m_app_http_body_free(lwm2m_app_http_body *b)
{
    free(b->text);
    memset(b, 0, sizeof *b);
}

/* ---- replies ---- */

enum MHD_Result lwm2m_app_http_reply(struct MHD_Connection *con, unsigned status, char *body,
                                     const char *content_type, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body != NULL ? strlen(body) : 0, body,
        body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    if (content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(con, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

char *lwm2m_app_http_error_json(const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *text = o != NULL && cJSON_AddStringToObject(o, "error", msg) != NULL
                     ? cJSON_PrintUnformatted(o)
                     : NULL;
    cJSON_Delete(o);
    return text != NULL ? text : strdup("{\"error\":\"out of memory\"}");
}

bool lwm2m_app_http_is_get(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* ---- URLs ---- */

static bool decode_into(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi = i + 2 < len ? lwm2m_app_hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < len ? lwm2m_app_hex_digit(s[i + 2]) : -1;
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

bool lwm2m_app_http_decode(const char *s, size_t len, char *out, size_t cap)
{
    bool ok = decode_into(s, len, out, cap);
    if (!ok && cap > 0)
        out[0] = '\0';
    return ok;
}

bool lwm2m_app_http_query_arg(struct MHD_Connection *con, const char *key, char *out, size_t cap,
                              bool *present)
{
    const char *v = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, key);
    if (present != NULL)
        *present = v != NULL;
    if (v == NULL) {
        out[0] = '\0';
        return true;
    }
    return lwm2m_app_http_decode(v, strlen(v), out, cap);
}

const char *lwm2m_app_http_under(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0 || (url[n] != '\0' && url[n] != '/'))
        return NULL;
    return url + n;
}

const char *lwm2m_app_http_segment(const char *s, char *name, size_t cap, bool *ok)
{
    s++; /* the '/' */
    size_t n = strcspn(s, "/");
    *ok = lwm2m_app_http_decode(s, n, name, cap) && name[0] != '\0';
    return s + n;
}
