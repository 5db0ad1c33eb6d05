/* Unit tests for SenML CBOR (Content-Format 112, src/codec/senml_cbor.c). */
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

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Same path, type, value (floats bit for bit) and time. */
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

/* The Device object instance of the OMA examples, as the brief of this codec lists it. */
static size_t device_records(lwm2m_record *r, const char *model)
{
    size_t n = 0;
    r[n++] = rec_of(lwm2m_path_res(3, 0, 0), lwm2m_value_str("Open Mobile Alliance"));
    r[n++] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_str(model));
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

/* The same pack with the brief's model string "Lightweigt M2M Client" (21 bytes). */
static const char brief_device[] =
    "90"
    "a3 21 65 2f332f302f 00 61 30 03 74 4f70656e204d6f62696c6520416c6c69616e6365"
    "a2 00 61 31 03 75 4c696768747765696774204d324d20436c69656e74"
    "a2 00 61 32 03 69 333435303030313233"
    "a2 00 61 33 03 63 312e30"
    "a2 00 63 362f30 02 01"
    "a2 00 63 362f31 02 05"
    "a2 00 63 372f30 02 190ed8"
    "a2 00 63 372f31 02 191388"
    "a2 00 63 382f30 02 187d"
    "a2 00 63 382f31 02 190384"
    "a2 00 61 39 02 1864"
    "a2 00 62 3130 02 0f"
    "a2 00 64 31312f30 02 00"
    "a2 00 62 3133 02 1a5182428f"
    "a2 00 62 3134 03 66 2b30323a3030"
    "a2 00 62 3136 03 61 55";

static void test_leshan_vector(void **state)
{
    (void)state;
    /* Leshan's SenML CBOR test vector of that instance (Read /3/0): model "Lightweight M2M
     * Client", the time resource written as a plain number as in the spec's SenML examples. */
    uint8_t want[512];
    static const char leshan_exact[] =
        "90a321652f332f302f00613003744f70656e204d6f62696c6520416c6c69616e6365a200613103764c696768"
        "74776569676874204d324d20436c69656e74a20061320369333435303030313233a20061330363312e30a200"
        "63362f300201a20063362f310205a20063372f3002190ed8a20063372f3102191388a20063382f3002187da2"
        "0063382f3102190384a2006139021864a200623130020fa2006431312f300200a200623133021a5182428fa2"
        "0062313403662b30323a3030a200623136036155";
    size_t want_len = unhex(leshan_exact, want, sizeof want);
    lwm2m_record recs[16];
    size_t n = device_records(recs, "Lightweight M2M Client");
    recs[13].value = lwm2m_value_int(1367491215);
    uint8_t out[512];
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_path base = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_senml_cbor_encode(&base, recs, n, &b, NULL), LWM2M_OK);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(out, want, want_len);

    /* And it decodes to exactly those records (no resolver: numbers are INTEGER). */
    lwm2m_record got[20];
    lwm2m_record_list l = lwm2m_record_list_init(got, 20);
    lwm2m_codec_error err = {0, NULL};
    assert_int_equal(lwm2m_senml_cbor_decode(&base, want, want_len, NULL, NULL, &l, &err),
                     LWM2M_OK);
    assert_int_equal(l.count, n);
    assert_records_equal(got, recs, n);
    /* Strings are borrowed from the input. */
    assert_true(got[0].value.v.bytes.ptr > want && got[0].value.v.bytes.ptr < want + want_len);
}

static void test_device_round_trip(void **state)
{
    (void)state;
    init_device_types();
    lwm2m_types types = {type_by_rid, device_types};
    lwm2m_record recs[16];
    size_t n = device_records(recs, "Lightweigt M2M Client");
    uint8_t want[512], out[512];
    size_t want_len = unhex(brief_device, want, sizeof want);
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_path base = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_senml_cbor_encode(&base, recs, n, &b, NULL), LWM2M_OK);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(out, want, want_len);

    lwm2m_record got[16];
    lwm2m_record_list l = lwm2m_record_list_init(got, 16);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, out, b.len, &types, NULL, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, n);
    assert_records_equal(got, recs, n);
    assert_int_equal(got[13].value.type, LWM2M_TYPE_TIME);

    /* Read at the object level and at the root: longer names, same records. */
    lwm2m_path bases[2] = {lwm2m_path_obj(3), lwm2m_path_root()};
    for (int k = 0; k < 2; k++) {
        b = lwm2m_buf_init(out, sizeof out);
        assert_int_equal(lwm2m_senml_cbor_encode(&bases[k], recs, n, &b, NULL), LWM2M_OK);
        l = lwm2m_record_list_init(got, 16);
        assert_int_equal(lwm2m_senml_cbor_decode(&bases[k], out, b.len, &types, NULL, &l, NULL),
                         LWM2M_OK);
        assert_int_equal(l.count, n);
        assert_records_equal(got, recs, n);
    }
}

