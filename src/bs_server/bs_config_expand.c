/* Templates: ${name} substitution for one endpoint, and endpoint-name patterns. */
#include "lwm2m/bs_config.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

#define DOC_MAX      (1024u * 1024u)
#define VAR_NAME_MAX 63

bool lwm2m_bs_pattern_match(const char *pattern, const char *endpoint)
{
    if (pattern == NULL || endpoint == NULL || pattern[0] == '\0')
        return false;
    /* Greedy with one backtrack point: on a mismatch the last '*' absorbs one more byte. */
    const char *p = pattern, *s = endpoint, *star = NULL, *resume = NULL;
    while (*s != '\0') {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p != '\0' && *p == *s) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

typedef struct expander {
    const char *endpoint;
    const lwm2m_bs_var *vars;
    size_t var_count;
    size_t total; /* bytes of substituted text so far, bounded by DOC_MAX */
    char *err;
    size_t errlen;
} expander;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(expander *x, int rc, const char *fmt, ...)
{
    if (x->err != NULL && x->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
        for (char *p = x->err; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return rc;
}

/* The value of ${name}: "endpoint" is always the endpoint's name, then `vars` in order. */
static const char *lookup(const expander *x, const char *name, size_t len)
{
    if (len == 8 && memcmp(name, "endpoint", 8) == 0)
        return x->endpoint;
    for (size_t k = 0; k < x->var_count; k++) {
        const char *n = x->vars[k].name;
        if (n != NULL && x->vars[k].value != NULL && strlen(n) == len && memcmp(n, name, len) == 0)
            return x->vars[k].value;
    }
    return NULL;
}

/* Appends n bytes to a growing string. */
static int append(expander *x, char **buf, size_t *len, size_t *cap, const char *src, size_t n)
{
    if (n > DOC_MAX || x->total + n > DOC_MAX)
        return fail(x, LWM2M_ERR_RANGE, "expanded document larger than 1 MiB");
    if (*len + n + 1 > *cap) {
        size_t want = (*len + n + 1) * 2;
        char *grown = cJSON_malloc(want);
        if (grown == NULL)
            return fail(x, LWM2M_ERR_NOMEM, "out of memory");
        if (*len > 0)
            memcpy(grown, *buf, *len);
        cJSON_free(*buf);
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, src, n);
    *len += n;
    (*buf)[*len] = '\0';
    x->total += n;
    return LWM2M_OK;
}

/* Replaces the placeholders of one string value in place (memory from cJSON's allocator). */
static int substitute(expander *x, cJSON *item)
{
    const char *s = item->valuestring;
    if (strstr(s, "${") == NULL)
        return LWM2M_OK;
    char *out = NULL;
    size_t len = 0, cap = 0;
    int rc = LWM2M_OK;
    while (rc == LWM2M_OK) {
        const char *open = strstr(s, "${");
        if (open == NULL) {
            rc = append(x, &out, &len, &cap, s, strlen(s));
            break;
        }
        const char *close = strchr(open + 2, '}');
        size_t name_len = close != NULL ? (size_t)(close - open - 2) : 0;
        if (close == NULL || name_len == 0 || name_len > VAR_NAME_MAX) {
            rc = fail(x, LWM2M_ERR_INVALID, "malformed placeholder in '%.40s'", item->valuestring);
            break;
        }
        const char *value = lookup(x, open + 2, name_len);
        if (value == NULL) {
            rc = fail(x, LWM2M_ERR_INVALID, "unknown variable %.*s", (int)name_len, open + 2);
            break;
        }
        rc = append(x, &out, &len, &cap, s, (size_t)(open - s));
        if (rc == LWM2M_OK)
            rc = append(x, &out, &len, &cap, value, strlen(value));
        s = close + 1;
    }
    if (rc != LWM2M_OK) {
        cJSON_free(out);
        return rc;
    }
    cJSON_free(item->valuestring);
    item->valuestring = out;
    return LWM2M_OK;
}

/* Every string value below `j` (keys are IDs and names, never substituted). */
static int substitute_all(expander *x, cJSON *j)
{
    for (cJSON *e = j; e != NULL; e = e->next) {
        int rc = LWM2M_OK;
        if (cJSON_IsString(e))
            rc = substitute(x, e);
        else if (e->child != NULL)
            rc = substitute_all(x, e->child);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

int lwm2m_bs_config_expand(const char *template_json, size_t len, const char *endpoint,
                           const lwm2m_bs_var *vars, size_t var_count,
                           const lwm2m_objdef_list *defs, lwm2m_bs_config **out, char *err,
                           size_t errlen)
{
    expander x = {endpoint, vars, var_count, 0, err, errlen};
    if (out != NULL)
        *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || endpoint == NULL || (vars == NULL && var_count > 0))
        return fail(&x, LWM2M_ERR_INVALID, "missing argument");
    /* The template's own checks first, with their messages; it also gives its name. */
    lwm2m_bs_config *tmpl = NULL;
    int rc = lwm2m_bs_config_parse(template_json, len, defs, &tmpl, err, errlen);
    if (rc != LWM2M_OK)
        return rc;
    char name[sizeof tmpl->template_name];
    memcpy(name, tmpl->template_name, sizeof name);
    bool is_template = tmpl->endpoint[0] == '\0';
    lwm2m_bs_config_free(tmpl);
    if (!is_template)
        return fail(&x, LWM2M_ERR_INVALID, "not a template document");

    cJSON *root = cJSON_ParseWithLength(template_json, len);
    if (root == NULL)
        return fail(&x, LWM2M_ERR_NOMEM, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "template");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "match");
    rc = substitute_all(&x, root->child);
    if (rc == LWM2M_OK && (!cJSON_AddStringToObject(root, "endpoint", endpoint) ||
                           !cJSON_AddStringToObject(root, "template", name)))
        rc = fail(&x, LWM2M_ERR_NOMEM, "out of memory");
    char *text = rc == LWM2M_OK ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (rc != LWM2M_OK)
        return rc;
    if (text == NULL)
        return fail(&x, LWM2M_ERR_NOMEM, "out of memory");
    rc = lwm2m_bs_config_parse(text, strlen(text), defs, out, err, errlen);
    cJSON_free(text);
    return rc;
}
