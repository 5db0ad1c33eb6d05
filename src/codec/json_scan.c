/* Bounded JSON reader/writer shared by the SenML JSON and LwM2M JSON codecs (RFC 8259). */
#include "codec/codec_common.h"
#include "codec/json_scan.h"
#include "core/utf8.h"

#include <math.h>
#include <string.h>

#include "core/numtext.h"
#include "lwm2m/error.h"

void lwm2m_json_init(lwm2m_json *j, const uint8_t *in, size_t len)
{
    j->in = in;
    j->len = in != NULL ? len : 0;
    j->pos = 0;
    j->depth = 0;
    j->rc = 0;
    j->reason = NULL;
    j->err_pos = 0;
}

int lwm2m_json_fail(lwm2m_json *j, size_t pos, int rc, const char *reason)
{
    if (j->rc == 0) {
        j->rc = rc;
        j->reason = reason;
        j->err_pos = pos;
    }
    return j->rc;
}

static int fail(lwm2m_json *j, const char *reason)
{
    return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID, reason);
}

static void skip_ws(lwm2m_json *j)
{
    while (j->pos < j->len) {
        uint8_t c = j->in[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->pos++;
    }
}

lwm2m_json_kind lwm2m_json_peek(lwm2m_json *j)
{
    if (j->rc != 0)
        return LWM2M_JSON_BAD;
    skip_ws(j);
    if (j->pos >= j->len)
        return LWM2M_JSON_BAD;
    uint8_t c = j->in[j->pos];
    switch (c) {
    case '"':
        return LWM2M_JSON_STRING;
    case 't':
        return LWM2M_JSON_TRUE;
    case 'f':
        return LWM2M_JSON_FALSE;
    case 'n':
        return LWM2M_JSON_NULL;
    case '{':
        return LWM2M_JSON_OBJECT;
    case '[':
        return LWM2M_JSON_ARRAY;
    default:
        return c == '-' || (c >= '0' && c <= '9') ? LWM2M_JSON_NUMBER : LWM2M_JSON_BAD;
    }
}

static int expect_value(lwm2m_json *j, lwm2m_json_kind want, const char *reason)
{
    lwm2m_json_kind k = lwm2m_json_peek(j);
    if (j->rc != 0)
        return j->rc;
    if (k == want)
        return LWM2M_OK;
    return fail(j, j->pos >= j->len ? "truncated payload" : reason);
}

static int open_container(lwm2m_json *j, lwm2m_json_kind kind, const char *reason)
{
    int rc = expect_value(j, kind, reason);
    if (rc != LWM2M_OK)
        return rc;
    if (j->depth >= LWM2M_JSON_MAX_DEPTH)
        return fail(j, "nesting too deep");
    j->depth++;
    j->pos++;
    return LWM2M_OK;
}

int lwm2m_json_begin_object(lwm2m_json *j)
{
    return open_container(j, LWM2M_JSON_OBJECT, "expected an object");
}

int lwm2m_json_begin_array(lwm2m_json *j)
{
    return open_container(j, LWM2M_JSON_ARRAY, "expected an array");
}

/* Shared part of next_member / next_element: the closing bracket or the separator. */
static int next_item(lwm2m_json *j, size_t *count, uint8_t close, bool *more)
{
    *more = false;
    if (j->rc != 0)
        return j->rc;
    skip_ws(j);
    if (j->pos >= j->len)
        return fail(j, "truncated payload");
    uint8_t c = j->in[j->pos];
    if (c == close) {
        j->pos++;
        j->depth--;
        return LWM2M_OK;
    }
    if (*count > 0) {
        if (c != ',')
            return fail(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        j->pos++;
        skip_ws(j);
    }
    (*count)++;
    *more = true;
    return LWM2M_OK;
}

int lwm2m_json_next_member(lwm2m_json *j, size_t *count, lwm2m_json_str *key, bool *more)
{
    int rc = next_item(j, count, '}', more);
    if (rc != LWM2M_OK || !*more)
        return rc;
    if (j->pos < j->len && j->in[j->pos] != '"')
        return fail(j, "expected a member name");
    rc = lwm2m_json_read_string(j, key);
    if (rc != LWM2M_OK)
        return rc;
    skip_ws(j);
    if (j->pos >= j->len)
        return fail(j, "truncated payload");
    if (j->in[j->pos] != ':')
        return fail(j, "expected ':'");
    j->pos++;
    return LWM2M_OK;
}

int lwm2m_json_next_element(lwm2m_json *j, size_t *count, bool *more)
{
    return next_item(j, count, ']', more);
}

static int hex4(const uint8_t *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t utf8_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static size_t utf8_put(uint32_t cp, uint8_t u[4])
{
    size_t n = utf8_len(cp);
    switch (n) {
    case 1:
        u[0] = (uint8_t)cp;
        break;
    case 2:
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    case 3:
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    default:
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    }
    return n;
}

/* A \u escape at p (p[0] == '\\', n bytes available): the code point and the bytes it uses
 * (6, or 12 for a surrogate pair); 0 used when malformed. */
static size_t read_u_escape(const uint8_t *p, size_t n, uint32_t *cp)
{
    if (n < 6)
        return 0;
    int hi = hex4(p + 2);
    if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return 6;
    }
    if (n < 12 || p[6] != '\\' || p[7] != 'u')
        return 0;
    int lo = hex4(p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000u + (((uint32_t)hi - 0xD800u) << 10) + ((uint32_t)lo - 0xDC00u);
    return 12;
}

static uint8_t simple_escape(uint8_t e)
{
    switch (e) {
    case '"':
    case '\\':
    case '/':
        return e;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

int lwm2m_json_read_string(lwm2m_json *j, lwm2m_json_str *out)
{
    int rc = expect_value(j, LWM2M_JSON_STRING, "expected a string");
    if (rc != LWM2M_OK)
        return rc;
    size_t start = j->pos + 1;
    size_t i = start, dec = 0;
    bool escaped = false;
    while (i < j->len) {
        uint8_t c = j->in[i];
        if (c == '"') {
            out->pos = start;
            out->raw_len = i - start;
            out->len = dec;
            out->escaped = escaped;
            j->pos = i + 1;
            return LWM2M_OK;
        }
        if (c == '\\') {
            escaped = true;
            if (i + 1 >= j->len)
                break;
            if (j->in[i + 1] == 'u') {
                uint32_t cp;
                size_t used = read_u_escape(j->in + i, j->len - i, &cp);
                if (used == 0)
                    return lwm2m_json_fail(j, i, LWM2M_ERR_INVALID, "invalid \\u escape");
                dec += utf8_len(cp);
                i += used;
            } else {
                if (simple_escape(j->in[i + 1]) == 0)
                    return lwm2m_json_fail(j, i, LWM2M_ERR_INVALID, "invalid escape in string");
                dec++;
                i += 2;
            }
        } else if (c < 0x20) {
            return lwm2m_json_fail(j, i, LWM2M_ERR_INVALID, "control character in string");
        } else {
            size_t n = lwm2m_utf8_seq(j->in + i, j->len - i);
            if (n == 0)
                return lwm2m_json_fail(j, i, LWM2M_ERR_INVALID, "invalid utf-8 in string");
            dec += n;
            i += n;
        }
    }
    return lwm2m_json_fail(j, j->len, LWM2M_ERR_INVALID, "truncated string");
}

int lwm2m_json_read_number(lwm2m_json *j, lwm2m_json_num *out)
{
    int rc = expect_value(j, LWM2M_JSON_NUMBER, "expected a number");
    if (rc != LWM2M_OK)
        return rc;
    size_t start = j->pos, end = j->pos;
    while (end < j->len && strchr("+-0123456789.eE", j->in[end]) != NULL && j->in[end] != 0)
        end++;
    if (end - start > LWM2M_JSON_NUMBER_MAX)
        return fail(j, "number too long");
    double d;
    bool is_int;
    rc = lwm2m_parse_number((const char *)j->in + start, end - start, &d, &is_int);
    if (rc != LWM2M_OK)
        return fail(j, rc == LWM2M_ERR_RANGE ? "number out of range" : "invalid number");
    out->pos = start;
    out->len = end - start;
    out->d = d;
    out->is_integer = is_int;
    j->pos = end;
    return LWM2M_OK;
}

static int read_literal(lwm2m_json *j, const char *lit)
{
    size_t n = strlen(lit);
    if (j->len - j->pos < n)
        return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID,
                               memcmp(j->in + j->pos, lit, j->len - j->pos) == 0
                                   ? "truncated payload"
                                   : "invalid literal");
    if (memcmp(j->in + j->pos, lit, n) != 0)
        return fail(j, "invalid literal");
    j->pos += n;
    return LWM2M_OK;
}

int lwm2m_json_read_bool(lwm2m_json *j, bool *out)
{
    lwm2m_json_kind k = lwm2m_json_peek(j);
    if (j->rc != 0)
        return j->rc;
    if (k != LWM2M_JSON_TRUE && k != LWM2M_JSON_FALSE)
        return fail(j, j->pos >= j->len ? "truncated payload" : "expected true or false");
    *out = k == LWM2M_JSON_TRUE;
    return read_literal(j, *out ? "true" : "false");
}

int lwm2m_json_skip_value(lwm2m_json *j)
{
    /* Iterative, so the depth bound of begin_* is the only limit (no recursion). */
    bool is_obj[LWM2M_JSON_MAX_DEPTH];
    size_t counts[LWM2M_JSON_MAX_DEPTH];
    unsigned level = 0;
    for (;;) {
        lwm2m_json_kind k = lwm2m_json_peek(j);
        lwm2m_json_str s;
        lwm2m_json_num num;
        bool b;
        switch (k) {
        case LWM2M_JSON_STRING:
            lwm2m_json_read_string(j, &s);
            break;
        case LWM2M_JSON_NUMBER:
            lwm2m_json_read_number(j, &num);
            break;
        case LWM2M_JSON_TRUE:
        case LWM2M_JSON_FALSE:
            lwm2m_json_read_bool(j, &b);
            break;
        case LWM2M_JSON_NULL:
            read_literal(j, "null");
            break;
        case LWM2M_JSON_OBJECT:
        case LWM2M_JSON_ARRAY:
            if (level >= LWM2M_JSON_MAX_DEPTH)
                return fail(j, "nesting too deep");
            if (open_container(j, k, "expected a value") != LWM2M_OK)
                return j->rc;
            is_obj[level] = k == LWM2M_JSON_OBJECT;
            counts[level] = 0;
            level++;
            break;
        default:
            if (j->rc == 0)
                fail(j, j->pos >= j->len ? "truncated payload" : "expected a value");
            break;
        }
        if (j->rc != 0)
            return j->rc;
        for (;;) {
            if (level == 0)
                return LWM2M_OK;
            bool more;
            lwm2m_json_str key;
            if (is_obj[level - 1])
                lwm2m_json_next_member(j, &counts[level - 1], &key, &more);
            else
                lwm2m_json_next_element(j, &counts[level - 1], &more);
            if (j->rc != 0)
                return j->rc;
            if (more)
                break;
            level--;
        }
    }
}

int lwm2m_json_finish(lwm2m_json *j)
{
    if (j->rc != 0)
        return j->rc;
    skip_ws(j);
    if (j->pos != j->len)
        return fail(j, "trailing data after the payload");
    return LWM2M_OK;
}

/* Walks the unescaped bytes of a validated string token one at a time. */
typedef struct unit_iter {
    const uint8_t *raw;
    size_t end;
    size_t i;
    uint8_t u[4];
    size_t n, k;
} unit_iter;

static void iter_init(unit_iter *it, const lwm2m_json *j, const lwm2m_json_str *s)
{
    it->raw = j->in + s->pos;
    it->end = s->raw_len;
    it->i = 0;
    it->n = 0;
    it->k = 0;
}

static bool iter_next(unit_iter *it, uint8_t *c)
{
    if (it->k == it->n) {
        if (it->i >= it->end)
            return false;
        const uint8_t *p = it->raw + it->i;
        it->k = 0;
        if (p[0] != '\\') {
            it->u[0] = p[0];
            it->n = 1;
            it->i++;
        } else if (p[1] == 'u') {
            uint32_t cp = 0;
            size_t used = read_u_escape(p, it->end - it->i, &cp);
            it->n = utf8_put(cp, it->u);
            it->i += used > 0 ? used : it->end - it->i; /* validated; never 0 */
        } else {
            it->u[0] = simple_escape(p[1]);
            it->n = 1;
            it->i += 2;
        }
    }
    *c = it->u[it->k++];
    return true;
}

bool lwm2m_json_str_is(const lwm2m_json *j, const lwm2m_json_str *s, const char *lit)
{
    size_t n = strlen(lit);
    if (s->len != n)
        return false;
    if (!s->escaped)
        return memcmp(j->in + s->pos, lit, n) == 0;
    unit_iter it;
    iter_init(&it, j, s);
    uint8_t c;
    for (size_t i = 0; i < n; i++)
        if (!iter_next(&it, &c) || c != (uint8_t)lit[i])
            return false;
    return true;
}

bool lwm2m_json_str_equal(const lwm2m_json *j, const lwm2m_json_str *a, const lwm2m_json_str *b)
{
    if (a->len != b->len)
        return false;
    if (!a->escaped && !b->escaped)
        return memcmp(j->in + a->pos, j->in + b->pos, a->len) == 0;
    unit_iter ia, ib;
    iter_init(&ia, j, a);
    iter_init(&ib, j, b);
    uint8_t ca, cb;
    while (iter_next(&ia, &ca)) {
        if (!iter_next(&ib, &cb) || ca != cb)
            return false;
    }
    return true;
}

uint8_t lwm2m_json_str_last(const lwm2m_json *j, const lwm2m_json_str *s)
{
    if (s->len == 0)
        return 0;
    if (!s->escaped)
        return j->in[s->pos + s->raw_len - 1];
    unit_iter it;
    iter_init(&it, j, s);
    uint8_t c = 0, last = 0;
    while (iter_next(&it, &c))
        last = c;
    return last;
}

void lwm2m_json_str_unescape(const lwm2m_json *j, const lwm2m_json_str *s, uint8_t *dst)
{
    if (!s->escaped) {
        if (s->len > 0)
            memcpy(dst, j->in + s->pos, s->len);
        return;
    }
    unit_iter it;
    iter_init(&it, j, s);
    size_t o = 0;
    uint8_t c;
    while (o < s->len && iter_next(&it, &c))
        dst[o++] = c;
}

int lwm2m_json_str_bytes(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_arena *arena,
                         lwm2m_bytes *out)
{
    if (!s->escaped) {
        out->ptr = j->in + s->pos;
        out->len = s->len;
        return LWM2M_OK;
    }
    uint8_t *dst = lwm2m_arena_alloc(arena, s->len, 1);
    if (dst == NULL)
        return LWM2M_ERR_NOMEM;
    lwm2m_json_str_unescape(j, s, dst);
    out->ptr = dst;
    out->len = s->len;
    return LWM2M_OK;
}

int lwm2m_json_str_base64(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_arena *arena,
                          lwm2m_bytes *out)
{
    if (s->len == 0) {
        out->ptr = NULL;
        out->len = 0;
        return LWM2M_OK;
    }
    if (arena == NULL)
        return LWM2M_ERR_NOMEM;
    size_t mark = arena->used;
    size_t max = lwm2m_base64_decoded_max(s->len);
    uint8_t *dst = lwm2m_arena_alloc(arena, max, 1);
    if (dst == NULL)
        return LWM2M_ERR_NOMEM;
    const char *src = (const char *)j->in + s->pos;
    if (s->escaped) {
        /* Escaped base64 is legal JSON but rare: unescape into scratch space past dst. */
        uint8_t *tmp = lwm2m_arena_alloc(arena, s->len, 1);
        if (tmp == NULL) {
            arena->used = mark;
            return LWM2M_ERR_NOMEM;
        }
        lwm2m_json_str_unescape(j, s, tmp);
        src = (const char *)tmp;
    }
    size_t n = 0;
    if (lwm2m_base64_decode(src, s->len, dst, max, &n) != LWM2M_OK) {
        arena->used = mark;
        return LWM2M_ERR_INVALID;
    }
    /* Give back the unused tail (and the scratch copy). */
    arena->used = (size_t)(dst - arena->base) + n;
    out->ptr = dst;
    out->len = n;
    return LWM2M_OK;
}

/* 1 to 5 decimal digits, at most 65535. */
static bool parse_u16(const uint8_t *s, size_t len, uint16_t *out)
{
    if (len == 0 || len > 5)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    if (v > 65535u)
        return false;
    *out = (uint16_t)v;
    return true;
}

int lwm2m_json_str_objlnk(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_objlnk *out)
{
    uint8_t buf[11]; /* "65535:65535" */
    if (s->len > sizeof buf)
        return LWM2M_ERR_INVALID;
    lwm2m_json_str_unescape(j, s, buf);
    /* The spec's Read /65/0 examples (SenML JSON and LwM2M JSON) write the null link in hex. */
    if (s->len == 9 && memcmp(buf, "FFFF:FFFF", 9) == 0) {
        out->obj = 0xFFFF;
        out->inst = 0xFFFF;
        return LWM2M_OK;
    }
    size_t colon = 0;
    while (colon < s->len && buf[colon] != ':')
        colon++;
    if (colon == s->len || !parse_u16(buf, colon, &out->obj) ||
        !parse_u16(buf + colon + 1, s->len - colon - 1, &out->inst))
        return LWM2M_ERR_INVALID;
    return LWM2M_OK;
}

int lwm2m_json_name_path(const lwm2m_json *j, const lwm2m_json_str *bn, bool has_bn,
                         const lwm2m_json_str *n, bool has_n, lwm2m_path *out)
{
    size_t a = has_bn ? bn->len : 0, b = has_n ? n->len : 0;
    uint8_t buf[LWM2M_PATH_STR_MAX];
    /* Anything longer than "/65534/65534/65534/65534" cannot be a path. */
    if (a + b == 0 || a >= sizeof buf || b >= sizeof buf || a + b >= sizeof buf)
        return LWM2M_ERR_INVALID;
    if (has_bn)
        lwm2m_json_str_unescape(j, bn, buf);
    if (has_n)
        lwm2m_json_str_unescape(j, n, buf + a);
    return lwm2m_path_parse((const char *)buf, a + b, out) == LWM2M_OK ? LWM2M_OK
                                                                       : LWM2M_ERR_INVALID;
}

int lwm2m_json_num_value(const lwm2m_json *j, const lwm2m_json_num *n, lwm2m_type want,
                         lwm2m_value *out)
{
    if (want == LWM2M_TYPE_FLOAT) {
        *out = lwm2m_value_float(n->d);
        return LWM2M_OK;
    }
    const char *raw = (const char *)j->in + n->pos;
    lwm2m_value v = lwm2m_value_float(n->d);
    if (n->is_integer) {
        int64_t i;
        uint64_t u;
        if (lwm2m_parse_i64(raw, n->len, &i) == LWM2M_OK)
            v = lwm2m_value_int(i);
        else if (lwm2m_parse_u64(raw, n->len, &u) == LWM2M_OK)
            v = lwm2m_value_uint(u);
    }
    int rc = lwm2m_value_convert(&v, want, out);
    /* Out of range for the declared type is a type mismatch for the caller. */
    return rc == LWM2M_OK ? LWM2M_OK : LWM2M_ERR_TYPE;
}

void lwm2m_json_put_string(lwm2m_buf *b, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    lwm2m_buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        if (i > run)
            lwm2m_buf_put(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            uint8_t e[2] = {'\\', c};
            lwm2m_buf_put(b, e, 2);
        } else {
            uint8_t e[6] = {'\\', 'u', '0', '0', (uint8_t)hex[c >> 4], (uint8_t)hex[c & 15]};
            lwm2m_buf_put(b, e, 6);
        }
    }
    if (len > run)
        lwm2m_buf_put(b, s + run, len - run);
    lwm2m_buf_putc(b, '"');
}

int lwm2m_json_put_double(lwm2m_buf *b, double d)
{
    char tmp[LWM2M_DOUBLE_STR_MAX];
    size_t n = lwm2m_fmt_double(d, tmp, sizeof tmp);
    if (n == 0)
        return LWM2M_ERR_INVALID;
    lwm2m_buf_put(b, tmp, n);
    return LWM2M_OK;
}

void lwm2m_json_put_key(lwm2m_buf *b, const char *key)
{
    lwm2m_buf_putc(b, '"');
    lwm2m_buf_puts(b, key);
    lwm2m_buf_put(b, "\":", 2);
}

int lwm2m_json_put_number(lwm2m_buf *b, const lwm2m_value *v)
{
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return lwm2m_buf_printf(b, "%lld", (long long)v->v.i);
    case LWM2M_TYPE_UNSIGNED:
        return lwm2m_buf_printf(b, "%llu", (unsigned long long)v->v.u);
    case LWM2M_TYPE_FLOAT:
        return lwm2m_json_put_double(b, v->v.f);
    default:
        return LWM2M_ERR_INVALID;
    }
}

size_t lwm2m_json_base_name(const lwm2m_path *base, const lwm2m_path *first,
                            char bn[LWM2M_PATH_STR_MAX + 1])
{
    size_t n = lwm2m_path_format(base, bn, LWM2M_PATH_STR_MAX);
    if (base->len > 0 && (first == NULL || !lwm2m_path_equal(base, first)))
        bn[n++] = '/';
    bn[n] = '\0';
    return n;
}

bool lwm2m_json_time_offset(double bt, double time, double *t)
{
    double d = time - bt;
    if (d - d != 0 || bt + d != time)
        return false;
    *t = d;
    return true;
}

int lwm2m_json_put_value(lwm2m_buf *b, const lwm2m_value *v, const lwm2m_json_labels *labels)
{
    if (!lwm2m_codec_value_ok(v))
        return LWM2M_ERR_INVALID;
    switch (v->type) {
    case LWM2M_TYPE_BOOLEAN:
        lwm2m_json_put_key(b, labels->boolean);
        lwm2m_buf_puts(b, v->v.b ? "true" : "false");
        return LWM2M_OK;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        lwm2m_json_put_key(b, labels->string);
        lwm2m_json_put_string(b, v->v.bytes.ptr, v->v.bytes.len);
        return LWM2M_OK;
    case LWM2M_TYPE_OPAQUE:
        lwm2m_json_put_key(b, labels->opaque);
        lwm2m_buf_putc(b, '"');
        lwm2m_base64_encode(v->v.bytes.ptr, v->v.bytes.len, labels->base64url, b);
        lwm2m_buf_putc(b, '"');
        return LWM2M_OK;
    case LWM2M_TYPE_OBJLNK:
        lwm2m_json_put_key(b, labels->objlnk);
        return lwm2m_buf_printf(b, "\"%u:%u\"", (unsigned)v->v.objlnk.obj,
                                (unsigned)v->v.objlnk.inst);
    default:
        lwm2m_json_put_key(b, labels->number);
        return lwm2m_json_put_number(b, v);
    }
}
