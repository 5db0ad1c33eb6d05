/* Helpers shared by the benchmark programs: a monotonic clock, order statistics, a small
 * deterministic random generator, and the machine's description for the reports. */
#ifndef LWM2M_BENCH_UTIL_H
#define LWM2M_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/* Sorts `v` in place and returns its median (0 for n == 0). */
double bench_median(double *v, size_t n);

/* The p-th percentile (0..100, nearest rank) of an ascending array; 0 for n == 0. */
int64_t bench_percentile(const int64_t *sorted, size_t n, double p);
void bench_sort_i64(int64_t *v, size_t n);

/* xorshift64*: the same sequence on every run for a given seed (seed 0 is replaced). */
typedef struct bench_rng {
    uint64_t s;
} bench_rng;
bench_rng bench_rng_init(uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);

/* Parses a positive decimal (size) or a positive double; 0 on success, -1 otherwise. */
int bench_parse_size(const char *s, size_t *out);
int bench_parse_seconds(const char *s, double *out);

/* Writes `s` as a JSON string literal (quotes included). */
void bench_json_string(FILE *f, const char *s);

/* CPU model from /proc/cpuinfo ("unknown" when unreadable). */
void bench_cpu_model(char *out, size_t cap);

#endif
