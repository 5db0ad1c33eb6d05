/* A CoAP endpoint on a plain UDP socket: the Bootstrap Server's NoSec fast path (coap_udp.h). */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "net/coap_udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m/coap_code.h"
#include "net/host_port.h"

#define BLOCK_SZX        6u /* 1024-byte blocks */
#define BLOCK_SIZE       (16u << BLOCK_SZX)
#define DGRAM_MAX        (BLOCK_SIZE + 160u) /* a block with its header and options */
#define RECV_MAX         2048u               /* larger datagrams are refused as truncated */
#define BATCH            64u
#define READ_BATCHES     16u /* per lwm2m_udp_read, so other descriptors get their turn */
#define ACK_TIMEOUT_MS   2000
#define MAX_RETRANSMIT   4
#define SEPARATE_WAIT_MS 60000 /* after an Empty ACK, how long a separate response may take */
#define REPLY_INLINE     48
#define PATH_MAX_LEN     48
#define CODE_CONTINUE    LWM2M_COAP_CODE(2, 31)
#define CODE_BAD_OPTION  LWM2M_COAP_CODE(4, 2)

typedef lwm2m_net_addr udp_addr;

typedef struct udp_request {
    uint32_t id;
    lwm2m_udp_peer *peer;
    struct udp_request *next; /* the peer's list */
    uint16_t mid;
    uint8_t token[4];
    uint8_t method;
    lwm2m_format format, accept;
    char path[PATH_MAX_LEN];
    uint8_t *body; /* the whole payload (Block1 slices it) */
    size_t body_len;
    uint32_t block1;    /* the block being sent */
    uint32_t block2;    /* the block asked for (Block2 responses) */
    uint8_t *collected; /* Block2 bodies so far */
    size_t collected_len;
    uint8_t *dgram; /* the datagram in flight, for retransmission */
    size_t dgram_len;
    int64_t deadline;
    uint32_t timeout_ms;
    uint8_t retransmits;
    bool acked; /* Empty ACK seen: a separate response is awaited */
    size_t heap_index;
} udp_request;

struct lwm2m_udp_peer {
    udp_addr addr;
    uint32_t hash;
    lwm2m_udp_peer *hash_next;
    lwm2m_udp_peer *idle_prev, *idle_next;
    bool idle;
    unsigned refs;
    void *data; /* the owner's, see lwm2m_udp_peer_set_data */
    int64_t last_ms;
    uint16_t next_mid;
    bool has_reply;
    uint16_t reply_mid;
    uint8_t *reply; /* reply_inline or malloc'ed */
    size_t reply_len;
    uint8_t reply_inline[REPLY_INLINE];
    udp_request *requests;
};

struct lwm2m_udp_endpoint {
    int fd;
    uint16_t port;
    lwm2m_udp_handlers h;
    int64_t idle_ms;
    size_t max_idle;
    lwm2m_udp_peer **buckets;
    size_t n_buckets, n_peers;
    lwm2m_udp_peer *idle_head, *idle_tail;
    size_t n_idle;
    udp_request **heap;
    size_t heap_len, heap_cap;
    uint32_t next_id;
    uint32_t token_seq;
    uint64_t rng;
    lwm2m_udp_stats stats;
    /* receive batch */
    struct mmsghdr in_msgs[BATCH];
    struct iovec in_iov[BATCH];
    udp_addr in_addr[BATCH];
    uint8_t (*in_buf)[RECV_MAX];
    /* send batch */
    struct mmsghdr out_msgs[BATCH];
    struct iovec out_iov[BATCH];
    udp_addr out_addr[BATCH];
    uint8_t (*out_buf)[DGRAM_MAX];
    size_t out_len;
};

/* ---- small tools ------------------------------------------------------------------------ */

static uint64_t next_random(lwm2m_udp_endpoint *ep)
{
    /* splitmix64: retransmission jitter, message IDs and tokens need spread, not secrecy */
    uint64_t z = (ep->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t hash_addr(const udp_addr *a)
{
    uint32_t h = 2166136261u;
    const uint8_t *p;
    size_t n;
    uint16_t port;
    if (a->sa.sa_family == AF_INET6) {
        p = (const uint8_t *)&a->v6.sin6_addr;
        n = 16;
        port = a->v6.sin6_port;
    } else {
        p = (const uint8_t *)&a->v4.sin_addr;
        n = 4;
        port = a->v4.sin_port;
    }
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    h = (h ^ (port & 0xff)) * 16777619u;
    h = (h ^ (port >> 8)) * 16777619u;
    return h ^ (h >> 15);
}

static bool same_addr(const udp_addr *a, const udp_addr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET6)
        return a->v6.sin6_port == b->v6.sin6_port &&
               memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, 16) == 0;
    return a->v4.sin_port == b->v4.sin_port && a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
}

