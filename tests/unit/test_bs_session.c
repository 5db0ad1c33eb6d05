/* The Bootstrap Server's session driven against a real in-memory client (bs_client over an
 * lwm2m_model): Discover, Deletes, Writes in every multi-instance format, Finish, 4.06 and the
 * fallback plans, auto-ID, failures, time; plus plan choice, auto-ID and Bootstrap-Pack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bs_server/bs_plan_select.h"
#include "lwm2m/bs_client.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"

/* ---- plans as static records ------------------------------------------------------------- */

#define P3(O, I, R)                                                                                \
    {                                                                                              \
        {O, I, R, 0}, 3                                                                            \
    }
#define STR(O, I, R, S)                                                                            \
    {                                                                                              \
        P3(O, I, R), {LWM2M_TYPE_STRING, {.bytes = {(const uint8_t *)S, sizeof S - 1}}}, 0         \
    }
#define INT(O, I, R, V)                                                                            \
    {                                                                                              \
        P3(O, I, R), {LWM2M_TYPE_INTEGER, {.i = V}}, 0                                             \
    }
#define BOOL(O, I, R, V)                                                                           \
    {                                                                                              \
        P3(O, I, R), {LWM2M_TYPE_BOOLEAN, {.b = V}}, 0                                             \
    }
/* A NoSec server account's Security instance, the Bootstrap-Server account, a Server. */
#define SEC(I, SSID, URI)                                                                          \
    STR(0, I, 0, URI), BOOL(0, I, 1, false), INT(0, I, 2, 3), INT(0, I, 10, SSID)
#define BSSEC(I, URI) STR(0, I, 0, URI), BOOL(0, I, 1, true), INT(0, I, 2, 3)
#define SRV(I, SSID)  INT(1, I, 0, SSID), INT(1, I, 1, 300), BOOL(1, I, 6, true), STR(1, I, 7, "U")
/* ACL on /OBJ/INST owned by SSID, which also gets rights 15. */
#define ACL(I, OBJ, INST, SSID)                                                                    \
    INT(2, I, 0, OBJ), INT(2, I, 1, INST),                                                         \
        {{{2, I, 2, SSID}, 4}, {LWM2M_TYPE_INTEGER, {.i = 15}}, 0}, INT(2, I, 3, SSID)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const lwm2m_path del_root[] = {{{0, 0, 0, 0}, 0}};
static const lwm2m_path del_0_1[] = {{{0, 0, 0, 0}, 1}, {{1, 0, 0, 0}, 1}};

static const lwm2m_record one_server[] = {SEC(1, 101, "coap://a:5683"), SRV(1, 101)};
/* The seed's plan 0: two servers and their ACLs, for a client with Access Control. */
static const lwm2m_record two_servers_acl[] = {SEC(1, 101, "coap://a:5683"),
                                               SEC(2, 102, "coap://b:5683"),
                                               SRV(1, 101),
                                               SRV(2, 102),
                                               ACL(0, 1, 1, 101),
                                               ACL(1, 1, 2, 102)};
/* The seed's plan 1: one server, nothing else. */
static const lwm2m_record single_server[] = {SEC(3, 201, "coap://c:5683"), SRV(3, 201)};
static const lwm2m_record with_device[] = {SEC(1, 101, "coap://a:5683"), SRV(1, 101),
                                           STR(3, 0, 0, "NewCo")};
static const lwm2m_record with_object5[] = {SEC(1, 101, "coap://a:5683"), SRV(1, 101),
                                            STR(5, 0, 1, "coap://fw")};
/* Auto-ID: the plan's own Bootstrap-Server account at /0/0 and a server at /0/5. */
static const lwm2m_record bs_and_server_on_5[] = {BSSEC(0, "coap://bs.new:5683"),
                                                  SEC(5, 101, "coap://s:5683"), SRV(0, 101)};
static const lwm2m_record bs_and_server_on_1[] = {BSSEC(0, "coap://bs.new:5683"),
                                                  SEC(1, 101, "coap://s:5683"), SRV(0, 101)};
/* Inconsistent whatever the client: a Server without its Security instance. */
static const lwm2m_record orphan_server[] = {SRV(4, 44)};
static const lwm2m_record empty_instance[] = {
    SEC(1, 101, "coap://a:5683"), SRV(1, 101), {{{4, 0, 0, 0}, 2}, {LWM2M_TYPE_NONE, {.i = 0}}, 0}};

static lwm2m_bs_plan plan_of(const lwm2m_record *recs, size_t n, const lwm2m_path *dels,
                             size_t ndel)
{
    lwm2m_bs_plan p;
    memset(&p, 0, sizeof p);
    p.records = recs;
    p.record_count = n;
    p.deletes = dels;
    p.delete_count = ndel;
    return p;
}

#define PLAN(recs, dels) plan_of(recs, N(recs), dels, N(dels))
#define PLAN_NODEL(recs) plan_of(recs, N(recs), NULL, 0)

/* ---- the rig: a session and a real client ------------------------------------------------ */

#define MAX_LOG 64

typedef struct rig {
    lwm2m_model *live;
    lwm2m_bs_client *client;
    lwm2m_bs_session *s;
    lwm2m_bs_config cfg;
    lwm2m_bs_plan plans[4];
    int64_t now;
    size_t buf_cap; /* request payload buffer size, sizeof req_mem unless a test shrinks it */
    uint8_t req_mem[4096];
    /* Every request sent: "GET /", "PUT /0", ... with its formats and payload size. */
    char log[MAX_LOG][40];
    lwm2m_format fmt[MAX_LOG];
    lwm2m_format accept[MAX_LOG];
    size_t plen[MAX_LOG];
    unsigned code[MAX_LOG]; /* the answer the session got */
    size_t n;
    /* A forged answer for requests matching "METHOD /path" (NULL: none). With `after` the
     * client still handles the request and only the code is replaced. */
    const char *ovr_req;
    unsigned ovr_code;
    const char *ovr_payload;
    size_t ovr_len;
    lwm2m_format ovr_format;
    bool ovr_after;
    uint8_t body[MAX_LOG][1024]; /* each request's payload, for decoding */
} rig;

static const lwm2m_capabilities multi_caps = {0, true, (1u << 0) | (1u << 3),
                                              (1u << 0) | (1u << 1)};
static const lwm2m_capabilities single_caps = {1, false, (1u << 0) | (1u << 3),
                                               (1u << 0) | (1u << 1)};

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

