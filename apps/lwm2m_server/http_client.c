/* A blocking HTTP/1.1 client: one non-blocking TCP socket per request, every wait bounded by
 * poll(2) against a deadline (and an optional cancel descriptor), Connection: close. */
#include "http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app_util.h"

#define IO_BUF         16384u /* receive buffer; also the longest status or header line */
#define HEADERS_MAX    100    /* header (or trailer) lines per answer */
#define CONNECT_MAX_MS 10000  /* an unreachable host fails after this even with a long timeout */
#define CHUNK_HEX_MAX  15     /* hex digits of a chunk size: below 2^60, no overflow */

typedef struct conn {
    int fd;
    int64_t deadline; /* lwm2m_http_now_ms clock; negative: none */
    int cancel_fd;
    bool eof;
    size_t start, end; /* unread bytes are buf[start..end) */
    char buf[IO_BUF];
} conn;

typedef enum framing { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE } framing;

typedef struct body {
    framing kind;
    uint64_t left;  /* LENGTH: bytes left in the body; CHUNKED: in the current chunk */
    bool in_chunk;  /* CHUNKED: inside a chunk's data */
    bool need_crlf; /* CHUNKED: a chunk's data ended, its CRLF not read yet */
    bool done;
} body;

struct lwm2m_http_stream {
    conn c;
    body b;
    char pend[4096]; /* body bytes read, not yet parsed as SSE */
    size_t pend_start, pend_end;
    char *line; /* the SSE line being assembled */
    size_t line_len, line_cap;
    bool after_cr; /* the last byte ended a line with CR: a following LF belongs to it */
    char *data;    /* the event's data lines, each followed by '\n' */
    size_t data_len, data_cap;
    char event[64];
};

int64_t lwm2m_http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- URL ---- */

static bool url_char_ok(char ch)
{
    return ch > 0x20 && ch < 0x7f;
}

int lwm2m_http_url_parse(const char *url, lwm2m_http_url *out, char *err, size_t errlen)
{
    static const char scheme[] = "http://";
    memset(out, 0, sizeof *out);
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        lwm2m_app_errf(err, errlen, "not an http:// URL");
        return LWM2M_HTTP_ERR_INVALID;
    }
    const char *auth = url + sizeof scheme - 1;
    size_t auth_len = strcspn(auth, "/?#");
    const char *rest = auth + auth_len;
    if (auth_len == 0 || auth_len >= sizeof out->authority) {
        lwm2m_app_errf(err, errlen, "missing or overlong host");
        return LWM2M_HTTP_ERR_INVALID;
    }
    for (size_t k = 0; k < auth_len; k++) {
        if (!url_char_ok(auth[k]) || auth[k] == '@') {
            lwm2m_app_errf(err, errlen, "bad character in the host");
            return LWM2M_HTTP_ERR_INVALID;
        }
    }
    memcpy(out->authority, auth, auth_len);
    const char *host = auth, *host_end, *port = NULL;
    if (auth[0] == '[') {
        host = auth + 1;
        host_end = memchr(auth, ']', auth_len);
        if (host_end == NULL) {
            lwm2m_app_errf(err, errlen, "unclosed '[' in the host");
            return LWM2M_HTTP_ERR_INVALID;
        }
        if (host_end + 1 < auth + auth_len) {
            if (host_end[1] != ':') {
                lwm2m_app_errf(err, errlen, "junk after ']'");
                return LWM2M_HTTP_ERR_INVALID;
            }
            port = host_end + 2;
        }
    } else {
        host_end = memchr(auth, ':', auth_len);
        if (host_end != NULL)
            port = host_end + 1;
        else
            host_end = auth + auth_len;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0 || host_len >= sizeof out->host) {
        lwm2m_app_errf(err, errlen, "empty host");
        return LWM2M_HTTP_ERR_INVALID;
    }
    memcpy(out->host, host, host_len);
    if (port == NULL) {
        strcpy(out->port, "80");
    } else {
        size_t port_len = (size_t)(auth + auth_len - port);
        unsigned long v = 0;
        for (size_t k = 0; k < port_len && port_len <= 5; k++) {
            if (port[k] < '0' || port[k] > '9') {
                port_len = 0;
                break;
            }
            v = v * 10 + (unsigned long)(port[k] - '0');
        }
        if (port_len == 0 || port_len > 5 || v == 0 || v > 65535) {
            lwm2m_app_errf(err, errlen, "bad port (1..65535)");
            return LWM2M_HTTP_ERR_INVALID;
        }
        snprintf(out->port, sizeof out->port, "%lu", v);
    }
    if (*rest == '?' || *rest == '#') {
        lwm2m_app_errf(err, errlen, "no query or fragment allowed");
        return LWM2M_HTTP_ERR_INVALID;
    }
    size_t prefix_len = strlen(rest);
    while (prefix_len > 0 && rest[prefix_len - 1] == '/')
        prefix_len--;
    if (prefix_len >= sizeof out->prefix) {
        lwm2m_app_errf(err, errlen, "path prefix too long");
        return LWM2M_HTTP_ERR_INVALID;
    }
    for (size_t k = 0; k < prefix_len; k++) {
        if (!url_char_ok(rest[k]) || rest[k] == '?' || rest[k] == '#') {
            lwm2m_app_errf(err, errlen, "bad character in the path");
            return LWM2M_HTTP_ERR_INVALID;
        }
    }
    memcpy(out->prefix, rest, prefix_len);
    return LWM2M_HTTP_OK;
}

