/* Where the sims' links go. Each destination URI is resolved once; when the server is on IPv4
 * loopback, each link binds a source address of its own in 127.1.0.1 .. 127.254.255.254 (the
 * kernel picks the port). So an address:port is never used twice in a run: a server still
 * talking to a client that gave up (timeout) cannot reach the next client that would have got
 * the same ephemeral port, and each link is a distinct peer, as distinct devices are. The
 * libcoap transport opens its sessions here (what lwm2m_net_session_for_uri does: coap://
 * NoSec, coaps:// DTLS PSK); the udp transport binds and connects its sockets itself. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "run.h"

#define SOURCES_PER_BLOCK 254u              /* last octet 1..254 */
#define SOURCE_BLOCKS     (254u * 256u - 1) /* 127.1.0 .. 127.254.254 */

/* Resolves `uri` into `d`: 0, or -1. */
static int resolve(const char *uri, bench_dest *d)
{
    coap_uri_t parsed;
    char host[256], port[8];
    if (coap_split_uri((const uint8_t *)uri, strlen(uri), &parsed) != 0 ||
        parsed.host.length == 0 || parsed.host.length >= sizeof host)
        return -1;
    memcpy(host, parsed.host.s, parsed.host.length);
    host[parsed.host.length] = '\0';
    snprintf(port, sizeof port, "%u", (unsigned)parsed.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return -1;
    int rc = -1;
    if (res->ai_addrlen <= sizeof d->addr.addr) {
        coap_address_init(&d->addr);
        memcpy(&d->addr.addr, res->ai_addr, res->ai_addrlen);
        d->addr.size = res->ai_addrlen;
        d->secure = parsed.scheme == COAP_URI_SCHEME_COAPS;
        d->loopback4 = d->addr.addr.sa.sa_family == AF_INET &&
                       (ntohl(d->addr.addr.sin.sin_addr.s_addr) >> 24) == 127;
        snprintf(d->uri, sizeof d->uri, "%s", uri);
        rc = parsed.scheme == COAP_URI_SCHEME_COAP || d->secure ? 0 : -1;
    }
    freeaddrinfo(res);
    return rc;
}

const bench_dest *bench_dest_of(bench_run *r, const char *uri)
{
    for (size_t i = 0; i < r->n_dests; i++)
        if (strcmp(r->dests[i].uri, uri) == 0)
            return &r->dests[i];
    if (strlen(uri) >= sizeof r->dests[0].uri || r->n_dests == BENCH_MAX_DESTS ||
        resolve(uri, &r->dests[r->n_dests]) != 0)
        return NULL;
    return &r->dests[r->n_dests++];
}

bool bench_spread_sources(const bench_run *r, const bench_dest *d)
{
    return d->loopback4 && !r->opts->single_source;
}

void bench_next_source(bench_run *r, coap_address_t *local)
{
    uint32_t k = r->next_source++ % (SOURCES_PER_BLOCK * SOURCE_BLOCKS);
    uint32_t host = 0x7f010000u + (k / SOURCES_PER_BLOCK) * 256u + k % SOURCES_PER_BLOCK + 1;
    coap_address_init(local);
    local->addr.sin.sin_family = AF_INET;
    local->addr.sin.sin_addr.s_addr = htonl(host);
    local->addr.sin.sin_port = 0;
    local->size = sizeof local->addr.sin;
}

coap_session_t *bench_session_open(bench_run *r, const char *uri, const uint8_t *identity,
                                   size_t identity_len, const uint8_t *key, size_t key_len)
{
    const bench_dest *d = bench_dest_of(r, uri);
    bool psk = key != NULL && key_len > 0;
    if (d == NULL || d->secure != psk)
        return NULL;
    coap_address_t local;
    bool spread = bench_spread_sources(r, d);
    if (spread)
        bench_next_source(r, &local);
    if (!psk)
        return coap_new_client_session(r->ctx, spread ? &local : NULL, &d->addr, COAP_PROTO_UDP);
    coap_dtls_cpsk_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = identity;
    setup.psk_info.identity.length = identity_len;
    setup.psk_info.key.s = key;
    setup.psk_info.key.length = key_len;
    return coap_new_client_session_psk2(r->ctx, spread ? &local : NULL, &d->addr, COAP_PROTO_DTLS,
                                        &setup);
}
