/* DER and PEM for the servers' DTLS peers and keys (pki_der.h). */
#include "bs_server/pki_der.h"

#include <stdbool.h>
#include <string.h>

#include "core/numtext.h"
#include "core/utf8.h"
#include "lwm2m/error.h"

enum {
    TAG_INTEGER = 0x02,
    TAG_BIT_STRING = 0x03,
    TAG_OCTET_STRING = 0x04,
    TAG_OID = 0x06,
    TAG_UTF8 = 0x0c,
    TAG_PRINTABLE = 0x13,
    TAG_TELETEX = 0x14,
    TAG_IA5 = 0x16,
    TAG_BMP = 0x1e,
    TAG_SEQUENCE = 0x30,
    TAG_SET = 0x31,
    TAG_CTX0 = 0xa0, /* [0] constructed */
    TAG_CTX1 = 0xa1, /* [1] constructed */
};

/* One TLV: its tag, its value and the whole encoding. */
typedef struct tlv {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
    const uint8_t *raw; /* from the tag */
    size_t raw_len;
} tlv;

/* Reads the TLV at *p (before end) and moves *p past it. Single-byte tags only, definite
 * lengths of at most 4 bytes. */
static int next(const uint8_t **p, const uint8_t *end, tlv *out)
{
    const uint8_t *s = *p;
    if (end - s < 2 || (s[0] & 0x1f) == 0x1f)
        return LWM2M_ERR_INVALID;
    out->tag = s[0];
    size_t len = s[1], hdr = 2;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > 4 || (size_t)(end - s) < 2 + n)
            return LWM2M_ERR_INVALID;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | s[2 + i];
        hdr += n;
    }
    if (len > (size_t)(end - s) - hdr)
        return LWM2M_ERR_INVALID;
    out->raw = s;
    out->val = s + hdr;
    out->len = len;
    out->raw_len = hdr + len;
    *p = s + hdr + len;
    return LWM2M_OK;
}

/* Reads a TLV that must carry `tag`. */
static int expect(const uint8_t **p, const uint8_t *end, uint8_t tag, tlv *out)
{
    int rc = next(p, end, out);
    return rc == LWM2M_OK && out->tag != tag ? LWM2M_ERR_INVALID : rc;
}

static const char *spki_shape(const uint8_t *der, size_t len)
{
    const uint8_t *p = der, *end = der + len;
    tlv spki, alg, oid, bits;
    if (expect(&p, end, TAG_SEQUENCE, &spki) != LWM2M_OK)
        return "not a DER SEQUENCE";
    if (p != end)
        return "bytes after the SubjectPublicKeyInfo";
    p = spki.val;
    end = spki.val + spki.len;
    if (expect(&p, end, TAG_SEQUENCE, &alg) != LWM2M_OK)
        return "no AlgorithmIdentifier";
    const uint8_t *a = alg.val;
    if (expect(&a, alg.val + alg.len, TAG_OID, &oid) != LWM2M_OK || oid.len == 0)
        return "no algorithm OID";
    if (expect(&p, end, TAG_BIT_STRING, &bits) != LWM2M_OK || bits.len < 2 || bits.val[0] != 0)
        return "no public key BIT STRING";
    if (p != end)
        return "extra fields after the public key";
    return NULL;
}

int lwm2m_pki_spki_check(const uint8_t *der, size_t len, const char **why)
{
    const char *bad = der == NULL || len == 0 ? "empty" : spki_shape(der, len);
    if (why != NULL)
        *why = bad;
    return bad == NULL ? LWM2M_OK : LWM2M_ERR_INVALID;
}

/* UTF-8 of one BMP (UCS-2) code unit into out; bytes written (0: a surrogate, refused). */
static size_t bmp_to_utf8(unsigned u, char *out)
{
    if (u >= 0xd800 && u <= 0xdfff)
        return 0;
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xc0 | (u >> 6));
        out[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | (u >> 12));
    out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
    out[2] = (char)(0x80 | (u & 0x3f));
    return 3;
}

