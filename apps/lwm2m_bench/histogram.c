/* Log-linear latency histogram (see histogram.h). */
#include "histogram.h"

#include <stdlib.h>
#include <string.h>

#define EXACT   1024u /* values below are their own bucket */
#define SUB     512u  /* buckets per power of two above */
#define SHIFTS  54u   /* up to 2^63 us */
#define BUCKETS (EXACT + SHIFTS * SUB)

static unsigned top_bit(uint64_t v)
{
    unsigned b = 0;
    while (v >>= 1)
        b++;
    return b;
}

static size_t bucket_of(uint64_t us)
{
    if (us < EXACT)
        return (size_t)us;
    unsigned shift = top_bit(us) - 9; /* us >> shift is in [512, 1024) */
    return EXACT + (size_t)(shift - 1) * SUB + (size_t)((us >> shift) - SUB);
}

/* The largest value that falls into bucket b. */
static uint64_t bucket_top(size_t b)
{
    if (b < EXACT)
        return b;
    unsigned shift = (unsigned)((b - EXACT) / SUB) + 1;
    uint64_t m = SUB + (b - EXACT) % SUB;
    return ((m + 1) << shift) - 1;
}

int bench_hist_init(bench_histogram *h)
{
    memset(h, 0, sizeof *h);
    h->buckets = calloc(BUCKETS, sizeof *h->buckets);
    return h->buckets == NULL ? -1 : 0;
}

void bench_hist_free(bench_histogram *h)
{
    free(h->buckets);
    h->buckets = NULL;
}

void bench_hist_add(bench_histogram *h, uint64_t us)
{
    if (h->count == 0 || us < h->min_us)
        h->min_us = us;
    if (us > h->max_us)
        h->max_us = us;
    h->count++;
    h->sum_us += us;
    h->buckets[bucket_of(us)]++;
}

uint64_t bench_hist_percentile(const bench_histogram *h, double p)
{
    if (h->count == 0)
        return 0;
    /* The rank of the sample wanted, 1-based: ceil(p * count), at least 1. */
    double want = p * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t v = bucket_top(b);
            v = v > h->max_us ? h->max_us : v;
            return v < h->min_us ? h->min_us : v;
        }
    }
    return h->max_us;
}

double bench_hist_mean(const bench_histogram *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}
