/* CBOR (RFC 8949) reader and writer over caller buffers; see cbor_rw.h. */
#include "codec/cbor_rw.h"
#include "core/utf8.h"

#include <math.h>
#include <string.h>

#include "lwm2m/error.h"

#define BREAK_BYTE 0xFFu

void lwm2m_cbor_reader_init(lwm2m_cbor_reader *r, const uint8_t *in, size_t len)
{
    r->in = in;
    r->len = in != NULL ? len : 0;
    r->pos = 0;
    r->rc = LWM2M_OK;
    r->reason = NULL;
    r->err_pos = 0;
}

int lwm2m_cbor_fail(lwm2m_cbor_reader *r, size_t pos, int rc, const char *reason)
{
    if (r->rc == LWM2M_OK) {
        r->rc = rc;
        r->reason = reason;
        r->err_pos = pos;
    }
    return r->rc;
}

/* ---- floats: exact conversions by bit manipulation, so NaN payloads and signs survive ---- */

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* A binary16 (ebits 5, mbits 10) or binary32 (8, 23) bit pattern as the double it denotes. */
static double widen(uint32_t bits, unsigned ebits, unsigned mbits)
{
    uint64_t sign = (uint64_t)((bits >> (ebits + mbits)) & 1u) << 63;
    uint32_t e = (bits >> mbits) & ((1u << ebits) - 1u);
    uint64_t m = bits & ((1u << mbits) - 1u);
    int bias = (1 << (ebits - 1)) - 1;
    uint64_t out;
    if (e == (1u << ebits) - 1u) {
        out = (0x7FFull << 52) | (m << (52 - mbits));
    } else if (e == 0) {
        /* Subnormal: m * 2^(1 - bias - mbits), exact and normal as a double. */
        out = m == 0 ? 0 : double_bits(ldexp((double)m, 1 - bias - (int)mbits));
    } else {
        out = ((uint64_t)((int)e - bias + 1023) << 52) | (m << (52 - mbits));
    }
    return bits_double(out | sign);
}

/* The binary16/binary32 bit pattern of d when it holds d exactly (NaN payload included). */
static bool narrow(double d, unsigned ebits, unsigned mbits, uint32_t *out)
{
    uint64_t u = double_bits(d);
    uint32_t sign = (uint32_t)(u >> 63);
    int e = (int)((u >> 52) & 0x7FF);
    uint64_t m = u & ((1ull << 52) - 1);
    int bias = (1 << (ebits - 1)) - 1;
    unsigned drop = 52 - mbits;
    uint64_t dropped = (1ull << drop) - 1;
    uint32_t ne, nm;
    if (e == 0x7FF) {
        if (m & dropped)
            return false;
        ne = (1u << ebits) - 1u;
        nm = (uint32_t)(m >> drop);
    } else if (e == 0) {
        if (m != 0)
            return false; /* double subnormals are far below binary32's range */
        ne = 0;
        nm = 0;
    } else {
        int x = e - 1023;
        if (x > bias)
            return false;
        if (x >= 1 - bias) {
            if (m & dropped)
                return false;
            ne = (uint32_t)(x + bias);
            nm = (uint32_t)(m >> drop);
        } else {
            /* Subnormal in the narrow format: nm * 2^(1 - bias - mbits). */
            int shift = (int)drop + (1 - bias - x);
            uint64_t full = m | (1ull << 52);
            if (shift >= 53 || (full & ((1ull << shift) - 1)) != 0)
                return false;
            ne = 0;
            nm = (uint32_t)(full >> shift);
        }
    }
    *out = (sign << (ebits + mbits)) | (ne << mbits) | nm;
    return true;
}

