/* The servers' DTLS listeners beyond PSK (net_pki.h). The credential a client presents is
 * known only inside libcoap's handshake callback (validate_cn_call_back: for an RPK client
 * its SubjectPublicKeyInfo, for an X.509 client its certificate, both DER, after GnuTLS
 * verified the certificate against the trust store): it is kept here by session, and the
 * runtimes read it back for each request, where the identity binding is decided. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "net/net_pki.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/buf.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

#define FILE_MAX    (256u * 1024u) /* a credential file; a CA bundle may be large */
#define BUCKETS     1024           /* peers by session; the contexts keep at most ~1,000 idle */
#define CA_DIR_MAX  512            /* files read from --ca-dir */
#define CA_CERT_MAX 16384          /* DER bytes of one certificate */
#define CN_MAX      255            /* bytes of a subject CN kept: an endpoint name's limit */

/* What one client presented: an RPK's SubjectPublicKeyInfo, or an X.509 certificate's CN. */
typedef struct peer_entry {
    const coap_session_t *session;
    struct peer_entry *next;
    lwm2m_net_peer_mode mode;
    size_t len; /* bytes of data: the key, or the CN with its NUL */
    uint8_t data[];
} peer_entry;

struct lwm2m_net_pki {
    bool rpk;        /* the server presents a raw public key, not a certificate */
    char *cert_pem;  /* certificate (X.509) or SubjectPublicKeyInfo (RPK), PEM, NUL */
    char *key_pem;   /* private key, PEM, NUL */
    char *ca_pem;    /* the trust store, PEM, NUL; NULL when empty */
    size_t ca_count; /* certificates in it */
    char server_cn[CN_MAX + 1];
    uint8_t spki[LWM2M_PUBLIC_KEY_MAX]; /* RPK: the server's own public key */
    size_t spki_len;
    peer_entry *buckets[BUCKETS];
};

/* ---- files ------------------------------------------------------------------------------- */

