/* The values of an HTTP API request body (text/plain or SenML JSON) for a Write or Create,
 * typed from the object definitions and copied into the caller's arena. */
#include "lwm2m/dm_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lwm2m/error.h"

typedef enum body_kind { BODY_OTHER, BODY_TEXT, BODY_SENML } body_kind;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n < 0)
            err[0] = '\0';
    }
    return rc;
}

static bool ascii_iequal(const char *a, size_t alen, const char *b)
{
    if (alen != strlen(b))
        return false;
    for (size_t i = 0; i < alen; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return false;
    }
    return true;
}

/* The media type without parameters ("text/plain; charset=utf-8" is text), any case. */
static body_kind kind_of(const char *ct)
{
    if (ct == NULL)
        return BODY_OTHER;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t len = strcspn(ct, ";");
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    if (ascii_iequal(ct, len, "text/plain"))
        return BODY_TEXT;
    if (ascii_iequal(ct, len, "application/senml+json") ||
        ascii_iequal(ct, len, "application/json"))
        return BODY_SENML;
    return BODY_OTHER;
}

static const lwm2m_resource_def *resource_def(const lwm2m_objdef_list *defs, const lwm2m_path *p)
{
    const lwm2m_object_def *obj = lwm2m_objdef_find(defs, p->id[0]);
    if (obj == NULL)
        obj = lwm2m_objdef_builtin(p->id[0], NULL);
    return lwm2m_objdef_resource(obj, p->id[2]);
}

/* The base name to put in front of the names when they are relative to `path` (the first
 * record has no "bn" and a name without a leading '/'); 0 when the body is used as it is. */
static size_t relative_base(const lwm2m_path *path, const uint8_t *body, size_t len, char *bn,
                            size_t cap)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *first = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : NULL;
    size_t n = 0;
    if (cJSON_IsObject(first) && cJSON_GetObjectItemCaseSensitive(first, "bn") == NULL) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(first, "n");
        if (cJSON_IsString(name) && name->valuestring[0] != '/') {
            n = lwm2m_path_format(path, bn, cap);
            if (path->len > 0 && n + 1 < cap) /* "/3/0" + "/" + "1" */
                bn[n++] = '/';
            bn[n] = '\0';
        } else if (name == NULL && path->len >= LWM2M_PATH_RESOURCE) {
            n = lwm2m_path_format(path, bn, cap); /* [{"v":5}] written to /3/0/9 */
        }
    }
    cJSON_Delete(root);
    return n;
}

static bool is_json_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A copy of `body` with "bn":"<bn>" as the first member of its first record, which the
 * structure ws '[' ws '{' puts at `*at`. NULL when the body has another shape (the decoder
 * then reports it) or out of memory (`*nomem`). */
static uint8_t *with_base_name(const uint8_t *body, size_t len, const char *bn, size_t *at,
                               size_t *ins_len, bool *nomem)
{
    size_t i = 0;
    while (i < len && is_json_space(body[i]))
        i++;
    if (i >= len || body[i++] != '[')
        return NULL;
    while (i < len && is_json_space(body[i]))
        i++;
    if (i >= len || body[i++] != '{')
        return NULL;
    char ins[LWM2M_PATH_STR_MAX + 16];
    int n = snprintf(ins, sizeof ins, "\"bn\":\"%s\",", bn);
    if (n < 0 || (size_t)n >= sizeof ins)
        return NULL;
    uint8_t *out = malloc(len + (size_t)n);
    if (out == NULL) {
        *nomem = true;
        return NULL;
    }
    memcpy(out, body, i);
    memcpy(out + i, ins, (size_t)n);
    memcpy(out + i + (size_t)n, body + i, len - i);
    *at = i;
    *ins_len = (size_t)n;
    return out;
}

static bool points_into(const uint8_t *p, const uint8_t *buf, size_t len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
    return p != NULL && a >= b && a < b + len;
}

