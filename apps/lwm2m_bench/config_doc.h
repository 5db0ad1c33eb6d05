/* The configuration document the seed stores for each endpoint (docs/bs-config.md), in its
 * canonical JSON:
 *  - credentials: PSK (with --psk: identity = the endpoint name, key = bench_psk_key), RPK
 *    (--rpk: the endpoint's public key) or X.509 (--x509: "x509": {}, CN = endpoint name);
 *  - "discover": false, so the session starts at once with the primary plan;
 *  - primary plan: Delete /, then two NoSec server accounts (SSID 101 at the LwM2M Server URI,
 *    SSID 102 at the same host, port + 1, never contacted) and one ACL instance (/2/0 for
 *    /3/0, owner 101): Request, Delete, Write /0, /1, /2, Finish = 6 exchanges;
 *  - fallback plan (maxServers 1): Delete /, the SSID 101 account only. A single-server client
 *    answers the primary plan's Finish with 4.06 (too many server accounts); the server then
 *    deletes the 5 instances it wrote and runs the fallback (Delete, Write /0, /1, Finish):
 *    6 + 5 + 4 = 15 exchanges. The server remembers the plan that worked, so that endpoint's
 *    next bootstraps take the fallback at once (5 exchanges). */
#ifndef LWM2M_BENCH_CONFIG_DOC_H
#define LWM2M_BENCH_CONFIG_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define BENCH_EXCHANGES_PRIMARY 6 /* what `ping --exchanges` defaults to */
#define BENCH_SSID_PRIMARY      101
#define BENCH_URI_MAX           200
#define BENCH_DOC_MAX           2048
#define BENCH_CREDS_MAX         512 /* a credentials member of the document */
#define BENCH_X509_MEMBER       "\"x509\":{},"

/* "coap://HOST:PORT" (explicit port 1..65534, no path): 0, or -1. The second account's URI
 * (port + 1) into second[BENCH_URI_MAX]. */
int bench_dm_uris(const char *uri, char second[BENCH_URI_MAX]);

/* The credentials members, with the comma that follows them in the document: "psk" with the
 * endpoint name as identity, "rpk" with a SubjectPublicKeyInfo in hex (-1 when too long). */
void bench_psk_member(const char *endpoint, const uint8_t key[BENCH_PSK_KEY_LEN],
                      char out[BENCH_CREDS_MAX]);
int bench_rpk_member(const uint8_t *spki, size_t len, char out[BENCH_CREDS_MAX]);

/* The document of `endpoint` into out[0..cap): its length, or -1 when it does not fit.
 * `credentials`: one of the members above, or NULL for none (NoSec Bootstrap-Server link). */
int bench_config_doc(const char *endpoint, const char *credentials, const char *dm_uri,
                     const char *dm2_uri, char *out, size_t cap);

#endif
