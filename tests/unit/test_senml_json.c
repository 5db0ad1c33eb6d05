/* Unit tests of the SenML JSON codec (Content-Format 110). Spec examples are from OMA LwM2M
 * Core 1.2 §7.4.4 "SenML JSON" (same text as 1.1.1) and the Bootstrap-Read /2 example. */
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

static const type_entry device_types[] = {
    {3, 0, LWM2M_TYPE_STRING},        {3, 1, LWM2M_TYPE_STRING},
    {3, 2, LWM2M_TYPE_STRING},        {3, 3, LWM2M_TYPE_STRING},
    {3, 6, LWM2M_TYPE_INTEGER},       {3, 7, LWM2M_TYPE_INTEGER},
    {3, 8, LWM2M_TYPE_INTEGER},       {3, 9, LWM2M_TYPE_INTEGER},
    {3, 10, LWM2M_TYPE_INTEGER},      {3, 11, LWM2M_TYPE_INTEGER},
    {3, 13, LWM2M_TYPE_TIME},         {3, 14, LWM2M_TYPE_STRING},
    {3, 15, LWM2M_TYPE_STRING},       {3, 16, LWM2M_TYPE_STRING},
    {1, 1, LWM2M_TYPE_INTEGER},       {72, 2, LWM2M_TYPE_FLOAT},
    {65, 0, LWM2M_TYPE_OBJLNK},       {65, 1, LWM2M_TYPE_STRING},
    {65, 2, LWM2M_TYPE_INTEGER},      {66, 0, LWM2M_TYPE_STRING},
    {66, 1, LWM2M_TYPE_STRING},       {66, 2, LWM2M_TYPE_OBJLNK},
    {67, 0, LWM2M_TYPE_STRING},       {67, 1, LWM2M_TYPE_STRING},
    {2, 0, LWM2M_TYPE_INTEGER},       {2, 1, LWM2M_TYPE_INTEGER},
    {2, 2, LWM2M_TYPE_INTEGER},       {2, 3, LWM2M_TYPE_INTEGER},
    {3311, 5850, LWM2M_TYPE_BOOLEAN}, {3311, 5851, LWM2M_TYPE_INTEGER},
    {3308, 5900, LWM2M_TYPE_FLOAT},   {5, 0, LWM2M_TYPE_OPAQUE},
    {5, 1, LWM2M_TYPE_STRING},        {5, 2, LWM2M_TYPE_CORELNK},
    {5, 3, LWM2M_TYPE_UNSIGNED},      {5, 4, LWM2M_TYPE_BOOLEAN},
    {5, 5, LWM2M_TYPE_OBJLNK},        {5, 6, LWM2M_TYPE_FLOAT},
    {5, 7, LWM2M_TYPE_TIME},
};
static const type_table device_table = {device_types, sizeof device_types / sizeof device_types[0]};
static const lwm2m_types device_resolver = {table_type, (void *)&device_table};

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
    return lwm2m_senml_json_decode(base, (const uint8_t *)json, len, types, &d->arena, &d->list,
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

/* Bit-exact comparison: floats and times by their bits, bytes by content. */
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

/* The Device /3/0 of the spec's example client. */
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

/* Encodes and checks the exact bytes, then that every smaller buffer reports the size. */
static void expect_encoding(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            const char *want)
{
    static uint8_t mem[4096];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_senml_json_encode(base, recs, n, &b, &err);
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
        assert_int_equal(lwm2m_senml_json_encode(base, recs, n, &s, NULL), LWM2M_ERR_OVERFLOW);
        assert_int_equal(s.len, need);
        assert_memory_equal(small, want, cap); /* what fits is the same prefix */
        assert_int_equal(small[cap], 0xAA);    /* and nothing past cap is touched */
    }
}

