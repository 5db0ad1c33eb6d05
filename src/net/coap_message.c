#include "net/coap_message.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/consistency.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

static lwm2m_format uint_option(const coap_pdu_t *pdu, coap_option_num_t num)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, num, &it);
    if (opt == NULL)
        return LWM2M_FORMAT_NONE;
    return (lwm2m_format)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

int lwm2m_net_request_from_pdu(const coap_pdu_t *pdu, const coap_string_t *query,
                               lwm2m_net_scratch *scratch, lwm2m_request *out)
{
    memset(out, 0, sizeof *out);
    out->method = (unsigned)coap_pdu_get_code(pdu);
    /* Uri-Path options, each prefixed with '/'; none means "/". */
    size_t n = 0;
    coap_opt_iterator_t it;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_URI_PATH);
    coap_option_iterator_init(pdu, &it, &filter);
    coap_opt_t *opt;
    while ((opt = coap_option_next(&it)) != NULL) {
        size_t len = coap_opt_length(opt);
        if (n + 1 + len >= sizeof scratch->path)
            return LWM2M_ERR_INVALID;
        scratch->path[n++] = '/';
        memcpy(scratch->path + n, coap_opt_value(opt), len);
        n += len;
    }
    if (n == 0)
        scratch->path[n++] = '/';
    scratch->path[n] = '\0';
    out->uri_path = scratch->path;
    out->uri_path_len = n;
    if (query != NULL && query->length > 0) {
        if (query->length >= sizeof scratch->query)
            return LWM2M_ERR_INVALID;
        memcpy(scratch->query, query->s, query->length);
        scratch->query[query->length] = '\0';
        out->query = scratch->query;
        out->query_len = query->length;
    }
    out->format = uint_option(pdu, COAP_OPTION_CONTENT_FORMAT);
    out->accept = uint_option(pdu, COAP_OPTION_ACCEPT);
    coap_opt_t *obs = coap_check_option(pdu, COAP_OPTION_OBSERVE, &it);
    if (obs != NULL && out->method == LWM2M_METHOD_GET) {
        unsigned v = coap_decode_var_bytes(coap_opt_value(obs), coap_opt_length(obs));
        out->observe = v == 0   ? LWM2M_OBSERVE_REGISTER
                       : v == 1 ? LWM2M_OBSERVE_CANCEL
                                : LWM2M_OBSERVE_NONE;
    }
    /* With COAP_BLOCK_SINGLE_BODY, libcoap hands over a block-wise body reassembled. */
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    if (coap_get_data_large(pdu, &len, &data, &offset, &total) && offset == 0) {
        out->payload = data;
        out->payload_len = len;
    }
    return LWM2M_OK;
}

void lwm2m_net_response_to_pdu(const lwm2m_response *resp, coap_pdu_t *pdu)
{
    coap_pdu_set_code(pdu, (coap_pdu_code_t)resp->code);
    size_t len = resp->payload.len <= resp->payload.cap ? resp->payload.len : 0;
    if (resp->format != LWM2M_FORMAT_NONE && len > 0) {
        uint8_t buf[4];
        coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof buf, (unsigned)resp->format), buf);
    }
    if (len > 0)
        coap_add_data(pdu, len, resp->payload.data);
}

/* What the handshake of an RPK or certificate session checks of the server: the session's app
 * data. libcoap 4.3.1 (GnuTLS) keeps one PKI setup per context, the last one given, for every
 * session's verification (flags, callback and its argument): so every session gets the same
 * flags and callback, and the callback finds its session's expectations here. */
typedef struct peer_check {
    int mode;
    int64_t usage;
    int64_t matching;  /* /0/x/13: 0 exact, 1..3 /0/x/4 is a SHA-256/384/512 hash */
    unsigned iid;      /* x of /0/x */
    uint8_t *expected; /* /0/x/4 */
    size_t expected_len;
    char name[256]; /* /0/x/14, the name a PKIX-checked certificate must carry; "" for none */
    char requirement[160];
    char refusal[224];
} peer_check;

