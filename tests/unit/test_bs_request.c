/* The Bootstrap Server's reading of Bootstrap-Requests: query parsing and identity binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"

static unsigned parse(const char *q, lwm2m_bs_request_info *info, char *diag)
{
    return lwm2m_bs_request_parse(q, q ? strlen(q) : 0, info, diag, 128);
}

static void test_parse_endpoint_and_pct(void **state)
{
    (void)state;
    lwm2m_bs_request_info info;
    char diag[128] = "";
    assert_int_equal(parse("ep=dev-1", &info, diag), 0);
    assert_string_equal(info.endpoint, "dev-1");
    assert_int_equal(info.pct, LWM2M_FORMAT_NONE);
    assert_int_equal(parse("ep=urn:imei:1234&pct=112&imei=99", &info, diag), 0);
    assert_string_equal(info.endpoint, "urn:imei:1234");
    assert_int_equal(info.pct, LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(parse("pct=11542&ep=a", &info, diag), 0);
    assert_int_equal(info.pct, LWM2M_FORMAT_TLV);
    assert_int_equal(parse("pct=11544&ep=a", &info, diag), 0);
    assert_int_equal(info.pct, LWM2M_FORMAT_LWM2M_CBOR);
}

static void test_parse_without_endpoint(void **state)
{
    (void)state;
    lwm2m_bs_request_info info;
    char diag[128] = "";
    /* 1.2 lets a secure client omit ep; the caller decides from the identity. */
    assert_int_equal(parse(NULL, &info, diag), 0);
    assert_string_equal(info.endpoint, "");
    assert_int_equal(parse("pct=110", &info, diag), 0);
    assert_string_equal(info.endpoint, "");
    assert_int_equal(info.pct, LWM2M_FORMAT_SENML_JSON);
}

static void test_parse_errors(void **state)
{
    (void)state;
    lwm2m_bs_request_info info;
    char diag[128];
    assert_int_equal(parse("ep=", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "empty endpoint name");
    assert_int_equal(parse("ep=a&ep=b", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "ep given twice");
    assert_int_equal(parse("ep=a&pct=abc", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(parse("ep=a&pct=", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(parse("ep=a&pct=99999", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(parse("ep=a&pct=110&pct=110", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(parse("ep=a\x01", &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(parse("ep=a&&x", &info, diag), LWM2M_CODE_BAD_REQUEST);
    char longq[300] = "ep=";
    memset(longq + 3, 'x', 256);
    longq[259] = '\0';
    assert_int_equal(parse(longq, &info, diag), LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint name too long");
    longq[258] = '\0'; /* exactly 255 bytes is fine */
    assert_int_equal(parse(longq, &info, diag), 0);
    assert_int_equal(strlen(info.endpoint), 255);
}

static void test_parse_unsupported_pct(void **state)
{
    (void)state;
    lwm2m_bs_request_info info;
    char diag[128];
    assert_int_equal(parse("ep=a&pct=0", &info, diag), LWM2M_CODE_UNSUPPORTED_FORMAT);
    assert_string_equal(diag, "pct 0 cannot carry bootstrap writes");
    assert_int_equal(parse("ep=a&pct=40", &info, diag), LWM2M_CODE_UNSUPPORTED_FORMAT);
    assert_int_equal(parse("ep=a&pct=60", &info, diag), LWM2M_CODE_UNSUPPORTED_FORMAT);
}

static void test_authorize(void **state)
{
    (void)state;
    lwm2m_bs_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    char diag[128];
    /* No credentials: NoSec only. */
    assert_int_equal(lwm2m_bs_request_authorize(&cfg, NULL, 0, diag, sizeof(diag)), 0);
    assert_int_equal(lwm2m_bs_request_authorize(&cfg, (const uint8_t *)"x", 1, diag, sizeof(diag)),
                     LWM2M_CODE_BAD_REQUEST);
    memcpy(cfg.psk_identity, "dev-1", 5);
    cfg.psk_identity_len = 5;
    assert_int_equal(
        lwm2m_bs_request_authorize(&cfg, (const uint8_t *)"dev-1", 5, diag, sizeof(diag)), 0);
    assert_int_equal(lwm2m_bs_request_authorize(&cfg, NULL, 0, diag, sizeof(diag)),
                     LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "endpoint has credentials, request came over NoSec");
    assert_int_equal(
        lwm2m_bs_request_authorize(&cfg, (const uint8_t *)"dev-2", 5, diag, sizeof(diag)),
        LWM2M_CODE_BAD_REQUEST);
    assert_string_equal(diag, "identity not bound to this endpoint");
    assert_int_equal(
        lwm2m_bs_request_authorize(&cfg, (const uint8_t *)"dev-1x", 6, diag, sizeof(diag)),
        LWM2M_CODE_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_endpoint_and_pct),
        cmocka_unit_test(test_parse_without_endpoint),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_unsupported_pct),
        cmocka_unit_test(test_authorize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
