/* Tests of the CoRE Link Format codec (src/codec/link.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/error.h"
#include "lwm2m/link.h"

#define MAX_LINKS 32

typedef struct parsed {
    lwm2m_link links[MAX_LINKS];
    size_t n;
    int rc;
    lwm2m_codec_error err;
} parsed;

static uint8_t arena_mem[4096];

/* Parses the whole payload; rc is 0 or the error. */
static void parse_all(const char *s, size_t len, parsed *out)
{
    lwm2m_link_reader r;
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, sizeof arena_mem);
    lwm2m_link_reader_init(&r, (const uint8_t *)s, len, &arena);
    out->n = 0;
    out->err.offset = 0;
    out->err.reason = NULL;
    int rc;
    while (out->n < MAX_LINKS && (rc = lwm2m_link_next(&r, &out->links[out->n], &out->err)) == 1)
        out->n++;
    assert_true(out->n < MAX_LINKS);
    out->rc = rc;
}

static void assert_target(const lwm2m_link *l, const char *target)
{
    assert_int_equal(l->target_len, strlen(target));
    assert_memory_equal(l->target, target, l->target_len);
}

static void assert_param(const lwm2m_link *l, size_t i, const char *name, const char *value,
                         bool quoted)
{
    assert_true(i < l->param_count);
    const lwm2m_link_param *p = &l->params[i];
    assert_int_equal(p->name_len, strlen(name));
    assert_memory_equal(p->name, name, p->name_len);
    if (value == NULL) {
        assert_null(p->value);
        assert_null(p->raw);
        return;
    }
    assert_non_null(p->value);
    assert_int_equal(p->value_len, strlen(value));
    assert_memory_equal(p->value, value, p->value_len);
    assert_int_equal(p->quoted, quoted);
}

/* Writes back every parsed link (by its raw target) and compares with the input. */
static void assert_round_trip(const char *s)
{
    parsed p;
    parse_all(s, strlen(s), &p);
    assert_int_equal(p.rc, 0);
    uint8_t buf[1024];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    for (size_t i = 0; i < p.n; i++)
        assert_int_equal(lwm2m_link_write_target(&out, p.links[i].target, p.links[i].target_len,
                                                 p.links[i].params, p.links[i].param_count, i == 0),
                         0);
    assert_int_equal(out.len, strlen(s));
    assert_memory_equal(buf, s, out.len);
    /* And by path when every target is an LwM2M path. */
    out = lwm2m_buf_init(buf, sizeof buf);
    bool all_paths = true;
    for (size_t i = 0; i < p.n && all_paths; i++) {
        all_paths = p.links[i].has_path;
        if (all_paths)
            assert_int_equal(lwm2m_link_write(&out, &p.links[i].path, p.links[i].params,
                                              p.links[i].param_count, i == 0),
                             0);
    }
    if (all_paths) {
        assert_int_equal(out.len, strlen(s));
        assert_memory_equal(buf, s, out.len);
    }
}

/* Oracle for prefixes of a valid payload: a prefix is valid unless it stops inside a target or
 * a quoted string, or right after ',', ';' or '='. */
static bool prefix_valid(const char *s, size_t n)
{
    bool in_target = false, in_quotes = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_quotes) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_quotes = false;
        } else if (in_target) {
            in_target = c != '>';
        } else if (c == '<') {
            in_target = true;
        } else if (c == '"') {
            in_quotes = true;
        }
    }
    if (n == 0)
        return true;
    return !in_target && !in_quotes && s[n - 1] != ',' && s[n - 1] != ';' && s[n - 1] != '=';
}

static void check_prefixes(const char *s)
{
    size_t len = strlen(s);
    parsed full;
    parse_all(s, len, &full);
    assert_int_equal(full.rc, 0);
    for (size_t n = 0; n <= len; n++) {
        /* An exact-size copy so that ASan catches reads past the prefix. */
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, s, n);
        parsed p;
        parse_all(copy, n, &p);
        free(copy);
        if (prefix_valid(s, n)) {
            if (p.rc != 0)
                fail_msg("prefix %zu of '%s' rejected: %s at %zu", n, s, p.err.reason,
                         p.err.offset);
        } else {
            if (p.rc != LWM2M_ERR_INVALID)
                fail_msg("prefix %zu of '%s' accepted", n, s);
            assert_non_null(p.err.reason);
            assert_true(p.err.offset <= n);
        }
        /* Links fully inside the prefix are the same as in the full parse. */
        for (size_t i = 0; i < p.n && i + 1 < p.n; i++) {
            assert_int_equal(p.links[i].target_len, full.links[i].target_len);
            assert_int_equal(p.links[i].param_count, full.links[i].param_count);
        }
    }
}

