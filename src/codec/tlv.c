/* OMA LwM2M TLV (Content-Format 11542), OMA TS Core §6.4.3.
 *
 * Nesting is fixed by the format: object instance (00) ⊃ resource (11) or multiple resource
 * (10) ⊃ resource instance (01). The decoder walks it with one function per level, so there
 * is no recursion at all; every length is checked against its container before use. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "codec/codec_common.h"
#include "lwm2m/codec.h"
#include "core/utf8.h"
#include "lwm2m/error.h"

/* Bits 7-6 of the type byte. */
enum tlv_kind {
    TLV_INSTANCE = 0,
    TLV_RES_INSTANCE = 1,
    TLV_MULTIPLE = 2,
    TLV_RESOURCE = 3,
};

#define TLV_MAX_LEN 0xFFFFFFu /* the 24-bit length field */

/* ------------------------------------------------------------------------------------------ */
/* Shared helpers                                                                             */

/* ------------------------------------------------------------------------------------------ */
/* Decoder                                                                                    */

typedef struct tlv {
    uint8_t kind;
    uint16_t id;
    size_t start; /* offset of the type byte */
    size_t vpos;  /* offset of the value */
    size_t vlen;
} tlv;

typedef struct decoder {
    const uint8_t *in;
    const lwm2m_types *types;
    lwm2m_record_list *out;
    lwm2m_codec_error *err;
} decoder;

/* Reads the TLV header at *pos; the TLV must end at or before `end`. */
static int next_tlv(decoder *d, size_t *pos, size_t end, tlv *t)
{
    const uint8_t *in = d->in;
    size_t p = *pos;
    t->start = p;
    uint8_t type = in[p++];
    t->kind = (uint8_t)(type >> 6);
    size_t id_len = (type & 0x20) ? 2 : 1;
    size_t len_len = (type >> 3) & 3;
    if (id_len > end - p)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start, "truncated TLV identifier");
    uint32_t id = in[p];
    if (id_len == 2)
        id = id << 8 | in[p + 1];
    p += id_len;
    if (id > LWM2M_ID_MAX)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start,
                                "reserved TLV identifier 65535");
    t->id = (uint16_t)id;
    if (len_len > end - p)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start, "truncated TLV length");
    size_t vlen = type & 7; /* bits 2-0 are ignored when a length field follows */
    if (len_len > 0) {
        vlen = 0;
        for (size_t k = 0; k < len_len; k++)
            vlen = vlen << 8 | in[p + k];
        p += len_len;
    }
    if (vlen > end - p)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start, "truncated TLV value");
    t->vpos = p;
    t->vlen = vlen;
    *pos = p + vlen;
    return LWM2M_OK;
}

static uint64_t be_uint(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v = v << 8 | p[k];
    return v;
}

