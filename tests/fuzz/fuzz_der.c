/* libFuzzer harness of the DER reader (src/core/der.c), every entry point of lwm2m/der.h. The
 * input is read as a SubjectPublicKeyInfo, a certificate and a private key, from a buffer of
 * exactly its size (so that the sanitizers see any read past it), and as PEM text. Oracles:
 * what a reader returns lies inside the input; an accepted element is refused without its
 * last byte and with one byte more; a certificate's key reads again as a SubjectPublicKeyInfo
 * with the same key; its subject CN as text is non-empty UTF-8 without control characters
 * that fits exactly its length plus the NUL; the SPKI rebuilt from a private key reads again
 * and pairs with it; PEM armour made of the input (by this harness and by lwm2m_der_to_pem)
 * decodes back to the input, and a PEM block decodes to the size it reports, also when the
 * output is too small; the block picked by label is the first block when the label is any,
 * and walking the blocks by their end offsets stays inside the text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static bool within(lwm2m_bytes b, const uint8_t *data, size_t size)
{
    return b.len == 0 ||
           (b.ptr >= data && b.len <= size && b.ptr - data <= (ptrdiff_t)(size - b.len));
}

static bool same(lwm2m_bytes a, lwm2m_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

typedef int (*reader)(const uint8_t *, size_t);
static int spki(const uint8_t *d, size_t n)
{
    lwm2m_public_key k;
    return lwm2m_der_public_key(d, n, &k, NULL);
}
static int cert(const uint8_t *d, size_t n)
{
    lwm2m_certificate c;
    return lwm2m_der_certificate(d, n, &c, NULL);
}
static int key(const uint8_t *d, size_t n)
{
    lwm2m_private_key k;
    return lwm2m_der_private_key(d, n, &k, NULL);
}

/* An accepted element: refused one byte shorter and one byte longer. */
static void not_shorter_or_longer(reader r, const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size + 1);
    CHECK(copy != NULL);
    memcpy(copy, data, size);
    uint8_t *shorter = malloc(size - 1 ? size - 1 : 1);
    CHECK(shorter != NULL);
    memcpy(shorter, data, size - 1);
    CHECK(r(shorter, size - 1) == LWM2M_ERR_INVALID);
    copy[size] = data[0];
    CHECK(r(copy, size + 1) == LWM2M_ERR_INVALID);
    free(shorter);
    free(copy);
}

static void check_public_key(const lwm2m_public_key *k, const uint8_t *data, size_t size)
{
    CHECK(within(k->spki, data, size) && within(k->key, data, size));
    CHECK(within(k->algorithm, data, size) && within(k->modulus, data, size));
    CHECK(within(k->exponent, data, size));
    CHECK(k->alg == LWM2M_KEY_ALG_EC || k->curve == LWM2M_CURVE_NONE);
    CHECK(k->alg != LWM2M_KEY_ALG_EC || k->curve != LWM2M_CURVE_NONE);
    CHECK(lwm2m_key_alg_name(k->alg) != NULL && lwm2m_ec_curve_name(k->curve) != NULL);
}

/* The subject CN as text: its codes, and exactly its length plus the NUL of room needed. */
static void check_subject_cn(const lwm2m_certificate *c)
{
    char cn[1200];
    int rc = lwm2m_der_subject_cn(c, cn, sizeof cn);
    CHECK(rc == LWM2M_OK || rc == LWM2M_ERR_NOT_FOUND || rc == LWM2M_ERR_INVALID ||
          rc == LWM2M_ERR_OVERFLOW);
    CHECK((rc == LWM2M_ERR_NOT_FOUND) == (c->subject_cn_tag == 0));
    if (rc != LWM2M_OK) {
        CHECK(cn[0] == '\0');
        return;
    }
    size_t n = strlen(cn);
    CHECK(n > 0 && lwm2m_utf8_valid((const uint8_t *)cn, n));
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)cn[i] >= 0x20 && cn[i] != 0x7F);
    char again[1200];
    CHECK(lwm2m_der_subject_cn(c, again, n + 1) == LWM2M_OK && strcmp(again, cn) == 0);
    CHECK(lwm2m_der_subject_cn(c, again, n) == LWM2M_ERR_OVERFLOW && again[0] == '\0');
}

