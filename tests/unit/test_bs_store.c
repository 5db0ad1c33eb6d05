/* The Bootstrap Server store (SQLite backend): specs, schema, entries, identities, status,
 * all-or-nothing batches, two handles and two processes on one file, kill -9 durability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_dir.h"
#include <sqlite3.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"

#define EP  LWM2M_BS_ENTRY_ENDPOINT
#define TPL LWM2M_BS_ENTRY_TEMPLATE

typedef struct fixture {
    char dir[64];
    char path[128];
    lwm2m_bs_store *s; /* open on `path` */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    if (temp_dir_make(f->dir, sizeof f->dir, "test_bs_store") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/store.db", f->dir);
    char err[256];
    if (lwm2m_bs_store_open(f->path, &f->s, err, sizeof err) != 0) {
        fprintf(stderr, "open: %s\n", err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lwm2m_bs_store_close(f->s);
    temp_dir_remove(f->dir);
    free(f);
    return 0;
}

static void in_dir(const fixture *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static lwm2m_bs_entry ep(const char *name, const char *json, const char *id, const char *key)
{
    lwm2m_bs_entry e = {.kind = EP, .name = name, .json = json, .match = ""};
    if (id != NULL) {
        e.psk_identity = (const uint8_t *)id;
        e.psk_identity_len = strlen(id);
    }
    if (key != NULL) {
        e.psk_key = (const uint8_t *)key;
        e.psk_key_len = strlen(key);
    }
    return e;
}

static lwm2m_bs_entry tpl(const char *name, const char *json, const char *match)
{
    lwm2m_bs_entry e = {.kind = TPL, .name = name, .json = json, .match = match};
    return e;
}

static void put1(lwm2m_bs_store *s, lwm2m_bs_entry e)
{
    char err[256] = "";
    int rc = lwm2m_bs_store_put(s, &e, 1, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "put: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
}

static void assert_doc(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name,
                       const char *want)
{
    char *json = NULL;
    assert_int_equal(lwm2m_bs_store_get(s, kind, name, &json), 0);
    assert_non_null(json);
    assert_string_equal(json, want);
    free(json);
}

static void assert_absent(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, const char *name)
{
    char *json = (char *)"untouched";
    assert_int_equal(lwm2m_bs_store_get(s, kind, name, &json), LWM2M_ERR_NOT_FOUND);
    assert_null(json);
}

static void assert_owner(lwm2m_bs_store *s, const char *id, const char *want_ep,
                         const char *want_key)
{
    char *name = NULL;
    uint8_t key[LWM2M_PSK_KEY_MAX];
    size_t key_len = 99;
    int rc = lwm2m_bs_store_find_identity(s, (const uint8_t *)id, strlen(id), &name, key, &key_len);
    if (want_ep == NULL) {
        assert_int_equal(rc, LWM2M_ERR_NOT_FOUND);
        assert_null(name);
        assert_int_equal(key_len, 0);
        return;
    }
    assert_int_equal(rc, 0);
    assert_string_equal(name, want_ep);
    assert_int_equal(key_len, strlen(want_key));
    assert_memory_equal(key, want_key, key_len);
    free(name);
}

/* Collects what list() shows, as "name|json|match|identity|key;" lines. */
typedef struct seen {
    char text[4096];
    int count;
    int stop_at; /* return 7 at this visit (1-based); 0 never */
    lwm2m_bs_store *reenter;
} seen;

static int collect(void *ctx, const lwm2m_bs_entry *e)
{
    seen *v = ctx;
    size_t at = strlen(v->text);
    snprintf(v->text + at, sizeof v->text - at, "%s|%s|%s|%.*s|%.*s;", e->name, e->json, e->match,
             (int)e->psk_identity_len, e->psk_identity != NULL ? (const char *)e->psk_identity : "",
             (int)e->psk_key_len, e->psk_key != NULL ? (const char *)e->psk_key : "");
    v->count++;
    return v->count == v->stop_at ? 7 : 0;
}

static const char *listing(lwm2m_bs_store *s, lwm2m_bs_entry_kind kind, seen *v)
{
    memset(v, 0, sizeof *v);
    assert_int_equal(lwm2m_bs_store_list(s, kind, collect, v), 0);
    return v->text;
}

/* ---- opening ---- */

static void sql_text(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t at = strlen(out);
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out + at, cap - at, "%s%s", at > 0 ? "," : "", t != NULL ? (const char *)t : "");
    }
    assert_int_equal(rc, SQLITE_DONE);
    assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void open_creates_file_and_schema(void **state)
{
    fixture *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    char out[512];
    sql_text(f->path, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "2");
    sql_text(f->path, "PRAGMA journal_mode", out, sizeof out);
    assert_string_equal(out, "wal");
    sql_text(f->path,
             "SELECT name FROM sqlite_schema WHERE type IN ('table', 'index')"
             " AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
             out, sizeof out);
    assert_string_equal(out, "cert_map,entries,entries_psk_identity,entries_public_key,status");
    sql_text(f->path, "PRAGMA integrity_check", out, sizeof out);
    assert_string_equal(out, "ok");
    assert_string_equal(lwm2m_bs_store_last_error(f->s), "");
}

static void reopen_keeps_data(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{\"a\":1}", "id-1", "key-1"));
    put1(f->s, tpl("t1", "{\"t\":1}", "sensor-*"));
    lwm2m_bs_endpoint_status st = {.next_plan = 2, .sessions = 3, .updated_s = 1700000000};
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep1", &st), 0);
    lwm2m_bs_store_close(f->s);
    f->s = NULL;

    char spec[160], err[256];
    snprintf(spec, sizeof spec, "sqlite:%s", f->path);
    assert_int_equal(lwm2m_bs_store_open(spec, &f->s, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_doc(f->s, EP, "ep1", "{\"a\":1}");
    assert_doc(f->s, TPL, "t1", "{\"t\":1}");
    assert_owner(f->s, "id-1", "ep1", "key-1");
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep1", &got), 0);
    assert_int_equal(got.next_plan, 2);
    assert_int_equal(got.sessions, 3);
}

static void spec_forms(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", NULL, NULL));
    char spec[160], err[256];
    lwm2m_bs_store *s2 = NULL;
    snprintf(spec, sizeof spec, "SQLite:%s", f->path); /* the scheme is case-insensitive */
    assert_int_equal(lwm2m_bs_store_open(spec, &s2, err, sizeof err), 0);
    assert_doc(s2, EP, "ep1", "{}");
    lwm2m_bs_store_close(s2);
    lwm2m_bs_store_close(NULL);
}

static void expect_open_error(const char *spec, int want, const char *want_err)
{
    lwm2m_bs_store *s = (lwm2m_bs_store *)&s;
    char err[512] = "stale";
    assert_int_equal(lwm2m_bs_store_open(spec, &s, err, sizeof err), want);
    assert_null(s);
    if (strstr(err, want_err) == NULL)
        fail_msg("error '%s' lacks '%s'", err, want_err);
}

static void bad_specs(void **state)
{
    (void)state;
    expect_open_error(NULL, LWM2M_ERR_INVALID, "empty store spec");
    expect_open_error("", LWM2M_ERR_INVALID, "empty store spec");
    expect_open_error("sqlite:", LWM2M_ERR_INVALID, "store spec 'sqlite:' has no path");
    expect_open_error("postgres://bs@db/lwm2m", LWM2M_ERR_UNSUPPORTED,
                      "postgresql store not built yet");
    expect_open_error("postgresql://bs@db/lwm2m", LWM2M_ERR_UNSUPPORTED,
                      "postgresql store not built yet");
    expect_open_error("mysql://db/x", LWM2M_ERR_UNSUPPORTED, "unknown store scheme 'mysql'");
    char err[64];
    assert_int_equal(lwm2m_bs_store_open("x.db", NULL, err, sizeof err), LWM2M_ERR_INVALID);
    /* No err buffer is fine. */
    lwm2m_bs_store *s;
    assert_int_equal(lwm2m_bs_store_open("", &s, NULL, 0), LWM2M_ERR_INVALID);
}

static void bad_paths(void **state)
{
    fixture *f = *state;
    char path[256], err[512];
    in_dir(f, "missing/dir/x.db", path, sizeof path);
    expect_open_error(path, LWM2M_ERR_INVALID, "unable to open database file");
    lwm2m_bs_store *s;
    assert_int_equal(lwm2m_bs_store_open(path, &s, err, sizeof err), LWM2M_ERR_INVALID);
    assert_non_null(strstr(err, path));

    in_dir(f, "text.db", path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not an SQLite database, just some text long enough to look like one\n", fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(lwm2m_bs_store_open(path, &s, err, sizeof err), LWM2M_ERR_INVALID);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "file is not a database"));

    expect_open_error(f->dir, LWM2M_ERR_INVALID, f->dir); /* a directory */
}

static void read_only_file(void **state)
{
    fixture *f = *state;
    lwm2m_bs_store_close(f->s);
    f->s = NULL;
    assert_int_equal(chmod(f->path, 0444), 0);
    if (geteuid() != 0) {
        expect_open_error(f->path, LWM2M_ERR_INVALID, "read-only");
        return;
    }
    /* Root writes any file: check as an unprivileged user in a child process. */
    assert_int_equal(chmod(f->dir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[512] = "";
        lwm2m_bs_store *s = NULL;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        int rc = lwm2m_bs_store_open(f->path, &s, err, sizeof err);
        _exit(rc == LWM2M_ERR_INVALID && strstr(err, "read-only") != NULL ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void newer_version_refused(void **state)
{
    fixture *f = *state;
    lwm2m_bs_store_close(f->s);
    f->s = NULL;
    sql_exec(f->path, "PRAGMA user_version = 3");
    expect_open_error(f->path, LWM2M_ERR_UNSUPPORTED,
                      "schema version 3 is newer than this build supports (2)");
    /* The file is left as it was. */
    char out[64];
    sql_text(f->path, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "3");
}

static void foreign_database_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    in_dir(f, "other.db", path, sizeof path);
    sql_exec(path, "CREATE TABLE contacts (name TEXT)");
    expect_open_error(path, LWM2M_ERR_INVALID, "not a bootstrap store");
    char out[256];
    sql_text(path, "SELECT name FROM sqlite_schema", out, sizeof out);
    assert_string_equal(out, "contacts");
}

static void several_stores_at_once(void **state)
{
    fixture *f = *state;
    char path[256], err[256];
    in_dir(f, "second.db", path, sizeof path);
    lwm2m_bs_store *s2;
    assert_int_equal(lwm2m_bs_store_open(path, &s2, err, sizeof err), 0);
    put1(f->s, ep("ep1", "{\"store\":1}", "id", "k1"));
    put1(s2, ep("ep1", "{\"store\":2}", "id", "k2"));
    assert_doc(f->s, EP, "ep1", "{\"store\":1}");
    assert_doc(s2, EP, "ep1", "{\"store\":2}");
    assert_owner(f->s, "id", "ep1", "k1");
    assert_owner(s2, "id", "ep1", "k2");
    lwm2m_bs_store_close(s2);
}

/* ---- entries ---- */

static void put_get_kinds_separate(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("a", "{\"ep\":\"a\"}", NULL, NULL));
    put1(f->s, tpl("a", "{\"tpl\":\"a\"}", ""));
    assert_doc(f->s, EP, "a", "{\"ep\":\"a\"}");
    assert_doc(f->s, TPL, "a", "{\"tpl\":\"a\"}");
    assert_absent(f->s, EP, "b");
    assert_absent(f->s, TPL, "b");
    assert_non_null(strstr(lwm2m_bs_store_last_error(f->s), "template 'b' not found"));
    assert_int_equal(lwm2m_bs_store_remove(f->s, TPL, "a"), 0);
    assert_absent(f->s, TPL, "a");
    assert_doc(f->s, EP, "a", "{\"ep\":\"a\"}");
    assert_string_equal(lwm2m_bs_store_last_error(f->s), "");
}

static void replace_entry(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{\"v\":1}", "id-1", "k"));
    put1(f->s, ep("ep1", "{\"v\":2,\"text\":\"é \\\" \\n\"}", "id-1", "k2"));
    assert_doc(f->s, EP, "ep1", "{\"v\":2,\"text\":\"é \\\" \\n\"}");
    seen v;
    assert_string_equal(listing(f->s, EP, &v), "ep1|{\"v\":2,\"text\":\"é \\\" \\n\"}||id-1|k2;");
    assert_owner(f->s, "id-1", "ep1", "k2");
    /* Without credentials now. */
    put1(f->s, ep("ep1", "{}", NULL, NULL));
    assert_string_equal(listing(f->s, EP, &v), "ep1|{}|||;");
    assert_owner(f->s, "id-1", NULL, NULL);
}

static void list_in_name_order(void **state)
{
    fixture *f = *state;
    lwm2m_bs_entry batch[] = {
        ep("c", "{3}", "id-c", "kc"), ep("a", "{1}", NULL, NULL), ep("b", "{2}", "id-b", NULL),
        tpl("z", "{t}", "dev-*"),     tpl("y", "{u}", ""),
    };
    char err[256];
    assert_int_equal(lwm2m_bs_store_put(f->s, batch, 5, err, sizeof err), 0);
    seen v;
    assert_string_equal(listing(f->s, EP, &v), "a|{1}|||;b|{2}||id-b|;c|{3}||id-c|kc;");
    assert_int_equal(v.count, 3);
    assert_string_equal(listing(f->s, TPL, &v), "y|{u}|||;z|{t}|dev-*||;");
    /* A NULL match is stored as "". */
    lwm2m_bs_entry t = tpl("x", "{}", NULL);
    put1(f->s, t);
    assert_string_equal(listing(f->s, TPL, &v), "x|{}|||;y|{u}|||;z|{t}|dev-*||;");
}

static void list_stops_on_nonzero(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "e%d", i);
        put1(f->s, ep(name, "{}", NULL, NULL));
    }
    seen v = {.stop_at = 2};
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, collect, &v), 7);
    assert_int_equal(v.count, 2);
    assert_string_equal(v.text, "e0|{}|||;e1|{}|||;");
    /* The store is usable after a stopped listing. */
    v = (seen){0};
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, collect, &v), 0);
    assert_int_equal(v.count, 5);
    v = (seen){0};
    assert_int_equal(lwm2m_bs_store_list(f->s, TPL, collect, &v), 0);
    assert_int_equal(v.count, 0);
}

