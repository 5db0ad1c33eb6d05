/* `lwm2m-server security ...`: the DTLS credentials of the store (PSK, RPK, X.509 and the cert
 * map), from the shell; and the helpers the HTTP API shares with it (checking credentials,
 * showing them without the key). */
#ifndef LWM2M_APP_SERVER_SECURITY_CMD_H
#define LWM2M_APP_SERVER_SECURITY_CMD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/sec_store.h"

#define SRV_DEFAULT_STORE "sqlite:lwm2m-server.db"

/* argv[0] is "security". Exit status: 0 done, 1 not found or refused (store error, identity
 * of another endpoint), 2 usage. */
int srv_security_main(int argc, char **argv);

/* Fills `out` from an endpoint name, a PSK identity (text) and a key in hex (1..64 bytes).
 * 0, or LWM2M_ERR_INVALID with `err`. */
int srv_security_fill(lwm2m_sec_info *out, const char *endpoint, const char *identity,
                      const char *key_hex, char *err, size_t errlen);

/* Fills `out` for an RPK endpoint from its public key (a SubjectPublicKeyInfo, DER), or for
 * an X.509 endpoint (public_key NULL and x509 true). 0, or LWM2M_ERR_INVALID with `err`. */
int srv_security_fill_pki(lwm2m_sec_info *out, const char *endpoint, const uint8_t *public_key,
                          size_t len, bool x509, char *err, size_t errlen);

/* {"endpoint":..,"pskIdentity":..}: never the key. An identity that is not printable UTF-8
 * shows as "pskIdentity":null,"pskIdentityHex":"..". RPK and X.509 entries show as
 * {"endpoint":..,"mode":"rpk","publicKey":HEX} and {"endpoint":..,"mode":"x509"}. NULL when
 * out of memory. */
cJSON *srv_security_item(const lwm2m_sec_info *info);

/* The JSON array of every entry, one per line, in endpoint order (malloc'ed in *json). 0, or
 * LWM2M_ERR_NOMEM / the store's error code. */
int srv_security_list_json(lwm2m_sec_store *store, char **json);

#endif
