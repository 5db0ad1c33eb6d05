/* A small blocking HTTP/1.1 client over one TCP connection per request, for the command-line
 * client of the server's API: plain http:// only, Connection: close, bodies framed by
 * Content-Length, chunked transfer coding or the end of the connection, every length checked.
 * A streaming mode hands Server-Sent Events to a callback as they arrive. */
#ifndef LWM2M_APP_HTTP_CLIENT_H
#define LWM2M_APP_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response body kept in memory, and largest SSE event. */
#define LWM2M_HTTP_BODY_MAX  (64u * 1024u * 1024u)
#define LWM2M_HTTP_EVENT_MAX (4u * 1024u * 1024u)

typedef enum lwm2m_http_result {
    LWM2M_HTTP_OK = 0,
    LWM2M_HTTP_STOPPED = 1,       /* the event callback asked to stop */
    LWM2M_HTTP_CANCELLED = 2,     /* the cancel descriptor became readable */
    LWM2M_HTTP_DEADLINE = 3,      /* an event stream reached its deadline */
    LWM2M_HTTP_END = 4,           /* the server ended the event stream */
    LWM2M_HTTP_ERR_CONNECT = -1,  /* name resolution or the TCP connection failed (or timed out) */
    LWM2M_HTTP_ERR_TIMEOUT = -2,  /* connected, but no complete answer in time */
    LWM2M_HTTP_ERR_IO = -3,       /* send/recv failed, or the peer closed mid-answer */
    LWM2M_HTTP_ERR_PROTOCOL = -4, /* not HTTP/1.x, a bad or oversized length, a line too long */
    LWM2M_HTTP_ERR_NOMEM = -5,
    LWM2M_HTTP_ERR_INVALID = -6, /* a request field with forbidden characters */
} lwm2m_http_result;

/* "http://HOST[:PORT][/PREFIX]" split up; HOST may be "[v6]". */
typedef struct lwm2m_http_url {
    char host[256];      /* without brackets */
    char port[6];        /* "80" when not given */
    char authority[272]; /* the Host header: as written in the URL */
    char prefix[512];    /* path prepended to every target, no trailing '/'; "" for none */
} lwm2m_http_url;

/* 0, or LWM2M_HTTP_ERR_INVALID with `err` (not http://, bad port, bad characters, too long). */
int lwm2m_http_url_parse(const char *url, lwm2m_http_url *out, char *err, size_t errlen);

typedef struct lwm2m_http_request {
    const char *method;       /* "GET", "PUT", ... */
    const char *target;       /* "/api/clients?x=1": origin form, already percent-encoded */
    const char *accept;       /* Accept header, NULL for none */
    const char *content_type; /* NULL for none */
    const char *body;         /* NULL for none (then no Content-Length unless POST/PUT/PATCH) */
    size_t body_len;
    int64_t timeout_ms; /* the whole exchange: connect, send, status, headers (and body) */
    int cancel_fd;      /* waiting stops with LWM2M_HTTP_CANCELLED when readable; -1 for none */
} lwm2m_http_request;

typedef struct lwm2m_http_response {
    int status;
    char content_type[128]; /* "" when absent, truncated when longer */
    char *body;             /* malloc'ed, NUL-terminated (body_len excludes it); NULL when none */
    size_t body_len;
} lwm2m_http_response;

/* One request and its whole answer. LWM2M_HTTP_OK with `resp` filled (free it with
 * lwm2m_http_response_free), or a negative code / LWM2M_HTTP_CANCELLED with `err` set and
 * nothing to free. */
int lwm2m_http_exchange(const lwm2m_http_url *url, const lwm2m_http_request *req,
                        lwm2m_http_response *resp, char *err, size_t errlen);
void lwm2m_http_response_free(lwm2m_http_response *resp);

typedef struct lwm2m_http_stream lwm2m_http_stream;

/* Sends the request and reads the status and headers. For a 2xx answer, *out is the open
 * stream (its body not read yet) and `head` has the status and content type; for any other
 * status *out is NULL and `head` holds the whole answer, body included. Returns as
 * lwm2m_http_exchange. */
int lwm2m_http_stream_open(const lwm2m_http_url *url, const lwm2m_http_request *req,
                           lwm2m_http_stream **out, lwm2m_http_response *head, char *err,
                           size_t errlen);

/* One Server-Sent Event: `event` is its type ("message" when the stream named none), `data` its
 * data lines joined with '\n' (NUL-terminated, `len` bytes). Valid during the call only.
 * Returns nonzero to stop reading. */
typedef int (*lwm2m_http_sse_fn)(void *ctx, const char *event, const char *data, size_t len);

/* Reads the stream's body as text/event-stream, calling `fn` for each event as soon as its
 * blank line arrives; comments (": keep-alive") are skipped. Until `fn` stops it
 * (LWM2M_HTTP_STOPPED), `deadline_ms` on lwm2m_http_now_ms's clock passes (LWM2M_HTTP_DEADLINE;
 * negative for none), `cancel_fd` becomes readable (LWM2M_HTTP_CANCELLED; -1 for none), the
 * server ends the body (LWM2M_HTTP_END) or an error (negative, `err` set). May be called again
 * after STOPPED to go on. */
int lwm2m_http_stream_sse(lwm2m_http_stream *s, int64_t deadline_ms, int cancel_fd,
                          lwm2m_http_sse_fn fn, void *ctx, char *err, size_t errlen);

/* Closes the connection and frees the stream; NULL is fine. */
void lwm2m_http_stream_close(lwm2m_http_stream *s);

/* Monotonic milliseconds. */
int64_t lwm2m_http_now_ms(void);

#endif