/* get(), list() and put() from inside list(). */
static int nested(void *ctx, const lwm2m_bs_entry *e)
{
    seen *v = ctx;
    char *json = NULL;
    if (lwm2m_bs_store_get(v->reenter, EP, e->name, &json) != 0 || strcmp(json, e->json) != 0) {
        free(json);
        return 5;
    }
    free(json);
    seen inner = {0};
    int rc = lwm2m_bs_store_list(v->reenter, EP, collect, &inner);
    if (rc != 0)
        return rc;
    v->count += inner.count;
    lwm2m_bs_entry t = tpl(e->name, "{}", "");
    return lwm2m_bs_store_put(v->reenter, &t, 1, NULL, 0);
}

static void list_reentrant(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("a", "{1}", NULL, NULL));
    put1(f->s, ep("b", "{2}", NULL, NULL));
    put1(f->s, ep("c", "{3}", NULL, NULL));
    seen v = {.reenter = f->s};
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, nested, &v), 0);
    assert_int_equal(v.count, 9);
    assert_string_equal(listing(f->s, TPL, &v), "a|{}|||;b|{}|||;c|{}|||;");
}

static void remove_entries(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", "id-1", "k"));
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, "ep1"), 0);
    assert_absent(f->s, EP, "ep1");
    assert_owner(f->s, "id-1", NULL, NULL);
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, "ep1"), LWM2M_ERR_NOT_FOUND);
    assert_string_equal(lwm2m_bs_store_last_error(f->s), "endpoint 'ep1' not found");
    assert_int_equal(lwm2m_bs_store_remove(f->s, TPL, "ep1"), LWM2M_ERR_NOT_FOUND);
    /* The identity is free again. */
    put1(f->s, ep("ep2", "{}", "id-1", "k2"));
    assert_owner(f->s, "id-1", "ep2", "k2");
}

