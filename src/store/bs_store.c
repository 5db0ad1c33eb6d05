/* The store's public functions: parse the spec, check the arguments once for every backend,
 * dispatch to the backend (bs_store_backend.h). */
#include "lwm2m/bs_store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/error.h"
#include "store/bs_store_backend.h"
#include "store/sqlite_db.h"

/* lwm2m_bs_config.template_name holds 64 bytes with its NUL. */
#define TEMPLATE_NAME_MAX 63

struct lwm2m_bs_store {
    const lwm2m_bs_backend *be;
    void *impl;
};

__attribute__((format(printf, 4, 5))) static int say(char *err, size_t errlen, int rc,
                                                     const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int lwm2m_bs_store_open(const char *spec, lwm2m_bs_store **out, char *err, size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (out == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no place for the store handle");
    *out = NULL;

    const lwm2m_bs_backend *be = &lwm2m_bs_sqlite_backend;
    const char *target;
    int rc = store_spec_path(spec, &target, err, errlen);
    if (rc != LWM2M_OK)
        return rc;

    lwm2m_bs_store *s = malloc(sizeof *s);
    if (s == NULL)
        return say(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
    s->be = be;
    rc = be->open(target, &s->impl, err, errlen);
    if (rc != LWM2M_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return LWM2M_OK;
}

void lwm2m_bs_store_close(lwm2m_bs_store *s)
{
    if (s == NULL)
        return;
    s->be->close(s->impl);
    free(s);
}

static bool valid_kind(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT || kind == LWM2M_BS_ENTRY_TEMPLATE;
}

static const char *kind_name(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT ? "endpoint" : "template";
}

/* Limits are those of lwm2m_bs_config, so every stored entry can be loaded. */
static int check_entry(const lwm2m_bs_entry *e, size_t i, char *err, size_t errlen)
{
    if (!valid_kind(e->kind))
        return say(err, errlen, LWM2M_ERR_INVALID, "entry %zu: unknown kind %d", i, (int)e->kind);
    const char *what = kind_name(e->kind);
    bool endpoint = e->kind == LWM2M_BS_ENTRY_ENDPOINT;
    size_t name_max = endpoint ? LWM2M_ENDPOINT_MAX : TEMPLATE_NAME_MAX;
    if (e->name == NULL || e->name[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "entry %zu: %s without a name", i, what);
    if (strnlen(e->name, name_max + 1) > name_max)
        return say(err, errlen, LWM2M_ERR_INVALID, "entry %zu: %s name longer than %zu bytes", i,
                   what, name_max);
    if (e->json == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "%s '%s': no document", what, e->name);
    const char *match = e->match != NULL ? e->match : "";
    if (endpoint && match[0] != '\0')
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "endpoint '%s': a match pattern belongs to templates", e->name);
    if (strnlen(match, LWM2M_ENDPOINT_MAX + 1) > LWM2M_ENDPOINT_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID, "template '%s': match longer than %d bytes",
                   e->name, LWM2M_ENDPOINT_MAX);
    if (!endpoint && (e->psk_identity_len > 0 || e->psk_key_len > 0))
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "template '%s': PSK credentials belong to endpoints", e->name);
    if ((e->psk_identity == NULL && e->psk_identity_len > 0) ||
        (e->psk_key == NULL && e->psk_key_len > 0))
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': PSK length without data",
                   e->name);
    if (e->psk_identity_len > LWM2M_PSK_IDENTITY_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "endpoint '%s': psk identity longer than %d bytes", e->name,
                   LWM2M_PSK_IDENTITY_MAX);
    if (e->psk_key_len > LWM2M_PSK_KEY_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': psk key longer than %d bytes",
                   e->name, LWM2M_PSK_KEY_MAX);
    if (!endpoint && e->public_key_len > 0)
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "template '%s': a public key belongs to endpoints", e->name);
    if (e->public_key == NULL && e->public_key_len > 0)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': public key length without data",
                   e->name);
    if (e->public_key_len > LWM2M_PUBLIC_KEY_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': public key longer than %d bytes",
                   e->name, LWM2M_PUBLIC_KEY_MAX);
    if (e->public_key_len > 0 && e->psk_identity_len > 0)
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "endpoint '%s': a PSK identity and a public key exclude each other", e->name);
    return LWM2M_OK;
}

int lwm2m_bs_store_put(lwm2m_bs_store *s, const lwm2m_bs_entry *entries, size_t n, char *err,
                       size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (s == NULL || (entries == NULL && n > 0))
        return say(err, errlen, LWM2M_ERR_INVALID, "no store or no entries");
    for (size_t i = 0; i < n; i++) {
        int rc = check_entry(&entries[i], i, err, errlen);
        if (rc != LWM2M_OK)
            return rc;
    }
    if (n == 0)
        return LWM2M_OK;
    return s->be->put(s->impl, entries, n, err, errlen);
}

int lwm2m_bs_store_get(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name, char **json)
{
    if (json != NULL)
        *json = NULL;
    if (s == NULL || !valid_kind(kind) || name == NULL || json == NULL)
        return LWM2M_ERR_INVALID;
    return s->be->get(s->impl, kind, name, json);
}

