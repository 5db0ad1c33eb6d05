/* The server's DM request builder, API body parsing and API JSON (sans-I/O). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/dm_client.h"
#include "lwm2m/dm_server.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"

/* ---- fixtures ---- */

static void make_reg(lwm2m_registration *reg, const char *version, const char *root,
                     const lwm2m_format *fmts, size_t n)
{
    memset(reg, 0, sizeof *reg);
    strcpy(reg->id, "r1");
    strcpy(reg->endpoint, "dev1");
    strcpy(reg->version, version);
    reg->lifetime_s = 300;
    strcpy(reg->binding, "U");
    strcpy(reg->address, "127.0.0.1:56830");
    strcpy(reg->root, root);
    for (size_t i = 0; i < n; i++)
        reg->formats[i] = fmts[i];
    reg->format_count = n;
}

/* A user-defined object (Temperature) for the `defs` parameter: built-ins lack it. */
static const lwm2m_resource_def temp_res[] = {
    {5700, LWM2M_TYPE_FLOAT, LWM2M_OP_READ, false, true, "Sensor Value"},
    {5701, LWM2M_TYPE_STRING, LWM2M_OP_READ, false, false, "Sensor Units"},
};
static const lwm2m_object_def temp_obj = {3303,  true,  false,    "Temperature",
                                          "1.0", "1.0", temp_res, 2};
static const lwm2m_object_def *const temp_defs[] = {&temp_obj};
static const lwm2m_objdef_list defs = {temp_defs, 1};

typedef struct built {
    lwm2m_dm_wire w;
    uint8_t buf[512];
    lwm2m_buf payload;
    char err[160];
    int rc;
} built;

static void build(built *b, const lwm2m_registration *reg, lwm2m_dm_op op, lwm2m_path path,
                  const lwm2m_record *recs, size_t n, const char *text, lwm2m_format fmt)
{
    lwm2m_dm_args a = {op, path, recs, n, text, fmt};
    b->payload = lwm2m_buf_init(b->buf, sizeof b->buf);
    memset(b->err, 'x', sizeof b->err);
    b->rc = lwm2m_dm_build(reg, &a, &b->w, &b->payload, b->err, sizeof b->err);
}

static lwm2m_record rec(lwm2m_path p, lwm2m_value v)
{
    lwm2m_record r = {p, v, 0};
    return r;
}

/* Decodes what the builder wrote, as the client would (base: the request path). */
static void assert_round_trip(const built *b, const lwm2m_path *base, const lwm2m_record *want,
                              size_t n)
{
    lwm2m_record items[16];
    uint8_t mem[256];
    lwm2m_arena arena = lwm2m_arena_init(mem, sizeof mem);
    lwm2m_record_list l = lwm2m_record_list_init(items, 16);
    lwm2m_types types = {lwm2m_objdef_type_of, (void *)&defs};
    assert_int_equal(
        lwm2m_decode(b->w.format, base, b->buf, b->payload.len, &types, &arena, &l, NULL), 0);
    assert_int_equal(l.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(lwm2m_path_equal(&l.items[i].path, &want[i].path));
        assert_true(lwm2m_value_equal(&l.items[i].value, &want[i].value));
    }
}

static void assert_json(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* ---- operation names ---- */

static void test_op_names(void **state)
{
    (void)state;
    lwm2m_dm_op op;
    for (int i = LWM2M_DM_READ; i <= LWM2M_DM_OBSERVE_CANCEL; i++) {
        const char *name = lwm2m_dm_op_name((lwm2m_dm_op)i);
        assert_non_null(name);
        assert_int_equal(lwm2m_dm_op_from_name(name, &op), 0);
        assert_int_equal(op, i);
    }
    assert_string_equal(lwm2m_dm_op_name(LWM2M_DM_WRITE_UPDATE), "write-update");
    assert_string_equal(lwm2m_dm_op_name(LWM2M_DM_OBSERVE_CANCEL), "observe-cancel");
    assert_null(lwm2m_dm_op_name((lwm2m_dm_op)99));
    assert_int_equal(lwm2m_dm_op_from_name("Read", &op), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_dm_op_from_name("", &op), LWM2M_ERR_INVALID);
}

/* ---- format negotiation ---- */

static void test_pick_format_10(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.0", "/", NULL, 0);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_TLV);
    assert_int_equal(lwm2m_dm_pick_format(&reg, true), LWM2M_FORMAT_TLV);
    const lwm2m_format json[] = {LWM2M_FORMAT_LWM2M_JSON};
    make_reg(&reg, "1.0", "/", json, 1);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_LWM2M_JSON);
}

static void test_pick_format_11(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(lwm2m_dm_pick_format(&reg, true), LWM2M_FORMAT_SENML_JSON);
    const lwm2m_format tlv_json[] = {LWM2M_FORMAT_TLV, LWM2M_FORMAT_SENML_JSON};
    make_reg(&reg, "1.1", "/", tlv_json, 2);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_SENML_JSON);
    /* LwM2M CBOR is a 1.2 format: a 1.1 client announcing it still gets SenML CBOR. */
    const lwm2m_format cbor[] = {LWM2M_FORMAT_LWM2M_CBOR, LWM2M_FORMAT_SENML_CBOR};
    make_reg(&reg, "1.1", "/", cbor, 2);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_SENML_CBOR);
    const lwm2m_format tlv[] = {LWM2M_FORMAT_TEXT, LWM2M_FORMAT_TLV};
    make_reg(&reg, "1.1", "/", tlv, 2);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_TLV);
    assert_int_equal(lwm2m_dm_pick_format(&reg, true), LWM2M_FORMAT_TLV);
    /* Only formats that carry one value: the version's default. */
    const lwm2m_format single[] = {LWM2M_FORMAT_TEXT, LWM2M_FORMAT_OPAQUE};
    make_reg(&reg, "1.1", "/", single, 2);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_SENML_CBOR);
}

static void test_pick_format_12(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.2", "/", NULL, 0);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_SENML_CBOR);
    const lwm2m_format all[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR,
                                LWM2M_FORMAT_LWM2M_CBOR};
    make_reg(&reg, "1.2", "/", all, 3);
    assert_int_equal(lwm2m_dm_pick_format(&reg, false), LWM2M_FORMAT_LWM2M_CBOR);
    assert_int_equal(lwm2m_dm_pick_format(&reg, true), LWM2M_FORMAT_SENML_JSON);
    make_reg(&reg, "1.2", "/", all + 1, 2);
    assert_int_equal(lwm2m_dm_pick_format(&reg, true), LWM2M_FORMAT_LWM2M_CBOR);
}

/* ---- building requests ---- */