/* ---- socket I/O ---- */

/* Waits until `fd` is ready for `events`: 0, LWM2M_HTTP_ERR_TIMEOUT once `deadline` has
 * passed (even with data waiting), LWM2M_HTTP_CANCELLED when `cancel_fd` is readable. */
static int wait_fd(int fd, short events, int64_t deadline, int cancel_fd, char *err, size_t errlen)
{
    for (;;) {
        int timeout = -1;
        if (deadline >= 0) {
            int64_t left = deadline - lwm2m_http_now_ms();
            if (left <= 0) {
                lwm2m_app_errf(err, errlen, "timed out");
                return LWM2M_HTTP_ERR_TIMEOUT;
            }
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
        int n = poll(p, cancel_fd >= 0 ? 2 : 1, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            lwm2m_app_errf(err, errlen, "poll: %s", strerror(errno));
            return LWM2M_HTTP_ERR_IO;
        }
        if (cancel_fd >= 0 && p[1].revents != 0)
            return LWM2M_HTTP_CANCELLED;
        if (p[0].revents != 0)
            return 0;
    }
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* One address: a connected non-blocking socket, or -1 with errno set (ETIMEDOUT at the
 * deadline), or -2 when cancelled. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int cancel_fd)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (set_nonblocking(fd) != 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR)
        goto fail;
    int rc = wait_fd(fd, POLLOUT, deadline, cancel_fd, NULL, 0);
    if (rc == LWM2M_HTTP_CANCELLED) {
        close(fd);
        return -2;
    }
    if (rc == LWM2M_HTTP_ERR_TIMEOUT) {
        errno = ETIMEDOUT;
        goto fail;
    }
    int so_err = 0;
    socklen_t so_len = sizeof so_err;
    if (rc != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &so_len) != 0)
        goto fail;
    if (so_err != 0) {
        errno = so_err;
        goto fail;
    }
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* *fd_out a connected socket for `url`: 0, LWM2M_HTTP_ERR_CONNECT or LWM2M_HTTP_CANCELLED. */
static int connect_url(const lwm2m_http_url *url, int64_t deadline, int cancel_fd, int *fd_out,
                       char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(url->host, url->port, &hints, &res);
    if (g != 0) {
        lwm2m_app_errf(err, errlen, "%s: %s", url->host, gai_strerror(g));
        return LWM2M_HTTP_ERR_CONNECT;
    }
    int64_t cdl = lwm2m_http_now_ms() + CONNECT_MAX_MS;
    if (deadline >= 0 && deadline < cdl)
        cdl = deadline;
    int fd = -1, last_errno = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, cdl, cancel_fd);
        if (fd == -2)
            break;
        if (fd < 0)
            last_errno = errno;
    }
    freeaddrinfo(res);
    if (fd == -2)
        return LWM2M_HTTP_CANCELLED;
    if (fd < 0) {
        lwm2m_app_errf(err, errlen, "%s", strerror(last_errno));
        return LWM2M_HTTP_ERR_CONNECT;
    }
    *fd_out = fd;
    return 0;
}

