/* SenML CBOR (Content-Format 112): RFC 8428 §6 as profiled by OMA LwM2M 1.1.1/1.2 Core, with
 * the LwM2M "vlo" object-link extension. Semantics follow SenML JSON (senml_json.c): names are
 * bn + n, times bt + t, exactly one value per record; only the representation differs
 * (integer labels, vd as a byte string, numbers as CBOR integers or floats). */
#include <math.h>
#include <string.h>

#include "codec/codec_common.h"
#include "codec/cbor_rw.h"
#include "core/utf8.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* RFC 8428 §6 integer labels. */
#define LABEL_BVER (-1)
#define LABEL_BN   (-2)
#define LABEL_BT   (-3)
#define LABEL_BU   (-4)
#define LABEL_BV   (-5)
#define LABEL_BS   (-6)
#define LABEL_N    0
#define LABEL_U    1
#define LABEL_V    2
#define LABEL_VS   3
#define LABEL_VB   4
#define LABEL_S    5
#define LABEL_T    6
#define LABEL_UT   7
#define LABEL_VD   8

/* RFC 8428 §4.4: bver defaults to 10; a reader must not use a pack of a newer version. */
#define SENML_VERSION 10

/* Distinct labels tracked per record for the duplicate check (RFC 8428 defines 15). */
#define MAX_LABELS 24

/* Containers allowed inside the value of an ignored label. */
#define SKIP_DEPTH 8

/* A label as seen in a record, for the duplicate check. */
typedef struct label {
    bool text;
    bool negative; /* integer labels: major type 1 */
    uint64_t num;
    lwm2m_bytes str;
} label;

enum value_label { VAL_NONE, VAL_V, VAL_VS, VAL_VB, VAL_VD, VAL_VLO };

/* One record's fields as read from the payload. */
typedef struct senml_rec {
    size_t start; /* input offset of the record */
    bool has_bn, has_bt, has_n, has_t;
    lwm2m_bytes bn, n;
    double bt, t;
    enum value_label value;
    size_t value_pos;
    lwm2m_cbor_item v; /* VAL_V, VAL_VB: the item */
    lwm2m_bytes bytes; /* VAL_VS, VAL_VD, VAL_VLO */
} senml_rec;

typedef struct senml_dec {
    lwm2m_cbor_reader r;
    lwm2m_arena *arena;
} senml_dec;

static bool label_equal(const label *a, const label *b)
{
    if (a->text != b->text)
        return false;
    if (!a->text)
        return a->negative == b->negative && a->num == b->num;
    return a->str.len == b->str.len &&
           (a->str.len == 0 || memcmp(a->str.ptr, b->str.ptr, a->str.len) == 0);
}

static bool label_is(const label *l, int num)
{
    if (l->text)
        return false;
    if (num < 0)
        return l->negative && l->num == (uint64_t)(-1 - num);
    return !l->negative && l->num == (uint64_t)num;
}

static int read_text(senml_dec *d, const lwm2m_cbor_item *it, const char *want, lwm2m_bytes *out)
{
    if (it->kind != LWM2M_CBOR_TEXT)
        return lwm2m_cbor_fail(&d->r, it->offset, LWM2M_ERR_INVALID, want);
    return lwm2m_cbor_read_string(&d->r, it, d->arena, out);
}

static int read_double(senml_dec *d, const lwm2m_cbor_item *it, const char *want, double *out)
{
    if (lwm2m_cbor_number_double(it, out) != LWM2M_OK)
        return lwm2m_cbor_fail(&d->r, it->offset, LWM2M_ERR_INVALID, want);
    return LWM2M_OK;
}

/* Reads the value of label `l` (its head `it` already read) into the record. Errors about
 * the label are reported at `key_pos`, errors about its value at the value. */
