/* Where the sims' links go. Each destination URI is resolved once; when the server is on IPv4
 * loopback, each link binds a source address of its own in 127.1.0.1 .. 127.254.255.254 (the
 * kernel picks the port). So an address:port is never used twice in a run: a server still
 * talking to a client that gave up (timeout) cannot reach the next client that would have got
 * the same ephemeral port, and each link is a distinct peer, as distinct devices are. The
 * libcoap transport opens its sessions here (what lwm2m_net_session_for_uri does: coap://
 * NoSec, coaps:// DTLS PSK, RPK or X.509); the udp transport binds and connects its sockets
 * itself. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lwm2m/der.h"
#include "lwm2m/error.h"
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

/* Fails the sim of `session` (if it is one's) with why the server was not accepted. */
static int refuse(coap_session_t *session, const char *why)
{
    bench_sim *s = coap_session_get_app_data(session);
    if (s != NULL && s->owner == BENCH_OWNER_SIM)
        bench_sim_fail(s, BENCH_CAUSE_DTLS, 0, why);
    return 0;
}

/* validate_cn_call_back: libcoap 4.3.1 (GnuTLS) keeps one PKI setup per context for every
 * session's verification, so this one callback checks the server for all of them (`arg`: the
 * run). A certificate to an X.509 client: GnuTLS validated the chain against DIR/ca.crt.der,
 * and it must name the bench's server. Otherwise (an RPK client, or a server presenting a raw
 * public key, as with --rpk-key) the server's public key is pinned to DIR/server.pub.der,
 * whether it came in a certificate or as a raw key. 0 refuses. */
static int check_server(const char *cn, const uint8_t *der, size_t len, coap_session_t *session,
                        unsigned depth, int validated, void *arg)
{
    const bench_keys *k = ((const bench_run *)arg)->keys;
    if (depth > 0)
        return 1; /* a CA of the chain, which GnuTLS checked against the trust anchor */
    bool raw = cn != NULL && strcmp(cn, COAP_DTLS_RPK_CERT_CN) == 0;
    if (k->mode == BENCH_PKI_X509 && !raw) {
        if (!validated)
            return refuse(session, "the server's certificate is not validated by the CA");
        if (cn == NULL || strcmp(cn, BENCH_PKI_SERVER_CN) != 0)
            return refuse(session, "the server's certificate does not name " BENCH_PKI_SERVER_CN);
        return 1;
    }
    lwm2m_public_key pub;
    lwm2m_certificate cert;
    lwm2m_bytes spki = {der, len};
    if (lwm2m_der_public_key(der, len, &pub, NULL) != LWM2M_OK) {
        if (lwm2m_der_certificate(der, len, &cert, NULL) != LWM2M_OK)
            return refuse(session, "the server presented neither a public key nor a certificate");
        spki = cert.public_key.spki;
    }
    if (spki.len == k->server_pub_len && memcmp(spki.ptr, k->server_pub, spki.len) == 0)
        return 1;
    return refuse(session, "the server's public key is not the one in " BENCH_PKI_SRV_PUB);
}

coap_session_t *bench_session_open_pki(bench_run *r, const char *uri, uint32_t ep_index)
{
    const bench_dest *d = bench_dest_of(r, uri);
    const bench_keys *k = r->keys;
    if (d == NULL || !d->secure || k == NULL || ep_index >= k->count)
        return NULL;
    bool rpk = k->mode == BENCH_PKI_RPK;
    size_t key_len = 0, own_len = 0;
    const uint8_t *key = bench_keys_key(k, ep_index, &key_len);
    const uint8_t *own = bench_keys_own(k, ep_index, &own_len);
    coap_dtls_pki_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    /* RPK: nothing for GnuTLS to validate (the pin is check_server's). X.509: the chain, its
     * dates, against the CA alone. */
    setup.verify_peer_cert = !rpk;
    setup.cert_chain_validation = !rpk;
    setup.cert_chain_verify_depth = 2;
    setup.is_rpk_not_cert = rpk;
    setup.validate_cn_call_back = check_server;
    setup.cn_call_back_arg = r;
    setup.pki_key.key_type = COAP_PKI_KEY_ASN1;
    setup.pki_key.key.asn1.public_cert = own;
    setup.pki_key.key.asn1.public_cert_len = own_len;
    setup.pki_key.key.asn1.private_key = key;
    setup.pki_key.key.asn1.private_key_len = key_len;
    /* Not COAP_ASN1_PKEY_EC: libcoap 4.3.1 then parses the key itself and reads past a PKCS#8
     * one. With NONE GnuTLS reads it, and an RPK's SubjectPublicKeyInfo is taken as given. */
    setup.pki_key.key.asn1.private_key_type = COAP_ASN1_PKEY_NONE;
    if (!rpk) {
        setup.pki_key.key.asn1.ca_cert = k->ca_cert;
        setup.pki_key.key.asn1.ca_cert_len = k->ca_cert_len;
    }
    coap_address_t local;
    bool spread = bench_spread_sources(r, d);
    if (spread)
        bench_next_source(r, &local);
    return coap_new_client_session_pki(r->ctx, spread ? &local : NULL, &d->addr, COAP_PROTO_DTLS,
                                       &setup);
}
