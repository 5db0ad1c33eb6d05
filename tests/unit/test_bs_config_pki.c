/* The Bootstrap Server's RPK and X.509 credentials: the DER and PEM readers of
 * src/bs_server/pki_der.c (SubjectPublicKeyInfo shape, subject CN, an EC key's public key,
 * PEM blocks), the configuration members "rpk" and "x509" (parsing, errors, canonical JSON,
 * templates), and the identity binding of every mode (lwm2m_bs_request_authorize_peer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bs_server/pki_der.h"
#include "lwm2m/bs_config.h"
#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

/* Test credentials made by scripts/mkcreds.sh (throw-away keys): an RPK pair and a
 * certificate with CN=dev1 signed by a test CA. */
static const char SPKI_HEX[] =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004ba0e6ada3cf362792b4f591c8a28ceb68a7a7598"
    "ce"
    "ed4c972b0d1983089b2a77ab04ba6d8c1344de8371708c0ea9a2e29a2deeebf81d0539e2829976f81f8f9d";
static const char SPKI_B64[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEug5q2jzzYnkrT1kciijOtop6dZjO7UyX"
    "Kw0ZgwibKnerBLptjBNE3oNxcIwOqaLimi3u6/gdBTnigpl2+B+PnQ==";
static const char PKCS8_HEX[] =
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420bf9f656c96d03cb3038e65"
    "5b"
    "deb99d5cded4871b6ad7e1dfe8da9b110686223da14403420004ba0e6ada3cf362792b4f591c8a28ceb68a7a7598ce"
    "ed"
    "4c972b0d1983089b2a77ab04ba6d8c1344de8371708c0ea9a2e29a2deeebf81d0539e2829976f81f8f9d";
static const char SEC1_HEX[] = "30770201010420bf9f656c96d03cb3038e655bdeb99d5cded4871b6ad7e1dfe8da9"
                               "b110686223da00a06082a8648ce3d"
                               "030107a14403420004ba0e6ada3cf362792b4f591c8a28ceb68a7a7598ceed4c972"
                               "b0d1983089b2a77ab04ba6d8c1344"
                               "de8371708c0ea9a2e29a2deeebf81d0539e2829976f81f8f9d";
static const char CERT_HEX[] =
    "308201a63082014ba003020102021407ec147159d5e6a2bdc8cb72978d58121a433123300a06082a8648ce3d040302"
    "30"
    "153113301106035504030c0a63612074657374204341301e170d3236313132353032323434325a170d333631313232"
    "30"
    "32323434325a300f310d300b06035504030c04646576313059301306072a8648ce3d020106082a8648ce3d03010703"
    "42"
    "0004cd1de05f58af419248e6e1b65574527b9ac8919b989b33cc2ecea15bca9377c9664ed6bf92c92fe5e2ebcc309b"
    "88"
    "63106eb90a9ea598d9221fb32614a4899a72a37f307d300c0603551d130101ff04023000300e0603551d0f0101ff04"
    "04"
    "03020388301d0603551d250416301406082b0601050507030106082b06010505070302301d0603551d0e041604144b"
    "b4"
    "0933c423db54219c9c0389ca61185bc4c73e301f0603551d23041830168014b1775d995da8a7a31098b3f95eaa1e90"
    "16"
    "0d0740300a06082a8648ce3d040302034900304602210099ffa85a1046e1b19a9751062da713bc5247cf28e256a1c1"
    "f0"
    "b233bc79012ca2022100c0f652f53436bea2ec40fe663b6864db5c231126130cd7d9aee982ec30224161";

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- a tiny DER writer for synthetic certificates ---------------------------------------- */

typedef struct der {
    uint8_t b[2048];
    size_t n;
} der;

/* tag + length + the bytes of `in` */
static void tlv(der *out, uint8_t tag, const uint8_t *in, size_t len)
{
    assert_true(len < 0x10000 && out->n + len + 4 <= sizeof out->b);
    out->b[out->n++] = tag;
    if (len < 0x80) {
        out->b[out->n++] = (uint8_t)len;
    } else if (len < 0x100) {
        out->b[out->n++] = 0x81;
        out->b[out->n++] = (uint8_t)len;
    } else {
        out->b[out->n++] = 0x82;
        out->b[out->n++] = (uint8_t)(len >> 8);
        out->b[out->n++] = (uint8_t)len;
    }
    if (len > 0)
        memcpy(out->b + out->n, in, len);
    out->n += len;
}

static void wrap(der *out, uint8_t tag, const der *in)
{
    tlv(out, tag, in->b, in->n);
}

/* One RDN SET { SEQUENCE { OID 2.5.4.x, string } } appended to `name`. */
static void rdn(der *name, uint8_t attr, uint8_t string_tag, const void *text, size_t len)
{
    der atv = {0}, seq = {0};
    const uint8_t oid[] = {0x55, 0x04, attr};
    tlv(&atv, 0x06, oid, sizeof oid);
    tlv(&atv, string_tag, text, len);
    wrap(&seq, 0x30, &atv);
    tlv(name, 0x31, seq.b, seq.n);
}

/* A certificate whose subject is `subject` (a Name's content); no valid signature (none of
 * this code checks one). */
static void cert_with_subject(const der *subject, der *cert)
{
    der tbs = {0}, body = {0};
    const uint8_t version[] = {0x02, 0x01, 0x02};
    tlv(&tbs, 0xa0, version, sizeof version);
    const uint8_t serial[] = {0x01};
    tlv(&tbs, 0x02, serial, 1);
    const uint8_t alg[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    tlv(&tbs, 0x30, alg, sizeof alg); /* signature */
    der issuer = {0};
    rdn(&issuer, 3, 0x0c, "ca", 2);
    wrap(&tbs, 0x30, &issuer);
    tlv(&tbs, 0x30, NULL, 0); /* validity (not read) */
    wrap(&tbs, 0x30, subject);
    uint8_t spki[128];
    size_t spki_len = unhex(SPKI_HEX, spki, sizeof spki);
    memcpy(tbs.b + tbs.n, spki, spki_len);
    tbs.n += spki_len;
    wrap(&body, 0x30, &tbs);
    tlv(&body, 0x30, alg, sizeof alg);
    const uint8_t sig[] = {0x00, 0x01};
    tlv(&body, 0x03, sig, sizeof sig);
    memset(cert, 0, sizeof *cert);
    wrap(cert, 0x30, &body);
}

/* ---- pki_der ------------------------------------------------------------------------------ */

static void spki_shape(void **state)
{
    (void)state;
    uint8_t k[256];
    size_t n = unhex(SPKI_HEX, k, sizeof k);
    const char *why = "stale";
    assert_int_equal(lwm2m_pki_spki_check(k, n, &why), LWM2M_OK);
    assert_null(why);
    /* Truncated, with a trailing byte, empty. */
    assert_int_equal(lwm2m_pki_spki_check(k, n - 1, &why), LWM2M_ERR_INVALID);
    assert_string_equal(why, "not a DER SEQUENCE");
    k[n] = 0;
    assert_int_equal(lwm2m_pki_spki_check(k, n + 1, &why), LWM2M_ERR_INVALID);
    assert_string_equal(why, "bytes after the SubjectPublicKeyInfo");
    assert_int_equal(lwm2m_pki_spki_check(k, 0, &why), LWM2M_ERR_INVALID);
    /* The BIT STRING made an OCTET STRING. */
    k[23] = 0x04;
    assert_int_equal(lwm2m_pki_spki_check(k, n, &why), LWM2M_ERR_INVALID);
    assert_string_equal(why, "no public key BIT STRING");
    /* A certificate is no SubjectPublicKeyInfo (so RPK and X.509 peers are told apart). */
    uint8_t cert[512];
    size_t cn = unhex(CERT_HEX, cert, sizeof cert);
    assert_int_equal(lwm2m_pki_spki_check(cert, cn, NULL), LWM2M_ERR_INVALID);
}

static void subject_cn_real_certificate(void **state)
{
    (void)state;
    uint8_t cert[512];
    size_t n = unhex(CERT_HEX, cert, sizeof cert);
    char cn[64];
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert, n, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "dev1"); /* the subject's, not the issuer's "ca test CA" */
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert, n, cn, 4), LWM2M_ERR_OVERFLOW);
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert, n, cn, 5), LWM2M_OK);
    /* Every truncation is refused, none reads past the end. */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(lwm2m_pki_cert_subject_cn(cert, len, cn, sizeof cn), LWM2M_ERR_INVALID);
}

