/* Configuration operations on the store: parse, validate, canonicalize, store; list and
 * export; resolve the configuration of an endpoint (its document or a template). */
#include "bs_admin.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_util.h"
#include "lwm2m/error.h"

#define TEMPLATE_NAME_MAX 63 /* lwm2m_bs_config.template_name holds 64 bytes */

/* Messages are one line, whatever names the input held. */
static void one_line(char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* ---- a growing string -------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (grown == NULL) {
            b->oom = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* A JSON string literal; bytes >= 0x80 pass as they are (the store holds UTF-8). */
static void sb_json_string(sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            sb_add(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            sb_add(b, esc, 6);
        } else {
            sb_add(b, s, 1);
        }
    }
    sb_add(b, "\"", 1);
}

/* Hands the text over (NULL and NOMEM when an append failed). */
static int sb_finish(sbuf *b, char **out)
{
    if (b->oom || b->p == NULL) {
        free(b->p);
        *out = NULL;
        return LWM2M_ERR_NOMEM;
    }
    *out = b->p;
    return LWM2M_OK;
}

/* ---- one document ready for the store ---------------------------------------------------- */

typedef struct doc_entry {
    lwm2m_bs_entry_kind kind;
    char name[LWM2M_ENDPOINT_MAX + 1];
    char match[LWM2M_ENDPOINT_MAX + 1];
    char *json; /* canonical */
    uint8_t id[LWM2M_PSK_IDENTITY_MAX];
    size_t id_len;
    uint8_t key[LWM2M_PSK_KEY_MAX];
    size_t key_len;
    uint8_t public_key[LWM2M_PUBLIC_KEY_MAX];
    size_t public_key_len;
} doc_entry;

static bool has_own_plans(const lwm2m_bs_config *cfg)
{
    if (cfg->plan_count > 1)
        return true;
    return cfg->plan_count == 1 &&
           (cfg->plans[0].record_count > 0 || cfg->plans[0].delete_count > 0);
}

/* Every plan must be consistent on its own: a client may end up with any of them. */
static int validate_plans(const bs_admin *a, const lwm2m_bs_config *cfg, char *err, size_t errlen)
{
    lwm2m_consistency_result res;
    memset(&res, 0, sizeof res);
    int idx = lwm2m_bs_config_validate(cfg, a->defs, &res);
    if (idx < 0)
        return LWM2M_OK;
    if (res.rule == LWM2M_RULE_NO_MEMORY) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_ERR_NOMEM;
    }
    lwm2m_app_errf(err, errlen, "plan %d: %s", idx, res.message);
    return LWM2M_ERR_INVALID;
}

static int check_document(const bs_admin *a, const lwm2m_bs_config *cfg, char *err, size_t errlen)
{
    if (cfg->endpoint[0] == '\0')
        return LWM2M_OK; /* a template: its placeholders are checked when it is expanded */
    if (cfg->template_name[0] != '\0') {
        if (!has_own_plans(cfg))
            return LWM2M_OK;
        lwm2m_app_errf(err, errlen, "an endpoint that uses template '%s' has no plans of its own",
                       cfg->template_name);
        return LWM2M_ERR_INVALID;
    }
    return validate_plans(a, cfg, err, errlen);
}