static void put_empty_batch(void **state)
{
    fixture *f = *state;
    char err[64] = "stale";
    assert_int_equal(lwm2m_bs_store_put(f->s, NULL, 0, err, sizeof err), 0);
    assert_string_equal(err, "");
}

/* ---- all-or-nothing batches ---- */

static void batch_duplicate_identity_inside(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("old", "{\"old\":1}", "id-old", "k"));
    lwm2m_bs_entry batch[] = {
        ep("ep1", "{1}", "id-1", "k1"),          tpl("t", "{t}", "*"),
        ep("ep2", "{2}", "id-2", "k2"),          ep("ep3", "{3}", "id-1", "k3"),
        ep("old", "{\"old\":2}", "id-old", "k"),
    };
    char err[256];
    assert_int_equal(lwm2m_bs_store_put(f->s, batch, 5, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(err,
                        "endpoint 'ep3': psk identity 'id-1' already belongs to endpoint 'ep1'");
    assert_string_equal(lwm2m_bs_store_last_error(f->s), err);
    assert_absent(f->s, EP, "ep1");
    assert_absent(f->s, EP, "ep2");
    assert_absent(f->s, EP, "ep3");
    assert_absent(f->s, TPL, "t");
    assert_doc(f->s, EP, "old", "{\"old\":1}");
    assert_owner(f->s, "id-1", NULL, NULL);
    assert_owner(f->s, "id-old", "old", "k");
    seen v;
    assert_string_equal(listing(f->s, EP, &v), "old|{\"old\":1}||id-old|k;");
}

static void batch_identity_of_existing_endpoint(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep0", "{0}", "id-0", "k0"));
    lwm2m_bs_entry batch[] = {ep("ep5", "{5}", "id-5", "k5"), ep("ep6", "{6}", "id-0", "k6")};
    char err[256];
    assert_int_equal(lwm2m_bs_store_put(f->s, batch, 2, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(err,
                        "endpoint 'ep6': psk identity 'id-0' already belongs to endpoint 'ep0'");
    assert_absent(f->s, EP, "ep5");
    assert_absent(f->s, EP, "ep6");
    assert_owner(f->s, "id-0", "ep0", "k0");
    assert_owner(f->s, "id-5", NULL, NULL);
    /* A binary identity is shown in hex. */
    lwm2m_bs_entry bin = ep("b1", "{}", NULL, NULL);
    static const uint8_t id[] = {0x00, 0xff, 'a'};
    bin.psk_identity = id;
    bin.psk_identity_len = sizeof id;
    put1(f->s, bin);
    bin.name = "b2";
    assert_int_equal(lwm2m_bs_store_put(f->s, &bin, 1, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(err,
                        "endpoint 'b2': psk identity '0x00ff61' already belongs to endpoint 'b1'");
    char *name = NULL;
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, id, sizeof id, &name, NULL, NULL), 0);
    assert_string_equal(name, "b1");
    free(name);
    /* A prefix of it is another identity. */
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, id, 2, NULL, NULL, NULL),
                     LWM2M_ERR_NOT_FOUND);
}

static void batch_invalid_entry_stores_nothing(void **state)
{
    fixture *f = *state;
    char err[256], longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    uint8_t big[LWM2M_PSK_IDENTITY_MAX + 1] = {1};
    struct {
        lwm2m_bs_entry bad;
        const char *want;
    } cases[] = {
        {{.kind = EP, .name = "x", .json = NULL}, "endpoint 'x': no document"},
        {{.kind = EP, .name = "", .json = "{}"}, "entry 1: endpoint without a name"},
        {{.kind = EP, .name = NULL, .json = "{}"}, "entry 1: endpoint without a name"},
        {{.kind = (lwm2m_bs_entry_kind)5, .name = "x", .json = "{}"}, "entry 1: unknown kind 5"},
        {{.kind = EP, .name = longname, .json = "{}"},
         "entry 1: endpoint name longer than 255 bytes"},
        {{.kind = TPL, .name = longname + 192, .json = "{}"},
         "entry 1: template name longer than 63 bytes"},
        {{.kind = EP, .name = "x", .json = "{}", .match = "*"},
         "endpoint 'x': a match pattern belongs to templates"},
        {{.kind = TPL, .name = "t", .json = "{}", .psk_identity = big, .psk_identity_len = 1},
         "template 't': PSK credentials belong to endpoints"},
        {{.kind = EP, .name = "x", .json = "{}", .psk_identity_len = 3},
         "endpoint 'x': PSK length without data"},
        {{.kind = EP, .name = "x", .json = "{}", .psk_identity = big, .psk_identity_len = 129},
         "endpoint 'x': psk identity longer than 128 bytes"},
        {{.kind = EP, .name = "x", .json = "{}", .psk_key = big, .psk_key_len = 65},
         "endpoint 'x': psk key longer than 64 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_bs_entry batch[2] = {ep("good", "{}", "id-g", "k"), cases[i].bad};
        assert_int_equal(lwm2m_bs_store_put(f->s, batch, 2, err, sizeof err), LWM2M_ERR_INVALID);
        assert_string_equal(err, cases[i].want);
        assert_absent(f->s, EP, "good");
    }
    assert_int_equal(lwm2m_bs_store_put(NULL, NULL, 0, err, sizeof err), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_put(f->s, NULL, 1, err, sizeof err), LWM2M_ERR_INVALID);
    /* Names at the limits are accepted. */
    longname[255] = '\0';
    put1(f->s, ep(longname, "{}", NULL, NULL));
    put1(f->s, tpl(longname + 192, "{}", ""));
    assert_doc(f->s, TPL, longname + 192, "{}");
}

/* ---- identities ---- */

static void find_identity(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", "id-1", "secret-1"));
    put1(f->s, ep("ep2", "{}", "id-2", NULL)); /* identity without a key */
    put1(f->s, ep("ep3", "{}", NULL, NULL));
    put1(f->s, ep("ep4", "{}", NULL, NULL)); /* several without identity */
    assert_owner(f->s, "id-1", "ep1", "secret-1");
    assert_owner(f->s, "id-2", "ep2", "");
    assert_owner(f->s, "id-3", NULL, NULL);
    assert_owner(f->s, "ep1", NULL, NULL);
    assert_non_null(strstr(lwm2m_bs_store_last_error(f->s), "no endpoint"));

    /* Either output may be NULL. */
    uint8_t key[LWM2M_PSK_KEY_MAX];
    size_t key_len = 0;
    assert_int_equal(
        lwm2m_bs_store_find_identity(f->s, (const uint8_t *)"id-1", 4, NULL, key, &key_len), 0);
    assert_int_equal(key_len, 8);
    char *name = NULL;
    assert_int_equal(
        lwm2m_bs_store_find_identity(f->s, (const uint8_t *)"id-1", 4, &name, NULL, NULL), 0);
    assert_string_equal(name, "ep1");
    free(name);

    /* Sizes no identity has, and bad arguments. */
    uint8_t huge[LWM2M_PSK_IDENTITY_MAX + 1] = {0};
    name = (char *)"untouched";
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, huge, sizeof huge, &name, NULL, NULL),
                     LWM2M_ERR_NOT_FOUND);
    assert_null(name);
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, huge, 0, NULL, NULL, NULL),
                     LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, NULL, 3, NULL, NULL, NULL),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_find_identity(f->s, huge, 1, NULL, key, NULL),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_find_identity(NULL, huge, 1, NULL, NULL, NULL),
                     LWM2M_ERR_INVALID);
}

