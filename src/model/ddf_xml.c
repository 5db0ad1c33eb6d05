/* A small, bounded reader of OMA DDF XML files. It checks well-formedness of the whole
 * document (UTF-8, names, attributes, entities, CDATA, comments, nesting) but extracts only
 * what lwm2m_object_def needs. No DTDs, so no user-defined entities. Depth and field sizes are
 * bounded and there is no recursion. Linked into lwm2m-objgen with value.c and error.c only. */
#include "lwm2m/ddf.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"
#include "lwm2m/value.h"

#define MAX_DEPTH     32
#define MAX_TEXT      1024 /* longest kept field value (names, versions...) */
#define MAX_ATTRS     16
#define MAX_ID_TEXT   16
#define MAX_FILE_SIZE (16u * 1024u * 1024u)

/* What an open element is, from where it sits. */
enum kind { K_OTHER, K_ROOT, K_OBJECT, K_RESOURCES, K_ITEM, K_FIELD };

/* The ID attribute of an <Item>: absent, valid, malformed or out of range. */
enum id_state { ID_ABSENT, ID_OK, ID_BAD, ID_RANGE };

/* Extracted fields, one seen-bit each. */
enum field {
    F_NAME,
    F_OBJECT_ID,
    F_OBJECT_VERSION,
    F_LWM2M_VERSION,
    F_MULTIPLE,
    F_MANDATORY,
    F_OPERATIONS,
    F_TYPE,
    F_COUNT
};

static const char *const field_tags[F_COUNT] = {
    "Name",      "ObjectID",   "ObjectVersion", "LWM2MVersion", "MultipleInstances",
    "Mandatory", "Operations", "Type",
};

#define BIT(f) (1u << (f))
#define OBJECT_FIELDS                                                                              \
    (BIT(F_NAME) | BIT(F_OBJECT_ID) | BIT(F_OBJECT_VERSION) | BIT(F_LWM2M_VERSION) |               \
     BIT(F_MULTIPLE) | BIT(F_MANDATORY))
#define ITEM_FIELDS                                                                                \
    (BIT(F_NAME) | BIT(F_MULTIPLE) | BIT(F_MANDATORY) | BIT(F_OPERATIONS) | BIT(F_TYPE))

typedef struct elem {
    const char *name;
    size_t name_len;
    size_t pos; /* of '<', for errors */
    uint8_t kind;
    uint8_t field;
} elem;

typedef struct res_build {
    uint16_t id;
    uint8_t type;
    uint8_t ops;
    bool multiple;
    bool mandatory;
    size_t name; /* offset in the string pool */
    size_t pos;  /* of <Item>, for errors */
} res_build;

typedef struct obj_build {
    uint16_t id;
    bool multiple;
    bool mandatory;
    bool has_resources;
    size_t name, version, lwm2m_version; /* offsets in the string pool */
    size_t pos;
    unsigned seen;
} obj_build;

typedef struct parser {
    const char *in;
    size_t len;
    size_t pos;
    elem stack[MAX_DEPTH];
    size_t depth;
    bool root_done;
    size_t objects; /* <Object> elements finished */
    char text[MAX_TEXT];
    size_t text_len;
    obj_build obj;
    res_build item;
    unsigned item_seen;
    res_build *res; /* resources of the current object */
    size_t res_count, res_cap;
    char *pool; /* NUL-terminated strings of the current object */
    size_t pool_len, pool_cap;
    lwm2m_ddf_set *set;
    size_t err_pos;
    const char *err_reason;
} parser;

/* The memory of one definition: freed with a single free(). */
typedef struct def_block {
    lwm2m_object_def def;
    lwm2m_resource_def res[];
} def_block;

static int fail(parser *p, size_t pos, const char *reason)
{
    p->err_pos = pos;
    p->err_reason = reason;
    return LWM2M_ERR_INVALID;
}