/* Parses, checks and canonicalizes one document into `d` (d->json malloc'ed). */
static int prepare(const bs_admin *a, const char *json, size_t len, doc_entry *d, char *err,
                   size_t errlen)
{
    memset(d, 0, sizeof *d);
    lwm2m_bs_config *cfg = NULL;
    int rc = lwm2m_bs_config_parse(json, len, a->defs, &cfg, err, errlen);
    if (rc != LWM2M_OK)
        return rc;
    bool endpoint = cfg->endpoint[0] != '\0';
    snprintf(d->name, sizeof d->name, "%s", endpoint ? cfg->endpoint : cfg->template_name);
    d->kind = endpoint ? LWM2M_BS_ENTRY_ENDPOINT : LWM2M_BS_ENTRY_TEMPLATE;
    if ((rc = check_document(a, cfg, err, errlen)) != LWM2M_OK)
        goto done;
    if (endpoint) {
        d->id_len = cfg->psk_identity_len;
        memcpy(d->id, cfg->psk_identity, d->id_len);
        d->key_len = cfg->psk_key_len;
        memcpy(d->key, cfg->psk_key, d->key_len);
        d->public_key_len = cfg->public_key_len;
        if (d->public_key_len > 0)
            memcpy(d->public_key, cfg->public_key, d->public_key_len);
    } else {
        snprintf(d->match, sizeof d->match, "%s", cfg->match);
    }
    d->json = lwm2m_bs_config_to_json(cfg);
    if (d->json == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        rc = LWM2M_ERR_NOMEM;
    }
done:
    lwm2m_bs_config_free(cfg);
    return rc;
}

static lwm2m_bs_entry entry_of(const doc_entry *d)
{
    lwm2m_bs_entry e;
    memset(&e, 0, sizeof e);
    e.kind = d->kind;
    e.name = d->name;
    e.json = d->json;
    e.match = d->match;
    e.psk_identity = d->id_len > 0 ? d->id : NULL;
    e.psk_identity_len = d->id_len;
    e.psk_key = d->key_len > 0 ? d->key : NULL;
    e.psk_key_len = d->key_len;
    e.public_key = d->public_key_len > 0 ? d->public_key : NULL;
    e.public_key_len = d->public_key_len;
    return e;
}

static const char *kind_word(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT ? "endpoint" : "template";
}

int bs_admin_add(bs_admin *a, const char *json, size_t len, char *err, size_t errlen)
{
    lwm2m_app_errf(err, errlen, "%s", "");
    if (a == NULL || a->store == NULL) {
        lwm2m_app_errf(err, errlen, "no store");
        return LWM2M_ERR_INVALID;
    }
    doc_entry d;
    int rc = prepare(a, json, len, &d, err, errlen);
    if (rc == LWM2M_OK) {
        lwm2m_bs_entry e = entry_of(&d);
        rc = lwm2m_bs_store_put(a->store, &e, 1, err, errlen);
        lwm2m_bs_endpoint_status st;
        if (rc == LWM2M_OK && e.kind == LWM2M_BS_ENTRY_ENDPOINT &&
            lwm2m_bs_store_get_status(a->store, e.name, &st) == LWM2M_OK &&
            (st.failed || st.next_plan != 0)) {
            /* A new configuration is a fresh start for an endpoint whose plans all failed. */
            st.failed = false;
            st.next_plan = 0;
            lwm2m_bs_store_set_status(a->store, e.name, &st);
        }
    }
    free(d.json);
    return rc;
}

int bs_admin_validate(bs_admin *a, const char *json, size_t len, char *err, size_t errlen)
{
    lwm2m_app_errf(err, errlen, "%s", "");
    if (a == NULL) {
        lwm2m_app_errf(err, errlen, "no context");
        return LWM2M_ERR_INVALID;
    }
    doc_entry d;
    int rc = prepare(a, json, len, &d, err, errlen);
    free(d.json);
    return rc;
}

int bs_admin_show(bs_admin *a, lwm2m_bs_entry_kind kind, const char *name, char **json)
{
    if (json != NULL)
        *json = NULL;
    if (a == NULL || a->store == NULL || name == NULL || json == NULL)
        return LWM2M_ERR_INVALID;
    return lwm2m_bs_store_get(a->store, kind, name, json);
}

int bs_admin_remove(bs_admin *a, lwm2m_bs_entry_kind kind, const char *name)
{
    if (a == NULL || a->store == NULL || name == NULL)
        return LWM2M_ERR_INVALID;
    return lwm2m_bs_store_remove(a->store, kind, name);
}

/* ---- list and export ---------------------------------------------------------------------- */