static void identity_moves_on_replace(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", "id-a", "ka"));
    put1(f->s, ep("ep1", "{}", "id-b", "kb"));
    assert_owner(f->s, "id-a", NULL, NULL);
    assert_owner(f->s, "id-b", "ep1", "kb");
    put1(f->s, ep("ep2", "{}", "id-a", "k2")); /* free for another endpoint */
    assert_owner(f->s, "id-a", "ep2", "k2");
    /* A template of the same name does not own the endpoint's identity. */
    put1(f->s, tpl("ep1", "{}", ""));
    assert_owner(f->s, "id-b", "ep1", "kb");
}

static void identity_swap_in_batch(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", "id-a", "ka"));
    put1(f->s, ep("ep2", "{}", "id-b", "kb"));
    lwm2m_bs_entry batch[] = {ep("ep1", "{1}", "id-b", "k1"), ep("ep2", "{2}", "id-a", "k2")};
    char err[256];
    assert_int_equal(lwm2m_bs_store_put(f->s, batch, 2, err, sizeof err), 0);
    assert_owner(f->s, "id-a", "ep2", "k2");
    assert_owner(f->s, "id-b", "ep1", "k1");
}

/* ---- status ---- */

static void status_default_zeroed(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status st, zero;
    memset(&st, 0x5a, sizeof st);
    memset(&zero, 0, sizeof zero);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "nobody", &st), 0);
    assert_memory_equal(&st, &zero, sizeof st);
}

