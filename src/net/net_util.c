/* Helpers shared by the libcoap runtimes. */
#include "net/net_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/coap_message.h"
#include "net/host_port.h"

int64_t lwm2m_net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lwm2m_net_peer_of(const coap_session_t *s, char *buf, size_t cap)
{
    const coap_address_t *a = coap_session_get_addr_remote(s);
    lwm2m_net_format_addr(a != NULL ? &a->addr.sa : NULL, buf, cap);
}

int lwm2m_net_parse_host_port(const char *s, coap_address_t *out)
{
    lwm2m_net_addr a;
    if (lwm2m_net_parse_addr(s, &a) != 0)
        return -1;
    coap_address_init(out);
    out->size = lwm2m_net_addr_len(&a);
    memcpy(&out->addr.sa, &a, out->size);
    return 0;
}

void lwm2m_net_reply(coap_pdu_t *response, unsigned code, const char *diag)
{
    lwm2m_response resp;
    uint8_t buf[256];
    resp.code = code;
    resp.format = LWM2M_FORMAT_NONE;
    resp.payload = lwm2m_buf_init(buf, sizeof buf);
    if (diag != NULL && *diag != '\0') {
        size_t len = strlen(diag);
        lwm2m_buf_put(&resp.payload, diag, len < sizeof buf ? len : sizeof buf);
        resp.format = LWM2M_FORMAT_TEXT;
    }
    lwm2m_net_response_to_pdu(&resp, response);
}