typedef struct array_ctx {
    sbuf b;
    size_t n;
    bool names_only; /* list: names (endpoints) or {name, match} (templates); else documents */
} array_ctx;

static int visit_array(void *ctx, const lwm2m_bs_entry *e)
{
    array_ctx *c = ctx;
    sb_str(&c->b, c->n++ == 0 ? "[\n" : ",\n");
    if (!c->names_only) {
        sb_str(&c->b, e->json);
    } else if (e->kind == LWM2M_BS_ENTRY_ENDPOINT) {
        sb_json_string(&c->b, e->name);
    } else {
        sb_str(&c->b, "{\"name\":");
        sb_json_string(&c->b, e->name);
        sb_str(&c->b, ",\"match\":");
        sb_json_string(&c->b, e->match != NULL ? e->match : "");
        sb_str(&c->b, "}");
    }
    return c->b.oom ? LWM2M_ERR_NOMEM : 0;
}

static int finish_array(array_ctx *c, int rc, char **json)
{
    if (rc == LWM2M_OK)
        sb_str(&c->b, c->n == 0 ? "[]" : "\n]");
    if (rc != LWM2M_OK) {
        free(c->b.p);
        return rc;
    }
    return sb_finish(&c->b, json);
}

int bs_admin_list(bs_admin *a, lwm2m_bs_entry_kind kind, char **json)
{
    if (json != NULL)
        *json = NULL;
    if (a == NULL || a->store == NULL || json == NULL)
        return LWM2M_ERR_INVALID;
    array_ctx c = {{NULL, 0, 0, false}, 0, true};
    int rc = lwm2m_bs_store_list(a->store, kind, visit_array, &c);
    return finish_array(&c, rc, json);
}

int bs_admin_export(bs_admin *a, char **json)
{
    if (json != NULL)
        *json = NULL;
    if (a == NULL || a->store == NULL || json == NULL)
        return LWM2M_ERR_INVALID;
    /* Templates first: a re-import then finds them before the endpoints that use them. */
    array_ctx c = {{NULL, 0, 0, false}, 0, false};
    int rc = lwm2m_bs_store_list(a->store, LWM2M_BS_ENTRY_TEMPLATE, visit_array, &c);
    if (rc == LWM2M_OK)
        rc = lwm2m_bs_store_list(a->store, LWM2M_BS_ENTRY_ENDPOINT, visit_array, &c);
    return finish_array(&c, rc, json);
}

/* ---- import ------------------------------------------------------------------------------- */

typedef struct batch {
    doc_entry *docs;
    size_t n, cap;
} batch;

static void batch_free(batch *b)
{
    for (size_t k = 0; k < b->n; k++)
        free(b->docs[k].json);
    free(b->docs);
}

static doc_entry *batch_next(batch *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        doc_entry *grown = realloc(b->docs, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        b->docs = grown;
        b->cap = cap;
    }
    return &b->docs[b->n];
}

/* Prepares one document of an import into the batch; the error names the document. */
static int batch_add(const bs_admin *a, batch *b, const char *json, size_t len, const char *label,
                     char *err, size_t errlen)
{
    doc_entry *d = batch_next(b);
    if (d == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_ERR_NOMEM;
    }
    char msg[320];
    int rc = prepare(a, json, len, d, msg, sizeof msg);
    if (rc != LWM2M_OK) {
        if (d->name[0] != '\0')
            lwm2m_app_errf(err, errlen, "%s '%s': %s", kind_word(d->kind), d->name, msg);
        else
            lwm2m_app_errf(err, errlen, "%s: %s", label, msg);
        one_line(err);
        free(d->json);
        return rc;
    }
    b->n++;
    return LWM2M_OK;
}

static int compare_docs(const void *x, const void *y)
{
    const doc_entry *p = x, *q = y;
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    return strcmp(p->name, q->name);
}

/* One transaction for the whole batch; a name given twice would make "all or nothing"
 * depend on the order, so it is refused. */