static const char bs_discover[] =
    "</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coap://server1.com\",</1/0>;ssid=101,</3/0>";
static const char register_1[] = "</1/0>,</3/0>,</5/0>";
static const char register_2[] = "</>;rt=\"oma.lwm2m\";ct=11543,</1/101>,</3/0>";
static const char register_alt[] =
    "</lwm2m>;rt=\"oma.lwm2m\";ct=11543,</lwm2m/1/101>,</lwm2m/1/102>,</lwm2m/3/0>";
static const char dm_discover[] =
    "</3/0>;pmin=10,</3/0/0>,</3/0/7>;dim=2;ver=1.1,</3/0/11>;dim=1,</3/0/7/0>;gt=50";
static const char register_ver[] = "</1>;ver=1.1,</1/0>,</3/0>,</3442>;ver=1.2,</3442/0>";

static void test_bootstrap_discover(void **state)
{
    (void)state;
    parsed p;
    parse_all(bs_discover, strlen(bs_discover), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 4);
    assert_target(&p.links[0], "/");
    assert_true(p.links[0].has_path);
    assert_int_equal(p.links[0].path.len, 0);
    assert_int_equal(p.links[0].offset, 0);
    assert_int_equal(p.links[0].param_count, 1);
    assert_param(&p.links[0], 0, "lwm2m", "1.1", false);
    assert_target(&p.links[1], "/0/0");
    assert_int_equal(p.links[1].offset, 14);
    lwm2m_path want = lwm2m_path_inst(0, 0);
    assert_true(lwm2m_path_equal(&p.links[1].path, &want));
    assert_int_equal(p.links[1].param_count, 2);
    assert_param(&p.links[1], 0, "ssid", "101", false);
    assert_param(&p.links[1], 1, "uri", "coap://server1.com", true);
    const lwm2m_link_param *uri = &p.links[1].params[1];
    assert_int_equal(uri->raw_len, strlen("\"coap://server1.com\""));
    assert_memory_equal(uri->raw, "\"coap://server1.com\"", uri->raw_len);
    /* The unquoted value borrows from the input. */
    assert_ptr_equal(uri->value, uri->raw + 1);
    assert_true(uri->value > bs_discover && uri->value < bs_discover + sizeof bs_discover);
    assert_target(&p.links[2], "/1/0");
    assert_param(&p.links[2], 0, "ssid", "101", false);
    assert_target(&p.links[3], "/3/0");
    assert_int_equal(p.links[3].param_count, 0);
    assert_round_trip(bs_discover);
}

static void test_register_payloads(void **state)
{
    (void)state;
    parsed p;
    parse_all(register_1, strlen(register_1), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 3);
    lwm2m_path want = lwm2m_path_inst(5, 0);
    assert_true(lwm2m_path_equal(&p.links[2].path, &want));
    assert_round_trip(register_1);

    parse_all(register_2, strlen(register_2), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 3);
    assert_param(&p.links[0], 0, "rt", "oma.lwm2m", true);
    assert_param(&p.links[0], 1, "ct", "11543", false);
    assert_true(lwm2m_link_param_is(lwm2m_link_find(&p.links[0], "RT"), "oma.lwm2m"));
    assert_true(lwm2m_link_param_is(lwm2m_link_find(&p.links[0], "ct"), "11543"));
    assert_false(lwm2m_link_param_is(lwm2m_link_find(&p.links[0], "ct"), "1154"));
    assert_null(lwm2m_link_find(&p.links[0], "c"));
    assert_null(lwm2m_link_find(&p.links[1], "rt"));
    want = lwm2m_path_inst(1, 101);
    assert_true(lwm2m_path_equal(&p.links[1].path, &want));
    assert_round_trip(register_2);

    parse_all(register_ver, strlen(register_ver), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 5);
    assert_param(&p.links[3], 0, "ver", "1.2", false);
    assert_round_trip(register_ver);

    parse_all(dm_discover, strlen(dm_discover), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 5);
    want = lwm2m_path_rinst(3, 0, 7, 0);
    assert_true(lwm2m_path_equal(&p.links[4].path, &want));
    assert_param(&p.links[2], 0, "dim", "2", false);
    assert_param(&p.links[2], 1, "ver", "1.1", false);
    assert_round_trip(dm_discover);
}