static void status_round_trip(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status st = {
        .next_plan = UINT32_MAX, .failed = true, .updated_s = INT64_C(-5), .sessions = 4000000000u};
    snprintf(st.outcome, sizeof st.outcome, "finish-rejected");
    memset(st.diagnostic, 'd', sizeof st.diagnostic - 1); /* full length */
    /* No entry is needed: endpoints of a template have a status too. */
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "dev-1", &st), 0);
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "dev-1", &got), 0);
    assert_int_equal(got.next_plan, UINT32_MAX);
    assert_true(got.failed);
    assert_string_equal(got.outcome, "finish-rejected");
    assert_string_equal(got.diagnostic, st.diagnostic);
    assert_int_equal(got.updated_s, -5);
    assert_int_equal(got.sessions, 4000000000u);

    /* Overwrite; updated_s 0 means now. */
    lwm2m_bs_endpoint_status next = {.sessions = 1};
    snprintf(next.outcome, sizeof next.outcome, "success");
    int64_t before = (int64_t)time(NULL);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "dev-1", &next), 0);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "dev-1", &got), 0);
    assert_int_equal(got.next_plan, 0);
    assert_false(got.failed);
    assert_string_equal(got.outcome, "success");
    assert_string_equal(got.diagnostic, "");
    assert_true(got.updated_s >= before && got.updated_s <= (int64_t)time(NULL));
    assert_int_equal(got.sessions, 1);
    /* Others untouched. */
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "dev-2", &got), 0);
    assert_int_equal(got.sessions, 0);
}

static void status_removed_with_endpoint(void **state)
{
    fixture *f = *state;
    put1(f->s, ep("ep1", "{}", NULL, NULL));
    put1(f->s, tpl("ep1", "{}", ""));
    lwm2m_bs_endpoint_status st = {.sessions = 3, .updated_s = 10};
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep1", &st), 0);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep2", &st), 0);
    /* Removing a template keeps the status of the endpoint of that name. */
    assert_int_equal(lwm2m_bs_store_remove(f->s, TPL, "ep1"), 0);
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep1", &got), 0);
    assert_int_equal(got.sessions, 3);
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, "ep1"), 0);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep1", &got), 0);
    assert_int_equal(got.sessions, 0);
    assert_int_equal(got.updated_s, 0);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep2", &got), 0);
    assert_int_equal(got.sessions, 3);
    /* Replacing an endpoint keeps its status. */
    put1(f->s, ep("ep2", "{}", NULL, NULL));
    put1(f->s, ep("ep2", "{\"v\":2}", NULL, NULL));
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep2", &got), 0);
    assert_int_equal(got.sessions, 3);
}

static void bad_arguments(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status st = {0}, got;
    memset(st.outcome, 'x', sizeof st.outcome); /* no NUL */
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep", &st), LWM2M_ERR_INVALID);
    memset(st.outcome, 0, sizeof st.outcome);
    memset(st.diagnostic, 'x', sizeof st.diagnostic);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep", &st), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep", &got), 0);
    assert_int_equal(got.updated_s, 0); /* nothing was written */
    memset(st.diagnostic, 0, sizeof st.diagnostic);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "", &st), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, NULL, &st), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep", NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_set_status(NULL, "ep", &st), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, NULL, &got), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep", NULL), LWM2M_ERR_INVALID);

    char *json = NULL;
    assert_int_equal(lwm2m_bs_store_get(f->s, EP, NULL, &json), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get(f->s, EP, "x", NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get(f->s, (lwm2m_bs_entry_kind)2, "x", &json),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_get(NULL, EP, "x", &json), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_remove(f->s, (lwm2m_bs_entry_kind)-1, "x"), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, NULL, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_list(f->s, (lwm2m_bs_entry_kind)9, collect, NULL),
                     LWM2M_ERR_INVALID);
    assert_string_equal(lwm2m_bs_store_last_error(NULL), "");
}

/* ---- sharing and durability ---- */

