/* Bootstrap configuration documents: parsing and typing, errors, canonical JSON, templates,
 * endpoint patterns, validation against the consistency rules, and the Leshan import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/error.h"

/* ---- helpers ------------------------------------------------------------------------------- */

/* A vendor object exercising every type, passed as `defs`. */
static const lwm2m_resource_def vendor_res[] = {
    {0, LWM2M_TYPE_STRING, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "s"},
    {1, LWM2M_TYPE_INTEGER, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "i"},
    {2, LWM2M_TYPE_UNSIGNED, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "u"},
    {3, LWM2M_TYPE_FLOAT, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "f"},
    {4, LWM2M_TYPE_BOOLEAN, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "b"},
    {5, LWM2M_TYPE_OPAQUE, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "o"},
    {6, LWM2M_TYPE_TIME, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "t"},
    {7, LWM2M_TYPE_OBJLNK, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "l"},
    {8, LWM2M_TYPE_CORELNK, LWM2M_OP_READ | LWM2M_OP_WRITE, false, false, "c"},
    {9, LWM2M_TYPE_INTEGER, LWM2M_OP_READ | LWM2M_OP_WRITE, true, false, "im"},
    {10, LWM2M_TYPE_NONE, LWM2M_OP_EXECUTE, false, false, "x"},
    {11, LWM2M_TYPE_OPAQUE, LWM2M_OP_READ | LWM2M_OP_WRITE, true, false, "om"},
};
static const lwm2m_object_def vendor_obj = {
    30000, true,  false,      "Vendor",
    "1.0", "1.1", vendor_res, sizeof vendor_res / sizeof vendor_res[0],
};
static const lwm2m_object_def *const vendor_defs_arr[] = {&vendor_obj};
static const lwm2m_objdef_list vendor_defs = {vendor_defs_arr, 1};

static lwm2m_bs_config *parse_ok(const char *json)
{
    lwm2m_bs_config *cfg = NULL;
    char err[256] = "";
    int rc = lwm2m_bs_config_parse(json, strlen(json), &vendor_defs, &cfg, err, sizeof err);
    if (rc != LWM2M_OK)
        print_error("unexpected parse error %d: %s\n", rc, err);
    assert_int_equal(rc, LWM2M_OK);
    assert_non_null(cfg);
    return cfg;
}

static void parse_err(const char *json, int want_rc, const char *want_msg)
{
    lwm2m_bs_config *cfg = (lwm2m_bs_config *)1;
    char err[256] = "";
    int rc = lwm2m_bs_config_parse(json, strlen(json), &vendor_defs, &cfg, err, sizeof err);
    if (rc != want_rc || strcmp(err, want_msg) != 0)
        print_error("for %.120s\n got %d '%s'\nwant %d '%s'\n", json, rc, err, want_rc, want_msg);
    assert_int_equal(rc, want_rc);
    assert_string_equal(err, want_msg);
    assert_null(cfg);
}

static const lwm2m_record *rec(const lwm2m_bs_plan *p, lwm2m_path path)
{
    for (size_t k = 0; k < p->record_count; k++)
        if (lwm2m_path_equal(&p->records[k].path, &path))
            return &p->records[k];
    return NULL;
}

static void assert_str_value(const lwm2m_record *r, lwm2m_type type, const char *s)
{
    assert_non_null(r);
    assert_int_equal(r->value.type, type);
    assert_int_equal(r->value.v.bytes.len, strlen(s));
    assert_memory_equal(r->value.v.bytes.ptr, s, strlen(s));
}

static void assert_int_value(const lwm2m_record *r, lwm2m_type type, int64_t v)
{
    assert_non_null(r);
    assert_int_equal(r->value.type, type);
    assert_true(r->value.v.i == v);
}

static void assert_bytes(const lwm2m_record *r, const void *p, size_t n)
{
    assert_non_null(r);
    assert_int_equal(r->value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(r->value.v.bytes.len, n);
    if (n > 0)
        assert_memory_equal(r->value.v.bytes.ptr, p, n);
}

/* to_json, then parse and to_json again: the same text. Returns the text (caller frees). */
static char *round_trip(const lwm2m_bs_config *cfg)
{
    char *a = lwm2m_bs_config_to_json(cfg);
    assert_non_null(a);
    lwm2m_bs_config *again = parse_ok(a);
    char *b = lwm2m_bs_config_to_json(again);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(b);
    lwm2m_bs_config_free(again);
    return a;
}

#define EP(body) "{\"endpoint\":\"e\"," body "}"

static const char *const full_doc =
    "{\"endpoint\":\"dev-1\","
    "\"psk\":{\"identity\":\"dev-1\",\"key\":\"00112233\"},"
    "\"contentFormat\":\"senml+json\","
    "\"delete\":[\"/0\",\"/1\"],"
    "\"objects\":{"
    "\"2\":{\"0\":{\"0\":1,\"1\":0,\"2\":{\"101\":1,\"102\":15},\"3\":101}},"
    "\"1\":{\"1\":{\"0\":102,\"1\":\"86400\",\"6\":false,\"7\":\"U\"},"
    "\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}},"
    "\"0\":{\"2\":{\"0\":\"coaps://10.0.0.1:5684\",\"1\":false,\"2\":0,\"3\":\"dev-1\","
    "\"5\":{\"base64\":\"AAECAw==\"},\"10\":102},"
    "\"1\":{\"0\":\"coap://127.0.0.1:5683\",\"1\":false,\"2\":3,\"10\":101}}},"
    "\"fallbacks\":[{\"capabilities\":{\"maxServers\":1,\"accessControl\":false},"
    "\"delete\":[\"/\"],"
    "\"objects\":{\"0\":{\"1\":{\"0\":\"coap://127.0.0.1:5683\",\"1\":false,\"2\":3,\"10\":101}},"
    "\"1\":{\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}}]}";

/* ---- parsing ------------------------------------------------------------------------------- */

static void test_parse_full_document(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(full_doc);
    assert_string_equal(cfg->endpoint, "dev-1");
    assert_string_equal(cfg->template_name, "");
    assert_int_equal(cfg->format, LWM2M_FORMAT_SENML_JSON);
    assert_true(cfg->discover);
    assert_false(cfg->auto_id_security);
    assert_int_equal(cfg->psk_identity_len, 5);
    assert_memory_equal(cfg->psk_identity, "dev-1", 5);
    assert_int_equal(cfg->psk_key_len, 4);
    assert_memory_equal(cfg->psk_key, "\x00\x11\x22\x33", 4);
    assert_int_equal(cfg->plan_count, 2);
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_int_equal(p->delete_count, 2);
    assert_true(lwm2m_path_equal(&p->deletes[0], &(lwm2m_path){{0, 0, 0, 0}, 1}));
    assert_true(lwm2m_path_equal(&p->deletes[1], &(lwm2m_path){{1, 0, 0, 0}, 1}));
    /* sorted: /0/1 before /0/2 before /1/0 ... */
    assert_int_equal(p->record_count, 4 + 6 + 4 + 4 + 5);
    for (size_t k = 1; k < p->record_count; k++)
        assert_true(lwm2m_path_compare(&p->records[k - 1].path, &p->records[k].path) < 0);
    assert_true(lwm2m_path_equal(&p->records[0].path, &(lwm2m_path){{0, 1, 0, 0}, 3}));
    assert_str_value(rec(p, lwm2m_path_res(0, 1, 0)), LWM2M_TYPE_STRING, "coap://127.0.0.1:5683");
    assert_int_value(rec(p, lwm2m_path_res(0, 1, 2)), LWM2M_TYPE_INTEGER, 3);
    assert_int_value(rec(p, lwm2m_path_res(1, 1, 1)), LWM2M_TYPE_INTEGER, 86400);
    assert_bytes(rec(p, lwm2m_path_res(0, 2, 3)), "dev-1", 5);
    assert_bytes(rec(p, lwm2m_path_res(0, 2, 5)), "\x00\x01\x02\x03", 4);
    assert_int_value(rec(p, lwm2m_path_rinst(2, 0, 2, 102)), LWM2M_TYPE_INTEGER, 15);
    const lwm2m_record *b = rec(p, lwm2m_path_res(1, 0, 6));
    assert_int_equal(b->value.type, LWM2M_TYPE_BOOLEAN);
    assert_true(b->value.v.b);
    /* plan 0 capabilities derived from the plan, fallback's given */
    assert_int_equal(p->caps.max_server_accounts, 0);
    assert_true(p->caps.access_control);
    assert_int_equal(p->caps.security_modes, 1u << 0 | 1u << 3);
    assert_int_equal(p->caps.schemes, 3);
    const lwm2m_bs_plan *f = &cfg->plans[1];
    assert_int_equal(f->caps.max_server_accounts, 1);
    assert_false(f->caps.access_control);
    assert_int_equal(f->caps.security_modes, 1u << 3);
    assert_int_equal(f->caps.schemes, 1);
    assert_int_equal(f->delete_count, 1);
    assert_int_equal(f->deletes[0].len, 0);
    assert_int_equal(f->record_count, 8);
    lwm2m_bs_config_free(cfg);
}

static void test_parse_vendor_types(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(
        EP("\"objects\":{\"30000\":{\"0\":{\"0\":\"text\",\"1\":-42,\"2\":\"18446744073709551615\","
           "\"3\":0.1,\"4\":true,\"5\":{\"hex\":\"00FFa0\"},\"6\":1700000000,\"7\":\"3:0\","
           "\"8\":\"</3/0>\",\"9\":{\"0\":5,\"7\":-1}}}}"));
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_str_value(rec(p, lwm2m_path_res(30000, 0, 0)), LWM2M_TYPE_STRING, "text");
    assert_int_value(rec(p, lwm2m_path_res(30000, 0, 1)), LWM2M_TYPE_INTEGER, -42);
    const lwm2m_record *u = rec(p, lwm2m_path_res(30000, 0, 2));
    assert_int_equal(u->value.type, LWM2M_TYPE_UNSIGNED);
    assert_true(u->value.v.u == UINT64_MAX);
    const lwm2m_record *f = rec(p, lwm2m_path_res(30000, 0, 3));
    assert_int_equal(f->value.type, LWM2M_TYPE_FLOAT);
    assert_true(f->value.v.f == 0.1);
    assert_true(rec(p, lwm2m_path_res(30000, 0, 4))->value.v.b);
    assert_bytes(rec(p, lwm2m_path_res(30000, 0, 5)), "\x00\xff\xa0", 3);
    assert_int_value(rec(p, lwm2m_path_res(30000, 0, 6)), LWM2M_TYPE_TIME, 1700000000);
    const lwm2m_record *l = rec(p, lwm2m_path_res(30000, 0, 7));
    assert_int_equal(l->value.type, LWM2M_TYPE_OBJLNK);
    assert_int_equal(l->value.v.objlnk.obj, 3);
    assert_int_equal(l->value.v.objlnk.inst, 0);
    assert_str_value(rec(p, lwm2m_path_res(30000, 0, 8)), LWM2M_TYPE_CORELNK, "</3/0>");
    assert_int_value(rec(p, lwm2m_path_rinst(30000, 0, 9, 0)), LWM2M_TYPE_INTEGER, 5);
    assert_int_value(rec(p, lwm2m_path_rinst(30000, 0, 9, 7)), LWM2M_TYPE_INTEGER, -1);
    assert_int_equal(p->record_count, 11);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"2\":\"18446744073709551615\",\"3\":0.1,\"4\":true,"
                                 "\"5\":{\"hex\":\"00ffa0\"},\"6\":1700000000,\"7\":\"3:0\""));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_parse_numbers_from_strings(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok(EP("\"objects\":{\"30000\":{\"1\":{\"1\":\"-9223372036854775808\",\"3\":\"2.5e3\","
                    "\"4\":\"false\",\"6\":\"-5\",\"2\":12}}}"));
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_int_value(rec(p, lwm2m_path_res(30000, 1, 1)), LWM2M_TYPE_INTEGER, INT64_MIN);
    assert_true(rec(p, lwm2m_path_res(30000, 1, 3))->value.v.f == 2500.0);
    assert_false(rec(p, lwm2m_path_res(30000, 1, 4))->value.v.b);
    assert_int_value(rec(p, lwm2m_path_res(30000, 1, 6)), LWM2M_TYPE_TIME, -5);
    assert_true(rec(p, lwm2m_path_res(30000, 1, 2))->value.v.u == 12);
    char *json = round_trip(cfg);
    /* beyond 2^53 a number is written as a decimal string, exact */
    assert_non_null(strstr(json, "\"1\":\"-9223372036854775808\",\"2\":12,\"3\":2500,"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_parse_empty_instance_and_multi(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok(EP("\"objects\":{\"30000\":{\"4\":{},\"5\":{\"9\":{},\"11\":{\"3\":\"ab\"}}}}"));
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_int_equal(p->record_count, 3);
    const lwm2m_record *inst = rec(p, lwm2m_path_inst(30000, 4));
    assert_non_null(inst);
    assert_int_equal(inst->value.type, LWM2M_TYPE_NONE);
    const lwm2m_record *empty = rec(p, lwm2m_path_res(30000, 5, 9));
    assert_non_null(empty);
    assert_int_equal(empty->value.type, LWM2M_TYPE_NONE);
    assert_bytes(rec(p, lwm2m_path_rinst(30000, 5, 11, 3)), "ab", 2);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"objects\":{\"30000\":{\"4\":{},\"5\":{\"9\":{},"
                                 "\"11\":{\"3\":{\"hex\":\"6162\"}}}}}"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_parse_opaque_forms(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok(EP("\"objects\":{\"0\":{\"0\":{\"3\":\"h\\u00e9\",\"4\":{\"base64\":\"-_8\"},"
                    "\"5\":{\"hex\":\"\"},\"7\":{\"base64\":\"AAE=\"}}}}"));
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 3)), "h\xc3\xa9", 3);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 4)), "\xfb\xff", 2);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 5)), "", 0);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 7)), "\x00\x01", 2);
    lwm2m_bs_config_free(cfg);
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":{\"hex\":\"abc\"}}}}"), LWM2M_ERR_INVALID,
              "objects/0/0/5/hex: invalid hex");
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":{\"hex\":\"zz\"}}}}"), LWM2M_ERR_INVALID,
              "objects/0/0/5/hex: invalid hex");
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":{\"base64\":\"A A=\"}}}}"), LWM2M_ERR_INVALID,
              "objects/0/0/5/base64: invalid base64");
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":{\"hex\":5}}}}"), LWM2M_ERR_TYPE,
              "objects/0/0/5/hex: expected a string");
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":7}}}"), LWM2M_ERR_TYPE,
              "objects/0/0/5: expected opaque data (a string, {\"hex\"} or {\"base64\"})");
    parse_err(EP("\"objects\":{\"0\":{\"0\":{\"5\":{\"hex\":\"00\",\"base64\":\"AA==\"}}}}"),
              LWM2M_ERR_TYPE,
              "objects/0/0/5: expected opaque data (a string, {\"hex\"} or {\"base64\"})");
}