/* The text of a directory string into cn[0..cap). */
static int directory_string(const tlv *v, char *cn, size_t cap)
{
    size_t n = 0;
    if (v->tag == TAG_BMP) {
        if (v->len % 2 != 0)
            return LWM2M_ERR_INVALID;
        for (size_t i = 0; i < v->len; i += 2) {
            char u8[3];
            size_t k = bmp_to_utf8((unsigned)v->val[i] << 8 | v->val[i + 1], u8);
            if (k == 0)
                return LWM2M_ERR_INVALID;
            if (n + k >= cap)
                return LWM2M_ERR_OVERFLOW;
            memcpy(cn + n, u8, k);
            n += k;
        }
    } else if (v->tag == TAG_UTF8 || v->tag == TAG_PRINTABLE || v->tag == TAG_IA5 ||
               v->tag == TAG_TELETEX) {
        if (v->len >= cap)
            return LWM2M_ERR_OVERFLOW;
        /* Teletex (T.61) is only read when it is plain ASCII. */
        if (v->tag != TAG_UTF8)
            for (size_t i = 0; i < v->len; i++)
                if (v->val[i] >= 0x80)
                    return LWM2M_ERR_INVALID;
        memcpy(cn, v->val, v->len);
        n = v->len;
    } else {
        return LWM2M_ERR_INVALID;
    }
    cn[n] = '\0';
    if (n == 0 || !lwm2m_utf8_valid((const uint8_t *)cn, n))
        return LWM2M_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f)
            return LWM2M_ERR_INVALID;
    return LWM2M_OK;
}

static const uint8_t OID_CN[] = {0x55, 0x04, 0x03}; /* 2.5.4.3 commonName */

/* The last CN of a Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
static int name_cn(const tlv *name, char *cn, size_t cap)
{
    const uint8_t *p = name->val, *end = name->val + name->len;
    int found = LWM2M_ERR_NOT_FOUND;
    while (p < end) {
        tlv rdn;
        if (expect(&p, end, TAG_SET, &rdn) != LWM2M_OK)
            return LWM2M_ERR_INVALID;
        const uint8_t *q = rdn.val, *qend = rdn.val + rdn.len;
        while (q < qend) {
            tlv atv, type, value;
            if (expect(&q, qend, TAG_SEQUENCE, &atv) != LWM2M_OK)
                return LWM2M_ERR_INVALID;
            const uint8_t *r = atv.val, *rend = atv.val + atv.len;
            if (expect(&r, rend, TAG_OID, &type) != LWM2M_OK ||
                next(&r, rend, &value) != LWM2M_OK || r != rend)
                return LWM2M_ERR_INVALID;
            if (type.len != sizeof OID_CN || memcmp(type.val, OID_CN, sizeof OID_CN) != 0)
                continue;
            found = directory_string(&value, cn, cap);
            if (found != LWM2M_OK)
                return found;
        }
    }
    return found;
}

int lwm2m_pki_cert_subject_cn(const uint8_t *der, size_t len, char *cn, size_t cap)
{
    if (cap > 0)
        cn[0] = '\0';
    if (der == NULL || cap == 0)
        return LWM2M_ERR_INVALID;
    const uint8_t *p = der, *end = der + len;
    tlv cert, tbs, field;
    if (expect(&p, end, TAG_SEQUENCE, &cert) != LWM2M_OK || p != end)
        return LWM2M_ERR_INVALID;
    p = cert.val;
    if (expect(&p, cert.val + cert.len, TAG_SEQUENCE, &tbs) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    p = tbs.val;
    end = tbs.val + tbs.len;
    /* [0] version (optional), serialNumber, signature, issuer, validity, subject */
    if (next(&p, end, &field) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (field.tag == TAG_CTX0 && next(&p, end, &field) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (field.tag != TAG_INTEGER)
        return LWM2M_ERR_INVALID;
    static const uint8_t rest[] = {TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE};
    for (size_t i = 0; i < sizeof rest; i++)
        if (expect(&p, end, rest[i], &field) != LWM2M_OK)
            return LWM2M_ERR_INVALID;
    int rc = name_cn(&field, cn, cap);
    if (rc != LWM2M_OK)
        cn[0] = '\0';
    return rc;
}

static const uint8_t OID_EC_PUBLIC_KEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};

