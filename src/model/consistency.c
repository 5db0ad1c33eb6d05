/* The consistency rules of a loaded configuration. Checked in a fixed order so that a given
 * configuration always reports the same rule. */
#include "lwm2m/consistency.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/der.h"
#include "lwm2m/error.h"

#define MAX_ID_BOOTSTRAP_ONLY 65535 /* ACL owner meaning "changed only during bootstrap" */

static const char *const rule_names[] = {
    [LWM2M_CONSISTENT] = "consistent",
    [LWM2M_RULE_NO_SERVER_ACCOUNT] = "no-server-account",
    [LWM2M_RULE_SERVER_WITHOUT_SECURITY] = "server-without-security",
    [LWM2M_RULE_SECURITY_WITHOUT_SERVER] = "security-without-server",
    [LWM2M_RULE_SSID_RANGE] = "ssid-out-of-range",
    [LWM2M_RULE_SSID_DUPLICATE] = "ssid-duplicate",
    [LWM2M_RULE_MULTIPLE_BOOTSTRAP] = "multiple-bootstrap-accounts",
    [LWM2M_RULE_MISSING_RESOURCE] = "missing-resource",
    [LWM2M_RULE_BAD_URI] = "bad-uri",
    [LWM2M_RULE_URI_MODE_MISMATCH] = "uri-mode-mismatch",
    [LWM2M_RULE_UNSUPPORTED_MODE] = "unsupported-security-mode",
    [LWM2M_RULE_UNSUPPORTED_SCHEME] = "unsupported-uri-scheme",
    [LWM2M_RULE_TOO_MANY_SERVERS] = "too-many-servers",
    [LWM2M_RULE_ACL_UNSUPPORTED] = "access-control-unsupported",
    [LWM2M_RULE_ACL_TARGET_MISSING] = "acl-target-missing",
    [LWM2M_RULE_ACL_OWNER_UNKNOWN] = "acl-owner-unknown",
    [LWM2M_RULE_NO_MEMORY] = "out-of-memory",
    [LWM2M_RULE_BAD_KEY_MATERIAL] = "bad-key-material",
    [LWM2M_RULE_BAD_SECURITY_PARAMETER] = "bad-security-parameter",
    [LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER] = "unsupported-security-parameter",
};

const char *lwm2m_consistency_rule_name(lwm2m_consistency_rule rule)
{
    if ((unsigned)rule < sizeof rule_names / sizeof rule_names[0])
        return rule_names[rule];
    return "unknown-rule";
}

static bool starts_with(const char *s, size_t len, const char *prefix, size_t *plen)
{
    size_t n = strlen(prefix);
    if (len < n || memcmp(s, prefix, n) != 0)
        return false;
    *plen = n;
    return true;
}

uint8_t lwm2m_uri_scheme(const char *uri, size_t len)
{
    static const struct {
        const char *prefix;
        uint8_t bit;
    } schemes[] = {{"coaps+tcp://", LWM2M_SCHEME_COAPS_TCP},
                   {"coap+tcp://", LWM2M_SCHEME_COAP_TCP},
                   {"coaps://", LWM2M_SCHEME_COAPS},
                   {"coap://", LWM2M_SCHEME_COAP}};
    uint8_t bit = 0;
    size_t pos = 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && bit == 0; i++)
        if (starts_with(uri, len, schemes[i].prefix, &pos))
            bit = schemes[i].bit;
    if (bit == 0)
        return 0;
    /* host: [IPv6] or a run of unreserved characters, non-empty */
    size_t host_start = pos;
    if (pos < len && uri[pos] == '[') {
        while (pos < len && uri[pos] != ']')
            pos++;
        if (pos >= len || pos == host_start + 1)
            return 0;
        pos++;
    } else {
        while (pos < len && uri[pos] != ':' && uri[pos] != '/' && uri[pos] != '?') {
            unsigned char c = (unsigned char)uri[pos];
            if (c <= ' ' || c >= 0x7f || c == '@' || c == '[' || c == ']')
                return 0;
            pos++;
        }
        if (pos == host_start)
            return 0;
    }
    if (pos < len && uri[pos] == ':') {
        pos++;
        unsigned port = 0;
        size_t digits = 0;
        while (pos < len && uri[pos] >= '0' && uri[pos] <= '9' && digits < 6) {
            port = port * 10 + (unsigned)(uri[pos] - '0');
            pos++;
            digits++;
        }
        if (digits == 0 || port == 0 || port > 65535)
            return 0;
    }
    if (pos < len && uri[pos] != '/' && uri[pos] != '?')
        return 0;
    for (; pos < len; pos++) {
        unsigned char c = (unsigned char)uri[pos];
        if (c <= ' ' || c >= 0x7f)
            return 0;
    }
    return bit;
}

