/* libFuzzer harness of the CoRE Link Format codec. The input is parsed link by link; every link
 * read before the end (or before an error) is written back, both by its raw target and, when it
 * is an LwM2M path, by path. The output must parse again into the same links, and writing those
 * again must give the same bytes. The first byte picks an alternate root for
 * lwm2m_link_target_path; the rest is the payload. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"
#include "lwm2m/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static bool same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool same_link(const lwm2m_link *a, const lwm2m_link *b, bool by_path)
{
    if (a->param_count != b->param_count || a->has_path != b->has_path)
        return false;
    if (a->has_path && !lwm2m_path_equal(&a->path, &b->path))
        return false;
    if (!by_path && !same_bytes(a->target, a->target_len, b->target, b->target_len))
        return false;
    for (size_t i = 0; i < a->param_count; i++) {
        const lwm2m_link_param *x = &a->params[i], *y = &b->params[i];
        if (!same_bytes(x->name, x->name_len, y->name, y->name_len))
            return false;
        if ((x->value == NULL) != (y->value == NULL))
            return false;
        if (x->value && !same_bytes(x->value, x->value_len, y->value, y->value_len))
            return false;
    }
    return true;
}

/* Parses `in` and writes each link to `out`; returns the parse result, *n the links written.
 * by_path: only links with an LwM2M path are written, by path. */
static int rewrite(const uint8_t *in, size_t len, uint8_t *mem, size_t memlen, lwm2m_buf *out,
                   size_t *n, bool by_path, const char *root)
{
    lwm2m_arena arena = lwm2m_arena_init(mem, memlen);
    lwm2m_link_reader r;
    static lwm2m_link link;
    lwm2m_codec_error err = {0, NULL};
    int rc;
    *n = 0;
    lwm2m_link_reader_init(&r, in, len, &arena);
    while ((rc = lwm2m_link_next(&r, &link, &err)) == 1) {
        CHECK(link.target_len > 0 && link.param_count <= LWM2M_LINK_MAX_PARAMS);
        CHECK(link.offset < len && in[link.offset] == '<');
        if (link.has_path) {
            lwm2m_path p;
            CHECK(lwm2m_path_parse(link.target, link.target_len, &p) == LWM2M_OK);
            CHECK(lwm2m_path_equal(&p, &link.path));
        }
        lwm2m_path rp;
        int prc = lwm2m_link_target_path(link.target, link.target_len, root, &rp);
        CHECK(prc <= 0);
        if (root == NULL)
            CHECK((prc == 0) == link.has_path);
        for (size_t i = 0; i < link.param_count; i++) {
            const lwm2m_link_param *p = &link.params[i];
            CHECK(p->name_len > 0);
            if (p->value != NULL && !p->quoted)
                CHECK(p->value == p->raw && p->value_len == p->raw_len);
            if (p->quoted)
                CHECK(p->value_len + 2 <= p->raw_len);
        }
        int wrc;
        if (by_path) {
            if (!link.has_path)
                continue;
            wrc = lwm2m_link_write(out, &link.path, link.params, link.param_count, *n == 0);
        } else {
            wrc = lwm2m_link_write_target(out, link.target, link.target_len, link.params,
                                          link.param_count, *n == 0);
        }
        CHECK(wrc == LWM2M_OK || (wrc == LWM2M_ERR_OVERFLOW && lwm2m_buf_overflowed(out)));
        (*n)++;
    }
    if (rc < 0)
        CHECK(err.reason != NULL && err.offset <= len);
    return rc;
}

/* The links of `a` (the first `n` that qualify) and of `b` must be the same. */
static void compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t n,
                    uint8_t *mem, size_t memlen, bool by_path)
{
    lwm2m_arena aa = lwm2m_arena_init(mem, memlen / 2);
    lwm2m_arena ab = lwm2m_arena_init(mem + memlen / 2, memlen - memlen / 2);
    lwm2m_link_reader ra, rb;
    static lwm2m_link la, lb;
    lwm2m_link_reader_init(&ra, a, alen, &aa);
    lwm2m_link_reader_init(&rb, b, blen, &ab);
    size_t seen = 0;
    while (seen < n) {
        CHECK(lwm2m_link_next(&ra, &la, NULL) == 1);
        if (by_path && !la.has_path)
            continue;
        CHECK(lwm2m_link_next(&rb, &lb, NULL) == 1);
        CHECK(same_link(&la, &lb, by_path));
        seen++;
    }
    CHECK(lwm2m_link_next(&rb, &lb, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const roots[] = {NULL, "/lwm2m", "/", "/rd/"};
    if (size == 0)
        return 0;
    const char *root = roots[data[0] % 4];
    data++, size--;

    /* Escapes at most double a value; targets keep their length. */
    size_t cap = 2 * size + 16;
    uint8_t *out1 = malloc(cap), *out2 = malloc(cap), *mem = malloc(2 * size + 2);
    CHECK(out1 && out2 && mem);
    for (int by_path = 0; by_path <= 1; by_path++) {
        lwm2m_buf b1 = lwm2m_buf_init(out1, cap);
        size_t n1, n2, n3;
        int rc = rewrite(data, size, mem, size + 1, &b1, &n1, by_path, root);
        CHECK(rc <= 0);
        CHECK(!lwm2m_buf_overflowed(&b1));

        /* The output parses completely into the same links... */
        lwm2m_buf b2 = lwm2m_buf_init(out2, cap);
        CHECK(rewrite(out1, b1.len, mem, size + 1, &b2, &n2, by_path, root) == 0);
        CHECK(n2 == n1);
        compare(data, size, out1, b1.len, n1, mem, 2 * size + 2, by_path);
        /* ...and is a fixed point of parse + write. */
        CHECK(b2.len == b1.len && memcmp(out1, out2, b1.len) == 0);

        /* A buffer one byte short reports overflow and the size needed. */
        if (b1.len > 0) {
            lwm2m_buf b3 = lwm2m_buf_init(out2, b1.len - 1);
            rewrite(out1, b1.len, mem, size + 1, &b3, &n3, by_path, root);
            CHECK(b3.len == b1.len && lwm2m_buf_overflowed(&b3));
        }
    }
    free(out1);
    free(out2);
    free(mem);
    return 0;
}
