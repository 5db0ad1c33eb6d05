/* TLV codec (11542): the OMA TS Core §6.4.3 examples byte-exact both ways, value encodings,
 * nesting rules, base paths, truncation at every prefix and encoder errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* ------------------------------------------------------------------------------------------ */
/* Test resolver: objects 1, 2 and 3 as in registry/, objects 65 and 66 of the spec's object
 * link example (Figure 19), and object 30000 with one resource per type. */

static const struct {
    uint16_t obj, res;
    lwm2m_type type;
} type_table[] = {
    {1, 0, LWM2M_TYPE_INTEGER},     {1, 1, LWM2M_TYPE_INTEGER},      {1, 2, LWM2M_TYPE_INTEGER},
    {1, 3, LWM2M_TYPE_INTEGER},     {1, 5, LWM2M_TYPE_INTEGER},      {1, 6, LWM2M_TYPE_BOOLEAN},
    {1, 7, LWM2M_TYPE_STRING},      {1, 10, LWM2M_TYPE_OBJLNK},      {1, 11, LWM2M_TYPE_UNSIGNED},
    {1, 12, LWM2M_TYPE_TIME},       {2, 0, LWM2M_TYPE_INTEGER},      {2, 1, LWM2M_TYPE_INTEGER},
    {2, 2, LWM2M_TYPE_INTEGER},     {2, 3, LWM2M_TYPE_INTEGER},      {3, 0, LWM2M_TYPE_STRING},
    {3, 1, LWM2M_TYPE_STRING},      {3, 2, LWM2M_TYPE_STRING},       {3, 3, LWM2M_TYPE_STRING},
    {3, 6, LWM2M_TYPE_INTEGER},     {3, 7, LWM2M_TYPE_INTEGER},      {3, 8, LWM2M_TYPE_INTEGER},
    {3, 9, LWM2M_TYPE_INTEGER},     {3, 10, LWM2M_TYPE_INTEGER},     {3, 11, LWM2M_TYPE_INTEGER},
    {3, 13, LWM2M_TYPE_TIME},       {3, 14, LWM2M_TYPE_STRING},      {3, 15, LWM2M_TYPE_STRING},
    {3, 16, LWM2M_TYPE_STRING},     {3, 22, LWM2M_TYPE_OBJLNK},      {65, 0, LWM2M_TYPE_OBJLNK},
    {65, 1, LWM2M_TYPE_STRING},     {65, 2, LWM2M_TYPE_INTEGER},     {66, 0, LWM2M_TYPE_STRING},
    {66, 1, LWM2M_TYPE_STRING},     {66, 2, LWM2M_TYPE_OBJLNK},      {30000, 0, LWM2M_TYPE_STRING},
    {30000, 1, LWM2M_TYPE_INTEGER}, {30000, 2, LWM2M_TYPE_UNSIGNED}, {30000, 3, LWM2M_TYPE_FLOAT},
    {30000, 4, LWM2M_TYPE_BOOLEAN}, {30000, 5, LWM2M_TYPE_OPAQUE},   {30000, 6, LWM2M_TYPE_TIME},
    {30000, 7, LWM2M_TYPE_OBJLNK},  {30000, 8, LWM2M_TYPE_CORELNK},
};

static int resolver_calls_with_bad_path;

static lwm2m_type test_type(void *ctx, const lwm2m_path *p)
{
    (void)ctx;
    if (p->len != 3)
        resolver_calls_with_bad_path++;
    for (size_t k = 0; k < sizeof type_table / sizeof type_table[0]; k++)
        if (type_table[k].obj == p->id[0] && type_table[k].res == p->id[2])
            return type_table[k].type;
    return LWM2M_TYPE_NONE;
}

static const lwm2m_types types = {test_type, NULL};

#define T_OBJ 30000
enum { R_STR, R_INT, R_UINT, R_FLOAT, R_BOOL, R_OPAQUE, R_TIME, R_OBJLNK, R_CORELNK };

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

static lwm2m_record rec(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r;
    memset(&r, 0, sizeof r);
    r.path = p;
    r.value = v;
    return r;
}

static lwm2m_value none(void)
{
    lwm2m_value v;
    memset(&v, 0, sizeof v);
    v.type = LWM2M_TYPE_NONE;
    return v;
}

static lwm2m_value opaque(const void *p, size_t n)
{
    return lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, p, n);
}

#define P2(o, i)        lwm2m_path_inst(o, i)
#define P3(o, i, r)     lwm2m_path_res(o, i, r)
#define P4(o, i, r, ri) lwm2m_path_rinst(o, i, r, ri)
#define COUNT(a)        (sizeof(a) / sizeof((a)[0]))

static void assert_records(const lwm2m_record *got, size_t n_got, const lwm2m_record *want,
                           size_t n_want)
{
    assert_int_equal(n_got, n_want);
    for (size_t k = 0; k < n_want; k++) {
        if (!lwm2m_path_equal(&got[k].path, &want[k].path))
            fail_msg("record %zu: path differs", k);
        if (!lwm2m_value_equal(&got[k].value, &want[k].value))
            fail_msg("record %zu: value differs (type %d vs %d)", k, got[k].value.type,
                     want[k].value.type);
    }
}

#define MAXREC 64

/* Decodes and returns the number of records; the list starts with one sentinel record so
 * that the count restore on error is observable. */
static int decode(const lwm2m_path *base, const uint8_t *in, size_t len, const lwm2m_types *t,
                  lwm2m_record *recs, size_t *n, lwm2m_codec_error *err)
{
    lwm2m_record items[MAXREC + 1];
    lwm2m_record_list l = lwm2m_record_list_init(items, COUNT(items));
    lwm2m_path sp = lwm2m_path_obj(9);
    lwm2m_value sv = lwm2m_value_int(42);
    assert_int_equal(lwm2m_record_list_add(&l, &sp, &sv), LWM2M_OK);
    int rc = lwm2m_tlv_decode(base, in, len, t, NULL, &l, err);
    assert_true(l.count >= 1);
    assert_true(lwm2m_path_equal(&items[0].path, &sp));
    if (rc != LWM2M_OK)
        assert_int_equal(l.count, 1); /* restored */
    *n = l.count - 1;
    memcpy(recs, items + 1, *n * sizeof *recs);
    return rc;
}

static void expect_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                          const lwm2m_record *want, size_t n_want)
{
    lwm2m_record got[MAXREC];
    size_t n;
    lwm2m_codec_error err;
    int rc = decode(base, in, len, &types, got, &n, &err);
    if (rc != LWM2M_OK)
        fail_msg("decode failed: %d at %zu: %s", rc, err.offset, err.reason);
    assert_records(got, n, want, n_want);
}

static void expect_decode_error(const lwm2m_path *base, const uint8_t *in, size_t len, int want_rc,
                                size_t want_offset, const char *want_reason)
{
    lwm2m_record got[MAXREC];
    size_t n;
    lwm2m_codec_error err = {999, NULL};
    int rc = decode(base, in, len, &types, got, &n, &err);
    assert_int_equal(rc, want_rc);
    assert_int_equal(n, 0);
    assert_non_null(err.reason);
    if (want_reason != NULL)
        assert_string_equal(err.reason, want_reason);
    assert_int_equal(err.offset, want_offset);
}

static void expect_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                          const uint8_t *want, size_t want_len)
{
    uint8_t buf[512];
    lwm2m_buf b = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_codec_error err;
    int rc = lwm2m_tlv_encode(base, recs, n, &b, &err);
    if (rc != LWM2M_OK)
        fail_msg("encode failed: %d at %zu: %s", rc, err.offset, err.reason);
    assert_int_equal(b.len, want_len);
    if (want_len > 0)
        assert_memory_equal(buf, want, want_len);
}

static void expect_encode_error(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                                int want_rc, size_t want_index)
{
    uint8_t buf[64];
    lwm2m_buf b = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_codec_error err = {999, NULL};
    assert_int_equal(lwm2m_tlv_encode(base, recs, n, &b, &err), want_rc);
    assert_non_null(err.reason);
    assert_int_equal(err.offset, want_index);
}

/* Both ways, plus decode of the re-encoded bytes. */
static void expect_both(const lwm2m_path *base, const uint8_t *bytes, size_t len,
                        const lwm2m_record *recs, size_t n)
{
    expect_decode(base, bytes, len, recs, n);
    expect_encode(base, recs, n, bytes, len);
}

