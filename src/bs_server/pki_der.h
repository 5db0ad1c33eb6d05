/* Internal: the little DER and PEM both servers need for their DTLS RPK and X.509 peers and
 * their own keys. Bounded readers of untrusted bytes, no allocation, no cryptography:
 * signatures and chains are GnuTLS's business (through libcoap), these only name things.
 *   - a SubjectPublicKeyInfo (RFC 5280 4.1.2.7): the RPK of a client, checked for shape;
 *   - the subject CN of an X.509 certificate: what a certificate is bound to an endpoint by;
 *   - the SubjectPublicKeyInfo of an EC private key (PKCS#8 / RFC 5958 or SEC1 / RFC 5915),
 *     taken from the public key the key file carries: a server's RPK from its key file;
 *   - PEM blocks (RFC 7468) to DER and back. */
#ifndef LWM2M_BS_SERVER_PKI_DER_H
#define LWM2M_BS_SERVER_PKI_DER_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/buf.h"

/* Longest SubjectPublicKeyInfo kept for a client. */
#define LWM2M_PKI_PUBLIC_KEY_MAX LWM2M_PUBLIC_KEY_MAX
/* Longest subject CN taken from a certificate: an endpoint name's limit. */
#define LWM2M_PKI_CN_MAX 255

/* 0 when der[0..len) is exactly one SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID, ... },
 * BIT STRING }; LWM2M_ERR_INVALID otherwise (`why`, may be NULL, says what is wrong). */
int lwm2m_pki_spki_check(const uint8_t *der, size_t len, const char **why);

/* The subject CN of an X.509 certificate (DER) into cn[0..cap), NUL-terminated: the last CN
 * attribute of the subject (the most specific one). UTF8String, PrintableString, IA5String,
 * TeletexString (ASCII only) and BMPString (converted to UTF-8) are read; the text must be
 * valid UTF-8 without control characters. 0; LWM2M_ERR_NOT_FOUND when the subject has no CN;
 * LWM2M_ERR_INVALID for a malformed certificate or CN; LWM2M_ERR_OVERFLOW when the CN does
 * not fit (cap - 1 bytes at most). */
int lwm2m_pki_cert_subject_cn(const uint8_t *der, size_t len, char *cn, size_t cap);

/* The SubjectPublicKeyInfo of an EC private key (PKCS#8 PrivateKeyInfo, or a bare SEC1
 * ECPrivateKey with its curve), built from the public key the key carries, into
 * out[0..cap). 0; LWM2M_ERR_NOT_FOUND when the key carries no public key (or is not EC);
 * LWM2M_ERR_INVALID when malformed; LWM2M_ERR_OVERFLOW when it does not fit. */
int lwm2m_pki_ec_key_spki(const uint8_t *der, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len);

/* The first PEM block labelled `label` ("CERTIFICATE", "PUBLIC KEY", ...; NULL: any) of
 * text[0..len), its base64 body decoded into out[0..cap). 0; LWM2M_ERR_NOT_FOUND when there
 * is none; LWM2M_ERR_INVALID for a block without its END line or with bad base64;
 * LWM2M_ERR_OVERFLOW when it does not fit. */
int lwm2m_pki_pem_decode(const char *text, size_t len, const char *label, uint8_t *out, size_t cap,
                         size_t *out_len);

/* Appends der[0..len) as a PEM block labelled `label` (64 characters a line). */
void lwm2m_pki_pem_encode(const uint8_t *der, size_t len, const char *label, lwm2m_buf *out);

/* True when data[0..len) starts, after white space, with "-----BEGIN ". */
int lwm2m_pki_is_pem(const uint8_t *data, size_t len);

#endif
