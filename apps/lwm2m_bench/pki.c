/* Key pairs and certificates through GnuTLS (see pki.h). */
#include "pki.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define VALID_DAYS  3650
#define SKEW_S      3600 /* valid from an hour ago: clocks of test machines differ a little */
#define KEY_ID_MAX  64
#define SERIAL_SIZE 16
#define P256_BYTES  32

/* PKCS#8 PrivateKeyInfo of a P-256 key as OpenSSL writes it: the curve in the algorithm, an
 * RFC 5915 ECPrivateKey with the 32-byte scalar and the public point (no parameters of its
 * own). Written by hand because GnuTLS 3.7's export gives the scalar a leading zero byte when
 * its top bit is set (33 bytes), which strict readers (lwm2m/der.h) refuse. */
static const uint8_t pkcs8_head[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00,                               /* SEQUENCE, version 0 */
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* id-ecPublicKey */
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,       /* prime256v1 */
    0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,             /* ECPrivateKey, d */
};
static const uint8_t pkcs8_point[] = {0xa1, 0x44, 0x03, 0x42, 0x00, 0x04}; /* [1] publicKey */
#define PKCS8_LEN (sizeof pkcs8_head + P256_BYTES + sizeof pkcs8_point + 2 * P256_BYTES)
_Static_assert(PKCS8_LEN == 0x87 + 3 && PKCS8_LEN <= BENCH_PKI_KEY_MAX, "PKCS#8 template");

struct bench_pki_ca {
    gnutls_x509_crt_t crt;
    gnutls_privkey_t key;
};

