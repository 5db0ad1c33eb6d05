/* CoRE Link Format (RFC 6690): a strict, zero-allocation parser and a writer.
 * Grammar (RFC 6690 §2, RFC 5988 parmname, RFC 2616 quoted-string):
 *   links  = [ link *( "," link ) ]
 *   link   = "<" URI-Reference ">" *( ";" param )
 *   param  = parmname [ "*" ] [ "=" ( ptoken / quoted-string ) ]
 * No white space anywhere outside quoted strings. */
#include "lwm2m/link.h"

#include <string.h>

#include "lwm2m/error.h"

enum { ST_READING = 0, ST_DONE = 1 };

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 5988 parmname characters. */
static bool is_name_char(uint8_t c)
{
    return is_alnum(c) || (c != 0 && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* RFC 6690 ptokenchar. */
static bool is_ptoken_char(uint8_t c)
{
    return is_alnum(c) || (c != 0 && strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c) != NULL);
}

/* RFC 3986 URI-reference characters other than '%' (unreserved, gen-delims, sub-delims). */
static bool is_uri_char(uint8_t c)
{
    return is_alnum(c) || (c != 0 && strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL);
}

/* qdtext and the character after a backslash: anything but control characters. */
static bool is_text_char(uint8_t c)
{
    return c >= 0x20 && c != 0x7F;
}

static int set_err(lwm2m_link_reader *r, int code, size_t offset, const char *reason)
{
    r->state = code;
    r->err.offset = offset;
    r->err.reason = reason;
    return code;
}

void lwm2m_link_reader_init(lwm2m_link_reader *r, const uint8_t *in, size_t len, lwm2m_arena *arena)
{
    r->in = in;
    r->len = in ? len : 0;
    r->pos = 0;
    r->arena = arena;
    r->state = ST_READING;
    r->err.offset = 0;
    r->err.reason = NULL;
}

/* Checks a URI reference: allowed characters and %HH escapes. Returns the offset of the first
 * bad byte relative to s, or len when it is valid. */
static size_t check_uri(const uint8_t *s, size_t len, const char **reason)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (len - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                *reason = "bad percent-escape in link target";
                return i;
            }
            i += 2;
        } else if (!is_uri_char(s[i])) {
            *reason = "bad character in link target";
            return i;
        }
    }
    return len;
}

static int read_target(lwm2m_link_reader *r, lwm2m_link *out)
{
    const uint8_t *in = r->in;
    size_t start = r->pos; /* at '<' */
    size_t end = start + 1;
    while (end < r->len && in[end] != '>')
        end++;
    if (end >= r->len)
        return set_err(r, LWM2M_ERR_INVALID, start, "unterminated link target");
    if (end == start + 1)
        return set_err(r, LWM2M_ERR_INVALID, start, "empty link target");
    const char *reason = NULL;
    size_t n = end - start - 1;
    size_t bad = check_uri(in + start + 1, n, &reason);
    if (bad < n)
        return set_err(r, LWM2M_ERR_INVALID, start + 1 + bad, reason);
    out->target = (const char *)in + start + 1;
    out->target_len = n;
    out->has_path = lwm2m_path_parse(out->target, n, &out->path) == LWM2M_OK;
    if (!out->has_path)
        out->path = lwm2m_path_root();
    r->pos = end + 1;
    return LWM2M_OK;
}

/* A quoted-string at r->pos (the opening '"'): value without quotes, unescaped. */
static int read_quoted(lwm2m_link_reader *r, lwm2m_link_param *p)
{
    const uint8_t *in = r->in;
    size_t start = r->pos, i = start + 1;
    size_t escapes = 0;
    while (i < r->len && in[i] != '"') {
        if (in[i] == '\\') {
            if (i + 1 >= r->len)
                return set_err(r, LWM2M_ERR_INVALID, start, "unterminated quoted string");
            if (!is_text_char(in[i + 1]))
                return set_err(r, LWM2M_ERR_INVALID, i + 1, "control character in quoted string");
            escapes++;
            i += 2;
            continue;
        }
        if (!is_text_char(in[i]))
            return set_err(r, LWM2M_ERR_INVALID, i, "control character in quoted string");
        i++;
    }
    if (i >= r->len)
        return set_err(r, LWM2M_ERR_INVALID, start, "unterminated quoted string");
    p->quoted = true;
    p->raw = (const char *)in + start;
    p->raw_len = i + 1 - start;
    p->value = (const char *)in + start + 1;
    p->value_len = i - start - 1;
    if (escapes > 0) {
        /* Escapes make the value differ from the input: unescape into the arena. */
        char *dst = lwm2m_arena_alloc(r->arena, p->value_len - escapes, 1);
        if (dst == NULL)
            return set_err(r, LWM2M_ERR_NOMEM, start, "arena full");
        size_t n = 0;
        for (size_t k = start + 1; k < i; k++) {
            if (in[k] == '\\')
                k++;
            dst[n++] = (char)in[k];
        }
        p->value = dst;
        p->value_len = n;
    }
    r->pos = i + 1;
    return LWM2M_OK;
}