int lwm2m_bs_store_remove(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name)
{
    if (s == NULL || !valid_kind(kind) || name == NULL)
        return LWM2M_ERR_INVALID;
    return s->be->remove(s->impl, kind, name);
}

int lwm2m_bs_store_list(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, lwm2m_bs_store_visit fn,
                        void *ctx)
{
    if (s == NULL || !valid_kind(kind) || fn == NULL)
        return LWM2M_ERR_INVALID;
    return s->be->list(s->impl, kind, fn, ctx);
}

int lwm2m_bs_store_find_identity(lwm2m_bs_store *s, const uint8_t *id, size_t id_len,
                                 char **endpoint, uint8_t *key, size_t *key_len)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (key_len != NULL)
        *key_len = 0;
    if (s == NULL || (id == NULL && id_len > 0) || (key != NULL && key_len == NULL))
        return LWM2M_ERR_INVALID;
    /* Whatever a DTLS client sends is looked up as is: no stored identity has these sizes. */
    if (id_len == 0 || id_len > LWM2M_PSK_IDENTITY_MAX)
        return LWM2M_ERR_NOT_FOUND;
    return s->be->find_identity(s->impl, id, id_len, endpoint, key, key_len);
}

int lwm2m_bs_store_find_public_key(lwm2m_bs_store *s, const uint8_t *key, size_t len,
                                   char **endpoint)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (s == NULL || (key == NULL && len > 0))
        return LWM2M_ERR_INVALID;
    /* Whatever a DTLS client presents is looked up as is: no stored key has these sizes. */
    if (len == 0 || len > LWM2M_PUBLIC_KEY_MAX)
        return LWM2M_ERR_NOT_FOUND;
    return s->be->find_public_key(s->impl, key, len, endpoint);
}

/* 1..max bytes without control characters. */
static bool valid_name(const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0' || strnlen(s, max + 1) > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int lwm2m_bs_store_cert_map_put(lwm2m_bs_store *s, const char *cn, const char *endpoint, char *err,
                                size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (s == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no store");
    if (!valid_name(cn, LWM2M_BS_CN_MAX))
        return say(err, errlen, LWM2M_ERR_INVALID, "a CN is 1..%d bytes without control characters",
                   LWM2M_BS_CN_MAX);
    if (!valid_name(endpoint, LWM2M_ENDPOINT_MAX))
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "an endpoint name is 1..%d bytes without control characters",
                   LWM2M_ENDPOINT_MAX);
    return s->be->cert_map_put(s->impl, cn, endpoint, err, errlen);
}

int lwm2m_bs_store_cert_map_get(lwm2m_bs_store *s, const char *cn, char **endpoint)
{
    if (endpoint != NULL)
        *endpoint = NULL;
    if (s == NULL || cn == NULL || endpoint == NULL)
        return LWM2M_ERR_INVALID;
    /* A client's CN is looked up as is: one no mapping can have is just absent. */
    if (!valid_name(cn, LWM2M_BS_CN_MAX))
        return LWM2M_ERR_NOT_FOUND;
    return s->be->cert_map_get(s->impl, cn, endpoint);
}

int lwm2m_bs_store_cert_map_remove(lwm2m_bs_store *s, const char *cn)
{
    if (s == NULL || cn == NULL)
        return LWM2M_ERR_INVALID;
    if (!valid_name(cn, LWM2M_BS_CN_MAX))
        return LWM2M_ERR_NOT_FOUND;
    return s->be->cert_map_remove(s->impl, cn);
}

int lwm2m_bs_store_cert_map_list(lwm2m_bs_store *s, lwm2m_bs_cert_map_visit fn, void *ctx)
{
    if (s == NULL || fn == NULL)
        return LWM2M_ERR_INVALID;
    return s->be->cert_map_list(s->impl, fn, ctx);
}

int lwm2m_bs_store_get_status(lwm2m_bs_store *s, const char *endpoint,
                              lwm2m_bs_endpoint_status *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || endpoint == NULL || endpoint[0] == '\0' || out == NULL)
        return LWM2M_ERR_INVALID;
    return s->be->get_status(s->impl, endpoint, out);
}

int lwm2m_bs_store_set_status(lwm2m_bs_store *s, const char *endpoint,
                              const lwm2m_bs_endpoint_status *st)
{
    lwm2m_bs_status_update u = {endpoint, st};
    return lwm2m_bs_store_set_statuses(s, &u, 1);
}

int lwm2m_bs_store_set_statuses(lwm2m_bs_store *s, const lwm2m_bs_status_update *updates, size_t n)
{
    if (s == NULL || updates == NULL || n == 0)
        return LWM2M_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_bs_endpoint_status *st = updates[i].status;
        if (updates[i].endpoint == NULL || updates[i].endpoint[0] == '\0' || st == NULL)
            return LWM2M_ERR_INVALID;
        /* The texts must be strings within their arrays. */
        if (memchr(st->outcome, '\0', sizeof st->outcome) == NULL ||
            memchr(st->diagnostic, '\0', sizeof st->diagnostic) == NULL)
            return LWM2M_ERR_INVALID;
    }
    return s->be->set_status(s->impl, updates, n);
}

const char *lwm2m_bs_store_last_error(const lwm2m_bs_store *s)
{
    return s == NULL ? "" : s->be->last_error(s->impl);
}
