/* The simulated client's bootstrap: the same sans-I/O core as lwm2m-client (a factory model
 * with a Bootstrap-Server account, lwm2m_bs_client answering the server's commands, the Finish
 * check, commit), over the sim's own link, whichever transport carries it: requests and
 * answers arrive here decoded (lwm2m_request, bench_reply). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/consistency.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"
#include "run.h"

#define MAX_ACCOUNTS 4

static int set_str(lwm2m_model *m, lwm2m_path p, const char *s)
{
    lwm2m_value v = lwm2m_value_str(s);
    return lwm2m_model_set(m, &p, &v);
}

/* Objects 0, 1, 2 and 3 as lwm2m-client's add_objects() declares them (the newest definition
 * no newer than the client's version), and the Device instance. */
lwm2m_model *bench_client_base_model(void)
{
    static const uint16_t ids[] = {0, 1, 2, 3};
    lwm2m_model *m = lwm2m_model_new();
    for (size_t i = 0; m != NULL && i < sizeof ids / sizeof ids[0]; i++) {
        const lwm2m_object_def *best = NULL;
        for (size_t k = 0; k < lwm2m_objdef_builtin_count(); k++) {
            const lwm2m_object_def *d = lwm2m_objdef_builtin_at(k);
            if (d->id != ids[i] || lwm2m_version_compare(d->version, BENCH_LWM2M_VERSION) > 0)
                continue;
            if (best == NULL || lwm2m_version_compare(d->version, best->version) > 0)
                best = d;
        }
        if (best == NULL || lwm2m_model_add_object(m, best, NULL) != LWM2M_OK) {
            lwm2m_model_free(m);
            m = NULL;
        }
    }
    if (m != NULL && (set_str(m, lwm2m_path_res(3, 0, 0), "lwm2m-bootstrap") != LWM2M_OK ||
                      set_str(m, lwm2m_path_res(3, 0, 1), "lwm2m-bench") != LWM2M_OK ||
                      set_str(m, lwm2m_path_res(3, 0, 16), "U") != LWM2M_OK)) {
        lwm2m_model_free(m);
        m = NULL;
    }
    return m;
}

static int set_bytes(lwm2m_model *m, lwm2m_path p, const uint8_t *data, size_t len)
{
    lwm2m_value v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, data, len);
    return lwm2m_model_set(m, &p, &v);
}

/* /0/0's key material in RPK or certificate mode, as lwm2m-client holds it: its public key
 * (SPKI) or certificate, the server's public key (RPK) or the CA certificate as trust anchor
 * (X.509, Certificate Usage 2), and its private key. */
static int factory_pki(bench_sim *s)
{
    const bench_keys *k = s->run->keys;
    lwm2m_model *m = s->model;
    bool rpk = k->mode == BENCH_PKI_RPK;
    size_t key_len = 0, own_len = 0;
    const uint8_t *key = bench_keys_key(k, s->ep_index, &key_len);
    const uint8_t *own = bench_keys_own(k, s->ep_index, &own_len);
    lwm2m_value usage = lwm2m_value_int(2);
    lwm2m_path p15 = lwm2m_path_res(0, 0, 15);
    if (set_bytes(m, lwm2m_path_res(0, 0, 3), own, own_len) != LWM2M_OK ||
        set_bytes(m, lwm2m_path_res(0, 0, 4), rpk ? k->server_pub : k->ca_cert,
                  rpk ? k->server_pub_len : k->ca_cert_len) != LWM2M_OK ||
        set_bytes(m, lwm2m_path_res(0, 0, 5), key, key_len) != LWM2M_OK)
        return -1;
    return rpk || lwm2m_model_set(m, &p15, &usage) == LWM2M_OK ? 0 : -1;
}

static int64_t security_mode(const bench_opts *o)
{
    return o->psk                     ? LWM2M_SECURITY_PSK
           : o->pki == BENCH_PKI_RPK  ? LWM2M_SECURITY_RPK
           : o->pki == BENCH_PKI_X509 ? LWM2M_SECURITY_CERTIFICATE
                                      : LWM2M_SECURITY_NOSEC;
}

