/* Unit tests of the LwM2M JSON codec (Content-Format 11543, LwM2M 1.0). Spec examples are those
 * of OMA TS Core 1.1 draft §6.4.4 (and Core 1.2 "LwM2M TS 1.0 JSON format"), compared after
 * removing the insignificant whitespace and the typographic quotes of the document. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

#define MAX_RECS 64

/* ---- helpers ---- */

typedef struct type_entry {
    uint16_t obj, res; /* any instance */
    lwm2m_type type;
} type_entry;

typedef struct type_table {
    const type_entry *e;
    size_t n;
} type_table;

static lwm2m_type table_type(void *ctx, const lwm2m_path *res)
{
    const type_table *t = ctx;
    assert_int_equal(res->len, 3);
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].obj == res->id[0] && t->e[i].res == res->id[2])
            return t->e[i].type;
    return LWM2M_TYPE_NONE;
}

static const type_entry known_types[] = {
    {3, 0, LWM2M_TYPE_STRING},   {3, 1, LWM2M_TYPE_STRING},   {3, 2, LWM2M_TYPE_STRING},
    {3, 3, LWM2M_TYPE_STRING},   {3, 6, LWM2M_TYPE_INTEGER},  {3, 7, LWM2M_TYPE_INTEGER},
    {3, 8, LWM2M_TYPE_INTEGER},  {3, 9, LWM2M_TYPE_INTEGER},  {3, 10, LWM2M_TYPE_INTEGER},
    {3, 11, LWM2M_TYPE_INTEGER}, {3, 13, LWM2M_TYPE_TIME},    {3, 14, LWM2M_TYPE_STRING},
    {3, 16, LWM2M_TYPE_STRING},  {72, 2, LWM2M_TYPE_FLOAT},   {65, 0, LWM2M_TYPE_OBJLNK},
    {65, 1, LWM2M_TYPE_STRING},  {65, 2, LWM2M_TYPE_INTEGER}, {66, 0, LWM2M_TYPE_STRING},
    {66, 1, LWM2M_TYPE_STRING},  {66, 2, LWM2M_TYPE_OBJLNK},  {67, 0, LWM2M_TYPE_STRING},
    {67, 1, LWM2M_TYPE_STRING},  {5, 0, LWM2M_TYPE_OPAQUE},   {5, 1, LWM2M_TYPE_STRING},
    {5, 2, LWM2M_TYPE_CORELNK},  {5, 3, LWM2M_TYPE_UNSIGNED}, {5, 4, LWM2M_TYPE_BOOLEAN},
    {5, 5, LWM2M_TYPE_OBJLNK},   {5, 6, LWM2M_TYPE_FLOAT},    {5, 7, LWM2M_TYPE_TIME},
};
static const type_table known_table = {known_types, sizeof known_types / sizeof known_types[0]};
static const lwm2m_types resolver = {table_type, (void *)&known_table};

typedef struct decoded {
    lwm2m_record items[MAX_RECS];
    lwm2m_record_list list;
    uint8_t mem[4096];
    lwm2m_arena arena;
    lwm2m_codec_error err;
} decoded;

static int decode_at(decoded *d, const lwm2m_path *base, const char *json, size_t len,
                     const lwm2m_types *types)
{
    d->list = lwm2m_record_list_init(d->items, MAX_RECS);
    d->arena = lwm2m_arena_init(d->mem, sizeof d->mem);
    d->err.offset = 0;
    d->err.reason = NULL;
    return lwm2m_lwm2m_json_decode(base, (const uint8_t *)json, len, types, &d->arena, &d->list,
                                   &d->err);
}

static int decode_str(decoded *d, const lwm2m_path *base, const char *json,
                      const lwm2m_types *types)
{
    return decode_at(d, base, json, strlen(json), types);
}

static void expect_error(const lwm2m_path *base, const char *json, const lwm2m_types *types, int rc,
                         const char *reason)
{
    static decoded d;
    int got = decode_str(&d, base, json, types);
    if (got != rc || (reason != NULL && (d.err.reason == NULL || strcmp(reason, d.err.reason))))
        print_error("payload %s: rc %d reason %s\n", json, got,
                    d.err.reason ? d.err.reason : "(none)");
    assert_int_equal(got, rc);
    assert_int_equal(d.list.count, 0);
    assert_int_equal(d.arena.used, 0);
    assert_non_null(d.err.reason);
    assert_true(d.err.offset <= strlen(json));
    if (reason != NULL)
        assert_string_equal(d.err.reason, reason);
}

