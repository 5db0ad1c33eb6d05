/* The JSON the server's HTTP API shows: a client's answer (decoded values, Discover links or
 * the diagnostic of an error), a registration, and CoAP codes as text. Scratch memory comes
 * from cJSON's allocator too, so that one set of hooks governs every allocation here. */
#include "lwm2m/dm_server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/numtext.h"
#include "core/utf8.h"
#include "lwm2m/error.h"
#include "lwm2m/link.h"

/* Integers beyond this lose digits in a JSON reader's double: they become strings. */
#define JSON_EXACT_INT (INT64_C(1) << 53)

static const struct {
    unsigned code;
    const char *name;
} code_names[] = {
    {65, "CREATED"},
    {66, "DELETED"},
    {67, "VALID"},
    {68, "CHANGED"},
    {69, "CONTENT"},
    {95, "CONTINUE"},
    {128, "BAD_REQUEST"},
    {129, "UNAUTHORIZED"},
    {130, "BAD_OPTION"},
    {131, "FORBIDDEN"},
    {132, "NOT_FOUND"},
    {133, "METHOD_NOT_ALLOWED"},
    {134, "NOT_ACCEPTABLE"},
    {136, "REQUEST_ENTITY_INCOMPLETE"},
    {137, "CONFLICT"},
    {140, "PRECONDITION_FAILED"},
    {141, "REQUEST_ENTITY_TOO_LARGE"},
    {143, "UNSUPPORTED_CONTENT_FORMAT"},
    {150, "UNPROCESSABLE_ENTITY"},
    {157, "TOO_MANY_REQUESTS"},
    {160, "INTERNAL_SERVER_ERROR"},
    {161, "NOT_IMPLEMENTED"},
    {162, "BAD_GATEWAY"},
    {163, "SERVICE_UNAVAILABLE"},
    {164, "GATEWAY_TIMEOUT"},
    {165, "PROXYING_NOT_SUPPORTED"},
};

void lwm2m_dm_code_text(unsigned code, char out[8])
{
    snprintf(out, 8, "%u.%02u", (code >> 5) & 7u, code & 31u);
}

const char *lwm2m_dm_code_name(unsigned code)
{
    for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++)
        if (code_names[i].code == code)
            return code_names[i].name;
    return "UNKNOWN";
}

/* ---- building blocks: each returns NULL (or false) when out of memory ---- */