static int read_field(senml_dec *d, const label *l, size_t key_pos, const lwm2m_cbor_item *it,
                      senml_rec *rec)
{
    lwm2m_cbor_reader *r = &d->r;
    enum value_label vl = VAL_NONE;
    if (l->text) {
        if (l->str.len == 3 && memcmp(l->str.ptr, "vlo", 3) == 0) {
            vl = VAL_VLO;
        } else if (l->str.len > 0 && l->str.ptr[l->str.len - 1] == '_') {
            return lwm2m_cbor_fail(r, key_pos, LWM2M_ERR_UNSUPPORTED,
                                   "unknown must-understand label");
        } else {
            return lwm2m_cbor_skip(r, it, SKIP_DEPTH, false);
        }
    } else if (label_is(l, LABEL_V)) {
        vl = VAL_V;
    } else if (label_is(l, LABEL_VS)) {
        vl = VAL_VS;
    } else if (label_is(l, LABEL_VB)) {
        vl = VAL_VB;
    } else if (label_is(l, LABEL_VD)) {
        vl = VAL_VD;
    }
    if (vl != VAL_NONE) {
        if (rec->value != VAL_NONE)
            return lwm2m_cbor_fail(r, key_pos, LWM2M_ERR_INVALID,
                                   "more than one value in a record");
        rec->value = vl;
        rec->value_pos = it->offset;
        switch (vl) {
        case VAL_V:
            if (it->kind != LWM2M_CBOR_UINT && it->kind != LWM2M_CBOR_NINT &&
                it->kind != LWM2M_CBOR_FLOAT)
                return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "v must be a number");
            rec->v = *it;
            return LWM2M_OK;
        case VAL_VB:
            if (it->kind != LWM2M_CBOR_SIMPLE ||
                (it->val != LWM2M_CBOR_TRUE && it->val != LWM2M_CBOR_FALSE))
                return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "vb must be a boolean");
            rec->v = *it;
            return LWM2M_OK;
        case VAL_VD:
            if (it->kind != LWM2M_CBOR_BYTES)
                return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID,
                                       "vd must be a byte string");
            return lwm2m_cbor_read_string(r, it, d->arena, &rec->bytes);
        case VAL_VS:
            return read_text(d, it, "vs must be a text string", &rec->bytes);
        default:
            return read_text(d, it, "vlo must be a text string", &rec->bytes);
        }
    }
    if (label_is(l, LABEL_BN)) {
        rec->has_bn = true;
        return read_text(d, it, "bn must be a text string", &rec->bn);
    }
    if (label_is(l, LABEL_N)) {
        rec->has_n = true;
        return read_text(d, it, "n must be a text string", &rec->n);
    }
    if (label_is(l, LABEL_BT)) {
        rec->has_bt = true;
        return read_double(d, it, "bt must be a number", &rec->bt);
    }
    if (label_is(l, LABEL_T)) {
        rec->has_t = true;
        return read_double(d, it, "t must be a number", &rec->t);
    }
    if (label_is(l, LABEL_BVER)) {
        double ver;
        if (read_double(d, it, "bver must be a number", &ver) != LWM2M_OK)
            return r->rc;
        if (!(ver > 0 && ver <= SENML_VERSION))
            return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_UNSUPPORTED,
                                   "unsupported senml version");
        return LWM2M_OK;
    }
    /* Base value/sum and sum would change the value we report: refuse rather than ignore. */
    if (label_is(l, LABEL_BV) || label_is(l, LABEL_BS) || label_is(l, LABEL_S))
        return lwm2m_cbor_fail(r, key_pos, LWM2M_ERR_UNSUPPORTED, "unsupported senml label");
    return lwm2m_cbor_skip(r, it, SKIP_DEPTH, false);
}

static int read_record(senml_dec *d, const lwm2m_cbor_item *map, senml_rec *rec)
{
    lwm2m_cbor_reader *r = &d->r;
    label seen[MAX_LABELS];
    size_t n_seen = 0;
    memset(rec, 0, sizeof *rec);
    rec->start = map->offset;
    if (map->kind != LWM2M_CBOR_MAP)
        return lwm2m_cbor_fail(r, map->offset, LWM2M_ERR_INVALID, "record must be a map");
    lwm2m_cbor_iter iter;
    lwm2m_cbor_iter_init(&iter, map);
    lwm2m_cbor_item key, val;
    int rc;
    while ((rc = lwm2m_cbor_iter_next(r, &iter, &key)) == 1) {
        label l;
        memset(&l, 0, sizeof l);
        if (key.kind == LWM2M_CBOR_UINT || key.kind == LWM2M_CBOR_NINT) {
            l.negative = key.kind == LWM2M_CBOR_NINT;
            l.num = key.val;
        } else if (key.kind == LWM2M_CBOR_TEXT) {
            l.text = true;
            if (lwm2m_cbor_read_string(r, &key, d->arena, &l.str) != LWM2M_OK)
                return r->rc;
        } else {
            return lwm2m_cbor_fail(r, key.offset, LWM2M_ERR_INVALID,
                                   "label must be an integer or a text string");
        }
        for (size_t i = 0; i < n_seen; i++)
            if (label_equal(&seen[i], &l))
                return lwm2m_cbor_fail(r, key.offset, LWM2M_ERR_INVALID, "duplicate label");
        if (n_seen == MAX_LABELS)
            return lwm2m_cbor_fail(r, key.offset, LWM2M_ERR_INVALID, "too many labels");
        seen[n_seen++] = l;
        if (lwm2m_cbor_read(r, &val) != LWM2M_OK ||
            read_field(d, &l, key.offset, &val, rec) != LWM2M_OK)
            return r->rc;
    }
    return rc;
}

