/* The consistency check of a loaded configuration (the seed's §5.2.6): what a client answers
 * Bootstrap-Finish with (2.04, or 4.06 naming the failed rule), and what a Bootstrap Server
 * runs on a configuration before it stores it. One function for both sides. */
#ifndef LWM2M_CONSISTENCY_H
#define LWM2M_CONSISTENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/model.h"
#include "lwm2m/path.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Security Mode /0/x/2 values. */
typedef enum lwm2m_security_mode {
    LWM2M_SECURITY_PSK = 0,
    LWM2M_SECURITY_RPK = 1,
    LWM2M_SECURITY_CERTIFICATE = 2,
    LWM2M_SECURITY_NOSEC = 3,
    LWM2M_SECURITY_EST = 4,
} lwm2m_security_mode;

/* URI schemes, as bits of lwm2m_capabilities.schemes. */
enum {
    LWM2M_SCHEME_COAP = 1 << 0,
    LWM2M_SCHEME_COAPS = 1 << 1,
    LWM2M_SCHEME_COAP_TCP = 1 << 2,
    LWM2M_SCHEME_COAPS_TCP = 1 << 3,
};

struct lwm2m_capabilities;
struct lwm2m_consistency_result;

/* Checks the key material of Security instance /0/`iid` in RPK or certificate `mode` (see
 * lwm2m_consistency_check_keys). */
typedef int (*lwm2m_key_check)(const lwm2m_model *m, uint16_t iid, int64_t mode,
                               const struct lwm2m_capabilities *caps,
                               struct lwm2m_consistency_result *out);

/* What the client can hold and use. */
typedef struct lwm2m_capabilities {
    size_t max_server_accounts; /* 0: no limit; 1: a single-server client */
    bool access_control;        /* implements Access Control (/2) */
    uint8_t security_modes;     /* bit (1 << lwm2m_security_mode) per supported mode */
    uint8_t schemes;            /* LWM2M_SCHEME_* bits */
    uint8_t matching_types;     /* bit (1 << /0/x/13 value) per Matching Type the client can
                                   use (0 exact, 1..3 SHA-256/384/512); 0: not declared, any */
    /* The key material check of RPK and certificate mode: lwm2m_consistency_check_keys, or
     * NULL for none. A pointer rather than a call so that a client without RPK and
     * certificates does not link the DER reader (with --gc-sections: bench/footprint.sh). */
    lwm2m_key_check check_keys;
} lwm2m_capabilities;

typedef enum lwm2m_consistency_rule {
    LWM2M_CONSISTENT = 0,
    LWM2M_RULE_NO_SERVER_ACCOUNT,       /* no Security+Server pair at all */
    LWM2M_RULE_SERVER_WITHOUT_SECURITY, /* /1 instance whose SSID matches no non-BS /0 */
    LWM2M_RULE_SECURITY_WITHOUT_SERVER, /* non-BS /0 instance whose SSID matches no /1 */
    LWM2M_RULE_SSID_RANGE,              /* SSID outside 1..65534 */
    LWM2M_RULE_SSID_DUPLICATE,          /* two /0 (or two /1) instances with one SSID */
    LWM2M_RULE_MULTIPLE_BOOTSTRAP,      /* more than one Bootstrap-Server account */
    LWM2M_RULE_MISSING_RESOURCE,        /* a mandatory resource (or a key for the mode) absent */
    LWM2M_RULE_BAD_URI,                 /* Server URI unparsable */
    LWM2M_RULE_URI_MODE_MISMATCH,       /* coap:// with a secure mode, coaps:// with NoSec */
    LWM2M_RULE_UNSUPPORTED_MODE,        /* security mode the client cannot use */
    LWM2M_RULE_UNSUPPORTED_SCHEME,      /* URI scheme the client cannot use */
    LWM2M_RULE_TOO_MANY_SERVERS,        /* more Server Accounts than the client holds */
    LWM2M_RULE_ACL_UNSUPPORTED,         /* /2 instances in a client without Access Control */
    LWM2M_RULE_ACL_TARGET_MISSING,      /* ACL for an object instance that does not exist */
    LWM2M_RULE_ACL_OWNER_UNKNOWN,       /* ACL owner or ACL entry for an unknown SSID */
    LWM2M_RULE_NO_MEMORY,               /* the check itself ran out of memory */
    /* RPK (1) and certificate (2) mode only: */
    LWM2M_RULE_BAD_KEY_MATERIAL,       /* /0/x/3, /0/x/4 or /0/x/5 malformed, of an algorithm or
                                          curve the client cannot use, or not a pair */
    LWM2M_RULE_BAD_SECURITY_PARAMETER, /* Matching Type /0/x/13 or Certificate Usage /0/x/15
                                          outside 0..3, SNI /0/x/14 not a host name, a cipher
                                          suite /0/x/16 outside 0..65535 */
    LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, /* a cipher suite the client does not know,
                                                  none for the mode and key, or a Matching
                                                  Type outside lwm2m_capabilities */
} lwm2m_consistency_rule;

typedef struct lwm2m_consistency_result {
    lwm2m_consistency_rule rule;
    lwm2m_path path;   /* the instance or resource at fault */
    char message[160]; /* one line for a 4.06 diagnostic payload, e.g.
                          "no-server-account: no Security/Server instance pair" */
} lwm2m_consistency_result;

/* Checks the configuration held by `m` against `caps`. Returns the first failed rule
 * (LWM2M_CONSISTENT when none) and fills `out` (may be NULL). */
lwm2m_consistency_rule lwm2m_consistency_check(const lwm2m_model *m, const lwm2m_capabilities *caps,
                                               lwm2m_consistency_result *out);

/* The DTLS 1.2 cipher suites (IANA values) this client's DTLS stack (libcoap 4.3.1 with GnuTLS)
 * can negotiate, the ones /0/x/16 may name. `kind` tells the key exchange: */
enum {
    LWM2M_SUITE_PSK = 1,   /* PSK, ECDHE_PSK: Security Mode 0 */
    LWM2M_SUITE_ECDSA = 2, /* ECDHE_ECDSA: EC and EdDSA keys (modes 1 and 2) */
    LWM2M_SUITE_RSA = 3,   /* ECDHE_RSA, DHE_RSA, RSA: RSA keys (modes 1 and 2) */
};
/* The kind of cipher suite `value`, 0 when the client does not know it. */
int lwm2m_cipher_suite_kind(int64_t value);

/* The rules of RPK (mode 1) and certificate (mode 2) mode for Security instance /0/`iid`
 * (docs/consistency.md): /0/x/13, /0/x/14, /0/x/15 in range, /0/x/3 and /0/x/5 a usable key
 * pair, /0/x/4 the server's key, certificate, CA or hash, /0/x/16 known cipher suites. Returns
 * LWM2M_CONSISTENT, or the failed rule with `out` filled (may be NULL). Plugged into
 * lwm2m_capabilities.check_keys. */
int lwm2m_consistency_check_keys(const lwm2m_model *m, uint16_t iid, int64_t mode,
                                 const struct lwm2m_capabilities *caps,
                                 struct lwm2m_consistency_result *out);

/* Stable kebab-case name of a rule ("no-server-account"). */
const char *lwm2m_consistency_rule_name(lwm2m_consistency_rule rule);

/* Parses an LwM2M Server URI "scheme://host[:port][/path]" (host may be [IPv6]). Returns the
 * LWM2M_SCHEME_* bit of its scheme, or 0 when it is not a CoAP URI we understand. */
uint8_t lwm2m_uri_scheme(const char *uri, size_t len);

#ifdef __cplusplus
}
#endif
#endif