lwm2m_net_credentials lwm2m_net_credentials_init(int mode, uint16_t security_iid)
{
    lwm2m_net_credentials c;
    memset(&c, 0, sizeof c);
    c.mode = mode;
    c.cert_usage = 3;
    c.security_iid = security_iid;
    return c;
}

static void say(char *why, size_t cap, const char *fmt, ...)
{
    if (cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

static bool same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Whether two SubjectPublicKeyInfo name the same key: the same bytes, or the same algorithm,
 * curve and subjectPublicKey (an encoder may write the algorithm's parameters differently). */
static bool same_key(const lwm2m_public_key *a, const lwm2m_public_key *b)
{
    if (same(a->spki.ptr, a->spki.len, b->spki.ptr, b->spki.len))
        return true;
    return a->alg != LWM2M_KEY_ALG_UNKNOWN && a->alg == b->alg && a->curve == b->curve &&
           same(a->key.ptr, a->key.len, b->key.ptr, b->key.len);
}

/* `cn` for a log line: at most 60 bytes, anything but printable ASCII as '?'. */
static void printable(const lwm2m_bytes *cn, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < cn->len && i < 60 && n + 1 < cap; i++)
        buf[n++] = cn->ptr[i] >= 0x20 && cn->ptr[i] < 0x7F ? (char)cn->ptr[i] : '?';
    if (cap > 0)
        buf[n] = '\0';
}

/* RPK mode: whether `der`, what the server presented, carries the key pinned in /0/x/4. A raw
 * public key (RFC 7250) must be that key. A certificate is accepted when its
 * SubjectPublicKeyInfo is that key: the pin is on the key, so neither its issuer nor its dates
 * matter (as for DANE-EE, RFC 7671 5.1), and the handshake's signature proves the server holds
 * the key. A server whose one DTLS port serves certificate clients too presents a certificate
 * to everyone (libcoap 4.3.1 has one server credential per listener). */
static bool pinned_key_matches(peer_check *pc, const uint8_t *der, size_t len)
{
    lwm2m_public_key presented, pinned;
    lwm2m_certificate cert;
    bool pin_parsed =
        lwm2m_der_public_key(pc->expected, pc->expected_len, &pinned, NULL) == LWM2M_OK;
    if (lwm2m_der_public_key(der, len, &presented, NULL) == LWM2M_OK) {
        if (pin_parsed ? same_key(&presented, &pinned)
                       : same(der, len, pc->expected, pc->expected_len))
            return true;
        snprintf(pc->refusal, sizeof pc->refusal, "the server's public key differs from /0/%u/4",
                 pc->iid);
        return false;
    }
    if (lwm2m_der_certificate(der, len, &cert, NULL) == LWM2M_OK) {
        if (pin_parsed && same_key(&cert.public_key, &pinned))
            return true;
        char cn[64];
        printable(&cert.subject_cn, cn, sizeof cn);
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the public key of the server's certificate (CN '%s') differs from /0/%u/4", cn,
                 pc->iid);
        return false;
    }
    snprintf(pc->refusal, sizeof pc->refusal,
             "the server presented neither a public key nor a certificate (/0/%u/4 is a key)",
             pc->iid);
    return false;
}

/* Matching Type 1..3 (LwM2M 1.1 /0/x/13, RFC 6698 2.1.3): whether the hash of `data` is
 * /0/x/4. The hash is of what /0/x/4 would otherwise hold in full: the certificate (the whole
 * DER, RFC 6698 selector 0) in certificate mode, the SubjectPublicKeyInfo in RPK mode. */
static bool hash_matches(const peer_check *pc, const uint8_t *data, size_t len)
{
    gnutls_digest_algorithm_t alg = pc->matching == 1   ? GNUTLS_DIG_SHA256
                                    : pc->matching == 2 ? GNUTLS_DIG_SHA384
                                                        : GNUTLS_DIG_SHA512;
    uint8_t digest[64];
    size_t digest_len = gnutls_hash_get_len(alg);
    if (digest_len == 0 || digest_len > sizeof digest || digest_len != pc->expected_len)
        return false;
    if (gnutls_hash_fast(alg, data, len, digest) != 0)
        return false;
    return memcmp(digest, pc->expected, digest_len) == 0;
}

static const char *hash_name(int64_t matching)
{
    return matching == 1 ? "SHA-256" : matching == 2 ? "SHA-384" : "SHA-512";
}

/* Whether certificate `cert` is valid now, for usage 1 names the SNI: what GnuTLS checks of a
 * certificate given in full as its own trust anchor, checked here when only its hash is. */
static bool certificate_fits(peer_check *pc, const lwm2m_certificate *cert, const char *whose)
{
    int64_t now = (int64_t)time(NULL);
    if (now < cert->not_before || now > cert->not_after) {
        snprintf(pc->refusal, sizeof pc->refusal, "%s is not valid now", whose);
        return false;
    }
    size_t name_len = strlen(pc->name);
    if (pc->usage == 1 && name_len > 0 &&
        (cert->subject_cn.len != name_len ||
         strncasecmp((const char *)cert->subject_cn.ptr, pc->name, name_len) != 0)) {
        char cn[64];
        printable(&cert->subject_cn, cn, sizeof cn);
        snprintf(pc->refusal, sizeof pc->refusal, "%s names '%s', not the SNI '%.60s'", whose, cn,
                 pc->name);
        return false;
    }
    return true;
}

/* Matching Type 1..3: whether `der`, what the server presented, is what /0/x/4 is the hash of.
 * RPK mode: its SubjectPublicKeyInfo, raw or in a certificate (as pinned_key_matches).
 * Certificate mode (usages 1 and 3; consistency refuses a hashed trust anchor): the
 * certificate, valid now and for usage 1 naming the SNI; a raw key cannot be matched to a
 * hash of a certificate. */
static bool hashed_peer_matches(peer_check *pc, const uint8_t *der, size_t len)
{
    lwm2m_public_key raw;
    lwm2m_certificate cert;
    bool is_raw = lwm2m_der_public_key(der, len, &raw, NULL) == LWM2M_OK;
    bool is_cert = !is_raw && lwm2m_der_certificate(der, len, &cert, NULL) == LWM2M_OK;
    const char *h = hash_name(pc->matching);
    if (pc->mode == LWM2M_SECURITY_RPK) {
        if (is_raw || is_cert) {
            const lwm2m_public_key *k = is_raw ? &raw : &cert.public_key;
            if (hash_matches(pc, k->spki.ptr, k->spki.len))
                return true;
            snprintf(pc->refusal, sizeof pc->refusal,
                     "the %s hash of the server's public key%s differs from /0/%u/4 (Matching "
                     "Type %lld)",
                     h, is_raw ? "" : " (in its certificate)", pc->iid, (long long)pc->matching);
            return false;
        }
    } else if (is_cert) {
        if (!hash_matches(pc, der, len)) {
            char cn[64];
            printable(&cert.subject_cn, cn, sizeof cn);
            snprintf(pc->refusal, sizeof pc->refusal,
                     "the %s hash of the server's certificate (CN '%s') differs from /0/%u/4 "
                     "(Matching Type %lld)",
                     h, cn, pc->iid, (long long)pc->matching);
            return false;
        }
        return certificate_fits(pc, &cert, "the server's certificate");
    } else if (is_raw) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the server presented a raw public key, /0/%u/4 is the %s hash of a certificate",
                 pc->iid, h);
        return false;
    }
    snprintf(pc->refusal, sizeof pc->refusal,
             "the server presented neither a public key nor a certificate");
    return false;
}