/* ---- timer heap ------------------------------------------------------------------------- */

static void heap_swap(lwm2m_udp_endpoint *ep, size_t i, size_t j)
{
    udp_request *t = ep->heap[i];
    ep->heap[i] = ep->heap[j];
    ep->heap[j] = t;
    ep->heap[i]->heap_index = i;
    ep->heap[j]->heap_index = j;
}

static void heap_up(lwm2m_udp_endpoint *ep, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (ep->heap[parent]->deadline <= ep->heap[i]->deadline)
            break;
        heap_swap(ep, i, parent);
        i = parent;
    }
}

static void heap_down(lwm2m_udp_endpoint *ep, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < ep->heap_len && ep->heap[l]->deadline < ep->heap[m]->deadline)
            m = l;
        if (r < ep->heap_len && ep->heap[r]->deadline < ep->heap[m]->deadline)
            m = r;
        if (m == i)
            return;
        heap_swap(ep, i, m);
        i = m;
    }
}

static int heap_push(lwm2m_udp_endpoint *ep, udp_request *q)
{
    if (ep->heap_len == ep->heap_cap) {
        size_t cap = ep->heap_cap ? ep->heap_cap * 2 : 256;
        udp_request **grown = realloc(ep->heap, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        ep->heap = grown;
        ep->heap_cap = cap;
    }
    q->heap_index = ep->heap_len;
    ep->heap[ep->heap_len++] = q;
    heap_up(ep, q->heap_index);
    return 0;
}

static void heap_remove(lwm2m_udp_endpoint *ep, udp_request *q)
{
    size_t i = q->heap_index, last = --ep->heap_len;
    if (i != last) {
        ep->heap[i] = ep->heap[last];
        ep->heap[i]->heap_index = i;
        heap_down(ep, i);
        heap_up(ep, i);
    }
}

/* A new deadline for a request already in the heap. */
static void heap_reschedule(lwm2m_udp_endpoint *ep, udp_request *q, int64_t deadline)
{
    q->deadline = deadline;
    heap_down(ep, q->heap_index);
    heap_up(ep, q->heap_index);
}

/* ---- peers ------------------------------------------------------------------------------ */

static void idle_unlink(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p)
{
    if (!p->idle)
        return;
    if (p->idle_prev)
        p->idle_prev->idle_next = p->idle_next;
    else
        ep->idle_head = p->idle_next;
    if (p->idle_next)
        p->idle_next->idle_prev = p->idle_prev;
    else
        ep->idle_tail = p->idle_prev;
    p->idle_prev = p->idle_next = NULL;
    p->idle = false;
    ep->n_idle--;
}

static void idle_append(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p)
{
    p->idle_prev = ep->idle_tail;
    p->idle_next = NULL;
    if (ep->idle_tail)
        ep->idle_tail->idle_next = p;
    else
        ep->idle_head = p;
    ep->idle_tail = p;
    p->idle = true;
    ep->n_idle++;
}

/* A peer is idle (forgettable) when nothing references it and no request of ours is out. */
static void peer_settle(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p)
{
    bool idle = p->refs == 0 && p->requests == NULL;
    if (idle && !p->idle)
        idle_append(ep, p);
    else if (!idle && p->idle)
        idle_unlink(ep, p);
}

static void peer_touch(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p, int64_t now)
{
    p->last_ms = now;
    if (p->idle) { /* to the tail: the idle list stays ordered by last activity */
        idle_unlink(ep, p);
        idle_append(ep, p);
    }
}

static void clear_reply(lwm2m_udp_peer *p)
{
    if (p->reply != NULL && p->reply != p->reply_inline)
        free(p->reply);
    p->reply = NULL;
    p->reply_len = 0;
    p->has_reply = false;
}

static void free_request(udp_request *q)
{
    free(q->body);
    free(q->collected);
    free(q->dgram);
    free(q);
}

static void peer_free(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p)
{
    lwm2m_udp_peer **pp = &ep->buckets[p->hash & (ep->n_buckets - 1)];
    while (*pp != p)
        pp = &(*pp)->hash_next;
    *pp = p->hash_next;
    idle_unlink(ep, p);
    while (p->requests != NULL) {
        udp_request *q = p->requests;
        p->requests = q->next;
        heap_remove(ep, q);
        free_request(q);
    }
    clear_reply(p);
    ep->n_peers--;
    free(p);
}

static int grow_buckets(lwm2m_udp_endpoint *ep)
{
    size_t n = ep->n_buckets * 2;
    lwm2m_udp_peer **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < ep->n_buckets; i++)
        for (lwm2m_udp_peer *p = ep->buckets[i], *next; p != NULL; p = next) {
            next = p->hash_next;
            p->hash_next = b[p->hash & (n - 1)];
            b[p->hash & (n - 1)] = p;
        }
    free(ep->buckets);
    ep->buckets = b;
    ep->n_buckets = n;
    return 0;
}

