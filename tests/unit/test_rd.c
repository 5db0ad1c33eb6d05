/* The LwM2M Server's registration directory (src/dm_server/rd.c, rd_parse.c): Register,
 * Update, De-register, their refusals, expiry order, lookups under churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/rd.h"

#define FORBIDDEN  LWM2M_COAP_CODE(4, 3)
#define MAX_EVENTS 64

/* What the hooks saw. */
typedef struct ev_log {
    size_t n;
    size_t total; /* events, including those past MAX_EVENTS */
    size_t expired;
    lwm2m_rd_event ev[MAX_EVENTS];
    char ep[MAX_EVENTS][LWM2M_RD_ENDPOINT_MAX + 1];
    char id[MAX_EVENTS][LWM2M_RD_ID_MAX];
    bool findable[MAX_EVENTS]; /* lwm2m_rd_find(ep) during the call gave this registration */
    size_t count_during[MAX_EVENTS];
    lwm2m_rd *rd;
    /* authorize */
    const char *refuse_ep; /* refuse this endpoint (NULL: nobody) */
    size_t auth_calls;
    char auth_ep[32];
    bool auth_secure;
} ev_log;

static void on_event(void *ctx, lwm2m_rd_event event, const lwm2m_registration *reg)
{
    ev_log *log = ctx;
    log->total++;
    if (event == LWM2M_RD_EXPIRED)
        log->expired++;
    if (log->n == MAX_EVENTS)
        return;
    size_t i = log->n++;
    log->ev[i] = event;
    snprintf(log->ep[i], sizeof log->ep[i], "%s", reg->endpoint);
    snprintf(log->id[i], sizeof log->id[i], "%s", reg->id);
    log->findable[i] = log->rd && lwm2m_rd_find(log->rd, reg->endpoint) == reg;
    log->count_during[i] = lwm2m_rd_count(log->rd);
}

static int authorize(void *ctx, const char *endpoint, const lwm2m_rd_peer *peer, char *why,
                     size_t whylen)
{
    ev_log *log = ctx;
    log->auth_calls++;
    snprintf(log->auth_ep, sizeof log->auth_ep, "%s", endpoint);
    log->auth_secure = peer->secure;
    if (log->refuse_ep && strcmp(endpoint, log->refuse_ep) == 0) {
        snprintf(why, whylen, "test refuses %s", endpoint);
        return LWM2M_ERR_NOT_ALLOWED;
    }
    return 0;
}

typedef struct result {
    int rc;
    lwm2m_response resp;
    char payload[256];
    char location[32];
} result;

static const lwm2m_rd_peer plain = {"127.0.0.1:5000", false, NULL, 0};

static void call(lwm2m_rd *rd, unsigned method, const char *path, const char *query,
                 const char *payload, lwm2m_format fmt, const lwm2m_rd_peer *peer, int64_t now,
                 result *out)
{
    lwm2m_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.uri_path = path;
    req.uri_path_len = strlen(path);
    req.query = query;
    req.query_len = query ? strlen(query) : 0;
    req.format = fmt;
    req.accept = LWM2M_FORMAT_NONE;
    req.payload = (const uint8_t *)payload;
    req.payload_len = payload ? strlen(payload) : 0;
    memset(out, 0, sizeof *out);
    memset(out->payload, 'x', sizeof out->payload);
    out->resp.payload = lwm2m_buf_init(out->payload, sizeof out->payload - 1);
    out->rc = lwm2m_rd_handle(rd, &req, peer ? peer : &plain, now, &out->resp, out->location,
                              sizeof out->location);
    if (out->resp.payload.len < sizeof out->payload)
        out->payload[out->resp.payload.len] = '\0';
}

static void reg_call(lwm2m_rd *rd, const char *query, const char *payload, int64_t now, result *out)
{
    call(rd, LWM2M_METHOD_POST, "/rd", query, payload, LWM2M_FORMAT_LINK, NULL, now, out);
}

/* Registers and checks 2.01; returns the registration. */
static const lwm2m_registration *reg_ok(lwm2m_rd *rd, const char *query, const char *payload,
                                        int64_t now)
{
    result r;
    reg_call(rd, query, payload, now, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(r.rc, LWM2M_RD_REGISTERED);
    const lwm2m_registration *reg = lwm2m_rd_find_id(rd, r.location + 3);
    assert_non_null(reg);
    return reg;
}

static void expect_error(const result *r, unsigned code, const char *diag)
{
    assert_int_equal(r->rc, -1);
    assert_int_equal(r->resp.code, code);
    assert_int_equal(r->resp.format, LWM2M_FORMAT_TEXT);
    assert_string_equal(r->payload, diag);
}

/* 4.00 with a diagnostic that starts with `prefix`. */
static void expect_bad(lwm2m_rd *rd, const char *query, const char *payload, const char *prefix)
{
    result r;
    size_t before = lwm2m_rd_count(rd);
    reg_call(rd, query, payload, 1000, &r);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.resp.code, LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(r.resp.format, LWM2M_FORMAT_TEXT);
    if (strncmp(r.payload, prefix, strlen(prefix)) != 0)
        fail_msg("query '%s': diagnostic '%s' does not start with '%s'", query, r.payload, prefix);
    assert_int_equal(lwm2m_rd_count(rd), before);
}

static lwm2m_rd *new_rd(ev_log *log, const lwm2m_rd_options *opts)
{
    memset(log, 0, sizeof *log);
    lwm2m_rd_hooks hooks = {log, on_event, authorize};
    lwm2m_rd_options def = {0, 0, 0, 42};
    lwm2m_rd *rd = lwm2m_rd_new(opts ? opts : &def, &hooks);
    assert_non_null(rd);
    log->rd = rd;
    return rd;
}

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#define MIN_PAYLOAD "</1/0>,</3/0>"

/* ---- Register ------------------------------------------------------------------------ */

static void test_register_minimal_defaults(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    result r;
    reg_call(rd, "ep=dev1", MIN_PAYLOAD, 5000, &r);
    assert_int_equal(r.rc, LWM2M_RD_REGISTERED);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(r.resp.format, LWM2M_FORMAT_NONE);
    assert_int_equal(r.resp.payload.len, 0);
    const lwm2m_registration *reg = lwm2m_rd_find(rd, "dev1");
    assert_non_null(reg);
    assert_string_equal(reg->endpoint, "dev1");
    assert_string_equal(reg->version, "1.0");
    assert_int_equal(reg->lifetime_s, LWM2M_RD_DEFAULT_LIFETIME_S);
    assert_string_equal(reg->binding, "U");
    assert_false(reg->queue_mode);
    assert_string_equal(reg->sms, "");
    assert_string_equal(reg->extra, "");
    assert_string_equal(reg->address, "127.0.0.1:5000");
    assert_false(reg->secure);
    assert_int_equal(reg->identity_len, 0);
    assert_string_equal(reg->root, "/");
    assert_string_equal(reg->links, MIN_PAYLOAD);
    assert_int_equal(reg->links_len, strlen(MIN_PAYLOAD));
    assert_int_equal(reg->object_count, 2);
    lwm2m_path p10 = lwm2m_path_inst(1, 0), p30 = lwm2m_path_inst(3, 0);
    assert_true(lwm2m_path_equal(&reg->objects[0], &p10));
    assert_true(lwm2m_path_equal(&reg->objects[1], &p30));
    assert_int_equal(reg->format_count, 0);
    assert_int_equal(reg->registered_ms, 5000);
    assert_int_equal(reg->updated_ms, 5000);
    assert_int_equal(reg->expires_ms, 5000 + 86400 * 1000LL);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 5000 + 86400 * 1000LL);
    assert_int_equal(lwm2m_rd_count(rd), 1);
    assert_ptr_equal(lwm2m_rd_at(rd, 0), reg);
    assert_null(lwm2m_rd_at(rd, 1));
    assert_int_equal(log.n, 1);
    assert_int_equal(log.ev[0], LWM2M_RD_REGISTERED);
    assert_string_equal(log.ep[0], "dev1");
    assert_true(log.findable[0]);
    assert_int_equal(log.auth_calls, 1);
    assert_string_equal(log.auth_ep, "dev1");
    lwm2m_rd_free(rd);
}

