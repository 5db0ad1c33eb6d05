/* A ping session: K plain CON POST /ping exchanges in a row over a fresh link, as many round
 * trips as a bootstrap makes, against `lwm2m-bench responder`: the ceiling of this machine,
 * the transport and the loop, with no LwM2M work on either side. With --psk the link is a
 * fresh DTLS PSK session (a full handshake each): with one exchange, the raw handshake rate. */
#include <stdio.h>

#include "lwm2m/coap_code.h"
#include "run.h"

int bench_ping_start(bench_sim *s)
{
    bench_run *r = s->run;
    /* With --psk a fresh DTLS session each, its identity "ping-" and the session's number:
     * the responder accepts any (with the key derived from it, or --psk-key on both sides). */
    if (r->opts->psk)
        snprintf(s->endpoint, sizeof s->endpoint, "ping-%llu",
                 (unsigned long long)(r->stats.started - 1));
    /* The session opens (with DTLS: the handshake starts) inside the measured time. */
    s->start_us = bench_now_us();
    if (bench_sim_open(s, BENCH_LINK_BS, r->opts->server, "the responder") != 0)
        return -1;
    s->exchanges = 0;
    s->phase = SIM_PING;
    bench_ping_step(s);
    return s->phase == SIM_FAILED ? -1 : 0;
}

void bench_ping_step(bench_sim *s)
{
    if (s->phase != SIM_PING)
        return;
    bench_request req = {LWM2M_METHOD_POST, "/ping", LWM2M_FORMAT_NONE, NULL, NULL, 0};
    s->phase = SIM_PINGING;
    bench_sim_send(s, BENCH_LINK_BS, &req);
}

void bench_ping_response(bench_sim *s, const bench_reply *reply)
{
    unsigned code = reply->code;
    if (code != LWM2M_CODE_CHANGED) {
        char why[64];
        snprintf(why, sizeof why, "ping answered %u.%02u", code >> 5, code & 31);
        bench_sim_fail(s, BENCH_CAUSE_REFUSED, code, why);
        return;
    }
    if (++s->exchanges >= s->run->opts->exchanges) {
        s->end_us = bench_now_us();
        s->phase = SIM_DONE;
    } else {
        s->phase = SIM_PING;
    }
    bench_sim_queue(s);
}