static void two_handles_one_file(void **state)
{
    fixture *f = *state;
    lwm2m_bs_store *b;
    char err[256];
    assert_int_equal(lwm2m_bs_store_open(f->path, &b, err, sizeof err), 0);
    put1(f->s, ep("from-a", "{\"a\":1}", "id-a", "ka"));
    assert_doc(b, EP, "from-a", "{\"a\":1}");
    put1(b, ep("from-b", "{\"b\":1}", "id-b", "kb"));
    seen v;
    assert_string_equal(listing(f->s, EP, &v),
                        "from-a|{\"a\":1}||id-a|ka;from-b|{\"b\":1}||id-b|kb;");
    /* The identity rule holds across handles. */
    lwm2m_bs_entry e = ep("other", "{}", "id-a", "x");
    assert_int_equal(lwm2m_bs_store_put(b, &e, 1, err, sizeof err), LWM2M_ERR_EXISTS);
    lwm2m_bs_endpoint_status st = {.sessions = 9, .updated_s = 1};
    assert_int_equal(lwm2m_bs_store_set_status(b, "from-a", &st), 0);
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "from-a", &got), 0);
    assert_int_equal(got.sessions, 9);
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, "from-b"), 0);
    assert_absent(b, EP, "from-b");
    lwm2m_bs_store_close(b);
}

static int read_byte(int fd)
{
    char c;
    return read(fd, &c, 1) == 1 ? c : -1;
}

static void write_byte(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        _exit(9);
}

/* The child's half of two_processes; its exit code tells what failed. */
static void child_side(const char *path, int rd, int wr)
{
    lwm2m_bs_store *s;
    char err[256];
    if (lwm2m_bs_store_open(path, &s, err, sizeof err) != 0)
        _exit(2);
    lwm2m_bs_entry e = ep("from-child", "{\"child\":1}", "id-c", "kc");
    if (lwm2m_bs_store_put(s, &e, 1, err, sizeof err) != 0)
        _exit(3);
    write_byte(wr, 'c');
    if (read_byte(rd) != 'p')
        _exit(4);
    char *json = NULL;
    int rc = lwm2m_bs_store_get(s, EP, "from-parent", &json);
    int ok = rc == 0 && strcmp(json, "{\"parent\":1}") == 0;
    free(json);
    lwm2m_bs_store_close(s);
    _exit(ok ? 0 : 5);
}

static void two_processes(void **state)
{
    fixture *f = *state;
    /* No connection may cross fork(): the child opens its own, after it. */
    lwm2m_bs_store_close(f->s);
    f->s = NULL;
    int c2p[2], p2c[2];
    assert_int_equal(pipe(c2p), 0);
    assert_int_equal(pipe(p2c), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(c2p[0]);
        close(p2c[1]);
        child_side(f->path, p2c[0], c2p[1]);
    }
    close(c2p[1]);
    close(p2c[0]);
    char err[256];
    assert_int_equal(lwm2m_bs_store_open(f->path, &f->s, err, sizeof err), 0);
    assert_int_equal(read_byte(c2p[0]), 'c');
    assert_doc(f->s, EP, "from-child", "{\"child\":1}");
    put1(f->s, ep("from-parent", "{\"parent\":1}", "id-p", "kp"));
    write_byte(p2c[1], 'p');
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(c2p[0]);
    close(p2c[1]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_owner(f->s, "id-c", "from-child", "kc");
}

#define KILL_BATCH  50
#define KILL_ROUNDS 20

/* Writes batches forever, each holding one generation in all its documents. */
static void writer(const char *path, unsigned round)
{
    lwm2m_bs_store *s;
    char err[256];
    if (lwm2m_bs_store_open(path, &s, err, sizeof err) != 0)
        _exit(2);
    char names[KILL_BATCH][16], ids[KILL_BATCH][16], docs[KILL_BATCH][64];
    lwm2m_bs_entry batch[KILL_BATCH];
    for (unsigned long long gen = round * 1000000ull + 1;; gen++) {
        for (int i = 0; i < KILL_BATCH; i++) {
            snprintf(names[i], sizeof names[i], "ep%02d", i);
            snprintf(ids[i], sizeof ids[i], "id-%02d", i);
            snprintf(docs[i], sizeof docs[i], "{\"gen\":%llu,\"i\":%d}", gen, i);
            batch[i] = ep(names[i], docs[i], ids[i], "key");
        }
        if (lwm2m_bs_store_put(s, batch, KILL_BATCH, err, sizeof err) != 0)
            _exit(3);
    }
}

typedef struct gens {
    unsigned long long gen;
    int count;
    int mixed;
} gens;

static int gather_gen(void *ctx, const lwm2m_bs_entry *e)
{
    gens *g = ctx;
    unsigned long long gen;
    int i;
    if (sscanf(e->json, "{\"gen\":%llu,\"i\":%d}", &gen, &i) != 2)
        return 1;
    if (g->count > 0 && gen != g->gen)
        g->mixed++;
    g->gen = gen;
    g->count++;
    return 0;
}

static void kill9_durability(void **state)
{
    fixture *f = *state;
    lwm2m_bs_store_close(f->s);
    f->s = NULL;
    unsigned seed = 20240601;
    unsigned long long last = 0;
    int rounds_with_commits = 0;
    for (unsigned round = 1; round <= KILL_ROUNDS; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            writer(f->path, round);
        struct timespec ts = {0, (long)(1 + rand_r(&seed) % 25) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status)); /* not an early exit on an error */
        assert_int_equal(WTERMSIG(status), SIGKILL);

        char out[64], err[256];
        sql_text(f->path, "PRAGMA integrity_check", out, sizeof out);
        assert_string_equal(out, "ok");
        lwm2m_bs_store *s;
        assert_int_equal(lwm2m_bs_store_open(f->path, &s, err, sizeof err), 0);
        gens g = {0};
        assert_int_equal(lwm2m_bs_store_list(s, EP, gather_gen, &g), 0);
        assert_int_equal(g.mixed, 0);
        assert_true(g.count == 0 || g.count == KILL_BATCH);
        assert_true(g.gen >= last);
        if (g.gen > last && g.gen > round * 1000000ull)
            rounds_with_commits++;
        last = g.gen;
        /* Identities stayed with their endpoints. */
        if (g.count > 0)
            assert_owner(s, "id-07", "ep07", "key");
        lwm2m_bs_store_close(s);
    }
    assert_true(last > 0);
    assert_true(rounds_with_commits > 0);
    assert_int_equal(lwm2m_bs_store_open(f->path, &f->s, NULL, 0), 0);
}

