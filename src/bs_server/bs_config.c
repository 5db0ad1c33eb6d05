/* Bootstrap configurations as JSON (docs/bs-config.md): parsing into typed, sorted records,
 * the canonical serialization, and the memory that backs a parsed configuration. */
#include "lwm2m/bs_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numtext.h"
#include "core/utf8.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

#define DOC_MAX      (1024u * 1024u)
#define PLAN_MAX     64
#define RECORD_MAX   4096 /* per plan */
#define DELETE_MAX   4096 /* per plan */
#define VAR_NAME_MAX 63
#define CHUNK_FIRST  512   /* chunks start small and double: a server holds one parsed */
#define CHUNK_MAX    16384 /* configuration per running session, most of them small */
/* JSON numbers are read as doubles: integers are exact only below 2^53. */
#define EXACT_INT_LIMIT 9007199254740992.0
/* Unknown resources: an integral JSON number below this is an integer; the bound is where
 * lwm2m_fmt_double stops writing plain digits, so a float prints back the same way. */
#define INFER_INT_LIMIT 1e15

typedef enum text_form { FORM_PLAIN, FORM_HEX, FORM_BASE64 } text_form;

/* A template value {"hex": "${k}"} is kept as a STRING record; this remembers its wrapper. */
typedef struct mark {
    size_t plan;
    lwm2m_path path;
    uint8_t form;
} mark;

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    max_align_t data[];
} chunk;

/* What cfg->mem points to: every byte the configuration references, plus what the public
 * struct has no field for (an endpoint's template variables, template placeholders). */
typedef struct cfg_mem {
    chunk *chunks;
    lwm2m_bs_var *vars;
    size_t var_count;
    mark *marks; /* sorted by plan, then path */
    size_t mark_count;
    const char *psk_key_text;    /* template: the key's text when it holds a placeholder */
    uint8_t psk_identity_ph;     /* template: PH_TEXT / PH_HEX when the identity is placeholder
                                    text (given plainly or as {"hex": ...}), else PH_NONE */
    const char *public_key_text; /* template: the RPK's text when it holds a placeholder */
    uint8_t public_key_form;     /* its wrapper: FORM_PLAIN (hex string), FORM_HEX, FORM_BASE64 */
} cfg_mem;

enum { PH_NONE, PH_TEXT, PH_HEX };

/* ---- memory ------------------------------------------------------------------------------ */

static void *mem_alloc(cfg_mem *m, size_t n)
{
    size_t align = sizeof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    chunk *c = m->chunks;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = c == NULL ? CHUNK_FIRST : c->cap < CHUNK_MAX ? 2 * c->cap : CHUNK_MAX;
        if (cap < n)
            cap = n;
        c = malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = m->chunks;
        m->chunks = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

/* Copy with a NUL after the `len` bytes, so strings can be handed to C APIs as they are. */
static char *mem_dup(cfg_mem *m, const void *src, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = mem_alloc(m, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, src, len);
    p[len] = '\0';
    return p;
}

void lwm2m_bs_config_free(lwm2m_bs_config *cfg)
{
    if (cfg == NULL)
        return;
    cfg_mem *m = cfg->mem;
    if (m != NULL) {
        for (chunk *c = m->chunks; c != NULL;) {
            chunk *next = c->next;
            free(c);
            c = next;
        }
        free(m);
    }
    free(cfg);
}

/* ---- errors and JSON paths ----------------------------------------------------------------- */

typedef struct pctx {
    const lwm2m_objdef_list *defs;
    bool tmpl;
    cfg_mem *mem;
    size_t plan;
    char path[192]; /* JSON path of the value being parsed, "objects/0/1/2" */
    size_t plen;
    char *err;
    size_t errlen;
    lwm2m_record *recs; /* the plan being built */
    size_t n_recs, cap_recs;
    mark *marks;
    size_t n_marks, cap_marks;
} pctx;

/* Error messages are one line whatever the input held. */
static void one_line(char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        one_line(err);
    }
    return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(pctx *c, int rc, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->plen > 0)
        set_err(c->err, c->errlen, "%s: %s", c->path, msg);
    else
        set_err(c->err, c->errlen, "%s", msg);
    return rc;
}

/* Appends "/seg" (at most 40 bytes of it) to the path; returns the length to restore. Runs for
 * every value of every document the server reads, so no snprintf: it was a sixth of a parse. */
static size_t path_push(pctx *c, const char *seg)
{
    size_t old = c->plen, n = old;
    if (old > 0 && n + 1 < sizeof c->path)
        c->path[n++] = '/';
    for (size_t i = 0; i < 40 && seg[i] != '\0' && n + 1 < sizeof c->path; i++)
        c->path[n++] = seg[i];
    c->path[n] = '\0';
    c->plen = n;
    return old;
}

static size_t path_push_id(pctx *c, unsigned id)
{
    char buf[12], *p = buf + sizeof buf - 1;
    *p = '\0';
    do
        *--p = (char)('0' + id % 10);
    while ((id /= 10) != 0);
    return path_push(c, p);
}

static void path_pop(pctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* ---- text checks --------------------------------------------------------------------------- */

/* What cJSON lets through but we must not: invalid UTF-8, raw control characters (inside
 * strings or as whitespace) and \u0000, which would silently cut a C string short. */
static int prescan(const char *s, size_t len, char *err, size_t errlen)
{
    size_t bad = lwm2m_utf8_invalid_at((const uint8_t *)s, len);
    if (bad < len) {
        set_err(err, errlen, "invalid UTF-8 at offset %zu", bad);
        return LWM2M_ERR_INVALID;
    }
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (in_string) {
            if (ch == '"') {
                in_string = false;
            } else if (ch == '\\' && i + 1 < len) {
                if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) {
                    set_err(err, errlen, "\\u0000 in a string at offset %zu", i);
                    return LWM2M_ERR_INVALID;
                }
                i++;
            } else if (ch < 0x20) {
                set_err(err, errlen, "control character in a string at offset %zu", i);
                return LWM2M_ERR_INVALID;
            }
        } else if (ch == '"') {
            in_string = true;
        } else if (ch < 0x20 && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            set_err(err, errlen, "control character at offset %zu", i);
            return LWM2M_ERR_INVALID;
        }
    }
    return LWM2M_OK;
}