/* Ends the current function at `done` when a GnuTLS call fails, naming the step. */
#define TRY(step, call)                                                                            \
    do {                                                                                           \
        if ((rc = (call)) < 0) {                                                                   \
            what = (step);                                                                         \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static int failed(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "GnuTLS cannot %s: %s", what, gnutls_strerror(rc));
    return -1;
}

/* What an export into *d returned (`rc`): on success the bytes GnuTLS allocated are moved into
 * out[0..cap). 0, the export's error, or GNUTLS_E_SHORT_MEMORY_BUFFER. */
static int keep(int rc, gnutls_datum_t *d, uint8_t *out, size_t cap, size_t *len)
{
    if (rc < 0)
        return rc;
    rc = d->size <= cap ? 0 : GNUTLS_E_SHORT_MEMORY_BUFFER;
    if (rc == 0) {
        memcpy(out, d->data, d->size);
        *len = d->size;
    }
    gnutls_free(d->data);
    d->data = NULL;
    return rc;
}

/* An integer GnuTLS exported, as exactly 32 bytes big-endian: 0, or -1 when it is larger. */
static int fixed32(const gnutls_datum_t *d, uint8_t *out)
{
    size_t n = d->size, skip = 0;
    while (n - skip > P256_BYTES && d->data[skip] == 0)
        skip++;
    if (n - skip > P256_BYTES)
        return -1;
    memset(out, 0, P256_BYTES - (n - skip));
    if (n > skip)
        memcpy(out + P256_BYTES - (n - skip), d->data + skip, n - skip);
    return 0;
}

/* The PKCS#8 DER of P-256 key `x` into out->key. */
static int export_pkcs8(gnutls_x509_privkey_t x, bench_pki_pair *out)
{
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    gnutls_datum_t px = {NULL, 0}, py = {NULL, 0}, k = {NULL, 0};
    int rc = gnutls_x509_privkey_export_ecc_raw(x, &curve, &px, &py, &k);
    uint8_t *p = out->key;
    if (rc >= 0) {
        memcpy(p, pkcs8_head, sizeof pkcs8_head);
        p += sizeof pkcs8_head;
        bool ok = curve == GNUTLS_ECC_CURVE_SECP256R1 && fixed32(&k, p) == 0;
        p += P256_BYTES;
        memcpy(p, pkcs8_point, sizeof pkcs8_point);
        p += sizeof pkcs8_point;
        ok = ok && fixed32(&px, p) == 0 && fixed32(&py, p + P256_BYTES) == 0;
        rc = ok ? 0 : GNUTLS_E_ECC_UNSUPPORTED_CURVE;
        out->key_len = PKCS8_LEN;
    }
    gnutls_free(px.data);
    gnutls_free(py.data);
    gnutls_free(k.data);
    return rc;
}

/* A fresh P-256 key pair: its DER into out->key and out->spki, the key objects into *priv and
 * *pub (the caller deinits them, also on failure). */
static int new_key(gnutls_privkey_t *priv, gnutls_pubkey_t *pub, bench_pki_pair *out, char *err,
                   size_t errlen)
{
    gnutls_x509_privkey_t x = NULL;
    gnutls_datum_t d = {NULL, 0};
    const char *what = NULL;
    int rc;
    TRY("make a private key", gnutls_x509_privkey_init(&x));
    TRY("generate an EC P-256 key",
        gnutls_x509_privkey_generate2(
            x, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0));
    TRY("export the key", export_pkcs8(x, out));
    TRY("make a private key", gnutls_privkey_init(priv));
    TRY("import the key", gnutls_privkey_import_x509(*priv, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE));
    x = NULL; /* *priv owns it */
    TRY("make a public key", gnutls_pubkey_init(pub));
    TRY("derive the public key", gnutls_pubkey_import_privkey(*pub, *priv, 0, 0));
    TRY("export the SubjectPublicKeyInfo",
        keep(gnutls_pubkey_export2(*pub, GNUTLS_X509_FMT_DER, &d), &d, out->spki, sizeof out->spki,
             &out->spki_len));
done:
    if (x != NULL)
        gnutls_x509_privkey_deinit(x);
    return rc < 0 ? failed(err, errlen, what, rc) : 0;
}

static unsigned key_usage(bench_pki_role role)
{
    return role == BENCH_PKI_CA ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
                                : GNUTLS_KEY_DIGITAL_SIGNATURE; /* ECDHE_ECDSA signs */
}

/* The certificate of `pub` (CN `cn`) signed by `ca`, or by `priv` itself for a CA, into
 * out->cert. */
static int certify(const bench_pki_ca *ca, bench_pki_role role, const char *cn,
                   gnutls_privkey_t priv, gnutls_pubkey_t pub, bench_pki_pair *out, char *err,
                   size_t errlen)
{
    bool self = role == BENCH_PKI_CA;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {NULL, 0};
    uint8_t serial[SERIAL_SIZE], id[KEY_ID_MAX];
    size_t id_len = sizeof id;
    unsigned critical = 0;
    time_t now = time(NULL);
    const char *what = NULL;
    int rc;
    TRY("make a certificate", gnutls_x509_crt_init(&crt));
    TRY("set the version", gnutls_x509_crt_set_version(crt, 3));
    TRY("draw a serial number", gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial));
    serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40); /* positive, all 16 bytes used */
    TRY("set the serial number", gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
    TRY("set the start of validity", gnutls_x509_crt_set_activation_time(crt, now - SKEW_S));
    TRY("set the end of validity",
        gnutls_x509_crt_set_expiration_time(crt, now + (time_t)VALID_DAYS * 86400));
    TRY("set the subject CN", gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                                            (unsigned)strlen(cn)));
    TRY("set the public key", gnutls_x509_crt_set_pubkey(crt, pub));
    TRY("set basicConstraints", gnutls_x509_crt_set_basic_constraints(crt, self ? 1 : 0, -1));
    TRY("set keyUsage", gnutls_x509_crt_set_key_usage(crt, key_usage(role)));
    if (!self)
        TRY("set extKeyUsage",
            gnutls_x509_crt_set_key_purpose_oid(
                crt, role == BENCH_PKI_SERVER ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT,
                0));
    TRY("compute the key identifier", gnutls_pubkey_get_key_id(pub, 0, id, &id_len));
    TRY("set subjectKeyIdentifier", gnutls_x509_crt_set_subject_key_id(crt, id, id_len));
    id_len = sizeof id;
    if (!self && gnutls_x509_crt_get_subject_key_id(ca->crt, id, &id_len, &critical) >= 0)
        TRY("set authorityKeyIdentifier", gnutls_x509_crt_set_authority_key_id(crt, id, id_len));
    TRY("sign the certificate",
        gnutls_x509_crt_privkey_sign(crt, self ? crt : ca->crt, self ? priv : ca->key,
                                     GNUTLS_DIG_SHA256, 0));
    TRY("export the certificate", keep(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d), &d,
                                       out->cert, sizeof out->cert, &out->cert_len));