static void subject_cn_forms(void **state)
{
    (void)state;
    der name = {0}, cert;
    char cn[64];
    /* Several attributes, two CNs: the last (most specific) one. */
    rdn(&name, 10, 0x13, "Acme", 4); /* O */
    rdn(&name, 3, 0x13, "first", 5);
    rdn(&name, 3, 0x0c, "urn:dev:last", 12);
    cert_with_subject(&name, &cert);
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert.b, cert.n, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "urn:dev:last");

    /* BMPString to UTF-8. */
    memset(&name, 0, sizeof name);
    const uint8_t bmp[] = {0x00, 'd', 0x00, 0xe9, 0x20, 0xac}; /* "d", e acute, euro */
    rdn(&name, 3, 0x1e, bmp, sizeof bmp);
    cert_with_subject(&name, &cert);
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert.b, cert.n, cn, sizeof cn), LWM2M_OK);
    assert_string_equal(cn, "d\xc3\xa9\xe2\x82\xac");

    /* No CN. */
    memset(&name, 0, sizeof name);
    rdn(&name, 10, 0x13, "Acme", 4);
    cert_with_subject(&name, &cert);
    assert_int_equal(lwm2m_pki_cert_subject_cn(cert.b, cert.n, cn, sizeof cn), LWM2M_ERR_NOT_FOUND);
    assert_string_equal(cn, "");

    /* A control character, invalid UTF-8, an empty CN, a number where text belongs. */
    static const struct {
        uint8_t tag;
        const char *text;
        size_t len;
    } bad[] = {{0x0c, "dev\n1", 5},
               {0x0c, "\xc3\x28", 2},
               {0x0c, "", 0},
               {0x02, "\x01", 1},
               {0x13, "caf\xe9", 4}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&name, 0, sizeof name);
        rdn(&name, 3, bad[i].tag, bad[i].text, bad[i].len);
        cert_with_subject(&name, &cert);
        assert_int_equal(lwm2m_pki_cert_subject_cn(cert.b, cert.n, cn, sizeof cn),
                         LWM2M_ERR_INVALID);
    }
}