/* ---- reader ---- */

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int lwm2m_cbor_read(lwm2m_cbor_reader *r, lwm2m_cbor_item *it)
{
    if (r->rc != LWM2M_OK)
        return r->rc;
    size_t at = r->pos;
    if (at >= r->len)
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "truncated cbor item");
    uint8_t ib = r->in[at];
    unsigned major = ib >> 5, ai = ib & 31u;
    size_t p = at + 1;
    uint64_t val = ai;
    memset(it, 0, sizeof *it);
    it->offset = at;
    if (ai >= 24 && ai <= 27) {
        size_t n = (size_t)1 << (ai - 24);
        if (r->len - p < n)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "truncated cbor item");
        val = be(r->in + p, n);
        p += n;
    } else if (ai >= 28 && ai <= 30) {
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "reserved cbor additional information");
    } else if (ai == 31) {
        if (major == 7)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "unexpected cbor break");
        if (major < 2 || major == 6)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "indefinite length not allowed");
        it->indefinite = true;
        val = 0;
    }
    size_t left = r->len - p;
    it->val = val;
    switch (major) {
    case 0:
    case 1:
    case 6:
        it->kind = (lwm2m_cbor_kind)major;
        break;
    case 2:
    case 3:
        it->kind = (lwm2m_cbor_kind)major;
        if (!it->indefinite) {
            if (val > left)
                return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "string longer than the input");
            it->ptr = r->in + p;
            p += (size_t)val;
        }
        break;
    case 4:
        it->kind = LWM2M_CBOR_ARRAY;
        /* Every element takes at least one byte. */
        if (!it->indefinite && val > left)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "array longer than the input");
        break;
    case 5:
        it->kind = LWM2M_CBOR_MAP;
        if (!it->indefinite && val > left / 2)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "map longer than the input");
        break;
    default:
        if (ai == 25) {
            it->kind = LWM2M_CBOR_FLOAT;
            it->f = widen((uint32_t)val, 5, 10);
        } else if (ai == 26) {
            it->kind = LWM2M_CBOR_FLOAT;
            it->f = widen((uint32_t)val, 8, 23);
        } else if (ai == 27) {
            it->kind = LWM2M_CBOR_FLOAT;
            it->f = bits_double(val);
        } else {
            /* RFC 8949 §3.3: a two-byte simple value below 32 is not well-formed. */
            if (ai == 24 && val < 32)
                return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "invalid cbor simple value");
            it->kind = LWM2M_CBOR_SIMPLE;
        }
        break;
    }
    r->pos = p;
    return LWM2M_OK;
}

void lwm2m_cbor_iter_init(lwm2m_cbor_iter *it, const lwm2m_cbor_item *container)
{
    it->indefinite = container->indefinite;
    it->left = container->indefinite ? 0 : container->val;
}

int lwm2m_cbor_iter_next(lwm2m_cbor_reader *r, lwm2m_cbor_iter *iter, lwm2m_cbor_item *it)
{
    if (r->rc != LWM2M_OK)
        return r->rc;
    if (!iter->indefinite) {
        if (iter->left == 0)
            return 0;
        iter->left--;
    } else {
        if (r->pos >= r->len)
            return lwm2m_cbor_fail(r, r->pos, LWM2M_ERR_INVALID, "truncated cbor item");
        if (r->in[r->pos] == BREAK_BYTE) {
            r->pos++;
            return 0;
        }
    }
    int rc = lwm2m_cbor_read(r, it);
    return rc != LWM2M_OK ? rc : 1;
}

/* The next chunk of an indefinite string of major type `major`, or false at its break. */
static int next_chunk(lwm2m_cbor_reader *r, unsigned major, lwm2m_cbor_item *chunk, bool *more)
{
    if (r->pos >= r->len)
        return lwm2m_cbor_fail(r, r->pos, LWM2M_ERR_INVALID, "truncated cbor item");
    if (r->in[r->pos] == BREAK_BYTE) {
        r->pos++;
        *more = false;
        return LWM2M_OK;
    }
    int rc = lwm2m_cbor_read(r, chunk);
    if (rc != LWM2M_OK)
        return rc;
    if ((unsigned)chunk->kind != major || chunk->indefinite)
        return lwm2m_cbor_fail(r, chunk->offset, LWM2M_ERR_INVALID, "invalid string chunk");
    *more = true;
    return LWM2M_OK;
}

int lwm2m_cbor_read_string(lwm2m_cbor_reader *r, const lwm2m_cbor_item *it, lwm2m_arena *arena,
                           lwm2m_bytes *out)
{
    if (r->rc != LWM2M_OK)
        return r->rc;
    bool text = it->kind == LWM2M_CBOR_TEXT;
    if (!it->indefinite) {
        if (text && !lwm2m_utf8_valid(it->ptr, (size_t)it->val))
            return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "invalid utf-8 in text");
        out->ptr = it->ptr;
        out->len = (size_t)it->val;
        return LWM2M_OK;
    }
    /* First pass: validate the chunks and size the whole. */
    size_t start = r->pos, total = 0, nonempty = 0;
    const uint8_t *only = NULL;
    lwm2m_cbor_item chunk;
    bool more = true;
    for (;;) {
        int rc = next_chunk(r, (unsigned)it->kind, &chunk, &more);
        if (rc != LWM2M_OK)
            return rc;
        if (!more)
            break;
        if (text && !lwm2m_utf8_valid(chunk.ptr, (size_t)chunk.val))
            return lwm2m_cbor_fail(r, chunk.offset, LWM2M_ERR_INVALID, "invalid utf-8 in text");
        if (chunk.val > 0) {
            nonempty++;
            only = chunk.ptr;
        }
        total += (size_t)chunk.val; /* chunks lie inside the input: no overflow */
    }
    if (nonempty <= 1) {
        out->ptr = only;
        out->len = total;
        return LWM2M_OK;
    }
    size_t end = r->pos;
    uint8_t *dst = lwm2m_arena_alloc(arena, total, 1);
    if (dst == NULL)
        return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_NOMEM, "arena full");
    /* Second pass over the chunks already validated: copy them. */
    r->pos = start;
    size_t n = 0;
    for (;;) {
        next_chunk(r, (unsigned)it->kind, &chunk, &more);
        if (!more)
            break;
        if (chunk.val > 0)
            memcpy(dst + n, chunk.ptr, (size_t)chunk.val);
        n += (size_t)chunk.val;
    }
    r->pos = end;
    out->ptr = dst;
    out->len = total;
    return LWM2M_OK;
}