static void test_register_full(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const char *payload = "</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.1,</1/0>,</3/0>,</5>";
    const lwm2m_registration *reg =
        reg_ok(rd, "ep=urn:imei:1234&lt=300&lwm2m=1.1&b=UT&Q&sms=+3312&apn=x&foo", payload, 7);
    assert_string_equal(reg->endpoint, "urn:imei:1234");
    assert_string_equal(reg->version, "1.1");
    assert_int_equal(reg->lifetime_s, 300);
    assert_string_equal(reg->binding, "UT");
    assert_true(reg->queue_mode);
    assert_string_equal(reg->sms, "+3312");
    assert_string_equal(reg->extra, "apn=x&foo");
    assert_string_equal(reg->root, "/");
    assert_string_equal(reg->links, payload);
    assert_int_equal(reg->format_count, 1);
    assert_int_equal(reg->formats[0], LWM2M_FORMAT_SENML_JSON);
    assert_int_equal(reg->object_count, 4);
    lwm2m_path want[4] = {lwm2m_path_obj(1), lwm2m_path_inst(1, 0), lwm2m_path_inst(3, 0),
                          lwm2m_path_obj(5)};
    for (size_t i = 0; i < 4; i++)
        assert_true(lwm2m_path_equal(&reg->objects[i], &want[i]));
    assert_int_equal(reg->expires_ms, 7 + 300000);
    /* 1.2 and an all-letters binding */
    reg = reg_ok(rd, "ep=d12&lwm2m=1.2&b=UNST", MIN_PAYLOAD, 0);
    assert_string_equal(reg->version, "1.2");
    assert_string_equal(reg->binding, "UNST");
    assert_false(reg->queue_mode);
    lwm2m_rd_free(rd);
}

