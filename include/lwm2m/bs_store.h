/* Where a Bootstrap Server keeps its configurations, the endpoints' DTLS credentials (PSK
 * identities and RPKs indexed, the X.509 cert map) and the outcome of each endpoint's last
 * session. An interface with one implementation per backend:
 * SQLite (one file, WAL; the default) now, PostgreSQL (a shared store for several servers)
 * later. Documents are the JSON of lwm2m_bs_config; the store does not parse them. */
#ifndef LWM2M_BS_STORE_H
#define LWM2M_BS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_bs_entry_kind {
    LWM2M_BS_ENTRY_ENDPOINT = 0, /* configuration of one endpoint, keyed by its name */
    LWM2M_BS_ENTRY_TEMPLATE = 1, /* template, keyed by its template name */
} lwm2m_bs_entry_kind;

/* One stored configuration document. Strings are NUL-terminated. */
typedef struct lwm2m_bs_entry {
    lwm2m_bs_entry_kind kind;
    const char *name;            /* endpoint or template name */
    const char *json;            /* the document */
    const char *match;           /* template: endpoint pattern ("" none); endpoint: "" */
    const uint8_t *psk_identity; /* endpoint: DTLS PSK identity on the BS link, or NULL */
    size_t psk_identity_len;
    const uint8_t *psk_key; /* endpoint: its PSK, or NULL */
    size_t psk_key_len;
    const uint8_t *public_key; /* endpoint: its DTLS RPK (SubjectPublicKeyInfo), or NULL */
    size_t public_key_len;     /* 0..LWM2M_PUBLIC_KEY_MAX */
} lwm2m_bs_entry;

/* What the server remembers of an endpoint between sessions. */
typedef struct lwm2m_bs_endpoint_status {
    uint32_t next_plan;   /* plan to start the next session with (0: primary) */
    bool failed;          /* every plan was refused: Bootstrap-Requests get 4.00 */
    char outcome[32];     /* last session: "success", "finish-rejected", "timeout", ... */
    char diagnostic[256]; /* the client's last 4.06 payload or the failure cause */
    int64_t updated_s;    /* Unix time of the last change */
    uint32_t sessions;    /* sessions run for this endpoint */
} lwm2m_bs_endpoint_status;

typedef struct lwm2m_bs_store lwm2m_bs_store;

/* Opens a store from a spec: "sqlite:PATH" (created with its schema on first use) or a bare
 * PATH meaning sqlite. Returns 0, or LWM2M_ERR_INVALID / _UNSUPPORTED / _NOMEM with `err`. */
int lwm2m_bs_store_open(const char *spec, lwm2m_bs_store **out, char *err, size_t errlen);
void lwm2m_bs_store_close(lwm2m_bs_store *s);

/* Adds or replaces entries in one transaction: all of them or none (kill -9 included).
 * A PSK identity or public key already bound to another endpoint is refused
 * (LWM2M_ERR_EXISTS). */
int lwm2m_bs_store_put(lwm2m_bs_store *s, const lwm2m_bs_entry *entries, size_t n, char *err,
                       size_t errlen);

/* The document of `name` of `kind`: a malloc'ed string in *json (caller frees).
 * LWM2M_ERR_NOT_FOUND when absent. */
int lwm2m_bs_store_get(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name, char **json);

/* Removes an entry (and, for an endpoint, its status). LWM2M_ERR_NOT_FOUND when absent. */
int lwm2m_bs_store_remove(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name);

/* Calls `fn` for every entry of `kind` in name order; stops at and returns the first non-zero
 * return of `fn`. The entry's strings live until `fn` returns. */
typedef int (*lwm2m_bs_store_visit)(void *ctx, const lwm2m_bs_entry *entry);
int lwm2m_bs_store_list(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, lwm2m_bs_store_visit fn,
                        void *ctx);

/* The endpoint whose configuration holds PSK identity `id` (malloc'ed name in *endpoint) and
 * its key (copied into key[0..*key_len), key_cap >= LWM2M_PSK_KEY_MAX). Either output may be
 * NULL. LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_bs_store_find_identity(lwm2m_bs_store *s, const uint8_t *id, size_t id_len,
                                 char **endpoint, uint8_t *key, size_t *key_len);

/* The endpoint whose configuration holds RPK `key` (a SubjectPublicKeyInfo): a malloc'ed
 * name in *endpoint (may be NULL). LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_bs_store_find_public_key(lwm2m_bs_store *s, const uint8_t *key, size_t len,
                                   char **endpoint);

/* The cert map: X.509 subject CN -> endpoint, for certificates whose CN is not the endpoint
 * name (a certificate is accepted for an endpoint when its CN is the endpoint's name or maps
 * to it). CNs and endpoints are 1..255 bytes without control characters; one endpoint per
 * CN, several CNs may map to one endpoint; entries need no configuration to exist. */
#define LWM2M_BS_CN_MAX 255
/* Adds or replaces the mapping of `cn`. LWM2M_ERR_INVALID with `err` for a bad CN or name. */
int lwm2m_bs_store_cert_map_put(lwm2m_bs_store *s, const char *cn, const char *endpoint, char *err,
                                size_t errlen);
/* The endpoint `cn` maps to (malloc'ed, caller frees). LWM2M_ERR_NOT_FOUND when unmapped. */
int lwm2m_bs_store_cert_map_get(lwm2m_bs_store *s, const char *cn, char **endpoint);
/* LWM2M_ERR_NOT_FOUND when `cn` is not mapped. */
int lwm2m_bs_store_cert_map_remove(lwm2m_bs_store *s, const char *cn);
/* Calls `fn` for every mapping in CN order; stops at and returns its first non-zero. */
typedef int (*lwm2m_bs_cert_map_visit)(void *ctx, const char *cn, const char *endpoint);
int lwm2m_bs_store_cert_map_list(lwm2m_bs_store *s, lwm2m_bs_cert_map_visit fn, void *ctx);

/* Status of an endpoint; a zeroed status when none was recorded. */
int lwm2m_bs_store_get_status(lwm2m_bs_store *s, const char *endpoint,
                              lwm2m_bs_endpoint_status *out);
int lwm2m_bs_store_set_status(lwm2m_bs_store *s, const char *endpoint,
                              const lwm2m_bs_endpoint_status *st);

/* Several endpoints' statuses in one transaction, so one disk sync for all of them (a Bootstrap
 * Server records the sessions that ended in one loop turn together): all or none. */
typedef struct lwm2m_bs_status_update {
    const char *endpoint;
    const lwm2m_bs_endpoint_status *status;
} lwm2m_bs_status_update;
int lwm2m_bs_store_set_statuses(lwm2m_bs_store *s, const lwm2m_bs_status_update *updates, size_t n);

/* Backend-specific text of the last error ("" when none). */
const char *lwm2m_bs_store_last_error(const lwm2m_bs_store *s);

#ifdef __cplusplus
}
#endif
#endif