/* The client's own part of the factory configuration: serial number and the
 * Bootstrap-Server account at /0/0 (NoSec; PSK with the endpoint's identity and key; RPK or
 * X.509 with its keys from the seed). */
static int factory(bench_sim *s, const uint8_t *key)
{
    const bench_opts *o = s->run->opts;
    lwm2m_model *m = s->model;
    lwm2m_value yes = lwm2m_value_bool(true);
    lwm2m_value mode = lwm2m_value_int(security_mode(o));
    lwm2m_path p1 = lwm2m_path_res(0, 0, 1), p2 = lwm2m_path_res(0, 0, 2);
    if (set_str(m, lwm2m_path_res(3, 0, 2), s->endpoint) != LWM2M_OK ||
        set_str(m, lwm2m_path_res(0, 0, 0), o->server) != LWM2M_OK ||
        lwm2m_model_set(m, &p1, &yes) != LWM2M_OK || lwm2m_model_set(m, &p2, &mode) != LWM2M_OK)
        return -1;
    if (o->pki != BENCH_PKI_NONE)
        return factory_pki(s);
    if (!o->psk)
        return 0;
    lwm2m_value id = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, s->endpoint, strlen(s->endpoint));
    lwm2m_value k = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, key, BENCH_PSK_KEY_LEN);
    lwm2m_path p3 = lwm2m_path_res(0, 0, 3), p5 = lwm2m_path_res(0, 0, 5);
    return lwm2m_model_set(m, &p3, &id) == LWM2M_OK && lwm2m_model_set(m, &p5, &k) == LWM2M_OK ? 0
                                                                                               : -1;
}

int bench_client_start(bench_sim *s)
{
    bench_run *r = s->run;
    const bench_opts *o = r->opts;
    bench_endpoint_name(o->prefix, s->ep_index, s->endpoint);
    s->single_server = bench_single_server(s->ep_index, o->reject_ppm);
    uint8_t key[BENCH_PSK_KEY_LEN];
    if (o->psk)
        bench_psk_key(s->endpoint, key);
    lwm2m_bs_client_config cfg = {{s->single_server ? 1u : 0u, true,
                                   (1u << LWM2M_SECURITY_PSK) | (1u << LWM2M_SECURITY_NOSEC),
                                   LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS},
                                  BENCH_LWM2M_VERSION,
                                  LWM2M_FORMAT_SENML_JSON,
                                  (int64_t)o->timeout_s * 1000};
    if (o->pki != BENCH_PKI_NONE) {
        /* Its own mode too, and Finish checks the key material as lwm2m-client's does. */
        cfg.caps.security_modes |= (uint8_t)(1u << security_mode(o));
        cfg.caps.check_keys = lwm2m_consistency_check_keys;
    }
    s->model = lwm2m_model_clone(r->base);
    if (s->model == NULL || factory(s, key) != 0 ||
        (s->bs = lwm2m_bs_client_new(s->model, &cfg)) == NULL) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "out of memory building the client");
        return -1;
    }
    if (bench_sim_open(s, BENCH_LINK_BS, o->server, "the server") != 0)
        return -1;
    char query[BENCH_NAME_MAX + 32];
    lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
    if (lwm2m_bs_request_query(s->endpoint, BENCH_LWM2M_VERSION, o->format, &q) != LWM2M_OK) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "cannot build the Bootstrap-Request");
        return -1;
    }
    query[q.len] = '\0';
    bench_request req = {LWM2M_METHOD_POST, "/bs", LWM2M_FORMAT_NONE, query, NULL, 0};
    s->start_us = bench_now_us();
    s->exchanges = 1;
    s->phase = SIM_REQUEST;
    return bench_sim_send(s, BENCH_LINK_BS, &req);
}

/* The transaction starts at the Bootstrap-Request's 2.04 (or at the first command, should it
 * overtake that answer). */
static int begin(bench_sim *s)
{
    s->phase = SIM_BOOTSTRAP;
    if (lwm2m_bs_client_state(s->bs) == LWM2M_BS_IN_PROGRESS ||
        lwm2m_bs_client_begin(s->bs, bench_now_ms()) == LWM2M_OK)
        return 0;
    bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "out of memory starting the transaction");
    return -1;
}