static void test_location(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    result r;
    reg_call(rd, "ep=a", MIN_PAYLOAD, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(strlen(r.location), 13);
    assert_memory_equal(r.location, "rd/", 3);
    for (size_t i = 3; i < 13; i++)
        assert_non_null(strchr("0123456789abcdef", r.location[i]));
    const lwm2m_registration *reg = lwm2m_rd_find(rd, "a");
    assert_string_equal(reg->id, r.location + 3);
    assert_ptr_equal(lwm2m_rd_find_id(rd, reg->id), reg);
    assert_string_equal(log.id[0], reg->id);

    /* Same seed, same ids; another seed, other ids; seed 0 works. */
    ev_log log2;
    lwm2m_rd *same = new_rd(&log2, NULL);
    reg_ok(same, "ep=a", MIN_PAYLOAD, 0);
    assert_string_equal(lwm2m_rd_find(same, "a")->id, reg->id);
    lwm2m_rd_free(same);
    lwm2m_rd_options o = {0, 0, 0, 43};
    lwm2m_rd *other = new_rd(&log2, &o);
    assert_string_not_equal(reg_ok(other, "ep=a", MIN_PAYLOAD, 0)->id, reg->id);
    lwm2m_rd_free(other);
    o.seed = 0;
    lwm2m_rd *zero = new_rd(&log2, &o);
    const lwm2m_registration *z1 = reg_ok(zero, "ep=a", MIN_PAYLOAD, 0);
    const lwm2m_registration *z2 = reg_ok(zero, "ep=b", MIN_PAYLOAD, 0);
    assert_int_equal(strlen(z1->id), 10);
    assert_string_not_equal(z1->id, z2->id);
    lwm2m_rd_free(zero);

    /* A location buffer too small: 5.00 and nothing registered. */
    lwm2m_request req;
    memset(&req, 0, sizeof req);
    req.method = LWM2M_METHOD_POST;
    req.uri_path = "/rd";
    req.uri_path_len = 3;
    req.query = "ep=b";
    req.query_len = 4;
    req.format = LWM2M_FORMAT_LINK;
    req.payload = (const uint8_t *)MIN_PAYLOAD;
    req.payload_len = strlen(MIN_PAYLOAD);
    char buf[64], loc[13];
    r.resp.payload = lwm2m_buf_init(buf, sizeof buf);
    assert_int_equal(lwm2m_rd_handle(rd, &req, &plain, 0, &r.resp, loc, sizeof loc), -1);
    assert_int_equal(r.resp.code, LWM2M_CODE_INTERNAL_ERROR);
    assert_null(lwm2m_rd_find(rd, "b"));
    assert_int_equal(lwm2m_rd_count(rd), 1);
    lwm2m_rd_free(rd);
}

static void test_bad_endpoint(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    expect_bad(rd, "lt=60", MIN_PAYLOAD, "missing endpoint name (ep)");
    expect_bad(rd, NULL, MIN_PAYLOAD, "missing endpoint name (ep)");
    expect_bad(rd, "ep=", MIN_PAYLOAD, "empty endpoint name (ep)");
    expect_bad(rd, "ep", MIN_PAYLOAD, "empty endpoint name (ep)");
    expect_bad(rd, "ep=a=b", MIN_PAYLOAD, "bad character in endpoint name 'a=b'");
    expect_bad(rd, "ep=a?b", MIN_PAYLOAD, "bad character in endpoint name 'a?b'");
    expect_bad(rd, "ep=\xc3\xa9", MIN_PAYLOAD, "bad character in endpoint name '?\?'");
    expect_bad(rd, "ep=a\tb", MIN_PAYLOAD, "control character in the query");
    char q[300] = "ep=";
    memset(q + 3, 'e', 256);
    q[259] = '\0';
    expect_bad(rd, q, MIN_PAYLOAD, "endpoint name (ep) longer than 255 bytes");
    q[258] = '\0'; /* 255 bytes: fine */
    const lwm2m_registration *reg = reg_ok(rd, q, MIN_PAYLOAD, 0);
    assert_int_equal(strlen(reg->endpoint), 255);
    assert_int_equal(log.n, 1);
    lwm2m_rd_free(rd);
}

static void test_bad_lifetime(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    expect_bad(rd, "ep=a&lt=abc", MIN_PAYLOAD, "bad lifetime 'abc'");
    expect_bad(rd, "ep=a&lt=", MIN_PAYLOAD, "bad lifetime ''");
    expect_bad(rd, "ep=a&lt", MIN_PAYLOAD, "bad lifetime ''");
    expect_bad(rd, "ep=a&lt=-5", MIN_PAYLOAD, "bad lifetime '-5'");
    expect_bad(rd, "ep=a&lt=1.5", MIN_PAYLOAD, "bad lifetime '1.5'");
    expect_bad(rd, "ep=a&lt=0", MIN_PAYLOAD, "bad lifetime '0': below the minimum of 1 s");
    expect_bad(rd, "ep=a&lt=2147483648", MIN_PAYLOAD,
               "bad lifetime '2147483648': above 2147483647 s");
    expect_bad(rd, "ep=a&lt=99999999999999999999999", MIN_PAYLOAD, "bad lifetime '9999");
    assert_int_equal(reg_ok(rd, "ep=a&lt=2147483647", MIN_PAYLOAD, 0)->lifetime_s, 2147483647);
    assert_int_equal(reg_ok(rd, "ep=b&lt=1", MIN_PAYLOAD, 0)->lifetime_s, 1);
    lwm2m_rd_free(rd);

    lwm2m_rd_options o = {0, 60, 0, 1};
    rd = new_rd(&log, &o);
    expect_bad(rd, "ep=a&lt=59", MIN_PAYLOAD, "bad lifetime '59': below the minimum of 60 s");
    assert_int_equal(reg_ok(rd, "ep=a&lt=60", MIN_PAYLOAD, 0)->lifetime_s, 60);
    lwm2m_rd_free(rd);
}

static void test_bad_version_and_binding(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    expect_bad(rd, "ep=a&lwm2m=2.0", MIN_PAYLOAD, "unsupported LwM2M version '2.0'");
    expect_bad(rd, "ep=a&lwm2m=1.1.1", MIN_PAYLOAD, "unsupported LwM2M version '1.1.1'");
    expect_bad(rd, "ep=a&lwm2m", MIN_PAYLOAD, "unsupported LwM2M version ''");
    /* 1.0 (explicit or by default) has U, S and Q; later versions U, N, S, T and no Q. */
    expect_bad(rd, "ep=a&b=N", MIN_PAYLOAD, "bad binding 'N' for LwM2M 1.0");
    expect_bad(rd, "ep=a&lwm2m=1.0&b=QU", MIN_PAYLOAD, "bad binding 'QU' for LwM2M 1.0");
    expect_bad(rd, "ep=a&lwm2m=1.1&b=UQ", MIN_PAYLOAD, "bad binding 'UQ' for LwM2M 1.1");
    expect_bad(rd, "ep=a&lwm2m=1.1&b=UU", MIN_PAYLOAD, "bad binding 'UU' for LwM2M 1.1");
    expect_bad(rd, "ep=a&lwm2m=1.1&b=X", MIN_PAYLOAD, "bad binding 'X' for LwM2M 1.1");
    expect_bad(rd, "ep=a&lwm2m=1.2&b=", MIN_PAYLOAD, "bad binding '' for LwM2M 1.2");
    expect_bad(rd, "ep=a&lwm2m=1.2&b=UNSTU", MIN_PAYLOAD, "bad binding 'UNSTU' for LwM2M 1.2");
    expect_bad(rd, "ep=a&lwm2m=1.1&Q=1", MIN_PAYLOAD, "queue mode flag (Q) takes no value");
    /* The order of lwm2m and b in the query does not matter. */
    const lwm2m_registration *reg = reg_ok(rd, "ep=a&b=UQS&lwm2m=1.0", MIN_PAYLOAD, 0);
    assert_string_equal(reg->binding, "UQS");
    assert_true(reg->queue_mode);
    reg = reg_ok(rd, "ep=b&b=SQ", MIN_PAYLOAD, 0);
    assert_true(reg->queue_mode);
    reg = reg_ok(rd, "ep=c&b=N&lwm2m=1.1", MIN_PAYLOAD, 0);
    assert_false(reg->queue_mode);
    lwm2m_rd_free(rd);
}

static void test_bad_query_shape(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    expect_bad(rd, "ep=a&ep=b", MIN_PAYLOAD, "duplicate query parameter 'ep'");
    expect_bad(rd, "ep=a&lt=1&lt=2", MIN_PAYLOAD, "duplicate query parameter 'lt'");
    expect_bad(rd, "ep=a&Q&Q", MIN_PAYLOAD, "duplicate query parameter 'Q'");
    expect_bad(rd, "ep=a&b=U&lwm2m=1.1&b=T", MIN_PAYLOAD, "duplicate query parameter 'b'");
    expect_bad(rd, "ep=a&&lt=5", MIN_PAYLOAD, "empty query parameter");
    expect_bad(rd, "&ep=a", MIN_PAYLOAD, "empty query parameter");
    expect_bad(rd, "ep=a&", MIN_PAYLOAD, "empty query parameter");
    expect_bad(rd, "ep=a&=5", MIN_PAYLOAD, "query parameter without a name");
    expect_bad(rd, "ep=a&sms=0123456789012345678901234567890123", MIN_PAYLOAD, "bad sms number");
    char q[400];
    snprintf(q, sizeof q, "ep=a&x=%0250d&y=1", 0);
    expect_bad(rd, q, MIN_PAYLOAD, "other query parameters longer than 255 bytes");
    /* Unknown parameters may repeat: they are kept as sent. Names are case-sensitive. */
    const lwm2m_registration *reg = reg_ok(rd, "foo&EP=z&ep=a&foo=1&q", MIN_PAYLOAD, 0);
    assert_string_equal(reg->extra, "foo&EP=z&foo=1&q");
    assert_false(reg->queue_mode);
    assert_int_equal(log.n, 1);
    lwm2m_rd_free(rd);
}

static void test_bad_payload(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    expect_bad(rd, "ep=a", NULL, "missing object links (no payload)");
    expect_bad(rd, "ep=a", "", "missing object links (no payload)");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\"", "no object links in the payload");
    expect_bad(rd, "ep=a", "</1/0", "malformed links at byte 0: unterminated link target");
    expect_bad(rd, "ep=a", "</1/0>,,</3/0>", "malformed links at byte 7: empty link");
    expect_bad(rd, "ep=a", "</1/0> ,</3/0>", "malformed links at byte 6:");
    expect_bad(rd, "ep=a", "</1/0>;rt=\"x", "malformed links at byte 10:");
    expect_bad(rd, "ep=a", "</3/0/1>", "link </3/0/1> names a resource");
    expect_bad(rd, "ep=a", "</1/0>,</abc>", "link </abc> is not an object or instance path");
    expect_bad(rd, "ep=a", "</1/70000>", "link </1/70000> is not an object or instance path");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\",</>;rt=\"oma.lwm2m\",</1/0>",
               "more than one root link");
    expect_bad(rd, "ep=a", "</>;ct=110,</>;ct=112,</1/0>", "more than one root link");
    expect_bad(rd, "ep=a", "</lwm2m>;rt=\"oma.lwm2m\",</1/0>",
               "link </1/0> is not below the root path '/lwm2m'");
    expect_bad(rd, "ep=a", "</3>;rt=\"oma.lwm2m\",</3/0>", "bad root path '/3'");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\";ct=abc,</1/0>", "bad ct 'abc' on the root link");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\";ct,</1/0>", "bad ct on the root link: no value");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\";ct=\"1 2 3 4 5 6 7 8 9\",</1/0>",
               "more than 8 content formats in ct");
    expect_bad(rd, "ep=a", "</>;rt=\"oma.lwm2m\";ct=70000,</1/0>", "bad ct '70000'");
    assert_int_equal(log.n, 0);
    lwm2m_rd_free(rd);
}