/* Two's complement without relying on implementation-defined conversions. */
static int64_t be_int(const uint8_t *p, size_t n)
{
    uint64_t u = be_uint(p, n);
    if (n < 8 && (p[0] & 0x80))
        u |= ~(uint64_t)0 << (8 * n);
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static bool int_len_ok(size_t n)
{
    return n == 1 || n == 2 || n == 4 || n == 8;
}

static lwm2m_type declared_type(const decoder *d, const lwm2m_path *p)
{
    if (d->types == NULL || d->types->fn == NULL)
        return LWM2M_TYPE_NONE;
    lwm2m_path res = lwm2m_path_truncate(p, 3);
    lwm2m_type t = d->types->fn(d->types->ctx, &res);
    return (unsigned)t <= LWM2M_TYPE_CORELNK ? t : LWM2M_TYPE_NONE;
}

/* Converts the value bytes of `t` to the declared type of the resource of `p`. */
static int decode_value(decoder *d, const lwm2m_path *p, const tlv *t, lwm2m_value *v)
{
    const uint8_t *b = d->in + t->vpos;
    size_t n = t->vlen;
    lwm2m_type type = declared_type(d, p);
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        if (!int_len_ok(n))
            return lwm2m_codec_fail(d->err, LWM2M_ERR_TYPE, t->start, "bad integer length");
        v->type = type;
        v->v.i = be_int(b, n);
        return LWM2M_OK;
    case LWM2M_TYPE_UNSIGNED:
        if (!int_len_ok(n))
            return lwm2m_codec_fail(d->err, LWM2M_ERR_TYPE, t->start,
                                    "bad unsigned integer length");
        *v = lwm2m_value_uint(be_uint(b, n));
        return LWM2M_OK;
    case LWM2M_TYPE_FLOAT:
        if (n == 4) {
            uint32_t u = (uint32_t)be_uint(b, 4);
            float f;
            memcpy(&f, &u, sizeof f);
            *v = lwm2m_value_float((double)f);
        } else if (n == 8) {
            uint64_t u = be_uint(b, 8);
            double f;
            memcpy(&f, &u, sizeof f);
            *v = lwm2m_value_float(f);
        } else {
            return lwm2m_codec_fail(d->err, LWM2M_ERR_TYPE, t->start, "bad float length");
        }
        return LWM2M_OK;
    case LWM2M_TYPE_BOOLEAN:
        if (n != 1 || b[0] > 1)
            return lwm2m_codec_fail(d->err, LWM2M_ERR_TYPE, t->start,
                                    "boolean must be one byte 0 or 1");
        *v = lwm2m_value_bool(b[0] == 1);
        return LWM2M_OK;
    case LWM2M_TYPE_OBJLNK:
        if (n != 4)
            return lwm2m_codec_fail(d->err, LWM2M_ERR_TYPE, t->start, "bad objlnk length");
        *v = lwm2m_value_objlnk((uint16_t)be_uint(b, 2), (uint16_t)be_uint(b + 2, 2));
        return LWM2M_OK;
    case LWM2M_TYPE_STRING: {
        /* Validated so that the string can be re-encoded into JSON and CBOR formats. */
        size_t bad = lwm2m_utf8_invalid_at(b, n);
        if (bad != n)
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->vpos + bad,
                                    "invalid UTF-8 in string");
        *v = lwm2m_value_bytes(type, b, n);
        return LWM2M_OK;
    }
    case LWM2M_TYPE_CORELNK:
        *v = lwm2m_value_bytes(type, b, n);
        return LWM2M_OK;
    default: /* OPAQUE, or unknown: TLV is self-describing only down to bytes */
        *v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, b, n);
        return LWM2M_OK;
    }
}

static int add_record(decoder *d, const lwm2m_path *p, const lwm2m_value *v, size_t offset)
{
    if (lwm2m_record_list_add(d->out, p, v) != LWM2M_OK)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_NOMEM, offset, "too many records");
    return LWM2M_OK;
}

static int add_value(decoder *d, const lwm2m_path *p, const tlv *t)
{
    lwm2m_value v;
    int rc = decode_value(d, p, t, &v);
    if (rc != LWM2M_OK)
        return rc;
    return add_record(d, p, &v, t->start);
}

static int add_empty(decoder *d, const lwm2m_path *p, size_t offset)
{
    lwm2m_value v;
    memset(&v, 0, sizeof v);
    v.type = LWM2M_TYPE_NONE;
    return add_record(d, p, &v, offset);
}

/* Whether a record added since index `from` already has `id` at path level `level`
 * (0-based). Every container adds at least one record, so this finds duplicate ids among
 * siblings. Quadratic, but bounded by the caller's record list. */
static bool seen(const decoder *d, size_t from, uint8_t level, uint16_t id)
{
    for (size_t k = from; k < d->out->count; k++)
        if (d->out->items[k].path.len > level && d->out->items[k].path.id[level] == id)
            return true;
    return false;
}

/* Resource instance TLVs of the multiple resource `res` in [pos, end). */
static int decode_multiple(decoder *d, const lwm2m_path *res, size_t pos, size_t end, size_t offset)
{
    size_t from = d->out->count;
    while (pos < end) {
        tlv t;
        int rc = next_tlv(d, &pos, end, &t);
        if (rc != LWM2M_OK)
            return rc;
        if (t.kind != TLV_RES_INSTANCE)
            return lwm2m_codec_fail(
                d->err, LWM2M_ERR_INVALID, t.start,
                "only resource instance TLVs may be inside a multiple resource");
        if (seen(d, from, 3, t.id))
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t.start,
                                    "duplicate resource instance id");
        lwm2m_path p = lwm2m_path_rinst(res->id[0], res->id[1], res->id[2], t.id);
        rc = add_value(d, &p, &t);
        if (rc != LWM2M_OK)
            return rc;
    }
    return d->out->count == from ? add_empty(d, res, offset) : LWM2M_OK;
}