static int nomem(parser *p)
{
    p->err_pos = p->pos;
    p->err_reason = "out of memory";
    return LWM2M_ERR_NOMEM;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ASCII subset of XML NameStartChar / NameChar; any non-ASCII (already valid UTF-8) too. */
static bool is_name_start(char c)
{
    return is_alpha(c) || c == '_' || c == ':' || (unsigned char)c >= 0x80;
}

static bool is_name_char(char c)
{
    return is_name_start(c) || is_digit(c) || c == '-' || c == '.';
}

static bool eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool starts(const parser *p, size_t pos, const char *lit)
{
    size_t n = strlen(lit);
    return pos <= p->len && p->len - pos >= n && memcmp(p->in + pos, lit, n) == 0;
}

/* Position of `lit` at or after `pos`, or p->len when absent. */
static size_t find(const parser *p, size_t pos, const char *lit)
{
    for (size_t i = pos; i < p->len; i++)
        if (starts(p, i, lit))
            return i;
    return p->len;
}

/* XML 1.0 Char production. */
static bool is_xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Whole-document pass: valid UTF-8 (no overlongs or surrogates) of XML characters only. */
static int check_chars(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->in;
    size_t i = 0;
    while (i < p->len) {
        uint32_t c = s[i];
        size_t n = 1;
        uint32_t min = 0;
        if (c >= 0xF0 && c <= 0xF4) {
            n = 4, c &= 0x07, min = 0x10000;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3, c &= 0x0F, min = 0x800;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 2, c &= 0x1F, min = 0x80;
        } else if (c >= 0x80) {
            return fail(p, i, "invalid UTF-8");
        }
        if (n > p->len - i)
            return fail(p, i, "invalid UTF-8");
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return fail(p, i, "invalid UTF-8");
            c = (c << 6) | (s[i + k] & 0x3Fu);
        }
        if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
            return fail(p, i, "invalid UTF-8");
        if (!is_xml_char(c))
            return fail(p, i, "character not allowed in XML");
        i += n;
    }
    return LWM2M_OK;
}

static size_t utf8_put(uint32_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decodes the reference at in[pos] == '&' into out; *end is the position after ';'. */
static int entity(parser *p, size_t pos, char out[4], size_t *out_len, size_t *end)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    size_t semi = pos + 1;
    /* "#x10FFFF" is the longest reference body we accept. */
    while (semi < p->len && semi - pos <= 9 && p->in[semi] != ';')
        semi++;
    if (semi >= p->len || p->in[semi] != ';')
        return fail(p, pos, "bad entity reference");
    const char *body = p->in + pos + 1;
    size_t n = semi - pos - 1;
    *end = semi + 1;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (eq(body, n, named[i].name)) {
            out[0] = named[i].c;
            *out_len = 1;
            return LWM2M_OK;
        }
    }
    if (n == 0 || body[0] != '#')
        return fail(p, pos, "bad entity reference");
    bool hex = n > 1 && body[1] == 'x';
    size_t i = hex ? 2 : 1;
    if (i == n)
        return fail(p, pos, "bad character reference");
    uint32_t c = 0;
    for (; i < n; i++) {
        char d = body[i];
        uint32_t v;
        if (is_digit(d))
            v = (uint32_t)(d - '0');
        else if (hex && d >= 'a' && d <= 'f')
            v = (uint32_t)(d - 'a' + 10);
        else if (hex && d >= 'A' && d <= 'F')
            v = (uint32_t)(d - 'A' + 10);
        else
            return fail(p, pos, "bad character reference");
        c = c * (hex ? 16u : 10u) + v;
        if (c > 0x10FFFF)
            return fail(p, pos, "bad character reference");
    }
    if (!is_xml_char(c))
        return fail(p, pos, "bad character reference");
    *out_len = utf8_put(c, out);
    return LWM2M_OK;
}

static int pool_add(parser *p, const char *s, size_t n, size_t *off)
{
    if (n + 1 > p->pool_cap - p->pool_len) {
        size_t cap = p->pool_cap ? p->pool_cap : 256;
        while (cap - p->pool_len < n + 1) {
            if (cap > SIZE_MAX / 2)
                return nomem(p);
            cap *= 2;
        }
        char *np = realloc(p->pool, cap);
        if (np == NULL)
            return nomem(p);
        p->pool = np;
        p->pool_cap = cap;
    }
    *off = p->pool_len;
    if (n > 0)
        memcpy(p->pool + p->pool_len, s, n);
    p->pool[p->pool_len + n] = '\0';
    p->pool_len += n + 1;
    return LWM2M_OK;
}

/* Character data (already decoded) at `pos` inside the innermost open element. */
static int text_add(parser *p, size_t pos, const char *s, size_t n)
{
    if (p->depth == 0) {
        for (size_t i = 0; i < n; i++)
            if (!is_space(s[i]))
                return fail(p, pos + i, "text outside the root element");
        return LWM2M_OK;
    }
    uint8_t kind = p->stack[p->depth - 1].kind;
    if (kind == K_FIELD) {
        if (n > MAX_TEXT - p->text_len)
            return fail(p, pos, "value too long");
        memcpy(p->text + p->text_len, s, n);
        p->text_len += n;
    } else if (kind != K_OTHER) {
        for (size_t i = 0; i < n; i++)
            if (!is_space(s[i]))
                return fail(p, pos + i, "unexpected text");
    }
    return LWM2M_OK;
}

