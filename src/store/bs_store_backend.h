/* Internal: what every store backend provides. bs_store.c parses the spec, checks the
 * arguments and dispatches here, so a backend only sees valid input (the contract of each
 * operation is in include/lwm2m/bs_store.h). Adding a backend: one more table like
 * lwm2m_bs_sqlite_backend and one more scheme in bs_store.c; callers do not change. */
#ifndef LWM2M_STORE_BS_STORE_BACKEND_H
#define LWM2M_STORE_BS_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_store.h"

typedef struct lwm2m_bs_backend {
    const char *name; /* "sqlite", ... */
    /* `target` is what the backend connects to: a path for sqlite, the whole URL for a
     * server. On success *impl is the backend's handle, passed to every other operation. */
    int (*open)(const char *target, void **impl, char *err, size_t errlen);
    void (*close)(void *impl);
    /* n >= 1; entries checked: an entry's match may be NULL (""), its PSK fields are set
     * only for endpoints, length 0 meaning none. */
    int (*put)(void *impl, const lwm2m_bs_entry *entries, size_t n, char *err, size_t errlen);
    int (*get)(void *impl, lwm2m_bs_entry_kind kind, const char *name, char **json);
    int (*remove)(void *impl, lwm2m_bs_entry_kind kind, const char *name);
    int (*list)(void *impl, lwm2m_bs_entry_kind kind, lwm2m_bs_store_visit fn, void *ctx);
    /* id_len is within 1..LWM2M_PSK_IDENTITY_MAX; key, when not NULL, has LWM2M_PSK_KEY_MAX
     * bytes and key_len is not NULL. */
    int (*find_identity)(void *impl, const uint8_t *id, size_t id_len, char **endpoint,
                         uint8_t *key, size_t *key_len);
    /* len within 1..LWM2M_PUBLIC_KEY_MAX; endpoint may be NULL */
    int (*find_public_key)(void *impl, const uint8_t *key, size_t len, char **endpoint);
    /* cn and endpoint checked (1..LWM2M_BS_CN_MAX / LWM2M_ENDPOINT_MAX bytes) */
    int (*cert_map_put)(void *impl, const char *cn, const char *endpoint, char *err, size_t errlen);
    int (*cert_map_get)(void *impl, const char *cn, char **endpoint);
    int (*cert_map_remove)(void *impl, const char *cn);
    int (*cert_map_list)(void *impl, lwm2m_bs_cert_map_visit fn, void *ctx);
    int (*get_status)(void *impl, const char *endpoint, lwm2m_bs_endpoint_status *out);
    /* n >= 1, in one transaction */
    int (*set_status)(void *impl, const lwm2m_bs_status_update *updates, size_t n);
    const char *(*last_error)(const void *impl);
} lwm2m_bs_backend;

extern const lwm2m_bs_backend lwm2m_bs_sqlite_backend;

#endif
