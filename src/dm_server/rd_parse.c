/* The Registration interface's Uri-Query and link-format payload, read and checked. */
#include "dm_server/rd_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numtext.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/link.h"

#define EXCERPT_MAX  32
#define EXCERPT_CAP  40
#define LIFETIME_MAX INT32_MAX

void lwm2m_rd_excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = n > EXCERPT_MAX ? EXCERPT_MAX : n;
    if (cap < EXCERPT_CAP) {
        if (cap > 0)
            out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Keeps the diagnostic one printable line whatever the client sent. */
        out[i] = (c < 0x20 || c > 0x7e || c == '\'') ? '?' : (char)c;
    }
    if (k < n)
        memcpy(out + k, "...", 4);
    else
        out[k] = '\0';
}

static unsigned bad(unsigned code, char *diag, size_t diaglen, const char *fmt, const char *what,
                    size_t n)
{
    char ex[EXCERPT_CAP];
    lwm2m_rd_excerpt(what ? what : "", what ? n : 0, ex, sizeof ex);
    if (diag && diaglen)
        snprintf(diag, diaglen, fmt, ex);
    return code;
}

static unsigned refuse(char *diag, size_t diaglen, const char *msg)
{
    if (diag && diaglen)
        snprintf(diag, diaglen, "%s", msg);
    return LWM2M_CODE_BAD_REQUEST;
}

/* ---- Query --------------------------------------------------------------------------- */

bool lwm2m_rd_binding_ok(const char *version, const char *b, size_t n, bool *queue)
{
    *queue = false;
    if (strcmp(version, "1.0") == 0) {
        static const char *const v10[] = {"U", "UQ", "S", "SQ", "US", "UQS"};
        for (size_t i = 0; i < sizeof v10 / sizeof v10[0]; i++) {
            if (strlen(v10[i]) == n && memcmp(v10[i], b, n) == 0) {
                *queue = memchr(b, 'Q', n) != NULL;
                return true;
            }
        }
        return false;
    }
    if (n == 0 || n > 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\0' || strchr("UNST", b[i]) == NULL || memchr(b, b[i], i) != NULL)
            return false;
    }
    return true;
}

static const char *known_version(const char *v, size_t n)
{
    static const char *const versions[] = {"1.0", "1.1", "1.2"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (n == 3 && memcmp(v, versions[i], 3) == 0)
            return versions[i];
    return NULL;
}

static bool ep_char_ok(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e && c != '&' && c != '=' && c != '?';
}

/* One query parameter as sent. */
typedef struct qparam {
    const char *all; /* "name=value" */
    size_t all_len;
    const char *val; /* after '=', or NULL for a flag */
    size_t val_len;
} qparam;

enum { P_EP, P_LT, P_VERSION, P_BINDING, P_SMS, P_QUEUE, P_COUNT };

static int known_param(const char *name, size_t n)
{
    static const char *const names[P_COUNT] = {"ep", "lt", "lwm2m", "b", "sms", "Q"};
    for (int i = 0; i < P_COUNT; i++)
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
            return i;
    return -1;
}

static unsigned append_extra(lwm2m_rd_query *out, const qparam *p, char *diag, size_t diaglen)
{
    size_t used = strlen(out->extra);
    size_t need = used + (used ? 1 : 0) + p->all_len;
    if (need >= sizeof out->extra)
        return refuse(diag, diaglen, "other query parameters longer than 255 bytes");
    if (used)
        out->extra[used++] = '&';
    memcpy(out->extra + used, p->all, p->all_len);
    out->extra[used + p->all_len] = '\0';
    return 0;
}

/* Splits the query; known parameters go to `known`, others to out->extra (Register only). */
static unsigned split_query(const char *q, size_t len, const lwm2m_rd_query_rules *rules,
                            qparam known[P_COUNT], bool seen[P_COUNT], lwm2m_rd_query *out,
                            char *diag, size_t diaglen)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c < 0x20 || c == 0x7f)
            return refuse(diag, diaglen, "control character in the query");
    }
    size_t pos = 0;
    while (pos < len) {
        const char *s = q + pos;
        const char *amp = memchr(s, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - s) : len - pos;
        pos += plen + 1;
        if (plen == 0 || (amp && pos == len))
            return refuse(diag, diaglen, "empty query parameter");
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        if (klen == 0)
            return refuse(diag, diaglen, "query parameter without a name");
        qparam p = {s, plen, eq ? eq + 1 : NULL, eq ? plen - klen - 1 : 0};
        int k = known_param(s, klen);
        if (k < 0) {
            unsigned code = rules->update ? 0 : append_extra(out, &p, diag, diaglen);
            if (code)
                return code;
            continue;
        }
        if (seen[k])
            return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "duplicate query parameter '%s'", s,
                       klen);
        if (rules->update && (k == P_EP || k == P_VERSION))
            return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "'%s' is not allowed in an Update", s,
                       klen);
        seen[k] = true;
        known[k] = p;
    }
    return 0;
}

