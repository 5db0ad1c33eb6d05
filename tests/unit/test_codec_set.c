/* The content formats of this build (CMake LWM2M_CODECS): lwm2m_format_available, the
 * dispatch, and everything the client announces, accepts and defaults to. Built in every
 * configuration; the expectations come from the LWM2M_CODEC_* definitions CMake gives the
 * library, not from lwm2m_format_available, with exact strings for the two configurations
 * the test suite builds (all codecs, and TLV only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/codec.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/dm_client.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"
#include "lwm2m/registration.h"

#if !defined(LWM2M_CODEC_TLV) || !defined(LWM2M_CODEC_SENML_JSON) ||                               \
    !defined(LWM2M_CODEC_SENML_CBOR) || !defined(LWM2M_CODEC_LWM2M_JSON) ||                        \
    !defined(LWM2M_CODEC_LWM2M_CBOR)
#error "built without the LWM2M_CODEC_* definitions of CMake's LWM2M_CODECS"
#endif

#define ALL_CODECS                                                                                 \
    (LWM2M_CODEC_TLV && LWM2M_CODEC_SENML_JSON && LWM2M_CODEC_SENML_CBOR &&                        \
     LWM2M_CODEC_LWM2M_JSON && LWM2M_CODEC_LWM2M_CBOR)
#define TLV_ONLY                                                                                   \
    (LWM2M_CODEC_TLV && !LWM2M_CODEC_SENML_JSON && !LWM2M_CODEC_SENML_CBOR &&                      \
     !LWM2M_CODEC_LWM2M_JSON && !LWM2M_CODEC_LWM2M_CBOR)

typedef struct optional {
    lwm2m_format format;
    bool in;
} optional;

/* The client's order of preference (registration.c, bs_client.c, dm_client.c). */
static const optional optionals[] = {
    {LWM2M_FORMAT_SENML_JSON, LWM2M_CODEC_SENML_JSON},
    {LWM2M_FORMAT_SENML_CBOR, LWM2M_CODEC_SENML_CBOR},
    {LWM2M_FORMAT_TLV, LWM2M_CODEC_TLV},
    {LWM2M_FORMAT_LWM2M_JSON, LWM2M_CODEC_LWM2M_JSON},
    {LWM2M_FORMAT_LWM2M_CBOR, LWM2M_CODEC_LWM2M_CBOR},
};
#define N_OPTIONAL (sizeof optionals / sizeof optionals[0])

static bool compiled(lwm2m_format f)
{
    for (size_t i = 0; i < N_OPTIONAL; i++)
        if (optionals[i].format == f)
            return optionals[i].in;
    return f == LWM2M_FORMAT_TEXT || f == LWM2M_FORMAT_OPAQUE;
}

/* The first compiled format of the preference order for a version, or NONE. */
static lwm2m_format preferred(const char *version)
{
    bool v10 = strcmp(version, "1.0") == 0, v12 = strcmp(version, "1.2") == 0;
    for (size_t i = 0; i < N_OPTIONAL; i++) {
        lwm2m_format f = optionals[i].format;
        bool in_version = v10 ? f == LWM2M_FORMAT_TLV || f == LWM2M_FORMAT_LWM2M_JSON
                              : f != LWM2M_FORMAT_LWM2M_CBOR || v12;
        if (in_version && optionals[i].in)
            return f;
    }
    return LWM2M_FORMAT_NONE;
}

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

