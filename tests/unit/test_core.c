/* Core: paths, values, buffers, arenas, numbers and base64 as text. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/numtext.h"
#include "lwm2m/buf.h"
#include "lwm2m/error.h"
#include "lwm2m/path.h"
#include "lwm2m/record.h"
#include "lwm2m/value.h"

static int parse(const char *s, lwm2m_path *p)
{
    return lwm2m_path_parse(s, strlen(s), p);
}

static void test_path_parse_valid(void **state)
{
    (void)state;
    lwm2m_path p;
    assert_int_equal(parse("/", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(parse("/3", &p), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(parse("/3/0/7/1", &p), 0);
    assert_int_equal(p.len, 4);
    assert_int_equal(p.id[0], 3);
    assert_int_equal(p.id[3], 1);
    assert_int_equal(parse("/65534/65534/65534/65534", &p), 0);
    assert_int_equal(p.id[2], 65534);
    char buf[LWM2M_PATH_STR_MAX];
    assert_int_equal(lwm2m_path_format(&p, buf, sizeof buf), 24);
    assert_string_equal(buf, "/65534/65534/65534/65534");
    lwm2m_path root = lwm2m_path_root();
    assert_int_equal(lwm2m_path_format(&root, buf, sizeof buf), 1);
    assert_string_equal(buf, "/");
    /* snprintf semantics when the buffer is short. */
    char small[4];
    lwm2m_path r = lwm2m_path_res(3, 0, 13);
    assert_int_equal(lwm2m_path_format(&r, small, sizeof small), 7);
    assert_string_equal(small, "/3/");
}

static void test_path_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "3",          "//",    "/3/",  "/3//0",
                                      "/a",  "/3/0x",      "/-1",   "/+1",  "/3 ",
                                      " /3", "/1/2/3/4/5", "/3/0/", "/1.0", "3/0"};
    lwm2m_path p = lwm2m_path_obj(9);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], &p);
        if (rc == 0)
            fail_msg("accepted malformed path '%s'", bad[i]);
        assert_int_equal(rc, LWM2M_ERR_INVALID);
    }
    assert_int_equal(parse("/65535", &p), LWM2M_ERR_RANGE);
    assert_int_equal(parse("/3/65536", &p), LWM2M_ERR_RANGE);
    assert_int_equal(parse("/3/0/1/1000000", &p), LWM2M_ERR_RANGE);
    assert_int_equal(lwm2m_path_parse(NULL, 0, &p), LWM2M_ERR_INVALID);
    /* Failed parses leave the output untouched. */
    assert_int_equal(p.len, 1);
    assert_int_equal(p.id[0], 9);
}

static void test_path_segments_and_relations(void **state)
{
    (void)state;
    const char *segs[] = {"3", "0", "13"};
    size_t lens[] = {1, 1, 2};
    lwm2m_path p;
    assert_int_equal(lwm2m_path_from_segments(segs, lens, 3, &p), 0);
    lwm2m_path want = lwm2m_path_res(3, 0, 13);
    assert_true(lwm2m_path_equal(&p, &want));
    const char *bad[] = {"3", ""};
    size_t bad_lens[] = {1, 0};
    assert_int_equal(lwm2m_path_from_segments(bad, bad_lens, 2, &p), LWM2M_ERR_INVALID);
    lwm2m_path root = lwm2m_path_root(), obj = lwm2m_path_obj(3), inst = lwm2m_path_inst(3, 0);
    lwm2m_path other = lwm2m_path_inst(3, 1);
    assert_true(lwm2m_path_is_prefix(&root, &want));
    assert_true(lwm2m_path_is_prefix(&obj, &want));
    assert_true(lwm2m_path_is_prefix(&inst, &want));
    assert_false(lwm2m_path_is_prefix(&other, &want));
    assert_false(lwm2m_path_is_prefix(&want, &inst));
    assert_true(lwm2m_path_compare(&inst, &want) < 0);
    assert_true(lwm2m_path_compare(&want, &other) < 0);
    assert_int_equal(lwm2m_path_compare(&want, &p), 0);
    lwm2m_path t = lwm2m_path_truncate(&want, 2);
    assert_true(lwm2m_path_equal(&t, &inst));
    lwm2m_path full = lwm2m_path_rinst(1, 2, 3, 4);
    assert_int_equal(lwm2m_path_append(&full, 5), LWM2M_ERR_RANGE);
    assert_int_equal(lwm2m_path_append(&t, 13), 0);
    assert_true(lwm2m_path_equal(&t, &want));
}

