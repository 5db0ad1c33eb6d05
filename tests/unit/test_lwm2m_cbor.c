/* Unit tests for LwM2M CBOR (Content-Format 11544, src/codec/lwm2m_cbor.c). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

/* Declared types by resource ID (objects and instances ignored); ctx is a lwm2m_type[32]. */
static lwm2m_type type_by_rid(void *ctx, const lwm2m_path *res)
{
    const lwm2m_type *t = ctx;
    return res->id[2] < 32 ? t[res->id[2]] : LWM2M_TYPE_NONE;
}

static lwm2m_type device_types[32];

static void init_device_types(void)
{
    static const int strings[] = {0, 1, 2, 3, 14, 15, 16};
    static const int ints[] = {6, 7, 8, 9, 10, 11};
    memset(device_types, 0, sizeof device_types);
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        device_types[strings[i]] = LWM2M_TYPE_STRING;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        device_types[ints[i]] = LWM2M_TYPE_INTEGER;
    device_types[13] = LWM2M_TYPE_TIME;
}

static lwm2m_record rec_of(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r;
    r.path = p;
    r.value = v;
    r.time = 0;
    return r;
}

static lwm2m_value none_value(void)
{
    lwm2m_value v;
    memset(&v, 0, sizeof v);
    v.type = LWM2M_TYPE_NONE;
    return v;
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void assert_records_equal(const lwm2m_record *a, const lwm2m_record *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(lwm2m_path_equal(&a[i].path, &b[i].path));
        assert_int_equal(a[i].value.type, b[i].value.type);
        assert_true(lwm2m_value_equal(&a[i].value, &b[i].value));
        if (a[i].value.type == LWM2M_TYPE_FLOAT)
            assert_true(bits_of(a[i].value.v.f) == bits_of(b[i].value.v.f));
        assert_true(bits_of(a[i].time) == bits_of(b[i].time));
    }
}

static size_t device_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec_of(lwm2m_path_res(3, 0, 0), lwm2m_value_str("Open Mobile Alliance"));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_str("Lightweigt M2M Client"));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 2), lwm2m_value_str("345000123"));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 3), lwm2m_value_str("1.0"));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(5));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 7, 0), lwm2m_value_int(3800));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 7, 1), lwm2m_value_int(5000));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 8, 0), lwm2m_value_int(125));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 8, 1), lwm2m_value_int(900));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 9), lwm2m_value_int(100));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 10), lwm2m_value_int(15));
    r[n++] = rec_of(lwm2m_path_rinst(3, 0, 11, 0), lwm2m_value_int(0));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 13), lwm2m_value_time(1367491215));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 14), lwm2m_value_str("+02:00"));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 16), lwm2m_value_str("U"));
    return n;
}

/* Read /3/0: {[3, 0]: {0: "Open Mobile Alliance", ..., 6: {0: 1, 1: 5}, ...,
 * 13: 1(1367491215), 14: "+02:00", 16: "U"}} */
static const char device_hex[] = "a1 82 03 00 ad"
                                 "00 74 4f70656e204d6f62696c6520416c6c69616e6365"
                                 "01 75 4c696768747765696774204d324d20436c69656e74"
                                 "02 69 333435303030313233"
                                 "03 63 312e30"
                                 "06 a2 00 01 01 05"
                                 "07 a2 00 190ed8 01 191388"
                                 "08 a2 00 187d 01 190384"
                                 "09 1864"
                                 "0a 0f"
                                 "0b a1 00 00"
                                 "0d c1 1a5182428f"
                                 "0e 66 2b30323a3030"
                                 "10 61 55";

static void expect_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                          const char *hex)
{
    uint8_t out[512], want[512];
    size_t want_len = unhex(hex, want, sizeof want);
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_codec_error err = {0, NULL};
    assert_int_equal(lwm2m_lwm2m_cbor_encode(base, recs, n, &b, &err), LWM2M_OK);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(out, want, want_len);
}

/* Decodes hex (kept in `in`) at base; returns the code. */
static int decode_hex(const char *hex, const lwm2m_path *base, const lwm2m_types *types,
                      lwm2m_arena *arena, uint8_t *in, size_t cap, lwm2m_record_list *l,
                      lwm2m_codec_error *err)
{
    size_t len = unhex(hex, in, cap);
    return lwm2m_lwm2m_cbor_decode(base, in, len, types, arena, l, err);
}

