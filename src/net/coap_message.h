/* Internal: translation between libcoap PDUs and the protocol layers' plain request and
 * response structs. The only place (with the rest of src/net) that includes libcoap. */
#ifndef LWM2M_NET_COAP_MESSAGE_H
#define LWM2M_NET_COAP_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "lwm2m/bs_client.h"

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

/* A client session towards "coap://host[:port]" (default 5683) or, with a PSK identity and key,
 * "coaps://host[:port]" (default 5684, DTLS PSK); host a name or an IPv4 or IPv6 literal. NULL
 * when the URI does not parse, its scheme does not match the credentials, or the host does not
 * resolve. */
coap_session_t *lwm2m_net_session_for_uri(coap_context_t *ctx, const char *uri,
                                          const uint8_t *psk_identity, size_t identity_len,
                                          const uint8_t *psk_key, size_t key_len);

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
