/* Internal: a CoAP endpoint on a plain UDP socket (NoSec only), the Bootstrap Server's fast
 * path. libcoap 4.3.1 tops out at about 5,600 sessions of 6 exchanges per second on one core
 * here, walks every session on every loop turn and binds without SO_REUSEPORT; this endpoint
 * does what a Bootstrap Server needs of RFC 7252 and RFC 7959 and nothing else:
 *
 * - requests from clients (Bootstrap-Request, Bootstrap-Pack-Request) go to on_request, whose
 *   reply is sent piggybacked on the ACK (a NON request gets a NON response); the last reply
 *   per peer is kept, so a retransmitted CON request (same message ID) is answered with the
 *   same bytes without calling on_request again; a reply body larger than a block is served
 *   in Block2 slices of 1024 bytes (stateless: on_request is asked again for each block);
 * - our CON requests to clients (Deletes, Writes, Discover, Finish) are retransmitted with
 *   the RFC 7252 timers (ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4) kept in a
 *   min-heap, matched by message ID and token (piggybacked) or token (separate response after
 *   an Empty ACK), split in Block1 blocks of 1024 bytes when larger, and a Block2 response is
 *   fetched block by block before on_response sees the whole body; a RST or no answer after
 *   the last retransmission calls on_failure;
 * - peers (one per address and port) are found through a hash table and forgotten when idle
 *   for `idle_ms` with nothing referencing them, oldest first;
 * - datagrams are read with recvmmsg and written with sendmmsg in batches;
 * - with `reuseport`, several processes may bind the same port (SO_REUSEPORT: the kernel
 *   spreads clients over them by address and port, so a client stays with one process).
 *
 * Single-threaded; nothing here blocks. */
#ifndef LWM2M_NET_COAP_UDP_H
#define LWM2M_NET_COAP_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/codec.h"
#include "lwm2m/coap_wire.h"

typedef struct lwm2m_udp_endpoint lwm2m_udp_endpoint;
typedef struct lwm2m_udp_peer lwm2m_udp_peer;

/* What a request handler answers. `body` must stay valid until on_request returns. */
typedef struct lwm2m_udp_reply {
    unsigned code;       /* 0: no answer (an Empty ACK for a CON) */
    lwm2m_format format; /* LWM2M_FORMAT_NONE: no Content-Format */
    const uint8_t *body; /* the whole body; sliced by Block2 when larger than a block */
    size_t len;
} lwm2m_udp_reply;

typedef struct lwm2m_udp_handlers {
    void *ctx;
    /* A request (not a retransmission). `reply` comes zeroed. */
    void (*on_request)(void *ctx, lwm2m_udp_peer *peer, const lwm2m_coap_msg *req,
                       lwm2m_udp_reply *reply);
    /* The (whole) response to our request `id`. */
    void (*on_response)(void *ctx, lwm2m_udp_peer *peer, uint32_t id, unsigned code,
                        lwm2m_format format, const uint8_t *payload, size_t len);
    /* Request `id` got a RST or no answer in time. */
    void (*on_failure)(void *ctx, lwm2m_udp_peer *peer, uint32_t id);
} lwm2m_udp_handlers;

typedef struct lwm2m_udp_options {
    const char *listen;    /* "HOST:PORT" (IPv4, or [IPv6]:PORT); port 0 picks a free one */
    bool reuseport;        /* SO_REUSEPORT, for worker processes sharing the port */
    int rcvbuf, sndbuf;    /* socket buffer sizes asked for (0: 4 MiB each) */
    int64_t idle_ms;       /* forget an unreferenced peer idle this long (0: 30 s) */
    size_t max_idle_peers; /* and keep at most this many idle ones (0: 100,000) */
} lwm2m_udp_options;

/* NULL with `err` set when the address does not parse or cannot be bound. */
lwm2m_udp_endpoint *lwm2m_udp_endpoint_new(const lwm2m_udp_options *opts,
                                           const lwm2m_udp_handlers *h, char *err, size_t errlen);
/* Outstanding requests are dropped without callbacks. */
void lwm2m_udp_endpoint_free(lwm2m_udp_endpoint *ep);

int lwm2m_udp_fd(const lwm2m_udp_endpoint *ep);
uint16_t lwm2m_udp_port(const lwm2m_udp_endpoint *ep);

/* Reads and handles what the socket holds (a bounded number of batches), then sends what was
 * queued. Call when the descriptor is readable. Returns the number of datagrams read. */
size_t lwm2m_udp_read(lwm2m_udp_endpoint *ep, int64_t now_ms);
/* Retransmissions and failures due by now_ms, forgetting idle peers, then the queued sends. */
void lwm2m_udp_timers(lwm2m_udp_endpoint *ep, int64_t now_ms);
/* Milliseconds until the next timer (-1 when none). */
int64_t lwm2m_udp_next_timer(const lwm2m_udp_endpoint *ep, int64_t now_ms);
/* Sends the datagrams queued since the last flush. */
void lwm2m_udp_flush(lwm2m_udp_endpoint *ep);

/* A CON request to `peer`: Uri-Path `path`, Content-Format `format` and Accept `accept` (none
 * for LWM2M_FORMAT_NONE), the payload (copied). Returns its id (never 0), or 0 when out of
 * memory. The datagram goes out at the next flush. */
uint32_t lwm2m_udp_request(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer, unsigned method,
                           const char *path, lwm2m_format format, lwm2m_format accept,
                           const uint8_t *payload, size_t len);
/* Forgets request `id` of `peer` (no callback; a late answer is ignored). */
void lwm2m_udp_cancel(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer, uint32_t id);

/* The peer at "HOST:PORT", created when new (for a server-initiated bootstrap). NULL with
 * `err` set. The result is referenced (release it). */
lwm2m_udp_peer *lwm2m_udp_peer_at(lwm2m_udp_endpoint *ep, const char *host_port, char *err,
                                  size_t errlen);
/* A reference keeps the peer (and its address) while a session uses it. */
lwm2m_udp_peer *lwm2m_udp_peer_ref(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer);
void lwm2m_udp_peer_release(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer);
/* One pointer of the owner's per peer (NULL at first), e.g. the session it serves. */
void lwm2m_udp_peer_set_data(lwm2m_udp_peer *peer, void *data);
void *lwm2m_udp_peer_data(const lwm2m_udp_peer *peer);
/* "HOST:PORT" of the peer. */
void lwm2m_udp_peer_name(const lwm2m_udp_peer *peer, char *buf, size_t cap);

/* Counters since the endpoint was opened. */
typedef struct lwm2m_udp_stats {
    uint64_t received, sent, retransmitted, duplicates, malformed, unmatched;
    uint64_t peers; /* created */
} lwm2m_udp_stats;
void lwm2m_udp_get_stats(const lwm2m_udp_endpoint *ep, lwm2m_udp_stats *out);

#endif