void bench_client_response(bench_sim *s, const bench_reply *reply)
{
    if (s->phase != SIM_REQUEST)
        return; /* answered after a command overtook it: nothing left to do */
    unsigned code = reply->code;
    if (code == LWM2M_CODE_CHANGED) {
        begin(s);
        return;
    }
    size_t len = reply->payload_len;
    const uint8_t *data = reply->payload;
    char why[160];
    snprintf(why, sizeof why, "Bootstrap-Request answered %u.%02u%s%.*s", code >> 5, code & 31,
             len ? ": " : "", (int)(len > 100 ? 100 : len), len ? (const char *)data : "");
    bench_sim_fail(s, BENCH_CAUSE_REFUSED, code, why);
}

/* After Finish 2.04: commit and check what the client now holds. -1 when it could not even
 * commit (the client then answers 5.00, as lwm2m-client does). */
static int finished(bench_sim *s)
{
    if (lwm2m_bs_client_commit(s->bs, (int64_t)time(NULL)) != LWM2M_OK) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "out of memory committing");
        return -1;
    }
    s->end_us = bench_now_us();
    lwm2m_bs_client_free(s->bs);
    s->bs = NULL;
    lwm2m_server_account acc[MAX_ACCOUNTS];
    s->accounts = lwm2m_server_accounts(s->model, acc, MAX_ACCOUNTS);
    /* A client that can use both accounts may still get the fallback: the server remembers
     * the plan an earlier session of this endpoint ended with. */
    if (s->accounts == 0 || s->accounts > 2 || (s->single_server && s->accounts != 1)) {
        char why[96];
        snprintf(why, sizeof why, "committed %zu server account(s)", s->accounts);
        bench_sim_fail(s, BENCH_CAUSE_WRONG_CONFIG, 0, why);
        return 0;
    }
    if (s->op_errors > 0) {
        bench_sim_fail(s, BENCH_CAUSE_OP_REFUSED, 0, NULL);
        return 0;
    }
    s->phase = s->run->opts->reg ? SIM_REGISTER : SIM_DONE;
    bench_sim_queue(s);
    return 0;
}

bench_answer bench_client_request(bench_sim *s, const lwm2m_request *req, lwm2m_response *resp)
{
    bench_run *r = s->run;
    if (s->phase == SIM_REQUEST && begin(s) != 0) {
        bench_reply_text(r, resp, LWM2M_CODE_INTERNAL_ERROR, NULL);
        return BENCH_ANSWER_STRAY;
    }
    if (s->phase != SIM_BOOTSTRAP) {
        /* A session that ended (or a stray request): as a client with no transaction. */
        bench_reply_text(r, resp, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
        return BENCH_ANSWER_STRAY;
    }
    s->exchanges++;
    if (req == NULL) {
        s->op_errors++;
        snprintf(s->why, sizeof s->why, "undecodable request from the server");
        bench_reply_text(r, resp, LWM2M_CODE_BAD_REQUEST, "bad request");
        return BENCH_ANSWER_COMMAND;
    }
    resp->payload = lwm2m_buf_init(r->resp_buf, sizeof r->resp_buf);
    lwm2m_bs_client_handle(s->bs, req, bench_now_ms(), resp);
    bool finish = req->method == LWM2M_METHOD_POST && req->uri_path_len == 3 &&
                  memcmp(req->uri_path, "/bs", 3) == 0;
    if (finish && resp->code == LWM2M_CODE_NOT_ACCEPTABLE) {
        s->answered_406++;
    } else if (resp->code >= 0x80 && s->op_errors++ == 0) {
        snprintf(s->why, sizeof s->why, "answered %.*s with %u.%02u: %.*s", (int)req->uri_path_len,
                 req->uri_path, resp->code >> 5, resp->code & 31, (int)resp->payload.len,
                 (const char *)resp->payload.data);
    }
    if (lwm2m_bs_client_state(s->bs) != LWM2M_BS_FINISHED)
        return BENCH_ANSWER_COMMAND;
    if (finished(s) != 0) {
        resp->code = LWM2M_CODE_INTERNAL_ERROR;
        resp->format = LWM2M_FORMAT_NONE;
        resp->payload.len = 0;
    }
    return BENCH_ANSWER_FINISH;
}
