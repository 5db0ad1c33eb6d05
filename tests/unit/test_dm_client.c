/* The client's Device Management handler through its sans-I/O interface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/dm_client.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"

typedef struct fixture {
    lwm2m_model *m;
    lwm2m_dm_context ctx;
    uint8_t out[2048];
    lwm2m_response resp;
    lwm2m_dm_event ev;
    uint16_t ev_iid;
} fixture;

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->m = lwm2m_model_new();
    assert_non_null(f->m);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    set(f->m, lwm2m_path_res(0, 1, 0), lwm2m_value_str("coap://127.0.0.1:5683"));
    set(f->m, lwm2m_path_res(0, 1, 1), lwm2m_value_bool(false));
    set(f->m, lwm2m_path_res(0, 1, 10), lwm2m_value_int(101));
    set(f->m, lwm2m_path_res(1, 0, 0), lwm2m_value_int(101));
    set(f->m, lwm2m_path_res(1, 0, 1), lwm2m_value_int(300));
    set(f->m, lwm2m_path_res(1, 0, 7), lwm2m_value_str("U"));
    set(f->m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    f->ctx.model = f->m;
    f->ctx.lwm2m_version = "1.1";
    f->ctx.read_format = LWM2M_FORMAT_SENML_JSON;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lwm2m_model_free(f->m);
    free(f);
    return 0;
}

static unsigned run(fixture *f, uint16_t ssid, unsigned method, const char *path, const char *query,
                    lwm2m_format fmt, lwm2m_format accept, const char *payload)
{
    lwm2m_request req = {method,
                         path,
                         strlen(path),
                         query,
                         query ? strlen(query) : 0,
                         fmt,
                         accept,
                         (const uint8_t *)payload,
                         payload ? strlen(payload) : 0};
    f->resp.payload = lwm2m_buf_init(f->out, sizeof f->out - 1);
    lwm2m_dm_handle(&f->ctx, ssid, &req, &f->resp, &f->ev, &f->ev_iid);
    f->out[f->resp.payload.len < sizeof f->out ? f->resp.payload.len : 0] = '\0';
    return f->resp.code;
}

static void test_read_single_resource_as_text(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/3/0/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CONTENT);
    assert_int_equal(f->resp.format, LWM2M_FORMAT_TEXT);
    assert_string_equal((char *)f->out, "ACME");
}

static void test_read_instance_in_default_format(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/1/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CONTENT);
    assert_int_equal(f->resp.format, LWM2M_FORMAT_SENML_JSON);
    assert_non_null(strstr((char *)f->out, "\"n\":\"1\",\"v\":300"));
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/1/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_TEXT, NULL),
        LWM2M_CODE_NOT_ACCEPTABLE);
}

static void test_security_object_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/0/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_UNAUTHORIZED);
    assert_int_equal(run(f, 101, LWM2M_METHOD_PUT, "/0/1/0", NULL, LWM2M_FORMAT_TEXT,
                         LWM2M_FORMAT_NONE, "coap://evil"),
                     LWM2M_CODE_UNAUTHORIZED);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_LINK, NULL),
        LWM2M_CODE_UNAUTHORIZED);
}

static void test_write_and_partial_update(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_PUT, "/1/0/1", NULL, LWM2M_FORMAT_TEXT, LWM2M_FORMAT_NONE, "600"),
        LWM2M_CODE_CHANGED);
    int64_t lt = 0;
    lwm2m_path p = lwm2m_path_res(1, 0, 1);
    assert_int_equal(lwm2m_model_get_int(f->m, &p, &lt), 0);
    assert_int_equal(lt, 600);
    assert_int_equal(run(f, 101, LWM2M_METHOD_POST, "/1/0", NULL, LWM2M_FORMAT_SENML_JSON,
                         LWM2M_FORMAT_NONE, "[{\"n\":\"/1/0/1\",\"v\":700}]"),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_model_get_int(f->m, &p, &lt), 0);
    assert_int_equal(lt, 700);
    /* Read-only resource (SSID) in a DM write: refused, nothing changed. */
    assert_int_not_equal(run(f, 101, LWM2M_METHOD_POST, "/1/0", NULL, LWM2M_FORMAT_SENML_JSON,
                             LWM2M_FORMAT_NONE, "[{\"n\":\"/1/0/0\",\"v\":5}]"),
                         LWM2M_CODE_CHANGED);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_PUT, "/1/0/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, "600"),
        LWM2M_CODE_BAD_REQUEST);
}

static void test_execute_events(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1/0/9", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CHANGED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_BOOTSTRAP_REQUEST);
    assert_int_equal(f->ev_iid, 0);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1/0/8", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CHANGED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_REGISTRATION_UPDATE);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1/0/4", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CHANGED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_DISABLE);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1/7/9", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_NOT_FOUND);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_NONE);
    /* Not executable. */
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1/0/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_METHOD_NOT_ALLOWED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_NONE);
}

static void test_write_attributes_and_discover(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, 101, LWM2M_METHOD_PUT, "/3/0/0", "pmin=10&pmax=60", LWM2M_FORMAT_NONE,
                         LWM2M_FORMAT_NONE, NULL),
                     LWM2M_CODE_CHANGED);
    double v = 0;
    lwm2m_path p = lwm2m_path_res(3, 0, 0);
    assert_int_equal(lwm2m_model_get_attr(f->m, 101, &p, LWM2M_ATTR_PMAX, &v), 0);
    assert_true(v == 60);
    /* A bad attribute changes nothing, even after a good one. */
    assert_int_equal(run(f, 101, LWM2M_METHOD_PUT, "/3/0/0", "pmin=1&bogus=2", LWM2M_FORMAT_NONE,
                         LWM2M_FORMAT_NONE, NULL),
                     LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(lwm2m_model_get_attr(f->m, 101, &p, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 10);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/3/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_LINK, NULL),
        LWM2M_CODE_CONTENT);
    assert_non_null(strstr((char *)f->out, "</3/0/0>;pmin=10;pmax=60"));
    /* pmin cleared by name alone. */
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_PUT, "/3/0/0", "pmin", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_model_get_attr(f->m, 101, &p, LWM2M_ATTR_PMIN, &v), LWM2M_ERR_NOT_FOUND);
}