/* ---- several statuses in one call (lwm2m_bs_store_set_statuses) ---- */

static lwm2m_bs_endpoint_status status_of(uint32_t sessions, const char *outcome)
{
    lwm2m_bs_endpoint_status st = {.next_plan = sessions % 3, .sessions = sessions};
    st.updated_s = 1000 + sessions;
    snprintf(st.outcome, sizeof st.outcome, "%s", outcome);
    snprintf(st.diagnostic, sizeof st.diagnostic, "diag-%u", (unsigned)sessions);
    return st;
}

static void assert_status(lwm2m_bs_store *s, const char *endpoint, uint32_t sessions,
                          const char *outcome)
{
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(s, endpoint, &got), 0);
    lwm2m_bs_endpoint_status want = status_of(sessions, outcome);
    assert_int_equal(got.sessions, want.sessions);
    assert_int_equal(got.next_plan, want.next_plan);
    assert_int_equal(got.updated_s, want.updated_s);
    assert_false(got.failed);
    assert_string_equal(got.outcome, want.outcome);
    assert_string_equal(got.diagnostic, want.diagnostic);
}

static void assert_no_status(lwm2m_bs_store *s, const char *endpoint)
{
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(s, endpoint, &got), 0);
    assert_int_equal(got.updated_s, 0);
    assert_int_equal(got.sessions, 0);
    assert_string_equal(got.outcome, "");
}

static void statuses_batch_all_readable(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status a = status_of(1, "success"), b = status_of(2, "timeout"),
                             c = status_of(3, "request-failed");
    c.failed = true;
    lwm2m_bs_status_update u[] = {{"ep-a", &a}, {"ep-b", &b}, {"ep-c", &c}};
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, u, 3), 0);
    assert_status(f->s, "ep-a", 1, "success");
    assert_status(f->s, "ep-b", 2, "timeout");
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep-c", &got), 0);
    assert_true(got.failed);
    assert_string_equal(got.outcome, "request-failed");
    assert_int_equal(got.sessions, 3);
    assert_no_status(f->s, "ep-d");

    /* A second batch overwrites some, adds one, leaves the others; an endpoint given twice
     * takes the later update (they are applied in order). */
    lwm2m_bs_endpoint_status b2 = status_of(20, "success"), d = status_of(4, "success"),
                             b3 = status_of(21, "no-plan");
    lwm2m_bs_status_update u2[] = {{"ep-b", &b2}, {"ep-d", &d}, {"ep-b", &b3}};
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, u2, 3), 0);
    assert_status(f->s, "ep-a", 1, "success");
    assert_status(f->s, "ep-b", 21, "no-plan");
    assert_status(f->s, "ep-d", 4, "success");
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "ep-c", &got), 0);
    assert_int_equal(got.sessions, 3);

    /* Another handle on the file sees them all (committed, not only cached). */
    lwm2m_bs_store *other;
    char err[256];
    assert_int_equal(lwm2m_bs_store_open(f->path, &other, err, sizeof err), 0);
    assert_status(other, "ep-b", 21, "no-plan");
    assert_status(other, "ep-d", 4, "success");
    lwm2m_bs_store_close(other);
}

/* As many as the runtime batches in one turn (STATUS_BATCH_MAX 256) and more. */
static void statuses_batch_large(void **state)
{
    fixture *f = *state;
    enum { N = 600 };
    static char names[N][16];
    static lwm2m_bs_endpoint_status sts[N];
    static lwm2m_bs_status_update u[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "many-%03d", i);
        sts[i] = status_of((uint32_t)i + 1, i % 2 ? "success" : "timeout");
        u[i].endpoint = names[i];
        u[i].status = &sts[i];
    }
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, u, N), 0);
    for (int i = 0; i < N; i++)
        assert_status(f->s, names[i], (uint32_t)i + 1, i % 2 ? "success" : "timeout");
    char out[32];
    sql_text(f->path, "SELECT count(*) FROM status", out, sizeof out);
    assert_string_equal(out, "600");
}

/* Invalid input anywhere in a batch: LWM2M_ERR_INVALID before anything is written. */
static void statuses_batch_invalid_writes_nothing(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status old = status_of(7, "success");
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep-old", &old), 0);
    lwm2m_bs_endpoint_status a = status_of(1, "success"), b = status_of(2, "timeout");
    lwm2m_bs_endpoint_status unterminated = status_of(3, "success");
    memset(unterminated.diagnostic, 'x', sizeof unterminated.diagnostic);

    lwm2m_bs_status_update ok2[] = {{"ep-a", &a}, {"ep-old", &b}};
    assert_int_equal(lwm2m_bs_store_set_statuses(NULL, ok2, 2), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, NULL, 2), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, ok2, 0), LWM2M_ERR_INVALID);

    /* The bad update last, so a store writing as it checks would have written the others. */
    lwm2m_bs_status_update empty_name[] = {{"ep-a", &a}, {"ep-old", &b}, {"", &a}};
    lwm2m_bs_status_update null_name[] = {{"ep-a", &a}, {"ep-old", &b}, {NULL, &a}};
    lwm2m_bs_status_update null_status[] = {{"ep-a", &a}, {"ep-old", &b}, {"ep-c", NULL}};
    lwm2m_bs_status_update bad_text[] = {{"ep-a", &a}, {"ep-old", &b}, {"ep-c", &unterminated}};
    lwm2m_bs_status_update empty_first[] = {{"", &a}, {"ep-a", &a}, {"ep-old", &b}};
    const lwm2m_bs_status_update *bad[] = {empty_name, null_name, null_status, bad_text,
                                           empty_first};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(lwm2m_bs_store_set_statuses(f->s, bad[i], 3), LWM2M_ERR_INVALID);
        assert_no_status(f->s, "ep-a");
        assert_no_status(f->s, "ep-c");
        assert_status(f->s, "ep-old", 7, "success");
    }
    char out[32];
    sql_text(f->path, "SELECT count(*) FROM status", out, sizeof out);
    assert_string_equal(out, "1");
    /* The store is usable afterwards. */
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, ok2, 2), 0);
    assert_status(f->s, "ep-a", 1, "success");
    assert_status(f->s, "ep-old", 2, "timeout");
}