/* The whole file, NUL-terminated (so PEM text is a string), malloc'ed. */
static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = malloc(FILE_MAX + 1);
    size_t n = buf != NULL ? fread(buf, 1, FILE_MAX + 1, f) : 0;
    bool failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed || n > FILE_MAX || n == 0) {
        snprintf(err, errlen, "%s: %s", path,
                 buf == NULL ? "out of memory"
                 : failed    ? "cannot read"
                 : n == 0    ? "empty file"
                             : "larger than 256 KiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* PEM text of der[0..len) labelled `label`, malloc'ed; NULL when out of memory. */
static char *to_pem(const uint8_t *der, size_t len, const char *label)
{
    size_t n = 0;
    lwm2m_der_to_pem(der, len, label, NULL, 0, &n); /* the size it needs */
    char *pem = malloc(n + 1);
    if (pem != NULL && lwm2m_der_to_pem(der, len, label, pem, n + 1, &n) != LWM2M_OK) {
        free(pem);
        pem = NULL;
    }
    return pem;
}

/* The DER of a file that holds one `label` block in PEM, or is DER. */
static int file_der(const char *path, const char *label, uint8_t *out, size_t cap, size_t *len,
                    char *err, size_t errlen)
{
    size_t n;
    uint8_t *data = read_file(path, &n, err, errlen);
    if (data == NULL)
        return -1;
    int rc = LWM2M_OK;
    if (lwm2m_der_is_pem(data, n)) {
        rc = lwm2m_der_pem_block((const char *)data, n, label, out, cap, len, NULL);
        if (rc != LWM2M_OK)
            snprintf(err, errlen, "%s: %s", path,
                     rc == LWM2M_ERR_NOT_FOUND  ? "no PEM block of this kind"
                     : rc == LWM2M_ERR_OVERFLOW ? "PEM block too large"
                                                : "malformed PEM");
    } else if (n > cap) {
        rc = LWM2M_ERR_OVERFLOW;
        snprintf(err, errlen, "%s: too large", path);
    } else {
        memcpy(out, data, n);
        *len = n;
    }
    free(data);
    return rc == LWM2M_OK ? 0 : -1;
}

/* The PEM label GnuTLS reads a private key of this format by. */
static const char *key_label(lwm2m_private_key_format format)
{
    return format == LWM2M_PRIVATE_KEY_SEC1    ? "EC PRIVATE KEY"
           : format == LWM2M_PRIVATE_KEY_PKCS1 ? "RSA PRIVATE KEY"
                                               : "PRIVATE KEY";
}

/* A private key file (PEM with a "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" block,
 * or the DER of one: PKCS#8, SEC1, PKCS#1) into p->key_pem. For a raw public key (p->rpk),
 * p->spki gets its public key: a "PUBLIC KEY" block of the same file, else the one the key
 * carries (EC, EdDSA). The key must belong to that public key, or to `cert_key` (the
 * certificate's; NULL for a raw public key). */
static int load_key(lwm2m_net_pki *p, const char *path, const lwm2m_public_key *cert_key, char *err,
                    size_t errlen)
{
    size_t n;
    uint8_t *data = read_file(path, &n, err, errlen);
    if (data == NULL)
        return -1;
    uint8_t der[8192];
    size_t der_len = 0;
    int rc = LWM2M_ERR_NOT_FOUND;
    if (lwm2m_der_is_pem(data, n)) {
        static const char *const labels[] = {"PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"};
        for (size_t i = 0; i < 3 && rc == LWM2M_ERR_NOT_FOUND; i++)
            rc = lwm2m_der_pem_block((const char *)data, n, labels[i], der, sizeof der, &der_len,
                                     NULL);
        if (p->rpk && lwm2m_der_pem_block((const char *)data, n, "PUBLIC KEY", p->spki,
                                          sizeof p->spki, &p->spki_len, NULL) != LWM2M_OK)
            p->spki_len = 0;
    } else if (n <= sizeof der) {
        memcpy(der, data, n);
        der_len = n;
        rc = LWM2M_OK;
    } else {
        rc = LWM2M_ERR_OVERFLOW;
    }
    memset(data, 0, n); /* private key material: not left in freed memory */
    free(data);
    lwm2m_private_key key;
    lwm2m_public_key pub;
    const char *why = NULL;
    if (rc == LWM2M_OK && lwm2m_der_private_key(der, der_len, &key, &why) != LWM2M_OK)
        rc = LWM2M_ERR_INVALID;
    if (rc != LWM2M_OK) {
        snprintf(err, errlen, "%s: not a private key (PKCS#8, SEC1 or PKCS#1; DER or PEM)%s%s",
                 path, why != NULL ? ": " : "", why != NULL ? why : "");
        goto fail;
    }
    if (p->rpk && p->spki_len == 0 &&
        lwm2m_der_spki_of(&key, p->spki, sizeof p->spki, &p->spki_len) != LWM2M_OK) {
        p->spki_len = 0;
        snprintf(err, errlen,
                 "%s: the key does not carry its public key (an EC key does; or add a PUBLIC "
                 "KEY block to the file)",
                 path);
        goto fail;
    }
    if (p->rpk && lwm2m_der_public_key(p->spki, p->spki_len, &pub, &why) != LWM2M_OK) {
        snprintf(err, errlen, "%s: its public key is not a SubjectPublicKeyInfo (%s)", path, why);
        goto fail;
    }
    if ((why = lwm2m_der_key_mismatch(&key, p->rpk ? &pub : cert_key)) != NULL) {
        snprintf(err, errlen, "%s: the key does not belong to the %s (%s)", path,
                 p->rpk ? "PUBLIC KEY block" : "certificate", why);
        goto fail;
    }
    p->key_pem = to_pem(der, der_len, key_label(key.format));
    memset(der, 0, sizeof der);
    if (p->key_pem == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
fail:
    memset(der, 0, sizeof der);
    return -1;
}

/* Appends a PEM text to the trust store. */
static int add_ca_pem(lwm2m_net_pki *p, const char *pem)
{
    size_t old = p->ca_pem != NULL ? strlen(p->ca_pem) : 0, add = strlen(pem);
    char *grown = realloc(p->ca_pem, old + add + 1);
    if (grown == NULL)
        return -1;
    memcpy(grown + old, pem, add + 1);
    p->ca_pem = grown;
    return 0;
}

/* Every certificate of a file (PEM: each CERTIFICATE block; else one DER certificate). */
static int load_ca_file(lwm2m_net_pki *p, const char *path, char *err, size_t errlen)
{
    size_t n;
    uint8_t *data = read_file(path, &n, err, errlen);
    if (data == NULL)
        return -1;
    uint8_t *der = malloc(CA_CERT_MAX);
    size_t count = 0;
    int rc = der != NULL ? 0 : -1;
    lwm2m_certificate cert;
    const char *why = NULL;
    if (der == NULL) {
        snprintf(err, errlen, "out of memory");
    } else if (lwm2m_der_is_pem(data, n)) {
        const char *text = (const char *)data;
        for (size_t at = 0;;) {
            size_t len = 0, next = 0;
            int d = lwm2m_der_pem_block(text + at, n - at, "CERTIFICATE", der, CA_CERT_MAX, &len,
                                        &next);
            if (d == LWM2M_ERR_NOT_FOUND)
                break;
            bool valid = d == LWM2M_OK && lwm2m_der_certificate(der, len, &cert, &why) == LWM2M_OK;
            char *pem = valid ? to_pem(der, len, "CERTIFICATE") : NULL;
            if (!valid || pem == NULL || add_ca_pem(p, pem) != 0) {
                snprintf(err, errlen, "%s: certificate %zu: %s%s%s", path, count + 1,
                         d != LWM2M_OK ? "malformed PEM"
                         : !valid      ? "malformed"
                                       : "out of memory",
                         d == LWM2M_OK && !valid ? ": " : "", d == LWM2M_OK && !valid ? why : "");
                free(pem);
                rc = -1;
                break;
            }
            free(pem);
            count++;
            at += next;
        }
        if (rc == 0 && count == 0) {
            snprintf(err, errlen, "%s: no CERTIFICATE block", path);
            rc = -1;
        }
    } else {
        char *pem = NULL;
        if (n > CA_CERT_MAX || lwm2m_der_certificate(data, n, &cert, &why) != LWM2M_OK) {
            snprintf(err, errlen, "%s: not a certificate (DER or PEM)%s%s", path,
                     n <= CA_CERT_MAX ? ": " : "", n <= CA_CERT_MAX ? why : "");
            rc = -1;
        } else if ((pem = to_pem(data, n, "CERTIFICATE")) == NULL || add_ca_pem(p, pem) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            count = 1;
        }
        free(pem);
    }
    free(der);
    free(data);
    p->ca_count += count;
    return rc;
}

static bool ca_suffix(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL && (strcmp(dot, ".pem") == 0 || strcmp(dot, ".crt") == 0 ||
                           strcmp(dot, ".cer") == 0 || strcmp(dot, ".der") == 0);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The certificate files of a directory, in name order (a stable trust store). */
static int load_ca_dir(lwm2m_net_pki *p, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char *names[CA_DIR_MAX];
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ca_suffix(e->d_name))
            continue;
        if (n == CA_DIR_MAX) {
            snprintf(err, errlen, "%s: more than %d certificate files", dir, CA_DIR_MAX);
            rc = -1;
            break;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if ((names[n] = malloc(len)) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (rc == 0 && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode))
            rc = load_ca_file(p, names[i], err, errlen);
        free(names[i]);
    }
    return rc;
}

lwm2m_net_pki *lwm2m_net_pki_load(const lwm2m_net_pki_files *f, char *err, size_t errlen)
{
    if ((f->cert != NULL) != (f->key != NULL) || (f->cert == NULL) == (f->rpk_key == NULL)) {
        snprintf(err, errlen, "give a certificate and its key, or a raw public key's key");
        return NULL;
    }
    lwm2m_net_pki *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->rpk = f->rpk_key != NULL;
    if (p->rpk) {
        if (load_key(p, f->rpk_key, NULL, err, errlen) != 0)
            goto fail;
        if ((p->cert_pem = to_pem(p->spki, p->spki_len, "PUBLIC KEY")) == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    } else {
        uint8_t *der = malloc(CA_CERT_MAX);
        size_t len = 0;
        lwm2m_certificate cert;
        const char *why = NULL;
        int rc = der != NULL ? file_der(f->cert, "CERTIFICATE", der, CA_CERT_MAX, &len, err, errlen)
                             : -1;
        if (der == NULL)
            snprintf(err, errlen, "out of memory");
        if (rc == 0 && lwm2m_der_certificate(der, len, &cert, &why) != LWM2M_OK) {
            snprintf(err, errlen, "%s: not an X.509 certificate (%s)", f->cert, why);
            rc = -1;
        }
        /* Only for the start-up line: a CN that is no text shows as "(none)". */
        if (rc == 0)
            (void)lwm2m_der_subject_cn(&cert, p->server_cn, sizeof p->server_cn);
        if (rc == 0 && (p->cert_pem = to_pem(der, len, "CERTIFICATE")) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
        /* The key is checked against the certificate's public key, which lives in `der`. */
        if (rc == 0)
            rc = load_key(p, f->key, &cert.public_key, err, errlen);
        free(der);
        if (rc != 0)
            goto fail;
    }
    for (size_t i = 0; i < f->ca_file_count; i++)
        if (load_ca_file(p, f->ca_files[i], err, errlen) != 0)
            goto fail;
    if (f->ca_dir != NULL && load_ca_dir(p, f->ca_dir, err, errlen) != 0)
        goto fail;
    return p;
fail:
    lwm2m_net_pki_free(p);
    return NULL;
}

void lwm2m_net_pki_free(lwm2m_net_pki *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        while (p->buckets[i] != NULL) {
            peer_entry *e = p->buckets[i];
            p->buckets[i] = e->next;
            free(e);
        }
    free(p->cert_pem);
    if (p->key_pem != NULL) {
        memset(p->key_pem, 0, strlen(p->key_pem));
        free(p->key_pem);
    }
    free(p->ca_pem);
    free(p);
}

void lwm2m_net_pki_describe(const lwm2m_net_pki *p, char *buf, size_t cap)
{
    lwm2m_buf b = lwm2m_buf_init(buf, cap > 0 ? cap - 1 : 0);
    if (p->rpk) {
        lwm2m_buf_puts(&b, "raw public key ");
        for (size_t i = 0; i < p->spki_len; i++)
            lwm2m_buf_printf(&b, "%02x", p->spki[i]);
    } else {
        lwm2m_buf_printf(&b, "certificate CN=%s", p->server_cn[0] ? p->server_cn : "(none)");
    }
    lwm2m_buf_printf(&b, ", %zu trusted CA certificate%s", p->ca_count,
                     p->ca_count == 1 ? "" : "s");
    if (cap > 0)
        buf[b.len < cap ? b.len : cap - 1] = '\0';
}

/* ---- peers ------------------------------------------------------------------------------- */

static size_t bucket_of(const coap_session_t *s)
{
    uintptr_t v = (uintptr_t)s;
    v ^= v >> 17;
    v *= 0x9e3779b97f4a7c15u;
    return (size_t)(v >> 7) & (BUCKETS - 1);
}

static peer_entry *find_peer(const lwm2m_net_pki *p, const coap_session_t *s)
{
    for (peer_entry *e = p->buckets[bucket_of(s)]; e != NULL; e = e->next)
        if (e->session == s)
            return e;
    return NULL;
}

void lwm2m_net_pki_forget(lwm2m_net_pki *p, coap_session_t *s)
{
    if (p == NULL)
        return;
    for (peer_entry **pp = &p->buckets[bucket_of(s)]; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->session == s) {
            peer_entry *e = *pp;
            *pp = e->next;
            free(e);
            return;
        }
}

static void remember(lwm2m_net_pki *p, coap_session_t *s, lwm2m_net_peer_mode mode,
                     const void *data, size_t len)
{
    lwm2m_net_pki_forget(p, s);
    peer_entry *e = malloc(sizeof *e + len);
    if (e == NULL)
        return; /* the request will find no credential: refused, not let through */
    e->session = s;
    e->mode = mode;
    e->len = len;
    memcpy(e->data, data, len);
    size_t b = bucket_of(s);
    e->next = p->buckets[b];
    p->buckets[b] = e;
}

/* libcoap's validate_cn_call_back: called once per handshake with the client's leaf
 * (depth 0) after GnuTLS accepted it: an RPK client's SubjectPublicKeyInfo, or an X.509
 * client's certificate (cn is libcoap's guess: the first SAN, else a CN; we read the subject
 * CN ourselves). The handshake goes on; the binding is decided per request. */
static int on_peer_credential(const char *cn, const uint8_t *der, size_t len,
                              coap_session_t *session, unsigned depth, int validated, void *arg)
{
    (void)cn;
    lwm2m_net_pki *p = arg;
    if (depth != 0 || der == NULL)
        return 1;
    if (!validated)
        return 0; /* libcoap 4.3.1 only calls with validated set; refuse anything else */
    lwm2m_public_key key;
    if (len <= LWM2M_PUBLIC_KEY_MAX && lwm2m_der_public_key(der, len, &key, NULL) == LWM2M_OK) {
        remember(p, session, LWM2M_NET_PEER_RPK, der, len);
        return 1;
    }
    /* The identity of a certificate is its subject's last CN (the most specific one). */
    lwm2m_certificate cert;
    char subject_cn[CN_MAX + 1] = "";
    if (lwm2m_der_certificate(der, len, &cert, NULL) == LWM2M_OK)
        (void)lwm2m_der_subject_cn(&cert, subject_cn, sizeof subject_cn);
    /* "" (none, or not text) is refused per request: "certificate without subject CN" */
    remember(p, session, LWM2M_NET_PEER_X509, subject_cn, strlen(subject_cn) + 1);
    return 1;
}

void lwm2m_net_pki_event(lwm2m_net_pki *p, coap_session_t *s, coap_event_t event)
{
    /* A new session must not inherit what a freed one at the same address presented. */
    if (event == COAP_EVENT_SERVER_SESSION_NEW || event == COAP_EVENT_SERVER_SESSION_DEL)
        lwm2m_net_pki_forget(p, s);
}

void lwm2m_net_peer_get(const lwm2m_net_pki *p, coap_session_t *s, lwm2m_net_peer *out)
{
    memset(out, 0, sizeof *out);
    out->cn = "";
    if (coap_session_get_proto(s) != COAP_PROTO_DTLS) {
        out->mode = LWM2M_NET_PEER_NOSEC;
        return;
    }
    const peer_entry *e = p != NULL ? find_peer(p, s) : NULL;
    if (e != NULL && e->mode == LWM2M_NET_PEER_RPK) {
        out->mode = LWM2M_NET_PEER_RPK;
        out->public_key = e->data;
        out->public_key_len = e->len;
        return;
    }
    if (e != NULL) {
        out->mode = LWM2M_NET_PEER_X509;
        out->cn = (const char *)e->data;
        return;
    }
    /* libcoap 4.3.1 also gives certificate sessions an empty PSK identity. */
    const coap_bin_const_t *id = coap_session_get_psk_identity(s);
    if (id != NULL && id->length > 0) {
        out->mode = LWM2M_NET_PEER_PSK;
        out->psk_identity = id->s;
        out->psk_identity_len = id->length;
        return;
    }
    out->mode = LWM2M_NET_PEER_UNKNOWN;
}

int lwm2m_net_pki_setup(lwm2m_net_pki *p, coap_context_t *ctx, char *err, size_t errlen)
{
    coap_dtls_pki_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    setup.verify_peer_cert = 1; /* a client certificate is required and must chain */
    setup.check_common_ca = 0;  /* to any CA of the trust store, not only the server's own */
    setup.allow_self_signed = 0;
    setup.allow_expired_certs = 0;
    setup.cert_chain_validation = 1;
    setup.cert_chain_verify_depth = 4;
    setup.check_cert_revocation = 0;
    setup.is_rpk_not_cert = p->rpk ? 1 : 0;
    setup.validate_cn_call_back = on_peer_credential;
    setup.cn_call_back_arg = p;
    /* PEM buffers: the only form in which libcoap hands GnuTLS several trusted CAs. libcoap
     * keeps these pointers (not copies): they live as long as `p`. */
    setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    setup.pki_key.key.pem_buf.public_cert = (const uint8_t *)p->cert_pem;
    setup.pki_key.key.pem_buf.public_cert_len = strlen(p->cert_pem) + 1;
    setup.pki_key.key.pem_buf.private_key = (const uint8_t *)p->key_pem;
    setup.pki_key.key.pem_buf.private_key_len = strlen(p->key_pem) + 1;
    if (p->ca_pem != NULL) {
        setup.pki_key.key.pem_buf.ca_cert = (const uint8_t *)p->ca_pem;
        setup.pki_key.key.pem_buf.ca_cert_len = strlen(p->ca_pem) + 1;
    }
    if (!coap_context_set_pki(ctx, &setup)) {
        snprintf(err, errlen, "this libcoap cannot use the %s (needs the GnuTLS flavour)",
                 p->rpk ? "raw public key" : "certificate");
        return -1;
    }
    return 0;
}

/* ---- log --------------------------------------------------------------------------------- */

/* What GnuTLS refused, from libcoap 4.3.1's warning (coap_gnutls.c cert_verify_gnutls). */
static const char *refusal_reason(const char *m)
{
    static const struct {
        const char *text, *reason;
    } known[] = {
        {"The peer certificate's CA is unknown", "certificate from an untrusted CA"},
        {"The certificate has an invalid usage date", "certificate expired or not yet valid"},
        {"Self-signed", "self-signed certificate"},
        {"CRL entry has an invalid usage date", "certificate revocation list out of date"},
        {"gnutls_certificate_verify_peers() status", "certificate verification failed"},
        {"Client Certificate requested and required, but not provided", "no client certificate"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strstr(m, known[i].text) != NULL)
            return known[i].reason;
    return NULL;
}

void lwm2m_net_log_handler(coap_log_t level, const char *message)
{
    const char *prog = program_invocation_short_name;
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
    size_t len = strlen(message);
    while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == ' '))
        len--;
    const char *reason = level == LOG_WARNING ? refusal_reason(message) : NULL;
    if (reason != NULL) {
        /* "   LOCAL <-> REMOTE (ifN) DTLS: ...": the client is the address after "<->". */
        char peer[64] = "?";
        const char *arrow = strstr(message, "<-> ");
        if (arrow != NULL)
            sscanf(arrow + 4, "%63s", peer);
        /* The certificate's name is the last quoted text ("CA is unknown: 'dev1'"). */
        const char *quote = strrchr(message, '\''), *name = NULL;
        for (const char *q = quote != NULL ? quote - 1 : NULL; q != NULL && q >= message; q--)
            if (*q == '\'') {
                name = q;
                break;
            }
        int name_len = name != NULL ? (int)(quote - name - 1) : 0;
        fprintf(stderr, "%s %s: security: DTLS handshake from %s refused: %s%s%.*s%s\n", stamp,
                prog, peer, reason, name_len > 0 ? " (certificate '" : "", name_len,
                name_len > 0 ? name + 1 : "", name_len > 0 ? "')" : "");
        return;
    }
    if (level > coap_get_log_level())
        return;
    /* The daemons ask for warnings for the refusals above; other warnings stay as quiet as
     * before unless they asked for more (verbose: LOG_NOTICE). */
    if (level == LOG_WARNING && coap_get_log_level() == LOG_WARNING)
        return;
    fprintf(stderr, "%s %s: libcoap: %.*s\n", stamp, prog, (int)len, message);
}