int lwm2m_cbor_skip(lwm2m_cbor_reader *r, const lwm2m_cbor_item *it, unsigned depth,
                    bool allow_tags)
{
    if (r->rc != LWM2M_OK)
        return r->rc;
    lwm2m_cbor_item sub;
    switch (it->kind) {
    case LWM2M_CBOR_BYTES:
    case LWM2M_CBOR_TEXT:
        if (it->indefinite) {
            bool more = true;
            while (more) {
                int rc = next_chunk(r, (unsigned)it->kind, &sub, &more);
                if (rc != LWM2M_OK)
                    return rc;
            }
        }
        return LWM2M_OK;
    case LWM2M_CBOR_ARRAY:
    case LWM2M_CBOR_MAP: {
        if (depth == 0)
            return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "cbor nesting too deep");
        lwm2m_cbor_iter iter;
        lwm2m_cbor_iter_init(&iter, it);
        int rc;
        while ((rc = lwm2m_cbor_iter_next(r, &iter, &sub)) == 1) {
            if (lwm2m_cbor_skip(r, &sub, depth - 1, allow_tags) != LWM2M_OK)
                return r->rc;
            if (it->kind == LWM2M_CBOR_MAP) {
                if (lwm2m_cbor_read(r, &sub) != LWM2M_OK ||
                    lwm2m_cbor_skip(r, &sub, depth - 1, allow_tags) != LWM2M_OK)
                    return r->rc;
            }
        }
        return rc;
    }
    case LWM2M_CBOR_TAG:
        if (!allow_tags)
            return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "unsupported cbor tag");
        if (depth == 0)
            return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "cbor nesting too deep");
        if (lwm2m_cbor_read(r, &sub) != LWM2M_OK)
            return r->rc;
        return lwm2m_cbor_skip(r, &sub, depth - 1, allow_tags);
    default:
        return LWM2M_OK;
    }
}

int lwm2m_cbor_number(const lwm2m_cbor_item *it, lwm2m_value *out)
{
    switch (it->kind) {
    case LWM2M_CBOR_UINT:
        *out = it->val <= (uint64_t)INT64_MAX ? lwm2m_value_int((int64_t)it->val)
                                              : lwm2m_value_uint(it->val);
        return LWM2M_OK;
    case LWM2M_CBOR_NINT:
        if (it->val > (uint64_t)INT64_MAX)
            return LWM2M_ERR_RANGE;
        *out = lwm2m_value_int(-1 - (int64_t)it->val);
        return LWM2M_OK;
    case LWM2M_CBOR_FLOAT:
        *out = lwm2m_value_float(it->f);
        return LWM2M_OK;
    default:
        return LWM2M_ERR_TYPE;
    }
}

int lwm2m_cbor_number_double(const lwm2m_cbor_item *it, double *out)
{
    switch (it->kind) {
    case LWM2M_CBOR_UINT:
        *out = (double)it->val;
        return LWM2M_OK;
    case LWM2M_CBOR_NINT:
        /* -1 - val computed exactly in integers, then rounded once (found by fuzzing: two
         * roundings gave times off by 2 above 2^53). */
        if (it->val <= (uint64_t)INT64_MAX)
            *out = (double)(-1 - (int64_t)it->val);
        else if (it->val == UINT64_MAX)
            *out = -18446744073709551616.0;
        else
            *out = -(double)(it->val + 1);
        return LWM2M_OK;
    case LWM2M_CBOR_FLOAT:
        *out = it->f;
        return LWM2M_OK;
    default:
        return LWM2M_ERR_TYPE;
    }
}