/* A run of character data up to the next '<' or the end of input. */
static int text_run(parser *p)
{
    while (p->pos < p->len && p->in[p->pos] != '<') {
        size_t start = p->pos;
        while (p->pos < p->len && p->in[p->pos] != '<' && p->in[p->pos] != '&') {
            if (p->in[p->pos] == ']' && starts(p, p->pos, "]]>"))
                return fail(p, p->pos, "']]>' in text");
            p->pos++;
        }
        int rc = text_add(p, start, p->in + start, p->pos - start);
        if (rc != LWM2M_OK)
            return rc;
        if (p->pos < p->len && p->in[p->pos] == '&') {
            char buf[4];
            size_t n, end;
            rc = entity(p, p->pos, buf, &n, &end);
            if (rc == LWM2M_OK)
                rc = text_add(p, p->pos, buf, n);
            if (rc != LWM2M_OK)
                return rc;
            p->pos = end;
        }
    }
    return LWM2M_OK;
}

static int read_name(parser *p, const char **name, size_t *n)
{
    size_t start = p->pos;
    if (p->pos >= p->len || !is_name_start(p->in[p->pos]))
        return fail(p, p->pos, p->pos >= p->len ? "unterminated tag" : "bad name");
    while (p->pos < p->len && is_name_char(p->in[p->pos]))
        p->pos++;
    *name = p->in + start;
    *n = p->pos - start;
    return LWM2M_OK;
}

static bool skip_space(parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_space(p->in[p->pos]))
        p->pos++;
    return p->pos > start;
}

/* Trims XML white space off the collected field value. */
static void trimmed(const parser *p, const char **s, size_t *n)
{
    size_t a = 0, b = p->text_len;
    while (a < b && is_space(p->text[a]))
        a++;
    while (b > a && is_space(p->text[b - 1]))
        b--;
    *s = p->text + a;
    *n = b - a;
}

/* Decimal ID 0..65534 (65535 is reserved). */
static int parse_id(const char *s, size_t n, uint16_t *out, bool *range)
{
    uint32_t v = 0;
    *range = false;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10u + (uint32_t)(s[i] - '0');
        if (v > 65534u) {
            *range = true;
            return -1;
        }
    }
    *out = (uint16_t)v;
    return 0;
}

/* "major.minor", each 1..5 digits. */
static bool is_version(const char *s, size_t n)
{
    size_t i = 0, a = 0, b = 0;
    while (i < n && is_digit(s[i]))
        i++, a++;
    if (i == n || s[i] != '.')
        return false;
    i++;
    while (i < n && is_digit(s[i]))
        i++, b++;
    return i == n && a >= 1 && a <= 5 && b >= 1 && b <= 5;
}

/* Numeric (major, minor) comparison of two strings is_version accepted. */
static unsigned long version_part(const char **s)
{
    unsigned long v = 0;
    while (is_digit(**s))
        v = v * 10 + (unsigned long)(*(*s)++ - '0');
    if (**s == '.')
        (*s)++;
    return v;
}

static bool same_version(const char *a, const char *b)
{
    unsigned long a1 = version_part(&a), a2 = version_part(&a);
    unsigned long b1 = version_part(&b), b2 = version_part(&b);
    return a1 == b1 && a2 == b2;
}

static int field_index(const char *name, size_t n, unsigned allowed)
{
    for (int f = 0; f < F_COUNT; f++)
        if ((allowed & BIT(f)) && eq(name, n, field_tags[f]))
            return f;
    return -1;
}

static int ops_from(const char *s, size_t n, uint8_t *ops)
{
    if (n == 0)
        *ops = LWM2M_OP_NONE;
    else if (eq(s, n, "R"))
        *ops = LWM2M_OP_READ;
    else if (eq(s, n, "W"))
        *ops = LWM2M_OP_WRITE;
    else if (eq(s, n, "RW"))
        *ops = LWM2M_OP_READ | LWM2M_OP_WRITE;
    else if (eq(s, n, "E"))
        *ops = LWM2M_OP_EXECUTE;
    else
        return -1;
    return 0;
}