static void test_build_read(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_READ, lwm2m_path_inst(3, 0), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_string_equal(b.err, "");
    assert_int_equal(b.w.method, LWM2M_METHOD_GET);
    assert_string_equal(b.w.path, "/3/0");
    assert_string_equal(b.w.query, "");
    assert_int_equal(b.w.accept, LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(b.w.format, LWM2M_FORMAT_NONE);
    assert_int_equal(b.w.observe, LWM2M_OBSERVE_NONE);
    assert_int_equal(b.payload.len, 0);
    /* An explicit format wins over the negotiated one. */
    build(&b, &reg, LWM2M_DM_READ, lwm2m_path_rinst(3, 0, 7, 1), NULL, 0, NULL, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.rc, 0);
    assert_string_equal(b.w.path, "/3/0/7/1");
    assert_int_equal(b.w.accept, LWM2M_FORMAT_TEXT);
}

static void test_build_alternate_root(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.0", "/lwm2m", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_READ, lwm2m_path_res(3, 0, 1), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_string_equal(b.w.path, "/lwm2m/3/0/1");
    assert_int_equal(b.w.accept, LWM2M_FORMAT_TLV);
    strcpy(reg.root, "/lwm2m/");
    build(&b, &reg, LWM2M_DM_DELETE, lwm2m_path_inst(5, 1), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_string_equal(b.w.path, "/lwm2m/5/1");
    strcpy(reg.root, "");
    build(&b, &reg, LWM2M_DM_DELETE, lwm2m_path_inst(5, 1), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_string_equal(b.w.path, "/5/1");
}

static void test_build_root_path_refused(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    built b;
    const lwm2m_dm_op ops[] = {LWM2M_DM_READ,    LWM2M_DM_DISCOVER, LWM2M_DM_WRITE_ATTRIBUTES,
                               LWM2M_DM_OBSERVE, LWM2M_DM_EXECUTE,  LWM2M_DM_DELETE};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        build(&b, &reg, ops[i], lwm2m_path_root(), NULL, 0, "pmin=1", LWM2M_FORMAT_NONE);
        assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    }
    build(&b, &reg, LWM2M_DM_READ, lwm2m_path_root(), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_string_equal(b.err, "read needs a path from /o to /o/i/r/ri, not /");
    /* 65535 is reserved at every level. */
    build(&b, &reg, LWM2M_DM_READ, lwm2m_path_inst(3, 65535), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "path id 65535 is reserved");
    lwm2m_dm_args bad = {(lwm2m_dm_op)42, lwm2m_path_obj(3), NULL, 0, NULL, LWM2M_FORMAT_NONE};
    lwm2m_buf pl = lwm2m_buf_init(b.buf, sizeof b.buf);
    assert_int_equal(lwm2m_dm_build(&reg, &bad, &b.w, &pl, NULL, 0), LWM2M_ERR_INVALID);
}

static void test_build_discover(void **state)
{
    (void)state;
    lwm2m_registration reg;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON};
    make_reg(&reg, "1.1", "/", f, 1);
    built b;
    build(&b, &reg, LWM2M_DM_DISCOVER, lwm2m_path_obj(3), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_GET);
    assert_string_equal(b.w.path, "/3");
    assert_int_equal(b.w.accept, LWM2M_FORMAT_LINK);
    assert_int_equal(b.w.format, LWM2M_FORMAT_NONE);
    build(&b, &reg, LWM2M_DM_DISCOVER, lwm2m_path_res(3, 0, 7), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_LINK);
    build(&b, &reg, LWM2M_DM_DISCOVER, lwm2m_path_rinst(3, 0, 7, 0), NULL, 0, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "discover needs /o, /o/i or /o/i/r, not /3/0/7/0");
}

static void test_build_observe(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_OBSERVE, lwm2m_path_res(3, 0, 13), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_GET);
    assert_int_equal(b.w.observe, LWM2M_OBSERVE_REGISTER);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_SENML_CBOR);
    assert_string_equal(b.w.path, "/3/0/13");
    build(&b, &reg, LWM2M_DM_OBSERVE_CANCEL, lwm2m_path_res(3, 0, 13), NULL, 0, NULL,
          LWM2M_FORMAT_TLV);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_GET);
    assert_int_equal(b.w.observe, LWM2M_OBSERVE_CANCEL);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_TLV);
}

static void test_build_write_tlv_round_trip(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.0", "/", NULL, 0);
    /* Given out of order: the builder sorts for the encoder. */
    const lwm2m_record recs[] = {
        rec(lwm2m_path_res(1, 0, 7), lwm2m_value_str("UQ")),
        rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(300)),
        rec(lwm2m_path_res(1, 0, 6), lwm2m_value_bool(true)),
    };
    built b;
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(1, 0), recs, 3, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_PUT);
    assert_int_equal(b.w.format, LWM2M_FORMAT_TLV);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_NONE);
    assert_string_equal(b.w.path, "/1/0");
    const uint8_t want[] = {0xc2, 0x01, 0x01, 0x2c, 0xc1, 0x06, 0x01, 0xc2, 0x07, 'U', 'Q'};
    assert_int_equal(b.payload.len, sizeof want);
    assert_memory_equal(b.buf, want, sizeof want);
    const lwm2m_path base = lwm2m_path_inst(1, 0);
    const lwm2m_record sorted[] = {recs[1], recs[2], recs[0]};
    assert_round_trip(&b, &base, sorted, 3);
}

static void test_build_write_update_senml(void **state)
{
    (void)state;
    lwm2m_registration reg;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON};
    make_reg(&reg, "1.1", "/", f, 1);
    const lwm2m_record recs[] = {
        rec(lwm2m_path_res(3303, 0, 5700), lwm2m_value_float(21.5)),
        rec(lwm2m_path_res(3303, 0, 5701), lwm2m_value_str("Cel")),
    };
    built b;
    build(&b, &reg, LWM2M_DM_WRITE_UPDATE, lwm2m_path_inst(3303, 0), recs, 2, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_POST);
    assert_int_equal(b.w.format, LWM2M_FORMAT_SENML_JSON);
    const lwm2m_path base = lwm2m_path_inst(3303, 0);
    assert_round_trip(&b, &base, recs, 2);
    /* The same in SenML CBOR and LwM2M CBOR, forced. */
    build(&b, &reg, LWM2M_DM_WRITE_UPDATE, base, recs, 2, NULL, LWM2M_FORMAT_SENML_CBOR);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.format, LWM2M_FORMAT_SENML_CBOR);
    assert_round_trip(&b, &base, recs, 2);
    build(&b, &reg, LWM2M_DM_WRITE_UPDATE, base, recs, 2, NULL, LWM2M_FORMAT_LWM2M_CBOR);
    assert_int_equal(b.rc, 0);
    assert_round_trip(&b, &base, recs, 2);
}

static void test_build_write_single_resource_formats(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    const lwm2m_record life = rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(300));
    built b;
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_res(1, 0, 1), &life, 1, NULL, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.format, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.payload.len, 3);
    assert_memory_equal(b.buf, "300", 3);
    const lwm2m_path p = lwm2m_path_res(1, 0, 1);
    assert_round_trip(&b, &p, &life, 1);
    /* Opaque carries only opaque values (its encoder would pass a string's bytes). */
    const lwm2m_record name = rec(lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_res(3, 0, 0), &name, 1, NULL, LWM2M_FORMAT_OPAQUE);
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
    assert_string_equal(b.err, "opaque format needs an opaque value");
    const uint8_t pkg[] = {1, 2, 0xff};
    const lwm2m_record fw =
        rec(lwm2m_path_res(5, 0, 0), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, pkg, 3));
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_res(5, 0, 0), &fw, 1, NULL, LWM2M_FORMAT_OPAQUE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.payload.len, 3);
    assert_memory_equal(b.buf, pkg, 3);
    /* Text cannot carry an instance. */
    const lwm2m_record two[] = {life, rec(lwm2m_path_res(1, 0, 2), lwm2m_value_int(1))};
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(1, 0), two, 2, NULL, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
    assert_string_equal(b.err, "format text cannot carry these values: text needs a single "
                               "resource");
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(1, 0), two, 2, NULL, LWM2M_FORMAT_LINK);
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
}