static void assert_record_equal(const lwm2m_record *a, const lwm2m_record *b)
{
    assert_true(lwm2m_path_equal(&a->path, &b->path));
    assert_int_equal(a->value.type, b->value.type);
    assert_true(lwm2m_value_equal(&a->value, &b->value));
    if (a->value.type == LWM2M_TYPE_FLOAT)
        assert_memory_equal(&a->value.v.f, &b->value.v.f, sizeof(double));
    assert_memory_equal(&a->time, &b->time, sizeof(double));
}

static void assert_records_equal(const lwm2m_record *a, const lwm2m_record *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_record_equal(&a[i], &b[i]);
}

static lwm2m_record rec(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r;
    r.path = p;
    r.value = v;
    r.time = 0;
    return r;
}

static lwm2m_record rec_str(lwm2m_path p, const char *s)
{
    return rec(p, lwm2m_value_str(s));
}

static size_t device_records(lwm2m_record *r, const char *model)
{
    size_t n = 0;
    r[n++] = rec_str(lwm2m_path_res(3, 0, 0), "Open Mobile Alliance");
    r[n++] = rec_str(lwm2m_path_res(3, 0, 1), model);
    r[n++] = rec_str(lwm2m_path_res(3, 0, 2), "345000123");
    r[n++] = rec_str(lwm2m_path_res(3, 0, 3), "1.0");
    r[n++] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(5));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 7, 0), lwm2m_value_int(3800));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 7, 1), lwm2m_value_int(5000));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 8, 0), lwm2m_value_int(125));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 8, 1), lwm2m_value_int(900));
    r[n++] = rec(lwm2m_path_res(3, 0, 9), lwm2m_value_int(100));
    r[n++] = rec(lwm2m_path_res(3, 0, 10), lwm2m_value_int(15));
    r[n++] = rec(lwm2m_path_rinst(3, 0, 11, 0), lwm2m_value_int(0));
    r[n++] = rec(lwm2m_path_res(3, 0, 13), lwm2m_value_time(1367491215));
    r[n++] = rec_str(lwm2m_path_res(3, 0, 14), "+02:00");
    r[n++] = rec_str(lwm2m_path_res(3, 0, 16), "U");
    return n;
}