/* GnuTLS's verification of an RPK session, or of any session whose /0/x/4 is a hash
 * (gnutls_session_set_verify_function): libcoap's own one would refuse a certificate before
 * check_server sees it, since such a session has no CA to chain it to. 0 accepts, -1 refuses
 * (libcoap then ends the handshake with an alert). */
static int verify_own(gnutls_session_t gs)
{
    coap_session_t *s = gnutls_transport_get_ptr(gs); /* libcoap's transport pointer */
    peer_check *pc = s != NULL ? coap_session_get_app_data(s) : NULL;
    if (pc == NULL)
        return -1;
    unsigned int n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(gs, &n);
    if (peers == NULL || n == 0) {
        snprintf(pc->refusal, sizeof pc->refusal, "the server presented no key");
        return -1;
    }
    if (pc->matching != 0)
        return hashed_peer_matches(pc, peers[0].data, peers[0].size) ? 0 : -1;
    return pinned_key_matches(pc, peers[0].data, peers[0].size) ? 0 : -1;
}

/* Gives session `s` the verification above. false when it cannot (not GnuTLS): then libcoap's
 * verification and check_server apply. */
static bool verify_by_own_function(coap_session_t *s)
{
    coap_tls_library_t lib = COAP_TLS_LIBRARY_NOTLS;
    gnutls_session_t gs = coap_session_get_tls(s, &lib);
    if (lib != COAP_TLS_LIBRARY_GNUTLS || gs == NULL)
        return false;
    /* Overrides the credentials' function (libcoap's) for this session only. */
    gnutls_session_set_verify_function(gs, verify_own);
    return true;
}