/* A resource or multiple resource TLV inside instance `inst`; `from` is where the records of
 * the instance start (for the duplicate check). */
static int decode_resource(decoder *d, const lwm2m_path *inst, const tlv *t, size_t from)
{
    if (t->kind == TLV_INSTANCE)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start,
                                "unexpected object instance TLV");
    if (t->kind == TLV_RES_INSTANCE)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start,
                                "resource instance TLV outside a multiple resource");
    if (seen(d, from, 2, t->id))
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t->start, "duplicate resource id");
    lwm2m_path p = lwm2m_path_res(inst->id[0], inst->id[1], t->id);
    if (t->kind == TLV_RESOURCE)
        return add_value(d, &p, t);
    return decode_multiple(d, &p, t->vpos, t->vpos + t->vlen, t->start);
}

/* Resource TLVs of instance `inst` in [pos, end); an empty instance gives a NONE record. */
static int decode_instance(decoder *d, const lwm2m_path *inst, size_t pos, size_t end,
                           size_t offset)
{
    size_t from = d->out->count;
    while (pos < end) {
        tlv t;
        int rc = next_tlv(d, &pos, end, &t);
        if (rc == LWM2M_OK)
            rc = decode_resource(d, inst, &t, from);
        if (rc != LWM2M_OK)
            return rc;
    }
    return d->out->count == from ? add_empty(d, inst, offset) : LWM2M_OK;
}

static int decode_at_object(decoder *d, const lwm2m_path *base, size_t len)
{
    size_t from = d->out->count;
    size_t pos = 0;
    while (pos < len) {
        tlv t;
        int rc = next_tlv(d, &pos, len, &t);
        if (rc != LWM2M_OK)
            return rc;
        if (t.kind != TLV_INSTANCE)
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t.start,
                                    "expected an object instance TLV");
        if (seen(d, from, 1, t.id))
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t.start,
                                    "duplicate object instance id");
        lwm2m_path inst = lwm2m_path_inst(base->id[0], t.id);
        rc = decode_instance(d, &inst, t.vpos, t.vpos + t.vlen, t.start);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int decode_at_instance(decoder *d, const lwm2m_path *base, size_t len)
{
    size_t pos = 0;
    tlv t;
    /* Some servers wrap the resources in the instance TLV even though the path names it. */
    if (len > 0 && (d->in[0] >> 6) == TLV_INSTANCE) {
        int rc = next_tlv(d, &pos, len, &t);
        if (rc != LWM2M_OK)
            return rc;
        if (t.id != base->id[1])
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, t.start,
                                    "record outside the request path");
        if (pos != len)
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, pos,
                                    "unexpected TLV after the object instance");
        return decode_instance(d, base, t.vpos, t.vpos + t.vlen, t.start);
    }
    return decode_instance(d, base, 0, len, 0);
}

static int decode_at_resource(decoder *d, const lwm2m_path *base, size_t len)
{
    if (len == 0)
        return LWM2M_OK;
    uint8_t kind = (uint8_t)(d->in[0] >> 6);
    if (kind == TLV_RES_INSTANCE) /* bare instances of the multiple resource (Wakaama) */
        return decode_multiple(d, base, 0, len, 0);
    size_t pos = 0;
    tlv t;
    int rc = next_tlv(d, &pos, len, &t);
    if (rc != LWM2M_OK)
        return rc;
    if (kind == TLV_INSTANCE)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0, "unexpected object instance TLV");
    if (t.id != base->id[2])
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0, "record outside the request path");
    if (pos != len)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, pos,
                                "unexpected TLV after the resource");
    if (kind == TLV_RESOURCE)
        return add_value(d, base, &t);
    return decode_multiple(d, base, t.vpos, t.vpos + t.vlen, 0);
}