/* Stores the value of the field element `e` that just closed. */
static int set_field(parser *p, const elem *e, uint8_t parent)
{
    const char *s;
    size_t n;
    trimmed(p, &s, &n);
    bool in_obj = parent == K_OBJECT;
    size_t *name_off = in_obj ? &p->obj.name : &p->item.name;
    bool *multiple = in_obj ? &p->obj.multiple : &p->item.multiple;
    bool *mandatory = in_obj ? &p->obj.mandatory : &p->item.mandatory;
    bool range;
    switch (e->field) {
    case F_NAME:
        if (n == 0)
            return fail(p, e->pos, "empty <Name>");
        return pool_add(p, s, n, name_off);
    case F_OBJECT_ID:
        if (parse_id(s, n, &p->obj.id, &range) != 0)
            return fail(p, e->pos, range ? "ObjectID out of range" : "bad <ObjectID>");
        return LWM2M_OK;
    case F_OBJECT_VERSION:
    case F_LWM2M_VERSION: {
        size_t *off = e->field == F_OBJECT_VERSION ? &p->obj.version : &p->obj.lwm2m_version;
        if (n == 0) { /* empty means absent: the default applies */
            p->obj.seen &= ~BIT(e->field);
            return LWM2M_OK;
        }
        if (!is_version(s, n))
            return fail(p, e->pos,
                        e->field == F_OBJECT_VERSION ? "bad <ObjectVersion>"
                                                     : "bad <LWM2MVersion>");
        return pool_add(p, s, n, off);
    }
    case F_MULTIPLE:
        if (eq(s, n, "Single"))
            *multiple = false;
        else if (eq(s, n, "Multiple"))
            *multiple = true;
        else
            return fail(p, e->pos, "bad <MultipleInstances>");
        return LWM2M_OK;
    case F_MANDATORY:
        if (eq(s, n, "Optional"))
            *mandatory = false;
        else if (eq(s, n, "Mandatory"))
            *mandatory = true;
        else
            return fail(p, e->pos, "bad <Mandatory>");
        return LWM2M_OK;
    case F_OPERATIONS:
        if (ops_from(s, n, &p->item.ops) != 0)
            return fail(p, e->pos, "bad <Operations>");
        return LWM2M_OK;
    case F_TYPE:
        p->item.type = (uint8_t)lwm2m_type_from_name(s, n);
        if (n > 0 && p->item.type == LWM2M_TYPE_NONE)
            return fail(p, e->pos, "unknown <Type>");
        return LWM2M_OK;
    default:
        return fail(p, e->pos, "internal error");
    }
}

static int end_item(parser *p, const elem *e)
{
    static const struct {
        enum field f;
        const char *reason;
    } required[] = {
        {F_NAME, "<Item> without <Name>"},
        {F_MULTIPLE, "<Item> without <MultipleInstances>"},
        {F_MANDATORY, "<Item> without <Mandatory>"},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(p->item_seen & BIT(required[i].f)))
            return fail(p, e->pos, required[i].reason);
    if (p->item.ops & LWM2M_OP_EXECUTE)
        p->item.type = LWM2M_TYPE_NONE;
    if (p->res_count == p->res_cap) {
        size_t cap = p->res_cap ? p->res_cap * 2 : 32;
        res_build *nr = realloc(p->res, cap * sizeof *nr);
        if (nr == NULL)
            return nomem(p);
        p->res = nr;
        p->res_cap = cap;
    }
    p->res[p->res_count++] = p->item;
    return LWM2M_OK;
}

