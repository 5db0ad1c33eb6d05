/* The consistency check at Bootstrap-Finish: one test per rule, and the seed's example; the key
 * material of RPK and certificate mode with real keys (der_vectors.h), each corruption named
 * by its resource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "der_vectors.h"
#include "lwm2m/consistency.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"

static const lwm2m_capabilities full_caps = {
    0, true, (1u << LWM2M_SECURITY_PSK) | (1u << LWM2M_SECURITY_NOSEC),
    LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS};

/* A client that also connects with RPK and certificates, exact matching only. */
static const lwm2m_capabilities pk_caps = {0,
                                           true,
                                           (1u << LWM2M_SECURITY_PSK) | (1u << LWM2M_SECURITY_RPK) |
                                               (1u << LWM2M_SECURITY_CERTIFICATE) |
                                               (1u << LWM2M_SECURITY_NOSEC),
                                           LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS,
                                           0,
                                           lwm2m_consistency_check_keys};

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static void unset(lwm2m_model *m, lwm2m_path inst, uint16_t keep_out_rid)
{
    /* Rewrite the instance without one resource (a Bootstrap-Write of the rest). */
    lwm2m_record items[32];
    lwm2m_record_list l = lwm2m_record_list_init(items, 32);
    assert_int_equal(lwm2m_model_read(m, &inst, &l), 0);
    size_t w = 0;
    for (size_t i = 0; i < l.count; i++)
        if (items[i].path.id[2] != keep_out_rid)
            items[w++] = items[i];
    lwm2m_model *copy = lwm2m_model_clone(m);
    assert_non_null(copy);
    /* the records borrow from m: write them into the copy, then bring the copy back */
    assert_int_equal(lwm2m_model_write(copy, &inst, items, w, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    assert_int_equal(lwm2m_model_assign(m, copy), 0);
    lwm2m_model_free(copy);
}

static void add_bootstrap_account(lwm2m_model *m, uint16_t iid)
{
    set(m, lwm2m_path_res(0, iid, 0), lwm2m_value_str("coap://bs.example:5683"));
    set(m, lwm2m_path_res(0, iid, 1), lwm2m_value_bool(true));
    set(m, lwm2m_path_res(0, iid, 2), lwm2m_value_int(LWM2M_SECURITY_NOSEC));
}

static void add_account(lwm2m_model *m, uint16_t iid, int64_t ssid, const char *uri, int mode)
{
    set(m, lwm2m_path_res(0, iid, 0), lwm2m_value_str(uri));
    set(m, lwm2m_path_res(0, iid, 1), lwm2m_value_bool(false));
    set(m, lwm2m_path_res(0, iid, 2), lwm2m_value_int(mode));
    set(m, lwm2m_path_res(0, iid, 10), lwm2m_value_int(ssid));
    if (mode == LWM2M_SECURITY_PSK) {
        set(m, lwm2m_path_res(0, iid, 3), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "id", 2));
        set(m, lwm2m_path_res(0, iid, 5), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x01\x02", 2));
    }
    set(m, lwm2m_path_res(1, iid, 0), lwm2m_value_int(ssid));
    set(m, lwm2m_path_res(1, iid, 1), lwm2m_value_int(300));
    set(m, lwm2m_path_res(1, iid, 6), lwm2m_value_bool(true));
    set(m, lwm2m_path_res(1, iid, 7), lwm2m_value_str("U"));
}

static void set_bytes(lwm2m_model *m, lwm2m_path p, const void *data, size_t len)
{
    set(m, p, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, data, len));
}

/* Server account `iid` in RPK mode: own key pair RPK_PUB/RPK_KEY, the server's key RPK_PUB. */
static void add_rpk_account(lwm2m_model *m, uint16_t iid, int64_t ssid)
{
    add_account(m, iid, ssid, "coaps://dm.example", LWM2M_SECURITY_RPK);
    set_bytes(m, lwm2m_path_res(0, iid, 3), RPK_PUB, sizeof RPK_PUB);
    set_bytes(m, lwm2m_path_res(0, iid, 4), RPK_PUB, sizeof RPK_PUB);
    set_bytes(m, lwm2m_path_res(0, iid, 5), RPK_KEY, sizeof RPK_KEY);
}

/* Server account `iid` in certificate mode: CERT and its key; the server's certificate, CERT
 * too (Certificate Usage absent: 3, domain-issued certificate). */
static void add_cert_account(lwm2m_model *m, uint16_t iid, int64_t ssid)
{
    add_account(m, iid, ssid, "coaps://dm.example", LWM2M_SECURITY_CERTIFICATE);
    set_bytes(m, lwm2m_path_res(0, iid, 3), CERT, sizeof CERT);
    set_bytes(m, lwm2m_path_res(0, iid, 4), CERT, sizeof CERT);
    set_bytes(m, lwm2m_path_res(0, iid, 5), CERT_KEY, sizeof CERT_KEY);
}

static void add_acl(lwm2m_model *m, uint16_t iid, int64_t obj, int64_t inst, uint16_t who,
                    int64_t owner)
{
    set(m, lwm2m_path_res(2, iid, 0), lwm2m_value_int(obj));
    set(m, lwm2m_path_res(2, iid, 1), lwm2m_value_int(inst));
    set(m, lwm2m_path_rinst(2, iid, 2, who), lwm2m_value_int(1));
    set(m, lwm2m_path_res(2, iid, 3), lwm2m_value_int(owner));
}

static int setup(void **state)
{
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    set(m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    add_bootstrap_account(m, 0);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    lwm2m_model_free(*state);
    return 0;
}

static void expect(lwm2m_model *m, const lwm2m_capabilities *caps, lwm2m_consistency_rule want,
                   const char *path)
{
    lwm2m_consistency_result r;
    lwm2m_consistency_rule got = lwm2m_consistency_check(m, caps, &r);
    if (got != want)
        fail_msg("expected %s, got %s (%s)", lwm2m_consistency_rule_name(want),
                 lwm2m_consistency_rule_name(got), r.message);
    assert_int_equal(r.rule, want);
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&r.path, p, sizeof p);
    if (path != NULL)
        assert_string_equal(p, path);
    /* The diagnostic starts with the rule name. */
    assert_memory_equal(r.message, lwm2m_consistency_rule_name(want),
                        strlen(lwm2m_consistency_rule_name(want)));
}

/* expect(), and the diagnostic contains `text`. */
static void expect_msg(lwm2m_model *m, const lwm2m_capabilities *caps, lwm2m_consistency_rule want,
                       const char *path, const char *text)
{
    expect(m, caps, want, path);
    lwm2m_consistency_result r;
    lwm2m_consistency_check(m, caps, &r);
    if (strstr(r.message, text) == NULL)
        fail_msg("diagnostic '%s' lacks '%s'", r.message, text);
    /* "<rule>: <path>: ..." names the resource */
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s: %s: ", lwm2m_consistency_rule_name(want), path);
    assert_memory_equal(r.message, prefix, strlen(prefix));
}

static void test_consistent(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm.example:5683", LWM2M_SECURITY_NOSEC);
    add_account(m, 2, 102, "coaps://[::1]:5684/x", LWM2M_SECURITY_PSK);
    add_acl(m, 0, 3, 0, 101, 102);
    expect(m, &full_caps, LWM2M_CONSISTENT, "/");
    assert_int_equal(lwm2m_consistency_check(m, &full_caps, NULL), LWM2M_CONSISTENT);
}

static void test_no_server_account(void **state)
{
    lwm2m_model *m = *state;
    expect(m, &full_caps, LWM2M_RULE_NO_SERVER_ACCOUNT, "/0");
    /* ETS 1.1-int-9: only /1/x/5 written, no account → 4.06. */
    set(m, lwm2m_path_res(1, 0, 5), lwm2m_value_int(86400));
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/1/0/0");
}

static void test_server_without_security(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm", LWM2M_SECURITY_NOSEC);
    set(m, lwm2m_path_res(1, 1, 0), lwm2m_value_int(105));
    expect(m, &full_caps, LWM2M_RULE_SERVER_WITHOUT_SECURITY, "/1/1");
}

static void test_security_without_server(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm", LWM2M_SECURITY_NOSEC);
    lwm2m_path p = lwm2m_path_inst(1, 1);
    assert_int_equal(lwm2m_model_delete(m, &p, LWM2M_DELETE_DM), 0);
    expect(m, &full_caps, LWM2M_RULE_SECURITY_WITHOUT_SERVER, "/0/1");
}

static void test_ssid_range_and_duplicates(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 65535, "coap://dm", LWM2M_SECURITY_NOSEC);
    expect(m, &full_caps, LWM2M_RULE_SSID_RANGE, "/0/1/10");
    set(m, lwm2m_path_res(0, 1, 10), lwm2m_value_int(0));
    expect(m, &full_caps, LWM2M_RULE_SSID_RANGE, "/0/1/10");
    set(m, lwm2m_path_res(0, 1, 10), lwm2m_value_int(101));
    set(m, lwm2m_path_res(1, 1, 0), lwm2m_value_int(101));
    add_account(m, 2, 101, "coap://dm2", LWM2M_SECURITY_NOSEC);
    expect(m, &full_caps, LWM2M_RULE_SSID_DUPLICATE, "/0/2/10");
    unset(m, lwm2m_path_inst(0, 1), 10);
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/10");
}

