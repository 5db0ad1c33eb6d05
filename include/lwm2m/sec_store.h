/* Where an LwM2M Server keeps its clients' DTLS credentials: one entry per endpoint, PSK
 * identities unique across endpoints. SQLite (one file, WAL, the same kind of store as the
 * Bootstrap Server's); it may share the Bootstrap Server's file (its own table). */
#ifndef LWM2M_SEC_STORE_H
#define LWM2M_SEC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_SEC_ENDPOINT_MAX 255
#define LWM2M_SEC_IDENTITY_MAX 128
#define LWM2M_SEC_KEY_MAX      64

/* The credentials of one endpoint. */
typedef struct lwm2m_sec_info {
    char endpoint[LWM2M_SEC_ENDPOINT_MAX + 1];
    uint8_t psk_identity[LWM2M_SEC_IDENTITY_MAX];
    size_t psk_identity_len; /* 1..LWM2M_SEC_IDENTITY_MAX */
    uint8_t psk_key[LWM2M_SEC_KEY_MAX];
    size_t psk_key_len; /* 1..LWM2M_SEC_KEY_MAX */
} lwm2m_sec_info;

typedef struct lwm2m_sec_store lwm2m_sec_store;

/* "sqlite:PATH" or a bare PATH (created with its schema on first use). 0, or
 * LWM2M_ERR_INVALID (bad spec, cannot open or create) / _UNSUPPORTED / _NOMEM with `err`. */
int lwm2m_sec_store_open(const char *spec, lwm2m_sec_store **out, char *err, size_t errlen);
void lwm2m_sec_store_close(lwm2m_sec_store *s);

/* Adds or replaces the credentials of info->endpoint, atomically. LWM2M_ERR_INVALID for an
 * empty endpoint, identity or key; LWM2M_ERR_EXISTS when the identity belongs to another
 * endpoint (`err` names it). */
int lwm2m_sec_store_put(lwm2m_sec_store *s, const lwm2m_sec_info *info, char *err, size_t errlen);

/* LWM2M_ERR_NOT_FOUND when the endpoint has no credentials. */
int lwm2m_sec_store_get(lwm2m_sec_store *s, const char *endpoint, lwm2m_sec_info *out);

/* The entry holding PSK identity `id`. LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_sec_store_find_identity(lwm2m_sec_store *s, const uint8_t *id, size_t len,
                                  lwm2m_sec_info *out);

/* LWM2M_ERR_NOT_FOUND when absent. */
int lwm2m_sec_store_remove(lwm2m_sec_store *s, const char *endpoint);

/* Calls `fn` for every entry in endpoint order; stops at and returns its first non-zero. */
int lwm2m_sec_store_list(lwm2m_sec_store *s, int (*fn)(void *ctx, const lwm2m_sec_info *info),
                         void *ctx);

/* The backend's text for the last error ("" when none). */
const char *lwm2m_sec_store_last_error(const lwm2m_sec_store *s);

#ifdef __cplusplus
}
#endif
#endif