static void ec_key_public_key(void **state)
{
    (void)state;
    uint8_t key[256], want[128], got[128];
    size_t want_len = unhex(SPKI_HEX, want, sizeof want), got_len = 0;
    size_t n = unhex(PKCS8_HEX, key, sizeof key);
    assert_int_equal(lwm2m_pki_ec_key_spki(key, n, got, sizeof got, &got_len), LWM2M_OK);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    assert_int_equal(lwm2m_pki_ec_key_spki(key, n, got, want_len - 1, &got_len),
                     LWM2M_ERR_OVERFLOW);
    /* SEC1 (openssl ec -outform DER): the same public key. */
    n = unhex(SEC1_HEX, key, sizeof key);
    assert_int_equal(lwm2m_pki_ec_key_spki(key, n, got, sizeof got, &got_len), LWM2M_OK);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    /* A SEC1 key without its [1] public key: nothing to derive it from here. */
    n = unhex("30310201010420bf9f656c96d03cb3038e655bdeb99d5cded4871b6ad7e1dfe8da9b110686223d"
              "a00a06082a8648ce3d030107",
              key, sizeof key);
    assert_int_equal(lwm2m_pki_ec_key_spki(key, n, got, sizeof got, &got_len), LWM2M_ERR_NOT_FOUND);
    /* A certificate is no key. */
    uint8_t cert[512];
    n = unhex(CERT_HEX, cert, sizeof cert);
    assert_int_equal(lwm2m_pki_ec_key_spki(cert, n, got, sizeof got, &got_len), LWM2M_ERR_INVALID);
}

