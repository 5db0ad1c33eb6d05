/* The raw UDP transport (`--io udp`, NoSec coap:// only). Each link of a sim is a nonblocking
 * UDP socket bound to the sim's own source address (session.c) and connected to its server,
 * all in one epoll set (descriptors may exceed FD_SETSIZE). Datagrams are framed with
 * lwm2m/coap_wire.h; what a client needs of RFC 7252 and RFC 7959 is done here:
 *
 * - our CON request is retransmitted after ACK_TIMEOUT x random [1, 1.5), doubling, at most
 *   MAX_RETRANSMIT times (then the sim fails: no-answer), the deadline in the run's timer heap;
 *   its answer is matched by message ID and token (piggybacked), or by token after an Empty
 *   ACK (separate response; a CON one is acknowledged, again when it is retransmitted);
 * - the server's CON requests are answered piggybacked; the last answer's bytes are kept, so a
 *   retransmission (same message ID) gets the same bytes without the client seeing it again;
 *   Block1 bodies are reassembled (2.31 Continue per block) and handed over whole;
 * - a message format error in a CON, an Empty CON (CoAP ping) and a CON we cannot place get a
 *   RST; a RST to our request fails the sim (unreachable), as an ICMP error does;
 * - a bootstrapped client's socket lingers and answers a repeated Finish with its 2.04 bytes.
 *
 * Not done (the sims never need it): Block2, NON requests (ignored), Observe, NSTART > 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/coap_wire.h"
#include "run.h"

#define ACK_TIMEOUT_MS 2000
#define ACK_RANDOM_MS  1000 /* ACK_RANDOM_FACTOR 1.5: up to half of ACK_TIMEOUT more */
#define MAX_RETRANSMIT 4
#define TOKEN_LEN      4
#define EVENTS         512
#define DATAGRAM_MAX   65536 /* any UDP payload fits: nothing is truncated */
#define BODY_MAX       65536 /* a Block1 body at most */
#define PATH_CAP       256   /* as the libcoap decoder's (net/coap_message.h) */
#define QUERY_CAP      512

#define CODE_CONTINUE         LWM2M_COAP_CODE(2, 31)
#define CODE_BAD_OPTION       LWM2M_COAP_CODE(4, 2)
#define CODE_INCOMPLETE       LWM2M_COAP_CODE(4, 8)
#define CODE_ENTITY_TOO_LARGE LWM2M_COAP_CODE(4, 13)

/* What an epoll event is about: the kind in the high half of data.u64, an index in the low. */
enum { EV_LINK_BS = 1, EV_LINK_REG, EV_LINGER, EV_SIGNAL };

/* Bytes a slot keeps from sim to sim (grown when needed, freed at the end of the run). */
typedef struct bytes {
    uint8_t *data;
    size_t len, cap;
} bytes;

/* Per sim slot. */
typedef struct udp_sim {
    int fd[BENCH_LINKS]; /* -1 when closed */
    uint16_t next_mid[BENCH_LINKS];
    /* Our outstanding request (bench_sim: awaiting, out_link, token, retx_ms). */
    uint16_t out_mid;
    bool out_acked; /* an Empty ACK came: the response follows on its own */
    unsigned retransmits;
    int64_t retx_timeout_ms;
    bytes request; /* its datagram, for retransmissions */
    /* The Bootstrap Server's last request and the bytes of our answer. */
    bool answered;
    uint16_t answer_mid;
    bytes answer;
    /* The last separate response we acknowledged. */
    bool sep_acked;
    bench_link sep_link;
    uint16_t sep_mid;
    /* A Block1 body being reassembled, and the method and Uri-Path its blocks must share. */
    bool body_open;
    bytes body;
    char body_key[PATH_CAP + 4];
} udp_sim;

typedef struct udp_state {
    int epfd, signal_fd;
    uint32_t n;
    udp_sim *slots;
    struct epoll_event events[EVENTS];
    uint8_t rx[DATAGRAM_MAX];
    uint8_t tx[DATAGRAM_MAX + 64]; /* a datagram being built */
} udp_state;

static udp_state *state_of(const bench_run *r)
{
    return r->io_state;
}

static uint32_t index_of(const bench_sim *s)
{
    return (uint32_t)(s - s->run->sims);
}