static int cmp_res(const void *a, const void *b)
{
    const res_build *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int set_reserve(parser *p, lwm2m_ddf_set *s)
{
    if (s->count < s->cap)
        return LWM2M_OK;
    size_t cap = s->cap ? s->cap * 2 : 16;
    lwm2m_object_def **nd = realloc(s->defs, cap * sizeof *nd);
    if (nd == NULL)
        return nomem(p);
    s->defs = nd;
    s->cap = cap;
    return LWM2M_OK;
}

static int end_object(parser *p, const elem *e)
{
    static const struct {
        enum field f;
        const char *reason;
    } required[] = {
        {F_OBJECT_ID, "<Object> without <ObjectID>"},
        {F_NAME, "<Object> without <Name>"},
        {F_MULTIPLE, "<Object> without <MultipleInstances>"},
        {F_MANDATORY, "<Object> without <Mandatory>"},
    };
    obj_build *o = &p->obj;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(o->seen & BIT(required[i].f)))
            return fail(p, e->pos, required[i].reason);
    int rc;
    if (!(o->seen & BIT(F_OBJECT_VERSION)) && (rc = pool_add(p, "1.0", 3, &o->version)) != 0)
        return rc;
    if (!(o->seen & BIT(F_LWM2M_VERSION)) && (rc = pool_add(p, "1.0", 3, &o->lwm2m_version)) != 0)
        return rc;

    if (p->res_count > 1)
        qsort(p->res, p->res_count, sizeof *p->res, cmp_res);
    for (size_t i = 1; i < p->res_count; i++)
        if (p->res[i].id == p->res[i - 1].id)
            return fail(p, p->res[i].pos, "duplicate resource ID");

    const char *version = p->pool + o->version;
    for (size_t i = 0; i < p->set->count; i++) {
        const lwm2m_object_def *d = p->set->defs[i];
        if (d->id == o->id && same_version(d->version, version)) {
            fail(p, e->pos, "duplicate object definition");
            return LWM2M_ERR_EXISTS;
        }
    }
    if ((rc = set_reserve(p, p->set)) != LWM2M_OK)
        return rc;

    size_t res_bytes = p->res_count * sizeof(lwm2m_resource_def);
    def_block *blk = malloc(sizeof *blk + res_bytes + p->pool_len);
    if (blk == NULL)
        return nomem(p);
    char *strs = (char *)blk->res + res_bytes;
    memcpy(strs, p->pool, p->pool_len);
    for (size_t i = 0; i < p->res_count; i++) {
        const res_build *r = &p->res[i];
        blk->res[i] = (lwm2m_resource_def){
            .id = r->id,
            .type = r->type,
            .ops = r->ops,
            .multiple = r->multiple,
            .mandatory = r->mandatory,
            .name = strs + r->name,
        };
    }
    blk->def = (lwm2m_object_def){
        .id = o->id,
        .multiple = o->multiple,
        .mandatory = o->mandatory,
        .name = strs + o->name,
        .version = strs + o->version,
        .lwm2m_version = strs + o->lwm2m_version,
        .resources = p->res_count ? blk->res : NULL,
        .resource_count = p->res_count,
    };
    p->set->defs[p->set->count++] = &blk->def;
    p->objects++;
    return LWM2M_OK;
}

/* Classifies and pushes an element whose start tag was read. `id` is its ID attribute. */
static int open_elem(parser *p, size_t pos, const char *name, size_t n, int id_state, uint16_t id)
{
    if (p->depth == MAX_DEPTH)
        return fail(p, pos, "elements nested too deep");
    if (p->depth == 0 && p->root_done)
        return fail(p, pos, "more than one root element");
    elem e = {name, n, pos, K_OTHER, 0};
    uint8_t parent = p->depth ? p->stack[p->depth - 1].kind : K_OTHER;
    int f = -1;
    if (p->depth == 0) {
        if (!eq(name, n, "LWM2M"))
            return fail(p, pos, "root element is not <LWM2M>");
        e.kind = K_ROOT;
    } else if (parent == K_FIELD) {
        return fail(p, pos, "element inside a value");
    } else if (parent == K_ROOT && eq(name, n, "Object")) {
        e.kind = K_OBJECT;
        memset(&p->obj, 0, sizeof p->obj);
        p->obj.pos = pos;
        p->res_count = 0;
        p->pool_len = 0;
    } else if (parent == K_OBJECT && eq(name, n, "Resources")) {
        if (p->obj.has_resources)
            return fail(p, pos, "duplicate <Resources>");
        p->obj.has_resources = true;
        e.kind = K_RESOURCES;
    } else if (parent == K_RESOURCES && eq(name, n, "Item")) {
        e.kind = K_ITEM;
        memset(&p->item, 0, sizeof p->item);
        p->item.pos = pos;
        p->item_seen = 0;
        if (id_state == ID_ABSENT)
            return fail(p, pos, "<Item> without ID attribute");
        if (id_state != ID_OK)
            return fail(p, pos, id_state == ID_RANGE ? "Item ID out of range" : "bad Item ID");
        p->item.id = id;
    } else if (parent == K_OBJECT && (f = field_index(name, n, OBJECT_FIELDS)) >= 0) {
        if (p->obj.seen & BIT(f))
            return fail(p, pos, "duplicate element in <Object>");
        p->obj.seen |= BIT(f);
    } else if (parent == K_ITEM && (f = field_index(name, n, ITEM_FIELDS)) >= 0) {
        if (p->item_seen & BIT(f))
            return fail(p, pos, "duplicate element in <Item>");
        p->item_seen |= BIT(f);
    }
    if (f >= 0) {
        e.kind = K_FIELD;
        e.field = (uint8_t)f;
        p->text_len = 0;
    }
    p->stack[p->depth++] = e;
    return LWM2M_OK;
}

