/* Plain text (0) and opaque (42) codecs: every type both ways, strict parsing, base paths,
 * arena use, record count restore and encoder errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

/* Object 30000: one resource per type (resource id = table index); resource 9 is unknown and
 * resource 10 gets an out-of-range answer.
 * Object 3 as in registry/3.xml for the spec example. */
#define T_OBJ 30000
enum {
    R_STR,
    R_INT,
    R_UINT,
    R_FLOAT,
    R_BOOL,
    R_OPAQUE,
    R_TIME,
    R_OBJLNK,
    R_CORELNK,
    R_UNKNOWN,
    R_GARBAGE
};

static const lwm2m_type t_types[] = {
    LWM2M_TYPE_STRING, LWM2M_TYPE_INTEGER, LWM2M_TYPE_UNSIGNED,
    LWM2M_TYPE_FLOAT,  LWM2M_TYPE_BOOLEAN, LWM2M_TYPE_OPAQUE,
    LWM2M_TYPE_TIME,   LWM2M_TYPE_OBJLNK,  LWM2M_TYPE_CORELNK,
};

static lwm2m_type test_type(void *ctx, const lwm2m_path *p)
{
    (void)ctx;
    if (p->len != 3)
        return (lwm2m_type)99; /* a resolver must be asked about resources only */
    if (p->id[0] == 3)
        return p->id[2] == 9 ? LWM2M_TYPE_INTEGER : LWM2M_TYPE_STRING;
    if (p->id[0] == T_OBJ && p->id[2] < sizeof t_types / sizeof t_types[0])
        return t_types[p->id[2]];
    if (p->id[0] == T_OBJ && p->id[2] == R_GARBAGE)
        return (lwm2m_type)77;
    return LWM2M_TYPE_NONE;
}

static const lwm2m_types types = {test_type, NULL};

#define P3(o, i, r)     lwm2m_path_res(o, i, r)
#define P4(o, i, r, ri) lwm2m_path_rinst(o, i, r, ri)
#define COUNT(a)        (sizeof(a) / sizeof((a)[0]))
#define S(lit)          (const uint8_t *)(lit), (sizeof(lit) - 1)

typedef int (*decode_fn)(const lwm2m_path *, const uint8_t *, size_t, const lwm2m_types *,
                         lwm2m_arena *, lwm2m_record_list *, lwm2m_codec_error *);
typedef int (*encode_fn)(const lwm2m_path *, const lwm2m_record *, size_t, lwm2m_buf *,
                         lwm2m_codec_error *);

static lwm2m_record rec(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r;
    memset(&r, 0, sizeof r);
    r.path = p;
    r.value = v;
    return r;
}

/* Decodes one record; the list starts with a sentinel so the restore on error shows. */
static int decode_with(decode_fn fn, const lwm2m_path *base, const uint8_t *in, size_t len,
                       const lwm2m_types *t, lwm2m_arena *arena, lwm2m_record *out,
                       lwm2m_codec_error *err)
{
    lwm2m_record items[3];
    lwm2m_record_list l = lwm2m_record_list_init(items, COUNT(items));
    lwm2m_path sp = lwm2m_path_obj(9);
    lwm2m_value sv = lwm2m_value_int(42);
    assert_int_equal(lwm2m_record_list_add(&l, &sp, &sv), LWM2M_OK);
    int rc = fn(base, in, len, t, arena, &l, err);
    if (rc == LWM2M_OK) {
        assert_int_equal(l.count, 2);
        assert_true(lwm2m_path_equal(&items[1].path, base));
        *out = items[1];
    } else {
        assert_int_equal(l.count, 1);
    }
    return rc;
}

static void expect_decoded(const lwm2m_path *base, const uint8_t *in, size_t len, lwm2m_value want)
{
    uint8_t mem[256];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_record got;
    lwm2m_codec_error err;
    int rc = decode_with(lwm2m_text_decode, base, in, len, &types, &arena, &got, &err);
    if (rc != LWM2M_OK)
        fail_msg("decode of \"%.*s\" failed: %d %s", (int)len, (const char *)in, rc, err.reason);
    if (!lwm2m_value_equal(&got.value, &want))
        fail_msg("decode of \"%.*s\": wrong value", (int)len, (const char *)in);
}

