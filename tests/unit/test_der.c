/* The DER reader (src/core/der.c): real keys and certificates made by openssl
 * (tests/unit/der_vectors.h) read field by field; every strict prefix and every extension by
 * one byte refused; DER's length rules; targeted corruptions of a certificate and a key, each
 * refused with its reason; key pairs matched; the SPKI of a private key rebuilt byte-exact;
 * the subject CN as text (the servers' identity of a certificate: its last CN) in every
 * string type; PEM armour read, picked by label, iterated and written; time formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "der_vectors.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

/* 2020-01-01T00:00:00Z and 2021-01-01T00:00:00Z */
#define T_2020 1577836800
#define T_2021 1609459200

static bool bytes_are(lwm2m_bytes b, const void *data, size_t len)
{
    return b.len == len && memcmp(b.ptr, data, len) == 0;
}

/* Position of `needle` in `hay` (must be there), from `from` on. */
static size_t offset_of(const uint8_t *hay, size_t len, const void *needle, size_t n, size_t from)
{
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return i;
    fail_msg("pattern not found");
    return 0;
}

static void test_public_key(void **state)
{
    (void)state;
    lwm2m_public_key k;
    const char *why = NULL;
    assert_int_equal(lwm2m_der_public_key(RPK_PUB, sizeof RPK_PUB, &k, &why), LWM2M_OK);
    assert_int_equal(k.alg, LWM2M_KEY_ALG_EC);
    assert_int_equal(k.curve, LWM2M_CURVE_P256);
    assert_int_equal(k.bits, 256);
    assert_int_equal(k.key.len, 65);
    assert_int_equal(k.key.ptr[0], 0x04);
    assert_ptr_equal(k.key.ptr, RPK_PUB + sizeof RPK_PUB - 65);
    assert_true(bytes_are(k.spki, RPK_PUB, sizeof RPK_PUB));
    assert_string_equal(lwm2m_key_alg_name(k.alg), "EC");
    assert_string_equal(lwm2m_ec_curve_name(k.curve), "P-256");
    /* a certificate or a private key is no SubjectPublicKeyInfo */
    assert_int_equal(lwm2m_der_public_key(CERT, sizeof CERT, &k, &why), LWM2M_ERR_INVALID);
    assert_non_null(why);
    assert_int_equal(lwm2m_der_public_key(RPK_KEY, sizeof RPK_KEY, &k, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_der_public_key(NULL, 0, &k, &why), LWM2M_ERR_INVALID);
    assert_string_equal(why, "an element is missing");
}

static void test_certificate(void **state)
{
    (void)state;
    lwm2m_certificate c;
    const char *why = NULL;
    assert_int_equal(lwm2m_der_certificate(CERT, sizeof CERT, &c, &why), LWM2M_OK);
    assert_int_equal(c.version, 3);
    assert_true(bytes_are(c.subject_cn, "dev-der", 7));
    assert_int_equal(c.subject_cn_tag, 0x0C);
    assert_int_equal(c.not_before, T_2020);
    assert_int_equal(c.not_after, T_2021);
    assert_int_equal(c.public_key.alg, LWM2M_KEY_ALG_EC);
    assert_int_equal(c.public_key.curve, LWM2M_CURVE_P256);
    assert_int_equal(c.ca, 0); /* basicConstraints present, cA FALSE */
    assert_false(c.self_issued);
    assert_true(c.serial.len == 1 && c.serial.ptr[0] == 1);
    assert_ptr_equal(c.tbs.ptr, CERT + 4);
    offset_of(c.issuer.ptr, c.issuer.len, "ca test CA", 10, 0);
    /* the certificate's key is a SubjectPublicKeyInfo of its own */
    lwm2m_public_key k;
    assert_int_equal(lwm2m_der_public_key(c.public_key.spki.ptr, c.public_key.spki.len, &k, NULL),
                     LWM2M_OK);
    assert_true(bytes_are(k.key, c.public_key.key.ptr, c.public_key.key.len));

    assert_int_equal(lwm2m_der_certificate(CA_CERT, sizeof CA_CERT, &c, &why), LWM2M_OK);
    assert_int_equal(c.ca, 1);
    assert_true(c.self_issued);
    assert_true(bytes_are(c.subject_cn, "ca test CA", 10));
    assert_true(c.not_after > c.not_before);

    assert_int_equal(lwm2m_der_certificate(RPK_PUB, sizeof RPK_PUB, &c, &why), LWM2M_ERR_INVALID);
    assert_string_equal(why, "serialNumber: INTEGER expected");
}

static void test_private_keys(void **state)
{
    (void)state;
    lwm2m_private_key p8, sec1, ck;
    lwm2m_public_key pub;
    lwm2m_certificate cert;
    assert_int_equal(lwm2m_der_private_key(RPK_KEY, sizeof RPK_KEY, &p8, NULL), LWM2M_OK);
    assert_int_equal(p8.format, LWM2M_PRIVATE_KEY_PKCS8);
    assert_int_equal(p8.alg, LWM2M_KEY_ALG_EC);
    assert_int_equal(p8.curve, LWM2M_CURVE_P256);
    assert_int_equal(p8.public_key.len, 65);
    assert_int_equal(lwm2m_der_private_key(RPK_SEC1, sizeof RPK_SEC1, &sec1, NULL), LWM2M_OK);
    assert_int_equal(sec1.format, LWM2M_PRIVATE_KEY_SEC1);
    assert_int_equal(sec1.curve, LWM2M_CURVE_P256);
    assert_true(bytes_are(sec1.public_key, p8.public_key.ptr, p8.public_key.len));

    /* pairs */
    assert_int_equal(lwm2m_der_public_key(RPK_PUB, sizeof RPK_PUB, &pub, NULL), LWM2M_OK);
    assert_int_equal(lwm2m_der_certificate(CERT, sizeof CERT, &cert, NULL), LWM2M_OK);
    assert_int_equal(lwm2m_der_private_key(CERT_KEY, sizeof CERT_KEY, &ck, NULL), LWM2M_OK);
    assert_null(lwm2m_der_key_mismatch(&p8, &pub));
    assert_null(lwm2m_der_key_mismatch(&sec1, &pub));
    assert_null(lwm2m_der_key_mismatch(&ck, &cert.public_key));
    assert_non_null(lwm2m_der_key_mismatch(&ck, &pub));
    assert_non_null(lwm2m_der_key_mismatch(&p8, &cert.public_key));
    lwm2m_private_key other = p8;
    other.curve = LWM2M_CURVE_P384;
    assert_string_equal(lwm2m_der_key_mismatch(&other, &pub), "the keys are on different curves");
    other.alg = LWM2M_KEY_ALG_RSA;
    assert_string_equal(lwm2m_der_key_mismatch(&other, &pub),
                        "the keys are of different algorithms");

    /* the SPKI rebuilt from the key is the public key, byte for byte */
    uint8_t spki[128];
    size_t n = 0;
    assert_int_equal(lwm2m_der_spki_of(&p8, spki, sizeof spki, &n), LWM2M_OK);
    assert_int_equal(n, sizeof RPK_PUB);
    assert_memory_equal(spki, RPK_PUB, n);
    assert_int_equal(lwm2m_der_spki_of(&sec1, spki, 90, &n), LWM2M_ERR_OVERFLOW);
    assert_int_equal(n, sizeof RPK_PUB);
    other = p8;
    other.public_key.len = 0;
    assert_int_equal(lwm2m_der_spki_of(&other, spki, sizeof spki, &n), LWM2M_ERR_NOT_FOUND);

    /* a public key or a certificate is no private key */
    const char *why = NULL;
    assert_int_equal(lwm2m_der_private_key(RPK_PUB, sizeof RPK_PUB, &p8, &why), LWM2M_ERR_INVALID);
    assert_non_null(why);
    assert_int_equal(lwm2m_der_private_key(CERT, sizeof CERT, &p8, NULL), LWM2M_ERR_INVALID);
}

typedef int (*reader)(const uint8_t *, size_t, const char **);
static int read_spki(const uint8_t *d, size_t n, const char **why)
{
    lwm2m_public_key k;
    return lwm2m_der_public_key(d, n, &k, why);
}
static int read_cert(const uint8_t *d, size_t n, const char **why)
{
    lwm2m_certificate c;
    return lwm2m_der_certificate(d, n, &c, why);
}
static int read_key(const uint8_t *d, size_t n, const char **why)
{
    lwm2m_private_key k;
    return lwm2m_der_private_key(d, n, &k, why);
}

/* Every strict prefix, and the whole with one byte more, is refused; the input is copied to a
 * buffer of exactly that size so that a sanitizer sees any read past it. */
static void prefixes_fail(reader r, const uint8_t *der, size_t len)
{
    const char *why;
    assert_int_equal(r(der, len, &why), LWM2M_OK);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, der, n);
        why = NULL;
        assert_int_equal(r(copy, n, &why), LWM2M_ERR_INVALID);
        assert_non_null(why);
        free(copy);
    }
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, der, len);
    longer[len] = 0;
    assert_int_equal(r(longer, len + 1, &why), LWM2M_ERR_INVALID);
    assert_non_null(strstr(why, "bytes after"));
    free(longer);
}