static int close_elem(parser *p)
{
    const elem *e = &p->stack[p->depth - 1];
    uint8_t parent = p->depth > 1 ? p->stack[p->depth - 2].kind : K_OTHER;
    int rc = LWM2M_OK;
    switch (e->kind) {
    case K_FIELD:
        rc = set_field(p, e, parent);
        break;
    case K_ITEM:
        rc = end_item(p, e);
        break;
    case K_OBJECT:
        rc = end_object(p, e);
        break;
    case K_ROOT:
        if (p->objects == 0)
            return fail(p, e->pos, "no <Object> in the document");
        p->root_done = true;
        break;
    default:
        break;
    }
    p->depth--;
    return rc;
}

/* Parses a quoted attribute value at p->pos; keeps it in buf (trimmed) when buf != NULL. */
static int attr_value(parser *p, size_t lt, char *buf, size_t cap, size_t *len, bool *too_long)
{
    char q = p->in[p->pos++];
    size_t n = 0;
    *too_long = false;
    while (p->pos < p->len && p->in[p->pos] != q) {
        char c[4];
        size_t cn = 1, next = p->pos + 1;
        c[0] = p->in[p->pos];
        if (c[0] == '<')
            return fail(p, p->pos, "'<' in attribute value");
        if (c[0] == '&') {
            int rc = entity(p, p->pos, c, &cn, &next);
            if (rc != LWM2M_OK)
                return rc;
        }
        if (buf != NULL) {
            if (cn > cap - n)
                *too_long = true;
            else
                memcpy(buf + n, c, cn), n += cn;
        }
        p->pos = next;
    }
    if (p->pos >= p->len)
        return fail(p, lt, "unterminated attribute value");
    p->pos++;
    *len = n;
    return LWM2M_OK;
}

static int start_tag(parser *p)
{
    size_t lt = p->pos;
    const char *name;
    size_t n;
    struct {
        const char *s;
        size_t n;
    } attrs[MAX_ATTRS];
    size_t nattrs = 0;
    enum id_state id_state = ID_ABSENT;
    uint16_t id = 0;

    p->pos++;
    int rc = read_name(p, &name, &n);
    if (rc != LWM2M_OK)
        return rc;
    bool item = eq(name, n, "Item");
    for (;;) {
        bool sp = skip_space(p);
        if (p->pos >= p->len)
            return fail(p, lt, "unterminated tag");
        char c = p->in[p->pos];
        if (c == '>' || c == '/')
            break;
        if (!sp)
            return fail(p, p->pos, "expected space before attribute");
        const char *an;
        size_t anl, apos = p->pos;
        if ((rc = read_name(p, &an, &anl)) != LWM2M_OK)
            return rc;
        for (size_t i = 0; i < nattrs; i++)
            if (attrs[i].n == anl && memcmp(attrs[i].s, an, anl) == 0)
                return fail(p, apos, "duplicate attribute");
        if (nattrs == MAX_ATTRS)
            return fail(p, apos, "too many attributes");
        attrs[nattrs].s = an;
        attrs[nattrs++].n = anl;
        skip_space(p);
        if (p->pos >= p->len || p->in[p->pos] != '=')
            return fail(p, p->pos, p->pos >= p->len ? "unterminated tag" : "expected '='");
        p->pos++;
        skip_space(p);
        if (p->pos >= p->len || (p->in[p->pos] != '"' && p->in[p->pos] != '\''))
            return fail(p, p->pos,
                        p->pos >= p->len ? "unterminated tag" : "expected quoted attribute value");
        bool is_id = item && eq(an, anl, "ID");
        char buf[MAX_ID_TEXT];
        size_t vlen = 0;
        bool too_long;
        rc = attr_value(p, lt, is_id ? buf : NULL, sizeof buf, &vlen, &too_long);
        if (rc != LWM2M_OK)
            return rc;
        if (is_id) {
            /* Attribute values are whitespace-normalised in XML: trim. */
            size_t a = 0;
            while (a < vlen && is_space(buf[a]))
                a++;
            while (vlen > a && is_space(buf[vlen - 1]))
                vlen--;
            bool range;
            if (too_long)
                id_state = ID_BAD;
            else if (parse_id(buf + a, vlen - a, &id, &range) != 0)
                id_state = range ? ID_RANGE : ID_BAD;
            else
                id_state = ID_OK;
        }
    }
    bool empty = p->in[p->pos] == '/';
    if (empty) {
        if (p->len - p->pos < 2)
            return fail(p, lt, "unterminated tag");
        if (p->in[p->pos + 1] != '>')
            return fail(p, p->pos, "expected '>'");
        p->pos++;
    }
    p->pos++;
    if ((rc = open_elem(p, lt, name, n, id_state, id)) != LWM2M_OK)
        return rc;
    return empty ? close_elem(p) : LWM2M_OK;
}