static void test_parse_unknown_object_typing(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(
        EP("\"objects\":{\"3442\":{\"0\":{\"0\":7,\"1\":1.5,\"2\":2.0,\"3\":1e20,\"4\":-0,"
           "\"5\":\"s\",\"6\":false,\"7\":{\"hex\":\"0a\"},\"8\":{\"1\":\"a\",\"2\":3},\"9\":{}}},"
           "\"3\":{\"0\":{\"999\":12}}}"));
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_int_value(rec(p, lwm2m_path_res(3442, 0, 0)), LWM2M_TYPE_INTEGER, 7);
    const lwm2m_record *f = rec(p, lwm2m_path_res(3442, 0, 1));
    assert_int_equal(f->value.type, LWM2M_TYPE_FLOAT);
    assert_true(f->value.v.f == 1.5);
    assert_int_value(rec(p, lwm2m_path_res(3442, 0, 2)), LWM2M_TYPE_INTEGER, 2);
    assert_int_equal(rec(p, lwm2m_path_res(3442, 0, 3))->value.type, LWM2M_TYPE_FLOAT);
    assert_int_equal(rec(p, lwm2m_path_res(3442, 0, 4))->value.type, LWM2M_TYPE_FLOAT);
    assert_str_value(rec(p, lwm2m_path_res(3442, 0, 5)), LWM2M_TYPE_STRING, "s");
    assert_int_equal(rec(p, lwm2m_path_res(3442, 0, 6))->value.type, LWM2M_TYPE_BOOLEAN);
    assert_bytes(rec(p, lwm2m_path_res(3442, 0, 7)), "\n", 1);
    assert_str_value(rec(p, lwm2m_path_rinst(3442, 0, 8, 1)), LWM2M_TYPE_STRING, "a");
    assert_int_value(rec(p, lwm2m_path_rinst(3442, 0, 8, 2)), LWM2M_TYPE_INTEGER, 3);
    assert_int_equal(rec(p, lwm2m_path_res(3442, 0, 9))->value.type, LWM2M_TYPE_NONE);
    /* an unknown resource of a known object */
    assert_int_value(rec(p, lwm2m_path_res(3, 0, 999)), LWM2M_TYPE_INTEGER, 12);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"3442\":{\"0\":{\"0\":7,\"1\":1.5,\"2\":2,\"3\":1e+20,\"4\":-0,"
                                 "\"5\":\"s\",\"6\":false,\"7\":{\"hex\":\"0a\"},"
                                 "\"8\":{\"1\":\"a\",\"2\":3},\"9\":{}}}"));
    free(json);
    lwm2m_bs_config_free(cfg);
    parse_err(EP("\"objects\":{\"3442\":{\"0\":{\"0\":null}}}"), LWM2M_ERR_TYPE,
              "objects/3442/0/0: expected a string, number, boolean or {\"hex\": ...}");
    parse_err(EP("\"objects\":{\"3442\":{\"0\":{\"0\":[1]}}}"), LWM2M_ERR_TYPE,
              "objects/3442/0/0: expected a string, number, boolean or {\"hex\": ...}");
}

static void test_parse_flags_and_formats(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok("{\"autoIdForSecurityObject\":true,\"discover\":false,\"contentFormat\":11542,"
                 "\"endpoint\":\"x\"}");
    assert_false(cfg->discover);
    assert_true(cfg->auto_id_security);
    assert_int_equal(cfg->format, LWM2M_FORMAT_TLV);
    assert_int_equal(cfg->plan_count, 1);
    assert_int_equal(cfg->plans[0].record_count, 0);
    assert_int_equal(cfg->psk_identity_len, 0);
    char *json = round_trip(cfg);
    assert_string_equal(json, "{\"endpoint\":\"x\",\"contentFormat\":\"tlv\",\"discover\":false,"
                              "\"autoIdForSecurityObject\":true}");
    free(json);
    lwm2m_bs_config_free(cfg);
    static const struct {
        const char *name;
        lwm2m_format f;
    } ok[] = {
        {"\"senml-cbor\"", LWM2M_FORMAT_SENML_CBOR}, {"\"senml+cbor\"", LWM2M_FORMAT_SENML_CBOR},
        {"\"cbor\"", LWM2M_FORMAT_LWM2M_CBOR},       {"\"json\"", LWM2M_FORMAT_LWM2M_JSON},
        {"\"110\"", LWM2M_FORMAT_SENML_JSON},        {"null", LWM2M_FORMAT_NONE}};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        char doc[128];
        snprintf(doc, sizeof doc, "{\"endpoint\":\"x\",\"contentFormat\":%s}", ok[k].name);
        cfg = parse_ok(doc);
        assert_int_equal(cfg->format, ok[k].f);
        lwm2m_bs_config_free(cfg);
    }
    parse_err("{\"endpoint\":\"x\",\"contentFormat\":\"xml\"}", LWM2M_ERR_INVALID,
              "contentFormat: unknown content format 'xml'");
    parse_err("{\"endpoint\":\"x\",\"contentFormat\":\"text\"}", LWM2M_ERR_INVALID,
              "contentFormat: content format 'text' cannot carry a Bootstrap-Write");
    parse_err("{\"endpoint\":\"x\",\"contentFormat\":1.5}", LWM2M_ERR_INVALID,
              "contentFormat: unknown content format");
    parse_err("{\"endpoint\":\"x\",\"contentFormat\":true}", LWM2M_ERR_TYPE,
              "contentFormat: expected a content format name or number");
    parse_err("{\"endpoint\":\"x\",\"discover\":1}", LWM2M_ERR_TYPE,
              "discover: expected a boolean");
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_error_bad_json(void **state)
{
    (void)state;
    parse_err("", LWM2M_ERR_INVALID, "invalid JSON at offset 0");
    parse_err("{", LWM2M_ERR_INVALID, "invalid JSON at offset 0"); /* cJSON: the last byte */
    parse_err("{\"endpoint\":}", LWM2M_ERR_INVALID, "invalid JSON at offset 12");
    parse_err("{\"endpoint\":\"e\",}", LWM2M_ERR_INVALID, "invalid JSON at offset 16");
    parse_err("{\"endpoint\":\"e\"} x", LWM2M_ERR_INVALID, "invalid JSON at offset 17");
    parse_err("{\"endpoint\":\"e\"}{}", LWM2M_ERR_INVALID, "invalid JSON at offset 16");
    parse_err("{\"endpoint\":\"a\tb\"}", LWM2M_ERR_INVALID,
              "control character in a string at offset 14");
    parse_err("{\"endpoint\":\"a\\u0000b\"}", LWM2M_ERR_INVALID,
              "\\u0000 in a string at offset 14");
    parse_err("{\"endpoint\":\"\xff\"}", LWM2M_ERR_INVALID, "invalid UTF-8 at offset 13");
    parse_err("[1,2]", LWM2M_ERR_INVALID, "document is not a JSON object");
    parse_err("{}", LWM2M_ERR_INVALID, "document has neither \"endpoint\" nor \"template\"");
    parse_err("{\"endpoint\":\"e\",\"object\":{}}", LWM2M_ERR_INVALID, "object: unknown key");
    parse_err("{\"endpoint\":\"e\",\"endpoint\":\"f\"}", LWM2M_ERR_INVALID,
              "endpoint: duplicate key");
    /* a NULL output or document, NULL err */
    lwm2m_bs_config *cfg;
    assert_int_equal(lwm2m_bs_config_parse(NULL, 0, NULL, &cfg, NULL, 0), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_config_parse("{", 1, NULL, &cfg, NULL, 0), LWM2M_ERR_INVALID);
    assert_null(cfg);
}

