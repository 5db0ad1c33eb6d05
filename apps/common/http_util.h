/* The libmicrohttpd plumbing both HTTP JSON APIs share: a daemon on "HOST:PORT" driven by the
 * caller's select loop, request bodies collected up to a limit, replies with a status, names
 * in URLs. */
#ifndef LWM2M_APP_HTTP_UTIL_H
#define LWM2M_APP_HTTP_UTIL_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

/* Bytes of an oversized body read and dropped before its connection is closed instead. */
#define LWM2M_APP_HTTP_DISCARD_MAX (16u * 1024u * 1024u)

/* ---- the daemon ---- */

typedef struct lwm2m_app_http_config {
    MHD_AccessHandlerCallback on_request;
    MHD_RequestCompletedCallback on_completed;
    void *cls;      /* of both callbacks */
    unsigned flags; /* MHD_USE_* / MHD_ALLOW_* besides MHD_USE_ERROR_LOG and IPv6 */
    unsigned conn_limit;
    unsigned conn_timeout_s; /* of silence before a connection is closed */
    MHD_LogCallback logger;  /* libmicrohttpd's messages; NULL: on stderr */
    void *logger_cls;
} lwm2m_app_http_config;

/* Starts a daemon listening on "HOST:PORT" or "[HOST]:PORT" (an empty HOST is 127.0.0.1, PORT
 * 0 picks a free one) and only there. URLs reach the callbacks still percent-encoded, so that
 * a %2F stays inside a name. 0 with *out, or: LWM2M_ERR_INVALID (not HOST:PORT) and
 * LWM2M_ERR_NOT_FOUND (HOST does not resolve) with `err`; LWM2M_ERR_NOT_ALLOWED when the
 * daemon did not start (the port in use, not a local address), `err` left to the caller. */
int lwm2m_app_http_start(const char *host_port, const lwm2m_app_http_config *cfg,
                         struct MHD_Daemon **out, char *err, size_t errlen);

/* The bound port, 0 for a NULL daemon. */
uint16_t lwm2m_app_http_port(struct MHD_Daemon *d);

/* Adds the daemon's sockets to the sets and raises *max_fd. 0, or -1 on failure. */
int lwm2m_app_http_fdset(struct MHD_Daemon *d, fd_set *r, fd_set *w, fd_set *e, int *max_fd);

/* Milliseconds until MHD_run is due even without socket activity; -1 for none. */
int64_t lwm2m_app_http_timeout_ms(struct MHD_Daemon *d);

/* ---- request bodies ---- */

typedef struct lwm2m_app_http_body {
    char *text; /* NUL-terminated (len excludes it); NULL while empty */
    size_t len, cap;
    size_t discarded; /* bytes dropped past the limit: answer 413 */
} lwm2m_app_http_body;

/* Whether the request's Content-Length announces more than `max` bytes: then the request is
 * answered 413 with its headers, before the body is sent. */
bool lwm2m_app_http_declares_over(struct MHD_Connection *con, size_t max);

/* Takes the piece of body libmicrohttpd offers (*size is set to 0). Past `max` bytes the body
 * is dropped and counted in b->discarded. MHD_NO (close the connection) when out of memory or
 * past LWM2M_APP_HTTP_DISCARD_MAX dropped bytes. */
enum MHD_Result lwm2m_app_http_body_take(lwm2m_app_http_body *b, const char *data, size_t *size,
                                         size_t max);

void lwm2m_app_http_body_free(lwm2m_app_http_body *b);

/* ---- replies ---- */

/* Queues `body` (taken over and freed; NULL: empty) with `status`, Content-Type
 * `content_type` (NULL: none) and, on a 405, Allow `allow`. */
enum MHD_Result lwm2m_app_http_reply(struct MHD_Connection *con, unsigned status, char *body,
                                     const char *content_type, const char *allow);

/* {"error": msg}, malloc'ed; a fixed "out of memory" one, or NULL, when out of memory. */
char *lwm2m_app_http_error_json(const char *msg);

/* GET or HEAD. */
bool lwm2m_app_http_is_get(const char *method);

/* ---- URLs ---- */

/* Percent-decodes s[0..len) into out (cap bytes with the NUL); '+' stays '+'. false (and out
 * "") for a malformed escape, a %00 or a result that does not fit. */
bool lwm2m_app_http_decode(const char *s, size_t len, char *out, size_t cap);

/* A query argument percent-decoded into out ("" when absent; *present, when not NULL, tells);
 * false when malformed. */
bool lwm2m_app_http_query_arg(struct MHD_Connection *con, const char *key, char *out, size_t cap,
                              bool *present);

/* The part of `url` after `prefix` when the url is the prefix or continues with '/'; else
 * NULL. */
const char *lwm2m_app_http_under(const char *url, const char *prefix);

/* The first segment of `s` ("/{name}[/rest]"), decoded into `name`; *ok false for an empty,
 * malformed (as lwm2m_app_http_decode) or too long name. Returns what follows the segment: its
 * '/' or "". */
const char *lwm2m_app_http_segment(const char *s, char *name, size_t cap, bool *ok);

#endif