/* Adds `item` under a literal key; frees it when that fails. */
static bool put(cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToObjectCS(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool append(cJSON *arr, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

/* An exact integer: a JSON number within +-2^53, a string beyond (cJSON's double printing
 * would round it). */
static cJSON *json_i64(int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, v);
    return v >= -JSON_EXACT_INT && v <= JSON_EXACT_INT ? cJSON_CreateRaw(s) : cJSON_CreateString(s);
}

static cJSON *json_u64(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    return v <= (uint64_t)JSON_EXACT_INT ? cJSON_CreateRaw(s) : cJSON_CreateString(s);
}

/* The shortest text that reads back as `d`; null for NaN and infinities. */
static cJSON *json_double(double d)
{
    char s[LWM2M_DOUBLE_STR_MAX];
    return lwm2m_fmt_double(d, s, sizeof s) > 0 ? cJSON_CreateRaw(s) : cJSON_CreateNull();
}

/* A JSON string of bytes that may be anything: ill-formed UTF-8 and NUL (and, with
 * `printable`, control characters) become '?', so the document stays valid. */
static cJSON *json_text(const void *bytes, size_t len, bool printable)
{
    const uint8_t *s = bytes;
    char *t = cJSON_malloc(len + 1);
    if (t == NULL)
        return NULL;
    size_t i = 0;
    while (i < len) {
        size_t n = lwm2m_utf8_seq(s + i, len - i);
        if (n == 0 || s[i] == 0 || (printable && n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            t[i++] = '?';
            continue;
        }
        memcpy(t + i, s + i, n);
        i += n;
    }
    t[len] = '\0';
    cJSON *item = cJSON_CreateString(t);
    cJSON_free(t);
    return item;
}

static cJSON *json_hex(const uint8_t *s, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *t = cJSON_malloc(2 * len + 1);
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        t[2 * i] = digits[s[i] >> 4];
        t[2 * i + 1] = digits[s[i] & 15];
    }
    t[2 * len] = '\0';
    cJSON *item = cJSON_CreateString(t);
    cJSON_free(t);
    return item;
}

static cJSON *json_path(const lwm2m_path *p)
{
    char s[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(p, s, sizeof s);
    return cJSON_CreateString(s);
}

/* ---- a client's answer ---- */

static const char *type_name(lwm2m_type t)
{
    switch (t) {
    case LWM2M_TYPE_STRING:
        return "string";
    case LWM2M_TYPE_INTEGER:
        return "integer";
    case LWM2M_TYPE_UNSIGNED:
        return "unsigned";
    case LWM2M_TYPE_FLOAT:
        return "float";
    case LWM2M_TYPE_BOOLEAN:
        return "boolean";
    case LWM2M_TYPE_OPAQUE:
        return "opaque";
    case LWM2M_TYPE_TIME:
        return "time";
    case LWM2M_TYPE_OBJLNK:
        return "objlnk";
    case LWM2M_TYPE_CORELNK:
        return "corelnk";
    default:
        return "none";
    }
}

/* The value of a record (NULL when out of memory). */
static cJSON *value_json(const lwm2m_value *v)
{
    char s[16];
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return json_i64(v->v.i);
    case LWM2M_TYPE_UNSIGNED:
        return json_u64(v->v.u);
    case LWM2M_TYPE_FLOAT:
        return json_double(v->v.f);
    case LWM2M_TYPE_BOOLEAN:
        return cJSON_CreateBool(v->v.b);
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        return json_text(v->v.bytes.ptr, v->v.bytes.len, false);
    case LWM2M_TYPE_OPAQUE:
        return json_hex(v->v.bytes.ptr, v->v.bytes.len);
    case LWM2M_TYPE_OBJLNK:
        snprintf(s, sizeof s, "%u:%u", (unsigned)v->v.objlnk.obj, (unsigned)v->v.objlnk.inst);
        return cJSON_CreateString(s);
    default:
        return NULL;
    }
}

/* {"path":"/3/0/0","type":"string","value":"x"} ("time" when the record has one; an empty
 * instance or multiple resource has no value). */
static cJSON *record_json(const lwm2m_record *r)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && put(o, "path", json_path(&r->path)) &&
              put(o, "type", cJSON_CreateString(type_name(r->value.type))) &&
              (r->value.type == LWM2M_TYPE_NONE || put(o, "value", value_json(&r->value))) &&
              (r->time == 0 || put(o, "time", json_double(r->time)));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* "error":"<reason> at byte N","hex":"<payload>" for an answer that does not parse. */
static bool put_undecodable(cJSON *o, const char *reason, size_t offset, const uint8_t *payload,
                            size_t len)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s at byte %zu", reason, offset);
    return put(o, "error", cJSON_CreateString(msg)) && put(o, "hex", json_hex(payload, len));
}

static bool put_content(cJSON *o, const lwm2m_objdef_list *defs, const lwm2m_path *path,
                        lwm2m_format format, const uint8_t *payload, size_t len)
{
    /* Every record takes at least one payload byte (text: one record from none), and no
     * unescaping grows the data. */
    if (len >= SIZE_MAX / sizeof(lwm2m_record) - 64)
        return false;
    lwm2m_record *recs = cJSON_malloc((len + 1) * sizeof *recs);
    void *mem = cJSON_malloc(len + 64);
    bool ok = false;
    if (recs == NULL || mem == NULL)
        goto out;
    lwm2m_arena arena = lwm2m_arena_init(mem, len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, len + 1);
    /* lwm2m_objdef_type_of only reads the list; the callback signature has no const. */
    lwm2m_types types = {lwm2m_objdef_type_of, (void *)defs};
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_decode(format, path, payload, len, &types, &arena, &list, &err);
    if (rc != LWM2M_OK) {
        ok = put_undecodable(o, err.reason ? err.reason : lwm2m_strerror(rc), err.offset, payload,
                             len);
        goto out;
    }
    cJSON *arr = cJSON_CreateArray();
    ok = put(o, "content", arr);
    for (size_t i = 0; ok && i < list.count; i++)
        ok = append(arr, record_json(&list.items[i]));
out:
    cJSON_free(recs);
    cJSON_free(mem);
    return ok;
}

/* {"path":"/3/0/1","attributes":{"dim":"2"}}; a flag without value shows as null. */
static cJSON *link_json(const lwm2m_link *l)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON *attrs = NULL;
    bool ok = put(o, "path",
                  l->has_path ? json_path(&l->path) : json_text(l->target, l->target_len, true));
    if (ok) {
        attrs = cJSON_CreateObject();
        ok = put(o, "attributes", attrs); /* `o` owns it from here (put frees it on failure) */
    }
    for (size_t i = 0; ok && i < l->param_count; i++) {
        const lwm2m_link_param *p = &l->params[i];
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)p->name_len, p->name);
        cJSON *v = p->value ? json_text(p->value, p->value_len, true) : cJSON_CreateNull();
        ok = v != NULL && cJSON_AddItemToObject(attrs, name, v);
        if (!ok)
            cJSON_Delete(v);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static bool put_links(cJSON *o, const uint8_t *payload, size_t len)
{
    void *mem = cJSON_malloc(len + 1); /* unescaped quoted values are never longer */
    if (mem == NULL)
        return false;
    lwm2m_arena arena = lwm2m_arena_init(mem, len + 1);
    lwm2m_link_reader r;
    lwm2m_link_reader_init(&r, payload, len, &arena);
    cJSON *arr = cJSON_CreateArray();
    bool ok = arr != NULL;
    lwm2m_link link;
    lwm2m_codec_error err = {0, NULL};
    int rc = 0;
    while (ok && (rc = lwm2m_link_next(&r, &link, &err)) == 1)
        ok = append(arr, link_json(&link));
    if (ok && rc < 0) {
        cJSON_Delete(arr);
        ok = put_undecodable(o, err.reason ? err.reason : lwm2m_strerror(rc), err.offset, payload,
                             len);
    } else if (ok) {
        ok = put(o, "links", arr);
    } else {
        cJSON_Delete(arr);
    }
    cJSON_free(mem);
    return ok;
}