static cJSON *parse_json(const char *s, size_t len, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    size_t at = end != NULL && end >= s ? (size_t)(end - s) : 0;
    if (root != NULL) {
        while (at < len && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r'))
            at++;
        if (at == len)
            return root;
        cJSON_Delete(root);
    }
    set_err(err, errlen, "invalid JSON at offset %zu", at > len ? len : at);
    return NULL;
}

static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool var_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

static bool valid_var_name(const char *s, size_t len)
{
    if (len == 0 || len > VAR_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!var_name_char(s[i]))
            return false;
    return true;
}

/* 1 when `s` holds a ${name} placeholder, 0 when none, -1 when a "${" is malformed. */
static int placeholders(const char *s)
{
    int found = 0;
    for (const char *p = strstr(s, "${"); p != NULL; p = strstr(p, "${")) {
        const char *close = strchr(p + 2, '}');
        if (close == NULL || !valid_var_name(p + 2, (size_t)(close - p - 2)))
            return -1;
        found = 1;
        p = close + 1;
    }
    return found;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes hex text into out (cap bytes). LWM2M_ERR_INVALID / _RANGE (too long). */
static int hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (len % 2 != 0)
        return LWM2M_ERR_INVALID;
    if (len / 2 > cap)
        return LWM2M_ERR_RANGE;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return LWM2M_ERR_INVALID;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return LWM2M_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

static const lwm2m_object_def *find_def(const lwm2m_objdef_list *defs, uint16_t obj)
{
    const lwm2m_object_def *d = lwm2m_objdef_find(defs, obj);
    return d != NULL ? d : lwm2m_objdef_builtin(obj, NULL);
}

/* An object that is opaque data: exactly one member, "hex" or "base64". */
static bool is_opaque_object(const cJSON *j)
{
    if (!cJSON_IsObject(j) || j->child == NULL || j->child->next != NULL)
        return false;
    const char *k = j->child->string;
    return k != NULL && (strcmp(k, "hex") == 0 || strcmp(k, "base64") == 0);
}

static int text_value(pctx *c, lwm2m_type type, const char *s, lwm2m_value *out)
{
    size_t len = strlen(s);
    char *copy = mem_dup(c->mem, s, len);
    if (copy == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    *out = lwm2m_value_bytes(type, copy, len);
    return LWM2M_OK;
}

static int opaque_object(pctx *c, const cJSON *j, lwm2m_value *out)
{
    const cJSON *v = j->child;
    bool hex = strcmp(v->string, "hex") == 0;
    size_t old = path_push(c, v->string);
    int rc = LWM2M_OK;
    if (!cJSON_IsString(v)) {
        rc = fail(c, LWM2M_ERR_TYPE, "expected a string");
        goto out;
    }
    size_t len = strlen(v->valuestring);
    size_t cap = hex ? len / 2 : lwm2m_base64_decoded_max(len);
    uint8_t *buf = mem_alloc(c->mem, cap);
    size_t n = 0;
    if (buf == NULL) {
        rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = hex ? hex_decode(v->valuestring, len, buf, cap, &n)
             : lwm2m_base64_decode(v->valuestring, len, buf, cap, &n);
    if (rc != LWM2M_OK) {
        rc = fail(c, LWM2M_ERR_INVALID, hex ? "invalid hex" : "invalid base64");
        goto out;
    }
    *out = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, buf, n);
out:
    path_pop(c, old);
    return rc;
}

/* A JSON number as an exact integer: TYPE for a fraction, RANGE beyond what a double holds
 * exactly (such values must be written as decimal strings). */
static int number_to_i64(pctx *c, double d, int64_t *out, const char *what)
{
    if (!isfinite(d))
        return fail(c, LWM2M_ERR_RANGE, "number out of range");
    if (d != floor(d))
        return fail(c, LWM2M_ERR_TYPE, "expected %s", what);
    if (fabs(d) >= EXACT_INT_LIMIT)
        return fail(c, LWM2M_ERR_RANGE, "integer beyond 2^53: give it as a decimal string");
    *out = (int64_t)d;
    return LWM2M_OK;
}

static int int_value(pctx *c, const cJSON *j, lwm2m_type type, lwm2m_value *out)
{
    int64_t i = 0;
    if (cJSON_IsNumber(j)) {
        int rc = number_to_i64(c, j->valuedouble, &i, "an integer");
        if (rc != LWM2M_OK)
            return rc;
    } else if (cJSON_IsString(j)) {
        int rc = lwm2m_parse_i64(j->valuestring, strlen(j->valuestring), &i);
        if (rc == LWM2M_ERR_RANGE)
            return fail(c, LWM2M_ERR_RANGE, "integer out of range");
        if (rc != LWM2M_OK)
            return fail(c, LWM2M_ERR_TYPE, "expected an integer");
    } else {
        return fail(c, LWM2M_ERR_TYPE, "expected an integer");
    }
    out->type = type;
    out->v.i = i;
    return LWM2M_OK;
}

static int uint_value(pctx *c, const cJSON *j, lwm2m_value *out)
{
    uint64_t u = 0;
    if (cJSON_IsNumber(j)) {
        int64_t i = 0; /* set by number_to_i64; gcc -O2 cannot tell */
        int rc = number_to_i64(c, j->valuedouble, &i, "an unsigned integer");
        if (rc != LWM2M_OK)
            return rc;
        if (i < 0)
            return fail(c, LWM2M_ERR_RANGE, "negative value for an unsigned integer");
        u = (uint64_t)i;
    } else if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        int rc = lwm2m_parse_u64(s, strlen(s), &u);
        if (rc == LWM2M_ERR_RANGE || (rc != LWM2M_OK && s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
            return fail(c, LWM2M_ERR_RANGE, "unsigned integer out of range");
        if (rc != LWM2M_OK)
            return fail(c, LWM2M_ERR_TYPE, "expected an unsigned integer");
    } else {
        return fail(c, LWM2M_ERR_TYPE, "expected an unsigned integer");
    }
    *out = lwm2m_value_uint(u);
    return LWM2M_OK;
}

static int float_value(pctx *c, const cJSON *j, lwm2m_value *out)
{
    double d = 0;
    if (cJSON_IsNumber(j)) {
        d = j->valuedouble;
    } else if (cJSON_IsString(j)) {
        bool integer;
        int rc = lwm2m_parse_number(j->valuestring, strlen(j->valuestring), &d, &integer);
        if (rc == LWM2M_ERR_RANGE)
            return fail(c, LWM2M_ERR_RANGE, "number out of range");
        if (rc != LWM2M_OK)
            return fail(c, LWM2M_ERR_TYPE, "expected a number");
    } else {
        return fail(c, LWM2M_ERR_TYPE, "expected a number");
    }
    if (!isfinite(d))
        return fail(c, LWM2M_ERR_RANGE, "number out of range");
    *out = lwm2m_value_float(d);
    return LWM2M_OK;
}

static int objlnk_value(pctx *c, const cJSON *j, lwm2m_value *out)
{
    const char *s = cJSON_IsString(j) ? j->valuestring : NULL;
    const char *colon = s != NULL ? strchr(s, ':') : NULL;
    uint64_t o, i;
    if (colon == NULL || lwm2m_parse_u64(s, (size_t)(colon - s), &o) != LWM2M_OK ||
        lwm2m_parse_u64(colon + 1, strlen(colon + 1), &i) != LWM2M_OK)
        return fail(c, LWM2M_ERR_TYPE, "expected an object link \"obj:inst\"");
    if (o > LWM2M_ID_RESERVED || i > LWM2M_ID_RESERVED)
        return fail(c, LWM2M_ERR_RANGE, "object link id above 65535");
    *out = lwm2m_value_objlnk((uint16_t)o, (uint16_t)i);
    return LWM2M_OK;
}

/* The type of a value of an unknown resource, from its JSON form. */
static int untyped_value(pctx *c, const cJSON *j, lwm2m_value *out)
{
    if (cJSON_IsBool(j)) {
        *out = lwm2m_value_bool(cJSON_IsTrue(j));
        return LWM2M_OK;
    }
    if (cJSON_IsString(j))
        return text_value(c, LWM2M_TYPE_STRING, j->valuestring, out);
    if (is_opaque_object(j))
        return opaque_object(c, j, out);
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (!isfinite(d))
            return fail(c, LWM2M_ERR_RANGE, "number out of range");
        if (d == floor(d) && fabs(d) < INFER_INT_LIMIT && !(d == 0 && signbit(d)))
            *out = lwm2m_value_int((int64_t)d);
        else
            *out = lwm2m_value_float(d);
        return LWM2M_OK;
    }
    return fail(c, LWM2M_ERR_TYPE, "expected a string, number, boolean or {\"hex\": ...}");
}

/* Template only: a value holding ${name} is kept as text whatever the resource's type. */
static int placeholder_value(pctx *c, const cJSON *j, bool opaque_ok, lwm2m_value *out,
                             uint8_t *form, bool *taken)
{
    const cJSON *s = j;
    *form = FORM_PLAIN;
    if (opaque_ok && is_opaque_object(j)) {
        s = j->child;
        *form = strcmp(s->string, "hex") == 0 ? FORM_HEX : FORM_BASE64;
    }
    *taken = false;
    if (!cJSON_IsString(s))
        return LWM2M_OK;
    int ph = placeholders(s->valuestring);
    if (ph < 0)
        return fail(c, LWM2M_ERR_INVALID, "malformed ${name} placeholder");
    if (ph == 0)
        return LWM2M_OK;
    *taken = true;
    return text_value(c, LWM2M_TYPE_STRING, s->valuestring, out);
}

static int typed_value(pctx *c, const cJSON *j, lwm2m_type type, lwm2m_value *out)
{
    switch (type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        if (!cJSON_IsString(j))
            return fail(c, LWM2M_ERR_TYPE, "expected a string");
        return text_value(c, type, j->valuestring, out);
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return int_value(c, j, type, out);
    case LWM2M_TYPE_UNSIGNED:
        return uint_value(c, j, out);
    case LWM2M_TYPE_FLOAT:
        return float_value(c, j, out);
    case LWM2M_TYPE_BOOLEAN:
        if (cJSON_IsBool(j)) {
            *out = lwm2m_value_bool(cJSON_IsTrue(j));
            return LWM2M_OK;
        }
        if (cJSON_IsString(j) &&
            (strcmp(j->valuestring, "true") == 0 || strcmp(j->valuestring, "false") == 0)) {
            *out = lwm2m_value_bool(j->valuestring[0] == 't');
            return LWM2M_OK;
        }
        return fail(c, LWM2M_ERR_TYPE, "expected a boolean");
    case LWM2M_TYPE_OPAQUE:
        if (cJSON_IsString(j))
            return text_value(c, LWM2M_TYPE_OPAQUE, j->valuestring, out);
        if (is_opaque_object(j))
            return opaque_object(c, j, out);
        return fail(c, LWM2M_ERR_TYPE,
                    "expected opaque data (a string, {\"hex\"} or {\"base64\"})");
    case LWM2M_TYPE_OBJLNK:
        return objlnk_value(c, j, out);
    default:
        return fail(c, LWM2M_ERR_TYPE, "executable resource takes no value");
    }
}

/* ---- records ------------------------------------------------------------------------------- */

static int add_record(pctx *c, const lwm2m_path *p, const lwm2m_value *v)
{
    if (c->n_recs >= RECORD_MAX)
        return fail(c, LWM2M_ERR_RANGE, "more than %d records in a plan", RECORD_MAX);
    if (c->n_recs == c->cap_recs) {
        size_t cap = c->cap_recs ? c->cap_recs * 2 : 32;
        lwm2m_record *grown = realloc(c->recs, cap * sizeof *grown);
        if (grown == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
        c->recs = grown;
        c->cap_recs = cap;
    }
    lwm2m_record *r = &c->recs[c->n_recs++];
    r->path = *p;
    r->value = *v;
    r->time = 0;
    return LWM2M_OK;
}

static int add_mark(pctx *c, const lwm2m_path *p, uint8_t form)
{
    if (c->n_marks == c->cap_marks) {
        size_t cap = c->cap_marks ? c->cap_marks * 2 : 8;
        mark *grown = realloc(c->marks, cap * sizeof *grown);
        if (grown == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
        c->marks = grown;
        c->cap_marks = cap;
    }
    c->marks[c->n_marks].plan = c->plan;
    c->marks[c->n_marks].path = *p;
    c->marks[c->n_marks].form = form;
    c->n_marks++;
    return LWM2M_OK;
}

/* A resource or resource-instance value at `p`, typed by `rd` (NULL: unknown resource). */
static int parse_value_at(pctx *c, const lwm2m_path *p, const lwm2m_resource_def *rd,
                          const cJSON *j)
{
    lwm2m_type type = rd != NULL ? (lwm2m_type)rd->type : LWM2M_TYPE_NONE;
    lwm2m_value v;
    if (c->tmpl) {
        bool taken;
        uint8_t form;
        bool opaque_ok = rd == NULL || type == LWM2M_TYPE_OPAQUE;
        int rc = placeholder_value(c, j, opaque_ok, &v, &form, &taken);
        if (rc != LWM2M_OK)
            return rc;
        if (taken) {
            if (form != FORM_PLAIN && (rc = add_mark(c, p, form)) != LWM2M_OK)
                return rc;
            return add_record(c, p, &v);
        }
    }
    int rc = rd != NULL ? typed_value(c, j, type, &v) : untyped_value(c, j, &v);
    return rc != LWM2M_OK ? rc : add_record(c, p, &v);
}

/* An ID key: canonical decimal 0..65534. */
static int parse_id(pctx *c, const char *key, uint16_t *out)
{
    size_t len = strlen(key);
    bool digits = len > 0;
    for (size_t i = 0; i < len && digits; i++)
        digits = key[i] >= '0' && key[i] <= '9';
    if (!digits || (key[0] == '0' && len > 1))
        return fail(c, LWM2M_ERR_INVALID, "not an ID (decimal 0..65534)");
    unsigned long v = len <= 5 ? strtoul(key, NULL, 10) : LWM2M_ID_RESERVED;
    if (v > LWM2M_ID_MAX)
        return fail(c, LWM2M_ERR_RANGE, "ID above 65534");
    *out = (uint16_t)v;
    return LWM2M_OK;
}

static int parse_resource(pctx *c, lwm2m_path p, const lwm2m_object_def *od, const cJSON *j)
{
    const lwm2m_resource_def *rd = od != NULL ? lwm2m_objdef_resource(od, p.id[2]) : NULL;
    if (rd != NULL && rd->type == LWM2M_TYPE_NONE)
        return fail(c, LWM2M_ERR_TYPE, "executable resource takes no value");
    bool multiple = rd != NULL ? rd->multiple : cJSON_IsObject(j) && !is_opaque_object(j);
    if (!multiple)
        return parse_value_at(c, &p, rd, j);
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object of resource instances");
    if (j->child == NULL) {
        lwm2m_value none = {LWM2M_TYPE_NONE, {0}};
        return add_record(c, &p, &none);
    }
    for (const cJSON *ri = j->child; ri != NULL; ri = ri->next) {
        size_t old = path_push(c, ri->string);
        lwm2m_path rp = p;
        int rc = parse_id(c, ri->string, &rp.id[3]);
        rp.len = 4;
        if (rc == LWM2M_OK)
            rc = parse_value_at(c, &rp, rd, ri);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int parse_instance(pctx *c, lwm2m_path p, const lwm2m_object_def *od, const cJSON *j)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object of resources");
    if (j->child == NULL) {
        lwm2m_value none = {LWM2M_TYPE_NONE, {0}};
        return add_record(c, &p, &none);
    }
    for (const cJSON *r = j->child; r != NULL; r = r->next) {
        size_t old = path_push(c, r->string);
        lwm2m_path rp = p;
        int rc = parse_id(c, r->string, &rp.id[2]);
        rp.len = 3;
        if (rc == LWM2M_OK)
            rc = parse_resource(c, rp, od, r);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int parse_objects(pctx *c, const cJSON *j)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object of objects");
    for (const cJSON *o = j->child; o != NULL; o = o->next) {
        size_t old = path_push(c, o->string);
        lwm2m_path p = lwm2m_path_obj(0);
        int rc = parse_id(c, o->string, &p.id[0]);
        const lwm2m_object_def *od = rc == LWM2M_OK ? find_def(c->defs, p.id[0]) : NULL;
        if (rc == LWM2M_OK && !cJSON_IsObject(o))
            rc = fail(c, LWM2M_ERR_TYPE, "expected an object of instances");
        for (const cJSON *i = rc == LWM2M_OK ? o->child : NULL; i != NULL; i = i->next) {
            size_t old_i = path_push(c, i->string);
            p.len = 2;
            rc = parse_id(c, i->string, &p.id[1]);
            if (rc == LWM2M_OK)
                rc = parse_instance(c, p, od, i);
            path_pop(c, old_i);
            if (rc != LWM2M_OK)
                break;
        }
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

/* ---- plans --------------------------------------------------------------------------------- */

static const char *const mode_names[] = {"psk", "rpk", "cert", "nosec", "est"};
static const char *const scheme_names[] = {"coap", "coaps", "coap+tcp", "coaps+tcp"};

/* What a plan needs when its document does not say: its own modes, schemes and /2. */
static void default_caps(const lwm2m_record *recs, size_t n, lwm2m_capabilities *caps)
{
    memset(caps, 0, sizeof *caps);
    for (size_t k = 0; k < n; k++) {
        const lwm2m_record *r = &recs[k];
        if (r->path.id[0] == 2)
            caps->access_control = true;
        if (r->path.id[0] != 0 || r->path.len != 3)
            continue;
        if (r->path.id[2] == 2 && r->value.type == LWM2M_TYPE_INTEGER && r->value.v.i >= 0 &&
            r->value.v.i <= LWM2M_SECURITY_EST)
            caps->security_modes |= (uint8_t)(1u << r->value.v.i);
        if (r->path.id[2] == 0 && r->value.type == LWM2M_TYPE_STRING)
            caps->schemes |=
                lwm2m_uri_scheme((const char *)r->value.v.bytes.ptr, r->value.v.bytes.len);
    }
}

static int name_bits(pctx *c, const cJSON *j, const char *const *names, size_t n, uint8_t *out)
{
    if (!cJSON_IsArray(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an array of names");
    uint8_t bits = 0;
    unsigned idx = 0;
    for (const cJSON *e = j->child; e != NULL; e = e->next, idx++) {
        size_t k = 0;
        const char *s = cJSON_IsString(e) ? e->valuestring : "";
        if (strcmp(s, "certificate") == 0 || strcmp(s, "x509") == 0)
            s = "cert";
        while (k < n && strcmp(names[k], s) != 0)
            k++;
        if (k == n) {
            size_t old = path_push_id(c, idx);
            int rc = fail(c, LWM2M_ERR_INVALID, "unknown name '%.40s'", s);
            path_pop(c, old);
            return rc;
        }
        bits |= (uint8_t)(1u << k);
    }
    *out = bits;
    return LWM2M_OK;
}

typedef struct caps_given {
    bool max, acl, modes, schemes;
} caps_given;

static int parse_caps(pctx *c, const cJSON *j, lwm2m_capabilities *caps, caps_given *given)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object");
    for (const cJSON *m = j->child; m != NULL; m = m->next) {
        size_t old = path_push(c, m->string);
        int rc = LWM2M_OK;
        bool *seen = NULL;
        if (strcmp(m->string, "maxServers") == 0) {
            seen = &given->max;
            int64_t v = 0;
            if (!cJSON_IsNumber(m))
                rc = fail(c, LWM2M_ERR_TYPE, "expected an integer");
            else if ((rc = number_to_i64(c, m->valuedouble, &v, "an integer")) == LWM2M_OK &&
                     (v < 0 || v > LWM2M_ID_MAX))
                rc = fail(c, LWM2M_ERR_RANGE, "expected 0..65534");
            caps->max_server_accounts = (size_t)v;
        } else if (strcmp(m->string, "accessControl") == 0) {
            seen = &given->acl;
            if (!cJSON_IsBool(m))
                rc = fail(c, LWM2M_ERR_TYPE, "expected a boolean");
            caps->access_control = cJSON_IsTrue(m);
        } else if (strcmp(m->string, "securityModes") == 0) {
            seen = &given->modes;
            rc = name_bits(c, m, mode_names, 5, &caps->security_modes);
        } else if (strcmp(m->string, "schemes") == 0) {
            seen = &given->schemes;
            rc = name_bits(c, m, scheme_names, 4, &caps->schemes);
        } else {
            rc = fail(c, LWM2M_ERR_INVALID, "unknown key");
        }
        if (rc == LWM2M_OK && *seen)
            rc = fail(c, LWM2M_ERR_INVALID, "duplicate key");
        if (seen != NULL)
            *seen = true;
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int parse_deletes(pctx *c, const cJSON *j, lwm2m_bs_plan *plan)
{
    if (!cJSON_IsArray(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an array of paths");
    int n = cJSON_GetArraySize(j);
    if (n > DELETE_MAX)
        return fail(c, LWM2M_ERR_RANGE, "more than %d paths", DELETE_MAX);
    lwm2m_path *paths = mem_alloc(c->mem, (size_t)n * sizeof *paths);
    if (paths == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (const cJSON *e = j->child; e != NULL; e = e->next, k++) {
        size_t old = path_push_id(c, (unsigned)k);
        int rc = LWM2M_OK;
        if (!cJSON_IsString(e))
            rc = fail(c, LWM2M_ERR_TYPE, "expected a path string");
        else if (lwm2m_path_parse(e->valuestring, strlen(e->valuestring), &paths[k]) != LWM2M_OK ||
                 paths[k].len > 2)
            rc = fail(c, LWM2M_ERR_INVALID, "'%.40s' is not /, /o or /o/i", e->valuestring);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    plan->deletes = paths;
    plan->delete_count = k;
    return LWM2M_OK;
}

/* Sorts the plan's records and refuses a path given twice (or both as a container and with
 * values below it), which JSON allows through duplicate keys. */
static int finish_records(pctx *c, lwm2m_bs_plan *plan)
{
    lwm2m_record_sort(c->recs, c->n_recs);
    for (size_t k = 1; k < c->n_recs; k++) {
        if (lwm2m_path_is_prefix(&c->recs[k - 1].path, &c->recs[k].path)) {
            size_t old = path_push(c, "objects");
            for (uint8_t l = 0; l < c->recs[k - 1].path.len; l++)
                path_push_id(c, c->recs[k - 1].path.id[l]);
            int rc = fail(c, LWM2M_ERR_INVALID, "given twice");
            path_pop(c, old);
            return rc;
        }
    }
    lwm2m_record *recs = mem_alloc(c->mem, c->n_recs * sizeof *recs);
    if (recs == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    if (c->n_recs > 0)
        memcpy(recs, c->recs, c->n_recs * sizeof *recs);
    plan->records = recs;
    plan->record_count = c->n_recs;
    c->n_recs = 0;
    return LWM2M_OK;
}

typedef struct plan_json {
    const cJSON *caps, *del, *objects;
} plan_json;

static int parse_plan(pctx *c, const plan_json *pj, lwm2m_bs_plan *plan)
{
    lwm2m_capabilities caps;
    memset(&caps, 0, sizeof caps);
    caps_given given = {false, false, false, false};
    int rc;
    size_t old;
    memset(plan, 0, sizeof *plan);
    c->n_recs = 0;
    if (pj->caps != NULL) {
        old = path_push(c, "capabilities");
        rc = parse_caps(c, pj->caps, &caps, &given);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (pj->del != NULL) {
        old = path_push(c, "delete");
        rc = parse_deletes(c, pj->del, plan);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (pj->objects != NULL) {
        old = path_push(c, "objects");
        rc = parse_objects(c, pj->objects);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if ((rc = finish_records(c, plan)) != LWM2M_OK)
        return rc;
    lwm2m_capabilities def;
    default_caps(plan->records, plan->record_count, &def);
    plan->caps.max_server_accounts = given.max ? caps.max_server_accounts : 0;
    plan->caps.access_control = given.acl ? caps.access_control : def.access_control;
    plan->caps.security_modes = given.modes ? caps.security_modes : def.security_modes;
    plan->caps.schemes = given.schemes ? caps.schemes : def.schemes;
    return LWM2M_OK;
}

/* Members of a plan object; false when `key` is no plan member. */
static bool plan_member(plan_json *pj, const char *key, const cJSON *v, bool *dup)
{
    const cJSON **slot = NULL;
    if (strcmp(key, "capabilities") == 0)
        slot = &pj->caps;
    else if (strcmp(key, "delete") == 0)
        slot = &pj->del;
    else if (strcmp(key, "objects") == 0)
        slot = &pj->objects;
    else
        return false;
    *dup = *slot != NULL;
    *slot = v;
    return true;
}

static int parse_fallbacks(pctx *c, const cJSON *j, lwm2m_bs_plan *plans, size_t *count)
{
    size_t k = 0;
    for (const cJSON *e = j->child; e != NULL; e = e->next, k++) {
        size_t old = path_push_id(c, (unsigned)k);
        int rc = LWM2M_OK;
        plan_json pj = {NULL, NULL, NULL};
        if (!cJSON_IsObject(e))
            rc = fail(c, LWM2M_ERR_TYPE, "expected a plan object");
        for (const cJSON *m = rc == LWM2M_OK ? e->child : NULL; m != NULL; m = m->next) {
            bool dup = false;
            if (!plan_member(&pj, m->string, m, &dup) || dup) {
                size_t old_m = path_push(c, m->string);
                rc = fail(c, LWM2M_ERR_INVALID, dup ? "duplicate key" : "unknown key");
                path_pop(c, old_m);
                break;
            }
        }
        c->plan = k + 1;
        if (rc == LWM2M_OK)
            rc = parse_plan(c, &pj, &plans[k + 1]);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    *count = k + 1;
    return LWM2M_OK;
}

/* ---- document ------------------------------------------------------------------------------ */

typedef struct doc_json {
    const cJSON *endpoint, *tmpl, *match, *vars, *psk, *rpk, *x509, *format, *discover, *auto_id,
        *fallbacks;
    plan_json plan0;
} doc_json;

static int collect_members(pctx *c, const cJSON *root, doc_json *d)
{
    for (const cJSON *m = root->child; m != NULL; m = m->next) {
        static const struct {
            const char *key;
            size_t offset;
        } keys[] = {
            {"endpoint", offsetof(doc_json, endpoint)},
            {"template", offsetof(doc_json, tmpl)},
            {"match", offsetof(doc_json, match)},
            {"vars", offsetof(doc_json, vars)},
            {"psk", offsetof(doc_json, psk)},
            {"rpk", offsetof(doc_json, rpk)},
            {"x509", offsetof(doc_json, x509)},
            {"contentFormat", offsetof(doc_json, format)},
            {"discover", offsetof(doc_json, discover)},
            {"autoIdForSecurityObject", offsetof(doc_json, auto_id)},
            {"fallbacks", offsetof(doc_json, fallbacks)},
        };
        bool dup = false, known = plan_member(&d->plan0, m->string, m, &dup);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0] && !known; k++) {
            if (strcmp(keys[k].key, m->string) == 0) {
                const cJSON **slot = (const cJSON **)((char *)d + keys[k].offset);
                dup = *slot != NULL;
                *slot = m;
                known = true;
            }
        }
        if (!known || dup) {
            size_t old = path_push(c, m->string);
            int rc = fail(c, LWM2M_ERR_INVALID, dup ? "duplicate key" : "unknown key");
            path_pop(c, old);
            return rc;
        }
    }
    return LWM2M_OK;
}

/* A name member: a string of 1..max bytes without control characters. */
static int parse_name(pctx *c, const cJSON *j, const char *key, char *out, size_t max,
                      bool empty_ok)
{
    size_t old = path_push(c, key);
    int rc = LWM2M_OK;
    if (!cJSON_IsString(j))
        rc = fail(c, LWM2M_ERR_TYPE, "expected a string");
    else if (strlen(j->valuestring) > max)
        rc = fail(c, LWM2M_ERR_RANGE, "longer than %zu bytes", max);
    else if ((!empty_ok && j->valuestring[0] == '\0') || has_control(j->valuestring))
        rc = fail(c, LWM2M_ERR_INVALID, "empty or with control characters");
    else
        memcpy(out, j->valuestring, strlen(j->valuestring) + 1);
    path_pop(c, old);
    return rc;
}

static int compare_vars(const void *a, const void *b)
{
    return strcmp(((const lwm2m_bs_var *)a)->name, ((const lwm2m_bs_var *)b)->name);
}

static int parse_vars(pctx *c, const cJSON *j)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object of strings");
    size_t n = (size_t)cJSON_GetArraySize(j), k = 0;
    lwm2m_bs_var *vars = mem_alloc(c->mem, n * sizeof *vars);
    if (vars == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    for (const cJSON *v = j->child; v != NULL; v = v->next, k++) {
        size_t old = path_push(c, v->string);
        int rc = LWM2M_OK;
        if (!valid_var_name(v->string, strlen(v->string)))
            rc = fail(c, LWM2M_ERR_INVALID, "variable names are 1..63 of [A-Za-z0-9_.-]");
        else if (!cJSON_IsString(v))
            rc = fail(c, LWM2M_ERR_TYPE, "expected a string");
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
        vars[k].name = mem_dup(c->mem, v->string, strlen(v->string));
        vars[k].value = mem_dup(c->mem, v->valuestring, strlen(v->valuestring));
        if (vars[k].name == NULL || vars[k].value == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    }
    qsort(vars, n, sizeof *vars, compare_vars);
    for (k = 1; k < n; k++) {
        if (strcmp(vars[k - 1].name, vars[k].name) == 0) {
            size_t old = path_push(c, vars[k].name);
            int rc = fail(c, LWM2M_ERR_INVALID, "duplicate key");
            path_pop(c, old);
            return rc;
        }
    }
    c->mem->vars = vars;
    c->mem->var_count = n;
    return LWM2M_OK;
}

/* Identity: UTF-8 text or {"hex": ..}; key: hex. A template may hold placeholders in both. */
static int parse_psk_identity(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    bool hex = is_opaque_object(j) && strcmp(j->child->string, "hex") == 0;
    const cJSON *s = hex ? j->child : j;
    if (!cJSON_IsString(s))
        return fail(c, LWM2M_ERR_TYPE, "expected a string or {\"hex\": ...}");
    const char *text = s->valuestring;
    size_t len = strlen(text);
    int ph = c->tmpl ? placeholders(text) : 0;
    if (ph < 0)
        return fail(c, LWM2M_ERR_INVALID, "malformed ${name} placeholder");
    if (hex && ph == 0) {
        int rc = hex_decode(text, len, cfg->psk_identity, LWM2M_PSK_IDENTITY_MAX,
                            &cfg->psk_identity_len);
        if (rc == LWM2M_ERR_RANGE)
            return fail(c, rc, "longer than %d bytes", LWM2M_PSK_IDENTITY_MAX);
        if (rc != LWM2M_OK)
            return fail(c, rc, "invalid hex");
    } else {
        if (len > LWM2M_PSK_IDENTITY_MAX)
            return fail(c, LWM2M_ERR_RANGE, "longer than %d bytes", LWM2M_PSK_IDENTITY_MAX);
        memcpy(cfg->psk_identity, text, len);
        cfg->psk_identity_len = len;
        if (ph > 0)
            c->mem->psk_identity_ph = hex ? PH_HEX : PH_TEXT;
    }
    if (cfg->psk_identity_len == 0)
        return fail(c, LWM2M_ERR_INVALID, "empty");
    return LWM2M_OK;
}

static int parse_psk_key(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    if (!cJSON_IsString(j))
        return fail(c, LWM2M_ERR_TYPE, "expected a hex string");
    const char *text = j->valuestring;
    int ph = c->tmpl ? placeholders(text) : 0;
    if (ph < 0)
        return fail(c, LWM2M_ERR_INVALID, "malformed ${name} placeholder");
    if (ph > 0) {
        c->mem->psk_key_text = mem_dup(c->mem, text, strlen(text));
        return c->mem->psk_key_text != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
    }
    int rc = hex_decode(text, strlen(text), cfg->psk_key, LWM2M_PSK_KEY_MAX, &cfg->psk_key_len);
    if (rc == LWM2M_ERR_RANGE)
        return fail(c, rc, "longer than %d bytes", LWM2M_PSK_KEY_MAX);
    if (rc != LWM2M_OK)
        return fail(c, rc, "invalid hex");
    if (cfg->psk_key_len == 0)
        return fail(c, LWM2M_ERR_INVALID, "empty");
    return LWM2M_OK;
}

static int parse_psk(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object");
    const cJSON *id = NULL, *key = NULL;
    for (const cJSON *m = j->child; m != NULL; m = m->next) {
        const cJSON **slot = strcmp(m->string, "identity") == 0 ? &id
                             : strcmp(m->string, "key") == 0    ? &key
                                                                : NULL;
        if (slot == NULL || *slot != NULL) {
            size_t old = path_push(c, m->string);
            int rc = fail(c, LWM2M_ERR_INVALID, slot == NULL ? "unknown key" : "duplicate key");
            path_pop(c, old);
            return rc;
        }
        *slot = m;
    }
    if (id == NULL || key == NULL)
        return fail(c, LWM2M_ERR_INVALID, "identity and key are both required");
    size_t old = path_push(c, "identity");
    int rc = parse_psk_identity(c, id, cfg);
    path_pop(c, old);
    if (rc != LWM2M_OK)
        return rc;
    old = path_push(c, "key");
    rc = parse_psk_key(c, key, cfg);
    path_pop(c, old);
    return rc;
}

/* The client's raw public key: hex, {"hex": ..} or {"base64": ..} of a SubjectPublicKeyInfo.
 * A template may hold placeholders (the text is kept and checked once expanded). */
static int parse_public_key(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    bool wrapped_value = is_opaque_object(j);
    const cJSON *s = wrapped_value ? j->child : j;
    if (!cJSON_IsString(s))
        return fail(c, LWM2M_ERR_TYPE,
                    "expected a hex string, {\"hex\": ...} or {\"base64\": ...}");
    uint8_t form = !wrapped_value                         ? FORM_PLAIN
                   : strcmp(j->child->string, "hex") == 0 ? FORM_HEX
                                                          : FORM_BASE64;
    const char *text = s->valuestring;
    size_t len = strlen(text);
    int ph = c->tmpl ? placeholders(text) : 0;
    if (ph < 0)
        return fail(c, LWM2M_ERR_INVALID, "malformed ${name} placeholder");
    if (ph > 0) {
        c->mem->public_key_text = mem_dup(c->mem, text, len);
        c->mem->public_key_form = form;
        return c->mem->public_key_text != NULL ? LWM2M_OK
                                               : fail(c, LWM2M_ERR_NOMEM, "out of memory");
    }
    uint8_t key[LWM2M_PUBLIC_KEY_MAX];
    size_t key_len = 0;
    int rc = form == FORM_BASE64 ? lwm2m_base64_decode(text, len, key, sizeof key, &key_len)
                                 : hex_decode(text, len, key, sizeof key, &key_len);
    if (rc == LWM2M_ERR_RANGE || rc == LWM2M_ERR_OVERFLOW)
        return fail(c, LWM2M_ERR_RANGE, "longer than %d bytes", LWM2M_PUBLIC_KEY_MAX);
    if (rc != LWM2M_OK)
        return fail(c, LWM2M_ERR_INVALID, form == FORM_BASE64 ? "invalid base64" : "invalid hex");
    const char *why = NULL;
    lwm2m_public_key parsed;
    if (lwm2m_der_public_key(key, key_len, &parsed, &why) != LWM2M_OK)
        return fail(c, LWM2M_ERR_INVALID, "not a SubjectPublicKeyInfo (%s)", why);
    /* Exact size: a server holds one parsed configuration per running session. */
    uint8_t *copy = mem_alloc(c->mem, key_len);
    if (copy == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    memcpy(copy, key, key_len);
    cfg->public_key = copy;
    cfg->public_key_len = key_len;
    return LWM2M_OK;
}

static int parse_rpk(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object");
    const cJSON *key = NULL;
    for (const cJSON *m = j->child; m != NULL; m = m->next) {
        bool known = strcmp(m->string, "publicKey") == 0;
        if (!known || key != NULL) {
            size_t old = path_push(c, m->string);
            int rc = fail(c, LWM2M_ERR_INVALID, known ? "duplicate key" : "unknown key");
            path_pop(c, old);
            return rc;
        }
        key = m;
    }
    if (key == NULL)
        return fail(c, LWM2M_ERR_INVALID, "publicKey is required");
    size_t old = path_push(c, "publicKey");
    int rc = parse_public_key(c, key, cfg);
    path_pop(c, old);
    return rc;
}

/* {} : certificates; no member yet (the CN binding lives in the store's cert map). */
static int parse_x509(pctx *c, const cJSON *j, lwm2m_bs_config *cfg)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_TYPE, "expected an object");
    if (j->child != NULL) {
        size_t old = path_push(c, j->child->string);
        int rc = fail(c, LWM2M_ERR_INVALID, "unknown key");
        path_pop(c, old);
        return rc;
    }
    cfg->x509 = true;
    return LWM2M_OK;
}

lwm2m_bs_credentials lwm2m_bs_config_credentials(const lwm2m_bs_config *cfg)
{
    const cfg_mem *m = cfg->mem;
    if (cfg->psk_identity_len > 0 || (m != NULL && m->psk_key_text != NULL))
        return LWM2M_BS_CREDS_PSK;
    if (cfg->public_key_len > 0 || (m != NULL && m->public_key_text != NULL))
        return LWM2M_BS_CREDS_RPK;
    return cfg->x509 ? LWM2M_BS_CREDS_X509 : LWM2M_BS_CREDS_NONE;
}

const char *lwm2m_bs_credentials_name(lwm2m_bs_credentials c)
{
    switch (c) {
    case LWM2M_BS_CREDS_PSK:
        return "psk";
    case LWM2M_BS_CREDS_RPK:
        return "rpk";
    case LWM2M_BS_CREDS_X509:
        return "x509";
    default:
        return "nosec";
    }
}

int lwm2m_bs_config_copy_credentials(lwm2m_bs_config *dst, const lwm2m_bs_config *src)
{
    if (lwm2m_bs_config_credentials(src) == LWM2M_BS_CREDS_NONE)
        return LWM2M_OK;
    uint8_t *key = NULL;
    if (src->public_key_len > 0) {
        cfg_mem *m = dst->mem;
        if (m == NULL || (key = mem_alloc(m, src->public_key_len)) == NULL)
            return LWM2M_ERR_NOMEM;
        memcpy(key, src->public_key, src->public_key_len);
    }
    memcpy(dst->psk_identity, src->psk_identity, src->psk_identity_len);
    dst->psk_identity_len = src->psk_identity_len;
    memcpy(dst->psk_key, src->psk_key, src->psk_key_len);
    dst->psk_key_len = src->psk_key_len;
    dst->public_key = key;
    dst->public_key_len = src->public_key_len;
    dst->x509 = src->x509;
    return LWM2M_OK;
}

/* The formats that carry a Bootstrap-Write of whole instances. */
static bool write_format(lwm2m_format f)
{
    return f == LWM2M_FORMAT_TLV || f == LWM2M_FORMAT_SENML_JSON || f == LWM2M_FORMAT_SENML_CBOR ||
           f == LWM2M_FORMAT_LWM2M_JSON || f == LWM2M_FORMAT_LWM2M_CBOR;
}

static int parse_format(pctx *c, const cJSON *j, lwm2m_format *out)
{
    char name[24];
    if (cJSON_IsNull(j)) {
        *out = LWM2M_FORMAT_NONE;
        return LWM2M_OK;
    }
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (!(d >= 0 && d <= 65535 && d == floor(d)))
            return fail(c, LWM2M_ERR_INVALID, "unknown content format");
        snprintf(name, sizeof name, "%u", (unsigned)d);
    } else if (cJSON_IsString(j) && strlen(j->valuestring) < sizeof name) {
        /* "senml+json" as in the media type names "senml-json" */
        strcpy(name, j->valuestring);
        for (char *p = name; *p != '\0'; p++)
            if (*p == '+')
                *p = '-';
    } else {
        return fail(c, cJSON_IsString(j) ? LWM2M_ERR_INVALID : LWM2M_ERR_TYPE,
                    "expected a content format name or number");
    }
    lwm2m_format f;
    if (lwm2m_format_from_name(name, &f) != LWM2M_OK)
        return fail(c, LWM2M_ERR_INVALID, "unknown content format '%s'", name);
    if (!write_format(f))
        return fail(c, LWM2M_ERR_INVALID, "content format '%s' cannot carry a Bootstrap-Write",
                    name);
    *out = f;
    return LWM2M_OK;
}

static int parse_flag(pctx *c, const cJSON *j, const char *key, bool *out)
{
    if (j == NULL)
        return LWM2M_OK;
    if (!cJSON_IsBool(j)) {
        size_t old = path_push(c, key);
        int rc = fail(c, LWM2M_ERR_TYPE, "expected a boolean");
        path_pop(c, old);
        return rc;
    }
    *out = cJSON_IsTrue(j);
    return LWM2M_OK;
}

static int parse_header(pctx *c, const doc_json *d, lwm2m_bs_config *cfg)
{
    int rc;
    if (d->endpoint != NULL && (rc = parse_name(c, d->endpoint, "endpoint", cfg->endpoint,
                                                LWM2M_ENDPOINT_MAX, false)) != LWM2M_OK)
        return rc;
    if (d->tmpl != NULL && (rc = parse_name(c, d->tmpl, "template", cfg->template_name,
                                            sizeof cfg->template_name - 1, false)) != LWM2M_OK)
        return rc;
    if (d->match != NULL) {
        if (!c->tmpl)
            return fail(c, LWM2M_ERR_INVALID, "match: only in a template");
        if ((rc = parse_name(c, d->match, "match", cfg->match, LWM2M_ENDPOINT_MAX, true)) !=
            LWM2M_OK)
            return rc;
    }
    if (d->vars != NULL) {
        if (c->tmpl || d->tmpl == NULL)
            return fail(c, LWM2M_ERR_INVALID, "vars: only in an endpoint that uses a template");
        size_t old = path_push(c, "vars");
        rc = parse_vars(c, d->vars);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (d->psk != NULL) {
        size_t old = path_push(c, "psk");
        rc = parse_psk(c, d->psk, cfg);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if ((d->psk != NULL) + (d->rpk != NULL) + (d->x509 != NULL) > 1)
        return fail(c, LWM2M_ERR_INVALID, "psk, rpk and x509 exclude each other");
    if (d->rpk != NULL) {
        size_t old = path_push(c, "rpk");
        rc = parse_rpk(c, d->rpk, cfg);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (d->x509 != NULL) {
        size_t old = path_push(c, "x509");
        rc = parse_x509(c, d->x509, cfg);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (d->format != NULL) {
        size_t old = path_push(c, "contentFormat");
        rc = parse_format(c, d->format, &cfg->format);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    if ((rc = parse_flag(c, d->discover, "discover", &cfg->discover)) != LWM2M_OK)
        return rc;
    return parse_flag(c, d->auto_id, "autoIdForSecurityObject", &cfg->auto_id_security);
}

static int compare_marks(const void *a, const void *b)
{
    const mark *x = a, *y = b;
    if (x->plan != y->plan)
        return x->plan < y->plan ? -1 : 1;
    return lwm2m_path_compare(&x->path, &y->path);
}

static int parse_doc(pctx *c, const cJSON *root, lwm2m_bs_config *cfg)
{
    if (!cJSON_IsObject(root))
        return fail(c, LWM2M_ERR_INVALID, "document is not a JSON object");
    doc_json d;
    memset(&d, 0, sizeof d);
    int rc = collect_members(c, root, &d);
    if (rc != LWM2M_OK)
        return rc;
    if (d.endpoint == NULL && d.tmpl == NULL)
        return fail(c, LWM2M_ERR_INVALID, "document has neither \"endpoint\" nor \"template\"");
    c->tmpl = d.endpoint == NULL;
    if ((rc = parse_header(c, &d, cfg)) != LWM2M_OK)
        return rc;
    size_t n_fallbacks = 0;
    if (d.fallbacks != NULL) {
        if (!cJSON_IsArray(d.fallbacks))
            return fail(c, LWM2M_ERR_TYPE, "fallbacks: expected an array of plans");
        n_fallbacks = (size_t)cJSON_GetArraySize(d.fallbacks);
        if (n_fallbacks > PLAN_MAX - 1)
            return fail(c, LWM2M_ERR_RANGE, "fallbacks: more than %d plans in all", PLAN_MAX);
    }
    lwm2m_bs_plan *plans = mem_alloc(c->mem, (n_fallbacks + 1) * sizeof *plans);
    if (plans == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    c->plan = 0;
    if ((rc = parse_plan(c, &d.plan0, &plans[0])) != LWM2M_OK)
        return rc;
    size_t count = 1;
    if (d.fallbacks != NULL) {
        size_t old = path_push(c, "fallbacks");
        rc = parse_fallbacks(c, d.fallbacks, plans, &count);
        path_pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    cfg->plans = plans;
    cfg->plan_count = count;
    if (c->n_marks > 0) {
        mark *marks = mem_alloc(c->mem, c->n_marks * sizeof *marks);
        if (marks == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
        memcpy(marks, c->marks, c->n_marks * sizeof *marks);
        qsort(marks, c->n_marks, sizeof *marks, compare_marks);
        c->mem->marks = marks;
        c->mem->mark_count = c->n_marks;
    }
    return LWM2M_OK;
}

int lwm2m_bs_config_parse(const char *json, size_t len, const lwm2m_objdef_list *defs,
                          lwm2m_bs_config **out, char *err, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (json == NULL || out == NULL) {
        set_err(err, errlen, "no document");
        return LWM2M_ERR_INVALID;
    }
    if (len > DOC_MAX) {
        set_err(err, errlen, "document larger than 1 MiB");
        return LWM2M_ERR_RANGE;
    }
    int rc = prescan(json, len, err, errlen);
    if (rc != LWM2M_OK)
        return rc;
    cJSON *root = parse_json(json, len, err, errlen);
    if (root == NULL)
        return LWM2M_ERR_INVALID;
    lwm2m_bs_config *cfg = calloc(1, sizeof *cfg);
    cfg_mem *mem = calloc(1, sizeof *mem);
    if (cfg == NULL || mem == NULL) {
        free(cfg);
        free(mem);
        cJSON_Delete(root);
        set_err(err, errlen, "out of memory");
        return LWM2M_ERR_NOMEM;
    }
    cfg->mem = mem;
    cfg->format = LWM2M_FORMAT_NONE;
    cfg->discover = true;
    pctx c;
    memset(&c, 0, sizeof c);
    c.defs = defs;
    c.mem = mem;
    c.err = err;
    c.errlen = errlen;
    rc = parse_doc(&c, root, cfg);
    free(c.recs);
    free(c.marks);
    cJSON_Delete(root);
    if (rc != LWM2M_OK) {
        lwm2m_bs_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return LWM2M_OK;
}

/* ---- canonical JSON ------------------------------------------------------------------------ */

/* Adds `item` to `parent` (object when key != NULL, else array); false and nothing leaked
 * when either is NULL or the add fails. */
static bool put(cJSON *parent, const char *key, cJSON *item)
{
    if (item == NULL)
        return false;
    bool ok = parent != NULL && (key != NULL ? cJSON_AddItemToObject(parent, key, item)
                                             : cJSON_AddItemToArray(parent, item));
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

static cJSON *put_object_id(cJSON *parent, unsigned id, bool *ok)
{
    char key[12];
    snprintf(key, sizeof key, "%u", id);
    cJSON *o = cJSON_CreateObject();
    if (!put(parent, key, o)) {
        *ok = false;
        return NULL;
    }
    return o;
}

static cJSON *string_n(const void *p, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, p, len);
    copy[len] = '\0';
    cJSON *s = cJSON_CreateString(copy);
    free(copy);
    return s;
}

static cJSON *hex_string(const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *text = malloc(2 * len + 1);
    if (text == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        text[2 * i] = digits[p[i] >> 4];
        text[2 * i + 1] = digits[p[i] & 15];
    }
    text[2 * len] = '\0';
    cJSON *s = cJSON_CreateString(text);
    free(text);
    return s;
}

static cJSON *wrapped(const char *key, cJSON *inner)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || !put(o, key, inner)) {
        if (o == NULL)
            cJSON_Delete(inner);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Integers a double holds exactly are numbers; larger ones decimal strings. */
static cJSON *int_json(int64_t i)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)i);
    return fabs((double)i) < EXACT_INT_LIMIT ? cJSON_CreateRaw(buf) : cJSON_CreateString(buf);
}

static cJSON *uint_json(uint64_t u)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    return (double)u < EXACT_INT_LIMIT ? cJSON_CreateRaw(buf) : cJSON_CreateString(buf);
}

static uint8_t form_of(const cfg_mem *m, size_t plan, const lwm2m_path *p)
{
    if (m == NULL || m->mark_count == 0)
        return FORM_PLAIN;
    mark key;
    key.plan = plan;
    key.path = *p;
    const mark *found = bsearch(&key, m->marks, m->mark_count, sizeof key, compare_marks);
    return found != NULL ? found->form : FORM_PLAIN;
}

static cJSON *value_json(const lwm2m_value *v, uint8_t form)
{
    char buf[LWM2M_DOUBLE_STR_MAX];
    switch (v->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK: {
        cJSON *s = string_n(v->v.bytes.ptr, v->v.bytes.len);
        if (form == FORM_PLAIN || s == NULL)
            return s;
        return wrapped(form == FORM_HEX ? "hex" : "base64", s);
    }
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return int_json(v->v.i);
    case LWM2M_TYPE_UNSIGNED:
        return uint_json(v->v.u);
    case LWM2M_TYPE_FLOAT:
        return lwm2m_fmt_double(v->v.f, buf, sizeof buf) > 0 ? cJSON_CreateRaw(buf)
                                                             : cJSON_CreateNull();
    case LWM2M_TYPE_BOOLEAN:
        return cJSON_CreateBool(v->v.b);
    case LWM2M_TYPE_OPAQUE:
        return wrapped("hex", hex_string(v->v.bytes.ptr, v->v.bytes.len));
    case LWM2M_TYPE_OBJLNK:
        snprintf(buf, sizeof buf, "%u:%u", v->v.objlnk.obj, v->v.objlnk.inst);
        return cJSON_CreateString(buf);
    default:
        return cJSON_CreateObject();
    }
}

/* Records are sorted and unique, so objects, instances and resources come grouped. */
static bool put_records(cJSON *objects, const lwm2m_bs_plan *plan, size_t idx, const cfg_mem *m)
{
    cJSON *o = NULL, *in = NULL, *multi = NULL;
    bool ok = true;
    for (size_t k = 0; k < plan->record_count && ok; k++) {
        const lwm2m_record *r = &plan->records[k];
        const lwm2m_path *p = &r->path, *prev = k > 0 ? &plan->records[k - 1].path : NULL;
        if (p->len < 2 || p->len > 4)
            continue;
        bool new_obj = prev == NULL || prev->len < 1 || prev->id[0] != p->id[0];
        bool new_inst = new_obj || prev->len < 2 || prev->id[1] != p->id[1];
        bool new_res = new_inst || prev->len < 3 || prev->id[2] != p->id[2];
        if (new_obj)
            o = put_object_id(objects, p->id[0], &ok);
        if (new_inst)
            in = put_object_id(o, p->id[1], &ok);
        if (p->len == 2)
            continue;
        char key[12];
        if (p->len == 3) {
            snprintf(key, sizeof key, "%u", p->id[2]);
            ok = ok && put(in, key, value_json(&r->value, form_of(m, idx, p)));
            continue;
        }
        if (new_res)
            multi = put_object_id(in, p->id[2], &ok);
        snprintf(key, sizeof key, "%u", p->id[3]);
        ok = ok && put(multi, key, value_json(&r->value, form_of(m, idx, p)));
    }
    return ok;
}

static cJSON *names_json(uint8_t bits, const char *const *names, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 0; k < n && a != NULL; k++) {
        if ((bits & (1u << k)) && !put(a, NULL, cJSON_CreateString(names[k]))) {
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return a;
}

/* Only what differs from the defaults parse derives from the plan, so that a template keeps
 * deriving them after its placeholders are filled. */
static bool put_caps(cJSON *o, const lwm2m_bs_plan *plan)
{
    lwm2m_capabilities def;
    default_caps(plan->records, plan->record_count, &def);
    const lwm2m_capabilities *caps = &plan->caps;
    if (caps->max_server_accounts == 0 && caps->access_control == def.access_control &&
        caps->security_modes == def.security_modes && caps->schemes == def.schemes)
        return true;
    cJSON *j = cJSON_CreateObject();
    bool ok = put(o, "capabilities", j);
    if (ok && caps->max_server_accounts != 0)
        ok = put(j, "maxServers", uint_json(caps->max_server_accounts));
    if (ok && caps->access_control != def.access_control)
        ok = put(j, "accessControl", cJSON_CreateBool(caps->access_control));
    if (ok && caps->security_modes != def.security_modes)
        ok = put(j, "securityModes", names_json(caps->security_modes, mode_names, 5));
    if (ok && caps->schemes != def.schemes)
        ok = put(j, "schemes", names_json(caps->schemes, scheme_names, 4));
    return ok;
}

static bool put_plan(cJSON *o, const lwm2m_bs_plan *plan, size_t idx, const cfg_mem *m)
{
    bool ok = put_caps(o, plan);
    if (ok && plan->delete_count > 0) {
        cJSON *del = cJSON_CreateArray();
        ok = put(o, "delete", del);
        for (size_t k = 0; k < plan->delete_count && ok; k++) {
            char buf[LWM2M_PATH_STR_MAX];
            lwm2m_path_format(&plan->deletes[k], buf, sizeof buf);
            ok = put(del, NULL, cJSON_CreateString(buf));
        }
    }
    if (ok && plan->record_count > 0) {
        cJSON *objects = cJSON_CreateObject();
        ok = put(o, "objects", objects) && put_records(objects, plan, idx, m);
    }
    return ok;
}

static bool printable_text(const uint8_t *p, size_t len)
{
    if (!lwm2m_utf8_valid(p, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
    return true;
}

static bool has_dollar_brace(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == '$' && p[i + 1] == '{')
            return true;
    return false;
}

static bool put_psk(cJSON *root, const lwm2m_bs_config *cfg, const cfg_mem *m)
{
    const char *key_text = m != NULL ? m->psk_key_text : NULL;
    if (cfg->psk_identity_len == 0 && key_text == NULL)
        return true;
    cJSON *psk = cJSON_CreateObject();
    bool ok = put(root, "psk", psk);
    size_t id_len = cfg->psk_identity_len;
    if (id_len > LWM2M_PSK_IDENTITY_MAX)
        id_len = LWM2M_PSK_IDENTITY_MAX;
    uint8_t ph = m != NULL ? m->psk_identity_ph : PH_NONE;
    /* In a template, bytes that read as "${" are no placeholder: keep them in hex. */
    bool literal_ok = cfg->endpoint[0] != '\0' || !has_dollar_brace(cfg->psk_identity, id_len);
    cJSON *id;
    if (ph == PH_HEX)
        id = wrapped("hex", string_n(cfg->psk_identity, id_len));
    else if (ph == PH_TEXT || (literal_ok && printable_text(cfg->psk_identity, id_len)))
        id = string_n(cfg->psk_identity, id_len);
    else
        id = wrapped("hex", hex_string(cfg->psk_identity, id_len));
    ok = ok && put(psk, "identity", id);
    size_t key_len = cfg->psk_key_len > LWM2M_PSK_KEY_MAX ? LWM2M_PSK_KEY_MAX : cfg->psk_key_len;
    cJSON *key =
        key_text != NULL ? cJSON_CreateString(key_text) : hex_string(cfg->psk_key, key_len);
    return ok && put(psk, "key", key);
}

static bool put_rpk(cJSON *root, const lwm2m_bs_config *cfg, const cfg_mem *m)
{
    const char *text = m != NULL ? m->public_key_text : NULL;
    if (cfg->public_key_len == 0 && text == NULL)
        return true;
    cJSON *rpk = cJSON_CreateObject();
    bool ok = put(root, "rpk", rpk);
    cJSON *key;
    if (text == NULL)
        key = hex_string(cfg->public_key, cfg->public_key_len);
    else if (m->public_key_form == FORM_PLAIN)
        key = cJSON_CreateString(text);
    else
        key = wrapped(m->public_key_form == FORM_HEX ? "hex" : "base64", cJSON_CreateString(text));
    return ok && put(rpk, "publicKey", key);
}

/* strlen of a fixed-size field that should be, but might not be, NUL-terminated. */
static size_t bounded_len(const char *s, size_t max)
{
    const char *nul = memchr(s, '\0', max);
    return nul != NULL ? (size_t)(nul - s) : max;
}

static bool put_header(cJSON *root, const lwm2m_bs_config *cfg, const cfg_mem *m)
{
    bool is_template = cfg->endpoint[0] == '\0';
    bool ok = true;
    if (!is_template)
        ok = put(root, "endpoint",
                 string_n(cfg->endpoint, bounded_len(cfg->endpoint, LWM2M_ENDPOINT_MAX)));
    if (ok && (is_template || cfg->template_name[0] != '\0'))
        ok = put(root, "template",
                 string_n(cfg->template_name,
                          bounded_len(cfg->template_name, sizeof cfg->template_name - 1)));
    if (ok && is_template && cfg->match[0] != '\0')
        ok = put(root, "match", string_n(cfg->match, bounded_len(cfg->match, LWM2M_ENDPOINT_MAX)));
    if (ok && !is_template && m != NULL && m->var_count > 0) {
        cJSON *vars = cJSON_CreateObject();
        ok = put(root, "vars", vars);
        for (size_t k = 0; k < m->var_count && ok; k++)
            ok = put(vars, m->vars[k].name, cJSON_CreateString(m->vars[k].value));
    }
    ok = ok && put_psk(root, cfg, m) && put_rpk(root, cfg, m);
    if (ok && cfg->x509)
        ok = put(root, "x509", cJSON_CreateObject());
    const char *fmt = cfg->format != LWM2M_FORMAT_NONE ? lwm2m_format_name(cfg->format) : NULL;
    if (ok && fmt != NULL)
        ok = put(root, "contentFormat", cJSON_CreateString(fmt));
    ok = ok && put(root, "discover", cJSON_CreateBool(cfg->discover));
    return ok && put(root, "autoIdForSecurityObject", cJSON_CreateBool(cfg->auto_id_security));
}

char *lwm2m_bs_config_to_json(const lwm2m_bs_config *cfg)
{
    if (cfg == NULL)
        return NULL;
    const cfg_mem *m = cfg->mem;
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL && put_header(root, cfg, m);
    if (ok && cfg->plan_count > 0)
        ok = put_plan(root, &cfg->plans[0], 0, m);
    if (ok && cfg->plan_count > 1) {
        cJSON *fallbacks = cJSON_CreateArray();
        ok = put(root, "fallbacks", fallbacks);
        for (size_t k = 1; k < cfg->plan_count && ok; k++) {
            cJSON *plan = cJSON_CreateObject();
            ok = put(fallbacks, NULL, plan) && put_plan(plan, &cfg->plans[k], k, m);
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
