/* Internal: translation between libcoap PDUs and the protocol layers' plain request and
 * response structs. The only place (with the rest of src/net) that includes libcoap. */
#ifndef LWM2M_NET_COAP_MESSAGE_H
#define LWM2M_NET_COAP_MESSAGE_H

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

#endif