static void pem_round_trip(void **state)
{
    (void)state;
    uint8_t k[128], back[128];
    size_t n = unhex(SPKI_HEX, k, sizeof k), back_len = 0;
    char text[512];
    lwm2m_buf b = lwm2m_buf_init(text, sizeof text - 1);
    lwm2m_pki_pem_encode(k, n, "PUBLIC KEY", &b);
    assert_false(lwm2m_buf_overflowed(&b));
    text[b.len] = '\0';
    char want[256];
    snprintf(want, sizeof want, "-----BEGIN PUBLIC KEY-----\n%.64s\n%s\n-----END PUBLIC KEY-----\n",
             SPKI_B64, SPKI_B64 + 64);
    assert_string_equal(text, want);
    assert_true(lwm2m_pki_is_pem((const uint8_t *)"\n  -----BEGIN X-----", 19));
    assert_false(lwm2m_pki_is_pem(k, n));
    /* A PEM file with two blocks: each by its label, CRLF line ends. */
    char two[1024];
    snprintf(two, sizeof two,
             "-----BEGIN PRIVATE KEY-----\r\nAAEC\r\n-----END PRIVATE KEY-----\r\n%s", text);
    assert_int_equal(
        lwm2m_pki_pem_decode(two, strlen(two), "PUBLIC KEY", back, sizeof back, &back_len),
        LWM2M_OK);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, k, n);
    assert_int_equal(
        lwm2m_pki_pem_decode(two, strlen(two), "PRIVATE KEY", back, sizeof back, &back_len),
        LWM2M_OK);
    assert_int_equal(back_len, 3);
    assert_int_equal(
        lwm2m_pki_pem_decode(two, strlen(two), "CERTIFICATE", back, sizeof back, &back_len),
        LWM2M_ERR_NOT_FOUND);
    assert_int_equal(
        lwm2m_pki_pem_decode(text, strlen(text) - 26, "PUBLIC KEY", back, sizeof back, &back_len),
        LWM2M_ERR_INVALID); /* no END line */
    assert_int_equal(lwm2m_pki_pem_decode(text, strlen(text), NULL, back, 10, &back_len),
                     LWM2M_ERR_OVERFLOW);
}

/* ---- configuration members ---------------------------------------------------------------- */

static lwm2m_bs_config *parse_ok(const char *json)
{
    lwm2m_bs_config *cfg = NULL;
    char err[256] = "";
    int rc = lwm2m_bs_config_parse(json, strlen(json), NULL, &cfg, err, sizeof err);
    if (rc != LWM2M_OK)
        print_error("unexpected parse error %d: %s\n", rc, err);
    assert_int_equal(rc, LWM2M_OK);
    return cfg;
}

static void parse_err(const char *json, int want_rc, const char *want_msg)
{
    lwm2m_bs_config *cfg = NULL;
    char err[256] = "";
    int rc = lwm2m_bs_config_parse(json, strlen(json), NULL, &cfg, err, sizeof err);
    if (rc != want_rc || strcmp(err, want_msg) != 0)
        print_error("for %.160s\n got %d '%s'\nwant %d '%s'\n", json, rc, err, want_rc, want_msg);
    assert_int_equal(rc, want_rc);
    assert_string_equal(err, want_msg);
    assert_null(cfg);
}

/* to_json(parse(json)) is `want`, and parsing that gives it back. */
static void round_trip(const char *json, const char *want)
{
    lwm2m_bs_config *cfg = parse_ok(json);
    char *out = lwm2m_bs_config_to_json(cfg);
    assert_non_null(out);
    assert_string_equal(out, want);
    lwm2m_bs_config *again = parse_ok(out);
    char *out2 = lwm2m_bs_config_to_json(again);
    assert_string_equal(out2, out);
    free(out);
    free(out2);
    lwm2m_bs_config_free(cfg);
    lwm2m_bs_config_free(again);
}

static void rpk_member(void **state)
{
    (void)state;
    char json[1024], want[1024];
    snprintf(want, sizeof want,
             "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s\"},\"discover\":true,"
             "\"autoIdForSecurityObject\":false}",
             SPKI_HEX);
    /* Hex (any case), {"hex"} and {"base64"} all read the same key, written back in hex. */
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s\"}}", SPKI_HEX);
    for (char *p = strstr(json, "3059"); *p != '"'; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    round_trip(json, want);
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":{\"hex\":\"%s\"}}}",
             SPKI_HEX);
    round_trip(json, want);
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":{\"base64\":\"%s\"}}}",
             SPKI_B64);
    round_trip(json, want);

    lwm2m_bs_config *cfg = parse_ok(json);
    uint8_t k[128];
    size_t n = unhex(SPKI_HEX, k, sizeof k);
    assert_int_equal(cfg->public_key_len, n);
    assert_memory_equal(cfg->public_key, k, n);
    assert_int_equal(lwm2m_bs_config_credentials(cfg), LWM2M_BS_CREDS_RPK);
    assert_string_equal(lwm2m_bs_credentials_name(LWM2M_BS_CREDS_RPK), "rpk");
    lwm2m_bs_config_free(cfg);
}