static lwm2m_udp_peer *peer_find(lwm2m_udp_endpoint *ep, const udp_addr *a, uint32_t hash)
{
    for (lwm2m_udp_peer *p = ep->buckets[hash & (ep->n_buckets - 1)]; p != NULL; p = p->hash_next)
        if (p->hash == hash && same_addr(&p->addr, a))
            return p;
    return NULL;
}

/* The peer at `a`, created (idle, unreferenced) when new; NULL when out of memory. */
static lwm2m_udp_peer *peer_get(lwm2m_udp_endpoint *ep, const udp_addr *a, int64_t now)
{
    uint32_t hash = hash_addr(a);
    lwm2m_udp_peer *p = peer_find(ep, a, hash);
    if (p != NULL)
        return p;
    if (ep->n_peers >= ep->n_buckets && grow_buckets(ep) != 0 && ep->n_peers >= 4 * ep->n_buckets)
        return NULL; /* a longer chain is fine; a table this overloaded is not */
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->addr = *a;
    p->hash = hash;
    p->last_ms = now;
    p->next_mid = (uint16_t)next_random(ep);
    p->hash_next = ep->buckets[hash & (ep->n_buckets - 1)];
    ep->buckets[hash & (ep->n_buckets - 1)] = p;
    ep->n_peers++;
    ep->stats.peers++;
    idle_append(ep, p);
    return p;
}

/* ---- sending ---------------------------------------------------------------------------- */

void lwm2m_udp_flush(lwm2m_udp_endpoint *ep)
{
    size_t done = 0;
    while (done < ep->out_len) {
        int n = sendmmsg(ep->fd, ep->out_msgs + done, (unsigned)(ep->out_len - done), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* EAGAIN (the socket's buffer is full) or an error for one destination: that
             * datagram is lost, as on the network; CON retransmission covers ours. */
            done++;
            continue;
        }
        ep->stats.sent += (uint64_t)n;
        done += (size_t)n;
    }
    ep->out_len = 0;
}

static void queue_datagram(lwm2m_udp_endpoint *ep, const udp_addr *to, const uint8_t *data,
                           size_t len)
{
    if (len > DGRAM_MAX)
        return;
    if (ep->out_len == BATCH)
        lwm2m_udp_flush(ep);
    size_t i = ep->out_len++;
    memcpy(ep->out_buf[i], data, len);
    ep->out_addr[i] = *to;
    ep->out_iov[i].iov_base = ep->out_buf[i];
    ep->out_iov[i].iov_len = len;
    memset(&ep->out_msgs[i], 0, sizeof ep->out_msgs[i]);
    ep->out_msgs[i].msg_hdr.msg_name = &ep->out_addr[i];
    ep->out_msgs[i].msg_hdr.msg_namelen = lwm2m_net_addr_len(to);
    ep->out_msgs[i].msg_hdr.msg_iov = &ep->out_iov[i];
    ep->out_msgs[i].msg_hdr.msg_iovlen = 1;
}

static void send_empty(lwm2m_udp_endpoint *ep, const udp_addr *to, uint8_t type, uint16_t mid)
{
    uint8_t b[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};
    queue_datagram(ep, to, b, sizeof b);
}

/* (Re)builds the request's datagram for its current block, with a fresh message ID. */
static int build_request(udp_request *q)
{
    uint8_t buf[DGRAM_MAX];
    lwm2m_coap_writer w;
    q->mid = q->peer->next_mid++;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, q->method, q->mid, q->token,
                           sizeof q->token);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, q->path);
    if (q->format != LWM2M_FORMAT_NONE)
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, q->format);
    if (q->accept != LWM2M_FORMAT_NONE)
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_ACCEPT, q->accept);
    if (q->block2 > 0) {
        lwm2m_coap_block b = {q->block2, false, BLOCK_SZX};
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK2, lwm2m_coap_block_value(&b));
    }
    const uint8_t *slice = q->body;
    size_t slice_len = q->body_len;
    if (q->body_len > BLOCK_SIZE) {
        size_t off = (size_t)q->block1 * BLOCK_SIZE;
        slice = q->body + off;
        slice_len = q->body_len - off < BLOCK_SIZE ? q->body_len - off : BLOCK_SIZE;
        lwm2m_coap_block b = {q->block1, off + slice_len < q->body_len, BLOCK_SZX};
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK1, lwm2m_coap_block_value(&b));
        if (q->block1 == 0)
            lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_SIZE1, (uint32_t)q->body_len);
    }
    lwm2m_coap_put_payload(&w, slice, slice_len);
    int len = lwm2m_coap_finish(&w);
    if (len < 0)
        return -1;
    if (q->dgram == NULL || q->dgram_len != (size_t)len) { /* exact: ~1,000 sessions in flight */
        uint8_t *d = realloc(q->dgram, (size_t)len);
        if (d == NULL)
            return -1;
        q->dgram = d;
    }
    memcpy(q->dgram, buf, (size_t)len);
    q->dgram_len = (size_t)len;
    return 0;
}