/* Encodes recs at base and compares with hex. */
static void expect_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                          const char *hex)
{
    uint8_t out[256], want[256];
    size_t want_len = unhex(hex, want, sizeof want);
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_senml_cbor_encode(base, recs, n, &b, NULL), LWM2M_OK);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(out, want, want_len);
}

static void test_encode_names(void **state)
{
    (void)state;
    lwm2m_record r[3];
    /* The request path itself: bn is the full name, no n. */
    r[0] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_int(42));
    lwm2m_path base = lwm2m_path_res(3, 0, 1);
    expect_encode(&base, r, 1, "81 a2 21 66 2f332f302f31 02 182a");
    /* Root: bn "/" and the rest in n. */
    base = lwm2m_path_root();
    expect_encode(&base, r, 1, "81 a3 21 61 2f 00 65 332f302f31 02 182a");
    /* A multiple resource: its instances below "bn": "/3/0/6/". */
    r[0] = rec_of(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[1] = rec_of(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(5));
    base = lwm2m_path_res(3, 0, 6);
    expect_encode(&base, r, 2, "82 a3 21 67 2f332f302f362f 00 61 30 02 01 a2 00 61 31 02 05");
    /* Unsorted: a record the current bn is no prefix of restates bn. */
    r[0] = rec_of(lwm2m_path_rinst(3, 0, 1, 2), lwm2m_value_int(2));
    r[1] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));
    r[2] = rec_of(lwm2m_path_rinst(3, 0, 1, 3), lwm2m_value_int(3));
    base = lwm2m_path_res(3, 0, 1);
    expect_encode(&base, r, 3,
                  "83 a3 21 67 2f332f302f312f 00 61 32 02 02 a2 21 66 2f332f302f31 02 01"
                  "a2 00 62 2f33 02 03");
    /* NONE records have no SenML form and are skipped; no records is an empty pack. */
    lwm2m_value none;
    memset(&none, 0, sizeof none);
    r[0] = rec_of(lwm2m_path_inst(3, 0), none);
    base = lwm2m_path_obj(3);
    expect_encode(&base, r, 1, "80");
    expect_encode(&base, r, 0, "80");
}

static void test_encode_values(void **state)
{
    (void)state;
    lwm2m_path base = lwm2m_path_res(1, 0, 1);
    lwm2m_record r;
    r = rec_of(base, lwm2m_value_float(1.5));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 f93e00");
    r = rec_of(base, lwm2m_value_float(0.1));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 fb3fb999999999999a");
    r = rec_of(base, lwm2m_value_float(3.4028234663852886e38));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 fa7f7fffff");
    r = rec_of(base, lwm2m_value_float(5.0));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 f94500");
    r = rec_of(base, lwm2m_value_int(-500));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 3901f3");
    r = rec_of(base, lwm2m_value_uint(UINT64_MAX));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 1bffffffffffffffff");
    r = rec_of(base, lwm2m_value_time(-1));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 02 20");
    r = rec_of(base, lwm2m_value_bool(true));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 04 f5");
    r = rec_of(base, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x00\xff", 2));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 08 4200ff");
    r = rec_of(base, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 0));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 08 40");
    r = rec_of(base, lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3/0>", 6));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 03 66 3c2f332f303e");
    r = rec_of(base, lwm2m_value_str(""));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 03 60");
    r = rec_of(base, lwm2m_value_objlnk(65535, 7));
    expect_encode(&base, &r, 1, "81 a2 21 66 2f312f302f31 63 766c6f 67 36353533353a37");
}