static void rpk_errors(void **state)
{
    (void)state;
    parse_err("{\"endpoint\":\"e\",\"rpk\":{}}", LWM2M_ERR_INVALID, "rpk: publicKey is required");
    parse_err("{\"endpoint\":\"e\",\"rpk\":\"3059\"}", LWM2M_ERR_TYPE, "rpk: expected an object");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"30\",\"x\":1}}", LWM2M_ERR_INVALID,
              "rpk/x: unknown key");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":12}}", LWM2M_ERR_TYPE,
              "rpk/publicKey: expected a hex string, {\"hex\": ...} or {\"base64\": ...}");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"3g\"}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: invalid hex");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":{\"base64\":\"*\"}}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: invalid base64");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"30000000\"}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (bytes after the "
              "SubjectPublicKeyInfo)");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"\"}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (empty)");
    /* A certificate where the key belongs. */
    char json[2048];
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s\"}}", CERT_HEX);
    parse_err(json, LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (no algorithm OID)");
    /* Longer than 1024 bytes. */
    char big[2 * 1025 + 64];
    size_t at = (size_t)snprintf(big, sizeof big, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"");
    for (int i = 0; i < 1025; i++, at += 2)
        memcpy(big + at, "00", 2);
    snprintf(big + at, sizeof big - at, "\"}}");
    parse_err(big, LWM2M_ERR_RANGE, "rpk/publicKey: longer than 1024 bytes");
}

static void x509_member(void **state)
{
    (void)state;
    round_trip(
        "{\"endpoint\":\"e\",\"x509\":{}}",
        "{\"endpoint\":\"e\",\"x509\":{},\"discover\":true,\"autoIdForSecurityObject\":false}");
    lwm2m_bs_config *cfg = parse_ok("{\"endpoint\":\"e\",\"x509\":{}}");
    assert_true(cfg->x509);
    assert_int_equal(lwm2m_bs_config_credentials(cfg), LWM2M_BS_CREDS_X509);
    lwm2m_bs_config_free(cfg);
    cfg = parse_ok("{\"endpoint\":\"e\"}");
    assert_int_equal(lwm2m_bs_config_credentials(cfg), LWM2M_BS_CREDS_NONE);
    assert_string_equal(lwm2m_bs_credentials_name(LWM2M_BS_CREDS_NONE), "nosec");
    lwm2m_bs_config_free(cfg);
    parse_err("{\"endpoint\":\"e\",\"x509\":{\"cn\":\"x\"}}", LWM2M_ERR_INVALID,
              "x509/cn: unknown key");
    parse_err("{\"endpoint\":\"e\",\"x509\":true}", LWM2M_ERR_TYPE, "x509: expected an object");
    parse_err("{\"endpoint\":\"e\",\"x509\":{},\"x509\":{}}", LWM2M_ERR_INVALID,
              "x509: duplicate key");
}

static void modes_exclusive(void **state)
{
    (void)state;
    char json[512];
    snprintf(json, sizeof json,
             "{\"endpoint\":\"e\",\"psk\":{\"identity\":\"i\",\"key\":\"00\"},"
             "\"rpk\":{\"publicKey\":\"%s\"}}",
             SPKI_HEX);
    parse_err(json, LWM2M_ERR_INVALID, "psk, rpk and x509 exclude each other");
    parse_err("{\"endpoint\":\"e\",\"psk\":{\"identity\":\"i\",\"key\":\"00\"},\"x509\":{}}",
              LWM2M_ERR_INVALID, "psk, rpk and x509 exclude each other");
}