static int send_all(conn *c, const char *p, size_t n, char *err, size_t errlen)
{
    while (n > 0) {
        int rc = wait_fd(c->fd, POLLOUT, c->deadline, c->cancel_fd, err, errlen);
        if (rc != 0)
            return rc;
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            lwm2m_app_errf(err, errlen, "send: %s", strerror(errno));
            return LWM2M_HTTP_ERR_IO;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads more bytes into the buffer (or sets eof). */
static int fill(conn *c, char *err, size_t errlen)
{
    if (c->start == c->end) {
        c->start = c->end = 0;
    } else if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == sizeof c->buf) {
        lwm2m_app_errf(err, errlen, "line longer than %u bytes", IO_BUF);
        return LWM2M_HTTP_ERR_PROTOCOL;
    }
    for (;;) {
        int rc = wait_fd(c->fd, POLLIN, c->deadline, c->cancel_fd, err, errlen);
        if (rc != 0)
            return rc;
        ssize_t n = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, 0);
        if (n > 0) {
            c->end += (size_t)n;
            return 0;
        }
        if (n == 0) {
            c->eof = true;
            return 0;
        }
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            continue;
        lwm2m_app_errf(err, errlen, "recv: %s", strerror(errno));
        return LWM2M_HTTP_ERR_IO;
    }
}

/* The next line without its CRLF (or LF). Points into the buffer: valid until the next read. */
static int read_line(conn *c, const char **line, size_t *len, char *err, size_t errlen)
{
    for (;;) {
        char *p = c->buf + c->start;
        char *nl = memchr(p, '\n', c->end - c->start);
        if (nl != NULL) {
            size_t n = (size_t)(nl - p);
            c->start += n + 1;
            if (n > 0 && p[n - 1] == '\r')
                n--;
            *line = p;
            *len = n;
            return 0;
        }
        if (c->eof) {
            lwm2m_app_errf(err, errlen, "connection closed %s",
                           c->start == c->end ? "before the end of the answer"
                                              : "in the middle of a line");
            return LWM2M_HTTP_ERR_IO;
        }
        int rc = fill(c, err, errlen);
        if (rc != 0)
            return rc;
    }
}

/* ---- status line and headers ---- */

static bool header_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

static int parse_status(const char *line, size_t len, int *status, char *err, size_t errlen)
{
    /* "HTTP/1.x SSS[ reason]" */
    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
        line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
        line[11] < '0' || line[11] > '9' || (len > 12 && line[12] != ' ')) {
        lwm2m_app_errf(err, errlen, "not an HTTP/1.x status line: '%.*s'",
                       (int)(len > 60 ? 60 : len), line);
        return LWM2M_HTTP_ERR_PROTOCOL;
    }
    *status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    return 0;
}

static int parse_length(const char *v, size_t len, uint64_t *out)
{
    if (len == 0 || len > 18)
        return -1;
    uint64_t n = 0;
    for (size_t k = 0; k < len; k++) {
        if (v[k] < '0' || v[k] > '9')
            return -1;
        n = n * 10 + (uint64_t)(v[k] - '0');
    }
    *out = n;
    return 0;
}

/* Whether the last transfer coding of a Transfer-Encoding value is "chunked". */
static bool last_coding_chunked(const char *v, size_t len)
{
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    size_t start = len;
    while (start > 0 && v[start - 1] != ',' && v[start - 1] != ' ' && v[start - 1] != '\t')
        start--;
    return len - start == 7 && strncasecmp(v + start, "chunked", 7) == 0;
}

