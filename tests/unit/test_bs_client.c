/* The client's bootstrap transaction driven through its sans-I/O interface, as a Bootstrap
 * Server would drive it: Discover, Delete, Write (SenML JSON and TLV), Read, Finish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"

typedef struct fixture {
    lwm2m_model *live;
    lwm2m_bs_client *c;
    uint8_t out[1024];
    lwm2m_response resp;
} fixture;

static const lwm2m_capabilities multi_caps = {0, true, (1u << 0) | (1u << 3), 1u << 0 | 1u << 1};

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static fixture *make(const lwm2m_capabilities *caps)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->live = lwm2m_model_new();
    assert_non_null(f->live);
    assert_int_equal(lwm2m_model_add_object(f->live, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->live, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->live, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->live, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    /* Factory bootstrap: the Bootstrap-Server account at /0/0 and the device. */
    set(f->live, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coap://127.0.0.1:5683"));
    set(f->live, lwm2m_path_res(0, 0, 1), lwm2m_value_bool(true));
    set(f->live, lwm2m_path_res(0, 0, 2), lwm2m_value_int(3));
    set(f->live, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    lwm2m_bs_client_config cfg = {*caps, "1.1", LWM2M_FORMAT_SENML_JSON};
    f->c = lwm2m_bs_client_new(f->live, &cfg);
    assert_non_null(f->c);
    return f;
}

static int setup_multi(void **state)
{
    *state = make(&multi_caps);
    return 0;
}

static int setup_single(void **state)
{
    lwm2m_capabilities caps = multi_caps;
    caps.max_server_accounts = 1;
    caps.access_control = false;
    *state = make(&caps);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lwm2m_bs_client_free(f->c);
    lwm2m_model_free(f->live);
    free(f);
    return 0;
}

/* Sends one request; returns the response code; the payload is NUL-terminated in f->out. */
static unsigned send_req(fixture *f, unsigned method, const char *path, const char *query,
                         lwm2m_format format, lwm2m_format accept, const void *payload, size_t len,
                         int64_t now)
{
    lwm2m_request req = {method, path,   strlen(path), query, query ? strlen(query) : 0,
                         format, accept, payload,      len};
    f->resp.payload = lwm2m_buf_init(f->out, sizeof f->out - 1);
    lwm2m_bs_client_handle(f->c, &req, now, &f->resp);
    f->out[f->resp.payload.len < sizeof f->out ? f->resp.payload.len : sizeof f->out - 1] = 0;
    return f->resp.code;
}

static unsigned write_json(fixture *f, const char *path, const char *json)
{
    return send_req(f, LWM2M_METHOD_PUT, path, NULL, LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_NONE,
                    json, strlen(json), 1000);
}

static unsigned finish(fixture *f)
{
    return send_req(f, LWM2M_METHOD_POST, "/bs", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL,
                    0, 2000);
}

#define ACCOUNT_0(iid, ssid, uri)                                                                  \
    "[{\"bn\":\"/0/" #iid "/\",\"n\":\"0\",\"vs\":\"" uri "\"},{\"n\":\"1\",\"vb\":false},"        \
    "{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":" #ssid "}]"
#define SERVER_1(iid, ssid)                                                                        \
    "[{\"bn\":\"/1/" #iid "/\",\"n\":\"0\",\"v\":" #ssid "},{\"n\":\"1\",\"v\":300},"              \
    "{\"n\":\"6\",\"vb\":true},{\"n\":\"7\",\"vs\":\"U\"}]"