/* libcoap 4.3.1 cannot tell which port an endpoint bound: for port 0 pick a free one. */
static int pick_free_port(coap_address_t *addr)
{
    int fd = socket(addr->addr.sa.sa_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    coap_address_t probe = *addr;
    socklen_t len = probe.size;
    int rc = bind(fd, &probe.addr.sa, probe.size) == 0 && getsockname(fd, &probe.addr.sa, &len) == 0
                 ? 0
                 : -1;
    close(fd);
    if (rc == 0) {
        if (addr->addr.sa.sa_family == AF_INET6)
            addr->addr.sin6.sin6_port = probe.addr.sin6.sin6_port;
        else
            addr->addr.sin.sin_port = probe.addr.sin.sin_port;
    }
    return rc;
}

static uint16_t port_of(const coap_address_t *a)
{
    return ntohs(a->addr.sa.sa_family == AF_INET6 ? a->addr.sin6.sin6_port : a->addr.sin.sin_port);
}

/* libcoap 4.3.1 keeps its listening socket to itself and leaves the kernel's default receive
 * buffer (208 KiB): a burst of DTLS handshakes from a hundred clients overflows it, and each lost
 * datagram costs its client a 1 s DTLS retransmission. Find the socket bound to `addr` among our
 * descriptors and ask for 4 MiB (capped by net.core.rmem_max). Best effort. */
static void grow_receive_buffer(const coap_address_t *addr)
{
    int size = 4 << 20;
    for (int fd = 3; fd < 4096; fd++) {
        int type = 0;
        socklen_t len = sizeof type;
        coap_address_t bound;
        coap_address_init(&bound);
        socklen_t alen = sizeof bound.addr;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM ||
            getsockname(fd, &bound.addr.sa, &alen) != 0 ||
            bound.addr.sa.sa_family != addr->addr.sa.sa_family || port_of(&bound) != port_of(addr))
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
}

coap_endpoint_t *lwm2m_net_listen(coap_context_t *ctx, const char *host_port, coap_proto_t proto,
                                  uint16_t *port, char *err, size_t errlen)
{
    coap_address_t addr;
    if (lwm2m_net_parse_host_port(host_port, &addr) != 0) {
        snprintf(err, errlen, "bad address '%s' (HOST:PORT)", host_port);
        return NULL;
    }
    if (port_of(&addr) == 0 && pick_free_port(&addr) != 0) {
        snprintf(err, errlen, "no free port on %s", host_port);
        return NULL;
    }
    *port = port_of(&addr);
    coap_endpoint_t *ep = coap_new_endpoint(ctx, &addr, proto);
    if (ep == NULL)
        snprintf(err, errlen, "cannot listen on %s/%s", host_port,
                 proto == COAP_PROTO_DTLS ? "dtls" : "udp");
    else
        grow_receive_buffer(&addr);
    return ep;
}

void lwm2m_net_io_process(coap_context_t *ctx, uint32_t timeout_ms, int nfds, fd_set *rfds,
                          fd_set *wfds, fd_set *efds)
{
    if (timeout_ms == 0)
        timeout_ms = 1; /* 0 would mean: wait forever */
    int coap_fd = coap_context_get_coap_fd(ctx);
    if (nfds <= 0) {
        coap_io_process(ctx, timeout_ms);
        return;
    }
    if (coap_fd < 0 || rfds == NULL) {
        coap_io_process_with_fds(ctx, timeout_ms, nfds, rfds, wfds, efds);
        return;
    }
    coap_tick_t now;
    coap_ticks(&now);
    /* Milliseconds until libcoap's next retransmission or timeout, 0 for none. */
    unsigned next = coap_io_prepare_epoll(ctx, now);
    if (next > 0 && next < timeout_ms)
        timeout_ms = next;
    FD_SET(coap_fd, rfds);
    if (coap_fd >= nfds)
        nfds = coap_fd + 1;
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    if (select(nfds, rfds, wfds, efds, &tv) < 0) {
        /* EINTR or worse: report nothing ready rather than stale sets. */
        FD_ZERO(rfds);
        if (wfds != NULL)
            FD_ZERO(wfds);
        if (efds != NULL)
            FD_ZERO(efds);
    }
    FD_CLR(coap_fd, rfds);
    coap_io_process(ctx, COAP_IO_NO_WAIT);
}

coap_context_t *lwm2m_net_server_context(const lwm2m_net_server_setup *setup, uint16_t *udp_port,
                                         uint16_t *dtls_port, char *err, size_t errlen)
{
    *udp_port = *dtls_port = 0;
    coap_context_t *ctx = coap_new_context(NULL);
    if (ctx == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    coap_set_app_data(ctx, setup->app);
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_context_set_session_timeout(ctx, 30);
    coap_context_set_max_idle_sessions(ctx, 1000);
    coap_register_response_handler(ctx, setup->on_response);
    coap_register_nack_handler(ctx, setup->on_nack);
    if (setup->on_event != NULL)
        coap_register_event_handler(ctx, setup->on_event);
    if (setup->dtls_listen != NULL) {
        coap_dtls_spsk_t spsk;
        memset(&spsk, 0, sizeof spsk);
        spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
        spsk.validate_id_call_back = setup->psk_for_identity;
        spsk.id_call_back_arg = setup->app;
        if (!coap_context_set_psk2(ctx, &spsk)) {
            snprintf(err, errlen, "this libcoap has no DTLS PSK support");
            goto fail;
        }
        if (setup->pki != NULL && lwm2m_net_pki_setup(setup->pki, ctx, err, errlen) != 0)
            goto fail;
        if (lwm2m_net_listen(ctx, setup->dtls_listen, COAP_PROTO_DTLS, dtls_port, err, errlen) ==
            NULL)
            goto fail;
    }
    if (setup->listen != NULL &&
        lwm2m_net_listen(ctx, setup->listen, COAP_PROTO_UDP, udp_port, err, errlen) == NULL)
        goto fail;
    coap_resource_t *any = coap_resource_unknown_init2(setup->on_request, 0);
    if (any == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    coap_register_request_handler(any, COAP_REQUEST_GET, setup->on_request);
    coap_register_request_handler(any, COAP_REQUEST_POST, setup->on_request);
    coap_register_request_handler(any, COAP_REQUEST_PUT, setup->on_request);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, setup->on_request);
    coap_add_resource(ctx, any);
    return ctx;
fail:
    coap_free_context(ctx);
    return NULL;
}