static void test_prefixes_and_trailing_bytes(void **state)
{
    (void)state;
    prefixes_fail(read_spki, RPK_PUB, sizeof RPK_PUB);
    prefixes_fail(read_cert, CERT, sizeof CERT);
    prefixes_fail(read_cert, CA_CERT, sizeof CA_CERT);
    prefixes_fail(read_key, RPK_KEY, sizeof RPK_KEY);
    prefixes_fail(read_key, RPK_SEC1, sizeof RPK_SEC1);
    prefixes_fail(read_key, CERT_KEY, sizeof CERT_KEY);
}

static void expect_why(reader r, const uint8_t *der, size_t len, const char *reason)
{
    const char *why = NULL;
    if (r(der, len, &why) != LWM2M_ERR_INVALID)
        fail_msg("accepted, expected '%s'", reason);
    assert_non_null(why);
    if (strstr(why, reason) == NULL)
        fail_msg("reason '%s', expected '%s'", why, reason);
}

static void test_length_rules(void **state)
{
    (void)state;
    static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
    static const uint8_t long_short[] = {0x30, 0x81, 0x05, 0, 0, 0, 0, 0};
    static const uint8_t leading_zero[] = {0x30, 0x82, 0x00, 0x85};
    static const uint8_t huge[] = {0x30, 0x84, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t high_tag[] = {0x3F, 0x01, 0x00};
    static const uint8_t past_end[] = {0x30, 0x05, 0x02, 0x01, 0x00};
    static const uint8_t one_byte[] = {0x30};
    expect_why(read_spki, indefinite, sizeof indefinite, "indefinite length");
    expect_why(read_spki, long_short, sizeof long_short, "not minimally encoded");
    expect_why(read_spki, leading_zero, sizeof leading_zero, "not minimally encoded");
    expect_why(read_spki, huge, sizeof huge, "16 MiB");
    expect_why(read_spki, high_tag, sizeof high_tag, "high tag number");
    expect_why(read_spki, past_end, sizeof past_end, "runs past the end");
    expect_why(read_spki, one_byte, sizeof one_byte, "truncated element header");
    /* a long-form length of 128 bytes is fine when the bytes are there */
    uint8_t big[3 + 128];
    big[0] = 0x04;
    big[1] = 0x81;
    big[2] = 0x80;
    memset(big + 3, 0, 128);
    expect_why(read_spki, big, sizeof big, "SubjectPublicKeyInfo: SEQUENCE expected");
}

/* A copy of `der` with byte `at` set to `value`. */
static uint8_t *patched(const uint8_t *der, size_t len, size_t at, uint8_t value)
{
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, der, len);
    assert_true(at < len);
    copy[at] = value;
    return copy;
}