/* A client with /0 (its Bootstrap-Server account at /0/5), /1, /2 when `acl`, /3/0. */
static rig *make_rig(const lwm2m_capabilities *caps, bool acl)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->live = lwm2m_model_new();
    assert_non_null(r->live);
    assert_int_equal(lwm2m_model_add_object(r->live, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(r->live, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    if (acl)
        assert_int_equal(lwm2m_model_add_object(r->live, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(r->live, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    set(r->live, lwm2m_path_res(0, 5, 0), lwm2m_value_str("coap://127.0.0.1:5683"));
    set(r->live, lwm2m_path_res(0, 5, 1), lwm2m_value_bool(true));
    set(r->live, lwm2m_path_res(0, 5, 2), lwm2m_value_int(3));
    set(r->live, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    lwm2m_bs_client_config cc = {*caps, "1.1", LWM2M_FORMAT_SENML_JSON};
    r->client = lwm2m_bs_client_new(r->live, &cc);
    assert_non_null(r->client);
    assert_int_equal(lwm2m_bs_client_begin(r->client, 0), 0);
    r->cfg.format = LWM2M_FORMAT_NONE;
    r->cfg.discover = true;
    r->cfg.plans = r->plans;
    r->buf_cap = sizeof r->req_mem;
    r->now = 1000;
    return r;
}

static int setup_multi(void **state)
{
    *state = make_rig(&multi_caps, true);
    return 0;
}

static int setup_single(void **state)
{
    *state = make_rig(&single_caps, false);
    return 0;
}

static int teardown(void **state)
{
    rig *r = *state;
    lwm2m_bs_session_free(r->s);
    lwm2m_bs_client_free(r->client);
    lwm2m_model_free(r->live);
    free(r);
    return 0;
}

static void start(rig *r, size_t first_plan, lwm2m_format pct)
{
    lwm2m_bs_session_params p = {&r->cfg, NULL, first_plan, pct, 0};
    r->s = lwm2m_bs_session_new(&p, r->now);
    assert_non_null(r->s);
    assert_int_equal(lwm2m_bs_session_state_of(r->s), LWM2M_BS_SESSION_RUNNING);
    assert_int_equal(lwm2m_bs_session_outcome(r->s), LWM2M_BS_OUTCOME_NONE);
}

/* Sends `out` to the client (or forges the answer) and hands the answer to the session. */
static void exchange(rig *r, const lwm2m_bs_outgoing *out)
{
    static const char *const names[] = {"?", "GET", "POST", "PUT", "DELETE"};
    assert_true(r->n < MAX_LOG);
    snprintf(r->log[r->n], sizeof r->log[r->n], "%s %s", names[out->method < 5 ? out->method : 0],
             out->uri_path);
    r->fmt[r->n] = out->format;
    r->accept[r->n] = out->accept;
    r->plen[r->n] = out->payload.len;
    assert_true(out->payload.len <= sizeof r->body[r->n]);
    if (out->payload.len > 0)
        memcpy(r->body[r->n], out->payload.data, out->payload.len);
    uint8_t resp_mem[2048];
    lwm2m_response resp = {0, LWM2M_FORMAT_NONE, lwm2m_buf_init(resp_mem, sizeof resp_mem)};
    bool forged = r->ovr_req != NULL && strcmp(r->ovr_req, r->log[r->n]) == 0;
    if (!forged || r->ovr_after) {
        lwm2m_request req = {
            out->method, out->uri_path,     strlen(out->uri_path), NULL, 0, out->format,
            out->accept, out->payload.data, out->payload.len};
        lwm2m_bs_client_handle(r->client, &req, r->now, &resp);
    }
    if (forged) {
        resp.code = r->ovr_code;
        if (!r->ovr_after) {
            resp.format = r->ovr_format;
            resp.payload.len = r->ovr_len;
            if (r->ovr_len > 0)
                memcpy(resp_mem, r->ovr_payload, r->ovr_len);
        }
    }
    r->code[r->n++] = resp.code;
    r->now += 10;
    lwm2m_bs_session_on_response(r->s, resp.code, resp.format, resp_mem, resp.payload.len, r->now);
}

static void forge(rig *r, const char *req, unsigned code, const char *payload, lwm2m_format fmt)
{
    r->ovr_req = req;
    r->ovr_code = code;
    r->ovr_payload = payload;
    r->ovr_len = payload ? strlen(payload) : 0;
    r->ovr_format = fmt;
    r->ovr_after = false;
}

/* Drives the session until it has nothing more to send. */
static void run(rig *r)
{
    for (int guard = 0; guard < MAX_LOG; guard++) {
        lwm2m_bs_outgoing out;
        memset(&out, 0, sizeof out);
        out.payload = lwm2m_buf_init(r->req_mem, r->buf_cap);
        int rc = lwm2m_bs_session_next(r->s, &out, r->now);
        if (rc == 0)
            return;
        assert_int_equal(rc, 1);
        exchange(r, &out);
    }
    fail_msg("the session did not end");
}

static void expect_log(const rig *r, const char *const *want)
{
    size_t n = 0;
    while (want[n] != NULL)
        n++;
    for (size_t i = 0; i < n && i < r->n; i++)
        assert_string_equal(r->log[i], want[i]);
    assert_int_equal(r->n, n);
}

#define EXPECT_LOG(r, ...) expect_log(r, (const char *const[]){__VA_ARGS__, NULL})

static void expect_outcome(const rig *r, lwm2m_bs_session_state st, lwm2m_bs_outcome o)
{
    assert_int_equal(lwm2m_bs_session_state_of(r->s), st);
    assert_int_equal(lwm2m_bs_session_outcome(r->s), o);
}

/* After SUCCEEDED: the client finished too; its configuration becomes live. */
static void commit(rig *r)
{
    assert_int_equal(lwm2m_bs_client_state(r->client), LWM2M_BS_FINISHED);
    assert_int_equal(lwm2m_bs_client_commit(r->client, 1700000000), 0);
}

static int64_t live_int(const rig *r, lwm2m_path p)
{
    int64_t v = -1;
    assert_int_equal(lwm2m_model_get_int(r->live, &p, &v), 0);
    return v;
}

static void assert_live_str(const rig *r, lwm2m_path p, const char *want)
{
    lwm2m_bytes b;
    assert_int_equal(lwm2m_model_get_bytes(r->live, &p, &b), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.ptr, want, b.len);
}

static size_t count_bs_accounts(const lwm2m_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < lwm2m_model_instance_count(m, 0); i++)
        n += lwm2m_model_is_bootstrap_account(m, lwm2m_model_instance_id_at(m, 0, i));
    return n;
}

/* ---- format, names, construction --------------------------------------------------------- */

static void test_format_choice(void **state)
{
    (void)state;
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.format = LWM2M_FORMAT_NONE;
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_NONE), LWM2M_FORMAT_TLV);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_SENML_CBOR),
                     LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_SENML_JSON),
                     LWM2M_FORMAT_SENML_JSON);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_LWM2M_CBOR),
                     LWM2M_FORMAT_LWM2M_CBOR);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_LWM2M_JSON),
                     LWM2M_FORMAT_LWM2M_JSON);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_TLV), LWM2M_FORMAT_TLV);
    /* A pct that cannot carry bootstrap writes falls back to TLV. */
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_TEXT), LWM2M_FORMAT_TLV);
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_CBOR), LWM2M_FORMAT_TLV);
    /* The configuration's format wins over the client's. */
    cfg.format = LWM2M_FORMAT_SENML_CBOR;
    assert_int_equal(lwm2m_bs_session_format(&cfg, LWM2M_FORMAT_SENML_JSON),
                     LWM2M_FORMAT_SENML_CBOR);
}