static void test_alternate_path(void **state)
{
    (void)state;
    parsed p;
    parse_all(register_alt, strlen(register_alt), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 4);
    assert_false(p.links[0].has_path);
    assert_false(p.links[1].has_path);
    lwm2m_path path;
    assert_int_equal(
        lwm2m_link_target_path(p.links[0].target, p.links[0].target_len, "/lwm2m", &path), 0);
    assert_int_equal(path.len, 0);
    assert_int_equal(
        lwm2m_link_target_path(p.links[1].target, p.links[1].target_len, "/lwm2m/", &path), 0);
    lwm2m_path want = lwm2m_path_inst(1, 101);
    assert_true(lwm2m_path_equal(&path, &want));
    assert_round_trip(register_alt);

    const char *t = "/lwm2m/";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), 0);
    assert_int_equal(path.len, 0);
    t = "/lwm2mx/3";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), LWM2M_ERR_NOT_FOUND);
    t = "/lwm";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), LWM2M_ERR_NOT_FOUND);
    t = "/3/0";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), NULL, &path), 0);
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "", &path), 0);
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/", &path), 0);
    want = lwm2m_path_inst(3, 0);
    assert_true(lwm2m_path_equal(&path, &want));
    t = "/lwm2m/3/0/";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), LWM2M_ERR_INVALID);
    t = "/lwm2m/3/65535";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/lwm2m", &path), LWM2M_ERR_RANGE);
    t = "/a/b";
    assert_int_equal(lwm2m_link_target_path(t, strlen(t), "/a", &path), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_target_path(NULL, 0, "/a", &path), LWM2M_ERR_INVALID);
}

static void test_other_syntax(void **state)
{
    (void)state;
    parsed p;
    parse_all("", 0, &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 0);

    /* Flags, escapes, '*' names, percent-escapes and non-path targets. */
    const char *s = "</sensors/temp%20a?x=1#f>;obs;if=\"sensor\";title*=UTF-8'de'n%c3%a4chstes;"
                    "title=\"a \\\"b\\\\ c\";sz=<1>,<coap://[::1]:5683/x>;anchor=\"/\"";
    parse_all(s, strlen(s), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.n, 2);
    assert_target(&p.links[0], "/sensors/temp%20a?x=1#f");
    assert_false(p.links[0].has_path);
    assert_int_equal(p.links[0].param_count, 5);
    assert_param(&p.links[0], 0, "obs", NULL, false);
    assert_param(&p.links[0], 1, "if", "sensor", true);
    assert_param(&p.links[0], 2, "title*", "UTF-8'de'n%c3%a4chstes", false);
    assert_param(&p.links[0], 3, "title", "a \"b\\ c", true);
    const lwm2m_link_param *t = &p.links[0].params[3];
    assert_int_equal(t->raw_len, strlen("\"a \\\"b\\\\ c\""));
    /* The escaped value was copied into the arena. */
    assert_true((const uint8_t *)t->value >= arena_mem &&
                (const uint8_t *)t->value < arena_mem + sizeof arena_mem);
    assert_param(&p.links[0], 4, "sz", "<1>", false);
    assert_target(&p.links[1], "coap://[::1]:5683/x");
    assert_round_trip(s);

    /* Quoted values with bytes above 0x7F, an empty quoted value. */
    s = "</3/0>;title=\"\xC3\xA4\";x=\"\"";
    parse_all(s, strlen(s), &p);
    assert_int_equal(p.rc, 0);
    assert_param(&p.links[0], 0, "title", "\xC3\xA4", true);
    assert_param(&p.links[0], 1, "x", "", true);
    assert_round_trip(s);

    /* 16 parameters are fine. */
    char buf[512] = "</1>";
    for (int i = 0; i < LWM2M_LINK_MAX_PARAMS; i++)
        strcat(buf, ";a=1");
    parse_all(buf, strlen(buf), &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.links[0].param_count, LWM2M_LINK_MAX_PARAMS);
    size_t count = 99;
    assert_int_equal(lwm2m_link_count((const uint8_t *)buf, strlen(buf), NULL, &count, NULL), 0);
    assert_int_equal(count, 1);
    assert_int_equal(
        lwm2m_link_count((const uint8_t *)bs_discover, strlen(bs_discover), NULL, &count, NULL), 0);
    assert_int_equal(count, 4);
}