static void expect_text(const lwm2m_path *base, lwm2m_value v, const char *want)
{
    char buf[128];
    lwm2m_buf b = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_record r = rec(*base, v);
    lwm2m_codec_error err;
    int rc = lwm2m_text_encode(base, &r, 1, &b, &err);
    if (rc != LWM2M_OK)
        fail_msg("encode failed: %d %s", rc, err.reason);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(buf, want, b.len);
}

/* Both ways: the text decodes to `v` and `v` encodes to the text. */
static void expect_both(const lwm2m_path *base, const char *text, lwm2m_value v)
{
    expect_decoded(base, (const uint8_t *)text, strlen(text), v);
    expect_text(base, v, text);
}

static void expect_decode_error(const lwm2m_path *base, const uint8_t *in, size_t len, int want_rc,
                                size_t want_offset, const char *want_reason)
{
    uint8_t mem[256];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_record got;
    lwm2m_codec_error err = {999, NULL};
    int rc = decode_with(lwm2m_text_decode, base, in, len, &types, &arena, &got, &err);
    if (rc != want_rc)
        fail_msg("\"%.*s\": rc %d, want %d", (int)len, (const char *)in, rc, want_rc);
    assert_int_equal(err.offset, want_offset);
    assert_non_null(err.reason);
    if (want_reason)
        assert_string_equal(err.reason, want_reason);
    assert_int_equal(arena.used, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Text                                                                                       */

static void test_spec_manufacturer(void **state)
{
    (void)state;
    lwm2m_path base = P3(3, 0, 0);
    const char *text = "Open Mobile Alliance";
    lwm2m_record got;
    assert_int_equal(decode_with(lwm2m_text_decode, &base, (const uint8_t *)text, strlen(text),
                                 &types, NULL, &got, NULL),
                     LWM2M_OK);
    assert_int_equal(got.value.type, LWM2M_TYPE_STRING);
    /* Borrowed, not copied. */
    assert_ptr_equal(got.value.v.bytes.ptr, text);
    assert_int_equal(got.value.v.bytes.len, 20);
    expect_text(&base, got.value, text);
    /* Without a resolver text is a string too. */
    lwm2m_path unknown = P3(T_OBJ, 0, R_UNKNOWN);
    assert_int_equal(
        decode_with(lwm2m_text_decode, &unknown, (const uint8_t *)"12", 2, NULL, NULL, &got, NULL),
        LWM2M_OK);
    assert_int_equal(got.value.type, LWM2M_TYPE_STRING);
    expect_decoded(&unknown, S("12"), lwm2m_value_str("12"));
    /* A resolver answering garbage is treated as no answer. */
    lwm2m_path bad = P4(T_OBJ, 0, R_GARBAGE, 0);
    expect_decoded(&bad, S("x"), lwm2m_value_str("x"));
    lwm2m_path unknown_ri = P4(T_OBJ, 0, R_UNKNOWN, 0);
    expect_decoded(&unknown_ri, S("x"), lwm2m_value_str("x"));
}

static void test_integer(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_INT);
    expect_both(&b, "0", lwm2m_value_int(0));
    expect_both(&b, "-123", lwm2m_value_int(-123));
    expect_both(&b, "9223372036854775807", lwm2m_value_int(INT64_MAX));
    expect_both(&b, "-9223372036854775808", lwm2m_value_int(INT64_MIN));
    expect_decode_error(&b, S("9223372036854775808"), LWM2M_ERR_TYPE, 0, "integer out of range");
    expect_decode_error(&b, S("-9223372036854775809"), LWM2M_ERR_TYPE, 0, "integer out of range");
    static const char *const bad[] = {"", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "-", "1-", "abc"};
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k], strlen(bad[k]), LWM2M_ERR_TYPE, 0,
                            "not a decimal integer");
    expect_decode_error(&b, NULL, 0, LWM2M_ERR_TYPE, 0, "not a decimal integer");
    lwm2m_path t = P3(T_OBJ, 0, R_TIME);
    expect_both(&t, "1367491215", lwm2m_value_time(1367491215));
    expect_both(&t, "-1", lwm2m_value_time(-1));
    expect_decode_error(&t, S("1.5"), LWM2M_ERR_TYPE, 0, "not a decimal integer");
    /* Resource instances are typed by their resource. */
    lwm2m_path ri = P4(T_OBJ, 0, R_INT, 7);
    expect_both(&ri, "42", lwm2m_value_int(42));
}