/* Every strict prefix of a valid payload is an error, and the list count is restored. */
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
        int rc = lwm2m_senml_json_decode(base, (const uint8_t *)json, cut, types, &d.arena, &d.list,
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

/* Core 1.2 §7.4.4, Read /3/0 ("This example has a size of 399 bytes": the 384 below plus
 * the 15 line breaks the spec prints between records). */
static const char spec_read_3_0[] =
    "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
    "{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
    "{\"n\":\"2\",\"vs\":\"345000123\"},"
    "{\"n\":\"3\",\"vs\":\"1.0\"},"
    "{\"n\":\"6/0\",\"v\":1},"
    "{\"n\":\"6/1\",\"v\":5},"
    "{\"n\":\"7/0\",\"v\":3800},"
    "{\"n\":\"7/1\",\"v\":5000},"
    "{\"n\":\"8/0\",\"v\":125},"
    "{\"n\":\"8/1\",\"v\":900},"
    "{\"n\":\"9\",\"v\":100},"
    "{\"n\":\"10\",\"v\":15},"
    "{\"n\":\"11/0\",\"v\":0},"
    "{\"n\":\"13\",\"v\":1367491215},"
    "{\"n\":\"14\",\"vs\":\"+02:00\"},"
    "{\"n\":\"16\",\"vs\":\"U\"}]";

static void test_spec_read_device_encode(void **state)
{
    (void)state;
    assert_int_equal(strlen(spec_read_3_0), 384);
    lwm2m_record r[MAX_RECS];
    size_t n = device_records(r, "Lightweight M2M Client");
    lwm2m_path base = lwm2m_path_inst(3, 0);
    expect_encoding(&base, r, n, spec_read_3_0);
}

static void test_spec_read_device_decode(void **state)
{
    (void)state;
    /* As printed in the spec: one record per line. */
    char text[512];
    size_t o = 0;
    for (const char *p = spec_read_3_0; *p; p++) {
        text[o++] = *p;
        if (*p == '}' && p[1] == ',')
            text[o++] = *++p, text[o++] = '\n';
    }
    text[o] = '\0';
    assert_int_equal(o, 399);
    lwm2m_record want[MAX_RECS];
    size_t n = device_records(want, "Lightweight M2M Client");
    static decoded d;
    lwm2m_path base = lwm2m_path_inst(3, 0);
    assert_int_equal(decode_str(&d, &base, text, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, want, n);
    /* Strings without escapes are borrowed from the input. */
    assert_ptr_equal(d.items[0].value.v.bytes.ptr, (const uint8_t *)strstr(text, "Open Mobile"));
    assert_int_equal(d.arena.used, 0);
    /* Without types: the time stays an INTEGER. */
    assert_int_equal(decode_str(&d, &base, text, NULL), LWM2M_OK);
    assert_int_equal(d.items[13].value.type, LWM2M_TYPE_INTEGER);
    assert_true(d.items[13].value.v.i == 1367491215);
    /* Also at the object and root level. */
    lwm2m_path obj = lwm2m_path_obj(3), root = lwm2m_path_root();
    assert_int_equal(decode_str(&d, &obj, text, &device_resolver), LWM2M_OK);
    assert_int_equal(decode_str(&d, &root, text, &device_resolver), LWM2M_OK);
    assert_records_equal(d.items, want, n);
    /* Not below /3/1 or /3/0/0. */
    lwm2m_path other = lwm2m_path_inst(3, 1), res = lwm2m_path_res(3, 0, 0);
    expect_error(&other, text, &device_resolver, LWM2M_ERR_INVALID,
                 "record outside the request path");
    expect_error(&res, text, &device_resolver, LWM2M_ERR_INVALID,
                 "record outside the request path");
    expect_prefixes_fail(&base, spec_read_3_0, &device_resolver);
}

/* The record set of the brief (the spec's TLV example spells the model "Lightweigt"). */
static void test_device_roundtrip(void **state)
{
    (void)state;
    lwm2m_record r[MAX_RECS];
    size_t n = device_records(r, "Lightweigt M2M Client");
    lwm2m_path base = lwm2m_path_inst(3, 0);
    uint8_t mem[1024];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_senml_json_encode(&base, r, n, &b, NULL), LWM2M_OK);
    assert_int_equal(b.len, strlen(spec_read_3_0) - 1);
    static decoded d;
    assert_int_equal(decode_at(&d, &base, (const char *)mem, b.len, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, r, n);
    assert_int_equal(d.items[13].value.type, LWM2M_TYPE_TIME);
}

/* Core 1.2 Bootstrap-Read /2 example: two Access Control instances. */
static const char spec_bootstrap_read_2[] =
    "[{\"bn\":\"/2/\",\"n\":\"0/0\",\"v\":1},{\"n\":\"0/1\",\"v\":0},{\"n\":\"0/2/127\",\"v\":7},"
    "{\"n\":\"0/3\",\"v\":127},{\"n\":\"2/0\",\"v\":3},{\"n\":\"2/1\",\"v\":0},"
    "{\"n\":\"2/2/127\",\"v\":7},{\"n\":\"2/2/310\",\"v\":7},{\"n\":\"2/3\",\"v\":127}]";

static size_t acl_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(lwm2m_path_res(2, 0, 0), lwm2m_value_int(1));
    r[n++] = rec(lwm2m_path_res(2, 0, 1), lwm2m_value_int(0));
    r[n++] = rec(lwm2m_path_rinst(2, 0, 2, 127), lwm2m_value_int(7));
    r[n++] = rec(lwm2m_path_res(2, 0, 3), lwm2m_value_int(127));
    r[n++] = rec(lwm2m_path_res(2, 2, 0), lwm2m_value_int(3));
    r[n++] = rec(lwm2m_path_res(2, 2, 1), lwm2m_value_int(0));
    r[n++] = rec(lwm2m_path_rinst(2, 2, 2, 127), lwm2m_value_int(7));
    r[n++] = rec(lwm2m_path_rinst(2, 2, 2, 310), lwm2m_value_int(7));
    r[n++] = rec(lwm2m_path_res(2, 2, 3), lwm2m_value_int(127));
    return n;
}

static void test_spec_multiple_instances(void **state)
{
    (void)state;
    lwm2m_record r[MAX_RECS];
    size_t n = acl_records(r);
    lwm2m_path base = lwm2m_path_obj(2);
    expect_encoding(&base, r, n, spec_bootstrap_read_2);
    static decoded d;
    assert_int_equal(decode_str(&d, &base, spec_bootstrap_read_2, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, r, n);
    expect_prefixes_fail(&base, spec_bootstrap_read_2, NULL);
    /* A NONE record (an empty instance) has no SenML form and is skipped. */
    lwm2m_record with_none[MAX_RECS];
    with_none[0] = rec(lwm2m_path_inst(2, 0), (lwm2m_value){LWM2M_TYPE_NONE, {.i = 0}});
    memcpy(with_none + 1, r, n * sizeof r[0]);
    with_none[n + 1] = rec(lwm2m_path_res(2, 2, 4), (lwm2m_value){LWM2M_TYPE_NONE, {.i = 0}});
    expect_encoding(&base, with_none, n + 2, spec_bootstrap_read_2);
}

/* Core 1.2 §7.4.4 notification with historical values of /72/1/2. */
static const char spec_notify_72[] =
    "[{\"bn\":\"/72/\",\"bt\":25462634,\"n\":\"1/2\",\"v\":22.4,\"t\":-5},\n"
    "{\"n\":\"1/2\",\"v\":22.9,\"t\":-30},\n"
    "{\"n\":\"1/2\",\"v\":24.1,\"t\":-50}]";

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
    assert_int_equal(decode_str(&d, &base, spec_notify_72, NULL), LWM2M_OK);
    assert_int_equal(d.list.count, 3);
    assert_records_equal(d.items, want, 3);
    assert_int_equal(decode_str(&d, &base, spec_notify_72, &device_resolver), LWM2M_OK);
    assert_records_equal(d.items, want, 3);
    /* We encode bt as the first record's time and t relative to it. */
    expect_encoding(&base, want, 3,
                    "[{\"bn\":\"/72/\",\"bt\":25462629,\"n\":\"1/2\",\"v\":22.4},"
                    "{\"n\":\"1/2\",\"t\":-25,\"v\":22.9},{\"n\":\"1/2\",\"t\":-45,\"v\":24.1}]");
    lwm2m_path res = lwm2m_path_res(72, 1, 2);
    expect_encoding(&res, want, 3,
                    "[{\"bn\":\"/72/1/2\",\"bt\":25462629,\"v\":22.4},{\"t\":-25,\"v\":22.9},"
                    "{\"t\":-45,\"v\":24.1}]");
    expect_prefixes_fail(&base, spec_notify_72, NULL);
}

/* Core 1.2 §7.4.4 Read /65/0 with the linked hierarchy below bn "/". */
static const char spec_read_65_0[] =
    "[{\"bn\":\"/\",\"n\":\"65/0/0/0\",\"vlo\":\"66:0\"},{\"n\":\"65/0/0/1\",\"vlo\":\"66:1\"},"
    "{\"n\":\"65/0/1\",\"vs\":\"8613800755500\"},{\"n\":\"65/0/2\",\"v\":1},"
    "{\"n\":\"66/0/0\",\"vs\":\"myService1\"},{\"n\":\"66/0/1\",\"vs\":\"Internet.15.234\"},"
    "{\"n\":\"66/0/2\",\"vlo\":\"67:0\"},{\"n\":\"66/1/0\",\"vs\":\"myService2\"},"
    "{\"n\":\"66/1/1\",\"vs\":\"Internet.15.235\"},{\"n\":\"66/1/2\",\"vlo\":\"FFFF:FFFF\"},"
    "{\"n\":\"67/0/0\",\"vs\":\"85.76.76.84\"},{\"n\":\"67/0/1\",\"vs\":\"85.76.255.255\"}]";

static size_t objlnk_records(lwm2m_record *r)
{
    size_t n = 0;
    r[n++] = rec(lwm2m_path_rinst(65, 0, 0, 0), lwm2m_value_objlnk(66, 0));
    r[n++] = rec(lwm2m_path_rinst(65, 0, 0, 1), lwm2m_value_objlnk(66, 1));
    r[n++] = rec_str(lwm2m_path_res(65, 0, 1), "8613800755500");
    r[n++] = rec(lwm2m_path_res(65, 0, 2), lwm2m_value_int(1));
    r[n++] = rec_str(lwm2m_path_res(66, 0, 0), "myService1");
    r[n++] = rec_str(lwm2m_path_res(66, 0, 1), "Internet.15.234");
    r[n++] = rec(lwm2m_path_res(66, 0, 2), lwm2m_value_objlnk(67, 0));
    r[n++] = rec_str(lwm2m_path_res(66, 1, 0), "myService2");
    r[n++] = rec_str(lwm2m_path_res(66, 1, 1), "Internet.15.235");
    r[n++] = rec(lwm2m_path_res(66, 1, 2), lwm2m_value_objlnk(65535, 65535));
    r[n++] = rec_str(lwm2m_path_res(67, 0, 0), "85.76.76.84");
    r[n++] = rec_str(lwm2m_path_res(67, 0, 1), "85.76.255.255");
    return n;
}

static void test_spec_objlnk_hierarchy(void **state)
{
    (void)state;
    lwm2m_record want[MAX_RECS];
    size_t n = objlnk_records(want);
    static decoded d;
    lwm2m_path root = lwm2m_path_root(), base = lwm2m_path_inst(65, 0);
    assert_int_equal(decode_str(&d, &root, spec_read_65_0, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, want, n);
    assert_int_equal(decode_str(&d, &root, spec_read_65_0, NULL), LWM2M_OK);
    assert_records_equal(d.items, want, n);
    /* Our decoder keeps every record below the request path. */
    expect_error(&base, spec_read_65_0, NULL, LWM2M_ERR_INVALID, "record outside the request path");
    /* Encoded at the root: byte-exact except that we write the null link in decimal. */
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
    expect_encoding(&base, &r, 1, "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]");
    static decoded d;
    assert_int_equal(
        decode_str(&d, &base, "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]", NULL),
        LWM2M_OK);
    assert_int_equal(d.list.count, 1);
    assert_record_equal(&d.items[0], &r);
    /* The spec prints this example without the closing quote of the value. */
    expect_error(&base, "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance}]", NULL,
                 LWM2M_ERR_INVALID, "truncated string");
}

static void test_spec_composite(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path root = lwm2m_path_root();
    /* Read-Composite response, with the spec's spaces. */
    assert_int_equal(decode_str(&d, &root,
                                "[{\"n\":\"/3/0/0\", \"vs\":\"Open Mobile Alliance\"},\n"
                                "{\"n\" :\"/3/0/9\", \"v\":95},\n"
                                "{\"n\":\"/1/0/1\", \"v\":86400}]",
                                &device_resolver),
                     LWM2M_OK);
    lwm2m_record want[4];
    want[0] = rec_str(lwm2m_path_res(3, 0, 0), "Open Mobile Alliance");
    want[1] = rec(lwm2m_path_res(3, 0, 9), lwm2m_value_int(95));
    want[2] = rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(86400));
    assert_int_equal(d.list.count, 3);
    assert_records_equal(d.items, want, 3);
    /* Write-Composite request. */
    assert_int_equal(decode_str(&d, &root,
                                "[{\"n\":\"/3311/0/5850\", \"vb\":false},\n"
                                "{\"n\":\"/3311/1/5850\", \"vb\":false},\n"
                                "{\"n\":\"/3311/2/5851\", \"v\":20},\n"
                                "{\"n\":\"/3308/0/5900\", \"v\":18}]",
                                &device_resolver),
                     LWM2M_OK);
    want[0] = rec(lwm2m_path_res(3311, 0, 5850), lwm2m_value_bool(false));
    want[1] = rec(lwm2m_path_res(3311, 1, 5850), lwm2m_value_bool(false));
    want[2] = rec(lwm2m_path_res(3311, 2, 5851), lwm2m_value_int(20));
    want[3] = rec(lwm2m_path_res(3308, 0, 5900), lwm2m_value_float(18));
    assert_int_equal(d.list.count, 4);
    assert_records_equal(d.items, want, 4);
    /* Read-Composite requests carry no values: not a Write payload. */
    expect_error(&root, "[{\"n\":\"/3/0/0\"},{\"n\":\"/3/0/9\"},{\"n\":\"/1/0/1\"}]", NULL,
                 LWM2M_ERR_INVALID, "record without value");
    expect_error(&root, "[{\"bn\":\"/4/0/\", \"n\":\"0\"},{\"n\":\"1\"}]", NULL, LWM2M_ERR_INVALID,
                 "record without value");
}

/* ---- decoder details ---- */

static void test_decode_base_fields(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path root = lwm2m_path_root();
    /* bn and bt carry over to later records until replaced; a record may have just bn. */
    const char *json = "[{\"bn\":\"/3/0/\",\"bt\":100,\"n\":\"1\",\"vs\":\"a\"},"
                       "{\"n\":\"2\",\"t\":5,\"vs\":\"b\"},"
                       "{\"bn\":\"/5/0/1\",\"vs\":\"c\"},"
                       "{\"bt\":-1.5,\"bn\":\"/3/\",\"n\":\"1/3\",\"t\":0.25,\"vs\":\"d\"}]";
    assert_int_equal(decode_str(&d, &root, json, NULL), LWM2M_OK);
    assert_int_equal(d.list.count, 4);
    lwm2m_record want[4];
    want[0] = rec_str(lwm2m_path_res(3, 0, 1), "a");
    want[0].time = 100;
    want[1] = rec_str(lwm2m_path_res(3, 0, 2), "b");
    want[1].time = 105;
    want[2] = rec_str(lwm2m_path_res(5, 0, 1), "c");
    want[2].time = 100;
    want[3] = rec_str(lwm2m_path_res(3, 1, 3), "d");
    want[3].time = -1.25;
    assert_records_equal(d.items, want, 4);
    /* bn "/3/" + "/3/0/4" is not a path. */
    expect_error(&root,
                 "[{\"bn\":\"/3/\",\"n\":\"0/1\",\"vs\":\"a\"},{\"n\":\"/3/0/4\",\"vs\":\"e\"}]",
                 NULL, LWM2M_ERR_INVALID, "name is not a resource or resource instance path");
    /* Full names without any bn. */
    assert_int_equal(decode_str(&d, &root, "[{\"n\":\"/3/0/4\",\"t\":-0,\"vs\":\"e\"}]", NULL),
                     LWM2M_OK);
    assert_true(d.items[0].time == 0 && !signbit(d.items[0].time)); /* -0 is no time */
    /* Names that are not resource paths. */
    static const char *const bad_names[] = {
        "[{\"n\":\"/3/0\",\"v\":1}]",
        "[{\"n\":\"/3\",\"v\":1}]",
        "[{\"n\":\"/\",\"v\":1}]",
        "[{\"n\":\"\",\"v\":1}]",
        "[{\"v\":1}]",
        "[{\"n\":\"3/0/1\",\"v\":1}]",
        "[{\"n\":\"/3/0/1/\",\"v\":1}]",
        "[{\"n\":\"/3/0/x\",\"v\":1}]",
        "[{\"n\":\"/3/0/1/2/3\",\"v\":1}]",
        "[{\"n\":\"/3/0/65535\",\"v\":1}]",
        "[{\"n\":\"/3/0/-1\",\"v\":1}]",
        "[{\"n\":\"//3/0/1\",\"v\":1}]",
        "[{\"bn\":\"/3/0\",\"n\":\"1\",\"v\":1}]",
        "[{\"bn\":\"/3/0/1\",\"n\":\"/65534/65534/65534\",\"v\":1}]",
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        expect_error(&root, bad_names[i], NULL, LWM2M_ERR_INVALID,
                     "name is not a resource or resource instance path");
    /* Escapes in names and labels are decoded first. */
    assert_int_equal(
        decode_str(&d, &root, "[{\"\\u0062n\":\"\\/3\\/0\\/\",\"n\":\"1\\u0030\",\"v\":1}]", NULL),
        LWM2M_OK);
    lwm2m_path p10 = lwm2m_path_res(3, 0, 10);
    assert_true(lwm2m_path_equal(&d.items[0].path, &p10));
    /* Whitespace everywhere JSON allows it; an empty pack. */
    assert_int_equal(
        decode_str(
            &d, &root,
            " \r\n\t[ { \"n\" : \"/3/0/1\" , \"v\" : 1 } , {\"n\":\"/3/0/2\",\"vb\":true} ] \n",
            NULL),
        LWM2M_OK);
    assert_int_equal(d.list.count, 2);
    assert_int_equal(decode_str(&d, &root, "[]", NULL), LWM2M_OK);
    assert_int_equal(d.list.count, 0);
    assert_int_equal(decode_str(&d, &root, " [ ] ", NULL), LWM2M_OK);
}

static void test_decode_labels(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path root = lwm2m_path_root();
    /* Unknown labels are ignored, whatever their value. */
    assert_int_equal(decode_str(&d, &root,
                                "[{\"bver\":10,\"n\":\"/3/0/1\",\"u\":\"Cel\",\"x\":{\"a\":[1,"
                                "{\"b\":null}]},\"ut\":5,\"v\":1,\"bu\":\"m\"}]",
                                NULL),
                     LWM2M_OK);
    assert_int_equal(d.list.count, 1);
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"v\":1,\"n\":\"/3/0/2\"}]", NULL, LWM2M_ERR_INVALID,
                 "duplicate label");
    expect_error(&root, "[{\"bn\":\"/3/0/\",\"bn\":\"/3/0/\",\"n\":\"1\",\"v\":1}]", NULL,
                 LWM2M_ERR_INVALID, "duplicate label");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"u\":\"a\",\"v\":1,\"\\u0075\":\"b\"}]", NULL,
                 LWM2M_ERR_INVALID, "duplicate label");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"v\":1,\"v\":2}]", NULL, LWM2M_ERR_INVALID,
                 "duplicate label");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"v\":1,\"vs\":\"1\"}]", NULL, LWM2M_ERR_INVALID,
                 "more than one value in a record");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"vb\":true,\"vlo\":\"1:1\"}]", NULL, LWM2M_ERR_INVALID,
                 "more than one value in a record");
    /* RFC 8428 §4.4: labels ending in '_' must be understood. */
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"v\":1,\"foo_\":1}]", NULL, LWM2M_ERR_UNSUPPORTED,
                 "unknown must-understand label");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"v\":1,\"fo\\u006f_\":1}]", NULL,
                 LWM2M_ERR_UNSUPPORTED, "unknown must-understand label");
    /* Base value / sum would change the value: refused. */
    expect_error(&root, "[{\"bv\":1,\"n\":\"/3/0/1\",\"v\":1}]", NULL, LWM2M_ERR_UNSUPPORTED,
                 "unsupported senml label");
    expect_error(&root, "[{\"n\":\"/3/0/1\",\"s\":1}]", NULL, LWM2M_ERR_UNSUPPORTED,
                 "unsupported senml label");
    expect_error(&root, "[{\"bs\":1,\"n\":\"/3/0/1\",\"v\":1}]", NULL, LWM2M_ERR_UNSUPPORTED,
                 "unsupported senml label");
    expect_error(&root, "[{\"bver\":11,\"n\":\"/3/0/1\",\"v\":1}]", NULL, LWM2M_ERR_UNSUPPORTED,
                 "unsupported senml version");
    expect_error(&root, "[{\"bver\":\"10\",\"n\":\"/3/0/1\",\"v\":1}]", NULL, LWM2M_ERR_INVALID,
                 "bver must be a number");
    /* Each label's JSON type. */
    static const struct {
        const char *json;
        const char *reason;
    } types[] = {
        {"[{\"bn\":3,\"v\":1}]", "bn must be a string"},
        {"[{\"n\":null,\"v\":1}]", "n must be a string"},
        {"[{\"n\":\"/3/0/1\",\"bt\":\"1\",\"v\":1}]", "bt must be a number"},
        {"[{\"n\":\"/3/0/1\",\"t\":true,\"v\":1}]", "t must be a number"},
        {"[{\"n\":\"/3/0/1\",\"v\":\"1\"}]", "v must be a number"},
        {"[{\"n\":\"/3/0/1\",\"vs\":1}]", "vs must be a string"},
        {"[{\"n\":\"/3/0/1\",\"vb\":\"true\"}]", "vb must be a boolean"},
        {"[{\"n\":\"/3/0/1\",\"vb\":1}]", "vb must be a boolean"},
        {"[{\"n\":\"/3/0/1\",\"vd\":[]}]", "vd must be a string"},
        {"[{\"n\":\"/3/0/1\",\"vlo\":{}}]", "vlo must be a string"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        expect_error(&root, types[i].json, NULL, LWM2M_ERR_INVALID, types[i].reason);
    /* Too many distinct unknown labels in one record. */
    char many[512];
    size_t o = (size_t)snprintf(many, sizeof many, "[{\"n\":\"/3/0/1\",\"v\":1");
    for (int i = 0; i < 17; i++)
        o += (size_t)snprintf(many + o, sizeof many - o, ",\"x%d\":0", i);
    snprintf(many + o, sizeof many - o, "}]");
    expect_error(&root, many, NULL, LWM2M_ERR_INVALID, "too many labels");
}

static void test_decode_structure_errors(void **state)
{
    (void)state;
    lwm2m_path root = lwm2m_path_root();
    static const struct {
        const char *json;
        const char *reason;
    } cases[] = {
        {"", "truncated payload"},
        {"{\"n\":\"/3/0/1\",\"v\":1}", "expected an array"},
        {"[[{\"n\":\"/3/0/1\",\"v\":1}]]", "expected an object"},
        {"[\"x\"]", "expected an object"},
        {"[{\"n\":\"/3/0/1\",\"v\":1}] x", "trailing data after the payload"},
        {"[{\"n\":\"/3/0/1\",\"v\":1}][]", "trailing data after the payload"},
        {"[{\"n\":\"/3/0/1\",\"v\":1},]", "expected an object"},
        {"[{\"n\":\"/3/0/1\",\"v\":1,}]", "expected a member name"},
        {"[{\"n\":\"/3/0/1\" \"v\":1}]", "expected ',' or '}'"},
        {"[{\"n\":\"/3/0/1\",\"v\":01}]", "invalid number"},
        {"[{\"n\":\"/3/0/1\",\"v\":1e999}]", "number out of range"},
        {"[{\"n\":\"/3/0/1\",\"v\":NaN}]", "expected a value"},
        {"[{\"n\":\"/3/0/1\",\"vs\":\"\xff\"}]", "invalid utf-8 in string"},
        {"[{\"n\":\"/3/0/1\",\"x\":[[[[[[[1]]]]]]],\"v\":1}]", "nesting too deep"},
        {"[{\"bt\":1e308,\"n\":\"/3/0/1\",\"t\":1e308,\"v\":1}]", "time out of range"},
        {"\xef\xbb\xbf[]", "expected an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(&root, cases[i].json, NULL, LWM2M_ERR_INVALID, cases[i].reason);
    /* Error offsets point at the problem. */
    static decoded d;
    const char *json = "[{\"n\":\"/3/0/1\",\"v\":1},{\"n\":\"/4/0/1\",\"v\":1}]";
    lwm2m_path base = lwm2m_path_obj(3);
    assert_int_equal(decode_str(&d, &base, json, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(d.err.offset, 22);
    assert_string_equal(d.err.reason, "record outside the request path");
    json = "[{\"n\":\"/3/0/1\",\"v\":1,\"v\":2}]";
    assert_int_equal(decode_str(&d, &base, json, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(d.err.offset, 21);
}

static void test_decode_types(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path base = lwm2m_path_inst(5, 0);
    /* One value per type of object 5 in the table, with its declared type. */
    const char *json =
        "[{\"bn\":\"/5/0/\",\"n\":\"0\",\"vd\":\"AQIDBA\"},{\"n\":\"1\",\"vs\":\"str\"},"
        "{\"n\":\"2\",\"vs\":\"</3/0>\"},{\"n\":\"3\",\"v\":18446744073709551615},"
        "{\"n\":\"4\",\"vb\":true},{\"n\":\"5\",\"vlo\":\"3:0\"},{\"n\":\"6\",\"v\":-0},"
        "{\"n\":\"7\",\"v\":-5}]";
    assert_int_equal(decode_str(&d, &base, json, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, 8);
    lwm2m_record want[8];
    want[0] = rec(lwm2m_path_res(5, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\1\2\3\4", 4));
    want[1] = rec_str(lwm2m_path_res(5, 0, 1), "str");
    want[2] = rec(lwm2m_path_res(5, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3/0>", 6));
    want[3] = rec(lwm2m_path_res(5, 0, 3), lwm2m_value_uint(UINT64_MAX));
    want[4] = rec(lwm2m_path_res(5, 0, 4), lwm2m_value_bool(true));
    want[5] = rec(lwm2m_path_res(5, 0, 5), lwm2m_value_objlnk(3, 0));
    want[6] = rec(lwm2m_path_res(5, 0, 6), lwm2m_value_float(-0.0));
    want[7] = rec(lwm2m_path_res(5, 0, 7), lwm2m_value_time(-5));
    assert_records_equal(d.items, want, 8);
    assert_true(signbit(d.items[6].value.v.f));
    /* Opaque is decoded into the arena; vd takes either base64 alphabet, padded or not. */
    assert_ptr_equal(d.items[0].value.v.bytes.ptr, d.mem);
    assert_int_equal(decode_str(&d, &base,
                                "[{\"n\":\"/5/0/0\",\"vd\":\"+/8=\"},{\"n\":\"/5/0/"
                                "0\",\"vd\":\"-_8\"},{\"n\":\"/5/0/0\",\"vd\":\"\"}]",
                                &device_resolver),
                     LWM2M_OK);
    assert_int_equal(d.items[0].value.v.bytes.len, 2);
    assert_memory_equal(d.items[0].value.v.bytes.ptr, "\xfb\xff", 2);
    assert_memory_equal(d.items[1].value.v.bytes.ptr, "\xfb\xff", 2);
    assert_int_equal(d.items[2].value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(d.items[2].value.v.bytes.len, 0);
    /* Without types: the payload's own. */
    assert_int_equal(decode_str(&d, &base, json, NULL), LWM2M_OK);
    assert_int_equal(d.items[0].value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(d.items[2].value.type, LWM2M_TYPE_STRING);
    assert_int_equal(d.items[3].value.type, LWM2M_TYPE_UNSIGNED);
    assert_int_equal(d.items[6].value.type, LWM2M_TYPE_INTEGER);
    assert_int_equal(d.items[7].value.type, LWM2M_TYPE_INTEGER);
    /* Mismatches. */
    static const struct {
        const char *json;
        const char *reason;
    } bad[] = {
        {"[{\"n\":\"/5/0/0\",\"vs\":\"AQID\"}]", "string for a non-string resource"},
        {"[{\"n\":\"/5/0/1\",\"vd\":\"AQID\"}]", "opaque for a non-opaque resource"},
        {"[{\"n\":\"/5/0/1\",\"v\":1}]", "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/3\",\"v\":-1}]", "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/3\",\"v\":1.5}]", "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/7\",\"v\":1e30}]", "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/7\",\"v\":18446744073709551615}]",
         "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/4\",\"v\":2}]", "number does not fit the resource type"},
        {"[{\"n\":\"/5/0/3\",\"vb\":true}]", "boolean for a non-boolean resource"},
        {"[{\"n\":\"/5/0/1\",\"vlo\":\"1:1\"}]", "object link for a non-objlnk resource"},
        {"[{\"n\":\"/5/0/5\",\"vs\":\"1:1\"}]", "string for a non-string resource"},
        {"[{\"n\":\"/5/0/5\",\"v\":1}]", "number does not fit the resource type"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(&base, bad[i].json, &device_resolver, LWM2M_ERR_TYPE, bad[i].reason);
    expect_error(&base, "[{\"n\":\"/5/0/0\",\"vd\":\"A\"}]", &device_resolver, LWM2M_ERR_INVALID,
                 "invalid base64 in vd");
    expect_error(&base, "[{\"n\":\"/5/0/0\",\"vd\":\"AQ==AQ\"}]", NULL, LWM2M_ERR_INVALID,
                 "invalid base64 in vd");
    expect_error(&base, "[{\"n\":\"/5/0/5\",\"vlo\":\"1:65536\"}]", NULL, LWM2M_ERR_INVALID,
                 "invalid object link");
    expect_error(&base, "[{\"n\":\"/5/0/5\",\"vlo\":\"1\"}]", NULL, LWM2M_ERR_INVALID,
                 "invalid object link");
    /* A boolean resource also takes the numbers 0 and 1 (lwm2m_value_convert). */
    assert_int_equal(decode_str(&d, &base, "[{\"n\":\"/5/0/4\",\"v\":0}]", &device_resolver),
                     LWM2M_OK);
    assert_true(d.items[0].value.type == LWM2M_TYPE_BOOLEAN && !d.items[0].value.v.b);
}

static void test_decode_strings_and_memory(void **state)
{
    (void)state;
    static decoded d;
    lwm2m_path root = lwm2m_path_root();
    const char *json = "[{\"n\":\"/3/0/0\",\"vs\":\"plain\"},"
                       "{\"n\":\"/3/0/1\",\"vs\":\"tab\\there \\\"q\\\" \\u00e9 \\ud83d\\ude00\"}]";
    assert_int_equal(decode_str(&d, &root, json, NULL), LWM2M_OK);
    assert_ptr_equal(d.items[0].value.v.bytes.ptr, (const uint8_t *)strstr(json, "plain"));
    const char *want = "tab\there \"q\" \xc3\xa9 \xf0\x9f\x98\x80";
    assert_int_equal(d.items[1].value.v.bytes.len, strlen(want));
    assert_memory_equal(d.items[1].value.v.bytes.ptr, want, strlen(want));
    assert_ptr_equal(d.items[1].value.v.bytes.ptr, d.mem);
    assert_int_equal(d.arena.used, strlen(want));
    /* Arena too small or absent: NOMEM, everything restored. */
    lwm2m_record items[4];
    items[0] = rec(lwm2m_path_res(9, 9, 9), lwm2m_value_int(9));
    lwm2m_record_list list = lwm2m_record_list_init(items, 4);
    list.count = 1;
    uint8_t small[8];
    lwm2m_arena arena = lwm2m_arena_init(small, sizeof small);
    arena.used = 2;
    lwm2m_codec_error err = {0, NULL};
    assert_int_equal(lwm2m_senml_json_decode(&root, (const uint8_t *)json, strlen(json), NULL,
                                             &arena, &list, &err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(list.count, 1);
    assert_int_equal(arena.used, 2);
    assert_string_equal(err.reason, "arena full");
    assert_int_equal(lwm2m_senml_json_decode(&root, (const uint8_t *)json, strlen(json), NULL, NULL,
                                             &list, NULL),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(list.count, 1);
    /* Record list full. */
    list.cap = 2;
    assert_int_equal(lwm2m_senml_json_decode(&root, (const uint8_t *)json, strlen(json), NULL,
                                             &d.arena, &list, &err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(list.count, 1);
    assert_string_equal(err.reason, "too many records");
    list.cap = 3;
    assert_int_equal(lwm2m_senml_json_decode(&root, (const uint8_t *)json, strlen(json), NULL,
                                             &d.arena, &list, &err),
                     LWM2M_OK);
    assert_int_equal(list.count, 3); /* appended after what was there */
    /* Decoding with a NULL input and zero length is just an empty (invalid) payload. */
    assert_int_equal(lwm2m_senml_json_decode(&root, NULL, 0, NULL, NULL, &list, &err),
                     LWM2M_ERR_INVALID);
}

/* ---- encoder details ---- */

static void test_encode_types(void **state)
{
    (void)state;
    lwm2m_record r[10];
    size_t n = 0;
    r[n++] = rec(lwm2m_path_res(5, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\xfb\xff\x01", 3));
    r[n++] = rec_str(lwm2m_path_res(5, 0, 1), "q\"b\\c\x01\n\xc3\xa9");
    r[n++] = rec(lwm2m_path_res(5, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3/0>", 6));
    r[n++] = rec(lwm2m_path_res(5, 0, 3), lwm2m_value_uint(UINT64_MAX));
    r[n++] = rec(lwm2m_path_res(5, 0, 4), lwm2m_value_bool(false));
    r[n++] = rec(lwm2m_path_res(5, 0, 5), lwm2m_value_objlnk(65535, 0));
    r[n++] = rec(lwm2m_path_res(5, 0, 6), lwm2m_value_float(-0.0));
    r[n++] = rec(lwm2m_path_rinst(5, 0, 7, 0), lwm2m_value_time(INT64_MIN));
    r[n++] = rec(lwm2m_path_rinst(5, 0, 8, 0), lwm2m_value_float(0.1));
    r[n++] = rec(lwm2m_path_rinst(5, 0, 8, 1), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 0));
    lwm2m_path base = lwm2m_path_inst(5, 0);
    const char *want =
        "[{\"bn\":\"/5/0/\",\"n\":\"0\",\"vd\":\"-_8B\"},{\"n\":\"1\",\"vs\":\"q\\\"b\\\\c\\u0001"
        "\\u000a\xc3\xa9\"},{\"n\":\"2\",\"vs\":\"</3/"
        "0>\"},{\"n\":\"3\",\"v\":18446744073709551615},"
        "{\"n\":\"4\",\"vb\":false},{\"n\":\"5\",\"vlo\":\"65535:0\"},{\"n\":\"6\",\"v\":-0},"
        "{\"n\":\"7/0\",\"v\":-9223372036854775808},{\"n\":\"8/0\",\"v\":0.1},"
        "{\"n\":\"8/1\",\"vd\":\"\"}]";
    expect_encoding(&base, r, n, want);
    /* It decodes back to the same records with the types known. */
    static decoded d;
    assert_int_equal(decode_str(&d, &base, want, &device_resolver), LWM2M_OK);
    assert_int_equal(d.list.count, n);
    assert_records_equal(d.items, r, n); /* resource 8 is untyped: FLOAT and OPAQUE */
}

static void test_encode_bases(void **state)
{
    (void)state;
    lwm2m_record r[3];
    r[0] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(5));
    lwm2m_path base = lwm2m_path_res(3, 0, 6);
    expect_encoding(&base, r, 2,
                    "[{\"bn\":\"/3/0/6/\",\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":5}]");
    base = lwm2m_path_rinst(3, 0, 6, 1);
    expect_encoding(&base, r + 1, 1, "[{\"bn\":\"/3/0/6/1\",\"v\":5}]");
    base = lwm2m_path_obj(3);
    expect_encoding(&base, r, 2,
                    "[{\"bn\":\"/3/\",\"n\":\"0/6/0\",\"v\":1},{\"n\":\"0/6/1\",\"v\":5}]");
    base = lwm2m_path_root();
    expect_encoding(&base, r, 2,
                    "[{\"bn\":\"/\",\"n\":\"3/0/6/0\",\"v\":1},{\"n\":\"3/0/6/1\",\"v\":5}]");
    expect_encoding(&base, r, 0, "[]");
    /* Unsorted records beside the first base name get a new bn. */
    r[0] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_res(3, 0, 6), lwm2m_value_int(2));
    base = lwm2m_path_res(3, 0, 6);
    expect_encoding(&base, r, 2,
                    "[{\"bn\":\"/3/0/6/\",\"n\":\"0\",\"v\":1},{\"bn\":\"/3/0/6\",\"v\":2}]");
    r[0] = rec(lwm2m_path_res(3, 0, 6), lwm2m_value_int(2));
    r[1] = rec(lwm2m_path_rinst(3, 0, 6, 0), lwm2m_value_int(1));
    expect_encoding(&base, r, 2, "[{\"bn\":\"/3/0/6\",\"v\":2},{\"n\":\"/0\",\"v\":1}]");
    static decoded d;
    assert_int_equal(
        decode_str(&d, &base, "[{\"bn\":\"/3/0/6\",\"v\":2},{\"n\":\"/0\",\"v\":1}]", NULL),
        LWM2M_OK);
    assert_records_equal(d.items, r, 2);
}

static void test_encode_times(void **state)
{
    (void)state;
    lwm2m_record r[4];
    r[0] = rec(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_int(2));
    r[1].time = 1.5;
    r[2] = rec(lwm2m_path_res(3, 0, 3), lwm2m_value_int(3));
    r[2].time = 1.5;
    lwm2m_path base = lwm2m_path_inst(3, 0);
    /* First record without time: later ones carry t relative to bt 0. */
    expect_encoding(&base, r, 3,
                    "[{\"bn\":\"/3/0/\",\"n\":\"1\",\"v\":1},{\"n\":\"2\",\"t\":1.5,\"v\":2},"
                    "{\"n\":\"3\",\"t\":1.5,\"v\":3}]");
    /* A difference that does not read back exactly restates bt. */
    r[0].time = 1e20;
    expect_encoding(&base, r, 3,
                    "[{\"bn\":\"/3/0/\",\"bt\":1e+20,\"n\":\"1\",\"v\":1},"
                    "{\"bt\":1.5,\"n\":\"2\",\"v\":2},{\"n\":\"3\",\"v\":3}]");
    r[2].time = 0;
    expect_encoding(&base, r, 3,
                    "[{\"bn\":\"/3/0/\",\"bt\":1e+20,\"n\":\"1\",\"v\":1},"
                    "{\"bt\":1.5,\"n\":\"2\",\"v\":2},{\"n\":\"3\",\"t\":-1.5,\"v\":3}]");
    static decoded d;
    uint8_t mem[512];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 3, &b, NULL), LWM2M_OK);
    assert_int_equal(decode_at(&d, &base, (const char *)mem, b.len, NULL), LWM2M_OK);
    assert_records_equal(d.items, r, 3);
    /* Non-finite times cannot be written. */
    lwm2m_codec_error err = {0, NULL};
    r[2].time = NAN;
    b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 3, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 2);
    assert_string_equal(err.reason, "time is not finite");
    r[2].time = INFINITY;
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 3, &b, &err), LWM2M_ERR_INVALID);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t mem[512];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    lwm2m_codec_error err = {0, NULL};
    lwm2m_path base = lwm2m_path_inst(3, 0);
    lwm2m_record r[3];
    r[0] = rec(lwm2m_path_res(3, 0, 1), lwm2m_value_int(1));
    r[1] = rec(lwm2m_path_res(3, 1, 1), lwm2m_value_int(1));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.reason, "record outside the request path");
    r[1] = rec(lwm2m_path_inst(3, 0), lwm2m_value_int(1));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "value record above resource level");
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_float(NAN));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.reason, "value has no senml json form");
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_float(-INFINITY));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_STRING, "\xc3", 1));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_STRING, NULL, 3));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 3));
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    r[1] = rec(lwm2m_path_res(3, 0, 2), lwm2m_value_int(1));
    r[1].value.type = (lwm2m_type)99;
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &b, &err), LWM2M_ERR_INVALID);
    /* An overflow reports the full size even past the first record. */
    r[1] = rec_str(lwm2m_path_res(3, 0, 2), "abc");
    lwm2m_buf tiny = lwm2m_buf_init(mem, 3);
    assert_int_equal(lwm2m_senml_json_encode(&base, r, 2, &tiny, &err), LWM2M_ERR_OVERFLOW);
    assert_int_equal(
        tiny.len, strlen("[{\"bn\":\"/3/0/\",\"n\":\"1\",\"v\":1},{\"n\":\"2\",\"vs\":\"abc\"}]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_read_device_encode),
        cmocka_unit_test(test_spec_read_device_decode),
        cmocka_unit_test(test_device_roundtrip),
        cmocka_unit_test(test_spec_multiple_instances),
        cmocka_unit_test(test_spec_timed_notification),
        cmocka_unit_test(test_spec_objlnk_hierarchy),
        cmocka_unit_test(test_spec_single_resource),
        cmocka_unit_test(test_spec_composite),
        cmocka_unit_test(test_decode_base_fields),
        cmocka_unit_test(test_decode_labels),
        cmocka_unit_test(test_decode_structure_errors),
        cmocka_unit_test(test_decode_types),
        cmocka_unit_test(test_decode_strings_and_memory),
        cmocka_unit_test(test_encode_types),
        cmocka_unit_test(test_encode_bases),
        cmocka_unit_test(test_encode_times),
        cmocka_unit_test(test_encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