static void test_certificate_corruptions(void **state)
{
    (void)state;
    lwm2m_certificate c;
    size_t t = offset_of(CERT, sizeof CERT,
                         "\x17\x0d"
                         "200101",
                         8, 0);
    uint8_t *bad;

    bad = patched(CERT, sizeof CERT, t, 0x18); /* GeneralizedTime of UTCTime's length */
    expect_why(read_cert, bad, sizeof CERT, "GeneralizedTime not of the form");
    free(bad);
    bad = patched(CERT, sizeof CERT, t + 4, '1'); /* month 11 -> fine */
    assert_int_equal(lwm2m_der_certificate(bad, sizeof CERT, &c, NULL), LWM2M_OK);
    free(bad);
    bad = patched(CERT, sizeof CERT, t + 4, '3'); /* month 13 */
    bad[t + 5] = '3';
    expect_why(read_cert, bad, sizeof CERT, "out of range");
    free(bad);
    bad = patched(CERT, sizeof CERT, t + 2, '5'); /* "50...": 1950 (RFC 5280's pivot) */
    assert_int_equal(lwm2m_der_certificate(bad, sizeof CERT, &c, NULL), LWM2M_OK);
    assert_int_equal(c.not_before, -631152000);
    free(bad);
    bad = patched(CERT, sizeof CERT, t + 15 + 2, '1'); /* notAfter 2011 < notBefore */
    expect_why(read_cert, bad, sizeof CERT, "notAfter before notBefore");
    free(bad);
    bad = patched(CERT, sizeof CERT, t + 14, 'X'); /* no 'Z' */
    expect_why(read_cert, bad, sizeof CERT, "not of the form");
    free(bad);

    /* the outer signature algorithm must repeat the inner one */
    static const uint8_t ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    size_t inner = offset_of(CERT, sizeof CERT, ecdsa_sha256, 8, 0);
    size_t outer = offset_of(CERT, sizeof CERT, ecdsa_sha256, 8, inner + 1);
    bad = patched(CERT, sizeof CERT, outer + 7, 0x03);
    expect_why(read_cert, bad, sizeof CERT, "signatureAlgorithm differs");
    free(bad);

    /* version 4 */
    bad = patched(CERT, sizeof CERT, 12, 0x03);
    expect_why(read_cert, bad, sizeof CERT, "version");
    free(bad);

    /* the commonName as an INTEGER */
    size_t cn = offset_of(CERT, sizeof CERT,
                          "\x0c\x07"
                          "dev-der",
                          9, 0);
    bad = patched(CERT, sizeof CERT, cn, 0x02);
    expect_why(read_cert, bad, sizeof CERT, "commonName is not a string");
    free(bad);

    /* a malformed OID (sub-identifier with a leading 0x80) */
    bad = patched(CERT, sizeof CERT, inner, 0x80);
    expect_why(read_cert, bad, sizeof CERT, "malformed algorithm OID");
    free(bad);
}