static void test_times(void **state)
{
    (void)state;
    lwm2m_record r[5];
    for (uint16_t i = 0; i < 5; i++)
        r[i] = rec_of(lwm2m_path_res(3303, 0, 5700), lwm2m_value_float(20.5 + i));
    r[0].time = 1000;
    r[1].time = 1005;
    r[2].time = 1000;
    r[3].time = 1000.5;
    r[4].time = 0.1;
    lwm2m_path base = lwm2m_path_res(3303, 0, 5700);
    /* bt on the first record, then t offsets; 0.1 is no exact offset from 1000: bt again. */
    const char *hex = "85"
                      "a3 21 6c 2f333330332f302f35373030 22 1903e8 02 f94d20"
                      "a2 06 05 02 f94d60"
                      "a1 02 f94da0"
                      "a2 06 f93800 02 f94de0"
                      "a2 22 fb3fb999999999999a 02 f94e20";
    expect_encode(&base, r, 5, hex);
    uint8_t in[128];
    size_t len = unhex(hex, in, sizeof in);
    lwm2m_record got[5];
    lwm2m_record_list l = lwm2m_record_list_init(got, 5);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 5);
    assert_records_equal(got, r, 5);
    /* bt alone, t alone, float times, negative ones; -0 reads as no time. */
    static const struct {
        const char *hex;
        double time;
    } cases[] = {
        {"81 a3 22 f93e00 21 6c 2f333330332f302f35373030 02 00", 1.5},
        {"81 a3 06 24 21 6c 2f333330332f302f35373030 02 00", -5},
        {"81 a4 22 0a 06 f9bc00 21 6c 2f333330332f302f35373030 02 00", 9},
        {"81 a3 22 f98000 21 6c 2f333330332f302f35373030 02 00", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        len = unhex(cases[i].hex, in, sizeof in);
        l = lwm2m_record_list_init(got, 5);
        assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, NULL), LWM2M_OK);
        assert_int_equal(l.count, 1);
        assert_true(bits_of(got[0].time) == bits_of(cases[i].time));
    }
}