/* Sends the request's datagram and arms its first retransmission. */
static void transmit(lwm2m_udp_endpoint *ep, udp_request *q, int64_t now)
{
    q->retransmits = 0;
    q->acked = false;
    /* ACK_TIMEOUT * [1, ACK_RANDOM_FACTOR) */
    q->timeout_ms = ACK_TIMEOUT_MS + (uint32_t)(next_random(ep) % (ACK_TIMEOUT_MS / 2));
    heap_reschedule(ep, q, now + q->timeout_ms);
    queue_datagram(ep, &q->peer->addr, q->dgram, q->dgram_len);
}

uint32_t lwm2m_udp_request(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer, unsigned method,
                           const char *path, lwm2m_format format, lwm2m_format accept,
                           const uint8_t *payload, size_t len)
{
    size_t plen = strlen(path);
    if (plen >= PATH_MAX_LEN)
        return 0;
    udp_request *q = calloc(1, sizeof *q);
    if (q == NULL)
        return 0;
    if (len > 0) {
        if ((q->body = malloc(len)) == NULL) {
            free(q);
            return 0;
        }
        memcpy(q->body, payload, len);
        q->body_len = len;
    }
    if (++ep->next_id == 0)
        ep->next_id = 1;
    q->id = ep->next_id;
    q->peer = peer;
    q->method = (uint8_t)method;
    q->format = format;
    q->accept = accept;
    memcpy(q->path, path, plen + 1);
    /* Tokens: a per-endpoint sequence, scrambled so consecutive ones differ in every byte. */
    uint32_t t = ++ep->token_seq * 2654435761u;
    memcpy(q->token, &t, sizeof q->token);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    q->deadline = now;
    if (build_request(q) != 0 || heap_push(ep, q) != 0) {
        free_request(q);
        return 0;
    }
    q->next = peer->requests;
    peer->requests = q;
    peer_settle(ep, peer);
    transmit(ep, q, now);
    return q->id;
}

/* Unlinks `q` from its peer and the heap (the caller frees it). */
static void detach(lwm2m_udp_endpoint *ep, udp_request *q)
{
    udp_request **pp = &q->peer->requests;
    while (*pp != q)
        pp = &(*pp)->next;
    *pp = q->next;
    heap_remove(ep, q);
    peer_settle(ep, q->peer);
}

void lwm2m_udp_cancel(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer, uint32_t id)
{
    for (udp_request *q = peer->requests; q != NULL; q = q->next)
        if (q->id == id) {
            detach(ep, q);
            free_request(q);
            return;
        }
}

