/* SenML JSON (Content-Format 110): RFC 8428 as profiled by OMA LwM2M 1.1.1/1.2 Core, with the
 * LwM2M "vlo" object-link extension. */
#include <string.h>

#include "codec/codec_common.h"
#include "codec/json_scan.h"
#include "core/numtext.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* Labels this codec understands; the bit of each in a record's `seen` set. */
enum label {
    L_BN,
    L_BT,
    L_N,
    L_T,
    L_V,
    L_VS,
    L_VB,
    L_VD,
    L_VLO,
    L_BVER,
    L_COUNT,
    L_UNSUPPORTED = L_COUNT, /* RFC 8428 labels whose meaning we cannot honour */
    L_MUST_UNDERSTAND,       /* unknown label ending in '_' (RFC 8428 §4.4) */
    L_OTHER,                 /* unknown label: ignored */
};

static const char *const label_names[L_COUNT] = {
    [L_BN] = "bn", [L_BT] = "bt", [L_N] = "n",   [L_T] = "t",     [L_V] = "v",
    [L_VS] = "vs", [L_VB] = "vb", [L_VD] = "vd", [L_VLO] = "vlo", [L_BVER] = "bver",
};

#define VALUE_LABELS ((1u << L_V) | (1u << L_VS) | (1u << L_VB) | (1u << L_VD) | (1u << L_VLO))

/* Most distinct unknown labels tracked per record for the duplicate check. */
#define MAX_OTHER_LABELS 16

/* RFC 8428 §4.4: bver defaults to 10; a reader must not use a pack of a newer version. */
#define SENML_VERSION 10

static enum label classify(const lwm2m_json *j, const lwm2m_json_str *key)
{
    for (int l = 0; l < L_COUNT; l++)
        if (lwm2m_json_str_is(j, key, label_names[l]))
            return (enum label)l;
    /* Base value/sum and sum would change the value we report: refuse rather than ignore. */
    if (lwm2m_json_str_is(j, key, "bv") || lwm2m_json_str_is(j, key, "bs") ||
        lwm2m_json_str_is(j, key, "s"))
        return L_UNSUPPORTED;
    if (lwm2m_json_str_last(j, key) == '_')
        return L_MUST_UNDERSTAND;
    return L_OTHER;
}

/* One record's fields as read from the payload (spans into the input). */
typedef struct senml_rec {
    unsigned seen;
    size_t start; /* input offset of the record, for error reports */
    lwm2m_json_str bn, n, vs, vd, vlo;
    lwm2m_json_num bt, t, v;
    bool vb;
    enum label value; /* which value label it had */
    size_t value_pos;
} senml_rec;

static int read_field(lwm2m_json *j, enum label l, senml_rec *r)
{
    static const char *const want[L_COUNT] = {
        [L_BN] = "bn must be a string",   [L_BT] = "bt must be a number",
        [L_N] = "n must be a string",     [L_T] = "t must be a number",
        [L_V] = "v must be a number",     [L_VS] = "vs must be a string",
        [L_VB] = "vb must be a boolean",  [L_VD] = "vd must be a string",
        [L_VLO] = "vlo must be a string", [L_BVER] = "bver must be a number",
    };
    lwm2m_json_kind k = lwm2m_json_peek(j);
    lwm2m_json_kind expect;
    switch (l) {
    case L_BT:
    case L_T:
    case L_V:
    case L_BVER:
        expect = LWM2M_JSON_NUMBER;
        break;
    case L_VB:
        expect = k == LWM2M_JSON_FALSE ? LWM2M_JSON_FALSE : LWM2M_JSON_TRUE;
        break;
    default:
        expect = LWM2M_JSON_STRING;
        break;
    }
    if (k != expect) {
        if (j->rc == 0 && j->pos < j->len && k != LWM2M_JSON_BAD) {
            return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID, want[l]);
        }
        /* Truncated or not a value at all: let the skipper report it precisely. */
        return lwm2m_json_skip_value(j);
    }
    switch (l) {
    case L_BN:
        return lwm2m_json_read_string(j, &r->bn);
    case L_BT:
        return lwm2m_json_read_number(j, &r->bt);
    case L_N:
        return lwm2m_json_read_string(j, &r->n);
    case L_T:
        return lwm2m_json_read_number(j, &r->t);
    case L_V:
        return lwm2m_json_read_number(j, &r->v);
    case L_VS:
        return lwm2m_json_read_string(j, &r->vs);
    case L_VB:
        return lwm2m_json_read_bool(j, &r->vb);
    case L_VD:
        return lwm2m_json_read_string(j, &r->vd);
    case L_VLO:
        return lwm2m_json_read_string(j, &r->vlo);
    default: {
        lwm2m_json_num ver;
        size_t at = j->pos;
        int rc = lwm2m_json_read_number(j, &ver);
        if (rc == LWM2M_OK && !(ver.d > 0 && ver.d <= SENML_VERSION))
            return lwm2m_json_fail(j, at, LWM2M_ERR_UNSUPPORTED, "unsupported senml version");
        return rc;
    }
    }
}

