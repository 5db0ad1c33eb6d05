/* Unit tests of the shared bounded JSON reader/writer (src/codec/json_scan.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec/json_scan.h"
#include "lwm2m/error.h"

static lwm2m_json reader(const char *s)
{
    lwm2m_json j;
    lwm2m_json_init(&j, (const uint8_t *)s, strlen(s));
    return j;
}

/* Reads one string token and returns its unescaped bytes in out (NUL-terminated). */
static int read_str(const char *json, char *out, size_t cap, lwm2m_json_str *tok)
{
    lwm2m_json j = reader(json);
    lwm2m_json_str s;
    int rc = lwm2m_json_read_string(&j, &s);
    if (rc != LWM2M_OK)
        return rc;
    assert_true(s.len < cap);
    lwm2m_json_str_unescape(&j, &s, (uint8_t *)out);
    out[s.len] = '\0';
    if (tok != NULL)
        *tok = s;
    return lwm2m_json_finish(&j);
}

static void test_string_plain(void **state)
{
    (void)state;
    char out[64];
    lwm2m_json_str s;
    assert_int_equal(read_str("  \"abc\"  ", out, sizeof out, &s), LWM2M_OK);
    assert_string_equal(out, "abc");
    assert_false(s.escaped);
    assert_int_equal(s.pos, 3);
    assert_int_equal(s.raw_len, 3);
    assert_int_equal(s.len, 3);
    assert_int_equal(read_str("\"\"", out, sizeof out, &s), LWM2M_OK);
    assert_int_equal(s.len, 0);
    /* Raw UTF-8 passes unchanged: é (2 bytes), € (3), 😀 (4). */
    assert_int_equal(read_str("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", out, sizeof out, &s),
                     LWM2M_OK);
    assert_int_equal(s.len, 9);
    assert_false(s.escaped);
    assert_memory_equal(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
}

static void test_string_escapes(void **state)
{
    (void)state;
    char out[64];
    lwm2m_json_str s;
    assert_int_equal(read_str("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", out, sizeof out, &s),
                     LWM2M_OK);
    assert_true(s.escaped);
    assert_int_equal(s.len, 17);
    assert_memory_equal(out, "a\"b\\c/d\be\ff\ng\rh\ti", 17);
    /* \u escapes of 1, 2 and 3 UTF-8 bytes, upper and lower case hex, and \u0000. */
    assert_int_equal(read_str("\"\\u0041\\u00e9\\u20AC\\u0000\"", out, sizeof out, &s), LWM2M_OK);
    assert_int_equal(s.len, 7);
    assert_memory_equal(out, "A\xc3\xa9\xe2\x82\xac\0", 7);
    /* A surrogate pair is one 4-byte character (U+1F600). */
    assert_int_equal(read_str("\"\\ud83d\\ude00\"", out, sizeof out, &s), LWM2M_OK);
    assert_int_equal(s.len, 4);
    assert_memory_equal(out, "\xf0\x9f\x98\x80", 4);
    /* U+10FFFF, the highest code point. */
    assert_int_equal(read_str("\"\\uDBFF\\uDFFF\"", out, sizeof out, &s), LWM2M_OK);
    assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);
}