static void test_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_NONE), "none");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_SUCCESS), "success");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_FINISH_REJECTED), "finish-rejected");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_NO_PLAN), "no-plan");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_REQUEST_FAILED), "request-failed");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_TIMEOUT), "timeout");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_CANCELLED), "cancelled");
    assert_string_equal(lwm2m_bs_outcome_name(LWM2M_BS_OUTCOME_INTERNAL), "internal");
    assert_string_equal(lwm2m_bs_outcome_name((lwm2m_bs_outcome)99), "unknown");
}

static void test_new_needs_plans(void **state)
{
    (void)state;
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    lwm2m_bs_session_params p = {&cfg, NULL, 0, LWM2M_FORMAT_NONE, 0};
    assert_null(lwm2m_bs_session_new(&p, 0));
    p.config = NULL;
    assert_null(lwm2m_bs_session_new(&p, 0));
    assert_null(lwm2m_bs_session_new(NULL, 0));
    lwm2m_bs_session_free(NULL);
}

/* ---- success in every multi-instance format ---------------------------------------------- */

static void success_in(rig *r, lwm2m_format cfg_fmt, lwm2m_format pct, lwm2m_format want)
{
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    r->cfg.format = cfg_fmt;
    start(r, 0, pct);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_int_equal(r->accept[0], LWM2M_FORMAT_LINK);
    assert_int_equal(r->fmt[0], LWM2M_FORMAT_NONE);
    assert_int_equal(r->fmt[1], LWM2M_FORMAT_NONE);
    assert_int_equal(r->plen[1], 0);
    assert_int_equal(r->fmt[2], want);
    assert_int_equal(r->fmt[3], want);
    assert_true(r->plen[2] > 0);
    assert_int_equal(r->fmt[4], LWM2M_FORMAT_NONE);
    assert_int_equal(r->plen[4], 0);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 5);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 0);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "");
    commit(r);
    assert_live_str(r, lwm2m_path_res(0, 1, 0), "coap://a:5683");
    assert_int_equal(live_int(r, lwm2m_path_res(0, 1, 10)), 101);
    assert_int_equal(live_int(r, lwm2m_path_res(1, 1, 0)), 101);
    assert_int_equal(live_int(r, lwm2m_path_res(1, 1, 1)), 300);
    assert_live_str(r, lwm2m_path_res(1, 1, 7), "U");
    /* The client's own account survived Delete /. */
    assert_true(lwm2m_model_is_bootstrap_account(r->live, 5));
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 2);
    /* Nothing more to send once ended. */
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 0);
}

static void test_success_tlv(void **state)
{
    success_in(*state, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, LWM2M_FORMAT_TLV);
}

static void test_success_senml_json(void **state)
{
    success_in(*state, LWM2M_FORMAT_NONE, LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_JSON);
}

static void test_success_senml_cbor(void **state)
{
    success_in(*state, LWM2M_FORMAT_SENML_CBOR, LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR);
}

static void test_success_lwm2m_cbor(void **state)
{
    success_in(*state, LWM2M_FORMAT_NONE, LWM2M_FORMAT_LWM2M_CBOR, LWM2M_FORMAT_LWM2M_CBOR);
}

static void test_success_lwm2m_json(void **state)
{
    success_in(*state, LWM2M_FORMAT_LWM2M_JSON, LWM2M_FORMAT_NONE, LWM2M_FORMAT_LWM2M_JSON);
}

/* One message per object, in the order /0, /1, /2, then the others. */
static void test_object_order_and_instances(void **state)
{
    rig *r = *state;
    static const lwm2m_record recs[] = {SEC(1, 101, "coap://a:5683"),
                                        SEC(2, 102, "coap://b:5683"),
                                        SRV(1, 101),
                                        SRV(2, 102),
                                        ACL(0, 1, 1, 101),
                                        ACL(1, 1, 2, 102),
                                        STR(3, 0, 0, "NewCo")};
    r->plans[0] = PLAN(recs, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_SENML_JSON);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "PUT /2", "PUT /3", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    commit(r);
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 3);
    assert_int_equal(lwm2m_model_instance_count(r->live, 1), 2);
    assert_int_equal(lwm2m_model_instance_count(r->live, 2), 2);
    assert_int_equal(live_int(r, lwm2m_path_rinst(2, 1, 2, 102)), 15);
    assert_int_equal(live_int(r, lwm2m_path_res(1, 2, 0)), 102);
    assert_live_str(r, lwm2m_path_res(3, 0, 0), "NewCo");
}

/* The exact requests for a plan deleting /0 and /1, without Discover. */
static void test_exact_sequence_deletes(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(with_device, del_0_1);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "DELETE /0", "DELETE /1", "PUT /0", "PUT /1", "PUT /3", "POST /bs");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(r->code[i], LWM2M_CODE_DELETED);
        assert_int_equal(r->plen[i], 0);
        assert_int_equal(r->fmt[i], LWM2M_FORMAT_NONE);
        assert_int_equal(r->accept[i], LWM2M_FORMAT_NONE);
    }
    for (size_t i = 2; i < 5; i++) {
        assert_int_equal(r->code[i], LWM2M_CODE_CHANGED);
        assert_int_equal(r->fmt[i], LWM2M_FORMAT_TLV);
    }
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 6);
    /* The last PUT (/3) decodes to the plan's single /3 record. */
    lwm2m_record items[8];
    lwm2m_record_list l = lwm2m_record_list_init(items, 8);
    lwm2m_path base = lwm2m_path_obj(3);
    lwm2m_types types = {lwm2m_objdef_type_of, NULL};
    assert_int_equal(
        lwm2m_decode(LWM2M_FORMAT_TLV, &base, r->body[4], r->plen[4], &types, NULL, &l, NULL), 0);
    assert_int_equal(l.count, 1);
    assert_true(lwm2m_path_equal(&items[0].path, &with_device[8].path));
    assert_true(lwm2m_value_equal(&items[0].value, &with_device[8].value));
}

/* A format that carries one value per message: one PUT per resource. */
static void test_text_format_per_resource(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(one_server);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    r->cfg.format = LWM2M_FORMAT_TEXT;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "PUT /0/1/0", "PUT /0/1/1", "PUT /0/1/2", "PUT /0/1/10", "PUT /1/1/0",
               "PUT /1/1/1", "PUT /1/1/6", "PUT /1/1/7", "POST /bs");
    assert_int_equal(r->fmt[0], LWM2M_FORMAT_TEXT);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    commit(r);
    assert_int_equal(live_int(r, lwm2m_path_res(1, 1, 0)), 101);
}

