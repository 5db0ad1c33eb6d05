/* What every sim shares: the clock, the to-do queue, failures, sending its requests, and the
 * libcoap callbacks that route each message to the sim (or lingering session) it belongs to. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lwm2m/coap_code.h"
#include "net/coap_message.h"
#include "net/net_util.h"
#include "run.h"

int64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bench_now_ms(void)
{
    return bench_now_us() / 1000;
}

void bench_sim_queue(bench_sim *s)
{
    if (s->queued)
        return;
    bench_run *r = s->run;
    s->queued = true;
    r->ready[r->ready_len++] = (uint32_t)(s - r->sims);
}

void bench_sim_fail(bench_sim *s, bench_cause cause, unsigned code, const char *why)
{
    if (s->phase == SIM_FAILED || s->phase == SIM_DONE || s->phase == SIM_FREE)
        return; /* the first cause counts */
    s->phase = SIM_FAILED;
    s->cause = cause;
    s->code = code;
    s->awaiting = false;
    if (why != NULL)
        snprintf(s->why, sizeof s->why, "%s", why);
    bench_sim_queue(s);
}

coap_pdu_t *bench_sim_request(bench_sim *s, coap_session_t *session, unsigned method,
                              const char *path, lwm2m_format format, const char *query,
                              const uint8_t *payload, size_t len)
{
    return lwm2m_net_new_request(session, method, path, format, LWM2M_FORMAT_NONE, query, payload,
                                 len, s->token, &s->token_len);
}

int bench_sim_send(bench_sim *s, coap_session_t *session, coap_pdu_t *pdu)
{
    if (pdu == NULL) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "out of memory building a request");
        return -1;
    }
    s->awaiting = true;
    /* coap_send owns the PDU, sent or not. */
    if (coap_send(session, pdu) == COAP_INVALID_MID) {
        bench_sim_fail(s, BENCH_CAUSE_UNREACHABLE, 0, "cannot send");
        return -1;
    }
    return 0;
}

/* ---- libcoap callbacks ------------------------------------------------------------------- */

/* Who a session's app data is: both owners start with their bench_owner. */
static bench_owner owner_of(const void *data)
{
    return data != NULL ? *(const bench_owner *)data : (bench_owner)0;
}

/* The running sim a session belongs to, NULL for none (released, or lingering). */
static bench_sim *sim_of(const coap_session_t *session)
{
    void *data = coap_session_get_app_data(session);
    return owner_of(data) == BENCH_OWNER_SIM ? data : NULL;
}

static bool is_ours(const bench_sim *s, const coap_pdu_t *pdu)
{
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    return s->awaiting && token.length == s->token_len &&
           memcmp(token.s, s->token, token.length) == 0;
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    bench_sim *s = sim_of(session);
    if (s == NULL || !is_ours(s, received))
        return COAP_RESPONSE_OK;
    s->awaiting = false;
    switch (s->phase) {
    case SIM_REQUEST:
        bench_client_response(s, received);
        break;
    case SIM_REGISTERING:
    case SIM_DEREGISTERING:
        bench_register_response(s, received);
        break;
    case SIM_PINGING:
        bench_ping_response(s, received);
        break;
    default:
        break; /* the Request's 2.04 after a command overtook it */
    }
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    bench_sim *s = sim_of(session);
    /* A failed handshake may report the queued request, or nothing. */
    if (s == NULL || (sent != NULL ? !is_ours(s, sent) : reason != COAP_NACK_TLS_FAILED))
        return;
    switch (reason) {
    case COAP_NACK_TLS_FAILED:
        bench_sim_fail(s, BENCH_CAUSE_DTLS, 0, "DTLS handshake failed");
        break;
    case COAP_NACK_TOO_MANY_RETRIES:
        bench_sim_fail(s, BENCH_CAUSE_NO_ANSWER, 0, "no answer after CoAP retransmissions");
        break;
    default:
        bench_sim_fail(s, BENCH_CAUSE_UNREACHABLE, 0,
                       reason == COAP_NACK_RST ? "reset by the peer" : "not deliverable (ICMP)");
        break;
    }
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
    bench_sim *s = sim_of(session);
    if (s != NULL && event == COAP_EVENT_DTLS_ERROR)
        bench_sim_fail(s, BENCH_CAUSE_DTLS, 0, "DTLS error");
    return 0;
}

static void on_request(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    void *data = coap_session_get_app_data(session);
    if (owner_of(data) == BENCH_OWNER_LINGER) {
        bench_linger_request(data, pdu, response);
        return;
    }
    bench_sim *s = sim_of(session);
    if (s == NULL || session != s->session || s->run->opts->mode != BENCH_MODE_BOOTSTRAP) {
        lwm2m_net_reply(response, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
        return;
    }
    bench_client_request(s, pdu, query, response);
}

int bench_sim_install(coap_context_t *ctx)
{
    /* Block-wise bodies (large writes) arrive reassembled, as in lwm2m-client. */
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(ctx, on_response);
    coap_register_nack_handler(ctx, on_nack);
    coap_register_event_handler(ctx, on_event);
    coap_resource_t *any = coap_resource_unknown_init2(on_request, 0);
    if (any == NULL)
        return -1;
    coap_register_request_handler(any, COAP_REQUEST_GET, on_request);
    coap_register_request_handler(any, COAP_REQUEST_POST, on_request);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, on_request);
    coap_add_resource(ctx, any);
    return 0;
}
