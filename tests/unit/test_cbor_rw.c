/* Unit tests for the CBOR reader/writer (src/codec/cbor_rw.c). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec/cbor_rw.h"
#include "core/utf8.h"
#include "lwm2m/error.h"

/* Hex text ("a1 02") to bytes; returns the length. */
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

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Reads one head from hex; returns the reader's code. */
static int read_hex(const char *hex, lwm2m_cbor_item *it, lwm2m_cbor_reader *r, uint8_t *buf,
                    size_t cap)
{
    size_t n = unhex(hex, buf, cap);
    lwm2m_cbor_reader_init(r, buf, n);
    return lwm2m_cbor_read(r, it);
}

static void test_read_integers(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        lwm2m_cbor_kind kind;
        uint64_t val;
        size_t size;
    } cases[] = {
        {"00", LWM2M_CBOR_UINT, 0, 1},
        {"17", LWM2M_CBOR_UINT, 23, 1},
        {"1818", LWM2M_CBOR_UINT, 24, 2},
        {"18ff", LWM2M_CBOR_UINT, 255, 2},
        {"190100", LWM2M_CBOR_UINT, 256, 3},
        {"1a00010000", LWM2M_CBOR_UINT, 65536, 5},
        {"1b0000000100000000", LWM2M_CBOR_UINT, 4294967296u, 9},
        {"1bffffffffffffffff", LWM2M_CBOR_UINT, UINT64_MAX, 9},
        {"20", LWM2M_CBOR_NINT, 0, 1},
        {"3863", LWM2M_CBOR_NINT, 99, 2},
        /* Non-minimal heads are accepted. */
        {"1800", LWM2M_CBOR_UINT, 0, 2},
        {"1b0000000000000001", LWM2M_CBOR_UINT, 1, 9},
        {"c1", LWM2M_CBOR_TAG, 1, 1},
        {"d818", LWM2M_CBOR_TAG, 24, 2},
        {"f4", LWM2M_CBOR_SIMPLE, LWM2M_CBOR_FALSE, 1},
        {"f5", LWM2M_CBOR_SIMPLE, LWM2M_CBOR_TRUE, 1},
        {"f6", LWM2M_CBOR_SIMPLE, LWM2M_CBOR_NULL, 1},
        {"f7", LWM2M_CBOR_SIMPLE, LWM2M_CBOR_UNDEFINED, 1},
        {"f820", LWM2M_CBOR_SIMPLE, 32, 2},
        {"e0", LWM2M_CBOR_SIMPLE, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        lwm2m_cbor_reader r;
        lwm2m_cbor_item it;
        assert_int_equal(read_hex(cases[i].hex, &it, &r, buf, sizeof buf), LWM2M_OK);
        assert_int_equal(it.kind, cases[i].kind);
        assert_true(it.val == cases[i].val);
        assert_int_equal(r.pos, cases[i].size);
        assert_int_equal(it.offset, 0);
        assert_false(it.indefinite);
    }
}

static void test_read_malformed_heads(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "1c",
        "1d",
        "1e", /* reserved additional information */
        "3c",
        "5d",
        "fe", /* the same on other major types */
        "1f",
        "3f",
        "df", /* indefinite integers and tags */
        "ff", /* a break where an item is expected */
        "f800",
        "f81f", /* two-byte simple values below 32 */
        "",     /* nothing */
        "18",
        "19ff",
        "1a000000",
        "1b00000000000000", /* truncated arguments */
        "f9",
        "fa0000",
        "fb00000000000000", /* truncated floats */
        "41",
        "62ff",
        "5a00000001",
        "7b0000000000000001", /* strings longer than the input */
        "81",
        "8a00",
        "a1",
        "a200ff",
        "9bffffffffffffffff", /* counts beyond the input */
        "b9ffff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[16];
        lwm2m_cbor_reader r;
        lwm2m_cbor_item it;
        assert_int_equal(read_hex(bad[i], &it, &r, buf, sizeof buf), LWM2M_ERR_INVALID);
        assert_non_null(r.reason);
        assert_int_equal(r.err_pos, 0);
        assert_int_equal(r.pos, 0);
        /* The first error sticks. */
        assert_int_equal(lwm2m_cbor_read(&r, &it), LWM2M_ERR_INVALID);
    }
}

