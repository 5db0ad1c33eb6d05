/* Tests of the built-in object definitions (generated from registry/ by lwm2m-objgen) and of
 * the lookups in src/model/objdef.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"

#ifndef LWM2M_REGISTRY_DIR
#define LWM2M_REGISTRY_DIR "registry"
#endif

static void test_builtin_table(void **state)
{
    (void)state;
    size_t n = lwm2m_objdef_builtin_count();
    assert_int_equal(n, 13);
    assert_null(lwm2m_objdef_builtin_at(n));
    for (size_t i = 0; i < n; i++) {
        const lwm2m_object_def *d = lwm2m_objdef_builtin_at(i);
        assert_non_null(d);
        assert_non_null(d->name);
        assert_true(d->resource_count > 0);
        for (size_t r = 1; r < d->resource_count; r++)
            assert_true(d->resources[r - 1].id < d->resources[r].id);
        if (i > 0) {
            const lwm2m_object_def *p = lwm2m_objdef_builtin_at(i - 1);
            assert_true(p->id < d->id ||
                        (p->id == d->id && lwm2m_version_compare(p->version, d->version) < 0));
        }
    }
}

/* The generated table says exactly what the XML says. */
static void test_builtin_matches_xml(void **state)
{
    (void)state;
    lwm2m_ddf_set set = {0};
    char err[256];
    assert_int_equal(lwm2m_ddf_load_dir(LWM2M_REGISTRY_DIR, &set, err, sizeof err), 0);
    lwm2m_objdef_list l = lwm2m_ddf_list(&set);
    assert_int_equal(l.count, lwm2m_objdef_builtin_count());
    for (size_t i = 0; i < l.count; i++) {
        const lwm2m_object_def *x = l.defs[i];
        const lwm2m_object_def *b = lwm2m_objdef_builtin(x->id, x->version);
        assert_non_null(b);
        assert_string_equal(b->name, x->name);
        assert_string_equal(b->version, x->version);
        assert_string_equal(b->lwm2m_version, x->lwm2m_version);
        assert_int_equal(b->multiple, x->multiple);
        assert_int_equal(b->mandatory, x->mandatory);
        assert_int_equal(b->resource_count, x->resource_count);
        for (size_t r = 0; r < x->resource_count; r++) {
            assert_int_equal(b->resources[r].id, x->resources[r].id);
            assert_int_equal(b->resources[r].type, x->resources[r].type);
            assert_int_equal(b->resources[r].ops, x->resources[r].ops);
            assert_int_equal(b->resources[r].multiple, x->resources[r].multiple);
            assert_int_equal(b->resources[r].mandatory, x->resources[r].mandatory);
            assert_string_equal(b->resources[r].name, x->resources[r].name);
        }
    }
    lwm2m_ddf_free(&set);
}

static void test_security_versions(void **state)
{
    (void)state;
    const char *versions[] = {"1.0", "1.1", "1.2"};
    for (size_t i = 0; i < 3; i++) {
        const lwm2m_object_def *d = lwm2m_objdef_builtin(0, versions[i]);
        assert_non_null(d);
        assert_int_equal(d->id, 0);
        assert_string_equal(d->version, versions[i]);
        assert_true(d->multiple);
        assert_true(d->mandatory);
        const lwm2m_resource_def *r = lwm2m_objdef_resource(d, 10); /* Short Server ID */
        assert_non_null(r);
        assert_int_equal(r->id, 10);
        assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
        assert_int_equal(r->ops, LWM2M_OP_NONE);
        assert_false(r->mandatory);
        assert_false(r->multiple);
        r = lwm2m_objdef_resource(d, 16); /* DTLS/TLS Ciphersuite, 1.1+ */
        if (i == 0) {
            assert_null(r);
        } else {
            assert_non_null(r);
            assert_int_equal(r->type, LWM2M_TYPE_UNSIGNED);
            assert_true(r->multiple);
        }
    }
    assert_null(lwm2m_objdef_builtin(0, "1.3"));
    assert_null(lwm2m_objdef_builtin(0, "x"));
    assert_string_equal(lwm2m_objdef_builtin(0, "1.00")->version, "1.0"); /* numeric match */
    assert_string_equal(lwm2m_objdef_builtin(0, NULL)->version, "1.2");   /* newest */
    assert_string_equal(lwm2m_objdef_builtin(1, NULL)->version, "1.2");
    assert_string_equal(lwm2m_objdef_builtin(2, NULL)->version, "1.1");
    assert_string_equal(lwm2m_objdef_builtin(3, NULL)->version, "1.2");
    assert_string_equal(lwm2m_objdef_builtin(4, NULL)->version, "1.3");
    assert_string_equal(lwm2m_objdef_builtin(5, NULL)->version, "1.2");
    assert_null(lwm2m_objdef_builtin(6, NULL));
    assert_null(lwm2m_objdef_builtin(65534, NULL));
}

