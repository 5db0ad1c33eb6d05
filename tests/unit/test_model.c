/* The object model: Bootstrap-Write / DM Write / Create / Delete / Read / Execute / Discover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"

typedef struct fixture {
    lwm2m_model *m;
    int reads;
    int executes;
    int reject_writes;
} fixture;

static int hook_read(void *ctx, lwm2m_model *m, const lwm2m_path *path)
{
    fixture *f = ctx;
    f->reads++;
    /* Current Time is live: refreshed on every read. */
    lwm2m_path t = lwm2m_path_res(3, path->id[1], 13);
    lwm2m_value v = lwm2m_value_time(1000 + f->reads);
    return lwm2m_model_set(m, &t, &v);
}

static int hook_execute(void *ctx, lwm2m_model *m, const lwm2m_path *path, const uint8_t *args,
                        size_t len)
{
    (void)m;
    (void)args;
    (void)len;
    fixture *f = ctx;
    f->executes++;
    return path->id[2] == 4 ? LWM2M_OK : LWM2M_ERR_NOT_ALLOWED;
}

static int hook_write(void *ctx, lwm2m_model *m, const lwm2m_path *path, const lwm2m_record *recs,
                      size_t n)
{
    (void)m;
    (void)path;
    (void)recs;
    (void)n;
    fixture *f = ctx;
    return f->reject_writes ? LWM2M_ERR_NOT_ALLOWED : LWM2M_OK;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->m = lwm2m_model_new();
    assert_non_null(f->m);
    lwm2m_object_handlers dev = {hook_read, hook_write, hook_execute, f};
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(3, "1.0"), &dev), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(3, "1.0"), NULL),
                     LWM2M_ERR_EXISTS);
    /* The factory state: a bootstrap account at /0/5 and the device instance. */
    lwm2m_value bs_uri = lwm2m_value_str("coap://bs.example:5683");
    lwm2m_value yes = lwm2m_value_bool(true), nosec = lwm2m_value_int(3);
    lwm2m_value manu = lwm2m_value_str("ACME");
    lwm2m_path p = lwm2m_path_res(0, 5, 0);
    assert_int_equal(lwm2m_model_set(f->m, &p, &bs_uri), 0);
    p = lwm2m_path_res(0, 5, 1);
    assert_int_equal(lwm2m_model_set(f->m, &p, &yes), 0);
    p = lwm2m_path_res(0, 5, 2);
    assert_int_equal(lwm2m_model_set(f->m, &p, &nosec), 0);
    p = lwm2m_path_res(3, 0, 0);
    assert_int_equal(lwm2m_model_set(f->m, &p, &manu), 0);
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

static lwm2m_record rec(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r;
    r.path = p;
    r.value = v;
    r.time = 0;
    return r;
}

