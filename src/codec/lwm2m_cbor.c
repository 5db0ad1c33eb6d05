/* LwM2M CBOR (Content-Format 11544), the "LwM2M CBOR" data format of OMA LwM2M 1.2 Core.
 *
 * The payload is one CBOR map whose keys are path IDs (unsigned integers) or arrays of IDs
 * (a compacted run of levels); a value is either a nested map one or more levels down or the
 * resource (instance) value itself. Paths are absolute: the keys start at the Object ID
 * whatever the request path, which only bounds where records may lie.
 *
 * Decoding accepts any mix of nested and compacted keys, definite or indefinite lengths.
 * An empty map below the object level is an empty container: an instance without resources
 * or a multiple resource without instances (a NONE record); an empty object adds nothing.
 * Value types: unsigned/negative integers, floats of any width, booleans, text (string,
 * core link, or "o:i" object link for an Objlnk resource), byte strings (opaque), and tag 1
 * (epoch time) on an integer for Time. Other tags, null and undefined are refused.
 *
 * Encoding writes the request path as the single key of the top-level map (a plain ID for
 * an object, an array of IDs below it, nothing for the root), then one definite-length map
 * per path level below it, keys ascending: {[3, 0]: {0: "...", 6: {0: 1, 1: 5}}}. */
#include <string.h>

#include "codec/codec_common.h"
#include "codec/cbor_rw.h"
#include "core/utf8.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* Containers below a value when re-reading a map's earlier keys: key arrays and at most four
 * levels of maps, each value possibly tagged. */
#define RESCAN_DEPTH 12

typedef struct lc_dec {
    lwm2m_cbor_reader r;
    const lwm2m_path *base;
    const lwm2m_types *types;
    lwm2m_arena *arena;
    lwm2m_record_list *out;
    size_t first; /* out->count at entry */
    bool sorted;  /* records so far ascending and none a prefix of another */
} lc_dec;

/* The IDs a map key adds to the path. */
typedef struct key_ids {
    uint16_t id[LWM2M_PATH_MAX_DEPTH];
    uint8_t len;
} key_ids;

static int add_id(lwm2m_cbor_reader *r, const lwm2m_cbor_item *it, key_ids *k)
{
    if (it->kind != LWM2M_CBOR_UINT)
        return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID,
                               "path key must be an id or an array of ids");
    if (it->val > LWM2M_ID_MAX)
        return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "path id out of range");
    if (k->len == LWM2M_PATH_MAX_DEPTH)
        return lwm2m_cbor_fail(r, it->offset, LWM2M_ERR_INVALID, "path too deep");
    k->id[k->len++] = (uint16_t)it->val;
    return LWM2M_OK;
}

static int read_key(lwm2m_cbor_reader *r, const lwm2m_cbor_item *key, key_ids *k)
{
    k->len = 0;
    if (key->kind != LWM2M_CBOR_ARRAY)
        return add_id(r, key, k);
    lwm2m_cbor_iter iter;
    lwm2m_cbor_iter_init(&iter, key);
    lwm2m_cbor_item it;
    int rc;
    while ((rc = lwm2m_cbor_iter_next(r, &iter, &it)) == 1)
        if (add_id(r, &it, k) != LWM2M_OK)
            return r->rc;
    if (rc != 0)
        return rc;
    if (k->len == 0)
        return lwm2m_cbor_fail(r, key->offset, LWM2M_ERR_INVALID, "empty path key");
    return LWM2M_OK;
}

/* Lexicographic, a proper prefix first. */
static int key_compare(const key_ids *a, const key_ids *b)
{
    uint8_t n = a->len < b->len ? a->len : b->len;
    for (uint8_t i = 0; i < n; i++)
        if (a->id[i] != b->id[i])
            return a->id[i] < b->id[i] ? -1 : 1;
    return a->len == b->len ? 0 : a->len < b->len ? -1 : 1;
}

/* Whether one of the first `nkeys` keys of the map starting at `keys_start` names the same
 * IDs as `k` (3 and [3] are the same key). Only runs for keys out of ascending order. */
static bool key_seen(const lc_dec *d, const lwm2m_cbor_item *map, size_t keys_start, size_t nkeys,
                     const key_ids *k)
{
    lwm2m_cbor_reader s;
    lwm2m_cbor_reader_init(&s, d->r.in, d->r.len);
    s.pos = keys_start;
    lwm2m_cbor_iter iter;
    lwm2m_cbor_iter_init(&iter, map);
    lwm2m_cbor_item key, val;
    for (size_t i = 0; i < nkeys; i++) {
        key_ids seen;
        /* Already read once without error, so these cannot fail. */
        if (lwm2m_cbor_iter_next(&s, &iter, &key) != 1 || read_key(&s, &key, &seen) != LWM2M_OK)
            return false;
        if (key_compare(&seen, k) == 0)
            return true;
        if (lwm2m_cbor_read(&s, &val) != LWM2M_OK ||
            lwm2m_cbor_skip(&s, &val, RESCAN_DEPTH, true) != LWM2M_OK)
            return false;
    }
    return false;
}

