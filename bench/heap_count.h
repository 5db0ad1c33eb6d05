/* Heap accounting for the footprint driver: linked with
 * -Wl,--wrap=malloc,--wrap=free,--wrap=realloc,--wrap=calloc, every allocation of the program's
 * own objects (the library's included, libc's internal ones not) goes through these counters. */
#ifndef LWM2M_BENCH_HEAP_COUNT_H
#define LWM2M_BENCH_HEAP_COUNT_H

#include <stddef.h>

typedef struct heap_stats {
    size_t in_use;      /* usable bytes of the live blocks (malloc_usable_size) */
    size_t peak;        /* highest in_use since the last heap_reset_peak */
    size_t blocks;      /* live blocks */
    size_t allocations; /* malloc/calloc/realloc calls that returned memory */
} heap_stats;

heap_stats heap_get(void);
void heap_reset_peak(void);

#endif