/* Line `n` (from 0) of a header or trailer section: *len 0 at the blank line that ends it; more
 * than HEADERS_MAX lines is a protocol error. */
static int read_field(conn *c, int n, const char *section, const char **line, size_t *len,
                      char *err, size_t errlen)
{
    int rc = read_line(c, line, len, err, errlen);
    if (rc == 0 && *len != 0 && n == HEADERS_MAX) {
        lwm2m_app_errf(err, errlen, "more than %d %s lines", HEADERS_MAX, section);
        return LWM2M_HTTP_ERR_PROTOCOL;
    }
    return rc;
}

/* Reads the status line (skipping 1xx answers) and the headers; sets the body framing. */
static int read_head(conn *c, lwm2m_http_response *resp, body *b, char *err, size_t errlen)
{
    const char *line;
    size_t len;
    int rc;
    do {
        if ((rc = read_line(c, &line, &len, err, errlen)) != 0)
            return rc;
        if ((rc = parse_status(line, len, &resp->status, err, errlen)) != 0)
            return rc;
        bool has_length = false, chunked = false, encoded = false;
        uint64_t length = 0;
        for (int n = 0;; n++) {
            if ((rc = read_field(c, n, "header", &line, &len, err, errlen)) != 0)
                return rc;
            if (len == 0)
                break;
            const char *colon = memchr(line, ':', len);
            if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t') {
                lwm2m_app_errf(err, errlen, "bad header line '%.*s'", (int)(len > 60 ? 60 : len),
                               line);
                return LWM2M_HTTP_ERR_PROTOCOL;
            }
            size_t name_len = (size_t)(colon - line);
            const char *v = colon + 1;
            size_t vlen = len - name_len - 1;
            while (vlen > 0 && (*v == ' ' || *v == '\t')) {
                v++;
                vlen--;
            }
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (header_is(line, name_len, "Content-Length")) {
                uint64_t l;
                if (parse_length(v, vlen, &l) != 0 || (has_length && l != length)) {
                    lwm2m_app_errf(err, errlen, "bad Content-Length '%.*s'",
                                   (int)(vlen > 40 ? 40 : vlen), v);
                    return LWM2M_HTTP_ERR_PROTOCOL;
                }
                has_length = true;
                length = l;
            } else if (header_is(line, name_len, "Transfer-Encoding")) {
                encoded = true;
                chunked = last_coding_chunked(v, vlen);
            } else if (header_is(line, name_len, "Content-Type")) {
                size_t k = vlen < sizeof resp->content_type ? vlen : sizeof resp->content_type - 1;
                memcpy(resp->content_type, v, k);
                resp->content_type[k] = '\0';
            }
        }
        memset(b, 0, sizeof *b);
        if (resp->status < 200 || resp->status == 204 || resp->status == 304) {
            b->kind = BODY_NONE;
            b->done = true;
        } else if (encoded) {
            /* Transfer-Encoding wins over Content-Length (RFC 9112 §6.3). */
            b->kind = chunked ? BODY_CHUNKED : BODY_CLOSE;
        } else if (has_length) {
            b->kind = BODY_LENGTH;
            b->left = length;
            b->done = length == 0;
        } else {
            b->kind = BODY_CLOSE;
        }
    } while (resp->status < 200);
    return 0;
}

/* ---- body ---- */