static void test_read_floats(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        uint64_t bits;
    } cases[] = {
        {"f93e00", 0x3FF8000000000000ull},             /* 1.5 */
        {"f90000", 0x0000000000000000ull},             /* 0.0 */
        {"f98000", 0x8000000000000000ull},             /* -0.0 */
        {"f97bff", 0x40EFFC0000000000ull},             /* 65504 */
        {"f90001", 0x3E70000000000000ull},             /* 2^-24, smallest half subnormal */
        {"f903ff", 0x3F0FF80000000000ull},             /* largest half subnormal */
        {"f90400", 0x3F10000000000000ull},             /* 2^-14 */
        {"f9c400", 0xC010000000000000ull},             /* -4.0 */
        {"f97c00", 0x7FF0000000000000ull},             /* inf */
        {"f9fc00", 0xFFF0000000000000ull},             /* -inf */
        {"f97e00", 0x7FF8000000000000ull},             /* NaN */
        {"f97c01", 0x7FF0040000000000ull},             /* signalling NaN payload kept */
        {"fa7f7fffff", 0x47EFFFFFE0000000ull},         /* FLT_MAX */
        {"fa00000001", 0x36A0000000000000ull},         /* 2^-149 */
        {"fa47c35000", 0x40F86A0000000000ull},         /* 100000 */
        {"fa7fc00001", 0x7FF8000020000000ull},         /* NaN payload */
        {"fb3fb999999999999a", 0x3FB999999999999Aull}, /* 0.1 */
        {"fb7ff8000000000001", 0x7FF8000000000001ull}, /* NaN payload */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        lwm2m_cbor_reader r;
        lwm2m_cbor_item it;
        assert_int_equal(read_hex(cases[i].hex, &it, &r, buf, sizeof buf), LWM2M_OK);
        assert_int_equal(it.kind, LWM2M_CBOR_FLOAT);
        assert_true(bits_of(it.f) == cases[i].bits);
        assert_int_equal(r.pos, r.len);
    }
}