static int batch_store(const bs_admin *a, batch *b, char *err, size_t errlen)
{
    if (b->n == 0)
        return 0;
    qsort(b->docs, b->n, sizeof *b->docs, compare_docs);
    for (size_t k = 1; k < b->n; k++) {
        if (compare_docs(&b->docs[k - 1], &b->docs[k]) == 0) {
            lwm2m_app_errf(err, errlen, "%s '%s': given twice", kind_word(b->docs[k].kind),
                           b->docs[k].name);
            return LWM2M_ERR_INVALID;
        }
    }
    lwm2m_bs_entry *entries = malloc(b->n * sizeof *entries);
    if (entries == NULL) {
        lwm2m_app_errf(err, errlen, "out of memory");
        return LWM2M_ERR_NOMEM;
    }
    for (size_t k = 0; k < b->n; k++)
        entries[k] = entry_of(&b->docs[k]);
    int rc = lwm2m_bs_store_put(a->store, entries, b->n, err, errlen);
    free(entries);
    return rc == LWM2M_OK ? (int)b->n : rc;
}

/* How an import error names a document that did not parse: by its name when it has one. */
static void doc_label(const cJSON *doc, size_t k, char *out, size_t cap)
{
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(doc, "endpoint");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "template");
    if (cJSON_IsString(ep))
        snprintf(out, cap, "document %zu (endpoint '%.255s')", k, ep->valuestring);
    else if (cJSON_IsString(t))
        snprintf(out, cap, "document %zu (template '%.63s')", k, t->valuestring);
    else
        snprintf(out, cap, "document %zu", k);
}

static int import_ours(const bs_admin *a, batch *b, const char *json, size_t len, char *err,
                       size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at != NULL && at >= json && at <= json + len ? (size_t)(at - json) : 0;
        lwm2m_app_errf(err, errlen, "invalid JSON at offset %zu", off);
        return LWM2M_ERR_INVALID;
    }
    int rc = LWM2M_OK;
    if (cJSON_IsObject(root)) {
        char label[LWM2M_ENDPOINT_MAX + 48];
        doc_label(root, 0, label, sizeof label);
        rc = batch_add(a, b, json, len, label, err, errlen);
    } else if (!cJSON_IsArray(root)) {
        lwm2m_app_errf(err, errlen, "expected a JSON array of documents or one document");
        rc = LWM2M_ERR_INVALID;
    }
    size_t k = 0;
    for (const cJSON *e = cJSON_IsArray(root) ? root->child : NULL; e != NULL && rc == LWM2M_OK;
         e = e->next, k++) {
        /* cJSON prints numbers so that they read back as the same double, which is all the
         * document parser keeps of them. */
        char *text = cJSON_PrintUnformatted(e);
        char label[LWM2M_ENDPOINT_MAX + 48];
        doc_label(e, k, label, sizeof label);
        if (text == NULL) {
            lwm2m_app_errf(err, errlen, "out of memory");
            rc = LWM2M_ERR_NOMEM;
        } else {
            rc = batch_add(a, b, text, strlen(text), label, err, errlen);
        }
        free(text);
    }
    cJSON_Delete(root);
    return rc;
}

typedef struct leshan_ctx {
    const bs_admin *a;
    batch *b;
    char *err;
    size_t errlen;
    bool failed; /* the sink wrote err */
} leshan_ctx;

static int leshan_sink(void *ctx, const char *endpoint, const char *json)
{
    leshan_ctx *c = ctx;
    char label[LWM2M_ENDPOINT_MAX + 16];
    snprintf(label, sizeof label, "endpoint '%.255s'", endpoint != NULL ? endpoint : "");
    int rc = json != NULL ? batch_add(c->a, c->b, json, strlen(json), label, c->err, c->errlen)
                          : LWM2M_ERR_INVALID;
    c->failed = rc != LWM2M_OK;
    return rc;
}