/* ---- writer ---- */

void lwm2m_cbor_put_head(lwm2m_buf *b, unsigned major, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (v < 24) {
        h[0] = (uint8_t)(mt | v);
        n = 1;
    } else {
        size_t w = v <= 0xFF ? 1 : v <= 0xFFFF ? 2 : v <= 0xFFFFFFFFu ? 4 : 8;
        h[0] = (uint8_t)(mt | (w == 1 ? 24 : w == 2 ? 25 : w == 4 ? 26 : 27));
        for (size_t i = 0; i < w; i++)
            h[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
        n = 1 + w;
    }
    lwm2m_buf_put(b, h, n);
}

void lwm2m_cbor_put_uint(lwm2m_buf *b, uint64_t v)
{
    lwm2m_cbor_put_head(b, 0, v);
}

void lwm2m_cbor_put_int(lwm2m_buf *b, int64_t v)
{
    if (v >= 0)
        lwm2m_cbor_put_head(b, 0, (uint64_t)v);
    else
        lwm2m_cbor_put_head(b, 1, (uint64_t)(-1 - v)); /* no overflow for INT64_MIN */
}

void lwm2m_cbor_put_bytes(lwm2m_buf *b, const void *p, size_t n)
{
    lwm2m_cbor_put_head(b, 2, n);
    lwm2m_buf_put(b, p, n);
}

void lwm2m_cbor_put_text(lwm2m_buf *b, const void *p, size_t n)
{
    lwm2m_cbor_put_head(b, 3, n);
    lwm2m_buf_put(b, p, n);
}

void lwm2m_cbor_put_array(lwm2m_buf *b, uint64_t n)
{
    lwm2m_cbor_put_head(b, 4, n);
}

void lwm2m_cbor_put_map(lwm2m_buf *b, uint64_t n)
{
    lwm2m_cbor_put_head(b, 5, n);
}

void lwm2m_cbor_put_tag(lwm2m_buf *b, uint64_t tag)
{
    lwm2m_cbor_put_head(b, 6, tag);
}

void lwm2m_cbor_put_bool(lwm2m_buf *b, bool v)
{
    lwm2m_buf_putc(b, (uint8_t)(0xE0 | (v ? LWM2M_CBOR_TRUE : LWM2M_CBOR_FALSE)));
}

void lwm2m_cbor_put_float(lwm2m_buf *b, double d)
{
    uint8_t h[9];
    uint32_t nb;
    size_t n;
    if (narrow(d, 5, 10, &nb)) {
        h[0] = 0xF9;
        n = 2;
    } else if (narrow(d, 8, 23, &nb)) {
        h[0] = 0xFA;
        n = 4;
    } else {
        uint64_t u = double_bits(d);
        h[0] = 0xFB;
        for (size_t i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(u >> (56 - 8 * i));
        lwm2m_buf_put(b, h, 9);
        return;
    }
    for (size_t i = 0; i < n; i++)
        h[1 + i] = (uint8_t)(nb >> (8 * (n - 1 - i)));
    lwm2m_buf_put(b, h, 1 + n);
}

void lwm2m_cbor_put_number(lwm2m_buf *b, double d)
{
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
        !(d == 0 && signbit(d)))
        lwm2m_cbor_put_int(b, (int64_t)d);
    else
        lwm2m_cbor_put_float(b, d);
}

/* ---- shared helpers ---- */

/* Decimal digits only, value <= 65535. */
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
    if (v > 0xFFFFu)
        return false;
    *out = (uint16_t)v;
    return true;
}

int lwm2m_cbor_objlnk_parse(const uint8_t *s, size_t len, lwm2m_objlnk *out)
{
    if (len == 9 && memcmp(s, "FFFF:FFFF", 9) == 0) {
        out->obj = 0xFFFF;
        out->inst = 0xFFFF;
        return LWM2M_OK;
    }
    size_t colon = 0;
    while (colon < len && s[colon] != ':')
        colon++;
    lwm2m_objlnk l;
    if (colon == len || !parse_u16(s, colon, &l.obj) ||
        !parse_u16(s + colon + 1, len - colon - 1, &l.inst))
        return LWM2M_ERR_INVALID;
    *out = l;
    return LWM2M_OK;
}

static size_t put_dec(char *p, unsigned v)
{
    char tmp[5];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

size_t lwm2m_cbor_objlnk_format(lwm2m_objlnk l, char *buf)
{
    size_t n = put_dec(buf, l.obj);
    buf[n++] = ':';
    n += put_dec(buf + n, l.inst);
    buf[n] = '\0';
    return n;
}