static void test_key_corruptions(void **state)
{
    (void)state;
    lwm2m_public_key k;
    lwm2m_private_key p;
    uint8_t *bad;
    size_t point = sizeof RPK_PUB - 65;

    bad = patched(RPK_PUB, sizeof RPK_PUB, point, 0x05); /* no point form */
    expect_why(read_spki, bad, sizeof RPK_PUB, "not an uncompressed or compressed point");
    free(bad);
    bad = patched(RPK_PUB, sizeof RPK_PUB, point - 1, 0x01); /* unused bits */
    expect_why(read_spki, bad, sizeof RPK_PUB, "unused bits");
    free(bad);
    /* curve OID ...07 -> ...08: an EC key on a curve this reader does not name */
    static const uint8_t p256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    size_t curve = offset_of(RPK_PUB, sizeof RPK_PUB, p256, 8, 0);
    bad = patched(RPK_PUB, sizeof RPK_PUB, curve + 7, 0x08);
    assert_int_equal(lwm2m_der_public_key(bad, sizeof RPK_PUB, &k, NULL), LWM2M_OK);
    assert_int_equal(k.curve, LWM2M_CURVE_UNKNOWN);
    free(bad);
    /* ecPublicKey ...01 -> ...02: an algorithm this reader does not know */
    static const uint8_t ec[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
    size_t alg = offset_of(RPK_PUB, sizeof RPK_PUB, ec, 7, 0);
    bad = patched(RPK_PUB, sizeof RPK_PUB, alg + 6, 0x02);
    assert_int_equal(lwm2m_der_public_key(bad, sizeof RPK_PUB, &k, NULL), LWM2M_OK);
    assert_int_equal(k.alg, LWM2M_KEY_ALG_UNKNOWN);
    free(bad);

    /* PKCS#8 version 2, SEC1 version 0 */
    bad = patched(RPK_KEY, sizeof RPK_KEY, 4, 0x02);
    expect_why(read_key, bad, sizeof RPK_KEY, "version 0 or 1 expected");
    free(bad);
    bad = patched(RPK_SEC1, sizeof RPK_SEC1, 4, 0x00);
    expect_why(read_key, bad, sizeof RPK_SEC1, "version 1 expected");
    free(bad);
    /* a private scalar longer than the curve: the SEC1 key's OCTET STRING length 32 -> 33
     * makes the parameters part of the key, which then run short */
    bad = patched(RPK_SEC1, sizeof RPK_SEC1, 6, 33);
    assert_int_equal(lwm2m_der_private_key(bad, sizeof RPK_SEC1, &p, NULL), LWM2M_ERR_INVALID);
    free(bad);
    /* the public point inside the key corrupted: it no longer matches the SPKI */
    bad =
        patched(RPK_SEC1, sizeof RPK_SEC1, sizeof RPK_SEC1 - 1, RPK_SEC1[sizeof RPK_SEC1 - 1] ^ 1);
    assert_int_equal(lwm2m_der_private_key(bad, sizeof RPK_SEC1, &p, NULL), LWM2M_OK);
    assert_int_equal(lwm2m_der_public_key(RPK_PUB, sizeof RPK_PUB, &k, NULL), LWM2M_OK);
    assert_string_equal(lwm2m_der_key_mismatch(&p, &k),
                        "the private key's public point differs from the public key");
    free(bad);
}

/* ---- the subject CN as text ---- */

/* A tiny DER writer for synthetic certificates. */
typedef struct der_buf {
    uint8_t b[1024];
    size_t n;
} der_buf;

/* tag, length, then in[0..len) */
static void put_tlv(der_buf *out, uint8_t tag, const void *in, size_t len)
{
    assert_true(len < 0x10000 && out->n + len + 4 <= sizeof out->b);
    out->b[out->n++] = tag;
    if (len >= 0x100) {
        out->b[out->n++] = 0x82;
        out->b[out->n++] = (uint8_t)(len >> 8);
    } else if (len >= 0x80) {
        out->b[out->n++] = 0x81;
    }
    out->b[out->n++] = (uint8_t)len;
    if (len > 0)
        memcpy(out->b + out->n, in, len);
    out->n += len;
}

/* Appends one AttributeTypeAndValue (type 2.5.4.`attr`) SEQUENCE to `set`. */
static void put_atv(der_buf *set, uint8_t attr, uint8_t string_tag, const void *text, size_t len)
{
    der_buf atv = {{0}, 0};
    const uint8_t oid[] = {0x55, 0x04, attr};
    put_tlv(&atv, 0x06, oid, sizeof oid);
    put_tlv(&atv, string_tag, text, len);
    put_tlv(set, 0x30, atv.b, atv.n);
}

/* Appends an RDN of one attribute to `name` (a Name's contents). */
static void put_rdn(der_buf *name, uint8_t attr, uint8_t string_tag, const void *text, size_t len)
{
    der_buf set = {{0}, 0};
    put_atv(&set, attr, string_tag, text, len);
    put_tlv(name, 0x31, set.b, set.n);
}

/* A well-formed certificate whose subject is `subject` (a Name's contents), with RPK_PUB as
 * its key and a signature nobody checks here. */
static void cert_with_subject(const der_buf *subject, der_buf *cert)
{
    der_buf tbs = {{0}, 0}, body = {{0}, 0}, issuer = {{0}, 0}, validity = {{0}, 0};
    static const uint8_t version[] = {0x02, 0x01, 0x02}, serial[] = {0x01};
    static const uint8_t ed25519[] = {0x06, 0x03, 0x2B, 0x65, 0x70}, sig[] = {0x00, 0x01};
    put_tlv(&tbs, 0xA0, version, sizeof version);
    put_tlv(&tbs, 0x02, serial, sizeof serial);
    put_tlv(&tbs, 0x30, ed25519, sizeof ed25519);
    put_rdn(&issuer, 3, 0x0C, "ca", 2);
    put_tlv(&tbs, 0x30, issuer.b, issuer.n);
    put_tlv(&validity, 0x17, "200101000000Z", 13);
    put_tlv(&validity, 0x17, "210101000000Z", 13);
    put_tlv(&tbs, 0x30, validity.b, validity.n);
    put_tlv(&tbs, 0x30, subject->b, subject->n);
    assert_true(tbs.n + sizeof RPK_PUB <= sizeof tbs.b);
    memcpy(tbs.b + tbs.n, RPK_PUB, sizeof RPK_PUB);
    tbs.n += sizeof RPK_PUB;
    put_tlv(&body, 0x30, tbs.b, tbs.n);
    put_tlv(&body, 0x30, ed25519, sizeof ed25519);
    put_tlv(&body, 0x03, sig, sizeof sig);
    memset(cert, 0, sizeof *cert);
    put_tlv(cert, 0x30, body.b, body.n);
}

/* The CN text of a synthetic certificate with this subject: its return code, text in cn. */
static int cn_of(const der_buf *subject, char *cn, size_t cap)
{
    der_buf cert;
    lwm2m_certificate c;
    const char *why = NULL;
    cert_with_subject(subject, &cert);
    if (lwm2m_der_certificate(cert.b, cert.n, &c, &why) != LWM2M_OK)
        fail_msg("synthetic certificate refused: %s", why);
    return lwm2m_der_subject_cn(&c, cn, cap);
}

static void test_subject_cn_real_certificates(void **state)
{
    (void)state;
    lwm2m_certificate c;
    char cn[64];
    assert_int_equal(lwm2m_der_certificate(CERT, sizeof CERT, &c, NULL), LWM2M_OK);
    assert_int_equal(lwm2m_der_subject_cn(&c, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "dev-der"); /* the subject's, not the issuer's "ca test CA" */
    assert_int_equal(lwm2m_der_subject_cn(&c, cn, 7), LWM2M_ERR_OVERFLOW);
    assert_string_equal(cn, "");
    assert_int_equal(lwm2m_der_subject_cn(&c, cn, 8), LWM2M_OK);
    assert_string_equal(cn, "dev-der");
    assert_int_equal(lwm2m_der_subject_cn(&c, cn, 0), LWM2M_ERR_OVERFLOW);
    assert_int_equal(lwm2m_der_certificate(CA_CERT, sizeof CA_CERT, &c, NULL), LWM2M_OK);
    assert_int_equal(lwm2m_der_subject_cn(&c, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "ca test CA");
}

static void test_subject_cn_forms(void **state)
{
    (void)state;
    der_buf name = {{0}, 0};
    char cn[64];
    /* several attributes, two CNs: the last (most specific) one */
    put_rdn(&name, 10, 0x13, "Acme", 4); /* O */
    put_rdn(&name, 3, 0x13, "first", 5);
    put_rdn(&name, 3, 0x0C, "urn:dev:last", 12);
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "urn:dev:last");
    /* the last CN also inside a multi-valued RDN; an earlier CN does not count at all */
    memset(&name, 0, sizeof name);
    put_rdn(&name, 3, 0x0C, "bad\n", 4);
    der_buf set = {{0}, 0};
    put_atv(&set, 3, 0x0C, "a", 1);
    put_atv(&set, 3, 0x16, "dev-7", 5);
    put_tlv(&name, 0x31, set.b, set.n);
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "dev-7");

    /* BMPString and UniversalString to UTF-8; TeletexString when it is ASCII */
    memset(&name, 0, sizeof name);
    static const uint8_t bmp[] = {0x00, 'd', 0x00, 0xE9, 0x20, 0xAC}; /* d, e acute, euro */
    put_rdn(&name, 3, 0x1E, bmp, sizeof bmp);
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "d\xC3\xA9\xE2\x82\xAC");
    assert_int_equal(cn_of(&name, cn, 6), LWM2M_ERR_OVERFLOW); /* 6 bytes and the NUL */
    assert_string_equal(cn, "");
    memset(&name, 0, sizeof name);
    static const uint8_t universal[] = {0, 0, 0, 'x', 0, 1, 0xF6, 0x00}; /* x, U+1F600 */
    put_rdn(&name, 3, 0x1C, universal, sizeof universal);
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "x\xF0\x9F\x98\x80");
    memset(&name, 0, sizeof name);
    put_rdn(&name, 3, 0x14, "dev 1", 5);
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "dev 1");

    /* no CN */
    memset(&name, 0, sizeof name);
    put_rdn(&name, 10, 0x13, "Acme", 4);
    strcpy(cn, "stale");
    assert_int_equal(cn_of(&name, cn, sizeof cn), LWM2M_ERR_NOT_FOUND);
    assert_string_equal(cn, "");

    /* a control character, invalid UTF-8, an empty CN, non-ASCII in the ASCII types, a lone
     * surrogate, a code point above U+10FFFF, a BMPString of an odd length */
    static const struct {
        uint8_t tag;
        const char *text;
        size_t len;
    } bad[] = {{0x0C, "dev\n1", 5},           {0x0C, "dev\x7F", 4},
               {0x0C, "\xC3\x28", 2},         {0x0C, "", 0},
               {0x13, "caf\xE9", 4},          {0x16, "caf\xC3\xA9", 5},
               {0x14, "\xC3\xA9", 2},         {0x1E, "\xD8\x00", 2},
               {0x1C, "\x00\x11\x00\x00", 4}, {0x1E, "\x00\x41\x00", 3},
               {0x1E, "\x00\x0A", 2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&name, 0, sizeof name);
        put_rdn(&name, 3, bad[i].tag, bad[i].text, bad[i].len);
        strcpy(cn, "stale");
        if (cn_of(&name, cn, sizeof cn) != LWM2M_ERR_INVALID)
            fail_msg("case %zu: CN '%s' accepted", i, cn);
        assert_string_equal(cn, "");
    }
    /* a CN that is no string at all: the certificate itself is refused */
    memset(&name, 0, sizeof name);
    put_rdn(&name, 3, 0x02, "\x01", 1);
    der_buf cert;
    cert_with_subject(&name, &cert);
    expect_why(read_cert, cert.b, cert.n, "commonName is not a string");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* PEM text of `der` with `label`, 64 columns, into out (NUL-terminated). */
