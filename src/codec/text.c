/* Plain text (Content-Format 0), OMA TS Core §6.4.1 and Appendix C: one resource value as text.
 * The payload does not say its type, so the declared type of the resource decides. */
#include <inttypes.h>
#include <string.h>

#include "codec/codec_common.h"
#include "core/numtext.h"
#include "core/utf8.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* "o:i", both strict decimal 0..65535 (65535:65535 is the "no link" value). */
static int parse_objlnk(const char *s, size_t len, lwm2m_objlnk *out)
{
    if (len == 0)
        return LWM2M_ERR_INVALID;
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return LWM2M_ERR_INVALID;
    size_t a = (size_t)(colon - s);
    uint64_t o, i;
    if (lwm2m_parse_u64(s, a, &o) != LWM2M_OK || o > UINT16_MAX ||
        lwm2m_parse_u64(colon + 1, len - a - 1, &i) != LWM2M_OK || i > UINT16_MAX)
        return LWM2M_ERR_INVALID;
    out->obj = (uint16_t)o;
    out->inst = (uint16_t)i;
    return LWM2M_OK;
}

/* Base64 payload of an opaque resource, decoded into the arena (restored on failure). */
static int decode_base64(const char *s, size_t len, lwm2m_arena *arena, lwm2m_value *v,
                         lwm2m_codec_error *err)
{
    /* Exact decoded size, so that the arena holds no slack. */
    size_t n = len;
    for (int k = 0; k < 2 && n > 0 && s[n - 1] == '='; k++)
        n--;
    size_t size = n / 4 * 3 + (n % 4 == 3 ? 2 : n % 4 == 2 ? 1 : 0);
    if (size == 0) {
        size_t got;
        if (lwm2m_base64_decode(s, len, NULL, 0, &got) != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0,
                                    "invalid base64 for an opaque resource");
        *v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 0);
        return LWM2M_OK;
    }
    if (arena == NULL)
        return lwm2m_codec_fail(err, LWM2M_ERR_NOMEM, 0, "no arena for the decoded opaque value");
    size_t used = arena->used;
    uint8_t *p = lwm2m_arena_alloc(arena, size, 1);
    if (p == NULL)
        return lwm2m_codec_fail(err, LWM2M_ERR_NOMEM, 0, "arena full");
    size_t got;
    if (lwm2m_base64_decode(s, len, p, size, &got) != LWM2M_OK || got != size) {
        arena->used = used;
        return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "invalid base64 for an opaque resource");
    }
    *v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, p, size);
    return LWM2M_OK;
}

static int decode_value(lwm2m_type type, const uint8_t *in, size_t len, lwm2m_arena *arena,
                        lwm2m_value *v, lwm2m_codec_error *err)
{
    const char *s = (const char *)in;
    int rc;
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        v->type = type;
        rc = lwm2m_parse_i64(s, len, &v->v.i);
        if (rc == LWM2M_ERR_RANGE)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "integer out of range");
        if (rc != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "not a decimal integer");
        return LWM2M_OK;
    case LWM2M_TYPE_UNSIGNED:
        v->type = type;
        rc = lwm2m_parse_u64(s, len, &v->v.u);
        if (rc == LWM2M_ERR_RANGE)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "unsigned integer out of range");
        if (rc != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "not a decimal unsigned integer");
        return LWM2M_OK;
    case LWM2M_TYPE_FLOAT:
        v->type = type;
        rc = lwm2m_parse_number(s, len, &v->v.f, NULL);
        if (rc == LWM2M_ERR_RANGE)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "float out of range");
        if (rc != LWM2M_OK)
            return rc == LWM2M_ERR_NOMEM ? lwm2m_codec_fail(err, rc, 0, "out of memory")
                                         : lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "not a number");
        return LWM2M_OK;
    case LWM2M_TYPE_BOOLEAN:
        if (len != 1 || (s[0] != '0' && s[0] != '1'))
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "boolean must be 0 or 1");
        *v = lwm2m_value_bool(s[0] == '1');
        return LWM2M_OK;
    case LWM2M_TYPE_OBJLNK:
        v->type = type;
        if (parse_objlnk(s, len, &v->v.objlnk) != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0, "objlnk must be object:instance");
        return LWM2M_OK;
    case LWM2M_TYPE_OPAQUE:
        return decode_base64(s, len, arena, v, err);
    case LWM2M_TYPE_CORELNK:
        *v = lwm2m_value_bytes(type, in, len);
        return LWM2M_OK;
    default: { /* STRING, or no declared type */
        size_t bad = lwm2m_utf8_invalid_at(in, len);
        if (bad != len)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, bad, "invalid UTF-8 in string");
        *v = lwm2m_value_bytes(LWM2M_TYPE_STRING, in, len);
        return LWM2M_OK;
    }
    }
}

int lwm2m_text_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                      const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                      lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    if (!lwm2m_codec_single_resource(base))
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "text needs a single resource");
    lwm2m_type type = LWM2M_TYPE_NONE;
    if (types != NULL && types->fn != NULL) {
        lwm2m_path res = lwm2m_path_truncate(base, 3);
        type = types->fn(types->ctx, &res);
    }
    if (in == NULL) /* the number parsers do pointer arithmetic even on empty input */
        in = (const uint8_t *)"";
    size_t used = arena ? arena->used : 0;
    lwm2m_value v;
    int rc = decode_value(type, in, len, arena, &v, err);
    if (rc == LWM2M_OK && lwm2m_record_list_add(out, base, &v) != LWM2M_OK)
        rc = lwm2m_codec_fail(err, LWM2M_ERR_NOMEM, 0, "too many records");
    if (rc != LWM2M_OK && arena != NULL)
        arena->used = used;
    return rc;
}

int lwm2m_text_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                      lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    int rc = lwm2m_codec_one_record(base, recs, n, err, "text needs a single resource",
                                    "text needs exactly one record");
    if (rc != LWM2M_OK)
        return rc;
    const lwm2m_value *v = &recs[0].value;
    char num[LWM2M_DOUBLE_STR_MAX];
    size_t nlen;
    switch (v->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        lwm2m_buf_put(out, v->v.bytes.ptr, v->v.bytes.len);
        break;
    case LWM2M_TYPE_OPAQUE:
        lwm2m_base64_encode(v->v.bytes.ptr, v->v.bytes.len, false, out);
        break;
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        lwm2m_buf_printf(out, "%" PRId64, v->v.i);
        break;
    case LWM2M_TYPE_UNSIGNED:
        lwm2m_buf_printf(out, "%" PRIu64, v->v.u);
        break;
    case LWM2M_TYPE_FLOAT:
        nlen = lwm2m_fmt_double(v->v.f, num, sizeof num);
        if (nlen == 0)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "float is not finite");
        lwm2m_buf_put(out, num, nlen);
        break;
    case LWM2M_TYPE_BOOLEAN:
        lwm2m_buf_putc(out, v->v.b ? '1' : '0');
        break;
    case LWM2M_TYPE_OBJLNK:
        lwm2m_buf_printf(out, "%u:%u", (unsigned)v->v.objlnk.obj, (unsigned)v->v.objlnk.inst);
        break;
    default:
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "record has no value");
    }
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}