static void test_wrong_content_format(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    result r;
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=a", MIN_PAYLOAD, LWM2M_FORMAT_SENML_JSON, NULL, 0, &r);
    expect_error(&r, LWM2M_CODE_UNSUPPORTED_FORMAT,
                 "payload Content-Format 110 is not link format (40)");
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=a", MIN_PAYLOAD, LWM2M_FORMAT_TEXT, NULL, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_UNSUPPORTED_FORMAT);
    assert_int_equal(lwm2m_rd_count(rd), 0);
    /* No Content-Format option: read as link format. */
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=a", MIN_PAYLOAD, LWM2M_FORMAT_NONE, NULL, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    lwm2m_rd_free(rd);
}

static void test_alternate_root_and_ct_list(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg =
        reg_ok(rd, "ep=a&lwm2m=1.1",
               "</lwm2m>;rt=\"oma.lwm2m\";ct=\"60 110 112 11542\",</lwm2m/1/0>,</lwm2m/3>;ver=1.1,"
               "</lwm2m/3/0>",
               0);
    assert_string_equal(reg->root, "/lwm2m");
    assert_int_equal(reg->format_count, 4);
    assert_int_equal(reg->formats[0], LWM2M_FORMAT_CBOR);
    assert_int_equal(reg->formats[1], LWM2M_FORMAT_SENML_JSON);
    assert_int_equal(reg->formats[2], LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(reg->formats[3], LWM2M_FORMAT_TLV);
    assert_int_equal(reg->object_count, 3);
    lwm2m_path want[3] = {lwm2m_path_inst(1, 0), lwm2m_path_obj(3), lwm2m_path_inst(3, 0)};
    for (size_t i = 0; i < 3; i++)
        assert_true(lwm2m_path_equal(&reg->objects[i], &want[i]));

    /* A trailing slash, the root link not first, rt among other types. */
    reg = reg_ok(rd, "ep=b", "</alt/1/0>,</alt/>;rt=\"core.rd oma.lwm2m\";ct=11543", 0);
    assert_string_equal(reg->root, "/alt");
    assert_int_equal(reg->format_count, 1);
    assert_int_equal(reg->formats[0], LWM2M_FORMAT_LWM2M_JSON);
    assert_int_equal(reg->object_count, 1);

    /* 1.0's root link without rt. */
    reg = reg_ok(rd, "ep=c", "</>;ct=11543,</1/0>", 0);
    assert_string_equal(reg->root, "/");
    assert_int_equal(reg->format_count, 1);
    assert_int_equal(reg->formats[0], LWM2M_FORMAT_LWM2M_JSON);
    assert_int_equal(reg->object_count, 1);

    /* Extra spaces in a ct list are tolerated. */
    reg = reg_ok(rd, "ep=d", "</>;rt=\"oma.lwm2m\";ct=\" 110  112\",</1/0>", 0);
    assert_int_equal(reg->format_count, 2);
    assert_int_equal(reg->formats[1], LWM2M_FORMAT_SENML_CBOR);
    lwm2m_rd_free(rd);
}

static void test_reregister_replaces(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *old = reg_ok(rd, "ep=dev&lt=100", MIN_PAYLOAD, 0);
    char old_id[LWM2M_RD_ID_MAX];
    strcpy(old_id, old->id);
    reg_ok(rd, "ep=other", MIN_PAYLOAD, 0);
    result r;
    reg_call(rd, "ep=dev&lt=200", "</3/0>", 50, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(r.rc, LWM2M_RD_REGISTERED);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.ev[2], LWM2M_RD_DEREGISTERED);
    assert_string_equal(log.id[2], old_id);
    assert_false(log.findable[2]); /* the old one is out of the directory during the call */
    assert_int_equal(log.count_during[2], 1);
    assert_int_equal(log.ev[3], LWM2M_RD_REGISTERED);
    assert_string_equal(log.id[3], r.location + 3);
    assert_true(log.findable[3]);
    assert_string_not_equal(old_id, r.location + 3);
    assert_null(lwm2m_rd_find_id(rd, old_id));
    const lwm2m_registration *now = lwm2m_rd_find(rd, "dev");
    assert_string_equal(now->id, r.location + 3);
    assert_int_equal(now->lifetime_s, 200);
    assert_int_equal(now->registered_ms, 50);
    assert_int_equal(now->object_count, 1);
    assert_int_equal(lwm2m_rd_count(rd), 2);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 50 + 200000);
    /* The old id is gone for Update and De-register too. */
    char path[32];
    snprintf(path, sizeof path, "/rd/%s", old_id);
    call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, NULL, 60, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_NOT_FOUND);
    lwm2m_rd_free(rd);
}

/* ---- Update and De-register ---------------------------------------------------------- */

static void update_path(const lwm2m_registration *reg, char *path, size_t cap)
{
    snprintf(path, cap, "/rd/%s", reg->id);
}