/* A server account (Security /0/iid + Server /1/iid) as a Bootstrap Server writes it. */
static void write_account(lwm2m_model *m, uint16_t iid, int64_t ssid, const char *uri)
{
    lwm2m_record sec[] = {
        rec(lwm2m_path_res(0, iid, 0), lwm2m_value_str(uri)),
        rec(lwm2m_path_res(0, iid, 1), lwm2m_value_bool(false)),
        rec(lwm2m_path_res(0, iid, 2), lwm2m_value_int(3)),
        rec(lwm2m_path_res(0, iid, 10), lwm2m_value_int(ssid)),
    };
    lwm2m_path base = lwm2m_path_obj(0);
    assert_int_equal(lwm2m_model_write(m, &base, sec, 4, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    lwm2m_record srv[] = {
        rec(lwm2m_path_res(1, iid, 0), lwm2m_value_int(ssid)),
        rec(lwm2m_path_res(1, iid, 1), lwm2m_value_int(300)),
        rec(lwm2m_path_res(1, iid, 6), lwm2m_value_bool(true)),
        rec(lwm2m_path_res(1, iid, 7), lwm2m_value_str("U")),
    };
    base = lwm2m_path_inst(1, iid);
    assert_int_equal(lwm2m_model_write(m, &base, srv, 4, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
}

static void assert_int_at(lwm2m_model *m, lwm2m_path p, int64_t want)
{
    int64_t got = -12345;
    assert_int_equal(lwm2m_model_get_int(m, &p, &got), 0);
    assert_int_equal(got, want);
}

static void test_bootstrap_write_creates_instances(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    write_account(f->m, 1, 102, "coap://s2");
    assert_true(lwm2m_model_has_instance(f->m, 0, 0));
    assert_true(lwm2m_model_has_instance(f->m, 1, 1));
    assert_int_at(f->m, lwm2m_path_res(0, 1, 10), 102);
    assert_int_at(f->m, lwm2m_path_res(1, 0, 1), 300);
    assert_int_equal(lwm2m_model_instance_count(f->m, 0), 3);
    assert_int_equal(lwm2m_model_instance_id_at(f->m, 0, 2), 5);
}

static void test_bootstrap_write_instance_replaces(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    /* Instance-level Bootstrap-Write: the instance becomes exactly the payload. */
    lwm2m_record r[] = {rec(lwm2m_path_res(1, 0, 0), lwm2m_value_int(7)),
                        rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(60))};
    lwm2m_path base = lwm2m_path_inst(1, 0);
    assert_int_equal(lwm2m_model_write(f->m, &base, r, 2, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    lwm2m_path binding = lwm2m_path_res(1, 0, 7);
    assert_null(lwm2m_model_get(f->m, &binding));
    assert_int_at(f->m, lwm2m_path_res(1, 0, 0), 7);
    /* Resource-level Bootstrap-Write keeps the rest of the instance. */
    lwm2m_record one = rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(90));
    base = lwm2m_path_res(1, 0, 1);
    assert_int_equal(lwm2m_model_write(f->m, &base, &one, 1, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    assert_int_at(f->m, lwm2m_path_res(1, 0, 1), 90);
    assert_int_at(f->m, lwm2m_path_res(1, 0, 0), 7);
    /* ...and creates the instance when it does not exist. */
    base = lwm2m_path_res(1, 9, 1);
    one.path = base;
    assert_int_equal(lwm2m_model_write(f->m, &base, &one, 1, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    assert_true(lwm2m_model_has_instance(f->m, 1, 9));
}

static void test_bootstrap_write_ignores_unknown_resources(void **state)
{
    fixture *f = *state;
    lwm2m_record r[] = {rec(lwm2m_path_res(1, 0, 0), lwm2m_value_int(7)),
                        rec(lwm2m_path_res(1, 0, 999), lwm2m_value_int(1))};
    lwm2m_path base = lwm2m_path_inst(1, 0);
    assert_int_equal(lwm2m_model_write(f->m, &base, r, 2, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    lwm2m_path unknown = lwm2m_path_res(1, 0, 999);
    assert_null(lwm2m_model_get(f->m, &unknown));
    /* A DM write of an unknown resource is an error. */
    lwm2m_path bad;
    r[0] = rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(60));
    assert_int_equal(lwm2m_model_write(f->m, &base, r, 2, LWM2M_WRITE_UPDATE, &bad),
                     LWM2M_ERR_INVALID);
    assert_int_equal(bad.id[2], 999);
}

static void test_write_is_atomic(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    /* Second instance carries a string where an integer belongs: nothing may change. */
    lwm2m_record r[] = {
        rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(1)),
        rec(lwm2m_path_res(1, 3, 0), lwm2m_value_int(9)),
        rec(lwm2m_path_res(1, 3, 1), lwm2m_value_str("soon")),
    };
    lwm2m_path base = lwm2m_path_obj(1), bad;
    assert_int_equal(lwm2m_model_write(f->m, &base, r, 3, LWM2M_WRITE_BOOTSTRAP, &bad),
                     LWM2M_ERR_TYPE);
    assert_int_equal(bad.id[1], 3);
    assert_int_at(f->m, lwm2m_path_res(1, 0, 1), 300);
    assert_false(lwm2m_model_has_instance(f->m, 1, 3));
    /* Records outside the request path and single/multiple mismatches are refused. */
    lwm2m_record outside = rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(5));
    base = lwm2m_path_inst(1, 1);
    assert_int_equal(lwm2m_model_write(f->m, &base, &outside, 1, LWM2M_WRITE_BOOTSTRAP, NULL),
                     LWM2M_ERR_INVALID);
    lwm2m_record multi = rec(lwm2m_path_rinst(1, 0, 1, 0), lwm2m_value_int(5));
    base = lwm2m_path_inst(1, 0);
    assert_int_equal(lwm2m_model_write(f->m, &base, &multi, 1, LWM2M_WRITE_BOOTSTRAP, NULL),
                     LWM2M_ERR_INVALID);
    /* A rejecting write hook undoes the whole write. */
    f->reject_writes = 1;
    lwm2m_record dev = rec(lwm2m_path_res(3, 0, 14), lwm2m_value_str("+01:00"));
    base = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_model_write(f->m, &base, &dev, 1, LWM2M_WRITE_UPDATE, NULL),
                     LWM2M_ERR_NOT_ALLOWED);
    lwm2m_path utc = lwm2m_path_res(3, 0, 14);
    assert_null(lwm2m_model_get(f->m, &utc));
}

static void test_dm_write_modes(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    lwm2m_path base = lwm2m_path_inst(1, 4);
    lwm2m_record life = rec(lwm2m_path_res(1, 4, 1), lwm2m_value_int(60));
    assert_int_equal(lwm2m_model_write(f->m, &base, &life, 1, LWM2M_WRITE_REPLACE, NULL),
                     LWM2M_ERR_NOT_FOUND);
    /* SSID /1/x/0 is read-only on the DM interface. */
    base = lwm2m_path_inst(1, 0);
    lwm2m_record ssid = rec(lwm2m_path_res(1, 0, 0), lwm2m_value_int(5));
    assert_int_equal(lwm2m_model_write(f->m, &base, &ssid, 1, LWM2M_WRITE_UPDATE, NULL),
                     LWM2M_ERR_NOT_ALLOWED);
    /* Replace on the instance drops writable resources absent from the payload, keeps
     * read-only ones. */
    life.path = lwm2m_path_res(1, 0, 1);
    assert_int_equal(lwm2m_model_write(f->m, &base, &life, 1, LWM2M_WRITE_REPLACE, NULL), 0);
    lwm2m_path binding = lwm2m_path_res(1, 0, 7);
    assert_null(lwm2m_model_get(f->m, &binding));
    assert_int_at(f->m, lwm2m_path_res(1, 0, 0), 101);
    /* Create of an existing instance. */
    assert_int_equal(lwm2m_model_write(f->m, &base, &life, 1, LWM2M_WRITE_CREATE, NULL),
                     LWM2M_ERR_EXISTS);
    /* Partial update merges resource instances; replace of the resource drops the others. */
    lwm2m_path dev = lwm2m_path_inst(3, 0);
    lwm2m_record a = rec(lwm2m_path_rinst(2, 0, 2, 101), lwm2m_value_int(1));
    lwm2m_path acl = lwm2m_path_inst(2, 0);
    lwm2m_record acl_inst[] = {
        rec(lwm2m_path_res(2, 0, 0), lwm2m_value_int(3)),
        rec(lwm2m_path_res(2, 0, 1), lwm2m_value_int(0)),
        rec(lwm2m_path_rinst(2, 0, 2, 101), lwm2m_value_int(1)),
        rec(lwm2m_path_rinst(2, 0, 2, 102), lwm2m_value_int(3)),
        rec(lwm2m_path_res(2, 0, 3), lwm2m_value_int(101)),
    };
    assert_int_equal(lwm2m_model_write(f->m, &acl, acl_inst, 5, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    a.value = lwm2m_value_int(15);
    assert_int_equal(lwm2m_model_write(f->m, &acl, &a, 1, LWM2M_WRITE_UPDATE, NULL), 0);
    assert_int_at(f->m, lwm2m_path_rinst(2, 0, 2, 101), 15);
    assert_int_at(f->m, lwm2m_path_rinst(2, 0, 2, 102), 3);
    lwm2m_path res = lwm2m_path_res(2, 0, 2);
    assert_int_equal(lwm2m_model_write(f->m, &res, &a, 1, LWM2M_WRITE_REPLACE, NULL), 0);
    lwm2m_path gone = lwm2m_path_rinst(2, 0, 2, 102);
    assert_null(lwm2m_model_get(f->m, &gone));
    (void)dev;
}

static void test_bootstrap_delete_protects_account_and_device(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    write_account(f->m, 1, 102, "coap://s2");
    lwm2m_path p = lwm2m_path_obj(0);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_int_equal(lwm2m_model_instance_count(f->m, 0), 1);
    assert_true(lwm2m_model_is_bootstrap_account(f->m, 5));
    assert_int_equal(lwm2m_model_instance_count(f->m, 1), 2);
    /* Naming the bootstrap account explicitly keeps it, successfully. */
    p = lwm2m_path_inst(0, 5);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_true(lwm2m_model_has_instance(f->m, 0, 5));
    /* "/" removes all the rest but keeps /3/0. */
    p = lwm2m_path_root();
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_int_equal(lwm2m_model_instance_count(f->m, 1), 0);
    assert_true(lwm2m_model_has_instance(f->m, 3, 0));
    assert_true(lwm2m_model_has_instance(f->m, 0, 5));
    /* Missing instance: fine for bootstrap, 4.04 for DM; unknown object: not found. */
    p = lwm2m_path_inst(1, 42);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_DM), LWM2M_ERR_NOT_FOUND);
    p = lwm2m_path_obj(77);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), LWM2M_ERR_NOT_FOUND);
    p = lwm2m_path_res(1, 0, 1);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_BOOTSTRAP), LWM2M_ERR_INVALID);
    /* A DM delete may remove /3/0: protection is a bootstrap rule only. */
    p = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_model_delete(f->m, &p, LWM2M_DELETE_DM), 0);
}

static void test_read(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    lwm2m_record items[32];
    lwm2m_record_list out = lwm2m_record_list_init(items, 32);
    lwm2m_path p = lwm2m_path_inst(1, 0);
    assert_int_equal(lwm2m_model_read(f->m, &p, &out), 0);
    assert_int_equal(out.count, 4);
    assert_int_equal(out.items[0].path.id[2], 0);
    assert_int_equal(out.items[3].path.id[2], 7);
    assert_int_equal(out.items[3].value.type, LWM2M_TYPE_STRING);
    assert_memory_equal(out.items[3].value.v.bytes.ptr, "U", 1);
    /* Read hook refreshes /3/0/13 before the values are taken. */
    out.count = 0;
    p = lwm2m_path_res(3, 0, 13);
    assert_int_equal(lwm2m_model_read(f->m, &p, &out), LWM2M_ERR_NOT_FOUND);
    p = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_model_read(f->m, &p, &out), 0);
    assert_int_equal(f->reads, 1);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.items[1].value.type, LWM2M_TYPE_TIME);
    assert_int_equal(out.items[1].value.v.i, 1001);
    /* Empty instance and empty multiple resource show as NONE records. */
    lwm2m_path empty = lwm2m_path_inst(2, 7);
    assert_int_equal(lwm2m_model_write(f->m, &empty, NULL, 0, LWM2M_WRITE_BOOTSTRAP, NULL), 0);
    out.count = 0;
    assert_int_equal(lwm2m_model_read(f->m, &empty, &out), 0);
    assert_int_equal(out.count, 1);
    assert_int_equal(out.items[0].path.len, 2);
    assert_int_equal(out.items[0].value.type, LWM2M_TYPE_NONE);
    /* Full list reports NOMEM and leaves the list as it was. */
    lwm2m_record_list tiny = lwm2m_record_list_init(items, 2);
    p = lwm2m_path_root();
    assert_int_equal(lwm2m_model_read(f->m, &p, &tiny), LWM2M_ERR_NOMEM);
    assert_int_equal(tiny.count, 0);
}