/* Appends a record unless its path equals, contains or lies inside another record's. */
static int add_record(lc_dec *d, size_t at, const lwm2m_path *p, const lwm2m_value *v)
{
    lwm2m_record_list *out = d->out;
    const lwm2m_record *recs = out->items + d->first;
    size_t n = out->count - d->first;
    /* Ascending and not below the last: in a sorted, overlap-free list a conflicting record
     * would sit between them, so only unsorted input pays for the full scan. */
    if (n > 0 && !(d->sorted && lwm2m_path_compare(&recs[n - 1].path, p) < 0 &&
                   !lwm2m_path_is_prefix(&recs[n - 1].path, p))) {
        d->sorted = false;
        for (size_t i = 0; i < n; i++)
            if (lwm2m_path_is_prefix(&recs[i].path, p) || lwm2m_path_is_prefix(p, &recs[i].path))
                return lwm2m_cbor_fail(&d->r, at, LWM2M_ERR_INVALID,
                                       "duplicate or overlapping record path");
    }
    if (lwm2m_record_list_add(out, p, v) != LWM2M_OK)
        return lwm2m_cbor_fail(&d->r, at, LWM2M_ERR_NOMEM, "too many records");
    return LWM2M_OK;
}

/* The value item `it` at path p, typed from the payload then converted to the declared type. */
static int decode_value(lc_dec *d, const lwm2m_path *p, const lwm2m_cbor_item *it)
{
    lwm2m_cbor_reader *r = &d->r;
    size_t at = it->offset;
    lwm2m_value v;
    if (it->kind == LWM2M_CBOR_ARRAY)
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "value must not be an array");
    if (p->len < LWM2M_PATH_RESOURCE)
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "value above resource level");
    if (!lwm2m_path_is_prefix(d->base, p))
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "record outside the request path");
    switch (it->kind) {
    case LWM2M_CBOR_UINT:
    case LWM2M_CBOR_NINT:
    case LWM2M_CBOR_FLOAT:
        if (lwm2m_cbor_number(it, &v) != LWM2M_OK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "integer out of range");
        break;
    case LWM2M_CBOR_SIMPLE:
        if (it->val == LWM2M_CBOR_NULL)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_UNSUPPORTED, "null values are not supported");
        if (it->val != LWM2M_CBOR_TRUE && it->val != LWM2M_CBOR_FALSE)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "unsupported simple value");
        v = lwm2m_value_bool(it->val == LWM2M_CBOR_TRUE);
        break;
    case LWM2M_CBOR_TEXT:
    case LWM2M_CBOR_BYTES:
        v.type = it->kind == LWM2M_CBOR_TEXT ? LWM2M_TYPE_STRING : LWM2M_TYPE_OPAQUE;
        if (lwm2m_cbor_read_string(r, it, d->arena, &v.v.bytes) != LWM2M_OK)
            return r->rc;
        break;
    case LWM2M_CBOR_TAG: {
        lwm2m_cbor_item inner;
        if (it->val != LWM2M_CBOR_TAG_EPOCH)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "unsupported cbor tag");
        if (lwm2m_cbor_read(r, &inner) != LWM2M_OK)
            return r->rc;
        if ((inner.kind != LWM2M_CBOR_UINT && inner.kind != LWM2M_CBOR_NINT) ||
            lwm2m_cbor_number(&inner, &v) != LWM2M_OK || v.type != LWM2M_TYPE_INTEGER)
            return lwm2m_cbor_fail(r, inner.offset, LWM2M_ERR_INVALID,
                                   "time must be an integer in int64 range");
        v.type = LWM2M_TYPE_TIME;
        break;
    }
    default: /* arrays refused above, maps never reach here */
        return lwm2m_cbor_fail(r, at, LWM2M_ERR_INVALID, "value must not be an array");
    }
    lwm2m_type want = LWM2M_TYPE_NONE;
    if (d->types != NULL && d->types->fn != NULL) {
        lwm2m_path res = lwm2m_path_truncate(p, LWM2M_PATH_RESOURCE);
        want = d->types->fn(d->types->ctx, &res);
    }
    lwm2m_value conv = v;
    switch (v.type) {
    case LWM2M_TYPE_STRING:
        if (want == LWM2M_TYPE_OBJLNK) {
            conv.type = LWM2M_TYPE_OBJLNK;
            if (lwm2m_cbor_objlnk_parse(v.v.bytes.ptr, v.v.bytes.len, &conv.v.objlnk) != LWM2M_OK)
                return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "invalid object link");
        } else if (want == LWM2M_TYPE_STRING || want == LWM2M_TYPE_CORELNK) {
            conv.type = want;
        } else if (want != LWM2M_TYPE_NONE) {
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "string for a non-string resource");
        }
        break;
    case LWM2M_TYPE_OPAQUE:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_OPAQUE)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "opaque for a non-opaque resource");
        break;
    case LWM2M_TYPE_BOOLEAN:
        if (want != LWM2M_TYPE_NONE && want != LWM2M_TYPE_BOOLEAN)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "boolean for a non-boolean resource");
        break;
    default:
        if (lwm2m_value_convert(&v, want, &conv) != LWM2M_OK)
            return lwm2m_cbor_fail(r, at, LWM2M_ERR_TYPE, "number does not fit the resource type");
        break;
    }
    return add_record(d, at, p, &conv);
}