/* The path named by base name + name. */
static int name_path(const senml_rec *rec, const lwm2m_bytes *bn, bool has_bn, lwm2m_path *out)
{
    size_t a = has_bn ? bn->len : 0, b = rec->has_n ? rec->n.len : 0;
    char buf[LWM2M_PATH_STR_MAX];
    /* Anything longer than "/65534/65534/65534/65534" cannot be a path. */
    if (a + b == 0 || a >= sizeof buf || b >= sizeof buf || a + b >= sizeof buf)
        return LWM2M_ERR_INVALID;
    if (a > 0)
        memcpy(buf, bn->ptr, a);
    if (b > 0)
        memcpy(buf + a, rec->n.ptr, b);
    return lwm2m_path_parse(buf, a + b, out) == LWM2M_OK ? LWM2M_OK : LWM2M_ERR_INVALID;
}

/* The record's value, typed from the payload and converted to the resource's declared type. */
static int record_value(senml_dec *d, const senml_rec *rec, lwm2m_type want, lwm2m_value *out)
{
    lwm2m_cbor_reader *r = &d->r;
    size_t at = rec->value_pos;
    switch (rec->value) {
    case VAL_V: {
        lwm2m_value v;
        if (lwm2m_cbor_number(&rec->v, &v) != LWM2M_OK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "integer out of range");
        if (lwm2m_value_convert(&v, want, out) != LWM2M_OK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "number does not fit the resource type");
        return LWM2M_OK;
    }
    case VAL_VB:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_BOOLEAN)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "boolean for a non-boolean resource");
        *out = lwm2m_value_bool(rec->v.val == LWM2M_CBOR_TRUE);
        return LWM2M_OK;
    case VAL_VS:
        /* Opaque travels as vd; a vs for it is a type error. */
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_STRING && want != LWM2M_TYPE_CORELNK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "string for a non-string resource");
        *out = lwm2m_value_bytes(want == LWM2M_TYPE_NONE ? LWM2M_TYPE_STRING : want, rec->bytes.ptr,
                                 rec->bytes.len);
        return LWM2M_OK;
    case VAL_VD:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OPAQUE)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "opaque for a non-opaque resource");
        *out = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, rec->bytes.ptr, rec->bytes.len);
        return LWM2M_OK;
    case VAL_VLO:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OBJLNK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "object link for a non-objlnk resource");
        out->type = LWM2M_TYPE_OBJLNK;
        if (lwm2m_cbor_objlnk_parse(rec->bytes.ptr, rec->bytes.len, &out->v.objlnk) != LWM2M_OK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "invalid object link");
        return LWM2M_OK;
    default:
        return lwm2m_cbor_fail(r, rec->start, LWM2M_ERR_INVALID, "record without value");
    }
}

