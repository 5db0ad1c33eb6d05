/* The client's observation table: when notifications are due, attributes, cancel, replace. */
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
#include "lwm2m/observe.h"

typedef struct fixture {
    lwm2m_model *m;
    lwm2m_observe_table *t;
    uint8_t out[512];
    lwm2m_notification n;
} fixture;

static const uint8_t TOK_A[] = {0xA1, 0xA2, 0xA3, 0xA4};
static const uint8_t TOK_B[] = {0xB1};

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static void attr(lwm2m_model *m, uint16_t ssid, lwm2m_path p, lwm2m_attr a, double v)
{
    assert_int_equal(lwm2m_model_set_attr(m, ssid, &p, a, v, false), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->m = lwm2m_model_new();
    assert_non_null(f->m);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(f->m, lwm2m_objdef_builtin(3, "1.1"), NULL), 0);
    set(f->m, lwm2m_path_res(1, 0, 0), lwm2m_value_int(101));
    set(f->m, lwm2m_path_res(1, 0, 1), lwm2m_value_int(300));
    set(f->m, lwm2m_path_res(1, 0, 7), lwm2m_value_str("U"));
    set(f->m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME"));
    set(f->m, lwm2m_path_res(3, 0, 9), lwm2m_value_int(50));
    f->t = lwm2m_observe_new(5);
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lwm2m_observe_free(f->t);
    lwm2m_model_free(f->m);
    free(f);
    return 0;
}

/* Observes `p` as server `ssid` with the text answer `answer` at `now`; returns the seq. */
static uint32_t observe(fixture *f, uint16_t ssid, const uint8_t *tok, size_t tok_len, lwm2m_path p,
                        const char *answer, int64_t now)
{
    uint32_t seq = 0;
    assert_int_equal(lwm2m_observe_add(f->t, f->m, ssid, tok, tok_len, &p, LWM2M_FORMAT_TEXT,
                                       (const uint8_t *)answer, strlen(answer), now, &seq),
                     0);
    return seq;
}

/* One tick; returns its result, the payload NUL-terminated in f->out. */
static int tick(fixture *f, int64_t now)
{
    f->n.payload = lwm2m_buf_init(f->out, sizeof f->out - 1);
    int rc = lwm2m_observe_tick(f->t, f->m, now, &f->n);
    f->out[f->n.payload.len < sizeof f->out ? f->n.payload.len : 0] = '\0';
    return rc;
}

static void battery(fixture *f, int64_t v)
{
    set(f->m, lwm2m_path_res(3, 0, 9), lwm2m_value_int(v));
}

static void test_pmin_pmax_and_change(void **state)
{
    fixture *f = *state;
    lwm2m_path p = lwm2m_path_res(3, 0, 9);
    attr(f->m, 101, p, LWM2M_ATTR_PMIN, 2);
    attr(f->m, 101, p, LWM2M_ATTR_PMAX, 10);
    assert_int_equal(observe(f, 101, TOK_A, sizeof TOK_A, p, "50", 0), 5);
    assert_int_equal(lwm2m_observe_count(f->t), 1);
    assert_int_equal(tick(f, 1000), 0); /* unchanged */
    battery(f, 51);
    assert_int_equal(tick(f, 1000), 0); /* changed, but pmin not elapsed */
    assert_int_equal(lwm2m_observe_deadline(f->t, f->m, 1000), 2000);
    assert_int_equal(tick(f, 2000), 1);
    assert_int_equal(f->n.code, LWM2M_CODE_CONTENT);
    assert_int_equal(f->n.format, LWM2M_FORMAT_TEXT);
    assert_false(f->n.ended);
    assert_int_equal(f->n.seq, 6);
    assert_int_equal(f->n.ssid, 101);
    assert_int_equal(f->n.token_len, sizeof TOK_A);
    assert_memory_equal(f->n.token, TOK_A, sizeof TOK_A);
    assert_true(lwm2m_path_equal(&f->n.path, &p));
    assert_string_equal((char *)f->out, "51");
    assert_int_equal(tick(f, 2000), 0); /* just sent */
    assert_int_equal(lwm2m_observe_deadline(f->t, f->m, 2000), 4000);
    assert_int_equal(tick(f, 4000), 0);                                /* pmin over, no change */
    assert_int_equal(lwm2m_observe_deadline(f->t, f->m, 4000), 12000); /* then only pmax */
    assert_int_equal(tick(f, 11999), 0);
    assert_int_equal(tick(f, 12000), 1); /* pmax: sent unchanged */
    assert_string_equal((char *)f->out, "51");
    assert_int_equal(f->n.seq, 7);
    /* A change back to a value sent before is still a change. */
    battery(f, 50);
    assert_int_equal(tick(f, 14000), 1);
    assert_string_equal((char *)f->out, "50");
    assert_int_equal(f->n.seq, 8);
}

static void test_no_attributes_notifies_every_change(void **state)
{
    fixture *f = *state;
    lwm2m_path p = lwm2m_path_res(3, 0, 9);
    observe(f, 101, TOK_A, sizeof TOK_A, p, "50", 0);
    assert_true(lwm2m_observe_deadline(f->t, f->m, 0) == INT64_MAX); /* no pmax, pmin 0 */
    assert_int_equal(tick(f, 1000000), 0);                           /* no pmax */
    battery(f, 49);
    assert_int_equal(tick(f, 1000001), 1);
    assert_string_equal((char *)f->out, "49");
    assert_int_equal(tick(f, 1000001), 0);
}

static void test_attribute_inheritance_and_server_defaults(void **state)
{
    fixture *f = *state;
    lwm2m_path res = lwm2m_path_res(3, 0, 9), inst = lwm2m_path_inst(3, 0), obj = lwm2m_path_obj(3);
    double v = -1;
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMIN, &v), LWM2M_ERR_NOT_FOUND);
    /* Default Minimum / Maximum Period of server 101's Server instance. */
    set(f->m, lwm2m_path_res(1, 0, 2), lwm2m_value_int(3));
    set(f->m, lwm2m_path_res(1, 0, 3), lwm2m_value_int(30));
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 3);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMAX, &v), 0);
    assert_true(v == 30);
    /* Another server: no Server instance of its own, so no default. */
    assert_int_equal(lwm2m_observe_attr(f->m, 102, &res, LWM2M_ATTR_PMIN, &v), LWM2M_ERR_NOT_FOUND);
    /* Object, then instance, then resource level: the nearest wins. */
    attr(f->m, 101, obj, LWM2M_ATTR_PMIN, 4);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 4);
    attr(f->m, 101, inst, LWM2M_ATTR_PMIN, 5);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 5);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &obj, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 4);
    attr(f->m, 101, res, LWM2M_ATTR_PMIN, 6);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_PMIN, &v), 0);
    assert_true(v == 6);
    /* Attributes of server 102 do not concern 101. */
    attr(f->m, 102, res, LWM2M_ATTR_GT, 1);
    assert_int_equal(lwm2m_observe_attr(f->m, 101, &res, LWM2M_ATTR_GT, &v), LWM2M_ERR_NOT_FOUND);
    /* The inherited periods drive the table: pmin 6 s, pmax 30 s from /1/0/3. */
    observe(f, 101, TOK_A, sizeof TOK_A, res, "50", 0);
    assert_int_equal(lwm2m_observe_deadline(f->t, f->m, 0), 6000);
    battery(f, 60);
    assert_int_equal(tick(f, 5999), 0);
    assert_int_equal(tick(f, 6000), 1);
    assert_int_equal(tick(f, 35999), 0);
    assert_int_equal(lwm2m_observe_deadline(f->t, f->m, 35999), 36000);
    assert_int_equal(tick(f, 36000), 1);
    /* A pmax below pmin is ignored. */
    attr(f->m, 101, res, LWM2M_ATTR_PMAX, 5);
    assert_int_equal(tick(f, 1000000), 0);
    assert_true(lwm2m_observe_deadline(f->t, f->m, 1000000) == INT64_MAX);
}