static udp_sim *slot_of(const bench_sim *s)
{
    return &state_of(s->run)->slots[index_of(s)];
}

static uint64_t event_data(unsigned kind, uint32_t index)
{
    return (uint64_t)kind << 32 | index;
}

/* Room for `len` bytes in `b` (its contents kept): 0, or -1 when out of memory. */
static int reserve_bytes(bytes *b, size_t len)
{
    if (len <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < len)
        cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (grown == NULL)
        return -1;
    b->data = grown;
    b->cap = cap;
    return 0;
}

/* `len` bytes into `b`: 0, or -1 when out of memory. */
static int keep_bytes(bytes *b, const uint8_t *src, size_t len)
{
    if (reserve_bytes(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data, src, len);
    b->len = len;
    return 0;
}

static void free_bytes(bytes *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- sending ----------------------------------------------------------------------------- */

/* 0 when sent, or dropped as a lost datagram would be (full buffer: retransmission recovers);
 * -1 with errno when the link is broken (an ICMP error reported, say). */
static int send_datagram(int fd, const uint8_t *data, size_t len)
{
    if (send(fd, data, len, 0) >= 0)
        return 0;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR ? 0 : -1;
}

static void fail_errno(bench_sim *s, const char *what, int err)
{
    char why[160];
    if (err == ECONNREFUSED)
        snprintf(why, sizeof why, "not deliverable (ICMP)");
    else
        snprintf(why, sizeof why, "%s: %s", what, strerror(err));
    bench_sim_fail(s, BENCH_CAUSE_UNREACHABLE, 0, why);
}

/* A 4-byte Empty ACK or RST. */
static void send_empty(int fd, uint8_t type, uint16_t mid)
{
    uint8_t buf[4];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, type, 0, mid, NULL, 0);
    send_datagram(fd, buf, sizeof buf);
}

/* A datagram that did not parse: a CON with a readable header is answered RST (RFC 7252 4.2),
 * anything else ignored (an unknown version silently, 3). */
static void reject_malformed(int fd, const uint8_t *data, size_t len, const lwm2m_coap_msg *m)
{
    if (len >= 4 && data[0] >> 6 == 1 && m->type == LWM2M_COAP_CON)
        send_empty(fd, LWM2M_COAP_RST, m->mid);
}

/* Our piggybacked answer to request `m` into u->tx: its length (never fails: an answer that
 * does not fit becomes 5.00 without payload). */
static size_t build_answer(udp_state *u, const lwm2m_coap_msg *m, const lwm2m_response *resp,
                           const lwm2m_coap_block *block1)
{
    size_t len = resp->payload.len <= resp->payload.cap ? resp->payload.len : 0;
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, u->tx, sizeof u->tx, LWM2M_COAP_ACK, (uint8_t)resp->code, m->mid,
                           m->token, m->token_len);
    if (resp->format != LWM2M_FORMAT_NONE && len > 0)
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, (uint32_t)resp->format);
    if (block1 != NULL)
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK1, lwm2m_coap_block_value(block1));
    lwm2m_coap_put_payload(&w, resp->payload.data, len);
    int n = lwm2m_coap_finish(&w);
    if (n >= 0)
        return (size_t)n;
    lwm2m_coap_writer_init(&w, u->tx, sizeof u->tx, LWM2M_COAP_ACK,
                           (uint8_t)LWM2M_CODE_INTERNAL_ERROR, m->mid, m->token, m->token_len);
    return (size_t)lwm2m_coap_finish(&w);
}

/* The answer to the server's request `m` on the sim's Bootstrap-Server link; kept for a
 * retransmission unless `keep` is false. */
static void answer(bench_sim *s, bench_link link, const lwm2m_coap_msg *m,
                   const lwm2m_response *resp, const lwm2m_coap_block *block1, bool keep)
{
    udp_state *u = state_of(s->run);
    udp_sim *us = slot_of(s);
    size_t len = build_answer(u, m, resp, block1);
    if (keep) {
        us->answered = keep_bytes(&us->answer, u->tx, len) == 0;
        us->answer_mid = m->mid;
    }
    if (send_datagram(us->fd[link], u->tx, len) != 0)
        fail_errno(s, "cannot send", errno);
}