static void test_multiple_bootstrap_accounts(void **state)
{
    lwm2m_model *m = *state;
    /* Leshan's bootstrap_create_2_bsserver: a BS account written next to the client's own. */
    add_account(m, 1, 101, "coap://dm", LWM2M_SECURITY_NOSEC);
    add_bootstrap_account(m, 7);
    expect(m, &full_caps, LWM2M_RULE_MULTIPLE_BOOTSTRAP, "/0/7");
}

static void test_missing_mandatory_resources(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm", LWM2M_SECURITY_NOSEC);
    unset(m, lwm2m_path_inst(1, 1), 7);
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/1/1/7");
    set(m, lwm2m_path_res(1, 1, 7), lwm2m_value_str(""));
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/1/1/7");
    set(m, lwm2m_path_res(1, 1, 7), lwm2m_value_str("U"));
    set(m, lwm2m_path_res(1, 1, 1), lwm2m_value_int(-1));
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/1/1/1");
    set(m, lwm2m_path_res(1, 1, 1), lwm2m_value_int(60));
    unset(m, lwm2m_path_inst(0, 1), 2);
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/2");
    /* PSK needs identity and key. */
    add_account(m, 1, 101, "coaps://dm", LWM2M_SECURITY_PSK);
    unset(m, lwm2m_path_inst(0, 1), 5);
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/5");
    set(m, lwm2m_path_res(0, 1, 5), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "", 0));
    expect(m, &full_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/5");
}

