/* A reader of the DER encodings that the Security object's key material uses (/0/x/3, /0/x/4,
 * /0/x/5): SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, the raw public key of RFC 7250), X.509
 * certificates (RFC 5280 §4.1), private keys as PKCS#8 PrivateKeyInfo / RFC 5958
 * OneAsymmetricKey, SEC1 ECPrivateKey (RFC 5915) or PKCS#1 RSAPrivateKey, and the PEM armour
 * around them (RFC 7468). The client's Finish check and both servers (their listeners' own
 * keys, trust stores, the credentials their DTLS peers present, the keys of configurations)
 * read them here.
 *
 * Structure only, sans-I/O and without allocation: every length is checked against its
 * container, DER's definite minimal lengths are required, nothing may follow the outer
 * element. No signature is verified and no key is used: what is read borrows from the input. */
#ifndef LWM2M_DER_H
#define LWM2M_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_key_alg {
    LWM2M_KEY_ALG_UNKNOWN = 0, /* an algorithm OID this reader does not know */
    LWM2M_KEY_ALG_EC,          /* id-ecPublicKey (ECDSA keys) */
    LWM2M_KEY_ALG_RSA,         /* rsaEncryption */
    LWM2M_KEY_ALG_ED25519,
    LWM2M_KEY_ALG_ED448,
} lwm2m_key_alg;

typedef enum lwm2m_ec_curve {
    LWM2M_CURVE_NONE = 0, /* not an EC key, or (SEC1 only) no parameters given */
    LWM2M_CURVE_UNKNOWN,  /* parameters that are not one of the named curves below */
    LWM2M_CURVE_P256,     /* secp256r1, the curve of LwM2M's ECDHE_ECDSA cipher suites */
    LWM2M_CURVE_P384,
    LWM2M_CURVE_P521,
} lwm2m_ec_curve;

/* A SubjectPublicKeyInfo. */
typedef struct lwm2m_public_key {
    lwm2m_key_alg alg;
    lwm2m_ec_curve curve;  /* EC keys */
    size_t bits;           /* curve size, RSA modulus size, 255 or 448; 0 when unknown */
    lwm2m_bytes algorithm; /* contents of the algorithm OID */
    lwm2m_bytes key;       /* subjectPublicKey: EC point, Ed25519/Ed448 key, RSAPublicKey */
    lwm2m_bytes modulus;   /* RSA: modulus and public exponent (INTEGER contents) */
    lwm2m_bytes exponent;
    lwm2m_bytes spki; /* the whole SubjectPublicKeyInfo element */
} lwm2m_public_key;

/* An X.509 certificate. Times are seconds since the Unix epoch, UTC. */
typedef struct lwm2m_certificate {
    int version; /* 1, 2 or 3 */
    lwm2m_bytes tbs;
    lwm2m_bytes serial; /* INTEGER contents */
    lwm2m_bytes issuer; /* the Name elements, whole */
    lwm2m_bytes subject;
    lwm2m_bytes subject_cn; /* value of the subject's last commonName (the most specific one,
                               the one libcoap reports); empty when it has none */
    uint8_t subject_cn_tag; /* its string type: 0x0C UTF8String, 0x13 PrintableString, ... */
    int64_t not_before;
    int64_t not_after;
    lwm2m_public_key public_key;
    bool self_issued; /* issuer equals subject */
    int ca;           /* basicConstraints cA: 1 TRUE, 0 FALSE, -1 no basicConstraints */
} lwm2m_certificate;

typedef enum lwm2m_private_key_format {
    LWM2M_PRIVATE_KEY_PKCS8 = 1, /* PrivateKeyInfo / OneAsymmetricKey (RFC 5958) */
    LWM2M_PRIVATE_KEY_SEC1,      /* ECPrivateKey (RFC 5915) */
    LWM2M_PRIVATE_KEY_PKCS1,     /* RSAPrivateKey (RFC 8017 A.1.2) */
} lwm2m_private_key_format;

/* A private key, and the public parts its encoding carries (nothing is computed). */
typedef struct lwm2m_private_key {
    lwm2m_private_key_format format;
    lwm2m_key_alg alg;
    lwm2m_ec_curve curve; /* EC keys; NONE for a SEC1 key without parameters */
    size_t bits;
    lwm2m_bytes public_key; /* EC point (SEC1 publicKey) or OneAsymmetricKey's publicKey;
                               empty when the encoding does not carry it */
    lwm2m_bytes modulus;    /* RSA: modulus and public exponent */
    lwm2m_bytes exponent;
} lwm2m_private_key;