static void test_error_wrong_types(void **state)
{
    (void)state;
    parse_err(EP("\"objects\":{\"0\":{\"1\":{\"2\":\"x\"}}}"), LWM2M_ERR_TYPE,
              "objects/0/1/2: expected an integer");
    parse_err(EP("\"objects\":{\"0\":{\"1\":{\"2\":1.5}}}"), LWM2M_ERR_TYPE,
              "objects/0/1/2: expected an integer");
    parse_err(EP("\"objects\":{\"0\":{\"1\":{\"0\":5}}}"), LWM2M_ERR_TYPE,
              "objects/0/1/0: expected a string");
    parse_err(EP("\"objects\":{\"0\":{\"1\":{\"1\":\"yes\"}}}"), LWM2M_ERR_TYPE,
              "objects/0/1/1: expected a boolean");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"7\":\"3-0\"}}}"), LWM2M_ERR_TYPE,
              "objects/30000/0/7: expected an object link \"obj:inst\"");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"7\":\"3:65536\"}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/7: object link id above 65535");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"3\":\"fast\"}}}"), LWM2M_ERR_TYPE,
              "objects/30000/0/3: expected a number");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"2\":-1}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/2: negative value for an unsigned integer");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"2\":\"-1\"}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/2: unsigned integer out of range");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"1\":\"9223372036854775808\"}}}"),
              LWM2M_ERR_RANGE, "objects/30000/0/1: integer out of range");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"1\":9007199254740993}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/1: integer beyond 2^53: give it as a decimal string");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"3\":1e999}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/3: number out of range");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"10\":1}}}"), LWM2M_ERR_TYPE,
              "objects/30000/0/10: executable resource takes no value");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"9\":5}}}"), LWM2M_ERR_TYPE,
              "objects/30000/0/9: expected an object of resource instances");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"9\":{\"0\":\"a\"}}}}"), LWM2M_ERR_TYPE,
              "objects/30000/0/9/0: expected an integer");
    parse_err(EP("\"objects\":{\"0\":{\"1\":5}}"), LWM2M_ERR_TYPE,
              "objects/0/1: expected an object of resources");
    parse_err(EP("\"objects\":{\"0\":[]}"), LWM2M_ERR_TYPE,
              "objects/0: expected an object of instances");
    parse_err(EP("\"objects\":[]"), LWM2M_ERR_TYPE, "objects: expected an object of objects");
    parse_err(EP("\"fallbacks\":{}"), LWM2M_ERR_TYPE, "fallbacks: expected an array of plans");
    parse_err(EP("\"fallbacks\":[{\"objects\":{\"1\":{\"0\":{\"0\":true}}}}]"), LWM2M_ERR_TYPE,
              "fallbacks/0/objects/1/0/0: expected an integer");
    parse_err(EP("\"fallbacks\":[{\"object\":{}}]"), LWM2M_ERR_INVALID,
              "fallbacks/0/object: unknown key");
    parse_err(EP("\"fallbacks\":[5]"), LWM2M_ERR_TYPE, "fallbacks/0: expected a plan object");
}

static void test_error_bad_ids(void **state)
{
    (void)state;
    parse_err(EP("\"objects\":{\"x\":{}}"), LWM2M_ERR_INVALID,
              "objects/x: not an ID (decimal 0..65534)");
    parse_err(EP("\"objects\":{\"01\":{}}"), LWM2M_ERR_INVALID,
              "objects/01: not an ID (decimal 0..65534)");
    parse_err(EP("\"objects\":{\"-1\":{}}"), LWM2M_ERR_INVALID,
              "objects/-1: not an ID (decimal 0..65534)");
    parse_err(EP("\"objects\":{\"\":{}}"), LWM2M_ERR_INVALID,
              "objects/: not an ID (decimal 0..65534)");
    parse_err(EP("\"objects\":{\"65535\":{}}"), LWM2M_ERR_RANGE, "objects/65535: ID above 65534");
    parse_err(EP("\"objects\":{\"3\":{\"100000\":{}}}"), LWM2M_ERR_RANGE,
              "objects/3/100000: ID above 65534");
    parse_err(EP("\"objects\":{\"3\":{\"0\":{\"1 \":\"x\"}}}"), LWM2M_ERR_INVALID,
              "objects/3/0/1 : not an ID (decimal 0..65534)");
    parse_err(EP("\"objects\":{\"30000\":{\"0\":{\"9\":{\"65535\":1}}}}"), LWM2M_ERR_RANGE,
              "objects/30000/0/9/65535: ID above 65534");
    /* the same path twice through duplicate keys, or an instance both empty and filled */
    parse_err(EP("\"objects\":{\"3\":{\"0\":{\"1\":\"a\",\"1\":\"b\"}}}"), LWM2M_ERR_INVALID,
              "objects/3/0/1: given twice");
    parse_err(EP("\"objects\":{\"3\":{\"0\":{},\"0\":{\"1\":\"b\"}}}"), LWM2M_ERR_INVALID,
              "objects/3/0: given twice");
}

static void test_error_bad_delete_paths(void **state)
{
    (void)state;
    parse_err(EP("\"delete\":[\"/0\",\"/1/0/1\"]"), LWM2M_ERR_INVALID,
              "delete/1: '/1/0/1' is not /, /o or /o/i");
    parse_err(EP("\"delete\":[\"0\"]"), LWM2M_ERR_INVALID, "delete/0: '0' is not /, /o or /o/i");
    parse_err(EP("\"delete\":[\"/0/\"]"), LWM2M_ERR_INVALID,
              "delete/0: '/0/' is not /, /o or /o/i");
    parse_err(EP("\"delete\":[\"/65535\"]"), LWM2M_ERR_INVALID,
              "delete/0: '/65535' is not /, /o or /o/i");
    parse_err(EP("\"delete\":[1]"), LWM2M_ERR_TYPE, "delete/0: expected a path string");
    parse_err(EP("\"delete\":\"/0\""), LWM2M_ERR_TYPE, "delete: expected an array of paths");
    lwm2m_bs_config *cfg = parse_ok(EP("\"delete\":[\"/\",\"/3/0\",\"/5\"]"));
    assert_int_equal(cfg->plans[0].delete_count, 3);
    assert_true(lwm2m_path_equal(&cfg->plans[0].deletes[1], &(lwm2m_path){{3, 0, 0, 0}, 2}));
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"delete\":[\"/\",\"/3/0\",\"/5\"]"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_error_names_and_psk(void **state)
{
    (void)state;
    char doc[600], name[300];
    memset(name, 'n', 256);
    name[256] = '\0';
    snprintf(doc, sizeof doc, "{\"endpoint\":\"%s\"}", name);
    parse_err(doc, LWM2M_ERR_RANGE, "endpoint: longer than 255 bytes");
    name[255] = '\0';
    snprintf(doc, sizeof doc, "{\"endpoint\":\"%s\"}", name);
    lwm2m_bs_config *cfg = parse_ok(doc);
    assert_int_equal(strlen(cfg->endpoint), 255);
    lwm2m_bs_config_free(cfg);
    parse_err("{\"endpoint\":\"a\\nb\"}", LWM2M_ERR_INVALID,
              "endpoint: empty or with control characters");
    parse_err("{\"endpoint\":\"\"}", LWM2M_ERR_INVALID,
              "endpoint: empty or with control characters");
    parse_err("{\"endpoint\":7}", LWM2M_ERR_TYPE, "endpoint: expected a string");
    parse_err("{\"endpoint\":\"e\",\"match\":\"*\"}", LWM2M_ERR_INVALID,
              "match: only in a template");
    parse_err("{\"endpoint\":\"e\",\"vars\":{}}", LWM2M_ERR_INVALID,
              "vars: only in an endpoint that uses a template");
    parse_err("{\"template\":\"0123456789012345678901234567890123456789012345678901234567890123\"}",
              LWM2M_ERR_RANGE, "template: longer than 63 bytes");
    /* psk */
    parse_err(EP("\"psk\":{\"identity\":\"i\"}"), LWM2M_ERR_INVALID,
              "psk: identity and key are both required");
    parse_err(EP("\"psk\":{\"identity\":\"i\",\"key\":\"0g\"}"), LWM2M_ERR_INVALID,
              "psk/key: invalid hex");
    parse_err(EP("\"psk\":{\"identity\":\"i\",\"key\":\"\"}"), LWM2M_ERR_INVALID, "psk/key: empty");
    parse_err(EP("\"psk\":{\"identity\":\"\",\"key\":\"00\"}"), LWM2M_ERR_INVALID,
              "psk/identity: empty");
    parse_err(EP("\"psk\":{\"identity\":\"i\",\"key\":\"00\",\"hint\":1}"), LWM2M_ERR_INVALID,
              "psk/hint: unknown key");
    memset(name, 'a', 130);
    name[130] = '\0'; /* 65 bytes of key */
    snprintf(doc, sizeof doc, EP("\"psk\":{\"identity\":\"i\",\"key\":\"%s\"}"), name);
    parse_err(doc, LWM2M_ERR_RANGE, "psk/key: longer than 64 bytes");
    name[128] = '\0'; /* 64 bytes: fine */
    snprintf(doc, sizeof doc, EP("\"psk\":{\"identity\":{\"hex\":\"00ff\"},\"key\":\"%s\"}"), name);
    cfg = parse_ok(doc);
    assert_int_equal(cfg->psk_key_len, 64);
    assert_int_equal(cfg->psk_identity_len, 2);
    assert_memory_equal(cfg->psk_identity, "\x00\xff", 2);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"psk\":{\"identity\":{\"hex\":\"00ff\"},\"key\":\"aaaa"));
    free(json);
    lwm2m_bs_config_free(cfg);
    memset(name, 'i', 129);
    name[129] = '\0';
    snprintf(doc, sizeof doc, EP("\"psk\":{\"identity\":\"%s\",\"key\":\"00\"}"), name);
    parse_err(doc, LWM2M_ERR_RANGE, "psk/identity: longer than 128 bytes");
}