static void fail(lwm2m_udp_endpoint *ep, udp_request *q)
{
    lwm2m_udp_peer *p = q->peer;
    uint32_t id = q->id;
    detach(ep, q);
    free_request(q);
    ep->h.on_failure(ep->h.ctx, p, id);
}

/* ---- receiving -------------------------------------------------------------------------- */

/* A request from a client: the cached reply for a retransmission, else on_request's. */
static void handle_request(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *p, const lwm2m_coap_msg *m)
{
    if (p->has_reply && p->reply_mid == m->mid) {
        ep->stats.duplicates++;
        queue_datagram(ep, &p->addr, p->reply, p->reply_len);
        return;
    }
    lwm2m_udp_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.format = LWM2M_FORMAT_NONE;
    ep->h.on_request(ep->h.ctx, p, m, &reply);

    uint8_t buf[DGRAM_MAX];
    lwm2m_coap_writer w;
    bool con = m->type == LWM2M_COAP_CON;
    uint16_t mid = con ? m->mid : p->next_mid++;
    if (reply.code == 0) {
        if (!con)
            return;
        lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_ACK, 0, mid, NULL, 0);
    } else {
        lwm2m_coap_block want;
        int has_block2 = lwm2m_coap_get_block(m, LWM2M_COAP_OPT_BLOCK2, &want);
        uint8_t szx = has_block2 == 1 && want.szx < BLOCK_SZX ? want.szx : BLOCK_SZX;
        size_t size = 16u << szx;
        size_t off = has_block2 == 1 ? (size_t)want.num * size : 0;
        bool sliced = has_block2 == 1 || reply.len > BLOCK_SIZE;
        unsigned code = reply.code;
        if (sliced && reply.len > 0 && off >= reply.len) {
            code = CODE_BAD_OPTION; /* a block past the end */
            sliced = false;
            reply.len = 0;
            reply.format = LWM2M_FORMAT_NONE;
        }
        lwm2m_coap_writer_init(&w, buf, sizeof buf, con ? LWM2M_COAP_ACK : LWM2M_COAP_NON,
                               (uint8_t)code, mid, m->token, m->token_len);
        if (sliced) {
            /* Each block is cut from a body made anew for its request: the ETag (RFC 7252
             * §5.10.6, RFC 7959 §2.4) lets the client see that the body changed between blocks
             * (a configuration edited meanwhile) instead of joining two versions. */
            uint32_t h = 2166136261u;
            for (size_t i = 0; i < reply.len; i++)
                h = (h ^ reply.body[i]) * 16777619u;
            uint8_t etag[4] = {(uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
                               (uint8_t)h};
            lwm2m_coap_put_option(&w, LWM2M_COAP_OPT_ETAG, etag, sizeof etag);
        }
        if (reply.format != LWM2M_FORMAT_NONE)
            lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, reply.format);
        const uint8_t *slice = reply.body;
        size_t slice_len = reply.len;
        if (sliced) {
            slice = reply.body + off;
            slice_len = reply.len - off < size ? reply.len - off : size;
            lwm2m_coap_block b = {(uint32_t)(off / size), off + slice_len < reply.len, szx};
            lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK2, lwm2m_coap_block_value(&b));
            if (off == 0)
                lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_SIZE2, (uint32_t)reply.len);
        }
        lwm2m_coap_put_payload(&w, slice, slice_len);
    }
    int len = lwm2m_coap_finish(&w);
    if (len < 0)
        return;
    queue_datagram(ep, &p->addr, buf, (size_t)len);
    if (!con)
        return;
    clear_reply(p);
    p->reply = (size_t)len <= REPLY_INLINE ? p->reply_inline : malloc((size_t)len);
    if (p->reply == NULL)
        return; /* a retransmission then gets a fresh answer: on_request is idempotent enough */
    memcpy(p->reply, buf, (size_t)len);
    p->reply_len = (size_t)len;
    p->reply_mid = m->mid;
    p->has_reply = true;
}

static udp_request *match_mid(lwm2m_udp_peer *p, uint16_t mid)
{
    for (udp_request *q = p->requests; q != NULL; q = q->next)
        if (q->mid == mid)
            return q;
    return NULL;
}

static udp_request *match_token(lwm2m_udp_peer *p, const lwm2m_coap_msg *m)
{
    if (m->token_len != sizeof p->requests->token)
        return NULL;
    for (udp_request *q = p->requests; q != NULL; q = q->next)
        if (memcmp(q->token, m->token, sizeof q->token) == 0)
            return q;
    return NULL;
}