static int decode_at_resource_instance(decoder *d, const lwm2m_path *base, size_t len)
{
    if (len == 0)
        return LWM2M_OK;
    size_t pos = 0;
    tlv t;
    int rc = next_tlv(d, &pos, len, &t);
    if (rc != LWM2M_OK)
        return rc;
    if (pos != len)
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, pos,
                                "unexpected TLV after the resource instance");
    switch (t.kind) {
    case TLV_RES_INSTANCE:
        if (t.id != base->id[3])
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0,
                                    "record outside the request path");
        return add_value(d, base, &t);
    case TLV_RESOURCE:
        /* Some clients answer with a resource TLV named after the instance or the resource. */
        if (t.id != base->id[3] && t.id != base->id[2])
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0,
                                    "record outside the request path");
        return add_value(d, base, &t);
    case TLV_MULTIPLE: {
        if (t.id != base->id[2])
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0,
                                    "record outside the request path");
        lwm2m_path res = lwm2m_path_truncate(base, 3);
        size_t from = d->out->count;
        rc = decode_multiple(d, &res, t.vpos, t.vpos + t.vlen, 0);
        if (rc != LWM2M_OK)
            return rc;
        if (d->out->count != from + 1 || !lwm2m_path_equal(&d->out->items[from].path, base))
            return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0,
                                    "record outside the request path");
        return LWM2M_OK;
    }
    default:
        return lwm2m_codec_fail(d->err, LWM2M_ERR_INVALID, 0, "unexpected object instance TLV");
    }
}

int lwm2m_tlv_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                     const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                     lwm2m_codec_error *err)
{
    (void)arena; /* TLV values are always borrowed from `in` */
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    decoder d = {in, types, out, err};
    size_t entry = out->count;
    int rc;
    switch (base->len) {
    case LWM2M_PATH_OBJECT:
        rc = decode_at_object(&d, base, len);
        break;
    case LWM2M_PATH_INSTANCE:
        rc = decode_at_instance(&d, base, len);
        break;
    case LWM2M_PATH_RESOURCE:
        rc = decode_at_resource(&d, base, len);
        break;
    case LWM2M_PATH_RESOURCE_INSTANCE:
        rc = decode_at_resource_instance(&d, base, len);
        break;
    default:
        rc = lwm2m_codec_fail(err, LWM2M_ERR_UNSUPPORTED, 0, "TLV cannot carry object ids");
        break;
    }
    if (rc != LWM2M_OK)
        out->count = entry;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoder                                                                                    */

/* The value bytes of one record: numbers go to `tmp`, byte strings are borrowed. */
typedef struct tlv_value {
    uint8_t tmp[8];
    const uint8_t *ptr;
    size_t len;
} tlv_value;

static void put_be(uint8_t *dst, uint64_t v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
}

static size_t int_size(int64_t v)
{
    if (v >= INT8_MIN && v <= INT8_MAX)
        return 1;
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 4;
    return 8;
}

static size_t uint_size(uint64_t v)
{
    if (v <= UINT8_MAX)
        return 1;
    if (v <= UINT16_MAX)
        return 2;
    if (v <= UINT32_MAX)
        return 4;
    return 8;
}

/* A double fits in 4 bytes when (double)(float)f == f (NaN never does, infinities do). The
 * range test comes first because converting an out-of-range double to float is undefined. */
static bool fits_float(double f)
{
    if (isnan(f))
        return false;
    return isinf(f) || (fabs(f) <= FLT_MAX && (double)(float)f == f);
}

static int value_bytes(const lwm2m_value *v, tlv_value *out)
{
    out->ptr = out->tmp;
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        out->len = int_size(v->v.i);
        put_be(out->tmp, (uint64_t)v->v.i, out->len);
        return LWM2M_OK;
    case LWM2M_TYPE_UNSIGNED:
        out->len = uint_size(v->v.u);
        put_be(out->tmp, v->v.u, out->len);
        return LWM2M_OK;
    case LWM2M_TYPE_FLOAT:
        if (fits_float(v->v.f)) {
            float f = (float)v->v.f;
            uint32_t u;
            memcpy(&u, &f, sizeof u);
            out->len = 4;
            put_be(out->tmp, u, 4);
        } else {
            uint64_t u;
            memcpy(&u, &v->v.f, sizeof u);
            out->len = 8;
            put_be(out->tmp, u, 8);
        }
        return LWM2M_OK;
    case LWM2M_TYPE_BOOLEAN:
        out->len = 1;
        out->tmp[0] = v->v.b ? 1 : 0;
        return LWM2M_OK;
    case LWM2M_TYPE_OBJLNK:
        out->len = 4;
        put_be(out->tmp, v->v.objlnk.obj, 2);
        put_be(out->tmp + 2, v->v.objlnk.inst, 2);
        return LWM2M_OK;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORELNK:
        if (v->v.bytes.len > TLV_MAX_LEN)
            return LWM2M_ERR_INVALID;
        out->ptr = v->v.bytes.ptr;
        out->len = v->v.bytes.len;
        return LWM2M_OK;
    default:
        return LWM2M_ERR_INVALID;
    }
}