static void test_uri_and_mode(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "http://dm", LWM2M_SECURITY_NOSEC);
    expect(m, &full_caps, LWM2M_RULE_BAD_URI, "/0/1/0");
    static const char *const bad[] = {"coap://",        "coap://:5683", "coap://h:0",
                                      "coap://h:70000", "coap://h x",   "coap://[::1",
                                      "coap://h:56a",   "coap:/h",      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lwm2m_uri_scheme(bad[i], strlen(bad[i])), 0);
    assert_int_equal(lwm2m_uri_scheme("coaps+tcp://h", 13), LWM2M_SCHEME_COAPS_TCP);
    assert_int_equal(lwm2m_uri_scheme("coap://h:1/rd?x", 15), LWM2M_SCHEME_COAP);
    /* coap:// with PSK and coaps:// with NoSec. */
    add_account(m, 1, 101, "coap://dm", LWM2M_SECURITY_PSK);
    expect(m, &full_caps, LWM2M_RULE_URI_MODE_MISMATCH, "/0/1/0");
    add_account(m, 1, 101, "coaps://dm", LWM2M_SECURITY_NOSEC);
    expect(m, &full_caps, LWM2M_RULE_URI_MODE_MISMATCH, "/0/1/0");
    /* A mode the client cannot use is a Finish failure, not a silent loop later. */
    add_account(m, 1, 101, "coaps://dm", LWM2M_SECURITY_PSK);
    lwm2m_capabilities nosec_only = full_caps;
    nosec_only.security_modes = 1u << LWM2M_SECURITY_NOSEC;
    expect(m, &nosec_only, LWM2M_RULE_UNSUPPORTED_MODE, "/0/1/2");
    set(m, lwm2m_path_res(0, 1, 2), lwm2m_value_int(9));
    expect(m, &full_caps, LWM2M_RULE_UNSUPPORTED_MODE, "/0/1/2");
    add_account(m, 1, 101, "coap+tcp://dm", LWM2M_SECURITY_NOSEC);
    expect(m, &full_caps, LWM2M_RULE_UNSUPPORTED_SCHEME, "/0/1/0");
}