/* Each reads one whole DER element: LWM2M_OK, or LWM2M_ERR_INVALID with *why (may be NULL) a
 * static text naming what is wrong ("length runs past the end", ...). An unknown algorithm or
 * curve is not an error here: alg / curve say so, and the caller decides. */
int lwm2m_der_public_key(const uint8_t *der, size_t len, lwm2m_public_key *out, const char **why);
int lwm2m_der_certificate(const uint8_t *der, size_t len, lwm2m_certificate *out, const char **why);
int lwm2m_der_private_key(const uint8_t *der, size_t len, lwm2m_private_key *out, const char **why);

/* The text of a certificate's subject CN (cert->subject_cn: the subject's last commonName, the
 * most specific one; an identity is bound to it) as NUL-terminated UTF-8 in cn[0..cap).
 * UTF8String; PrintableString, IA5String and TeletexString when they are ASCII; BMPString and
 * UniversalString converted. The text must be valid UTF-8 without control characters.
 * LWM2M_OK; LWM2M_ERR_NOT_FOUND when the subject has no CN; LWM2M_ERR_INVALID for an empty
 * CN or one that is no such text; LWM2M_ERR_OVERFLOW when it needs more than cap - 1 bytes.
 * cn is "" unless LWM2M_OK. */
int lwm2m_der_subject_cn(const lwm2m_certificate *cert, char *cn, size_t cap);

/* Whether a private key and a public key can be a pair, as far as their encodings tell: the
 * same algorithm and curve and, when the private key carries its public parts, the same key.
 * NULL when they can, else a static text naming the difference. */
const char *lwm2m_der_key_mismatch(const lwm2m_private_key *priv, const lwm2m_public_key *pub);

/* The SubjectPublicKeyInfo of an EC, Ed25519 or Ed448 private key that carries its public key,
 * written to out. LWM2M_OK; LWM2M_ERR_NOT_FOUND when the key does not carry it or its curve is
 * not known; LWM2M_ERR_OVERFLOW when cap is too small. */
int lwm2m_der_spki_of(const lwm2m_private_key *priv, uint8_t *out, size_t cap, size_t *out_len);

/* The first PEM block of `text` (RFC 7468): its label (NUL-terminated, cut to label_cap) and
 * its base64 body decoded into out. LWM2M_OK; LWM2M_ERR_NOT_FOUND without a "-----BEGIN "
 * line; LWM2M_ERR_INVALID for a block without its END line or bad base64; LWM2M_ERR_OVERFLOW
 * when out is too small. */
int lwm2m_der_from_pem(const char *text, size_t len, char *label, size_t label_cap, uint8_t *out,
                       size_t cap, size_t *out_len);

/* The first PEM block of `text` labelled `label` ("CERTIFICATE", "PUBLIC KEY", ...; NULL:
 * any), blocks of other labels passed over, decoded into out as lwm2m_der_from_pem does.
 * *next (may be NULL) gets the offset just past its END line, where the blocks that follow
 * start. LWM2M_OK; LWM2M_ERR_NOT_FOUND when there is no such block; LWM2M_ERR_INVALID;
 * LWM2M_ERR_OVERFLOW (*out_len: the size needed). */
int lwm2m_der_pem_block(const char *text, size_t len, const char *label, uint8_t *out, size_t cap,
                        size_t *out_len, size_t *next);

/* der[0..len) as a PEM block labelled `label` (64 characters a line, LF line ends),
 * NUL-terminated in out[0..cap). *out_len gets its length without the NUL. LWM2M_OK, or
 * LWM2M_ERR_OVERFLOW when cap is smaller than *out_len + 1 (out may then be NULL, cap 0). */
int lwm2m_der_to_pem(const uint8_t *der, size_t len, const char *label, char *out, size_t cap,
                     size_t *out_len);

/* Whether `data` looks like PEM text (optional white space, then "-----BEGIN "). */
bool lwm2m_der_is_pem(const uint8_t *data, size_t len);

/* "2021-01-01T00:00:00Z" for a time of lwm2m_certificate (at least 21 bytes of room). */
void lwm2m_der_format_time(int64_t t, char *buf, size_t cap);

/* Static names: "EC", "RSA", ...; "P-256", ... */
const char *lwm2m_key_alg_name(lwm2m_key_alg alg);
const char *lwm2m_ec_curve_name(lwm2m_ec_curve curve);

#ifdef __cplusplus
}
#endif
#endif
