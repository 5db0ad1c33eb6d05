/* Latency histogram with log-linear buckets: exact below 1.024 ms, then 512 buckets per power
 * of two (each at most 0.2 % wide), so percentiles are within 0.2 % (well under 1 ms up to
 * half a second) in fixed memory whatever the number of samples. Values in microseconds. */
#ifndef LWM2M_BENCH_HISTOGRAM_H
#define LWM2M_BENCH_HISTOGRAM_H

#include <stdint.h>

typedef struct bench_histogram {
    uint32_t *buckets;
    uint64_t count;
    uint64_t sum_us;
    uint64_t min_us, max_us;
} bench_histogram;

/* 0, or -1 when out of memory. */
int bench_hist_init(bench_histogram *h);
void bench_hist_free(bench_histogram *h);
void bench_hist_add(bench_histogram *h, uint64_t us);
/* The smallest recorded value v such that at least p (0..1) of the samples are <= v (up to
 * the bucket width; the largest sample exactly for p = 1); 0 without samples. */
uint64_t bench_hist_percentile(const bench_histogram *h, double p);
double bench_hist_mean(const bench_histogram *h);

#endif