static void answer_text(bench_sim *s, bench_link link, const lwm2m_coap_msg *m, unsigned code,
                        const char *diag, bool keep)
{
    lwm2m_response resp;
    bench_reply_text(s->run, &resp, code, diag);
    answer(s, link, m, &resp, NULL, keep);
}

/* ---- the server's requests --------------------------------------------------------------- */

/* A critical option (odd number, RFC 7252 5.4.1) this client does not know: a request that
 * carries one is answered 4.02. */
static bool unknown_critical(const lwm2m_coap_msg *m)
{
    for (size_t i = 0; i < m->n_options; i++) {
        switch (m->options[i].number) {
        case 3: /* Uri-Host */
        case 7: /* Uri-Port */
        case LWM2M_COAP_OPT_URI_PATH:
        case LWM2M_COAP_OPT_URI_QUERY:
        case LWM2M_COAP_OPT_ACCEPT:
        case LWM2M_COAP_OPT_BLOCK2:
        case LWM2M_COAP_OPT_BLOCK1:
            break;
        default:
            if (m->options[i].number & 1)
                return true;
        }
    }
    return false;
}

/* An unsigned option as a content format: 0 or -1 when malformed. */
static int format_option(const lwm2m_coap_msg *m, uint16_t number, lwm2m_format *out)
{
    uint32_t v = 0;
    int present = lwm2m_coap_uint(m, number, &v);
    if (present < 0 || v > 0xfffe)
        return -1;
    *out = present ? (lwm2m_format)v : LWM2M_FORMAT_NONE;
    return 0;
}

typedef struct udp_scratch {
    char path[PATH_CAP];
    char query[QUERY_CAP];
} udp_scratch;

/* The request as the client core takes it (the body may be a reassembled one): 0, or -1 when
 * it cannot be decoded. */
static int decode(const lwm2m_coap_msg *m, const uint8_t *body, size_t body_len, udp_scratch *sc,
                  lwm2m_request *out)
{
    memset(out, 0, sizeof *out);
    out->method = m->code;
    int n = lwm2m_coap_join(m, LWM2M_COAP_OPT_URI_PATH, sc->path, sizeof sc->path);
    if (n < 0)
        return -1;
    out->uri_path = sc->path;
    out->uri_path_len = (size_t)n;
    if ((n = lwm2m_coap_join(m, LWM2M_COAP_OPT_URI_QUERY, sc->query, sizeof sc->query)) < 0)
        return -1;
    if (n > 0) {
        out->query = sc->query;
        out->query_len = (size_t)n;
    }
    if (format_option(m, LWM2M_COAP_OPT_CONTENT_FORMAT, &out->format) != 0 ||
        format_option(m, LWM2M_COAP_OPT_ACCEPT, &out->accept) != 0)
        return -1;
    uint32_t observe = 0;
    if (out->method == LWM2M_METHOD_GET && lwm2m_coap_uint(m, LWM2M_COAP_OPT_OBSERVE, &observe) > 0)
        out->observe = observe == 0   ? LWM2M_OBSERVE_REGISTER
                       : observe == 1 ? LWM2M_OBSERVE_CANCEL
                                      : LWM2M_OBSERVE_NONE;
    out->payload = body;
    out->payload_len = body_len;
    return 0;
}

/* One block of a Block1 body (RFC 7959 2.5): 0 when it was the last (the body is whole), 1
 * when more follow, or the error code to answer (the body is dropped). */