static void test_execute(void **state)
{
    fixture *f = *state;
    lwm2m_path reboot = lwm2m_path_res(3, 0, 4);
    assert_int_equal(lwm2m_model_execute(f->m, &reboot, NULL, 0), 0);
    assert_int_equal(f->executes, 1);
    lwm2m_path manu = lwm2m_path_res(3, 0, 0);
    assert_int_equal(lwm2m_model_execute(f->m, &manu, NULL, 0), LWM2M_ERR_NOT_ALLOWED);
    lwm2m_path missing = lwm2m_path_res(3, 1, 4);
    assert_int_equal(lwm2m_model_execute(f->m, &missing, NULL, 0), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(f->executes, 1);
}

static void test_discover_bootstrap(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    char buf[512];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    lwm2m_path root = lwm2m_path_root();
    assert_int_equal(lwm2m_model_discover(f->m, &root, LWM2M_DISCOVER_BOOTSTRAP, "1.1", 0, &out),
                     0);
    const char *want = "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>;ssid=101;uri=\"coap://s1\",</0/5>,"
                       "</1>;ver=1.1,</1/0>;ssid=101,</2>,</3/0>";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(buf, want, out.len);
    /* Registration payload: no Security object. */
    out = lwm2m_buf_init(buf, sizeof buf);
    assert_int_equal(lwm2m_model_discover(f->m, &root, LWM2M_DISCOVER_REGISTER, NULL, 0, &out), 0);
    want = "</1>;ver=1.1,</1/0>,</2>,</3/0>";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(buf, want, out.len);
    /* Overflow reports the size needed. */
    char tiny[8];
    out = lwm2m_buf_init(tiny, sizeof tiny);
    assert_int_equal(lwm2m_model_discover(f->m, &root, LWM2M_DISCOVER_REGISTER, NULL, 0, &out),
                     LWM2M_ERR_OVERFLOW);
    assert_int_equal(out.len, strlen(want));
}

static void test_discover_dm_with_attributes(void **state)
{
    fixture *f = *state;
    lwm2m_path p = lwm2m_path_rinst(3, 0, 6, 0);
    lwm2m_value one = lwm2m_value_int(1);
    assert_int_equal(lwm2m_model_set(f->m, &p, &one), 0);
    p = lwm2m_path_rinst(3, 0, 6, 1);
    assert_int_equal(lwm2m_model_set(f->m, &p, &one), 0);
    lwm2m_path inst = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_model_set_attr(f->m, 101, &inst, LWM2M_ATTR_PMIN, 10, false), 0);
    assert_int_equal(lwm2m_model_set_attr(f->m, 101, &inst, LWM2M_ATTR_GT, 2.5, false), 0);
    lwm2m_path nowhere = lwm2m_path_inst(3, 9);
    assert_int_equal(lwm2m_model_set_attr(f->m, 101, &nowhere, LWM2M_ATTR_PMIN, 1, false),
                     LWM2M_ERR_NOT_FOUND);
    char buf[256];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    assert_int_equal(lwm2m_model_discover(f->m, &inst, LWM2M_DISCOVER_DM, NULL, 101, &out), 0);
    const char *want = "</3/0>;pmin=10;gt=2.5,</3/0/0>,</3/0/6>;dim=2";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(buf, want, out.len);
    /* Another server sees no attributes. */
    out = lwm2m_buf_init(buf, sizeof buf);
    assert_int_equal(lwm2m_model_discover(f->m, &inst, LWM2M_DISCOVER_DM, NULL, 102, &out), 0);
    want = "</3/0>,</3/0/0>,</3/0/6>;dim=2";
    assert_memory_equal(buf, want, strlen(want));
    double v;
    assert_int_equal(lwm2m_model_set_attr(f->m, 101, &inst, LWM2M_ATTR_PMIN, 0, true), 0);
    assert_int_equal(lwm2m_model_get_attr(f->m, 101, &inst, LWM2M_ATTR_PMIN, &v),
                     LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_model_get_attr(f->m, 101, &inst, LWM2M_ATTR_GT, &v), 0);
    assert_true(v == 2.5);
}