static void test_error_limits(void **state)
{
    (void)state;
    /* 64 plans are fine, 65 are not */
    size_t cap = 64 * 8 + 100;
    char *doc = malloc(cap);
    strcpy(doc, EP("\"fallbacks\":["));
    doc[strlen(doc) - 1] = '\0';
    for (int k = 0; k < 63; k++)
        strcat(doc, k ? ",{}" : "{}");
    strcat(doc, "]}");
    lwm2m_bs_config *cfg = parse_ok(doc);
    assert_int_equal(cfg->plan_count, 64);
    lwm2m_bs_config_free(cfg);
    doc[strlen(doc) - 2] = '\0';
    strcat(doc, ",{}]}");
    parse_err(doc, LWM2M_ERR_RANGE, "fallbacks: more than 64 plans in all");
    free(doc);

    /* 4096 records per plan are fine, 4097 are not */
    cap = 4097 * 16 + 100;
    doc = malloc(cap);
    for (int n = 4096; n <= 4097; n++) {
        size_t len = (size_t)sprintf(doc, EP("\"objects\":{\"3442\":{\"0\":{"));
        doc[--len] = '\0';
        for (int k = 0; k < n; k++)
            len += (size_t)sprintf(doc + len, "%s\"%d\":%d", k ? "," : "", k, k);
        strcpy(doc + len, "}}}}");
        if (n == 4096) {
            cfg = parse_ok(doc);
            assert_int_equal(cfg->plans[0].record_count, 4096);
            lwm2m_bs_config_free(cfg);
        } else {
            parse_err(doc, LWM2M_ERR_RANGE,
                      "objects/3442/0/4096: more than 4096 records in a plan");
        }
    }
    free(doc);

    /* more than 1 MiB */
    size_t big = 1024 * 1024 + 1;
    doc = malloc(big + 1);
    memset(doc, ' ', big);
    memcpy(doc, "{\"endpoint\":\"e\"}", 16);
    doc[big] = '\0';
    parse_err(doc, LWM2M_ERR_RANGE, "document larger than 1 MiB");
    assert_int_equal(lwm2m_bs_config_parse(doc, big - 1, NULL, &cfg, NULL, 0), LWM2M_OK);
    lwm2m_bs_config_free(cfg);
    free(doc);
}

static void test_error_capabilities(void **state)
{
    (void)state;
    parse_err(EP("\"capabilities\":{\"securityModes\":[\"psk\",\"magic\"]}"), LWM2M_ERR_INVALID,
              "capabilities/securityModes/1: unknown name 'magic'");
    parse_err(EP("\"capabilities\":{\"schemes\":\"coap\"}"), LWM2M_ERR_TYPE,
              "capabilities/schemes: expected an array of names");
    parse_err(EP("\"capabilities\":{\"maxServers\":-1}"), LWM2M_ERR_RANGE,
              "capabilities/maxServers: expected 0..65534");
    parse_err(EP("\"capabilities\":{\"maxServers\":\"1\"}"), LWM2M_ERR_TYPE,
              "capabilities/maxServers: expected an integer");
    parse_err(EP("\"capabilities\":{\"accessControl\":1}"), LWM2M_ERR_TYPE,
              "capabilities/accessControl: expected a boolean");
    parse_err(EP("\"capabilities\":{\"acl\":true}"), LWM2M_ERR_INVALID,
              "capabilities/acl: unknown key");
    parse_err(EP("\"capabilities\":{\"maxServers\":1,\"maxServers\":2}"), LWM2M_ERR_INVALID,
              "capabilities/maxServers: duplicate key");
    lwm2m_bs_config *cfg = parse_ok(EP("\"capabilities\":{\"maxServers\":2,\"accessControl\":true,"
                                       "\"securityModes\":[\"x509\",\"est\",\"nosec\"],\"schemes\":"
                                       "[\"coaps+tcp\",\"coap+tcp\"]}"));
    const lwm2m_capabilities *c = &cfg->plans[0].caps;
    assert_int_equal(c->max_server_accounts, 2);
    assert_true(c->access_control);
    assert_int_equal(c->security_modes, 1u << 2 | 1u << 3 | 1u << 4);
    assert_int_equal(c->schemes, LWM2M_SCHEME_COAP_TCP | LWM2M_SCHEME_COAPS_TCP);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"capabilities\":{\"maxServers\":2,\"accessControl\":true,"
                                 "\"securityModes\":[\"cert\",\"nosec\",\"est\"],"
                                 "\"schemes\":[\"coap+tcp\",\"coaps+tcp\"]}"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

/* ---- canonical JSON ------------------------------------------------------------------------ */

static void test_round_trip_full(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(full_doc);
    char *json = round_trip(cfg);
    /* stable key order; objects, instances and resources in id order; opaque in hex */
    assert_string_equal(
        json,
        "{\"endpoint\":\"dev-1\",\"psk\":{\"identity\":\"dev-1\",\"key\":\"00112233\"},"
        "\"contentFormat\":\"senml-json\",\"discover\":true,\"autoIdForSecurityObject\":false,"
        "\"delete\":[\"/0\",\"/1\"],\"objects\":{"
        "\"0\":{\"1\":{\"0\":\"coap://127.0.0.1:5683\",\"1\":false,\"2\":3,\"10\":101},"
        "\"2\":{\"0\":\"coaps://10.0.0.1:5684\",\"1\":false,\"2\":0,\"3\":{\"hex\":\"6465762d31\"},"
        "\"5\":{\"hex\":\"00010203\"},\"10\":102}},"
        "\"1\":{\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"},"
        "\"1\":{\"0\":102,\"1\":86400,\"6\":false,\"7\":\"U\"}},"
        "\"2\":{\"0\":{\"0\":1,\"1\":0,\"2\":{\"101\":1,\"102\":15},\"3\":101}}},"
        "\"fallbacks\":[{\"capabilities\":{\"maxServers\":1},\"delete\":[\"/\"],\"objects\":{"
        "\"0\":{\"1\":{\"0\":\"coap://127.0.0.1:5683\",\"1\":false,\"2\":3,\"10\":101}},"
        "\"1\":{\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}}]}");
    free(json);
    lwm2m_bs_config_free(cfg);
    assert_null(lwm2m_bs_config_to_json(NULL));
    lwm2m_bs_config_free(NULL);
}

static void test_round_trip_floats_and_escapes(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok(EP("\"objects\":{\"30000\":{\"0\":{\"0\":\"q\\\"\\\\\\/\\u00fc\",\"3\":1e-7},"
                    "\"1\":{\"3\":-123456.789},\"2\":{\"3\":1e300},\"3\":{\"3\":5}}}"));
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "\"0\":{\"0\":\"q\\\"\\\\/\xc3\xbc\",\"3\":1e-07}"));
    assert_non_null(strstr(json, "\"1\":{\"3\":-123456.789}"));
    assert_non_null(strstr(json, "\"2\":{\"3\":1e+300}"));
    assert_non_null(strstr(json, "\"3\":{\"3\":5}"));
    const lwm2m_record *r = rec(&cfg->plans[0], lwm2m_path_res(30000, 3, 3));
    assert_int_equal(r->value.type, LWM2M_TYPE_FLOAT);
    free(json);
    lwm2m_bs_config_free(cfg);
}

/* ---- templates ----------------------------------------------------------------------------- */

static const char *const fleet_template =
    "{\"template\":\"fleet-a\",\"match\":\"sensor-*\","
    "\"psk\":{\"identity\":\"${endpoint}\",\"key\":\"${psk}\"},"
    "\"delete\":[\"/0\",\"/1\"],"
    "\"objects\":{\"0\":{\"1\":{\"0\":\"coaps://${host}:5684\",\"1\":false,\"2\":0,"
    "\"3\":\"${endpoint}\",\"5\":{\"hex\":\"${psk}\"},\"10\":\"${ssid}\"}},"
    "\"1\":{\"0\":{\"0\":\"${ssid}\",\"1\":300,\"6\":\"${store}\",\"7\":\"U\"}}}}";