static lwm2m_consistency_rule fail(lwm2m_consistency_result *out, lwm2m_consistency_rule rule,
                                   lwm2m_path path, const char *fmt, ...)
{
    if (out != NULL) {
        out->rule = rule;
        out->path = path;
        char detail[120];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&path, p, sizeof p);
        snprintf(out->message, sizeof out->message, "%s: %s: %s", lwm2m_consistency_rule_name(rule),
                 p, detail);
    }
    return rule;
}

static bool has(const lwm2m_model *m, lwm2m_path p)
{
    return lwm2m_model_get(m, &p) != NULL;
}

static bool non_empty_bytes(const lwm2m_model *m, lwm2m_path p)
{
    lwm2m_bytes b;
    return lwm2m_model_get_bytes(m, &p, &b) == LWM2M_OK && b.len > 0;
}

/* ---- RPK and certificate mode: the key material and its parameters ---- */

static const struct {
    uint16_t value;
    uint8_t kind;
} known_suites[] = {
    /* PSK, ECDHE_PSK */
    {0xC0A8, LWM2M_SUITE_PSK},
    {0xC0A4, LWM2M_SUITE_PSK},
    {0xC0A5, LWM2M_SUITE_PSK},
    {0x00A8, LWM2M_SUITE_PSK},
    {0x00A9, LWM2M_SUITE_PSK},
    {0x00AE, LWM2M_SUITE_PSK},
    {0x008C, LWM2M_SUITE_PSK},
    {0x008D, LWM2M_SUITE_PSK},
    {0xCCAB, LWM2M_SUITE_PSK},
    {0xC035, LWM2M_SUITE_PSK},
    {0xC036, LWM2M_SUITE_PSK},
    {0xC037, LWM2M_SUITE_PSK},
    {0xCCAC, LWM2M_SUITE_PSK},
    /* ECDHE_ECDSA */
    {0xC0AE, LWM2M_SUITE_ECDSA},
    {0xC0AC, LWM2M_SUITE_ECDSA},
    {0xC0AD, LWM2M_SUITE_ECDSA},
    {0xC02B, LWM2M_SUITE_ECDSA},
    {0xC02C, LWM2M_SUITE_ECDSA},
    {0xC023, LWM2M_SUITE_ECDSA},
    {0xC009, LWM2M_SUITE_ECDSA},
    {0xC00A, LWM2M_SUITE_ECDSA},
    {0xCCA9, LWM2M_SUITE_ECDSA},
    /* ECDHE_RSA, DHE_RSA, RSA */
    {0xC02F, LWM2M_SUITE_RSA},
    {0xC030, LWM2M_SUITE_RSA},
    {0xC027, LWM2M_SUITE_RSA},
    {0xC013, LWM2M_SUITE_RSA},
    {0xC014, LWM2M_SUITE_RSA},
    {0xCCA8, LWM2M_SUITE_RSA},
    {0x009E, LWM2M_SUITE_RSA},
    {0x009F, LWM2M_SUITE_RSA},
    {0xC09E, LWM2M_SUITE_RSA},
    {0xC09F, LWM2M_SUITE_RSA},
    {0xC0A2, LWM2M_SUITE_RSA},
    {0x0067, LWM2M_SUITE_RSA},
    {0x006B, LWM2M_SUITE_RSA},
    {0x0033, LWM2M_SUITE_RSA},
    {0x0039, LWM2M_SUITE_RSA},
    {0xCCAA, LWM2M_SUITE_RSA},
    {0x009C, LWM2M_SUITE_RSA},
    {0x009D, LWM2M_SUITE_RSA},
    {0xC09C, LWM2M_SUITE_RSA},
    {0xC09D, LWM2M_SUITE_RSA},
    {0xC0A0, LWM2M_SUITE_RSA},
    {0x003C, LWM2M_SUITE_RSA},
    {0x003D, LWM2M_SUITE_RSA},
    {0x002F, LWM2M_SUITE_RSA},
    {0x0035, LWM2M_SUITE_RSA},
};