static void test_string_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *reason;
        size_t pos;
    } cases[] = {
        {"\"abc", "truncated string", 4},
        {"\"abc\\", "truncated string", 5},
        {"\"\\x\"", "invalid escape in string", 1},
        {"\"\\u12\"", "invalid \\u escape", 1},
        {"\"\\u12G4\"", "invalid \\u escape", 1},
        {"\"\\ud83d\"", "invalid \\u escape", 1},         /* lone high surrogate */
        {"\"\\ud83dx\\ude00\"", "invalid \\u escape", 1}, /* high not followed by \u */
        {"\"\\ud83d\\u0041\"", "invalid \\u escape", 1},  /* high + non-low */
        {"\"\\ude00\"", "invalid \\u escape", 1},         /* lone low surrogate */
        {"\"a\nb\"", "control character in string", 2},
        {"\"a\tb\"", "control character in string", 2},
        {"\"\x80\"", "invalid utf-8 in string", 1},             /* lone continuation */
        {"\"\xc0\x80\"", "invalid utf-8 in string", 1},         /* overlong NUL */
        {"\"\xc1\xbf\"", "invalid utf-8 in string", 1},         /* overlong */
        {"\"\xe0\x80\x80\"", "invalid utf-8 in string", 1},     /* overlong 3-byte */
        {"\"\xed\xa0\x80\"", "invalid utf-8 in string", 1},     /* UTF-16 surrogate */
        {"\"\xf0\x80\x80\x80\"", "invalid utf-8 in string", 1}, /* overlong 4-byte */
        {"\"\xf4\x90\x80\x80\"", "invalid utf-8 in string", 1}, /* above U+10FFFF */
        {"\"\xf5\x80\x80\x80\"", "invalid utf-8 in string", 1},
        {"\"\xff\"", "invalid utf-8 in string", 1},
        {"\"\xc3\"", "invalid utf-8 in string", 1},     /* truncated sequence */
        {"\"\xe2\x82\"", "invalid utf-8 in string", 1}, /* truncated sequence */
        {"\"\xe2\x28\xa1\"", "invalid utf-8 in string", 1},
        {"abc", "expected a string", 0},
        {"", "truncated payload", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_json j = reader(cases[i].json);
        lwm2m_json_str s;
        assert_int_equal(lwm2m_json_read_string(&j, &s), LWM2M_ERR_INVALID);
        assert_string_equal(j.reason, cases[i].reason);
        assert_int_equal(j.err_pos, cases[i].pos);
    }
}

static void test_string_compare(void **state)
{
    (void)state;
    const char *json =
        "[\"vs\",\"\\u0076s\",\"v\\u0073\",\"vd\",\"\",\"ab_\",\"a\\u005f\",\"\\u20ac\"]";
    lwm2m_json j = reader(json);
    lwm2m_json_str s[8];
    size_t count = 0;
    bool more;
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_OK);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(lwm2m_json_next_element(&j, &count, &more), LWM2M_OK);
        assert_true(more);
        assert_int_equal(lwm2m_json_read_string(&j, &s[i]), LWM2M_OK);
    }
    assert_int_equal(lwm2m_json_next_element(&j, &count, &more), LWM2M_OK);
    assert_false(more);
    assert_int_equal(lwm2m_json_finish(&j), LWM2M_OK);
    assert_true(lwm2m_json_str_is(&j, &s[0], "vs"));
    assert_true(lwm2m_json_str_is(&j, &s[1], "vs"));
    assert_true(lwm2m_json_str_is(&j, &s[2], "vs"));
    assert_false(lwm2m_json_str_is(&j, &s[3], "vs"));
    assert_false(lwm2m_json_str_is(&j, &s[0], "v"));
    assert_false(lwm2m_json_str_is(&j, &s[0], "vsx"));
    assert_true(lwm2m_json_str_is(&j, &s[4], ""));
    assert_true(lwm2m_json_str_equal(&j, &s[0], &s[1]));
    assert_true(lwm2m_json_str_equal(&j, &s[1], &s[2]));
    assert_false(lwm2m_json_str_equal(&j, &s[0], &s[3]));
    assert_false(lwm2m_json_str_equal(&j, &s[2], &s[3]));
    assert_int_equal(lwm2m_json_str_last(&j, &s[0]), 's');
    assert_int_equal(lwm2m_json_str_last(&j, &s[2]), 's');
    assert_int_equal(lwm2m_json_str_last(&j, &s[4]), 0);
    assert_int_equal(lwm2m_json_str_last(&j, &s[5]), '_');
    assert_int_equal(lwm2m_json_str_last(&j, &s[6]), '_');
    assert_int_equal(lwm2m_json_str_last(&j, &s[7]), 0xac);
}

