/* The storm's loop (see run.h): sessions started up to the concurrency, finished sims counted
 * and released, deadlines enforced from the timer heap, the measurements taken around it. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "app_loop.h"
#include "procstat.h"
#include "report.h"

#define TICK_MS      20    /* signal checks, when the transport does not watch the descriptor */
#define MAX_WAIT_MS  1000  /* longest wait of one turn */
#define LOG_FAILURES 10    /* failures written to stderr one by one; then only counted */
#define LINGER_MAX   16384 /* lingering sessions at most (descriptors permitting) */

/* ---- the loop ---------------------------------------------------------------------------- */

static const char *phase_name(sim_phase p)
{
    switch (p) {
    case SIM_REQUEST:
        return "waiting for the Bootstrap-Request's answer";
    case SIM_BOOTSTRAP:
        return "waiting for the server's commands";
    case SIM_REGISTERING:
        return "waiting for Register's answer";
    case SIM_DEREGISTERING:
        return "waiting for De-register's answer";
    case SIM_PINGING:
        return "waiting for a ping answer";
    default:
        return "in the loop";
    }
}

static void log_failure(bench_run *r, const bench_sim *s)
{
    if (r->opts->quiet || r->logged++ >= LOG_FAILURES)
        return;
    fprintf(stderr, BENCH_PROG ": %s%sfailed: %s%s%s\n", s->endpoint,
            s->endpoint[0] ? " " : "session ", bench_cause_name(s->cause), s->why[0] ? ": " : "",
            s->why);
    if (r->logged == LOG_FAILURES)
        fprintf(stderr, BENCH_PROG ": further failures are only counted\n");
}

/* Counts a finished sim. */
static void account(bench_run *r, const bench_sim *s)
{
    bench_stats *st = &r->stats;
    st->answered_406 += s->answered_406;
    if (s->phase == SIM_FAILED) {
        st->failed++;
        st->causes[s->cause]++;
        if (s->cause == BENCH_CAUSE_REFUSED || s->cause == BENCH_CAUSE_REGISTER ||
            s->cause == BENCH_CAUSE_DEREGISTER)
            st->refused_codes[s->code & 0xff]++;
        log_failure(r, s);
        return;
    }
    int64_t now = bench_now_us();
    st->completed++;
    bench_hist_add(&st->latency, (uint64_t)(s->end_us - s->start_us));
    st->exchanges += s->exchanges;
    if (st->completed == 1 || s->exchanges < st->exchanges_min)
        st->exchanges_min = s->exchanges;
    if (s->exchanges > st->exchanges_max)
        st->exchanges_max = s->exchanges;
    if (r->opts->mode == BENCH_MODE_BOOTSTRAP) {
        st->recovered += s->answered_406 > 0;
        st->primary += s->accounts == 2;
        st->fallback += s->accounts == 1;
    }
    if (r->opts->reg) {
        bench_hist_add(&st->reg_latency, (uint64_t)(s->reg_end_us - s->reg_start_us));
        st->reg_exchanges += s->reg_exchanges;
    }
    bench_stats_tick(st, (size_t)((now - r->t0_us) / 1000000));
}

/* Closes the sim's links (a bootstrapped client's Bootstrap-Server link lingers), releases its
 * memory and frees its slot. */
static void release(bench_run *r, bench_sim *s)
{
    r->io->close(s, s->phase == SIM_DONE && r->opts->mode == BENCH_MODE_BOOTSTRAP);
    lwm2m_bs_client_free(s->bs);
    lwm2m_model_free(s->model);
    if (r->opts->mode == BENCH_MODE_BOOTSTRAP)
        r->busy[s->ep_index] = 0;
    uint32_t slot = (uint32_t)(s - r->sims);
    bench_timers_cancel(&r->timers, slot);
    memset(s, 0, sizeof *s);
    s->owner = BENCH_OWNER_SIM;
    s->run = r;
    r->free_slots[r->free_len++] = slot;
    r->in_flight--;
}

static void drain(bench_run *r)
{
    while (r->ready_len > 0) {
        bench_sim *s = &r->sims[r->ready[--r->ready_len]];
        s->queued = false;
        switch (s->phase) {
        case SIM_REGISTER:
        case SIM_DEREGISTER:
            bench_register_step(s);
            break;
        case SIM_PING:
            bench_ping_step(s);
            break;
        case SIM_DONE:
        case SIM_FAILED:
            account(r, s);
            release(r, s);
            break;
        default:
            break;
        }
    }
}