static int read_param(lwm2m_link_reader *r, lwm2m_link *out)
{
    const uint8_t *in = r->in;
    size_t start = r->pos; /* after ';' */
    if (out->param_count == LWM2M_LINK_MAX_PARAMS)
        return set_err(r, LWM2M_ERR_NOMEM, start, "too many link parameters");
    lwm2m_link_param *p = &out->params[out->param_count];
    memset(p, 0, sizeof *p);
    size_t i = start;
    while (i < r->len && is_name_char(in[i]))
        i++;
    if (i == start)
        return set_err(r, LWM2M_ERR_INVALID, start,
                       start == r->len ? "truncated link parameter" : "bad link parameter name");
    if (i < r->len && in[i] == '*') /* RFC 2231 style "title*" */
        i++;
    p->name = (const char *)in + start;
    p->name_len = i - start;
    r->pos = i;
    if (i < r->len && in[i] == '=') {
        r->pos = ++i;
        if (i < r->len && in[i] == '"') {
            int rc = read_quoted(r, p);
            if (rc != LWM2M_OK)
                return rc;
        } else {
            while (i < r->len && is_ptoken_char(in[i]))
                i++;
            if (i == r->pos)
                return set_err(r, LWM2M_ERR_INVALID, i,
                               i == r->len ? "truncated link parameter"
                                           : "bad link parameter value");
            p->value = p->raw = (const char *)in + r->pos;
            p->value_len = p->raw_len = i - r->pos;
            r->pos = i;
        }
    }
    out->param_count++;
    return LWM2M_OK;
}

int lwm2m_link_next(lwm2m_link_reader *r, lwm2m_link *out, lwm2m_codec_error *err)
{
    int rc;
    if (r->state == ST_READING) {
        rc = 0;
        if (r->pos < r->len) {
            memset(out, 0, sizeof *out);
            out->offset = r->pos;
            if (r->in[r->pos] != '<') {
                const char *why = r->in[r->pos] == ',' ? "empty link" : "expected '<'";
                rc = set_err(r, LWM2M_ERR_INVALID, r->pos, why);
            } else {
                rc = read_target(r, out);
            }
            while (rc == LWM2M_OK && r->pos < r->len && r->in[r->pos] == ';') {
                r->pos++;
                rc = read_param(r, out);
            }
            if (rc == LWM2M_OK && r->pos < r->len) {
                if (r->in[r->pos] != ',')
                    rc = set_err(r, LWM2M_ERR_INVALID, r->pos, "expected ',' or ';'");
                else if (++r->pos == r->len)
                    rc = set_err(r, LWM2M_ERR_INVALID, r->pos, "empty link");
            }
            if (rc == LWM2M_OK)
                rc = 1;
        }
        if (rc == 0)
            r->state = ST_DONE;
    } else {
        rc = r->state == ST_DONE ? 0 : r->state;
    }
    if (rc < 0 && err != NULL)
        *err = r->err;
    return rc;
}

