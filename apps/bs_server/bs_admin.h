/* The Bootstrap Server's configuration operations, shared by `lwm2m-bs-server config ...`
 * (config_cli.c), the HTTP API (http_api.c) and the server itself (bs_admin_resolve at a
 * Bootstrap-Request). Documents are those of include/lwm2m/bs_config.h; they are stored in
 * their canonical form. Every function returns 0 (or a count, where said) or a negative
 * lwm2m_error; `err` (when given) gets one line on failure. */
#ifndef LWM2M_APP_BS_ADMIN_H
#define LWM2M_APP_BS_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/objdef.h"

typedef struct bs_admin {
    lwm2m_bs_store *store;         /* NULL is fine for bs_admin_validate */
    const lwm2m_objdef_list *defs; /* extra object definitions, or NULL */
} bs_admin;

/* Parses one document and stores it canonically, replacing one of the same kind and name:
 * an endpoint document (keyed by its endpoint, with its PSK identity or RPK indexed) or a template
 * (keyed by its template name, with its match pattern). An endpoint document is validated
 * first (an inconsistent plan is refused with "plan N: <rule>: ..."), unless it only names
 * a template ("template" + "vars"); such a document may not have plans of its own. */
int bs_admin_add(bs_admin *a, const char *json, size_t len, char *err, size_t errlen);

/* Like bs_admin_add without storing. */
int bs_admin_validate(bs_admin *a, const char *json, size_t len, char *err, size_t errlen);

/* The stored document (malloc'ed in *json). LWM2M_ERR_NOT_FOUND when absent. */
int bs_admin_show(bs_admin *a, lwm2m_bs_entry_kind kind, const char *name, char **json);

/* A JSON array in name order, one element per line: endpoints as names
 * (["ep1","ep2"]), templates as objects ([{"name":"t","match":"dev-*"}]). */
int bs_admin_list(bs_admin *a, lwm2m_bs_entry_kind kind, char **json);

/* LWM2M_ERR_NOT_FOUND when absent. */
int bs_admin_remove(bs_admin *a, lwm2m_bs_entry_kind kind, const char *name);

/* Imports a JSON array of documents (or one document) of ours, or with `leshan` a Leshan
 * bootstrap store file. Every document is parsed and validated first, then all are stored
 * in one transaction: all or nothing. The error names the failing document. Returns the
 * number of documents stored (>= 0) or a negative lwm2m_error. */
int bs_admin_import(bs_admin *a, const char *json, size_t len, bool leshan, char *err,
                    size_t errlen);

/* Every template, then every endpoint document, as a JSON array (one document per line)
 * that bs_admin_import takes back. */
int bs_admin_export(bs_admin *a, char **json);

/* The configuration to serve `endpoint`: its own document; or, when that names a template,
 * the template expanded with the document's "vars" (and ${endpoint}); or, with no document,
 * the first template in name order whose match pattern matches the name, expanded with
 * ${endpoint} only. Expanded configurations are validated like added ones. The result
 * carries the endpoint document's credentials (PSK, RPK, X.509) when it has some.
 * LWM2M_ERR_NOT_FOUND when nothing applies. */
int bs_admin_resolve(bs_admin *a, const char *endpoint, lwm2m_bs_config **out, char *err,
                     size_t errlen);

/* The endpoint holding DTLS PSK identity `id`, and its key (key_cap >= LWM2M_PSK_KEY_MAX):
 * lwm2m_bs_store_find_identity (endpoint documents with their own "psk"); failing that, an
 * identity that is an endpoint name whose resolved configuration (a template's
 * {"identity": "${endpoint}", ...}) has exactly that identity. LWM2M_ERR_NOT_FOUND when none. */
int bs_admin_lookup_identity(bs_admin *a, const uint8_t *id, size_t len, char **endpoint,
                             uint8_t *key, size_t *key_len);

/* The endpoint whose document holds RPK `key` (lwm2m_bs_store_find_public_key; keys that
 * only templates give are not indexed). LWM2M_ERR_NOT_FOUND when none. */
int bs_admin_lookup_public_key(bs_admin *a, const uint8_t *key, size_t len, char **endpoint);

/* The endpoint the cert map gives for certificate CN `cn`. LWM2M_ERR_NOT_FOUND when none. */
int bs_admin_lookup_cn(bs_admin *a, const char *cn, char **endpoint);

/* The cert map as a JSON array in CN order, one {"cn":..,"endpoint":..} per line. */
int bs_admin_cert_map_list(bs_admin *a, char **json);

#endif