/* An instance without resources goes out as an empty TLV instance. */
static void test_empty_instance_record(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(empty_instance);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "PUT /4", LWM2M_CODE_CHANGED, NULL, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "PUT /0", "PUT /1", "PUT /4", "POST /bs");
    /* TLV object instance 0 with no content: 0x00 0x00. */
    assert_int_equal(r->plen[2], 2);
    assert_int_equal(r->body[2][0], 0x00);
    assert_int_equal(r->body[2][1], 0x00);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
}

/* ---- the seed's case: 4.06 and the fallback plan ----------------------------------------- */

static void seed_config(rig *r, bool discover)
{
    r->plans[0] = PLAN(two_servers_acl, del_root);
    r->plans[1] = PLAN(single_server, del_root);
    r->cfg.plan_count = 2;
    r->cfg.discover = discover;
}

static void assert_plan1_live(rig *r)
{
    commit(r);
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 2); /* BS account + server */
    assert_true(lwm2m_model_is_bootstrap_account(r->live, 5));
    assert_true(lwm2m_model_has_instance(r->live, 0, 3));
    assert_int_equal(lwm2m_model_instance_count(r->live, 1), 1);
    assert_int_equal(live_int(r, lwm2m_path_res(1, 3, 0)), 201);
    assert_false(lwm2m_model_has_instance(r->live, 0, 1));
    assert_false(lwm2m_model_has_instance(r->live, 0, 2));
}

static void test_seed_discover_picks_single_server_plan(void **state)
{
    rig *r = *state;
    seed_config(r, true);
    start(r, 0, LWM2M_FORMAT_SENML_JSON);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "POST /bs");
    for (size_t i = 0; i < r->n; i++)
        assert_int_not_equal(r->code[i], LWM2M_CODE_NOT_ACCEPTABLE);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 1);
    assert_plan1_live(r);
}

static void test_seed_without_discover_recovers_after_406(void **state)
{
    rig *r = *state;
    seed_config(r, false);
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    /* The /2 write fails (no such object): recorded, and only written instances are deleted. */
    EXPECT_LOG(r, "DELETE /", "PUT /0", "PUT /1", "PUT /2", "POST /bs", "DELETE /0/1",
               "DELETE /0/2", "DELETE /1/1", "DELETE /1/2", "DELETE /", "PUT /0", "PUT /1",
               "POST /bs");
    assert_int_equal(r->code[3], LWM2M_CODE_NOT_FOUND);
    assert_int_equal(r->code[4], LWM2M_CODE_NOT_ACCEPTABLE);
    assert_int_equal(r->code[12], LWM2M_CODE_CHANGED);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 1);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 13);
    /* The client's 4.06 diagnostic is kept. */
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "too-many-servers"));
    assert_plan1_live(r);
}

static void test_last_plan_rejected(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(two_servers_acl, del_root);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "DELETE /", "PUT /0", "PUT /1", "PUT /2", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
    /* The diagnostic is the client's 4.06 payload, exactly. */
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s),
                        lwm2m_bs_client_last_diagnostic(r->client));
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "too-many-servers"));
    /* The client drops the transaction: its live configuration is as before. */
    lwm2m_bs_client_abort(r->client);
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 1);
    assert_true(lwm2m_model_is_bootstrap_account(r->live, 5));
    assert_int_equal(lwm2m_model_instance_count(r->live, 1), 0);
}

/* Every plan is tried once, in order, then the session gives up. */
static void test_every_plan_rejected_once(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(orphan_server);
    r->plans[1] = PLAN_NODEL(orphan_server);
    r->cfg.plan_count = 2;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "PUT /1", "POST /bs", "DELETE /1/4", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 1);
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "server-without-security"));
}

/* The first plan is the endpoint's stored next plan; an out-of-range one starts over. */
static void test_first_plan(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(orphan_server);
    r->plans[1] = PLAN_NODEL(one_server);
    r->cfg.plan_count = 2;
    r->cfg.discover = false;
    start(r, 1, LWM2M_FORMAT_NONE);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 1);
    run(r);
    EXPECT_LOG(r, "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    lwm2m_bs_session_free(r->s);
    lwm2m_bs_session_params p = {&r->cfg, NULL, 7, LWM2M_FORMAT_NONE, 0};
    r->s = lwm2m_bs_session_new(&p, 0);
    assert_non_null(r->s);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 0);
}

/* A Finish error other than 4.06 also moves on to the next plan; the diagnostic is cleaned. */
static void test_finish_error_payload_sanitised(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(one_server);
    r->plans[1] = PLAN_NODEL(single_server);
    r->cfg.plan_count = 2;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    char junk[400];
    memset(junk, 'x', sizeof junk - 1);
    junk[sizeof junk - 1] = '\0';
    memcpy(junk, "bad\x01\xff\n", 6);
    forge(r, "POST /bs", LWM2M_CODE_BAD_REQUEST, junk, LWM2M_FORMAT_TEXT);
    run(r);
    EXPECT_LOG(r, "PUT /0", "PUT /1", "POST /bs", "DELETE /0/1", "DELETE /1/1", "PUT /0", "PUT /1",
               "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
    const char *d = lwm2m_bs_session_diagnostic(r->s);
    assert_int_equal(strlen(d), 255);
    assert_memory_equal(d, "bad???xxx", 9);
}

/* A Finish answer without payload still leaves a diagnostic. */
static void test_finish_error_without_payload(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(one_server);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "POST /bs", LWM2M_CODE_NOT_ACCEPTABLE, NULL, LWM2M_FORMAT_NONE);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "Bootstrap-Finish answered 4.06");
}

/* ---- auto-ID ----------------------------------------------------------------------------- */

static void test_auto_id_renumbers_around_client_account(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(bs_and_server_on_5, del_root);
    r->cfg.plan_count = 1;
    r->cfg.auto_id_security = true;
    r->cfg.discover = false; /* auto-ID discovers anyway */
    start(r, 0, LWM2M_FORMAT_SENML_JSON);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "POST /bs");
    /* The /0 message: the server moved to /0/0, the plan's BS account onto /0/5. */
    lwm2m_record items[16];
    lwm2m_record_list l = lwm2m_record_list_init(items, 16);
    lwm2m_path base = lwm2m_path_obj(0);
    lwm2m_types types = {lwm2m_objdef_type_of, NULL};
    uint8_t arena_mem[512];
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, sizeof arena_mem);
    assert_int_equal(lwm2m_decode(LWM2M_FORMAT_SENML_JSON, &base, r->body[2], r->plen[2], &types,
                                  &arena, &l, NULL),
                     0);
    assert_int_equal(l.count, 7);
    lwm2m_path server_uri = lwm2m_path_res(0, 0, 0), bs_uri = lwm2m_path_res(0, 5, 0);
    assert_true(lwm2m_path_equal(&items[0].path, &server_uri));
    assert_memory_equal(items[0].value.v.bytes.ptr, "coap://s:5683", 13);
    assert_true(lwm2m_path_equal(&items[4].path, &bs_uri));
    assert_memory_equal(items[4].value.v.bytes.ptr, "coap://bs.new:5683", 18);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    commit(r);
    assert_int_equal(count_bs_accounts(r->live), 1);
    assert_true(lwm2m_model_is_bootstrap_account(r->live, 5));
    assert_live_str(r, lwm2m_path_res(0, 5, 0), "coap://bs.new:5683");
    assert_live_str(r, lwm2m_path_res(0, 0, 0), "coap://s:5683");
    assert_int_equal(live_int(r, lwm2m_path_res(0, 0, 10)), 101);
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 2);
}