static void test_template_parse(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(fleet_template);
    assert_string_equal(cfg->endpoint, "");
    assert_string_equal(cfg->template_name, "fleet-a");
    assert_string_equal(cfg->match, "sensor-*");
    assert_int_equal(cfg->psk_identity_len, 11);
    assert_memory_equal(cfg->psk_identity, "${endpoint}", 11);
    const lwm2m_bs_plan *p = &cfg->plans[0];
    /* placeholders in non-string resources stay text */
    assert_str_value(rec(p, lwm2m_path_res(0, 1, 10)), LWM2M_TYPE_STRING, "${ssid}");
    assert_str_value(rec(p, lwm2m_path_res(0, 1, 5)), LWM2M_TYPE_STRING, "${psk}");
    assert_str_value(rec(p, lwm2m_path_res(1, 0, 6)), LWM2M_TYPE_STRING, "${store}");
    assert_str_value(rec(p, lwm2m_path_res(0, 1, 0)), LWM2M_TYPE_STRING, "coaps://${host}:5684");
    char *json = round_trip(cfg);
    assert_string_equal(json,
                        "{\"template\":\"fleet-a\",\"match\":\"sensor-*\","
                        "\"psk\":{\"identity\":\"${endpoint}\",\"key\":\"${psk}\"},"
                        "\"discover\":true,\"autoIdForSecurityObject\":false,"
                        "\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{\"1\":{"
                        "\"0\":\"coaps://${host}:5684\",\"1\":false,\"2\":0,"
                        "\"3\":\"${endpoint}\",\"5\":{\"hex\":\"${psk}\"},\"10\":\"${ssid}\"}},"
                        "\"1\":{\"0\":{\"0\":\"${ssid}\",\"1\":300,\"6\":\"${store}\","
                        "\"7\":\"U\"}}}}");
    free(json);
    lwm2m_bs_config_free(cfg);
    /* the same text in an endpoint document is typed strictly */
    parse_err(EP("\"objects\":{\"1\":{\"0\":{\"0\":\"${ssid}\"}}}"), LWM2M_ERR_TYPE,
              "objects/1/0/0: expected an integer");
    parse_err("{\"template\":\"t\",\"objects\":{\"1\":{\"0\":{\"0\":\"${ssid\"}}}}",
              LWM2M_ERR_INVALID, "objects/1/0/0: malformed ${name} placeholder");
    parse_err("{\"template\":\"t\",\"objects\":{\"1\":{\"0\":{\"0\":\"ssid\"}}}}", LWM2M_ERR_TYPE,
              "objects/1/0/0: expected an integer");
    parse_err("{\"template\":\"t\",\"vars\":{}}", LWM2M_ERR_INVALID,
              "vars: only in an endpoint that uses a template");
}

static void test_template_expand(void **state)
{
    (void)state;
    const lwm2m_bs_var vars[] = {
        {"host", "10.1.2.3"}, {"psk", "0a0b0c"}, {"ssid", "123"}, {"store", "true"}};
    lwm2m_bs_config *cfg = NULL;
    char err[256] = "";
    int rc = lwm2m_bs_config_expand(fleet_template, strlen(fleet_template), "sensor-7", vars, 4,
                                    NULL, &cfg, err, sizeof err);
    assert_int_equal(rc, LWM2M_OK);
    assert_string_equal(cfg->endpoint, "sensor-7");
    assert_string_equal(cfg->template_name, "fleet-a");
    assert_string_equal(cfg->match, "");
    assert_int_equal(cfg->psk_identity_len, 8);
    assert_memory_equal(cfg->psk_identity, "sensor-7", 8);
    assert_int_equal(cfg->psk_key_len, 3);
    assert_memory_equal(cfg->psk_key, "\x0a\x0b\x0c", 3);
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_str_value(rec(p, lwm2m_path_res(0, 1, 0)), LWM2M_TYPE_STRING, "coaps://10.1.2.3:5684");
    assert_bytes(rec(p, lwm2m_path_res(0, 1, 3)), "sensor-7", 8);
    assert_bytes(rec(p, lwm2m_path_res(0, 1, 5)), "\x0a\x0b\x0c", 3);
    assert_int_value(rec(p, lwm2m_path_res(0, 1, 10)), LWM2M_TYPE_INTEGER, 123);
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 0)), LWM2M_TYPE_INTEGER, 123);
    assert_true(rec(p, lwm2m_path_res(1, 0, 6))->value.v.b);
    assert_int_equal(p->caps.security_modes, 1u << 0);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, NULL), -1);
    char *json = round_trip(cfg);
    assert_non_null(strstr(json, "{\"endpoint\":\"sensor-7\",\"template\":\"fleet-a\",\"psk\""));
    free(json);
    lwm2m_bs_config_free(cfg);

    /* a value with quotes stays one JSON string */
    const lwm2m_bs_var odd[] = {{"host", "h\"x"}, {"psk", "00"}, {"ssid", "1"}, {"store", "false"}};
    rc = lwm2m_bs_config_expand(fleet_template, strlen(fleet_template), "e", odd, 4, NULL, &cfg,
                                err, sizeof err);
    assert_int_equal(rc, LWM2M_OK);
    assert_str_value(rec(&cfg->plans[0], lwm2m_path_res(0, 1, 0)), LWM2M_TYPE_STRING,
                     "coaps://h\"x:5684");
    lwm2m_bs_config_free(cfg);
}

static void test_template_expand_errors(void **state)
{
    (void)state;
    const lwm2m_bs_var vars[] = {{"host", "h"}, {"psk", "00"}, {"store", "true"}};
    lwm2m_bs_config *cfg = (lwm2m_bs_config *)1;
    char err[256] = "";
    int rc = lwm2m_bs_config_expand(fleet_template, strlen(fleet_template), "e", vars, 3, NULL,
                                    &cfg, err, sizeof err);
    assert_int_equal(rc, LWM2M_ERR_INVALID);
    assert_string_equal(err, "unknown variable ssid");
    assert_null(cfg);
    /* a value that does not fit the resource once substituted */
    const lwm2m_bs_var bad[] = {{"host", "h"}, {"psk", "00"}, {"ssid", "abc"}, {"store", "1"}};
    rc = lwm2m_bs_config_expand(fleet_template, strlen(fleet_template), "e", bad, 4, NULL, &cfg,
                                err, sizeof err);
    assert_int_equal(rc, LWM2M_ERR_TYPE);
    assert_string_equal(err, "objects/0/1/10: expected an integer");
    /* an endpoint document is no template */
    rc = lwm2m_bs_config_expand(full_doc, strlen(full_doc), "e", NULL, 0, NULL, &cfg, err,
                                sizeof err);
    assert_int_equal(rc, LWM2M_ERR_INVALID);
    assert_string_equal(err, "not a template document");
    /* the template's own errors come first */
    rc = lwm2m_bs_config_expand("{\"template\":", 12, "e", NULL, 0, NULL, &cfg, err, sizeof err);
    assert_int_equal(rc, LWM2M_ERR_INVALID);
    assert_string_equal(err, "invalid JSON at offset 11");
    /* a bad endpoint name */
    const char *t = "{\"template\":\"t\"}";
    rc = lwm2m_bs_config_expand(t, strlen(t), "", NULL, 0, NULL, &cfg, err, sizeof err);
    assert_int_equal(rc, LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint: empty or with control characters");
    rc = lwm2m_bs_config_expand(t, strlen(t), "ok", NULL, 0, NULL, &cfg, err, sizeof err);
    assert_int_equal(rc, LWM2M_OK);
    assert_string_equal(cfg->endpoint, "ok");
    assert_string_equal(cfg->template_name, "t");
    lwm2m_bs_config_free(cfg);
}

static void test_endpoint_with_vars(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok("{\"endpoint\":\"sensor-9\",\"template\":\"fleet-a\",\"vars\":{"
                                    "\"ssid\":\"7\",\"host\":\"h\"}}");
    assert_string_equal(cfg->template_name, "fleet-a");
    assert_int_equal(cfg->plan_count, 1);
    char *json = round_trip(cfg);
    assert_string_equal(json, "{\"endpoint\":\"sensor-9\",\"template\":\"fleet-a\","
                              "\"vars\":{\"host\":\"h\",\"ssid\":\"7\"},\"discover\":true,"
                              "\"autoIdForSecurityObject\":false}");
    free(json);
    lwm2m_bs_config_free(cfg);
    parse_err("{\"endpoint\":\"e\",\"template\":\"t\",\"vars\":{\"a b\":\"x\"}}", LWM2M_ERR_INVALID,
              "vars/a b: variable names are 1..63 of [A-Za-z0-9_.-]");
    parse_err("{\"endpoint\":\"e\",\"template\":\"t\",\"vars\":{\"a\":1}}", LWM2M_ERR_TYPE,
              "vars/a: expected a string");
    parse_err("{\"endpoint\":\"e\",\"template\":\"t\",\"vars\":{\"a\":\"1\",\"a\":\"2\"}}",
              LWM2M_ERR_INVALID, "vars/a: duplicate key");
}

static void test_pattern_match(void **state)
{
    (void)state;
    assert_true(lwm2m_bs_pattern_match("*", "anything"));
    assert_true(lwm2m_bs_pattern_match("*", "x"));
    assert_true(lwm2m_bs_pattern_match("sensor-*", "sensor-1"));
    assert_true(lwm2m_bs_pattern_match("sensor-*", "sensor-"));
    assert_false(lwm2m_bs_pattern_match("sensor-*", "sensor"));
    assert_false(lwm2m_bs_pattern_match("sensor-*", "xsensor-1"));
    assert_true(lwm2m_bs_pattern_match("*-eu", "gw-eu"));
    assert_false(lwm2m_bs_pattern_match("*-eu", "gw-eu1"));
    assert_true(lwm2m_bs_pattern_match("a*b*c", "abc"));
    assert_true(lwm2m_bs_pattern_match("a*b*c", "a-b-b-c"));
    assert_true(lwm2m_bs_pattern_match("a*b*c", "aXXbYYbZZc"));
    assert_false(lwm2m_bs_pattern_match("a*b*c", "aXXcYYb"));
    assert_false(lwm2m_bs_pattern_match("a*b*c", "abcd"));
    assert_true(lwm2m_bs_pattern_match("a**c", "ac"));
    assert_true(lwm2m_bs_pattern_match("dev-1", "dev-1"));
    assert_false(lwm2m_bs_pattern_match("dev-1", "dev-10"));
    assert_false(lwm2m_bs_pattern_match("dev-1", "Dev-1"));
    assert_false(lwm2m_bs_pattern_match("", "dev-1"));
    assert_false(lwm2m_bs_pattern_match("", ""));
    assert_false(lwm2m_bs_pattern_match(NULL, "x"));
    assert_false(lwm2m_bs_pattern_match("*", NULL));
}

/* ---- validation ---------------------------------------------------------------------------- */

#define SRV_SEC(iid, ssid)                                                                         \
    "\"" #iid "\":{\"0\":\"coap://s" #ssid ".example:5683\",\"1\":false,\"2\":3,\"10\":" #ssid "}"
#define SRV(iid, ssid) "\"" #iid "\":{\"0\":" #ssid ",\"1\":300,\"6\":true,\"7\":\"U\"}"

static void test_validate_consistent(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(full_doc);
    lwm2m_consistency_result r;
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), -1);
    assert_int_equal(r.rule, LWM2M_CONSISTENT);
    assert_string_equal(r.message, "consistent");
    lwm2m_bs_config_free(cfg);
}

