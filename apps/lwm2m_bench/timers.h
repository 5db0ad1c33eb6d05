/* The sims' deadlines: an indexed binary min-heap of (when, sim) with at most one entry per
 * sim, so that the loop finds what is due, and how long it may sleep, without walking every
 * sim. Fixed memory (n entries), no allocation after init. */
#ifndef LWM2M_BENCH_TIMERS_H
#define LWM2M_BENCH_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_timers {
    uint32_t *order; /* ids, the earliest first (heap order) */
    uint32_t *slot;  /* per id: its index in `order`, or BENCH_TIMER_NONE */
    int64_t *when;   /* per id */
    size_t len;
    uint32_t n;
} bench_timers;

#define BENCH_TIMER_NONE UINT32_MAX

/* For ids 0..n-1: 0, or -1 when out of memory. */
int bench_timers_init(bench_timers *t, uint32_t n);
void bench_timers_free(bench_timers *t);
/* Sets (or moves) the deadline of `id`. */
void bench_timers_set(bench_timers *t, uint32_t id, int64_t when);
void bench_timers_cancel(bench_timers *t, uint32_t id);
/* The earliest deadline, INT64_MAX when none. */
int64_t bench_timers_next(const bench_timers *t);
/* The id whose deadline is earliest, if it is at or before `now`: true. It stays set. */
bool bench_timers_due(const bench_timers *t, int64_t now, uint32_t *id);

#endif