static void test_build_write_path_levels(void **state)
{
    (void)state;
    lwm2m_registration r10, r11;
    make_reg(&r10, "1.0", "/", NULL, 0);
    make_reg(&r11, "1.1", "/", NULL, 0);
    const lwm2m_record v = rec(lwm2m_path_rinst(3, 0, 7, 0), lwm2m_value_int(3800));
    built b;
    build(&b, &r11, LWM2M_DM_WRITE, lwm2m_path_obj(3), &v, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "write needs /o/i or /o/i/r (/o/i/r/ri since 1.1), not /3");
    build(&b, &r10, LWM2M_DM_WRITE, lwm2m_path_rinst(3, 0, 7, 0), &v, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    build(&b, &r11, LWM2M_DM_WRITE, lwm2m_path_rinst(3, 0, 7, 0), &v, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_string_equal(b.w.path, "/3/0/7/0");
    /* Partial update of a (multiple) resource: 1.1 only. */
    build(&b, &r10, LWM2M_DM_WRITE_UPDATE, lwm2m_path_res(3, 0, 7), &v, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "write-update needs /o/i (/o/i/r since 1.1), not /3/0/7");
    build(&b, &r11, LWM2M_DM_WRITE_UPDATE, lwm2m_path_res(3, 0, 7), &v, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_POST);
    build(&b, &r11, LWM2M_DM_WRITE_UPDATE, lwm2m_path_rinst(3, 0, 7, 0), &v, 1, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
}

static void test_build_write_bad_records(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    const lwm2m_path inst = lwm2m_path_inst(1, 0);
    built b;
    build(&b, &reg, LWM2M_DM_WRITE, inst, NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "write needs at least one value");
    const lwm2m_record outside = rec(lwm2m_path_res(1, 1, 1), lwm2m_value_int(5));
    build(&b, &reg, LWM2M_DM_WRITE, inst, &outside, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "value /1/1/1 is not below the path");
    const lwm2m_record twice[] = {rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(5)),
                                  rec(lwm2m_path_res(1, 0, 1), lwm2m_value_int(6))};
    build(&b, &reg, LWM2M_DM_WRITE, inst, twice, 2, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "value /1/0/1 given twice");
    const lwm2m_record mixed[] = {rec(lwm2m_path_rinst(3, 0, 7, 0), lwm2m_value_int(5)),
                                  rec(lwm2m_path_res(3, 0, 7), lwm2m_value_int(6))};
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(3, 0), mixed, 2, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "resource /3/0/7/0 is given both as single and multiple");
    const lwm2m_record reserved = rec(lwm2m_path_rinst(3, 0, 7, 65535), lwm2m_value_int(1));
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(3, 0), &reserved, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "value /3/0/7/65535 uses the reserved id 65535");
    lwm2m_record none = rec(lwm2m_path_rinst(3, 0, 7, 0), lwm2m_value_int(0));
    none.value.type = LWM2M_TYPE_NONE;
    build(&b, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(3, 0), &none, 1, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "record /3/0/7/0 does not fit its value");
}

static void test_build_write_attributes(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/lwm2m", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_WRITE_ATTRIBUTES, lwm2m_path_res(3, 0, 9), NULL, 0,
          "pmin=10&pmax=60&gt=50.5&lt=-2&st=1e1&epmin=0&epmax", LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_PUT);
    assert_string_equal(b.w.path, "/lwm2m/3/0/9");
    assert_string_equal(b.w.query, "pmin=10&pmax=60&gt=50.5&lt=-2&st=1e1&epmin=0&epmax");
    /* No payload, no Content-Format: how the client tells it from a Write. */
    assert_int_equal(b.w.format, LWM2M_FORMAT_NONE);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_NONE);
    assert_int_equal(b.payload.len, 0);
    const lwm2m_path levels[] = {lwm2m_path_obj(3), lwm2m_path_inst(3, 0),
                                 lwm2m_path_rinst(3, 0, 7, 1)};
    for (size_t i = 0; i < 3; i++) {
        build(&b, &reg, LWM2M_DM_WRITE_ATTRIBUTES, levels[i], NULL, 0, "pmin", LWM2M_FORMAT_NONE);
        assert_int_equal(b.rc, 0);
    }
    assert_string_equal(b.w.query, "pmin");
}

static void test_build_write_attributes_bad_query(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    static const struct {
        const char *q;
        const char *err;
    } bad[] = {
        {NULL, "write-attributes needs a query such as pmin=10&pmax=60"},
        {"", "write-attributes needs a query such as pmin=10&pmax=60"},
        {"pmin=-1", "attribute pmin needs an integer >= 0, not '-1'"},
        {"pmax=1.5", "attribute pmax needs an integer >= 0, not '1.5'"},
        {"epmin=", "attribute epmin needs an integer >= 0, not ''"},
        {"gt=abc", "attribute gt needs a number, not 'abc'"},
        {"st=", "attribute st needs a number, not ''"},
        {"dim=2", "unknown attribute 'dim' (pmin, pmax, gt, lt, st, epmin, epmax)"},
        {"pmin=1&", "unknown attribute '' (pmin, pmax, gt, lt, st, epmin, epmax)"},
        {"pmin=1&&pmax=2", "unknown attribute '' (pmin, pmax, gt, lt, st, epmin, epmax)"},
        {"pmin=1&pmin", "attribute 'pmin' given twice"},
        {"PMIN=1", "unknown attribute 'PMIN' (pmin, pmax, gt, lt, st, epmin, epmax)"},
    };
    built b;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        build(&b, &reg, LWM2M_DM_WRITE_ATTRIBUTES, lwm2m_path_inst(3, 0), NULL, 0, bad[i].q,
              LWM2M_FORMAT_NONE);
        assert_int_equal(b.rc, LWM2M_ERR_INVALID);
        assert_string_equal(b.err, bad[i].err);
    }
    char longq[300];
    strcpy(longq, "pmin=");
    memset(longq + 5, '1', 260);
    longq[265] = '\0';
    build(&b, &reg, LWM2M_DM_WRITE_ATTRIBUTES, lwm2m_path_inst(3, 0), NULL, 0, longq,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
}

static void test_build_execute(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_EXECUTE, lwm2m_path_res(1, 0, 8), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_POST);
    assert_string_equal(b.w.path, "/1/0/8");
    assert_int_equal(b.w.format, LWM2M_FORMAT_NONE);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_NONE);
    assert_int_equal(b.payload.len, 0);
    build(&b, &reg, LWM2M_DM_EXECUTE, lwm2m_path_res(3, 0, 4), NULL, 0, "0='a',1",
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.format, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.payload.len, 7);
    assert_memory_equal(b.buf, "0='a',1", 7);
    build(&b, &reg, LWM2M_DM_EXECUTE, lwm2m_path_inst(1, 0), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "execute needs a resource path /o/i/r, not /1/0");
    build(&b, &reg, LWM2M_DM_EXECUTE, lwm2m_path_rinst(1, 0, 8, 0), NULL, 0, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
}

static void test_build_create(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.1", "/", NULL, 0);
    const lwm2m_record recs[] = {
        rec(lwm2m_path_res(3303, 2, 5700), lwm2m_value_float(-4.25)),
        rec(lwm2m_path_res(3303, 2, 5701), lwm2m_value_str("Cel")),
    };
    const lwm2m_path obj = lwm2m_path_obj(3303);
    const lwm2m_format fmts[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR, LWM2M_FORMAT_TLV,
                                 LWM2M_FORMAT_LWM2M_JSON};
    built b;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        build(&b, &reg, LWM2M_DM_CREATE, obj, recs, 2, NULL, fmts[i]);
        assert_int_equal(b.rc, 0);
        assert_int_equal(b.w.method, LWM2M_METHOD_POST);
        assert_string_equal(b.w.path, "/3303");
        assert_int_equal(b.w.format, fmts[i]);
        assert_round_trip(&b, &obj, recs, 2);
    }
    /* No values: an empty instance, its id picked by the client (an empty SenML array). */
    build(&b, &reg, LWM2M_DM_CREATE, obj, NULL, 0, NULL, LWM2M_FORMAT_SENML_JSON);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.payload.len, 2);
    assert_memory_equal(b.buf, "[]", 2);
    assert_round_trip(&b, &obj, NULL, 0);
    build(&b, &reg, LWM2M_DM_CREATE, lwm2m_path_inst(3303, 2), recs, 2, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "create needs an object path /o, not /3303/2");
    build(&b, &reg, LWM2M_DM_CREATE, obj, recs, 2, NULL, LWM2M_FORMAT_TEXT);
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
}