/* The seed's example: a multi-server plan with /2 for a single-server client without Access
 * Control fails; its single-server fallback passes. */
static void test_validate_seed_case(void **state)
{
    (void)state;
    const char *doc =
        "{\"endpoint\":\"e\",\"capabilities\":{\"maxServers\":1,\"accessControl\":false},"
        "\"delete\":[\"/\"],\"objects\":{\"0\":{" SRV_SEC(1, 101) "," SRV_SEC(
            2, 102) "},\"1\":{" SRV(0,
                                    101) "," SRV(1,
                                                 102) "},\"2\":{\"0\":{\"0\":1,\"1\":0,\"2\":{"
                                                      "\"101\":15},\"3\":101}}},"
                                                      "\"fallbacks\":[{\"capabilities\":{"
                                                      "\"maxServers\":1,\"accessControl\":false},"
                                                      "\"delete\":[\"/"
                                                      "\"],\"objects\":{\"0\":{" SRV_SEC(
                                                          1, 101) "},\"1\":{" SRV(0, 101) "}}}]}";
    lwm2m_bs_config *cfg = parse_ok(doc);
    lwm2m_consistency_result r;
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_TOO_MANY_SERVERS);
    assert_string_equal(r.message, "too-many-servers: /1: 2 server accounts, this client holds 1");
    lwm2m_bs_config_free(cfg);

    /* the same plan with only /2 too much: the ACL rule */
    const char *acl = "{\"endpoint\":\"e\",\"capabilities\":{\"accessControl\":false},"
                      "\"objects\":{\"0\":{" SRV_SEC(1, 101) "," SRV_SEC(2, 102) "},\"1\":{" SRV(
                          0, 101) "," SRV(1, 102) "},\"2\":{\"0\":{\"0\":1,\"1\":0,\"3\":101}}}}";
    cfg = parse_ok(acl);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_ACL_UNSUPPORTED);
    lwm2m_bs_config_free(cfg);

    /* the fallback alone (as plan 0) passes, and a failing fallback is reported by index */
    const char *fb = "{\"endpoint\":\"e\",\"objects\":{\"0\":{" SRV_SEC(1, 101) "," SRV_SEC(
        2,
        102) "},\"1\":{" SRV(0,
                             101) "," SRV(1,
                                          102) "},\"2\":{\"0\":{\"0\":1,\"1\":0,\"2\":{\"101\":15},"
                                               "\"3\":101}}},"
                                               "\"fallbacks\":[{\"capabilities\":{\"maxServers\":1,"
                                               "\"accessControl\":false},"
                                               "\"delete\":[\"/\"],\"objects\":{\"0\":{" SRV_SEC(
                                                   1,
                                                   101) "},\"1\":{" SRV(0,
                                                                        101) "}}},{"
                                                                             "\"capabilities\":{"
                                                                             "\"maxServers\":1},"
                                                                             "\"objects\":{\"1\":"
                                                                             "{" SRV(0, 9) "}}}]}";
    cfg = parse_ok(fb);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 2);
    assert_int_equal(r.rule, LWM2M_RULE_SERVER_WITHOUT_SECURITY);
    lwm2m_bs_config_free(cfg);
}

static void test_validate_multiple_bs_accounts(void **state)
{
    (void)state;
    /* one BS account written by the plan replaces the client's (no placeholder) */
    const char *one =
        EP("\"objects\":{\"0\":{\"0\":{\"0\":\"coap://bs.example\",\"1\":true,\"2\":3}," SRV_SEC(
            1, 101) "},\"1\":{" SRV(0, 101) "}}");
    lwm2m_bs_config *cfg = parse_ok(one);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, NULL), -1);
    lwm2m_bs_config_free(cfg);
    const char *two =
        EP("\"objects\":{\"0\":{\"0\":{\"0\":\"coap://bs.example\",\"1\":true,\"2\":3},"
           "\"5\":{\"0\":\"coap://bs2.example\",\"1\":true,\"2\":3}," SRV_SEC(
               1, 101) "},\"1\":{" SRV(0, 101) "}}");
    cfg = parse_ok(two);
    lwm2m_consistency_result r;
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_MULTIPLE_BOOTSTRAP);
    assert_true(lwm2m_path_equal(&r.path, &(lwm2m_path){{0, 5, 0, 0}, 2}));
    lwm2m_bs_config_free(cfg);
}

static void test_validate_ssid_mismatch(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg =
        parse_ok(EP("\"objects\":{\"0\":{" SRV_SEC(0, 101) "},\"1\":{" SRV(0, 102) "}}"));
    lwm2m_consistency_result r;
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_SERVER_WITHOUT_SECURITY);
    assert_string_equal(r.message,
                        "server-without-security: /1/0: no Security instance with SSID 102");
    lwm2m_bs_config_free(cfg);
    /* nothing written at all: no server account */
    cfg = parse_ok(EP("\"delete\":[\"/\"]"));
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_NO_SERVER_ACCOUNT);
    lwm2m_bs_config_free(cfg);
}

static void test_validate_caps_and_placeholder(void **state)
{
    (void)state;
    /* a client with PSK over coaps only: the modelled BS account must be one it can hold */
    const char *psk = EP("\"capabilities\":{\"securityModes\":[\"psk\"],\"schemes\":[\"coaps\"]},"
                         "\"objects\":{\"0\":{\"0\":{\"0\":\"coaps://s.example\",\"1\":false,"
                         "\"2\":0,\"3\":\"id\",\"5\":{\"hex\":\"01\"},\"10\":1}},"
                         "\"1\":{" SRV(0, 1) "}}");
    lwm2m_bs_config *cfg = parse_ok(psk);
    lwm2m_consistency_result r;
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), -1);
    lwm2m_bs_config_free(cfg);
    /* a mode the client lacks */
    const char *nosec = EP("\"capabilities\":{\"securityModes\":[\"psk\"]},"
                           "\"objects\":{\"0\":{" SRV_SEC(0, 1) "},\"1\":{" SRV(0, 1) "}}");
    cfg = parse_ok(nosec);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_UNSUPPORTED_MODE);
    assert_true(lwm2m_path_equal(&r.path, &(lwm2m_path){{0, 0, 2, 0}, 3}));
    lwm2m_bs_config_free(cfg);
    /* PSK without its key material */
    const char *nokey = EP("\"objects\":{\"0\":{\"0\":{\"0\":\"coaps://s.example\",\"1\":false,"
                           "\"2\":0,\"10\":1}},\"1\":{" SRV(0, 1) "}}");
    cfg = parse_ok(nokey);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_MISSING_RESOURCE);
    lwm2m_bs_config_free(cfg);
    /* an unexpanded template cannot be validated */
    cfg = parse_ok(fleet_template);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_MISSING_RESOURCE);
    assert_string_equal(r.message, "missing-resource: /0/1/10: value does not fit the resource "
                                   "(unexpanded template?)");
    lwm2m_bs_config_free(cfg);
    /* objects without a definition are skipped, defined vendor objects are loaded */
    cfg = parse_ok(EP("\"objects\":{\"0\":{" SRV_SEC(0, 1) "},\"1\":{" SRV(
        0, 1) "},\"3442\":{\"0\":{\"1\":2}},\"30000\":{\"0\":{\"1\":3}},"
              "\"2\":{\"0\":{\"0\":30000,\"1\":0,\"3\":1}}}"));
    assert_int_equal(lwm2m_bs_config_validate(cfg, &vendor_defs, &r), -1);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), 0);
    assert_int_equal(r.rule, LWM2M_RULE_ACL_TARGET_MISSING);
    lwm2m_bs_config_free(cfg);
}

/* ---- Leshan import ------------------------------------------------------------------------- */

typedef struct collected {
    int calls;
    char endpoints[4][32];
    lwm2m_bs_config *cfgs[4];
    int stop_at;
} collected;

static int collect(void *ctx, const char *endpoint, const char *json)
{
    collected *c = ctx;
    if (c->calls == c->stop_at)
        return 42;
    assert_true(c->calls < 4);
    snprintf(c->endpoints[c->calls], sizeof c->endpoints[0], "%s", endpoint);
    c->cfgs[c->calls] = parse_ok(json);
    c->calls++;
    return 0;
}

static void free_collected(collected *c)
{
    for (int k = 0; k < c->calls; k++)
        lwm2m_bs_config_free(c->cfgs[k]);
}

static const char *const leshan_file =
    "{\"psk-dev\":{\"toDelete\":[\"/0\",\"/1\"],\"autoIdForSecurityObject\":true,"
    "\"contentFormat\":\"SENML_CBOR\","
    "\"servers\":{\"0\":{\"shortId\":123,\"lifetime\":20,\"defaultMinPeriod\":1,"
    "\"defaultMaxPeriod\":60,\"disableTimeout\":86400,\"notifIfDisabled\":true,\"binding\":\"U\"}},"
    "\"security\":{"
    "\"0\":{\"uri\":\"coaps://"
    "leshan.example:5784\",\"bootstrapServer\":true,\"securityMode\":\"PSK\","
    "\"publicKeyOrId\":[98,115],\"serverPublicKey\":[],\"secretKey\":[-1,0,127,-128],"
    "\"smsSecurityMode\":\"NO_SEC\",\"smsBindingKeyParam\":[],\"smsBindingKeySecret\":[],"
    "\"serverSmsNumber\":\"\",\"serverId\":null,\"clientOldOffTime\":1,"
    "\"bootstrapServerAccountTimeout\":0},"
    "\"1\":{\"uri\":\"coaps://"
    "leshan.example:5684\",\"bootstrapServer\":false,\"securityMode\":\"PSK\","
    "\"publicKeyOrId\":[112,115,107,45,100,101,118],\"serverPublicKey\":[],"
    "\"secretKey\":[1,2,3,255],\"serverId\":123,\"clientOldOffTime\":1,"
    "\"bootstrapServerAccountTimeout\":0}},"
    "\"acls\":{\"0\":{\"objectId\":3,\"objectInstanceId\":0,\"acls\":{\"3333\":1,\"123\":7},"
    "\"AccessControlOwner\":2222}},\"oscore\":{}},"
    "\"nosec-dev\":{\"toDelete\":[\"/\"],\"contentFormat\":null,"
    "\"servers\":{\"1\":{\"shortId\":1,\"lifetime\":300,\"notifIfDisabled\":false,"
    "\"binding\":[\"U\",\"Q\"],\"defaultMinPeriod\":null}},"
    "\"security\":{\"3\":{\"uri\":\"coap://127.0.0.1:5683\",\"bootstrapServer\":false,"
    "\"securityMode\":3,\"publicKeyOrId\":\"AQI=\",\"secretKey\":\"0a0b\",\"serverId\":1}}}}";