/* Objects 0, 1, 3 with a DM server account (/0/1, /1/0) and the device's manufacturer. */
static lwm2m_model *make_model(void)
{
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    set(m, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coap://bs"));
    set(m, lwm2m_path_res(0, 0, 1), lwm2m_value_bool(true));
    set(m, lwm2m_path_res(0, 0, 2), lwm2m_value_int(3));
    set(m, lwm2m_path_res(0, 1, 0), lwm2m_value_str("coap://dm"));
    set(m, lwm2m_path_res(0, 1, 1), lwm2m_value_bool(false));
    set(m, lwm2m_path_res(0, 1, 10), lwm2m_value_int(101));
    set(m, lwm2m_path_res(1, 0, 0), lwm2m_value_int(101));
    set(m, lwm2m_path_res(1, 0, 1), lwm2m_value_int(300));
    set(m, lwm2m_path_res(1, 0, 7), lwm2m_value_str("U"));
    set(m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    return m;
}

static lwm2m_type string_type(void *ctx, const lwm2m_path *res)
{
    (void)ctx;
    (void)res;
    return LWM2M_TYPE_STRING;
}

static void test_available(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OPTIONAL; i++)
        assert_int_equal(lwm2m_format_available(optionals[i].format), optionals[i].in);
    assert_true(lwm2m_format_available(LWM2M_FORMAT_TEXT));
    assert_true(lwm2m_format_available(LWM2M_FORMAT_OPAQUE));
    /* Link format has its own API; 60 has no codec; NONE and unknown numbers are no format. */
    assert_false(lwm2m_format_available(LWM2M_FORMAT_LINK));
    assert_false(lwm2m_format_available(LWM2M_FORMAT_CBOR));
    assert_false(lwm2m_format_available(LWM2M_FORMAT_NONE));
    assert_false(lwm2m_format_available((lwm2m_format)1234));
    /* Names do not depend on the build. */
    assert_string_equal(lwm2m_format_name(LWM2M_FORMAT_SENML_CBOR), "senml-cbor");
}

/* Every compiled format round-trips /3/0/0 through the dispatch; every other one answers
 * LWM2M_ERR_UNSUPPORTED from both directions and leaves the output untouched. */
static void test_dispatch(void **state)
{
    (void)state;
    static const lwm2m_format all[] = {
        LWM2M_FORMAT_TEXT,       LWM2M_FORMAT_OPAQUE,     LWM2M_FORMAT_TLV,
        LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR, LWM2M_FORMAT_LWM2M_JSON,
        LWM2M_FORMAT_LWM2M_CBOR, LWM2M_FORMAT_CBOR,       LWM2M_FORMAT_LINK};
    lwm2m_path res = lwm2m_path_res(3, 0, 0), inst = lwm2m_path_inst(3, 0);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        lwm2m_format f = all[i];
        bool single = f == LWM2M_FORMAT_TEXT || f == LWM2M_FORMAT_OPAQUE;
        const lwm2m_path *base = single ? &res : &inst;
        lwm2m_record rec = {res,
                            f == LWM2M_FORMAT_OPAQUE
                                ? lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "ACME", 4)
                                : lwm2m_value_str("ACME"),
                            0};
        uint8_t mem[128];
        lwm2m_buf out = lwm2m_buf_init(mem, sizeof mem);
        lwm2m_codec_error err = {99, NULL};
        int rc = lwm2m_encode(f, base, &rec, 1, &out, &err);
        if (!compiled(f)) {
            assert_int_equal(rc, LWM2M_ERR_UNSUPPORTED);
            assert_int_equal(out.len, 0);
            assert_string_equal(err.reason, "unsupported content format");
            lwm2m_record items[2];
            lwm2m_record_list l = lwm2m_record_list_init(items, 2);
            err.reason = NULL;
            assert_int_equal(lwm2m_decode(f, base, (const uint8_t *)"x", 1, NULL, NULL, &l, &err),
                             LWM2M_ERR_UNSUPPORTED);
            assert_int_equal(l.count, 0);
            assert_string_equal(err.reason, "unsupported content format");
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(out.len > 0);
        lwm2m_record items[4];
        lwm2m_record_list l = lwm2m_record_list_init(items, 4);
        uint8_t arena_mem[64];
        lwm2m_arena arena = lwm2m_arena_init(arena_mem, sizeof arena_mem);
        /* Opaque keeps its own type; the others learn that /3/0/0 is a string. */
        lwm2m_types types = {f == LWM2M_FORMAT_OPAQUE ? NULL : string_type, NULL};
        rc = lwm2m_decode(f, base, mem, out.len, &types, &arena, &l, &err);
        if (rc != 0)
            fail_msg("format %u: decode %d (%s)", (unsigned)f, rc, err.reason ? err.reason : "");
        assert_int_equal(l.count, 1);
        assert_true(lwm2m_path_equal(&l.items[0].path, &res));
        assert_int_equal(l.items[0].value.v.bytes.len, 4);
        assert_memory_equal(l.items[0].value.v.bytes.ptr, "ACME", 4);
    }
}

