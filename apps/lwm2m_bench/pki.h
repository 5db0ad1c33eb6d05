/* Key pairs and certificates for `seed --rpk` / `seed --x509`, made with GnuTLS: EC P-256
 * keys (the curve of LwM2M's ECDHE_ECDSA cipher suites), X.509 v3 certificates signed with
 * ECDSA-SHA256, in the encodings of the Security object (PKCS#8 DER private keys,
 * SubjectPublicKeyInfo DER, certificate DER). The only file of lwm2m-bench that calls GnuTLS
 * itself; the storm hands the keys to libcoap. */
#ifndef LWM2M_BENCH_PKI_H
#define LWM2M_BENCH_PKI_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PKI_KEY_MAX  256  /* PKCS#8 DER of a P-256 key: 138 bytes */
#define BENCH_PKI_SPKI_MAX 128  /* its SubjectPublicKeyInfo: 91 bytes */
#define BENCH_PKI_CERT_MAX 1024 /* the certificates issued here: about 400 bytes */

typedef struct bench_pki_pair {
    uint8_t key[BENCH_PKI_KEY_MAX]; /* private key, PKCS#8 DER (RFC 5958) */
    size_t key_len;
    uint8_t spki[BENCH_PKI_SPKI_MAX]; /* public key, SubjectPublicKeyInfo DER */
    size_t spki_len;
    uint8_t cert[BENCH_PKI_CERT_MAX]; /* certificate DER; cert_len 0: none */
    size_t cert_len;
} bench_pki_pair;

typedef enum bench_pki_role {
    BENCH_PKI_BARE,   /* a key pair only (RPK) */
    BENCH_PKI_CA,     /* self-signed CA certificate (cA TRUE, keyCertSign) */
    BENCH_PKI_SERVER, /* end entity for TLS server authentication */
    BENCH_PKI_CLIENT, /* end entity for TLS client authentication */
} bench_pki_role;

/* A CA that signs (its certificate and private key, parsed once). */
typedef struct bench_pki_ca bench_pki_ca;

/* A fresh key pair into *out and, for every role but BENCH_PKI_BARE, a certificate with
 * subject CN `cn`, valid from an hour ago for ten years, signed by `ca` (BENCH_PKI_CA: by
 * itself; `ca` is not used). 0, or -1 with `err` set. */
int bench_pki_issue(const bench_pki_ca *ca, bench_pki_role role, const char *cn,
                    bench_pki_pair *out, char *err, size_t errlen);

/* The CA of certificate `cert` and private key `key` (DER; PKCS#8 or SEC1): NULL with `err`
 * set when either does not parse or the key is not the certificate's. */
bench_pki_ca *bench_pki_ca_open(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                                size_t key_len, char *err, size_t errlen);
void bench_pki_ca_free(bench_pki_ca *ca);

#endif