/* lwm2m_der_to_pem of the input: the size it tells, and it reads back whole. */
static void check_to_pem(const uint8_t *in, size_t size, uint8_t *out)
{
    size_t need = 0, n = 0;
    CHECK(lwm2m_der_to_pem(in, size, "FUZZ", NULL, 0, &need) == LWM2M_ERR_OVERFLOW);
    char *pem = malloc(need + 1);
    CHECK(pem != NULL);
    CHECK(lwm2m_der_to_pem(in, size, "FUZZ", pem, need, &n) == LWM2M_ERR_OVERFLOW && n == need);
    CHECK(lwm2m_der_to_pem(in, size, "FUZZ", pem, need + 1, &n) == LWM2M_OK && n == need);
    CHECK(strlen(pem) == need && lwm2m_der_is_pem((const uint8_t *)pem, need));
    size_t next = 0;
    CHECK(lwm2m_der_pem_block(pem, need, "FUZZ", out, size + 1, &n, &next) == LWM2M_OK);
    CHECK(n == size && (size == 0 || memcmp(out, in, size) == 0) && next == need - 1);
    free(pem);
}

/* The input as PEM text: the first block of any label is what lwm2m_der_from_pem reads;
 * the blocks walked one after another by their end offsets. */
static void check_pem_blocks(const uint8_t *in, size_t size, uint8_t *out)
{
    const char *text = (const char *)in;
    char label[80];
    size_t n = 0, m = 0, next = 0;
    int first = lwm2m_der_from_pem(text, size, label, sizeof label, out, size + 1, &n);
    uint8_t *copy = malloc(size + 1);
    CHECK(copy != NULL);
    int any = lwm2m_der_pem_block(text, size, NULL, copy, size + 1, &m, &next);
    CHECK(any == first && m == n && (any != LWM2M_OK || n == 0 || memcmp(out, copy, n) == 0));
    if (any == LWM2M_OK) {
        /* the same block picked by its own label */
        size_t k = 0;
        CHECK(lwm2m_der_pem_block(text, size, label, copy, size + 1, &k, NULL) == LWM2M_OK);
        CHECK(k == n);
    }
    size_t at = 0;
    for (int blocks = 0; blocks < 16; blocks++) {
        next = 0;
        int rc = lwm2m_der_pem_block(text + at, size - at, blocks % 2 ? "CERTIFICATE" : NULL, copy,
                                     size + 1, &m, &next);
        CHECK(rc == LWM2M_OK || rc == LWM2M_ERR_NOT_FOUND || rc == LWM2M_ERR_INVALID);
        if (rc != LWM2M_OK)
            break;
        CHECK(m <= size - at && next >= 16 && next <= size - at);
        CHECK(memcmp(text + at + next - 5, "-----", 5) == 0);
        at += next;
    }
    free(copy);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* PEM of `data` into out (4 * size / 3 + size / 48 + 64 bytes of room). */
static size_t pem_of(const uint8_t *data, size_t size, char *out)
{
    size_t n = (size_t)sprintf(out, "-----BEGIN FUZZ-----\n");
    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < size ? (uint32_t)data[i + 1] << 8 : 0) |
                     (i + 2 < size ? data[i + 2] : 0);
        out[n++] = b64[v >> 18 & 63];
        out[n++] = b64[v >> 12 & 63];
        out[n++] = i + 1 < size ? b64[v >> 6 & 63] : '=';
        out[n++] = i + 2 < size ? b64[v & 63] : '=';
        if (i % 48 == 45)
            out[n++] = '\n';
    }
    n += (size_t)sprintf(out + n, "\n-----END FUZZ-----\n");
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = malloc(size ? size : 1);
    CHECK(in != NULL);
    memcpy(in, data, size);

    lwm2m_public_key k;
    const char *why = NULL;
    int rc = lwm2m_der_public_key(in, size, &k, &why);
    CHECK(rc == LWM2M_OK || (rc == LWM2M_ERR_INVALID && why != NULL));
    if (rc == LWM2M_OK) {
        check_public_key(&k, in, size);
        CHECK(k.spki.ptr == in && k.spki.len == size);
        not_shorter_or_longer(spki, in, size);
    }

    lwm2m_certificate c;
    why = NULL;
    rc = lwm2m_der_certificate(in, size, &c, &why);
    CHECK(rc == LWM2M_OK || (rc == LWM2M_ERR_INVALID && why != NULL));
    if (rc == LWM2M_OK) {
        check_public_key(&c.public_key, in, size);
        CHECK(within(c.tbs, in, size) && within(c.serial, in, size));
        CHECK(within(c.issuer, in, size) && within(c.subject, in, size));
        CHECK(within(c.subject_cn, in, size));
        CHECK(c.version >= 1 && c.version <= 3 && c.ca >= -1 && c.ca <= 1);
        CHECK(c.not_before <= c.not_after);
        CHECK(c.self_issued == same(c.issuer, c.subject));
        lwm2m_public_key again;
        CHECK(lwm2m_der_public_key(c.public_key.spki.ptr, c.public_key.spki.len, &again, NULL) ==
              LWM2M_OK);
        CHECK(same(again.key, c.public_key.key) && again.alg == c.public_key.alg &&
              again.curve == c.public_key.curve);
        check_subject_cn(&c);
        char t[32];
        lwm2m_der_format_time(c.not_after, t, sizeof t);
        CHECK(strlen(t) >= 20);
        not_shorter_or_longer(cert, in, size);
    }

    lwm2m_private_key p;
    why = NULL;
    rc = lwm2m_der_private_key(in, size, &p, &why);
    CHECK(rc == LWM2M_OK || (rc == LWM2M_ERR_INVALID && why != NULL));
    if (rc == LWM2M_OK) {
        CHECK(within(p.public_key, in, size) && within(p.modulus, in, size));
        CHECK(within(p.exponent, in, size));
        uint8_t spki_buf[1200];
        size_t n = 0;
        int src = lwm2m_der_spki_of(&p, spki_buf, sizeof spki_buf, &n);
        CHECK(src == LWM2M_OK || src == LWM2M_ERR_NOT_FOUND);
        if (src == LWM2M_OK) {
            lwm2m_public_key derived;
            CHECK(lwm2m_der_public_key(spki_buf, n, &derived, NULL) == LWM2M_OK);
            CHECK(lwm2m_der_key_mismatch(&p, &derived) == NULL);
            size_t needed = 0;
            CHECK(lwm2m_der_spki_of(&p, spki_buf, n - 1, &needed) == LWM2M_ERR_OVERFLOW);
            CHECK(needed == n);
        }
        not_shorter_or_longer(key, in, size);
    }

    /* PEM made of the input decodes back to it */
    char *pem = malloc(size * 4 / 3 + size / 48 + 64);
    uint8_t *out = malloc(size + 1);
    CHECK(pem != NULL && out != NULL);
    size_t pem_len = pem_of(in, size, pem);
    char label[16];
    size_t n = 0;
    CHECK(lwm2m_der_from_pem(pem, pem_len, label, sizeof label, out, size + 1, &n) == LWM2M_OK);
    CHECK(n == size && (size == 0 || memcmp(out, in, size) == 0) && strcmp(label, "FUZZ") == 0);
    CHECK(lwm2m_der_is_pem((const uint8_t *)pem, pem_len));

    check_to_pem(in, size, out);
    check_pem_blocks(in, size, out);

    /* the input as PEM text */
    rc = lwm2m_der_from_pem((const char *)in, size, label, sizeof label, out, size + 1, &n);
    CHECK(rc == LWM2M_OK || rc == LWM2M_ERR_NOT_FOUND || rc == LWM2M_ERR_INVALID);
    if (rc == LWM2M_OK) {
        CHECK(n <= size && strlen(label) < sizeof label);
        if (n > 0) {
            size_t needed = 0;
            CHECK(lwm2m_der_from_pem((const char *)in, size, label, sizeof label, out, n - 1,
                                     &needed) == LWM2M_ERR_OVERFLOW);
            CHECK(needed == n);
        }
    }
    free(pem);
    free(out);
    free(in);
    return 0;
}
