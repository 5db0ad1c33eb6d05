/* Shared body of the JSON libFuzzer harnesses (fuzz_lwm2m_json.c, fuzz_senml_json.c): the decoder
 * named by FUZZ_JSON_DECODE, with a round trip through both JSON encoders.
 * Input: byte 0 picks the base path (low 3 bits) and the type resolver (high 5 bits, 0 = none);
 * the rest is the payload. A payload that decodes must re-encode in SenML JSON and in LwM2M
 * JSON, and each encoding must decode to the very same records (floats and times bit-exact). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

#define MAX_RECS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*decode_fn)(const lwm2m_path *, const uint8_t *, size_t, const lwm2m_types *,
                         lwm2m_arena *, lwm2m_record_list *, lwm2m_codec_error *);
typedef int (*encode_fn)(const lwm2m_path *, const lwm2m_record *, size_t, lwm2m_buf *,
                         lwm2m_codec_error *);

static const lwm2m_path bases[8] = {
    {{0, 0, 0, 0}, 0},  {{3, 0, 0, 0}, 1}, {{3, 0, 0, 0}, 2},  {{3, 0, 6, 0}, 3},
    {{72, 0, 0, 0}, 1}, {{5, 0, 0, 0}, 2}, {{65, 0, 0, 0}, 2}, {{2, 0, 0, 0}, 1},
};

/* A declared type that varies with the resource and the seed. */
static lwm2m_type cycle_type(void *ctx, const lwm2m_path *res)
{
    static const lwm2m_type types[] = {
        LWM2M_TYPE_NONE,   LWM2M_TYPE_STRING,  LWM2M_TYPE_INTEGER, LWM2M_TYPE_UNSIGNED,
        LWM2M_TYPE_FLOAT,  LWM2M_TYPE_BOOLEAN, LWM2M_TYPE_OPAQUE,  LWM2M_TYPE_TIME,
        LWM2M_TYPE_OBJLNK, LWM2M_TYPE_CORELNK,
    };
    unsigned seed = *(const unsigned *)ctx;
    unsigned h = seed * 31u + res->id[0] * 7u + res->id[1] * 3u + res->id[2];
    return types[h % (sizeof types / sizeof types[0])];
}

typedef struct recs_ctx {
    const lwm2m_record *r;
    size_t n;
} recs_ctx;

/* For the second decode without a resolver: the types the first decode produced. */
static lwm2m_type recorded_type(void *ctx, const lwm2m_path *res)
{
    const recs_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++) {
        lwm2m_path p = lwm2m_path_truncate(&c->r[i].path, LWM2M_PATH_RESOURCE);
        if (lwm2m_path_equal(&p, res))
            return c->r[i].value.type;
    }
    return LWM2M_TYPE_NONE;
}

static bool types_consistent(const lwm2m_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lwm2m_path a = lwm2m_path_truncate(&r[i].path, LWM2M_PATH_RESOURCE);
        for (size_t j = i + 1; j < n; j++) {
            lwm2m_path b = lwm2m_path_truncate(&r[j].path, LWM2M_PATH_RESOURCE);
            if (lwm2m_path_equal(&a, &b) && r[i].value.type != r[j].value.type)
                return false;
        }
    }
    return true;
}

static bool same_record(const lwm2m_record *a, const lwm2m_record *b)
{
    if (!lwm2m_path_equal(&a->path, &b->path) || a->value.type != b->value.type ||
        memcmp(&a->time, &b->time, sizeof a->time) != 0)
        return false;
    if (a->value.type == LWM2M_TYPE_FLOAT)
        return memcmp(&a->value.v.f, &b->value.v.f, sizeof(double)) == 0;
    return lwm2m_value_equal(&a->value, &b->value);
}

/* Encodes recs with `enc` and decodes them back with `dec`; aborts on any difference. */
static void round_trip(const lwm2m_path *base, const lwm2m_record *recs, size_t n, encode_fn enc,
                       decode_fn dec, const lwm2m_types *types, size_t hint)
{
    size_t cap = hint;
    uint8_t *out = malloc(cap + 1);
    lwm2m_buf b = lwm2m_buf_init(out, cap);
    int rc = enc(base, recs, n, &b, NULL);
    if (rc == LWM2M_ERR_OVERFLOW) {
        cap = b.len;
        out = realloc(out, cap + 1);
        b = lwm2m_buf_init(out, cap);
        rc = enc(base, recs, n, &b, NULL);
    }
    if (rc != LWM2M_OK || b.len > cap)
        abort();
    size_t len = b.len;
    /* One byte short must report the same size. */
    if (len > 0) {
        lwm2m_buf s = lwm2m_buf_init(out, len - 1);
        if (enc(base, recs, n, &s, NULL) != LWM2M_ERR_OVERFLOW || s.len != len)
            abort();
        b = lwm2m_buf_init(out, cap);
        if (enc(base, recs, n, &b, NULL) != LWM2M_OK || b.len != len)
            abort();
    }
    lwm2m_record back[MAX_RECS];
    lwm2m_record_list l = lwm2m_record_list_init(back, MAX_RECS);
    size_t arena_cap = 2 * len + 16;
    uint8_t *mem = malloc(arena_cap);
    lwm2m_arena arena = lwm2m_arena_init(mem, arena_cap);
    lwm2m_codec_error err = {0, NULL};
    if (dec(base, out, len, types, &arena, &l, &err) != LWM2M_OK || l.count != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!same_record(&recs[i], &back[i]))
            abort();
    free(mem);
    free(out);
}

static void check_at(const lwm2m_path *base, const uint8_t *in, size_t len, unsigned mode)
{
    lwm2m_types cycling = {cycle_type, &mode};
    const lwm2m_types *types = mode != 0 ? &cycling : NULL;
    lwm2m_record recs[MAX_RECS];
    lwm2m_record_list list = lwm2m_record_list_init(recs, MAX_RECS);
    size_t arena_cap = len + 16;
    uint8_t *mem = malloc(arena_cap);
    lwm2m_arena arena = lwm2m_arena_init(mem, arena_cap);
    lwm2m_codec_error err = {0, NULL};
    int rc = FUZZ_JSON_DECODE(base, in, len, types, &arena, &list, &err);
    if (rc != LWM2M_OK) {
        if (list.count != 0 || arena.used != 0 || err.reason == NULL || err.offset > len)
            abort();
        free(mem);
        return;
    }
    /* Decode again with the types the first decode produced (the resolver's, or the
     * payload's own where it had none): JSON cannot tell 10.0 from 10 by itself. A resource
     * whose untyped instances came out with different types has no such resolver. */
    if (!types_consistent(recs, list.count)) {
        free(mem);
        return;
    }
    recs_ctx rc_ctx = {recs, list.count};
    lwm2m_types recorded = {recorded_type, &rc_ctx};
    size_t hint = 8 * len + 64 * list.count + 64;
    round_trip(base, recs, list.count, lwm2m_senml_json_encode, lwm2m_senml_json_decode, &recorded,
               hint);
    round_trip(base, recs, list.count, lwm2m_lwm2m_json_encode, lwm2m_lwm2m_json_decode, &recorded,
               hint / 4);
    free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] >> 3;
    const lwm2m_path *base = &bases[data[0] & 7];
    check_at(base, data + 1, size - 1, mode);
    if (base->len != 0)
        check_at(&bases[0], data + 1, size - 1, mode);
    return 0;
}