static void test_full_sequence(void **state)
{
    fixture *f = *state;
    assert_int_equal(lwm2m_bs_client_begin(f->c, 0), 0);
    /* Discover: the BS account is the /0 instance without ssid. */
    assert_int_equal(
        send_req(f, LWM2M_METHOD_GET, "/", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_LINK, NULL, 0, 10),
        LWM2M_CODE_CONTENT);
    assert_string_equal((char *)f->out, "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>,</1>;ver=1.1,</2>,"
                                        "</3>;ver=1.1,</3/0>");
    assert_int_equal(f->resp.format, LWM2M_FORMAT_LINK);
    assert_int_equal(send_req(f, LWM2M_METHOD_DELETE, "/", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 20),
                     LWM2M_CODE_DELETED);
    assert_int_equal(write_json(f, "/0", ACCOUNT_0(1, 101, "coap://127.0.0.1:5685")),
                     LWM2M_CODE_CHANGED);
    /* /1/0 in TLV: SSID 101, lifetime 300, notification storing true, binding "U". */
    static const uint8_t tlv[] = {0xc1, 0x00, 0x65, 0xc2, 0x01, 0x01, 0x2c,
                                  0xc1, 0x06, 0x01, 0xc1, 0x07, 'U'};
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0", NULL, LWM2M_FORMAT_TLV,
                              LWM2M_FORMAT_NONE, tlv, sizeof tlv, 30),
                     LWM2M_CODE_CHANGED);
    /* Bootstrap-Read of /1 (1.1): the server sees what it wrote. */
    assert_int_equal(send_req(f, LWM2M_METHOD_GET, "/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE,
                              NULL, 0, 40),
                     LWM2M_CODE_CONTENT);
    assert_int_equal(f->resp.format, LWM2M_FORMAT_SENML_JSON);
    assert_non_null(strstr((char *)f->out, "[{\"bn\":\"/1/\",\"n\":\"0/0\",\"v\":101}"));
    /* Nothing reached the live configuration before Finish. */
    assert_false(lwm2m_model_has_instance(f->live, 1, 0));
    assert_int_equal(finish(f), LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_FINISHED);
    assert_int_equal(lwm2m_bs_client_commit(f->c, 1700000000), 0);
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_IDLE);
    assert_true(lwm2m_model_has_instance(f->live, 1, 0));
    assert_true(lwm2m_model_is_bootstrap_account(f->live, 0));
    int64_t t = 0;
    lwm2m_path lb = lwm2m_path_res(1, 0, 12);
    assert_int_equal(lwm2m_model_get_int(f->live, &lb, &t), 0);
    assert_int_equal(t, 1700000000);
}

/* The seed's example end to end on the client: 4.06, corrective delete and rewrite, 2.04. */
static void test_seed_406_then_recovery(void **state)
{
    fixture *f = *state;
    assert_int_equal(lwm2m_bs_client_begin(f->c, 0), 0);
    assert_int_equal(write_json(f, "/0/1", ACCOUNT_0(1, 101, "coap://a")), LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/0/2", ACCOUNT_0(2, 102, "coap://b")), LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/1/1", SERVER_1(1, 101)), LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/1/2", SERVER_1(2, 102)), LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/2/0",
                                "[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0},"
                                "{\"n\":\"2/101\",\"v\":1},{\"n\":\"3\",\"v\":101}]"),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(finish(f), LWM2M_CODE_NOT_ACCEPTABLE);
    assert_int_equal(f->resp.format, LWM2M_FORMAT_TEXT);
    assert_memory_equal(f->out, "too-many-servers", 16);
    assert_string_equal(lwm2m_bs_client_last_diagnostic(f->c), (char *)f->out);
    /* Still in bootstrap, live untouched. */
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_IN_PROGRESS);
    assert_int_equal(lwm2m_model_instance_count(f->live, 1), 0);
    /* The Bootstrap Server deletes what it wrote and writes a single-server configuration. */
    assert_int_equal(send_req(f, LWM2M_METHOD_DELETE, "/", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 3000),
                     LWM2M_CODE_DELETED);
    assert_int_equal(write_json(f, "/0/1", ACCOUNT_0(1, 101, "coap://a")), LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/1/1", SERVER_1(1, 101)), LWM2M_CODE_CHANGED);
    assert_int_equal(finish(f), LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_bs_client_commit(f->c, 1), 0);
    assert_int_equal(lwm2m_model_instance_count(f->live, 0), 2); /* BS account + one server */
    assert_int_equal(lwm2m_model_instance_count(f->live, 1), 1);
    assert_int_equal(lwm2m_model_instance_count(f->live, 2), 0);
}