/* Certificate mode, and the server presented a raw public key (a server with one DTLS port for
 * every mode may present a raw key to everyone): libcoap calls check_server for it as if it had
 * been validated, but nothing chains a raw key to a CA, so Certificate Usages 0 and 2 refuse it.
 * For 1 and 3, /0/x/4 is the server's own certificate: its key presented raw is accepted when
 * that certificate would have been (valid now; for usage 1 naming the SNI). */
static bool raw_key_for_certificate(peer_check *pc, const lwm2m_public_key *raw)
{
    if (pc->usage != 1 && pc->usage != 3) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the server presented a raw public key, no certificate to chain to the CA in "
                 "/0/%u/4 (Certificate Usage %lld)",
                 pc->iid, (long long)pc->usage);
        return false;
    }
    lwm2m_certificate pinned;
    if (lwm2m_der_certificate(pc->expected, pc->expected_len, &pinned, NULL) != LWM2M_OK ||
        !same_key(raw, &pinned.public_key)) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the server's raw public key is not the key of the certificate in /0/%u/4 "
                 "(Certificate Usage %lld)",
                 pc->iid, (long long)pc->usage);
        return false;
    }
    int64_t now = (int64_t)time(NULL);
    if (now < pinned.not_before || now > pinned.not_after) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the certificate in /0/%u/4, whose key the server presented raw, is not valid "
                 "now",
                 pc->iid);
        return false;
    }
    size_t name_len = strlen(pc->name);
    if (pc->usage == 1 && name_len > 0 &&
        (pinned.subject_cn.len != name_len ||
         strncasecmp((const char *)pinned.subject_cn.ptr, pc->name, name_len) != 0)) {
        char cn[64];
        printable(&pinned.subject_cn, cn, sizeof cn);
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the certificate in /0/%u/4 names '%s', not the SNI '%.60s'", pc->iid, cn,
                 pc->name);
        return false;
    }
    return true;
}

/* validate_cn_call_back: libcoap calls it once GnuTLS accepted the chain (certificates) or for
 * the raw public key (RPK), with the server's certificate or SubjectPublicKeyInfo. 0 refuses. */