static void test_unsigned(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_UINT);
    expect_both(&b, "0", lwm2m_value_uint(0));
    expect_both(&b, "18446744073709551615", lwm2m_value_uint(UINT64_MAX));
    expect_decode_error(&b, S("18446744073709551616"), LWM2M_ERR_TYPE, 0,
                        "unsigned integer out of range");
    expect_decode_error(&b, S("-1"), LWM2M_ERR_TYPE, 0, "not a decimal unsigned integer");
    expect_decode_error(&b, S(""), LWM2M_ERR_TYPE, 0, "not a decimal unsigned integer");
    expect_decode_error(&b, S("+1"), LWM2M_ERR_TYPE, 0, "not a decimal unsigned integer");
}

static void test_float(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_FLOAT);
    expect_both(&b, "0.5", lwm2m_value_float(0.5));
    expect_both(&b, "0.1", lwm2m_value_float(0.1));
    expect_both(&b, "-2.25", lwm2m_value_float(-2.25));
    expect_both(&b, "1e+300", lwm2m_value_float(1e300));
    expect_both(&b, "3", lwm2m_value_float(3.0));
    expect_decoded(&b, S("5"), lwm2m_value_float(5.0));
    expect_decoded(&b, S("1E3"), lwm2m_value_float(1000.0));
    expect_decoded(&b, S("-0"), lwm2m_value_float(-0.0));
    expect_decoded(&b, S("2.5e-3"), lwm2m_value_float(0.0025));
    expect_text(&b, lwm2m_value_float((double)0.1f), "0.10000000149011612");
    static const char *const bad[] = {"",   "1.",    ".5",  "+1", "NaN", "inf",
                                      "1e", "0x1p3", "1,5", " 1", "01"};
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k], strlen(bad[k]), LWM2M_ERR_TYPE, 0,
                            "not a number");
    expect_decode_error(&b, S("1e999"), LWM2M_ERR_TYPE, 0, "float out of range");
    /* Non-finite floats have no text form. */
    lwm2m_record r = rec(b, lwm2m_value_float(NAN));
    char buf[64];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_codec_error err;
    assert_int_equal(lwm2m_text_encode(&b, &r, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "float is not finite");
    r.value.v.f = INFINITY;
    assert_int_equal(lwm2m_text_encode(&b, &r, 1, &out, &err), LWM2M_ERR_INVALID);
}

static void test_boolean(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_BOOL);
    expect_both(&b, "1", lwm2m_value_bool(true));
    expect_both(&b, "0", lwm2m_value_bool(false));
    static const char *const bad[] = {"", "2", "true", "false", "01", "1 ", "-0"};
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k], strlen(bad[k]), LWM2M_ERR_TYPE, 0,
                            "boolean must be 0 or 1");
}

static void test_objlnk(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_OBJLNK);
    expect_both(&b, "3:0", lwm2m_value_objlnk(3, 0));
    expect_both(&b, "65535:65535", lwm2m_value_objlnk(65535, 65535));
    expect_both(&b, "0:65534", lwm2m_value_objlnk(0, 65534));
    static const char *const bad[] = {"",        "3",   "3:",   ":0",   "3:0:1", "65536:0",
                                      "0:65536", "a:b", "-1:0", "3 :0", "3:+0",  "3;0"};
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k], strlen(bad[k]), LWM2M_ERR_TYPE, 0,
                            "objlnk must be object:instance");
}