static int read_chunk_size(conn *c, body *b, char *err, size_t errlen)
{
    const char *line;
    size_t len;
    int rc;
    if (b->need_crlf) {
        if ((rc = read_line(c, &line, &len, err, errlen)) != 0)
            return rc;
        if (len != 0) {
            lwm2m_app_errf(err, errlen, "chunk data longer than its size");
            return LWM2M_HTTP_ERR_PROTOCOL;
        }
        b->need_crlf = false;
    }
    if ((rc = read_line(c, &line, &len, err, errlen)) != 0)
        return rc;
    uint64_t size = 0;
    size_t k = 0;
    for (; k < len && k <= CHUNK_HEX_MAX; k++) {
        char ch = line[k];
        int d = lwm2m_app_hex_digit(ch);
        if (d < 0)
            break;
        size = size * 16 + (uint64_t)d;
    }
    if (k == 0 || k > CHUNK_HEX_MAX ||
        (k < len && line[k] != ';' && line[k] != ' ' && line[k] != '\t')) {
        lwm2m_app_errf(err, errlen, "bad chunk size line '%.*s'", (int)(len > 40 ? 40 : len), line);
        return LWM2M_HTTP_ERR_PROTOCOL;
    }
    if (size > 0) {
        b->left = size;
        b->in_chunk = true;
        return 0;
    }
    /* The last chunk: skip the trailer fields up to the blank line. */
    int n = 0;
    do {
        if ((rc = read_field(c, n++, "trailer", &line, &len, err, errlen)) != 0)
            return rc;
    } while (len != 0);
    b->done = true;
    return 0;
}

/* Up to `cap` bytes of the body into `out`: *n > 0, or *n == 0 and b->done at its end. */
static int body_read(conn *c, body *b, char *out, size_t cap, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    for (;;) {
        if (b->done)
            return 0;
        if (b->kind == BODY_CHUNKED && !b->in_chunk) {
            int rc = read_chunk_size(c, b, err, errlen);
            if (rc != 0)
                return rc;
            continue;
        }
        if (c->start == c->end) {
            if (c->eof) {
                if (b->kind == BODY_CLOSE) {
                    b->done = true;
                    return 0;
                }
                lwm2m_app_errf(err, errlen, "connection closed before the end of the body");
                return LWM2M_HTTP_ERR_IO;
            }
            int rc = fill(c, err, errlen);
            if (rc != 0)
                return rc;
            continue;
        }
        size_t k = c->end - c->start;
        if (k > cap)
            k = cap;
        if (b->kind != BODY_CLOSE && k > b->left)
            k = (size_t)b->left;
        memcpy(out, c->buf + c->start, k);
        c->start += k;
        *n = k;
        if (b->kind != BODY_CLOSE) {
            b->left -= k;
            if (b->left == 0) {
                if (b->kind == BODY_LENGTH) {
                    b->done = true;
                } else {
                    /* Its CRLF is read with the next size line, so that the data is handed
                     * over now even when the CRLF is late. */
                    b->in_chunk = false;
                    b->need_crlf = true;
                }
            }
        }
        return 0;
    }
}

static int read_body(conn *c, body *b, lwm2m_http_response *resp, char *err, size_t errlen)
{
    size_t cap = 4096;
    if (b->kind == BODY_LENGTH) {
        if (b->left > LWM2M_HTTP_BODY_MAX) {
            lwm2m_app_errf(err, errlen, "body of %llu bytes is too large",
                           (unsigned long long)b->left);
            return LWM2M_HTTP_ERR_PROTOCOL;
        }
        cap = (size_t)b->left + 1;
    }
    char *buf = malloc(cap);
    if (buf == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_HTTP_ERR_NOMEM;
    }
    size_t len = 0;
    for (;;) {
        if (cap - len < 2) {
            if (cap > LWM2M_HTTP_BODY_MAX) {
                free(buf);
                lwm2m_app_errf(err, errlen, "body larger than %u bytes", LWM2M_HTTP_BODY_MAX);
                return LWM2M_HTTP_ERR_PROTOCOL;
            }
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                lwm2m_app_errf(err, errlen, "out of memory");
                return LWM2M_HTTP_ERR_NOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n;
        int rc = body_read(c, b, buf + len, cap - len - 1, &n, err, errlen);
        if (rc != 0) {
            free(buf);
            return rc;
        }
        if (n == 0)
            break;
        len += n;
    }
    buf[len] = '\0';
    resp->body = buf;
    resp->body_len = len;
    return 0;
}

/* ---- requests ---- */

static bool token_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < 'A' || *s > 'Z')
            return false;
    }
    return true;
}