static void test_string_bytes_borrow_or_arena(void **state)
{
    (void)state;
    const char *json = "[\"plain\",\"esc\\n\"]";
    lwm2m_json j = reader(json);
    lwm2m_json_str a, b;
    size_t count = 0;
    bool more;
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_OK);
    lwm2m_json_next_element(&j, &count, &more);
    assert_int_equal(lwm2m_json_read_string(&j, &a), LWM2M_OK);
    lwm2m_json_next_element(&j, &count, &more);
    assert_int_equal(lwm2m_json_read_string(&j, &b), LWM2M_OK);
    uint8_t mem[8];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_bytes out;
    assert_int_equal(lwm2m_json_str_bytes(&j, &a, &arena, &out), LWM2M_OK);
    assert_ptr_equal(out.ptr, (const uint8_t *)json + 2);
    assert_int_equal(out.len, 5);
    assert_int_equal(arena.used, 0);
    assert_int_equal(lwm2m_json_str_bytes(&j, &b, &arena, &out), LWM2M_OK);
    assert_ptr_equal(out.ptr, mem);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.ptr, "esc\n", 4);
    assert_int_equal(arena.used, 4);
    /* Arena too small, or none at all. */
    lwm2m_arena tiny = lwm2m_arena_init(mem, 3);
    assert_int_equal(lwm2m_json_str_bytes(&j, &b, &tiny, &out), LWM2M_ERR_NOMEM);
    assert_int_equal(lwm2m_json_str_bytes(&j, &b, NULL, &out), LWM2M_ERR_NOMEM);
    assert_int_equal(lwm2m_json_str_bytes(&j, &a, NULL, &out), LWM2M_OK);
}

static void test_string_base64(void **state)
{
    (void)state;
    const char *json = "[\"AQID\",\"-_8\",\"+/8=\",\"\\u0041Q\\u0049D\",\"A\",\"\",\"AQ I\"]";
    lwm2m_json j = reader(json);
    lwm2m_json_str s[7];
    size_t count = 0;
    bool more;
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_OK);
    for (int i = 0; i < 7; i++) {
        lwm2m_json_next_element(&j, &count, &more);
        assert_int_equal(lwm2m_json_read_string(&j, &s[i]), LWM2M_OK);
    }
    uint8_t mem[64];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_bytes out;
    assert_int_equal(lwm2m_json_str_base64(&j, &s[0], &arena, &out), LWM2M_OK);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.ptr, "\x01\x02\x03", 3);
    assert_int_equal(arena.used, 3); /* the unused tail was given back */
    assert_int_equal(lwm2m_json_str_base64(&j, &s[1], &arena, &out), LWM2M_OK);
    assert_memory_equal(out.ptr, "\xfb\xff", 2);
    assert_int_equal(lwm2m_json_str_base64(&j, &s[2], &arena, &out), LWM2M_OK);
    assert_memory_equal(out.ptr, "\xfb\xff", 2);
    size_t used = arena.used;
    assert_int_equal(lwm2m_json_str_base64(&j, &s[3], &arena, &out), LWM2M_OK);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.ptr, "\x01\x02\x03", 3);
    assert_int_equal(arena.used, used + 3); /* the scratch copy was given back too */
    used = arena.used;
    assert_int_equal(lwm2m_json_str_base64(&j, &s[4], &arena, &out), LWM2M_ERR_INVALID);
    assert_int_equal(arena.used, used);
    assert_int_equal(lwm2m_json_str_base64(&j, &s[6], &arena, &out), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_json_str_base64(&j, &s[5], NULL, &out), LWM2M_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(lwm2m_json_str_base64(&j, &s[0], NULL, &out), LWM2M_ERR_NOMEM);
    lwm2m_arena tiny = lwm2m_arena_init(mem, 5); /* needs 3 + 3 slack */
    assert_int_equal(lwm2m_json_str_base64(&j, &s[0], &tiny, &out), LWM2M_ERR_NOMEM);
}