static void test_rpk_mode(void **state)
{
    lwm2m_model *m = *state;
    add_rpk_account(m, 1, 101);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    /* a client without RPK refuses the mode as before */
    expect(m, &full_caps, LWM2M_RULE_UNSUPPORTED_MODE, "/0/1/2");
    /* own public key: a certificate, a truncated key */
    set_bytes(m, lwm2m_path_res(0, 1, 3), CERT, sizeof CERT);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/3",
               "not a SubjectPublicKeyInfo (RPK mode)");
    set_bytes(m, lwm2m_path_res(0, 1, 3), RPK_PUB, sizeof RPK_PUB - 1);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/3", "runs past the end");
    set_bytes(m, lwm2m_path_res(0, 1, 3), RPK_PUB, sizeof RPK_PUB);
    /* private key: a public key, another key, the same key as SEC1 */
    set_bytes(m, lwm2m_path_res(0, 1, 5), RPK_PUB, sizeof RPK_PUB);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/5",
               "not a PKCS#8, SEC1 or PKCS#1 private key");
    set_bytes(m, lwm2m_path_res(0, 1, 5), CERT_KEY, sizeof CERT_KEY);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/5",
               "private key does not belong to the public key in /0/1/3");
    set_bytes(m, lwm2m_path_res(0, 1, 5), RPK_SEC1, sizeof RPK_SEC1);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    /* server public key: absent, empty, not a key, an unknown curve */
    unset(m, lwm2m_path_inst(0, 1), 4);
    expect_msg(m, &pk_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/4", "needs the Server Public Key");
    set_bytes(m, lwm2m_path_res(0, 1, 4), "", 0);
    expect(m, &pk_caps, LWM2M_RULE_MISSING_RESOURCE, "/0/1/4");
    set_bytes(m, lwm2m_path_res(0, 1, 4), "\x30\x03\x02\x01\x00", 5);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4",
               "not a SubjectPublicKeyInfo (RPK mode)");
    uint8_t other_curve[sizeof RPK_PUB];
    memcpy(other_curve, RPK_PUB, sizeof RPK_PUB);
    other_curve[22] ^= 0x0F; /* last byte of the prime256v1 OID */
    assert_int_equal(other_curve[22] ^ 0x0F, 0x07);
    set_bytes(m, lwm2m_path_res(0, 1, 4), other_curve, sizeof other_curve);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4", "EC curve not supported");
    set_bytes(m, lwm2m_path_res(0, 1, 4), RPK_PUB, sizeof RPK_PUB);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    /* without a key check (a client that does not link the DER reader) only presence counts */
    lwm2m_capabilities unchecked = pk_caps;
    unchecked.check_keys = NULL;
    set_bytes(m, lwm2m_path_res(0, 1, 3), "x", 1);
    expect(m, &unchecked, LWM2M_CONSISTENT, "/");
    expect(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/3");
    assert_int_equal(lwm2m_consistency_check_keys(m, 1, LWM2M_SECURITY_RPK, &pk_caps, NULL),
                     LWM2M_RULE_BAD_KEY_MATERIAL);
    set_bytes(m, lwm2m_path_res(0, 1, 3), RPK_PUB, sizeof RPK_PUB);
    assert_int_equal(lwm2m_consistency_check_keys(m, 1, LWM2M_SECURITY_RPK, &pk_caps, NULL),
                     LWM2M_CONSISTENT);
    /* the Bootstrap-Server account is checked alike */
    set(m, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coaps://bs.example"));
    set(m, lwm2m_path_res(0, 0, 2), lwm2m_value_int(LWM2M_SECURITY_RPK));
    set_bytes(m, lwm2m_path_res(0, 0, 3), RPK_PUB, sizeof RPK_PUB);
    set_bytes(m, lwm2m_path_res(0, 0, 5), RPK_KEY, sizeof RPK_KEY);
    set_bytes(m, lwm2m_path_res(0, 0, 4), RPK_KEY, sizeof RPK_KEY);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/0/4", "not a SubjectPublicKeyInfo");
    set_bytes(m, lwm2m_path_res(0, 0, 4), RPK_PUB, sizeof RPK_PUB);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
}

static void test_security_parameters(void **state)
{
    lwm2m_model *m = *state;
    add_rpk_account(m, 1, 101);
    /* Matching Type: range, the hash size it implies, the client's own set */
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(4));
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_SECURITY_PARAMETER, "/0/1/13", "outside 0..3");
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(1));
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4",
               "Matching Type 1 needs a 32-byte hash, not 91 bytes");
    uint8_t hash[64] = {0};
    set_bytes(m, lwm2m_path_res(0, 1, 4), hash, 32);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    lwm2m_capabilities exact_only = pk_caps;
    exact_only.matching_types = 1u << 0;
    expect_msg(m, &exact_only, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, "/0/1/13",
               "Matching Type 1 (SHA-256 hash) not supported");
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(3));
    set_bytes(m, lwm2m_path_res(0, 1, 4), hash, 64);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(0));
    set_bytes(m, lwm2m_path_res(0, 1, 4), RPK_PUB, sizeof RPK_PUB);
    expect(m, &exact_only, LWM2M_CONSISTENT, "/");
    /* SNI: a DNS host name */
    set(m, lwm2m_path_res(0, 1, 14), lwm2m_value_str("dm-1.example.com"));
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    static const char *const bad_sni[] = {
        "192.0.2.1", "a b", "", "-a.example", "a-.example", "a..b", "example.com."};
    for (size_t i = 0; i < sizeof bad_sni / sizeof bad_sni[0]; i++) {
        set(m, lwm2m_path_res(0, 1, 14), lwm2m_value_str(bad_sni[i]));
        expect_msg(m, &pk_caps, LWM2M_RULE_BAD_SECURITY_PARAMETER, "/0/1/14",
                   "SNI is not a DNS host name");
    }
    set(m, lwm2m_path_res(0, 1, 14), lwm2m_value_str("dm.example"));
    /* cipher suites: known values, one at least for the key */
    set(m, lwm2m_path_rinst(0, 1, 16, 0), lwm2m_value_uint(0xC0AE));
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    set(m, lwm2m_path_rinst(0, 1, 16, 1), lwm2m_value_uint(0x1301)); /* TLS 1.3 only */
    expect_msg(m, &pk_caps, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, "/0/1/16/1",
               "cipher suite 0x1301 not supported by this client");
    set(m, lwm2m_path_rinst(0, 1, 16, 1), lwm2m_value_uint(70000));
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_SECURITY_PARAMETER, "/0/1/16/1", "outside 0..65535");
    set(m, lwm2m_path_rinst(0, 1, 16, 1), lwm2m_value_uint(0xC0A8));
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    set(m, lwm2m_path_rinst(0, 1, 16, 0), lwm2m_value_uint(0xC02F)); /* ECDHE_RSA */
    expect_msg(m, &pk_caps, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, "/0/1/16",
               "no cipher suite for EC keys (ECDHE_ECDSA) listed");
    assert_int_equal(lwm2m_cipher_suite_kind(0xC0A8), LWM2M_SUITE_PSK);
    assert_int_equal(lwm2m_cipher_suite_kind(0xC0AE), LWM2M_SUITE_ECDSA);
    assert_int_equal(lwm2m_cipher_suite_kind(0xC02F), LWM2M_SUITE_RSA);
    assert_int_equal(lwm2m_cipher_suite_kind(0x1301), 0);

    /* PSK and NoSec keep their behaviour: these resources are not looked at */
    add_account(m, 2, 102, "coaps://dm2.example", LWM2M_SECURITY_PSK);
    set(m, lwm2m_path_res(0, 2, 13), lwm2m_value_uint(9));
    set(m, lwm2m_path_res(0, 2, 14), lwm2m_value_str("not a host"));
    set(m, lwm2m_path_rinst(0, 2, 16, 0), lwm2m_value_uint(0x1301));
    set(m, lwm2m_path_rinst(0, 1, 16, 0), lwm2m_value_uint(0xC0AE));
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
}