static void start_one(bench_run *r)
{
    const bench_opts *o = r->opts;
    bench_sim *s = &r->sims[r->free_slots[--r->free_len]];
    s->deadline_ms = bench_now_ms() + (int64_t)o->timeout_s * 1000;
    s->retx_ms = INT64_MAX;
    bench_sim_schedule(s);
    r->in_flight++;
    r->stats.started++;
    if (r->in_flight > r->stats.peak_in_flight)
        r->stats.peak_in_flight = r->in_flight;
    if (o->mode == BENCH_MODE_PING) {
        bench_ping_start(s);
        return;
    }
    /* Endpoints are cycled; one that still runs (a slow session) is skipped, since the server
     * would cancel its session for the newer request. concurrency <= endpoints: one is free. */
    while (r->busy[r->next_ep])
        r->next_ep = (r->next_ep + 1) % o->endpoints;
    s->ep_index = r->next_ep;
    r->busy[s->ep_index] = 1;
    r->next_ep = (r->next_ep + 1) % o->endpoints;
    bench_client_start(s);
}

/* The sim's deadline or retransmission is due. */
static void sim_due(bench_run *r, bench_sim *s, int64_t now_ms)
{
    if (s->phase == SIM_FREE || s->phase == SIM_DONE || s->phase == SIM_FAILED) {
        bench_timers_cancel(&r->timers, (uint32_t)(s - r->sims));
        return;
    }
    if (now_ms >= s->deadline_ms) {
        bench_cause cause = BENCH_CAUSE_TIMEOUT;
        if (r->io->handshaking != NULL && r->io->handshaking(s))
            cause = BENCH_CAUSE_DTLS;
        else if (s->phase == SIM_BOOTSTRAP && s->answered_406 > 0)
            cause = BENCH_CAUSE_NOT_RECOVERED;
        char why[160];
        snprintf(why, sizeof why, "not done within %u s (%s%s)", (unsigned)r->opts->timeout_s,
                 cause == BENCH_CAUSE_DTLS ? "DTLS handshake unfinished, " : "",
                 phase_name(s->phase));
        bench_sim_fail(s, cause, 0, why);
        return;
    }
    if (r->io->retransmit != NULL && now_ms >= s->retx_ms)
        r->io->retransmit(s, now_ms);
    if (s->phase == SIM_FAILED)
        return;
    if (s->retx_ms <= now_ms)
        s->retx_ms = INT64_MAX; /* nothing left to retransmit */
    bench_sim_schedule(s);
}

static void run_timers(bench_run *r, int64_t now_ms)
{
    uint32_t id;
    while (bench_timers_due(&r->timers, now_ms, &id))
        sim_due(r, &r->sims[id], now_ms);
}

static bool may_start(const bench_run *r, bool stopping, int64_t now_us)
{
    const bench_opts *o = r->opts;
    if (stopping || r->free_len == 0)
        return false;
    if (o->count > 0)
        return r->stats.started < o->count;
    return now_us - r->t0_us < (int64_t)o->duration_s * 1000000;
}

static void progress(const bench_run *r, int64_t now_us, uint64_t *last_completed)
{
    double s = (double)(now_us - r->t0_us) / 1e6;
    fprintf(stderr, BENCH_PROG ": %.0f s: %llu completed (%llu/s), %llu failed, %u in flight\n", s,
            (unsigned long long)r->stats.completed,
            (unsigned long long)(r->stats.completed - *last_completed),
            (unsigned long long)r->stats.failed, (unsigned)r->in_flight);
    *last_completed = r->stats.completed;
}

/* How long the next turn may wait: until the nearest deadline (a sim's, a lingerer's, the
 * signal tick's, the progress line's). */
static int wait_ms(const bench_run *r, int64_t now_us, int64_t next_tick_ms, int64_t next_progress)
{
    if (r->ready_len > 0)
        return 0;
    int64_t due_ms = bench_timers_next(&r->timers), linger = bench_linger_next(r);
    if (linger < due_ms)
        due_ms = linger;
    if (!r->io->watches_signals && next_tick_ms < due_ms)
        due_ms = next_tick_ms;
    int64_t wait = due_ms == INT64_MAX ? MAX_WAIT_MS : due_ms - now_us / 1000;
    if (!r->opts->quiet && (next_progress - now_us + 999) / 1000 < wait)
        wait = (next_progress - now_us + 999) / 1000;
    return wait <= 0 ? 0 : wait > MAX_WAIT_MS ? MAX_WAIT_MS : (int)wait;
}