static void test_build_delete(void **state)
{
    (void)state;
    lwm2m_registration reg;
    make_reg(&reg, "1.2", "/", NULL, 0);
    built b;
    build(&b, &reg, LWM2M_DM_DELETE, lwm2m_path_inst(3303, 1), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.w.method, LWM2M_METHOD_DELETE);
    assert_string_equal(b.w.path, "/3303/1");
    assert_int_equal(b.w.format, LWM2M_FORMAT_NONE);
    assert_int_equal(b.w.accept, LWM2M_FORMAT_NONE);
    build(&b, &reg, LWM2M_DM_DELETE, lwm2m_path_obj(3303), NULL, 0, NULL, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "delete needs an instance path /o/i, not /3303");
    build(&b, &reg, LWM2M_DM_DELETE, lwm2m_path_res(3303, 1, 5700), NULL, 0, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
}

static void test_build_overflow(void **state)
{
    (void)state;
    lwm2m_registration reg;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON};
    make_reg(&reg, "1.1", "/", f, 1);
    const lwm2m_record recs[] = {
        rec(lwm2m_path_res(3303, 0, 5700), lwm2m_value_float(21.5)),
        rec(lwm2m_path_res(3303, 0, 5701), lwm2m_value_str("Cel")),
    };
    lwm2m_dm_args a = {LWM2M_DM_WRITE, lwm2m_path_inst(3303, 0), recs, 2, NULL, LWM2M_FORMAT_NONE};
    uint8_t big[256], small[8];
    lwm2m_dm_wire w;
    char err[100];
    lwm2m_buf pb = lwm2m_buf_init(big, sizeof big);
    assert_int_equal(lwm2m_dm_build(&reg, &a, &w, &pb, err, sizeof err), 0);
    lwm2m_buf ps = lwm2m_buf_init(small, sizeof small);
    assert_int_equal(lwm2m_dm_build(&reg, &a, &w, &ps, err, sizeof err), LWM2M_ERR_OVERFLOW);
    assert_int_equal(ps.len, pb.len);
    /* The retry with the size it asked for succeeds. */
    uint8_t *exact = malloc(ps.len);
    assert_non_null(exact);
    lwm2m_buf pe = lwm2m_buf_init(exact, ps.len);
    assert_int_equal(lwm2m_dm_build(&reg, &a, &w, &pe, err, sizeof err), 0);
    assert_memory_equal(exact, big, pb.len);
    free(exact);
    lwm2m_dm_args x = {LWM2M_DM_EXECUTE,    lwm2m_path_res(3, 0, 4), NULL, 0,
                       "0='long argument'", LWM2M_FORMAT_NONE};
    ps = lwm2m_buf_init(small, sizeof small);
    assert_int_equal(lwm2m_dm_build(&reg, &x, &w, &ps, err, sizeof err), LWM2M_ERR_OVERFLOW);
    assert_int_equal(ps.len, 17);
}

/* ---- the API's JSON of answers ---- */

static void test_code_text_and_name(void **state)
{
    (void)state;
    char t[8];
    lwm2m_dm_code_text(LWM2M_CODE_CONTENT, t);
    assert_string_equal(t, "2.05");
    lwm2m_dm_code_text(LWM2M_CODE_UNSUPPORTED_FORMAT, t);
    assert_string_equal(t, "4.15");
    lwm2m_dm_code_text(LWM2M_COAP_CODE(2, 31), t);
    assert_string_equal(t, "2.31");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_CODE_CONTENT), "CONTENT");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(2, 3)), "VALID");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(2, 31)), "CONTINUE");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(4, 2)), "BAD_OPTION");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(4, 8)), "REQUEST_ENTITY_INCOMPLETE");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(4, 12)), "PRECONDITION_FAILED");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(4, 13)), "REQUEST_ENTITY_TOO_LARGE");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_CODE_UNSUPPORTED_FORMAT),
                        "UNSUPPORTED_CONTENT_FORMAT");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_CODE_INTERNAL_ERROR), "INTERNAL_SERVER_ERROR");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(5, 4)), "GATEWAY_TIMEOUT");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(5, 5)), "PROXYING_NOT_SUPPORTED");
    assert_string_equal(lwm2m_dm_code_name(LWM2M_COAP_CODE(2, 6)), "UNKNOWN");
    assert_string_equal(lwm2m_dm_code_name(0), "UNKNOWN");
}

static void test_response_senml_json_read(void **state)
{
    (void)state;
    const char *p = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"ACME \\\"x\\\"\"},"
                    "{\"n\":\"7/0\",\"v\":3800},{\"n\":\"7/1\",\"v\":5000},"
                    "{\"n\":\"9\",\"v\":95},{\"n\":\"13\",\"v\":1700000000,\"t\":12.5},"
                    "{\"n\":\"22/0\",\"vlo\":\"3303:0\"}]";
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_SENML_JSON, (const uint8_t *)p, strlen(p)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"senml-json\",\"content\":["
                "{\"path\":\"/3/0/0\",\"type\":\"string\",\"value\":\"ACME \\\"x\\\"\"},"
                "{\"path\":\"/3/0/7/0\",\"type\":\"integer\",\"value\":3800},"
                "{\"path\":\"/3/0/7/1\",\"type\":\"integer\",\"value\":5000},"
                "{\"path\":\"/3/0/9\",\"type\":\"integer\",\"value\":95},"
                "{\"path\":\"/3/0/13\",\"type\":\"time\",\"value\":1700000000,\"time\":12.5},"
                "{\"path\":\"/3/0/22/0\",\"type\":\"objlnk\",\"value\":\"3303:0\"}]}");
}

static void test_response_tlv_read(void **state)
{
    (void)state;
    const uint8_t pkg[] = {0xde, 0xad, 0x01};
    const lwm2m_record recs[] = {
        rec(lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME")),
        rec(lwm2m_path_rinst(3, 0, 6, 1), lwm2m_value_int(1)),
        rec(lwm2m_path_res(3, 0, 9), lwm2m_value_int(-7)),
        rec(lwm2m_path_res(3, 0, 13), lwm2m_value_time(1700000000)),
    };
    uint8_t buf[128];
    lwm2m_buf out = lwm2m_buf_init(buf, sizeof buf);
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    assert_int_equal(lwm2m_encode(LWM2M_FORMAT_TLV, &path, recs, 4, &out, NULL), 0);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TLV, buf, out.len),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"tlv\",\"content\":["
                "{\"path\":\"/3/0/0\",\"type\":\"string\",\"value\":\"ACME\"},"
                "{\"path\":\"/3/0/6/1\",\"type\":\"integer\",\"value\":1},"
                "{\"path\":\"/3/0/9\",\"type\":\"integer\",\"value\":-7},"
                "{\"path\":\"/3/0/13\",\"type\":\"time\",\"value\":1700000000}]}");
    /* Opaque and booleans, a single resource read as opaque. */
    const lwm2m_path pp = lwm2m_path_res(5, 0, 0);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &pp, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_OPAQUE, pkg, sizeof pkg),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"opaque\",\"content\":["
                "{\"path\":\"/5/0/0\",\"type\":\"opaque\",\"value\":\"dead01\"}]}");
    const lwm2m_path pb = lwm2m_path_res(5, 0, 14);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_OBSERVE, &pb, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TEXT, (const uint8_t *)"1", 1),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"text\",\"content\":["
                "{\"path\":\"/5/0/14\",\"type\":\"boolean\",\"value\":true}]}");
}

