/* LwM2M JSON (Content-Format 11543, application/vnd.oma.lwm2m+json): the LwM2M 1.0 format of
 * OMA TS Core §6.4.4, {"bn":..., "bt":..., "e":[{"n":..., "t":..., "v"|"sv"|"bv"|"ov":...}]}.
 * Names are relative to bn (name = bn + n); opaque values are standard base64 in "sv". */
#include <string.h>

#include "codec/codec_common.h"
#include "codec/json_scan.h"
#include "core/numtext.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* Top-level members, read in a first pass so bn and bt may come after "e" (the spec's own
 * example puts "bt" last). */
typedef struct top {
    lwm2m_json_str bn;
    lwm2m_json_num bt;
    bool has_bn, has_bt, has_e;
    size_t e_pos; /* offset of the '[' of "e" */
} top;

enum entry_label { E_N, E_T, E_V, E_SV, E_BV, E_OV, E_COUNT, E_OTHER = E_COUNT };

static const char *const entry_names[E_COUNT] = {
    [E_N] = "n", [E_T] = "t", [E_V] = "v", [E_SV] = "sv", [E_BV] = "bv", [E_OV] = "ov",
};

#define ENTRY_VALUES ((1u << E_V) | (1u << E_SV) | (1u << E_BV) | (1u << E_OV))

typedef struct entry {
    unsigned seen;
    size_t start;
    lwm2m_json_str n, sv, ov;
    lwm2m_json_num t, v;
    bool bv;
    enum entry_label value;
    size_t value_pos;
} entry;

/* Offset of the key just returned by next_member (its opening quote). */
static size_t key_offset(const lwm2m_json_str *key)
{
    return key->pos - 1;
}

static int read_top(lwm2m_json *j, top *t)
{
    memset(t, 0, sizeof *t);
    int rc = lwm2m_json_begin_object(j);
    size_t count = 0;
    bool more = true;
    while (rc == LWM2M_OK) {
        lwm2m_json_str key;
        rc = lwm2m_json_next_member(j, &count, &key, &more);
        if (rc != LWM2M_OK || !more)
            break;
        bool *seen = NULL;
        lwm2m_json_kind want = LWM2M_JSON_BAD;
        const char *why = NULL;
        if (lwm2m_json_str_is(j, &key, "bn")) {
            seen = &t->has_bn;
            want = LWM2M_JSON_STRING;
            why = "bn must be a string";
        } else if (lwm2m_json_str_is(j, &key, "bt")) {
            seen = &t->has_bt;
            want = LWM2M_JSON_NUMBER;
            why = "bt must be a number";
        } else if (lwm2m_json_str_is(j, &key, "e")) {
            seen = &t->has_e;
            want = LWM2M_JSON_ARRAY;
            why = "e must be an array";
        }
        if (seen == NULL) {
            rc = lwm2m_json_skip_value(j); /* unknown members are ignored */
            continue;
        }
        if (*seen)
            return lwm2m_json_fail(j, key_offset(&key), LWM2M_ERR_INVALID, "duplicate member");
        *seen = true;
        lwm2m_json_kind k = lwm2m_json_peek(j);
        if (k != want && k != LWM2M_JSON_BAD)
            return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID, why);
        if (want == LWM2M_JSON_STRING) {
            rc = lwm2m_json_read_string(j, &t->bn);
        } else if (want == LWM2M_JSON_NUMBER) {
            rc = lwm2m_json_read_number(j, &t->bt);
        } else {
            t->e_pos = j->pos;
            rc = lwm2m_json_skip_value(j); /* syntax checked now, meaning in the second pass */
        }
    }
    if (rc == LWM2M_OK)
        rc = lwm2m_json_finish(j);
    if (rc == LWM2M_OK && !t->has_e)
        return lwm2m_json_fail(j, 0, LWM2M_ERR_INVALID, "missing resource array e");
    return rc;
}