static void test_greater_less_step(void **state)
{
    fixture *f = *state;
    lwm2m_path p = lwm2m_path_res(3, 0, 9);
    attr(f->m, 101, p, LWM2M_ATTR_GT, 60);
    observe(f, 101, TOK_A, sizeof TOK_A, p, "50", 0);
    battery(f, 59);
    assert_int_equal(tick(f, 1000), 0); /* changed, but gt not crossed */
    battery(f, 61);
    assert_int_equal(tick(f, 2000), 1);
    assert_string_equal((char *)f->out, "61");
    battery(f, 70);
    assert_int_equal(tick(f, 3000), 0); /* still above */
    battery(f, 60);
    assert_int_equal(tick(f, 4000), 1); /* crossed back down */
    /* lt too: either threshold crossed notifies. */
    attr(f->m, 101, p, LWM2M_ATTR_LT, 20);
    battery(f, 21);
    assert_int_equal(tick(f, 5000), 0);
    battery(f, 19);
    assert_int_equal(tick(f, 6000), 1);
    assert_string_equal((char *)f->out, "19");
    /* st: a move by st or more since the last notification (19). */
    attr(f->m, 101, p, LWM2M_ATTR_ST, 5);
    battery(f, 23);
    assert_int_equal(tick(f, 7000), 1); /* only 4 away, but back above lt */
    battery(f, 26);
    assert_int_equal(tick(f, 8000), 0); /* 3 away, no threshold crossed */
    battery(f, 28);
    assert_int_equal(tick(f, 9000), 1); /* 5 away */
    assert_string_equal((char *)f->out, "28");
}