/* The root link of the Register payload, up to the first object link. */
static void root_link(lwm2m_model *m, const char *version, char *out, size_t cap)
{
    lwm2m_buf b = lwm2m_buf_init(out, cap - 1);
    assert_int_equal(lwm2m_register_payload(m, version, &b), 0);
    out[b.len] = '\0';
    char *comma = strchr(out, ',');
    assert_non_null(comma);
    assert_string_equal(comma, ",</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>");
    *comma = '\0';
}

static void test_register_announces_compiled_formats(void **state)
{
    (void)state;
    lwm2m_model *m = make_model();
    char got[256], want[128];
    /* 1.1: one ct value, the preferred compiled format (none if only LwM2M CBOR, a 1.2 one). */
    root_link(m, "1.1", got, sizeof got);
    lwm2m_format p = preferred("1.1");
    if (p == LWM2M_FORMAT_NONE)
        snprintf(want, sizeof want, "</>;rt=\"oma.lwm2m\"");
    else
        snprintf(want, sizeof want, "</>;rt=\"oma.lwm2m\";ct=%u", (unsigned)p);
    assert_string_equal(got, want);
    /* 1.2: every compiled format in preference order, quoted. */
    root_link(m, "1.2", got, sizeof got);
    size_t n = (size_t)snprintf(want, sizeof want, "</>;rt=\"oma.lwm2m\";ct=\"");
    for (size_t i = 0; i < N_OPTIONAL; i++)
        if (optionals[i].in)
            n += (size_t)snprintf(want + n, sizeof want - n, "%u ", (unsigned)optionals[i].format);
    want[n - 1] = '"';
    assert_string_equal(got, want);
#if ALL_CODECS
    root_link(m, "1.1", got, sizeof got);
    assert_string_equal(got, "</>;rt=\"oma.lwm2m\";ct=110");
    root_link(m, "1.2", got, sizeof got);
    assert_string_equal(got, "</>;rt=\"oma.lwm2m\";ct=\"110 112 11542 11543 11544\"");
#elif TLV_ONLY
    root_link(m, "1.1", got, sizeof got);
    assert_string_equal(got, "</>;rt=\"oma.lwm2m\";ct=11542");
    root_link(m, "1.2", got, sizeof got);
    assert_string_equal(got, "</>;rt=\"oma.lwm2m\";ct=\"11542\"");
#endif
    /* 1.0 has no root link. */
    lwm2m_buf b = lwm2m_buf_init(got, sizeof got - 1);
    assert_int_equal(lwm2m_register_payload(m, "1.0", &b), 0);
    got[b.len] = '\0';
    assert_string_equal(got, "</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>");
    lwm2m_model_free(m);
}

static void test_bootstrap_request_pct(void **state)
{
    (void)state;
    static const lwm2m_format pcts[] = {LWM2M_FORMAT_TLV, LWM2M_FORMAT_SENML_JSON,
                                        LWM2M_FORMAT_SENML_CBOR};
    char mem[64], want[64];
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem - 1);
        int rc = lwm2m_bs_request_query("dev", "1.1", pcts[i], &b);
        if (!compiled(pcts[i])) {
            assert_int_equal(rc, LWM2M_ERR_UNSUPPORTED);
            continue;
        }
        assert_int_equal(rc, 0);
        mem[b.len] = '\0';
        snprintf(want, sizeof want, "ep=dev&pct=%u", (unsigned)pcts[i]);
        assert_string_equal(mem, want);
    }
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem - 1);
    assert_int_equal(lwm2m_bs_request_query("dev", "1.2", LWM2M_FORMAT_LWM2M_CBOR, &b),
                     LWM2M_CODEC_LWM2M_CBOR ? 0 : LWM2M_ERR_UNSUPPORTED);
    /* 1.0 sends no pct at all, whatever is compiled. */
    b = lwm2m_buf_init(mem, sizeof mem - 1);
    assert_int_equal(lwm2m_bs_request_query("dev", "1.0", LWM2M_FORMAT_SENML_JSON, &b), 0);
    mem[b.len] = '\0';
    assert_string_equal(mem, "ep=dev");
}