static void test_resources(void **state)
{
    (void)state;
    /* /1/x/9 Bootstrap-Request Trigger: executable, only from 1.1 on. */
    assert_null(lwm2m_objdef_resource(lwm2m_objdef_builtin(1, "1.0"), 9));
    for (int i = 0; i < 2; i++) {
        const lwm2m_resource_def *r =
            lwm2m_objdef_resource(lwm2m_objdef_builtin(1, i ? "1.2" : "1.1"), 9);
        assert_non_null(r);
        assert_int_equal(r->ops, LWM2M_OP_EXECUTE);
        assert_int_equal(r->type, LWM2M_TYPE_NONE);
    }
    /* /1/x/1 Lifetime RW integer mandatory. */
    const lwm2m_resource_def *r = lwm2m_objdef_resource(lwm2m_objdef_builtin(1, NULL), 1);
    assert_int_equal(r->ops, LWM2M_OP_READ | LWM2M_OP_WRITE);
    assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
    assert_true(r->mandatory);
    /* /3/0/11 Error Code: multiple integer, mandatory, in every version. */
    const char *v3[] = {"1.0", "1.1", "1.2"};
    for (size_t i = 0; i < 3; i++) {
        r = lwm2m_objdef_resource(lwm2m_objdef_builtin(3, v3[i]), 11);
        assert_non_null(r);
        assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
        assert_true(r->multiple);
        assert_true(r->mandatory);
        assert_int_equal(r->ops, LWM2M_OP_READ);
    }
    const lwm2m_object_def *dev = lwm2m_objdef_builtin(3, NULL);
    assert_false(dev->multiple);
    assert_string_equal(lwm2m_objdef_resource(dev, 0)->name, "Manufacturer");
    assert_int_equal(lwm2m_objdef_resource(dev, 13)->type, LWM2M_TYPE_TIME);
    assert_null(lwm2m_objdef_resource(dev, 23));
    assert_null(lwm2m_objdef_resource(dev, 65534));
    /* /2/x/2 ACL: multiple. */
    r = lwm2m_objdef_resource(lwm2m_objdef_builtin(2, NULL), 2);
    assert_non_null(r);
    assert_true(r->multiple);
    assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
    /* Every resource of every object is found by id. */
    for (size_t i = 0; i < lwm2m_objdef_builtin_count(); i++) {
        const lwm2m_object_def *d = lwm2m_objdef_builtin_at(i);
        for (size_t k = 0; k < d->resource_count; k++)
            assert_ptr_equal(lwm2m_objdef_resource(d, d->resources[k].id), &d->resources[k]);
    }
    assert_null(lwm2m_objdef_resource(NULL, 0));
}

static void test_version_compare(void **state)
{
    (void)state;
    assert_int_equal(lwm2m_version_compare("1.0", "1.0"), 0);
    assert_int_equal(lwm2m_version_compare("1.0", "1.00"), 0);
    assert_true(lwm2m_version_compare("1.0", "1.1") < 0);
    assert_true(lwm2m_version_compare("1.1", "1.0") > 0);
    assert_true(lwm2m_version_compare("1.10", "1.9") > 0);
    assert_true(lwm2m_version_compare("2.0", "1.12") > 0);
    assert_true(lwm2m_version_compare("10.0", "9.99") > 0);
    /* Unparsable strings sort first, and among themselves by bytes. */
    assert_true(lwm2m_version_compare("x", "0.0") < 0);
    assert_true(lwm2m_version_compare("0.0", "x") > 0);
    assert_true(lwm2m_version_compare("1", "1.0") < 0);
    assert_true(lwm2m_version_compare("1.0.0", "1.0") < 0);
    assert_true(lwm2m_version_compare("1.", "1.0") < 0);
    assert_true(lwm2m_version_compare(".1", "1.0") < 0);
    assert_true(lwm2m_version_compare("", "1.0") < 0);
    assert_true(lwm2m_version_compare(NULL, "1.0") < 0);
    assert_true(lwm2m_version_compare(NULL, "x") < 0);
    assert_int_equal(lwm2m_version_compare(NULL, NULL), 0);
    assert_true(lwm2m_version_compare("a", "b") < 0);
    assert_int_equal(lwm2m_version_compare("a", "a"), 0);
    assert_true(lwm2m_version_compare("1234567890.0", "1.0") < 0); /* too many digits */
}