static void test_string_objlnk(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int rc;
        uint16_t obj, inst;
    } cases[] = {
        {"\"3:0\"", LWM2M_OK, 3, 0},
        {"\"66:1\"", LWM2M_OK, 66, 1},
        {"\"65535:65535\"", LWM2M_OK, 65535, 65535},
        {"\"FFFF:FFFF\"", LWM2M_OK, 65535, 65535},
        {"\"\\u0033:0\"", LWM2M_OK, 3, 0},
        {"\"007:08\"", LWM2M_OK, 7, 8},
        {"\"65536:0\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"0:65536\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"3\"", LWM2M_ERR_INVALID, 0, 0},
        {"\":0\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"3:\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"3:0:1\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"-3:0\"", LWM2M_ERR_INVALID, 0, 0},
        {"\" 3:0\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"ffff:ffff\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"000003:0\"", LWM2M_ERR_INVALID, 0, 0},
        {"\"\"", LWM2M_ERR_INVALID, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_json j = reader(cases[i].json);
        lwm2m_json_str s;
        assert_int_equal(lwm2m_json_read_string(&j, &s), LWM2M_OK);
        lwm2m_objlnk l = {0, 0};
        assert_int_equal(lwm2m_json_str_objlnk(&j, &s, &l), cases[i].rc);
        if (cases[i].rc == LWM2M_OK) {
            assert_int_equal(l.obj, cases[i].obj);
            assert_int_equal(l.inst, cases[i].inst);
        }
    }
}

static void test_name_path(void **state)
{
    (void)state;
    const char *json = "[\"/3/0/\",\"6/1\",\"/3/0/6/1\",\"\\/3\",\"/0/0\",\"/65534/65534/65534/\","
                       "\"65534\",\"/65534/65534/65534/6553\"]";
    lwm2m_json j = reader(json);
    lwm2m_json_str s[8];
    size_t count = 0;
    bool more;
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_OK);
    for (int i = 0; i < 8; i++) {
        lwm2m_json_next_element(&j, &count, &more);
        assert_int_equal(lwm2m_json_read_string(&j, &s[i]), LWM2M_OK);
    }
    lwm2m_path p, want;
    assert_int_equal(lwm2m_json_name_path(&j, &s[0], true, &s[1], true, &p), LWM2M_OK);
    want = lwm2m_path_rinst(3, 0, 6, 1);
    assert_true(lwm2m_path_equal(&p, &want));
    assert_int_equal(lwm2m_json_name_path(&j, &s[0], false, &s[2], true, &p), LWM2M_OK);
    assert_true(lwm2m_path_equal(&p, &want));
    assert_int_equal(lwm2m_json_name_path(&j, &s[2], true, &s[0], false, &p), LWM2M_OK);
    assert_true(lwm2m_path_equal(&p, &want));
    /* Escaped '/' ("\/3") and a second name appended to it. */
    assert_int_equal(lwm2m_json_name_path(&j, &s[3], true, &s[4], true, &p), LWM2M_OK);
    want = lwm2m_path_res(3, 0, 0);
    assert_true(lwm2m_path_equal(&p, &want));
    /* The longest path (24 bytes) joined from two parts. */
    assert_int_equal(lwm2m_json_name_path(&j, &s[5], true, &s[6], true, &p), LWM2M_OK);
    want = lwm2m_path_rinst(65534, 65534, 65534, 65534);
    assert_true(lwm2m_path_equal(&p, &want));
    /* One byte more is too long; relative name without base; trailing '/'; nothing. */
    assert_int_equal(lwm2m_json_name_path(&j, &s[7], true, &s[6], true, &p), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_json_name_path(&j, &s[1], false, &s[1], true, &p), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_json_name_path(&j, &s[0], true, &s[0], false, &p), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_json_name_path(&j, &s[0], false, &s[0], false, &p), LWM2M_ERR_INVALID);
    /* "/3/0/" + "/3/0/6/1": an empty segment. */
    assert_int_equal(lwm2m_json_name_path(&j, &s[0], true, &s[2], true, &p), LWM2M_ERR_INVALID);
}

