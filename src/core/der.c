/* The DER reader of include/lwm2m/der.h. One cursor walks each element: a TLV is read only
 * when its whole length lies inside what is left of its container, so nothing below reads
 * past `len`. */
#include "lwm2m/der.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "lwm2m/error.h"

enum {
    TAG_BOOLEAN = 0x01,
    TAG_INTEGER = 0x02,
    TAG_BIT_STRING = 0x03,
    TAG_OCTET_STRING = 0x04,
    TAG_NULL = 0x05,
    TAG_OID = 0x06,
    TAG_UTF8_STRING = 0x0C,
    TAG_PRINTABLE_STRING = 0x13,
    TAG_TELETEX_STRING = 0x14,
    TAG_IA5_STRING = 0x16,
    TAG_UTC_TIME = 0x17,
    TAG_GENERALIZED_TIME = 0x18,
    TAG_UNIVERSAL_STRING = 0x1C,
    TAG_BMP_STRING = 0x1E,
    TAG_SEQUENCE = 0x30,
    TAG_SET = 0x31,
    TAG_CTX0 = 0xA0, /* [0] constructed */
    TAG_CTX1 = 0xA1,
    TAG_CTX3 = 0xA3,
    TAG_CTX1_PRIM = 0x81, /* [1] IMPLICIT of a primitive type */
    TAG_CTX2_PRIM = 0x82,
};