static bool field_ok(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

static bool target_ok(const char *s)
{
    if (s[0] != '/')
        return false;
    for (; *s != '\0'; s++) {
        if (!url_char_ok(*s))
            return false;
    }
    return true;
}

static char *format_head(const lwm2m_http_url *url, const lwm2m_http_request *req)
{
    bool sends_body = req->body != NULL || strcmp(req->method, "POST") == 0 ||
                      strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
    char length[48] = "";
    if (sends_body)
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", req->body_len);
    const char *fmt = "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lwm2m-server-cli\r\n"
                      "%s%s%s%s%s%sConnection: close\r\n%s\r\n";
    const char *acc = req->accept ? req->accept : "";
    const char *ct = req->content_type && sends_body ? req->content_type : "";
    const char *acc_h = *acc ? "Accept: " : "", *acc_e = *acc ? "\r\n" : "";
    const char *ct_h = *ct ? "Content-Type: " : "", *ct_e = *ct ? "\r\n" : "";
    int n = snprintf(NULL, 0, fmt, req->method, url->prefix, req->target, url->authority, acc_h,
                     acc, acc_e, ct_h, ct, ct_e, length);
    if (n < 0)
        return NULL;
    char *head = malloc((size_t)n + 1);
    if (head != NULL)
        snprintf(head, (size_t)n + 1, fmt, req->method, url->prefix, req->target, url->authority,
                 acc_h, acc, acc_e, ct_h, ct, ct_e, length);
    return head;
}

/* Connects, sends the request, reads the answer's head. On success c->fd is open. */
static int start(const lwm2m_http_url *url, const lwm2m_http_request *req, conn *c,
                 lwm2m_http_response *resp, body *b, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    c->fd = -1;
    c->eof = false;
    c->start = c->end = 0;
    c->cancel_fd = req->cancel_fd;
    c->deadline = req->timeout_ms >= 0 ? lwm2m_http_now_ms() + req->timeout_ms : -1;
    if (!token_ok(req->method) || !target_ok(req->target) || !field_ok(req->accept) ||
        !field_ok(req->content_type) || (req->body == NULL && req->body_len != 0)) {
        lwm2m_app_errf(err, errlen, "bad request method, target or header");
        return LWM2M_HTTP_ERR_INVALID;
    }
    char *head = format_head(url, req);
    if (head == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_HTTP_ERR_NOMEM;
    }
    int rc = connect_url(url, c->deadline, c->cancel_fd, &c->fd, err, errlen);
    if (rc != 0) {
        free(head);
        return rc;
    }
    rc = send_all(c, head, strlen(head), err, errlen);
    free(head);
    if (rc == 0 && req->body_len > 0)
        rc = send_all(c, req->body, req->body_len, err, errlen);
    if (rc == 0)
        rc = read_head(c, resp, b, err, errlen);
    if (rc != 0) {
        close(c->fd);
        c->fd = -1;
    }
    return rc;
}

int lwm2m_http_exchange(const lwm2m_http_url *url, const lwm2m_http_request *req,
                        lwm2m_http_response *resp, char *err, size_t errlen)
{
    conn *c = malloc(sizeof *c);
    if (c == NULL) {
        memset(resp, 0, sizeof *resp);
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_HTTP_ERR_NOMEM;
    }
    body b;
    int rc = start(url, req, c, resp, &b, err, errlen);
    if (rc == 0) {
        rc = read_body(c, &b, resp, err, errlen);
        close(c->fd);
    }
    free(c);
    return rc;
}

void lwm2m_http_response_free(lwm2m_http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

int lwm2m_http_stream_open(const lwm2m_http_url *url, const lwm2m_http_request *req,
                           lwm2m_http_stream **out, lwm2m_http_response *head, char *err,
                           size_t errlen)
{
    *out = NULL;
    lwm2m_http_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        memset(head, 0, sizeof *head);
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_HTTP_ERR_NOMEM;
    }
    int rc = start(url, req, &s->c, head, &s->b, err, errlen);
    if (rc == 0 && (head->status < 200 || head->status > 299)) {
        rc = read_body(&s->c, &s->b, head, err, errlen);
        close(s->c.fd);
        free(s);
        return rc;
    }
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void lwm2m_http_stream_close(lwm2m_http_stream *s)
{
    if (s == NULL)
        return;
    if (s->c.fd >= 0)
        close(s->c.fd);
    free(s->line);
    free(s->data);
    free(s);
}

/* ---- Server-Sent Events (WHATWG HTML, "event stream interpretation") ---- */

static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n, char *err,
                  size_t errlen)
{
    /* One byte more for the NUL the event hand-over writes. */
    if (n > LWM2M_HTTP_EVENT_MAX || *len > LWM2M_HTTP_EVENT_MAX - n) {
        lwm2m_app_errf(err, errlen, "event larger than %u bytes", LWM2M_HTTP_EVENT_MAX);
        return LWM2M_HTTP_ERR_PROTOCOL;
    }
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *bigger = realloc(*buf, c);
        if (bigger == NULL) {
            lwm2m_app_errf(err, errlen, "out of memory");
            return LWM2M_HTTP_ERR_NOMEM;
        }
        *buf = bigger;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

/* One complete line: a field, a comment, or the blank line that dispatches the event. */
static int sse_line(lwm2m_http_stream *s, lwm2m_http_sse_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *line = s->line;
    size_t len = s->line_len;
    s->line_len = 0;
    if (len == 0) {
        int stop = 0;
        if (s->data_len > 0) {
            s->data_len--; /* the '\n' after the last data line */
            s->data[s->data_len] = '\0';
            stop = fn(ctx, s->event[0] ? s->event : "message", s->data, s->data_len);
        }
        s->data_len = 0;
        s->event[0] = '\0';
        return stop ? LWM2M_HTTP_STOPPED : 0;
    }
    if (line[0] == ':')
        return 0;
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : len;
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = len - (size_t)(v - line);
    if (vlen > 0 && *v == ' ') {
        v++;
        vlen--;
    }
    if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        size_t k = vlen < sizeof s->event ? vlen : sizeof s->event - 1;
        memcpy(s->event, v, k);
        s->event[k] = '\0';
    } else if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        int rc = append(&s->data, &s->data_len, &s->data_cap, v, vlen, err, errlen);
        if (rc == 0)
            rc = append(&s->data, &s->data_len, &s->data_cap, "\n", 1, err, errlen);
        return rc;
    }
    /* id and retry mean nothing to a client that does not reconnect; others are ignored. */
    return 0;
}