static void test_value_convert(void **state)
{
    (void)state;
    lwm2m_value in = lwm2m_value_int(5), out;
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_UNSIGNED, &out), 0);
    assert_int_equal(out.type, LWM2M_TYPE_UNSIGNED);
    assert_int_equal(out.v.u, 5);
    in = lwm2m_value_int(-1);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_UNSIGNED, &out), LWM2M_ERR_RANGE);
    in = lwm2m_value_float(3.0);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_INTEGER, &out), 0);
    assert_int_equal(out.v.i, 3);
    in = lwm2m_value_float(3.5);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_INTEGER, &out), LWM2M_ERR_TYPE);
    in = lwm2m_value_float(1e30);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_INTEGER, &out), LWM2M_ERR_RANGE);
    in = lwm2m_value_uint(UINT64_MAX);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_INTEGER, &out), LWM2M_ERR_RANGE);
    in = lwm2m_value_int(1);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_BOOLEAN, &out), 0);
    assert_true(out.v.b);
    in = lwm2m_value_int(2);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_BOOLEAN, &out), LWM2M_ERR_TYPE);
    in = lwm2m_value_str("</3/0>");
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_CORELNK, &out), 0);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_INTEGER, &out), LWM2M_ERR_TYPE);
    in = lwm2m_value_bool(true);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_STRING, &out), LWM2M_ERR_TYPE);
    in = lwm2m_value_int(1367491215);
    assert_int_equal(lwm2m_value_convert(&in, LWM2M_TYPE_TIME, &out), 0);
    assert_int_equal(out.type, LWM2M_TYPE_TIME);
    assert_int_equal(out.v.i, 1367491215);

    lwm2m_value a = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x01\x02", 2);
    lwm2m_value b = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x01\x02", 2);
    assert_true(lwm2m_value_equal(&a, &b));
    b.v.bytes.len = 1;
    assert_false(lwm2m_value_equal(&a, &b));
    a = lwm2m_value_objlnk(3, 0);
    b = lwm2m_value_objlnk(3, 1);
    assert_false(lwm2m_value_equal(&a, &b));
    assert_int_equal(lwm2m_type_from_name("Unsigned Integer", 16), LWM2M_TYPE_UNSIGNED);
    assert_int_equal(lwm2m_type_from_name("Objlnk", 6), LWM2M_TYPE_OBJLNK);
    assert_int_equal(lwm2m_type_from_name("", 0), LWM2M_TYPE_NONE);
    assert_int_equal(lwm2m_type_from_name("Strin", 5), LWM2M_TYPE_NONE);
}

static void test_buf_and_arena(void **state)
{
    (void)state;
    uint8_t mem[4];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_buf_puts(&b, "abc");
    assert_false(lwm2m_buf_overflowed(&b));
    lwm2m_buf_puts(&b, "defg");
    assert_true(lwm2m_buf_overflowed(&b));
    assert_int_equal(b.len, 7);
    assert_memory_equal(mem, "abcd", 4);
    char big[300];
    lwm2m_buf c = lwm2m_buf_init(big, sizeof big);
    assert_int_equal(lwm2m_buf_printf(&c, "%0200d|", 7), 0);
    assert_int_equal(c.len, 201);
    assert_int_equal(big[200], '|');

    uint8_t amem[16];
    lwm2m_arena a = lwm2m_arena_init(amem, sizeof amem);
    assert_non_null(lwm2m_arena_alloc(&a, 3, 1));
    void *aligned = lwm2m_arena_alloc(&a, 4, 4);
    assert_non_null(aligned);
    assert_int_equal((uintptr_t)aligned % 4, 0);
    assert_null(lwm2m_arena_alloc(&a, 100, 1));
    assert_null(lwm2m_arena_alloc(&a, SIZE_MAX, 1));
    lwm2m_arena_reset(&a);
    assert_non_null(lwm2m_arena_dup(&a, "0123456789abcdef", 16));
    assert_null(lwm2m_arena_alloc(&a, 1, 1));
}