/* Appends a DER length. */
static void put_len(lwm2m_buf *b, size_t len)
{
    if (len < 0x80) {
        lwm2m_buf_putc(b, (uint8_t)len);
    } else if (len < 0x100) {
        lwm2m_buf_putc(b, 0x81);
        lwm2m_buf_putc(b, (uint8_t)len);
    } else {
        lwm2m_buf_putc(b, 0x82);
        lwm2m_buf_putc(b, (uint8_t)(len >> 8));
        lwm2m_buf_putc(b, (uint8_t)len);
    }
}

static size_t len_size(size_t len)
{
    return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

/* SEQUENCE { alg (raw TLV) or SEQUENCE { ecPublicKey, curve (raw TLV) }, bits (raw TLV) }. */
static int build_spki(const tlv *alg, const tlv *curve, const tlv *bits, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    size_t alg_len =
        alg != NULL ? alg->raw_len : 2 + sizeof OID_EC_PUBLIC_KEY + curve->raw_len; /* OID TLV */
    size_t alg_tlv = alg != NULL ? alg_len : 1 + len_size(alg_len) + alg_len;
    size_t body = alg_tlv + bits->raw_len;
    if (body > 0xffff)
        return LWM2M_ERR_OVERFLOW;
    lwm2m_buf b = lwm2m_buf_init(out, cap);
    lwm2m_buf_putc(&b, TAG_SEQUENCE);
    put_len(&b, body);
    if (alg != NULL) {
        lwm2m_buf_put(&b, alg->raw, alg->raw_len);
    } else {
        lwm2m_buf_putc(&b, TAG_SEQUENCE);
        put_len(&b, alg_len);
        lwm2m_buf_putc(&b, TAG_OID);
        lwm2m_buf_putc(&b, sizeof OID_EC_PUBLIC_KEY);
        lwm2m_buf_put(&b, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY);
        lwm2m_buf_put(&b, curve->raw, curve->raw_len);
    }
    lwm2m_buf_put(&b, bits->raw, bits->raw_len);
    if (lwm2m_buf_overflowed(&b))
        return LWM2M_ERR_OVERFLOW;
    *out_len = b.len;
    return LWM2M_OK;
}

/* ECPrivateKey ::= SEQUENCE { 1, OCTET STRING, [0] curve OPTIONAL, [1] BIT STRING OPTIONAL }:
 * the curve's OID TLV and the public key's BIT STRING TLV (tag 0 when absent). */
static int ec_private_key(const uint8_t *der, size_t len, tlv *curve, tlv *bits)
{
    const uint8_t *p = der, *end = der + len;
    tlv seq, field;
    memset(curve, 0, sizeof *curve);
    memset(bits, 0, sizeof *bits);
    if (expect(&p, end, TAG_SEQUENCE, &seq) != LWM2M_OK || p != end)
        return LWM2M_ERR_INVALID;
    p = seq.val;
    end = seq.val + seq.len;
    if (expect(&p, end, TAG_INTEGER, &field) != LWM2M_OK || field.len != 1 || field.val[0] != 1 ||
        expect(&p, end, TAG_OCTET_STRING, &field) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    while (p < end) {
        if (next(&p, end, &field) != LWM2M_OK)
            return LWM2M_ERR_INVALID;
        const uint8_t *q = field.val;
        if (field.tag == TAG_CTX0 && expect(&q, field.val + field.len, TAG_OID, curve) != LWM2M_OK)
            return LWM2M_ERR_INVALID;
        if (field.tag == TAG_CTX1 &&
            (expect(&q, field.val + field.len, TAG_BIT_STRING, bits) != LWM2M_OK || bits->len < 2 ||
             bits->val[0] != 0))
            return LWM2M_ERR_INVALID;
    }
    return LWM2M_OK;
}

int lwm2m_pki_ec_key_spki(const uint8_t *der, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (der == NULL)
        return LWM2M_ERR_INVALID;
    const uint8_t *p = der, *end = der + len;
    tlv outer, version, alg, oid, priv, curve, bits;
    if (expect(&p, end, TAG_SEQUENCE, &outer) != LWM2M_OK || p != end)
        return LWM2M_ERR_INVALID;
    p = outer.val;
    end = outer.val + outer.len;
    if (expect(&p, end, TAG_INTEGER, &version) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (p < end && *p == TAG_OCTET_STRING) {
        /* SEC1: the curve comes from the key itself. */
        int rc = ec_private_key(der, len, &curve, &bits);
        if (rc != LWM2M_OK)
            return rc;
        if (curve.tag == 0 || bits.tag == 0)
            return LWM2M_ERR_NOT_FOUND;
        return build_spki(NULL, &curve, &bits, out, cap, out_len);
    }
    /* PKCS#8: version, AlgorithmIdentifier, OCTET STRING { ECPrivateKey }. */
    if (expect(&p, end, TAG_SEQUENCE, &alg) != LWM2M_OK ||
        expect(&p, end, TAG_OCTET_STRING, &priv) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    const uint8_t *a = alg.val;
    if (expect(&a, alg.val + alg.len, TAG_OID, &oid) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (oid.len != sizeof OID_EC_PUBLIC_KEY ||
        memcmp(oid.val, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY) != 0)
        return LWM2M_ERR_NOT_FOUND; /* not EC: its public key is not in the file */
    int rc = ec_private_key(priv.val, priv.len, &curve, &bits);
    if (rc != LWM2M_OK)
        return rc;
    if (bits.tag == 0)
        return LWM2M_ERR_NOT_FOUND;
    return build_spki(&alg, NULL, &bits, out, cap, out_len);
}

int lwm2m_pki_is_pem(const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0;
}

/* Position of needle in hay[0..len), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

int lwm2m_pki_pem_decode(const char *text, size_t len, const char *label, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    *out_len = 0;
    const char *p = text, *end = text + len;
    for (;;) {
        const char *begin = find(p, (size_t)(end - p), "-----BEGIN ");
        if (begin == NULL)
            return LWM2M_ERR_NOT_FOUND;
        const char *name = begin + 11;
        const char *dashes = find(name, (size_t)(end - name), "-----");
        if (dashes == NULL)
            return LWM2M_ERR_INVALID;
        size_t name_len = (size_t)(dashes - name);
        const char *body = dashes + 5;
        if (label != NULL && (strlen(label) != name_len || memcmp(name, label, name_len) != 0)) {
            p = body;
            continue;
        }
        const char *stop = find(body, (size_t)(end - body), "-----END ");
        if (stop == NULL)
            return LWM2M_ERR_INVALID;
        /* The base64 without its line breaks; a header line ("Proc-Type: ...") is refused. */
        char b64[8192];
        size_t n = 0;
        for (const char *c = body; c < stop; c++) {
            if (*c == '\r' || *c == '\n' || *c == ' ' || *c == '\t')
                continue;
            if (n == sizeof b64)
                return LWM2M_ERR_OVERFLOW;
            b64[n++] = *c;
        }
        return lwm2m_base64_decode(b64, n, out, cap, out_len);
    }
}

void lwm2m_pki_pem_encode(const uint8_t *der, size_t len, const char *label, lwm2m_buf *out)
{
    lwm2m_buf_printf(out, "-----BEGIN %s-----\n", label);
    /* 48 bytes make one line of 64 characters. */
    for (size_t i = 0; i < len; i += 48) {
        lwm2m_base64_encode(der + i, len - i < 48 ? len - i : 48, false, out);
        lwm2m_buf_putc(out, '\n');
    }
    lwm2m_buf_printf(out, "-----END %s-----\n", label);
}