/* ------------------------------------------------------------------------------------------ */
/* Spec examples (OMA TS Core §6.4.3). Also in tests/data/tlv/<name>.hex.
 * Corrections to the draft's bytes, each to make its own stated sizes hold:
 * - Model Number: the hex spells "Lightweigt" (21 bytes) under a 0x16 (22) length; the row
 *   says "Lightweight M2M Client" and the totals 121/124 need the 'h' (0x68).
 * - §6.4.3.2 B: the ACL of instance 2 holds 7 bytes (0x87; the draft says 0x86).
 * - §6.4.3.2 C: the instance length must be 0x0F (15 bytes follow; the draft says 0x0D).
 * - §6.4.3.3 example 2: each instance holds 38 bytes (0x26; the draft says 0x23). */

static const uint8_t device_3_0[] = {
    0xC8, 0x00, 0x14, 0x4F, 0x70, 0x65, 0x6E, 0x20, 0x4D, 0x6F, 0x62, 0x69, 0x6C, 0x65, 0x20, 0x41,
    0x6C, 0x6C, 0x69, 0x61, 0x6E, 0x63, 0x65, 0xC8, 0x01, 0x16, 0x4C, 0x69, 0x67, 0x68, 0x74, 0x77,
    0x65, 0x69, 0x67, 0x68, 0x74, 0x20, 0x4D, 0x32, 0x4D, 0x20, 0x43, 0x6C, 0x69, 0x65, 0x6E, 0x74,
    0xC8, 0x02, 0x09, 0x33, 0x34, 0x35, 0x30, 0x30, 0x30, 0x31, 0x32, 0x33, 0xC3, 0x03, 0x31, 0x2E,
    0x30, 0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05, 0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8,
    0x42, 0x01, 0x13, 0x88, 0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84, 0xC1, 0x09, 0x64,
    0xC1, 0x0A, 0x0F, 0x83, 0x0B, 0x41, 0x00, 0x00, 0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F, 0xC6, 0x0E,
    0x2B, 0x30, 0x32, 0x3A, 0x30, 0x30, 0xC1, 0x10, 0x55,
};
/* Sizes of the top-level TLVs of device_3_0, and how many records each gives. */
static const size_t device_tlv_sizes[] = {23, 25, 12, 5, 8, 11, 9, 3, 3, 5, 6, 8, 3};
static const size_t device_tlv_records[] = {1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1};

static const uint8_t device_3[] = {
    0x08, 0x00, 0x79, 0xC8, 0x00, 0x14, 0x4F, 0x70, 0x65, 0x6E, 0x20, 0x4D, 0x6F, 0x62, 0x69, 0x6C,
    0x65, 0x20, 0x41, 0x6C, 0x6C, 0x69, 0x61, 0x6E, 0x63, 0x65, 0xC8, 0x01, 0x16, 0x4C, 0x69, 0x67,
    0x68, 0x74, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x20, 0x4D, 0x32, 0x4D, 0x20, 0x43, 0x6C, 0x69,
    0x65, 0x6E, 0x74, 0xC8, 0x02, 0x09, 0x33, 0x34, 0x35, 0x30, 0x30, 0x30, 0x31, 0x32, 0x33, 0xC3,
    0x03, 0x31, 0x2E, 0x30, 0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05, 0x88, 0x07, 0x08, 0x42,
    0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88, 0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84,
    0xC1, 0x09, 0x64, 0xC1, 0x0A, 0x0F, 0x83, 0x0B, 0x41, 0x00, 0x00, 0xC4, 0x0D, 0x51, 0x82, 0x42,
    0x8F, 0xC6, 0x0E, 0x2B, 0x30, 0x32, 0x3A, 0x30, 0x30, 0xC1, 0x10, 0x55,
};

static const uint8_t access_control_2[] = {
    0x08, 0x00, 0x0E, 0xC1, 0x00, 0x01, 0xC1, 0x01, 0x00, 0x83, 0x02, 0x41, 0x7F,
    0x07, 0xC1, 0x03, 0x7F, 0x08, 0x02, 0x12, 0xC1, 0x00, 0x03, 0xC1, 0x01, 0x00,
    0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01, 0xC1, 0x03, 0x7F,
};

static const uint8_t server_1[] = {
    0x08, 0x00, 0x0F, 0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00,
    0x01, 0x51, 0x80, 0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55,
};

static const uint8_t objlnk_65_0[] = {
    0x88, 0x00, 0x0C, 0x44, 0x00, 0x00, 0x42, 0x00, 0x00, 0x44, 0x01, 0x00, 0x42,
    0x00, 0x01, 0xC8, 0x01, 0x0D, 0x38, 0x36, 0x31, 0x33, 0x38, 0x30, 0x30, 0x37,
    0x35, 0x35, 0x35, 0x30, 0x30, 0xC4, 0x02, 0x12, 0x34, 0x56, 0x78,
};
static const size_t objlnk_65_0_tlv_sizes[] = {15, 16, 6};
static const size_t objlnk_65_0_tlv_records[] = {2, 1, 1};

static const uint8_t objlnk_66[] = {
    0x08, 0x00, 0x26, 0xC8, 0x00, 0x0B, 0x6D, 0x79, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63,
    0x65, 0x20, 0x31, 0xC8, 0x01, 0x0F, 0x49, 0x6E, 0x74, 0x65, 0x72, 0x6E, 0x65, 0x74,
    0x2E, 0x31, 0x35, 0x2E, 0x32, 0x33, 0x34, 0xC4, 0x02, 0x00, 0x43, 0x00, 0x00, 0x08,
    0x01, 0x26, 0xC8, 0x00, 0x0B, 0x6D, 0x79, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65,
    0x20, 0x32, 0xC8, 0x01, 0x0F, 0x49, 0x6E, 0x74, 0x65, 0x72, 0x6E, 0x65, 0x74, 0x2E,
    0x31, 0x35, 0x2E, 0x32, 0x33, 0x35, 0xC4, 0x02, 0xFF, 0xFF, 0xFF, 0xFF,
};

static size_t device_records(lwm2m_record *r, uint16_t i)
{
    size_t n = 0;
    r[n++] = rec(P3(3, i, 0), lwm2m_value_str("Open Mobile Alliance"));
    r[n++] = rec(P3(3, i, 1), lwm2m_value_str("Lightweight M2M Client"));
    r[n++] = rec(P3(3, i, 2), lwm2m_value_str("345000123"));
    r[n++] = rec(P3(3, i, 3), lwm2m_value_str("1.0"));
    r[n++] = rec(P4(3, i, 6, 0), lwm2m_value_int(1));
    r[n++] = rec(P4(3, i, 6, 1), lwm2m_value_int(5));
    r[n++] = rec(P4(3, i, 7, 0), lwm2m_value_int(3800));
    r[n++] = rec(P4(3, i, 7, 1), lwm2m_value_int(5000));
    r[n++] = rec(P4(3, i, 8, 0), lwm2m_value_int(125));
    r[n++] = rec(P4(3, i, 8, 1), lwm2m_value_int(900));
    r[n++] = rec(P3(3, i, 9), lwm2m_value_int(100));
    r[n++] = rec(P3(3, i, 10), lwm2m_value_int(15));
    r[n++] = rec(P4(3, i, 11, 0), lwm2m_value_int(0));
    r[n++] = rec(P3(3, i, 13), lwm2m_value_time(0x5182428F));
    r[n++] = rec(P3(3, i, 14), lwm2m_value_str("+02:00"));
    r[n++] = rec(P3(3, i, 16), lwm2m_value_str("U"));
    return n;
}

static size_t access_control_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(P3(2, 0, 0), lwm2m_value_int(1));
    r[n++] = rec(P3(2, 0, 1), lwm2m_value_int(0));
    r[n++] = rec(P4(2, 0, 2, 127), lwm2m_value_int(7));
    r[n++] = rec(P3(2, 0, 3), lwm2m_value_int(127));
    r[n++] = rec(P3(2, 2, 0), lwm2m_value_int(3));
    r[n++] = rec(P3(2, 2, 1), lwm2m_value_int(0));
    r[n++] = rec(P4(2, 2, 2, 127), lwm2m_value_int(7));
    r[n++] = rec(P4(2, 2, 2, 310), lwm2m_value_int(1));
    r[n++] = rec(P3(2, 2, 3), lwm2m_value_int(127));
    return n;
}

static size_t server_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(P3(1, 0, 0), lwm2m_value_int(1));
    r[n++] = rec(P3(1, 0, 1), lwm2m_value_int(86400));
    r[n++] = rec(P3(1, 0, 6), lwm2m_value_bool(true));
    r[n++] = rec(P3(1, 0, 7), lwm2m_value_str("U"));
    return n;
}