int bs_admin_import(bs_admin *a, const char *json, size_t len, bool leshan, char *err,
                    size_t errlen)
{
    lwm2m_app_errf(err, errlen, "%s", "");
    if (a == NULL || a->store == NULL || json == NULL) {
        lwm2m_app_errf(err, errlen, "no store or no input");
        return LWM2M_ERR_INVALID;
    }
    batch b = {NULL, 0, 0};
    int rc;
    if (leshan) {
        leshan_ctx c = {a, &b, err, errlen, false};
        char msg[320] = "";
        rc = lwm2m_bs_config_import_leshan(json, len, leshan_sink, &c, msg, sizeof msg);
        if (rc != LWM2M_OK && !c.failed)
            lwm2m_app_errf(err, errlen, "%s", msg[0] != '\0' ? msg : lwm2m_strerror(rc));
        if (rc > 0) /* a sink never returns this, but the contract allows any non-zero */
            rc = LWM2M_ERR_INVALID;
    } else {
        rc = import_ours(a, &b, json, len, err, errlen);
    }
    if (rc == LWM2M_OK)
        rc = batch_store(a, &b, err, errlen);
    batch_free(&b);
    return rc;
}

/* ---- resolve ------------------------------------------------------------------------------ */

typedef struct match_ctx {
    const char *endpoint;
    char name[TEMPLATE_NAME_MAX + 1];
    char *json;
    bool nomem;
} match_ctx;

static int visit_match(void *ctx, const lwm2m_bs_entry *e)
{
    match_ctx *c = ctx;
    if (e->match == NULL || e->match[0] == '\0' || !lwm2m_bs_pattern_match(e->match, c->endpoint))
        return 0;
    snprintf(c->name, sizeof c->name, "%s", e->name);
    c->json = strdup(e->json);
    c->nomem = c->json == NULL;
    return 1; /* the first in name order wins */
}

/* The "vars" of an endpoint document as lwm2m_bs_var, after {"endpoint": endpoint}, which
 * a variable of that name cannot override. The strings point into `root`. */
static int collect_vars(const cJSON *root, const char *endpoint, lwm2m_bs_var **out, size_t *n)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "vars");
    size_t cap = 1 + (cJSON_IsObject(vars) ? (size_t)cJSON_GetArraySize(vars) : 0);
    lwm2m_bs_var *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return LWM2M_ERR_NOMEM;
    size_t k = 0;
    v[k].name = "endpoint";
    v[k++].value = endpoint;
    for (const cJSON *e = cJSON_IsObject(vars) ? vars->child : NULL; e != NULL; e = e->next) {
        if (cJSON_IsString(e) && strcmp(e->string, "endpoint") != 0) {
            v[k].name = e->string;
            v[k++].value = e->valuestring;
        }
    }
    *out = v;
    *n = k;
    return LWM2M_OK;
}

/* Expands template `name` for `endpoint` with the variables of its document `doc` (NULL:
 * ${endpoint} only) and validates the result. */
static int expand_template(const bs_admin *a, const char *name, const char *tmpl_json,
                           const char *endpoint, const char *doc, lwm2m_bs_config **out, char *err,
                           size_t errlen)
{
    cJSON *root = NULL;
    if (doc != NULL && (root = cJSON_Parse(doc)) == NULL) {
        lwm2m_app_errf(err, errlen, "endpoint '%s': stored document unreadable", endpoint);
        return LWM2M_ERR_INVALID;
    }
    lwm2m_bs_var *vars = NULL;
    size_t n = 0;
    int rc = collect_vars(root, endpoint, &vars, &n);
    char msg[320] = "";
    if (rc == LWM2M_OK)
        rc = lwm2m_bs_config_expand(tmpl_json, strlen(tmpl_json), endpoint, vars, n, a->defs, out,
                                    msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "out of memory");
    if (rc == LWM2M_OK && (rc = validate_plans(a, *out, msg, sizeof msg)) != LWM2M_OK) {
        lwm2m_bs_config_free(*out);
        *out = NULL;
    }
    if (rc != LWM2M_OK)
        lwm2m_app_errf(err, errlen, "template '%s' for endpoint '%s': %s", name, endpoint, msg);
    free(vars);
    cJSON_Delete(root);
    return rc;
}