static void test_response_numbers_and_defs(void **state)
{
    (void)state;
    /* Types from `defs` (3303 is not built in); big integers stay exact as strings. */
    const char *p = "[{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21},"
                    "{\"n\":\"5701\",\"vs\":\"Cel\"}]";
    const lwm2m_path path = lwm2m_path_inst(3303, 0);
    assert_json(lwm2m_dm_response_json(&defs, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_SENML_JSON, (const uint8_t *)p, strlen(p)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"senml-json\",\"content\":["
                "{\"path\":\"/3303/0/5700\",\"type\":\"float\",\"value\":21},"
                "{\"path\":\"/3303/0/5701\",\"type\":\"string\",\"value\":\"Cel\"}]}");
    const lwm2m_path mdp = lwm2m_path_res(5, 0, 13); /* unsigned */
    const char *big = "18446744073709551615";
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &mdp, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TEXT, (const uint8_t *)big, strlen(big)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"text\",\"content\":["
                "{\"path\":\"/5/0/13\",\"type\":\"unsigned\",\"value\":\"18446744073709551615\"}"
                "]}");
    const char *edge = "9007199254740992"; /* 2^53: still exact as a number */
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &mdp, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TEXT, (const uint8_t *)edge, strlen(edge)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"text\",\"content\":["
                "{\"path\":\"/5/0/13\",\"type\":\"unsigned\",\"value\":9007199254740992}]}");
    const lwm2m_path bat = lwm2m_path_res(3, 0, 9);
    const char *neg = "-9007199254740993";
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &bat, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TEXT, (const uint8_t *)neg, strlen(neg)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"text\",\"content\":["
                "{\"path\":\"/3/0/9\",\"type\":\"integer\",\"value\":\"-9007199254740993\"}]}");
}

static void test_response_discover(void **state)
{
    (void)state;
    const char *p = "</3/0>,</3/0/1>,</3/0/7>;dim=2,</3/0/13>;pmin=10;pmax=\"60\";x";
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_DISCOVER, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_LINK, (const uint8_t *)p, strlen(p)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"link\",\"links\":["
                "{\"path\":\"/3/0\",\"attributes\":{}},"
                "{\"path\":\"/3/0/1\",\"attributes\":{}},"
                "{\"path\":\"/3/0/7\",\"attributes\":{\"dim\":\"2\"}},"
                "{\"path\":\"/3/0/13\",\"attributes\":{\"pmin\":\"10\",\"pmax\":\"60\","
                "\"x\":null}}]}");
    /* Malformed link format: the reason and the bytes. */
    const char *bad = "</3/0";
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_DISCOVER, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_LINK, (const uint8_t *)bad, strlen(bad)),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"link\","
                "\"error\":\"unterminated link target at byte 0\",\"hex\":\"3c2f332f30\"}");
}

static void test_response_error_diagnostic(void **state)
{
    (void)state;
    const lwm2m_path path = lwm2m_path_inst(3, 9);
    const char *d = "no such\x01instance\xff";
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_NOT_FOUND,
                                       LWM2M_FORMAT_TEXT, (const uint8_t *)d, strlen(d)),
                "{\"code\":\"4.04\",\"status\":\"NOT_FOUND\","
                "\"diagnostic\":\"no such?instance?\"}");
    const char *utf8 = "d\xc3\xa9j\xc3\xa0";
    assert_json(
        lwm2m_dm_response_json(NULL, LWM2M_DM_WRITE, &path, LWM2M_CODE_BAD_REQUEST,
                               LWM2M_FORMAT_NONE, (const uint8_t *)utf8, strlen(utf8)),
        "{\"code\":\"4.00\",\"status\":\"BAD_REQUEST\",\"diagnostic\":\"d\xc3\xa9j\xc3\xa0\"}");
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_INTERNAL_ERROR,
                                       LWM2M_FORMAT_NONE, NULL, 0),
                "{\"code\":\"5.00\",\"status\":\"INTERNAL_SERVER_ERROR\"}");
}

static void test_response_timeout_and_empty(void **state)
{
    (void)state;
    const lwm2m_path path = lwm2m_path_res(1, 0, 8);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_EXECUTE, &path, 0, LWM2M_FORMAT_NONE,
                                       (const uint8_t *)"x", 1),
                "{\"code\":null,\"status\":\"TIMEOUT\"}");
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_EXECUTE, &path, LWM2M_CODE_CHANGED,
                                       LWM2M_FORMAT_NONE, NULL, 0),
                "{\"code\":\"2.04\",\"status\":\"CHANGED\"}");
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_CREATE, &path, LWM2M_CODE_CREATED,
                                       LWM2M_FORMAT_NONE, NULL, 0),
                "{\"code\":\"2.01\",\"status\":\"CREATED\"}");
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_DELETE, &path, LWM2M_CODE_DELETED,
                                       LWM2M_FORMAT_NONE, NULL, 0),
                "{\"code\":\"2.02\",\"status\":\"DELETED\"}");
}

static void test_response_undecodable(void **state)
{
    (void)state;
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    const uint8_t tlv[] = {0xc8, 0x00, 0x05, 'A'}; /* 5 bytes announced, 1 present */
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_TLV, tlv, sizeof tlv),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"tlv\","
                "\"error\":\"truncated TLV value at byte 0\",\"hex\":\"c8000541\"}");
    const char *s = "[{\"n\":\"/3/0/9\",\"vs\":\"x\"}]"; /* string in an integer resource */
    char *j = lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                     LWM2M_FORMAT_SENML_JSON, (const uint8_t *)s, strlen(s));
    assert_non_null(j);
    assert_non_null(strstr(j, "\"error\":\"string for a non-string resource at byte "));
    free(j);
    /* A format the server cannot read, and none at all. */
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       (lwm2m_format)1234, (const uint8_t *)"\x01", 1),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":1234,"
                "\"error\":\"unsupported content format at byte 0\",\"hex\":\"01\"}");
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                       LWM2M_FORMAT_NONE, (const uint8_t *)"\x01", 1),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\","
                "\"error\":\"unsupported content format at byte 0\",\"hex\":\"01\"}");
}

/* ---- the API's JSON of a registration ---- */

static void test_registration_json(void **state)
{
    (void)state;
    lwm2m_registration reg;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON};
    make_reg(&reg, "1.1", "/", f, 1);
    strcpy(reg.id, "5a3f0c9e21");
    char links[] = "</1/1>,</3/0>";
    lwm2m_path objs[] = {lwm2m_path_inst(1, 1), lwm2m_path_inst(3, 0)};
    reg.links = links;
    reg.links_len = strlen(links);
    reg.objects = objs;
    reg.object_count = 2;
    reg.registered_ms = 1000;
    reg.updated_ms = 1000;
    reg.expires_ms = 301000;
    assert_json(lwm2m_dm_registration_json(&reg, 2200),
                "{\"endpoint\":\"dev1\",\"id\":\"5a3f0c9e21\",\"version\":\"1.1\","
                "\"lifetime\":300,\"binding\":\"U\",\"queueMode\":false,\"sms\":\"\","
                "\"address\":\"127.0.0.1:56830\",\"secure\":false,\"identity\":\"\","
                "\"rootPath\":\"/\",\"objectLinks\":\"</1/1>,</3/0>\","
                "\"objects\":[\"/1/1\",\"/3/0\"],\"formats\":[110],"
                "\"registeredAgoMs\":1200,\"updatedAgoMs\":1200,\"expiresInMs\":298800}");
    /* Secure, queue mode, a binary identity (hex), no links, expired. */
    make_reg(&reg, "1.0", "/lwm2m", NULL, 0);
    strcpy(reg.binding, "UQ");
    reg.queue_mode = true;
    reg.secure = true;
    strcpy(reg.sms, "+331234");
    reg.identity[0] = 0x00;
    reg.identity[1] = 0xab;
    reg.identity_len = 2;
    reg.registered_ms = 0;
    reg.updated_ms = 500;
    reg.expires_ms = 900;
    assert_json(lwm2m_dm_registration_json(&reg, 1000),
                "{\"endpoint\":\"dev1\",\"id\":\"r1\",\"version\":\"1.0\","
                "\"lifetime\":300,\"binding\":\"UQ\",\"queueMode\":true,\"sms\":\"+331234\","
                "\"address\":\"127.0.0.1:56830\",\"secure\":true,\"identity\":\"00ab\","
                "\"rootPath\":\"/lwm2m\",\"objectLinks\":\"\",\"objects\":[],\"formats\":[],"
                "\"registeredAgoMs\":1000,\"updatedAgoMs\":500,\"expiresInMs\":-100}");
    memcpy(reg.identity, "dev1-id", 7);
    reg.identity_len = 7;
    char *j = lwm2m_dm_registration_json(&reg, 1000);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"identity\":\"dev1-id\""));
    free(j);
}