static unsigned check_ep(const qparam *p, lwm2m_rd_query *out, char *diag, size_t diaglen)
{
    if (p->val == NULL || p->val_len == 0)
        return refuse(diag, diaglen, "empty endpoint name (ep)");
    if (p->val_len > LWM2M_RD_ENDPOINT_MAX)
        return refuse(diag, diaglen, "endpoint name (ep) longer than 255 bytes");
    for (size_t i = 0; i < p->val_len; i++)
        if (!ep_char_ok((unsigned char)p->val[i]))
            return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad character in endpoint name '%s'",
                       p->val, p->val_len);
    out->ep = p->val;
    out->ep_len = p->val_len;
    out->has_ep = true;
    return 0;
}

static unsigned check_lt(const qparam *p, int64_t min_s, lwm2m_rd_query *out, char *diag,
                         size_t diaglen)
{
    uint64_t v = 0;
    const char *s = p->val ? p->val : "";
    int rc = lwm2m_parse_u64(s, p->val_len, &v);
    if (rc == LWM2M_ERR_INVALID)
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad lifetime '%s'", s, p->val_len);
    if (rc != LWM2M_OK || v > LIFETIME_MAX)
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad lifetime '%s': above 2147483647 s",
                   s, p->val_len);
    if ((int64_t)v < min_s) {
        char ex[EXCERPT_CAP];
        lwm2m_rd_excerpt(s, p->val_len, ex, sizeof ex);
        if (diag && diaglen)
            snprintf(diag, diaglen, "bad lifetime '%s': below the minimum of %lld s", ex,
                     (long long)min_s);
        return LWM2M_CODE_BAD_REQUEST;
    }
    out->lt = (int64_t)v;
    out->has_lt = true;
    return 0;
}

static unsigned check_binding(const qparam *p, lwm2m_rd_query *out, char *diag, size_t diaglen)
{
    const char *b = p->val ? p->val : "";
    bool queue = false;
    if (!lwm2m_rd_binding_ok(out->version, b, p->val_len, &queue)) {
        char ex[EXCERPT_CAP];
        lwm2m_rd_excerpt(b, p->val_len, ex, sizeof ex);
        if (diag && diaglen)
            snprintf(diag, diaglen, "bad binding '%s' for LwM2M %s", ex, out->version);
        return LWM2M_CODE_BAD_REQUEST;
    }
    memcpy(out->binding, b, p->val_len);
    out->binding[p->val_len] = '\0';
    out->binding_queue = queue;
    out->has_binding = true;
    return 0;
}

static unsigned check_sms(const qparam *p, lwm2m_rd_query *out, char *diag, size_t diaglen)
{
    const char *s = p->val ? p->val : "";
    if (p->val_len >= sizeof out->sms)
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad sms number '%s': too long", s,
                   p->val_len);
    for (size_t i = 0; i < p->val_len; i++)
        if ((unsigned char)s[i] > 0x7e)
            return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad sms number '%s'", s, p->val_len);
    memcpy(out->sms, s, p->val_len);
    out->sms[p->val_len] = '\0';
    out->has_sms = true;
    return 0;
}