typedef struct exchange {
    uint8_t out[1024];
    lwm2m_response resp;
} exchange;

static unsigned bs_send(lwm2m_bs_client *c, exchange *x, unsigned method, const char *path,
                        lwm2m_format format, lwm2m_format accept, const char *payload)
{
    lwm2m_request req = {method,
                         path,
                         strlen(path),
                         NULL,
                         0,
                         format,
                         accept,
                         (const uint8_t *)payload,
                         payload ? strlen(payload) : 0};
    x->resp.payload = lwm2m_buf_init(x->out, sizeof x->out);
    lwm2m_bs_client_handle(c, &req, 0, &x->resp);
    return x->resp.code;
}

/* The response decodes, in the format it names, to /1/0 with SSID 101. */
static void assert_server_instance(const exchange *x)
{
    lwm2m_record items[16];
    lwm2m_record_list l = lwm2m_record_list_init(items, 16);
    uint8_t arena_mem[256];
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, sizeof arena_mem);
    lwm2m_path base = lwm2m_path_inst(1, 0), ssid = lwm2m_path_res(1, 0, 0);
    assert_int_equal(
        lwm2m_decode(x->resp.format, &base, x->out, x->resp.payload.len, NULL, &arena, &l, NULL),
        0);
    for (size_t i = 0; i < l.count; i++)
        if (lwm2m_path_equal(&l.items[i].path, &ssid))
            return;
    fail_msg("no /1/0/0 in the %u answer", (unsigned)x->resp.format);
}

/* Bootstrap-Read defaults to read_format, or to the preferred compiled format when the build
 * leaves read_format out; an Accept of a format not compiled in is 4.06; a Write in one 4.15. */
static void bootstrap_reads(const char *version, lwm2m_format read_format)
{
    lwm2m_model *m = make_model();
    lwm2m_bs_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.caps.max_server_accounts = 1;
    cfg.caps.security_modes = 1u << LWM2M_SECURITY_NOSEC;
    cfg.caps.schemes = LWM2M_SCHEME_COAP;
    cfg.lwm2m_version = version;
    cfg.read_format = read_format;
    lwm2m_bs_client *c = lwm2m_bs_client_new(m, &cfg);
    assert_non_null(c);
    assert_int_equal(lwm2m_bs_client_begin(c, 0), 0);
    exchange *x = calloc(1, sizeof *x);
    assert_non_null(x);

    lwm2m_format want = compiled(read_format) ? read_format : preferred(version);
    unsigned code =
        bs_send(c, x, LWM2M_METHOD_GET, "/1/0", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL);
    if (want == LWM2M_FORMAT_NONE) {
        assert_int_equal(code, LWM2M_CODE_NOT_ACCEPTABLE);
    } else {
        assert_int_equal(code, LWM2M_CODE_CONTENT);
        assert_int_equal(x->resp.format, want);
        assert_server_instance(x);
    }
    for (size_t i = 0; i < N_OPTIONAL; i++) {
        lwm2m_format f = optionals[i].format;
        code = bs_send(c, x, LWM2M_METHOD_GET, "/1/0", LWM2M_FORMAT_NONE, f, NULL);
        if (optionals[i].in) {
            assert_int_equal(code, LWM2M_CODE_CONTENT);
            assert_int_equal(x->resp.format, f);
            assert_server_instance(x);
        } else {
            assert_int_equal(code, LWM2M_CODE_NOT_ACCEPTABLE);
            assert_int_equal(x->resp.format, LWM2M_FORMAT_TEXT); /* the diagnostic */
            assert_int_equal(bs_send(c, x, LWM2M_METHOD_PUT, "/1/0", f, LWM2M_FORMAT_NONE, "x"),
                             LWM2M_CODE_UNSUPPORTED_FORMAT);
        }
    }
    free(x);
    lwm2m_bs_client_free(c);
    lwm2m_model_free(m);
}