/* ---- out of memory: every allocation of the JSON code fails in turn ---- */

typedef struct alloc_budget {
    int left; /* allocations that still succeed; < 0: no limit */
} alloc_budget;
static alloc_budget budget = {-1}; /* cJSON's hooks take no context */

static void *limited_malloc(size_t n)
{
    if (budget.left == 0)
        return NULL;
    if (budget.left > 0)
        budget.left--;
    return malloc(n);
}

/* Runs `make` with 0, 1, 2, ... allocations allowed until it succeeds: NULL before that, the
 * same text after, and (under ASan) nothing leaked on the way. */
static void assert_oom_safe(char *(*make)(void), const char *want)
{
    cJSON_Hooks hooks = {limited_malloc, free};
    cJSON_InitHooks(&hooks);
    char *got = NULL;
    int n;
    for (n = 0; n < 1000 && got == NULL; n++) {
        budget.left = n;
        got = make();
    }
    budget.left = -1;
    cJSON_InitHooks(NULL);
    assert_true(n > 1);
    assert_json(got, want);
}

static char *make_read_json(void)
{
    const char *p = "[{\"n\":\"/3/0/0\",\"vs\":\"A\"},{\"n\":\"/3/0/9\",\"v\":5}]";
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    return lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT,
                                  LWM2M_FORMAT_SENML_JSON, (const uint8_t *)p, strlen(p));
}

static char *make_discover_json(void)
{
    const char *p = "</3/0>,</3/0/7>;dim=2;x";
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    return lwm2m_dm_response_json(NULL, LWM2M_DM_DISCOVER, &path, LWM2M_CODE_CONTENT,
                                  LWM2M_FORMAT_LINK, (const uint8_t *)p, strlen(p));
}

static char *make_error_json(void)
{
    const lwm2m_path path = lwm2m_path_inst(3, 0);
    return lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &path, LWM2M_CODE_CONTENT, LWM2M_FORMAT_TLV,
                                  (const uint8_t *)"\xc8", 1);
}

static char *make_registration_json(void)
{
    lwm2m_registration reg;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_TLV};
    make_reg(&reg, "1.1", "/", f, 2);
    char links[] = "</3/0>";
    lwm2m_path objs[] = {lwm2m_path_inst(3, 0)};
    reg.links = links;
    reg.links_len = strlen(links);
    reg.objects = objs;
    reg.object_count = 1;
    return lwm2m_dm_registration_json(&reg, 0);
}

static void test_json_out_of_memory(void **state)
{
    (void)state;
    assert_oom_safe(make_read_json,
                    "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"senml-json\","
                    "\"content\":[{\"path\":\"/3/0/0\",\"type\":\"string\",\"value\":\"A\"},"
                    "{\"path\":\"/3/0/9\",\"type\":\"integer\",\"value\":5}]}");
    assert_oom_safe(make_discover_json,
                    "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"link\",\"links\":["
                    "{\"path\":\"/3/0\",\"attributes\":{}},"
                    "{\"path\":\"/3/0/7\",\"attributes\":{\"dim\":\"2\",\"x\":null}}]}");
    assert_oom_safe(make_error_json,
                    "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"tlv\","
                    "\"error\":\"truncated TLV identifier at byte 0\",\"hex\":\"c8\"}");
    assert_oom_safe(make_registration_json,
                    "{\"endpoint\":\"dev1\",\"id\":\"r1\",\"version\":\"1.1\",\"lifetime\":300,"
                    "\"binding\":\"U\",\"queueMode\":false,\"sms\":\"\","
                    "\"address\":\"127.0.0.1:56830\",\"secure\":false,\"identity\":\"\","
                    "\"rootPath\":\"/\",\"objectLinks\":\"</3/0>\",\"objects\":[\"/3/0\"],"
                    "\"formats\":[110,11542],\"registeredAgoMs\":0,\"updatedAgoMs\":0,"
                    "\"expiresInMs\":0}");
}

/* ---- API bodies ---- */

typedef struct body {
    lwm2m_record items[8];
    uint8_t mem[128];
    lwm2m_arena arena;
    lwm2m_record_list list;
    char err[160];
    int rc;
} body;

/* Parses a body from a heap copy that is freed before the records are looked at (the caller
 * frees its body: values must live in the arena). */
static void parse(body *b, const lwm2m_objdef_list *d, lwm2m_path path, const char *ct,
                  const char *text)
{
    b->arena = lwm2m_arena_init(b->mem, sizeof b->mem);
    b->list = lwm2m_record_list_init(b->items, 8);
    size_t len = strlen(text);
    uint8_t *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, text, len + 1);
    b->rc =
        lwm2m_dm_body_records(d, &path, ct, copy, len, &b->arena, &b->list, b->err, sizeof b->err);
    memset(copy, 'Z', len);
    free(copy);
}

static void assert_in_arena(const body *b, const lwm2m_value *v)
{
    assert_true((uintptr_t)v->v.bytes.ptr >= (uintptr_t)b->mem &&
                (uintptr_t)v->v.bytes.ptr + v->v.bytes.len <= (uintptr_t)b->mem + sizeof b->mem);
}

static void test_body_text(void **state)
{
    (void)state;
    body b;
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "text/plain; charset=utf-8", "95");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.list.count, 1);
    assert_int_equal(b.items[0].value.type, LWM2M_TYPE_INTEGER);
    assert_int_equal(b.items[0].value.v.i, 95);
    parse(&b, NULL, lwm2m_path_res(3, 0, 14), "Text/Plain", "+02:00");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.items[0].value.type, LWM2M_TYPE_STRING);
    assert_int_equal(b.items[0].value.v.bytes.len, 6);
    assert_memory_equal(b.items[0].value.v.bytes.ptr, "+02:00", 6);
    assert_in_arena(&b, &b.items[0].value);
    parse(&b, &defs, lwm2m_path_res(3303, 0, 5700), "text/plain", "-1.5");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.items[0].value.type, LWM2M_TYPE_FLOAT);
    assert_true(b.items[0].value.v.f == -1.5);
    /* Text is one value. */
    parse(&b, NULL, lwm2m_path_inst(3, 0), "text/plain", "1");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "a text body needs a resource path /o/i/r");
    parse(&b, NULL, lwm2m_path_res(3, 0, 7), "text/plain", "1");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "a text body is one value: /3/0/7 is a multiple resource");
    parse(&b, NULL, lwm2m_path_rinst(3, 0, 7, 2), "text/plain", "3800");
    assert_int_equal(b.rc, 0);
    assert_true(lwm2m_path_equal(&b.items[0].path, &(lwm2m_path){{3, 0, 7, 2}, 4}));
}