static size_t pem_of(const char *label, const uint8_t *der, size_t len, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0) |
                     (i + 2 < len ? der[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < len ? b64[v >> 6 & 63] : '=',
                     i + 2 < len ? b64[v & 63] : '='};
        assert_true(n + 6 < cap);
        memcpy(out + n, q, 4);
        n += 4;
        if ((col += 4) == 64) {
            out[n++] = '\n';
            col = 0;
        }
    }
    n += (size_t)snprintf(out + n, cap - n, "%s-----END %s-----\n", col ? "\n" : "", label);
    assert_true(n < cap);
    return n;
}

static void test_pem(void **state)
{
    (void)state;
    char text[1024], label[32];
    uint8_t der[512];
    size_t n, len;
    /* every vector, with text before the block (RFC 7468 allows it) */
    const uint8_t *vectors[] = {CERT, CA_CERT, RPK_PUB, RPK_KEY, RPK_SEC1, CERT_KEY};
    const size_t sizes[] = {sizeof CERT,    sizeof CA_CERT,  sizeof RPK_PUB,
                            sizeof RPK_KEY, sizeof RPK_SEC1, sizeof CERT_KEY};
    for (size_t v = 0; v < 6; v++) {
        size_t pre = (size_t)snprintf(text, sizeof text, "Subject: x\r\n");
        len = pre + pem_of("CERTIFICATE", vectors[v], sizes[v], text + pre, sizeof text - pre);
        assert_true(lwm2m_der_is_pem((const uint8_t *)text + pre, len - pre));
        assert_int_equal(lwm2m_der_from_pem(text, len, label, sizeof label, der, sizeof der, &n),
                         LWM2M_OK);
        assert_string_equal(label, "CERTIFICATE");
        assert_int_equal(n, sizes[v]);
        assert_memory_equal(der, vectors[v], n);
    }
    len = pem_of("EC PRIVATE KEY", RPK_SEC1, sizeof RPK_SEC1, text, sizeof text);
    assert_int_equal(lwm2m_der_from_pem(text, len, label, sizeof label, der, sizeof der, &n),
                     LWM2M_OK);
    assert_string_equal(label, "EC PRIVATE KEY");
    /* too small: the size needed is told */
    assert_int_equal(lwm2m_der_from_pem(text, len, label, sizeof label, der, 10, &n),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(n, sizeof RPK_SEC1);
    /* no block, no END line, another END label, a bad character, bad padding */
    assert_int_equal(lwm2m_der_from_pem("hello", 5, label, sizeof label, der, sizeof der, &n),
                     LWM2M_ERR_NOT_FOUND);
    assert_false(lwm2m_der_is_pem(RPK_PUB, sizeof RPK_PUB));
    static const char *const bad[] = {
        "-----BEGIN X-----\nAAAA\n",
        "-----BEGIN X-----\nAAAA\n-----END Y-----\n",
        "-----BEGIN X-----\nAA*A\n-----END X-----\n",
        "-----BEGIN X-----\nA===\n-----END X-----\n",
        "-----BEGIN X-----\nAA=A\n-----END X-----\n",
        "-----BEGIN X-----\nAAAAA\n-----END X-----\n",
        "-----BEGIN X\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(
            lwm2m_der_from_pem(bad[i], strlen(bad[i]), label, sizeof label, der, sizeof der, &n),
            LWM2M_ERR_INVALID);
    const char *ok = "  \n-----BEGIN X-----\r\nAAE=\r\n-----END X-----";
    assert_true(lwm2m_der_is_pem((const uint8_t *)ok, strlen(ok)));
    assert_int_equal(lwm2m_der_from_pem(ok, strlen(ok), label, 2, der, sizeof der, &n), LWM2M_OK);
    assert_int_equal(n, 2);
    assert_true(der[0] == 0 && der[1] == 1);
    assert_string_equal(label, "X");
}

/* A SEC1 key without its [1] public key (openssl ec -no_public): nothing to build an SPKI of. */
static const uint8_t SEC1_NO_PUBLIC[] = {
    0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20, 0xBF, 0x9F, 0x65, 0x6C, 0x96, 0xD0,
    0x3C, 0xB3, 0x03, 0x8E, 0x65, 0x5B, 0xDE, 0xB9, 0x9D, 0x5C, 0xDE, 0xD4, 0x87,
    0x1B, 0x6A, 0xD7, 0xE1, 0xDF, 0xE8, 0xDA, 0x9B, 0x11, 0x06, 0x86, 0x22, 0x3D,
    0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

static void test_spki_of_key_without_public_key(void **state)
{
    (void)state;
    lwm2m_private_key p;
    uint8_t spki[128];
    size_t n = 0;
    assert_int_equal(lwm2m_der_private_key(SEC1_NO_PUBLIC, sizeof SEC1_NO_PUBLIC, &p, NULL),
                     LWM2M_OK);
    assert_int_equal(p.curve, LWM2M_CURVE_P256);
    assert_int_equal(p.public_key.len, 0);
    assert_int_equal(lwm2m_der_spki_of(&p, spki, sizeof spki, &n), LWM2M_ERR_NOT_FOUND);
}

static void test_pem_blocks(void **state)
{
    (void)state;
    char text[2048], two[4096];
    uint8_t der[512];
    size_t len = 0, n = 0, next = 0;
    /* written: 64 columns, LF, padding; the size needed told when it does not fit */
    assert_int_equal(lwm2m_der_to_pem(RPK_PUB, sizeof RPK_PUB, "PUBLIC KEY", NULL, 0, &len),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(lwm2m_der_to_pem(RPK_PUB, sizeof RPK_PUB, "PUBLIC KEY", text, len, &n),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(n, len);
    assert_int_equal(lwm2m_der_to_pem(RPK_PUB, sizeof RPK_PUB, "PUBLIC KEY", text, len + 1, &n),
                     LWM2M_OK);
    assert_int_equal(strlen(text), len);
    char want[1024];
    assert_int_equal(pem_of("PUBLIC KEY", RPK_PUB, sizeof RPK_PUB, want, sizeof want), len);
    assert_string_equal(text, want);
    /* every vector written and read back (48-byte multiples included: one line break) */
    const uint8_t *vectors[] = {CERT, CA_CERT, RPK_PUB, RPK_KEY, RPK_SEC1, CERT_KEY};
    const size_t sizes[] = {sizeof CERT,    sizeof CA_CERT,  sizeof RPK_PUB,
                            sizeof RPK_KEY, sizeof RPK_SEC1, sizeof CERT_KEY};
    for (size_t v = 0; v < 6; v++) {
        const size_t cuts[] = {1, 2, 3, 47, 48, 49, sizes[v] - 1, sizes[v]};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            assert_int_equal(lwm2m_der_to_pem(vectors[v], cuts[i], "X", text, sizeof text, &len),
                             LWM2M_OK);
            assert_int_equal(pem_of("X", vectors[v], cuts[i], want, sizeof want), len);
            assert_string_equal(text, want);
        }
    }
    assert_int_equal(lwm2m_der_to_pem(RPK_PUB, 0, "EMPTY", text, sizeof text, &len), LWM2M_OK);
    assert_string_equal(text, "-----BEGIN EMPTY-----\n-----END EMPTY-----\n");

    /* a file of several blocks: each by its label, CRLF line ends, text between them */
    size_t at = (size_t)snprintf(two, sizeof two,
                                 "-----BEGIN PRIVATE KEY-----\r\nAAEC\r\n-----END PRIVATE "
                                 "KEY-----\r\nnotes\r\n");
    at += pem_of("CERTIFICATE", CERT, sizeof CERT, two + at, sizeof two - at);
    at += pem_of("PUBLIC KEY", RPK_PUB, sizeof RPK_PUB, two + at, sizeof two - at);
    at += pem_of("CERTIFICATE", CA_CERT, sizeof CA_CERT, two + at, sizeof two - at);
    assert_int_equal(lwm2m_der_pem_block(two, at, "PUBLIC KEY", der, sizeof der, &n, NULL),
                     LWM2M_OK);
    assert_int_equal(n, sizeof RPK_PUB);
    assert_memory_equal(der, RPK_PUB, n);
    assert_int_equal(lwm2m_der_pem_block(two, at, "PRIVATE KEY", der, sizeof der, &n, NULL),
                     LWM2M_OK);
    assert_int_equal(n, 3);
    assert_int_equal(lwm2m_der_pem_block(two, at, NULL, der, sizeof der, &n, NULL), LWM2M_OK);
    assert_int_equal(n, 3); /* any label: the first block */
    assert_int_equal(lwm2m_der_pem_block(two, at, "EC PRIVATE KEY", der, sizeof der, &n, NULL),
                     LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_der_pem_block(two, at, "PRIVATE", der, sizeof der, &n, NULL),
                     LWM2M_ERR_NOT_FOUND); /* a label is matched whole */
    /* iterated: the certificates in order, then none */
    const uint8_t *certs[] = {CERT, CA_CERT};
    const size_t cert_sizes[] = {sizeof CERT, sizeof CA_CERT};
    size_t from = 0;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(
            lwm2m_der_pem_block(two + from, at - from, "CERTIFICATE", der, sizeof der, &n, &next),
            LWM2M_OK);
        assert_int_equal(n, cert_sizes[i]);
        assert_memory_equal(der, certs[i], n);
        assert_true(next > 0 && next <= at - from);
        assert_memory_equal(two + from + next - 5, "-----", 5);
        from += next;
    }
    assert_int_equal(
        lwm2m_der_pem_block(two + from, at - from, "CERTIFICATE", der, sizeof der, &n, &next),
        LWM2M_ERR_NOT_FOUND);
    /* too small: the size needed; no END line; a malformed label */
    assert_int_equal(lwm2m_der_pem_block(two, at, "CERTIFICATE", der, 10, &n, NULL),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(n, sizeof CERT);
    len = pem_of("PUBLIC KEY", RPK_PUB, sizeof RPK_PUB, text, sizeof text);
    assert_int_equal(lwm2m_der_pem_block(text, len - 26, "PUBLIC KEY", der, sizeof der, &n, NULL),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_der_pem_block("-----BEGIN X", 12, "X", der, sizeof der, &n, NULL),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_der_pem_block("", 0, NULL, der, sizeof der, &n, NULL),
                     LWM2M_ERR_NOT_FOUND);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[32];
    lwm2m_der_format_time(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    lwm2m_der_format_time(T_2021, buf, sizeof buf);
    assert_string_equal(buf, "2021-01-01T00:00:00Z");
    lwm2m_der_format_time(951782400 + 3661, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T01:01:01Z");
    lwm2m_der_format_time(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

/* GnuTLS 3.7 writes an EC scalar whose first byte is >= 0x80 with a 0x00 before it (33 bytes for
 * P-256): accepted, as real devices carry such keys. Two zeros, or a 33rd byte that is not a
 * sign byte, are still refused. */
static void ec_scalar_with_sign_byte(void **state)
{
    (void)state;
    uint8_t key[] = {0x30, 0x78, 0x02, 0x01, 0x01, 0x04, 0x21, 0x00, 0x95, 0xa3, 0xe3, 0x03, 0x3e,
                     0x3c, 0xdc, 0x74, 0x99, 0x32, 0x34, 0x88, 0x2a, 0x12, 0xff, 0xf0, 0xc4, 0x30,
                     0xd6, 0x2f, 0x48, 0xaf, 0x42, 0xc0, 0x0d, 0xd4, 0xb3, 0xbd, 0x90, 0xce, 0x26,
                     0xcb, 0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
                     0xa1, 0x44, 0x03, 0x42, 0x00, 0x04, 0x65, 0xd4, 0xc2, 0xc0, 0xaf, 0x59, 0x52,
                     0x20, 0x3c, 0xba, 0xba, 0x41, 0xa3, 0x0e, 0x49, 0xfa, 0x69, 0x26, 0x88, 0xe5,
                     0x60, 0xcb, 0x36, 0xea, 0x26, 0x14, 0xb9, 0x46, 0xb1, 0x2e, 0x45, 0x45, 0x20,
                     0xd3, 0xfb, 0x28, 0xf4, 0x35, 0xdb, 0xdc, 0x20, 0x82, 0x28, 0xa8, 0xc0, 0x64,
                     0x3d, 0x97, 0x0a, 0x5f, 0x88, 0x6e, 0x1e, 0x91, 0xa7, 0xc1, 0xa1, 0x25, 0x4f,
                     0x77, 0x1a, 0xf0, 0xb1, 0x19};
    lwm2m_private_key priv;
    const char *why = NULL;
    assert_int_equal(lwm2m_der_private_key(key, sizeof key, &priv, &why), LWM2M_OK);
    assert_int_equal(priv.bits, 256);
    key[7] = 0x01; /* a 33-byte scalar without a sign byte: too long */
    assert_int_not_equal(lwm2m_der_private_key(key, sizeof key, &priv, &why), LWM2M_OK);
    assert_non_null(strstr(why, "wrong size"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ec_scalar_with_sign_byte),
        cmocka_unit_test(test_public_key),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_private_keys),
        cmocka_unit_test(test_prefixes_and_trailing_bytes),
        cmocka_unit_test(test_length_rules),
        cmocka_unit_test(test_certificate_corruptions),
        cmocka_unit_test(test_key_corruptions),
        cmocka_unit_test(test_subject_cn_real_certificates),
        cmocka_unit_test(test_subject_cn_forms),
        cmocka_unit_test(test_pem),
        cmocka_unit_test(test_pem_blocks),
        cmocka_unit_test(test_spki_of_key_without_public_key),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