/* The entries of the map `map` (head just read) below `prefix`. Recursion is bounded by the
 * path: every nested map is reached through a key that adds at least one of four IDs. */
static int decode_map(lc_dec *d, const lwm2m_path *prefix, const lwm2m_cbor_item *map)
{
    lwm2m_cbor_reader *r = &d->r;
    lwm2m_cbor_iter iter;
    lwm2m_cbor_iter_init(&iter, map);
    size_t keys_start = r->pos, nkeys = 0;
    key_ids prev = {{0, 0, 0, 0}, 0};
    bool ascending = true;
    lwm2m_cbor_item key, val;
    int rc;
    while ((rc = lwm2m_cbor_iter_next(r, &iter, &key)) == 1) {
        key_ids k;
        if (read_key(r, &key, &k) != LWM2M_OK)
            return r->rc;
        if (prefix->len + k.len > LWM2M_PATH_MAX_DEPTH)
            return lwm2m_cbor_fail(r, key.offset, LWM2M_ERR_INVALID, "path too deep");
        /* Keys usually come ascending; only out-of-order ones are checked against the rest. */
        if (nkeys > 0 && !(ascending && key_compare(&prev, &k) < 0)) {
            ascending = false;
            if (key_seen(d, map, keys_start, nkeys, &k))
                return lwm2m_cbor_fail(r, key.offset, LWM2M_ERR_INVALID, "duplicate map key");
        }
        prev = k;
        nkeys++;
        lwm2m_path p = *prefix;
        for (uint8_t i = 0; i < k.len; i++)
            p.id[p.len++] = k.id[i];
        if (lwm2m_cbor_read(r, &val) != LWM2M_OK)
            return r->rc;
        if (val.kind == LWM2M_CBOR_MAP)
            rc = decode_map(d, &p, &val);
        else
            rc = decode_value(d, &p, &val);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (rc != 0)
        return rc;
    if (nkeys > 0 || prefix->len == 0)
        return LWM2M_OK;
    /* An empty map: a container without children. */
    if (prefix->len == LWM2M_PATH_RESOURCE_INSTANCE)
        return lwm2m_cbor_fail(r, map->offset, LWM2M_ERR_INVALID,
                               "empty map at resource instance level");
    if (!lwm2m_path_is_prefix(d->base, prefix))
        return lwm2m_cbor_fail(r, map->offset, LWM2M_ERR_INVALID,
                               "record outside the request path");
    if (prefix->len == LWM2M_PATH_OBJECT)
        return LWM2M_OK; /* an object without instances: no record to express it */
    lwm2m_value none;
    memset(&none, 0, sizeof none);
    none.type = LWM2M_TYPE_NONE;
    return add_record(d, map->offset, prefix, &none);
}

static int decode(lc_dec *d)
{
    lwm2m_cbor_reader *r = &d->r;
    lwm2m_cbor_item top;
    if (lwm2m_cbor_read(r, &top) != LWM2M_OK)
        return r->rc;
    if (top.kind != LWM2M_CBOR_MAP)
        return lwm2m_cbor_fail(r, top.offset, LWM2M_ERR_INVALID, "payload must be a cbor map");
    lwm2m_path root = lwm2m_path_root();
    if (decode_map(d, &root, &top) != LWM2M_OK)
        return r->rc;
    if (r->pos != r->len)
        return lwm2m_cbor_fail(r, r->pos, LWM2M_ERR_INVALID, "trailing bytes after the payload");
    return LWM2M_OK;
}

int lwm2m_lwm2m_cbor_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err)
{
    lwm2m_decode_mark mark = lwm2m_decode_mark_take(out, arena);
    lc_dec d;
    lwm2m_cbor_reader_init(&d.r, in, len);
    d.base = base;
    d.types = types;
    d.arena = arena;
    d.out = out;
    d.first = out->count;
    d.sorted = true;
    int rc = decode(&d);
    if (rc == LWM2M_OK)
        return LWM2M_OK;
    return lwm2m_decode_undo(&mark, out, arena, err, rc, d.r.err_pos, d.r.reason);
}