/* Values decoded from `src` borrow from it: the caller keeps only its arena. */
static int copy_borrowed(lwm2m_record_list *out, size_t from, const uint8_t *src, size_t len,
                         lwm2m_arena *arena)
{
    for (size_t i = from; i < out->count; i++) {
        lwm2m_value *v = &out->items[i].value;
        bool bytes = v->type == LWM2M_TYPE_STRING || v->type == LWM2M_TYPE_OPAQUE ||
                     v->type == LWM2M_TYPE_CORELNK;
        if (!bytes || !points_into(v->v.bytes.ptr, src, len))
            continue;
        const uint8_t *copy = lwm2m_arena_dup(arena, v->v.bytes.ptr, v->v.bytes.len);
        if (copy == NULL)
            return LWM2M_ERR_NOMEM;
        v->v.bytes.ptr = copy;
    }
    return LWM2M_OK;
}

/* Text is one value: the path must name one resource (instance). */
static int check_text_path(const lwm2m_objdef_list *defs, const lwm2m_path *path, char *err,
                           size_t errlen)
{
    if (path->len < LWM2M_PATH_RESOURCE)
        return fail(err, errlen, LWM2M_ERR_INVALID, "a text body needs a resource path /o/i/r");
    const lwm2m_resource_def *rd = resource_def(defs, path);
    if (rd != NULL && rd->multiple && path->len == LWM2M_PATH_RESOURCE)
        return fail(err, errlen, LWM2M_ERR_INVALID,
                    "a text body is one value: /%u/%u/%u is a multiple resource",
                    (unsigned)path->id[0], (unsigned)path->id[1], (unsigned)path->id[2]);
    return LWM2M_OK;
}

int lwm2m_dm_body_records(const lwm2m_objdef_list *defs, const lwm2m_path *path,
                          const char *content_type, const uint8_t *body, size_t len,
                          lwm2m_arena *arena, lwm2m_record_list *out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    body_kind kind = kind_of(content_type);
    if (kind == BODY_OTHER)
        return fail(err, errlen, LWM2M_ERR_UNSUPPORTED,
                    "unsupported body type '%s' (text/plain or application/senml+json)",
                    content_type ? content_type : "");
    if (body == NULL || len == 0)
        return fail(err, errlen, LWM2M_ERR_INVALID, "empty body");
    /* lwm2m_objdef_type_of only reads the list; the callback signature has no const. */
    lwm2m_types types = {lwm2m_objdef_type_of, (void *)defs};
    lwm2m_codec_error cerr = {0, NULL};
    size_t count0 = out->count, used0 = arena->used;
    const uint8_t *src = body;
    size_t src_len = len;
    uint8_t *rewritten = NULL;
    size_t at = 0, ins = 0;
    int rc;
    if (kind == BODY_TEXT) {
        rc = check_text_path(defs, path, err, errlen);
        if (rc != LWM2M_OK)
            return rc;
        rc = lwm2m_decode(LWM2M_FORMAT_TEXT, path, body, len, &types, arena, out, &cerr);
    } else {
        char bn[LWM2M_PATH_STR_MAX + 1];
        bool nomem = false;
        if (relative_base(path, body, len, bn, sizeof bn) > 0) {
            rewritten = with_base_name(body, len, bn, &at, &ins, &nomem);
            if (nomem)
                return fail(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
            if (rewritten != NULL) {
                src = rewritten;
                src_len = len + ins;
            }
        }
        rc = lwm2m_decode(LWM2M_FORMAT_SENML_JSON, path, src, src_len, &types, arena, out, &cerr);
    }
    if (rc != LWM2M_OK) {
        size_t off = cerr.offset;
        if (rewritten != NULL && off >= at) /* as a byte of the caller's body */
            off = off >= at + ins ? off - ins : at;
        fail(err, errlen, rc, "%s at byte %zu", cerr.reason ? cerr.reason : lwm2m_strerror(rc),
             off);
    } else if (copy_borrowed(out, count0, src, src_len, arena) != LWM2M_OK) {
        out->count = count0;
        arena->used = used0;
        rc = fail(err, errlen, LWM2M_ERR_NOMEM, "arena full");
    }
    free(rewritten);
    return rc;
}