static int decode(senml_dec *d, const lwm2m_path *base, const lwm2m_types *types,
                  lwm2m_record_list *out)
{
    lwm2m_cbor_reader *r = &d->r;
    lwm2m_bytes bn = {NULL, 0};
    bool has_bn = false;
    double bt = 0;
    lwm2m_cbor_item top, item;
    if (lwm2m_cbor_read(r, &top) != LWM2M_OK)
        return r->rc;
    if (top.kind != LWM2M_CBOR_ARRAY)
        return lwm2m_cbor_fail(r, top.offset, LWM2M_ERR_INVALID, "senml pack must be an array");
    lwm2m_cbor_iter iter;
    lwm2m_cbor_iter_init(&iter, &top);
    int rc;
    while ((rc = lwm2m_cbor_iter_next(r, &iter, &item)) == 1) {
        senml_rec rec;
        if (read_record(d, &item, &rec) != LWM2M_OK)
            return r->rc;
        /* Base fields apply to this record and the following ones (RFC 8428 §4.5). */
        if (rec.has_bn) {
            bn = rec.bn;
            has_bn = true;
        }
        if (rec.has_bt)
            bt = rec.bt;
        lwm2m_record out_rec;
        if (name_path(&rec, &bn, has_bn, &out_rec.path) != LWM2M_OK ||
            out_rec.path.len < LWM2M_PATH_RESOURCE)
            return lwm2m_cbor_fail(r, rec.start, LWM2M_ERR_INVALID,
                                   "name is not a resource or resource instance path");
        if (!lwm2m_path_is_prefix(base, &out_rec.path))
            return lwm2m_cbor_fail(r, rec.start, LWM2M_ERR_INVALID,
                                   "record outside the request path");
        double t = bt + (rec.has_t ? rec.t : 0.0);
        if (t - t != 0) /* inf or nan */
            return lwm2m_cbor_fail(r, rec.start, LWM2M_ERR_INVALID, "time out of range");
        out_rec.time = t + 0.0; /* -0 becomes +0: no time */
        lwm2m_type want = LWM2M_TYPE_NONE;
        if (types != NULL && types->fn != NULL) {
            lwm2m_path res = lwm2m_path_truncate(&out_rec.path, LWM2M_PATH_RESOURCE);
            want = types->fn(types->ctx, &res);
        }
        if (record_value(d, &rec, want, &out_rec.value) != LWM2M_OK)
            return r->rc;
        if (out->count >= out->cap)
            return lwm2m_cbor_fail(r, rec.start, LWM2M_ERR_NOMEM, "too many records");
        out->items[out->count++] = out_rec;
    }
    if (rc != 0)
        return rc;
    if (r->pos != r->len)
        return lwm2m_cbor_fail(r, r->pos, LWM2M_ERR_INVALID, "trailing bytes after the pack");
    return LWM2M_OK;
}

int lwm2m_senml_cbor_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err)
{
    lwm2m_decode_mark mark = lwm2m_decode_mark_take(out, arena);
    senml_dec d;
    lwm2m_cbor_reader_init(&d.r, in, len);
    d.arena = arena;
    int rc = decode(&d, base, types, out);
    if (rc == LWM2M_OK)
        return LWM2M_OK;
    return lwm2m_decode_undo(&mark, out, arena, err, rc, d.r.err_pos, d.r.reason);
}

/* ---- encoder ---- */

typedef struct senml_enc {
    lwm2m_buf *out;
    char bn[LWM2M_PATH_STR_MAX + 1]; /* current base name */
    size_t bn_len;
    double bt;
    bool first;
} senml_enc;

/* The request path with a trailing '/' ("/" for the root) so that names stay short ("0",
 * "6/1"), or the record's own path when it is the request path itself. */
static size_t base_name(const lwm2m_path *base, const lwm2m_path *first, char *bn)
{
    size_t n = lwm2m_path_format(base, bn, LWM2M_PATH_STR_MAX);
    if (base->len > 0 && !lwm2m_path_equal(base, first))
        bn[n++] = '/';
    bn[n] = '\0';
    return n;
}

/* The offset t for `time` against base time `bt` that reads back exactly, if any. */
static bool time_offset(double bt, double time, double *t)
{
    double d = time - bt;
    if (d - d != 0 || bt + d != time)
        return false;
    *t = d;
    return true;
}

/* Whether the value has a SenML CBOR form (strings must be valid UTF-8 text). */
static bool value_ok(const lwm2m_value *v)
{
    return lwm2m_codec_value_ok(v);
}