int lwm2m_link_count(const uint8_t *in, size_t len, lwm2m_arena *arena, size_t *count,
                     lwm2m_codec_error *err)
{
    lwm2m_link_reader r;
    lwm2m_link link;
    size_t n = 0;
    int rc;
    lwm2m_link_reader_init(&r, in, len, arena);
    while ((rc = lwm2m_link_next(&r, &link, err)) == 1)
        n++;
    if (count != NULL)
        *count = n;
    return rc;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool name_is(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (k != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((uint8_t)s[i]) != lower((uint8_t)name[i]))
            return false;
    return true;
}

const lwm2m_link_param *lwm2m_link_find(const lwm2m_link *link, const char *name)
{
    if (link == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < link->param_count && i < LWM2M_LINK_MAX_PARAMS; i++)
        if (name_is(link->params[i].name, link->params[i].name_len, name))
            return &link->params[i];
    return NULL;
}

bool lwm2m_link_param_is(const lwm2m_link_param *p, const char *s)
{
    if (p == NULL || p->value == NULL || s == NULL)
        return false;
    size_t n = strlen(s);
    return p->value_len == n && memcmp(p->value, s, n) == 0;
}

int lwm2m_link_target_path(const char *target, size_t len, const char *root, lwm2m_path *out)
{
    if (target == NULL)
        return LWM2M_ERR_INVALID;
    size_t rlen = root ? strlen(root) : 0;
    while (rlen > 0 && root[rlen - 1] == '/') /* "/lwm2m/" is the same root as "/lwm2m" */
        rlen--;
    if (rlen > 0) {
        if (len < rlen || memcmp(target, root, rlen) != 0)
            return LWM2M_ERR_NOT_FOUND;
        if (len == rlen || (len == rlen + 1 && target[rlen] == '/')) {
            *out = lwm2m_path_root();
            return LWM2M_OK;
        }
        if (target[rlen] != '/')
            return LWM2M_ERR_NOT_FOUND; /* "/lwm2mx/3" is not below "/lwm2m" */
        target += rlen;
        len -= rlen;
    }
    return lwm2m_path_parse(target, len, out);
}

/* Parameters written as quoted strings even when their value is a ptoken. */
static bool always_quoted(const char *name, size_t n)
{
    static const char *const names[] = {"rt", "if", "anchor", "title", "uri"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (name_is(name, n, names[i]))
            return true;
    return false;
}

static bool needs_quotes(const lwm2m_link_param *p)
{
    if (p->value_len == 0 || always_quoted(p->name, p->name_len))
        return true;
    for (size_t i = 0; i < p->value_len; i++)
        if (!is_ptoken_char((uint8_t)p->value[i]))
            return true;
    return false;
}

static bool param_ok(const lwm2m_link_param *p)
{
    size_t n = p->name_len;
    if (p->name == NULL || n == 0)
        return false;
    if (p->name[n - 1] == '*') /* "title*" */
        n--;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char((uint8_t)p->name[i]))
            return false;
    if (p->value == NULL)
        return true;
    for (size_t i = 0; i < p->value_len; i++)
        if (!is_text_char((uint8_t)p->value[i]))
            return false;
    return true;
}

static int write_link(lwm2m_buf *out, const char *target, size_t target_len,
                      const lwm2m_link_param *params, size_t n, bool first)
{
    if (params == NULL && n > 0)
        return LWM2M_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!param_ok(&params[i]))
            return LWM2M_ERR_INVALID;
    if (!first)
        lwm2m_buf_putc(out, ',');
    lwm2m_buf_putc(out, '<');
    lwm2m_buf_put(out, target, target_len);
    lwm2m_buf_putc(out, '>');
    for (size_t i = 0; i < n; i++) {
        const lwm2m_link_param *p = &params[i];
        lwm2m_buf_putc(out, ';');
        lwm2m_buf_put(out, p->name, p->name_len);
        if (p->value == NULL)
            continue;
        lwm2m_buf_putc(out, '=');
        if (!needs_quotes(p)) {
            lwm2m_buf_put(out, p->value, p->value_len);
            continue;
        }
        lwm2m_buf_putc(out, '"');
        size_t run = 0; /* copy runs between characters that need a backslash */
        for (size_t k = 0; k < p->value_len; k++) {
            if (p->value[k] == '"' || p->value[k] == '\\') {
                lwm2m_buf_put(out, p->value + run, k - run);
                lwm2m_buf_putc(out, '\\');
                run = k;
            }
        }
        lwm2m_buf_put(out, p->value + run, p->value_len - run);
        lwm2m_buf_putc(out, '"');
    }
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}

int lwm2m_link_write(lwm2m_buf *out, const lwm2m_path *target, const lwm2m_link_param *params,
                     size_t n, bool first)
{
    char path[LWM2M_PATH_STR_MAX];
    if (out == NULL || target == NULL || target->len > LWM2M_PATH_MAX_DEPTH)
        return LWM2M_ERR_INVALID;
    size_t len = lwm2m_path_format(target, path, sizeof path);
    if (len >= sizeof path)
        return LWM2M_ERR_INVALID;
    return write_link(out, path, len, params, n, first);
}

int lwm2m_link_write_target(lwm2m_buf *out, const char *target, size_t target_len,
                            const lwm2m_link_param *params, size_t n, bool first)
{
    const char *reason;
    if (out == NULL || target == NULL || target_len == 0 ||
        check_uri((const uint8_t *)target, target_len, &reason) != target_len)
        return LWM2M_ERR_INVALID;
    return write_link(out, target, target_len, params, n, first);
}