static void expect_error(const char *s, int code, size_t offset, const char *reason)
{
    parsed p;
    parse_all(s, strlen(s), &p);
    if (p.rc != code || p.err.offset != offset || p.err.reason == NULL ||
        strcmp(p.err.reason, reason) != 0)
        fail_msg("'%s': got %d at %zu '%s', want %d at %zu '%s'", s, p.rc, p.err.offset,
                 p.err.reason ? p.err.reason : "(null)", code, offset, reason);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("<", LWM2M_ERR_INVALID, 0, "unterminated link target");
    expect_error("</3/0", LWM2M_ERR_INVALID, 0, "unterminated link target");
    expect_error("</3>,</4", LWM2M_ERR_INVALID, 5, "unterminated link target");
    expect_error("<>", LWM2M_ERR_INVALID, 0, "empty link target");
    expect_error("</3 0>", LWM2M_ERR_INVALID, 3, "bad character in link target");
    expect_error("</3\"0>", LWM2M_ERR_INVALID, 3, "bad character in link target");
    expect_error("</3<0>", LWM2M_ERR_INVALID, 3, "bad character in link target");
    expect_error("</\xC3\xA4>", LWM2M_ERR_INVALID, 2, "bad character in link target");
    expect_error("</3%2>", LWM2M_ERR_INVALID, 3, "bad percent-escape in link target");
    expect_error("</3%zz>", LWM2M_ERR_INVALID, 3, "bad percent-escape in link target");
    expect_error("</3%>", LWM2M_ERR_INVALID, 3, "bad percent-escape in link target");
    expect_error("/3", LWM2M_ERR_INVALID, 0, "expected '<'");
    expect_error(" </3>", LWM2M_ERR_INVALID, 0, "expected '<'");
    expect_error(",</3>", LWM2M_ERR_INVALID, 0, "empty link");
    expect_error("</3>,", LWM2M_ERR_INVALID, 5, "empty link");
    expect_error("</3>,,</4>", LWM2M_ERR_INVALID, 5, "empty link");
    expect_error("</3> ,</4>", LWM2M_ERR_INVALID, 4, "expected ',' or ';'");
    expect_error("</3>, </4>", LWM2M_ERR_INVALID, 5, "expected '<'");
    expect_error("</3>x", LWM2M_ERR_INVALID, 4, "expected ',' or ';'");
    expect_error("</3>;", LWM2M_ERR_INVALID, 5, "truncated link parameter");
    expect_error("</3>;;a", LWM2M_ERR_INVALID, 5, "bad link parameter name");
    expect_error("</3>;=1", LWM2M_ERR_INVALID, 5, "bad link parameter name");
    expect_error("</3>; a=1", LWM2M_ERR_INVALID, 5, "bad link parameter name");
    expect_error("</3>;a =1", LWM2M_ERR_INVALID, 6, "expected ',' or ';'");
    expect_error("</3>;a=", LWM2M_ERR_INVALID, 7, "truncated link parameter");
    expect_error("</3>;a=,</4>", LWM2M_ERR_INVALID, 7, "bad link parameter value");
    expect_error("</3>;a= 1", LWM2M_ERR_INVALID, 7, "bad link parameter value");
    expect_error("</3>;a=b c", LWM2M_ERR_INVALID, 8, "expected ',' or ';'");
    expect_error("</3>;a=b\"", LWM2M_ERR_INVALID, 8, "expected ',' or ';'");
    expect_error("</3>;a=\xC3\xA4", LWM2M_ERR_INVALID, 7, "bad link parameter value");
    expect_error("</3>;a=\"x", LWM2M_ERR_INVALID, 7, "unterminated quoted string");
    expect_error("</3>;a=\"x\\", LWM2M_ERR_INVALID, 7, "unterminated quoted string");
    expect_error("</3>;a=\"x\\\"", LWM2M_ERR_INVALID, 7, "unterminated quoted string");
    expect_error("</3>;a=\"x\ny\"", LWM2M_ERR_INVALID, 9, "control character in quoted string");
    expect_error("</3>;a=\"x\\\ty\"", LWM2M_ERR_INVALID, 10, "control character in quoted string");
    expect_error("</3>;a=\"x\"y", LWM2M_ERR_INVALID, 10, "expected ',' or ';'");
    expect_error("</3>;a\x7f", LWM2M_ERR_INVALID, 6, "expected ',' or ';'");

    char buf[512] = "</1>";
    for (int i = 0; i <= LWM2M_LINK_MAX_PARAMS; i++)
        strcat(buf, ";a=1");
    expect_error(buf, LWM2M_ERR_NOMEM, 4 + 4 * LWM2M_LINK_MAX_PARAMS + 1,
                 "too many link parameters");

    /* An escaped value needs the arena. */
    const char *s = "</1>;t=\"a\\\"b\"";
    lwm2m_link_reader r;
    lwm2m_link link;
    lwm2m_codec_error err = {0, NULL};
    lwm2m_link_reader_init(&r, (const uint8_t *)s, strlen(s), NULL);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), LWM2M_ERR_NOMEM);
    assert_string_equal(err.reason, "arena full");
    uint8_t small[2];
    lwm2m_arena arena = lwm2m_arena_init(small, sizeof small);
    lwm2m_link_reader_init(&r, (const uint8_t *)s, strlen(s), &arena);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), LWM2M_ERR_NOMEM);
    uint8_t enough[3];
    arena = lwm2m_arena_init(enough, sizeof enough);
    lwm2m_link_reader_init(&r, (const uint8_t *)s, strlen(s), &arena);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), 1);
    assert_param(&link, 0, "t", "a\"b", true);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), 0);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), 0); /* stays at the end */

    /* Errors are sticky, and the links before the error were returned. */
    s = "</1>,</2>,<x y>,</3>";
    lwm2m_link_reader_init(&r, (const uint8_t *)s, strlen(s), NULL);
    assert_int_equal(lwm2m_link_next(&r, &link, NULL), 1);
    assert_int_equal(lwm2m_link_next(&r, &link, NULL), 1);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 12);
    err.offset = 0;
    assert_int_equal(lwm2m_link_next(&r, &link, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 12);
    size_t count;
    assert_int_equal(lwm2m_link_count((const uint8_t *)s, strlen(s), NULL, &count, &err),
                     LWM2M_ERR_INVALID);
    assert_int_equal(count, 2);

    /* NULL input is an empty payload. */
    lwm2m_link_reader_init(&r, NULL, 5, NULL);
    assert_int_equal(lwm2m_link_next(&r, &link, &err), 0);
}