static int read_num(const char *json, lwm2m_json_num *n, lwm2m_json *jout)
{
    lwm2m_json j = reader(json);
    int rc = lwm2m_json_read_number(&j, n);
    if (rc == LWM2M_OK)
        rc = lwm2m_json_finish(&j);
    if (jout != NULL)
        *jout = j;
    return rc;
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        double d;
        bool is_int;
    } ok[] = {
        {"0", 0, true},       {"-0", -0.0, true},    {"42", 42, true},
        {"-17", -17, true},   {"1.5", 1.5, false},   {"-0.25", -0.25, false},
        {"1e3", 1000, false}, {"1E+3", 1000, false}, {"25e-1", 2.5, false},
        {" 7 ", 7, true},     {"1e-400", 0, false},  {"123456789012", 123456789012.0, true},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        lwm2m_json_num n;
        assert_int_equal(read_num(ok[i].json, &n, NULL), LWM2M_OK);
        assert_true(n.d == ok[i].d);
        assert_int_equal(signbit(n.d) != 0, signbit(ok[i].d) != 0);
        assert_int_equal(n.is_integer, ok[i].is_int);
    }
    static const struct {
        const char *json;
        const char *reason;
    } bad[] = {
        {"01", "invalid number"},
        {"1.", "invalid number"},
        {".5", "expected a number"},
        {"+1", "expected a number"},
        {"-", "invalid number"},
        {"--1", "invalid number"},
        {"1e", "invalid number"},
        {"1e+", "invalid number"},
        {"0x10", "trailing data after the payload"},
        {"1.2.3", "invalid number"},
        {"1e400", "number out of range"},
        {"-1e400", "number out of range"},
        {"", "truncated payload"},
        {"\"1\"", "expected a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lwm2m_json_num n;
        lwm2m_json j;
        assert_int_equal(read_num(bad[i].json, &n, &j), LWM2M_ERR_INVALID);
        assert_string_equal(j.reason, bad[i].reason);
    }
    /* Long literals: up to LWM2M_JSON_NUMBER_MAX characters are read, longer are refused. */
    char big[LWM2M_JSON_NUMBER_MAX + 2];
    memset(big, '0', sizeof big);
    big[0] = '0';
    big[1] = '.';
    big[LWM2M_JSON_NUMBER_MAX - 1] = '1';
    big[LWM2M_JSON_NUMBER_MAX] = '\0';
    lwm2m_json_num n;
    lwm2m_json j;
    assert_int_equal(read_num(big, &n, &j), LWM2M_OK);
    assert_false(n.is_integer);
    big[LWM2M_JSON_NUMBER_MAX] = '1';
    big[LWM2M_JSON_NUMBER_MAX + 1] = '\0';
    assert_int_equal(read_num(big, &n, &j), LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "number too long");
}

static void test_num_value(void **state)
{
    (void)state;
    lwm2m_json_num n;
    lwm2m_json j;
    lwm2m_value v;
    assert_int_equal(read_num("9223372036854775807", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_INTEGER);
    assert_true(v.v.i == INT64_MAX);
    assert_int_equal(read_num("-9223372036854775808", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_INTEGER);
    assert_true(v.v.i == INT64_MIN);
    assert_int_equal(read_num("18446744073709551615", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_UNSIGNED);
    assert_true(v.v.u == UINT64_MAX);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_INTEGER, &v), LWM2M_ERR_TYPE);
    assert_int_equal(read_num("18446744073709551616", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_true(v.v.f == 18446744073709551616.0);
    assert_int_equal(read_num("-9223372036854775809", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_int_equal(read_num("1.5", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_INTEGER, &v), LWM2M_ERR_TYPE);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_STRING, &v), LWM2M_ERR_TYPE);
    assert_int_equal(read_num("1e2", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_INTEGER, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_INTEGER);
    assert_true(v.v.i == 100);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_TIME, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_TIME);
    assert_int_equal(read_num("-1", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_UNSIGNED, &v), LWM2M_ERR_TYPE);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_BOOLEAN, &v), LWM2M_ERR_TYPE);
    assert_int_equal(read_num("1", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_BOOLEAN, &v), LWM2M_OK);
    assert_true(v.type == LWM2M_TYPE_BOOLEAN && v.v.b);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_OBJLNK, &v), LWM2M_ERR_TYPE);
    /* A FLOAT resource keeps the literal's own double, sign of zero included. */
    assert_int_equal(read_num("-0", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_FLOAT, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_true(v.v.f == 0 && signbit(v.v.f));
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_NONE, &v), LWM2M_OK);
    assert_int_equal(v.type, LWM2M_TYPE_INTEGER);
    assert_true(v.v.i == 0);
    assert_int_equal(read_num("9007199254740993", &n, &j), LWM2M_OK);
    assert_int_equal(lwm2m_json_num_value(&j, &n, LWM2M_TYPE_FLOAT, &v), LWM2M_OK);
    assert_true(v.v.f == 9007199254740992.0);
}