static void test_leshan_import(void **state)
{
    (void)state;
    collected c;
    memset(&c, 0, sizeof c);
    c.stop_at = -1;
    char err[256] = "";
    int rc = lwm2m_bs_config_import_leshan(leshan_file, strlen(leshan_file), collect, &c, err,
                                           sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(c.calls, 2);
    assert_string_equal(c.endpoints[0], "psk-dev");
    assert_string_equal(c.endpoints[1], "nosec-dev");

    lwm2m_bs_config *cfg = c.cfgs[0];
    assert_string_equal(cfg->endpoint, "psk-dev");
    assert_true(cfg->auto_id_security);
    assert_int_equal(cfg->format, LWM2M_FORMAT_SENML_CBOR);
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_int_equal(p->delete_count, 2);
    assert_true(lwm2m_path_equal(&p->deletes[1], &(lwm2m_path){{1, 0, 0, 0}, 1}));
    /* /0/0: the bootstrap account */
    assert_str_value(rec(p, lwm2m_path_res(0, 0, 0)), LWM2M_TYPE_STRING,
                     "coaps://leshan.example:5784");
    assert_true(rec(p, lwm2m_path_res(0, 0, 1))->value.v.b);
    assert_int_value(rec(p, lwm2m_path_res(0, 0, 2)), LWM2M_TYPE_INTEGER, 0);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 3)), "bs", 2);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 4)), "", 0);
    assert_bytes(rec(p, lwm2m_path_res(0, 0, 5)), "\xff\x00\x7f\x80", 4);
    assert_null(rec(p, lwm2m_path_res(0, 0, 10)));
    assert_int_value(rec(p, lwm2m_path_res(0, 0, 11)), LWM2M_TYPE_INTEGER, 1);
    assert_int_value(rec(p, lwm2m_path_res(0, 0, 12)), LWM2M_TYPE_INTEGER, 0);
    assert_null(rec(p, lwm2m_path_res(0, 0, 6))); /* SMS fields are not carried over */
    /* /0/1: the PSK server */
    assert_bytes(rec(p, lwm2m_path_res(0, 1, 3)), "psk-dev", 7);
    assert_bytes(rec(p, lwm2m_path_res(0, 1, 5)), "\x01\x02\x03\xff", 4);
    assert_int_value(rec(p, lwm2m_path_res(0, 1, 10)), LWM2M_TYPE_INTEGER, 123);
    /* /1/0 */
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 0)), LWM2M_TYPE_INTEGER, 123);
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 1)), LWM2M_TYPE_INTEGER, 20);
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 2)), LWM2M_TYPE_INTEGER, 1);
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 3)), LWM2M_TYPE_INTEGER, 60);
    assert_int_value(rec(p, lwm2m_path_res(1, 0, 5)), LWM2M_TYPE_INTEGER, 86400);
    assert_true(rec(p, lwm2m_path_res(1, 0, 6))->value.v.b);
    assert_str_value(rec(p, lwm2m_path_res(1, 0, 7)), LWM2M_TYPE_STRING, "U");
    /* /2/0 */
    assert_int_value(rec(p, lwm2m_path_res(2, 0, 0)), LWM2M_TYPE_INTEGER, 3);
    assert_int_value(rec(p, lwm2m_path_res(2, 0, 1)), LWM2M_TYPE_INTEGER, 0);
    assert_int_value(rec(p, lwm2m_path_rinst(2, 0, 2, 3333)), LWM2M_TYPE_INTEGER, 1);
    assert_int_value(rec(p, lwm2m_path_rinst(2, 0, 2, 123)), LWM2M_TYPE_INTEGER, 7);
    assert_int_value(rec(p, lwm2m_path_res(2, 0, 3)), LWM2M_TYPE_INTEGER, 2222);
    assert_int_equal(p->record_count, 8 + 9 + 7 + 5);

    cfg = c.cfgs[1];
    p = &cfg->plans[0];
    assert_false(cfg->auto_id_security);
    assert_int_equal(cfg->format, LWM2M_FORMAT_NONE);
    assert_int_equal(p->deletes[0].len, 0);
    assert_str_value(rec(p, lwm2m_path_res(1, 1, 7)), LWM2M_TYPE_STRING, "UQ");
    assert_false(rec(p, lwm2m_path_res(1, 1, 6))->value.v.b);
    assert_null(rec(p, lwm2m_path_res(1, 1, 2)));
    assert_int_value(rec(p, lwm2m_path_res(0, 3, 2)), LWM2M_TYPE_INTEGER, 3);
    assert_bytes(rec(p, lwm2m_path_res(0, 3, 3)), "\x01\x02", 2); /* base64 */
    assert_bytes(rec(p, lwm2m_path_res(0, 3, 5)), "\x0a\x0b", 2); /* hex */
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, NULL), -1);
    free_collected(&c);

    /* the sink's non-zero return stops the import */
    memset(&c, 0, sizeof c);
    c.stop_at = 1;
    rc = lwm2m_bs_config_import_leshan(leshan_file, strlen(leshan_file), collect, &c, err,
                                       sizeof err);
    assert_int_equal(rc, 42);
    assert_int_equal(c.calls, 1);
    free_collected(&c);
}

static void leshan_err(const char *file, const char *want)
{
    collected c;
    memset(&c, 0, sizeof c);
    c.stop_at = -1;
    char err[256] = "";
    int rc = lwm2m_bs_config_import_leshan(file, strlen(file), collect, &c, err, sizeof err);
    if (rc != LWM2M_ERR_INVALID || strcmp(err, want) != 0)
        print_error("got %d '%s' want '%s'\n", rc, err, want);
    assert_int_equal(rc, LWM2M_ERR_INVALID);
    assert_string_equal(err, want);
    free_collected(&c);
}

static void test_leshan_errors(void **state)
{
    (void)state;
    leshan_err("{\"a\":", "invalid JSON at offset 4");
    leshan_err("[]", "expected an object of endpoint -> BootstrapConfig");
    leshan_err("{\"a\":5}", "a: expected a BootstrapConfig object");
    leshan_err("{\"a\":{\"security\":{\"0\":{\"securityMode\":\"TLS\"}}}}",
               "a/security/0/securityMode: unknown security mode");
    leshan_err("{\"a\":{\"security\":{\"0\":{\"secretKey\":[1,256]}}}}",
               "a/security/0/secretKey: byte array element is no byte");
    leshan_err("{\"a\":{\"security\":{\"0\":{\"secretKey\":\"!!\"}}}}",
               "a/security/0/secretKey: neither hex nor base64");
    leshan_err("{\"a\":{\"servers\":{\"0\":{\"lifetime\":\"long\"}}}}",
               "a/servers/0/lifetime: expected an integer");
    leshan_err("{\"a\":{\"contentFormat\":\"TEXT\"}}",
               "a/contentFormat: unsupported content format");
    leshan_err("{\"a\":{\"toDelete\":[\"/0/1/2\"]}}", "a: delete/0: '/0/1/2' is not /, /o or /o/i");
    leshan_err("{\"a\":{\"servers\":{\"x\":{\"shortId\":1}}}}",
               "a: objects/1/x: not an ID (decimal 0..65534)");
    leshan_err("{\"a\":{\"acls\":{\"0\":{\"acls\":[1]}}}}",
               "a/acls/0/acls: expected an object of ssid -> rights");
}