static int end_tag(parser *p)
{
    size_t lt = p->pos;
    const char *name;
    size_t n;
    p->pos += 2;
    int rc = read_name(p, &name, &n);
    if (rc != LWM2M_OK)
        return rc;
    skip_space(p);
    if (p->pos >= p->len)
        return fail(p, lt, "unterminated tag");
    if (p->in[p->pos] != '>')
        return fail(p, p->pos, "expected '>'");
    p->pos++;
    if (p->depth == 0)
        return fail(p, lt, "end tag without start tag");
    const elem *top = &p->stack[p->depth - 1];
    if (top->name_len != n || memcmp(top->name, name, n) != 0)
        return fail(p, lt, "mismatched end tag");
    return close_elem(p);
}

static int markup(parser *p, size_t doc_start)
{
    size_t lt = p->pos;
    if (starts(p, lt, "<?")) {
        size_t end = find(p, lt + 2, "?>");
        if (end == p->len)
            return fail(p, lt, "unterminated processing instruction");
        bool decl = starts(p, lt, "<?xml") && (lt + 5 == end || is_space(p->in[lt + 5]));
        if (decl && lt != doc_start)
            return fail(p, lt, "XML declaration not at the start");
        p->pos = end + 2;
        return LWM2M_OK;
    }
    if (starts(p, lt, "<!--")) {
        size_t end = find(p, lt + 4, "--");
        if (end == p->len)
            return fail(p, lt, "unterminated comment");
        if (end + 2 >= p->len || p->in[end + 2] != '>')
            return fail(p, end, end + 2 >= p->len ? "unterminated comment" : "'--' in comment");
        p->pos = end + 3;
        return LWM2M_OK;
    }
    if (starts(p, lt, "<![CDATA[")) {
        if (p->depth == 0)
            return fail(p, lt, "CDATA outside the root element");
        size_t start = lt + 9, end = find(p, start, "]]>");
        if (end == p->len)
            return fail(p, lt, "unterminated CDATA section");
        p->pos = end + 3;
        return text_add(p, start, p->in + start, end - start);
    }
    if (starts(p, lt, "<!"))
        return fail(p, lt, "DOCTYPE and declarations are not supported");
    if (starts(p, lt, "</"))
        return end_tag(p);
    return start_tag(p);
}

