/* libFuzzer harness of the DDF XML reader. The input is parsed as a DDF document; on success
 * the definitions are checked (sorted unique resources, lookups, the type resolver), written
 * back as DDF XML (with entities and CDATA), and parsed again: the second parse must succeed
 * and give the same definitions. On failure the error must carry a line and an offset inside
 * the input, and the set must be unchanged. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/buf.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* Character data: '&' and '<' as entities, alternating with CDATA to exercise both. */
static void put_text(lwm2m_buf *b, const char *s, bool cdata)
{
    if (cdata && strstr(s, "]]>") == NULL) {
        lwm2m_buf_puts(b, "<![CDATA[");
        lwm2m_buf_puts(b, s);
        lwm2m_buf_puts(b, "]]>");
        return;
    }
    for (; *s; s++) {
        if (*s == '&')
            lwm2m_buf_puts(b, "&amp;");
        else if (*s == '<')
            lwm2m_buf_puts(b, "&lt;");
        else if (*s == '>')
            lwm2m_buf_puts(b, "&#62;");
        else
            lwm2m_buf_putc(b, (uint8_t)*s);
    }
}

static const char *ops_text(unsigned ops)
{
    switch (ops) {
    case LWM2M_OP_READ:
        return "R";
    case LWM2M_OP_WRITE:
        return "W";
    case LWM2M_OP_READ | LWM2M_OP_WRITE:
        return "RW";
    case LWM2M_OP_EXECUTE:
        return "E";
    default:
        return "";
    }
}

static void write_ddf(lwm2m_buf *b, const lwm2m_objdef_list *l)
{
    lwm2m_buf_puts(b, "<?xml version=\"1.0\"?>\n<LWM2M>\n");
    for (size_t i = 0; i < l->count; i++) {
        const lwm2m_object_def *d = l->defs[i];
        lwm2m_buf_puts(b, "<Object ObjectType=\"MODefinition\"><Name>");
        put_text(b, d->name, i % 2);
        lwm2m_buf_printf(b, "</Name><ObjectID>%u</ObjectID>", (unsigned)d->id);
        lwm2m_buf_printf(b, "<ObjectVersion>%s</ObjectVersion>", d->version);
        lwm2m_buf_printf(b, "<LWM2MVersion>%s</LWM2MVersion>", d->lwm2m_version);
        lwm2m_buf_printf(b, "<MultipleInstances>%s</MultipleInstances>",
                         d->multiple ? "Multiple" : "Single");
        lwm2m_buf_printf(b, "<Mandatory>%s</Mandatory>\n<Resources>\n",
                         d->mandatory ? "Mandatory" : "Optional");
        for (size_t r = 0; r < d->resource_count; r++) {
            const lwm2m_resource_def *rd = &d->resources[r];
            lwm2m_buf_printf(b, "<Item ID='%u'><Name>", (unsigned)rd->id);
            put_text(b, rd->name, r % 2);
            lwm2m_buf_printf(b, "</Name><Operations>%s</Operations>", ops_text(rd->ops));
            lwm2m_buf_printf(b, "<MultipleInstances>%s</MultipleInstances>",
                             rd->multiple ? "Multiple" : "Single");
            lwm2m_buf_printf(b, "<Mandatory>%s</Mandatory><Type>%s</Type></Item>\n",
                             rd->mandatory ? "Mandatory" : "Optional",
                             rd->type == LWM2M_TYPE_NONE ? "" : lwm2m_type_name(rd->type));
        }
        lwm2m_buf_puts(b, "</Resources></Object>\n");
    }
    lwm2m_buf_puts(b, "</LWM2M>\n");
}