static void test_access_control(void **state)
{
    fixture *f = *state;
    /* /2/0: server 102 may read /3/0; the owner is 101. */
    set(f->m, lwm2m_path_res(2, 0, 0), lwm2m_value_int(3));
    set(f->m, lwm2m_path_res(2, 0, 1), lwm2m_value_int(0));
    set(f->m, lwm2m_path_rinst(2, 0, 2, 102), lwm2m_value_int(LWM2M_ACL_READ));
    set(f->m, lwm2m_path_res(2, 0, 3), lwm2m_value_int(101));
    assert_int_equal(lwm2m_dm_access_rights(f->m, 101, 3, 0), 31);
    assert_int_equal(lwm2m_dm_access_rights(f->m, 102, 3, 0), LWM2M_ACL_READ);
    assert_int_equal(lwm2m_dm_access_rights(f->m, 103, 3, 0), 0);
    assert_int_equal(lwm2m_dm_access_rights(f->m, 102, 1, 0), 0); /* no ACL instance */
    assert_int_equal(
        run(f, 102, LWM2M_METHOD_GET, "/3/0/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CONTENT);
    assert_int_equal(
        run(f, 102, LWM2M_METHOD_PUT, "/3/0", "pmin=5", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CHANGED);
    assert_int_equal(
        run(f, 103, LWM2M_METHOD_GET, "/3/0/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_UNAUTHORIZED);
    /* A default entry (ACL instance 0) applies to servers without their own. */
    set(f->m, lwm2m_path_rinst(2, 0, 2, 0), lwm2m_value_int(LWM2M_ACL_READ | LWM2M_ACL_EXECUTE));
    assert_int_equal(lwm2m_dm_access_rights(f->m, 103, 3, 0), LWM2M_ACL_READ | LWM2M_ACL_EXECUTE);
}

static void test_create_and_delete(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, 101, LWM2M_METHOD_POST, "/1", NULL, LWM2M_FORMAT_SENML_JSON,
                         LWM2M_FORMAT_NONE,
                         "[{\"bn\":\"/1/4/\",\"n\":\"0\",\"v\":7},{\"n\":\"1\",\"v\":60},"
                         "{\"n\":\"7\",\"vs\":\"U\"}]"),
                     LWM2M_CODE_CREATED);
    assert_true(lwm2m_model_has_instance(f->m, 1, 4));
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_DELETE, "/1/4", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_DELETED);
    assert_false(lwm2m_model_has_instance(f->m, 1, 4));
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_DELETE, "/1/4", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_NOT_FOUND);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_DELETE, "/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_METHOD_NOT_ALLOWED);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/9/0", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_NOT_FOUND);
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/x", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_NOT_FOUND);
}

static void test_create_reports_location(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, 101, LWM2M_METHOD_POST, "/1", NULL, LWM2M_FORMAT_SENML_JSON,
                         LWM2M_FORMAT_NONE,
                         "[{\"bn\":\"/1/4/\",\"n\":\"0\",\"v\":7},{\"n\":\"1\",\"v\":60},"
                         "{\"n\":\"7\",\"vs\":\"U\"}]"),
                     LWM2M_CODE_CREATED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_CREATED);
    assert_int_equal(f->ev_iid, 4);
    lwm2m_request req = {LWM2M_METHOD_POST, "/1", 2};
    char loc[16];
    assert_int_equal(lwm2m_dm_location(&req, f->ev_iid, loc, sizeof loc), 4);
    assert_string_equal(loc, "/1/4");
    char tiny[4];
    assert_int_equal(lwm2m_dm_location(&req, 4, tiny, sizeof tiny), 0);
    assert_string_equal(tiny, "");
    lwm2m_request not_create = {LWM2M_METHOD_POST, "/1/4", 4};
    assert_int_equal(lwm2m_dm_location(&not_create, 4, loc, sizeof loc), 0);
    assert_string_equal(loc, "");
    /* A Create that names no instance (empty TLV): the client picks the lowest free id. */
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_POST, "/1", NULL, LWM2M_FORMAT_TLV, LWM2M_FORMAT_NONE, ""),
        LWM2M_CODE_CREATED);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_CREATED);
    assert_int_equal(f->ev_iid, 1);
    assert_true(lwm2m_model_has_instance(f->m, 1, 1));
    /* An existing instance: 4.00, no event. */
    assert_int_equal(run(f, 101, LWM2M_METHOD_POST, "/1", NULL, LWM2M_FORMAT_SENML_JSON,
                         LWM2M_FORMAT_NONE, "[{\"bn\":\"/1/4/\",\"n\":\"0\",\"v\":8}]"),
                     LWM2M_CODE_BAD_REQUEST);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_NONE);
    /* Other operations report no creation. */
    assert_int_equal(
        run(f, 101, LWM2M_METHOD_GET, "/1/4/1", NULL, LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL),
        LWM2M_CODE_CONTENT);
    assert_int_equal(f->ev, LWM2M_DM_EVENT_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_single_resource_as_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_instance_in_default_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security_object_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_and_partial_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_attributes_and_discover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_reports_location, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
