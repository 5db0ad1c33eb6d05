/* libFuzzer harness for the LwM2M CBOR decoder (Content-Format 11544).
 *
 * Input: byte 0 picks the request path, byte 1 seeds the declared-type resolver, the rest is
 * the payload. A payload that decodes must: decode the same at the root (paths are absolute);
 * re-encode as LwM2M CBOR and decode again to the same records, bit for bit; and encode as
 * SenML CBOR and decode to the same values (SenML has no empty containers and writes times
 * as plain numbers). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

#define MAX_RECS  256
#define ARENA_CAP 8192
#define OUT_CAP   65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static lwm2m_path pick_base(uint8_t b)
{
    switch (b % 8) {
    case 0:
        return lwm2m_path_root();
    case 1:
        return lwm2m_path_obj(3);
    case 2:
        return lwm2m_path_inst(3, 0);
    case 3:
        return lwm2m_path_res(3, 0, 1);
    case 4:
        return lwm2m_path_res(3, 0, 6);
    case 5:
        return lwm2m_path_rinst(3, 0, 6, 0);
    case 6:
        return lwm2m_path_inst(13, 26);
    default:
        return lwm2m_path_obj(1);
    }
}

/* A type per resource that depends on the seed: often none, sometimes each of the others. */
static lwm2m_type fuzz_type(void *ctx, const lwm2m_path *res)
{
    static const lwm2m_type pick[] = {
        LWM2M_TYPE_NONE,    LWM2M_TYPE_NONE,     LWM2M_TYPE_NONE,   LWM2M_TYPE_STRING,
        LWM2M_TYPE_INTEGER, LWM2M_TYPE_UNSIGNED, LWM2M_TYPE_FLOAT,  LWM2M_TYPE_BOOLEAN,
        LWM2M_TYPE_OPAQUE,  LWM2M_TYPE_TIME,     LWM2M_TYPE_OBJLNK, LWM2M_TYPE_CORELNK,
    };
    uint8_t seed = *(const uint8_t *)ctx;
    unsigned h = seed * 31u + res->id[0] * 7u + res->id[1] * 3u + res->id[2];
    return pick[h % (sizeof pick / sizeof pick[0])];
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static bool same_value(const lwm2m_value *a, const lwm2m_value *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == LWM2M_TYPE_FLOAT)
        return bits(a->v.f) == bits(b->v.f);
    return lwm2m_value_equal(a, b);
}

static bool same_records(const lwm2m_record *a, size_t na, const lwm2m_record *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!lwm2m_path_equal(&a[i].path, &b[i].path) || !same_value(&a[i].value, &b[i].value) ||
            bits(a[i].time) != bits(b[i].time))
            return false;
    return true;
}

/* Values through SenML CBOR: an undeclared tagged time comes back as a plain integer. */
static bool cross_value(const lwm2m_value *a, const lwm2m_value *b)
{
    if (a->type == LWM2M_TYPE_TIME && b->type == LWM2M_TYPE_INTEGER)
        return a->v.i == b->v.i;
    return same_value(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    lwm2m_path base = pick_base(data[0]);
    uint8_t seed = data[1];
    lwm2m_types types = {fuzz_type, &seed};
    const lwm2m_types *tp = (seed & 0x80) ? NULL : &types;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    lwm2m_record r1[MAX_RECS], r2[MAX_RECS];
    uint8_t mem1[ARENA_CAP], mem2[ARENA_CAP];
    lwm2m_arena a1 = lwm2m_arena_init(mem1, sizeof mem1);
    lwm2m_record_list l1 = lwm2m_record_list_init(r1, MAX_RECS);
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_lwm2m_cbor_decode(&base, in, len, tp, &a1, &l1, &err);
    if (rc != LWM2M_OK) {
        check(l1.count == 0 && a1.used == 0 && err.reason != NULL && err.offset <= len);
        return 0;
    }

    /* Paths are absolute: the root accepts the same records. */
    lwm2m_path root = lwm2m_path_root();
    lwm2m_arena a2 = lwm2m_arena_init(mem2, sizeof mem2);
    lwm2m_record_list l2 = lwm2m_record_list_init(r2, MAX_RECS);
    check(lwm2m_lwm2m_cbor_decode(&root, in, len, tp, &a2, &l2, NULL) == LWM2M_OK);
    check(same_records(r1, l1.count, r2, l2.count));

    /* Re-encode (sorted, as encoders expect) and decode again: the same records. */
    lwm2m_record_sort(r1, l1.count);
    uint8_t *out = malloc(OUT_CAP);
    check(out != NULL);
    lwm2m_buf b = lwm2m_buf_init(out, OUT_CAP);
    check(lwm2m_lwm2m_cbor_encode(&base, r1, l1.count, &b, &err) == LWM2M_OK);
    l2 = lwm2m_record_list_init(r2, MAX_RECS);
    check(lwm2m_lwm2m_cbor_decode(&base, out, b.len, tp, NULL, &l2, &err) == LWM2M_OK);
    check(same_records(r1, l1.count, r2, l2.count));

    /* Through SenML CBOR, which skips empty containers. */
    b = lwm2m_buf_init(out, OUT_CAP);
    check(lwm2m_senml_cbor_encode(&base, r1, l1.count, &b, &err) == LWM2M_OK);
    l2 = lwm2m_record_list_init(r2, MAX_RECS);
    check(lwm2m_senml_cbor_decode(&base, out, b.len, tp, NULL, &l2, &err) == LWM2M_OK);
    size_t k = 0;
    for (size_t i = 0; i < l1.count; i++) {
        if (r1[i].value.type == LWM2M_TYPE_NONE)
            continue;
        check(k < l2.count && lwm2m_path_equal(&r1[i].path, &r2[k].path) &&
              cross_value(&r1[i].value, &r2[k].value) && r2[k].time == 0);
        k++;
    }
    check(k == l2.count);
    free(out);
    return 0;
}