static unsigned take_block(udp_sim *us, const lwm2m_coap_msg *m, const lwm2m_coap_block *b)
{
    size_t size = (size_t)16 << b->szx;
    char key[sizeof us->body_key];
    key[0] = (char)('0' + m->code);
    if (lwm2m_coap_join(m, LWM2M_COAP_OPT_URI_PATH, key + 1, sizeof key - 1) < 0)
        return LWM2M_CODE_BAD_REQUEST;
    if (b->num == 0) {
        us->body_open = true;
        us->body.len = 0;
        memcpy(us->body_key, key, sizeof key);
    }
    unsigned code = 0;
    if (!us->body_open || strcmp(key, us->body_key) != 0 ||
        (uint64_t)b->num * size != (uint64_t)us->body.len)
        code = CODE_INCOMPLETE; /* a block out of order, or of another body */
    else if (b->more && m->payload_len != size)
        code = LWM2M_CODE_BAD_REQUEST; /* only the last block may be short */
    else if (us->body.len + m->payload_len > BODY_MAX)
        code = CODE_ENTITY_TOO_LARGE;
    if (code != 0) {
        us->body_open = false;
        return code;
    }
    if (reserve_bytes(&us->body, us->body.len + m->payload_len) != 0) {
        us->body_open = false;
        return LWM2M_CODE_INTERNAL_ERROR;
    }
    if (m->payload_len > 0)
        memcpy(us->body.data + us->body.len, m->payload, m->payload_len);
    us->body.len += m->payload_len;
    if (!b->more)
        us->body_open = false;
    return b->more ? 1 : 0;
}

