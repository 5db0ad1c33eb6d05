/* The libcoap transport (`--io libcoap`, the default): one coap_context, one client session per
 * link (coap:// NoSec, or coaps:// DTLS PSK, RPK or X.509 as lwm2m_net_session_for_uri does).
 * libcoap retransmits, deduplicates what it can and reassembles block-wise bodies; its callbacks
 * decode each message and route it to the sim (or lingering session) it belongs to. */
#include <stdio.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "net/coap_message.h"
#include "net/net_util.h"
#include "run.h"

#define WAIT_MS 10 /* longest wait in libcoap per turn */

/* ---- links ------------------------------------------------------------------------------- */

static int link_open(bench_sim *s, bench_link link, const char *uri)
{
    bench_run *r = s->run;
    if (r->opts->pki != BENCH_PKI_NONE && link == BENCH_LINK_BS) {
        /* RPK / X.509: the endpoint's key pair (and certificate) from the seed. */
        coap_session_t *session = bench_session_open_pki(r, uri, s->ep_index);
        if (session == NULL) {
            bench_sim_fail(s, BENCH_CAUSE_DTLS, 0, "libcoap refused the endpoint's key pair");
            return -1;
        }
        coap_session_set_app_data(session, s);
        s->session = session;
        return 0;
    }
    /* PSK: identity = the endpoint name, key derived from it (endpoint.h) or ping's
     * --psk-key. */
    bool psk = r->opts->psk && link == BENCH_LINK_BS;
    uint8_t key[BENCH_PSK_KEY_MAX];
    size_t key_len =
        psk ? bench_psk_key_for(s->endpoint, r->opts->psk_key, r->opts->psk_key_len, key) : 0;
    coap_session_t *session =
        bench_session_open(r, uri, psk ? (const uint8_t *)s->endpoint : NULL,
                           psk ? strlen(s->endpoint) : 0, psk ? key : NULL, key_len);
    if (session == NULL)
        return -1;
    coap_session_set_app_data(session, s);
    if (link == BENCH_LINK_BS)
        s->session = session;
    else
        s->reg_session = session;
    return 0;
}

static int link_send(bench_sim *s, bench_link link, const bench_request *req)
{
    coap_session_t *session = link == BENCH_LINK_BS ? s->session : s->reg_session;
    coap_pdu_t *pdu =
        lwm2m_net_new_request(session, req->method, req->path, req->format, LWM2M_FORMAT_NONE,
                              req->query, req->payload, req->len, s->token, &s->token_len);
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

static void release_session(coap_session_t *session)
{
    coap_session_set_app_data(session, NULL);
    coap_session_release(session);
}

static void links_close(bench_sim *s, bool keep_bs)
{
    if (s->session != NULL && keep_bs) {
        bench_lingerer *l = bench_linger_add(s->run, s->finish_mid);
        if (l != NULL) {
            l->session = s->session;
            coap_session_set_app_data(s->session, l);
            s->session = NULL;
        }
    }
    if (s->session != NULL)
        release_session(s->session);
    if (s->reg_session != NULL)
        release_session(s->reg_session);
    s->session = s->reg_session = NULL;
}

static void linger_close(bench_lingerer *l)
{
    if (l->session != NULL)
        release_session(l->session);
    l->session = NULL;
}

static bool handshaking(const bench_sim *s)
{
    return s->session != NULL && coap_session_get_proto(s->session) == COAP_PROTO_DTLS &&
           coap_session_get_state(s->session) != COAP_SESSION_STATE_ESTABLISHED;
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
    bench_reply reply = {(unsigned)coap_pdu_get_code(received), NULL, 0, ""};
    coap_get_data(received, &reply.payload_len, &reply.payload);
    char location[sizeof s->location] = "";
    if (s->phase == SIM_REGISTERING) {
        lwm2m_net_location_path(received, location, sizeof location);
        reply.location = location;
    }
    bench_sim_response(s, &reply);
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

/* Only the Finish answered 2.04 comes again to a lingering session (its 2.04 was lost): the
 * same answer. */
static void linger_request(bench_lingerer *l, const coap_pdu_t *pdu, coap_pdu_t *response)
{
    if (coap_pdu_get_mid(pdu) == l->finish_mid) {
        l->run->stats.finish_repeated++;
        coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CHANGED);
        return;
    }
    lwm2m_net_reply(response, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
}

static void on_request(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    void *data = coap_session_get_app_data(session);
    if (owner_of(data) == BENCH_OWNER_LINGER) {
        linger_request(data, pdu, response);
        return;
    }
    bench_sim *s = sim_of(session);
    if (s == NULL || session != s->session || s->run->opts->mode != BENCH_MODE_BOOTSTRAP) {
        lwm2m_net_reply(response, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
        return;
    }
    coap_mid_t mid = coap_pdu_get_mid(pdu);
    if (s->exchanges > 1 && mid == s->last_mid &&
        coap_pdu_get_code(pdu) != (coap_pdu_code_t)LWM2M_METHOD_GET) {
        /* libcoap 4.3.1 hands a retransmitted request over again: our answer was lost. The
         * same answer, not a second Write or Finish (RFC 7252 4.5). */
        s->run->stats.duplicates++;
        coap_pdu_set_code(response, (coap_pdu_code_t)s->last_code);
        return;
    }
    lwm2m_net_scratch scratch;
    lwm2m_request req;
    lwm2m_response resp;
    bool decoded = lwm2m_net_request_from_pdu(pdu, query, &scratch, &req) == LWM2M_OK;
    bench_answer answer = bench_client_request(s, decoded ? &req : NULL, &resp);
    if (answer != BENCH_ANSWER_STRAY) {
        s->last_mid = mid;
        s->last_code = resp.code;
    }
    if (answer == BENCH_ANSWER_FINISH)
        s->finish_mid = mid;
    lwm2m_net_response_to_pdu(&resp, response);
}

/* ---- the transport ----------------------------------------------------------------------- */

static int setup(bench_run *r, int signal_fd)
{
    (void)signal_fd; /* polled by the loop every tick */
    coap_startup();
    coap_set_log_level(LOG_ERR);
    r->ctx = coap_new_context(NULL);
    if (r->ctx == NULL) {
        fprintf(stderr, BENCH_PROG ": cannot create the CoAP context\n");
        return -1;
    }
    /* Block-wise bodies (large writes) arrive reassembled, as in lwm2m-client. */
    coap_context_set_block_mode(r->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(r->ctx, on_response);
    coap_register_nack_handler(r->ctx, on_nack);
    coap_register_event_handler(r->ctx, on_event);
    coap_resource_t *any = coap_resource_unknown_init2(on_request, 0);
    if (any == NULL) {
        fprintf(stderr, BENCH_PROG ": out of memory\n");
        return -1;
    }
    coap_register_request_handler(any, COAP_REQUEST_GET, on_request);
    coap_register_request_handler(any, COAP_REQUEST_POST, on_request);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, on_request);
    coap_add_resource(r->ctx, any);
    return 0;
}

static void teardown(bench_run *r)
{
    if (r->ctx != NULL)
        coap_free_context(r->ctx);
    r->ctx = NULL;
    coap_cleanup();
}

static void turn(bench_run *r, int timeout_ms)
{
    coap_io_process(r->ctx, timeout_ms <= 0        ? COAP_IO_NO_WAIT
                            : timeout_ms > WAIT_MS ? WAIT_MS
                                                   : (uint32_t)timeout_ms);
}

/* In the order of bench_io's members (run.h). */
const bench_io bench_io_libcoap = {setup,        teardown, link_open, link_send,   links_close,
                                   linger_close, turn,     NULL,      handshaking, false};