static size_t header_size(uint16_t id, size_t len)
{
    size_t n = id > 0xFF ? 3 : 2;
    if (len > 0xFFFF)
        n += 3;
    else if (len > 0xFF)
        n += 2;
    else if (len > 7)
        n += 1;
    return n;
}

static void put_header(lwm2m_buf *b, uint8_t kind, uint16_t id, size_t len)
{
    uint8_t h[5];
    size_t n = 1;
    h[0] = (uint8_t)(kind << 6);
    if (id > 0xFF) {
        h[0] |= 0x20;
        put_be(h + n, id, 2);
        n += 2;
    } else {
        h[n++] = (uint8_t)id;
    }
    size_t len_len = len > 0xFFFF ? 3 : len > 0xFF ? 2 : len > 7 ? 1 : 0;
    if (len_len == 0) {
        h[0] |= (uint8_t)len;
    } else {
        h[0] |= (uint8_t)(len_len << 3);
        put_be(h + n, len, len_len);
        n += len_len;
    }
    lwm2m_buf_put(b, h, n);
}

typedef struct encoder {
    const lwm2m_record *recs;
    lwm2m_buf *out; /* NULL while only measuring */
    lwm2m_codec_error *err;
} encoder;

/* End of the run of records from `i` that share the first `level` path ids with recs[i]. */
static size_t group_end(const lwm2m_record *recs, size_t i, size_t n, uint8_t level)
{
    size_t j = i + 1;
    while (j < n && memcmp(recs[j].path.id, recs[i].path.id, level * sizeof(uint16_t)) == 0)
        j++;
    return j;
}

/* Encodes (or, with e->out NULL, measures) the resource of records [i, j) as one resource or
 * multiple resource TLV; *size gets the TLV's total size. */
static int put_resource(encoder *e, size_t i, size_t j, size_t *size)
{
    const lwm2m_record *first = &e->recs[i];
    uint16_t rid = first->path.id[2];
    tlv_value tv;
    if (first->path.len == 3 && first->value.type != LWM2M_TYPE_NONE) {
        if (j - i > 1)
            return lwm2m_codec_fail(e->err, LWM2M_ERR_INVALID, i + 1,
                                    "resource is both single and multiple");
        if (value_bytes(&first->value, &tv) != LWM2M_OK)
            return lwm2m_codec_fail(e->err, LWM2M_ERR_INVALID, i, "value cannot be encoded in TLV");
        *size = header_size(rid, tv.len) + tv.len;
        if (e->out) {
            put_header(e->out, TLV_RESOURCE, rid, tv.len);
            lwm2m_buf_put(e->out, tv.ptr, tv.len);
        }
        return LWM2M_OK;
    }
    /* A NONE record at /o/i/r marks the multiple resource; it sorts before its instances. */
    size_t k0 = first->path.len == 3 ? i + 1 : i;
    size_t content = 0;
    for (size_t k = k0; k < j; k++) {
        if (value_bytes(&e->recs[k].value, &tv) != LWM2M_OK)
            return lwm2m_codec_fail(e->err, LWM2M_ERR_INVALID, k, "value cannot be encoded in TLV");
        content += header_size(e->recs[k].path.id[3], tv.len) + tv.len;
        if (content > TLV_MAX_LEN)
            return lwm2m_codec_fail(e->err, LWM2M_ERR_INVALID, k, "TLV payload too large");
    }
    *size = header_size(rid, content) + content;
    if (e->out) {
        put_header(e->out, TLV_MULTIPLE, rid, content);
        for (size_t k = k0; k < j; k++) {
            (void)value_bytes(&e->recs[k].value, &tv); /* checked while measuring */
            put_header(e->out, TLV_RES_INSTANCE, e->recs[k].path.id[3], tv.len);
            lwm2m_buf_put(e->out, tv.ptr, tv.len);
        }
    }
    return LWM2M_OK;
}

