/* What every sim shares, whatever the transport: the clock, the run's random numbers, the
 * to-do queue and the timers, failures, opening links and sending requests, and routing the
 * answer to our request to the part of the sim that waits for it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lwm2m/coap_code.h"
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

uint32_t bench_random(bench_run *r)
{
    /* xorshift64* (Vigna): fast, and good enough for tokens, message IDs and jitter. */
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

void bench_sim_queue(bench_sim *s)
{
    if (s->queued)
        return;
    bench_run *r = s->run;
    s->queued = true;
    r->ready[r->ready_len++] = (uint32_t)(s - r->sims);
}

void bench_sim_schedule(bench_sim *s)
{
    bench_run *r = s->run;
    int64_t when = s->retx_ms < s->deadline_ms ? s->retx_ms : s->deadline_ms;
    bench_timers_set(&r->timers, (uint32_t)(s - r->sims), when);
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
    /* Nothing is due any more: the loop counts and releases it. */
    bench_timers_cancel(&s->run->timers, (uint32_t)(s - s->run->sims));
    bench_sim_queue(s);
}

int bench_sim_open(bench_sim *s, bench_link link, const char *uri, const char *what)
{
    if (s->run->io->open(s, link, uri) == 0)
        return 0;
    char why[160];
    snprintf(why, sizeof why, "cannot open a session to %.100s", what);
    bench_sim_fail(s, BENCH_CAUSE_UNREACHABLE, 0, why);
    return -1;
}

int bench_sim_send(bench_sim *s, bench_link link, const bench_request *req)
{
    s->out_link = link;
    return s->run->io->send(s, link, req);
}

void bench_sim_response(bench_sim *s, const bench_reply *reply)
{
    switch (s->phase) {
    case SIM_REQUEST:
        bench_client_response(s, reply);
        break;
    case SIM_REGISTERING:
    case SIM_DEREGISTERING:
        bench_register_response(s, reply);
        break;
    case SIM_PINGING:
        bench_ping_response(s, reply);
        break;
    default:
        break; /* the Request's 2.04 after a command overtook it */
    }
}

void bench_reply_text(bench_run *r, lwm2m_response *resp, unsigned code, const char *diag)
{
    resp->code = code;
    resp->format = LWM2M_FORMAT_NONE;
    resp->payload = lwm2m_buf_init(r->resp_buf, sizeof r->resp_buf);
    size_t len = diag != NULL ? strlen(diag) : 0;
    if (len > 0) {
        lwm2m_buf_put(&resp->payload, diag, len < sizeof r->resp_buf ? len : sizeof r->resp_buf);
        resp->format = LWM2M_FORMAT_TEXT;
    }
}