static void test_prefixes(void **state)
{
    (void)state;
    check_prefixes(bs_discover);
    check_prefixes(register_1);
    check_prefixes(register_2);
    check_prefixes(register_alt);
    check_prefixes(dm_discover);
    check_prefixes("</a>;t=\"x\\\"y\";f,</b>;u");
}

static void assert_written(const lwm2m_buf *b, const char *want)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0)
        fail_msg("wrote '%.*s', want '%s'", (int)b->len, (const char *)b->data, want);
}

static void test_write(void **state)
{
    (void)state;
    uint8_t mem[256];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_link_param ps[4];

    lwm2m_path p = lwm2m_path_root();
    ps[0] = lwm2m_link_param_str("lwm2m", "1.1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, true), 0);
    p = lwm2m_path_inst(0, 0);
    ps[0] = lwm2m_link_param_str("ssid", "101");
    ps[1] = lwm2m_link_param_str("uri", "coap://server1.com");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 2, false), 0);
    p = lwm2m_path_inst(1, 0);
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), 0);
    p = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_link_write(&b, &p, NULL, 0, false), 0);
    assert_written(&b, bs_discover);

    b = lwm2m_buf_init(mem, sizeof mem);
    p = lwm2m_path_res(3, 0, 1);
    ps[0] = lwm2m_link_param_str("dim", "2");
    ps[1] = lwm2m_link_param_str("ver", "1.1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 2, true), 0);
    assert_written(&b, "</3/0/1>;dim=2;ver=1.1");

    b = lwm2m_buf_init(mem, sizeof mem);
    p = lwm2m_path_root();
    ps[0] = lwm2m_link_param_str("rt", "oma.lwm2m");
    ps[1] = lwm2m_link_param_str("ct", "11543");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 2, true), 0);
    assert_written(&b, "</>;rt=\"oma.lwm2m\";ct=11543");

    /* Quoting: values that are not ptokens, empty values, escapes; flags. */
    b = lwm2m_buf_init(mem, sizeof mem);
    p = lwm2m_path_rinst(3, 0, 7, 1);
    ps[0] = lwm2m_link_param_str("a", "x y");
    ps[1] = lwm2m_link_param_str("b", "");
    ps[2] = lwm2m_link_param_str("c", "q\"b\\s");
    ps[3] = lwm2m_link_param_str("obs", NULL);
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 4, true), 0);
    assert_written(&b, "</3/0/7/1>;a=\"x y\";b=\"\";c=\"q\\\"b\\\\s\";obs");
    b = lwm2m_buf_init(mem, sizeof mem);
    ps[0] = lwm2m_link_param_str("x", "a,b");
    ps[1] = lwm2m_link_param_str("y", "a;b");
    ps[2] = lwm2m_link_param_str("z", "\xC3\xA4");
    ps[3] = lwm2m_link_param_str("TITLE", "t");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 4, true), 0);
    assert_written(&b, "</3/0/7/1>;x=\"a,b\";y=\"a;b\";z=\"\xC3\xA4\";TITLE=\"t\"");

    /* Raw targets. */
    b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_link_write_target(&b, "/lwm2m", 6, NULL, 0, true), 0);
    assert_int_equal(lwm2m_link_write_target(&b, "/lwm2m/1/0", 10, NULL, 0, false), 0);
    assert_written(&b, "</lwm2m>,</lwm2m/1/0>");

    /* Invalid input writes nothing. */
    b = lwm2m_buf_init(mem, sizeof mem);
    ps[0] = lwm2m_link_param_str("a b", "1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), LWM2M_ERR_INVALID);
    ps[0] = lwm2m_link_param_str("", "1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), LWM2M_ERR_INVALID);
    ps[0] = lwm2m_link_param_str("*", "1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), LWM2M_ERR_INVALID);
    ps[0] = lwm2m_link_param_str(NULL, "1");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), LWM2M_ERR_INVALID);
    ps[0] = lwm2m_link_param_str("a", "x\ny");
    assert_int_equal(lwm2m_link_write(&b, &p, ps, 1, false), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write(&b, &p, NULL, 1, false), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write(&b, NULL, NULL, 0, false), LWM2M_ERR_INVALID);
    lwm2m_path deep = p;
    deep.len = 5;
    assert_int_equal(lwm2m_link_write(&b, &deep, NULL, 0, false), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write_target(&b, "", 0, NULL, 0, true), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write_target(&b, "/a>", 3, NULL, 0, true), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write_target(&b, "/a%4", 4, NULL, 0, true), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_link_write_target(&b, NULL, 1, NULL, 0, true), LWM2M_ERR_INVALID);
    assert_int_equal(b.len, 0);
    ps[0] = lwm2m_link_param_str("title*", "UTF-8''x");
    assert_int_equal(lwm2m_link_write_target(&b, "/a", 2, ps, 1, true), 0);
    assert_written(&b, "</a>;title*=UTF-8''x");
}

