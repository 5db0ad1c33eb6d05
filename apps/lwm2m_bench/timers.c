/* Indexed min-heap of deadlines (see timers.h). */
#include "timers.h"

#include <stdlib.h>

int bench_timers_init(bench_timers *t, uint32_t n)
{
    t->order = calloc(n ? n : 1, sizeof *t->order);
    t->slot = malloc((n ? n : 1) * sizeof *t->slot);
    t->when = calloc(n ? n : 1, sizeof *t->when);
    t->len = 0;
    t->n = n;
    if (t->order == NULL || t->slot == NULL || t->when == NULL) {
        bench_timers_free(t);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        t->slot[i] = BENCH_TIMER_NONE;
    return 0;
}

void bench_timers_free(bench_timers *t)
{
    free(t->order);
    free(t->slot);
    free(t->when);
    t->order = t->slot = NULL;
    t->when = NULL;
    t->len = 0;
}

static bool earlier(const bench_timers *t, size_t a, size_t b)
{
    return t->when[t->order[a]] < t->when[t->order[b]];
}

/* Puts `id` at position `at` of the heap array and records where it went. */
static void place(bench_timers *t, size_t at, uint32_t id)
{
    t->order[at] = id;
    t->slot[id] = (uint32_t)at;
}

static void exchange(bench_timers *t, size_t a, size_t b)
{
    uint32_t id_a = t->order[a];
    place(t, a, t->order[b]);
    place(t, b, id_a);
}

/* Restores the heap order around position `at` after its deadline changed. */
static void restore(bench_timers *t, size_t at)
{
    while (at > 0 && earlier(t, at, (at - 1) / 2)) {
        exchange(t, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
    for (;;) {
        size_t least = at, kid = 2 * at + 1;
        for (size_t k = kid; k < kid + 2 && k < t->len; k++)
            if (earlier(t, k, least))
                least = k;
        if (least == at)
            return;
        exchange(t, at, least);
        at = least;
    }
}

void bench_timers_set(bench_timers *t, uint32_t id, int64_t when)
{
    if (id >= t->n)
        return;
    t->when[id] = when;
    if (t->slot[id] == BENCH_TIMER_NONE)
        place(t, t->len++, id);
    restore(t, t->slot[id]);
}

void bench_timers_cancel(bench_timers *t, uint32_t id)
{
    if (id >= t->n || t->slot[id] == BENCH_TIMER_NONE)
        return;
    size_t at = t->slot[id], last = --t->len;
    t->slot[id] = BENCH_TIMER_NONE;
    if (at == last)
        return;
    place(t, at, t->order[last]);
    restore(t, at);
}

int64_t bench_timers_next(const bench_timers *t)
{
    return t->len > 0 ? t->when[t->order[0]] : INT64_MAX;
}

bool bench_timers_due(const bench_timers *t, int64_t now, uint32_t *id)
{
    if (t->len == 0 || t->when[t->order[0]] > now)
        return false;
    *id = t->order[0];
    return true;
}