static void test_certificate_mode(void **state)
{
    lwm2m_model *m = *state;
    add_cert_account(m, 1, 101);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    /* own certificate: a public key, a corrupted certificate */
    set_bytes(m, lwm2m_path_res(0, 1, 3), RPK_PUB, sizeof RPK_PUB);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/3",
               "not an X.509 certificate (certificate mode)");
    uint8_t bad[sizeof CERT];
    memcpy(bad, CERT, sizeof CERT);
    bad[sizeof CERT - 1] = 0; /* fine: the signature's last byte */
    set_bytes(m, lwm2m_path_res(0, 1, 3), bad, sizeof bad);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    bad[3] ^= 1; /* the outer length */
    set_bytes(m, lwm2m_path_res(0, 1, 3), bad, sizeof bad);
    expect(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/3");
    set_bytes(m, lwm2m_path_res(0, 1, 3), CERT, sizeof CERT);
    /* private key of another certificate */
    set_bytes(m, lwm2m_path_res(0, 1, 5), RPK_KEY, sizeof RPK_KEY);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/5",
               "private key does not belong to the certificate in /0/1/3");
    set_bytes(m, lwm2m_path_res(0, 1, 5), CERT_KEY, sizeof CERT_KEY);
    /* Certificate Usage: range; 0 and 2 name a CA, 1 and 3 a server certificate */
    set(m, lwm2m_path_res(0, 1, 15), lwm2m_value_uint(4));
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_SECURITY_PARAMETER, "/0/1/15",
               "Certificate Usage 4 outside 0..3");
    for (unsigned usage = 0; usage <= 3; usage++) {
        set(m, lwm2m_path_res(0, 1, 15), lwm2m_value_uint(usage));
        if (usage == 0 || usage == 2) {
            expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4", "not a CA certificate");
            set_bytes(m, lwm2m_path_res(0, 1, 4), CA_CERT, sizeof CA_CERT);
            expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
            set_bytes(m, lwm2m_path_res(0, 1, 4), CERT, sizeof CERT);
        } else {
            expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
        }
    }
    /* the server's certificate as a raw key: not a certificate */
    set_bytes(m, lwm2m_path_res(0, 1, 4), RPK_PUB, sizeof RPK_PUB);
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4",
               "not an X.509 certificate (Certificate Usage 3)");
    /* with a Matching Type, /0/x/4 holds a hash */
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(2));
    expect_msg(m, &pk_caps, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4", "needs a 48-byte hash");
    uint8_t hash[48] = {1};
    set_bytes(m, lwm2m_path_res(0, 1, 4), hash, sizeof hash);
    expect(m, &pk_caps, LWM2M_CONSISTENT, "/");
    /* an RSA-only cipher suite list for an EC certificate */
    set(m, lwm2m_path_rinst(0, 1, 16, 7), lwm2m_value_uint(0x009C));
    expect_msg(m, &pk_caps, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, "/0/1/16",
               "no cipher suite for EC keys");
}