static size_t objlnk_65_0_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(P4(65, 0, 0, 0), lwm2m_value_objlnk(66, 0));
    r[n++] = rec(P4(65, 0, 0, 1), lwm2m_value_objlnk(66, 1));
    r[n++] = rec(P3(65, 0, 1), lwm2m_value_str("8613800755500"));
    r[n++] = rec(P3(65, 0, 2), lwm2m_value_int(0x12345678));
    return n;
}

static size_t objlnk_66_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(P3(66, 0, 0), lwm2m_value_str("myService 1"));
    r[n++] = rec(P3(66, 0, 1), lwm2m_value_str("Internet.15.234"));
    r[n++] = rec(P3(66, 0, 2), lwm2m_value_objlnk(67, 0));
    r[n++] = rec(P3(66, 1, 0), lwm2m_value_str("myService 2"));
    r[n++] = rec(P3(66, 1, 1), lwm2m_value_str("Internet.15.235"));
    r[n++] = rec(P3(66, 1, 2), lwm2m_value_objlnk(65535, 65535));
    return n;
}

static void test_spec_device_instance(void **state)
{
    (void)state;
    assert_int_equal(sizeof device_3_0, 121);
    lwm2m_record r[MAXREC];
    size_t n = device_records(r, 0);
    lwm2m_path base = P2(3, 0);
    resolver_calls_with_bad_path = 0;
    expect_both(&base, device_3_0, sizeof device_3_0, r, n);
    assert_int_equal(resolver_calls_with_bad_path, 0);
    /* The same answer wrapped in the instance TLV is accepted at /3/0 too. */
    expect_decode(&base, device_3, sizeof device_3, r, n);
}

static void test_spec_device_object(void **state)
{
    (void)state;
    assert_int_equal(sizeof device_3, 124);
    lwm2m_record r[MAXREC];
    size_t n = device_records(r, 0);
    lwm2m_path base = lwm2m_path_obj(3);
    expect_both(&base, device_3, sizeof device_3, r, n);
}

static void test_spec_access_control(void **state)
{
    (void)state;
    assert_int_equal(sizeof access_control_2, 38);
    lwm2m_record r[MAXREC];
    size_t n = access_control_records(r);
    lwm2m_path base = lwm2m_path_obj(2);
    expect_both(&base, access_control_2, sizeof access_control_2, r, n);
}

static void test_spec_server(void **state)
{
    (void)state;
    assert_int_equal(sizeof server_1, 18);
    lwm2m_record r[MAXREC];
    size_t n = server_records(r);
    lwm2m_path base = lwm2m_path_obj(1);
    expect_both(&base, server_1, sizeof server_1, r, n);
}

static void test_spec_objlnk(void **state)
{
    (void)state;
    assert_int_equal(sizeof objlnk_65_0, 37);
    lwm2m_record r[MAXREC];
    size_t n = objlnk_65_0_records(r);
    lwm2m_path base = P2(65, 0);
    expect_both(&base, objlnk_65_0, sizeof objlnk_65_0, r, n);

    n = objlnk_66_records(r);
    base = lwm2m_path_obj(66);
    expect_both(&base, objlnk_66, sizeof objlnk_66, r, n);
}