static void test_timeout_rolls_back(void **state)
{
    fixture *f = *state;
    assert_int_equal(lwm2m_bs_client_begin(f->c, 0), 0);
    assert_int_equal(send_req(f, LWM2M_METHOD_DELETE, "/0", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 500),
                     LWM2M_CODE_DELETED);
    assert_int_equal(write_json(f, "/0/0", ACCOUNT_0(0, 7, "coap://evil")), LWM2M_CODE_CHANGED);
    /* The deadline is EXCHANGE_LIFETIME after the last command (the write, at t = 1 s). */
    int64_t deadline = lwm2m_bs_client_deadline(f->c);
    assert_int_equal(deadline, 1000 + LWM2M_EXCHANGE_LIFETIME_MS);
    assert_int_equal(lwm2m_bs_client_tick(f->c, deadline - 1), LWM2M_BS_IN_PROGRESS);
    assert_int_equal(lwm2m_bs_client_tick(f->c, deadline), LWM2M_BS_FAILED);
    assert_null(lwm2m_bs_client_working(f->c));
    /* The bootstrap account keeps the values it had before the sequence. */
    assert_true(lwm2m_model_is_bootstrap_account(f->live, 0));
    lwm2m_bytes uri;
    lwm2m_path up = lwm2m_path_res(0, 0, 0);
    assert_int_equal(lwm2m_model_get_bytes(f->live, &up, &uri), 0);
    assert_memory_equal(uri.ptr, "coap://127.0.0.1:5683", uri.len);
    assert_int_equal(lwm2m_bs_client_commit(f->c, 1), LWM2M_ERR_NOT_ALLOWED);
    assert_int_equal(send_req(f, LWM2M_METHOD_POST, "/bs", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 0),
                     LWM2M_CODE_SERVICE_UNAVAILABLE);
}