static int check_server(const char *cn, const uint8_t *der, size_t len, coap_session_t *session,
                        unsigned depth, int validated, void *arg)
{
    (void)arg;
    peer_check *pc = coap_session_get_app_data(session);
    if (pc == NULL)
        return 0; /* released, or not ours: nothing to trust it by */
    if (depth > 0)
        return 1; /* a CA of the chain, which GnuTLS checked against the trust anchor */
    if (pc->mode == LWM2M_SECURITY_RPK)
        return pinned_key_matches(pc, der, len) ? 1 : 0;
    lwm2m_certificate presented;
    lwm2m_public_key raw;
    if (lwm2m_der_certificate(der, len, &presented, NULL) != LWM2M_OK &&
        lwm2m_der_public_key(der, len, &raw, NULL) == LWM2M_OK)
        return raw_key_for_certificate(pc, &raw) ? 1 : 0;
    if (!validated) {
        snprintf(pc->refusal, sizeof pc->refusal, "the server's certificate is not validated");
        return 0;
    }
    if ((pc->usage == 1 || pc->usage == 3) && !same(der, len, pc->expected, pc->expected_len)) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the server's certificate (CN '%.60s') is not the one in /0/%u/4 (Certificate "
                 "Usage %lld)",
                 cn ? cn : "", pc->iid, (long long)pc->usage);
        return 0;
    }
    /* LwM2M 1.1 /0/x/14: the SNI is also the name the presented certificate is matched to. */
    if (pc->usage != 3 && pc->name[0] != '\0' && (cn == NULL || strcasecmp(cn, pc->name) != 0)) {
        snprintf(pc->refusal, sizeof pc->refusal,
                 "the server's certificate names '%.60s', not the SNI '%.60s'", cn ? cn : "",
                 pc->name);
        return 0;
    }
    return 1;
}

/* The host of `parsed` (NUL-terminated into buf), or NULL when it does not fit. */
static const char *host_of(const coap_uri_t *parsed, char *buf, size_t cap)
{
    if (parsed->host.length == 0 || parsed->host.length >= cap)
        return NULL;
    memcpy(buf, parsed->host.s, parsed->host.length);
    buf[parsed->host.length] = '\0';
    return buf;
}

