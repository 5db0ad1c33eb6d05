/* `lwm2m-bench responder --io udp`: the raw peer of `ping` for the raw-to-raw ceiling. One
 * socket; datagrams come in with recvmmsg and the answers go out with sendmmsg, BATCH at a
 * time, framed with lwm2m/coap_wire.h. A CON request gets a piggybacked ACK 2.04 with its
 * token; a CON that does not parse, and an Empty CON (CoAP ping), a RST; everything else
 * nothing. No state at all: a retransmitted request is simply answered again. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app_loop.h"
#include "bench.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/coap_wire.h"
#include "net/host_port.h"

#define BATCH      64
#define ROUNDS     16   /* batches in a row before signals are looked at again */
#define RX_MAX     2048 /* a longer datagram is dropped (MSG_TRUNC): pings are tiny */
#define TX_MAX     (4 + LWM2M_COAP_TOKEN_MAX)
#define SOCKET_BUF (4 << 20) /* asked for; the kernel caps it at net.core.[rw]mem_max */

typedef struct responder {
    int fd;
    struct mmsghdr in[BATCH], out[BATCH];
    struct iovec in_iov[BATCH], out_iov[BATCH];
    lwm2m_net_addr from[BATCH];
    uint8_t rx[BATCH][RX_MAX];
    uint8_t tx[BATCH][TX_MAX];
    uint64_t answered, reset, ignored;
} responder;

/* The answer to one datagram into `out`: its length, 0 for none. */
static size_t answer_of(const uint8_t *data, size_t len, uint8_t *out)
{
    lwm2m_coap_msg m;
    lwm2m_coap_writer w;
    if (lwm2m_coap_parse(data, len, &m) != 0 || m.code == 0) {
        if (len < 4 || data[0] >> 6 != 1 || m.type != LWM2M_COAP_CON)
            return 0;
        lwm2m_coap_writer_init(&w, out, TX_MAX, LWM2M_COAP_RST, 0, m.mid, NULL, 0);
    } else if (m.type == LWM2M_COAP_CON && m.code >> 5 == 0) {
        lwm2m_coap_writer_init(&w, out, TX_MAX, LWM2M_COAP_ACK, (uint8_t)LWM2M_CODE_CHANGED, m.mid,
                               m.token, m.token_len);
    } else {
        return 0;
    }
    int n = lwm2m_coap_finish(&w);
    return n > 0 ? (size_t)n : 0;
}

/* Sends the first `n` prepared answers; what the socket cannot take now is dropped, as a lost
 * datagram would be (the client retransmits). */
static void send_all(responder *p, unsigned n)
{
    unsigned done = 0;
    while (done < n) {
        int sent = sendmmsg(p->fd, p->out + done, n - done, 0);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return;
        done += (unsigned)sent;
    }
}

/* Points message header `h` at one buffer and one address. */
static void point(struct msghdr *h, struct iovec *iov, void *buf, size_t len, void *addr,
                  socklen_t addr_len)
{
    memset(h, 0, sizeof *h);
    iov->iov_base = buf;
    iov->iov_len = len;
    h->msg_iov = iov;
    h->msg_iovlen = 1;
    h->msg_name = addr;
    h->msg_namelen = addr_len;
}

/* One batch: received, answered. The number of datagrams read (BATCH: there may be more). */
static int serve_batch(responder *p)
{
    for (int i = 0; i < BATCH; i++)
        point(&p->in[i].msg_hdr, &p->in_iov[i], p->rx[i], RX_MAX, &p->from[i], sizeof p->from[i]);
    int n = recvmmsg(p->fd, p->in, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return 0;
    unsigned k = 0;
    for (int i = 0; i < n; i++) {
        const struct msghdr *h = &p->in[i].msg_hdr;
        size_t len = h->msg_flags & MSG_TRUNC ? 0 : p->in[i].msg_len;
        size_t out = len > 0 ? answer_of(p->rx[i], len, p->tx[k]) : 0;
        if (out == 0) {
            p->ignored++;
            continue;
        }
        if (p->tx[k][0] >> 4 == (0x4 | LWM2M_COAP_RST))
            p->reset++;
        else
            p->answered++;
        point(&p->out[k].msg_hdr, &p->out_iov[k], p->tx[k], out, &p->from[i], h->msg_namelen);
        k++;
    }
    send_all(p, k);
    return n;
}

/* The socket bound to `listen`, its port in *port: the descriptor, or -1 with the message
 * printed. */
static int open_socket(const char *listen, uint16_t *port)
{
    lwm2m_net_addr addr;
    if (lwm2m_net_parse_addr(listen, &addr) != 0) {
        fprintf(stderr, BENCH_PROG ": responder: bad address '%s' (HOST:PORT)\n", listen);
        return -1;
    }
    int fd = socket(addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int size = SOCKET_BUF;
    lwm2m_net_addr bound;
    socklen_t bound_len = sizeof bound;
    if (fd < 0 || bind(fd, &addr.sa, lwm2m_net_addr_len(&addr)) != 0 ||
        getsockname(fd, &bound.sa, &bound_len) != 0) {
        fprintf(stderr, BENCH_PROG ": responder: cannot listen on %s: %s\n", listen,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Best effort: larger buffers only make drops under bursts rarer. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    *port = ntohs(bound.sa.sa_family == AF_INET6 ? bound.v6.sin6_port : bound.v4.sin_port);
    return fd;
}

int bench_responder_udp(const char *listen, int sfd)
{
    responder *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, BENCH_PROG ": responder: out of memory\n");
        return 1;
    }
    uint16_t port = 0;
    if ((p->fd = open_socket(listen, &port)) < 0) {
        free(p);
        return 1;
    }
    char host[128];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    fprintf(stderr, BENCH_PROG ": responder: listening on coap://%s:%u (raw UDP)\n", host,
            (unsigned)port);
    for (;;) {
        struct pollfd fds[2] = {{p->fd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(fds, 2, 1000) < 0 && errno != EINTR) {
            fprintf(stderr, BENCH_PROG ": responder: poll: %s\n", strerror(errno));
            break;
        }
        for (int round = 0; round < ROUNDS && serve_batch(p) == BATCH; round++)
            ;
        int sig = fds[1].revents != 0 ? lwm2m_app_signal_caught(sfd) : 0;
        if (sig != 0) {
            fprintf(stderr,
                    BENCH_PROG ": responder: signal %d: stopping (%llu answered, %llu reset, "
                               "%llu ignored)\n",
                    sig, (unsigned long long)p->answered, (unsigned long long)p->reset,
                    (unsigned long long)p->ignored);
            break;
        }
    }
    close(p->fd);
    free(p);
    return 0;
}