static void test_read_strings(void **state)
{
    (void)state;
    uint8_t buf[64], mem[32];
    lwm2m_cbor_reader r;
    lwm2m_cbor_item it;
    lwm2m_bytes s;
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);

    /* Definite: borrowed from the input. */
    assert_int_equal(read_hex("6449455446", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(it.kind, LWM2M_CBOR_TEXT);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_OK);
    assert_int_equal(s.len, 4);
    assert_ptr_equal(s.ptr, buf + 1);
    assert_memory_equal(s.ptr, "IETF", 4);

    /* Indefinite with one non-empty chunk: still borrowed, no arena needed. */
    assert_int_equal(read_hex("5f 40 43 010203 40 ff 00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_true(it.indefinite);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_OK);
    assert_int_equal(s.len, 3);
    assert_ptr_equal(s.ptr, buf + 3);
    assert_int_equal(r.pos, 8);

    /* Empty indefinite string. */
    assert_int_equal(read_hex("7fff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_OK);
    assert_int_equal(s.len, 0);
    assert_int_equal(r.pos, 2);

    /* Two chunks: gathered into the arena. */
    assert_int_equal(read_hex("7f 657374726561 646d696e67 ff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, &arena, &s), LWM2M_OK);
    assert_int_equal(s.len, 9);
    assert_memory_equal(s.ptr, "streaming", 9);
    assert_true(s.ptr >= mem && s.ptr < mem + sizeof mem);
    assert_int_equal(arena.used, 9);
    assert_int_equal(r.pos, r.len);

    /* ... which needs an arena. */
    assert_int_equal(read_hex("7f 6161 6162 ff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_ERR_NOMEM);
    lwm2m_arena tiny = lwm2m_arena_init(mem, 1);
    assert_int_equal(read_hex("7f 6161 6162 ff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, &tiny, &s), LWM2M_ERR_NOMEM);
    assert_int_equal(r.err_pos, 0);

    static const char *const bad[] = {
        "5f 6161 ff",         /* text chunk in a byte string */
        "7f 4161 ff",         /* byte chunk in a text string */
        "7f 7f6161ff ff",     /* nested indefinite chunk */
        "7f 6161",            /* no break */
        "7f 01 ff",           /* not a string at all */
        "5f 42 00",           /* chunk longer than the input */
        "62 c0 80",           /* overlong UTF-8 */
        "63 eda080",          /* surrogate */
        "64 f4908080",        /* above U+10FFFF */
        "62 e282",            /* truncated sequence */
        "61 ff",              /* never valid */
        "7f 61e2 62 82ac ff", /* a code point split across chunks (RFC 8949 §3.2.3) */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        arena.used = 0;
        int rc = read_hex(bad[i], &it, &r, buf, sizeof buf);
        if (rc == LWM2M_OK)
            rc = lwm2m_cbor_read_string(&r, &it, &arena, &s);
        assert_int_equal(rc, LWM2M_ERR_INVALID);
        assert_non_null(r.reason);
    }
    /* Valid multi-byte UTF-8 passes. */
    assert_int_equal(read_hex("69 c3bc e282ac f09f9880", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_OK);
    assert_int_equal(s.len, 9);
    /* Byte strings are not checked for UTF-8. */
    assert_int_equal(read_hex("42 ff fe", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read_string(&r, &it, NULL, &s), LWM2M_OK);
}

static void test_iterate_containers(void **state)
{
    (void)state;
    uint8_t buf[64];
    lwm2m_cbor_reader r;
    lwm2m_cbor_item it, el;
    lwm2m_cbor_iter iter;

    /* [_ 1, [2, 3], 4] */
    assert_int_equal(read_hex("9f 01 82 02 03 04 ff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(it.kind, LWM2M_CBOR_ARRAY);
    assert_true(it.indefinite);
    lwm2m_cbor_iter_init(&iter, &it);
    uint64_t seen[4];
    size_t n = 0;
    int rc;
    while ((rc = lwm2m_cbor_iter_next(&r, &iter, &el)) == 1) {
        assert_true(n < 4);
        seen[n++] = el.val;
        if (el.kind == LWM2M_CBOR_ARRAY)
            assert_int_equal(lwm2m_cbor_skip(&r, &el, 1, false), LWM2M_OK);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 3);
    assert_true(seen[0] == 1 && seen[1] == 2 && seen[2] == 4);
    assert_int_equal(r.pos, r.len);

    /* {1: 2} definite: one key, then the value by plain read. */
    assert_int_equal(read_hex("a1 01 02", &it, &r, buf, sizeof buf), LWM2M_OK);
    lwm2m_cbor_iter_init(&iter, &it);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), 1);
    assert_int_equal(lwm2m_cbor_read(&r, &el), LWM2M_OK);
    assert_true(el.val == 2);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), 0);

    /* A break inside a definite array is an error; a missing break is truncation. */
    assert_int_equal(read_hex("82 01 ff", &it, &r, buf, sizeof buf), LWM2M_OK);
    lwm2m_cbor_iter_init(&iter, &it);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), 1);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), LWM2M_ERR_INVALID);
    assert_int_equal(r.err_pos, 2);
    assert_int_equal(read_hex("9f 01", &it, &r, buf, sizeof buf), LWM2M_OK);
    lwm2m_cbor_iter_init(&iter, &it);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), 1);
    assert_int_equal(lwm2m_cbor_iter_next(&r, &iter, &el), LWM2M_ERR_INVALID);
}

static void test_skip(void **state)
{
    (void)state;
    uint8_t buf[64];
    lwm2m_cbor_reader r;
    lwm2m_cbor_item it;

    /* {_ "a": [1, {2: h'00'}], "b": (_ "x", "y")} then 07 */
    const char *hex = "bf 6161 82 01 a1 02 4100 6162 7f 6178 6179 ff ff 07";
    assert_int_equal(read_hex(hex, &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_skip(&r, &it, 3, false), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_read(&r, &it), LWM2M_OK);
    assert_true(it.val == 7);

    /* Depth bound: [[[0]]] needs 3. */
    assert_int_equal(read_hex("81 81 81 00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_skip(&r, &it, 2, false), LWM2M_ERR_INVALID);
    assert_string_equal(r.reason, "cbor nesting too deep");
    assert_int_equal(read_hex("81 81 81 00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_skip(&r, &it, 3, false), LWM2M_OK);

    /* Tags: refused or skipped on request. */
    assert_int_equal(read_hex("81 c1 00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_skip(&r, &it, 4, false), LWM2M_ERR_INVALID);
    assert_string_equal(r.reason, "unsupported cbor tag");
    assert_int_equal(r.err_pos, 1);
    assert_int_equal(read_hex("81 c1 00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_skip(&r, &it, 4, true), LWM2M_OK);
    assert_int_equal(r.pos, 3);

    /* Truncated containers. */
    static const char *const bad[] = {"82 00", "a1 00", "bf 00 00", "9f", "7f 6161", "c1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = read_hex(bad[i], &it, &r, buf, sizeof buf);
        if (rc == LWM2M_OK)
            rc = lwm2m_cbor_skip(&r, &it, 4, true);
        assert_int_equal(rc, LWM2M_ERR_INVALID);
    }
}

static void test_numbers(void **state)
{
    (void)state;
    uint8_t buf[16];
    lwm2m_cbor_reader r;
    lwm2m_cbor_item it;
    lwm2m_value v;
    double d;

    assert_int_equal(read_hex("1bffffffffffffffff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_UNSIGNED);
    assert_true(v.v.u == UINT64_MAX);
    assert_int_equal(read_hex("1b7fffffffffffffff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_INTEGER);
    assert_true(v.v.i == INT64_MAX);
    assert_int_equal(read_hex("3b7fffffffffffffff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_OK);
    assert_true(v.v.i == INT64_MIN);
    assert_int_equal(read_hex("3b8000000000000000", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_ERR_RANGE);
    assert_int_equal(lwm2m_cbor_number_double(&it, &d), LWM2M_OK);
    assert_true(d == -9223372036854775809.0);
    /* Regression (fuzz_senml_cbor): -1 - n must round once; -12610078956638366 is exact. */
    assert_int_equal(read_hex("3b002cccccccccd09d", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number_double(&it, &d), LWM2M_OK);
    assert_true(d == -12610078956638366.0);
    assert_int_equal(read_hex("3bffffffffffffffff", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number_double(&it, &d), LWM2M_OK);
    assert_true(d == -18446744073709551616.0);
    assert_int_equal(read_hex("f93e00", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_true(v.v.f == 1.5);
    assert_int_equal(read_hex("6161", &it, &r, buf, sizeof buf), LWM2M_OK);
    assert_int_equal(lwm2m_cbor_number(&it, &v), LWM2M_ERR_TYPE);
    assert_int_equal(lwm2m_cbor_number_double(&it, &d), LWM2M_ERR_TYPE);
}

/* Output bytes of one writer call, compared with hex. */
#define EXPECT_PUT(call, hex)                                                                      \
    do {                                                                                           \
        uint8_t out_[32], want_[32];                                                               \
        lwm2m_buf b = lwm2m_buf_init(out_, sizeof out_);                                           \
        call;                                                                                      \
        size_t n_ = unhex(hex, want_, sizeof want_);                                               \
        assert_int_equal(b.len, n_);                                                               \
        assert_memory_equal(out_, want_, n_);                                                      \
    } while (0)

static void test_write_heads(void **state)
{
    (void)state;
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 0), "00");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 23), "17");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 24), "1818");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 255), "18ff");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 256), "190100");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 65535), "19ffff");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 65536), "1a00010000");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 4294967295u), "1affffffff");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, 4294967296u), "1b0000000100000000");
    EXPECT_PUT(lwm2m_cbor_put_uint(&b, UINT64_MAX), "1bffffffffffffffff");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, -1), "20");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, -24), "37");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, -25), "3818");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, -1000), "3903e7");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, INT64_MIN), "3b7fffffffffffffff");
    EXPECT_PUT(lwm2m_cbor_put_int(&b, INT64_MAX), "1b7fffffffffffffff");
    EXPECT_PUT(lwm2m_cbor_put_text(&b, "IETF", 4), "6449455446");
    EXPECT_PUT(lwm2m_cbor_put_bytes(&b, "\x01\x02", 2), "420102");
    EXPECT_PUT(lwm2m_cbor_put_bytes(&b, NULL, 0), "40");
    EXPECT_PUT(lwm2m_cbor_put_array(&b, 25), "9819");
    EXPECT_PUT(lwm2m_cbor_put_map(&b, 1), "a1");
    EXPECT_PUT(lwm2m_cbor_put_tag(&b, 1), "c1");
    EXPECT_PUT(lwm2m_cbor_put_bool(&b, true), "f5");
    EXPECT_PUT(lwm2m_cbor_put_bool(&b, false), "f4");
}