int lwm2m_cipher_suite_kind(int64_t value)
{
    for (size_t i = 0; i < sizeof known_suites / sizeof known_suites[0]; i++)
        if (known_suites[i].value == value)
            return known_suites[i].kind;
    return 0;
}

/* The hash size Matching Type `t` puts in /0/x/4 (0 for exact match). */
static size_t matching_hash_size(int64_t t)
{
    return t == 1 ? 32 : t == 2 ? 48 : t == 3 ? 64 : 0;
}

/* Why `k` cannot be used on a DTLS link, or NULL. */
static const char *unusable_key(const lwm2m_public_key *k)
{
    if (k->alg == LWM2M_KEY_ALG_UNKNOWN)
        return "public key algorithm not supported (EC, RSA, Ed25519, Ed448)";
    if (k->alg == LWM2M_KEY_ALG_EC &&
        (k->curve == LWM2M_CURVE_UNKNOWN || k->curve == LWM2M_CURVE_NONE))
        return "EC curve not supported (P-256, P-384, P-521)";
    if (k->alg == LWM2M_KEY_ALG_RSA && k->bits < 1024)
        return "RSA key shorter than 1024 bits";
    return NULL;
}

/* Why an SNI value is not a DNS host name (RFC 6066 3: no IP literals, no trailing dot), or
 * NULL. */
static const char *bad_host_name(lwm2m_bytes s)
{
    if (s.len == 0)
        return "empty";
    if (s.len > 253)
        return "longer than 253 characters";
    bool numeric = true;
    size_t label = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = (char)s.ptr[i];
        if (c == '.') {
            if (label == 0 || s.ptr[i - 1] == '-')
                return "an empty label or a label ending with '-'";
            label = 0;
            continue;
        }
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (!letter && !digit && c != '-')
            return "a character other than letters, digits, '-' and '.'";
        if (c == '-' && label == 0)
            return "a label starting with '-'";
        if (++label > 63)
            return "a label longer than 63 characters";
        numeric &= digit;
    }
    if (label == 0 || s.ptr[s.len - 1] == '-')
        return "an empty label or a label ending with '-'";
    if (numeric)
        return "an IP address, which SNI does not carry";
    return NULL;
}

/* /0/x/3 of mode 1 (SPKI) or 2 (certificate): its public key into *pub. */
static lwm2m_consistency_rule check_own_key(lwm2m_bytes b, lwm2m_path p, int64_t mode,
                                            lwm2m_public_key *pub, lwm2m_consistency_result *out)
{
    const char *why = NULL;
    if (mode == LWM2M_SECURITY_RPK) {
        if (lwm2m_der_public_key(b.ptr, b.len, pub, &why) != LWM2M_OK)
            return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                        "not a SubjectPublicKeyInfo (RPK mode): %s", why);
    } else {
        lwm2m_certificate cert;
        if (lwm2m_der_certificate(b.ptr, b.len, &cert, &why) != LWM2M_OK)
            return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                        "not an X.509 certificate (certificate mode): %s", why);
        *pub = cert.public_key;
    }
    if ((why = unusable_key(pub)) != NULL)
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p, "%s", why);
    return LWM2M_CONSISTENT;
}

/* /0/x/4: the server's SPKI (mode 1), its certificate or trust anchor (mode 2, per
 * Certificate Usage), or their hash (Matching Type 1..3). */