static int read_record(lwm2m_json *j, senml_rec *r)
{
    lwm2m_json_str others[MAX_OTHER_LABELS];
    size_t n_others = 0;
    memset(r, 0, sizeof *r);
    lwm2m_json_peek(j);
    r->start = j->pos;
    int rc = lwm2m_json_begin_object(j);
    size_t count = 0;
    bool more = true;
    while (rc == LWM2M_OK) {
        lwm2m_json_str key;
        rc = lwm2m_json_next_member(j, &count, &key, &more);
        if (rc != LWM2M_OK || !more)
            break;
        size_t key_pos = key.pos - 1; /* its opening quote */
        enum label l = classify(j, &key);
        if (l == L_UNSUPPORTED)
            return lwm2m_json_fail(j, key_pos, LWM2M_ERR_UNSUPPORTED, "unsupported senml label");
        if (l == L_MUST_UNDERSTAND)
            return lwm2m_json_fail(j, key_pos, LWM2M_ERR_UNSUPPORTED,
                                   "unknown must-understand label");
        if (l == L_OTHER) {
            for (size_t i = 0; i < n_others; i++)
                if (lwm2m_json_str_equal(j, &others[i], &key))
                    return lwm2m_json_fail(j, key_pos, LWM2M_ERR_INVALID, "duplicate label");
            if (n_others == MAX_OTHER_LABELS)
                return lwm2m_json_fail(j, key_pos, LWM2M_ERR_INVALID, "too many labels");
            others[n_others++] = key;
            rc = lwm2m_json_skip_value(j);
            continue;
        }
        if (r->seen & (1u << l))
            return lwm2m_json_fail(j, key_pos, LWM2M_ERR_INVALID, "duplicate label");
        if ((1u << l) & VALUE_LABELS) {
            if (r->seen & VALUE_LABELS)
                return lwm2m_json_fail(j, key_pos, LWM2M_ERR_INVALID,
                                       "more than one value in a record");
            r->value = l;
            lwm2m_json_peek(j);
            r->value_pos = j->pos;
        }
        r->seen |= 1u << l;
        rc = read_field(j, l, r);
    }
    return rc;
}

/* The record's value, typed from the payload and converted to the resource's declared type. */
static int record_value(lwm2m_json *j, const senml_rec *r, lwm2m_type want, lwm2m_arena *arena,
                        lwm2m_value *out)
{
    size_t at = r->value_pos;
    int rc;
    switch (r->value) {
    case L_V:
        if (lwm2m_json_num_value(j, &r->v, want, out) != LWM2M_OK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "number does not fit the resource type");
        return LWM2M_OK;
    case L_VB:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_BOOLEAN)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "boolean for a non-boolean resource");
        *out = lwm2m_value_bool(r->vb);
        return LWM2M_OK;
    case L_VS:
        /* Opaque travels as vd; a vs for it is a type error, not base64 to guess at. */
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_STRING && want != LWM2M_TYPE_CORELNK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "string for a non-string resource");
        out->type = want == LWM2M_TYPE_NONE ? LWM2M_TYPE_STRING : want;
        rc = lwm2m_json_str_bytes(j, &r->vs, arena, &out->v.bytes);
        if (rc != LWM2M_OK)
            return lwm2m_json_fail(j, at, rc, "arena full");
        return LWM2M_OK;
    case L_VD:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OPAQUE)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "opaque for a non-opaque resource");
        out->type = LWM2M_TYPE_OPAQUE;
        rc = lwm2m_json_str_base64(j, &r->vd, arena, &out->v.bytes);
        if (rc != LWM2M_OK)
            return lwm2m_json_fail(j, at, rc,
                                   rc == LWM2M_ERR_NOMEM ? "arena full" : "invalid base64 in vd");
        return LWM2M_OK;
    case L_VLO:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OBJLNK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "object link for a non-objlnk resource");
        out->type = LWM2M_TYPE_OBJLNK;
        if (lwm2m_json_str_objlnk(j, &r->vlo, &out->v.objlnk) != LWM2M_OK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_INVALID, "invalid object link");
        return LWM2M_OK;
    default:
        return lwm2m_json_fail(j, r->start, LWM2M_ERR_INVALID, "record without value");
    }
}