/* An endpoint document that names a template: the template with its variables, and its own
 * credentials. */
static int resolve_named(const bs_admin *a, const char *endpoint, const char *doc,
                         lwm2m_bs_config *own, lwm2m_bs_config **out, char *err, size_t errlen)
{
    char *tmpl = NULL;
    int rc = lwm2m_bs_store_get(a->store, LWM2M_BS_ENTRY_TEMPLATE, own->template_name, &tmpl);
    if (rc == LWM2M_ERR_NOT_FOUND)
        lwm2m_app_errf(err, errlen, "endpoint '%s' uses template '%s', which is not stored",
                       endpoint, own->template_name);
    else if (rc != LWM2M_OK)
        lwm2m_app_errf(err, errlen, "store: %s", lwm2m_bs_store_last_error(a->store));
    if (rc == LWM2M_OK)
        rc = expand_template(a, own->template_name, tmpl, endpoint, doc, out, err, errlen);
    free(tmpl);
    if (rc == LWM2M_OK && lwm2m_bs_config_copy_credentials(*out, own) != LWM2M_OK) {
        lwm2m_app_errf(err, errlen, "out of memory");
        lwm2m_bs_config_free(*out);
        *out = NULL;
        rc = LWM2M_ERR_NOMEM;
    }
    return rc;
}

static int resolve_matching(const bs_admin *a, const char *endpoint, lwm2m_bs_config **out,
                            char *err, size_t errlen)
{
    match_ctx m;
    memset(&m, 0, sizeof m);
    m.endpoint = endpoint;
    int rc = lwm2m_bs_store_list(a->store, LWM2M_BS_ENTRY_TEMPLATE, visit_match, &m);
    if (rc < 0 || m.nomem) {
        free(m.json);
        lwm2m_app_errf(err, errlen, "%s",
                       m.nomem ? "out of memory" : lwm2m_bs_store_last_error(a->store));
        return m.nomem ? LWM2M_ERR_NOMEM : rc;
    }
    if (m.json == NULL) {
        lwm2m_app_errf(err, errlen, "no configuration for endpoint '%s'", endpoint);
        return LWM2M_ERR_NOT_FOUND;
    }
    rc = expand_template(a, m.name, m.json, endpoint, NULL, out, err, errlen);
    free(m.json);
    return rc;
}