static void test_literals(void **state)
{
    (void)state;
    bool b = false;
    lwm2m_json j = reader(" true");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_OK);
    assert_true(b);
    j = reader("false");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_OK);
    assert_false(b);
    j = reader("tru");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "truncated payload");
    j = reader("trux");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "invalid literal");
    j = reader("TRUE");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "expected true or false");
    j = reader("null");
    assert_int_equal(lwm2m_json_read_bool(&j, &b), LWM2M_ERR_INVALID);
    j = reader("nul");
    assert_int_equal(lwm2m_json_skip_value(&j), LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "truncated payload");
    j = reader("null");
    assert_int_equal(lwm2m_json_skip_value(&j), LWM2M_OK);
    assert_int_equal(lwm2m_json_finish(&j), LWM2M_OK);
}

static void test_peek(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        lwm2m_json_kind kind;
    } cases[] = {
        {" \t\r\n\"x\"", LWM2M_JSON_STRING},
        {"-1", LWM2M_JSON_NUMBER},
        {"9", LWM2M_JSON_NUMBER},
        {"true", LWM2M_JSON_TRUE},
        {"false", LWM2M_JSON_FALSE},
        {"null", LWM2M_JSON_NULL},
        {"{", LWM2M_JSON_OBJECT},
        {"[", LWM2M_JSON_ARRAY},
        {"", LWM2M_JSON_BAD},
        {"   ", LWM2M_JSON_BAD},
        {"\v1", LWM2M_JSON_BAD},
        {"\xef\xbb\xbf[]", LWM2M_JSON_BAD},
        {"'a'", LWM2M_JSON_BAD},
        {"+1", LWM2M_JSON_BAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_json j = reader(cases[i].json);
        assert_int_equal(lwm2m_json_peek(&j), cases[i].kind);
        assert_int_equal(j.rc, 0);
    }
    /* A reader in error reports nothing more. */
    lwm2m_json j = reader("[1]");
    lwm2m_json_fail(&j, 0, LWM2M_ERR_INVALID, "x");
    assert_int_equal(lwm2m_json_peek(&j), LWM2M_JSON_BAD);
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_ERR_INVALID);
    /* The first error is kept. */
    lwm2m_json_fail(&j, 5, LWM2M_ERR_TYPE, "y");
    assert_int_equal(j.rc, LWM2M_ERR_INVALID);
    assert_string_equal(j.reason, "x");
    assert_int_equal(j.err_pos, 0);
}

