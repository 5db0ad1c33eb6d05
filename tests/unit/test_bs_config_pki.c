/* The Bootstrap Server's RPK and X.509 credentials: the configuration members "rpk" and
 * "x509" (parsing, errors, canonical JSON, templates), the identity binding of every mode
 * (lwm2m_bs_request_authorize_peer), and the key material of RPK and certificate accounts
 * checked when a configuration is validated, as the client's Finish check does. (The DER and
 * PEM reader itself, the servers' included: tests/unit/test_der.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "der_vectors.h"
#include "lwm2m/bs_config.h"
#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

/* Test credentials made by scripts/mkcreds.sh (throw-away keys): a raw public key and a
 * certificate with CN=dev1 signed by a test CA. */
static const char SPKI_HEX[] =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004ba0e6ada3cf362792b4f591c8a28ceb68a7a7598"
    "ce"
    "ed4c972b0d1983089b2a77ab04ba6d8c1344de8371708c0ea9a2e29a2deeebf81d0539e2829976f81f8f9d";
static const char SPKI_B64[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEug5q2jzzYnkrT1kciijOtop6dZjO7UyX"
    "Kw0ZgwibKnerBLptjBNE3oNxcIwOqaLimi3u6/gdBTnigpl2+B+PnQ==";
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
              "rpk/publicKey: not a SubjectPublicKeyInfo (an element is missing)");
    parse_err("{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"\"}}", LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (an element is missing)");
    /* A SubjectPublicKeyInfo with a byte more, one with a byte less. */
    char json[2048];
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s00\"}}", SPKI_HEX);
    parse_err(json, LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (bytes after the end of the "
              "SubjectPublicKeyInfo)");
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%.*s\"}}",
             (int)strlen(SPKI_HEX) - 2, SPKI_HEX);
    parse_err(json, LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (length runs past the end)");
    /* A certificate where the key belongs. */
    snprintf(json, sizeof json, "{\"endpoint\":\"e\",\"rpk\":{\"publicKey\":\"%s\"}}", CERT_HEX);
    parse_err(json, LWM2M_ERR_INVALID,
              "rpk/publicKey: not a SubjectPublicKeyInfo (AlgorithmIdentifier: OID expected)");
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

/* ---- key material at validation ------------------------------------------------------- */

/* Lower-case hex of b[0..n) into out (2n + 1 bytes). */
static const char *hex_of(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
    return out;
}

typedef struct blob {
    const uint8_t *b;
    size_t n;
} blob;
#define BLOB(a) ((blob){(a), sizeof(a)})

/* Validates a configuration with one server account in Security Mode `mode` on coaps, with
 * /0/1/3, /0/1/4 and /0/1/5 (hex) and `extra` Security resources (",\"15\":1"); the plan's
 * own modes are the client's (so the placeholder Bootstrap-Server account is in `mode` too).
 * Returns the index lwm2m_bs_config_validate returns; *r its result. */
static int validate_account(int mode, blob own, blob server, blob secret, const char *extra,
                            lwm2m_consistency_result *r)
{
    static char json[8192], h3[2048], h4[2048], h5[2048];
    assert_true(own.n <= 1000 && server.n <= 1000 && secret.n <= 1000);
    int len =
        snprintf(json, sizeof json,
                 "{\"endpoint\":\"e\",\"objects\":{\"0\":{\"1\":{"
                 "\"0\":\"coaps://s.example:5684\",\"1\":false,\"2\":%d,"
                 "\"3\":{\"hex\":\"%s\"},\"4\":{\"hex\":\"%s\"},\"5\":{\"hex\":\"%s\"},"
                 "\"10\":101%s}},\"1\":{\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}}",
                 mode, hex_of(own.b, own.n, h3), hex_of(server.b, server.n, h4),
                 hex_of(secret.b, secret.n, h5), extra);
    assert_true(len > 0 && (size_t)len < sizeof json);
    lwm2m_bs_config *cfg = parse_ok(json);
    assert_int_equal(cfg->plans[0].caps.security_modes, 1u << mode);
    int idx = lwm2m_bs_config_validate(cfg, NULL, r);
    lwm2m_bs_config_free(cfg);
    return idx;
}

static void validate_valid_accounts(void **state)
{
    (void)state;
    lwm2m_consistency_result r;
    /* RPK: its key pair, the server's key (the placeholder account is an RPK one too) */
    assert_int_equal(validate_account(1, BLOB(RPK_PUB), BLOB(RPK_PUB), BLOB(RPK_KEY), "", &r), -1);
    assert_string_equal(r.message, "consistent");
    /* the server's own key, the client's key in SEC1 */
    uint8_t server[128];
    blob server_key = {server, unhex(SPKI_HEX, server, sizeof server)};
    assert_int_equal(validate_account(1, BLOB(RPK_PUB), server_key, BLOB(RPK_SEC1), "", &r), -1);
    /* X.509: its certificate and key; the server's certificate (Certificate Usage 3 by
     * default), or a trust anchor for usage 2 */
    assert_int_equal(validate_account(2, BLOB(CERT), BLOB(CERT), BLOB(CERT_KEY), "", &r), -1);
    assert_int_equal(
        validate_account(2, BLOB(CERT), BLOB(CA_CERT), BLOB(CERT_KEY), ",\"15\":2", &r), -1);
    /* and a capability list that names the modes: the placeholder takes the first secure
     * one the client has */
    static char json[4096], h3[1024], h5[512];
    snprintf(json, sizeof json,
             "{\"endpoint\":\"e\",\"capabilities\":{\"securityModes\":[\"cert\",\"rpk\"],"
             "\"schemes\":[\"coaps\"]},\"objects\":{\"0\":{\"1\":{"
             "\"0\":\"coaps://s.example:5684\",\"1\":false,\"2\":1,\"3\":{\"hex\":\"%s\"},"
             "\"4\":{\"hex\":\"%s\"},\"5\":{\"hex\":\"%s\"},\"10\":101}},"
             "\"1\":{\"0\":{\"0\":101,\"1\":300,\"6\":true,\"7\":\"U\"}}}}",
             hex_of(RPK_PUB, sizeof RPK_PUB, h3), h3, hex_of(RPK_KEY, sizeof RPK_KEY, h5));
    lwm2m_bs_config *cfg = parse_ok(json);
    assert_int_equal(lwm2m_bs_config_validate(cfg, NULL, &r), -1);
    lwm2m_bs_config_free(cfg);
}

static void validate_bad_key_material(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0x01, 0x02};
    const struct {
        int mode;
        blob own, server, secret;
        const char *extra;
        lwm2m_consistency_rule rule;
        uint16_t resource;
        const char *want; /* the start of the diagnostic, which names the resource */
    } cases[] = {
        /* a certificate where RPK mode wants a SubjectPublicKeyInfo, and the other way round */
        {1, BLOB(CERT), BLOB(RPK_PUB), BLOB(RPK_KEY), "", LWM2M_RULE_BAD_KEY_MATERIAL, 3,
         "bad-key-material: /0/1/3: not a SubjectPublicKeyInfo (RPK mode)"},
        {2, BLOB(RPK_PUB), BLOB(CERT), BLOB(RPK_KEY), "", LWM2M_RULE_BAD_KEY_MATERIAL, 3,
         "bad-key-material: /0/1/3: not an X.509 certificate (certificate mode)"},
        /* a private key that does not parse, and one of another pair */
        {1, BLOB(RPK_PUB), BLOB(RPK_PUB), BLOB(junk), "", LWM2M_RULE_BAD_KEY_MATERIAL, 5,
         "bad-key-material: /0/1/5: not a PKCS#8, SEC1 or PKCS#1 private key"},
        {2, BLOB(CERT), BLOB(CERT), BLOB(RPK_KEY), "", LWM2M_RULE_BAD_KEY_MATERIAL, 5,
         "bad-key-material: /0/1/5: private key does not belong to the certificate in /0/1/3"},
        /* the server's key: not a key; not a trust anchor for Certificate Usage 2 */
        {1, BLOB(RPK_PUB), BLOB(junk), BLOB(RPK_KEY), "", LWM2M_RULE_BAD_KEY_MATERIAL, 4,
         "bad-key-material: /0/1/4: not a SubjectPublicKeyInfo (RPK mode)"},
        {2, BLOB(CERT), BLOB(CERT), BLOB(CERT_KEY), ",\"15\":2", LWM2M_RULE_BAD_KEY_MATERIAL, 4,
         "bad-key-material: /0/1/4: not a CA certificate"},
        /* Certificate Usage 7 */
        {2, BLOB(CERT), BLOB(CERT), BLOB(CERT_KEY), ",\"15\":7", LWM2M_RULE_BAD_SECURITY_PARAMETER,
         15, "bad-security-parameter: /0/1/15: Certificate Usage 7 outside 0..3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_consistency_result r;
        int idx = validate_account(cases[i].mode, cases[i].own, cases[i].server, cases[i].secret,
                                   cases[i].extra, &r);
        const char *want = cases[i].want;
        lwm2m_path path = lwm2m_path_res(0, 1, cases[i].resource);
        if (idx != 0 || r.rule != cases[i].rule || !lwm2m_path_equal(&r.path, &path) ||
            strncmp(r.message, want, strlen(want)) != 0)
            fail_msg("case %zu: got plan %d '%s', want '%s...'", i, idx, r.message, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rpk_member),
        cmocka_unit_test(rpk_errors),
        cmocka_unit_test(x509_member),
        cmocka_unit_test(modes_exclusive),
        cmocka_unit_test(template_placeholders),
        cmocka_unit_test(copy_credentials),
        cmocka_unit_test(binding_every_mode),
        cmocka_unit_test(validate_valid_accounts),
        cmocka_unit_test(validate_bad_key_material),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