static void test_write_overflow(void **state)
{
    (void)state;
    /* Every too-small buffer reports the full size and writes nothing past its capacity. */
    const size_t need = strlen(bs_discover);
    for (size_t cap = 0; cap <= need; cap++) {
        uint8_t mem[128];
        memset(mem, 0xAA, sizeof mem);
        lwm2m_buf b = lwm2m_buf_init(mem, cap);
        lwm2m_link_param ps[2] = {lwm2m_link_param_str("ssid", "101"),
                                  lwm2m_link_param_str("uri", "coap://server1.com")};
        lwm2m_link_param v = lwm2m_link_param_str("lwm2m", "1.1");
        lwm2m_path paths[4] = {lwm2m_path_root(), lwm2m_path_inst(0, 0), lwm2m_path_inst(1, 0),
                               lwm2m_path_inst(3, 0)};
        int rc[4];
        rc[0] = lwm2m_link_write(&b, &paths[0], &v, 1, true);
        rc[1] = lwm2m_link_write(&b, &paths[1], ps, 2, false);
        rc[2] = lwm2m_link_write(&b, &paths[2], ps, 1, false);
        rc[3] = lwm2m_link_write(&b, &paths[3], NULL, 0, false);
        assert_int_equal(b.len, need);
        assert_int_equal(rc[3], cap < need ? LWM2M_ERR_OVERFLOW : 0);
        for (size_t i = cap; i < sizeof mem; i++)
            assert_int_equal(mem[i], 0xAA);
        assert_memory_equal(mem, bs_discover, cap);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bootstrap_discover),
        cmocka_unit_test(test_register_payloads),
        cmocka_unit_test(test_alternate_path),
        cmocka_unit_test(test_other_syntax),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_write_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