static bool is_ip_literal(const char *host)
{
    struct in6_addr a;
    return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

/* The PKI setup of an RPK or certificate session; *pc what its handshake checks. */
static coap_session_t *pki_session(coap_context_t *ctx, const coap_address_t *dst,
                                   const lwm2m_net_credentials *cred, const char *host, char *why,
                                   size_t why_cap)
{
    bool rpk = cred->mode == LWM2M_SECURITY_RPK;
    if (cred->own.len == 0 || cred->secret.len == 0 || cred->server.len == 0) {
        say(why, why_cap, "%s mode needs /0/%u/3, /0/%u/4 and /0/%u/5", rpk ? "RPK" : "certificate",
            cred->security_iid, cred->security_iid, cred->security_iid);
        return NULL;
    }
    if (cred->matching_type < 0 || cred->matching_type > 3) {
        say(why, why_cap, "Matching Type %lld is not 0..3", (long long)cred->matching_type);
        return NULL;
    }
    if (!rpk && (cred->cert_usage < 0 || cred->cert_usage > 3)) {
        say(why, why_cap, "Certificate Usage %lld is not 0..3", (long long)cred->cert_usage);
        return NULL;
    }
    bool hashed = cred->matching_type != 0;
    if (hashed && !rpk && (cred->cert_usage == 0 || cred->cert_usage == 2)) {
        say(why, why_cap,
            "Certificate Usage %lld needs the CA in full in /0/%u/4, not a hash (Matching Type "
            "%lld)",
            (long long)cred->cert_usage, cred->security_iid, (long long)cred->matching_type);
        return NULL;
    }
    if (hashed && cred->server.len != (size_t)(cred->matching_type == 1   ? 32
                                               : cred->matching_type == 2 ? 48
                                                                          : 64)) {
        say(why, why_cap, "/0/%u/4 is not a %s hash (Matching Type %lld)", cred->security_iid,
            hash_name(cred->matching_type), (long long)cred->matching_type);
        return NULL;
    }
    peer_check *pc = calloc(1, sizeof *pc);
    uint8_t *expected = malloc(cred->server.len);
    if (pc == NULL || expected == NULL) {
        free(pc);
        free(expected);
        say(why, why_cap, "out of memory");
        return NULL;
    }
    memcpy(expected, cred->server.ptr, cred->server.len);
    pc->mode = cred->mode;
    pc->usage = cred->cert_usage;
    pc->matching = cred->matching_type;
    pc->iid = cred->security_iid;
    pc->expected = expected;
    pc->expected_len = cred->server.len;
    if (cred->sni.len > 0 && cred->sni.len < sizeof pc->name) {
        memcpy(pc->name, cred->sni.ptr, cred->sni.len);
        pc->name[cred->sni.len] = '\0';
    }
    unsigned iid = cred->security_iid;
    if (hashed)
        snprintf(pc->requirement, sizeof pc->requirement,
                 "the %s hash of its %s must equal /0/%u/4 (Matching Type %lld)",
                 hash_name(cred->matching_type), rpk ? "public key" : "certificate", iid,
                 (long long)cred->matching_type);
    else if (rpk)
        snprintf(pc->requirement, sizeof pc->requirement,
                 "its public key, raw or in its certificate, must equal /0/%u/4 (RPK)", iid);
    else if (cred->cert_usage == 0 || cred->cert_usage == 2)
        snprintf(pc->requirement, sizeof pc->requirement,
                 "its certificate must chain to the CA in /0/%u/4 and be valid now "
                 "(Certificate Usage %lld)",
                 iid, (long long)cred->cert_usage);
    else
        snprintf(pc->requirement, sizeof pc->requirement,
                 "its certificate must equal /0/%u/4 and be valid now (Certificate Usage %lld)",
                 iid, (long long)cred->cert_usage);

    /* SNI: /0/x/14, else the URI's host when it is a name (RFC 6066 3: no IP literals). */
    char sni[256] = "";
    if (pc->name[0] != '\0')
        snprintf(sni, sizeof sni, "%s", pc->name);
    else if (!is_ip_literal(host))
        snprintf(sni, sizeof sni, "%s", host);

    coap_dtls_pki_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    /* The same flags for every session (see peer_check): GnuTLS validates chains and dates
     * against the session's trust anchor, check_server does the rest. */
    setup.verify_peer_cert = 1;
    setup.check_common_ca = 0;
    setup.allow_self_signed = 0;
    setup.allow_expired_certs = 0;
    setup.cert_chain_validation = 1;
    setup.cert_chain_verify_depth = 3;
    setup.check_cert_revocation = 0;
    setup.is_rpk_not_cert = rpk;
    setup.validate_cn_call_back = check_server;
    setup.cn_call_back_arg = NULL;
    setup.client_sni = sni[0] != '\0' ? sni : NULL;
    setup.pki_key.key_type = COAP_PKI_KEY_ASN1;
    setup.pki_key.key.asn1.public_cert = cred->own.ptr;
    setup.pki_key.key.asn1.public_cert_len = cred->own.len;
    setup.pki_key.key.asn1.private_key = cred->secret.ptr;
    setup.pki_key.key.asn1.private_key_len = cred->secret.len;
    /* Not COAP_ASN1_PKEY_EC: with it, libcoap 4.3.1 derives the RPK from the key with a parser
     * that reads past a PKCS#8 key (it expects SEC1). With NONE, GnuTLS reads PKCS#8, SEC1 and
     * PKCS#1 keys itself, and the SubjectPublicKeyInfo is /0/x/3 as given. */
    setup.pki_key.key.asn1.private_key_type = COAP_ASN1_PKEY_NONE;
    if (!rpk && !hashed) {
        /* The trust anchor: the CA (usages 0, 2) or the server's own certificate (1, 3). */
        setup.pki_key.key.asn1.ca_cert = expected;
        setup.pki_key.key.asn1.ca_cert_len = pc->expected_len;
    }
    coap_session_t *s = coap_new_client_session_pki(ctx, NULL, dst, COAP_PROTO_DTLS, &setup);
    if (s == NULL) {
        say(why, why_cap, "libcoap refused the %s (own key /0/%u/5 not the pair of /0/%u/3?)",
            rpk ? "raw public key setup" : "certificate setup", iid, iid);
        free(expected);
        free(pc);
        return NULL;
    }
    /* Set before any answer can arrive: the handshake is checked during coap_io_process. */
    coap_session_set_app_data(s, pc);
    if ((rpk || hashed) && !verify_by_own_function(s) && hashed) {
        /* Without it, nothing would compare the hash: libcoap's check has no trust anchor. */
        lwm2m_net_session_release(s);
        say(why, why_cap, "Matching Type %lld needs libcoap's GnuTLS flavour",
            (long long)cred->matching_type);
        return NULL;
    }
    return s;
}

coap_session_t *lwm2m_net_session_for_uri(coap_context_t *ctx, const char *uri,
                                          const lwm2m_net_credentials *cred, char *why,
                                          size_t why_cap)
{
    if (why_cap > 0)
        why[0] = '\0';
    coap_uri_t parsed;
    if (coap_split_uri((const uint8_t *)uri, strlen(uri), &parsed) != 0) {
        say(why, why_cap, "not a CoAP URI");
        return NULL;
    }
    int mode = cred != NULL ? cred->mode : LWM2M_SECURITY_NOSEC;
    bool secure = mode != LWM2M_SECURITY_NOSEC;
    if (mode != LWM2M_SECURITY_NOSEC && mode != LWM2M_SECURITY_PSK && mode != LWM2M_SECURITY_RPK &&
        mode != LWM2M_SECURITY_CERTIFICATE) {
        say(why, why_cap, "security mode %d is not supported", mode);
        return NULL;
    }
    if (parsed.scheme != (secure ? COAP_URI_SCHEME_COAPS : COAP_URI_SCHEME_COAP)) {
        say(why, why_cap, "the scheme does not fit the security mode (%s:// expected)",
            secure ? "coaps" : "coap");
        return NULL;
    }
    char host[256];
    if (host_of(&parsed, host, sizeof host) == NULL) {
        say(why, why_cap, "no host, or a host too long");
        return NULL;
    }
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)parsed.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
        say(why, why_cap, "host '%s' does not resolve", host);
        return NULL;
    }
    coap_address_t dst;
    coap_address_init(&dst);
    if (res->ai_addrlen > sizeof dst.addr) {
        freeaddrinfo(res);
        say(why, why_cap, "unusable address");
        return NULL;
    }
    memcpy(&dst.addr, res->ai_addr, res->ai_addrlen);
    dst.size = res->ai_addrlen;
    freeaddrinfo(res);
    coap_session_t *s = NULL;
    switch (mode) {
    case LWM2M_SECURITY_NOSEC:
        s = coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
        break;
    case LWM2M_SECURITY_PSK: {
        if (cred->secret.len == 0) {
            say(why, why_cap, "PSK mode needs a key");
            return NULL;
        }
        coap_dtls_cpsk_t setup;
        memset(&setup, 0, sizeof setup);
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.psk_info.identity.s = cred->own.ptr;
        setup.psk_info.identity.length = cred->own.len;
        setup.psk_info.key.s = cred->secret.ptr;
        setup.psk_info.key.length = cred->secret.len;
        s = coap_new_client_session_psk2(ctx, NULL, &dst, COAP_PROTO_DTLS, &setup);
        break;
    }
    default:
        return pki_session(ctx, &dst, cred, host, why, why_cap);
    }
    if (s == NULL)
        say(why, why_cap, "libcoap cannot open the session");
    return s;
}

