/* The report of a storm or ping run: text for a reader, or one JSON object (--json). */
#ifndef LWM2M_BENCH_REPORT_H
#define LWM2M_BENCH_REPORT_H

#include <stdio.h>

#include "bench.h"
#include "procstat.h"

typedef struct bench_result {
    const bench_opts *opts;
    const bench_stats *stats;
    double elapsed_s; /* first session started .. last one ended */
    bench_proc before[BENCH_MAX_PIDS], after[BENCH_MAX_PIDS];
    bench_self self_before, self_after;
} bench_result;

void bench_report_text(FILE *f, const bench_result *r);
/* 0, or -1 when out of memory (nothing printed). */
int bench_report_json(FILE *f, const bench_result *r);

#endif