done:
    if (crt != NULL)
        gnutls_x509_crt_deinit(crt);
    return rc < 0 ? failed(err, errlen, what, rc) : 0;
}

int bench_pki_issue(const bench_pki_ca *ca, bench_pki_role role, const char *cn,
                    bench_pki_pair *out, char *err, size_t errlen)
{
    if (role != BENCH_PKI_BARE && role != BENCH_PKI_CA && ca == NULL) {
        snprintf(err, errlen, "no CA to sign the certificate of '%s'", cn);
        return -1;
    }
    gnutls_privkey_t priv = NULL;
    gnutls_pubkey_t pub = NULL;
    out->key_len = out->spki_len = out->cert_len = 0;
    int rc = new_key(&priv, &pub, out, err, errlen);
    if (rc == 0 && role != BENCH_PKI_BARE)
        rc = certify(ca, role, cn, priv, pub, out, err, errlen);
    if (pub != NULL)
        gnutls_pubkey_deinit(pub);
    if (priv != NULL)
        gnutls_privkey_deinit(priv);
    return rc;
}

/* Whether the certificate is a CA's and `key` its key: 0, or -1 with `err`. */
static int check_ca(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, char *err, size_t errlen)
{
    unsigned ca = 0, critical = 0;
    int path_len = 0;
    if (gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &path_len) < 0 || !ca) {
        snprintf(err, errlen, "the CA certificate is not a CA's (no basicConstraints cA TRUE)");
        return -1;
    }
    uint8_t a[KEY_ID_MAX], b[KEY_ID_MAX];
    size_t a_len = sizeof a, b_len = sizeof b;
    if (gnutls_x509_crt_get_key_id(crt, 0, a, &a_len) < 0 ||
        gnutls_x509_privkey_get_key_id(key, 0, b, &b_len) < 0 || a_len != b_len ||
        memcmp(a, b, a_len) != 0) {
        snprintf(err, errlen, "the CA key is not the pair of the CA certificate");
        return -1;
    }
    return 0;
}

bench_pki_ca *bench_pki_ca_open(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                                size_t key_len, char *err, size_t errlen)
{
    bench_pki_ca *ca = calloc(1, sizeof *ca);
    if (ca == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    gnutls_x509_privkey_t x = NULL;
    gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)cert_len};
    gnutls_datum_t kd = {(unsigned char *)key, (unsigned)key_len};
    const char *what = NULL;
    int rc;
    TRY("make a certificate", gnutls_x509_crt_init(&ca->crt));
    TRY("read the CA certificate (DER)", gnutls_x509_crt_import(ca->crt, &cd, GNUTLS_X509_FMT_DER));
    TRY("make a private key", gnutls_x509_privkey_init(&x));
    TRY("read the CA key (DER)", gnutls_x509_privkey_import2(x, &kd, GNUTLS_X509_FMT_DER, NULL, 0));
    if (check_ca(ca->crt, x, err, errlen) != 0) {
        gnutls_x509_privkey_deinit(x);
        bench_pki_ca_free(ca);
        return NULL;
    }
    TRY("make a private key", gnutls_privkey_init(&ca->key));
    TRY("import the CA key",
        gnutls_privkey_import_x509(ca->key, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE));
    x = NULL;
done:
    if (x != NULL)
        gnutls_x509_privkey_deinit(x);
    if (rc < 0) {
        failed(err, errlen, what, rc);
        bench_pki_ca_free(ca);
        return NULL;
    }
    return ca;
}

void bench_pki_ca_free(bench_pki_ca *ca)
{
    if (ca == NULL)
        return;
    if (ca->key != NULL)
        gnutls_privkey_deinit(ca->key);
    if (ca->crt != NULL)
        gnutls_x509_crt_deinit(ca->crt);
    free(ca);
}
