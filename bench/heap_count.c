/* Allocation counters behind --wrap=malloc/free/realloc/calloc. The counters are the one piece
 * of global mutable state in the benchmarks: a wrapped malloc has no context argument to carry
 * them. Sizes come from malloc_usable_size, so blocks allocated before the wrap or by libc
 * itself never corrupt the accounting (the driver is single-threaded). */
#include "heap_count.h"

#include <malloc.h>

void *__real_malloc(size_t n);
void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_calloc(size_t n, size_t size);

static heap_stats counters;

static void count_new(void *p)
{
    if (p == NULL)
        return;
    counters.in_use += malloc_usable_size(p);
    counters.blocks++;
    counters.allocations++;
    if (counters.in_use > counters.peak)
        counters.peak = counters.in_use;
}

static void count_gone(void *p)
{
    if (p == NULL)
        return;
    counters.in_use -= malloc_usable_size(p);
    counters.blocks--;
}

void *__wrap_malloc(size_t n)
{
    void *p = __real_malloc(n);
    count_new(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = __real_calloc(n, size);
    count_new(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (p != NULL && n == 0) {
        count_gone(p); /* glibc frees p and returns NULL */
        return __real_realloc(p, n);
    }
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q = __real_realloc(p, n);
    if (q == NULL)
        return NULL; /* p is untouched */
    if (p != NULL) {
        counters.in_use -= old;
        counters.blocks--;
    }
    count_new(q);
    return q;
}

void __wrap_free(void *p)
{
    count_gone(p);
    __real_free(p);
}

heap_stats heap_get(void)
{
    return counters;
}

void heap_reset_peak(void)
{
    counters.peak = counters.in_use;
}