/* Without a resolver every value is OPAQUE bytes borrowed from the input. */
static void test_spec_without_types(void **state)
{
    (void)state;
    lwm2m_record items[MAXREC];
    lwm2m_record_list l = lwm2m_record_list_init(items, MAXREC);
    lwm2m_path base = lwm2m_path_obj(1);
    assert_int_equal(lwm2m_tlv_decode(&base, server_1, sizeof server_1, NULL, NULL, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, 4);
    for (size_t k = 0; k < l.count; k++)
        assert_int_equal(items[k].value.type, LWM2M_TYPE_OPAQUE);
    assert_ptr_equal(items[1].value.v.bytes.ptr, server_1 + 8);
    assert_int_equal(items[1].value.v.bytes.len, 4);
    /* Re-encoding the opaque records gives the same bytes. */
    expect_encode(&base, items, l.count, server_1, sizeof server_1);

    /* A resolver that knows nothing behaves the same. */
    lwm2m_types empty = {NULL, NULL};
    l.count = 0;
    assert_int_equal(lwm2m_tlv_decode(&base, server_1, sizeof server_1, &empty, NULL, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(items[3].value.type, LWM2M_TYPE_OPAQUE);
}

/* Every proper prefix of a valid payload is either a TLV boundary (a shorter valid payload) or
 * an error that leaves the list as it was. */
static void check_prefixes(const lwm2m_path *base, const uint8_t *bytes, size_t len,
                           const lwm2m_record *all, const size_t *sizes, const size_t *counts,
                           size_t ntlv, size_t empty_records)
{
    for (size_t k = 0; k < len; k++) {
        size_t at = 0, recs = 0;
        bool boundary = false;
        for (size_t t = 0; t <= ntlv; t++) {
            if (at == k) {
                boundary = true;
                break;
            }
            if (t < ntlv) {
                at += sizes[t];
                recs += counts[t];
            }
        }
        lwm2m_record got[MAXREC];
        size_t n;
        lwm2m_codec_error err;
        int rc = decode(base, bytes, k, &types, got, &n, &err);
        if (boundary) {
            if (rc != LWM2M_OK)
                fail_msg("prefix %zu: %d %s", k, rc, err.reason);
            if (k == 0) {
                assert_int_equal(n, empty_records);
            } else {
                assert_records(got, n, all, recs);
            }
        } else {
            if (rc != LWM2M_ERR_INVALID)
                fail_msg("prefix %zu of %zu decoded (rc %d)", k, len, rc);
            assert_int_equal(n, 0);
            assert_true(err.offset <= k);
        }
    }
}

static void test_truncation_every_prefix(void **state)
{
    (void)state;
    lwm2m_record r[MAXREC];
    size_t n = device_records(r, 0);
    (void)n;
    lwm2m_path inst = P2(3, 0);
    check_prefixes(&inst, device_3_0, sizeof device_3_0, r, device_tlv_sizes, device_tlv_records,
                   COUNT(device_tlv_sizes), 1);
    size_t total = 0;
    for (size_t k = 0; k < COUNT(device_tlv_sizes); k++)
        total += device_tlv_sizes[k];
    assert_int_equal(total, sizeof device_3_0);

    /* Wrapped in one instance TLV: only the empty prefix is valid. */
    size_t whole[] = {sizeof device_3};
    size_t whole_n[] = {16};
    lwm2m_path obj = lwm2m_path_obj(3);
    check_prefixes(&obj, device_3, sizeof device_3, r, whole, whole_n, 1, 0);
    check_prefixes(&inst, device_3, sizeof device_3, r, whole, whole_n, 1, 1);

    n = access_control_records(r);
    size_t ac[] = {17, 21};
    size_t ac_n[] = {4, 5};
    lwm2m_path o2 = lwm2m_path_obj(2);
    check_prefixes(&o2, access_control_2, sizeof access_control_2, r, ac, ac_n, 2, 0);

    n = server_records(r);
    size_t sv[] = {sizeof server_1};
    size_t sv_n[] = {4};
    lwm2m_path o1 = lwm2m_path_obj(1);
    check_prefixes(&o1, server_1, sizeof server_1, r, sv, sv_n, 1, 0);

    n = objlnk_65_0_records(r);
    lwm2m_path i65 = P2(65, 0);
    check_prefixes(&i65, objlnk_65_0, sizeof objlnk_65_0, r, objlnk_65_0_tlv_sizes,
                   objlnk_65_0_tlv_records, 3, 1);

    n = objlnk_66_records(r);
    size_t o66[] = {41, 41};
    size_t o66_n[] = {3, 3};
    lwm2m_path p66 = lwm2m_path_obj(66);
    check_prefixes(&p66, objlnk_66, sizeof objlnk_66, r, o66, o66_n, 2, 0);

    /* A multiple resource alone at /o/i/r: only the whole is valid. */
    lwm2m_path res = P3(3, 0, 7);
    lwm2m_record rr[2] = {r[0], r[1]};
    size_t m[] = {11};
    size_t m_n[] = {2};
    n = device_records(r, 0);
    rr[0] = r[6];
    rr[1] = r[7];
    check_prefixes(&res, device_3_0 + 73, 11, rr, m, m_n, 1, 0);
}

/* The encoder reports the full size on overflow and writes a correct prefix. */
static void test_encode_overflow(void **state)
{
    (void)state;
    lwm2m_record r[MAXREC];
    size_t n = device_records(r, 0);
    lwm2m_path base = lwm2m_path_obj(3);
    for (size_t cap = 0; cap < sizeof device_3; cap++) {
        uint8_t buf[sizeof device_3 + 8];
        memset(buf, 0xAA, sizeof buf);
        lwm2m_buf b = lwm2m_buf_init(buf, cap);
        assert_int_equal(lwm2m_tlv_encode(&base, r, n, &b, NULL), LWM2M_ERR_OVERFLOW);
        assert_int_equal(b.len, sizeof device_3);
        assert_memory_equal(buf, device_3, cap);
        assert_int_equal(buf[cap], 0xAA);
    }
    uint8_t exact[sizeof device_3];
    lwm2m_buf b = lwm2m_buf_init(exact, sizeof exact);
    assert_int_equal(lwm2m_tlv_encode(&base, r, n, &b, NULL), LWM2M_OK);
    assert_memory_equal(exact, device_3, sizeof device_3);

    /* Overflow at /o/i/r/ri as well. */
    lwm2m_path ri = P4(3, 0, 6, 1);
    b = lwm2m_buf_init(exact, 2);
    assert_int_equal(lwm2m_tlv_encode(&ri, &r[5], 1, &b, NULL), LWM2M_ERR_OVERFLOW);
    assert_int_equal(b.len, 3);
}

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                     */

static void test_integer_widths(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        uint8_t bytes[11];
        size_t len;
    } cases[] = {
        {0, {0xC1, R_INT, 0x00}, 3},
        {-1, {0xC1, R_INT, 0xFF}, 3},
        {127, {0xC1, R_INT, 0x7F}, 3},
        {-128, {0xC1, R_INT, 0x80}, 3},
        {128, {0xC2, R_INT, 0x00, 0x80}, 4},
        {-129, {0xC2, R_INT, 0xFF, 0x7F}, 4},
        {32767, {0xC2, R_INT, 0x7F, 0xFF}, 4},
        {-32768, {0xC2, R_INT, 0x80, 0x00}, 4},
        {32768, {0xC4, R_INT, 0x00, 0x00, 0x80, 0x00}, 6},
        {INT32_MIN, {0xC4, R_INT, 0x80, 0x00, 0x00, 0x00}, 6},
        {INT32_MAX, {0xC4, R_INT, 0x7F, 0xFF, 0xFF, 0xFF}, 6},
        {(int64_t)INT32_MAX + 1, {0xC8, R_INT, 0x08, 0, 0, 0, 0, 0x80, 0, 0, 0}, 11},
        {INT64_MIN, {0xC8, R_INT, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0}, 11},
        {INT64_MAX, {0xC8, R_INT, 0x08, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 11},
    };
    lwm2m_path base = P3(T_OBJ, 0, R_INT);
    for (size_t k = 0; k < COUNT(cases); k++) {
        lwm2m_record r = rec(base, lwm2m_value_int(cases[k].v));
        expect_both(&base, cases[k].bytes, cases[k].len, &r, 1);
    }
    /* Time uses the same encoding. */
    lwm2m_path tb = P3(T_OBJ, 0, R_TIME);
    uint8_t t[] = {0xC2, R_TIME, 0xFF, 0x7F};
    lwm2m_record tr = rec(tb, lwm2m_value_time(-129));
    expect_both(&tb, t, sizeof t, &tr, 1);
    /* Non-minimal but allowed widths decode. */
    uint8_t wide[] = {0xC8, R_INT, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE};
    lwm2m_record wr = rec(base, lwm2m_value_int(-2));
    expect_decode(&base, wide, sizeof wide, &wr, 1);
    /* Other widths are type errors. */
    for (uint8_t len = 0; len <= 9; len++) {
        if (len == 1 || len == 2 || len == 4 || len == 8)
            continue;
        uint8_t bad[12] = {(uint8_t)(0xC8), R_INT, len};
        expect_decode_error(&base, bad, 3u + len, LWM2M_ERR_TYPE, 0, "bad integer length");
        expect_decode_error(&tb, (uint8_t[]){0xC8, R_TIME, len, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                            3u + len, LWM2M_ERR_TYPE, 0, "bad integer length");
    }
}

static void test_unsigned_widths(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        uint8_t bytes[11];
        size_t len;
    } cases[] = {
        {0, {0xC1, R_UINT, 0x00}, 3},
        {255, {0xC1, R_UINT, 0xFF}, 3},
        {256, {0xC2, R_UINT, 0x01, 0x00}, 4},
        {65535, {0xC2, R_UINT, 0xFF, 0xFF}, 4},
        {65536, {0xC4, R_UINT, 0x00, 0x01, 0x00, 0x00}, 6},
        {UINT32_MAX, {0xC4, R_UINT, 0xFF, 0xFF, 0xFF, 0xFF}, 6},
        {(uint64_t)UINT32_MAX + 1, {0xC8, R_UINT, 0x08, 0, 0, 0, 1, 0, 0, 0, 0}, 11},
        {UINT64_MAX, {0xC8, R_UINT, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 11},
    };
    lwm2m_path base = P3(T_OBJ, 0, R_UINT);
    for (size_t k = 0; k < COUNT(cases); k++) {
        lwm2m_record r = rec(base, lwm2m_value_uint(cases[k].v));
        expect_both(&base, cases[k].bytes, cases[k].len, &r, 1);
    }
    uint8_t bad[] = {0xC3, R_UINT, 1, 2, 3};
    expect_decode_error(&base, bad, sizeof bad, LWM2M_ERR_TYPE, 0, "bad unsigned integer length");
}

static void test_float(void **state)
{
    (void)state;
    lwm2m_path base = P3(T_OBJ, 0, R_FLOAT);
    uint8_t half[] = {0xC4, R_FLOAT, 0x3F, 0x00, 0x00, 0x00};
    lwm2m_record r = rec(base, lwm2m_value_float(0.5));
    expect_both(&base, half, sizeof half, &r, 1);
    uint8_t tenth[] = {0xC8, R_FLOAT, 0x08, 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A};
    r = rec(base, lwm2m_value_float(0.1));
    expect_both(&base, tenth, sizeof tenth, &r, 1);
    uint8_t big[] = {0xC8, R_FLOAT, 0x08, 0x7E, 0x37, 0xE4, 0x3C, 0x88, 0x00, 0x75, 0x9C};
    r = rec(base, lwm2m_value_float(1e300));
    expect_both(&base, big, sizeof big, &r, 1);
    uint8_t neg_inf[] = {0xC4, R_FLOAT, 0xFF, 0x80, 0x00, 0x00};
    r = rec(base, lwm2m_value_float(-INFINITY));
    expect_both(&base, neg_inf, sizeof neg_inf, &r, 1);
    /* Just above FLT_MAX: must not be narrowed (and must not hit undefined behaviour). */
    uint8_t above[] = {0xC8, R_FLOAT, 0x08, 0x47, 0xEF, 0xFF, 0xFF, 0xE0, 0x00, 0x00, 0x01};
    double above_v;
    uint64_t u = 0x47EFFFFFE0000001ull;
    memcpy(&above_v, &u, sizeof above_v);
    r = rec(base, lwm2m_value_float(above_v));
    expect_both(&base, above, sizeof above, &r, 1);
    /* NaN goes in 8 bytes and comes back as NaN. */
    r = rec(base, lwm2m_value_float(NAN));
    uint8_t buf[16];
    lwm2m_buf b = lwm2m_buf_init(buf, sizeof buf);
    assert_int_equal(lwm2m_tlv_encode(&base, &r, 1, &b, NULL), LWM2M_OK);
    assert_int_equal(b.len, 11);
    lwm2m_record got[MAXREC];
    size_t n;
    assert_int_equal(decode(&base, buf, b.len, &types, got, &n, NULL), LWM2M_OK);
    assert_int_equal(n, 1);
    assert_true(isnan(got[0].value.v.f));
    /* 4-byte float widened exactly. */
    uint8_t f4[] = {0xC4, R_FLOAT, 0x3D, 0xCC, 0xCC, 0xCD};
    r = rec(base, lwm2m_value_float((double)0.1f));
    expect_both(&base, f4, sizeof f4, &r, 1);
    uint8_t bad[] = {0xC2, R_FLOAT, 0x3F, 0x00};
    expect_decode_error(&base, bad, sizeof bad, LWM2M_ERR_TYPE, 0, "bad float length");
    uint8_t empty[] = {0xC0, R_FLOAT};
    expect_decode_error(&base, empty, sizeof empty, LWM2M_ERR_TYPE, 0, "bad float length");
}

static void test_boolean_objlnk_bytes(void **state)
{
    (void)state;
    lwm2m_path base = P3(T_OBJ, 0, R_BOOL);
    uint8_t t[] = {0xC1, R_BOOL, 0x01};
    uint8_t f[] = {0xC1, R_BOOL, 0x00};
    lwm2m_record r = rec(base, lwm2m_value_bool(true));
    expect_both(&base, t, sizeof t, &r, 1);
    r = rec(base, lwm2m_value_bool(false));
    expect_both(&base, f, sizeof f, &r, 1);
    uint8_t two[] = {0xC1, R_BOOL, 0x02};
    expect_decode_error(&base, two, sizeof two, LWM2M_ERR_TYPE, 0,
                        "boolean must be one byte 0 or 1");
    uint8_t wide[] = {0xC2, R_BOOL, 0x00, 0x01};
    expect_decode_error(&base, wide, sizeof wide, LWM2M_ERR_TYPE, 0,
                        "boolean must be one byte 0 or 1");
    uint8_t empty[] = {0xC0, R_BOOL};
    expect_decode_error(&base, empty, sizeof empty, LWM2M_ERR_TYPE, 0,
                        "boolean must be one byte 0 or 1");

    lwm2m_path lb = P3(T_OBJ, 0, R_OBJLNK);
    uint8_t l[] = {0xC4, R_OBJLNK, 0x01, 0x02, 0xFF, 0xFE};
    r = rec(lb, lwm2m_value_objlnk(0x0102, 0xFFFE));
    expect_both(&lb, l, sizeof l, &r, 1);
    uint8_t l3[] = {0xC3, R_OBJLNK, 0x01, 0x02, 0x03};
    expect_decode_error(&lb, l3, sizeof l3, LWM2M_ERR_TYPE, 0, "bad objlnk length");

    lwm2m_path ob = P3(T_OBJ, 0, R_OPAQUE);
    uint8_t o[] = {0xC3, R_OPAQUE, 0x00, 0xFF, 0x80};
    r = rec(ob, opaque(o + 2, 3));
    expect_both(&ob, o, sizeof o, &r, 1);
    uint8_t o0[] = {0xC0, R_OPAQUE};
    r = rec(ob, opaque(NULL, 0));
    expect_both(&ob, o0, sizeof o0, &r, 1);

    lwm2m_path cb = P3(T_OBJ, 0, R_CORELNK);
    uint8_t c[] = {0xC4, R_CORELNK, '<', '/', '3', '>'};
    r = rec(cb, lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3>", 4));
    expect_both(&cb, c, sizeof c, &r, 1);

    /* Strings are UTF-8; a bad sequence is reported at its offset. */
    lwm2m_path sb = P3(T_OBJ, 0, R_STR);
    uint8_t s[] = {0xC5, R_STR, 'a', 0xC3, 0xA9, 0xE2, 0x82};
    s[0] = 0xC5;
    uint8_t ok[] = {0xC7, R_STR, 'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 'z'};
    r = rec(sb, lwm2m_value_bytes(LWM2M_TYPE_STRING, ok + 2, 7));
    expect_both(&sb, ok, sizeof ok, &r, 1);
    expect_decode_error(&sb, s, sizeof s, LWM2M_ERR_INVALID, 5, "invalid UTF-8 in string");
    uint8_t overlong[] = {0xC2, R_STR, 0xC0, 0x80};
    expect_decode_error(&sb, overlong, sizeof overlong, LWM2M_ERR_INVALID, 2,
                        "invalid UTF-8 in string");
    uint8_t surrogate[] = {0xC4, R_STR, 'x', 0xED, 0xA0, 0x80};
    expect_decode_error(&sb, surrogate, sizeof surrogate, LWM2M_ERR_INVALID, 3,
                        "invalid UTF-8 in string");
    uint8_t too_big[] = {0xC4, R_STR, 0xF4, 0x90, 0x80, 0x80};
    expect_decode_error(&sb, too_big, sizeof too_big, LWM2M_ERR_INVALID, 2,
                        "invalid UTF-8 in string");
    /* Core links are not checked. */
    uint8_t craw[] = {0xC1, R_CORELNK, 0xFF};
    r = rec(cb, lwm2m_value_bytes(LWM2M_TYPE_CORELNK, craw + 2, 1));
    expect_both(&cb, craw, sizeof craw, &r, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Header forms                                                                               */

static void test_length_and_id_fields(void **state)
{
    (void)state;
    static uint8_t data[70000 + 8];
    for (size_t k = 0; k < sizeof data; k++)
        data[k] = (uint8_t)(k * 7);
    lwm2m_path base = P3(T_OBJ, 0, R_OPAQUE);
    static const struct {
        size_t len;
        uint8_t head[5];
        size_t head_len;
    } cases[] = {
        {7, {0xC7, R_OPAQUE}, 2},
        {8, {0xC8, R_OPAQUE, 0x08}, 3},
        {255, {0xC8, R_OPAQUE, 0xFF}, 3},
        {256, {0xD0, R_OPAQUE, 0x01, 0x00}, 4},
        {65535, {0xD0, R_OPAQUE, 0xFF, 0xFF}, 4},
        {65536, {0xD8, R_OPAQUE, 0x01, 0x00, 0x00}, 5},
        {70000, {0xD8, R_OPAQUE, 0x01, 0x11, 0x70}, 5},
    };
    static uint8_t enc[70000 + 16];
    for (size_t k = 0; k < COUNT(cases); k++) {
        memcpy(enc, cases[k].head, cases[k].head_len);
        memcpy(enc + cases[k].head_len, data, cases[k].len);
        lwm2m_record r = rec(base, opaque(data, cases[k].len));
        size_t total = cases[k].head_len + cases[k].len;
        expect_decode(&base, enc, total, &r, 1);
        static uint8_t out[70000 + 16];
        lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
        assert_int_equal(lwm2m_tlv_encode(&base, &r, 1, &b, NULL), LWM2M_OK);
        assert_int_equal(b.len, total);
        assert_memory_equal(out, enc, total);
    }

    /* Non-minimal length fields and ignored bits 2-0 decode the same. */
    lwm2m_path sb = P3(T_OBJ, 0, R_STR);
    lwm2m_record abc = rec(sb, lwm2m_value_str("abc"));
    uint8_t minimal[] = {0xC3, R_STR, 'a', 'b', 'c'};
    uint8_t len8[] = {0xC8, R_STR, 0x03, 'a', 'b', 'c'};
    uint8_t len16[] = {0xD0, R_STR, 0x00, 0x03, 'a', 'b', 'c'};
    uint8_t len24[] = {0xD8, R_STR, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
    uint8_t junk_bits[] = {0xCF, R_STR, 0x03, 'a', 'b', 'c'};
    uint8_t id16[] = {0xE3, 0x00, R_STR, 'a', 'b', 'c'};
    expect_both(&sb, minimal, sizeof minimal, &abc, 1);
    expect_decode(&sb, len8, sizeof len8, &abc, 1);
    expect_decode(&sb, len16, sizeof len16, &abc, 1);
    expect_decode(&sb, len24, sizeof len24, &abc, 1);
    expect_decode(&sb, junk_bits, sizeof junk_bits, &abc, 1);
    expect_decode(&sb, id16, sizeof id16, &abc, 1);

    /* 16-bit identifiers from 256 up; 65534 is the largest. */
    lwm2m_path ib = P2(T_OBJ, 0);
    lwm2m_record r255 = rec(P3(T_OBJ, 0, 255), opaque("x", 1));
    uint8_t e255[] = {0xC1, 0xFF, 'x'};
    expect_both(&ib, e255, sizeof e255, &r255, 1);
    lwm2m_record r256 = rec(P3(T_OBJ, 0, 256), opaque("x", 1));
    uint8_t e256[] = {0xE1, 0x01, 0x00, 'x'};
    expect_both(&ib, e256, sizeof e256, &r256, 1);
    lwm2m_record rmax = rec(P3(T_OBJ, 0, 65534), opaque("x", 1));
    uint8_t emax[] = {0xE1, 0xFF, 0xFE, 'x'};
    expect_both(&ib, emax, sizeof emax, &rmax, 1);
    uint8_t reserved[] = {0xC1, 0x00, 'x', 0xE1, 0xFF, 0xFF, 'x'};
    expect_decode_error(&ib, reserved, sizeof reserved, LWM2M_ERR_INVALID, 3,
                        "reserved TLV identifier 65535");
    lwm2m_path ob = lwm2m_path_obj(T_OBJ);
    uint8_t reserved_inst[] = {0x20, 0xFF, 0xFF};
    expect_decode_error(&ob, reserved_inst, sizeof reserved_inst, LWM2M_ERR_INVALID, 0,
                        "reserved TLV identifier 65535");
    lwm2m_record bad = rec(P3(T_OBJ, 0, 65535), opaque("x", 1));
    expect_encode_error(&ib, &bad, 1, LWM2M_ERR_INVALID, 0);
}

static void test_truncated_headers(void **state)
{
    (void)state;
    lwm2m_path ib = P2(T_OBJ, 0);
    uint8_t id16[] = {0xE1, 0x01};
    expect_decode_error(&ib, id16, sizeof id16, LWM2M_ERR_INVALID, 0, "truncated TLV identifier");
    uint8_t id8[] = {0xC1};
    expect_decode_error(&ib, id8, sizeof id8, LWM2M_ERR_INVALID, 0, "truncated TLV identifier");
    uint8_t len24[] = {0xC1, 0x00, 0x00, 0xD8, 0x01, 0x00, 0x00};
    expect_decode_error(&ib, len24, sizeof len24, LWM2M_ERR_INVALID, 3, "truncated TLV length");
    uint8_t val[] = {0xC3, 0x00, 'a', 'b'};
    expect_decode_error(&ib, val, sizeof val, LWM2M_ERR_INVALID, 0, "truncated TLV value");
    /* Overlong: 24-bit length far beyond the payload. */
    uint8_t huge[] = {0xD8, R_OPAQUE, 0xFF, 0xFF, 0xFF, 1, 2, 3};
    expect_decode_error(&ib, huge, sizeof huge, LWM2M_ERR_INVALID, 0, "truncated TLV value");
    /* A child longer than its container, though the payload has the bytes. */
    uint8_t child[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x42, 0x01, 0x05, 0x06};
    expect_decode_error(&ib, child, sizeof child, LWM2M_ERR_INVALID, 5, "truncated TLV value");
    lwm2m_path ob = lwm2m_path_obj(T_OBJ);
    uint8_t inst_child[] = {0x03, 0x00, 0xC2, R_OPAQUE, 0x01, 0x02};
    expect_decode_error(&ob, inst_child, sizeof inst_child, LWM2M_ERR_INVALID, 2,
                        "truncated TLV value");
}

/* ------------------------------------------------------------------------------------------ */
/* Nesting, base paths, duplicates                                                            */

static void test_nesting_errors(void **state)
{
    (void)state;
    lwm2m_path ob = lwm2m_path_obj(3);
    lwm2m_path ib = P2(3, 0);
    uint8_t res_at_obj[] = {0xC1, 0x09, 0x64};
    expect_decode_error(&ob, res_at_obj, sizeof res_at_obj, LWM2M_ERR_INVALID, 0,
                        "expected an object instance TLV");
    uint8_t multi_at_obj[] = {0x83, 0x0B, 0x41, 0x00, 0x00};
    expect_decode_error(&ob, multi_at_obj, sizeof multi_at_obj, LWM2M_ERR_INVALID, 0,
                        "expected an object instance TLV");
    uint8_t ri_at_obj[] = {0x41, 0x00, 0x00};
    expect_decode_error(&ob, ri_at_obj, sizeof ri_at_obj, LWM2M_ERR_INVALID, 0,
                        "expected an object instance TLV");
    uint8_t inst_in_inst[] = {0x02, 0x00, 0x00, 0x01};
    expect_decode_error(&ob, inst_in_inst, sizeof inst_in_inst, LWM2M_ERR_INVALID, 2,
                        "unexpected object instance TLV");
    uint8_t ri_in_inst[] = {0x03, 0x00, 0x41, 0x00, 0x01};
    expect_decode_error(&ob, ri_in_inst, sizeof ri_in_inst, LWM2M_ERR_INVALID, 2,
                        "resource instance TLV outside a multiple resource");
    uint8_t ri_at_inst[] = {0xC1, 0x09, 0x64, 0x41, 0x00, 0x01};
    expect_decode_error(&ib, ri_at_inst, sizeof ri_at_inst, LWM2M_ERR_INVALID, 3,
                        "resource instance TLV outside a multiple resource");
    uint8_t res_in_multi[] = {0x83, 0x06, 0xC1, 0x00, 0x01};
    expect_decode_error(&ib, res_in_multi, sizeof res_in_multi, LWM2M_ERR_INVALID, 2,
                        "only resource instance TLVs may be inside a multiple resource");
    uint8_t multi_in_multi[] = {0x84, 0x06, 0x82, 0x00, 0x41, 0x00};
    expect_decode_error(&ib, multi_in_multi, sizeof multi_in_multi, LWM2M_ERR_INVALID, 2,
                        "only resource instance TLVs may be inside a multiple resource");
    uint8_t inst_in_multi[] = {0x82, 0x06, 0x00, 0x00};
    expect_decode_error(&ib, inst_in_multi, sizeof inst_in_multi, LWM2M_ERR_INVALID, 2,
                        "only resource instance TLVs may be inside a multiple resource");
    /* A resource TLV's value is never parsed as TLVs: this is a 3-byte string. */
    uint8_t raw[] = {0xC3, 0x00, 0x08, 0x00, 0x00};
    lwm2m_record r = rec(P3(3, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_STRING, raw + 2, 3));
    expect_decode(&ib, raw, sizeof raw, &r, 1);
    /* The instance wrapper at /o/i: only alone and only with the right id. */
    uint8_t wrong_id[] = {0x03, 0x01, 0xC1, 0x09, 0x64};
    expect_decode_error(&ib, wrong_id, sizeof wrong_id, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t two_wrappers[] = {0x03, 0x00, 0xC1, 0x09, 0x64, 0x00, 0x01};
    expect_decode_error(&ib, two_wrappers, sizeof two_wrappers, LWM2M_ERR_INVALID, 5,
                        "unexpected TLV after the object instance");
    uint8_t wrapper_then_res[] = {0x03, 0x00, 0xC1, 0x09, 0x64, 0xC1, 0x0A, 0x0F};
    expect_decode_error(&ib, wrapper_then_res, sizeof wrapper_then_res, LWM2M_ERR_INVALID, 5,
                        "unexpected TLV after the object instance");
    uint8_t res_then_wrapper[] = {0xC1, 0x0A, 0x0F, 0x03, 0x00, 0xC1, 0x09, 0x64};
    expect_decode_error(&ib, res_then_wrapper, sizeof res_then_wrapper, LWM2M_ERR_INVALID, 3,
                        "unexpected object instance TLV");
    uint8_t nested_wrapper[] = {0x02, 0x00, 0x00, 0x00};
    expect_decode_error(&ib, nested_wrapper, sizeof nested_wrapper, LWM2M_ERR_INVALID, 2,
                        "unexpected object instance TLV");
}

static void test_duplicates(void **state)
{
    (void)state;
    lwm2m_path ob = lwm2m_path_obj(3);
    lwm2m_path ib = P2(3, 0);
    lwm2m_path rb = P3(3, 0, 6);
    uint8_t inst[] = {0x00, 0x01, 0x03, 0x02, 0xC1, 0x09, 0x64, 0x00, 0x01};
    expect_decode_error(&ob, inst, sizeof inst, LWM2M_ERR_INVALID, 7,
                        "duplicate object instance id");
    uint8_t res[] = {0xC1, 0x09, 0x64, 0xC1, 0x0A, 0x0F, 0xC1, 0x09, 0x65};
    expect_decode_error(&ib, res, sizeof res, LWM2M_ERR_INVALID, 6, "duplicate resource id");
    uint8_t single_multi[] = {0xC1, 0x06, 0x01, 0x83, 0x06, 0x41, 0x00, 0x01};
    expect_decode_error(&ib, single_multi, sizeof single_multi, LWM2M_ERR_INVALID, 3,
                        "duplicate resource id");
    uint8_t empty_multi_twice[] = {0x80, 0x06, 0x80, 0x06};
    expect_decode_error(&ib, empty_multi_twice, sizeof empty_multi_twice, LWM2M_ERR_INVALID, 2,
                        "duplicate resource id");
    uint8_t ri[] = {0x86, 0x06, 0x41, 0x01, 0x01, 0x41, 0x01, 0x02};
    expect_decode_error(&ib, ri, sizeof ri, LWM2M_ERR_INVALID, 5, "duplicate resource instance id");
    uint8_t bare_ri[] = {0x41, 0x00, 0x01, 0x41, 0x00, 0x02};
    expect_decode_error(&rb, bare_ri, sizeof bare_ri, LWM2M_ERR_INVALID, 3,
                        "duplicate resource instance id");
    /* The same resource id in two instances, and the same ri in two resources, are fine. */
    uint8_t ok[] = {0x03, 0x00, 0xC1, 0x09, 0x64, 0x03, 0x01, 0xC1, 0x09, 0x64};
    lwm2m_record want[] = {rec(P3(3, 0, 9), lwm2m_value_int(100)),
                           rec(P3(3, 1, 9), lwm2m_value_int(100))};
    expect_both(&ob, ok, sizeof ok, want, 2);
    uint8_t ok2[] = {0x83, 0x06, 0x41, 0x00, 0x01, 0x83, 0x07, 0x41, 0x00, 0x02};
    lwm2m_record want2[] = {rec(P4(3, 0, 6, 0), lwm2m_value_int(1)),
                            rec(P4(3, 0, 7, 0), lwm2m_value_int(2))};
    expect_both(&ib, ok2, sizeof ok2, want2, 2);
}

static void test_empty_containers(void **state)
{
    (void)state;
    lwm2m_path ob = lwm2m_path_obj(3);
    lwm2m_path ib = P2(3, 5);
    lwm2m_path rb = P3(3, 5, 6);
    /* No instances at /o. */
    expect_both(&ob, NULL, 0, NULL, 0);
    /* An empty instance at /o. */
    uint8_t e1[] = {0x00, 0x05};
    lwm2m_record r1 = rec(P2(3, 5), none());
    expect_both(&ob, e1, sizeof e1, &r1, 1);
    uint8_t e1b[] = {0x00, 0x05, 0x00, 0x07};
    lwm2m_record r1b[] = {rec(P2(3, 5), none()), rec(P2(3, 7), none())};
    expect_both(&ob, e1b, sizeof e1b, r1b, 2);
    /* The empty payload at /o/i is an empty instance; so is an empty wrapper. */
    expect_both(&ib, NULL, 0, &r1, 1);
    expect_decode(&ib, e1, sizeof e1, &r1, 1);
    /* An empty multiple resource. */
    uint8_t e2[] = {0x80, 0x06};
    lwm2m_record r2 = rec(P3(3, 5, 6), none());
    expect_both(&ib, e2, sizeof e2, &r2, 1);
    expect_both(&rb, e2, sizeof e2, &r2, 1);
    uint8_t e3[] = {0x02, 0x05, 0x80, 0x06};
    expect_both(&ob, e3, sizeof e3, &r2, 1);
    /* Nothing at /o/i/r. */
    expect_both(&rb, NULL, 0, NULL, 0);
    /* A NONE marker next to the records of its container is ignored by the encoder. */
    lwm2m_record marked[] = {rec(P2(3, 5), none()), rec(P3(3, 5, 6), none()),
                             rec(P4(3, 5, 6, 0), lwm2m_value_int(1))};
    uint8_t m[] = {0x05, 0x05, 0x83, 0x06, 0x41, 0x00, 0x01};
    expect_encode(&ob, marked, 3, m, sizeof m);
    expect_encode(&ib, marked, 3, m + 2, sizeof m - 2);
    expect_encode(&rb, marked + 1, 2, m + 2, sizeof m - 2);
}

static void test_resource_base(void **state)
{
    (void)state;
    lwm2m_path rb = P3(3, 0, 6);
    uint8_t multi[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    lwm2m_record want[] = {rec(P4(3, 0, 6, 0), lwm2m_value_int(1)),
                           rec(P4(3, 0, 6, 1), lwm2m_value_int(5))};
    expect_both(&rb, multi, sizeof multi, want, 2);
    /* Wakaama sends the resource instances bare. */
    expect_decode(&rb, multi + 2, sizeof multi - 2, want, 2);
    /* One instance is still a multiple resource. */
    uint8_t one[] = {0x83, 0x06, 0x41, 0x00, 0x01};
    expect_both(&rb, one, sizeof one, want, 1);

    lwm2m_path sb = P3(3, 0, 9);
    uint8_t single[] = {0xC1, 0x09, 0x64};
    lwm2m_record s = rec(sb, lwm2m_value_int(100));
    expect_both(&sb, single, sizeof single, &s, 1);

    uint8_t other[] = {0xC1, 0x0A, 0x0F};
    expect_decode_error(&sb, other, sizeof other, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    expect_decode_error(&sb, multi, sizeof multi, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t two[] = {0xC1, 0x09, 0x64, 0xC1, 0x09, 0x64};
    expect_decode_error(&sb, two, sizeof two, LWM2M_ERR_INVALID, 3,
                        "unexpected TLV after the resource");
    uint8_t mixed[] = {0x41, 0x00, 0x01, 0xC1, 0x06, 0x05};
    expect_decode_error(&rb, mixed, sizeof mixed, LWM2M_ERR_INVALID, 3,
                        "only resource instance TLVs may be inside a multiple resource");
    uint8_t inst[] = {0x03, 0x00, 0xC1, 0x09, 0x64};
    expect_decode_error(&sb, inst, sizeof inst, LWM2M_ERR_INVALID, 0,
                        "unexpected object instance TLV");
    uint8_t bad_type[] = {0xC3, 0x09, 0x01, 0x02, 0x03};
    expect_decode_error(&sb, bad_type, sizeof bad_type, LWM2M_ERR_TYPE, 0, "bad integer length");
}

static void test_resource_instance_base(void **state)
{
    (void)state;
    lwm2m_path base = P4(3, 0, 6, 1);
    lwm2m_record want = rec(base, lwm2m_value_int(5));
    uint8_t ri[] = {0x41, 0x01, 0x05};
    expect_both(&base, ri, sizeof ri, &want, 1);
    uint8_t res_ri[] = {0xC1, 0x01, 0x05};
    expect_decode(&base, res_ri, sizeof res_ri, &want, 1);
    uint8_t res_r[] = {0xC1, 0x06, 0x05};
    expect_decode(&base, res_r, sizeof res_r, &want, 1);
    uint8_t multi[] = {0x83, 0x06, 0x41, 0x01, 0x05};
    expect_decode(&base, multi, sizeof multi, &want, 1);
    expect_both(&base, NULL, 0, NULL, 0);

    uint8_t other_ri[] = {0x41, 0x00, 0x05};
    expect_decode_error(&base, other_ri, sizeof other_ri, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t other_res[] = {0xC1, 0x07, 0x05};
    expect_decode_error(&base, other_res, sizeof other_res, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t multi_other[] = {0x83, 0x07, 0x41, 0x01, 0x05};
    expect_decode_error(&base, multi_other, sizeof multi_other, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t multi_two[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    expect_decode_error(&base, multi_two, sizeof multi_two, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t multi_wrong[] = {0x83, 0x06, 0x41, 0x00, 0x05};
    expect_decode_error(&base, multi_wrong, sizeof multi_wrong, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t multi_empty[] = {0x80, 0x06};
    expect_decode_error(&base, multi_empty, sizeof multi_empty, LWM2M_ERR_INVALID, 0,
                        "record outside the request path");
    uint8_t two[] = {0x41, 0x01, 0x05, 0x41, 0x01, 0x05};
    expect_decode_error(&base, two, sizeof two, LWM2M_ERR_INVALID, 3,
                        "unexpected TLV after the resource instance");
    uint8_t inst[] = {0x00, 0x00};
    expect_decode_error(&base, inst, sizeof inst, LWM2M_ERR_INVALID, 0,
                        "unexpected object instance TLV");
}

static void test_root_and_nomem(void **state)
{
    (void)state;
    lwm2m_path root = lwm2m_path_root();
    expect_decode_error(&root, server_1, sizeof server_1, LWM2M_ERR_UNSUPPORTED, 0,
                        "TLV cannot carry object ids");
    lwm2m_record r[MAXREC];
    size_t n = server_records(r);
    uint8_t buf[64];
    lwm2m_buf b = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_codec_error err;
    assert_int_equal(lwm2m_tlv_encode(&root, r, n, &b, &err), LWM2M_ERR_UNSUPPORTED);
    assert_int_equal(b.len, 0);

    /* The record list fills up: NOMEM and the count is restored. */
    lwm2m_path base = lwm2m_path_obj(3);
    for (size_t cap = 1; cap < 16 + 1; cap++) {
        lwm2m_record items[17];
        lwm2m_record_list l = lwm2m_record_list_init(items, cap);
        lwm2m_path sp = lwm2m_path_obj(9);
        lwm2m_value sv = lwm2m_value_int(1);
        lwm2m_record_list_add(&l, &sp, &sv);
        assert_int_equal(lwm2m_tlv_decode(&base, device_3, sizeof device_3, &types, NULL, &l, &err),
                         LWM2M_ERR_NOMEM);
        assert_int_equal(l.count, 1);
        assert_string_equal(err.reason, "too many records");
    }
    /* Empty containers need room too. */
    lwm2m_record_list full = lwm2m_record_list_init(r, 0);
    lwm2m_path ib = P2(3, 0);
    assert_int_equal(lwm2m_tlv_decode(&ib, NULL, 0, &types, NULL, &full, NULL), LWM2M_ERR_NOMEM);
}

/* ------------------------------------------------------------------------------------------ */
/* Encoder errors and layout                                                                  */

static void test_encode_layout(void **state)
{
    (void)state;
    /* At /o/i/r: a multiple resource TLV for 4-level records, a resource TLV otherwise. */
    lwm2m_path rb = P3(3, 0, 7);
    lwm2m_record m[] = {rec(P4(3, 0, 7, 0), lwm2m_value_int(3800)),
                        rec(P4(3, 0, 7, 1), lwm2m_value_int(5000))};
    expect_encode(&rb, m, 2, device_3_0 + 73, 11);
    lwm2m_path ri = P4(3, 0, 7, 1);
    uint8_t ri_bytes[] = {0x42, 0x01, 0x13, 0x88};
    expect_encode(&ri, &m[1], 1, ri_bytes, sizeof ri_bytes);
    /* ids above 255 in every position. */
    lwm2m_path ob = lwm2m_path_obj(T_OBJ);
    lwm2m_record big[] = {rec(P4(T_OBJ, 300, 400, 500), lwm2m_value_bool(true))};
    uint8_t big_bytes[] = {0x27, 0x01, 0x2C, 0xA4, 0x01, 0x90, 0x61, 0x01, 0xF4, 0x01};
    expect_encode(&ob, big, 1, big_bytes, sizeof big_bytes);
    /* All decoded back (R_BOOL is not resource 400, so it comes back opaque). */
    lwm2m_record back = rec(P4(T_OBJ, 300, 400, 500), opaque("\x01", 1));
    expect_decode(&ob, big_bytes, sizeof big_bytes, &back, 1);
}

static void test_encode_errors(void **state)
{
    (void)state;
    lwm2m_path ib = P2(3, 0);
    lwm2m_record outside[] = {rec(P3(3, 0, 9), lwm2m_value_int(1)),
                              rec(P3(3, 1, 9), lwm2m_value_int(1))};
    expect_encode_error(&ib, outside, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_record unsorted[] = {rec(P3(3, 0, 9), lwm2m_value_int(1)),
                               rec(P3(3, 0, 8), lwm2m_value_int(1))};
    expect_encode_error(&ib, unsorted, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_record dup[] = {rec(P3(3, 0, 9), lwm2m_value_int(1)),
                          rec(P3(3, 0, 9), lwm2m_value_int(2))};
    expect_encode_error(&ib, dup, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_record mixed[] = {rec(P3(3, 0, 6), lwm2m_value_int(1)),
                            rec(P4(3, 0, 6, 0), lwm2m_value_int(2))};
    expect_encode_error(&ib, mixed, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_record none4[] = {rec(P4(3, 0, 6, 0), none())};
    expect_encode_error(&ib, none4, 1, LWM2M_ERR_INVALID, 0);
    lwm2m_record value2[] = {rec(P2(3, 0), lwm2m_value_int(1))};
    expect_encode_error(&ib, value2, 1, LWM2M_ERR_INVALID, 0);
    lwm2m_path ob = lwm2m_path_obj(3);
    lwm2m_record obj_rec[] = {rec(lwm2m_path_obj(3), none())};
    expect_encode_error(&ob, obj_rec, 1, LWM2M_ERR_INVALID, 0);
    lwm2m_record bad_type = rec(P3(3, 0, 9), lwm2m_value_int(1));
    bad_type.value.type = (lwm2m_type)42;
    lwm2m_record bt[] = {rec(P3(3, 0, 8), lwm2m_value_int(1)), bad_type};
    expect_encode_error(&ib, bt, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_record bt4[] = {rec(P4(3, 0, 9, 0), lwm2m_value_int(1)), bad_type};
    bt4[1].path = P4(3, 0, 9, 1);
    expect_encode_error(&ib, bt4, 2, LWM2M_ERR_INVALID, 1);
    lwm2m_path ri = P4(3, 0, 9, 1);
    expect_encode_error(&ri, bt4 + 1, 1, LWM2M_ERR_INVALID, 0);
    lwm2m_path rb = P3(3, 0, 9);
    expect_encode_error(&rb, outside + 1, 1, LWM2M_ERR_INVALID, 0);
    lwm2m_record bad_depth = rec(P3(3, 0, 9), lwm2m_value_int(1));
    bad_depth.path.len = 5;
    expect_encode_error(&ib, &bad_depth, 1, LWM2M_ERR_INVALID, 0);
    /* Encoding an empty list is fine everywhere. */
    expect_encode(&ib, NULL, 0, NULL, 0);
}

static void test_encode_too_large(void **state)
{
    (void)state;
    size_t max = 0xFFFFFF;
    uint8_t *big = calloc(max + 1, 1);
    assert_non_null(big);
    lwm2m_path rb = P3(T_OBJ, 0, R_OPAQUE);
    lwm2m_buf b = lwm2m_buf_init(NULL, 0);
    /* The largest value fits a 24-bit length. */
    lwm2m_record r = rec(rb, opaque(big, max));
    assert_int_equal(lwm2m_tlv_encode(&rb, &r, 1, &b, NULL), LWM2M_ERR_OVERFLOW);
    assert_int_equal(b.len, max + 5);
    /* One more byte does not. */
    r = rec(rb, opaque(big, max + 1));
    b = lwm2m_buf_init(NULL, 0);
    lwm2m_codec_error err;
    assert_int_equal(lwm2m_tlv_encode(&rb, &r, 1, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 0);
    /* Two halves fit alone but not together in one instance or one multiple resource. */
    lwm2m_record halves[] = {rec(P3(T_OBJ, 0, 1), opaque(big, max / 2 + 1)),
                             rec(P3(T_OBJ, 0, 2), opaque(big, max / 2 + 1))};
    lwm2m_path ob = lwm2m_path_obj(T_OBJ);
    b = lwm2m_buf_init(NULL, 0);
    assert_int_equal(lwm2m_tlv_encode(&ob, halves, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "TLV payload too large");
    lwm2m_record inst_halves[] = {rec(P4(T_OBJ, 0, 1, 0), opaque(big, max / 2 + 1)),
                                  rec(P4(T_OBJ, 0, 1, 1), opaque(big, max / 2 + 1))};
    lwm2m_path r1 = P3(T_OBJ, 0, 1);
    b = lwm2m_buf_init(NULL, 0);
    assert_int_equal(lwm2m_tlv_encode(&r1, inst_halves, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    free(big);
}

/* tests/data/tlv/<name>.hex (used by the CLI tests) hold the same bytes as the arrays above. */
static void check_hex_file(const char *name, const uint8_t *want, size_t want_len)
{
#ifdef LWM2M_TEST_DATA_DIR
    char path[512];
    snprintf(path, sizeof path, "%s/tlv/%s.hex", LWM2M_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    uint8_t got[256];
    size_t n = 0;
    unsigned v;
    while (n < sizeof got && fscanf(f, "%2x", &v) == 1)
        got[n++] = (uint8_t)v;
    int more = fgetc(f);
    while (more == ' ' || more == '\n')
        more = fgetc(f);
    fclose(f);
    assert_int_equal(more, EOF);
    assert_int_equal(n, want_len);
    assert_memory_equal(got, want, want_len);
#else
    (void)name;
    (void)want;
    (void)want_len;
    skip();
#endif
}

static void test_hex_files(void **state)
{
    (void)state;
    check_hex_file("device_3_0", device_3_0, sizeof device_3_0);
    check_hex_file("device_3", device_3, sizeof device_3);
    check_hex_file("access_control_2", access_control_2, sizeof access_control_2);
    check_hex_file("server_1", server_1, sizeof server_1);
    check_hex_file("objlnk_65_0", objlnk_65_0, sizeof objlnk_65_0);
    check_hex_file("objlnk_66", objlnk_66, sizeof objlnk_66);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_device_instance),
        cmocka_unit_test(test_spec_device_object),
        cmocka_unit_test(test_spec_access_control),
        cmocka_unit_test(test_spec_server),
        cmocka_unit_test(test_spec_objlnk),
        cmocka_unit_test(test_spec_without_types),
        cmocka_unit_test(test_truncation_every_prefix),
        cmocka_unit_test(test_encode_overflow),
        cmocka_unit_test(test_integer_widths),
        cmocka_unit_test(test_unsigned_widths),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_boolean_objlnk_bytes),
        cmocka_unit_test(test_length_and_id_fields),
        cmocka_unit_test(test_truncated_headers),
        cmocka_unit_test(test_nesting_errors),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_resource_base),
        cmocka_unit_test(test_resource_instance_base),
        cmocka_unit_test(test_root_and_nomem),
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_encode_too_large),
        cmocka_unit_test(test_hex_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