static const lwm2m_resource_def shadow_res[] = {
    {.id = 0, .type = LWM2M_TYPE_INTEGER, .ops = LWM2M_OP_READ, .name = "Manufacturer?"},
    {.id = 99, .type = LWM2M_TYPE_FLOAT, .ops = LWM2M_OP_READ, .name = "Extra"},
};
static const lwm2m_object_def shadow_old = {
    .id = 3, .name = "Device", .version = "0.9", .lwm2m_version = "1.0"};
static const lwm2m_object_def shadow_new = {.id = 3,
                                            .name = "Device",
                                            .version = "9.0",
                                            .lwm2m_version = "1.2",
                                            .resources = shadow_res,
                                            .resource_count = 2};

static void test_find_and_type_of(void **state)
{
    (void)state;
    const lwm2m_object_def *defs[] = {&shadow_old, &shadow_new, lwm2m_objdef_builtin(0, "1.0")};
    lwm2m_objdef_list list = {defs, 3};
    assert_ptr_equal(lwm2m_objdef_find(&list, 3), &shadow_new);
    const lwm2m_object_def *rev[] = {&shadow_new, &shadow_old};
    lwm2m_objdef_list list2 = {rev, 2};
    assert_ptr_equal(lwm2m_objdef_find(&list2, 3), &shadow_new);
    assert_null(lwm2m_objdef_find(&list, 4));
    assert_null(lwm2m_objdef_find(NULL, 3));
    lwm2m_objdef_list empty = {NULL, 0};
    assert_null(lwm2m_objdef_find(&empty, 3));

    lwm2m_path p = lwm2m_path_res(3, 0, 0);
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_STRING);
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_INTEGER); /* shadowed */
    p = lwm2m_path_res(3, 0, 99);
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_NONE);
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_FLOAT);
    p = lwm2m_path_res(3, 0, 13); /* not in the shadowing definition: the whole object is */
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_TIME);
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_NONE);
    p = lwm2m_path_rinst(3, 0, 11, 5); /* a resource instance path uses its resource */
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_INTEGER);
    p = lwm2m_path_res(3, 0, 4); /* Reboot: executable */
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_NONE);
    p = lwm2m_path_res(0, 1, 16); /* list has Security 1.0 only: no resource 16 there */
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_UNSIGNED);
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_NONE);
    p = lwm2m_path_res(1, 0, 1); /* not in the list: built in */
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_INTEGER);
    p = lwm2m_path_res(4242, 0, 1);
    assert_int_equal(lwm2m_objdef_type_of(&list, &p), LWM2M_TYPE_NONE);
    p = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_objdef_type_of(NULL, &p), LWM2M_TYPE_NONE);
    assert_int_equal(lwm2m_objdef_type_of(NULL, NULL), LWM2M_TYPE_NONE);
}

/* A list loaded at run time works as a resolver too. */
static void test_type_of_loaded(void **state)
{
    (void)state;
    static const char xml[] =
        "<LWM2M><Object><Name>Dev</Name><ObjectID>3</ObjectID><ObjectVersion>1.3</ObjectVersion>"
        "<MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>"
        "<Resources><Item ID=\"0\"><Name>M</Name><Operations>R</Operations><MultipleInstances>"
        "Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>Opaque</Type></Item>"
        "</Resources></Object></LWM2M>";
    lwm2m_ddf_set set = {0};
    assert_int_equal(lwm2m_ddf_parse(xml, sizeof xml - 1, &set, NULL), 0);
    lwm2m_objdef_list list = lwm2m_ddf_list(&set);
    lwm2m_types types = {lwm2m_objdef_type_of, &list};
    lwm2m_path p = lwm2m_path_res(3, 0, 0);
    assert_int_equal(types.fn(types.ctx, &p), LWM2M_TYPE_OPAQUE);
    assert_string_equal(lwm2m_objdef_find(&list, 3)->version, "1.3");
    lwm2m_ddf_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_table),     cmocka_unit_test(test_builtin_matches_xml),
        cmocka_unit_test(test_security_versions), cmocka_unit_test(test_resources),
        cmocka_unit_test(test_version_compare),   cmocka_unit_test(test_find_and_type_of),
        cmocka_unit_test(test_type_of_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
