/* The atomic state file: save, load, refuse corrupt files without touching the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"
#include "lwm2m/state_file.h"

static lwm2m_model *new_model(void)
{
    lwm2m_model *m = lwm2m_model_new();
    assert_non_null(m);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(0, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(1, "1.1"), NULL), 0);
    assert_int_equal(lwm2m_model_add_object(m, lwm2m_objdef_builtin(2, "1.0"), NULL), 0);
    return m;
}

static void set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    assert_int_equal(lwm2m_model_set(m, &p, &v), 0);
}

static void fill(lwm2m_model *m)
{
    set(m, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coaps://dm.example:5684"));
    set(m, lwm2m_path_res(0, 0, 1), lwm2m_value_bool(false));
    set(m, lwm2m_path_res(0, 0, 2), lwm2m_value_int(0));
    set(m, lwm2m_path_res(0, 0, 3), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "ep-1", 4));
    set(m, lwm2m_path_res(0, 0, 5), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "\x00\xff\"\n", 4));
    set(m, lwm2m_path_res(0, 0, 10), lwm2m_value_int(101));
    set(m, lwm2m_path_rinst(0, 0, 16, 0), lwm2m_value_uint(49320));
    set(m, lwm2m_path_res(1, 0, 0), lwm2m_value_int(101));
    set(m, lwm2m_path_res(1, 0, 7), lwm2m_value_str("U \"quoted\" \\ é"));
    set(m, lwm2m_path_res(1, 0, 12), lwm2m_value_time(1700000000));
    set(m, lwm2m_path_res(1, 0, 6), lwm2m_value_bool(true));
    set(m, lwm2m_path_rinst(2, 3, 2, 101), lwm2m_value_int(15));
}

static void assert_same(lwm2m_model *a, lwm2m_model *b)
{
    lwm2m_record ra[64], rb[64];
    lwm2m_record_list la = lwm2m_record_list_init(ra, 64), lb = lwm2m_record_list_init(rb, 64);
    lwm2m_path root = lwm2m_path_root();
    assert_int_equal(lwm2m_model_read(a, &root, &la), 0);
    assert_int_equal(lwm2m_model_read(b, &root, &lb), 0);
    assert_int_equal(la.count, lb.count);
    for (size_t i = 0; i < la.count; i++) {
        assert_true(lwm2m_path_equal(&ra[i].path, &rb[i].path));
        assert_true(lwm2m_value_equal(&ra[i].value, &rb[i].value));
    }
}

static void test_save_then_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/lwm2m_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/state.json", dir);
    lwm2m_model *m = new_model();
    fill(m);
    char err[256] = "";
    assert_int_equal(lwm2m_state_save(m, path, err, sizeof err), 0);
    lwm2m_model *back = new_model();
    assert_int_equal(lwm2m_state_load(back, path, err, sizeof err), 0);
    assert_same(m, back);
    /* Save again over the existing file: replaced, no temporary left behind. */
    set(m, lwm2m_path_res(1, 0, 1), lwm2m_value_int(86400));
    assert_int_equal(lwm2m_state_save(m, path, err, sizeof err), 0);
    lwm2m_model *again = new_model();
    assert_int_equal(lwm2m_state_load(again, path, err, sizeof err), 0);
    assert_same(m, again);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    rmdir(dir);
    lwm2m_model_free(m);
    lwm2m_model_free(back);
    lwm2m_model_free(again);
}

static void test_load_refuses_bad_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/lwm2m_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/state.json", dir);
    lwm2m_model *m = new_model();
    fill(m);
    lwm2m_model *before = lwm2m_model_clone(m);
    char err[256] = "";
    assert_int_equal(lwm2m_state_load(m, path, err, sizeof err), LWM2M_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "no such file"));
    static const char *const bad[] = {
        "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"v\":60},{\"n\":\"7\"", /* truncated */
        "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"vs\":\"sixty\"}]",     /* wrong type */
        "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"v\":60},{\"bn\":\"/77/0/\",\"n\":\"1\",\"v\":1}]",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(bad[i], f);
        fclose(f);
        err[0] = '\0';
        assert_int_equal(lwm2m_state_load(m, path, err, sizeof err), LWM2M_ERR_INVALID);
        assert_non_null(strstr(err, path));
        assert_same(m, before); /* nothing of the bad file got in */
    }
    unlink(path);
    rmdir(dir);
    /* An unwritable place: the error names it, nothing is created. */
    assert_int_equal(lwm2m_state_save(m, "/nonexistent-dir/state.json", err, sizeof err),
                     LWM2M_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent-dir/state.json"));
    lwm2m_model_free(m);
    lwm2m_model_free(before);
}

/* Two configurations A and B differing in /1/0/1 (lifetime 1000 vs 2000) and in size. */
static void make_config(lwm2m_model *m, int which)
{
    fill(m);
    set(m, lwm2m_path_res(1, 0, 1), lwm2m_value_int(which == 0 ? 1000 : 2000));
    for (uint16_t i = 0; i < (which == 0 ? 3 : 40); i++)
        set(m, lwm2m_path_rinst(2, 3, 2, (uint16_t)(200 + i)), lwm2m_value_int(i));
}

/* kill -9 at random moments of a save loop: every restart finds a complete old or new file. */
static void test_kill_during_save(void **state)
{
    (void)state;
    char dir[] = "/tmp/lwm2m_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/state.json", dir);
    lwm2m_model *a = new_model(), *b = new_model();
    make_config(a, 0);
    make_config(b, 1);
    char err[256];
    assert_int_equal(lwm2m_state_save(a, path, err, sizeof err), 0);
    srand((unsigned)time(NULL));
    int saw[2] = {0, 0};
    for (int round = 0; round < 60; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int k = 0;; k++)
                if (lwm2m_state_save(k % 2 ? a : b, path, NULL, 0) != 0)
                    _exit(3);
        }
        struct timespec nap = {0, (long)(rand() % 3000) * 1000L};
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status)); /* killed mid-loop, never failed by itself */
        lwm2m_model *got = new_model();
        assert_int_equal(lwm2m_state_load(got, path, err, sizeof err), 0);
        int64_t lifetime = 0;
        lwm2m_path lp = lwm2m_path_res(1, 0, 1);
        assert_int_equal(lwm2m_model_get_int(got, &lp, &lifetime), 0);
        assert_true(lifetime == 1000 || lifetime == 2000);
        assert_same(got, lifetime == 1000 ? a : b);
        saw[lifetime == 2000]++;
        lwm2m_model_free(got);
    }
    /* Leftover temporaries of killed writers are the only other files. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s/state.json.tmp*", dir);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    print_message("kill -9 rounds: %d found A, %d found B\n", saw[0], saw[1]);
    lwm2m_model_free(a);
    lwm2m_model_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_then_load),
        cmocka_unit_test(test_load_refuses_bad_files),
        cmocka_unit_test(test_kill_during_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