static lwm2m_consistency_rule check_server_key(lwm2m_bytes b, lwm2m_path p, int64_t mode,
                                               int64_t matching, int64_t usage,
                                               lwm2m_consistency_result *out)
{
    size_t hash = matching_hash_size(matching);
    if (hash != 0) {
        if (b.len != hash)
            return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                        "Matching Type %lld needs a %zu-byte hash, not %zu bytes",
                        (long long)matching, hash, b.len);
        /* A trust anchor known by its hash only: the handshake would have to find it in the
         * chain the server sends (RFC 7671 5.2); the client chains to a CA given in full. */
        if (mode == LWM2M_SECURITY_CERTIFICATE && (usage == 0 || usage == 2))
            return fail(out, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, p,
                        "Certificate Usage %lld needs the CA certificate in full, not a hash "
                        "(Matching Type %lld)",
                        (long long)usage, (long long)matching);
        return LWM2M_CONSISTENT;
    }
    const char *why = NULL;
    if (mode == LWM2M_SECURITY_RPK) {
        lwm2m_public_key k;
        if (lwm2m_der_public_key(b.ptr, b.len, &k, &why) != LWM2M_OK)
            return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                        "not a SubjectPublicKeyInfo (RPK mode): %s", why);
        if ((why = unusable_key(&k)) != NULL)
            return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p, "%s", why);
        return LWM2M_CONSISTENT;
    }
    lwm2m_certificate cert;
    if (lwm2m_der_certificate(b.ptr, b.len, &cert, &why) != LWM2M_OK)
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                    "not an X.509 certificate (Certificate Usage %lld): %s", (long long)usage, why);
    /* RFC 5280 4.2.1.9: a CA certificate of version 3 carries basicConstraints cA TRUE. */
    bool anchor = usage == 0 || usage == 2;
    if (anchor && (cert.ca == 0 || (cert.ca == -1 && cert.version == 3)))
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p,
                    "not a CA certificate (Certificate Usage %lld names a trust anchor)",
                    (long long)usage);
    if (!anchor && (why = unusable_key(&cert.public_key)) != NULL)
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p, "server certificate: %s", why);
    return LWM2M_CONSISTENT;
}

/* /0/x/16: each value a cipher suite the client knows; one at least for the mode's key. */
static lwm2m_consistency_rule check_cipher_suites(const lwm2m_model *m, uint16_t iid,
                                                  const lwm2m_public_key *own,
                                                  lwm2m_consistency_result *out)
{
    lwm2m_path res = lwm2m_path_res(0, iid, 16);
    size_t count = lwm2m_model_resource_instance_count(m, &res);
    int want = own->alg == LWM2M_KEY_ALG_RSA ? LWM2M_SUITE_RSA : LWM2M_SUITE_ECDSA;
    bool fits = false;
    for (size_t k = 0; k < count; k++) {
        uint16_t riid = lwm2m_model_resource_instance_id_at(m, &res, k);
        lwm2m_path p = lwm2m_path_rinst(0, iid, 16, riid);
        int64_t v = -1;
        if (lwm2m_model_get_int(m, &p, &v) != LWM2M_OK || v < 0 || v > 0xFFFF)
            return fail(out, LWM2M_RULE_BAD_SECURITY_PARAMETER, p,
                        "cipher suite %lld outside 0..65535", (long long)v);
        int kind = lwm2m_cipher_suite_kind(v);
        if (kind == 0)
            return fail(out, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, p,
                        "cipher suite 0x%04llX not supported by this client", (long long)v);
        fits |= kind == want;
    }
    if (count > 0 && !fits)
        return fail(out, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, res,
                    "no cipher suite for %s keys (%s) listed", lwm2m_key_alg_name(own->alg),
                    want == LWM2M_SUITE_RSA ? "ECDHE_RSA, DHE_RSA, RSA" : "ECDHE_ECDSA");
    return LWM2M_CONSISTENT;
}

