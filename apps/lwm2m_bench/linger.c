/* Lingering Bootstrap-Server links of bootstrapped clients (see run.h): a ring, oldest first;
 * the transport fills in and closes what lingers. */
#include <stdlib.h>
#include <string.h>

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
    r->io->linger_close(l);
    memset(l, 0, sizeof *l);
    l->fd = -1;
    r->linger_head = (r->linger_head + 1) % r->linger_cap;
    r->linger_len--;
}

bench_lingerer *bench_linger_add(bench_run *r, int32_t finish_mid)
{
    if (r->linger_cap == 0 || r->opts->linger_s == 0)
        return NULL;
    if (r->linger_len == r->linger_cap) {
        r->stats.linger_cut++;
        release_oldest(r);
    }
    bench_lingerer *l = &r->linger[(r->linger_head + r->linger_len++) % r->linger_cap];
    memset(l, 0, sizeof *l);
    l->owner = BENCH_OWNER_LINGER;
    l->run = r;
    l->fd = -1;
    l->until_ms = bench_now_ms() + (int64_t)r->opts->linger_s * 1000;
    l->finish_mid = finish_mid;
    return l;
}

void bench_linger_expire(bench_run *r, int64_t now_ms, bool all)
{
    while (r->linger_len > 0 && (all || r->linger[r->linger_head].until_ms <= now_ms))
        release_oldest(r);
    if (r->linger_len == 0)
        r->linger_head = 0;
}

int64_t bench_linger_next(const bench_run *r)
{
    return r->linger_len > 0 ? r->linger[r->linger_head].until_ms : INT64_MAX;
}