static void test_too_many_servers(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm1", LWM2M_SECURITY_NOSEC);
    add_account(m, 2, 102, "coap://dm2", LWM2M_SECURITY_NOSEC);
    lwm2m_capabilities single = full_caps;
    single.max_server_accounts = 1;
    expect(m, &single, LWM2M_RULE_TOO_MANY_SERVERS, "/1");
    single.max_server_accounts = 2;
    expect(m, &single, LWM2M_CONSISTENT, NULL);
}

static void test_acl_rules(void **state)
{
    lwm2m_model *m = *state;
    add_account(m, 1, 101, "coap://dm1", LWM2M_SECURITY_NOSEC);
    add_acl(m, 0, 3, 5, 101, 101);
    expect(m, &full_caps, LWM2M_RULE_ACL_TARGET_MISSING, "/2/0/0");
    add_acl(m, 0, 3, 65535, 101, 101); /* Create ACL on an existing object */
    expect(m, &full_caps, LWM2M_CONSISTENT, NULL);
    add_acl(m, 0, 3, 0, 101, 104);
    expect(m, &full_caps, LWM2M_RULE_ACL_OWNER_UNKNOWN, "/2/0/3");
    add_acl(m, 0, 3, 0, 101, 65535); /* owner MAX_ID: bootstrap-only ACL */
    expect(m, &full_caps, LWM2M_CONSISTENT, NULL);
    set(m, lwm2m_path_rinst(2, 0, 2, 33), lwm2m_value_int(1));
    expect(m, &full_caps, LWM2M_RULE_ACL_OWNER_UNKNOWN, "/2/0/2/33");
}