static void test_decode_features(void **state)
{
    (void)state;
    uint8_t in[256], mem[64];
    lwm2m_record got[8];
    lwm2m_record_list l;
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_path base = lwm2m_path_obj(3);
    /* [_ {_ bn: (_ "/3/", "0/"), n: "1", vs: (_ "ab", "c"), "x": [1, {2: 3}], 1: "unit",
     *       bver: 10}, {n: "2", vd: (_ h'01', h'02')}, {n: "3", vlo: "1:2"}, {n: "4", vb: false},
     *  {bn: "/3/1/", n: "5", v: -1}] */
    const char *hex = "9f"
                      "bf 21 7f 63 2f332f 62 302f ff 00 61 31 03 7f 62 6162 61 63 ff"
                      "   61 78 82 01 a1 02 03 01 64 756e6974 20 0a ff"
                      "a2 00 61 32 08 5f 41 01 41 02 ff"
                      "a2 00 61 33 63 766c6f 63 313a32"
                      "a2 00 61 34 04 f4"
                      "a3 21 65 2f332f312f 00 61 35 02 20"
                      "ff";
    size_t len = unhex(hex, in, sizeof in);
    l = lwm2m_record_list_init(got, 8);
    lwm2m_codec_error err = {0, NULL};
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, &arena, &l, &err), LWM2M_OK);
    assert_int_equal(l.count, 5);
    assert_true(lwm2m_path_equal(&got[0].path, &(lwm2m_path){{3, 0, 1, 0}, 3}));
    assert_int_equal(got[0].value.type, LWM2M_TYPE_STRING);
    assert_int_equal(got[0].value.v.bytes.len, 3);
    assert_memory_equal(got[0].value.v.bytes.ptr, "abc", 3);
    assert_true(lwm2m_path_equal(&got[1].path, &(lwm2m_path){{3, 0, 2, 0}, 3}));
    assert_int_equal(got[1].value.type, LWM2M_TYPE_OPAQUE);
    assert_memory_equal(got[1].value.v.bytes.ptr, "\x01\x02", 2);
    assert_int_equal(got[2].value.type, LWM2M_TYPE_OBJLNK);
    assert_true(got[2].value.v.objlnk.obj == 1 && got[2].value.v.objlnk.inst == 2);
    assert_int_equal(got[3].value.type, LWM2M_TYPE_BOOLEAN);
    assert_false(got[3].value.v.b);
    assert_true(lwm2m_path_equal(&got[4].path, &(lwm2m_path){{3, 1, 5, 0}, 3}));
    assert_true(got[4].value.type == LWM2M_TYPE_INTEGER && got[4].value.v.i == -1);
    /* Without an arena the chunked strings cannot be gathered. */
    l = lwm2m_record_list_init(got, 8);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, &err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(l.count, 0);

    /* Numbers: UNSIGNED above INT64_MAX, conversions by the declared type. */
    lwm2m_type t[32];
    memset(t, 0, sizeof t);
    t[1] = LWM2M_TYPE_FLOAT;
    t[2] = LWM2M_TYPE_UNSIGNED;
    t[3] = LWM2M_TYPE_CORELNK;
    t[4] = LWM2M_TYPE_INTEGER;
    t[5] = LWM2M_TYPE_BOOLEAN;
    lwm2m_types types = {type_by_rid, t};
    hex = "86 a3 21 65 2f332f302f 00 61 31 02 05"
          "a2 00 61 32 02 1b8000000000000000"
          "a2 00 61 33 03 61 78"
          "a2 00 61 34 02 f94200"
          "a2 00 61 35 02 01"
          "a2 00 61 36 02 1bffffffffffffffff";
    len = unhex(hex, in, sizeof in);
    l = lwm2m_record_list_init(got, 8);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, &types, NULL, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 6);
    assert_true(got[0].value.type == LWM2M_TYPE_FLOAT && got[0].value.v.f == 5.0);
    assert_true(got[1].value.type == LWM2M_TYPE_UNSIGNED &&
                got[1].value.v.u == 9223372036854775808u);
    assert_true(got[2].value.type == LWM2M_TYPE_CORELNK);
    assert_true(got[3].value.type == LWM2M_TYPE_INTEGER && got[3].value.v.i == 3);
    assert_true(got[4].value.type == LWM2M_TYPE_BOOLEAN && got[4].value.v.b);
    assert_true(got[5].value.type == LWM2M_TYPE_UNSIGNED && got[5].value.v.u == UINT64_MAX);

    /* Appends after existing records and leaves them alone. */
    l = lwm2m_record_list_init(got, 8);
    l.count = 1;
    len = unhex("81 a2 21 66 2f332f302f31 02 01", in, sizeof in);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 2);
    /* An empty pack is no records. */
    len = unhex("80", in, sizeof in);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, NULL), LWM2M_OK);
    assert_int_equal(l.count, 2);
}

