/* Registration, client side: accounts from the configuration, the Register query, Update time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"
#include "lwm2m/registration.h"

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static void test_accounts_and_query(void **state)
{
    (void)state;
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    set(m, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coap://bs"));
    set(m, lwm2m_path_res(0, 0, 1), lwm2m_value_bool(true));
    set(m, lwm2m_path_res(0, 0, 2), lwm2m_value_int(3));
    /* Server account SSID 7: Security /0/4, Server /1/9 (instance ids need not match). */
    set(m, lwm2m_path_res(0, 4, 0), lwm2m_value_str("coap://dm:5683"));
    set(m, lwm2m_path_res(0, 4, 1), lwm2m_value_bool(false));
    set(m, lwm2m_path_res(0, 4, 2), lwm2m_value_int(3));
    set(m, lwm2m_path_res(0, 4, 10), lwm2m_value_int(7));
    set(m, lwm2m_path_res(1, 9, 0), lwm2m_value_int(7));
    set(m, lwm2m_path_res(1, 9, 1), lwm2m_value_int(120));
    set(m, lwm2m_path_res(1, 9, 7), lwm2m_value_str("UQ"));
    /* A Security instance without its Server instance is no account. */
    set(m, lwm2m_path_res(0, 5, 0), lwm2m_value_str("coap://other"));
    set(m, lwm2m_path_res(0, 5, 1), lwm2m_value_bool(false));
    set(m, lwm2m_path_res(0, 5, 10), lwm2m_value_int(8));
    lwm2m_server_account acc[4];
    assert_int_equal(lwm2m_server_accounts(m, acc, 4), 1);
    assert_int_equal(acc[0].ssid, 7);
    assert_int_equal(acc[0].security_iid, 4);
    assert_int_equal(acc[0].server_iid, 9);
    assert_int_equal(acc[0].lifetime_s, 120);
    assert_string_equal(acc[0].uri, "coap://dm:5683");
    assert_string_equal(acc[0].binding, "UQ");
    assert_int_equal(lwm2m_server_accounts(m, acc, 0), 1); /* counts without writing */

    char mem[128];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_register_query("dev1", "1.1", &acc[0], &b), 0);
    assert_int_equal(b.len, strlen("ep=dev1&lt=120&lwm2m=1.1&b=UQ"));
    assert_memory_equal(mem, "ep=dev1&lt=120&lwm2m=1.1&b=UQ", b.len);
    char tiny[4];
    b = lwm2m_buf_init(tiny, sizeof tiny);
    assert_int_equal(lwm2m_register_query("dev1", "1.1", &acc[0], &b), LWM2M_ERR_OVERFLOW);
    assert_int_equal(lwm2m_register_query("", "1.1", &acc[0], &b), LWM2M_ERR_INVALID);

    assert_int_equal(lwm2m_register_update_at(&acc[0], 1000), 1000 + 108000);
    acc[0].lifetime_s = 0;
    assert_true(lwm2m_register_update_at(&acc[0], 1000) == INT64_MAX);
    acc[0].lifetime_s = 1;
    assert_int_equal(lwm2m_register_update_at(&acc[0], 1000), 2000);
    lwm2m_model_free(m);
}

static void payload_is(lwm2m_model *m, const char *version, const char *want)
{
    char mem[256];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_register_payload(m, version, &b), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(mem, want, b.len);
    /* Too small, at every size: the size needed is reported, nothing written past the end. */
    for (size_t cap = 0; cap < strlen(want); cap++) {
        memset(mem, '#', sizeof mem);
        b = lwm2m_buf_init(mem, cap);
        assert_int_equal(lwm2m_register_payload(m, version, &b), LWM2M_ERR_OVERFLOW);
        assert_int_equal(b.len, strlen(want));
        assert_int_equal(mem[cap], '#');
    }
}

static void test_register_payload(void **state)
{
    (void)state;
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    /* Only the Security object: the 1.1 payload is the root link alone. */
    payload_is(m, "1.1", "</>;rt=\"oma.lwm2m\";ct=110");
    payload_is(m, "1.0", "");
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(3, "1.0"), NULL), 0);
    set(m, lwm2m_path_res(0, 1, 0), lwm2m_value_str("coap://dm"));
    set(m, lwm2m_path_res(1, 1, 0), lwm2m_value_int(7));
    set(m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    payload_is(m, "1.1", "</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.1,</1/1>,</3/0>");
    payload_is(m, "1.2",
               "</>;rt=\"oma.lwm2m\";ct=\"110 112 11542 11543 11544\",</1>;ver=1.1,</1/1>,</3/0>");
    payload_is(m, "1.0", "</1>;ver=1.1,</1/1>,</3/0>");
    char mem[8];
    lwm2m_buf b = lwm2m_buf_init(mem, sizeof mem);
    assert_int_equal(lwm2m_register_payload(m, NULL, &b), LWM2M_ERR_INVALID);
    lwm2m_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounts_and_query),
        cmocka_unit_test(test_register_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
