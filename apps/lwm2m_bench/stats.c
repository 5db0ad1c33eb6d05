/* The counters of a run and the failure causes' names. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const char *bench_cause_name(bench_cause c)
{
    static const char *const names[BENCH_CAUSE_COUNT] = {
        [BENCH_CAUSE_TIMEOUT] = "timeout",
        [BENCH_CAUSE_DTLS] = "dtls-handshake",
        [BENCH_CAUSE_NO_ANSWER] = "no-answer",
        [BENCH_CAUSE_UNREACHABLE] = "unreachable",
        [BENCH_CAUSE_REFUSED] = "request-refused",
        [BENCH_CAUSE_NOT_RECOVERED] = "4.06-not-recovered",
        [BENCH_CAUSE_OP_REFUSED] = "operation-refused",
        [BENCH_CAUSE_WRONG_CONFIG] = "wrong-configuration",
        [BENCH_CAUSE_REGISTER] = "register-failed",
        [BENCH_CAUSE_DEREGISTER] = "deregister-failed",
        [BENCH_CAUSE_INTERNAL] = "internal",
    };
    return (unsigned)c < BENCH_CAUSE_COUNT ? names[c] : "unknown";
}

int bench_stats_init(bench_stats *s)
{
    memset(s, 0, sizeof *s);
    if (bench_hist_init(&s->latency) != 0 || bench_hist_init(&s->reg_latency) != 0) {
        bench_stats_free(s);
        return -1;
    }
    return 0;
}

void bench_stats_free(bench_stats *s)
{
    bench_hist_free(&s->latency);
    bench_hist_free(&s->reg_latency);
    free(s->timeline);
    s->timeline = NULL;
    s->timeline_len = s->timeline_cap = 0;
}

void bench_stats_tick(bench_stats *s, size_t second)
{
    if (second >= s->timeline_cap) {
        size_t cap = s->timeline_cap ? s->timeline_cap : 64;
        while (cap <= second)
            cap *= 2;
        uint32_t *grown = realloc(s->timeline, cap * sizeof *grown);
        if (grown == NULL)
            return; /* the timeline is a detail of the report; the totals stay right */
        memset(grown + s->timeline_cap, 0, (cap - s->timeline_cap) * sizeof *grown);
        s->timeline = grown;
        s->timeline_cap = cap;
    }
    s->timeline[second]++;
    if (second + 1 > s->timeline_len)
        s->timeline_len = second + 1;
}