/* Security Mode 1 (RPK) or 2 (certificate): everything the handshake will need, well formed. */
int lwm2m_consistency_check_keys(const lwm2m_model *m, uint16_t iid, int64_t mode,
                                 const lwm2m_capabilities *caps, lwm2m_consistency_result *out)
{
    int64_t matching = 0, usage = 3;
    lwm2m_path mp = lwm2m_path_res(0, iid, 13), up = lwm2m_path_res(0, iid, 15);
    if (has(m, mp) &&
        (lwm2m_model_get_int(m, &mp, &matching) != LWM2M_OK || matching < 0 || matching > 3))
        return fail(out, LWM2M_RULE_BAD_SECURITY_PARAMETER, mp, "Matching Type %lld outside 0..3",
                    (long long)matching);
    if (caps->matching_types != 0 && !(caps->matching_types & (1u << matching)))
        return fail(out, LWM2M_RULE_UNSUPPORTED_SECURITY_PARAMETER, mp,
                    "Matching Type %lld (%s) not supported by this client", (long long)matching,
                    matching == 0   ? "exact match"
                    : matching == 1 ? "SHA-256 hash"
                    : matching == 2 ? "SHA-384 hash"
                                    : "SHA-512 hash");
    if (mode == LWM2M_SECURITY_CERTIFICATE && has(m, up) &&
        (lwm2m_model_get_int(m, &up, &usage) != LWM2M_OK || usage < 0 || usage > 3))
        return fail(out, LWM2M_RULE_BAD_SECURITY_PARAMETER, up,
                    "Certificate Usage %lld outside 0..3", (long long)usage);
    lwm2m_path sp = lwm2m_path_res(0, iid, 14);
    lwm2m_bytes sni;
    if (has(m, sp)) {
        const char *why =
            lwm2m_model_get_bytes(m, &sp, &sni) == LWM2M_OK ? bad_host_name(sni) : "not a string";
        if (why != NULL)
            return fail(out, LWM2M_RULE_BAD_SECURITY_PARAMETER, sp,
                        "SNI is not a DNS host name: %s", why);
    }
    lwm2m_path p3 = lwm2m_path_res(0, iid, 3), p4 = lwm2m_path_res(0, iid, 4);
    lwm2m_path p5 = lwm2m_path_res(0, iid, 5);
    lwm2m_bytes own, server, secret;
    lwm2m_model_get_bytes(m, &p3, &own);
    lwm2m_model_get_bytes(m, &p5, &secret);
    lwm2m_public_key own_key;
    lwm2m_consistency_rule rule = check_own_key(own, p3, mode, &own_key, out);
    if (rule != LWM2M_CONSISTENT)
        return rule;
    lwm2m_private_key priv;
    const char *why = NULL;
    if (lwm2m_der_private_key(secret.ptr, secret.len, &priv, &why) != LWM2M_OK)
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p5,
                    "not a PKCS#8, SEC1 or PKCS#1 private key: %s", why);
    if ((why = lwm2m_der_key_mismatch(&priv, &own_key)) != NULL)
        return fail(out, LWM2M_RULE_BAD_KEY_MATERIAL, p5,
                    "private key does not belong to the %s in /0/%u/3: %s",
                    mode == LWM2M_SECURITY_RPK ? "public key" : "certificate", (unsigned)iid, why);
    if (!non_empty_bytes(m, p4))
        return fail(out, LWM2M_RULE_MISSING_RESOURCE, p4,
                    "security mode %lld needs the Server Public Key", (long long)mode);
    lwm2m_model_get_bytes(m, &p4, &server);
    rule = check_server_key(server, p4, mode, matching, usage, out);
    if (rule != LWM2M_CONSISTENT)
        return rule;
    return check_cipher_suites(m, iid, &own_key, out);
}