static void test_object_walk(void **state)
{
    (void)state;
    lwm2m_json j = reader(" { \"a\" : 1 , \"b\":[true,false,null,{}],\"c\":{\"d\":\"e\"}} ");
    size_t count = 0;
    bool more;
    lwm2m_json_str key;
    assert_int_equal(lwm2m_json_begin_object(&j), LWM2M_OK);
    assert_int_equal(j.depth, 1);
    assert_int_equal(lwm2m_json_next_member(&j, &count, &key, &more), LWM2M_OK);
    assert_true(more);
    assert_true(lwm2m_json_str_is(&j, &key, "a"));
    lwm2m_json_num n;
    assert_int_equal(lwm2m_json_read_number(&j, &n), LWM2M_OK);
    assert_true(n.d == 1);
    assert_int_equal(lwm2m_json_next_member(&j, &count, &key, &more), LWM2M_OK);
    assert_true(lwm2m_json_str_is(&j, &key, "b"));
    assert_int_equal(lwm2m_json_skip_value(&j), LWM2M_OK);
    assert_int_equal(lwm2m_json_next_member(&j, &count, &key, &more), LWM2M_OK);
    assert_true(lwm2m_json_str_is(&j, &key, "c"));
    assert_int_equal(lwm2m_json_skip_value(&j), LWM2M_OK);
    assert_int_equal(lwm2m_json_next_member(&j, &count, &key, &more), LWM2M_OK);
    assert_false(more);
    assert_int_equal(count, 3);
    assert_int_equal(j.depth, 0);
    assert_int_equal(lwm2m_json_finish(&j), LWM2M_OK);
    /* Empty containers. */
    j = reader("{}");
    count = 0;
    assert_int_equal(lwm2m_json_begin_object(&j), LWM2M_OK);
    assert_int_equal(lwm2m_json_next_member(&j, &count, &key, &more), LWM2M_OK);
    assert_false(more);
    j = reader("[ ]");
    count = 0;
    assert_int_equal(lwm2m_json_begin_array(&j), LWM2M_OK);
    assert_int_equal(lwm2m_json_next_element(&j, &count, &more), LWM2M_OK);
    assert_false(more);
    assert_int_equal(lwm2m_json_finish(&j), LWM2M_OK);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *reason;
        size_t len; /* 0: strlen */
    } cases[] = {
        {"[1,]", "expected a value", 0},
        {"[,1]", "expected a value", 0},
        {"[1 2]", "expected ',' or ']'", 0},
        {"[1", "truncated payload", 0},
        {"[1,", "truncated payload", 0},
        {"{\"a\":1,}", "expected a member name", 0},
        {"{\"a\" 1}", "expected ':'", 0},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}'", 0},
        {"{a:1}", "expected a member name", 0},
        {"{\"a\":}", "expected a value", 0},
        {"{\"a\"", "truncated payload", 0},
        {"{\"a\":", "truncated payload", 0},
        {"{1:2}", "expected a member name", 0},
        {"[}", "expected a value", 0},
        {"{]", "expected a member name", 0},
        {"[1]]", "trailing data after the payload", 0},
        {"[1] x", "trailing data after the payload", 0},
        {"[1]\0", "trailing data after the payload", 4}, /* an embedded NUL is input too */
        {"", "truncated payload", 0},
        {"[[[[[[[[1]]]]]]]]", NULL, 0},
        {"[[[[[[[[[1]]]]]]]]]", "nesting too deep", 0},
        {"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}", NULL, 0},
        {"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}", "nesting too deep",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_json j;
        size_t len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].json);
        lwm2m_json_init(&j, (const uint8_t *)cases[i].json, len);
        int rc = lwm2m_json_skip_value(&j);
        if (rc == LWM2M_OK)
            rc = lwm2m_json_finish(&j);
        if (cases[i].reason == NULL) {
            assert_int_equal(rc, LWM2M_OK);
            assert_int_equal(j.depth, 0);
        } else {
            assert_int_equal(rc, LWM2M_ERR_INVALID);
            assert_string_equal(j.reason, cases[i].reason);
        }
    }
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(lwm2m_utf8_valid((const uint8_t *)"", 0));
    assert_true(lwm2m_utf8_valid((const uint8_t *)"abc\0", 4));
    assert_true(
        lwm2m_utf8_valid((const uint8_t *)"\xc2\x80\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf", 11));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xc2", 1));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"\xed\xbf\xbf", 3));
    assert_false(lwm2m_utf8_valid((const uint8_t *)"a\xfe", 2));
}

static void test_put_string(void **state)
{
    (void)state;
    uint8_t mem[64];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_json_put_string(&b, (const uint8_t *)"a\"b\\c\x01\n\x1f/\xc3\xa9\x7f", 12);
    const char *want = "\"a\\\"b\\\\c\\u0001\\u000a\\u001f/\xc3\xa9\x7f\"";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(mem, want, b.len);
    /* What it writes reads back as the same bytes. */
    lwm2m_json j;
    lwm2m_json_init(&j, mem, b.len);
    lwm2m_json_str s;
    assert_int_equal(lwm2m_json_read_string(&j, &s), LWM2M_OK);
    uint8_t back[16];
    lwm2m_json_str_unescape(&j, &s, back);
    assert_int_equal(s.len, 12);
    assert_memory_equal(back, "a\"b\\c\x01\n\x1f/\xc3\xa9\x7f", 12);
    b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_json_put_string(&b, NULL, 0);
    assert_int_equal(b.len, 2);
    assert_memory_equal(mem, "\"\"", 2);
}