static void test_step_only(void **state)
{
    fixture *f = *state;
    lwm2m_path p = lwm2m_path_res(3, 0, 9);
    attr(f->m, 101, p, LWM2M_ATTR_ST, 5);
    observe(f, 101, TOK_A, sizeof TOK_A, p, "50", 0);
    battery(f, 54);
    assert_int_equal(tick(f, 1000), 0);
    battery(f, 46);
    assert_int_equal(tick(f, 2000), 0);
    battery(f, 45);
    assert_int_equal(tick(f, 3000), 1);
    battery(f, 49);
    assert_int_equal(tick(f, 4000), 0); /* 4 from 45, the value last sent */
    battery(f, 50);
    assert_int_equal(tick(f, 5000), 1);
    /* On a non-numeric resource st does not apply: any change notifies. */
    lwm2m_path manu = lwm2m_path_res(3, 0, 0);
    attr(f->m, 101, manu, LWM2M_ATTR_ST, 5);
    observe(f, 101, TOK_B, sizeof TOK_B, manu, "ACME", 5000);
    set(f->m, manu, lwm2m_value_str("ACNE"));
    assert_int_equal(tick(f, 6000), 1);
    assert_string_equal((char *)f->out, "ACNE");
    assert_memory_equal(f->n.token, TOK_B, sizeof TOK_B);
}