/* Without auto-ID the plan's BS account lands beside the client's: 4.06. With it: one. */
static void test_auto_id_avoids_second_bs_account(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(bs_and_server_on_1, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "multiple-bootstrap"));

    lwm2m_bs_session_free(r->s);
    lwm2m_bs_client_abort(r->client);
    assert_int_equal(lwm2m_bs_client_begin(r->client, r->now), 0);
    r->n = 0;
    r->cfg.auto_id_security = true;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    commit(r);
    assert_int_equal(count_bs_accounts(r->live), 1);
    assert_false(lwm2m_model_has_instance(r->live, 0, 0));
    assert_int_equal(live_int(r, lwm2m_path_res(0, 1, 10)), 101);
    assert_live_str(r, lwm2m_path_res(0, 5, 0), "coap://bs.new:5683");
}

static void test_auto_id_needs_discover(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(bs_and_server_on_5, del_root);
    r->cfg.plan_count = 1;
    r->cfg.auto_id_security = true;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "GET /", LWM2M_CODE_METHOD_NOT_ALLOWED, "no", LWM2M_FORMAT_TEXT);
    run(r);
    EXPECT_LOG(r, "GET /");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "GET /: 4.05 no");
    assert_int_equal(lwm2m_bs_session_operations(r->s), 1);
}

static void test_auto_id_unparsable_discover(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(bs_and_server_on_5, del_root);
    r->cfg.plan_count = 1;
    r->cfg.auto_id_security = true;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "GET /", LWM2M_CODE_CONTENT, "</0/5>,<", LWM2M_FORMAT_LINK);
    run(r);
    EXPECT_LOG(r, "GET /");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "Bootstrap-Discover answer: byte"));
}

static void renumber(const lwm2m_record *in, size_t n, uint16_t client_bs, lwm2m_record *out)
{
    memcpy(out, in, n * sizeof *in);
    assert_int_equal(lwm2m_bs_auto_id(out, n, client_bs), 0);
}

static void test_auto_id_rules(void **state)
{
    (void)state;
    lwm2m_record out[16];
    /* BS 0 -> 5; the server at 5 takes the freed 0. /1 untouched. */
    renumber(bs_and_server_on_5, N(bs_and_server_on_5), 5, out);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(out[i].path.id[1], 5);
    for (size_t i = 3; i < 7; i++)
        assert_int_equal(out[i].path.id[1], 0);
    assert_int_equal(out[7].path.id[0], 1);
    assert_int_equal(out[7].path.id[1], 0);
    /* Without a BS account in the plan only the collision moves, to the lowest free id. */
    static const lwm2m_record servers[] = {SEC(0, 1, "coap://x"), SEC(1, 2, "coap://y"),
                                           SEC(5, 3, "coap://z")};
    renumber(servers, N(servers), 5, out);
    assert_int_equal(out[0].path.id[1], 0);
    assert_int_equal(out[4].path.id[1], 1);
    assert_int_equal(out[8].path.id[1], 2);
    assert_int_equal(out[11].path.id[1], 2);
    /* No collision, no BS account: nothing moves. */
    renumber(servers, N(servers), 9, out);
    assert_memory_equal(out, servers, sizeof servers);
    /* The plan's BS account already at the client's id: nothing moves. */
    renumber(bs_and_server_on_1, N(bs_and_server_on_1), 0, out);
    assert_memory_equal(out, bs_and_server_on_1, sizeof bs_and_server_on_1);
    /* The client's account at 1: BS 0 -> 1, the server at 1 moves to the freed 0. */
    renumber(bs_and_server_on_1, N(bs_and_server_on_1), 1, out);
    assert_int_equal(out[0].path.id[1], 1);
    assert_int_equal(out[3].path.id[1], 0);
}

/* ---- Discover ---------------------------------------------------------------------------- */

static void test_discover_failure_goes_on(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "GET /", LWM2M_CODE_NOT_FOUND, NULL, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "GET /: 4.04");
}

static void test_discover_wrong_format_goes_on(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "GET /", LWM2M_CODE_CONTENT, "</0/5>", LWM2M_FORMAT_TEXT);
    run(r);
    EXPECT_LOG(r, "GET /", "DELETE /", "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s),
                        "Bootstrap-Discover answered 2.05 in content format 0");
}

/* Without Discover information every plan is assumed to fit. */
static void test_discover_garbage_goes_on_with_first_plan(void **state)
{
    rig *r = *state;
    seed_config(r, true);
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "GET /", LWM2M_CODE_CONTENT, "</>;lwm2m=1.1,</2", LWM2M_FORMAT_LINK);
    run(r);
    assert_string_equal(r->log[2], "PUT /0");
    assert_int_equal(lwm2m_bs_session_plan(r->s), 0);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
}

static void test_no_plan_fits(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(with_object5, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "GET /");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_NO_PLAN);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s),
                        "no plan fits the client: plan 0: the client does not list object 5");
    assert_int_equal(lwm2m_bs_session_operations(r->s), 1);
}

static void test_no_plan_fits_single_server_client(void **state)
{
    rig *r = *state;
    static const lwm2m_record two_servers[] = {SEC(1, 101, "coap://a"), SEC(2, 102, "coap://b"),
                                               SRV(1, 101), SRV(2, 102)};
    r->plans[0] = PLAN(two_servers_acl, del_root);
    r->plans[1] = PLAN(two_servers, del_root);
    r->cfg.plan_count = 2;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_NO_PLAN);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s),
                        "no plan fits the client: plan 1: 2 Server Accounts, but a client "
                        "without Access Control (/2) holds only one");
    assert_int_equal(lwm2m_bs_session_plan(r->s), 1);
}

/* After a 4.06 the next plan must fit the Discover answer too. */
static void test_fallback_skips_plans_that_do_not_fit(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN_NODEL(orphan_server);
    r->plans[1] = PLAN(with_object5, del_root);
    r->plans[2] = PLAN(one_server, del_root);
    r->cfg.plan_count = 3;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "GET /", "PUT /1", "POST /bs", "DELETE /1/4", "DELETE /", "PUT /0", "PUT /1",
               "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_int_equal(lwm2m_bs_session_plan(r->s), 2);
}