static void test_update(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd_options o = {500, 0, 0, 9};
    lwm2m_rd *rd = new_rd(&log, &o);
    const lwm2m_registration *reg = reg_ok(rd, "ep=dev&lt=100&lwm2m=1.1&b=U", MIN_PAYLOAD, 1000);
    reg_ok(rd, "ep=other&lt=150", MIN_PAYLOAD, 1000);
    assert_int_equal(reg->expires_ms, 1000 + 100000 + 500);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 101500);
    char path[32];
    update_path(reg, path, sizeof path);
    lwm2m_rd_peer moved = {"10.0.0.2:6000", false, NULL, 0};
    result r;
    call(rd, LWM2M_METHOD_POST, path, "lt=300&b=UT&sms=123&Q&other=ignored",
         "</>;rt=\"oma.lwm2m\";ct=112,</3/0>,</5/0>", LWM2M_FORMAT_LINK, &moved, 20000, &r);
    assert_int_equal(r.rc, LWM2M_RD_UPDATED);
    assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
    assert_int_equal(r.resp.format, LWM2M_FORMAT_NONE);
    assert_int_equal(r.resp.payload.len, 0);
    assert_ptr_equal(lwm2m_rd_find(rd, "dev"), reg);
    assert_int_equal(reg->lifetime_s, 300);
    assert_string_equal(reg->binding, "UT");
    assert_true(reg->queue_mode);
    assert_string_equal(reg->sms, "123");
    assert_string_equal(reg->extra, "");
    assert_string_equal(reg->address, "10.0.0.2:6000");
    assert_int_equal(reg->registered_ms, 1000);
    assert_int_equal(reg->updated_ms, 20000);
    assert_int_equal(reg->expires_ms, 20000 + 300000 + 500);
    assert_string_equal(reg->links, "</>;rt=\"oma.lwm2m\";ct=112,</3/0>,</5/0>");
    assert_int_equal(reg->object_count, 2);
    lwm2m_path p50 = lwm2m_path_inst(5, 0);
    assert_true(lwm2m_path_equal(&reg->objects[1], &p50));
    assert_int_equal(reg->format_count, 1);
    assert_int_equal(reg->formats[0], LWM2M_FORMAT_SENML_CBOR);
    /* The other registration is now the earliest. */
    assert_int_equal(lwm2m_rd_next_expiry(rd), 1000 + 150000 + 500);
    assert_int_equal(log.ev[2], LWM2M_RD_UPDATED);
    assert_string_equal(log.ep[2], "dev");

    /* An empty Update refreshes only; the payload and binding stay. */
    call(rd, LWM2M_METHOD_POST, path, NULL, NULL, LWM2M_FORMAT_NONE, &moved, 30000, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
    assert_int_equal(reg->expires_ms, 30000 + 300000 + 500);
    assert_int_equal(reg->object_count, 2);
    assert_string_equal(reg->binding, "UT");
    assert_int_equal(reg->format_count, 1);
    /* A new payload without ct drops the formats; one with an alternate root sets it. */
    call(rd, LWM2M_METHOD_POST, path, NULL, "</x>;rt=\"oma.lwm2m\",</x/1/0>", LWM2M_FORMAT_LINK,
         &moved, 30000, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
    assert_int_equal(reg->format_count, 0);
    assert_string_equal(reg->root, "/x");
    assert_int_equal(reg->object_count, 1);
    lwm2m_rd_free(rd);
}

static void test_update_queue_mode_1_0(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg = reg_ok(rd, "ep=d&b=UQ", MIN_PAYLOAD, 0);
    assert_true(reg->queue_mode);
    char path[32];
    update_path(reg, path, sizeof path);
    result r;
    call(rd, LWM2M_METHOD_POST, path, "b=U", NULL, LWM2M_FORMAT_NONE, NULL, 1, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
    assert_string_equal(reg->binding, "U");
    assert_false(reg->queue_mode);
    /* b= is checked against the registration's version. */
    call(rd, LWM2M_METHOD_POST, path, "b=T", NULL, LWM2M_FORMAT_NONE, NULL, 2, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "bad binding 'T' for LwM2M 1.0");
    lwm2m_rd_free(rd);
}

static void test_update_refused_changes_nothing(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg = reg_ok(rd, "ep=d&lt=100", MIN_PAYLOAD, 0);
    char path[32];
    update_path(reg, path, sizeof path);
    result r;
    lwm2m_rd_peer moved = {"10.0.0.9:1", false, NULL, 0};
    call(rd, LWM2M_METHOD_POST, path, "lt=0", NULL, LWM2M_FORMAT_NONE, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "bad lifetime '0': below the minimum of 1 s");
    call(rd, LWM2M_METHOD_POST, path, "lt=50&ep=d", NULL, LWM2M_FORMAT_NONE, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "'ep' is not allowed in an Update");
    call(rd, LWM2M_METHOD_POST, path, "lwm2m=1.1", NULL, LWM2M_FORMAT_NONE, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "'lwm2m' is not allowed in an Update");
    call(rd, LWM2M_METHOD_POST, path, "lt=50&lt=60", NULL, LWM2M_FORMAT_NONE, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "duplicate query parameter 'lt'");
    call(rd, LWM2M_METHOD_POST, path, "lt=50", "</3/0/1>", LWM2M_FORMAT_LINK, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST,
                 "link </3/0/1> names a resource: only objects and instances register");
    call(rd, LWM2M_METHOD_POST, path, "lt=50", "</5/0>", LWM2M_FORMAT_TLV, &moved, 5, &r);
    expect_error(&r, LWM2M_CODE_UNSUPPORTED_FORMAT,
                 "payload Content-Format 11542 is not link format (40)");
    assert_int_equal(reg->lifetime_s, 100);
    assert_int_equal(reg->updated_ms, 0);
    assert_int_equal(reg->expires_ms, 100000);
    assert_string_equal(reg->address, "127.0.0.1:5000");
    assert_string_equal(reg->links, MIN_PAYLOAD);
    assert_int_equal(reg->object_count, 2);
    assert_int_equal(log.n, 1);
    lwm2m_rd_free(rd);
}

static void test_wrong_identity(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const uint8_t id1[] = "client-1", id2[] = "client-2";
    lwm2m_rd_peer owner = {"[::1]:7000", true, id1, 8};
    result r;
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=s", MIN_PAYLOAD, LWM2M_FORMAT_LINK, &owner, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_true(log.auth_secure);
    const lwm2m_registration *reg = lwm2m_rd_find(rd, "s");
    assert_true(reg->secure);
    assert_int_equal(reg->identity_len, 8);
    assert_memory_equal(reg->identity, "client-1", 8);
    char path[32];
    update_path(reg, path, sizeof path);
    lwm2m_rd_peer others[] = {
        {"[::1]:7000", false, NULL, 0}, /* NoSec */
        {"[::1]:7000", true, id2, 8},   /* another identity */
        {"[::1]:7000", true, id1, 7},   /* a prefix of it */
        {"[::1]:7000", false, id1, 8},  /* the bytes, but not over DTLS */
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        call(rd, LWM2M_METHOD_POST, path, "lt=5", NULL, LWM2M_FORMAT_NONE, &others[i], 9, &r);
        expect_error(&r, FORBIDDEN, "identity differs from the registration's");
        call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, &others[i], 9, &r);
        expect_error(&r, FORBIDDEN, "identity differs from the registration's");
    }
    assert_int_equal(reg->lifetime_s, LWM2M_RD_DEFAULT_LIFETIME_S);
    assert_int_equal(lwm2m_rd_count(rd), 1);
    assert_int_equal(log.n, 1);
    /* The owner, from a new address: fine. */
    lwm2m_rd_peer owner2 = {"[::1]:7001", true, id1, 8};
    call(rd, LWM2M_METHOD_POST, path, "lt=5", NULL, LWM2M_FORMAT_NONE, &owner2, 9, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
    assert_string_equal(reg->address, "[::1]:7001");
    call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, &owner2, 9, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_DELETED);
    /* A NoSec registration is updated by any NoSec peer, not by a DTLS one. */
    reg = reg_ok(rd, "ep=n", MIN_PAYLOAD, 0);
    update_path(reg, path, sizeof path);
    call(rd, LWM2M_METHOD_POST, path, NULL, NULL, LWM2M_FORMAT_NONE, &owner, 9, &r);
    assert_int_equal(r.resp.code, FORBIDDEN);
    lwm2m_rd_free(rd);
}

static void test_unknown_id_and_paths(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    reg_ok(rd, "ep=a", MIN_PAYLOAD, 0);
    result r;
    call(rd, LWM2M_METHOD_POST, "/rd/0123456789", NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
    expect_error(&r, LWM2M_CODE_NOT_FOUND, "no registration '0123456789'");
    call(rd, LWM2M_METHOD_DELETE, "/rd/nope", NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
    expect_error(&r, LWM2M_CODE_NOT_FOUND, "no registration 'nope'");
    call(rd, LWM2M_METHOD_DELETE, "/rd/", NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
    expect_error(&r, LWM2M_CODE_NOT_FOUND, "no registration ''");
    call(rd, LWM2M_METHOD_POST, "/rdx", "ep=b", MIN_PAYLOAD, LWM2M_FORMAT_LINK, NULL, 0, &r);
    expect_error(&r, LWM2M_CODE_NOT_FOUND, "not a registration path");
    call(rd, LWM2M_METHOD_POST, "/bs", "ep=b", NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_NOT_FOUND);
    char path[32];
    snprintf(path, sizeof path, "/rd/%s/x", lwm2m_rd_at(rd, 0)->id);
    call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_NOT_FOUND);
    /* Without the leading '/' too. */
    call(rd, LWM2M_METHOD_POST, "rd", "ep=b", MIN_PAYLOAD, LWM2M_FORMAT_LINK, NULL, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(lwm2m_rd_count(rd), 2);
    lwm2m_rd_free(rd);
}

static void test_wrong_method(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg = reg_ok(rd, "ep=a", MIN_PAYLOAD, 0);
    char path[32];
    update_path(reg, path, sizeof path);
    result r;
    const unsigned on_rd[] = {LWM2M_METHOD_GET, LWM2M_METHOD_PUT, LWM2M_METHOD_DELETE,
                              LWM2M_METHOD_FETCH};
    for (size_t i = 0; i < 4; i++) {
        call(rd, on_rd[i], "/rd", "ep=b", MIN_PAYLOAD, LWM2M_FORMAT_LINK, NULL, 0, &r);
        expect_error(&r, LWM2M_CODE_METHOD_NOT_ALLOWED,
                     "method not allowed on /rd (Register is POST)");
    }
    const unsigned on_reg[] = {LWM2M_METHOD_GET, LWM2M_METHOD_PUT, LWM2M_METHOD_IPATCH};
    for (size_t i = 0; i < 3; i++) {
        call(rd, on_reg[i], path, NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
        expect_error(&r, LWM2M_CODE_METHOD_NOT_ALLOWED,
                     "method not allowed on a registration (POST Update, DELETE)");
    }
    assert_int_equal(lwm2m_rd_count(rd), 1);
    assert_int_equal(log.n, 1);
    lwm2m_rd_free(rd);
}

static void test_deregister_and_remove(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *a = reg_ok(rd, "ep=a&lt=10", MIN_PAYLOAD, 0);
    reg_ok(rd, "ep=b&lt=20", MIN_PAYLOAD, 0);
    reg_ok(rd, "ep=c&lt=30", MIN_PAYLOAD, 0);
    char path[32], id[LWM2M_RD_ID_MAX];
    update_path(a, path, sizeof path);
    strcpy(id, a->id);
    result r;
    call(rd, LWM2M_METHOD_DELETE, path, "junk&more", "ignored", LWM2M_FORMAT_TEXT, NULL, 1, &r);
    assert_int_equal(r.rc, LWM2M_RD_DEREGISTERED);
    assert_int_equal(r.resp.code, LWM2M_CODE_DELETED);
    assert_int_equal(r.resp.payload.len, 0);
    assert_int_equal(r.resp.format, LWM2M_FORMAT_NONE);
    assert_int_equal(log.ev[3], LWM2M_RD_DEREGISTERED);
    assert_string_equal(log.ep[3], "a");
    assert_string_equal(log.id[3], id);
    assert_int_equal(log.count_during[3], 2);
    assert_null(lwm2m_rd_find(rd, "a"));
    assert_null(lwm2m_rd_find_id(rd, id));
    assert_int_equal(lwm2m_rd_count(rd), 2);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 20000);
    /* Twice: 4.04. */
    call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, NULL, 1, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_NOT_FOUND);

    assert_int_equal(lwm2m_rd_remove(rd, "b"), LWM2M_OK);
    assert_int_equal(log.ev[4], LWM2M_RD_DEREGISTERED);
    assert_string_equal(log.ep[4], "b");
    assert_int_equal(lwm2m_rd_remove(rd, "b"), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_rd_remove(rd, "zz"), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_rd_count(rd), 1);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 30000);
    assert_int_equal(lwm2m_rd_remove(rd, "c"), LWM2M_OK);
    assert_int_equal(lwm2m_rd_count(rd), 0);
    assert_true(lwm2m_rd_next_expiry(rd) == INT64_MAX);
    assert_int_equal(lwm2m_rd_expire(rd, INT64_MAX), 0);
    lwm2m_rd_free(rd);
}

static void test_authorize_refusal(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg = reg_ok(rd, "ep=bad&lt=100", MIN_PAYLOAD, 0);
    char id[LWM2M_RD_ID_MAX];
    strcpy(id, reg->id);
    log.refuse_ep = "bad";
    result r;
    reg_call(rd, "ep=bad&lt=200", "</3/0>", 10, &r);
    expect_error(&r, FORBIDDEN, "forbidden");
    assert_string_equal(log.auth_ep, "bad");
    /* The registration in place stays, untouched, and no event was sent. */
    assert_int_equal(log.n, 1);
    assert_ptr_equal(lwm2m_rd_find(rd, "bad"), reg);
    assert_string_equal(reg->id, id);
    assert_int_equal(reg->lifetime_s, 100);
    assert_int_equal(reg->object_count, 2);
    reg_call(rd, "ep=good", MIN_PAYLOAD, 10, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(lwm2m_rd_count(rd), 2);
    /* Malformed requests are refused before authorize is asked. */
    size_t calls = log.auth_calls;
    expect_bad(rd, "ep=x&lt=abc", MIN_PAYLOAD, "bad lifetime 'abc'");
    assert_int_equal(log.auth_calls, calls);
    lwm2m_rd_free(rd);
}

static void test_max_registrations(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd_options o = {0, 0, 2, 5};
    lwm2m_rd *rd = new_rd(&log, &o);
    reg_ok(rd, "ep=a", MIN_PAYLOAD, 0);
    reg_ok(rd, "ep=b", MIN_PAYLOAD, 0);
    result r;
    reg_call(rd, "ep=c", MIN_PAYLOAD, 0, &r);
    expect_error(&r, LWM2M_CODE_SERVICE_UNAVAILABLE, "registration directory full (2 clients)");
    assert_null(lwm2m_rd_find(rd, "c"));
    /* Re-registering an endpoint in place is no new client. */
    reg_ok(rd, "ep=b&lt=5", MIN_PAYLOAD, 0);
    assert_int_equal(lwm2m_rd_count(rd), 2);
    assert_int_equal(lwm2m_rd_remove(rd, "a"), 0);
    reg_ok(rd, "ep=c", MIN_PAYLOAD, 0);
    assert_int_equal(lwm2m_rd_count(rd), 2);
    lwm2m_rd_free(rd);
}

static void test_has_path(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    const lwm2m_registration *reg = reg_ok(rd, "ep=a", "</1/0>,</3>;ver=1.1,</3/0>,</5>", 0);
    struct {
        lwm2m_path p;
        bool want;
    } cases[] = {
        {lwm2m_path_root(), true},        {lwm2m_path_obj(1), true},
        {lwm2m_path_inst(1, 0), true},    {lwm2m_path_inst(1, 1), false},
        {lwm2m_path_res(1, 0, 1), true},  {lwm2m_path_res(1, 1, 1), false},
        {lwm2m_path_obj(3), true},        {lwm2m_path_rinst(3, 0, 11, 0), true},
        {lwm2m_path_obj(5), true},        {lwm2m_path_inst(5, 0), false},
        {lwm2m_path_res(5, 0, 1), false}, {lwm2m_path_obj(4), false},
        {lwm2m_path_obj(2), false},       {lwm2m_path_inst(0, 0), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&cases[i].p, s, sizeof s);
        if (lwm2m_rd_has_path(reg, &cases[i].p) != cases[i].want)
            fail_msg("has_path(%s) should be %d", s, cases[i].want);
    }
    assert_false(lwm2m_rd_has_path(NULL, &cases[0].p));
    assert_false(lwm2m_rd_has_path(reg, NULL));
    lwm2m_rd_free(rd);
}

/* ---- Expiry -------------------------------------------------------------------------- */

static void test_expire_boundary_and_grace(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd_options o = {2000, 0, 0, 3};
    lwm2m_rd *rd = new_rd(&log, &o);
    reg_ok(rd, "ep=a&lt=10", MIN_PAYLOAD, 1000);
    reg_ok(rd, "ep=b&lt=10", MIN_PAYLOAD, 1001);
    assert_int_equal(lwm2m_rd_next_expiry(rd), 13000);
    assert_int_equal(lwm2m_rd_expire(rd, 12999), 0);
    assert_int_equal(lwm2m_rd_expire(rd, 13000), 1); /* due at exactly expires_ms */
    assert_int_equal(log.ev[2], LWM2M_RD_EXPIRED);
    assert_string_equal(log.ep[2], "a");
    assert_false(log.findable[2]);
    assert_null(lwm2m_rd_find(rd, "a"));
    assert_int_equal(lwm2m_rd_next_expiry(rd), 13001);
    assert_int_equal(lwm2m_rd_expire(rd, 100000), 1);
    assert_int_equal(lwm2m_rd_count(rd), 0);
    assert_true(lwm2m_rd_next_expiry(rd) == INT64_MAX);
    lwm2m_rd_free(rd);
}

static int64_t min_expiry(const lwm2m_rd *rd)
{
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < lwm2m_rd_count(rd); i++)
        if (lwm2m_rd_at(rd, i)->expires_ms < m)
            m = lwm2m_rd_at(rd, i)->expires_ms;
    return m;
}

static size_t due(const lwm2m_rd *rd, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < lwm2m_rd_count(rd); i++)
        n += lwm2m_rd_at(rd, i)->expires_ms <= now;
    return n;
}

static void test_expiry_order_many(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    uint32_t seed = 12345;
    char q[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(q, sizeof q, "ep=dev%d&lt=%u", i, 1 + rnd(&seed) % 5000);
        reg_ok(rd, q, MIN_PAYLOAD, (int64_t)(rnd(&seed) % 100000));
    }
    assert_int_equal(lwm2m_rd_count(rd), 1000);
    assert_int_equal(lwm2m_rd_next_expiry(rd), min_expiry(rd));
    int64_t now = 0;
    size_t expired = 0;
    for (int round = 0; lwm2m_rd_count(rd) > 0; round++) {
        now += 40000 + rnd(&seed) % 100000;
        /* Update a few of them (early rounds only, so that all expire in the end): their
         * expiry moves later, or earlier with a shorter lifetime. */
        for (int k = 0; round < 30 && k < 20 && lwm2m_rd_count(rd) > 0; k++) {
            const lwm2m_registration *reg = lwm2m_rd_at(rd, rnd(&seed) % lwm2m_rd_count(rd));
            if (reg->expires_ms <= now)
                continue; /* would have expired already */
            char path[32], uq[32];
            update_path(reg, path, sizeof path);
            snprintf(uq, sizeof uq, "lt=%u", 1 + rnd(&seed) % 3000);
            result r;
            call(rd, LWM2M_METHOD_POST, path, uq, NULL, LWM2M_FORMAT_NONE, NULL, now, &r);
            assert_int_equal(r.resp.code, LWM2M_CODE_CHANGED);
            assert_int_equal(lwm2m_rd_next_expiry(rd), min_expiry(rd));
        }
        size_t want = due(rd, now), before = log.expired;
        assert_int_equal(lwm2m_rd_expire(rd, now), want);
        assert_int_equal(log.expired - before, want);
        expired += want;
        assert_int_equal(due(rd, now), 0);
        assert_int_equal(lwm2m_rd_next_expiry(rd), min_expiry(rd));
        assert_true(lwm2m_rd_next_expiry(rd) > now);
    }
    assert_int_equal(expired, 1000);
    lwm2m_rd_free(rd);
}

/* ---- Lookups under churn ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void check_consistent(const lwm2m_rd *rd, const bool *live, size_t n_names)
{
    size_t n = 0;
    for (size_t i = 0; i < n_names; i++) {
        char ep[24];
        snprintf(ep, sizeof ep, "n%zu", i);
        const lwm2m_registration *reg = lwm2m_rd_find(rd, ep);
        if (!live[i]) {
            assert_null(reg);
            continue;
        }
        n++;
        assert_non_null(reg);
        assert_string_equal(reg->endpoint, ep);
        assert_ptr_equal(lwm2m_rd_find_id(rd, reg->id), reg);
    }
    assert_int_equal(lwm2m_rd_count(rd), n);
    for (size_t i = 0; i < lwm2m_rd_count(rd); i++) {
        const lwm2m_registration *reg = lwm2m_rd_at(rd, i);
        assert_ptr_equal(lwm2m_rd_find(rd, reg->endpoint), reg);
    }
}

static void test_stress_lookups(void **state)
{
    (void)state;
    enum { NAMES = 5000, OPS = 20000 };
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    bool *live = calloc(NAMES, sizeof *live);
    char(*ids)[LWM2M_RD_ID_MAX] = calloc(OPS, sizeof *ids);
    assert_non_null(live);
    assert_non_null(ids);
    size_t issued = 0;
    uint32_t seed = 777;
    for (size_t i = 0; i < NAMES; i++) {
        char q[32];
        snprintf(q, sizeof q, "ep=n%zu", i);
        strcpy(ids[issued++], reg_ok(rd, q, MIN_PAYLOAD, 0)->id);
        live[i] = true;
    }
    check_consistent(rd, live, NAMES);
    for (size_t op = 0; op < OPS - NAMES; op++) {
        size_t i = rnd(&seed) % NAMES;
        char ep[24];
        snprintf(ep, sizeof ep, "n%zu", i);
        unsigned what = rnd(&seed) % 3;
        if (!live[i] || what == 0) { /* (re-)register */
            char q[32];
            snprintf(q, sizeof q, "ep=%s", ep);
            strcpy(ids[issued++], reg_ok(rd, q, MIN_PAYLOAD, (int64_t)op)->id);
            live[i] = true;
        } else if (what == 1) {
            assert_int_equal(lwm2m_rd_remove(rd, ep), 0);
            live[i] = false;
        } else {
            char path[32];
            update_path(lwm2m_rd_find(rd, ep), path, sizeof path);
            result r;
            call(rd, LWM2M_METHOD_DELETE, path, NULL, NULL, LWM2M_FORMAT_NONE, NULL, 0, &r);
            assert_int_equal(r.resp.code, LWM2M_CODE_DELETED);
            live[i] = false;
        }
        if (op % 2500 == 0)
            check_consistent(rd, live, NAMES);
    }
    check_consistent(rd, live, NAMES);
    /* No id was ever issued twice. */
    qsort(ids, issued, sizeof *ids, cmp_str);
    for (size_t i = 1; i < issued; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
    free(live);
    lwm2m_rd_free(rd);
}