static void put_value(lwm2m_buf *b, const lwm2m_value *v)
{
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        lwm2m_cbor_put_int(b, LABEL_V);
        lwm2m_cbor_put_int(b, v->v.i);
        break;
    case LWM2M_TYPE_UNSIGNED:
        lwm2m_cbor_put_int(b, LABEL_V);
        lwm2m_cbor_put_uint(b, v->v.u);
        break;
    case LWM2M_TYPE_FLOAT:
        lwm2m_cbor_put_int(b, LABEL_V);
        lwm2m_cbor_put_float(b, v->v.f);
        break;
    case LWM2M_TYPE_BOOLEAN:
        lwm2m_cbor_put_int(b, LABEL_VB);
        lwm2m_cbor_put_bool(b, v->v.b);
        break;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        lwm2m_cbor_put_int(b, LABEL_VS);
        lwm2m_cbor_put_text(b, v->v.bytes.ptr, v->v.bytes.len);
        break;
    case LWM2M_TYPE_OPAQUE:
        lwm2m_cbor_put_int(b, LABEL_VD);
        lwm2m_cbor_put_bytes(b, v->v.bytes.ptr, v->v.bytes.len);
        break;
    default: { /* LWM2M_TYPE_OBJLNK */
        char s[12];
        size_t n = lwm2m_cbor_objlnk_format(v->v.objlnk, s);
        lwm2m_cbor_put_text(b, "vlo", 3);
        lwm2m_cbor_put_text(b, s, n);
        break;
    }
    }
}

static void put_record(senml_enc *e, const lwm2m_path *base, const lwm2m_record *r)
{
    lwm2m_buf *b = e->out;
    char name[LWM2M_PATH_STR_MAX];
    size_t name_len = lwm2m_path_format(&r->path, name, sizeof name);
    /* First record, or one the current base name is no prefix of (unsorted input). */
    bool new_bn = e->first || name_len < e->bn_len || memcmp(name, e->bn, e->bn_len) != 0;
    if (new_bn)
        e->bn_len = base_name(base, &r->path, e->bn);
    /* Base time: the first record's time; later records carry t = time - bt, unless that
     * difference does not read back exactly, in which case they restate bt. */
    bool put_bt = false, put_t = false;
    double t = 0;
    if (e->first) {
        put_bt = r->time != 0;
        e->bt = r->time;
    } else if (r->time != e->bt) {
        if (time_offset(e->bt, r->time, &t)) {
            put_t = true;
        } else {
            put_bt = true;
            e->bt = r->time;
        }
    }
    bool put_n = name_len > e->bn_len;
    lwm2m_cbor_put_map(b, (uint64_t)new_bn + put_bt + put_n + put_t + 1);
    if (new_bn) {
        lwm2m_cbor_put_int(b, LABEL_BN);
        lwm2m_cbor_put_text(b, e->bn, e->bn_len);
    }
    if (put_bt) {
        lwm2m_cbor_put_int(b, LABEL_BT);
        lwm2m_cbor_put_number(b, r->time);
    }
    if (put_n) {
        lwm2m_cbor_put_int(b, LABEL_N);
        lwm2m_cbor_put_text(b, name + e->bn_len, name_len - e->bn_len);
    }
    if (put_t) {
        lwm2m_cbor_put_int(b, LABEL_T);
        lwm2m_cbor_put_number(b, t);
    }
    put_value(b, &r->value);
    e->first = false;
}

int lwm2m_senml_cbor_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err)
{
    /* Validate first: the array head needs the record count. */
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &recs[i];
        if (r->value.type == LWM2M_TYPE_NONE)
            continue; /* empty containers have no SenML form */
        if (r->path.len < LWM2M_PATH_RESOURCE || r->path.len > LWM2M_PATH_MAX_DEPTH)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value record above resource level");
        if (!lwm2m_path_is_prefix(base, &r->path))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "record outside the request path");
        if (r->time - r->time != 0)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "time is not finite");
        if (!value_ok(&r->value))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value has no senml cbor form");
        count++;
    }
    senml_enc e;
    e.out = out;
    e.bn[0] = '\0';
    e.bn_len = 0;
    e.bt = 0;
    e.first = true;
    lwm2m_cbor_put_array(out, count);
    for (size_t i = 0; i < n; i++)
        if (recs[i].value.type != LWM2M_TYPE_NONE)
            put_record(&e, base, &recs[i]);
    if (lwm2m_buf_overflowed(out))
        return lwm2m_codec_fail(err, LWM2M_ERR_OVERFLOW, 0, "output buffer too small");
    return LWM2M_OK;
}