static void test_device(void **state)
{
    (void)state;
    init_device_types();
    lwm2m_types types = {type_by_rid, device_types};
    lwm2m_record recs[16], got[16];
    size_t n = device_records(recs);
    lwm2m_path base = lwm2m_path_inst(3, 0);
    expect_encode(&base, recs, n, device_hex);
    uint8_t in[512];
    lwm2m_record_list l = lwm2m_record_list_init(got, 16);
    assert_int_equal(decode_hex(device_hex, &base, &types, NULL, in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, n);
    assert_records_equal(got, recs, n);
    /* Without declared types too: the time tag keeps its type, strings borrow the input. */
    l = lwm2m_record_list_init(got, 16);
    assert_int_equal(decode_hex(device_hex, &base, NULL, NULL, in, sizeof in, &l, NULL), LWM2M_OK);
    assert_records_equal(got, recs, n);
    assert_true(got[0].value.v.bytes.ptr > in && got[0].value.v.bytes.ptr < in + sizeof in);
    /* Paths are absolute: the same payload is valid at the object and the root. */
    lwm2m_path wider[2] = {lwm2m_path_obj(3), lwm2m_path_root()};
    for (int k = 0; k < 2; k++) {
        l = lwm2m_record_list_init(got, 16);
        assert_int_equal(decode_hex(device_hex, &wider[k], NULL, NULL, in, sizeof in, &l, NULL),
                         LWM2M_OK);
        assert_int_equal(l.count, n);
    }
    /* Encoded at the root: one map per level from the object down. */
    uint8_t out[512];
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_lwm2m_cbor_encode(&wider[1], recs, n, &b, NULL), LWM2M_OK);
    assert_memory_equal(out, "\xa1\x03\xa1\x00\xad\x00\x74", 7);
    l = lwm2m_record_list_init(got, 16);
    assert_int_equal(lwm2m_lwm2m_cbor_decode(&wider[1], out, b.len, &types, NULL, &l, NULL),
                     LWM2M_OK);
    assert_records_equal(got, recs, n);
    /* Outside the payload's instance: refused. */
    lwm2m_path other = lwm2m_path_inst(3, 1);
    lwm2m_codec_error err;
    l = lwm2m_record_list_init(got, 16);
    assert_int_equal(decode_hex(device_hex, &other, NULL, NULL, in, sizeof in, &l, &err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record outside the request path");
    assert_int_equal(err.offset, 6);
}

/* Anjay's LwM2M CBOR decoder test vectors (tests/core/io/lwm2m_cbor_in.c), /13/26/x. */
static void test_anjay_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        lwm2m_path base;
        size_t count;
        uint16_t rid[2];
        int64_t v[2];
    } cases[] = {
        {"A1 83 0D 18 1A 01 18 2A", {{13, 26, 1, 0}, 3}, 1, {1, 0}, {42, 0}},
        {"BF 9F 0D 18 1A 01 FF 18 2A FF", {{13, 26, 1, 0}, 3}, 1, {1, 0}, {42, 0}},
        {"A1 0D A1 18 1A A1 01 18 2A", {{13, 26, 1, 0}, 3}, 1, {1, 0}, {42, 0}},
        {"A1 81 0D A1 81 18 1A A1 81 01 18 2A", {{13, 26, 1, 0}, 3}, 1, {1, 0}, {42, 0}},
        {"BF 9F 0D FF BF 9F 18 1A FF BF 9F 01 FF 18 2A FF FF FF",
         {{13, 26, 1, 0}, 3},
         1,
         {1, 0},
         {42, 0}},
        {"A1 82 0D 18 1A A2 01 18 2A 02 15", {{13, 26, 0, 0}, 2}, 2, {1, 2}, {42, 21}},
        {"A2 83 0D 18 1A 01 18 2A 83 0D 18 1A 02 15", {{13, 26, 0, 0}, 2}, 2, {1, 2}, {42, 21}},
        {"A2 82 0D 18 1A A1 01 18 2A 83 0D 18 1A 02 15", {{13, 26, 0, 0}, 2}, 2, {1, 2}, {42, 21}},
        {"A2 83 0D 18 1A 01 18 2A 82 0D 18 1A A1 81 02 15",
         {{13, 26, 0, 0}, 2},
         2,
         {1, 2},
         {42, 21}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[64];
        lwm2m_record got[4];
        lwm2m_record_list l = lwm2m_record_list_init(got, 4);
        assert_int_equal(
            decode_hex(cases[i].hex, &cases[i].base, NULL, NULL, in, sizeof in, &l, NULL),
            LWM2M_OK);
        assert_int_equal(l.count, cases[i].count);
        for (size_t k = 0; k < cases[i].count; k++) {
            lwm2m_path want = lwm2m_path_res(13, 26, cases[i].rid[k]);
            assert_true(lwm2m_path_equal(&got[k].path, &want));
            assert_int_equal(got[k].value.type, LWM2M_TYPE_INTEGER);
            assert_true(got[k].value.v.i == cases[i].v[k]);
        }
    }
    /* Our encoder writes exactly Anjay's definite-length forms. */
    lwm2m_record r[4];
    r[0] = rec_of(lwm2m_path_res(13, 26, 1), lwm2m_value_int(42));
    r[1] = rec_of(lwm2m_path_res(13, 26, 2), lwm2m_value_int(21));
    lwm2m_path base = lwm2m_path_res(13, 26, 1);
    expect_encode(&base, r, 1, "A1 83 0D 18 1A 01 18 2A");
    base = lwm2m_path_inst(13, 26);
    expect_encode(&base, r, 2, "A1 82 0D 18 1A A2 01 18 2A 02 15");
    /* Composite read at the root: {13: {26: {1: 1}}, 14: {27: {2: 2}}} */
    r[0] = rec_of(lwm2m_path_res(13, 26, 1), lwm2m_value_int(1));
    r[1] = rec_of(lwm2m_path_res(14, 27, 2), lwm2m_value_int(2));
    base = lwm2m_path_root();
    static const char composite[] = "A2 0D A1 18 1A A1 01 01 0E A1 18 1B A1 02 02";
    expect_encode(&base, r, 2, composite);
    static const char *const same[] = {
        composite,
        "BF 0D BF 18 1A BF 01 01 FF FF 0E BF 18 1B BF 02 02 FF FF FF",
        "BF 9F 0D FF BF 9F 18 1A FF BF 9F 01 FF 01 FF FF 9F 0E FF BF 9F 18 1B FF BF 9F 02 FF 02 "
        "FF FF FF",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        uint8_t in[64];
        lwm2m_record got[4];
        lwm2m_record_list l = lwm2m_record_list_init(got, 4);
        assert_int_equal(decode_hex(same[i], &base, NULL, NULL, in, sizeof in, &l, NULL), LWM2M_OK);
        assert_int_equal(l.count, 2);
        assert_records_equal(got, r, 2);
    }
    /* all_types: {[13, 26]: {1: 1, 2: -1, 3: 2.5, 4: "test", 5: h'11223344', 6: "12:34", 7: 1}}
     * with resource 6 declared an object link. */
    lwm2m_type t[32];
    memset(t, 0, sizeof t);
    t[6] = LWM2M_TYPE_OBJLNK;
    t[7] = LWM2M_TYPE_UNSIGNED;
    lwm2m_types types = {type_by_rid, t};
    uint8_t in[64];
    lwm2m_record got[8];
    lwm2m_record_list l = lwm2m_record_list_init(got, 8);
    base = lwm2m_path_inst(13, 26);
    assert_int_equal(decode_hex("A1 82 0D 18 1A A7 01 01 02 20 03 F9 41 00 04 64 74 65 73 74 05 "
                                "44 11 22 33 44 06 65 31 32 3A 33 34 07 01",
                                &base, &types, NULL, in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 7);
    assert_true(got[0].value.type == LWM2M_TYPE_INTEGER && got[0].value.v.i == 1);
    assert_true(got[1].value.type == LWM2M_TYPE_INTEGER && got[1].value.v.i == -1);
    assert_true(got[2].value.type == LWM2M_TYPE_FLOAT && got[2].value.v.f == 2.5);
    assert_true(got[3].value.type == LWM2M_TYPE_STRING && got[3].value.v.bytes.len == 4);
    assert_true(got[4].value.type == LWM2M_TYPE_OPAQUE && got[4].value.v.bytes.len == 4);
    assert_memory_equal(got[4].value.v.bytes.ptr, "\x11\x22\x33\x44", 4);
    assert_true(got[5].value.type == LWM2M_TYPE_OBJLNK && got[5].value.v.objlnk.obj == 12 &&
                got[5].value.v.objlnk.inst == 34);
    assert_true(got[6].value.type == LWM2M_TYPE_UNSIGNED && got[6].value.v.u == 1);
    /* Indefinite byte string in two chunks: gathered into the arena. */
    uint8_t mem[32];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    l = lwm2m_record_list_init(got, 8);
    base = lwm2m_path_res(13, 26, 1);
    static const char chunked[] = "A1 83 0D 18 1A 01 5F 48 0011223344556677 48 8899AABBCCDDEEFF FF";
    assert_int_equal(decode_hex(chunked, &base, NULL, &arena, in, sizeof in, &l, NULL), LWM2M_OK);
    assert_int_equal(got[0].value.v.bytes.len, 16);
    assert_memory_equal(got[0].value.v.bytes.ptr,
                        "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
    assert_int_equal(arena.used, 16);
    l = lwm2m_record_list_init(got, 8);
    assert_int_equal(decode_hex(chunked, &base, NULL, NULL, in, sizeof in, &l, NULL),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(l.count, 0);
}

static void test_empty_containers(void **state)
{
    (void)state;
    lwm2m_record r[3], got[4];
    uint8_t in[64];
    lwm2m_record_list l;
    /* An instance without resources: {[3, 0]: {}} */
    r[0] = rec_of(lwm2m_path_inst(3, 0), none_value());
    lwm2m_path base = lwm2m_path_inst(3, 0);
    expect_encode(&base, r, 1, "a1 82 03 00 a0");
    l = lwm2m_record_list_init(got, 4);
    assert_int_equal(decode_hex("a1 82 03 00 a0", &base, NULL, NULL, in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 1);
    assert_records_equal(got, r, 1);
    /* A multiple resource without instances next to a value: {[3, 0]: {6: {}, 9: 100}} */
    r[0] = rec_of(lwm2m_path_res(3, 0, 6), none_value());
    r[1] = rec_of(lwm2m_path_res(3, 0, 9), lwm2m_value_int(100));
    expect_encode(&base, r, 2, "a1 82 03 00 a2 06 a0 09 1864");
    l = lwm2m_record_list_init(got, 4);
    assert_int_equal(
        decode_hex("a1 82 03 00 a2 06 a0 09 1864", &base, NULL, NULL, in, sizeof in, &l, NULL),
        LWM2M_OK);
    assert_int_equal(l.count, 2);
    assert_records_equal(got, r, 2);
    /* Two empty instances read at the object and at the root: {3: {0: {}, 1: {}}} */
    r[0] = rec_of(lwm2m_path_inst(3, 0), none_value());
    r[1] = rec_of(lwm2m_path_inst(3, 1), none_value());
    base = lwm2m_path_obj(3);
    expect_encode(&base, r, 2, "a1 03 a2 00 a0 01 a0");
    base = lwm2m_path_root();
    expect_encode(&base, r, 2, "a1 03 a2 00 a0 01 a0");
    /* No records at all. */
    expect_encode(&base, r, 0, "a0");
    l = lwm2m_record_list_init(got, 4);
    assert_int_equal(decode_hex("a0", &base, NULL, NULL, in, sizeof in, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 0);
    /* An empty object adds nothing, but still has to lie under the request path. */
    assert_int_equal(decode_hex("a1 03 a0", &base, NULL, NULL, in, sizeof in, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 0);
    lwm2m_codec_error err;
    base = lwm2m_path_inst(3, 0);
    assert_int_equal(decode_hex("a1 03 a0", &base, NULL, NULL, in, sizeof in, &l, &err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record outside the request path");
    assert_int_equal(err.offset, 2);
    assert_int_equal(decode_hex("a1 84 03 00 06 00 a0", &base, NULL, NULL, in, sizeof in, &l, &err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "empty map at resource instance level");
    assert_int_equal(err.offset, 6);
    /* Indefinite empty map. */
    l = lwm2m_record_list_init(got, 4);
    assert_int_equal(decode_hex("bf 82 03 00 bf ff ff", &base, NULL, NULL, in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 1);
    assert_int_equal(got[0].value.type, LWM2M_TYPE_NONE);
}

static void test_values(void **state)
{
    (void)state;
    lwm2m_path base = lwm2m_path_res(1, 0, 1);
    lwm2m_record r;
    r = rec_of(base, lwm2m_value_float(1.5));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 f93e00");
    r = rec_of(base, lwm2m_value_float(0.1));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 fb3fb999999999999a");
    r = rec_of(base, lwm2m_value_float(3.4028234663852886e38));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 fa7f7fffff");
    r = rec_of(base, lwm2m_value_int(INT64_MIN));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 3b7fffffffffffffff");
    r = rec_of(base, lwm2m_value_uint(UINT64_MAX));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 1bffffffffffffffff");
    r = rec_of(base, lwm2m_value_time(-1));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 c1 20");
    r = rec_of(base, lwm2m_value_bool(false));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 f4");
    r = rec_of(base, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x01", 1));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 41 01");
    r = rec_of(base, lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</1>", 4));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 64 3c2f313e");
    r = rec_of(base, lwm2m_value_objlnk(65535, 65535));
    expect_encode(&base, &r, 1, "a1 83 01 00 01 6b 36353533353a3635353335");
    /* A resource instance requested directly: {[1, 0, 1, 7]: 5} */
    lwm2m_path ri = lwm2m_path_rinst(1, 0, 1, 7);
    r = rec_of(ri, lwm2m_value_int(5));
    expect_encode(&ri, &r, 1, "a1 84 01 00 01 07 05");
    /* An object: plain ID key, not an array. */
    lwm2m_path obj = lwm2m_path_obj(1);
    r = rec_of(base, lwm2m_value_int(5));
    expect_encode(&obj, &r, 1, "a1 01 a1 00 a1 01 05");

    /* Decoding with declared types. */
    lwm2m_type t[32];
    memset(t, 0, sizeof t);
    t[1] = LWM2M_TYPE_FLOAT;
    t[2] = LWM2M_TYPE_OBJLNK;
    t[3] = LWM2M_TYPE_INTEGER;
    t[4] = LWM2M_TYPE_CORELNK;
    t[5] = LWM2M_TYPE_TIME;
    t[6] = LWM2M_TYPE_BOOLEAN;
    lwm2m_types types = {type_by_rid, t};
    uint8_t in[128];
    lwm2m_record got[8];
    lwm2m_record_list l = lwm2m_record_list_init(got, 8);
    lwm2m_path inst = lwm2m_path_inst(1, 0);
    assert_int_equal(decode_hex("a1 82 01 00 a6 01 05 02 69 46464646 3a 46464646 03 f94200 "
                                "04 64 3c2f313e 05 1a5182428f 06 01",
                                &inst, &types, NULL, in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 6);
    assert_true(got[0].value.type == LWM2M_TYPE_FLOAT && got[0].value.v.f == 5.0);
    assert_true(got[1].value.type == LWM2M_TYPE_OBJLNK && got[1].value.v.objlnk.obj == 0xFFFF);
    assert_true(got[2].value.type == LWM2M_TYPE_INTEGER && got[2].value.v.i == 3);
    assert_true(got[3].value.type == LWM2M_TYPE_CORELNK);
    assert_true(got[4].value.type == LWM2M_TYPE_TIME && got[4].value.v.i == 1367491215);
    assert_true(got[5].value.type == LWM2M_TYPE_BOOLEAN && got[5].value.v.b);
    /* A tagged time for an integer resource converts; a negative time is fine. */
    l = lwm2m_record_list_init(got, 8);
    assert_int_equal(decode_hex("a1 82 01 00 a2 03 c1 1a5182428f 05 c1 3903e7", &inst, &types, NULL,
                                in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_true(got[0].value.type == LWM2M_TYPE_INTEGER && got[0].value.v.i == 1367491215);
    assert_true(got[1].value.type == LWM2M_TYPE_TIME && got[1].value.v.i == -1000);
}

static void test_keys(void **state)
{
    (void)state;
    uint8_t in[128];
    lwm2m_record got[8];
    lwm2m_record_list l;
    lwm2m_codec_error err;
    lwm2m_path root = lwm2m_path_root();
    /* Keys out of order but distinct: fine, records in payload order. */
    l = lwm2m_record_list_init(got, 8);
    assert_int_equal(decode_hex("a1 82 03 00 a5 04 04 03 03 02 02 01 01 00 00", &root, NULL, NULL,
                                in, sizeof in, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 5);
    for (uint16_t i = 0; i < 5; i++)
        assert_int_equal(got[i].path.id[2], 4 - i);
    /* A key twice, in the same form or as 3 and [3]. */
    static const struct {
        const char *hex;
        const char *reason;
        size_t offset;
    } bad[] = {
        {"a2 03 a1 00 a1 01 01 03 a1 00 a1 02 02", "duplicate map key", 7},
        {"a2 03 a1 00 a1 01 01 81 03 a1 00 a1 02 02", "duplicate map key", 7},
        {"a1 82 03 00 a3 05 05 01 01 05 06", "duplicate map key", 9},
        {"a1 82 03 00 a3 05 05 01 01 81 05 06", "duplicate map key", 9},
        /* Different keys naming the same record, or a record inside another. */
        {"a2 83 03 00 01 05 82 03 00 a1 01 06", "duplicate or overlapping record path", 11},
        {"a2 82 03 00 a0 83 03 00 01 05", "duplicate or overlapping record path", 9},
        {"a2 83 03 00 01 05 82 03 00 a1 01 a1 00 06", "duplicate or overlapping record path", 13},
        {"a2 84 03 00 01 00 05 83 03 00 01 a0", "duplicate or overlapping record path", 11},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = lwm2m_record_list_init(got, 8);
        int rc = decode_hex(bad[i].hex, &root, NULL, NULL, in, sizeof in, &l, &err);
        if (rc != LWM2M_ERR_INVALID || strcmp(err.reason, bad[i].reason) != 0 ||
            err.offset != bad[i].offset)
            print_error("case %zu: rc %d \"%s\" at %zu\n", i, rc, err.reason, err.offset);
        assert_int_equal(rc, LWM2M_ERR_INVALID);
        assert_string_equal(err.reason, bad[i].reason);
        assert_int_equal(err.offset, bad[i].offset);
        assert_int_equal(l.count, 0);
    }
}

static void test_decode_errors(void **state)
{
    (void)state;
    lwm2m_type t[32];
    memset(t, 0, sizeof t);
    t[1] = LWM2M_TYPE_INTEGER;
    t[2] = LWM2M_TYPE_STRING;
    t[3] = LWM2M_TYPE_OBJLNK;
    t[4] = LWM2M_TYPE_FLOAT;
    lwm2m_types types = {type_by_rid, t};
    static const struct {
        const char *hex;
        lwm2m_path base;
        int rc;
        const char *reason;
        size_t offset;
    } cases[] = {
        {"", {{0}, 0}, LWM2M_ERR_INVALID, "truncated cbor item", 0},
        {"00", {{0}, 0}, LWM2M_ERR_INVALID, "payload must be a cbor map", 0},
        {"84 01 02 03 04", {{0}, 0}, LWM2M_ERR_INVALID, "payload must be a cbor map", 0},
        {"a1 83 0d 18 1a 01 18 2a 00",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "trailing bytes after the payload",
         8},
        /* Anjay's rejected vectors. */
        {"A1 82 0D 18 1A A1 1A 00 01 00 00 05",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path id out of range",
         6},
        {"A1 83 0D 18 1A 1A 00 01 00 00 05",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path id out of range",
         5},
        {"A1 83 0D 18 1A 19 FF FF 05", {{0}, 0}, LWM2M_ERR_INVALID, "path id out of range", 5},
        {"A1 85 0D 18 1A 03 04 05 05", {{0}, 0}, LWM2M_ERR_INVALID, "path too deep", 7},
        {"A1 83 0D 18 1A 01 A2 02 05 82 03 04 05", {{0}, 0}, LWM2M_ERR_INVALID, "path too deep", 9},
        {"A1 0D A1 18 1A A1 01 A1 02 A1 03 04", {{0}, 0}, LWM2M_ERR_INVALID, "path too deep", 10},
        {"A2 0D A1 80 18 1A A1 80 01 18 2A", {{0}, 0}, LWM2M_ERR_INVALID, "empty path key", 3},
        {"A1 83 0D 18 1A 01 18 2A",
         {{14}, 1},
         LWM2M_ERR_INVALID,
         "record outside the request path",
         6},
        {"A1 83 0D 18 1A 01 18 2A",
         {{13, 27}, 2},
         LWM2M_ERR_INVALID,
         "record outside the request path",
         6},
        {"A1 83 0D 18 1A 01 18 2A",
         {{13, 26, 2}, 3},
         LWM2M_ERR_INVALID,
         "record outside the request path",
         6},
        {"A1 83 0D 18 1A 01 18 2A",
         {{13, 26, 1, 69}, 4},
         LWM2M_ERR_INVALID,
         "record outside the request path",
         6},
        {"A1 83 0D FB 3FD0A3D70A3D70A4 01 18 2A",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         3},
        {"A1 FB 3FC0A3D70A3D70A4 A1 82 18 1A 01 18 2A",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         1},
        {"A1 0D A1 62 32 36 A1 01 18 2A",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         3},
        {"A1 82 0D 81 01 05",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         3},
        {"A1 82 0D 20 05",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         3},
        {"A1 C1 0D 05",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "path key must be an id or an array of ids",
         1},
        {"A1 0D A1 18 1A 81 A1 01 18 2A",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "value must not be an array",
         5},
        {"A1 82 0D 18 1A A1", {{0}, 0}, LWM2M_ERR_INVALID, "map longer than the input", 5},
        {"A1 82 0D 18 1A 05", {{0}, 0}, LWM2M_ERR_INVALID, "value above resource level", 5},
        {"A1 0D 05", {{0}, 0}, LWM2M_ERR_INVALID, "value above resource level", 2},
        {"A1 83 0D 18 1A 01 A2 02 F6 03 05",
         {{0}, 0},
         LWM2M_ERR_UNSUPPORTED,
         "null values are not supported",
         8},
        {"A1 83 0D 18 1A 01 F7", {{0}, 0}, LWM2M_ERR_INVALID, "unsupported simple value", 6},
        {"A1 83 0D 18 1A 01 F8 20", {{0}, 0}, LWM2M_ERR_INVALID, "unsupported simple value", 6},
        /* Decimal fractions (tag 4) are not LwM2M CBOR. */
        {"A1 81 0D A1 81 18 1A A1 81 01 A1 81 02 C4 82 20 18 2D",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "unsupported cbor tag",
         13},
        {"A1 83 0D 18 1A 00 C1 61 31",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "time must be an integer in int64 range",
         7},
        {"A1 83 0D 18 1A 00 C1 F9 3C00",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "time must be an integer in int64 range",
         7},
        {"A1 83 0D 18 1A 00 C1 1B FFFFFFFFFFFFFFFF",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "time must be an integer in int64 range",
         7},
        {"A1 83 0D 18 1A 00 C1 C1 01",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "time must be an integer in int64 range",
         7},
        {"A1 83 0D 18 1A 00 C1", {{0}, 0}, LWM2M_ERR_INVALID, "truncated cbor item", 7},
        {"A1 83 0D 18 1A 00 3B 8000000000000000",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "integer out of range",
         6},
        {"A1 83 0D 18 1A 00 62 C0AF", {{0}, 0}, LWM2M_ERR_INVALID, "invalid utf-8 in text", 6},
        {"A1 83 0D 18 1A 00 7F 61 61 41 61 FF",
         {{0}, 0},
         LWM2M_ERR_INVALID,
         "invalid string chunk",
         9},
        {"A1 83 0D 18 1A 00 9F FF", {{0}, 0}, LWM2M_ERR_INVALID, "value must not be an array", 6},
        {"BF 83 0D 18 1A 00 01", {{0}, 0}, LWM2M_ERR_INVALID, "truncated cbor item", 7},
        {"A1 83 0D 18 1A 00 FF", {{0}, 0}, LWM2M_ERR_INVALID, "unexpected cbor break", 6},
        /* Declared types: 1 integer, 2 string, 3 objlnk, 4 float. */
        {"A1 83 0D 18 1A 01 F9 3E00",
         {{0}, 0},
         LWM2M_ERR_TYPE,
         "number does not fit the resource type",
         6},
        {"A1 83 0D 18 1A 01 61 31",
         {{0}, 0},
         LWM2M_ERR_TYPE,
         "string for a non-string resource",
         6},
        {"A1 83 0D 18 1A 02 41 31",
         {{0}, 0},
         LWM2M_ERR_TYPE,
         "opaque for a non-opaque resource",
         6},
        {"A1 83 0D 18 1A 04 F5", {{0}, 0}, LWM2M_ERR_TYPE, "boolean for a non-boolean resource", 6},
        {"A1 83 0D 18 1A 03 63 313A78", {{0}, 0}, LWM2M_ERR_TYPE, "invalid object link", 6},
        {"A1 83 0D 18 1A 03 05",
         {{0}, 0},
         LWM2M_ERR_TYPE,
         "number does not fit the resource type",
         6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[64], mem[64];
        lwm2m_record got[4];
        lwm2m_record_list l = lwm2m_record_list_init(got, 4);
        l.count = 1;
        lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
        arena.used = 5;
        lwm2m_codec_error err = {99, NULL};
        int rc = decode_hex(cases[i].hex, &cases[i].base, &types, &arena, in, sizeof in, &l, &err);
        if (rc != cases[i].rc || err.reason == NULL || strcmp(err.reason, cases[i].reason) != 0 ||
            err.offset != cases[i].offset)
            print_error("case %zu (%s): rc %d reason \"%s\" offset %zu\n", i, cases[i].hex, rc,
                        err.reason ? err.reason : "(null)", err.offset);
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(err.reason, cases[i].reason);
        assert_int_equal(err.offset, cases[i].offset);
        assert_int_equal(l.count, 1);
        assert_int_equal(arena.used, 5);
    }
}

static void test_truncation(void **state)
{
    (void)state;
    init_device_types();
    lwm2m_types types = {type_by_rid, device_types};
    static const char *const payloads[] = {
        device_hex,
        "BF 9F 0D FF BF 9F 18 1A FF BF 9F 01 FF 18 2A 81 02 7F 61 61 61 62 FF FF FF FF",
        "a2 03 a2 00 a0 01 a1 06 a0 82 04 00 a1 01 c1 3903e7",
    };
    for (size_t p = 0; p < sizeof payloads / sizeof payloads[0]; p++) {
        uint8_t in[512], mem[64];
        size_t len = unhex(payloads[p], in, sizeof in);
        lwm2m_record got[20];
        lwm2m_path base = lwm2m_path_root();
        for (size_t cut = 0; cut <= len; cut++) {
            lwm2m_record_list l = lwm2m_record_list_init(got, 20);
            lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
            lwm2m_codec_error err = {0, NULL};
            int rc =
                lwm2m_lwm2m_cbor_decode(&base, in, cut, p == 0 ? &types : NULL, &arena, &l, &err);
            if (cut == len) {
                assert_int_equal(rc, LWM2M_OK);
                assert_true(l.count > 0);
            } else {
                assert_int_equal(rc, LWM2M_ERR_INVALID);
                assert_non_null(err.reason);
                assert_true(err.offset <= cut);
                assert_int_equal(l.count, 0);
                assert_int_equal(arena.used, 0);
            }
        }
    }
}

static void test_list_full(void **state)
{
    (void)state;
    uint8_t in[512];
    lwm2m_record got[15];
    lwm2m_record_list l = lwm2m_record_list_init(got, 15);
    lwm2m_codec_error err;
    lwm2m_path base = lwm2m_path_inst(3, 0);
    assert_int_equal(decode_hex(device_hex, &base, NULL, NULL, in, sizeof in, &l, &err),
                     LWM2M_ERR_NOMEM);
    assert_string_equal(err.reason, "too many records");
    assert_int_equal(l.count, 0);
    assert_int_equal(decode_hex(device_hex, &base, NULL, NULL, in, sizeof in, &l, NULL),
                     LWM2M_ERR_NOMEM);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t out[512];
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_codec_error err;
    lwm2m_record r[3];
    lwm2m_path base = lwm2m_path_inst(3, 0);
    static const struct {
        lwm2m_path p0, p1;
        bool none1;
        const char *reason;
    } cases[] = {
        {{{3, 0, 1}, 3}, {{3, 1, 1}, 3}, false, "record outside the request path"},
        {{{3, 0, 1}, 3}, {{3, 0}, 2}, false, "value record above resource level"},
        {{{3, 0, 1}, 3},
         {{3, 0, 2, 0}, 4},
         true,
         "empty container must be an instance or a resource"},
        {{{3, 0, 2}, 3}, {{3, 0, 1}, 3}, false, "records not sorted, duplicated or overlapping"},
        {{{3, 0, 1}, 3}, {{3, 0, 1}, 3}, false, "records not sorted, duplicated or overlapping"},
        {{{3, 0, 6}, 3}, {{3, 0, 6, 0}, 4}, false, "records not sorted, duplicated or overlapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r[0] = rec_of(cases[i].p0, i == 5 ? none_value() : lwm2m_value_int(1));
        r[1] = rec_of(cases[i].p1, cases[i].none1 ? none_value() : lwm2m_value_int(2));
        err.offset = 99;
        assert_int_equal(lwm2m_lwm2m_cbor_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
        assert_string_equal(err.reason, cases[i].reason);
        assert_int_equal(err.offset, 1);
    }
    lwm2m_path root = lwm2m_path_root();
    r[0] = rec_of(lwm2m_path_obj(3), none_value());
    assert_int_equal(lwm2m_lwm2m_cbor_encode(&root, r, 1, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "empty container must be an instance or a resource");
    r[0] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_bytes(LWM2M_TYPE_STRING, "\xff", 1));
    assert_int_equal(lwm2m_lwm2m_cbor_encode(&root, r, 1, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "value has no lwm2m cbor form");
    assert_int_equal(lwm2m_lwm2m_cbor_encode(&root, r, 1, &b, NULL), LWM2M_ERR_INVALID);

    /* Overflow at every size below the needed one reports that size. */
    lwm2m_record dev[16];
    size_t n = device_records(dev);
    b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_lwm2m_cbor_encode(&base, dev, n, &b, NULL), LWM2M_OK);
    size_t need = b.len;
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t small[512];
        lwm2m_buf s = lwm2m_buf_init(small, cap);
        assert_int_equal(lwm2m_lwm2m_cbor_encode(&base, dev, n, &s, &err), LWM2M_ERR_OVERFLOW);
        assert_string_equal(err.reason, "output buffer too small");
        assert_int_equal(s.len, need);
        assert_memory_equal(small, out, cap);
    }
}

/* Through the format dispatcher, as the rest of the stack calls it. */
static void test_dispatch(void **state)
{
    (void)state;
    uint8_t out[64];
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_record r = rec_of(lwm2m_path_res(13, 26, 1), lwm2m_value_int(42)), got[2];
    lwm2m_path base = lwm2m_path_res(13, 26, 1);
    assert_int_equal(lwm2m_encode(LWM2M_FORMAT_LWM2M_CBOR, &base, &r, 1, &b, NULL), LWM2M_OK);
    lwm2m_record_list l = lwm2m_record_list_init(got, 2);
    assert_int_equal(lwm2m_decode(LWM2M_FORMAT_LWM2M_CBOR, &base, out, b.len, NULL, NULL, &l, NULL),
                     LWM2M_OK);
    assert_records_equal(got, &r, 1);
    b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_encode(LWM2M_FORMAT_SENML_CBOR, &base, &r, 1, &b, NULL), LWM2M_OK);
    l = lwm2m_record_list_init(got, 2);
    assert_int_equal(lwm2m_decode(LWM2M_FORMAT_SENML_CBOR, &base, out, b.len, NULL, NULL, &l, NULL),
                     LWM2M_OK);
    assert_records_equal(got, &r, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device),
        cmocka_unit_test(test_anjay_vectors),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_list_full),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