static int append(udp_request *q, const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    uint8_t *grown = realloc(q->collected, q->collected_len + len);
    if (grown == NULL)
        return -1;
    memcpy(grown + q->collected_len, data, len);
    q->collected = grown;
    q->collected_len += len;
    return 0;
}

/* The answer to our request `q`: the next block to send or fetch, or the whole response. */
static void handle_response(lwm2m_udp_endpoint *ep, udp_request *q, const lwm2m_coap_msg *m,
                            int64_t now)
{
    lwm2m_coap_block b1, b2;
    int has_b1 = lwm2m_coap_get_block(m, LWM2M_COAP_OPT_BLOCK1, &b1);
    int has_b2 = lwm2m_coap_get_block(m, LWM2M_COAP_OPT_BLOCK2, &b2);
    if (m->code == CODE_CONTINUE && q->body_len > BLOCK_SIZE &&
        (size_t)(q->block1 + 1) * BLOCK_SIZE < q->body_len) {
        if (has_b1 == 1 && b1.num != q->block1)
            return; /* not an answer to the block in flight */
        q->block1++;
        if (build_request(q) != 0) {
            fail(ep, q);
            return;
        }
        transmit(ep, q, now);
        return;
    }
    if ((m->code >> 5) == 2 && has_b2 == 1 && b2.num == q->block2) {
        if (append(q, m->payload, m->payload_len) != 0) {
            fail(ep, q);
            return;
        }
        if (b2.more) {
            if (b2.szx != BLOCK_SZX) {
                fail(ep, q); /* a client choosing smaller blocks: not needed by a BS, refused */
                return;
            }
            q->block2++;
            q->body_len = 0; /* the follow-up GETs carry no payload */
            if (build_request(q) != 0) {
                fail(ep, q);
                return;
            }
            transmit(ep, q, now);
            return;
        }
    }
    lwm2m_udp_peer *p = q->peer;
    uint32_t id = q->id;
    uint32_t cf = 0;
    lwm2m_format format = lwm2m_coap_uint(m, LWM2M_COAP_OPT_CONTENT_FORMAT, &cf) == 1
                              ? (lwm2m_format)cf
                              : LWM2M_FORMAT_NONE;
    detach(ep, q);
    if (q->collected != NULL)
        ep->h.on_response(ep->h.ctx, p, id, m->code, format, q->collected, q->collected_len);
    else
        ep->h.on_response(ep->h.ctx, p, id, m->code, format, m->payload, m->payload_len);
    free_request(q);
}

static void handle_datagram(lwm2m_udp_endpoint *ep, const udp_addr *from, const uint8_t *data,
                            size_t len, int64_t now)
{
    lwm2m_coap_msg m;
    ep->stats.received++;
    if (lwm2m_coap_parse(data, len, &m) != 0) {
        ep->stats.malformed++;
        if (len >= 4 && (data[0] >> 6) == 1 && m.type == LWM2M_COAP_CON) {
            send_empty(ep, from, LWM2M_COAP_RST, m.mid);
        }
        return;
    }
    bool request = m.code != 0 && (m.code >> 5) == 0;
    lwm2m_udp_peer *p;
    if (request) {
        p = peer_get(ep, from, now);
        if (p == NULL)
            return; /* out of memory: as if lost; the client retransmits */
        peer_touch(ep, p, now);
        handle_request(ep, p, &m);
        peer_settle(ep, p);
        return;
    }
    p = peer_find(ep, from, hash_addr(from));
    if (p != NULL)
        peer_touch(ep, p, now);
    if (m.code == 0) { /* Empty: ACK or RST of our CON, or a CoAP ping */
        udp_request *q = p ? match_mid(p, m.mid) : NULL;
        if (m.type == LWM2M_COAP_CON) {
            send_empty(ep, from, LWM2M_COAP_RST, m.mid);
        } else if (q != NULL && m.type == LWM2M_COAP_RST) {
            fail(ep, q);
        } else if (q != NULL && m.type == LWM2M_COAP_ACK && !q->acked) {
            q->acked = true;
            heap_reschedule(ep, q, now + SEPARATE_WAIT_MS);
        } else {
            ep->stats.unmatched++;
        }
        return;
    }
    /* A response: piggybacked (ACK, same message ID and token) or separate (CON/NON). */
    udp_request *q = NULL;
    if (p != NULL) {
        q = m.type == LWM2M_COAP_ACK ? match_mid(p, m.mid) : match_token(p, &m);
        if (q != NULL &&
            (m.token_len != sizeof q->token || memcmp(m.token, q->token, sizeof q->token) != 0))
            q = NULL;
    }
    if (m.type == LWM2M_COAP_CON) {
        /* A separate response is acknowledged; a retransmitted one we already took too (we
         * keep no record of it, but the peer is known); only a stranger's is reset. */
        send_empty(ep, from, p != NULL ? LWM2M_COAP_ACK : LWM2M_COAP_RST, m.mid);
    }
    if (q == NULL) {
        ep->stats.unmatched++; /* late (already answered or given up) or not ours */
        return;
    }
    handle_response(ep, q, &m, now);
}