static void test_bad_requests(void **state)
{
    fixture *f = *state;
    assert_int_equal(lwm2m_bs_client_begin(f->c, 0), 0);
    static const uint8_t trunc[] = {0xc8, 0x00, 0x14, 'O'};
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0", NULL, LWM2M_FORMAT_TLV,
                              LWM2M_FORMAT_NONE, trunc, sizeof trunc, 0),
                     LWM2M_CODE_BAD_REQUEST);
    assert_non_null(strstr((char *)f->out, "byte"));
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0", NULL, LWM2M_FORMAT_LINK,
                              LWM2M_FORMAT_NONE, "</1>", 4, 0),
                     LWM2M_CODE_UNSUPPORTED_FORMAT);
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0", "ver=1.0", LWM2M_FORMAT_SENML_JSON,
                              LWM2M_FORMAT_NONE, SERVER_1(0, 5), strlen(SERVER_1(0, 5)), 0),
                     LWM2M_CODE_BAD_REQUEST);
    assert_non_null(strstr((char *)f->out, "version 1.0 requested, 1.1 implemented"));
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0", "ver=1.1", LWM2M_FORMAT_SENML_JSON,
                              LWM2M_FORMAT_NONE, SERVER_1(0, 5), strlen(SERVER_1(0, 5)), 0),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(write_json(f, "/99/0", "[{\"bn\":\"/99/0/\",\"n\":\"0\",\"v\":1}]"),
                     LWM2M_CODE_NOT_FOUND);
    assert_int_equal(write_json(f, "/1/0", "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"vs\":\"x\"}]"),
                     LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(
        send_req(f, LWM2M_METHOD_GET, "/3", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL, 0, 0),
        LWM2M_CODE_METHOD_NOT_ALLOWED);
    assert_int_equal(
        send_req(f, LWM2M_METHOD_GET, "/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_TEXT, NULL, 0, 0),
        LWM2M_CODE_NOT_ACCEPTABLE);
    assert_int_equal(send_req(f, LWM2M_METHOD_POST, "/1/0/8", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 0),
                     LWM2M_CODE_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(f, LWM2M_METHOD_DELETE, "/0/0/1", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 0),
                     LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(send_req(f, LWM2M_METHOD_GET, "/bs", NULL, LWM2M_FORMAT_NONE,
                              LWM2M_FORMAT_NONE, NULL, 0, 0),
                     LWM2M_CODE_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/x", NULL, LWM2M_FORMAT_TLV,
                              LWM2M_FORMAT_NONE, NULL, 0, 0),
                     LWM2M_CODE_BAD_REQUEST);
    /* ETS 1.1-int-9: only /1/x/5 written, then Finish: 4.06. */
    lwm2m_bs_client_abort(f->c);
    assert_int_equal(lwm2m_bs_client_begin(f->c, 0), 0);
    static const uint8_t disable_timeout[] = {0xc2, 0x05, 0x0e, 0x10};
    assert_int_equal(send_req(f, LWM2M_METHOD_PUT, "/1/0/5", NULL, LWM2M_FORMAT_TLV,
                              LWM2M_FORMAT_NONE, disable_timeout, sizeof disable_timeout, 0),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(finish(f), LWM2M_CODE_NOT_ACCEPTABLE);
}

static void test_bootstrap_request_scheduling(void **state)
{
    fixture *f = *state;
    char mem[64];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_bs_request_query("urn:imei:1234", "1.1", LWM2M_FORMAT_SENML_JSON, &b),
                     0);
    assert_int_equal(b.len, strlen("ep=urn:imei:1234&pct=110"));
    assert_memory_equal(mem, "ep=urn:imei:1234&pct=110", b.len);
    b = lwm2m_buf_init(mem, sizeof mem);
    /* 1.0 has no pct. */
    assert_int_equal(lwm2m_bs_request_query("dev", "1.0", LWM2M_FORMAT_TLV, &b), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(mem, "ep=dev", 6);
    b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_bs_request_query("dev", "1.1", LWM2M_FORMAT_LWM2M_CBOR, &b),
                     LWM2M_ERR_UNSUPPORTED);
    assert_int_equal(lwm2m_bs_request_query("dev", "1.2", LWM2M_FORMAT_LWM2M_CBOR, &b), 0);
    assert_int_equal(lwm2m_bs_request_query("dev", "1.1", LWM2M_FORMAT_TEXT, &b),
                     LWM2M_ERR_UNSUPPORTED);
    static const char *const bad[] = {"", "a&b", "a=b", "a b", "a\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lwm2m_bs_request_query(bad[i], "1.1", LWM2M_FORMAT_NONE, &b),
                         LWM2M_ERR_INVALID);
    char tiny[4];
    b = lwm2m_buf_init(tiny, sizeof tiny);
    assert_int_equal(lwm2m_bs_request_query("device", "1.1", LWM2M_FORMAT_NONE, &b),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(b.len, 9);

    /* Hold-off from the bootstrap account's /0/x/11. */
    assert_int_equal(lwm2m_bs_request_not_before(f->live, 5000), 5000);
    set(f->live, lwm2m_path_res(0, 0, 11), lwm2m_value_int(30));
    assert_int_equal(lwm2m_bs_request_not_before(f->live, 5000), 35000);

    /* Exponential back-off, capped, with at most +50 % jitter. */
    assert_int_equal(lwm2m_bs_retry_delay_ms(0, 2, 60, 0), 2000);
    assert_int_equal(lwm2m_bs_retry_delay_ms(3, 2, 60, 0), 16000);
    assert_int_equal(lwm2m_bs_retry_delay_ms(10, 2, 60, 0), 60000);
    assert_int_equal(lwm2m_bs_retry_delay_ms(4000000000u, 2, 60, 0), 60000);
    for (uint32_t r = 0; r < 100000; r += 997) {
        int64_t d = lwm2m_bs_retry_delay_ms(1, 2, 60, r * 2654435761u);
        assert_true(d >= 4000 && d <= 6000);
    }
}

static void test_bootstrap_account_timeout(void **state)
{
    fixture *f = *state;
    assert_true(lwm2m_bs_account_purge_at(f->live, 1000) == INT64_MAX);
    set(f->live, lwm2m_path_res(0, 0, 12), lwm2m_value_int(0));
    assert_true(lwm2m_bs_account_purge_at(f->live, 1000) == INT64_MAX); /* 0: keep forever */
    set(f->live, lwm2m_path_res(0, 0, 12), lwm2m_value_int(60));
    assert_int_equal(lwm2m_bs_account_purge_at(f->live, 1000), 61000);
    assert_int_equal(lwm2m_bs_account_purge(f->live), 1);
    assert_false(lwm2m_model_has_instance(f->live, 0, 0));
    assert_true(lwm2m_model_has_instance(f->live, 3, 0));
    assert_int_equal(lwm2m_bs_account_purge(f->live), 0);
    assert_true(lwm2m_bs_account_purge_at(f->live, 1000) == INT64_MAX);
}

#define PACK_ONE_SERVER                                                                            \
    "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coap://127.0.0.1:5685\"},{\"n\":\"1\",\"vb\":false}," \
    "{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":101},"                                              \
    "{\"bn\":\"/1/1/\",\"n\":\"0\",\"v\":101},{\"n\":\"1\",\"v\":300},{\"n\":\"7\",\"vs\":\"U\"}," \
    "{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Evil Corp\"}]"

static void test_bootstrap_pack_applied(void **state)
{
    fixture *f = *state;
    /* A server account that the pack's /0 and /1 must replace. */
    set(f->live, lwm2m_path_res(1, 7, 0), lwm2m_value_int(7));
    char diag[160] = "";
    const char *pack = PACK_ONE_SERVER;
    assert_int_equal(lwm2m_bs_client_apply_pack(f->c, LWM2M_FORMAT_SENML_JSON,
                                                (const uint8_t *)pack, strlen(pack), 0, diag,
                                                sizeof diag),
                     0);
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_FINISHED);
    assert_int_equal(lwm2m_bs_client_commit(f->c, 1700000000), 0);
    assert_true(lwm2m_model_is_bootstrap_account(f->live, 0)); /* kept */
    assert_true(lwm2m_model_has_instance(f->live, 0, 1));
    assert_true(lwm2m_model_has_instance(f->live, 1, 1));
    assert_false(lwm2m_model_has_instance(f->live, 1, 7)); /* object /1 replaced */
    lwm2m_bytes manufacturer;
    lwm2m_path p = lwm2m_path_res(3, 0, 0);
    assert_int_equal(lwm2m_model_get_bytes(f->live, &p, &manufacturer), 0);
    assert_memory_equal(manufacturer.ptr, "ACME", 4); /* /3/0 protected */
    int64_t last = 0;
    p = lwm2m_path_res(1, 1, 12);
    assert_int_equal(lwm2m_model_get_int(f->live, &p, &last), 0);
    assert_int_equal(last, 1700000000);
}

static void test_bootstrap_pack_refused(void **state)
{
    fixture *f = *state; /* single server, no Access Control */
    char diag[160] = "";
    const char *two =
        "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coap://a\"},{\"n\":\"1\",\"vb\":false},"
        "{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":1},"
        "{\"bn\":\"/0/2/\",\"n\":\"0\",\"vs\":\"coap://b\"},{\"n\":\"1\",\"vb\":false},"
        "{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":2},"
        "{\"bn\":\"/1/1/\",\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":300},{\"n\":\"7\",\"vs\":\"U\"},"
        "{\"bn\":\"/1/2/"
        "\",\"n\":\"0\",\"v\":2},{\"n\":\"1\",\"v\":300},{\"n\":\"7\",\"vs\":\"U\"}]";
    assert_int_equal(lwm2m_bs_client_apply_pack(f->c, LWM2M_FORMAT_SENML_JSON, (const uint8_t *)two,
                                                strlen(two), 0, diag, sizeof diag),
                     LWM2M_ERR_INVALID);
    assert_non_null(strstr(diag, "too-many-servers"));
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_IDLE);
    assert_false(lwm2m_model_has_instance(f->live, 0, 1)); /* live untouched */
    /* Undecodable, unsupported format: refused with a diagnostic, nothing applied. */
    assert_int_equal(lwm2m_bs_client_apply_pack(f->c, LWM2M_FORMAT_SENML_JSON,
                                                (const uint8_t *)"[{", 2, 0, diag, sizeof diag),
                     LWM2M_ERR_INVALID);
    assert_non_null(strstr(diag, "pack byte"));
    assert_int_equal(lwm2m_bs_client_apply_pack(f->c, LWM2M_FORMAT_TLV, (const uint8_t *)"", 0, 0,
                                                diag, sizeof diag),
                     LWM2M_ERR_UNSUPPORTED);
    assert_int_equal(lwm2m_bs_client_state(f->c), LWM2M_BS_IDLE);
    /* The single-server pack is accepted by the same client. */
    const char *one = PACK_ONE_SERVER;
    assert_int_equal(lwm2m_bs_client_apply_pack(f->c, LWM2M_FORMAT_SENML_JSON, (const uint8_t *)one,
                                                strlen(one), 0, diag, sizeof diag),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_sequence, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_seed_406_then_recovery, setup_single, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_rolls_back, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_request_scheduling, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_account_timeout, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_pack_applied, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_pack_refused, setup_single, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