static void template_placeholders(void **state)
{
    (void)state;
    /* A template keeps the placeholder (and its wrapper); expansion checks the key. */
    const char *tmpl = "{\"template\":\"t\",\"rpk\":{\"publicKey\":{\"hex\":\"${key}\"}}}";
    lwm2m_bs_config *cfg = parse_ok(tmpl);
    assert_int_equal(lwm2m_bs_config_credentials(cfg), LWM2M_BS_CREDS_RPK);
    assert_int_equal(cfg->public_key_len, 0);
    char *out = lwm2m_bs_config_to_json(cfg);
    assert_string_equal(out, "{\"template\":\"t\",\"rpk\":{\"publicKey\":{\"hex\":\"${key}\"}},"
                             "\"discover\":true,\"autoIdForSecurityObject\":false}");
    free(out);
    lwm2m_bs_config_free(cfg);

    lwm2m_bs_var vars[] = {{"key", SPKI_HEX}};
    char err[256] = "";
    assert_int_equal(
        lwm2m_bs_config_expand(tmpl, strlen(tmpl), "dev-7", vars, 1, NULL, &cfg, err, sizeof err),
        LWM2M_OK);
    uint8_t k[128];
    size_t n = unhex(SPKI_HEX, k, sizeof k);
    assert_int_equal(cfg->public_key_len, n);
    assert_memory_equal(cfg->public_key, k, n);
    lwm2m_bs_config_free(cfg);
    lwm2m_bs_var bad[] = {{"key", "00ff"}};
    cfg = NULL;
    assert_int_equal(
        lwm2m_bs_config_expand(tmpl, strlen(tmpl), "dev-7", bad, 1, NULL, &cfg, err, sizeof err),
        LWM2M_ERR_INVALID);
    assert_null(cfg);
    assert_non_null(strstr(err, "not a SubjectPublicKeyInfo"));

    /* x509 in a template: the fleet's certificates carry their endpoint names. */
    const char *fleet = "{\"template\":\"f\",\"match\":\"sensor-*\",\"x509\":{}}";
    assert_int_equal(lwm2m_bs_config_expand(fleet, strlen(fleet), "sensor-1", NULL, 0, NULL, &cfg,
                                            err, sizeof err),
                     LWM2M_OK);
    assert_true(cfg->x509);
    lwm2m_bs_config_free(cfg);
    /* A placeholder outside a template is a key like any other: invalid hex. */
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"${key}\"}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: invalid hex");
}

static void copy_credentials(void **state)
{
    (void)state;
    char json[512];
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s\"}}", SPKI_HEX);
    lwm2m_bs_config *own = parse_ok(json);
    lwm2m_bs_config *dst =
        parse_ok("{\"endpoint\":\"e\",\"psk\":{\"identity\":\"tmpl\",\"key\":\"0102\"}}");
    assert_int_equal(lwm2m_bs_config_copy_credentials(dst, own), LWM2M_OK);
    lwm2m_bs_config_free(own); /* the copy does not point into it */
    assert_int_equal(lwm2m_bs_config_credentials(dst), LWM2M_BS_CREDS_RPK);
    assert_int_equal(dst->psk_identity_len, 0);
    uint8_t k[128];
    size_t n = unhex(SPKI_HEX, k, sizeof k);
    assert_int_equal(dst->public_key_len, n);
    assert_memory_equal(dst->public_key, k, n);
    /* A source without credentials leaves the destination's. */
    lwm2m_bs_config *none = parse_ok("{\"endpoint\":\"e\"}");
    assert_int_equal(lwm2m_bs_config_copy_credentials(dst, none), LWM2M_OK);
    assert_int_equal(lwm2m_bs_config_credentials(dst), LWM2M_BS_CREDS_RPK);
    lwm2m_bs_config *x = parse_ok("{\"endpoint\":\"e\",\"x509\":{}}");
    assert_int_equal(lwm2m_bs_config_copy_credentials(dst, x), LWM2M_OK);
    assert_int_equal(lwm2m_bs_config_credentials(dst), LWM2M_BS_CREDS_X509);
    assert_int_equal(dst->public_key_len, 0);
    lwm2m_bs_config_free(none);
    lwm2m_bs_config_free(x);
    lwm2m_bs_config_free(dst);
}

/* ---- the binding ------------------------------------------------------------------------- */

static unsigned authorize(const lwm2m_bs_config *cfg, lwm2m_bs_peer peer, char *diag)
{
    strcpy(diag, "stale");
    unsigned code = lwm2m_bs_request_authorize_peer(cfg, &peer, diag, 160);
    if (code == 0)
        assert_string_equal(diag, "stale"); /* untouched when allowed */
    return code;
}