size_t lwm2m_udp_read(lwm2m_udp_endpoint *ep, int64_t now)
{
    size_t total = 0;
    for (unsigned batch = 0; batch < READ_BATCHES; batch++) {
        for (size_t i = 0; i < BATCH; i++) {
            ep->in_iov[i].iov_base = ep->in_buf[i];
            ep->in_iov[i].iov_len = RECV_MAX;
            memset(&ep->in_msgs[i].msg_hdr, 0, sizeof ep->in_msgs[i].msg_hdr);
            ep->in_msgs[i].msg_hdr.msg_name = &ep->in_addr[i];
            ep->in_msgs[i].msg_hdr.msg_namelen = sizeof ep->in_addr[i];
            ep->in_msgs[i].msg_hdr.msg_iov = &ep->in_iov[i];
            ep->in_msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(ep->fd, ep->in_msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        total += (size_t)n;
        for (int i = 0; i < n; i++) {
            const struct msghdr *h = &ep->in_msgs[i].msg_hdr;
            if ((h->msg_flags & MSG_TRUNC) != 0) {
                ep->stats.received++;
                ep->stats.malformed++;
                continue;
            }
            handle_datagram(ep, &ep->in_addr[i], ep->in_buf[i], ep->in_msgs[i].msg_len, now);
        }
        if ((unsigned)n < BATCH)
            break;
    }
    lwm2m_udp_flush(ep);
    return total;
}

void lwm2m_udp_timers(lwm2m_udp_endpoint *ep, int64_t now)
{
    while (ep->heap_len > 0 && ep->heap[0]->deadline <= now) {
        udp_request *q = ep->heap[0];
        if (q->acked || q->retransmits >= MAX_RETRANSMIT) {
            fail(ep, q);
            continue;
        }
        q->retransmits++;
        q->timeout_ms *= 2;
        heap_reschedule(ep, q, now + q->timeout_ms);
        ep->stats.retransmitted++;
        queue_datagram(ep, &q->peer->addr, q->dgram, q->dgram_len);
    }
    while (ep->idle_head != NULL &&
           (ep->n_idle > ep->max_idle || now - ep->idle_head->last_ms >= ep->idle_ms))
        peer_free(ep, ep->idle_head);
    lwm2m_udp_flush(ep);
}

int64_t lwm2m_udp_next_timer(const lwm2m_udp_endpoint *ep, int64_t now)
{
    int64_t next = -1;
    if (ep->heap_len > 0)
        next = ep->heap[0]->deadline - now;
    if (ep->idle_head != NULL) {
        int64_t idle = ep->idle_head->last_ms + ep->idle_ms - now;
        if (next < 0 || idle < next)
            next = idle;
    }
    return next < 0 && (ep->heap_len > 0 || ep->idle_head != NULL) ? 0 : next;
}

/* ---- setup ------------------------------------------------------------------------------ */

lwm2m_udp_endpoint *lwm2m_udp_endpoint_new(const lwm2m_udp_options *opts,
                                           const lwm2m_udp_handlers *h, char *err, size_t errlen)
{
    udp_addr addr;
    if (lwm2m_net_parse_addr(opts->listen, &addr) != 0) {
        snprintf(err, errlen, "bad address '%s' (HOST:PORT)", opts->listen);
        return NULL;
    }
    lwm2m_udp_endpoint *ep = calloc(1, sizeof *ep);
    if (ep == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ep->fd = -1;
    ep->h = *h;
    ep->idle_ms = opts->idle_ms > 0 ? opts->idle_ms : 30000;
    ep->max_idle = opts->max_idle_peers > 0 ? opts->max_idle_peers : 100000;
    ep->n_buckets = 1024;
    ep->buckets = calloc(ep->n_buckets, sizeof *ep->buckets);
    ep->in_buf = malloc(BATCH * sizeof *ep->in_buf);
    ep->out_buf = malloc(BATCH * sizeof *ep->out_buf);
    if (ep->buckets == NULL || ep->in_buf == NULL || ep->out_buf == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (getrandom(&ep->rng, sizeof ep->rng, GRND_NONBLOCK) != (ssize_t)sizeof ep->rng)
        ep->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    ep->fd = socket(addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ep->fd < 0) {
        snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
        goto fail;
    }
    int one = 1;
    int rcv = opts->rcvbuf > 0 ? opts->rcvbuf : 4 << 20,
        snd = opts->sndbuf > 0 ? opts->sndbuf : 4 << 20;
    /* Bigger buffers absorb bursts of many clients at once (the kernel caps them at
     * net.core.rmem_max / wmem_max; the default 208 KiB dropped datagrams at 1,000 clients). */
    setsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    setsockopt(ep->fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    /* No SO_REUSEADDR: on UDP it would let a second server take this one's port silently. */
    if (opts->reuseport && setsockopt(ep->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        snprintf(err, errlen, "SO_REUSEPORT: %s", strerror(errno));
        goto fail;
    }
    socklen_t alen = lwm2m_net_addr_len(&addr);
    if (bind(ep->fd, &addr.sa, alen) != 0) {
        snprintf(err, errlen, "cannot listen on %s/udp: %s", opts->listen, strerror(errno));
        goto fail;
    }
    if (getsockname(ep->fd, &addr.sa, &alen) != 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        goto fail;
    }
    ep->port = ntohs(addr.sa.sa_family == AF_INET6 ? addr.v6.sin6_port : addr.v4.sin_port);
    return ep;
fail:
    lwm2m_udp_endpoint_free(ep);
    return NULL;
}

void lwm2m_udp_endpoint_free(lwm2m_udp_endpoint *ep)
{
    if (ep == NULL)
        return;
    if (ep->buckets != NULL)
        for (size_t i = 0; i < ep->n_buckets; i++)
            while (ep->buckets[i] != NULL)
                peer_free(ep, ep->buckets[i]);
    free(ep->buckets);
    free(ep->heap);
    free(ep->in_buf);
    free(ep->out_buf);
    if (ep->fd >= 0)
        close(ep->fd);
    free(ep);
}

int lwm2m_udp_fd(const lwm2m_udp_endpoint *ep)
{
    return ep->fd;
}

uint16_t lwm2m_udp_port(const lwm2m_udp_endpoint *ep)
{
    return ep->port;
}

lwm2m_udp_peer *lwm2m_udp_peer_at(lwm2m_udp_endpoint *ep, const char *host_port, char *err,
                                  size_t errlen)
{
    udp_addr a;
    if (lwm2m_net_parse_addr(host_port, &a) != 0) {
        snprintf(err, errlen, "bad client address '%s' (HOST:PORT)", host_port);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lwm2m_udp_peer *p = peer_get(ep, &a, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->refs++;
    peer_settle(ep, p);
    return p;
}

lwm2m_udp_peer *lwm2m_udp_peer_ref(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer)
{
    peer->refs++;
    peer_settle(ep, peer);
    return peer;
}

void lwm2m_udp_peer_release(lwm2m_udp_endpoint *ep, lwm2m_udp_peer *peer)
{
    if (peer->refs > 0)
        peer->refs--;
    peer_settle(ep, peer);
}

void lwm2m_udp_peer_set_data(lwm2m_udp_peer *peer, void *data)
{
    peer->data = data;
}

void *lwm2m_udp_peer_data(const lwm2m_udp_peer *peer)
{
    return peer->data;
}

void lwm2m_udp_peer_name(const lwm2m_udp_peer *peer, char *buf, size_t cap)
{
    lwm2m_net_format_addr(&peer->addr.sa, buf, cap);
}

void lwm2m_udp_get_stats(const lwm2m_udp_endpoint *ep, lwm2m_udp_stats *out)
{
    *out = ep->stats;
}