/* A write that fails in the middle of a batch (the database refuses one row through a
 * trigger): the error is returned and none of the batch stays, the earlier rows included;
 * the connection is not left inside a transaction. */
static void statuses_batch_failure_midway_writes_nothing(void **state)
{
    fixture *f = *state;
    lwm2m_bs_endpoint_status old = status_of(7, "success");
    assert_int_equal(lwm2m_bs_store_set_status(f->s, "ep-old", &old), 0);
    sql_exec(f->path, "CREATE TRIGGER refuse_poison BEFORE INSERT ON status"
                      " WHEN NEW.endpoint = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;");
    lwm2m_bs_endpoint_status a = status_of(1, "success"), b = status_of(2, "timeout"),
                             p = status_of(3, "success"), c = status_of(4, "success");
    lwm2m_bs_status_update u[] = {{"ep-a", &a}, {"ep-old", &b}, {"poison", &p}, {"ep-c", &c}};
    int rc = lwm2m_bs_store_set_statuses(f->s, u, 4);
    assert_int_not_equal(rc, LWM2M_OK);
    assert_non_null(strstr(lwm2m_bs_store_last_error(f->s), "poison"));
    assert_no_status(f->s, "ep-a");
    assert_no_status(f->s, "ep-c");
    assert_no_status(f->s, "poison");
    assert_status(f->s, "ep-old", 7, "success");
    /* Seen from another connection too: nothing of it was committed. */
    char out[64];
    sql_text(f->path, "SELECT group_concat(endpoint) FROM status", out, sizeof out);
    assert_string_equal(out, "ep-old");

    /* A single update that fails writes nothing either. */
    lwm2m_bs_status_update one[] = {{"poison", &p}};
    assert_int_not_equal(lwm2m_bs_store_set_statuses(f->s, one, 1), LWM2M_OK);
    assert_no_status(f->s, "poison");

    /* No transaction was left open: the next batch commits, and another connection sees it. */
    lwm2m_bs_status_update next[] = {{"ep-a", &a}, {"ep-c", &c}};
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, next, 2), 0);
    sql_text(f->path,
             "SELECT group_concat(endpoint) FROM (SELECT endpoint FROM status"
             " ORDER BY endpoint)",
             out, sizeof out);
    assert_string_equal(out, "ep-a,ep-c,ep-old");
    sql_exec(f->path, "INSERT INTO status VALUES ('by-sql', 0, 0, 'x', '', 1, 1)");
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "by-sql", &a), 0);
    assert_string_equal(a.outcome, "x");
}

/* Another process holds the write lock for a moment: the batch waits for it (busy timeout)
 * and then commits all of its updates. */
static void statuses_batch_waits_for_lock(void **state)
{
    fixture *f = *state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        sqlite3 *db;
        if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "INSERT INTO status VALUES ('from-child', 0, 0, 'held', '', 1, 1)",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(2);
        write_byte(ready[1], 'l');
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
        _exit(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK &&
                      sqlite3_close(db) == SQLITE_OK
                  ? 0
                  : 3);
    }
    close(ready[1]);
    assert_int_equal(read_byte(ready[0]), 'l');
    close(ready[0]);
    lwm2m_bs_endpoint_status a = status_of(1, "success"), b = status_of(2, "timeout");
    lwm2m_bs_status_update u[] = {{"ep-a", &a}, {"ep-b", &b}};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lwm2m_bs_store_set_statuses(f->s, u, 2), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* It did wait: the child held the lock for 300 ms after telling us. */
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 200);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_status(f->s, "ep-a", 1, "success");
    assert_status(f->s, "ep-b", 2, "timeout");
    lwm2m_bs_endpoint_status got;
    assert_int_equal(lwm2m_bs_store_get_status(f->s, "from-child", &got), 0);
    assert_string_equal(got.outcome, "held");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(open_creates_file_and_schema),
        T(reopen_keeps_data),
        T(spec_forms),
        T(bad_specs),
        T(bad_paths),
        T(read_only_file),
        T(newer_version_refused),
        T(foreign_database_refused),
        T(several_stores_at_once),
        T(put_get_kinds_separate),
        T(replace_entry),
        T(list_in_name_order),
        T(list_stops_on_nonzero),
        T(list_reentrant),
        T(remove_entries),
        T(put_empty_batch),
        T(batch_duplicate_identity_inside),
        T(batch_identity_of_existing_endpoint),
        T(batch_invalid_entry_stores_nothing),
        T(find_identity),
        T(identity_moves_on_replace),
        T(identity_swap_in_batch),
        T(status_default_zeroed),
        T(status_round_trip),
        T(status_removed_with_endpoint),
        T(bad_arguments),
        T(statuses_batch_all_readable),
        T(statuses_batch_large),
        T(statuses_batch_invalid_writes_nothing),
        T(statuses_batch_failure_midway_writes_nothing),
        T(statuses_batch_waits_for_lock),
        T(two_handles_one_file),
        T(two_processes),
        T(kill9_durability),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