static int read_entry(lwm2m_json *j, entry *e)
{
    memset(e, 0, sizeof *e);
    lwm2m_json_peek(j);
    e->start = j->pos;
    int rc = lwm2m_json_begin_object(j);
    size_t count = 0;
    bool more = true;
    while (rc == LWM2M_OK) {
        lwm2m_json_str key;
        rc = lwm2m_json_next_member(j, &count, &key, &more);
        if (rc != LWM2M_OK || !more)
            break;
        int l = 0;
        while (l < E_COUNT && !lwm2m_json_str_is(j, &key, entry_names[l]))
            l++;
        if (l == E_OTHER) {
            rc = lwm2m_json_skip_value(j);
            continue;
        }
        if (e->seen & (1u << l))
            return lwm2m_json_fail(j, key_offset(&key), LWM2M_ERR_INVALID, "duplicate member");
        if ((1u << l) & ENTRY_VALUES) {
            if (e->seen & ENTRY_VALUES)
                return lwm2m_json_fail(j, key_offset(&key), LWM2M_ERR_INVALID,
                                       "more than one value in an entry");
            e->value = (enum entry_label)l;
            lwm2m_json_peek(j);
            e->value_pos = j->pos;
        }
        e->seen |= 1u << l;
        lwm2m_json_kind k = lwm2m_json_peek(j);
        /* The first pass checked the syntax: only the kind of value can be wrong here. */
        switch (l) {
        case E_T:
        case E_V:
            if (k != LWM2M_JSON_NUMBER)
                return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID,
                                       l == E_T ? "t must be a number" : "v must be a number");
            rc = lwm2m_json_read_number(j, l == E_T ? &e->t : &e->v);
            break;
        case E_BV:
            if (k != LWM2M_JSON_TRUE && k != LWM2M_JSON_FALSE)
                return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID, "bv must be a boolean");
            rc = lwm2m_json_read_bool(j, &e->bv);
            break;
        default:
            if (k != LWM2M_JSON_STRING)
                return lwm2m_json_fail(j, j->pos, LWM2M_ERR_INVALID,
                                       l == E_N    ? "n must be a string"
                                       : l == E_SV ? "sv must be a string"
                                                   : "ov must be a string");
            rc = lwm2m_json_read_string(j, l == E_N ? &e->n : l == E_SV ? &e->sv : &e->ov);
            break;
        }
    }
    return rc;
}

static int entry_value(lwm2m_json *j, const entry *e, lwm2m_type want, lwm2m_arena *arena,
                       lwm2m_value *out)
{
    size_t at = e->value_pos;
    int rc;
    switch (e->value) {
    case E_V:
        if (lwm2m_json_num_value(j, &e->v, want, out) != LWM2M_OK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "number does not fit the resource type");
        return LWM2M_OK;
    case E_BV:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_BOOLEAN)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "boolean for a non-boolean resource");
        *out = lwm2m_value_bool(e->bv);
        return LWM2M_OK;
    case E_SV:
        if (want == LWM2M_TYPE_OPAQUE) {
            out->type = LWM2M_TYPE_OPAQUE;
            rc = lwm2m_json_str_base64(j, &e->sv, arena, &out->v.bytes);
            if (rc != LWM2M_OK)
                return lwm2m_json_fail(
                    j, at, rc, rc == LWM2M_ERR_NOMEM ? "arena full" : "invalid base64 in sv");
            return LWM2M_OK;
        }
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_STRING && want != LWM2M_TYPE_CORELNK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "string for a non-string resource");
        out->type = want == LWM2M_TYPE_NONE ? LWM2M_TYPE_STRING : want;
        rc = lwm2m_json_str_bytes(j, &e->sv, arena, &out->v.bytes);
        if (rc != LWM2M_OK)
            return lwm2m_json_fail(j, at, rc, "arena full");
        return LWM2M_OK;
    case E_OV:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OBJLNK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_TYPE, "object link for a non-objlnk resource");
        out->type = LWM2M_TYPE_OBJLNK;
        if (lwm2m_json_str_objlnk(j, &e->ov, &out->v.objlnk) != LWM2M_OK)
            return lwm2m_json_fail(j, at, LWM2M_ERR_INVALID, "invalid object link");
        return LWM2M_OK;
    default:
        return lwm2m_json_fail(j, e->start, LWM2M_ERR_INVALID, "record without value");
    }
}

static int decode(lwm2m_json *j, const lwm2m_path *base, const lwm2m_types *types,
                  lwm2m_arena *arena, lwm2m_record_list *out)
{
    top t;
    int rc = read_top(j, &t);
    if (rc != LWM2M_OK)
        return rc;
    double bt = t.has_bt ? t.bt.d : 0.0;
    /* Second pass over "e", now that bn and bt are known. */
    j->pos = t.e_pos;
    j->depth = 1;
    rc = lwm2m_json_begin_array(j);
    size_t count = 0;
    bool more = true;
    while (rc == LWM2M_OK) {
        rc = lwm2m_json_next_element(j, &count, &more);
        if (rc != LWM2M_OK || !more)
            break;
        entry e;
        rc = read_entry(j, &e);
        if (rc != LWM2M_OK)
            break;
        lwm2m_record rec;
        if (lwm2m_json_name_path(j, &t.bn, t.has_bn, &e.n, (e.seen & (1u << E_N)) != 0,
                                 &rec.path) != LWM2M_OK ||
            rec.path.len < LWM2M_PATH_RESOURCE)
            return lwm2m_json_fail(j, e.start, LWM2M_ERR_INVALID,
                                   "name is not a resource or resource instance path");
        if (!lwm2m_path_is_prefix(base, &rec.path))
            return lwm2m_json_fail(j, e.start, LWM2M_ERR_INVALID,
                                   "record outside the request path");
        double time = bt + ((e.seen & (1u << E_T)) ? e.t.d : 0.0);
        if (time - time != 0)
            return lwm2m_json_fail(j, e.start, LWM2M_ERR_INVALID, "time out of range");
        rec.time = time + 0.0; /* -0 becomes +0: no time */
        lwm2m_type want = LWM2M_TYPE_NONE;
        if (types != NULL && types->fn != NULL) {
            lwm2m_path res = lwm2m_path_truncate(&rec.path, LWM2M_PATH_RESOURCE);
            want = types->fn(types->ctx, &res);
        }
        rc = entry_value(j, &e, want, arena, &rec.value);
        if (rc != LWM2M_OK)
            break;
        if (out->count >= out->cap)
            return lwm2m_json_fail(j, e.start, LWM2M_ERR_NOMEM, "too many records");
        out->items[out->count++] = rec;
    }
    return rc;
}