static void test_body_senml(void **state)
{
    (void)state;
    body b;
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json",
          "[{\"bn\":\"/3/0/\",\"n\":\"14\",\"vs\":\"+01:00\"},{\"n\":\"13\",\"v\":17}]");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.list.count, 2);
    assert_true(lwm2m_path_equal(&b.items[0].path, &(lwm2m_path){{3, 0, 14, 0}, 3}));
    assert_memory_equal(b.items[0].value.v.bytes.ptr, "+01:00", 6);
    assert_in_arena(&b, &b.items[0].value);
    assert_int_equal(b.items[1].value.type, LWM2M_TYPE_TIME);
    assert_int_equal(b.items[1].value.v.i, 17);
    /* Names relative to the path (no bn), in application/json. */
    parse(&b, &defs, lwm2m_path_inst(3303, 1), "application/json",
          " [ {\"n\":\"5700\",\"v\":20},{\"n\":\"5701\",\"vs\":\"K\"}]");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.list.count, 2);
    assert_true(lwm2m_path_equal(&b.items[0].path, &(lwm2m_path){{3303, 1, 5700, 0}, 3}));
    assert_int_equal(b.items[0].value.type, LWM2M_TYPE_FLOAT);
    assert_true(lwm2m_path_equal(&b.items[1].path, &(lwm2m_path){{3303, 1, 5701, 0}, 3}));
    assert_memory_equal(b.items[1].value.v.bytes.ptr, "K", 1);
    assert_in_arena(&b, &b.items[1].value);
    /* A value without name on a resource path; absolute names. */
    parse(&b, NULL, lwm2m_path_res(1, 0, 1), "application/senml+json", "[{\"v\":60}]");
    assert_int_equal(b.rc, 0);
    assert_true(lwm2m_path_equal(&b.items[0].path, &(lwm2m_path){{1, 0, 1, 0}, 3}));
    parse(&b, NULL, lwm2m_path_obj(1), "application/senml+json",
          "[{\"n\":\"/1/3/1\",\"v\":60},{\"n\":\"/1/3/7\",\"vs\":\"U\"}]");
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.list.count, 2);
    /* Relative names of resource instances under a multiple resource. */
    parse(&b, NULL, lwm2m_path_res(3, 0, 7), "application/senml+json",
          "[{\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":2}]");
    assert_int_equal(b.rc, 0);
    assert_true(lwm2m_path_equal(&b.items[1].path, &(lwm2m_path){{3, 0, 7, 1}, 4}));
}

static void test_body_refused(void **state)
{
    (void)state;
    body b;
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "application/xml", "<x/>");
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
    assert_string_equal(b.err, "unsupported body type 'application/xml' (text/plain or "
                               "application/senml+json)");
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), NULL, "1");
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "text/plainx", "1");
    assert_int_equal(b.rc, LWM2M_ERR_UNSUPPORTED);
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "text/plain", "");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "empty body");
    assert_int_equal(b.list.count, 0);
}

static void test_body_bad_json(void **state)
{
    (void)state;
    body b;
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json", "[{\"n\":\"/3/0/14\",");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_non_null(strstr(b.err, " at byte "));
    assert_int_equal(b.list.count, 0);
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json", "{\"n\":\"/3/0/14\"}");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    /* Outside the path. */
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json",
          "[{\"n\":\"/1/0/1\",\"v\":1}]");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "record outside the request path at byte 1");
    /* Offsets name bytes of the caller's body even when a base name was put in front. */
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json",
          "[{\"n\":\"14\",\"vs\":\"a\"},{\"n\":\"x\",\"v\":1}]");
    assert_int_equal(b.rc, LWM2M_ERR_INVALID);
    assert_string_equal(b.err, "name is not a resource or resource instance path at byte 21");
}

static void test_body_type_mismatch(void **state)
{
    (void)state;
    body b;
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "text/plain", "full");
    assert_int_equal(b.rc, LWM2M_ERR_TYPE);
    assert_string_equal(b.err, "not a decimal integer at byte 0");
    parse(&b, NULL, lwm2m_path_inst(3, 0), "application/senml+json",
          "[{\"n\":\"/3/0/9\",\"vs\":\"full\"}]");
    assert_int_equal(b.rc, LWM2M_ERR_TYPE);
    assert_non_null(strstr(b.err, "string for a non-string resource at byte "));
    parse(&b, NULL, lwm2m_path_res(3, 0, 9), "application/senml+json", "[{\"v\":1.5}]");
    assert_int_equal(b.rc, LWM2M_ERR_TYPE);
    assert_int_equal(b.list.count, 0);
}