/* The resources of records [i, j), all of one instance; *size gets their total size. */
static int put_resources(encoder *e, size_t i, size_t j, size_t *size)
{
    *size = 0;
    if (i < j && e->recs[i].path.len == 2) /* an empty-instance marker */
        i++;
    while (i < j) {
        size_t k = group_end(e->recs, i, j, 3);
        size_t one;
        int rc = put_resource(e, i, k, &one);
        if (rc != LWM2M_OK)
            return rc;
        *size += one;
        if (*size > TLV_MAX_LEN)
            return lwm2m_codec_fail(e->err, LWM2M_ERR_INVALID, i, "TLV payload too large");
        i = k;
    }
    return LWM2M_OK;
}

static int put_instances(encoder *e, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = group_end(e->recs, i, n, 2);
        size_t content;
        lwm2m_buf *out = e->out;
        e->out = NULL; /* measure first: the instance header needs the length */
        int rc = put_resources(e, i, j, &content);
        e->out = out;
        if (rc != LWM2M_OK)
            return rc;
        put_header(out, TLV_INSTANCE, e->recs[i].path.id[1], content);
        (void)put_resources(e, i, j, &content); /* succeeded while measuring */
        i = j;
    }
    return LWM2M_OK;
}

/* Checks what the layout code relies on: every record under `base`, strictly sorted, with a
 * value exactly at resource or resource instance level and NONE only on containers. */
static int check_records(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                         lwm2m_codec_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &recs[i];
        if (r->path.len > LWM2M_PATH_MAX_DEPTH || !lwm2m_path_is_prefix(base, &r->path))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "record outside the request path");
        for (uint8_t k = 0; k < r->path.len; k++)
            if (r->path.id[k] > LWM2M_ID_MAX)
                return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i,
                                        "reserved id 65535 in record path");
        bool none = r->value.type == LWM2M_TYPE_NONE;
        if (r->path.len < 2 || (r->path.len == 2 && !none) || (r->path.len == 4 && none))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i,
                                    "record path does not fit its value");
        if (i > 0 && lwm2m_path_compare(&recs[i - 1].path, &r->path) >= 0)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "records not sorted or duplicated");
    }
    return LWM2M_OK;
}

int lwm2m_tlv_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                     lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    if (base->len == LWM2M_PATH_ROOT || base->len > LWM2M_PATH_MAX_DEPTH)
        return lwm2m_codec_fail(err, LWM2M_ERR_UNSUPPORTED, 0, "TLV cannot carry object ids");
    int rc = check_records(base, recs, n, err);
    if (rc != LWM2M_OK)
        return rc;
    encoder e = {recs, out, err};
    size_t size;
    switch (base->len) {
    case LWM2M_PATH_OBJECT:
        rc = put_instances(&e, n);
        break;
    case LWM2M_PATH_INSTANCE:
        rc = put_resources(&e, 0, n, &size);
        break;
    default:
        /* At /o/i/r and /o/i/r/ri the records are one resource (sorted and under base). */
        if (n == 0)
            break;
        if (base->len == LWM2M_PATH_RESOURCE_INSTANCE) {
            tlv_value tv;
            if (value_bytes(&recs[0].value, &tv) != LWM2M_OK)
                return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0,
                                        "value cannot be encoded in TLV");
            put_header(out, TLV_RES_INSTANCE, recs[0].path.id[3], tv.len);
            lwm2m_buf_put(out, tv.ptr, tv.len);
            break;
        }
        rc = put_resource(&e, 0, n, &size);
        break;
    }
    if (rc != LWM2M_OK)
        return rc;
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}