static void test_numbers_as_text(void **state)
{
    (void)state;
    char buf[LWM2M_DOUBLE_STR_MAX];
    assert_int_equal(lwm2m_fmt_double(1.0, buf, sizeof buf), 1);
    assert_string_equal(buf, "1");
    lwm2m_fmt_double(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    lwm2m_fmt_double(-2.5e-300, buf, sizeof buf);
    assert_string_equal(buf, "-2.5e-300");
    lwm2m_fmt_double(1.0 / 3.0, buf, sizeof buf);
    assert_true(strtod(buf, NULL) == 1.0 / 3.0);
    assert_int_equal(lwm2m_fmt_double(NAN, buf, sizeof buf), 0);
    assert_int_equal(lwm2m_fmt_double(INFINITY, buf, sizeof buf), 0);

    int64_t i;
    uint64_t u;
    assert_int_equal(lwm2m_parse_i64("-9223372036854775808", 20, &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(lwm2m_parse_i64("9223372036854775808", 19, &i), LWM2M_ERR_RANGE);
    assert_int_equal(lwm2m_parse_i64("12a", 3, &i), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_parse_i64("-", 1, &i), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_parse_i64("+1", 2, &i), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_parse_u64("18446744073709551615", 20, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(lwm2m_parse_u64("18446744073709551616", 20, &u), LWM2M_ERR_RANGE);
    assert_int_equal(lwm2m_parse_u64("-1", 2, &u), LWM2M_ERR_INVALID);

    double d;
    bool integer;
    assert_int_equal(lwm2m_parse_number("12", 2, &d, &integer), 0);
    assert_true(integer);
    assert_int_equal(lwm2m_parse_number("-1.5e3", 6, &d, &integer), 0);
    assert_false(integer);
    assert_true(d == -1500.0);
    static const char *const bad[] = {"", "-", "01", "1.", ".5", "1e", "1e+", "0x10", "1 ", "NaN"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(lwm2m_parse_number(bad[k], strlen(bad[k]), &d, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_parse_number("1e999", 5, &d, NULL), LWM2M_ERR_RANGE);
}

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *std, *url;
    } v[] = {{"", "", ""},
             {"f", "Zg==", "Zg"},
             {"fo", "Zm8=", "Zm8"},
             {"foo", "Zm9v", "Zm9v"},
             {"foob", "Zm9vYg==", "Zm9vYg"},
             {"\xfb\xff", "+/8=", "-_8"}};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        char mem[16];
        lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
        lwm2m_base64_encode((const uint8_t *)v[k].raw, strlen(v[k].raw), false, &b);
        assert_int_equal(b.len, strlen(v[k].std));
        assert_memory_equal(mem, v[k].std, b.len);
        b = lwm2m_buf_init(mem, sizeof mem);
        lwm2m_base64_encode((const uint8_t *)v[k].raw, strlen(v[k].raw), true, &b);
        assert_int_equal(b.len, strlen(v[k].url));
        assert_memory_equal(mem, v[k].url, b.len);
        uint8_t out[16];
        size_t n = 99;
        assert_int_equal(lwm2m_base64_decode(v[k].std, strlen(v[k].std), out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(v[k].raw));
        assert_memory_equal(out, v[k].raw, n);
        assert_int_equal(lwm2m_base64_decode(v[k].url, strlen(v[k].url), out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(v[k].raw));
    }
    uint8_t out[4];
    size_t n;
    static const char *const bad[] = {"Z", "Zg=", "Z===", "Zg= ", "Zh==", "Zm9v\n", "Zm9v*"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(lwm2m_base64_decode(bad[k], strlen(bad[k]), out, sizeof out, &n),
                         LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_base64_decode("Zm9vYmFy", 8, out, sizeof out, &n), LWM2M_ERR_OVERFLOW);
}

static void test_records(void **state)
{
    (void)state;
    lwm2m_record items[3];
    lwm2m_record_list l = lwm2m_record_list_init(items, 3);
    lwm2m_path p[] = {lwm2m_path_res(3, 0, 9), lwm2m_path_rinst(3, 0, 6, 1),
                      lwm2m_path_rinst(3, 0, 6, 0)};
    lwm2m_value v = lwm2m_value_int(1);
    for (int k = 0; k < 3; k++)
        assert_int_equal(lwm2m_record_list_add(&l, &p[k], &v), 0);
    assert_int_equal(lwm2m_record_list_add(&l, &p[0], &v), LWM2M_ERR_NOMEM);
    lwm2m_record_sort(items, 3);
    assert_true(lwm2m_path_equal(&items[0].path, &p[2]));
    assert_true(lwm2m_path_equal(&items[1].path, &p[1]));
    assert_true(lwm2m_path_equal(&items[2].path, &p[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_parse_valid),
        cmocka_unit_test(test_path_parse_invalid),
        cmocka_unit_test(test_path_segments_and_relations),
        cmocka_unit_test(test_value_convert),
        cmocka_unit_test(test_buf_and_arena),
        cmocka_unit_test(test_numbers_as_text),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