static void check_defs(const lwm2m_objdef_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        const lwm2m_object_def *d = l->defs[i];
        CHECK(d->name && d->name[0] && d->version && d->lwm2m_version);
        CHECK(d->id <= LWM2M_ID_MAX);
        CHECK(lwm2m_version_compare(d->version, "0.0") >= 0); /* parsable */
        CHECK(lwm2m_version_compare(d->lwm2m_version, "0.0") >= 0);
        CHECK((d->resources == NULL) == (d->resource_count == 0));
        const lwm2m_object_def *newest = lwm2m_objdef_find(l, d->id);
        CHECK(newest && newest->id == d->id);
        CHECK(lwm2m_version_compare(newest->version, d->version) >= 0);
        for (size_t r = 0; r < d->resource_count; r++) {
            const lwm2m_resource_def *rd = &d->resources[r];
            CHECK(rd->name && rd->name[0]);
            CHECK(rd->id <= LWM2M_ID_MAX);
            CHECK(r == 0 || d->resources[r - 1].id < rd->id);
            CHECK(lwm2m_objdef_resource(d, rd->id) == rd);
            CHECK(rd->ops <= (LWM2M_OP_READ | LWM2M_OP_WRITE) || rd->ops == LWM2M_OP_EXECUTE);
            CHECK(!(rd->ops & LWM2M_OP_EXECUTE) || rd->type == LWM2M_TYPE_NONE);
            if (newest == d) {
                lwm2m_path p = lwm2m_path_res(d->id, 0, rd->id);
                CHECK(lwm2m_objdef_type_of((void *)l, &p) == rd->type);
            }
        }
    }
}

static bool same_defs(const lwm2m_objdef_list *a, const lwm2m_objdef_list *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const lwm2m_object_def *x = a->defs[i], *y = b->defs[i];
        if (x->id != y->id || x->multiple != y->multiple || x->mandatory != y->mandatory ||
            strcmp(x->name, y->name) || strcmp(x->version, y->version) ||
            strcmp(x->lwm2m_version, y->lwm2m_version) || x->resource_count != y->resource_count)
            return false;
        for (size_t r = 0; r < x->resource_count; r++) {
            const lwm2m_resource_def *p = &x->resources[r], *q = &y->resources[r];
            if (p->id != q->id || p->type != q->type || p->ops != q->ops ||
                p->multiple != q->multiple || p->mandatory != q->mandatory ||
                strcmp(p->name, q->name))
                return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    lwm2m_ddf_set set = {0};
    lwm2m_ddf_error err = {0, 0, NULL};
    int rc = lwm2m_ddf_parse(xml, size, &set, &err);
    if (rc != LWM2M_OK) {
        CHECK(rc == LWM2M_ERR_INVALID || rc == LWM2M_ERR_EXISTS || rc == LWM2M_ERR_NOMEM);
        CHECK(err.reason != NULL && err.offset <= size);
        CHECK(err.line >= 1 || rc == LWM2M_ERR_NOMEM);
        CHECK(set.count == 0);
        lwm2m_ddf_free(&set);
        return 0;
    }
    lwm2m_objdef_list l = lwm2m_ddf_list(&set);
    CHECK(l.count > 0);
    check_defs(&l);

    /* The same document again conflicts and changes nothing. */
    CHECK(lwm2m_ddf_parse(xml, size, &set, &err) == LWM2M_ERR_EXISTS);
    CHECK(set.count == l.count);

    /* Written back and parsed again: the same definitions. */
    size_t cap = 8 * size + 4096;
    uint8_t *out = malloc(cap);
    CHECK(out != NULL);
    lwm2m_buf b = lwm2m_buf_init(out, cap);
    write_ddf(&b, &l);
    CHECK(!lwm2m_buf_overflowed(&b));
    lwm2m_ddf_set set2 = {0};
    rc = lwm2m_ddf_parse((const char *)out, b.len, &set2, &err);
    if (rc != LWM2M_OK) {
        fprintf(stderr, "re-parse failed at line %zu: %s\n%.*s\n", err.line, err.reason, (int)b.len,
                (const char *)out);
        abort();
    }
    lwm2m_objdef_list l2 = lwm2m_ddf_list(&set2);
    CHECK(same_defs(&l, &l2));
    lwm2m_ddf_free(&set2);
    lwm2m_ddf_free(&set);
    free(out);
    return 0;
}