static void test_error_messages_one_line(void **state)
{
    (void)state;
    parse_err(EP("\"objects\":{\"a\\nb\":{}}"), LWM2M_ERR_INVALID,
              "objects/a?b: not an ID (decimal 0..65534)");
    parse_err(EP("\"capabilities\":{\"schemes\":[\"x\\ty\"]}"), LWM2M_ERR_INVALID,
              "capabilities/schemes/0: unknown name 'x?y'");
    /* a short buffer gets a truncated, terminated message; none is fine too */
    char err[8];
    lwm2m_bs_config *cfg;
    const char *doc = EP("\"objects\":{\"x\":{}}");
    assert_int_equal(lwm2m_bs_config_parse(doc, strlen(doc), NULL, &cfg, err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err, "objects");
    assert_int_equal(lwm2m_bs_config_parse(doc, strlen(doc), NULL, &cfg, err, 0),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_config_parse(doc, strlen(doc), NULL, &cfg, NULL, 0),
                     LWM2M_ERR_INVALID);
    /* lone UTF-16 surrogates are no text */
    parse_err("{\"endpoint\":\"\\udc00\"}", LWM2M_ERR_INVALID, "invalid JSON at offset 13");
}

static void test_caps_defaults(void **state)
{
    (void)state;
    /* derived from the plan: modes and schemes of its /0 instances, /2 present */
    lwm2m_bs_config *cfg = parse_ok(
        EP("\"objects\":{\"0\":{\"0\":{\"0\":\"coaps+tcp://a\",\"2\":1},\"1\":{\"0\":\"coap://b\","
           "\"2\":3},\"2\":{\"0\":\"bad\",\"2\":9}},\"2\":{\"0\":{}}}"));
    const lwm2m_capabilities *c = &cfg->plans[0].caps;
    assert_int_equal(c->max_server_accounts, 0);
    assert_true(c->access_control);
    assert_int_equal(c->security_modes, 1u << 1 | 1u << 3);
    assert_int_equal(c->schemes, LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS_TCP);
    char *json = round_trip(cfg);
    assert_null(strstr(json, "capabilities")); /* defaults are not written out */
    free(json);
    lwm2m_bs_config_free(cfg);
    /* given values equal to the defaults are the same configuration */
    cfg = parse_ok(EP("\"capabilities\":{\"maxServers\":0,\"accessControl\":false,"
                      "\"securityModes\":[],\"schemes\":[]}"));
    json = round_trip(cfg);
    assert_string_equal(json, "{\"endpoint\":\"e\",\"discover\":true,"
                              "\"autoIdForSecurityObject\":false}");
    free(json);
    lwm2m_bs_config_free(cfg);
    /* an explicit empty list where the plan uses a mode is kept */
    cfg = parse_ok(EP("\"capabilities\":{\"securityModes\":[]},"
                      "\"objects\":{\"0\":{\"0\":{\"2\":3}}}"));
    assert_int_equal(cfg->plans[0].caps.security_modes, 0);
    json = round_trip(cfg);
    assert_non_null(strstr(json, "\"capabilities\":{\"securityModes\":[]}"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_template_placeholder_forms(void **state)
{
    (void)state;
    lwm2m_bs_config *cfg = parse_ok(
        "{\"template\":\"t\",\"psk\":{\"identity\":{\"hex\":\"${id}\"},\"key\":\"00${k}\"},"
        "\"objects\":{\"3442\":{\"0\":{\"1\":{\"base64\":\"${b}\"},\"2\":{\"0\":\"${x}\",\"1\":5}}}"
        ","
        "\"30000\":{\"0\":{\"1\":\"${i}\",\"5\":\"${o}\",\"7\":\"${l}\",\"9\":{\"2\":\"${m}\"}}}}"
        "}");
    const lwm2m_bs_plan *p = &cfg->plans[0];
    assert_str_value(rec(p, lwm2m_path_res(3442, 0, 1)), LWM2M_TYPE_STRING, "${b}");
    assert_str_value(rec(p, lwm2m_path_rinst(3442, 0, 2, 0)), LWM2M_TYPE_STRING, "${x}");
    assert_str_value(rec(p, lwm2m_path_res(30000, 0, 1)), LWM2M_TYPE_STRING, "${i}");
    assert_str_value(rec(p, lwm2m_path_res(30000, 0, 5)), LWM2M_TYPE_STRING, "${o}");
    assert_str_value(rec(p, lwm2m_path_rinst(30000, 0, 9, 2)), LWM2M_TYPE_STRING, "${m}");
    char *json = round_trip(cfg);
    assert_string_equal(json, "{\"template\":\"t\",\"psk\":{\"identity\":{\"hex\":\"${id}\"},"
                              "\"key\":\"00${k}\"},\"discover\":true,"
                              "\"autoIdForSecurityObject\":false,\"objects\":{"
                              "\"3442\":{\"0\":{\"1\":{\"base64\":\"${b}\"},"
                              "\"2\":{\"0\":\"${x}\",\"1\":5}}},"
                              "\"30000\":{\"0\":{\"1\":\"${i}\",\"5\":\"${o}\",\"7\":\"${l}\","
                              "\"9\":{\"2\":\"${m}\"}}}}}");
    free(json);
    /* expanded: the hex and base64 wrappers apply to the substituted text */
    const lwm2m_bs_var vars[] = {{"id", "6964"}, {"k", "ff"},  {"b", "AQ=="}, {"x", "s"},
                                 {"i", "-3"},    {"o", "raw"}, {"l", "1:2"},  {"m", "9"}};
    const char *t =
        "{\"template\":\"t\",\"psk\":{\"identity\":{\"hex\":\"${id}\"},\"key\":\"00${k}\"},"
        "\"objects\":{\"3442\":{\"0\":{\"1\":{\"base64\":\"${b}\"}}},"
        "\"30000\":{\"0\":{\"1\":\"${i}\",\"5\":\"${o}\",\"7\":\"${l}\","
        "\"9\":{\"2\":\"${m}\"}}}}}";
    lwm2m_bs_config *ex = NULL;
    char err[256] = "";
    assert_int_equal(
        lwm2m_bs_config_expand(t, strlen(t), "e", vars, 8, &vendor_defs, &ex, err, sizeof err),
        LWM2M_OK);
    assert_int_equal(ex->psk_identity_len, 2);
    assert_memory_equal(ex->psk_identity, "id", 2);
    assert_int_equal(ex->psk_key_len, 2);
    assert_memory_equal(ex->psk_key, "\x00\xff", 2);
    p = &ex->plans[0];
    assert_bytes(rec(p, lwm2m_path_res(3442, 0, 1)), "\x01", 1);
    assert_int_value(rec(p, lwm2m_path_res(30000, 0, 1)), LWM2M_TYPE_INTEGER, -3);
    assert_bytes(rec(p, lwm2m_path_res(30000, 0, 5)), "raw", 3);
    assert_int_equal(rec(p, lwm2m_path_res(30000, 0, 7))->value.v.objlnk.inst, 2);
    assert_int_value(rec(p, lwm2m_path_rinst(30000, 0, 9, 2)), LWM2M_TYPE_INTEGER, 9);
    lwm2m_bs_config_free(ex);
    lwm2m_bs_config_free(cfg);
    /* identity bytes that read "${" in a template are written in hex, never as text */
    cfg = parse_ok("{\"template\":\"t\",\"psk\":{\"identity\":{\"hex\":\"247b\"},\"key\":\"01\"}}");
    json = round_trip(cfg);
    assert_non_null(strstr(json, "\"identity\":{\"hex\":\"247b\"}"));
    free(json);
    lwm2m_bs_config_free(cfg);
}

static void test_leshan_formats_and_modes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        lwm2m_format want;
    } formats[] = {{"\"TLV\"", LWM2M_FORMAT_TLV},
                   {"\"JSON\"", LWM2M_FORMAT_LWM2M_JSON},
                   {"\"senml_json\"", LWM2M_FORMAT_SENML_JSON},
                   {"\"CBOR\"", LWM2M_FORMAT_LWM2M_CBOR},
                   {"\"LWM2M_CBOR\"", LWM2M_FORMAT_LWM2M_CBOR},
                   {"112", LWM2M_FORMAT_SENML_CBOR},
                   {"{\"code\":11542,\"name\":\"TLV\"}", LWM2M_FORMAT_TLV}};
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        char file[256];
        snprintf(file, sizeof file, "{\"e\":{\"contentFormat\":%s}}", formats[k].in);
        collected c;
        memset(&c, 0, sizeof c);
        c.stop_at = -1;
        assert_int_equal(lwm2m_bs_config_import_leshan(file, strlen(file), collect, &c, NULL, 0),
                         0);
        assert_int_equal(c.calls, 1);
        assert_int_equal(c.cfgs[0]->format, formats[k].want);
        free_collected(&c);
    }
    const char *file =
        "{\"e\":{\"security\":{\"0\":{\"securityMode\":\"RPK\"},\"1\":{\"securityMode\":\"X509\"},"
        "\"2\":{\"securityMode\":\"no_sec\"},\"3\":{\"securityMode\":\"EST\"},"
        "\"4\":{\"securityMode\":1,\"clientHoldOffTime\":30,\"sni\":\"s.example\"}},"
        "\"servers\":{\"0\":{\"shortId\":5,\"apnLink\":2,\"registrationPriority\":1,"
        "\"bootstrapOnRegistrationFailure\":\"true\",\"CommunicationRetryTimer\":60,"
        "\"muteSend\":false,\"preferredTransport\":\"U\"}}}}";
    collected c;
    memset(&c, 0, sizeof c);
    c.stop_at = -1;
    char err[256] = "";
    assert_int_equal(
        lwm2m_bs_config_import_leshan(file, strlen(file), collect, &c, err, sizeof err), 0);
    const lwm2m_bs_plan *p = &c.cfgs[0]->plans[0];
    for (uint16_t i = 0; i < 5; i++)
        assert_int_value(rec(p, lwm2m_path_res(0, i, 2)), LWM2M_TYPE_INTEGER,
                         (int64_t[]){1, 2, 3, 4, 1}[i]);
    assert_int_value(rec(p, lwm2m_path_res(0, 4, 11)), LWM2M_TYPE_INTEGER, 30);
    assert_str_value(rec(p, lwm2m_path_res(0, 4, 14)), LWM2M_TYPE_STRING, "s.example");
    const lwm2m_record *apn = rec(p, lwm2m_path_res(1, 0, 10));
    assert_int_equal(apn->value.type, LWM2M_TYPE_OBJLNK);
    assert_int_equal(apn->value.v.objlnk.obj, 11);
    assert_int_equal(apn->value.v.objlnk.inst, 2);
    assert_true(rec(p, lwm2m_path_res(1, 0, 13))->value.v.u == 1);
    assert_true(rec(p, lwm2m_path_res(1, 0, 16))->value.v.b);
    assert_true(rec(p, lwm2m_path_res(1, 0, 18))->value.v.u == 60);
    assert_false(rec(p, lwm2m_path_res(1, 0, 23))->value.v.b);
    assert_str_value(rec(p, lwm2m_path_res(1, 0, 22)), LWM2M_TYPE_STRING, "U");
    free_collected(&c);
    assert_int_equal(lwm2m_bs_config_import_leshan(NULL, 0, collect, &c, NULL, 0),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_config_import_leshan("{}", 2, NULL, &c, NULL, 0), LWM2M_ERR_INVALID);
    memset(&c, 0, sizeof c);
    assert_int_equal(lwm2m_bs_config_import_leshan("{}", 2, collect, &c, NULL, 0), 0);
    assert_int_equal(c.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full_document),
        cmocka_unit_test(test_parse_vendor_types),
        cmocka_unit_test(test_parse_numbers_from_strings),
        cmocka_unit_test(test_parse_empty_instance_and_multi),
        cmocka_unit_test(test_parse_opaque_forms),
        cmocka_unit_test(test_parse_unknown_object_typing),
        cmocka_unit_test(test_parse_flags_and_formats),
        cmocka_unit_test(test_error_bad_json),
        cmocka_unit_test(test_error_wrong_types),
        cmocka_unit_test(test_error_bad_ids),
        cmocka_unit_test(test_error_bad_delete_paths),
        cmocka_unit_test(test_error_names_and_psk),
        cmocka_unit_test(test_error_limits),
        cmocka_unit_test(test_error_capabilities),
        cmocka_unit_test(test_round_trip_full),
        cmocka_unit_test(test_round_trip_floats_and_escapes),
        cmocka_unit_test(test_template_parse),
        cmocka_unit_test(test_template_expand),
        cmocka_unit_test(test_template_expand_errors),
        cmocka_unit_test(test_endpoint_with_vars),
        cmocka_unit_test(test_pattern_match),
        cmocka_unit_test(test_validate_consistent),
        cmocka_unit_test(test_validate_seed_case),
        cmocka_unit_test(test_validate_multiple_bs_accounts),
        cmocka_unit_test(test_validate_ssid_mismatch),
        cmocka_unit_test(test_validate_caps_and_placeholder),
        cmocka_unit_test(test_leshan_import),
        cmocka_unit_test(test_leshan_errors),
        cmocka_unit_test(test_error_messages_one_line),
        cmocka_unit_test(test_caps_defaults),
        cmocka_unit_test(test_template_placeholder_forms),
        cmocka_unit_test(test_leshan_formats_and_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