static void test_put_numbers(void **state)
{
    (void)state;
    static const struct {
        lwm2m_value v;
        const char *want;
    } cases[] = {
        {{LWM2M_TYPE_INTEGER, {.i = INT64_MIN}}, "-9223372036854775808"},
        {{LWM2M_TYPE_TIME, {.i = 1367491215}}, "1367491215"},
        {{LWM2M_TYPE_UNSIGNED, {.u = UINT64_MAX}}, "18446744073709551615"},
        {{LWM2M_TYPE_FLOAT, {.f = 0.1}}, "0.1"},
        {{LWM2M_TYPE_FLOAT, {.f = -0.0}}, "-0"},
        {{LWM2M_TYPE_FLOAT, {.f = 22.4}}, "22.4"},
        {{LWM2M_TYPE_FLOAT, {.f = 1e300}}, "1e+300"},
        {{LWM2M_TYPE_FLOAT, {.f = 10}}, "10"},
        {{LWM2M_TYPE_FLOAT, {.f = -25462629}}, "-25462629"},
        {{LWM2M_TYPE_FLOAT, {.f = 999999999999999}}, "999999999999999"},
        {{LWM2M_TYPE_FLOAT, {.f = 1e15}}, "1e+15"},
        {{LWM2M_TYPE_FLOAT, {.f = 1e20}}, "1e+20"},
        {{LWM2M_TYPE_FLOAT, {.f = 5e-324}}, "5e-324"},
        {{LWM2M_TYPE_FLOAT, {.f = 0.30000000000000004}}, "0.30000000000000004"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char mem[64];
        lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
        assert_int_equal(lwm2m_json_put_number(&b, &cases[i].v), LWM2M_OK);
        assert_int_equal(b.len, strlen(cases[i].want));
        assert_memory_equal(mem, cases[i].want, b.len);
    }
    char mem[64];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_value v = lwm2m_value_float(NAN);
    assert_int_equal(lwm2m_json_put_number(&b, &v), LWM2M_ERR_INVALID);
    v = lwm2m_value_float(-INFINITY);
    assert_int_equal(lwm2m_json_put_number(&b, &v), LWM2M_ERR_INVALID);
    v = lwm2m_value_bool(true);
    assert_int_equal(lwm2m_json_put_number(&b, &v), LWM2M_ERR_INVALID);
    assert_int_equal(b.len, 0);
    assert_int_equal(lwm2m_json_put_double(&b, INFINITY), LWM2M_ERR_INVALID);
    lwm2m_json_put_key(&b, "vlo");
    assert_int_equal(b.len, 6);
    assert_memory_equal(mem, "\"vlo\":", 6);
}

static void test_base_name_and_time_offset(void **state)
{
    (void)state;
    char bn[LWM2M_PATH_STR_MAX + 1];
    lwm2m_path base = lwm2m_path_inst(3, 0), rec = lwm2m_path_res(3, 0, 1);
    assert_int_equal(lwm2m_json_base_name(&base, &rec, bn), 5);
    assert_string_equal(bn, "/3/0/");
    assert_int_equal(lwm2m_json_base_name(&base, NULL, bn), 5);
    base = lwm2m_path_res(3, 0, 1);
    assert_int_equal(lwm2m_json_base_name(&base, &rec, bn), 6);
    assert_string_equal(bn, "/3/0/1");
    base = lwm2m_path_root();
    assert_int_equal(lwm2m_json_base_name(&base, &rec, bn), 1);
    assert_string_equal(bn, "/");
    base = lwm2m_path_rinst(65534, 65534, 65534, 65534);
    assert_int_equal(lwm2m_json_base_name(&base, NULL, bn), 25);
    assert_string_equal(bn, "/65534/65534/65534/65534/");

    double t = 0;
    assert_true(lwm2m_json_time_offset(25462629, 25462604, &t));
    assert_true(t == -25);
    assert_true(lwm2m_json_time_offset(0, 1.5, &t));
    assert_true(t == 1.5);
    assert_false(lwm2m_json_time_offset(1e20, 1.5, &t));
    assert_false(lwm2m_json_time_offset(-1.7e308, 1.7e308, &t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_plain),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_string_compare),
        cmocka_unit_test(test_string_bytes_borrow_or_arena),
        cmocka_unit_test(test_string_base64),
        cmocka_unit_test(test_string_objlnk),
        cmocka_unit_test(test_name_path),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_num_value),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_object_walk),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_put_string),
        cmocka_unit_test(test_put_numbers),
        cmocka_unit_test(test_base_name_and_time_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