void lwm2m_net_session_release(coap_session_t *s)
{
    if (s == NULL)
        return;
    peer_check *pc = coap_session_get_app_data(s);
    if (pc != NULL) {
        coap_session_set_app_data(s, NULL);
        free(pc->expected);
        free(pc);
    }
    coap_session_release(s);
}

const char *lwm2m_net_session_refusal(const coap_session_t *s)
{
    const peer_check *pc = s != NULL ? coap_session_get_app_data(s) : NULL;
    return pc != NULL && pc->refusal[0] != '\0' ? pc->refusal : NULL;
}

const char *lwm2m_net_session_requirement(const coap_session_t *s)
{
    const peer_check *pc = s != NULL ? coap_session_get_app_data(s) : NULL;
    return pc != NULL ? pc->requirement : NULL;
}

coap_pdu_t *lwm2m_net_new_request(coap_session_t *s, unsigned method, const char *path,
                                  lwm2m_format format, lwm2m_format accept, const char *query,
                                  const uint8_t *payload, size_t payload_len, uint8_t *token,
                                  size_t *token_len)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)method,
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (pdu == NULL)
        return NULL;
    coap_session_new_token(s, token_len, token);
    if (!coap_add_token(pdu, *token_len, token))
        goto fail;
    /* Options in ascending number: Uri-Path (11), Content-Format (12), Uri-Query (15),
     * Accept (17). */
    for (const char *p = path; p != NULL && *p != '\0';) {
        if (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && coap_add_option(pdu, COAP_OPTION_URI_PATH, len, (const uint8_t *)p) == 0)
            goto fail;
        p = end;
    }
    if (format != LWM2M_FORMAT_NONE) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)format), buf) == 0)
            goto fail;
    }
    for (const char *q = query; q != NULL && *q != '\0';) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > 0 && coap_add_option(pdu, COAP_OPTION_URI_QUERY, len, (const uint8_t *)q) == 0)
            goto fail;
        q = end ? end + 1 : NULL;
    }
    if (accept != LWM2M_FORMAT_NONE) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_ACCEPT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)accept), buf) == 0)
            goto fail;
    }
    if (payload_len > 0 && !coap_add_data(pdu, payload_len, payload))
        goto fail;
    return pdu;