static void test_clone_is_independent(void **state)
{
    fixture *f = *state;
    write_account(f->m, 0, 101, "coap://s1");
    lwm2m_model *copy = lwm2m_model_clone(f->m);
    assert_non_null(copy);
    lwm2m_path root = lwm2m_path_root();
    assert_int_equal(lwm2m_model_delete(copy, &root, LWM2M_DELETE_BOOTSTRAP), 0);
    assert_false(lwm2m_model_has_instance(copy, 1, 0));
    assert_true(lwm2m_model_has_instance(f->m, 1, 0));
    /* assign brings the original back into the copy (a rollback). */
    assert_int_equal(lwm2m_model_assign(copy, f->m), 0);
    assert_int_at(copy, lwm2m_path_res(0, 0, 10), 101);
    lwm2m_bytes uri;
    lwm2m_path up = lwm2m_path_res(0, 0, 0);
    assert_int_equal(lwm2m_model_get_bytes(copy, &up, &uri), 0);
    assert_int_equal(uri.len, 9);
    assert_memory_equal(uri.ptr, "coap://s1", 9);
    lwm2m_model_free(copy);
    uint16_t id;
    assert_int_equal(lwm2m_model_free_instance_id(f->m, 0, &id), 0);
    assert_int_equal(id, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrap_write_creates_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_write_instance_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_write_ignores_unknown_resources, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_write_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_delete_protects_account_and_device, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discover_bootstrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discover_dm_with_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_is_independent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