static void test_body_arena_full(void **state)
{
    (void)state;
    body b;
    uint8_t tiny[4];
    b.arena = lwm2m_arena_init(tiny, sizeof tiny);
    b.list = lwm2m_record_list_init(b.items, 8);
    const char *t = "[{\"n\":\"/3/0/14\",\"vs\":\"+01:00\"}]";
    assert_int_equal(lwm2m_dm_body_records(NULL, &(lwm2m_path){{3, 0, 0, 0}, 2},
                                           "application/senml+json", (const uint8_t *)t, strlen(t),
                                           &b.arena, &b.list, b.err, sizeof b.err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(b.list.count, 0);
    assert_int_equal(b.arena.used, 0);
    /* A full record list. */
    b.arena = lwm2m_arena_init(b.mem, sizeof b.mem);
    b.list = lwm2m_record_list_init(b.items, 1);
    const char *two = "[{\"n\":\"/3/0/14\",\"vs\":\"a\"},{\"n\":\"/3/0/15\",\"vs\":\"b\"}]";
    assert_int_equal(lwm2m_dm_body_records(NULL, &(lwm2m_path){{3, 0, 0, 0}, 2},
                                           "application/senml+json", (const uint8_t *)two,
                                           strlen(two), &b.arena, &b.list, b.err, sizeof b.err),
                     LWM2M_ERR_NOMEM);
    assert_int_equal(b.list.count, 0);
}

/* The API's body, through the builder, decoded by the client's codec: the same values. */
static void test_body_to_request_round_trip(void **state)
{
    (void)state;
    body b;
    parse(&b, &defs, lwm2m_path_inst(3303, 0), "application/senml+json",
          "[{\"n\":\"5701\",\"vs\":\"Cel\"},{\"n\":\"5700\",\"v\":-3.5}]");
    assert_int_equal(b.rc, 0);
    lwm2m_registration reg;
    make_reg(&reg, "1.0", "/", NULL, 0);
    built w;
    build(&w, &reg, LWM2M_DM_WRITE, lwm2m_path_inst(3303, 0), b.items, b.list.count, NULL,
          LWM2M_FORMAT_NONE);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.w.format, LWM2M_FORMAT_TLV);
    const lwm2m_path base = lwm2m_path_inst(3303, 0);
    const lwm2m_record want[] = {b.items[1], b.items[0]};
    assert_round_trip(&w, &base, want, 2);
}

/* ---- both sides agree: the builder's requests through our client's DM handler ---- */

typedef struct exec_seen {
    char args[32];
    int calls;
} exec_seen;

static int on_execute(void *ctx, lwm2m_model *m, const lwm2m_path *path, const uint8_t *args,
                      size_t len)
{
    (void)m;
    (void)path;
    exec_seen *e = ctx;
    assert_true(len < sizeof e->args);
    memcpy(e->args, args, len);
    e->args[len] = '\0';
    e->calls++;
    return 0;
}

typedef struct peer {
    lwm2m_registration reg;
    lwm2m_dm_context ctx;
    uint8_t out[1024];
    lwm2m_response resp;
} peer;

/* Builds `op`, hands the request to the client, returns the client's code. */
static unsigned exchange(peer *p, lwm2m_dm_op op, lwm2m_path path, const lwm2m_record *recs,
                         size_t n, const char *text)
{
    built b;
    build(&b, &p->reg, op, path, recs, n, text, LWM2M_FORMAT_NONE);
    assert_int_equal(b.rc, 0);
    lwm2m_request req = {b.w.method,        b.w.path,   strlen(b.w.path), b.w.query,
                         strlen(b.w.query), b.w.format, b.w.accept,       b.buf,
                         b.payload.len,     b.w.observe};
    p->resp.payload = lwm2m_buf_init(p->out, sizeof p->out);
    lwm2m_dm_event ev;
    uint16_t iid;
    lwm2m_dm_handle(&p->ctx, 101, &req, &p->resp, &ev, &iid);
    return p->resp.code;
}

static void test_agreement_with_client(void **state)
{
    (void)state;
    peer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    exec_seen seen = {{0}, 0};
    lwm2m_object_handlers h = {NULL, NULL, on_execute, &seen};
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(3, "1.1"), &h), 0);
    assert_int_equal(lwm2m_model_add_object(m, &temp_obj, NULL), 0);
    lwm2m_path sp = lwm2m_path_res(1, 0, 0), lp = lwm2m_path_res(1, 0, 1);
    lwm2m_value v = lwm2m_value_int(101);
    assert_int_equal(lwm2m_model_set(m, &sp, &v), 0);
    v = lwm2m_value_int(300);
    assert_int_equal(lwm2m_model_set(m, &lp, &v), 0);
    lwm2m_path mp = lwm2m_path_res(3, 0, 0);
    v = lwm2m_value_str("ACME");
    assert_int_equal(lwm2m_model_set(m, &mp, &v), 0);
    p->ctx.model = m;
    p->ctx.lwm2m_version = "1.1";
    p->ctx.read_format = LWM2M_FORMAT_SENML_JSON;
    const lwm2m_format f[] = {LWM2M_FORMAT_SENML_JSON};
    make_reg(&p->reg, "1.1", "/", f, 1);

    const lwm2m_record life = rec(lp, lwm2m_value_int(600));
    assert_int_equal(exchange(p, LWM2M_DM_WRITE, lp, &life, 1, NULL), LWM2M_CODE_CHANGED);
    int64_t got = 0;
    assert_int_equal(lwm2m_model_get_int(m, &lp, &got), 0);
    assert_int_equal(got, 600);
    const lwm2m_record pmin = rec(lwm2m_path_res(1, 0, 2), lwm2m_value_int(5));
    assert_int_equal(exchange(p, LWM2M_DM_WRITE_UPDATE, lwm2m_path_inst(1, 0), &pmin, 1, NULL),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_model_get_int(m, &pmin.path, &got), 0);
    assert_int_equal(got, 5);

    assert_int_equal(exchange(p, LWM2M_DM_WRITE_ATTRIBUTES, lp, NULL, 0, "pmin=10&gt=2.5"),
                     LWM2M_CODE_CHANGED);
    double attr = 0;
    assert_int_equal(lwm2m_model_get_attr(m, 101, &lp, LWM2M_ATTR_PMIN, &attr), 0);
    assert_true(attr == 10);
    assert_int_equal(lwm2m_model_get_attr(m, 101, &lp, LWM2M_ATTR_GT, &attr), 0);
    assert_true(attr == 2.5);
    assert_int_equal(exchange(p, LWM2M_DM_WRITE_ATTRIBUTES, lp, NULL, 0, "gt"), LWM2M_CODE_CHANGED);
    assert_int_equal(lwm2m_model_get_attr(m, 101, &lp, LWM2M_ATTR_GT, &attr), LWM2M_ERR_NOT_FOUND);

    assert_int_equal(exchange(p, LWM2M_DM_EXECUTE, lwm2m_path_res(3, 0, 4), NULL, 0, "0='a',1"),
                     LWM2M_CODE_CHANGED);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.args, "0='a',1");

    const lwm2m_record temp = rec(lwm2m_path_res(3303, 1, 5700), lwm2m_value_float(21.5));
    assert_int_equal(exchange(p, LWM2M_DM_CREATE, lwm2m_path_obj(3303), &temp, 1, NULL),
                     LWM2M_CODE_CREATED);
    assert_true(lwm2m_model_has_instance(m, 3303, 1));

    assert_int_equal(exchange(p, LWM2M_DM_READ, lwm2m_path_inst(1, 0), NULL, 0, NULL),
                     LWM2M_CODE_CONTENT);
    const lwm2m_path inst = lwm2m_path_inst(1, 0);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_READ, &inst, p->resp.code, p->resp.format,
                                       p->out, p->resp.payload.len),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"senml-json\","
                "\"content\":[{\"path\":\"/1/0/0\",\"type\":\"integer\",\"value\":101},"
                "{\"path\":\"/1/0/1\",\"type\":\"integer\",\"value\":600},"
                "{\"path\":\"/1/0/2\",\"type\":\"integer\",\"value\":5}]}");
    assert_int_equal(exchange(p, LWM2M_DM_DISCOVER, lp, NULL, 0, NULL), LWM2M_CODE_CONTENT);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_DISCOVER, &lp, p->resp.code, p->resp.format,
                                       p->out, p->resp.payload.len),
                "{\"code\":\"2.05\",\"status\":\"CONTENT\",\"format\":\"link\",\"links\":["
                "{\"path\":\"/1/0/1\",\"attributes\":{\"pmin\":\"10\"}}]}");

    assert_int_equal(exchange(p, LWM2M_DM_DELETE, lwm2m_path_inst(3303, 1), NULL, 0, NULL),
                     LWM2M_CODE_DELETED);
    assert_false(lwm2m_model_has_instance(m, 3303, 1));
    assert_int_equal(exchange(p, LWM2M_DM_DELETE, lwm2m_path_inst(3303, 1), NULL, 0, NULL),
                     LWM2M_CODE_NOT_FOUND);
    assert_json(lwm2m_dm_response_json(NULL, LWM2M_DM_DELETE, &inst, p->resp.code, p->resp.format,
                                       p->out, p->resp.payload.len),
                "{\"code\":\"4.04\",\"status\":\"NOT_FOUND\","
                "\"diagnostic\":\"cannot delete: not found\"}");
    lwm2m_model_free(m);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_names),
        cmocka_unit_test(test_pick_format_10),
        cmocka_unit_test(test_pick_format_11),
        cmocka_unit_test(test_pick_format_12),
        cmocka_unit_test(test_build_read),
        cmocka_unit_test(test_build_alternate_root),
        cmocka_unit_test(test_build_root_path_refused),
        cmocka_unit_test(test_build_discover),
        cmocka_unit_test(test_build_observe),
        cmocka_unit_test(test_build_write_tlv_round_trip),
        cmocka_unit_test(test_build_write_update_senml),
        cmocka_unit_test(test_build_write_single_resource_formats),
        cmocka_unit_test(test_build_write_path_levels),
        cmocka_unit_test(test_build_write_bad_records),
        cmocka_unit_test(test_build_write_attributes),
        cmocka_unit_test(test_build_write_attributes_bad_query),
        cmocka_unit_test(test_build_execute),
        cmocka_unit_test(test_build_create),
        cmocka_unit_test(test_build_delete),
        cmocka_unit_test(test_build_overflow),
        cmocka_unit_test(test_code_text_and_name),
        cmocka_unit_test(test_response_senml_json_read),
        cmocka_unit_test(test_response_tlv_read),
        cmocka_unit_test(test_response_numbers_and_defs),
        cmocka_unit_test(test_response_discover),
        cmocka_unit_test(test_response_error_diagnostic),
        cmocka_unit_test(test_response_timeout_and_empty),
        cmocka_unit_test(test_response_undecodable),
        cmocka_unit_test(test_registration_json),
        cmocka_unit_test(test_json_out_of_memory),
        cmocka_unit_test(test_body_text),
        cmocka_unit_test(test_body_senml),
        cmocka_unit_test(test_body_refused),
        cmocka_unit_test(test_body_bad_json),
        cmocka_unit_test(test_body_type_mismatch),
        cmocka_unit_test(test_body_arena_full),
        cmocka_unit_test(test_body_to_request_round_trip),
        cmocka_unit_test(test_agreement_with_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