static void test_cancel_and_replace(void **state)
{
    fixture *f = *state;
    const uint8_t tok_c[] = {0xC1, 0xC2};
    const uint8_t tok_d[] = {0xD1, 0xD2};
    observe(f, 101, TOK_A, sizeof TOK_A, lwm2m_path_res(3, 0, 9), "50", 0);
    observe(f, 101, TOK_B, sizeof TOK_B, lwm2m_path_res(3, 0, 0), "ACME", 0);
    observe(f, 102, TOK_A, sizeof TOK_A, lwm2m_path_res(3, 0, 9), "50", 0); /* other server */
    assert_int_equal(lwm2m_observe_count(f->t), 3);
    /* Same server, same path, new token: replaces A. */
    observe(f, 101, tok_c, sizeof tok_c, lwm2m_path_res(3, 0, 9), "50", 0);
    assert_int_equal(lwm2m_observe_count(f->t), 3);
    assert_false(lwm2m_observe_find(f->t, 101, TOK_A, sizeof TOK_A, NULL));
    assert_true(lwm2m_observe_find(f->t, 102, TOK_A, sizeof TOK_A, NULL));
    /* Same server, same token, new path: replaces B. */
    uint32_t seq = observe(f, 101, TOK_B, sizeof TOK_B, lwm2m_path_res(3, 0, 1), "x", 0);
    assert_int_equal(seq, 9); /* sequence numbers keep increasing across replacements */
    lwm2m_path got;
    assert_true(lwm2m_observe_find(f->t, 101, TOK_B, sizeof TOK_B, &got));
    lwm2m_path want = lwm2m_path_res(3, 0, 1);
    assert_true(lwm2m_path_equal(&got, &want));
    assert_int_equal(lwm2m_observe_count(f->t), 3);
    /* Cancel by token: only that server's. */
    assert_int_equal(lwm2m_observe_cancel(f->t, 101, tok_c, sizeof tok_c), 0);
    assert_int_equal(lwm2m_observe_cancel(f->t, 101, tok_c, sizeof tok_c), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_observe_cancel(f->t, 103, TOK_A, sizeof TOK_A), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_observe_cancel(f->t, 101, TOK_A, 2), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_observe_count(f->t), 2);
    observe(f, 101, tok_d, sizeof tok_d, lwm2m_path_obj(3), "x", 0);
    assert_int_equal(lwm2m_observe_cancel_server(f->t, 101), 2);
    assert_int_equal(lwm2m_observe_cancel_server(f->t, 101), 0);
    assert_int_equal(lwm2m_observe_count(f->t), 1);
    assert_int_equal(lwm2m_observe_clear(f->t), 1);
    assert_int_equal(lwm2m_observe_count(f->t), 0);
    assert_int_equal(tick(f, 100), 0);
    /* Bad arguments leave the table as it was. */
    uint8_t long_token[9] = {0};
    lwm2m_path p = lwm2m_path_res(3, 0, 9), root = lwm2m_path_root();
    assert_int_equal(lwm2m_observe_add(f->t, f->m, 101, long_token, sizeof long_token, &p,
                                       LWM2M_FORMAT_TEXT, NULL, 0, 0, &seq),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_observe_add(f->t, f->m, 101, TOK_A, sizeof TOK_A, &root,
                                       LWM2M_FORMAT_TEXT, NULL, 0, 0, &seq),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_observe_count(f->t), 0);
    /* An empty token is a token. */
    assert_int_equal(
        lwm2m_observe_add(f->t, f->m, 101, NULL, 0, &p, LWM2M_FORMAT_TEXT, NULL, 0, 0, &seq), 0);
    assert_true(lwm2m_observe_find(f->t, 101, NULL, 0, NULL));
    assert_false(lwm2m_observe_find(f->t, 101, TOK_B, sizeof TOK_B, NULL));
}

static void test_path_deleted_ends_with_404(void **state)
{
    fixture *f = *state;
    set(f->m, lwm2m_path_res(1, 1, 0), lwm2m_value_int(102));
    set(f->m, lwm2m_path_res(1, 1, 1), lwm2m_value_int(60));
    set(f->m, lwm2m_path_res(1, 1, 7), lwm2m_value_str("U"));
    attr(f->m, 101, lwm2m_path_inst(1, 1), LWM2M_ATTR_PMIN, 100);
    observe(f, 101, TOK_A, sizeof TOK_A, lwm2m_path_res(1, 1, 1), "60", 0);
    observe(f, 101, TOK_B, sizeof TOK_B, lwm2m_path_res(3, 0, 9), "50", 0);
    assert_int_equal(tick(f, 10), 0);
    lwm2m_path inst = lwm2m_path_inst(1, 1);
    assert_int_equal(lwm2m_model_delete(f->m, &inst, LWM2M_DELETE_DM), 0);
    /* At once, whatever pmin says. */
    assert_int_equal(tick(f, 20), 1);
    assert_true(f->n.ended);
    assert_int_equal(f->n.code, LWM2M_CODE_NOT_FOUND);
    assert_int_equal(f->n.payload.len, 0);
    assert_int_equal(f->n.format, LWM2M_FORMAT_NONE);
    assert_memory_equal(f->n.token, TOK_A, sizeof TOK_A);
    assert_int_equal(lwm2m_observe_count(f->t), 1);
    assert_int_equal(tick(f, 30), 0);
    assert_false(lwm2m_observe_find(f->t, 101, TOK_A, sizeof TOK_A, NULL));
}