static void binding_every_mode(void **state)
{
    (void)state;
    uint8_t key[128], other[128];
    size_t n = unhex(SPKI_HEX, key, sizeof key);
    memcpy(other, key, n);
    other[n - 1] ^= 1;
    char json[512], diag[160];
    snprintf(json, sizeof json, "{\"endpoint\":\"dev-r\",\"rpk\":{\"publicKey\":\"%s\"}}",
             SPKI_HEX);
    lwm2m_bs_config *rpk = parse_ok(json);
    lwm2m_bs_config *x509 = parse_ok("{\"endpoint\":\"dev-x\",\"x509\":{}}");
    lwm2m_bs_config *psk =
        parse_ok("{\"endpoint\":\"dev-p\",\"psk\":{\"identity\":\"id-p\",\"key\":\"00\"}}");
    lwm2m_bs_config *nosec = parse_ok("{\"endpoint\":\"dev-n\"}");
    const lwm2m_bs_peer none = {LWM2M_BS_PEER_NOSEC, NULL, 0, NULL, 0, NULL, NULL};
    const lwm2m_bs_peer psk_p = {
        LWM2M_BS_PEER_PSK, (const uint8_t *)"id-p", 4, NULL, 0, NULL, NULL};
    const lwm2m_bs_peer rpk_p = {LWM2M_BS_PEER_RPK, NULL, 0, key, n, NULL, NULL};
    const lwm2m_bs_peer rpk_other = {LWM2M_BS_PEER_RPK, NULL, 0, other, n, NULL, NULL};
    const lwm2m_bs_peer rpk_short = {LWM2M_BS_PEER_RPK, NULL, 0, key, n - 1, NULL, NULL};
    const lwm2m_bs_peer x_same = {LWM2M_BS_PEER_X509, NULL, 0, NULL, 0, "dev-x", NULL};
    const lwm2m_bs_peer x_mapped = {LWM2M_BS_PEER_X509, NULL, 0, NULL, 0, "CN 42", "dev-x"};
    const lwm2m_bs_peer x_elsewhere = {LWM2M_BS_PEER_X509, NULL, 0, NULL, 0, "CN 42", "dev-y"};
    const lwm2m_bs_peer x_other = {LWM2M_BS_PEER_X509, NULL, 0, NULL, 0, "dev-y", NULL};
    const lwm2m_bs_peer x_no_cn = {LWM2M_BS_PEER_X509, NULL, 0, NULL, 0, "", NULL};

    /* RPK: its own key only. */
    assert_int_equal(authorize(rpk, rpk_p, diag), 0);
    assert_int_equal(authorize(rpk, rpk_other, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "public key not registered for this endpoint");
    assert_int_equal(authorize(rpk, rpk_short, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(authorize(rpk, none, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has credentials, request came over NoSec");
    assert_int_equal(authorize(rpk, psk_p, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has rpk credentials, request came over psk");
    assert_int_equal(authorize(rpk, x_same, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has rpk credentials, request came over x509");

    /* X.509: CN equal to the endpoint, or mapped to it. */
    assert_int_equal(authorize(x509, x_same, diag), 0);
    assert_int_equal(authorize(x509, x_mapped, diag), 0);
    assert_int_equal(authorize(x509, x_elsewhere, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "certificate CN 'CN 42' is mapped to endpoint 'dev-y'");
    assert_int_equal(authorize(x509, x_other, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag,
                        "certificate CN 'dev-y' is not the endpoint name and is not mapped to it");
    assert_int_equal(authorize(x509, x_no_cn, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "certificate without subject CN");
    assert_int_equal(authorize(x509, rpk_p, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has x509 credentials, request came over rpk");
    assert_int_equal(authorize(x509, none, diag), LWM2M_CODE_BAD_REQUEST);

    /* PSK keeps its rule, and refuses the new modes. */
    assert_int_equal(authorize(psk, psk_p, diag), 0);
    assert_int_equal(authorize(psk, rpk_p, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has psk credentials, request came over rpk");

    /* No credentials: NoSec only; a certificate or key bound to nothing is refused. */
    assert_int_equal(authorize(nosec, none, diag), 0);
    assert_int_equal(authorize(nosec, rpk_p, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "credentials not bound to this endpoint");
    assert_int_equal(authorize(nosec, x_other, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(authorize(nosec, psk_p, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "identity not bound to this endpoint");

    lwm2m_bs_config_free(rpk);
    lwm2m_bs_config_free(x509);
    lwm2m_bs_config_free(psk);
    lwm2m_bs_config_free(nosec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spki_shape),       cmocka_unit_test(subject_cn_real_certificate),
        cmocka_unit_test(subject_cn_forms), cmocka_unit_test(ec_key_public_key),
        cmocka_unit_test(pem_round_trip),   cmocka_unit_test(rpk_member),
        cmocka_unit_test(rpk_errors),       cmocka_unit_test(x509_member),
        cmocka_unit_test(modes_exclusive),  cmocka_unit_test(template_placeholders),
        cmocka_unit_test(copy_credentials), cmocka_unit_test(binding_every_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