static void test_write_floats(void **state)
{
    (void)state;
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 1.5), "f93e00");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 0.1), "fb3fb999999999999a");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 3.4028234663852886e38), "fa7f7fffff");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 0.0), "f90000");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, -0.0), "f98000");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 65504.0), "f97bff");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 65505.0), "fa477fe100");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 5.960464477539063e-8), "f90001");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 6.103515625e-05), "f90400");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, ldexp(1.0, -25)), "fa33000000");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 1.401298464324817e-45), "fa00000001");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 100000.0), "fa47c35000");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, -4.1), "fbc010666666666666");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 1.0e300), "fb7e37e43c8800759c");
    /* FLT_MAX plus half an ulp: no longer a single. */
    EXPECT_PUT(lwm2m_cbor_put_float(&b, double_of(0x47EFFFFFF0000000ull)), "fb47effffff0000000");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, 4.9406564584124654e-324), "fb0000000000000001");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, INFINITY), "f97c00");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, -INFINITY), "f9fc00");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, double_of(0x7FF8000000000000ull)), "f97e00");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, double_of(0x7FF0040000000000ull)), "f97c01");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, double_of(0x7FF8000020000000ull)), "fa7fc00001");
    EXPECT_PUT(lwm2m_cbor_put_float(&b, double_of(0x7FF8000000000001ull)), "fb7ff8000000000001");
    /* Numbers: integral ones as integers (except -0). */
    EXPECT_PUT(lwm2m_cbor_put_number(&b, 1367491215.0), "1a5182428f");
    EXPECT_PUT(lwm2m_cbor_put_number(&b, -5.0), "24");
    EXPECT_PUT(lwm2m_cbor_put_number(&b, 0.5), "f93800");
    EXPECT_PUT(lwm2m_cbor_put_number(&b, -0.0), "f98000");
    EXPECT_PUT(lwm2m_cbor_put_number(&b, 1e19), "fb43e158e460913d00");
    EXPECT_PUT(lwm2m_cbor_put_number(&b, -9223372036854775808.0), "3b7fffffffffffffff");
}