static const uint8_t OID_EC_PUBLIC_KEY[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
static const uint8_t OID_RSA[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
static const uint8_t OID_ED25519[] = {0x2B, 0x65, 0x70};
static const uint8_t OID_ED448[] = {0x2B, 0x65, 0x71};
static const uint8_t OID_P256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_P521[] = {0x2B, 0x81, 0x04, 0x00, 0x23};
static const uint8_t OID_COMMON_NAME[] = {0x55, 0x04, 0x03};
static const uint8_t OID_BASIC_CONSTRAINTS[] = {0x55, 0x1D, 0x13};

typedef struct tlv {
    uint8_t tag;
    const uint8_t *body;
    size_t len;
    const uint8_t *start; /* the header */
    size_t total;         /* header + body */
} tlv;

typedef struct cursor {
    const uint8_t *p;
    size_t left;
} cursor;

static bool fail(const char **why, const char *reason)
{
    *why = reason;
    return false;
}

static cursor inside(const tlv *t)
{
    cursor c = {t->body, t->len};
    return c;
}

static lwm2m_bytes bytes_of(const uint8_t *p, size_t len)
{
    lwm2m_bytes b = {p, len};
    return b;
}

static bool same_bytes(lwm2m_bytes a, lwm2m_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The next element of `c`, which must lie wholly inside it. */
static bool next(cursor *c, tlv *t, const char **why)
{
    if (c->left == 0)
        return fail(why, "an element is missing");
    if (c->left < 2)
        return fail(why, "truncated element header");
    const uint8_t *p = c->p;
    if ((p[0] & 0x1F) == 0x1F)
        return fail(why, "high tag number (not used by these structures)");
    size_t hdr = 2, len = p[1];
    if (len & 0x80) {
        size_t n = len & 0x7F;
        if (n == 0)
            return fail(why, "indefinite length (BER, not DER)");
        if (n > 3)
            return fail(why, "length of 16 MiB or more");
        if (c->left - 2 < n)
            return fail(why, "truncated length");
        if (p[2] == 0)
            return fail(why, "length not minimally encoded (not DER)");
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | p[2 + i];
        if (len < 0x80)
            return fail(why, "length not minimally encoded (not DER)");
        hdr += n;
    }
    if (len > c->left - hdr)
        return fail(why, "length runs past the end");
    t->tag = p[0];
    t->start = p;
    t->body = p + hdr;
    t->len = len;
    t->total = hdr + len;
    c->p += hdr + len;
    c->left -= hdr + len;
    return true;
}

/* The next element, which must have tag `tag` (else fails with `wrong`). */
static bool expect(cursor *c, uint8_t tag, tlv *t, const char **why, const char *wrong)
{
    if (!next(c, t, why))
        return false;
    return t->tag == tag || fail(why, wrong);
}

static bool peek(const cursor *c, uint8_t tag)
{
    return c->left > 0 && c->p[0] == tag;
}

static bool oid_is(const tlv *t, const uint8_t *oid, size_t n)
{
    return t->len == n && memcmp(t->body, oid, n) == 0;
}

/* An OID's contents: at least one byte, sub-identifiers minimal, the last one complete. */
static bool oid_ok(const tlv *t)
{
    if (t->len == 0 || (t->body[t->len - 1] & 0x80))
        return false;
    bool start = true;
    for (size_t i = 0; i < t->len; i++) {
        if (start && t->body[i] == 0x80)
            return false;
        start = !(t->body[i] & 0x80);
    }
    return true;
}

/* An INTEGER's contents: at least one byte, no redundant leading byte. */
static bool integer_ok(const tlv *t)
{
    if (t->len == 0)
        return false;
    if (t->len > 1 && ((t->body[0] == 0x00 && !(t->body[1] & 0x80)) ||
                       (t->body[0] == 0xFF && (t->body[1] & 0x80))))
        return false;
    return true;
}

static bool positive_integer(cursor *c, tlv *t, const char **why, const char *what)
{
    if (!expect(c, TAG_INTEGER, t, why, what))
        return false;
    if (!integer_ok(t) || (t->body[0] & 0x80) || (t->len == 1 && t->body[0] == 0))
        return fail(why, what);
    return true;
}

/* Bits of a positive integer's value. */
static size_t integer_bits(lwm2m_bytes b)
{
    size_t i = 0;
    while (i < b.len && b.ptr[i] == 0)
        i++;
    if (i == b.len)
        return 0;
    size_t bits = (b.len - i - 1) * 8;
    for (uint8_t top = b.ptr[i]; top != 0; top >>= 1)
        bits++;
    return bits;
}

/* A small non-negative INTEGER (version numbers). */
static bool small_integer(cursor *c, unsigned max, unsigned *v, const char **why, const char *what)
{
    tlv t;
    if (!expect(c, TAG_INTEGER, &t, why, what))
        return false;
    if (t.len != 1 || t.body[0] > max)
        return fail(why, what);
    *v = t.body[0];
    return true;
}

/* A BIT STRING holding whole bytes (keys, signatures): its bytes after the unused-bits count. */
static bool bit_bytes(const tlv *t, lwm2m_bytes *out, const char **why)
{
    if (t->len == 0)
        return fail(why, "empty BIT STRING");
    if (t->body[0] != 0)
        return fail(why, "BIT STRING with unused bits where whole bytes are expected");
    *out = bytes_of(t->body + 1, t->len - 1);
    return true;
}

typedef struct algid {
    tlv whole;
    tlv oid;
    bool has_params;
    tlv params;
} algid;

static bool read_algid(cursor *c, algid *a, const char **why)
{
    if (!expect(c, TAG_SEQUENCE, &a->whole, why, "AlgorithmIdentifier: SEQUENCE expected"))
        return false;
    cursor in = inside(&a->whole);
    if (!expect(&in, TAG_OID, &a->oid, why, "AlgorithmIdentifier: OID expected"))
        return false;
    if (!oid_ok(&a->oid))
        return fail(why, "malformed algorithm OID");
    a->has_params = in.left > 0;
    if (a->has_params && !next(&in, &a->params, why))
        return false;
    return in.left == 0 || fail(why, "AlgorithmIdentifier: more than algorithm and parameters");
}

static size_t curve_bytes(lwm2m_ec_curve curve)
{
    switch (curve) {
    case LWM2M_CURVE_P256:
        return 32;
    case LWM2M_CURVE_P384:
        return 48;
    case LWM2M_CURVE_P521:
        return 66;
    default:
        return 0;
    }
}

static size_t curve_bits(lwm2m_ec_curve curve)
{
    return curve == LWM2M_CURVE_P521 ? 521 : curve_bytes(curve) * 8;
}

static lwm2m_ec_curve curve_of_oid(const tlv *t)
{
    if (oid_is(t, OID_P256, sizeof OID_P256))
        return LWM2M_CURVE_P256;
    if (oid_is(t, OID_P384, sizeof OID_P384))
        return LWM2M_CURVE_P384;
    if (oid_is(t, OID_P521, sizeof OID_P521))
        return LWM2M_CURVE_P521;
    return LWM2M_CURVE_UNKNOWN;
}

/* The key algorithm (and EC curve) an AlgorithmIdentifier names. */
static bool key_alg_of(const algid *a, lwm2m_key_alg *alg, lwm2m_ec_curve *curve, const char **why)
{
    *curve = LWM2M_CURVE_NONE;
    if (oid_is(&a->oid, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY)) {
        *alg = LWM2M_KEY_ALG_EC;
        if (!a->has_params)
            return fail(why, "EC key without curve parameters");
        /* namedCurve; implicitCurve (NULL) and specifiedCurve (SEQUENCE) are not named */
        if (a->params.tag == TAG_OID) {
            if (!oid_ok(&a->params))
                return fail(why, "malformed curve OID");
            *curve = curve_of_oid(&a->params);
        } else {
            *curve = LWM2M_CURVE_UNKNOWN;
        }
        return true;
    }
    if (oid_is(&a->oid, OID_RSA, sizeof OID_RSA)) {
        *alg = LWM2M_KEY_ALG_RSA;
        if (a->has_params && (a->params.tag != TAG_NULL || a->params.len != 0))
            return fail(why, "rsaEncryption with parameters other than NULL");
        return true;
    }
    bool ed25519 = oid_is(&a->oid, OID_ED25519, sizeof OID_ED25519);
    if (ed25519 || oid_is(&a->oid, OID_ED448, sizeof OID_ED448)) {
        *alg = ed25519 ? LWM2M_KEY_ALG_ED25519 : LWM2M_KEY_ALG_ED448;
        return !a->has_params || fail(why, "EdDSA key with parameters");
    }
    *alg = LWM2M_KEY_ALG_UNKNOWN;
    return true;
}

static size_t ed_key_bytes(lwm2m_key_alg alg)
{
    return alg == LWM2M_KEY_ALG_ED25519 ? 32 : alg == LWM2M_KEY_ALG_ED448 ? 57 : 0;
}

/* An EC point (SEC1 2.3.3): uncompressed 04|X|Y or compressed 02/03|X of the curve's size. */
static bool ec_point_ok(lwm2m_ec_curve curve, lwm2m_bytes p, const char **why)
{
    if (p.len == 0 || (p.ptr[0] != 4 && p.ptr[0] != 2 && p.ptr[0] != 3))
        return fail(why, "EC public key is not an uncompressed or compressed point");
    size_t f = curve_bytes(curve);
    if (f == 0)
        return true;
    size_t want = p.ptr[0] == 4 ? 1 + 2 * f : 1 + f;
    return p.len == want || fail(why, "EC public key of the wrong size for its curve");
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static bool rsa_public_key(lwm2m_bytes key, lwm2m_public_key *out, const char **why)
{
    cursor c = {key.ptr, key.len};
    tlv seq, n, e;
    if (!expect(&c, TAG_SEQUENCE, &seq, why, "RSAPublicKey: SEQUENCE expected"))
        return false;
    if (c.left != 0)
        return fail(why, "bytes after RSAPublicKey");
    cursor in = inside(&seq);
    if (!positive_integer(&in, &n, why, "RSA modulus: positive INTEGER expected") ||
        !positive_integer(&in, &e, why, "RSA exponent: positive INTEGER expected"))
        return false;
    if (in.left != 0)
        return fail(why, "RSAPublicKey: more than modulus and exponent");
    out->modulus = bytes_of(n.body, n.len);
    out->exponent = bytes_of(e.body, e.len);
    out->bits = integer_bits(out->modulus);
    return true;
}

/* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *                                     subjectPublicKey BIT STRING } */
static bool read_spki(cursor *c, lwm2m_public_key *out, const char **why)
{
    memset(out, 0, sizeof *out);
    tlv seq, bits;
    if (!expect(c, TAG_SEQUENCE, &seq, why, "SubjectPublicKeyInfo: SEQUENCE expected"))
        return false;
    out->spki = bytes_of(seq.start, seq.total);
    cursor in = inside(&seq);
    algid a;
    if (!read_algid(&in, &a, why) || !key_alg_of(&a, &out->alg, &out->curve, why))
        return false;
    out->algorithm = bytes_of(a.oid.body, a.oid.len);
    if (!expect(&in, TAG_BIT_STRING, &bits, why, "subjectPublicKey: BIT STRING expected") ||
        !bit_bytes(&bits, &out->key, why))
        return false;
    if (in.left != 0)
        return fail(why, "SubjectPublicKeyInfo: more than algorithm and key");
    switch (out->alg) {
    case LWM2M_KEY_ALG_EC:
        out->bits = curve_bits(out->curve);
        return ec_point_ok(out->curve, out->key, why);
    case LWM2M_KEY_ALG_RSA:
        return rsa_public_key(out->key, out, why);
    case LWM2M_KEY_ALG_ED25519:
    case LWM2M_KEY_ALG_ED448:
        out->bits = out->alg == LWM2M_KEY_ALG_ED25519 ? 255 : 448;
        return out->key.len == ed_key_bytes(out->alg) ||
               fail(why, "EdDSA public key of the wrong size");
    default:
        return out->key.len > 0 || fail(why, "empty public key");
    }
}

int lwm2m_der_public_key(const uint8_t *der, size_t len, lwm2m_public_key *out, const char **why)
{
    const char *ignored;
    why = why ? why : &ignored;
    cursor c = {der, len};
    if (der == NULL && len > 0)
        return LWM2M_ERR_INVALID;
    if (!read_spki(&c, out, why))
        return LWM2M_ERR_INVALID;
    if (c.left != 0) {
        *why = "bytes after the end of the SubjectPublicKeyInfo";
        return LWM2M_ERR_INVALID;
    }
    return LWM2M_OK;
}

/* ---- certificates ---- */

static bool two_digits(const uint8_t *p, int *v)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    *v = (p[0] - '0') * 10 + (p[1] - '0');
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Time ::= UTCTime "YYMMDDHHMMSSZ" | GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280 4.1.2.5) */
static bool read_time(cursor *c, int64_t *out, const char **why)
{
    tlv t;
    if (!next(c, &t, why))
        return false;
    const uint8_t *p = t.body;
    int year, cc, yy, mo, d, h, mi, s;
    if (t.tag == TAG_UTC_TIME) {
        if (t.len != 13 || !two_digits(p, &yy))
            return fail(why, "UTCTime not of the form YYMMDDHHMMSSZ");
        year = yy >= 50 ? 1900 + yy : 2000 + yy;
        p += 2;
    } else if (t.tag == TAG_GENERALIZED_TIME) {
        if (t.len != 15 || !two_digits(p, &cc) || !two_digits(p + 2, &yy))
            return fail(why, "GeneralizedTime not of the form YYYYMMDDHHMMSSZ");
        year = cc * 100 + yy;
        p += 4;
    } else {
        return fail(why, "validity: UTCTime or GeneralizedTime expected");
    }
    if (!two_digits(p, &mo) || !two_digits(p + 2, &d) || !two_digits(p + 4, &h) ||
        !two_digits(p + 6, &mi) || !two_digits(p + 8, &s) || p[10] != 'Z')
        return fail(why, "validity time not of the form ...MMDDHHMMSSZ");
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(year, mo) || h > 23 || mi > 59 || s > 59)
        return fail(why, "validity time out of range");
    *out = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

static bool is_string_tag(uint8_t tag)
{
    return tag == TAG_UTF8_STRING || tag == TAG_PRINTABLE_STRING || tag == TAG_TELETEX_STRING ||
           tag == TAG_IA5_STRING || tag == TAG_UNIVERSAL_STRING || tag == TAG_BMP_STRING;
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName (SET SIZE (1..MAX) OF
 *          AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }) */
static bool read_name(cursor *c, lwm2m_bytes *whole, lwm2m_bytes *cn, uint8_t *cn_tag,
                      const char **why)
{
    tlv name;
    if (!expect(c, TAG_SEQUENCE, &name, why, "Name: SEQUENCE expected"))
        return false;
    *whole = bytes_of(name.start, name.total);
    cursor rdns = inside(&name);
    while (rdns.left > 0) {
        tlv rdn;
        if (!expect(&rdns, TAG_SET, &rdn, why, "Name: SET (RelativeDistinguishedName) expected"))
            return false;
        if (rdn.len == 0)
            return fail(why, "Name: empty RelativeDistinguishedName");
        cursor atvs = inside(&rdn);
        while (atvs.left > 0) {
            tlv atv, type, value;
            if (!expect(&atvs, TAG_SEQUENCE, &atv, why, "Name: AttributeTypeAndValue expected"))
                return false;
            cursor in = inside(&atv);
            if (!expect(&in, TAG_OID, &type, why, "Name: attribute type OID expected") ||
                !next(&in, &value, why))
                return false;
            if (!oid_ok(&type))
                return fail(why, "Name: malformed attribute type OID");
            if (in.left != 0)
                return fail(why, "Name: more than type and value in an attribute");
            if (cn != NULL && oid_is(&type, OID_COMMON_NAME, sizeof OID_COMMON_NAME)) {
                if (!is_string_tag(value.tag))
                    return fail(why, "commonName is not a string");
                *cn = bytes_of(value.body, value.len);
                *cn_tag = value.tag;
            }
        }
    }
    return true;
}

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
static bool read_basic_constraints(const tlv *octets, int *ca, const char **why)
{
    cursor c = inside(octets);
    tlv seq, t;
    if (!expect(&c, TAG_SEQUENCE, &seq, why, "basicConstraints: SEQUENCE expected"))
        return false;
    if (c.left != 0)
        return fail(why, "bytes after basicConstraints");
    cursor in = inside(&seq);
    *ca = 0;
    if (peek(&in, TAG_BOOLEAN)) {
        if (!next(&in, &t, why))
            return false;
        if (t.len != 1)
            return fail(why, "basicConstraints: malformed BOOLEAN");
        *ca = t.body[0] != 0;
    }
    if (peek(&in, TAG_INTEGER)) {
        if (!next(&in, &t, why))
            return false;
        if (!integer_ok(&t) || (t.body[0] & 0x80))
            return fail(why, "basicConstraints: bad pathLenConstraint");
    }
    return in.left == 0 || fail(why, "basicConstraints: unexpected element");
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension ::= SEQUENCE { extnID OID,
 *                critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static bool read_extensions(const tlv *explicit3, int *ca, const char **why)
{
    cursor c = inside(explicit3);
    tlv list;
    if (!expect(&c, TAG_SEQUENCE, &list, why, "extensions: SEQUENCE expected"))
        return false;
    if (c.left != 0)
        return fail(why, "extensions: more than one SEQUENCE");
    if (list.len == 0)
        return fail(why, "extensions: empty list");
    cursor exts = inside(&list);
    while (exts.left > 0) {
        tlv ext, id, t, value;
        if (!expect(&exts, TAG_SEQUENCE, &ext, why, "extension: SEQUENCE expected"))
            return false;
        cursor in = inside(&ext);
        if (!expect(&in, TAG_OID, &id, why, "extension: OID expected"))
            return false;
        if (!oid_ok(&id))
            return fail(why, "extension: malformed OID");
        if (peek(&in, TAG_BOOLEAN)) {
            if (!next(&in, &t, why))
                return false;
            if (t.len != 1)
                return fail(why, "extension: malformed critical flag");
        }
        if (!expect(&in, TAG_OCTET_STRING, &value, why, "extension: OCTET STRING expected"))
            return false;
        if (in.left != 0)
            return fail(why, "extension: unexpected element");
        if (oid_is(&id, OID_BASIC_CONSTRAINTS, sizeof OID_BASIC_CONSTRAINTS)) {
            if (*ca != -1)
                return fail(why, "basicConstraints appears twice");
            if (!read_basic_constraints(&value, ca, why))
                return false;
        }
    }
    return true;
}

/* TBSCertificate (RFC 5280 4.1) */
static bool read_tbs(const tlv *tbs, lwm2m_certificate *out, algid *sig, const char **why)
{
    cursor in = inside(tbs);
    tlv t;
    unsigned version = 0;
    if (peek(&in, TAG_CTX0)) {
        if (!next(&in, &t, why))
            return false;
        cursor v = inside(&t);
        if (!small_integer(&v, 2, &version, why, "version: 0, 1 or 2 expected"))
            return false;
        if (v.left != 0)
            return fail(why, "version: unexpected element");
    }
    out->version = (int)version + 1;
    if (!expect(&in, TAG_INTEGER, &t, why, "serialNumber: INTEGER expected"))
        return false;
    if (!integer_ok(&t) || t.len > 21)
        return fail(why, "serialNumber: malformed or longer than 20 octets");
    out->serial = bytes_of(t.body, t.len);
    if (!read_algid(&in, sig, why))
        return false;
    uint8_t ignored_tag;
    if (!read_name(&in, &out->issuer, NULL, &ignored_tag, why))
        return false;
    tlv validity;
    if (!expect(&in, TAG_SEQUENCE, &validity, why, "validity: SEQUENCE expected"))
        return false;
    cursor v = inside(&validity);
    if (!read_time(&v, &out->not_before, why) || !read_time(&v, &out->not_after, why))
        return false;
    if (v.left != 0)
        return fail(why, "validity: more than notBefore and notAfter");
    if (out->not_after < out->not_before)
        return fail(why, "validity: notAfter before notBefore");
    if (!read_name(&in, &out->subject, &out->subject_cn, &out->subject_cn_tag, why) ||
        !read_spki(&in, &out->public_key, why))
        return false;
    if (peek(&in, TAG_CTX1_PRIM) || peek(&in, TAG_CTX1)) {
        if (!next(&in, &t, why))
            return false;
        if (out->version < 2)
            return fail(why, "issuerUniqueID in a version 1 certificate");
    }
    if (peek(&in, TAG_CTX2_PRIM) || peek(&in, 0xA2)) {
        if (!next(&in, &t, why))
            return false;
        if (out->version < 2)
            return fail(why, "subjectUniqueID in a version 1 certificate");
    }
    out->ca = -1;
    if (peek(&in, TAG_CTX3)) {
        if (!next(&in, &t, why))
            return false;
        if (out->version < 3)
            return fail(why, "extensions in a certificate older than version 3");
        if (!read_extensions(&t, &out->ca, why))
            return false;
    }
    return in.left == 0 || fail(why, "tbsCertificate: unexpected element");
}

int lwm2m_der_certificate(const uint8_t *der, size_t len, lwm2m_certificate *out, const char **why)
{
    const char *ignored;
    why = why ? why : &ignored;
    memset(out, 0, sizeof *out);
    if (der == NULL && len > 0)
        return LWM2M_ERR_INVALID;
    cursor c = {der, len};
    tlv cert, tbs, sig_value;
    algid sig_inner, sig_outer;
    if (!expect(&c, TAG_SEQUENCE, &cert, why, "Certificate: SEQUENCE expected"))
        return LWM2M_ERR_INVALID;
    if (c.left != 0) {
        *why = "bytes after the end of the Certificate";
        return LWM2M_ERR_INVALID;
    }
    cursor in = inside(&cert);
    if (!expect(&in, TAG_SEQUENCE, &tbs, why, "tbsCertificate: SEQUENCE expected") ||
        !read_tbs(&tbs, out, &sig_inner, why) || !read_algid(&in, &sig_outer, why))
        return LWM2M_ERR_INVALID;
    out->tbs = bytes_of(tbs.start, tbs.total);
    lwm2m_bytes signature;
    if (!expect(&in, TAG_BIT_STRING, &sig_value, why, "signatureValue: BIT STRING expected") ||
        !bit_bytes(&sig_value, &signature, why))
        return LWM2M_ERR_INVALID;
    if (in.left != 0) {
        *why = "Certificate: more than tbsCertificate, algorithm and signature";
        return LWM2M_ERR_INVALID;
    }
    if (signature.len == 0) {
        *why = "empty signature";
        return LWM2M_ERR_INVALID;
    }
    /* RFC 5280 4.1.1.2: the two signature algorithm fields must be the same. */
    if (!same_bytes(bytes_of(sig_inner.whole.start, sig_inner.whole.total),
                    bytes_of(sig_outer.whole.start, sig_outer.whole.total))) {
        *why = "signatureAlgorithm differs from tbsCertificate.signature";
        return LWM2M_ERR_INVALID;
    }
    out->self_issued = same_bytes(out->issuer, out->subject);
    return LWM2M_OK;
}

/* ---- the subject CN as text ---- */

/* Appends code point `u` as UTF-8 to cn[*n..), keeping room for the NUL. */
static int put_code_point(uint32_t u, char *cn, size_t cap, size_t *n)
{
    uint8_t b[4];
    size_t k;
    if ((u >= 0xD800 && u <= 0xDFFF) || u > 0x10FFFF)
        return LWM2M_ERR_INVALID;
    if (u < 0x80) {
        b[0] = (uint8_t)u;
        k = 1;
    } else if (u < 0x800) {
        b[0] = (uint8_t)(0xC0 | u >> 6);
        b[1] = (uint8_t)(0x80 | (u & 0x3F));
        k = 2;
    } else if (u < 0x10000) {
        b[0] = (uint8_t)(0xE0 | u >> 12);
        b[1] = (uint8_t)(0x80 | (u >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (u & 0x3F));
        k = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | u >> 18);
        b[1] = (uint8_t)(0x80 | (u >> 12 & 0x3F));
        b[2] = (uint8_t)(0x80 | (u >> 6 & 0x3F));
        b[3] = (uint8_t)(0x80 | (u & 0x3F));
        k = 4;
    }
    if (k >= cap - *n)
        return LWM2M_ERR_OVERFLOW;
    memcpy(cn + *n, b, k);
    *n += k;
    return LWM2M_OK;
}

/* The CN's string in UTF-8 into cn[0..cap): UTF8String as it is, the ASCII types when they
 * are ASCII (T.61 is only read when it is), BMPString and UniversalString (UCS-2 and UCS-4,
 * big-endian) converted. */
static int cn_to_utf8(uint8_t tag, lwm2m_bytes v, char *cn, size_t cap, size_t *n)
{
    size_t unit = tag == TAG_BMP_STRING ? 2 : tag == TAG_UNIVERSAL_STRING ? 4 : 1;
    if (v.len % unit != 0)
        return LWM2M_ERR_INVALID;
    if (unit == 1) {
        if (v.len >= cap)
            return LWM2M_ERR_OVERFLOW;
        for (size_t i = 0; i < v.len && tag != TAG_UTF8_STRING; i++)
            if (v.ptr[i] >= 0x80)
                return LWM2M_ERR_INVALID;
        memcpy(cn, v.ptr, v.len);
        *n = v.len;
        return LWM2M_OK;
    }
    for (size_t i = 0; i < v.len; i += unit) {
        uint32_t u = 0;
        for (size_t k = 0; k < unit; k++)
            u = u << 8 | v.ptr[i + k];
        int rc = put_code_point(u, cn, cap, n);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

int lwm2m_der_subject_cn(const lwm2m_certificate *cert, char *cn, size_t cap)
{
    if (cap == 0)
        return LWM2M_ERR_OVERFLOW;
    cn[0] = '\0';
    if (cert->subject_cn_tag == 0)
        return LWM2M_ERR_NOT_FOUND;
    size_t n = 0;
    int rc = cn_to_utf8(cert->subject_cn_tag, cert->subject_cn, cn, cap, &n);
    if (rc == LWM2M_OK && (n == 0 || !lwm2m_utf8_valid((const uint8_t *)cn, n)))
        rc = LWM2M_ERR_INVALID;
    /* A name to log and to compare with an endpoint name: no control characters. */
    for (size_t i = 0; rc == LWM2M_OK && i < n; i++)
        if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7F)
            rc = LWM2M_ERR_INVALID;
    cn[rc == LWM2M_OK ? n : 0] = '\0';
    return rc;
}

/* ---- private keys ---- */

/* ECPrivateKey after its version (RFC 5915): privateKey OCTET STRING, parameters [0] OPTIONAL,
 * publicKey [1] OPTIONAL. `curve` is the curve known from outside (PKCS#8), or NONE. */
static bool read_ec_private_key(const uint8_t *der, size_t len, lwm2m_private_key *out,
                                const char **why)
{
    cursor c = {der, len};
    tlv seq, key, t;
    unsigned version;
    if (!expect(&c, TAG_SEQUENCE, &seq, why, "ECPrivateKey: SEQUENCE expected"))
        return false;
    if (c.left != 0)
        return fail(why, "bytes after ECPrivateKey");
    cursor in = inside(&seq);
    if (!small_integer(&in, 1, &version, why, "ECPrivateKey: version 1 expected") || version != 1)
        return fail(why, "ECPrivateKey: version 1 expected");
    if (!expect(&in, TAG_OCTET_STRING, &key, why, "ECPrivateKey: privateKey OCTET STRING expected"))
        return false;
    if (peek(&in, TAG_CTX0)) {
        if (!next(&in, &t, why))
            return false;
        cursor p = inside(&t);
        tlv oid;
        if (!next(&p, &oid, why))
            return false;
        if (p.left != 0)
            return fail(why, "ECPrivateKey: more than one parameter");
        lwm2m_ec_curve curve = LWM2M_CURVE_UNKNOWN;
        if (oid.tag == TAG_OID) {
            if (!oid_ok(&oid))
                return fail(why, "ECPrivateKey: malformed curve OID");
            curve = curve_of_oid(&oid);
        }
        if (out->curve != LWM2M_CURVE_NONE && curve != out->curve)
            return fail(why, "ECPrivateKey: curve differs from the algorithm's");
        out->curve = curve;
    }
    if (peek(&in, TAG_CTX1)) {
        if (!next(&in, &t, why))
            return false;
        cursor p = inside(&t);
        tlv bits;
        lwm2m_bytes point;
        if (!expect(&p, TAG_BIT_STRING, &bits, why,
                    "ECPrivateKey: publicKey BIT STRING expected") ||
            !bit_bytes(&bits, &point, why))
            return false;
        if (p.left != 0)
            return fail(why, "ECPrivateKey: more than the public key in [1]");
        if (!ec_point_ok(out->curve, point, why))
            return false;
        out->public_key = point;
    }
    if (in.left != 0)
        return fail(why, "ECPrivateKey: unexpected element");
    size_t f = curve_bytes(out->curve);
    /* GnuTLS 3.7 writes the scalar like an INTEGER: a 0x00 before a first byte >= 0x80, so
     * half of its P-256 keys are 33 bytes. RFC 5915 says 32, but refusing keys a common stack
     * makes would fail real devices at Finish: one such zero is accepted. */
    if (f != 0 && key.len == f + 1 && key.body[0] == 0x00 && (key.body[1] & 0x80) != 0)
        key.len--;
    if (key.len == 0 || (f != 0 && key.len > f))
        return fail(why, "EC private key of the wrong size for its curve");
    out->bits = curve_bits(out->curve);
    return true;
}

/* RSAPrivateKey (RFC 8017 A.1.2) */
static bool read_rsa_private_key(const uint8_t *der, size_t len, lwm2m_private_key *out,
                                 const char **why)
{
    cursor c = {der, len};
    tlv seq, t;
    unsigned version;
    if (!expect(&c, TAG_SEQUENCE, &seq, why, "RSAPrivateKey: SEQUENCE expected"))
        return false;
    if (c.left != 0)
        return fail(why, "bytes after RSAPrivateKey");
    cursor in = inside(&seq);
    if (!small_integer(&in, 1, &version, why, "RSAPrivateKey: version 0 or 1 expected"))
        return false;
    static const char *const what[] = {
        "RSA modulus: positive INTEGER expected", "RSA publicExponent: positive INTEGER expected",
        "RSA privateExponent: INTEGER expected",  "RSA prime1: INTEGER expected",
        "RSA prime2: INTEGER expected",           "RSA exponent1: INTEGER expected",
        "RSA exponent2: INTEGER expected",        "RSA coefficient: INTEGER expected"};
    for (size_t i = 0; i < 8; i++) {
        if (!positive_integer(&in, &t, why, what[i]))
            return false;
        if (i == 0)
            out->modulus = bytes_of(t.body, t.len);
        else if (i == 1)
            out->exponent = bytes_of(t.body, t.len);
    }
    if (version == 1 && peek(&in, TAG_SEQUENCE))
        if (!next(&in, &t, why))
            return false; /* otherPrimeInfos (multi-prime keys) */
    if (in.left != 0)
        return fail(why, "RSAPrivateKey: unexpected element");
    out->bits = integer_bits(out->modulus);
    return true;
}

/* PrivateKeyInfo / OneAsymmetricKey after its version (RFC 5958). */
static bool read_pkcs8(cursor *in, unsigned version, lwm2m_private_key *out, const char **why)
{
    algid a;
    tlv key, t;
    if (!read_algid(in, &a, why) || !key_alg_of(&a, &out->alg, &out->curve, why))
        return false;
    if (!expect(in, TAG_OCTET_STRING, &key, why, "privateKey: OCTET STRING expected"))
        return false;
    if (peek(in, TAG_CTX0))
        if (!next(in, &t, why))
            return false; /* attributes */
    lwm2m_bytes outer_public = {NULL, 0};
    if (peek(in, TAG_CTX1_PRIM)) {
        if (!next(in, &t, why))
            return false;
        if (version != 1)
            return fail(why, "publicKey in a version 1 (v1) PrivateKeyInfo");
        if (!bit_bytes(&t, &outer_public, why))
            return false;
    }
    if (in->left != 0)
        return fail(why, "PrivateKeyInfo: unexpected element");
    switch (out->alg) {
    case LWM2M_KEY_ALG_EC:
        if (!read_ec_private_key(key.body, key.len, out, why))
            return false;
        if (outer_public.len > 0) {
            if (out->public_key.len > 0 && !same_bytes(out->public_key, outer_public))
                return fail(why, "the two public keys of the private key differ");
            if (!ec_point_ok(out->curve, outer_public, why))
                return false;
            out->public_key = outer_public;
        }
        return true;
    case LWM2M_KEY_ALG_RSA:
        return read_rsa_private_key(key.body, key.len, out, why);
    case LWM2M_KEY_ALG_ED25519:
    case LWM2M_KEY_ALG_ED448: {
        /* CurvePrivateKey ::= OCTET STRING, inside the privateKey OCTET STRING */
        cursor k = inside(&key);
        tlv inner;
        if (!expect(&k, TAG_OCTET_STRING, &inner, why, "EdDSA private key: OCTET STRING expected"))
            return false;
        if (k.left != 0 || inner.len != ed_key_bytes(out->alg))
            return fail(why, "EdDSA private key of the wrong size");
        if (outer_public.len > 0 && outer_public.len != ed_key_bytes(out->alg))
            return fail(why, "EdDSA public key of the wrong size");
        out->public_key = outer_public;
        out->bits = out->alg == LWM2M_KEY_ALG_ED25519 ? 255 : 448;
        return true;
    }
    default:
        return key.len > 0 || fail(why, "empty private key");
    }
}

int lwm2m_der_private_key(const uint8_t *der, size_t len, lwm2m_private_key *out, const char **why)
{
    const char *ignored;
    why = why ? why : &ignored;
    memset(out, 0, sizeof *out);
    if (der == NULL && len > 0)
        return LWM2M_ERR_INVALID;
    cursor c = {der, len};
    tlv seq;
    if (!expect(&c, TAG_SEQUENCE, &seq, why, "private key: SEQUENCE expected"))
        return LWM2M_ERR_INVALID;
    if (c.left != 0) {
        *why = "bytes after the end of the private key";
        return LWM2M_ERR_INVALID;
    }
    /* All start with a version INTEGER; PKCS#8 follows it with an AlgorithmIdentifier
     * (SEQUENCE), SEC1 with the key (OCTET STRING), PKCS#1 with the modulus (INTEGER). */
    cursor in = inside(&seq);
    unsigned version;
    if (!small_integer(&in, 1, &version, why, "private key: version 0 or 1 expected"))
        return LWM2M_ERR_INVALID;
    if (peek(&in, TAG_INTEGER)) {
        out->format = LWM2M_PRIVATE_KEY_PKCS1;
        out->alg = LWM2M_KEY_ALG_RSA;
        return read_rsa_private_key(der, len, out, why) ? LWM2M_OK : LWM2M_ERR_INVALID;
    }
    if (peek(&in, TAG_OCTET_STRING)) {
        out->format = LWM2M_PRIVATE_KEY_SEC1;
        out->alg = LWM2M_KEY_ALG_EC;
        if (!read_ec_private_key(der, len, out, why))
            return LWM2M_ERR_INVALID;
        return LWM2M_OK;
    }
    out->format = LWM2M_PRIVATE_KEY_PKCS8;
    return read_pkcs8(&in, version, out, why) ? LWM2M_OK : LWM2M_ERR_INVALID;
}

const char *lwm2m_der_key_mismatch(const lwm2m_private_key *priv, const lwm2m_public_key *pub)
{
    if (priv->alg != pub->alg)
        return "the keys are of different algorithms";
    switch (priv->alg) {
    case LWM2M_KEY_ALG_EC:
        if (priv->curve != LWM2M_CURVE_NONE && priv->curve != pub->curve)
            return "the keys are on different curves";
        if (priv->public_key.len > 0 && pub->key.len > 0) {
            lwm2m_bytes a = priv->public_key, b = pub->key;
            if ((a.ptr[0] == 4) != (b.ptr[0] == 4)) {
                /* one compressed, one not: the x coordinates must agree */
                size_t f = (a.ptr[0] == 4 ? b.len : a.len) - 1;
                if (a.len < 1 + f || b.len < 1 + f || memcmp(a.ptr + 1, b.ptr + 1, f) != 0)
                    return "the private key's public point differs from the public key";
            } else if (!same_bytes(a, b)) {
                return "the private key's public point differs from the public key";
            }
        }
        return NULL;
    case LWM2M_KEY_ALG_RSA:
        if (!same_bytes(priv->modulus, pub->modulus) || !same_bytes(priv->exponent, pub->exponent))
            return "the RSA keys have different moduli or exponents";
        return NULL;
    case LWM2M_KEY_ALG_ED25519:
    case LWM2M_KEY_ALG_ED448:
        if (priv->public_key.len > 0 && !same_bytes(priv->public_key, pub->key))
            return "the private key's public key differs from the public key";
        return NULL;
    default:
        return NULL;
    }
}

/* A writer that counts what does not fit. */
typedef struct writer {
    uint8_t *p;
    size_t cap, len;
} writer;

static void put(writer *w, const void *data, size_t n)
{
    if (n > 0 && w->len <= w->cap && n <= w->cap - w->len)
        memcpy(w->p + w->len, data, n);
    w->len += n;
}

static size_t header_size(size_t len)
{
    return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

static void put_header(writer *w, uint8_t tag, size_t len)
{
    uint8_t h[4] = {tag, 0, 0, 0};
    size_t n = header_size(len);
    if (n == 2) {
        h[1] = (uint8_t)len;
    } else if (n == 3) {
        h[1] = 0x81;
        h[2] = (uint8_t)len;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
    }
    put(w, h, n);
}

int lwm2m_der_spki_of(const lwm2m_private_key *priv, uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *alg_oid = NULL, *curve_oid = NULL;
    size_t alg_len = 0, curve_len = 0;
    if (priv->public_key.len == 0 || priv->public_key.len > 1024)
        return LWM2M_ERR_NOT_FOUND;
    switch (priv->alg) {
    case LWM2M_KEY_ALG_EC:
        alg_oid = OID_EC_PUBLIC_KEY;
        alg_len = sizeof OID_EC_PUBLIC_KEY;
        curve_oid = priv->curve == LWM2M_CURVE_P256   ? OID_P256
                    : priv->curve == LWM2M_CURVE_P384 ? OID_P384
                    : priv->curve == LWM2M_CURVE_P521 ? OID_P521
                                                      : NULL;
        curve_len = priv->curve == LWM2M_CURVE_P256   ? sizeof OID_P256
                    : priv->curve == LWM2M_CURVE_P384 ? sizeof OID_P384
                                                      : sizeof OID_P521;
        if (curve_oid == NULL)
            return LWM2M_ERR_NOT_FOUND;
        break;
    case LWM2M_KEY_ALG_ED25519:
    case LWM2M_KEY_ALG_ED448:
        alg_oid = priv->alg == LWM2M_KEY_ALG_ED25519 ? OID_ED25519 : OID_ED448;
        alg_len = sizeof OID_ED25519;
        break;
    default:
        return LWM2M_ERR_NOT_FOUND;
    }
    size_t algid_body = 2 + alg_len + (curve_oid ? 2 + curve_len : 0);
    size_t bits_body = 1 + priv->public_key.len;
    size_t body = header_size(algid_body) + algid_body + header_size(bits_body) + bits_body;
    writer w = {out, cap, 0};
    put_header(&w, TAG_SEQUENCE, body);
    put_header(&w, TAG_SEQUENCE, algid_body);
    put_header(&w, TAG_OID, alg_len);
    put(&w, alg_oid, alg_len);
    if (curve_oid != NULL) {
        put_header(&w, TAG_OID, curve_len);
        put(&w, curve_oid, curve_len);
    }
    put_header(&w, TAG_BIT_STRING, bits_body);
    put(&w, "", 1);
    put(&w, priv->public_key.ptr, priv->public_key.len);
    *out_len = w.len;
    return w.len <= cap ? LWM2M_OK : LWM2M_ERR_OVERFLOW;
}

/* ---- PEM ---- */

static int base64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Position of `needle` in text[from, len), or len. */
static size_t find(const char *text, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0)
            return i;
    return len;
}

bool lwm2m_der_is_pem(const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && is_space((char)data[i]))
        i++;
    return len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0;
}

/* The label of the block whose "-----BEGIN " is at `begin`: text[*start, *start + *n). */
static int pem_label(const char *text, size_t len, size_t begin, size_t *start, size_t *n)
{
    size_t label_start = begin + 11;
    size_t label_end = find(text, len, label_start, "-----");
    if (label_end == len || label_end - label_start > 64)
        return LWM2M_ERR_INVALID;
    for (size_t i = label_start; i < label_end; i++)
        if (text[i] < 0x20 || text[i] > 0x7E)
            return LWM2M_ERR_INVALID;
    *start = label_start;
    *n = label_end - label_start;
    return LWM2M_OK;
}

/* The base64 body of the block labelled text[label_start, +label_len), up to its END line
 * (which names the same label), decoded into out; *after: the offset past the END line. */
static int pem_body(const char *text, size_t len, size_t label_start, size_t label_len,
                    uint8_t *out, size_t cap, size_t *out_len, size_t *after)
{
    char end_line[64 + 16];
    snprintf(end_line, sizeof end_line, "-----END %.*s-----", (int)label_len, text + label_start);
    size_t body = label_start + label_len + 5;
    size_t end = find(text, len, body, end_line);
    if (end == len)
        return LWM2M_ERR_INVALID;
    *after = end + strlen(end_line);
    writer w = {out, cap, 0};
    uint32_t acc = 0;
    unsigned n = 0, pad = 0;
    for (size_t i = body; i < end; i++) {
        char ch = text[i];
        if (is_space(ch))
            continue;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = base64_value(ch);
        if (v < 0 || pad > 0)
            return LWM2M_ERR_INVALID;
        acc = acc << 6 | (uint32_t)v;
        if (++n == 4) {
            uint8_t b[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
            put(&w, b, 3);
            acc = 0;
            n = 0;
        }
    }
    if (n == 1 || pad > 2 || (pad > 0 && n + pad != 4))
        return LWM2M_ERR_INVALID;
    if (n == 2) {
        uint8_t b = (uint8_t)(acc >> 4);
        put(&w, &b, 1);
    } else if (n == 3) {
        uint8_t b[2] = {(uint8_t)(acc >> 10), (uint8_t)(acc >> 2)};
        put(&w, b, 2);
    }
    *out_len = w.len;
    return w.len <= cap ? LWM2M_OK : LWM2M_ERR_OVERFLOW;
}

int lwm2m_der_from_pem(const char *text, size_t len, char *label, size_t label_cap, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (label_cap > 0)
        label[0] = '\0';
    size_t begin = find(text, len, 0, "-----BEGIN ");
    if (begin == len)
        return LWM2M_ERR_NOT_FOUND;
    size_t label_start, label_len, after;
    if (pem_label(text, len, begin, &label_start, &label_len) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (label_cap > 0) {
        size_t n = label_len < label_cap - 1 ? label_len : label_cap - 1;
        memcpy(label, text + label_start, n);
        label[n] = '\0';
    }
    return pem_body(text, len, label_start, label_len, out, cap, out_len, &after);
}

int lwm2m_der_pem_block(const char *text, size_t len, const char *label, uint8_t *out, size_t cap,
                        size_t *out_len, size_t *next)
{
    *out_len = 0;
    size_t from = 0;
    for (;;) {
        size_t begin = find(text, len, from, "-----BEGIN ");
        if (begin == len)
            return LWM2M_ERR_NOT_FOUND;
        size_t label_start, label_len, after = len;
        if (pem_label(text, len, begin, &label_start, &label_len) != LWM2M_OK)
            return LWM2M_ERR_INVALID;
        if (label != NULL &&
            (strlen(label) != label_len || memcmp(text + label_start, label, label_len) != 0)) {
            from = label_start + label_len + 5; /* another kind of block: passed over */
            continue;
        }
        int rc = pem_body(text, len, label_start, label_len, out, cap, out_len, &after);
        if (next != NULL)
            *next = after;
        return rc;
    }
}

static const char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int lwm2m_der_to_pem(const uint8_t *der, size_t len, const char *label, char *out, size_t cap,
                     size_t *out_len)
{
    writer w = {(uint8_t *)out, cap, 0};
    size_t label_len = strlen(label);
    put(&w, "-----BEGIN ", 11);
    put(&w, label, label_len);
    put(&w, "-----\n", 6);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0) |
                     (i + 2 < len ? der[i + 2] : 0);
        char q[4] = {BASE64[v >> 18 & 63], BASE64[v >> 12 & 63],
                     i + 1 < len ? BASE64[v >> 6 & 63] : '=', i + 2 < len ? BASE64[v & 63] : '='};
        put(&w, q, 4);
        /* 48 bytes make a line of 64 characters (RFC 7468 2) */
        if ((i + 3) % 48 == 0 || i + 3 >= len)
            put(&w, "\n", 1);
    }
    put(&w, "-----END ", 9);
    put(&w, label, label_len);
    put(&w, "-----\n", 6);
    *out_len = w.len;
    put(&w, "", 1);
    return w.len <= cap ? LWM2M_OK : LWM2M_ERR_OVERFLOW;
}

void lwm2m_der_format_time(int64_t t, char *buf, size_t cap)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    /* civil_from_days (Howard Hinnant's algorithm) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m,
             (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
             (long long)(secs % 60));
}

const char *lwm2m_key_alg_name(lwm2m_key_alg alg)
{
    switch (alg) {
    case LWM2M_KEY_ALG_EC:
        return "EC";
    case LWM2M_KEY_ALG_RSA:
        return "RSA";
    case LWM2M_KEY_ALG_ED25519:
        return "Ed25519";
    case LWM2M_KEY_ALG_ED448:
        return "Ed448";
    default:
        return "unknown";
    }
}

const char *lwm2m_ec_curve_name(lwm2m_ec_curve curve)
{
    switch (curve) {
    case LWM2M_CURVE_P256:
        return "P-256";
    case LWM2M_CURVE_P384:
        return "P-384";
    case LWM2M_CURVE_P521:
        return "P-521";
    case LWM2M_CURVE_UNKNOWN:
        return "unknown curve";
    default:
        return "none";
    }
}