/* ---- answers the session tolerates or records -------------------------------------------- */

static void test_write_created_tolerated(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "PUT /0", LWM2M_CODE_CREATED, NULL, LWM2M_FORMAT_NONE);
    r->ovr_after = true;
    run(r);
    assert_int_equal(r->code[2], LWM2M_CODE_CREATED);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "");
}

static void test_write_error_recorded_and_continues(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(with_object5, del_root);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "DELETE /", "PUT /0", "PUT /1", "PUT /5", "POST /bs");
    assert_int_equal(r->code[3], LWM2M_CODE_NOT_FOUND);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s),
                        "PUT /5: 4.04 object 5 is not supported");
}

static void test_delete_not_found_tolerated(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_0_1);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "DELETE /1", LWM2M_CODE_NOT_FOUND, NULL, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "DELETE /0", "DELETE /1", "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "");
}

static void test_delete_object_error_recorded(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_0_1);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "DELETE /0", LWM2M_CODE_BAD_REQUEST, "cannot", LWM2M_FORMAT_TEXT);
    run(r);
    EXPECT_LOG(r, "DELETE /0", "DELETE /1", "PUT /0", "PUT /1", "POST /bs");
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "DELETE /0: 4.00 cannot");
}

static void test_delete_root_error_fails(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "DELETE /", LWM2M_CODE_INTERNAL_ERROR, NULL, LWM2M_FORMAT_NONE);
    run(r);
    EXPECT_LOG(r, "DELETE /");
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "DELETE /: 5.00");
}

/* ---- failures, time, cancellation, buffers ----------------------------------------------- */

static void test_no_answer_fails(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_NONE);
    /* Nothing outstanding yet: a failure report is ignored. */
    lwm2m_bs_session_on_failure(r->s, r->now);
    assert_int_equal(lwm2m_bs_session_state_of(r->s), LWM2M_BS_SESSION_RUNNING);
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    exchange(r, &out);
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    assert_string_equal(out.uri_path, "/0");
    lwm2m_bs_session_on_failure(r->s, r->now);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
    assert_string_equal(lwm2m_bs_session_diagnostic(r->s), "PUT /0: no answer");
    assert_int_equal(lwm2m_bs_session_operations(r->s), 1);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 0);
    /* A late answer changes nothing. */
    lwm2m_bs_session_on_response(r->s, LWM2M_CODE_CHANGED, LWM2M_FORMAT_NONE, NULL, 0, r->now);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 1);
}

static void test_one_request_at_a_time(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    assert_int_equal(out.method, LWM2M_METHOD_GET);
    assert_string_equal(out.uri_path, "/");
    assert_int_equal(out.accept, LWM2M_FORMAT_LINK);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 0);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now + 5), 0);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 0);
}

static void test_timeout(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    lwm2m_bs_session_params p = {&r->cfg, NULL, 0, LWM2M_FORMAT_NONE, 5000};
    r->s = lwm2m_bs_session_new(&p, 1000);
    assert_non_null(r->s);
    assert_int_equal(lwm2m_bs_session_deadline(r->s), 6000);
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, 1000), 1);
    assert_int_equal(lwm2m_bs_session_tick(r->s, 5999), LWM2M_BS_SESSION_RUNNING);
    assert_int_equal(lwm2m_bs_session_tick(r->s, 6000), LWM2M_BS_SESSION_FAILED);
    assert_int_equal(lwm2m_bs_session_outcome(r->s), LWM2M_BS_OUTCOME_TIMEOUT);
    assert_string_not_equal(lwm2m_bs_session_diagnostic(r->s), "");
    lwm2m_bs_session_on_response(r->s, LWM2M_CODE_CONTENT, LWM2M_FORMAT_LINK, NULL, 0, 6001);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 0);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, 6001), 0);
    /* Cancelling an ended session keeps its outcome. */
    lwm2m_bs_session_cancel(r->s);
    assert_int_equal(lwm2m_bs_session_outcome(r->s), LWM2M_BS_OUTCOME_TIMEOUT);
    lwm2m_bs_session_free(r->s);
    /* 0 means the default; an answer after the deadline times the session out. */
    p.timeout_ms = 0;
    r->s = lwm2m_bs_session_new(&p, 1000);
    assert_int_equal(lwm2m_bs_session_deadline(r->s), 1000 + LWM2M_BS_SESSION_TIMEOUT_MS);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, 1000), 1);
    lwm2m_bs_session_on_response(r->s, LWM2M_CODE_CONTENT, LWM2M_FORMAT_LINK, NULL, 0,
                                 1000 + LWM2M_BS_SESSION_TIMEOUT_MS);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_TIMEOUT);
}

static void test_cancel(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(one_server, del_root);
    r->cfg.plan_count = 1;
    start(r, 0, LWM2M_FORMAT_NONE);
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    exchange(r, &out);
    lwm2m_bs_session_cancel(r->s);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_CANCELLED);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 0);
    assert_int_equal(lwm2m_bs_session_operations(r->s), 1);
}

static void test_overflow_then_retry(void **state)
{
    rig *r = *state;
    r->plans[0] = PLAN(two_servers_acl, del_root);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    start(r, 0, LWM2M_FORMAT_SENML_JSON);
    lwm2m_bs_outgoing out;
    out.payload = lwm2m_buf_init(r->req_mem, sizeof r->req_mem);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    exchange(r, &out); /* DELETE / */
    uint8_t tiny[8];
    out.payload = lwm2m_buf_init(tiny, sizeof tiny);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), LWM2M_ERR_OVERFLOW);
    size_t need = out.payload.len;
    assert_true(need > sizeof tiny);
    /* Nothing went out: the same request again, now in a buffer of exactly that size. */
    uint8_t *exact = malloc(need);
    assert_non_null(exact);
    out.payload = lwm2m_buf_init(exact, need - 1);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), LWM2M_ERR_OVERFLOW);
    assert_int_equal(out.payload.len, need);
    out.payload = lwm2m_buf_init(exact, need);
    assert_int_equal(lwm2m_bs_session_next(r->s, &out, r->now), 1);
    assert_string_equal(out.uri_path, "/0");
    assert_int_equal(out.payload.len, need);
    exchange(r, &out);
    free(exact);
    assert_int_equal(r->code[1], LWM2M_CODE_CHANGED);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
    commit(r);
    assert_int_equal(lwm2m_model_instance_count(r->live, 0), 3);
}