/* Checks one Security instance; *ssid gets its SSID (-1 for the bootstrap account). */
static lwm2m_consistency_rule check_security(const lwm2m_model *m, uint16_t iid,
                                             const lwm2m_capabilities *caps, int64_t *ssid,
                                             lwm2m_consistency_result *out)
{
    bool bootstrap = lwm2m_model_is_bootstrap_account(m, iid);
    static const uint16_t mandatory[] = {0, 1, 2};
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!has(m, lwm2m_path_res(0, iid, mandatory[i])))
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, lwm2m_path_res(0, iid, mandatory[i]),
                        "mandatory Security resource absent");
    *ssid = -1;
    if (!bootstrap) {
        lwm2m_path sp = lwm2m_path_res(0, iid, 10);
        if (lwm2m_model_get_int(m, &sp, ssid) != LWM2M_OK)
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, sp,
                        "Short Server ID is mandatory on a server account");
        if (*ssid < 1 || *ssid > LWM2M_ID_MAX)
            return fail(out, LWM2M_RULE_SSID_RANGE, sp, "SSID %lld outside 1..65534",
                        (long long)*ssid);
    }
    lwm2m_bytes uri;
    lwm2m_path up = lwm2m_path_res(0, iid, 0);
    lwm2m_model_get_bytes(m, &up, &uri);
    uint8_t scheme = lwm2m_uri_scheme((const char *)uri.ptr, uri.len);
    if (scheme == 0)
        return fail(out, LWM2M_RULE_BAD_URI, up, "'%.*s' is not a CoAP URI",
                    (int)(uri.len > 60 ? 60 : uri.len), (const char *)uri.ptr);
    int64_t mode = -1;
    lwm2m_path mp = lwm2m_path_res(0, iid, 2);
    lwm2m_model_get_int(m, &mp, &mode);
    if (mode < LWM2M_SECURITY_PSK || mode > LWM2M_SECURITY_EST)
        return fail(out, LWM2M_RULE_UNSUPPORTED_MODE, mp, "security mode %lld is not defined",
                    (long long)mode);
    bool secure_scheme = scheme == LWM2M_SCHEME_COAPS || scheme == LWM2M_SCHEME_COAPS_TCP;
    if (secure_scheme != (mode != LWM2M_SECURITY_NOSEC))
        return fail(out, LWM2M_RULE_URI_MODE_MISMATCH, up, "%s URI with security mode %lld",
                    secure_scheme ? "coaps" : "coap", (long long)mode);
    if (!(caps->security_modes & (1u << mode)))
        return fail(out, LWM2M_RULE_UNSUPPORTED_MODE, mp,
                    "security mode %lld is not supported by this client", (long long)mode);
    if (!(caps->schemes & scheme))
        return fail(out, LWM2M_RULE_UNSUPPORTED_SCHEME, up,
                    "URI scheme not supported by this client");
    /* Key material the mode needs: identity and secret for PSK, RPK and certificates (EST
     * enrols its own key pair, so only the server's key is needed). */
    if (mode == LWM2M_SECURITY_PSK || mode == LWM2M_SECURITY_RPK ||
        mode == LWM2M_SECURITY_CERTIFICATE) {
        if (!non_empty_bytes(m, lwm2m_path_res(0, iid, 3)))
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, lwm2m_path_res(0, iid, 3),
                        "security mode %lld needs Public Key or Identity", (long long)mode);
        if (!non_empty_bytes(m, lwm2m_path_res(0, iid, 5)))
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, lwm2m_path_res(0, iid, 5),
                        "security mode %lld needs Secret Key", (long long)mode);
    }
    if ((mode == LWM2M_SECURITY_RPK || mode == LWM2M_SECURITY_CERTIFICATE) &&
        caps->check_keys != NULL)
        return (lwm2m_consistency_rule)caps->check_keys(m, iid, mode, caps, out);
    return LWM2M_CONSISTENT;
}

static lwm2m_consistency_rule check_server(const lwm2m_model *m, uint16_t iid, int64_t *ssid,
                                           lwm2m_consistency_result *out)
{
    static const uint16_t mandatory[] = {0, 1, 7};
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!has(m, lwm2m_path_res(1, iid, mandatory[i])))
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, lwm2m_path_res(1, iid, mandatory[i]),
                        "mandatory Server resource absent");
    lwm2m_path sp = lwm2m_path_res(1, iid, 0);
    if (lwm2m_model_get_int(m, &sp, ssid) != LWM2M_OK || *ssid < 1 || *ssid > LWM2M_ID_MAX)
        return fail(out, LWM2M_RULE_SSID_RANGE, sp, "SSID %lld outside 1..65534", (long long)*ssid);
    int64_t lifetime = 0;
    lwm2m_path lp = lwm2m_path_res(1, iid, 1);
    if (lwm2m_model_get_int(m, &lp, &lifetime) != LWM2M_OK || lifetime < 0)
        return fail(out, LWM2M_RULE_MISSING_RESOURCE, lp, "lifetime must be >= 0");
    lwm2m_bytes binding;
    lwm2m_path bp = lwm2m_path_res(1, iid, 7);
    if (lwm2m_model_get_bytes(m, &bp, &binding) != LWM2M_OK || binding.len == 0)
        return fail(out, LWM2M_RULE_MISSING_RESOURCE, bp, "binding must not be empty");
    return LWM2M_CONSISTENT;
}

