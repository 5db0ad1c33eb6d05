/* Lingering Bootstrap-Server sessions of bootstrapped clients (see run.h). */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "net/net_util.h"
#include "run.h"

int bench_linger_init(bench_run *r, size_t cap)
{
    r->linger = calloc(cap ? cap : 1, sizeof *r->linger);
    r->linger_cap = cap;
    r->linger_head = r->linger_len = 0;
    return r->linger == NULL ? -1 : 0;
}

static void release_oldest(bench_run *r)
{
    bench_lingerer *l = &r->linger[r->linger_head];
    coap_session_set_app_data(l->session, NULL);
    coap_session_release(l->session);
    memset(l, 0, sizeof *l);
    r->linger_head = (r->linger_head + 1) % r->linger_cap;
    r->linger_len--;
}

void bench_linger_add(bench_run *r, coap_session_t *session, coap_mid_t finish_mid)
{
    if (r->linger_cap == 0 || r->opts->linger_s == 0) {
        coap_session_set_app_data(session, NULL);
        coap_session_release(session);
        return;
    }
    if (r->linger_len == r->linger_cap) {
        r->stats.linger_cut++;
        release_oldest(r);
    }
    bench_lingerer *l = &r->linger[(r->linger_head + r->linger_len++) % r->linger_cap];
    l->owner = BENCH_OWNER_LINGER;
    l->run = r;
    l->session = session;
    l->until_ms = bench_now_ms() + (int64_t)r->opts->linger_s * 1000;
    l->finish_mid = finish_mid;
    coap_session_set_app_data(session, l);
}

void bench_linger_expire(bench_run *r, int64_t now_ms, bool all)
{
    while (r->linger_len > 0 && (all || r->linger[r->linger_head].until_ms <= now_ms))
        release_oldest(r);
    if (r->linger_len == 0)
        r->linger_head = 0;
}

void bench_linger_request(bench_lingerer *l, const coap_pdu_t *pdu, coap_pdu_t *response)
{
    /* Only the Finish answered 2.04 comes again (its 2.04 was lost): the same answer. */
    if (coap_pdu_get_mid(pdu) == l->finish_mid) {
        l->run->stats.finish_repeated++;
        coap_pdu_set_code(response, (coap_pdu_code_t)LWM2M_CODE_CHANGED);
        return;
    }
    lwm2m_net_reply(response, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
}