/* A record above instance level cannot be written: the session reports INTERNAL. */
static void test_invalid_plan_is_internal(void **state)
{
    rig *r = *state;
    static const lwm2m_record bad[] = {{{{1, 0, 0, 0}, 1}, {LWM2M_TYPE_NONE, {.i = 0}}, 0}};
    r->plans[0] = PLAN_NODEL(bad);
    r->cfg.plan_count = 1;
    r->cfg.discover = false;
    lwm2m_bs_session_params p = {&r->cfg, NULL, 0, LWM2M_FORMAT_NONE, 0};
    r->s = lwm2m_bs_session_new(&p, 0);
    assert_non_null(r->s);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "record 0"));
    /* Text cannot carry a multiple resource: INTERNAL when it comes to that write. */
    lwm2m_bs_session_free(r->s);
    r->plans[0] = PLAN_NODEL(two_servers_acl);
    r->cfg.format = LWM2M_FORMAT_TEXT;
    start(r, 0, LWM2M_FORMAT_NONE);
    forge(r, "PUT /2/0/2", LWM2M_CODE_CHANGED, NULL, LWM2M_FORMAT_NONE);
    run(r);
    expect_outcome(r, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
    assert_non_null(strstr(lwm2m_bs_session_diagnostic(r->s), "cannot encode /2/0/2"));
}

/* ---- Discover parsing and plan choice ---------------------------------------------------- */

static void test_client_info_parse(void **state)
{
    (void)state;
    static const char d[] =
        "</>;lwm2m=1.2,</0>;ver=1.1,</0/0>,</0/1>;ssid=101;uri=\"coap://h\\\"\","
        "</1/0>;ssid=101,</3/0>,</rd>,</5>";
    lwm2m_bs_client_info ci;
    char diag[128] = "";
    assert_int_equal(
        lwm2m_bs_client_info_parse((const uint8_t *)d, strlen(d), &ci, diag, sizeof diag), 0);
    assert_string_equal(ci.lwm2m_version, "1.2");
    assert_int_equal(ci.object_count, 4);
    assert_int_equal(ci.objects[0], 0);
    assert_int_equal(ci.objects[1], 1);
    assert_int_equal(ci.objects[2], 3);
    assert_int_equal(ci.objects[3], 5);
    assert_true(ci.has_bs_account);
    assert_int_equal(ci.bs_account, 0);
    assert_int_equal(ci.account_count, 2);
    assert_int_equal(ci.accounts[0].obj, 0);
    assert_int_equal(ci.accounts[0].inst, 1);
    assert_int_equal(ci.accounts[0].ssid, 101);
    assert_int_equal(ci.accounts[1].obj, 1);
    assert_true(lwm2m_bs_client_info_has_object(&ci, 5));
    assert_false(lwm2m_bs_client_info_has_object(&ci, 2));
    assert_true(lwm2m_bs_client_info_has_object(&ci, 1));
    lwm2m_bs_client_info_free(&ci);
    /* Nothing listed: no version, no account, objects 0 and 1 still assumed. */
    assert_int_equal(lwm2m_bs_client_info_parse((const uint8_t *)"", 0, &ci, diag, sizeof diag), 0);
    assert_string_equal(ci.lwm2m_version, "");
    assert_false(ci.has_bs_account);
    assert_true(lwm2m_bs_client_info_has_object(&ci, 0));
    assert_false(lwm2m_bs_client_info_has_object(&ci, 3));
    lwm2m_bs_client_info_free(&ci);
    static const char bad[] = "</0/0>,,</1>";
    assert_int_equal(
        lwm2m_bs_client_info_parse((const uint8_t *)bad, strlen(bad), &ci, diag, sizeof diag),
        LWM2M_ERR_INVALID);
    assert_non_null(strstr(diag, "Bootstrap-Discover answer: byte"));
    assert_null(ci.objects);
}

static void test_plan_fits_rules(void **state)
{
    (void)state;
    static const char d[] = "</>;lwm2m=1.1,</0/5>,</1>,</3/0>";
    lwm2m_bs_client_info ci;
    assert_int_equal(lwm2m_bs_client_info_parse((const uint8_t *)d, strlen(d), &ci, NULL, 0), 0);
    char why[160];
    lwm2m_bs_plan p = PLAN_NODEL(one_server);
    assert_true(lwm2m_bs_plan_fits(&p, &ci, why, sizeof why));
    assert_true(lwm2m_bs_plan_fits(&p, NULL, why, sizeof why));
    p = (lwm2m_bs_plan)PLAN_NODEL(with_device);
    assert_true(lwm2m_bs_plan_fits(&p, &ci, why, sizeof why));
    p = (lwm2m_bs_plan)PLAN_NODEL(two_servers_acl);
    assert_false(lwm2m_bs_plan_fits(&p, &ci, why, sizeof why));
    assert_string_equal(why, "the plan writes Access Control (/2) but the client has none");
    p = (lwm2m_bs_plan)PLAN_NODEL(with_object5);
    assert_false(lwm2m_bs_plan_fits(&p, &ci, why, sizeof why));
    assert_string_equal(why, "the client does not list object 5");
    /* Select: from 1 on, skipping what does not fit. */
    lwm2m_bs_plan plans[3] = {PLAN_NODEL(one_server), PLAN_NODEL(two_servers_acl),
                              PLAN_NODEL(with_device)};
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.plans = plans;
    cfg.plan_count = 3;
    assert_int_equal(lwm2m_bs_plan_select(&cfg, 0, &ci, why, sizeof why), 0);
    assert_int_equal(lwm2m_bs_plan_select(&cfg, 1, &ci, why, sizeof why), 2);
    assert_int_equal(lwm2m_bs_plan_select(&cfg, 3, &ci, why, sizeof why), 3);
    assert_string_equal(why, "no plan left to try");
    cfg.plan_count = 2;
    assert_int_equal(lwm2m_bs_plan_select(&cfg, 1, &ci, why, sizeof why), 2);
    assert_string_equal(why, "plan 1: the plan writes Access Control (/2) but the client has none");
    lwm2m_bs_client_info_free(&ci);
}

/* ---- Bootstrap-Pack ---------------------------------------------------------------------- */

static void pack_roundtrip(lwm2m_format fmt)
{
    lwm2m_bs_plan plans[1] = {PLAN(with_device, del_0_1)};
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.plans = plans;
    cfg.plan_count = 1;
    uint8_t mem[1024];
    lwm2m_buf out = lwm2m_buf_init(mem, sizeof mem);
    char diag[160] = "x";
    assert_int_equal(lwm2m_bs_pack_encode(&cfg, 0, fmt, &out, diag, sizeof diag), 0);
    assert_string_equal(diag, "");
    lwm2m_record items[32];
    lwm2m_record_list l = lwm2m_record_list_init(items, 32);
    uint8_t arena_mem[512];
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, sizeof arena_mem);
    lwm2m_path root = lwm2m_path_root();
    lwm2m_types types = {lwm2m_objdef_type_of, NULL};
    assert_int_equal(lwm2m_decode(fmt, &root, mem, out.len, &types, &arena, &l, NULL), 0);
    assert_int_equal(l.count, N(with_device));
    for (size_t i = 0; i < l.count; i++) {
        assert_true(lwm2m_path_equal(&items[i].path, &with_device[i].path));
        assert_true(lwm2m_value_equal(&items[i].value, &with_device[i].value));
    }
    /* Too small a buffer: OVERFLOW with the size needed. */
    size_t need = out.len;
    out = lwm2m_buf_init(mem, 10);
    assert_int_equal(lwm2m_bs_pack_encode(&cfg, 0, fmt, &out, diag, sizeof diag),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(out.len, need);
}