static bool ssid_in(const int64_t *list, size_t n, int64_t ssid)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == ssid)
            return true;
    return false;
}

static lwm2m_consistency_rule check_acls(const lwm2m_model *m, const int64_t *ssids, size_t n,
                                         lwm2m_consistency_result *out)
{
    size_t count = lwm2m_model_instance_count(m, 2);
    for (size_t i = 0; i < count; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 2, i);
        int64_t obj = -1, inst = -1, owner = -1;
        lwm2m_path op = lwm2m_path_res(2, iid, 0), ip = lwm2m_path_res(2, iid, 1);
        lwm2m_path wp = lwm2m_path_res(2, iid, 3);
        if (lwm2m_model_get_int(m, &op, &obj) != LWM2M_OK)
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, op, "ACL without Object ID");
        if (lwm2m_model_get_int(m, &ip, &inst) != LWM2M_OK)
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, ip, "ACL without Object Instance ID");
        if (lwm2m_model_get_int(m, &wp, &owner) != LWM2M_OK)
            return fail(out, LWM2M_RULE_MISSING_RESOURCE, wp, "ACL without owner");
        if (obj < 1 || obj > LWM2M_ID_MAX || inst < 0 || inst > LWM2M_ID_RESERVED)
            return fail(out, LWM2M_RULE_ACL_TARGET_MISSING, op, "ACL target /%lld/%lld invalid",
                        (long long)obj, (long long)inst);
        /* Instance 65535 governs Create on the object: only the object must exist. */
        bool target_ok = inst == LWM2M_ID_RESERVED
                             ? lwm2m_model_has_object(m, (uint16_t)obj)
                             : lwm2m_model_has_instance(m, (uint16_t)obj, (uint16_t)inst);
        if (!target_ok)
            return fail(out, LWM2M_RULE_ACL_TARGET_MISSING, op, "ACL for missing /%lld/%lld",
                        (long long)obj, (long long)inst);
        if (owner != MAX_ID_BOOTSTRAP_ONLY && !ssid_in(ssids, n, owner))
            return fail(out, LWM2M_RULE_ACL_OWNER_UNKNOWN, wp, "owner %lld is no server",
                        (long long)owner);
        /* ACL entries are keyed by SSID (0 = default for every server). */
        lwm2m_path acl = lwm2m_path_res(2, iid, 2);
        size_t entries = lwm2m_model_resource_instance_count(m, &acl);
        for (size_t k = 0; k < entries; k++) {
            uint16_t who = lwm2m_model_resource_instance_id_at(m, &acl, k);
            if (who != 0 && !ssid_in(ssids, n, who))
                return fail(out, LWM2M_RULE_ACL_OWNER_UNKNOWN, lwm2m_path_rinst(2, iid, 2, who),
                            "ACL entry for unknown SSID %u", (unsigned)who);
        }
    }
    return LWM2M_CONSISTENT;
}