/* Whether SIGINT or SIGTERM arrived: the descriptor is read when the transport saw it
 * readable, else every tick. */
static int signal_caught(bench_run *r, int sfd, int64_t now_ms, int64_t *next_tick_ms)
{
    if (sfd < 0)
        return 0;
    if (r->io->watches_signals) {
        if (!r->signal_ready)
            return 0;
        r->signal_ready = false;
    } else {
        if (now_ms < *next_tick_ms)
            return 0;
        *next_tick_ms = now_ms + TICK_MS;
    }
    return lwm2m_app_signal_caught(sfd);
}

/* Runs sessions until the count is reached or the duration is over, and all have ended. */
static void loop(bench_run *r, int sfd)
{
    bool stopping = false;
    int64_t next_tick = 0, next_progress = r->t0_us + 1000000;
    uint64_t last_completed = 0;
    for (;;) {
        int64_t now = bench_now_us();
        while (may_start(r, stopping, now))
            start_one(r);
        drain(r);
        if (r->in_flight == 0 && !may_start(r, stopping, now))
            break;
        r->io->turn(r, wait_ms(r, bench_now_us(), next_tick, next_progress));
        drain(r);
        now = bench_now_us();
        run_timers(r, now / 1000);
        bench_linger_expire(r, now / 1000, false);
        int sig = signal_caught(r, sfd, now / 1000, &next_tick);
        if (sig != 0 && !stopping) {
            stopping = true;
            fprintf(stderr, BENCH_PROG ": signal %d: no new sessions, waiting for %u\n", sig,
                    (unsigned)r->in_flight);
        }
        if (!r->opts->quiet && now >= next_progress) {
            next_progress += 1000000;
            progress(r, now, &last_completed);
        }
    }
}

/* ---- set-up ------------------------------------------------------------------------------ */

/* A seed for the run's random numbers that differs from run to run. */
static uint64_t seed_of_run(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    z ^= (uint64_t)getpid() << 40;
    /* splitmix64's finaliser spreads it over every bit; never 0 (xorshift's fixed point). */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 1;
}

static int setup(bench_run *r, const bench_opts *o, const bench_keys *keys, int sfd)
{
    memset(r, 0, sizeof *r);
    r->opts = o;
    r->keys = keys;
    r->io = o->io == BENCH_IO_UDP ? &bench_io_udp : &bench_io_libcoap;
    r->rng = seed_of_run();
    uint32_t c = o->concurrency;
    r->sims = calloc(c, sizeof *r->sims);
    r->ready = calloc(c, sizeof *r->ready);
    r->free_slots = calloc(c, sizeof *r->free_slots);
    if (o->mode == BENCH_MODE_BOOTSTRAP)
        r->busy = calloc(o->endpoints, 1);
    if (bench_stats_init(&r->stats) != 0 || r->sims == NULL || r->ready == NULL ||
        r->free_slots == NULL || (o->mode == BENCH_MODE_BOOTSTRAP && r->busy == NULL) ||
        bench_timers_init(&r->timers, c) != 0) {
        fprintf(stderr, BENCH_PROG ": out of memory for %u sessions\n", (unsigned)c);
        return -1;
    }
    for (uint32_t i = 0; i < c; i++) {
        r->sims[i].owner = BENCH_OWNER_SIM;
        r->sims[i].run = r;
        r->free_slots[r->free_len++] = c - 1 - i;
    }
    if (o->mode == BENCH_MODE_BOOTSTRAP && (r->base = bench_client_base_model()) == NULL) {
        fprintf(stderr, BENCH_PROG ": cannot build the client's object model\n");
        return -1;
    }
    if (r->io->setup(r, sfd) != 0) {
        r->io->teardown(r);
        r->io = NULL;
        return -1;
    }
    return 0;
}

static void teardown(bench_run *r)
{
    if (r->io != NULL) {
        if (r->sims != NULL)
            for (uint32_t i = 0; i < r->opts->concurrency; i++)
                if (r->sims[i].phase != SIM_FREE)
                    release(r, &r->sims[i]);
        if (r->linger != NULL)
            bench_linger_expire(r, 0, true);
        r->io->teardown(r);
    }
    free(r->linger);
    lwm2m_model_free(r->base);
    bench_stats_free(&r->stats);
    bench_timers_free(&r->timers);
    free(r->sims);
    free(r->ready);
    free(r->free_slots);
    free(r->busy);
}

