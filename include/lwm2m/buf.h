/* Caller-owned output buffers and bump arenas: codecs never allocate behind the caller's back. */
#ifndef LWM2M_BUF_H
#define LWM2M_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output buffer. Writes past `cap` are dropped but `len` keeps counting, so after an
 * encode that overflowed, `len` is the size that would have been needed. */
typedef struct lwm2m_buf {
    uint8_t *data;
    size_t cap;
    size_t len;
} lwm2m_buf;

static inline lwm2m_buf lwm2m_buf_init(void *data, size_t cap)
{
    lwm2m_buf b;
    b.data = (uint8_t *)data;
    b.cap = cap;
    b.len = 0;
    return b;
}
static inline bool lwm2m_buf_overflowed(const lwm2m_buf *b)
{
    return b->len > b->cap;
}
void lwm2m_buf_put(lwm2m_buf *b, const void *src, size_t n);
void lwm2m_buf_putc(lwm2m_buf *b, uint8_t c);
void lwm2m_buf_puts(lwm2m_buf *b, const char *s);
/* printf into the buffer; returns 0 or LWM2M_ERR_INVALID on an encoding error. */
int lwm2m_buf_printf(lwm2m_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Bump allocator over caller memory. Allocations are freed all at once by reset. */
typedef struct lwm2m_arena {
    uint8_t *base;
    size_t cap;
    size_t used;
} lwm2m_arena;

static inline lwm2m_arena lwm2m_arena_init(void *mem, size_t cap)
{
    lwm2m_arena a;
    a.base = (uint8_t *)mem;
    a.cap = cap;
    a.used = 0;
    return a;
}
static inline void lwm2m_arena_reset(lwm2m_arena *a)
{
    a->used = 0;
}
/* Aligned to `align` (a power of two, or 0/1 for none). NULL when it does not fit. */
void *lwm2m_arena_alloc(lwm2m_arena *a, size_t n, size_t align);
/* Copy of n bytes into the arena, NULL when it does not fit (n == 0 returns a valid pointer). */
void *lwm2m_arena_dup(lwm2m_arena *a, const void *src, size_t n);

#ifdef __cplusplus
}
#endif
#endif