static void test_pack_senml_json(void **state)
{
    (void)state;
    pack_roundtrip(LWM2M_FORMAT_SENML_JSON);
}

static void test_pack_senml_cbor(void **state)
{
    (void)state;
    pack_roundtrip(LWM2M_FORMAT_SENML_CBOR);
}

static int pack(lwm2m_bs_config *cfg, lwm2m_bs_plan plan, char *diag)
{
    uint8_t mem[1024];
    lwm2m_buf out = lwm2m_buf_init(mem, sizeof mem);
    cfg->plans = &plan;
    cfg->plan_count = 1;
    int rc = lwm2m_bs_pack_encode(cfg, 0, LWM2M_FORMAT_SENML_CBOR, &out, diag, 160);
    cfg->plans = NULL;
    return rc;
}

static void test_pack_not_allowed(void **state)
{
    (void)state;
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char diag[160];
    static const lwm2m_path del_5[] = {{{5, 0, 0, 0}, 1}};
    static const lwm2m_path del_1_7[] = {{{1, 7, 0, 0}, 2}};
    static const lwm2m_path del_3_7[] = {{{3, 7, 0, 0}, 2}};
    static const lwm2m_path del_res[] = {{{1, 1, 1, 0}, 3}};
    assert_int_equal(pack(&cfg, PLAN(one_server, del_root), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_string_equal(
        diag, "/: Delete of / needs a session: a pack only replaces the objects it carries");
    assert_int_equal(pack(&cfg, PLAN(one_server, del_5), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_string_equal(diag, "/5: Delete outside the objects the pack carries needs a session");
    assert_int_equal(pack(&cfg, PLAN(one_server, del_3_7), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_int_equal(pack(&cfg, PLAN(one_server, del_res), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_int_equal(pack(&cfg, PLAN_NODEL(two_servers_acl), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_string_equal(diag, "/2/0/0: Access Control instances need a session");
    /* Deletes inside carried objects are implied by replacing them. */
    assert_int_equal(pack(&cfg, PLAN(one_server, del_0_1), diag), 0);
    assert_int_equal(pack(&cfg, PLAN(one_server, del_1_7), diag), 0);
    assert_int_equal(pack(&cfg, PLAN(with_device, del_3_7), diag), 0);
    cfg.auto_id_security = true;
    assert_int_equal(pack(&cfg, PLAN_NODEL(one_server), diag), LWM2M_ERR_NOT_ALLOWED);
    assert_string_equal(diag, "auto_id_security needs a session (Bootstrap-Discover)");
    cfg.auto_id_security = false;
    /* Other formats, other plans. */
    lwm2m_bs_plan plans[1] = {PLAN_NODEL(one_server)};
    cfg.plans = plans;
    cfg.plan_count = 1;
    uint8_t mem[512];
    lwm2m_buf out = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_bs_pack_encode(&cfg, 0, LWM2M_FORMAT_TLV, &out, diag, sizeof diag),
                     LWM2M_ERR_UNSUPPORTED);
    assert_int_equal(
        lwm2m_bs_pack_encode(&cfg, 0, LWM2M_FORMAT_LWM2M_CBOR, &out, diag, sizeof diag),
        LWM2M_ERR_UNSUPPORTED);
    assert_int_equal(
        lwm2m_bs_pack_encode(&cfg, 1, LWM2M_FORMAT_SENML_JSON, &out, diag, sizeof diag),
        LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_bs_pack_encode(&cfg, 0, LWM2M_FORMAT_SENML_JSON, &out, NULL, 0), 0);
}

static void test_status_after_session(void **state)
{
    (void)state;
    lwm2m_bs_endpoint_status st;
    memset(&st, 0, sizeof st);
    lwm2m_bs_status_after_session(&st, LWM2M_BS_OUTCOME_TIMEOUT, 1, "no Finish", 100);
    assert_int_equal(st.next_plan, 1); /* resume where it stopped */
    assert_false(st.failed);
    assert_int_equal(st.sessions, 1);
    assert_string_equal(st.outcome, "timeout");
    assert_string_equal(st.diagnostic, "no Finish");
    lwm2m_bs_status_after_session(&st, LWM2M_BS_OUTCOME_FINISH_REJECTED, 2, "too-many-servers",
                                  200);
    assert_true(st.failed);
    assert_int_equal(st.updated_s, 200);
    lwm2m_bs_status_after_session(&st, LWM2M_BS_OUTCOME_SUCCESS, 2, "", 300);
    assert_false(st.failed);
    assert_int_equal(st.next_plan, 2);
    assert_int_equal(st.sessions, 3);
    lwm2m_bs_status_after_session(&st, LWM2M_BS_OUTCOME_NO_PLAN, 0, NULL, 400);
    assert_true(st.failed);
    assert_string_equal(st.diagnostic, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_choice),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_status_after_session),
        cmocka_unit_test(test_new_needs_plans),
        cmocka_unit_test_setup_teardown(test_success_tlv, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_success_senml_json, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_success_senml_cbor, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_success_lwm2m_cbor, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_success_lwm2m_json, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_object_order_and_instances, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_exact_sequence_deletes, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_text_format_per_resource, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_empty_instance_record, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_seed_discover_picks_single_server_plan, setup_single,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seed_without_discover_recovers_after_406, setup_single,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_last_plan_rejected, setup_single, teardown),
        cmocka_unit_test_setup_teardown(test_every_plan_rejected_once, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_first_plan, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_finish_error_payload_sanitised, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_finish_error_without_payload, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_auto_id_renumbers_around_client_account, setup_multi,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auto_id_avoids_second_bs_account, setup_multi,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auto_id_needs_discover, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_auto_id_unparsable_discover, setup_multi, teardown),
        cmocka_unit_test(test_auto_id_rules),
        cmocka_unit_test_setup_teardown(test_discover_failure_goes_on, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_discover_wrong_format_goes_on, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_discover_garbage_goes_on_with_first_plan, setup_multi,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_plan_fits, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_no_plan_fits_single_server_client, setup_single,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fallback_skips_plans_that_do_not_fit, setup_multi,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_created_tolerated, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_recorded_and_continues, setup_multi,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_not_found_tolerated, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_delete_object_error_recorded, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_delete_root_error_fails, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_no_answer_fails, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_one_request_at_a_time, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_overflow_then_retry, setup_multi, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_plan_is_internal, setup_multi, teardown),
        cmocka_unit_test(test_client_info_parse),
        cmocka_unit_test(test_plan_fits_rules),
        cmocka_unit_test(test_pack_senml_json),
        cmocka_unit_test(test_pack_senml_cbor),
        cmocka_unit_test(test_pack_not_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