static void test_bootstrap_read_formats(void **state)
{
    (void)state;
    bootstrap_reads("1.1", LWM2M_FORMAT_SENML_JSON);
    bootstrap_reads("1.1", LWM2M_FORMAT_TLV);
    bootstrap_reads("1.2", LWM2M_FORMAT_LWM2M_CBOR);
}

static void test_bootstrap_pack_format(void **state)
{
    (void)state;
    static const lwm2m_format packs[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR};
    lwm2m_model *m = make_model();
    lwm2m_bs_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.lwm2m_version = "1.2";
    cfg.read_format = LWM2M_FORMAT_SENML_CBOR;
    lwm2m_bs_client *c = lwm2m_bs_client_new(m, &cfg);
    assert_non_null(c);
    for (size_t i = 0; i < sizeof packs / sizeof packs[0]; i++) {
        if (compiled(packs[i]))
            continue; /* applying packs: test_bs_client */
        char diag[80] = "", want[80];
        assert_int_equal(
            lwm2m_bs_client_apply_pack(c, packs[i], (const uint8_t *)"[]", 2, 0, diag, sizeof diag),
            LWM2M_ERR_UNSUPPORTED);
        snprintf(want, sizeof want, "pack in %s, not compiled in", lwm2m_format_name(packs[i]));
        assert_string_equal(diag, want);
        assert_int_equal(lwm2m_bs_client_state(c), LWM2M_BS_IDLE);
    }
    lwm2m_bs_client_free(c);
    lwm2m_model_free(m);
}

/* A DM Read of several resources without Accept: read_format, or the preferred compiled
 * format of the version when the build leaves read_format out; Accepts as for bootstrap. */
static void dm_reads(const char *version, lwm2m_format read_format)
{
    lwm2m_model *m = make_model();
    lwm2m_dm_context ctx = {m, version, read_format};
    exchange *x = calloc(1, sizeof *x);
    assert_non_null(x);
    lwm2m_request req = {LWM2M_METHOD_GET,  "/1/0", 4, NULL, 0, LWM2M_FORMAT_NONE,
                         LWM2M_FORMAT_NONE, NULL,   0};
    lwm2m_dm_event ev;
    uint16_t ev_iid;
    x->resp.payload = lwm2m_buf_init(x->out, sizeof x->out);
    lwm2m_dm_handle(&ctx, 101, &req, &x->resp, &ev, &ev_iid);
    lwm2m_format want = compiled(read_format) ? read_format : preferred(version);
    if (want == LWM2M_FORMAT_NONE) {
        assert_int_equal(x->resp.code, LWM2M_CODE_NOT_ACCEPTABLE);
    } else {
        assert_int_equal(x->resp.code, LWM2M_CODE_CONTENT);
        assert_int_equal(x->resp.format, want);
        assert_server_instance(x);
    }
    for (size_t i = 0; i < N_OPTIONAL; i++) {
        req.accept = optionals[i].format;
        x->resp.payload = lwm2m_buf_init(x->out, sizeof x->out);
        lwm2m_dm_handle(&ctx, 101, &req, &x->resp, &ev, &ev_iid);
        assert_int_equal(x->resp.code,
                         optionals[i].in ? LWM2M_CODE_CONTENT : LWM2M_CODE_NOT_ACCEPTABLE);
    }
    free(x);
    lwm2m_model_free(m);
}

static void test_dm_read_formats(void **state)
{
    (void)state;
    dm_reads("1.1", LWM2M_FORMAT_SENML_JSON);
    dm_reads("1.0", LWM2M_FORMAT_TLV);
    dm_reads("1.0", LWM2M_FORMAT_LWM2M_JSON);
    dm_reads("1.2", LWM2M_FORMAT_LWM2M_CBOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_available),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_register_announces_compiled_formats),
        cmocka_unit_test(test_bootstrap_request_pct),
        cmocka_unit_test(test_bootstrap_read_formats),
        cmocka_unit_test(test_bootstrap_pack_format),
        cmocka_unit_test(test_dm_read_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