static void test_decode_errors(void **state)
{
    (void)state;
    lwm2m_type t[32];
    memset(t, 0, sizeof t);
    t[1] = LWM2M_TYPE_INTEGER;
    t[2] = LWM2M_TYPE_STRING;
    lwm2m_types types = {type_by_rid, t};
    /* "/3/0/1" as bn: 21 66 2f332f302f31 */
    static const struct {
        const char *hex;
        int rc;
        const char *reason;
        size_t offset;
    } cases[] = {
        {"", LWM2M_ERR_INVALID, "truncated cbor item", 0},
        {"a0", LWM2M_ERR_INVALID, "senml pack must be an array", 0},
        {"81 01", LWM2M_ERR_INVALID, "record must be a map", 1},
        {"81 a1 02 01", LWM2M_ERR_INVALID, "name is not a resource or resource instance path", 1},
        {"81 a2 00 63 2f332f 02 01", LWM2M_ERR_INVALID,
         "name is not a resource or resource instance path", 1},
        {"81 a2 00 64 2f332f30 02 01", LWM2M_ERR_INVALID,
         "name is not a resource or resource instance path", 1},
        {"81 a2 00 6a 2f332f302f312f322f33 02 01", LWM2M_ERR_INVALID,
         "name is not a resource or resource instance path", 1},
        {"81 a2 00 6a 2f332f302f3635353335 02 01", LWM2M_ERR_INVALID,
         "name is not a resource or resource instance path", 1},
        {"82 a2 21 66 2f332f302f31 02 01 a2 21 66 2f342f302f31 02 01", LWM2M_ERR_INVALID,
         "record outside the request path", 12},
        {"81 a1 21 66 2f332f302f31", LWM2M_ERR_INVALID, "record without value", 1},
        {"81 a3 21 66 2f332f302f31 02 01 03 61 61", LWM2M_ERR_INVALID,
         "more than one value in a record", 12},
        {"81 a3 21 66 2f332f302f31 02 01 02 02", LWM2M_ERR_INVALID, "duplicate label", 12},
        {"81 a4 21 66 2f332f302f31 02 01 01 00 01 00", LWM2M_ERR_INVALID, "duplicate label", 14},
        {"81 a4 21 66 2f332f302f31 02 01 63 666f6f 00 7f 62666f 616f ff 00", LWM2M_ERR_INVALID,
         "duplicate label", 17},
        {"81 a3 21 66 2f332f302f31 02 01 62 785f 00", LWM2M_ERR_UNSUPPORTED,
         "unknown must-understand label", 12},
        {"81 a3 21 66 2f332f302f31 02 01 24 01", LWM2M_ERR_UNSUPPORTED, "unsupported senml label",
         12},
        {"81 a3 21 66 2f332f302f31 02 01 25 01", LWM2M_ERR_UNSUPPORTED, "unsupported senml label",
         12},
        {"81 a3 21 66 2f332f302f31 02 01 05 01", LWM2M_ERR_UNSUPPORTED, "unsupported senml label",
         12},
        {"81 a3 21 66 2f332f302f31 02 01 20 0b", LWM2M_ERR_UNSUPPORTED, "unsupported senml version",
         13},
        {"81 a3 21 66 2f332f302f31 02 01 20 61 61", LWM2M_ERR_INVALID, "bver must be a number", 13},
        {"81 a2 21 66 2f332f302f31 02 61 61", LWM2M_ERR_INVALID, "v must be a number", 11},
        {"81 a2 21 66 2f332f302f31 02 c1 01", LWM2M_ERR_INVALID, "v must be a number", 11},
        {"81 a2 21 66 2f332f302f31 04 01", LWM2M_ERR_INVALID, "vb must be a boolean", 11},
        {"81 a2 21 66 2f332f302f31 04 f6", LWM2M_ERR_INVALID, "vb must be a boolean", 11},
        {"81 a2 21 66 2f332f302f31 08 61 61", LWM2M_ERR_INVALID, "vd must be a byte string", 11},
        {"81 a2 21 66 2f332f302f31 03 41 61", LWM2M_ERR_INVALID, "vs must be a text string", 11},
        {"81 a2 21 66 2f332f302f31 63 766c6f 01", LWM2M_ERR_INVALID, "vlo must be a text string",
         14},
        {"81 a2 21 66 2f332f302f33 63 766c6f 63 332d30", LWM2M_ERR_INVALID, "invalid object link",
         14},
        {"81 a2 21 46 2f332f302f31 02 01", LWM2M_ERR_INVALID, "bn must be a text string", 3},
        {"81 a2 00 46 2f332f302f31 02 01", LWM2M_ERR_INVALID, "n must be a text string", 3},
        {"81 a3 21 66 2f332f302f31 22 61 31 02 01", LWM2M_ERR_INVALID, "bt must be a number", 11},
        {"81 a3 21 66 2f332f302f31 06 f5 02 01", LWM2M_ERR_INVALID, "t must be a number", 11},
        {"81 a3 21 66 2f332f302f31 22 f97e00 02 01", LWM2M_ERR_INVALID, "time out of range", 1},
        {"81 a3 21 66 2f332f302f31 06 f9fc00 02 01", LWM2M_ERR_INVALID, "time out of range", 1},
        {"81 a2 21 66 2f332f302f31 02 3b8000000000000000", LWM2M_ERR_INVALID,
         "integer out of range", 11},
        {"81 a3 21 66 2f332f302f31 02 01 01 81 c1 00", LWM2M_ERR_INVALID, "unsupported cbor tag",
         14},
        {"81 a3 21 66 2f332f302f31 02 01 01 818181818181818181 00", LWM2M_ERR_INVALID,
         "cbor nesting too deep", 21},
        {"81 a2 21 66 2f332f302f31 f93c00 01", LWM2M_ERR_INVALID,
         "label must be an integer or a text string", 10},
        {"81 a2 21 66 2f332f302f31 03 62 c0af", LWM2M_ERR_INVALID, "invalid utf-8 in text", 11},
        {"81 a2 21 66 2f332f302f31 02 01 00", LWM2M_ERR_INVALID, "trailing bytes after the pack",
         12},
        {"81 a2 21 66 2f332f302f31 02 01 ff", LWM2M_ERR_INVALID, "trailing bytes after the pack",
         12},
        {"9f a2 21 66 2f332f302f31 02 01", LWM2M_ERR_INVALID, "truncated cbor item", 12},
        {"82 a2 21 66 2f332f302f31 02 01", LWM2M_ERR_INVALID, "truncated cbor item", 12},
        {"9b 0000000100000000 a0", LWM2M_ERR_INVALID, "array longer than the input", 0},
        {"bf ff", LWM2M_ERR_INVALID, "senml pack must be an array", 0},
        /* Declared types: resource 1 is an integer, 2 a string. */
        {"81 a2 21 66 2f332f302f31 02 f93e00", LWM2M_ERR_TYPE,
         "number does not fit the resource type", 11},
        {"81 a2 21 66 2f332f302f31 02 1bffffffffffffffff", LWM2M_ERR_TYPE,
         "number does not fit the resource type", 11},
        {"81 a2 21 66 2f332f302f31 03 61 31", LWM2M_ERR_TYPE, "string for a non-string resource",
         11},
        {"81 a2 21 66 2f332f302f31 04 f5", LWM2M_ERR_TYPE, "boolean for a non-boolean resource",
         11},
        {"81 a2 21 66 2f332f302f32 08 41 31", LWM2M_ERR_TYPE, "opaque for a non-opaque resource",
         11},
        {"81 a2 21 66 2f332f302f32 63 766c6f 63 313a32", LWM2M_ERR_TYPE,
         "object link for a non-objlnk resource", 14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[64], mem[64];
        size_t len = unhex(cases[i].hex, in, sizeof in);
        lwm2m_record got[4];
        lwm2m_record_list l = lwm2m_record_list_init(got, 4);
        l.count = 1;
        lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
        arena.used = 3;
        lwm2m_codec_error err = {99, NULL};
        lwm2m_path base = lwm2m_path_obj(3);
        int rc = lwm2m_senml_cbor_decode(&base, in, len, &types, &arena, &l, &err);
        if (rc != cases[i].rc || err.reason == NULL || strcmp(err.reason, cases[i].reason) != 0 ||
            err.offset != cases[i].offset)
            print_error("case %zu (%s): rc %d reason \"%s\" offset %zu\n", i, cases[i].hex, rc,
                        err.reason ? err.reason : "(null)", err.offset);
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(err.reason, cases[i].reason);
        assert_int_equal(err.offset, cases[i].offset);
        assert_int_equal(l.count, 1);
        assert_int_equal(arena.used, 3);
    }
}

static size_t put_label(uint8_t *p, unsigned k)
{
    if (k < 24) {
        p[0] = (uint8_t)k;
        return 1;
    }
    p[0] = 0x18;
    p[1] = (uint8_t)k;
    return 2;
}

static void test_too_many_labels(void **state)
{
    (void)state;
    uint8_t in[128];
    lwm2m_record got[2];
    lwm2m_record_list l = lwm2m_record_list_init(got, 2);
    lwm2m_codec_error err;
    lwm2m_path base = lwm2m_path_root();
    /* bn, v and 23 unknown labels: one more than tracked. */
    size_t n = unhex("81 b8 19 21 66 2f332f302f31 02 01", in, sizeof in);
    for (unsigned k = 10; k < 33; k++) {
        n += put_label(in + n, k);
        in[n++] = 0x00;
    }
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, n, NULL, NULL, &l, &err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "too many labels");
    /* 22 unknown labels plus bn and v is the most a record may carry. */
    n = unhex("81 b8 18 21 66 2f332f302f31 02 01", in, sizeof in);
    for (unsigned k = 10; k < 32; k++) {
        n += put_label(in + n, k);
        in[n++] = 0x00;
    }
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, n, NULL, NULL, &l, &err), LWM2M_OK);
    assert_int_equal(l.count, 1);
}