int lwm2m_lwm2m_json_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
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

/* OMA LwM2M JSON: opaque values are standard base64 in "sv". */
static const lwm2m_json_labels lwm2m_json_labels_11543 = {"v", "bv", "sv", "sv", "ov", false};

/* Checks every record and picks the one bn and bt the whole payload uses. */
static int plan(const lwm2m_path *base, const lwm2m_record *recs, size_t n, char *bn,
                size_t *bn_len, double *bt, lwm2m_codec_error *err)
{
    const lwm2m_record *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &recs[i];
        if (r->value.type == LWM2M_TYPE_NONE)
            continue;
        if (r->path.len < LWM2M_PATH_RESOURCE || r->path.len > LWM2M_PATH_MAX_DEPTH)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value record above resource level");
        if (!lwm2m_path_is_prefix(base, &r->path))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "record outside the request path");
        if (r->time - r->time != 0)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "time is not finite");
        if (first == NULL)
            first = r;
    }
    *bn_len = lwm2m_json_base_name(base, first != NULL ? &first->path : NULL, bn);
    *bt = first != NULL ? first->time : 0.0;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &recs[i];
        if (r->value.type == LWM2M_TYPE_NONE)
            continue;
        char name[LWM2M_PATH_STR_MAX];
        size_t len = lwm2m_path_format(&r->path, name, sizeof name);
        /* Unsorted input can put a record beside the base name: fall back to the root. */
        if (len < *bn_len || memcmp(name, bn, *bn_len) != 0) {
            *bn_len = 1;
            bn[0] = '/';
            bn[1] = '\0';
        }
        /* A single bt must give every time back exactly, else times go out absolute. */
        double t;
        if (!lwm2m_json_time_offset(*bt, r->time, &t))
            *bt = 0.0;
    }
    return LWM2M_OK;
}

int lwm2m_lwm2m_json_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err)
{
    char bn[LWM2M_PATH_STR_MAX + 1];
    size_t bn_len = 0;
    double bt = 0.0;
    int rc = plan(base, recs, n, bn, &bn_len, &bt, err);
    if (rc != LWM2M_OK)
        return rc;
    lwm2m_buf_putc(out, '{');
    lwm2m_json_put_key(out, "bn");
    lwm2m_json_put_string(out, (const uint8_t *)bn, bn_len);
    if (bt != 0) {
        lwm2m_buf_putc(out, ',');
        lwm2m_json_put_key(out, "bt");
        lwm2m_json_put_double(out, bt);
    }
    lwm2m_buf_puts(out, ",\"e\":[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &recs[i];
        if (r->value.type == LWM2M_TYPE_NONE)
            continue;
        if (!first)
            lwm2m_buf_putc(out, ',');
        first = false;
        lwm2m_buf_putc(out, '{');
        char name[LWM2M_PATH_STR_MAX];
        size_t len = lwm2m_path_format(&r->path, name, sizeof name);
        if (len > bn_len) {
            lwm2m_json_put_key(out, "n");
            lwm2m_json_put_string(out, (const uint8_t *)name + bn_len, len - bn_len);
            lwm2m_buf_putc(out, ',');
        }
        /* plan() made bt + t exact for every record. */
        double t = r->time - bt;
        if (t != 0) {
            lwm2m_json_put_key(out, "t");
            lwm2m_json_put_double(out, t);
            lwm2m_buf_putc(out, ',');
        }
        if (lwm2m_json_put_value(out, &r->value, &lwm2m_json_labels_11543) != LWM2M_OK)
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value has no lwm2m json form");
        lwm2m_buf_putc(out, '}');
    }
    lwm2m_buf_puts(out, "]}");
    if (lwm2m_buf_overflowed(out))
        return lwm2m_codec_fail(err, LWM2M_ERR_OVERFLOW, 0, "output buffer too small");
    return LWM2M_OK;
}