static void test_opaque_base64(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_OPAQUE);
    static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0xFB, 0xFF};
    expect_both(&b, "AQID", lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, bytes, 3));
    expect_both(&b, "AQ==", lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, bytes, 1));
    expect_both(&b, "AQI=", lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, bytes, 2));
    expect_both(&b, "AQID+/8=", lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, bytes, 5));
    expect_both(&b, "", lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 0));
    /* Unpadded input is accepted. */
    expect_decoded(&b, S("AQ"), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, bytes, 1));
    static const char *const bad[] = {"A",        "AQ=",  "AQ===", "A===", "AQID A",
                                      "AQ==AQ==", "AR==", "*AAA",  "="};
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k], strlen(bad[k]), LWM2M_ERR_TYPE, 0,
                            "invalid base64 for an opaque resource");

    /* The bytes go to the arena, exactly as many as decoded. */
    uint8_t mem[8];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_record got;
    assert_int_equal(decode_with(lwm2m_text_decode, &b, S("AQID"), &types, &arena, &got, NULL),
                     LWM2M_OK);
    assert_ptr_equal(got.value.v.bytes.ptr, mem);
    assert_int_equal(arena.used, 3);
    /* Arena too small: NOMEM, arena untouched. */
    lwm2m_arena small = lwm2m_arena_init(mem, 2);
    lwm2m_codec_error err;
    assert_int_equal(decode_with(lwm2m_text_decode, &b, S("AQID"), &types, &small, &got, &err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(small.used, 0);
    assert_int_equal(decode_with(lwm2m_text_decode, &b, S("AQID"), &types, NULL, &got, &err),
                     LWM2M_ERR_NOMEM);
    /* An empty value needs no arena. */
    assert_int_equal(decode_with(lwm2m_text_decode, &b, NULL, 0, &types, NULL, &got, &err),
                     LWM2M_OK);
    assert_int_equal(got.value.v.bytes.len, 0);
    /* A failure after allocation gives the space back. */
    arena = lwm2m_arena_init(mem, sizeof mem);
    assert_int_equal(decode_with(lwm2m_text_decode, &b, S("AQI*"), &types, &arena, &got, &err),
                     LWM2M_ERR_TYPE);
    assert_int_equal(arena.used, 0);
}

static void test_string_utf8(void **state)
{
    (void)state;
    lwm2m_path b = P3(T_OBJ, 0, R_STR);
    expect_both(&b, "", lwm2m_value_str(""));
    expect_both(&b, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
                lwm2m_value_str("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    expect_both(&b, "\xEF\xBF\xBF\xF4\x8F\xBF\xBF",
                lwm2m_value_str("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));
    expect_both(&b, "12", lwm2m_value_str("12"));
    /* Embedded NUL is a valid code point. */
    static const uint8_t nul[] = {'a', 0, 'b'};
    expect_decoded(&b, nul, 3, lwm2m_value_bytes(LWM2M_TYPE_STRING, nul, 3));
    static const struct {
        const char *s;
        size_t offset;
    } bad[] = {
        {"ab\x80", 2},           /* lone continuation */
        {"\xC0\x80", 0},         /* overlong NUL */
        {"\xC1\xBF", 0},         /* overlong */
        {"x\xE0\x80\x80", 1},    /* overlong 3-byte */
        {"xy\xED\xA0\x80", 2},   /* surrogate */
        {"\xF0\x80\x80\x80", 0}, /* overlong 4-byte */
        {"\xF4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 0}, /* never valid */
        {"\xFF", 0},             /* never valid */
        {"abc\xE2\x82", 3},      /* truncated at the end */
        {"\xE2\x28\xA1", 0},     /* bad continuation */
        {"ok\xF0\x9F\x98", 2},   /* truncated 4-byte */
        {"\xC3\xA9\xC3", 2},     /* truncated after a valid one */
    };
    for (size_t k = 0; k < COUNT(bad); k++)
        expect_decode_error(&b, (const uint8_t *)bad[k].s, strlen(bad[k].s), LWM2M_ERR_INVALID,
                            bad[k].offset, "invalid UTF-8 in string");
    /* Core links are taken as they are. */
    lwm2m_path c = P3(T_OBJ, 0, R_CORELNK);
    expect_both(&c, "</3/0>;ver=1.1", lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3/0>;ver=1.1", 14));
    expect_decoded(&c, S("\xFF"), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "\xFF", 1));
}

static void test_text_base_paths(void **state)
{
    (void)state;
    lwm2m_path bases[] = {lwm2m_path_root(), lwm2m_path_obj(3), lwm2m_path_inst(3, 0)};
    for (size_t k = 0; k < COUNT(bases); k++) {
        expect_decode_error(&bases[k], S("x"), LWM2M_ERR_INVALID, 0,
                            "text needs a single resource");
        lwm2m_record r = rec(P3(3, 0, 0), lwm2m_value_str("x"));
        char buf[8];
        lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
        lwm2m_codec_error err;
        assert_int_equal(lwm2m_text_encode(&bases[k], &r, 1, &out, &err), LWM2M_ERR_INVALID);
        assert_string_equal(err.reason, "text needs a single resource");
        assert_int_equal(out.len, 0);
    }
    /* The record list is full. */
    lwm2m_path b = P3(3, 0, 0);
    lwm2m_record items[1];
    lwm2m_record_list l = lwm2m_record_list_init(items, 0);
    lwm2m_codec_error err;
    assert_int_equal(lwm2m_text_decode(&b, S("x"), &types, NULL, &l, &err), LWM2M_ERR_NOMEM);
    assert_int_equal(l.count, 0);
    /* ... and the arena space for an opaque value is given back. */
    uint8_t mem[8];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_path ob = P3(T_OBJ, 0, R_OPAQUE);
    assert_int_equal(lwm2m_text_decode(&ob, S("AQID"), &types, &arena, &l, &err), LWM2M_ERR_NOMEM);
    assert_int_equal(arena.used, 0);
}

static void test_text_encode_errors(void **state)
{
    (void)state;
    lwm2m_path b = P3(3, 0, 0);
    lwm2m_record two[] = {rec(P3(3, 0, 0), lwm2m_value_str("a")),
                          rec(P3(3, 0, 0), lwm2m_value_str("b"))};
    char buf[32];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_codec_error err;
    assert_int_equal(lwm2m_text_encode(&b, two, 0, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "text needs exactly one record");
    assert_int_equal(lwm2m_text_encode(&b, two, 2, &out, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    lwm2m_record outside = rec(P3(3, 0, 1), lwm2m_value_str("a"));
    assert_int_equal(lwm2m_text_encode(&b, &outside, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record outside the request path");
    lwm2m_record multi = rec(P4(3, 0, 0, 0), lwm2m_value_str("a"));
    assert_int_equal(lwm2m_text_encode(&b, &multi, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "text needs a single resource");
    lwm2m_record empty = rec(P3(3, 0, 0), lwm2m_value_str(""));
    empty.value.type = LWM2M_TYPE_NONE;
    assert_int_equal(lwm2m_text_encode(&b, &empty, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record has no value");
    assert_int_equal(out.len, 0);

    /* Overflow reports the size needed, for every type. */
    lwm2m_value vals[] = {
        lwm2m_value_str("hello"),
        lwm2m_value_int(-12345),
        lwm2m_value_uint(UINT64_MAX),
        lwm2m_value_float(0.1),
        lwm2m_value_bool(true),
        lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "abcd", 4),
        lwm2m_value_time(1700000000),
        lwm2m_value_objlnk(65535, 1),
        lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</1>", 4),
    };
    const char *texts[] = {
        "hello",   "-12345", "18446744073709551615", "0.1", "1", "YWJjZA==", "1700000000",
        "65535:1", "</1>"};
    for (size_t k = 0; k < COUNT(vals); k++) {
        lwm2m_path p = P3(T_OBJ, 0, (uint16_t)k);
        lwm2m_record r = rec(p, vals[k]);
        size_t need = strlen(texts[k]);
        for (size_t cap = 0; cap < need; cap++) {
            char small[32];
            memset(small, '#', sizeof small);
            lwm2m_buf sb = lwm2m_buf_init(small, cap);
            assert_int_equal(lwm2m_text_encode(&p, &r, 1, &sb, NULL), LWM2M_ERR_OVERFLOW);
            assert_int_equal(sb.len, need);
            assert_memory_equal(small, texts[k], cap);
            assert_int_equal(small[cap], '#');
        }
        expect_both(&p, texts[k], vals[k]);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Opaque                                                                                     */

static void test_opaque_codec(void **state)
{
    (void)state;
    static const uint8_t fw[] = {0x00, 0xFF, 0x10, 0x80, 0x00};
    lwm2m_path b = P3(T_OBJ, 0, R_OPAQUE);
    lwm2m_record got;
    assert_int_equal(decode_with(lwm2m_opaque_decode, &b, fw, sizeof fw, &types, NULL, &got, NULL),
                     LWM2M_OK);
    assert_int_equal(got.value.type, LWM2M_TYPE_OPAQUE);
    assert_ptr_equal(got.value.v.bytes.ptr, fw); /* borrowed */
    assert_int_equal(got.value.v.bytes.len, sizeof fw);
    /* Unknown resource or no resolver: opaque. */
    lwm2m_path u = P4(T_OBJ, 0, R_UNKNOWN, 3);
    assert_int_equal(decode_with(lwm2m_opaque_decode, &u, fw, 2, &types, NULL, &got, NULL),
                     LWM2M_OK);
    assert_int_equal(decode_with(lwm2m_opaque_decode, &b, fw, 2, NULL, NULL, &got, NULL), LWM2M_OK);
    assert_int_equal(got.value.v.bytes.len, 2);
    assert_int_equal(decode_with(lwm2m_opaque_decode, &b, NULL, 0, &types, NULL, &got, NULL),
                     LWM2M_OK);
    assert_int_equal(got.value.v.bytes.len, 0);
    /* Any other declared type is refused. */
    lwm2m_codec_error err;
    for (uint16_t r = 0; r < COUNT(t_types); r++) {
        if (r == R_OPAQUE)
            continue;
        lwm2m_path p = P3(T_OBJ, 0, r);
        assert_int_equal(decode_with(lwm2m_opaque_decode, &p, fw, 1, &types, NULL, &got, &err),
                         LWM2M_ERR_TYPE);
        assert_string_equal(err.reason, "opaque format for a non-opaque resource");
    }
    /* Not a single resource. */
    lwm2m_path inst = lwm2m_path_inst(T_OBJ, 0);
    assert_int_equal(decode_with(lwm2m_opaque_decode, &inst, fw, 1, &types, NULL, &got, &err),
                     LWM2M_ERR_INVALID);
    lwm2m_record items[1];
    lwm2m_record_list l = lwm2m_record_list_init(items, 0);
    assert_int_equal(lwm2m_opaque_decode(&b, fw, 1, &types, NULL, &l, &err), LWM2M_ERR_NOMEM);
    assert_int_equal(l.count, 0);

    /* Encode: raw bytes of an opaque or string value. */
    uint8_t buf[16];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_record r = rec(b, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, fw, sizeof fw));
    assert_int_equal(lwm2m_opaque_encode(&b, &r, 1, &out, NULL), LWM2M_OK);
    assert_int_equal(out.len, sizeof fw);
    assert_memory_equal(buf, fw, sizeof fw);
    out = lwm2m_buf_init(buf, sizeof buf);
    r = rec(b, lwm2m_value_str("txt"));
    assert_int_equal(lwm2m_opaque_encode(&b, &r, 1, &out, NULL), LWM2M_OK);
    assert_int_equal(out.len, 3);
    assert_memory_equal(buf, "txt", 3);
    for (size_t cap = 0; cap < sizeof fw; cap++) {
        out = lwm2m_buf_init(buf, cap);
        r = rec(b, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, fw, sizeof fw));
        assert_int_equal(lwm2m_opaque_encode(&b, &r, 1, &out, NULL), LWM2M_ERR_OVERFLOW);
        assert_int_equal(out.len, sizeof fw);
    }
    out = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_value bad_vals[] = {lwm2m_value_int(1), lwm2m_value_bool(true),
                              lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</1>", 4),
                              lwm2m_value_objlnk(1, 2)};
    for (size_t k = 0; k < COUNT(bad_vals); k++) {
        r = rec(b, bad_vals[k]);
        assert_int_equal(lwm2m_opaque_encode(&b, &r, 1, &out, &err), LWM2M_ERR_INVALID);
        assert_string_equal(err.reason, "opaque format needs an opaque value");
    }
    r = rec(P3(T_OBJ, 0, R_STR), lwm2m_value_str("x"));
    assert_int_equal(lwm2m_opaque_encode(&b, &r, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "record outside the request path");
    assert_int_equal(lwm2m_opaque_encode(&b, &r, 0, &out, &err), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_opaque_encode(&inst, &r, 1, &out, &err), LWM2M_ERR_INVALID);
    lwm2m_record ri = rec(P4(T_OBJ, 0, R_OPAQUE, 0), lwm2m_value_str("x"));
    assert_int_equal(lwm2m_opaque_encode(&b, &ri, 1, &out, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "opaque needs a single resource");
    assert_int_equal(out.len, 0);
    /* At a resource instance. */
    lwm2m_path rip = ri.path;
    assert_int_equal(lwm2m_opaque_encode(&rip, &ri, 1, &out, NULL), LWM2M_OK);
    assert_int_equal(out.len, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_manufacturer), cmocka_unit_test(test_integer),
        cmocka_unit_test(test_unsigned),          cmocka_unit_test(test_float),
        cmocka_unit_test(test_boolean),           cmocka_unit_test(test_objlnk),
        cmocka_unit_test(test_opaque_base64),     cmocka_unit_test(test_string_utf8),
        cmocka_unit_test(test_text_base_paths),   cmocka_unit_test(test_text_encode_errors),
        cmocka_unit_test(test_opaque_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