unsigned lwm2m_rd_query_parse(const char *q, size_t len, const lwm2m_rd_query_rules *rules,
                              lwm2m_rd_query *out, char *diag, size_t diaglen)
{
    qparam known[P_COUNT];
    bool seen[P_COUNT] = {false};
    memset(out, 0, sizeof *out);
    memset(known, 0, sizeof known);
    if (diag && diaglen)
        diag[0] = '\0';
    unsigned code = split_query(q ? q : "", q ? len : 0, rules, known, seen, out, diag, diaglen);
    if (code)
        return code;
    if (!rules->update && !seen[P_EP])
        return refuse(diag, diaglen, "missing endpoint name (ep)");
    if (seen[P_EP] && (code = check_ep(&known[P_EP], out, diag, diaglen)) != 0)
        return code;
    out->version = rules->update && rules->version ? rules->version : "1.0";
    if (seen[P_VERSION]) {
        const qparam *p = &known[P_VERSION];
        out->version = known_version(p->val ? p->val : "", p->val_len);
        if (out->version == NULL)
            return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "unsupported LwM2M version '%s'",
                       p->val ? p->val : "", p->val_len);
        out->has_version = true;
    }
    if (seen[P_LT] && (code = check_lt(&known[P_LT], rules->min_lifetime_s, out, diag, diaglen)))
        return code;
    if (seen[P_BINDING] && (code = check_binding(&known[P_BINDING], out, diag, diaglen)) != 0)
        return code;
    if (seen[P_SMS] && (code = check_sms(&known[P_SMS], out, diag, diaglen)) != 0)
        return code;
    if (seen[P_QUEUE]) {
        if (known[P_QUEUE].val != NULL)
            return refuse(diag, diaglen, "queue mode flag (Q) takes no value");
        out->queue = true;
    }
    return 0;
}

/* ---- Links --------------------------------------------------------------------------- */

/* Room for the unescaped quoted values of one link (reset per link). */
#define LINK_ARENA 1024