static void test_read_right_withdrawn_ends_with_401(void **state)
{
    fixture *f = *state;
    /* ACL of /3/0: owner 101, server 102 may read. */
    set(f->m, lwm2m_path_res(2, 0, 0), lwm2m_value_int(3));
    set(f->m, lwm2m_path_res(2, 0, 1), lwm2m_value_int(0));
    set(f->m, lwm2m_path_rinst(2, 0, 2, 102), lwm2m_value_int(LWM2M_ACL_READ));
    set(f->m, lwm2m_path_res(2, 0, 3), lwm2m_value_int(101));
    observe(f, 102, TOK_A, sizeof TOK_A, lwm2m_path_res(3, 0, 9), "50", 0);
    assert_int_equal(tick(f, 10), 0);
    set(f->m, lwm2m_path_rinst(2, 0, 2, 102), lwm2m_value_int(0));
    assert_int_equal(tick(f, 20), 1);
    assert_true(f->n.ended);
    assert_int_equal(f->n.code, LWM2M_CODE_UNAUTHORIZED);
    assert_int_equal(lwm2m_observe_count(f->t), 0);
}

static void test_too_large_ends_with_500(void **state)
{
    fixture *f = *state;
    lwm2m_path inst = lwm2m_path_inst(3, 0);
    uint32_t seq;
    assert_int_equal(lwm2m_observe_add(f->t, f->m, 101, TOK_A, sizeof TOK_A, &inst,
                                       LWM2M_FORMAT_SENML_JSON, (const uint8_t *)"[]", 2, 0, &seq),
                     0);
    f->n.payload = lwm2m_buf_init(f->out, 16);
    assert_int_equal(lwm2m_observe_tick(f->t, f->m, 1, &f->n), 1);
    assert_true(f->n.ended);
    assert_int_equal(f->n.code, LWM2M_CODE_INTERNAL_ERROR);
    assert_true(f->n.needed > 16);
    assert_int_equal(lwm2m_observe_count(f->t), 0);
}

static void test_several_due_and_sequence_wrap(void **state)
{
    fixture *f = *state;
    lwm2m_observe_free(f->t);
    f->t = lwm2m_observe_new(0x1FFFFFE); /* masked to 24 bits */
    assert_non_null(f->t);
    assert_int_equal(observe(f, 101, TOK_A, sizeof TOK_A, lwm2m_path_res(3, 0, 9), "50", 0),
                     0xFFFFFE);
    assert_int_equal(observe(f, 101, TOK_B, sizeof TOK_B, lwm2m_path_res(3, 0, 0), "ACME", 0),
                     0xFFFFFF);
    battery(f, 1);
    set(f->m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("X"));
    assert_int_equal(tick(f, 5), 1);
    assert_int_equal(f->n.seq, 0);
    assert_memory_equal(f->n.token, TOK_A, sizeof TOK_A);
    assert_int_equal(tick(f, 5), 1);
    assert_int_equal(f->n.seq, 1);
    assert_memory_equal(f->n.token, TOK_B, sizeof TOK_B);
    assert_string_equal((char *)f->out, "X");
    assert_int_equal(tick(f, 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pmin_pmax_and_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_attributes_notifies_every_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attribute_inheritance_and_server_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_greater_less_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_deleted_ends_with_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_right_withdrawn_ends_with_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_ends_with_500, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_due_and_sequence_wrap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
