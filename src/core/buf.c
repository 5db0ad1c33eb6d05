#include "lwm2m/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m/error.h"

void lwm2m_buf_put(lwm2m_buf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->len < b->cap) {
        size_t room = b->cap - b->len;
        memcpy(b->data + b->len, src, n < room ? n : room);
    }
    b->len += n;
}

void lwm2m_buf_putc(lwm2m_buf *b, uint8_t c)
{
    if (b->len < b->cap)
        b->data[b->len] = c;
    b->len++;
}

void lwm2m_buf_puts(lwm2m_buf *b, const char *s)
{
    lwm2m_buf_put(b, s, strlen(s));
}

int lwm2m_buf_printf(lwm2m_buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LWM2M_ERR_INVALID;
    if ((size_t)n < sizeof tmp) {
        lwm2m_buf_put(b, tmp, (size_t)n);
        return LWM2M_OK;
    }
    /* Longer than the scratch buffer: format straight into the output when it fits. */
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    if ((size_t)n < room) {
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, room, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return LWM2M_OK;
}

void *lwm2m_arena_alloc(lwm2m_arena *a, size_t n, size_t align)
{
    if (a == NULL)
        return NULL;
    size_t start = a->used;
    if (align > 1) {
        uintptr_t addr = (uintptr_t)(a->base + start);
        size_t pad = (size_t)((align - (addr & (align - 1))) & (align - 1));
        if (pad > a->cap - start)
            return NULL;
        start += pad;
    }
    if (start > a->cap || n > a->cap - start)
        return NULL;
    a->used = start + n;
    return a->base + start;
}

void *lwm2m_arena_dup(lwm2m_arena *a, const void *src, size_t n)
{
    void *p = lwm2m_arena_alloc(a, n, 1);
    if (p != NULL && n > 0)
        memcpy(p, src, n);
    return p;
}