static int parse_doc(parser *p)
{
    int rc = check_chars(p);
    if (rc != LWM2M_OK)
        return rc;
    if (starts(p, 0, "\xEF\xBB\xBF")) /* UTF-8 byte order mark */
        p->pos = 3;
    size_t doc_start = p->pos;
    while (p->pos < p->len) {
        rc = p->in[p->pos] == '<' ? markup(p, doc_start) : text_run(p);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (p->depth > 0)
        return fail(p, p->stack[p->depth - 1].pos, "element not closed");
    if (!p->root_done)
        return fail(p, p->len, "no root element");
    return LWM2M_OK;
}

static void set_truncate(lwm2m_ddf_set *set, size_t count)
{
    while (set->count > count)
        free(set->defs[--set->count]); /* the def is the start of its block */
}

static size_t line_of(const char *in, size_t len, size_t pos)
{
    size_t line = 1;
    for (size_t i = 0; i < pos && i < len; i++)
        line += in[i] == '\n';
    return line;
}

int lwm2m_ddf_parse(const char *xml, size_t len, lwm2m_ddf_set *set, lwm2m_ddf_error *err)
{
    if (set == NULL || (xml == NULL && len > 0)) {
        if (err)
            *err = (lwm2m_ddf_error){0, 0, "bad arguments"};
        return LWM2M_ERR_INVALID;
    }
    parser *p = calloc(1, sizeof *p);
    if (p == NULL) {
        if (err)
            *err = (lwm2m_ddf_error){0, 0, "out of memory"};
        return LWM2M_ERR_NOMEM;
    }
    p->in = xml ? xml : "";
    p->len = len;
    p->set = set;
    size_t entry = set->count;
    int rc = parse_doc(p);
    if (rc != LWM2M_OK) {
        set_truncate(set, entry);
        if (err) {
            err->offset = p->err_pos;
            err->line = rc == LWM2M_ERR_NOMEM ? 0 : line_of(p->in, p->len, p->err_pos);
            err->reason = p->err_reason ? p->err_reason : "invalid";
        }
    }
    free(p->res);
    free(p->pool);
    free(p);
    return rc;
}

static void set_errbuf(char *errbuf, size_t errlen, const char *path, size_t line,
                       const char *reason, const char *detail)
{
    if (errbuf == NULL || errlen == 0)
        return;
    if (line > 0)
        snprintf(errbuf, errlen, "%s:%zu: %s", path, line, reason);
    else
        snprintf(errbuf, errlen, "%s: %s%s%s", path, reason, detail ? ": " : "",
                 detail ? detail : "");
}

int lwm2m_ddf_load_file(const char *path, lwm2m_ddf_set *set, char *errbuf, size_t errlen)
{
    if (path == NULL || set == NULL) {
        set_errbuf(errbuf, errlen, "(null)", 0, "bad arguments", NULL);
        return LWM2M_ERR_INVALID;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_errbuf(errbuf, errlen, path, 0, "cannot open", strerror(errno));
        return LWM2M_ERR_NOT_FOUND;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = LWM2M_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_SIZE) {
                set_errbuf(errbuf, errlen, path, 0, "file too large", NULL);
                rc = LWM2M_ERR_INVALID;
                break;
            }
            cap = cap ? cap * 2 : 64 * 1024;
            char *nd = realloc(data, cap);
            if (nd == NULL) {
                set_errbuf(errbuf, errlen, path, 0, "out of memory", NULL);
                rc = LWM2M_ERR_NOMEM;
                break;
            }
            data = nd;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                set_errbuf(errbuf, errlen, path, 0, "read error", strerror(errno));
                rc = LWM2M_ERR_NOT_FOUND;
            }
            break;
        }
    }
    fclose(f);
    if (rc == LWM2M_OK) {
        lwm2m_ddf_error e = {0, 0, NULL};
        rc = lwm2m_ddf_parse(data, len, set, &e);
        if (rc != LWM2M_OK)
            set_errbuf(errbuf, errlen, path, e.line, e.reason, NULL);
    }
    free(data);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_xml_name(const char *s)
{
    size_t n = strlen(s);
    return s[0] != '.' && n > 4 && strcmp(s + n - 4, ".xml") == 0;
}

int lwm2m_ddf_load_dir(const char *dir, lwm2m_ddf_set *set, char *errbuf, size_t errlen)
{
    if (dir == NULL || set == NULL) {
        set_errbuf(errbuf, errlen, "(null)", 0, "bad arguments", NULL);
        return LWM2M_ERR_INVALID;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        set_errbuf(errbuf, errlen, dir, 0, "cannot open directory", strerror(errno));
        return LWM2M_ERR_NOT_FOUND;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = LWM2M_OK;
    struct dirent *de;
    while (rc == LWM2M_OK && (de = readdir(d)) != NULL) {
        if (!is_xml_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn == NULL) {
                rc = LWM2M_ERR_NOMEM;
                break;
            }
            names = nn;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            rc = LWM2M_ERR_NOMEM;
        else
            n++;
    }
    closedir(d);
    if (rc != LWM2M_OK)
        set_errbuf(errbuf, errlen, dir, 0, "out of memory", NULL);
    else if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);

    size_t entry = set->count;
    for (size_t i = 0; i < n && rc == LWM2M_OK; i++) {
        size_t plen = strlen(dir) + 1 + strlen(names[i]) + 1;
        char *path = malloc(plen);
        if (path == NULL) {
            set_errbuf(errbuf, errlen, dir, 0, "out of memory", NULL);
            rc = LWM2M_ERR_NOMEM;
            break;
        }
        snprintf(path, plen, "%s/%s", dir, names[i]);
        rc = lwm2m_ddf_load_file(path, set, errbuf, errlen);
        free(path);
    }
    if (rc != LWM2M_OK)
        set_truncate(set, entry);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

lwm2m_objdef_list lwm2m_ddf_list(const lwm2m_ddf_set *set)
{
    lwm2m_objdef_list l = {NULL, 0};
    if (set != NULL && set->count > 0) {
        l.defs = (const lwm2m_object_def *const *)set->defs;
        l.count = set->count;
    }
    return l;
}

void lwm2m_ddf_free(lwm2m_ddf_set *set)
{
    if (set == NULL)
        return;
    set_truncate(set, 0);
    free(set->defs);
    set->defs = NULL;
    set->count = 0;
    set->cap = 0;
}
