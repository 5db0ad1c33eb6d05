/* Where an LwM2M Server keeps its clients' DTLS credentials: one entry per endpoint, a PSK
 * (identities unique across endpoints), a raw public key (RPK; unique across endpoints) or
 * X.509 (the client's certificate must chain to the server's trust store and its subject CN
 * be the endpoint name or be mapped to it by the cert map, a table CN -> endpoint). SQLite
 * (one file, WAL, the same kind of store as the Bootstrap Server's); it may share the
 * Bootstrap Server's file (its own tables). */
#ifndef LWM2M_SEC_STORE_H
#define LWM2M_SEC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_SEC_ENDPOINT_MAX   255
#define LWM2M_SEC_IDENTITY_MAX   128
#define LWM2M_SEC_KEY_MAX        64
#define LWM2M_SEC_PUBLIC_KEY_MAX 1024 /* a SubjectPublicKeyInfo (RSA-4096: 550 bytes) */
#define LWM2M_SEC_CN_MAX         255

typedef enum lwm2m_sec_mode {
    LWM2M_SEC_PSK = 0, /* the zero value: entries filled as before modes existed are PSK */
    LWM2M_SEC_RPK = 1,
    LWM2M_SEC_X509 = 2,
} lwm2m_sec_mode;

/* PSK identities may not start with these: registrations over RPK and X.509 carry
 * "rpk:ENDPOINT" and "x509:CN" as their identity, which no PSK client may then impersonate. */
#define LWM2M_SEC_RPK_PREFIX  "rpk:"
#define LWM2M_SEC_X509_PREFIX "x509:"

/* The credentials of one endpoint. */
typedef struct lwm2m_sec_info {
    char endpoint[LWM2M_SEC_ENDPOINT_MAX + 1];
    uint8_t psk_identity[LWM2M_SEC_IDENTITY_MAX];
    size_t psk_identity_len; /* PSK: 1..LWM2M_SEC_IDENTITY_MAX, else 0 */
    uint8_t psk_key[LWM2M_SEC_KEY_MAX];
    size_t psk_key_len; /* PSK: 1..LWM2M_SEC_KEY_MAX, else 0 */
    lwm2m_sec_mode mode;
    uint8_t public_key[LWM2M_SEC_PUBLIC_KEY_MAX]; /* RPK: SubjectPublicKeyInfo (DER) */
    size_t public_key_len;                        /* RPK: 1..LWM2M_SEC_PUBLIC_KEY_MAX, else 0 */
} lwm2m_sec_info;

typedef struct lwm2m_sec_store lwm2m_sec_store;

/* "sqlite:PATH" or a bare PATH (created with its schema on first use). 0, or
 * LWM2M_ERR_INVALID (bad spec, cannot open or create) / _UNSUPPORTED / _NOMEM with `err`. */
int lwm2m_sec_store_open(const char *spec, lwm2m_sec_store **out, char *err, size_t errlen);
void lwm2m_sec_store_close(lwm2m_sec_store *s);

/* Adds or replaces the credentials of info->endpoint (of any mode), atomically.
 * LWM2M_ERR_INVALID for an empty endpoint, a PSK without identity or key (or with a reserved
 * identity prefix), an RPK that is not a SubjectPublicKeyInfo, fields of another mode set;
 * LWM2M_ERR_EXISTS when the identity or public key belongs to another endpoint (`err` names
 * it). */
int lwm2m_sec_store_put(lwm2m_sec_store *s, const lwm2m_sec_info *info, char *err, size_t errlen);

/* LWM2M_ERR_NOT_FOUND when the endpoint has no credentials. */
int lwm2m_sec_store_get(lwm2m_sec_store *s, const char *endpoint, lwm2m_sec_info *out);

/* The entry holding PSK identity `id`. LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_sec_store_find_identity(lwm2m_sec_store *s, const uint8_t *id, size_t len,
                                  lwm2m_sec_info *out);

/* The entry holding RPK `key` (a SubjectPublicKeyInfo). LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_sec_store_find_public_key(lwm2m_sec_store *s, const uint8_t *key, size_t len,
                                    lwm2m_sec_info *out);

/* The cert map: a certificate's subject CN -> the endpoint it may register as (besides the
 * endpoint named like the CN). CN and endpoint are 1..255 bytes without control characters.
 * put adds or replaces (LWM2M_ERR_INVALID with `err` for bad text); get copies the endpoint
 * into endpoint[0..LWM2M_SEC_ENDPOINT_MAX + 1) or answers LWM2M_ERR_NOT_FOUND; remove answers
 * LWM2M_ERR_NOT_FOUND when unmapped; list calls `fn` in CN order until it returns non-zero. */
int lwm2m_sec_store_cert_map_put(lwm2m_sec_store *s, const char *cn, const char *endpoint,
                                 char *err, size_t errlen);
int lwm2m_sec_store_cert_map_get(lwm2m_sec_store *s, const char *cn, char *endpoint);
int lwm2m_sec_store_cert_map_remove(lwm2m_sec_store *s, const char *cn);
int lwm2m_sec_store_cert_map_list(lwm2m_sec_store *s,
                                  int (*fn)(void *ctx, const char *cn, const char *endpoint),
                                  void *ctx);

/* "psk", "rpk", "x509". */
const char *lwm2m_sec_mode_name(lwm2m_sec_mode mode);

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