/* The seed's example (§5.2.6): a multi-server configuration with Access Control instances,
 * loaded into a single-server client without Access Control, cannot be made consistent:
 * Finish answers 4.06. The Bootstrap Server deletes and writes a single-server configuration;
 * the next Finish succeeds. */
static void test_seed_example(void **state)
{
    lwm2m_model *m = *state;
    lwm2m_capabilities single_no_acl = full_caps;
    single_no_acl.max_server_accounts = 1;
    single_no_acl.access_control = false;
    add_account(m, 1, 101, "coap://dm1", LWM2M_SECURITY_NOSEC);
    add_account(m, 2, 102, "coap://dm2", LWM2M_SECURITY_NOSEC);
    add_acl(m, 0, 3, 0, 101, 101);
    add_acl(m, 1, 3, 0, 102, 102);
    lwm2m_consistency_result r;
    assert_int_not_equal(lwm2m_consistency_check(m, &single_no_acl, &r), LWM2M_CONSISTENT);
    assert_true(r.rule == LWM2M_RULE_TOO_MANY_SERVERS || r.rule == LWM2M_RULE_ACL_UNSUPPORTED);
    /* The Bootstrap Server's corrective action: Delete "/", then a single-server account. */
    lwm2m_path root = lwm2m_path_root();
    assert_int_equal(lwm2m_model_delete(m, &root, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_true(lwm2m_model_is_bootstrap_account(m, 0));
    add_account(m, 1, 101, "coap://dm1", LWM2M_SECURITY_NOSEC);
    expect(m, &single_no_acl, LWM2M_CONSISTENT, NULL);
    /* ACL instances alone are enough to fail such a client. */
    add_acl(m, 0, 3, 0, 101, 101);
    expect(m, &single_no_acl, LWM2M_RULE_ACL_UNSUPPORTED, "/2");
}

/* Matching Types 1..3: /0/x/4 is a hash of exactly its size; the client declaring all four
 * (lwm2m-client: LWM2M_NET_MATCHING_TYPES) accepts them; a hashed trust anchor is refused. */
static void test_matching_types(void **state)
{
    lwm2m_model *m = *state;
    lwm2m_capabilities all = pk_caps;
    all.matching_types = 0x0F; /* exact, SHA-256, SHA-384, SHA-512 */
    static const size_t sizes[] = {32, 48, 64};
    static const size_t wrong[] = {0, 1, 31, 33, 47, 49, 63, 65, 91};
    uint8_t hash[96];
    memset(hash, 0xA5, sizeof hash);
    for (int mode = LWM2M_SECURITY_RPK; mode <= LWM2M_SECURITY_CERTIFICATE; mode++) {
        if (mode == LWM2M_SECURITY_RPK)
            add_rpk_account(m, 1, 101);
        else
            add_cert_account(m, 1, 101);
        for (unsigned t = 1; t <= 3; t++) {
            set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(t));
            /* the length of its own hash only */
            for (unsigned other = 0; other < 3; other++) {
                set_bytes(m, lwm2m_path_res(0, 1, 4), hash, sizes[other]);
                if (other + 1 == t) {
                    expect(m, &all, LWM2M_CONSISTENT, "/");
                } else {
                    char msg[64];
                    snprintf(msg, sizeof msg, "Matching Type %u needs a %zu-byte hash, not %zu", t,
                             sizes[t - 1], sizes[other]);
                    expect_msg(m, &all, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4", msg);
                }
            }
            for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
                set_bytes(m, lwm2m_path_res(0, 1, 4), hash, wrong[i]);
                /* 0 bytes: an empty /0/x/4 is a missing one */
                expect(m, &all,
                       wrong[i] == 0 ? LWM2M_RULE_MISSING_RESOURCE : LWM2M_RULE_BAD_KEY_MATERIAL,
                       "/0/1/4");
            }
        }
        /* a hash is not read as a key or certificate: the full key in /0/x/4 is refused too */
        set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(1));
        if (mode == LWM2M_SECURITY_RPK)
            set_bytes(m, lwm2m_path_res(0, 1, 4), RPK_PUB, sizeof RPK_PUB);
        else
            set_bytes(m, lwm2m_path_res(0, 1, 4), CERT, sizeof CERT);
        expect_msg(m, &all, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4", "needs a 32-byte hash");
        /* no Matching Type 4 */
        set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(4));
        set_bytes(m, lwm2m_path_res(0, 1, 4), hash, 32);
        expect_msg(m, &all, LWM2M_RULE_BAD_SECURITY_PARAMETER, "/0/1/13",
                   "Matching Type 4 outside 0..3");
        /* exact match keeps reading /0/x/4 as the key or certificate */
        set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(0));
        expect(m, &all, LWM2M_RULE_BAD_KEY_MATERIAL, "/0/1/4");
    }
    /* certificate mode: the server's certificate by hash (usages 1, 3), not a CA (0, 2) */
    set(m, lwm2m_path_res(0, 1, 13), lwm2m_value_uint(1));
    for (unsigned usage = 0; usage <= 3; usage++) {
        set(m, lwm2m_path_res(0, 1, 15), lwm2m_value_uint(usage));
        if (usage == 1 || usage == 3)
            expect(m, &all, LWM2M_CONSISTENT, "/");
        else
            expect_msg(m, &all, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, "/0/1/4",
                       "needs the CA certificate in full, not a hash (Matching Type 1)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_server_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_without_security, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security_without_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssid_range_and_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiple_bootstrap_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_mandatory_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_and_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpk_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matching_types, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
