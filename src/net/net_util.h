/* Internal: what every libcoap runtime of src/net needs — the monotonic clock, peer addresses
 * as text, HOST:PORT parsing, listeners (port 0 picks a free port), short error replies. */
#ifndef LWM2M_NET_NET_UTIL_H
#define LWM2M_NET_NET_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include <coap3/coap.h>

#include "net/net_pki.h"

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t lwm2m_net_now_ms(void);

/* The remote address of `s` as "HOST:PORT" ("?:0" when unknown). */
void lwm2m_net_peer_of(const coap_session_t *s, char *buf, size_t cap);

/* "HOST:PORT" (IPv4, or [IPv6]:PORT) into a coap_address_t. 0 or -1. */
int lwm2m_net_parse_host_port(const char *s, coap_address_t *out);

/* A listener on "HOST:PORT" for `proto`; port 0 picks a free port (libcoap 4.3.1 cannot tell
 * which port it bound), written to *port. NULL with `err` set. */
coap_endpoint_t *lwm2m_net_listen(coap_context_t *ctx, const char *host_port, coap_proto_t proto,
                                  uint16_t *port, char *err, size_t errlen);

/* Sets `code` on a response and, when `diag` is not empty, a text/plain diagnostic payload. */
void lwm2m_net_reply(coap_pdu_t *response, unsigned code, const char *diag);

/* What a server runtime hands lwm2m_net_server_context. */
typedef struct lwm2m_net_server_setup {
    void *app; /* coap_get_app_data of the context */
    coap_response_handler_t on_response;
    coap_nack_handler_t on_nack;
    coap_method_handler_t on_request; /* every GET, POST, PUT and DELETE (unknown resource) */
    coap_dtls_id_callback_t psk_for_identity; /* the key for a PSK identity (DTLS only) */
    coap_event_handler_t on_event;            /* may be NULL; must pass events to the pki */
    const char *listen;                       /* "HOST:PORT" for coap://, NULL for none */
    const char *dtls_listen;                  /* "HOST:PORT" for coaps://, NULL for none */
    lwm2m_net_pki *pki; /* RPK and X.509 clients on dtls_listen too; NULL: PSK only */
} lwm2m_net_server_setup;

/* A libcoap context for a server: block-wise bodies reassembled, idle sessions reaped after
 * 30 s and at most 1,000 kept (libcoap walks every session on every loop turn: with its default
 * 300 s a bootstrap storm spent most of its CPU there), the handlers, the listeners (their
 * bound ports in *udp_port / *dtls_port). NULL with `err` set. */
coap_context_t *lwm2m_net_server_context(const lwm2m_net_server_setup *setup, uint16_t *udp_port,
                                         uint16_t *dtls_port, char *err, size_t errlen);

/* Waits up to timeout_ms (at least 1) for CoAP traffic and for the caller's descriptors, as
 * select(2) would (the sets are updated in place; nfds 0 means none), then handles the CoAP
 * traffic. libcoap 4.3.1 built with epoll ignores the extra descriptors of
 * coap_io_process_with_fds, so with epoll this selects on libcoap's own descriptor and the
 * caller's together. */
void lwm2m_net_io_process(coap_context_t *ctx, uint32_t timeout_ms, int nfds, fd_set *rfds,
                          fd_set *wfds, fd_set *efds);

#endif