static bool has_token(const lwm2m_link_param *p, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    if (p == NULL || p->value == NULL)
        return false;
    while (i < p->value_len) {
        size_t j = i;
        while (j < p->value_len && p->value[j] != ' ')
            j++;
        if (j - i == tl && memcmp(p->value + i, tok, tl) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

static bool is_rt_root(const lwm2m_link *l)
{
    return has_token(lwm2m_link_find(l, "rt"), "oma.lwm2m");
}

static unsigned link_error(int rc, const lwm2m_codec_error *err, char *diag, size_t diaglen)
{
    const char *why = err->reason ? err->reason : lwm2m_strerror(rc);
    if (rc == LWM2M_ERR_NOMEM && err->reason && strcmp(err->reason, "arena full") == 0)
        why = "quoted value too long";
    if (diag && diaglen)
        snprintf(diag, diaglen, "malformed links at byte %zu: %s", err->offset, why);
    return LWM2M_CODE_BAD_REQUEST;
}

/* The alternate root path from the target of the rt="oma.lwm2m" link. */
static unsigned set_root(const lwm2m_link *l, lwm2m_rd_links *out, char *diag, size_t diaglen)
{
    size_t n = l->target_len;
    const char *t = l->target;
    while (n > 1 && t[n - 1] == '/')
        n--;
    lwm2m_path p;
    if (t[0] != '/' || n >= sizeof out->root || memchr(t, '?', n) || memchr(t, '#', n) ||
        (lwm2m_path_parse(t, n, &p) == LWM2M_OK && p.len > 0))
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad root path '%s'", t, l->target_len);
    memcpy(out->root, t, n);
    out->root[n] = '\0';
    return 0;
}

/* ct=110 or ct="60 110 112 11542". */
static unsigned set_formats(const lwm2m_link_param *ct, lwm2m_rd_links *out, char *diag,
                            size_t diaglen)
{
    if (ct->value == NULL)
        return refuse(diag, diaglen, "bad ct on the root link: no value");
    size_t i = 0, k = 0;
    while (i < ct->value_len) {
        size_t j = i;
        while (j < ct->value_len && ct->value[j] != ' ')
            j++;
        if (j > i) {
            uint64_t f = 0;
            if (lwm2m_parse_u64(ct->value + i, j - i, &f) != LWM2M_OK || f > 65534)
                return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "bad ct '%s' on the root link",
                           ct->value, ct->value_len);
            if (k == LWM2M_RD_FORMATS_MAX)
                return refuse(diag, diaglen, "more than 8 content formats in ct");
            out->formats[k++] = (lwm2m_format)f;
        }
        i = j + 1;
    }
    if (k == 0)
        return refuse(diag, diaglen, "bad ct on the root link: empty");
    out->format_count = k;
    return 0;
}

/* First pass: syntax, the root link, the number of links. */
static unsigned scan_root(const uint8_t *in, size_t len, lwm2m_rd_links *out, size_t *links,
                          char *diag, size_t diaglen)
{
    uint8_t mem[LINK_ARENA];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_link_reader r;
    lwm2m_link l;
    lwm2m_codec_error err = {0, NULL};
    bool found = false;
    int rc;
    *links = 0;
    lwm2m_link_reader_init(&r, in, len, &arena);
    /* The values of earlier links are not needed any more: one link's worth of arena. */
    while (lwm2m_arena_reset(&arena), (rc = lwm2m_link_next(&r, &l, &err)) == 1) {
        ++*links;
        if (!is_rt_root(&l))
            continue;
        if (found)
            return refuse(diag, diaglen, "more than one root link (rt=\"oma.lwm2m\")");
        found = true;
        unsigned code = set_root(&l, out, diag, diaglen);
        if (code)
            return code;
    }
    return rc < 0 ? link_error(rc, &err, diag, diaglen) : 0;
}

/* Second pass: one link below the root. */
static unsigned add_link(const lwm2m_link *l, lwm2m_rd_links *out, bool *root_seen, char *diag,
                         size_t diaglen)
{
    lwm2m_path p;
    bool rt = is_rt_root(l);
    int rc = rt ? LWM2M_OK : lwm2m_link_target_path(l->target, l->target_len, out->root, &p);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        char ex[EXCERPT_CAP];
        lwm2m_rd_excerpt(l->target, l->target_len, ex, sizeof ex);
        if (diag && diaglen)
            snprintf(diag, diaglen, "link <%s> is not below the root path '%s'", ex, out->root);
        return LWM2M_CODE_BAD_REQUEST;
    }
    if (rc != LWM2M_OK)
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                   "link <%s> is not an object or instance path", l->target, l->target_len);
    if (rt || p.len == 0) {
        /* The root link; without rt it is 1.0's </>;ct=11543. */
        if (*root_seen)
            return refuse(diag, diaglen, "more than one root link");
        *root_seen = true;
        const lwm2m_link_param *ct = lwm2m_link_find(l, "ct");
        return ct ? set_formats(ct, out, diag, diaglen) : 0;
    }
    if (p.len > LWM2M_PATH_INSTANCE)
        return bad(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                   "link <%s> names a resource: only objects and instances register", l->target,
                   l->target_len);
    out->objects[out->object_count++] = p;
    return 0;
}

unsigned lwm2m_rd_links_parse(const uint8_t *in, size_t len, lwm2m_rd_links *out, char *diag,
                              size_t diaglen)
{
    memset(out, 0, sizeof *out);
    strcpy(out->root, "/");
    if (diag && diaglen)
        diag[0] = '\0';
    size_t links = 0;
    unsigned code = scan_root(in, len, out, &links, diag, diaglen);
    if (code)
        return code;
    if (links == 0)
        return refuse(diag, diaglen, "no object links in the payload");
    out->objects = malloc(links * sizeof *out->objects);
    if (out->objects == NULL) {
        if (diag && diaglen)
            snprintf(diag, diaglen, "out of memory");
        return LWM2M_CODE_INTERNAL_ERROR;
    }
    uint8_t mem[LINK_ARENA];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_link_reader r;
    lwm2m_link l;
    bool root_seen = false;
    lwm2m_link_reader_init(&r, in, len, &arena);
    /* The first pass checked the syntax: lwm2m_link_next cannot fail here. */
    while (code == 0 && (lwm2m_arena_reset(&arena), lwm2m_link_next(&r, &l, NULL) == 1))
        code = add_link(&l, out, &root_seen, diag, diaglen);
    if (code == 0 && out->object_count == 0)
        code = refuse(diag, diaglen, "no object links in the payload");
    if (code) {
        free(out->objects);
        out->objects = NULL;
        out->object_count = 0;
    }
    return code;
}
