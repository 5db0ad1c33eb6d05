/* A bootstrap configuration: what a Bootstrap Server writes to one endpoint. It is one or more
 * plans (the primary, then the fallbacks to use after a 4.06), each a list of paths to delete
 * and the object instances to write, Security (/0), Server (/1), Access Control (/2) or any
 * other object. Configurations are stored and exchanged as JSON (docs/bs-config.md); Leshan's
 * bootstrap store file can be imported. A template is a configuration whose strings may hold
 * ${name} placeholders, filled per endpoint from the endpoint's variables. */
#ifndef LWM2M_BS_CONFIG_H
#define LWM2M_BS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/codec.h"
#include "lwm2m/consistency.h"
#include "lwm2m/objdef.h"
#include "lwm2m/path.h"
#include "lwm2m/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_ENDPOINT_MAX     255 /* bytes of an endpoint name */
#define LWM2M_PSK_IDENTITY_MAX 128
#define LWM2M_PSK_KEY_MAX      64

/* One set of operations of a session: Deletes, then Writes (object by object, /0, /1, /2,
 * then the others in id order), then Finish. */
typedef struct lwm2m_bs_plan {
    lwm2m_capabilities caps; /* what the plan needs of the client; validation uses it */
    const lwm2m_path *deletes;
    size_t delete_count;
    const lwm2m_record *records; /* sorted by path; path.len >= 2 (an instance with no
                                    resources is one NONE record) */
    size_t record_count;
} lwm2m_bs_plan;

/* A configuration as parsed. Owns all its memory (lwm2m_bs_config_free). */
typedef struct lwm2m_bs_config {
    char endpoint[LWM2M_ENDPOINT_MAX + 1]; /* "" for a template */
    char template_name[64];                /* a template's name, or the template an endpoint
                                              uses ("" for none) */
    char match[LWM2M_ENDPOINT_MAX + 1];    /* template only: endpoint-name pattern with '*'
                                              wildcards; "" = only by name */
    lwm2m_format format;                   /* LWM2M_FORMAT_NONE: client's pct, else TLV */
    bool discover;                         /* start with Bootstrap-Discover / (default true) */
    bool auto_id_security; /* renumber /0 instances around the client's BS account */
    /* The endpoint's credentials on the Bootstrap-Server link: at most one of DTLS PSK, a raw
     * public key (RPK) or X.509 certificates (lwm2m_bs_config_credentials). An endpoint with
     * credentials is refused over NoSec and over any other mode. */
    uint8_t psk_identity[LWM2M_PSK_IDENTITY_MAX];
    size_t psk_identity_len; /* 0: no PSK */
    uint8_t psk_key[LWM2M_PSK_KEY_MAX];
    size_t psk_key_len;
    const lwm2m_bs_plan *plans; /* [0] primary, then the fallbacks in order */
    size_t plan_count;          /* >= 1 for an endpoint configuration */
    void *mem;                  /* internal */
    /* RPK: the SubjectPublicKeyInfo (DER) the client must present; NULL / 0: no RPK. */
    const uint8_t *public_key;
    size_t public_key_len;
    /* X.509: the client's certificate must chain to the server's trust store and its subject
     * CN must be the endpoint name or be mapped to it by the store's cert map. */
    bool x509;
} lwm2m_bs_config;

#define LWM2M_PUBLIC_KEY_MAX 1024 /* bytes of an RPK SubjectPublicKeyInfo (RSA-4096: 550) */

/* Which DTLS credentials bind an endpoint on the Bootstrap-Server link. */
typedef enum lwm2m_bs_credentials {
    LWM2M_BS_CREDS_NONE = 0, /* NoSec */
    LWM2M_BS_CREDS_PSK,
    LWM2M_BS_CREDS_RPK,
    LWM2M_BS_CREDS_X509,
} lwm2m_bs_credentials;

/* The kind of credentials of a configuration (a template's, placeholders included). */
lwm2m_bs_credentials lwm2m_bs_config_credentials(const lwm2m_bs_config *cfg);
/* "nosec", "psk", "rpk", "x509". */
const char *lwm2m_bs_credentials_name(lwm2m_bs_credentials c);
/* Gives `dst` the credentials of `src` (PSK, RPK or X.509) in place of its own, when `src`
 * has some (an endpoint document's own credentials win over its template's). 0, or
 * LWM2M_ERR_NOMEM. */
int lwm2m_bs_config_copy_credentials(lwm2m_bs_config *dst, const lwm2m_bs_config *src);

/* Per-endpoint values for a template's ${name} placeholders ("endpoint" is always set). */
typedef struct lwm2m_bs_var {
    const char *name;
    const char *value;
} lwm2m_bs_var;

/* Parses a configuration document (endpoint or template) from JSON. Value types come from
 * the object definitions (`defs` searched first, may be NULL, then the built-in ones); for
 * unknown objects from the JSON type. Placeholders are kept as text in a template.
 * Returns 0, or LWM2M_ERR_INVALID / _TYPE / _RANGE / _NOMEM with one line in `err`
 * naming the JSON path at fault ("objects/0/1/2: expected an integer"). */
int lwm2m_bs_config_parse(const char *json, size_t len, const lwm2m_objdef_list *defs,
                          lwm2m_bs_config **out, char *err, size_t errlen);

/* Expands a template for one endpoint: every ${name} is replaced from `vars` (an unknown
 * name is an error), then the result is typed as by lwm2m_bs_config_parse. The expanded
 * configuration has `endpoint` set and the endpoint's own credentials. */
int lwm2m_bs_config_expand(const char *template_json, size_t len, const char *endpoint,
                           const lwm2m_bs_var *vars, size_t var_count,
                           const lwm2m_objdef_list *defs, lwm2m_bs_config **out, char *err,
                           size_t errlen);

/* Canonical JSON of a configuration (what `config export` prints and the store keeps).
 * Returns a malloc'ed NUL-terminated string or NULL on allocation failure. */
char *lwm2m_bs_config_to_json(const lwm2m_bs_config *cfg);

void lwm2m_bs_config_free(lwm2m_bs_config *cfg);

/* Checks every plan with lwm2m_consistency_check on the configuration a client would hold
 * after it: the plan's writes on top of a client that has only a Bootstrap-Server account
 * (for plans that delete /0 or /) and /3/0. Returns the index of the first inconsistent plan
 * with its result, or -1 when every plan is consistent. */
int lwm2m_bs_config_validate(const lwm2m_bs_config *cfg, const lwm2m_objdef_list *defs,
                             lwm2m_consistency_result *out);

/* Converts Leshan's bootstrap store file (a JSON map endpoint -> BootstrapConfig with
 * toDelete, servers, security, acls, autoIdForSecurityObject, contentFormat) into our
 * configuration documents. Calls `sink` once per endpoint with its JSON; stops at the first
 * non-zero return of `sink` and returns it. Returns LWM2M_ERR_INVALID with `err` set on a
 * malformed file. */
typedef int (*lwm2m_bs_config_sink)(void *ctx, const char *endpoint, const char *json);
int lwm2m_bs_config_import_leshan(const char *json, size_t len, lwm2m_bs_config_sink sink,
                                  void *ctx, char *err, size_t errlen);

/* Shell-style match of an endpoint name against a pattern with '*' wildcards. */
bool lwm2m_bs_pattern_match(const char *pattern, const char *endpoint);

#ifdef __cplusplus
}
#endif
#endif