int bs_admin_resolve(bs_admin *a, const char *endpoint, lwm2m_bs_config **out, char *err,
                     size_t errlen)
{
    lwm2m_app_errf(err, errlen, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (a == NULL || a->store == NULL || endpoint == NULL || out == NULL) {
        lwm2m_app_errf(err, errlen, "no store or no endpoint");
        return LWM2M_ERR_INVALID;
    }
    if (endpoint[0] == '\0' || strlen(endpoint) > LWM2M_ENDPOINT_MAX) {
        lwm2m_app_errf(err, errlen, "endpoint name empty or longer than %d bytes",
                       LWM2M_ENDPOINT_MAX);
        return LWM2M_ERR_NOT_FOUND;
    }
    char *doc = NULL;
    int rc = lwm2m_bs_store_get(a->store, LWM2M_BS_ENTRY_ENDPOINT, endpoint, &doc);
    if (rc == LWM2M_ERR_NOT_FOUND)
        return resolve_matching(a, endpoint, out, err, errlen);
    if (rc != LWM2M_OK) {
        lwm2m_app_errf(err, errlen, "store: %s", lwm2m_bs_store_last_error(a->store));
        return rc;
    }
    lwm2m_bs_config *own = NULL;
    char msg[320];
    rc = lwm2m_bs_config_parse(doc, strlen(doc), a->defs, &own, msg, sizeof msg);
    if (rc != LWM2M_OK) {
        /* Stored documents were parsed once; only new object definitions change that. */
        lwm2m_app_errf(err, errlen, "endpoint '%s': stored document: %s", endpoint, msg);
    } else if (own->template_name[0] == '\0') {
        *out = own;
        own = NULL;
    } else {
        rc = resolve_named(a, endpoint, doc, own, out, err, errlen);
    }
    lwm2m_bs_config_free(own);
    free(doc);
    return rc;
}

/* A template's PSK is usually {"identity": "${endpoint}", ...}: the store has no index of such
 * identities, so an identity that is an endpoint name is tried through resolve. */
static int identity_by_name(bs_admin *a, const uint8_t *id, size_t len, char **endpoint,
                            uint8_t *key, size_t *key_len)
{
    if (len == 0 || len > LWM2M_ENDPOINT_MAX || memchr(id, '\0', len) != NULL)
        return LWM2M_ERR_NOT_FOUND;
    char name[LWM2M_ENDPOINT_MAX + 1];
    memcpy(name, id, len);
    name[len] = '\0';
    lwm2m_bs_config *cfg = NULL;
    int rc = bs_admin_resolve(a, name, &cfg, NULL, 0);
    if (rc == LWM2M_OK && (cfg->psk_identity_len != len || memcmp(cfg->psk_identity, id, len) != 0))
        rc = LWM2M_ERR_NOT_FOUND;
    if (rc == LWM2M_OK && endpoint != NULL && (*endpoint = strdup(name)) == NULL)
        rc = LWM2M_ERR_NOMEM;
    if (rc == LWM2M_OK && key != NULL) {
        memcpy(key, cfg->psk_key, cfg->psk_key_len);
        *key_len = cfg->psk_key_len;
    }
    lwm2m_bs_config_free(cfg);
    return rc == LWM2M_ERR_NOMEM ? rc : rc != LWM2M_OK ? LWM2M_ERR_NOT_FOUND : LWM2M_OK;
}

int bs_admin_lookup_identity(bs_admin *a, const uint8_t *id, size_t len, char **endpoint,
                             uint8_t *key, size_t *key_len)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (a == NULL || a->store == NULL)
        return LWM2M_ERR_INVALID;
    int rc = lwm2m_bs_store_find_identity(a->store, id, len, endpoint, key, key_len);
    if (rc == LWM2M_ERR_NOT_FOUND && (id != NULL || len == 0) && (key == NULL || key_len != NULL))
        rc = identity_by_name(a, id, len, endpoint, key, key_len);
    return rc;
}

int bs_admin_lookup_public_key(bs_admin *a, const uint8_t *key, size_t len, char **endpoint)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (a == NULL || a->store == NULL)
        return LWM2M_ERR_INVALID;
    return lwm2m_bs_store_find_public_key(a->store, key, len, endpoint);
}

int bs_admin_lookup_cn(bs_admin *a, const char *cn, char **endpoint)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (a == NULL || a->store == NULL)
        return LWM2M_ERR_INVALID;
    return lwm2m_bs_store_cert_map_get(a->store, cn, endpoint);
}

static int visit_cert_map(void *ctx, const char *cn, const char *endpoint)
{
    array_ctx *c = ctx;
    sb_str(&c->b, c->n++ == 0 ? "[\n" : ",\n");
    sb_str(&c->b, "{\"cn\":");
    sb_json_string(&c->b, cn);
    sb_str(&c->b, ",\"endpoint\":");
    sb_json_string(&c->b, endpoint);
    sb_str(&c->b, "}");
    return c->b.oom ? LWM2M_ERR_NOMEM : 0;
}

int bs_admin_cert_map_list(bs_admin *a, char **json)
{
    if (json != NULL)
        *json = NULL;
    if (a == NULL || a->store == NULL || json == NULL)
        return LWM2M_ERR_INVALID;
    array_ctx c = {{NULL, 0, 0, false}, 0, true};
    int rc = lwm2m_bs_store_cert_map_list(a->store, visit_cert_map, &c);
    return finish_array(&c, rc, json);
}