fail:
    coap_delete_pdu(pdu);
    return NULL;
}

void lwm2m_net_location_path(const coap_pdu_t *pdu, char *buf, size_t cap)
{
    size_t n = 0;
    coap_opt_iterator_t it;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
    coap_option_iterator_init(pdu, &it, &filter);
    coap_opt_t *opt;
    while ((opt = coap_option_next(&it)) != NULL) {
        size_t len = coap_opt_length(opt);
        if (n + 1 + len >= cap)
            break;
        buf[n++] = '/';
        memcpy(buf + n, coap_opt_value(opt), len);
        n += len;
    }
    if (cap > 0)
        buf[n < cap ? n : cap - 1] = '\0';
}

int lwm2m_net_add_observe(coap_pdu_t *pdu, uint32_t seq)
{
    uint8_t buf[4];
    size_t len = coap_encode_var_safe(buf, sizeof buf, seq & 0xFFFFFFu);
    return coap_add_option(pdu, COAP_OPTION_OBSERVE, len, buf) == 0 ? -1 : 0;
}

int lwm2m_net_add_location_path(coap_pdu_t *pdu, const char *path)
{
    for (const char *p = path; p != NULL && *p != '\0';) {
        if (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 &&
            coap_add_option(pdu, COAP_OPTION_LOCATION_PATH, len, (const uint8_t *)p) == 0)
            return -1;
        p = end;
    }
    return 0;
}

coap_pdu_t *lwm2m_net_new_notification(coap_session_t *s, const uint8_t *token, size_t token_len,
                                       bool observe, uint32_t seq, const lwm2m_response *resp)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)resp->code,
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (pdu == NULL)
        return NULL;
    size_t len = resp->payload.len <= resp->payload.cap ? resp->payload.len : 0;
    /* Options in ascending number: Observe (6), Content-Format (12). */
    if (!coap_add_token(pdu, token_len, token) || (observe && lwm2m_net_add_observe(pdu, seq) != 0))
        goto fail;
    if (resp->format != LWM2M_FORMAT_NONE && len > 0) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)resp->format),
                            buf) == 0)
            goto fail;
    }
    if (len > 0 && !coap_add_data(pdu, len, resp->payload.data))
        goto fail;
    return pdu;
fail:
    coap_delete_pdu(pdu);
    return NULL;
}