/* Every double written reads back with the same bits. */
static void test_float_round_trip(void **state)
{
    (void)state;
    const uint64_t patterns[] = {
        0x0000000000000000ull, 0x8000000000000000ull, 0x3FF0000000000000ull, 0x3FF8000000000000ull,
        0x3FB999999999999Aull, 0x47EFFFFFE0000000ull, 0x36A0000000000000ull, 0x36A8000000000000ull,
        0x3E70000000000000ull, 0x3E78000000000000ull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
        0x7FF8000000000000ull, 0xFFF8000000000000ull, 0x7FF0000000000001ull, 0x7FF4000000000000ull,
        0x0000000000000001ull, 0x800FFFFFFFFFFFFFull, 0x7FEFFFFFFFFFFFFFull, 0x3810000000000000ull,
        0x380FFFFFC0000000ull, 0x3F0FF80000000000ull, 0x40EFFC0000000000ull, 0x40EFFE0000000000ull,
    };
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        uint8_t out[16];
        lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
        lwm2m_cbor_put_float(&b, double_of(patterns[i]));
        lwm2m_cbor_reader r;
        lwm2m_cbor_item it;
        lwm2m_cbor_reader_init(&r, out, b.len);
        assert_int_equal(lwm2m_cbor_read(&r, &it), LWM2M_OK);
        assert_int_equal(it.kind, LWM2M_CBOR_FLOAT);
        assert_true(bits_of(it.f) == patterns[i]);
        assert_int_equal(r.pos, b.len);
    }
    /* A sweep over halves: each of the 65536 patterns is written back in two bytes. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        uint8_t in[3] = {0xF9, (uint8_t)(h >> 8), (uint8_t)h}, out[16];
        lwm2m_cbor_reader r;
        lwm2m_cbor_item it;
        lwm2m_cbor_reader_init(&r, in, 3);
        assert_int_equal(lwm2m_cbor_read(&r, &it), LWM2M_OK);
        lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
        lwm2m_cbor_put_float(&b, it.f);
        assert_int_equal(b.len, 3);
        assert_memory_equal(out, in, 3);
    }
}

static void test_writer_overflow(void **state)
{
    (void)state;
    uint8_t out[4];
    lwm2m_buf b = lwm2m_buf_init(out, sizeof out);
    lwm2m_cbor_put_text(&b, "hello", 5);
    assert_true(lwm2m_buf_overflowed(&b));
    assert_int_equal(b.len, 6);
    assert_memory_equal(out, "\x65hel", 4);
    lwm2m_cbor_put_float(&b, 0.1);
    assert_int_equal(b.len, 15);
}

static void test_helpers(void **state)
{
    (void)state;
    lwm2m_objlnk l;
    char s[12];
    assert_int_equal(lwm2m_cbor_objlnk_parse((const uint8_t *)"3:0", 3, &l), LWM2M_OK);
    assert_true(l.obj == 3 && l.inst == 0);
    assert_int_equal(lwm2m_cbor_objlnk_parse((const uint8_t *)"65535:65535", 11, &l), LWM2M_OK);
    assert_true(l.obj == 65535 && l.inst == 65535);
    assert_int_equal(lwm2m_cbor_objlnk_parse((const uint8_t *)"FFFF:FFFF", 9, &l), LWM2M_OK);
    assert_true(l.obj == 65535 && l.inst == 65535);
    static const char *const bad[] = {"",        ":",    "3:",  ":0",   "3",    "3:0:1",
                                      "65536:0", "-1:0", "a:b", " 3:0", "3:0 ", "123456:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lwm2m_cbor_objlnk_parse((const uint8_t *)bad[i], strlen(bad[i]), &l),
                         LWM2M_ERR_INVALID);
    lwm2m_objlnk f = {65535, 0};
    assert_int_equal(lwm2m_cbor_objlnk_format(f, s), 7);
    assert_string_equal(s, "65535:0");
    assert_true(lwm2m_utf8_valid((const uint8_t *)"", 0));
    assert_true(lwm2m_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xc1\xbf", 2));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xe0\x9f\xbf", 3));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xf0\x8f\xbf\xbf", 4));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xf5\x80\x80\x80", 4));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\x80", 1));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"a\xc3", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_integers),
        cmocka_unit_test(test_read_malformed_heads),
        cmocka_unit_test(test_read_floats),
        cmocka_unit_test(test_read_strings),
        cmocka_unit_test(test_iterate_containers),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_write_heads),
        cmocka_unit_test(test_write_floats),
        cmocka_unit_test(test_float_round_trip),
        cmocka_unit_test(test_writer_overflow),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