static bool put_payload(cJSON *o, const lwm2m_objdef_list *defs, lwm2m_dm_op op,
                        const lwm2m_path *path, unsigned code, lwm2m_format format,
                        const uint8_t *payload, size_t len)
{
    if ((code >> 5) >= 4) /* an error's payload is a diagnostic text (RFC 7252 §5.5.2) */
        return put(o, "diagnostic", json_text(payload, len, true));
    if (format == LWM2M_FORMAT_NONE && op == LWM2M_DM_DISCOVER)
        format = LWM2M_FORMAT_LINK;
    const char *name = lwm2m_format_name(format);
    if (format != LWM2M_FORMAT_NONE &&
        !put(o, "format", name ? cJSON_CreateString(name) : cJSON_CreateNumber(format)))
        return false;
    if (format == LWM2M_FORMAT_LINK)
        return put_links(o, payload, len);
    lwm2m_path root = lwm2m_path_root();
    return put_content(o, defs, path ? path : &root, format, payload, len);
}

char *lwm2m_dm_response_json(const lwm2m_objdef_list *defs, lwm2m_dm_op op, const lwm2m_path *path,
                             unsigned code, lwm2m_format format, const uint8_t *payload, size_t len)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok;
    if (code == 0) {
        ok = put(o, "code", cJSON_CreateNull()) && put(o, "status", cJSON_CreateString("TIMEOUT"));
    } else {
        char text[8];
        lwm2m_dm_code_text(code, text);
        ok = put(o, "code", cJSON_CreateString(text)) &&
             put(o, "status", cJSON_CreateString(lwm2m_dm_code_name(code)));
        if (ok && payload != NULL && len > 0)
            ok = put_payload(o, defs, op, path, code, format, payload, len);
    }
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* ---- a registration ---- */

/* A PSK identity as text when it is printable UTF-8, otherwise as hex. */
static cJSON *identity_json(const uint8_t *id, size_t len)
{
    size_t cap = sizeof((lwm2m_registration *)0)->identity;
    size_t n = len < cap ? len : cap;
    bool text = lwm2m_utf8_valid(id, n);
    for (size_t i = 0; text && i < n; i++)
        if (id[i] < 0x20 || id[i] == 0x7f)
            text = false;
    return text ? json_text(id, n, true) : json_hex(id, n);
}

static cJSON *objects_json(const lwm2m_registration *reg)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < reg->object_count; i++) {
        if (!append(arr, json_path(&reg->objects[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *formats_json(const lwm2m_registration *reg)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n = reg->format_count < LWM2M_RD_FORMATS_MAX ? reg->format_count : LWM2M_RD_FORMATS_MAX;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (!append(arr, cJSON_CreateNumber(reg->formats[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* A fixed-size char array of the struct as a string (NUL-terminated within it, or cut). */
static cJSON *field(const char *s, size_t cap)
{
    return json_text(s, strnlen(s, cap), false);
}
#define FIELD(reg, f) field((reg)->f, sizeof(reg)->f)

char *lwm2m_dm_registration_json(const lwm2m_registration *reg, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok =
        put(o, "endpoint", FIELD(reg, endpoint)) && put(o, "id", FIELD(reg, id)) &&
        put(o, "version", FIELD(reg, version)) && put(o, "lifetime", json_i64(reg->lifetime_s)) &&
        put(o, "binding", FIELD(reg, binding)) &&
        put(o, "queueMode", cJSON_CreateBool(reg->queue_mode)) && put(o, "sms", FIELD(reg, sms)) &&
        put(o, "address", FIELD(reg, address)) && put(o, "secure", cJSON_CreateBool(reg->secure)) &&
        put(o, "identity", identity_json(reg->identity, reg->identity_len)) &&
        put(o, "rootPath", FIELD(reg, root)) &&
        put(o, "objectLinks",
            json_text(reg->links ? reg->links : "",
                      reg->links ? strnlen(reg->links, reg->links_len) : 0, false)) &&
        put(o, "objects", objects_json(reg)) && put(o, "formats", formats_json(reg)) &&
        put(o, "registeredAgoMs", json_i64(now_ms - reg->registered_ms)) &&
        put(o, "updatedAgoMs", json_i64(now_ms - reg->updated_ms)) &&
        put(o, "expiresInMs", json_i64(reg->expires_ms - now_ms));
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}