static void on_request(bench_sim *s, bench_link link, const lwm2m_coap_msg *m)
{
    bench_run *r = s->run;
    udp_sim *us = slot_of(s);
    if (m->type != LWM2M_COAP_CON)
        return; /* no Bootstrap Server sends NON requests */
    if (link != BENCH_LINK_BS || r->opts->mode != BENCH_MODE_BOOTSTRAP) {
        answer_text(s, link, m, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running", false);
        return;
    }
    if (us->answered && m->mid == us->answer_mid) {
        /* The server sent it again, our answer was lost: the same bytes, not a second Write
         * or Finish (RFC 7252 4.5). */
        r->stats.duplicates++;
        if (send_datagram(us->fd[link], us->answer.data, us->answer.len) != 0)
            fail_errno(s, "cannot send", errno);
        return;
    }
    if (unknown_critical(m)) {
        answer_text(s, link, m, CODE_BAD_OPTION, "unrecognized critical option", true);
        return;
    }
    lwm2m_coap_block block1;
    int has_block1 = lwm2m_coap_get_block(m, LWM2M_COAP_OPT_BLOCK1, &block1);
    const uint8_t *body = m->payload;
    size_t body_len = m->payload_len;
    if (has_block1 < 0) {
        answer_text(s, link, m, LWM2M_CODE_BAD_REQUEST, "bad Block1 option", true);
        return;
    }
    if (has_block1 > 0) {
        unsigned status = take_block(us, m, &block1);
        if (status == 1) {
            lwm2m_response resp;
            bench_reply_text(r, &resp, CODE_CONTINUE, NULL);
            answer(s, link, m, &resp, &block1, true);
            return;
        }
        if (status != 0) {
            answer_text(s, link, m, status, "Block1 body refused", true);
            return;
        }
        body = us->body.data;
        body_len = us->body.len;
    }
    udp_scratch scratch;
    lwm2m_request req;
    lwm2m_response resp;
    bool decoded = decode(m, body, body_len, &scratch, &req) == 0;
    bench_answer kind = bench_client_request(s, decoded ? &req : NULL, &resp);
    if (kind == BENCH_ANSWER_FINISH)
        s->finish_mid = m->mid;
    answer(s, link, m, &resp, has_block1 > 0 ? &block1 : NULL, kind != BENCH_ANSWER_STRAY);
}

/* ---- answers to our request -------------------------------------------------------------- */

static bool token_matches(const bench_sim *s, const lwm2m_coap_msg *m)
{
    return m->token_len == s->token_len && memcmp(m->token, s->token, s->token_len) == 0;
}

static void stop_retransmitting(bench_sim *s)
{
    s->retx_ms = INT64_MAX;
    bench_sim_schedule(s);
}

static void deliver(bench_sim *s, const lwm2m_coap_msg *m)
{
    s->awaiting = false;
    stop_retransmitting(s);
    bench_reply reply = {m->code, m->payload, m->payload_len, ""};
    char location[sizeof s->location];
    if (s->phase == SIM_REGISTERING && lwm2m_coap_find(m, LWM2M_COAP_OPT_LOCATION_PATH, NULL) &&
        lwm2m_coap_join(m, LWM2M_COAP_OPT_LOCATION_PATH, location, sizeof location) > 0)
        reply.location = location;
    bench_sim_response(s, &reply);
}

static bool is_outstanding(const bench_sim *s, bench_link link, uint16_t mid)
{
    return s->awaiting && link == s->out_link && mid == slot_of(s)->out_mid;
}

static void on_ack(bench_sim *s, bench_link link, const lwm2m_coap_msg *m)
{
    if (!is_outstanding(s, link, m->mid))
        return; /* late, or acknowledges something we no longer wait for */
    if (m->code == 0) {
        slot_of(s)->out_acked = true; /* the response comes separately */
        stop_retransmitting(s);
        return;
    }
    if (m->code >> 5 >= 2 && m->code >> 5 <= 5 && token_matches(s, m))
        deliver(s, m);
}

/* A response in a CON or NON of its own (after an Empty ACK, RFC 7252 5.2.2). */
static void on_separate(bench_sim *s, bench_link link, const lwm2m_coap_msg *m)
{
    udp_sim *us = slot_of(s);
    bool con = m->type == LWM2M_COAP_CON;
    if (s->awaiting && link == s->out_link && token_matches(s, m)) {
        if (con) {
            send_empty(us->fd[link], LWM2M_COAP_ACK, m->mid);
            us->sep_acked = true;
            us->sep_link = link;
            us->sep_mid = m->mid;
        }
        deliver(s, m);
        return;
    }
    if (!con)
        return;
    if (us->sep_acked && us->sep_link == link && us->sep_mid == m->mid)
        send_empty(us->fd[link], LWM2M_COAP_ACK, m->mid); /* our ACK was lost */
    else
        send_empty(us->fd[link], LWM2M_COAP_RST, m->mid); /* nothing waits for it */
}

static void on_datagram(bench_sim *s, bench_link link, const uint8_t *data, size_t len)
{
    int fd = slot_of(s)->fd[link];
    lwm2m_coap_msg m;
    if (lwm2m_coap_parse(data, len, &m) != 0) {
        reject_malformed(fd, data, len, &m);
        return;
    }
    unsigned cls = m.code >> 5;
    if (m.type == LWM2M_COAP_ACK) {
        on_ack(s, link, &m);
    } else if (m.type == LWM2M_COAP_RST) {
        if (is_outstanding(s, link, m.mid))
            bench_sim_fail(s, BENCH_CAUSE_UNREACHABLE, 0, "reset by the peer");
    } else if (m.code == 0 || cls == 1 || cls >= 6) {
        /* An Empty CON (CoAP ping) or a reserved class: RST (RFC 7252 4.2, 4.3). */
        if (m.type == LWM2M_COAP_CON)
            send_empty(fd, LWM2M_COAP_RST, m.mid);
    } else if (cls == 0) {
        on_request(s, link, &m);
    } else {
        on_separate(s, link, &m);
    }
}

/* ---- lingering sockets ------------------------------------------------------------------- */

static void on_linger_datagram(udp_state *u, bench_lingerer *l, const uint8_t *data, size_t len)
{
    lwm2m_coap_msg m;
    if (lwm2m_coap_parse(data, len, &m) != 0) {
        reject_malformed(l->fd, data, len, &m);
        return;
    }
    if (m.type != LWM2M_COAP_CON)
        return; /* nothing of ours is outstanding */
    if (m.code == 0 || m.code >> 5 != 0) {
        send_empty(l->fd, LWM2M_COAP_RST, m.mid);
        return;
    }
    if ((int32_t)m.mid == l->finish_mid) {
        /* Only the Finish answered 2.04 comes again (its 2.04 was lost): the same answer. */
        l->run->stats.finish_repeated++;
        send_datagram(l->fd, l->ack, l->ack_len);
        return;
    }
    lwm2m_response resp;
    bench_reply_text(l->run, &resp, LWM2M_CODE_SERVICE_UNAVAILABLE, "no bootstrap running");
    send_datagram(l->fd, u->tx, build_answer(u, &m, &resp, NULL));
}

/* ---- the transport ----------------------------------------------------------------------- */

static int link_open(bench_sim *s, bench_link link, const char *uri)
{
    bench_run *r = s->run;
    udp_state *u = state_of(r);
    const bench_dest *d = bench_dest_of(r, uri);
    if (d == NULL || d->secure)
        return -1;
    int fd = socket(d->addr.addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail_errno(s, "cannot open a socket", errno);
        return -1;
    }
    coap_address_t local;
    bool spread = bench_spread_sources(r, d);
    if (spread)
        bench_next_source(r, &local);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = event_data(link == BENCH_LINK_BS ? EV_LINK_BS : EV_LINK_REG, index_of(s));
    if ((spread && bind(fd, &local.addr.sa, local.size) != 0) ||
        connect(fd, &d->addr.addr.sa, d->addr.size) != 0 ||
        epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int err = errno;
        close(fd);
        fail_errno(s, "cannot set up a socket", err);
        return -1;
    }
    udp_sim *us = slot_of(s);
    us->fd[link] = fd;
    us->next_mid[link] = (uint16_t)bench_random(r);
    return 0;
}

static int link_send(bench_sim *s, bench_link link, const bench_request *req)
{
    bench_run *r = s->run;
    udp_state *u = state_of(r);
    udp_sim *us = slot_of(s);
    uint32_t token = bench_random(r);
    memcpy(s->token, &token, TOKEN_LEN);
    s->token_len = TOKEN_LEN;
    uint16_t mid = us->next_mid[link]++;
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, u->tx, sizeof u->tx, LWM2M_COAP_CON, (uint8_t)req->method, mid,
                           s->token, s->token_len);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, req->path);
    if (req->format != LWM2M_FORMAT_NONE)
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, (uint32_t)req->format);
    lwm2m_coap_put_query(&w, req->query);
    lwm2m_coap_put_payload(&w, req->payload, req->len);
    int len = lwm2m_coap_finish(&w);
    if (len < 0 || keep_bytes(&us->request, u->tx, (size_t)len) != 0) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "cannot build a request");
        return -1;
    }
    us->out_mid = mid;
    us->out_acked = false;
    us->retransmits = 0;
    us->retx_timeout_ms = ACK_TIMEOUT_MS + bench_random(r) % ACK_RANDOM_MS;
    s->awaiting = true;
    s->retx_ms = bench_now_ms() + us->retx_timeout_ms;
    bench_sim_schedule(s);
    if (send_datagram(us->fd[link], us->request.data, us->request.len) != 0) {
        fail_errno(s, "cannot send", errno);
        return -1;
    }
    return 0;
}