/* Descriptors: one socket per session (two with --register) and a few of libcoap's and
 * stdio's; what is left holds lingering sessions. With DTLS every socket must stay below
 * FD_SETSIZE: libcoap 4.3.1's GnuTLS layer select()s on a session's socket during the
 * handshake, and glibc aborts the process for a descriptor beyond FD_SETSIZE. 0, or -1 with
 * the message printed. */
static int plan_descriptors(const bench_opts *o, size_t *linger_cap)
{
    long limit = bench_raise_nofile();
    if (bench_dtls(o) && limit > FD_SETSIZE)
        limit = FD_SETSIZE;
    size_t need = (size_t)o->concurrency * (o->reg ? 2 : 1) + 64;
    if (limit < 0 || (size_t)limit < need) {
        fprintf(stderr, BENCH_PROG ": %zu descriptors needed, the limit is %ld (%s)\n", need, limit,
                bench_dtls(o)
                    ? "DTLS sockets must stay below FD_SETSIZE with libcoap 4.3.1's GnuTLS "
                      "layer: lower --concurrency"
                    : "ulimit -n");
        return -1;
    }
    size_t spare = (size_t)limit - need;
    *linger_cap = o->mode == BENCH_MODE_BOOTSTRAP && o->linger_s > 0
                      ? (spare < LINGER_MAX ? spare : LINGER_MAX)
                      : 0;
    return 0;
}

/* After the last session: lingering links still answer a repeated Finish until their time
 * is over. */
static void linger_out(bench_run *r)
{
    while (r->linger_len > 0) {
        int64_t wait = bench_linger_next(r) - bench_now_ms();
        r->io->turn(r, wait <= 0 ? 0 : wait > 100 ? 100 : (int)wait);
        bench_linger_expire(r, bench_now_ms(), false);
    }
}

/* --rpk / --x509: the endpoints' keys and the server's, from the seed's directory. 0, or -1
 * with the message printed. */
static int load_keys(const bench_opts *o, bench_keys *keys)
{
    char err[BENCH_PATH_MAX + 200];
    if (o->pki == BENCH_PKI_NONE ||
        bench_keys_load(o->pki_dir, o->pki, o->prefix, o->endpoints, keys, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, BENCH_PROG ": --%s %s: %s\n", bench_pki_mode_name(o->pki), o->pki_dir, err);
    return -1;
}

int bench_run_main(const bench_opts *o)
{
    size_t linger_cap = 0;
    bench_keys keys;
    memset(&keys, 0, sizeof keys);
    if (plan_descriptors(o, &linger_cap) != 0 || load_keys(o, &keys) != 0)
        return 1;
    int sfd = lwm2m_app_signals_open(NULL);
    if (sfd < 0)
        fprintf(stderr, BENCH_PROG ": signals not watched: %s\n", strerror(errno));
    bench_run *r = malloc(sizeof *r);
    int status = 1, ok = r != NULL ? setup(r, o, o->pki != BENCH_PKI_NONE ? &keys : NULL, sfd) : -1;
    if (ok == 0 && bench_linger_init(r, linger_cap) != 0)
        ok = -1;
    if (ok != 0 && (r == NULL || r->linger == NULL))
        fprintf(stderr, BENCH_PROG ": out of memory\n");
    if (ok == 0) {
        bench_result res;
        memset(&res, 0, sizeof res);
        res.opts = o;
        res.stats = &r->stats;
        for (size_t i = 0; i < o->n_pids; i++)
            bench_proc_sample(o->pids[i], &res.before[i]);
        bench_self_sample(&res.self_before);
        r->t0_us = bench_now_us();
        loop(r, sfd);
        res.elapsed_s = (double)(bench_now_us() - r->t0_us) / 1e6;
        bench_self_sample(&res.self_after);
        for (size_t i = 0; i < o->n_pids; i++)
            bench_proc_sample(o->pids[i], &res.after[i]);
        linger_out(r);
        if (o->json)
            bench_report_json(stdout, &res);
        else
            bench_report_text(stdout, &res);
        bool all = o->count == 0 || r->stats.completed == o->count;
        status = r->stats.failed == 0 && all ? 0 : 1;
    }
    if (r != NULL)
        teardown(r);
    free(r);
    bench_keys_free(&keys);
    lwm2m_app_signals_close(sfd, NULL);
    return status;
}