/* ---- encoder ---- */

static bool value_ok(const lwm2m_value *v)
{
    return v->type == LWM2M_TYPE_NONE || lwm2m_codec_value_ok(v);
}

static void put_value(lwm2m_buf *b, const lwm2m_value *v)
{
    switch (v->type) {
    case LWM2M_TYPE_NONE:
        lwm2m_cbor_put_map(b, 0); /* an empty instance or multiple resource */
        break;
    case LWM2M_TYPE_INTEGER:
        lwm2m_cbor_put_int(b, v->v.i);
        break;
    case LWM2M_TYPE_TIME:
        lwm2m_cbor_put_tag(b, LWM2M_CBOR_TAG_EPOCH);
        lwm2m_cbor_put_int(b, v->v.i);
        break;
    case LWM2M_TYPE_UNSIGNED:
        lwm2m_cbor_put_uint(b, v->v.u);
        break;
    case LWM2M_TYPE_FLOAT:
        lwm2m_cbor_put_float(b, v->v.f);
        break;
    case LWM2M_TYPE_BOOLEAN:
        lwm2m_cbor_put_bool(b, v->v.b);
        break;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        lwm2m_cbor_put_text(b, v->v.bytes.ptr, v->v.bytes.len);
        break;
    case LWM2M_TYPE_OPAQUE:
        lwm2m_cbor_put_bytes(b, v->v.bytes.ptr, v->v.bytes.len);
        break;
    default: { /* LWM2M_TYPE_OBJLNK */
        char s[12];
        size_t n = lwm2m_cbor_objlnk_format(v->v.objlnk, s);
        lwm2m_cbor_put_text(b, s, n);
        break;
    }
    }
}

/* Records [lo, hi) share their first `depth` IDs. Either one record sits exactly there (its
 * value follows), or all lie deeper: one map keyed by the ID at `depth`. Validation made the
 * records sorted and overlap-free, so depth never exceeds the path length. */
static void put_level(lwm2m_buf *b, const lwm2m_record *recs, size_t lo, size_t hi, uint8_t depth)
{
    if (hi - lo == 1 && recs[lo].path.len == depth) {
        put_value(b, &recs[lo].value);
        return;
    }
    size_t groups = 0;
    for (size_t i = lo; i < hi; i++)
        if (i == lo || recs[i].path.id[depth] != recs[i - 1].path.id[depth])
            groups++;
    lwm2m_cbor_put_map(b, groups);
    for (size_t i = lo, j; i < hi; i = j) {
        j = i + 1;
        while (j < hi && recs[j].path.id[depth] == recs[i].path.id[depth])
            j++;
        lwm2m_cbor_put_uint(b, recs[i].path.id[depth]);
        put_level(b, recs, i, j, (uint8_t)(depth + 1));
    }
}

int lwm2m_lwm2m_cbor_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path *p = &recs[i].path;
        if (p->len > LWM2M_PATH_MAX_DEPTH || !lwm2m_path_is_prefix(base, p))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "record outside the request path");
        if (recs[i].value.type == LWM2M_TYPE_NONE) {
            if (p->len != LWM2M_PATH_INSTANCE && p->len != LWM2M_PATH_RESOURCE)
                return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i,
                                        "empty container must be an instance or a resource");
        } else if (p->len < LWM2M_PATH_RESOURCE) {
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value record above resource level");
        }
        if (!value_ok(&recs[i].value))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i, "value has no lwm2m cbor form");
        /* Nested maps need each path once and grouped: sorted, none inside another. */
        if (i > 0 && (lwm2m_path_compare(&recs[i - 1].path, p) >= 0 ||
                      lwm2m_path_is_prefix(&recs[i - 1].path, p)))
            return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, i,
                                    "records not sorted, duplicated or overlapping");
    }
    if (n == 0) {
        lwm2m_cbor_put_map(out, 0);
    } else if (base->len == 0) {
        put_level(out, recs, 0, n, 0);
    } else {
        lwm2m_cbor_put_map(out, 1);
        if (base->len == 1) {
            lwm2m_cbor_put_uint(out, base->id[0]);
        } else {
            lwm2m_cbor_put_array(out, base->len);
            for (uint8_t i = 0; i < base->len; i++)
                lwm2m_cbor_put_uint(out, base->id[i]);
        }
        put_level(out, recs, 0, n, base->len);
    }
    if (lwm2m_buf_overflowed(out))
        return lwm2m_codec_fail(err, LWM2M_ERR_OVERFLOW, 0, "output buffer too small");
    return LWM2M_OK;
}
