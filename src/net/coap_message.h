/* Internal: translation between libcoap PDUs and the protocol layers' plain request and
 * response structs. The only place (with the rest of src/net) that includes libcoap. */
#ifndef LWM2M_NET_COAP_MESSAGE_H
#define LWM2M_NET_COAP_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/value.h"

/* Scratch memory that the request's strings point into. */
typedef struct lwm2m_net_scratch {
    char path[256];
    char query[512];
} lwm2m_net_scratch;

/* Fills `out` from a received request. LWM2M_ERR_INVALID when the path or query does not fit. */
int lwm2m_net_request_from_pdu(const coap_pdu_t *pdu, const coap_string_t *query,
                               lwm2m_net_scratch *scratch, lwm2m_request *out);

/* Writes the code, Content-Format and payload of `resp` into the libcoap response PDU. */
void lwm2m_net_response_to_pdu(const lwm2m_response *resp, coap_pdu_t *pdu);

/* The security of a client link, as a Security instance (/0/x) holds it. The bytes are read
 * during lwm2m_net_session_for_uri only: the session keeps copies of what it needs. */
typedef struct lwm2m_net_credentials {
    int mode;              /* lwm2m_security_mode: PSK, RPK, CERTIFICATE or NOSEC */
    lwm2m_bytes own;       /* /0/x/3: PSK identity; own SubjectPublicKeyInfo (RPK); own
                              certificate (X.509 DER) */
    lwm2m_bytes server;    /* /0/x/4: the server's SubjectPublicKeyInfo (RPK); its certificate,
                              or its CA for Certificate Usage 0 and 2; with Matching Type 1..3
                              their SHA-256/384/512 hash */
    lwm2m_bytes secret;    /* /0/x/5: PSK key; private key DER (PKCS#8, SEC1 or PKCS#1) */
    int64_t cert_usage;    /* /0/x/15 (RFC 6698 0..3; LwM2M's default 3) */
    int64_t matching_type; /* /0/x/13 (0 exact; 1..3 hashes: of the SubjectPublicKeyInfo in
                              RPK mode, of the whole DER certificate in certificate mode, usages
                              1 and 3 only) */
    lwm2m_bytes sni;       /* /0/x/14; empty: the URI's host when it is a name */
    uint16_t security_iid; /* x, to name /0/x/4 in diagnostics */
} lwm2m_net_credentials;

/* The Matching Types (/0/x/13) lwm2m_net_session_for_uri applies, as
 * lwm2m_capabilities.matching_types: exact, SHA-256, SHA-384, SHA-512. */
#define LWM2M_NET_MATCHING_TYPES ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3))

/* Credentials of `mode` with the defaults (Certificate Usage 3, exact match). */
lwm2m_net_credentials lwm2m_net_credentials_init(int mode, uint16_t security_iid);

/* A client session towards "coap://host[:port]" (NoSec, default port 5683) or
 * "coaps://host[:port]" (DTLS, default 5684) with the credentials' mode: PSK; RPK (libcoap PKI
 * setup with is_rpk_not_cert, the handshake accepts only the server key equal to /0/x/4, as a
 * raw public key or as the SubjectPublicKeyInfo of the certificate the server presents);
 * certificate (own certificate and key; the server's certificate must equal /0/x/4 for
 * Certificate Usage 1 and 3, chain to the CA in /0/x/4 for 0 and 2, be valid now, and carry the
 * name /0/x/14 when that is set, except for usage 3; a raw public key presented instead must be
 * the key of /0/x/4 for usages 1 and 3 and is refused for 0 and 2). With Matching Type 1..3,
 * "equal to /0/x/4" is "whose SHA-256/384/512 hash is /0/x/4" (of the SubjectPublicKeyInfo in
 * RPK mode, of the DER certificate in certificate mode; usages 0 and 2 refused: no CA to chain
 * to). Host a name or an IPv4 or IPv6 literal.
 * NULL, with the reason in why (why_cap > 0), when the URI does not parse, its scheme does not
 * fit the mode, the host does not resolve or the credentials cannot be used. The session
 * carries what its handshake checks: give it back with lwm2m_net_session_release. */
coap_session_t *lwm2m_net_session_for_uri(coap_context_t *ctx, const char *uri,
                                          const lwm2m_net_credentials *cred, char *why,
                                          size_t why_cap);

/* Releases a session of lwm2m_net_session_for_uri and what it carries (NULL: nothing). */
void lwm2m_net_session_release(coap_session_t *s);

/* Why this side refused the server in the DTLS handshake of `s` ("the server's public key
 * differs from /0/1/4"), or NULL when it did not (the TLS library may have: libcoap logs why). */
const char *lwm2m_net_session_refusal(const coap_session_t *s);

/* What the handshake of `s` requires of the server ("its certificate must chain to the CA in
 * /0/1/4 and be valid now"), or NULL for PSK and NoSec. */
const char *lwm2m_net_session_requirement(const coap_session_t *s);

/* A confirmable request: Uri-Path from `path` ("/bs"), Content-Format `format` and Accept
 * `accept` (none for LWM2M_FORMAT_NONE), Uri-Query from `query` ("a=1&b=2", may be NULL),
 * then `payload`. The token is written to token/token_len (8 bytes room). NULL when out of
 * memory. */
coap_pdu_t *lwm2m_net_new_request(coap_session_t *s, unsigned method, const char *path,
                                  lwm2m_format format, lwm2m_format accept, const char *query,
                                  const uint8_t *payload, size_t payload_len, uint8_t *token,
                                  size_t *token_len);

/* The Location-Path options of a response joined as "/rd/5a3f" into buf. */
void lwm2m_net_location_path(const coap_pdu_t *pdu, char *buf, size_t cap);

/* Adds an Observe option holding the 24-bit sequence number `seq` (RFC 7641). 0 or -1. */
int lwm2m_net_add_observe(coap_pdu_t *pdu, uint32_t seq);

/* Adds "/3/4" as Location-Path options "3" and "4". 0 or -1. */
int lwm2m_net_add_location_path(coap_pdu_t *pdu, const char *path);

/* A confirmable notification: code, token, Observe `seq` (only when `observe`, i.e. for a 2.xx),
 * Content-Format and payload of `resp`. NULL when out of memory or it does not fit one PDU. */
coap_pdu_t *lwm2m_net_new_notification(coap_session_t *s, const uint8_t *token, size_t token_len,
                                       bool observe, uint32_t seq, const lwm2m_response *resp);

#endif