/* Every proper prefix of a valid pack is malformed, and leaves the list and arena as found. */
static void test_truncation(void **state)
{
    (void)state;
    init_device_types();
    lwm2m_types types = {type_by_rid, device_types};
    static const char *const packs[] = {
        brief_device,
        "9f bf 21 7f 63 2f332f 62 302f ff 00 61 31 03 7f 62 6162 61 63 ff 61 78 82 01 a1 02 03 "
        "ff a2 00 61 32 08 5f 41 01 41 02 ff a3 00 61 33 06 f93e00 63 766c6f 63 313a32 ff",
        "85 a3 21 6c 2f333330332f302f35373030 22 1903e8 02 f94d20 a2 06 05 02 f94d60 "
        "a1 02 f94da0 a2 06 f93800 02 f94de0 a2 22 fb3fb999999999999a 02 f94e20",
    };
    for (size_t p = 0; p < sizeof packs / sizeof packs[0]; p++) {
        uint8_t in[512], mem[64];
        size_t len = unhex(packs[p], in, sizeof in);
        lwm2m_record got[20];
        lwm2m_path base = lwm2m_path_root();
        for (size_t cut = 0; cut <= len; cut++) {
            lwm2m_record_list l = lwm2m_record_list_init(got, 20);
            lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
            lwm2m_codec_error err = {0, NULL};
            int rc =
                lwm2m_senml_cbor_decode(&base, in, cut, p == 0 ? &types : NULL, &arena, &l, &err);
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
    size_t len = unhex(brief_device, in, sizeof in);
    lwm2m_record got[15];
    lwm2m_record_list l = lwm2m_record_list_init(got, 15);
    lwm2m_codec_error err;
    lwm2m_path base = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, &err),
                     LWM2M_ERR_NOMEM);
    assert_string_equal(err.reason, "too many records");
    assert_int_equal(l.count, 0);
    /* err may be NULL. */
    assert_int_equal(lwm2m_senml_cbor_decode(&base, in, len, NULL, NULL, &l, NULL),
                     LWM2M_ERR_NOMEM);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t out[512];
    lwm2m_buf b;
    lwm2m_codec_error err;
    lwm2m_record r[2];
    lwm2m_path base = lwm2m_path_inst(3, 0);
    r[0] = rec_of(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));

    r[1] = rec_of(lwm2m_path_res(3, 1, 1), lwm2m_value_int(1));
    b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_senml_cbor_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record outside the request path");
    assert_int_equal(err.offset, 1);

    r[1] = rec_of(lwm2m_path_inst(3, 0), lwm2m_value_int(1));
    assert_int_equal(lwm2m_senml_cbor_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "value record above resource level");

    r[1] = rec_of(lwm2m_path_res(3, 0, 2), lwm2m_value_int(1));
    r[1].time = NAN;
    assert_int_equal(lwm2m_senml_cbor_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "time is not finite");

    r[1] = rec_of(lwm2m_path_res(3, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_STRING, "\xc0\xaf", 2));
    assert_int_equal(lwm2m_senml_cbor_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "value has no senml cbor form");
    assert_int_equal(err.offset, 1);
    assert_int_equal(lwm2m_senml_cbor_encode(&base, r, 2, &b, NULL), LWM2M_ERR_INVALID);

    /* Overflow at every size below the needed one reports that size. */
    init_device_types();
    lwm2m_record dev[16];
    size_t n = device_records(dev, "Lightweigt M2M Client");
    b = lwm2m_buf_init(out, sizeof out);
    assert_int_equal(lwm2m_senml_cbor_encode(&base, dev, n, &b, NULL), LWM2M_OK);
    size_t need = b.len;
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t small[512];
        lwm2m_buf s = lwm2m_buf_init(small, cap);
        assert_int_equal(lwm2m_senml_cbor_encode(&base, dev, n, &s, &err), LWM2M_ERR_OVERFLOW);
        assert_int_equal(s.len, need);
        assert_memory_equal(small, out, cap);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leshan_vector), cmocka_unit_test(test_device_round_trip),
        cmocka_unit_test(test_encode_names),  cmocka_unit_test(test_encode_values),
        cmocka_unit_test(test_times),         cmocka_unit_test(test_decode_features),
        cmocka_unit_test(test_decode_errors), cmocka_unit_test(test_too_many_labels),
        cmocka_unit_test(test_truncation),    cmocka_unit_test(test_list_full),
        cmocka_unit_test(test_encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