static int decode(lwm2m_json *j, const lwm2m_path *base, const lwm2m_types *types,
                  lwm2m_arena *arena, lwm2m_record_list *out)
{
    lwm2m_json_str bn = {0, 0, 0, false};
    bool has_bn = false;
    double bt = 0;
    int rc = lwm2m_json_begin_array(j);
    size_t count = 0;
    bool more = true;
    while (rc == LWM2M_OK) {
        rc = lwm2m_json_next_element(j, &count, &more);
        if (rc != LWM2M_OK || !more)
            break;
        senml_rec r;
        rc = read_record(j, &r);
        if (rc != LWM2M_OK)
            break;
        /* Base fields apply to this record and the following ones (RFC 8428 §4.5). */
        if (r.seen & (1u << L_BN)) {
            bn = r.bn;
            has_bn = true;
        }
        if (r.seen & (1u << L_BT))
            bt = r.bt.d;
        lwm2m_record rec;
        if (lwm2m_json_name_path(j, &bn, has_bn, &r.n, (r.seen & (1u << L_N)) != 0, &rec.path) !=
                LWM2M_OK ||
            rec.path.len < LWM2M_PATH_RESOURCE)
            return lwm2m_json_fail(j, r.start, LWM2M_ERR_INVALID,
                                   "name is not a resource or resource instance path");
        if (!lwm2m_path_is_prefix(base, &rec.path))
            return lwm2m_json_fail(j, r.start, LWM2M_ERR_INVALID,
                                   "record outside the request path");
        double t = bt + ((r.seen & (1u << L_T)) ? r.t.d : 0.0);
        if (t - t != 0) /* inf or nan */
            return lwm2m_json_fail(j, r.start, LWM2M_ERR_INVALID, "time out of range");
        rec.time = t + 0.0; /* -0 becomes +0: no time */
        lwm2m_type want = LWM2M_TYPE_NONE;
        if (types != NULL && types->fn != NULL) {
            lwm2m_path res = lwm2m_path_truncate(&rec.path, LWM2M_PATH_RESOURCE);
            want = types->fn(types->ctx, &res);
        }
        rc = record_value(j, &r, want, arena, &rec.value);
        if (rc != LWM2M_OK)
            break;
        if (out->count >= out->cap)
            return lwm2m_json_fail(j, r.start, LWM2M_ERR_NOMEM, "too many records");
        out->items[out->count++] = rec;
    }
    return rc != LWM2M_OK ? rc : lwm2m_json_finish(j);
}

int lwm2m_senml_json_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err)
{
    lwm2m_decode_mark mark = lwm2m_decode_mark_take(out, arena);
    lwm2m_json j;
    lwm2m_json_init(&j, in, len);
    int rc = decode(&j, base, types, arena, out);
    if (rc == LWM2M_OK)
        return LWM2M_OK;
    return lwm2m_decode_undo(&mark, out, arena, err, rc, j.err_pos, j.reason);
}

/* ---- encoder ---- */

static const lwm2m_json_labels senml_labels = {"v", "vb", "vs", "vd", "vlo", true};

typedef struct senml_enc {
    lwm2m_buf *out;
    char bn[LWM2M_PATH_STR_MAX + 1]; /* current base name */
    size_t bn_len;
    double bt;
    bool first;
} senml_enc;

static int put_record(senml_enc *e, const lwm2m_path *base, const lwm2m_record *r)
{
    lwm2m_buf *b = e->out;
    char name[LWM2M_PATH_STR_MAX];
    size_t name_len = lwm2m_path_format(&r->path, name, sizeof name);
    bool new_bn = e->first || name_len < e->bn_len || memcmp(name, e->bn, e->bn_len) != 0;
    lwm2m_buf_putc(b, e->first ? '{' : ',');
    if (!e->first)
        lwm2m_buf_putc(b, '{');
    if (new_bn) {
        /* First record, or one the current base name is no prefix of (unsorted input). */
        e->bn_len = lwm2m_json_base_name(base, &r->path, e->bn);
        lwm2m_json_put_key(b, "bn");
        lwm2m_json_put_string(b, (const uint8_t *)e->bn, e->bn_len);
        lwm2m_buf_putc(b, ',');
    }
    /* Base time: the first record's time; later records carry t = time - bt, unless that
     * difference does not read back exactly, in which case they restate bt. */
    bool put_bt = false, put_t = false;
    double t = 0;
    if (e->first) {
        put_bt = r->time != 0;
        e->bt = r->time;
    } else if (r->time != e->bt) {
        if (lwm2m_json_time_offset(e->bt, r->time, &t)) {
            put_t = true;
        } else {
            put_bt = true;
            e->bt = r->time;
        }
    }
    if (put_bt) {
        lwm2m_json_put_key(b, "bt");
        lwm2m_json_put_double(b, r->time);
        lwm2m_buf_putc(b, ',');
    }
    if (name_len > e->bn_len) {
        lwm2m_json_put_key(b, "n");
        lwm2m_json_put_string(b, (const uint8_t *)name + e->bn_len, name_len - e->bn_len);
        lwm2m_buf_putc(b, ',');
    }
    if (put_t) {
        lwm2m_json_put_key(b, "t");
        lwm2m_json_put_double(b, t);
        lwm2m_buf_putc(b, ',');
    }
    int rc = lwm2m_json_put_value(b, &r->value, &senml_labels);
    lwm2m_buf_putc(b, '}');
    e->first = false;
    return rc;
}

int lwm2m_senml_json_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err)
{
    senml_enc e;
    e.out = out;
    e.bn[0] = '\0';
    e.bn_len = 0;
    e.bt = 0;
    e.first = true;
    lwm2m_buf_putc(out, '[');
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
        if (put_record(&e, base, r) != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value has no senml json form");
    }
    lwm2m_buf_putc(out, ']');
    if (lwm2m_buf_overflowed(out))
        return lwm2m_codec_fail(err, LWM2M_ERR_OVERFLOW, 0, "output buffer too small");
    return LWM2M_OK;
}
