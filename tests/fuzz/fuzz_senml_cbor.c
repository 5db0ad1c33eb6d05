/* libFuzzer harness for the SenML CBOR decoder (Content-Format 112).
 *
 * Input: byte 0 picks the request path, byte 1 seeds the declared-type resolver, the rest is
 * the payload. A payload that decodes must: decode the same at the root (names are absolute);
 * re-encode as SenML CBOR and decode again to the same records, bit for bit (times included);
 * and, unless two records share a path, encode as LwM2M CBOR and decode to the same values
 * (LwM2M CBOR has no times and writes object links as text). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

#define MAX_RECS  256
#define ARENA_CAP 8192
#define OUT_CAP   65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports the failed invariant's line, so a crash names what broke. */
static void check_at(bool ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_senml_cbor: invariant at line %d failed\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

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
        return lwm2m_path_inst(1, 0);
    default:
        return lwm2m_path_obj(3303);
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

/* Values through LwM2M CBOR: object links come back as "o:i" text unless declared. */
static bool cross_value(const lwm2m_value *a, const lwm2m_value *b)
{
    if (a->type == LWM2M_TYPE_OBJLNK && b->type == LWM2M_TYPE_STRING) {
        char s[16];
        int n =
            snprintf(s, sizeof s, "%u:%u", (unsigned)a->v.objlnk.obj, (unsigned)a->v.objlnk.inst);
        return n > 0 && (size_t)n == b->v.bytes.len && memcmp(s, b->v.bytes.ptr, (size_t)n) == 0;
    }
    return same_value(a, b);
}

static bool has_shared_paths(const lwm2m_record *r, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (lwm2m_path_is_prefix(&r[i - 1].path, &r[i].path))
            return true;
    return false;
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
    int rc = lwm2m_senml_cbor_decode(&base, in, len, tp, &a1, &l1, &err);
    if (rc != LWM2M_OK) {
        check(l1.count == 0 && a1.used == 0 && err.reason != NULL && err.offset <= len);
        return 0;
    }

    /* Names are absolute: the root accepts the same records. */
    lwm2m_path root = lwm2m_path_root();
    lwm2m_arena a2 = lwm2m_arena_init(mem2, sizeof mem2);
    lwm2m_record_list l2 = lwm2m_record_list_init(r2, MAX_RECS);
    check(lwm2m_senml_cbor_decode(&root, in, len, tp, &a2, &l2, NULL) == LWM2M_OK);
    check(same_records(r1, l1.count, r2, l2.count));

    /* Re-encode (sorted, as encoders expect) and decode again: the same records. */
    lwm2m_record_sort(r1, l1.count);
    size_t out_cap = OUT_CAP;
    uint8_t *out = malloc(out_cap);
    check(out != NULL);
    lwm2m_buf b = lwm2m_buf_init(out, out_cap);
    check(lwm2m_senml_cbor_encode(&base, r1, l1.count, &b, NULL) == LWM2M_OK);
    l2 = lwm2m_record_list_init(r2, MAX_RECS);
    check(lwm2m_senml_cbor_decode(&base, out, b.len, tp, NULL, &l2, &err) == LWM2M_OK);
    check(same_records(r1, l1.count, r2, l2.count));

    /* Through LwM2M CBOR, which holds each path once and no times. */
    b = lwm2m_buf_init(out, out_cap);
    rc = lwm2m_lwm2m_cbor_encode(&base, r1, l1.count, &b, &err);
    if (has_shared_paths(r1, l1.count)) {
        check(rc == LWM2M_ERR_INVALID);
    } else {
        check(rc == LWM2M_OK);
        l2 = lwm2m_record_list_init(r2, MAX_RECS);
        check(lwm2m_lwm2m_cbor_decode(&base, out, b.len, tp, NULL, &l2, &err) == LWM2M_OK);
        check(l2.count == l1.count);
        for (size_t i = 0; i < l1.count; i++)
            check(lwm2m_path_equal(&r1[i].path, &r2[i].path) &&
                  cross_value(&r1[i].value, &r2[i].value) && r2[i].time == 0);
    }
    free(out);
    return 0;
}