/* ---- Responses and the transport's view ---------------------------------------------- */

static void test_diagnostic_truncation(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    lwm2m_request req;
    memset(&req, 0, sizeof req);
    req.method = LWM2M_METHOD_POST;
    req.uri_path = "/rd";
    req.uri_path_len = 3;
    req.format = LWM2M_FORMAT_LINK;
    char buf[8];
    memset(buf, '#', sizeof buf);
    lwm2m_response resp;
    resp.payload = lwm2m_buf_init(buf, 5);
    char loc[32];
    assert_int_equal(lwm2m_rd_handle(rd, &req, &plain, 0, &resp, loc, sizeof loc), -1);
    assert_int_equal(resp.code, LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(resp.format, LWM2M_FORMAT_TEXT);
    assert_int_equal(resp.payload.len, 5);
    assert_memory_equal(buf, "missi###", 8); /* nothing past cap */
    resp.payload = lwm2m_buf_init(NULL, 0);
    assert_int_equal(lwm2m_rd_handle(rd, &req, &plain, 0, &resp, loc, sizeof loc), -1);
    assert_int_equal(resp.code, LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(resp.payload.len, 0);
    assert_int_equal(resp.format, LWM2M_FORMAT_NONE);
    /* Success clears a payload length left from earlier use. */
    req.query = "ep=a";
    req.query_len = 4;
    req.payload = (const uint8_t *)MIN_PAYLOAD;
    req.payload_len = strlen(MIN_PAYLOAD);
    resp.payload = lwm2m_buf_init(buf, 5);
    resp.payload.len = 3;
    assert_int_equal(lwm2m_rd_handle(rd, &req, &plain, 0, &resp, loc, sizeof loc),
                     LWM2M_RD_REGISTERED);
    assert_int_equal(resp.payload.len, 0);
    /* A long hostile value is cut and made printable in the diagnostic. */
    result r;
    char q[200] = "ep=a&lt=";
    memset(q + 8, 'z', 100);
    q[108] = '\0';
    q[10] = '\'';
    reg_call(rd, q, MIN_PAYLOAD, 0, &r);
    expect_error(&r, LWM2M_CODE_BAD_REQUEST, "bad lifetime 'zz?zzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'");
    lwm2m_rd_free(rd);
}

static void test_peer_limits(void **state)
{
    (void)state;
    ev_log log;
    lwm2m_rd *rd = new_rd(&log, NULL);
    uint8_t big[129];
    memset(big, 'i', sizeof big);
    lwm2m_rd_peer p = {"1.2.3.4:5", true, big, sizeof big};
    result r;
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=a", MIN_PAYLOAD, LWM2M_FORMAT_LINK, &p, 0, &r);
    expect_error(&r, FORBIDDEN, "PSK identity longer than 128 bytes");
    p.identity_len = 128;
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=a", MIN_PAYLOAD, LWM2M_FORMAT_LINK, &p, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(lwm2m_rd_find(rd, "a")->identity_len, 128);
    char addr[80];
    memset(addr, '9', sizeof addr - 1);
    addr[sizeof addr - 1] = '\0';
    lwm2m_rd_peer far = {addr, false, NULL, 0};
    call(rd, LWM2M_METHOD_POST, "/rd", "ep=b", MIN_PAYLOAD, LWM2M_FORMAT_LINK, &far, 0, &r);
    expect_error(&r, LWM2M_CODE_INTERNAL_ERROR, "peer address too long");
    /* No peer at all: a NoSec client with no address. */
    lwm2m_request req;
    memset(&req, 0, sizeof req);
    req.method = LWM2M_METHOD_POST;
    req.uri_path = "/rd";
    req.uri_path_len = 3;
    req.query = "ep=c";
    req.query_len = 4;
    req.payload = (const uint8_t *)MIN_PAYLOAD;
    req.payload_len = strlen(MIN_PAYLOAD);
    req.format = LWM2M_FORMAT_LINK;
    char loc[32];
    r.resp.payload = lwm2m_buf_init(r.payload, sizeof r.payload);
    assert_int_equal(lwm2m_rd_handle(rd, &req, NULL, 0, &r.resp, loc, sizeof loc),
                     LWM2M_RD_REGISTERED);
    assert_string_equal(lwm2m_rd_find(rd, "c")->address, "");
    assert_int_equal(lwm2m_rd_count(rd), 2);
    /* Null arguments. */
    assert_int_equal(lwm2m_rd_handle(rd, NULL, NULL, 0, &r.resp, loc, sizeof loc), -1);
    assert_int_equal(r.resp.code, LWM2M_CODE_INTERNAL_ERROR);
    assert_int_equal(lwm2m_rd_handle(rd, &req, NULL, 0, NULL, loc, sizeof loc), -1);
    assert_null(lwm2m_rd_find(NULL, "a"));
    assert_null(lwm2m_rd_find(rd, NULL));
    assert_null(lwm2m_rd_find_id(rd, NULL));
    assert_int_equal(lwm2m_rd_count(NULL), 0);
    lwm2m_rd_free(NULL);
    lwm2m_rd_free(rd);
}

static void test_no_hooks(void **state)
{
    (void)state;
    lwm2m_rd *rd = lwm2m_rd_new(NULL, NULL);
    assert_non_null(rd);
    result r;
    reg_call(rd, "ep=a&lt=1", MIN_PAYLOAD, 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    assert_int_equal(lwm2m_rd_expire(rd, 1000), 1);
    assert_int_equal(lwm2m_rd_count(rd), 0);
    /* Free with registrations in place releases them (ASan checks). */
    reg_call(rd, "ep=b", "</>;rt=\"oma.lwm2m\";ct=\"110 112\",</1/0>,</3/0>", 0, &r);
    assert_int_equal(r.resp.code, LWM2M_CODE_CREATED);
    lwm2m_rd_free(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_minimal_defaults),
        cmocka_unit_test(test_register_full),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_bad_endpoint),
        cmocka_unit_test(test_bad_lifetime),
        cmocka_unit_test(test_bad_version_and_binding),
        cmocka_unit_test(test_bad_query_shape),
        cmocka_unit_test(test_bad_payload),
        cmocka_unit_test(test_wrong_content_format),
        cmocka_unit_test(test_alternate_root_and_ct_list),
        cmocka_unit_test(test_reregister_replaces),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_update_queue_mode_1_0),
        cmocka_unit_test(test_update_refused_changes_nothing),
        cmocka_unit_test(test_wrong_identity),
        cmocka_unit_test(test_unknown_id_and_paths),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_deregister_and_remove),
        cmocka_unit_test(test_authorize_refusal),
        cmocka_unit_test(test_max_registrations),
        cmocka_unit_test(test_has_path),
        cmocka_unit_test(test_expire_boundary_and_grace),
        cmocka_unit_test(test_expiry_order_many),
        cmocka_unit_test(test_stress_lookups),
        cmocka_unit_test(test_diagnostic_truncation),
        cmocka_unit_test(test_peer_limits),
        cmocka_unit_test(test_no_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