static void expect_encoding(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            const char *want)
{
    static uint8_t mem[4096];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_lwm2m_json_encode(base, recs, n, &b, &err);
    if (rc != LWM2M_OK || b.len != strlen(want) || memcmp(mem, want, b.len) != 0)
        print_error("got  %.*s\nwant %s\n", (int)b.len, (const char *)mem, want);
    assert_int_equal(rc, LWM2M_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(mem, want, b.len);
    size_t need = b.len;
    for (size_t cap = 0; cap < need; cap++) {
        static uint8_t small[4096];
        memset(small, 0xAA, sizeof small);
        lwm2m_buf s = lwm2m_buf_init(small, cap);
        assert_int_equal(lwm2m_lwm2m_json_encode(base, recs, n, &s, NULL), LWM2M_ERR_OVERFLOW);
        assert_int_equal(s.len, need);
        assert_memory_equal(small, want, cap);
        assert_int_equal(small[cap], 0xAA);
    }
}

static void expect_prefixes_fail(const lwm2m_path *base, const char *json, const lwm2m_types *types)
{
    static decoded d;
    size_t len = strlen(json);
    for (size_t cut = 0; cut < len; cut++) {
        d.list = lwm2m_record_list_init(d.items, MAX_RECS);
        d.items[0] = rec(lwm2m_path_res(9, 9, 9), lwm2m_value_int(9));
        d.list.count = 1;
        d.arena = lwm2m_arena_init(d.mem, sizeof d.mem);
        d.err.reason = NULL;
        int rc = lwm2m_lwm2m_json_decode(base, (const uint8_t *)json, cut, types, &d.arena, &d.list,
                                         &d.err);
        if (rc != LWM2M_ERR_INVALID)
            print_error("prefix %zu of %s: rc %d\n", cut, json, rc);
        assert_int_equal(rc, LWM2M_ERR_INVALID);
        assert_int_equal(d.list.count, 1);
        assert_int_equal(d.arena.used, 0);
        assert_non_null(d.err.reason);
        assert_true(d.err.offset <= cut);
    }
    assert_int_equal(decode_at(&d, base, json, len, types), LWM2M_OK);
}

/* ---- spec examples ---- */

/* §6.4.4 Read /3/0, as printed (one entry per line). */
static const char spec_read_3_0_text[] = "{\"bn\":\"/3/0/\",\n"
                                         "\"e\":[\n"
                                         "{\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},\n"
                                         "{\"n\":\"1\",\"sv\":\"Lightweight M2M Client\"},\n"
                                         "{\"n\":\"2\",\"sv\":\"345000123\"},\n"
                                         "{\"n\":\"3\",\"sv\":\"1.0\"},\n"
                                         "{\"n\":\"6/0\",\"v\":1},\n"
                                         "{\"n\":\"6/1\",\"v\":5},\n"
                                         "{\"n\":\"7/0\",\"v\":3800},\n"
                                         "{\"n\":\"7/1\",\"v\":5000},\n"
                                         "{\"n\":\"8/0\",\"v\":125},\n"
                                         "{\"n\":\"8/1\",\"v\":900},\n"
                                         "{\"n\":\"9\",\"v\":100},\n"
                                         "{\"n\":\"10\",\"v\":15},\n"
                                         "{\"n\":\"11/0\",\"v\":0},\n"
                                         "{\"n\":\"13\",\"v\":1367491215},\n"
                                         "{\"n\":\"14\",\"sv\":\"+02:00\"},\n"
                                         "{\"n\":\"16\",\"sv\":\"U\"}]\n"
                                         "}\n";

/* The same without the insignificant whitespace (no string in it contains a newline). */
static void compact(const char *in, char *out)
{
    while (*in) {
        if (*in != '\n')
            *out++ = *in;
        in++;
    }
    *out = '\0';
}

static void test_spec_read_device(void **state)
{
    (void)state;
    char want_text[sizeof spec_read_3_0_text];
    compact(spec_read_3_0_text, want_text);
    lwm2m_record r[MAX_RECS];
    size_t n = device_records(r, "Lightweight M2M Client");
    lwm2m_path base = lwm2m_path_inst(3, 0);
    expect_encoding(&base, r, n, want_text);
    static decoded d;
    assert_int_equal(decode_str(&d, &base, spec_read_3_0_text, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, r, n);
    assert_ptr_equal(d.items[0].value.v.bytes.ptr,
                     (const uint8_t *)strstr(spec_read_3_0_text, "Open Mobile"));
    assert_int_equal(decode_str(&d, &base, spec_read_3_0_text, NULL), LWM2M_OK);
    assert_int_equal(d.items[13].value.type, LWM2M_TYPE_INTEGER);
    lwm2m_path other = lwm2m_path_inst(3, 1);
    expect_error(&other, spec_read_3_0_text, NULL, LWM2M_ERR_INVALID,
                 "record outside the request path");
    expect_prefixes_fail(&base, want_text, &resolver);
}

static void test_device_roundtrip(void **state)
{
    (void)state;
    lwm2m_record r[MAX_RECS];
    size_t n = device_records(r, "Lightweigt M2M Client");
    lwm2m_path base = lwm2m_path_inst(3, 0);
    uint8_t mem[1024];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, n, &b, NULL), LWM2M_OK);
    static decoded d;
    assert_int_equal(decode_at(&d, &base, (const char *)mem, b.len, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, r, n);
    /* And into SenML JSON and back. */
    uint8_t mem2[1024];
    lwm2m_buf b2 = lwm2m_buf_init(mem2, sizeof mem2);
    assert_int_equal(lwm2m_senml_json_encode(&base, d.items, d.list.count, &b2, NULL), LWM2M_OK);
    lwm2m_record back[MAX_RECS];
    lwm2m_record_list l = lwm2m_record_list_init(back, MAX_RECS);
    assert_int_equal(lwm2m_senml_json_decode(&base, mem2, b2.len, &resolver, NULL, &l, NULL),
                     LWM2M_OK);
    assert_int_equal(l.count, n);
    assert_records_equal(back, r, n);
}

/* §6.4.4 notification: "bt" comes after "e". */
static const char spec_notify_72[] = "{\"bn\":\"/72/\",\n"
                                     "\"e\":[\n"
                                     "{\"n\":\"1/2\",\"v\":22.4,\"t\":-5},\n"
                                     "{\"n\":\"1/2\",\"v\":22.9,\"t\":-30},\n"
                                     "{\"n\":\"1/2\",\"v\":24.1,\"t\":-50}],\n"
                                     "\"bt\":25462634\n"
                                     "}";

static void test_spec_timed_notification(void **state)
{
    (void)state;
    lwm2m_record want[3];
    want[0] = rec(lwm2m_path_res(72, 1, 2), lwm2m_value_float(22.4));
    want[0].time = 25462629;
    want[1] = rec(lwm2m_path_res(72, 1, 2), lwm2m_value_float(22.9));
    want[1].time = 25462604;
    want[2] = rec(lwm2m_path_res(72, 1, 2), lwm2m_value_float(24.1));
    want[2].time = 25462584;
    static decoded d;
    lwm2m_path base = lwm2m_path_obj(72);
    assert_int_equal(decode_str(&d, &base, spec_notify_72, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, 3);
    assert_records_equal(d.items, want, 3);
    assert_int_equal(decode_str(&d, &base, spec_notify_72, NULL), LWM2M_OK);
    assert_records_equal(d.items, want, 3);
    expect_encoding(&base, want, 3,
                    "{\"bn\":\"/72/\",\"bt\":25462629,\"e\":[{\"n\":\"1/2\",\"v\":22.4},"
                    "{\"n\":\"1/2\",\"t\":-25,\"v\":22.9},{\"n\":\"1/2\",\"t\":-45,\"v\":24.1}]}");
    char compact_text[sizeof spec_notify_72];
    compact(spec_notify_72, compact_text);
    expect_prefixes_fail(&base, compact_text, NULL);
}

/* §6.4.4 Read /65/0 with bn "/". */
static const char spec_read_65_0[] =
    "{\"bn\":\"/\",\"e\":[{\"n\":\"65/0/0/0\",\"ov\":\"66:0\"},{\"n\":\"65/0/0/"
    "1\",\"ov\":\"66:1\"},"
    "{\"n\":\"65/0/1\",\"sv\":\"8613800755500\"},{\"n\":\"65/0/2\",\"v\":1},"
    "{\"n\":\"66/0/0\",\"sv\":\"myService1\"},{\"n\":\"66/0/1\",\"sv\":\"Internet.15.234\"},"
    "{\"n\":\"66/0/2\",\"ov\":\"67:0\"},{\"n\":\"66/1/0\",\"sv\":\"myService2\"},"
    "{\"n\":\"66/1/1\",\"sv\":\"Internet.15.235\"},{\"n\":\"66/1/2\",\"ov\":\"FFFF:FFFF\"},"
    "{\"n\":\"67/0/0\",\"sv\":\"85.76.76.84\"},{\"n\":\"67/0/1\",\"sv\":\"85.76.255.255\"}]}";

static void test_spec_objlnk_hierarchy(void **state)
{
    (void)state;
    lwm2m_record want[12];
    size_t n = 0;
    want[n++] = rec(lwm2m_path_rinst(65, 0, 0, 0), lwm2m_value_objlnk(66, 0));
    want[n++] = rec(lwm2m_path_rinst(65, 0, 0, 1), lwm2m_value_objlnk(66, 1));
    want[n++] = rec_str(lwm2m_path_res(65, 0, 1), "8613800755500");
    want[n++] = rec(lwm2m_path_res(65, 0, 2), lwm2m_value_int(1));
    want[n++] = rec_str(lwm2m_path_res(66, 0, 0), "myService1");
    want[n++] = rec_str(lwm2m_path_res(66, 0, 1), "Internet.15.234");
    want[n++] = rec(lwm2m_path_res(66, 0, 2), lwm2m_value_objlnk(67, 0));
    want[n++] = rec_str(lwm2m_path_res(66, 1, 0), "myService2");
    want[n++] = rec_str(lwm2m_path_res(66, 1, 1), "Internet.15.235");
    want[n++] = rec(lwm2m_path_res(66, 1, 2), lwm2m_value_objlnk(65535, 65535));
    want[n++] = rec_str(lwm2m_path_res(67, 0, 0), "85.76.76.84");
    want[n++] = rec_str(lwm2m_path_res(67, 0, 1), "85.76.255.255");
    static decoded d;
    lwm2m_path root = lwm2m_path_root(), base = lwm2m_path_inst(65, 0);
    assert_int_equal(decode_str(&d, &root, spec_read_65_0, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, want, n);
    expect_error(&base, spec_read_65_0, NULL, LWM2M_ERR_INVALID, "record outside the request path");
    char expect[sizeof spec_read_65_0 + 8];
    const char *ff = strstr(spec_read_65_0, "FFFF:FFFF");
    size_t head = (size_t)(ff - spec_read_65_0);
    memcpy(expect, spec_read_65_0, head);
    memcpy(expect + head, "65535:65535", 11);
    strcpy(expect + head + 11, ff + 9);
    expect_encoding(&root, want, n, expect);
    expect_prefixes_fail(&root, spec_read_65_0, NULL);
}

static void test_spec_single_resource(void **state)
{
    (void)state;
    lwm2m_record r = rec_str(lwm2m_path_res(3, 0, 0), "Open Mobile Alliance");
    lwm2m_path base = lwm2m_path_res(3, 0, 0);
    const char *want = "{\"bn\":\"/3/0/0\",\"e\":[{\"sv\":\"Open Mobile Alliance\"}]}";
    expect_encoding(&base, &r, 1, want);
    static decoded d;
    assert_int_equal(decode_str(&d, &base, want, NULL), LWM2M_OK);
    assert_int_equal(d.list.count, 1);
    assert_record_equal(&d.items[0], &r);
    /* As printed in the draft: the value lacks its closing quote. */
    expect_error(&base, "{\"bn\":\"/3/0/0\",\"e\":[{\"sv\":\"Open Mobile Alliance}]}", NULL,
                 LWM2M_ERR_INVALID, "truncated string");
}

/* ---- decoder details ---- */

static void test_decode_names(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path root = lwm2m_path_root();
    /* Without bn the names are full paths; members in any order; unknown ones ignored. */
    assert_int_equal(
        decode_str(&d, &root,
                   "{\"x\":[1,{\"y\":null}],\"e\":[{\"v\":1,\"n\":\"/3/0/9\",\"u\":\"%\"},"
                   "{\"sv\":\"a\",\"n\":\"/3/0/0\"}],\"ver\":\"1.0\"}",
                   NULL),
        LWM2M_OK);
    assert_int_equal(d.list.count, 2);
    lwm2m_record want[2];
    want[0] = rec(lwm2m_path_res(3, 0, 9), lwm2m_value_int(1));
    want[1] = rec_str(lwm2m_path_res(3, 0, 0), "a");
    assert_records_equal(d.items, want, 2);
    /* bn after "e" still applies; bt too. */
    assert_int_equal(
        decode_str(&d, &root, "{\"e\":[{\"n\":\"9\",\"v\":1,\"t\":2}],\"bt\":-1,\"bn\":\"/3/0/\"}",
                   NULL),
        LWM2M_OK);
    want[0].time = 1;
    assert_records_equal(d.items, want, 1);
    /* Empty resource array. */
    assert_int_equal(decode_str(&d, &root, "{\"bn\":\"/3/0/\",\"e\":[]}", NULL), LWM2M_OK);
    assert_int_equal(d.list.count, 0);
    static const char *const bad_names[] = {
        "{\"e\":[{\"n\":\"3/0/9\",\"v\":1}]}",
        "{\"bn\":\"/3/0\",\"e\":[{\"n\":\"9\",\"v\":1}]}",
        "{\"bn\":\"/3/0/\",\"e\":[{\"v\":1}]}",
        "{\"e\":[{\"v\":1}]}",
        "{\"bn\":\"/3/\",\"e\":[{\"n\":\"0\",\"v\":1}]}",
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"65535\",\"v\":1}]}",
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1/2/3\",\"v\":1}]}",
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        expect_error(&root, bad_names[i], NULL, LWM2M_ERR_INVALID,
                     "name is not a resource or resource instance path");
}

static void test_decode_errors(void **state)
{
    (void)state;
    lwm2m_path root = lwm2m_path_root();
    static const struct {
        const char *json;
        const char *reason;
    } cases[] = {
        {"", "truncated payload"},
        {"[]", "expected an object"},
        {"{}", "missing resource array e"},
        {"{\"bn\":\"/3/0/\"}", "missing resource array e"},
        {"{\"e\":{}}", "e must be an array"},
        {"{\"bn\":1,\"e\":[]}", "bn must be a string"},
        {"{\"bt\":\"1\",\"e\":[]}", "bt must be a number"},
        {"{\"e\":[],\"e\":[]}", "duplicate member"},
        {"{\"bn\":\"/\",\"bn\":\"/\",\"e\":[]}", "duplicate member"},
        {"{\"e\":[]} {}", "trailing data after the payload"},
        {"{\"e\":[1]}", "expected an object"},
        {"{\"e\":[{\"n\":\"/3/0/1\"}]}", "record without value"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"vs\":\"x\"}]}", "record without value"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":1,\"sv\":\"x\"}]}", "more than one value in an entry"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":1,\"v\":1}]}", "duplicate member"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"n\":\"/3/0/1\",\"v\":1}]}", "duplicate member"},
        {"{\"e\":[{\"n\":1,\"v\":1}]}", "n must be a string"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"t\":\"1\",\"v\":1}]}", "t must be a number"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":true}]}", "v must be a number"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"bv\":1}]}", "bv must be a boolean"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"sv\":1}]}", "sv must be a string"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"ov\":1}]}", "ov must be a string"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"ov\":\"1-1\"}]}", "invalid object link"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"sv\":\"\\uD800\"}]}", "invalid \\u escape"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":1}],\"x\":[[[[[[[[1]]]]]]]]}", "nesting too deep"},
        {"{\"bt\":1e308,\"e\":[{\"n\":\"/3/0/1\",\"t\":1e308,\"v\":1}]}", "time out of range"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":1}]]", "expected ',' or '}'"},
        {"{\"e\":[{\"n\":\"/3/0/1\",\"v\":1}]}}", "trailing data after the payload"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(&root, cases[i].json, NULL, LWM2M_ERR_INVALID, cases[i].reason);
    /* Offsets. */
    static decoded d;
    lwm2m_path base = lwm2m_path_obj(3);
    const char *json = "{\"e\":[{\"n\":\"/3/0/1\",\"v\":1},{\"n\":\"/4/0/1\",\"v\":1}]}";
    assert_int_equal(decode_str(&d, &base, json, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(d.err.offset, 27);
    assert_string_equal(d.err.reason, "record outside the request path");
}

static void test_decode_types(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path base = lwm2m_path_inst(5, 0);
    const char *json =
        "{\"bn\":\"/5/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"+/8B\"},{\"n\":\"1\",\"sv\":\"s\"},"
        "{\"n\":\"2\",\"sv\":\"</1>\"},{\"n\":\"3\",\"v\":18446744073709551615},"
        "{\"n\":\"4\",\"bv\":false},{\"n\":\"5\",\"ov\":\"1:2\"},{\"n\":\"6\",\"v\":-0},"
        "{\"n\":\"7\",\"v\":1e3}]}";
    assert_int_equal(decode_str(&d, &base, json, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, 8);
    lwm2m_record want[8];
    want[0] = rec(lwm2m_path_res(5, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\xfb\xff\x01", 3));
    want[1] = rec_str(lwm2m_path_res(5, 0, 1), "s");
    want[2] = rec(lwm2m_path_res(5, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</1>", 4));
    want[3] = rec(lwm2m_path_res(5, 0, 3), lwm2m_value_uint(UINT64_MAX));
    want[4] = rec(lwm2m_path_res(5, 0, 4), lwm2m_value_bool(false));
    want[5] = rec(lwm2m_path_res(5, 0, 5), lwm2m_value_objlnk(1, 2));
    want[6] = rec(lwm2m_path_res(5, 0, 6), lwm2m_value_float(-0.0));
    want[7] = rec(lwm2m_path_res(5, 0, 7), lwm2m_value_time(1000));
    assert_records_equal(d.items, want, 8);
    assert_ptr_equal(d.items[0].value.v.bytes.ptr, d.mem);
    /* Without types "sv" is a string, and "v" numbers take their literal's type. */
    assert_int_equal(decode_str(&d, &base, json, NULL), LWM2M_OK);
    assert_int_equal(d.items[0].value.type, LWM2M_TYPE_STRING);
    assert_int_equal(d.items[6].value.type, LWM2M_TYPE_INTEGER);
    assert_int_equal(d.items[7].value.type, LWM2M_TYPE_FLOAT);
    static const struct {
        const char *json;
        const char *reason;
    } bad[] = {
        {"{\"e\":[{\"n\":\"/5/0/1\",\"v\":1}]}", "number does not fit the resource type"},
        {"{\"e\":[{\"n\":\"/5/0/3\",\"v\":-1}]}", "number does not fit the resource type"},
        {"{\"e\":[{\"n\":\"/5/0/7\",\"v\":0.5}]}", "number does not fit the resource type"},
        {"{\"e\":[{\"n\":\"/5/0/3\",\"bv\":true}]}", "boolean for a non-boolean resource"},
        {"{\"e\":[{\"n\":\"/5/0/3\",\"sv\":\"1\"}]}", "string for a non-string resource"},
        {"{\"e\":[{\"n\":\"/5/0/1\",\"ov\":\"1:1\"}]}", "object link for a non-objlnk resource"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(&base, bad[i].json, &resolver, LWM2M_ERR_TYPE, bad[i].reason);
    expect_error(&base, "{\"e\":[{\"n\":\"/5/0/0\",\"sv\":\"not base64\"}]}", &resolver,
                 LWM2M_ERR_INVALID, "invalid base64 in sv");
    /* Memory: arena and list limits. */
    lwm2m_record items[2];
    lwm2m_record_list list = lwm2m_record_list_init(items, 1);
    lwm2m_codec_error err = {0, NULL};
    assert_int_equal(lwm2m_lwm2m_json_decode(&base, (const uint8_t *)json, strlen(json), &resolver,
                                             NULL, &list, &err),
                     LWM2M_ERR_NOMEM);
    assert_string_equal(err.reason, "arena full");
    assert_int_equal(list.count, 0);
    assert_int_equal(lwm2m_lwm2m_json_decode(&base, (const uint8_t *)json, strlen(json), NULL, NULL,
                                             &list, &err),
                     LWM2M_ERR_NOMEM);
    assert_string_equal(err.reason, "too many records");
    assert_int_equal(list.count, 0);
}

/* ---- encoder details ---- */

static void test_encode_types(void **state)
{
    (void)state;
    lwm2m_record r[9];
    size_t n = 0;
    r[n++] =
        rec(lwm2m_path_res(5, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\xfb\xff\x01\x02", 4));
    r[n++] = rec_str(lwm2m_path_res(5, 0, 1), "\"\\\x1f");
    r[n++] = rec(lwm2m_path_res(5, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</1>", 4));
    r[n++] = rec(lwm2m_path_res(5, 0, 3), lwm2m_value_uint(UINT64_MAX));
    r[n++] = rec(lwm2m_path_res(5, 0, 4), lwm2m_value_bool(true));
    r[n++] = rec(lwm2m_path_res(5, 0, 5), lwm2m_value_objlnk(0, 65535));
    r[n++] = rec(lwm2m_path_res(5, 0, 6), lwm2m_value_float(1.0 / 3));
    r[n++] = rec(lwm2m_path_rinst(5, 0, 7, 3), lwm2m_value_time(-1));
    r[n++] = rec(lwm2m_path_inst(5, 0), (lwm2m_value){LWM2M_TYPE_NONE, {.i = 0}});
    lwm2m_path base = lwm2m_path_inst(5, 0);
    const char *want = "{\"bn\":\"/5/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"+/8BAg==\"},"
                       "{\"n\":\"1\",\"sv\":\"\\\"\\\\\\u001f\"},{\"n\":\"2\",\"sv\":\"</1>\"},"
                       "{\"n\":\"3\",\"v\":18446744073709551615},{\"n\":\"4\",\"bv\":true},"
                       "{\"n\":\"5\",\"ov\":\"0:65535\"},{\"n\":\"6\",\"v\":0.3333333333333333},"
                       "{\"n\":\"7/3\",\"v\":-1}]}";
    expect_encoding(&base, r, n, want);
    static decoded d;
    assert_int_equal(decode_str(&d, &base, want, &resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n - 1);
    assert_records_equal(d.items, r, n - 1);
}

static void test_encode_bases_and_times(void **state)
{
    (void)state;
    lwm2m_record r[3];
    r[0] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(5));
    lwm2m_path base = lwm2m_path_res(3, 0, 6);
    expect_encoding(&base, r, 2,
                    "{\"bn\":\"/3/0/6/\",\"e\":[{\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":5}]}");
    base = lwm2m_path_root();
    expect_encoding(
        &base, r, 2,
        "{\"bn\":\"/\",\"e\":[{\"n\":\"3/0/6/0\",\"v\":1},{\"n\":\"3/0/6/1\",\"v\":5}]}");
    expect_encoding(&base, r, 0, "{\"bn\":\"/\",\"e\":[]}");
    base = lwm2m_path_inst(3, 0);
    expect_encoding(&base, r, 0, "{\"bn\":\"/3/0/\",\"e\":[]}");
    /* Unsorted input beside the first record's base name falls back to bn "/". */
    r[0] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_res(3, 0, 6), lwm2m_value_int(2));
    base = lwm2m_path_res(3, 0, 6);
    expect_encoding(&base, r, 2,
                    "{\"bn\":\"/\",\"e\":[{\"n\":\"3/0/6/0\",\"v\":1},{\"n\":\"3/0/6\",\"v\":2}]}");
    r[0] = rec(lwm2m_path_res(3, 0, 6), lwm2m_value_int(2));
    r[1] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    expect_encoding(&base, r, 2, "{\"bn\":\"/3/0/6\",\"e\":[{\"v\":2},{\"n\":\"/0\",\"v\":1}]}");
    /* Times: one bt for all, unless some time cannot be written exactly against it. */
    r[0] = rec(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));
    r[0].time = 10;
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_int(2));
    r[1].time = 0;
    r[2] = rec(lwm2m_path_res(3, 0, 3), lwm2m_value_int(3));
    r[2].time = 10.5;
    base = lwm2m_path_inst(3, 0);
    expect_encoding(
        &base, r, 3,
        "{\"bn\":\"/3/0/\",\"bt\":10,\"e\":[{\"n\":\"1\",\"v\":1},{\"n\":\"2\",\"t\":-10,"
        "\"v\":2},{\"n\":\"3\",\"t\":0.5,\"v\":3}]}");
    r[2].time = 1e-300;
    r[0].time = 1e20;
    expect_encoding(
        &base, r, 3,
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"t\":1e+20,\"v\":1},{\"n\":\"2\",\"v\":2},"
        "{\"n\":\"3\",\"t\":1e-300,\"v\":3}]}");
    static decoded d;
    uint8_t mem[512];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 3, &b, NULL), LWM2M_OK);
    assert_int_equal(decode_at(&d, &base, (const char *)mem, b.len, NULL), LWM2M_OK);
    assert_records_equal(d.items, r, 3);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t mem[256];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_codec_error err = {0, NULL};
    lwm2m_path base = lwm2m_path_inst(3, 0);
    lwm2m_record r[2];
    r[0] = rec(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_res(4, 0, 1), lwm2m_value_int(1));
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.reason, "record outside the request path");
    r[1] = rec(lwm2m_path_inst(3, 0), lwm2m_value_int(1));
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "value record above resource level");
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_float(NAN));
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.reason, "value has no lwm2m json form");
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "\xe2\x82", 2));
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_int(1));
    r[1].time = -INFINITY;
    assert_int_equal(lwm2m_lwm2m_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "time is not finite");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_read_device),
        cmocka_unit_test(test_device_roundtrip),
        cmocka_unit_test(test_spec_timed_notification),
        cmocka_unit_test(test_spec_objlnk_hierarchy),
        cmocka_unit_test(test_spec_single_resource),
        cmocka_unit_test(test_decode_names),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_types),
        cmocka_unit_test(test_encode_types),
        cmocka_unit_test(test_encode_bases_and_times),
        cmocka_unit_test(test_encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