static void retransmit(bench_sim *s, int64_t now_ms)
{
    udp_sim *us = slot_of(s);
    if (!s->awaiting || us->out_acked) {
        s->retx_ms = INT64_MAX;
        return;
    }
    if (us->retransmits == MAX_RETRANSMIT) {
        bench_sim_fail(s, BENCH_CAUSE_NO_ANSWER, 0, "no answer after CoAP retransmissions");
        return;
    }
    us->retransmits++;
    us->retx_timeout_ms *= 2;
    s->retx_ms = now_ms + us->retx_timeout_ms;
    bench_sim_schedule(s);
    s->run->stats.retransmitted++;
    if (send_datagram(us->fd[s->out_link], us->request.data, us->request.len) != 0)
        fail_errno(s, "cannot send", errno);
}

/* Hands the Bootstrap-Server socket of a bootstrapped client to a lingerer: 0, or -1 when it
 * cannot linger (the caller closes it). */
static int linger(bench_sim *s, udp_sim *us)
{
    bench_run *r = s->run;
    int fd = us->fd[BENCH_LINK_BS];
    if (fd < 0 || !us->answered || us->answer_mid != (uint16_t)s->finish_mid ||
        us->answer.len > BENCH_LINGER_ACK_MAX)
        return -1;
    bench_lingerer *l = bench_linger_add(r, s->finish_mid);
    if (l == NULL)
        return -1;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = event_data(EV_LINGER, (uint32_t)(l - r->linger));
    if (epoll_ctl(state_of(r)->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        return -1; /* the lingerer stays empty until it expires */
    l->fd = fd;
    memcpy(l->ack, us->answer.data, us->answer.len);
    l->ack_len = us->answer.len;
    us->fd[BENCH_LINK_BS] = -1;
    return 0;
}

static void links_close(bench_sim *s, bool keep_bs)
{
    udp_sim *us = slot_of(s);
    if (keep_bs)
        linger(s, us);
    for (int k = 0; k < BENCH_LINKS; k++) {
        if (us->fd[k] >= 0)
            close(us->fd[k]);
        us->fd[k] = -1;
    }
    us->out_acked = us->answered = us->sep_acked = us->body_open = false;
    us->request.len = us->answer.len = us->body.len = 0;
}

static void linger_close(bench_lingerer *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

/* One datagram of a sim's link (level-triggered epoll reports the next one next turn). */
static void link_readable(bench_run *r, uint32_t index, bench_link link)
{
    udp_state *u = state_of(r);
    if (index >= u->n || u->slots[index].fd[link] < 0)
        return;
    bench_sim *s = &r->sims[index];
    ssize_t n = recv(u->slots[index].fd[link], u->rx, sizeof u->rx, 0);
    if (n >= 0)
        on_datagram(s, link, u->rx, (size_t)n);
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        fail_errno(s, "cannot receive", errno); /* ECONNREFUSED: an ICMP error came back */
}

static void linger_readable(bench_run *r, uint32_t index)
{
    udp_state *u = state_of(r);
    if (index >= r->linger_cap || r->linger[index].owner != BENCH_OWNER_LINGER ||
        r->linger[index].fd < 0)
        return;
    ssize_t n = recv(r->linger[index].fd, u->rx, sizeof u->rx, 0);
    if (n >= 0)
        on_linger_datagram(u, &r->linger[index], u->rx, (size_t)n);
}

static void turn(bench_run *r, int timeout_ms)
{
    udp_state *u = state_of(r);
    int n = epoll_wait(u->epfd, u->events, EVENTS, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint64_t data = u->events[i].data.u64;
        uint32_t index = (uint32_t)data;
        switch ((unsigned)(data >> 32)) {
        case EV_LINK_BS:
            link_readable(r, index, BENCH_LINK_BS);
            break;
        case EV_LINK_REG:
            link_readable(r, index, BENCH_LINK_REG);
            break;
        case EV_LINGER:
            linger_readable(r, index);
            break;
        case EV_SIGNAL:
            /* The loop reads it; watched once (it stops starting sessions at the first). */
            r->signal_ready = true;
            epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->signal_fd, NULL);
            break;
        default:
            break;
        }
    }
}

static void teardown(bench_run *r)
{
    udp_state *u = state_of(r);
    if (u == NULL)
        return;
    for (uint32_t i = 0; u->slots != NULL && i < u->n; i++) {
        udp_sim *us = &u->slots[i];
        for (int k = 0; k < BENCH_LINKS; k++)
            if (us->fd[k] >= 0)
                close(us->fd[k]);
        free_bytes(&us->request);
        free_bytes(&us->answer);
        free_bytes(&us->body);
    }
    free(u->slots);
    if (u->epfd >= 0)
        close(u->epfd);
    free(u);
    r->io_state = NULL;
}

static int setup(bench_run *r, int signal_fd)
{
    udp_state *u = calloc(1, sizeof *u);
    if (u == NULL) {
        fprintf(stderr, BENCH_PROG ": out of memory\n");
        return -1;
    }
    r->io_state = u;
    u->signal_fd = signal_fd;
    u->epfd = -1;
    u->slots = calloc(r->opts->concurrency, sizeof *u->slots);
    if (u->slots == NULL) {
        fprintf(stderr, BENCH_PROG ": out of memory\n");
        return -1;
    }
    u->n = r->opts->concurrency;
    for (uint32_t i = 0; i < u->n; i++)
        u->slots[i].fd[BENCH_LINK_BS] = u->slots[i].fd[BENCH_LINK_REG] = -1;
    if ((u->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, BENCH_PROG ": cannot create an epoll set: %s\n", strerror(errno));
        return -1;
    }
    if (signal_fd >= 0) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.u64 = event_data(EV_SIGNAL, 0);
        if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, signal_fd, &ev) != 0) {
            fprintf(stderr, BENCH_PROG ": cannot watch signals: %s\n", strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* In the order of bench_io's members (run.h). */
const bench_io bench_io_udp = {setup,        teardown, link_open,  link_send, links_close,
                               linger_close, turn,     retransmit, NULL,      true};