static lwm2m_consistency_rule check_all(const lwm2m_model *m, const lwm2m_capabilities *caps,
                                        int64_t *sec_ssids, int64_t *srv_ssids,
                                        lwm2m_consistency_result *out)
{
    size_t n_sec = lwm2m_model_instance_count(m, 0);
    size_t n_srv = lwm2m_model_instance_count(m, 1);
    size_t n_accounts = 0;
    int bootstrap_seen = -1;
    lwm2m_consistency_rule rule;

    for (size_t i = 0; i < n_sec; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 0, i);
        if (lwm2m_model_is_bootstrap_account(m, iid)) {
            if (bootstrap_seen >= 0)
                return fail(out, LWM2M_RULE_MULTIPLE_BOOTSTRAP, lwm2m_path_inst(0, iid),
                            "second Bootstrap-Server account (first is /0/%d)", bootstrap_seen);
            bootstrap_seen = iid;
        }
        int64_t ssid;
        rule = check_security(m, iid, caps, &ssid, out);
        if (rule != LWM2M_CONSISTENT)
            return rule;
        if (ssid >= 0) {
            if (ssid_in(sec_ssids, n_accounts, ssid))
                return fail(out, LWM2M_RULE_SSID_DUPLICATE, lwm2m_path_res(0, iid, 10),
                            "SSID %lld used by two Security instances", (long long)ssid);
            sec_ssids[n_accounts++] = ssid;
        }
    }
    for (size_t i = 0; i < n_srv; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 1, i);
        rule = check_server(m, iid, &srv_ssids[i], out);
        if (rule != LWM2M_CONSISTENT)
            return rule;
        if (ssid_in(srv_ssids, i, srv_ssids[i]))
            return fail(out, LWM2M_RULE_SSID_DUPLICATE, lwm2m_path_res(1, iid, 0),
                        "SSID %lld used by two Server instances", (long long)srv_ssids[i]);
        if (!ssid_in(sec_ssids, n_accounts, srv_ssids[i]))
            return fail(out, LWM2M_RULE_SERVER_WITHOUT_SECURITY, lwm2m_path_inst(1, iid),
                        "no Security instance with SSID %lld", (long long)srv_ssids[i]);
    }
    for (size_t i = 0, k = 0; i < n_sec; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 0, i);
        if (lwm2m_model_is_bootstrap_account(m, iid))
            continue;
        if (!ssid_in(srv_ssids, n_srv, sec_ssids[k]))
            return fail(out, LWM2M_RULE_SECURITY_WITHOUT_SERVER, lwm2m_path_inst(0, iid),
                        "no Server instance with SSID %lld", (long long)sec_ssids[k]);
        k++;
    }
    if (n_accounts == 0)
        return fail(out, LWM2M_RULE_NO_SERVER_ACCOUNT, lwm2m_path_obj(0),
                    "no Security/Server instance pair");
    if (caps->max_server_accounts != 0 && n_accounts > caps->max_server_accounts)
        return fail(out, LWM2M_RULE_TOO_MANY_SERVERS, lwm2m_path_obj(1),
                    "%zu server accounts, this client holds %zu", n_accounts,
                    caps->max_server_accounts);
    if (lwm2m_model_instance_count(m, 2) > 0) {
        if (!caps->access_control)
            return fail(out, LWM2M_RULE_ACL_UNSUPPORTED, lwm2m_path_obj(2),
                        "Access Control instances loaded, this client has no Access Control");
        rule = check_acls(m, sec_ssids, n_accounts, out);
        if (rule != LWM2M_CONSISTENT)
            return rule;
    }
    return LWM2M_CONSISTENT;
}

lwm2m_consistency_rule lwm2m_consistency_check(const lwm2m_model *m, const lwm2m_capabilities *caps,
                                               lwm2m_consistency_result *out)
{
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        snprintf(out->message, sizeof out->message, "consistent");
    }
    size_t n_sec = lwm2m_model_instance_count(m, 0);
    size_t n_srv = lwm2m_model_instance_count(m, 1);
    int64_t *sec_ssids = malloc((n_sec + 1) * sizeof *sec_ssids);
    int64_t *srv_ssids = malloc((n_srv + 1) * sizeof *srv_ssids);
    lwm2m_consistency_rule rule;
    if (sec_ssids == NULL || srv_ssids == NULL)
        rule = fail(out, LWM2M_RULE_NO_MEMORY, lwm2m_path_root(), "out of memory");
    else
        rule = check_all(m, caps, sec_ssids, srv_ssids, out);
    free(sec_ssids);
    free(srv_ssids);
    return rule;
}