static int sse_byte(lwm2m_http_stream *s, char ch, lwm2m_http_sse_fn fn, void *ctx, char *err,
                    size_t errlen)
{
    if (ch == '\n' && s->after_cr) {
        s->after_cr = false;
        return 0;
    }
    s->after_cr = ch == '\r';
    if (ch == '\r' || ch == '\n')
        return sse_line(s, fn, ctx, err, errlen);
    return append(&s->line, &s->line_len, &s->line_cap, &ch, 1, err, errlen);
}

int lwm2m_http_stream_sse(lwm2m_http_stream *s, int64_t deadline_ms, int cancel_fd,
                          lwm2m_http_sse_fn fn, void *ctx, char *err, size_t errlen)
{
    s->c.deadline = deadline_ms;
    s->c.cancel_fd = cancel_fd;
    for (;;) {
        while (s->pend_start < s->pend_end) {
            int rc = sse_byte(s, s->pend[s->pend_start++], fn, ctx, err, errlen);
            if (rc != 0)
                return rc;
        }
        if (s->b.done)
            return LWM2M_HTTP_END;
        size_t n;
        int rc = body_read(&s->c, &s->b, s->pend, sizeof s->pend, &n, err, errlen);
        if (rc == LWM2M_HTTP_ERR_TIMEOUT)
            return LWM2M_HTTP_DEADLINE;
        if (rc != 0)
            return rc;
        s->pend_start = 0;
        s->pend_end = n;
    }
}
