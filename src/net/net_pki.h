/* Internal: the servers' DTLS listeners beyond PSK — their own certificate or raw public key,
 * the trust store for their clients' certificates, what each client presented in its
 * handshake (per libcoap session), and GnuTLS's handshake refusals as security log lines. */
#ifndef LWM2M_NET_NET_PKI_H
#define LWM2M_NET_NET_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

/* What a server's DTLS listener needs beyond PSK: its own credential and the trust store for
 * its clients' certificates (loaded once), and the credential each client presented in its
 * handshake, kept per libcoap session for the requests that follow. libcoap 4.3.1 (GnuTLS)
 * presents one kind of server credential per context: the certificate, or (rpk_key) a raw
 * public key; clients of every mode (PSK, RPK, X.509) are accepted either way. */
typedef struct lwm2m_net_pki lwm2m_net_pki;

typedef struct lwm2m_net_pki_files {
    const char *cert;    /* the server's certificate, DER or PEM; NULL: none */
    const char *key;     /* its private key (PKCS#8 or SEC1 EC, DER or PEM) */
    const char *rpk_key; /* instead of cert/key: present this key's raw public key (an EC key
                            that carries its public key, or a PEM file with a PUBLIC KEY block) */
    const char *const *ca_files; /* trust store: certificate files, DER or PEM (PEM may hold
                                    several); the client certificates must chain to one */
    size_t ca_file_count;
    const char *ca_dir; /* and every *.pem, *.crt, *.cer, *.der file of this directory */
} lwm2m_net_pki_files;

/* NULL with `err` set (a file that cannot be read, is not what it should be, a key without
 * its public key, ...). */
lwm2m_net_pki *lwm2m_net_pki_load(const lwm2m_net_pki_files *files, char *err, size_t errlen);
void lwm2m_net_pki_free(lwm2m_net_pki *pki);

/* One line for the start-up log: the server credential ("certificate CN=bs.example" or "raw
 * public key 3059...") and the number of trusted CAs. */
void lwm2m_net_pki_describe(const lwm2m_net_pki *pki, char *buf, size_t cap);

/* Sets the context up for certificates and raw public keys (coap_context_set_pki): 0, or -1
 * with `err`. lwm2m_net_server_context calls it; `pki` must outlive `ctx`. */
int lwm2m_net_pki_setup(lwm2m_net_pki *pki, coap_context_t *ctx, char *err, size_t errlen);

/* How the client of a session authenticated. */
typedef enum lwm2m_net_peer_mode {
    LWM2M_NET_PEER_NOSEC = 0,
    LWM2M_NET_PEER_PSK,
    LWM2M_NET_PEER_RPK,
    LWM2M_NET_PEER_X509,
    LWM2M_NET_PEER_UNKNOWN, /* DTLS, but no credential is known for it (cannot happen
                               unless libcoap skipped the callbacks): refuse */
} lwm2m_net_peer_mode;

typedef struct lwm2m_net_peer {
    lwm2m_net_peer_mode mode;
    const uint8_t *psk_identity; /* PSK */
    size_t psk_identity_len;
    const uint8_t *public_key; /* RPK: SubjectPublicKeyInfo (DER) */
    size_t public_key_len;
    const char *cn; /* X.509: the certificate's subject CN, "" when it has none */
} lwm2m_net_peer;

/* The credential the client of `s` presented; the pointers live as long as the session or
 * until its next handshake. `pki` may be NULL (a PSK-only listener). */
void lwm2m_net_peer_get(const lwm2m_net_pki *pki, coap_session_t *s, lwm2m_net_peer *out);

/* The runtimes' event handler passes every event on (sessions going away drop their
 * credential), their PSK callback calls forget (a new handshake on the session). */
void lwm2m_net_pki_event(lwm2m_net_pki *pki, coap_session_t *s, coap_event_t event);
void lwm2m_net_pki_forget(lwm2m_net_pki *pki, coap_session_t *s);

/* A libcoap log handler for the servers: GnuTLS's refusals of a client certificate (unknown
 * CA, expired, self-signed, none sent) become "PROG: security: DTLS handshake from HOST:PORT
 * refused: REASON" lines on stderr; other messages print at or above `coap_get_log_level`
 * as libcoap would. The daemons set the level to at least LOG_WARNING so that the refusals
 * reach it. */
void lwm2m_net_log_handler(coap_log_t level, const char *message);

#endif
