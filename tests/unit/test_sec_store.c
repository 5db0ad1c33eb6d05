/* The LwM2M Server's credential store (SQLite): binary round trips, replace, identity
 * uniqueness, lookups, listing, bad input, specs and paths, persistence, sharing one file
 * with the Bootstrap Server's store in either order; RPK and X.509 entries and the cert map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_dir.h"
#include <sqlite3.h>

#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"
#include "lwm2m/sec_store.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    lwm2m_sec_store *s; /* open on `path` */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    if (temp_dir_make(f->dir, sizeof f->dir, "test_sec_store") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/store.db", f->dir);
    char err[256];
    if (lwm2m_sec_store_open(f->path, &f->s, err, sizeof err) != 0) {
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
    lwm2m_sec_store_close(f->s);
    temp_dir_remove(f->dir);
    free(f);
    return 0;
}

/* Credentials from bytes; the rest of the struct zeroed, as get() returns it. */
static lwm2m_sec_info creds(const char *ep, const void *id, size_t id_len, const void *key,
                            size_t key_len)
{
    lwm2m_sec_info i;
    memset(&i, 0, sizeof i);
    snprintf(i.endpoint, sizeof i.endpoint, "%s", ep);
    memcpy(i.psk_identity, id, id_len);
    i.psk_identity_len = id_len;
    memcpy(i.psk_key, key, key_len);
    i.psk_key_len = key_len;
    return i;
}

static lwm2m_sec_info text_creds(const char *ep, const char *id, const char *key)
{
    return creds(ep, id, strlen(id), key, strlen(key));
}

static void put_ok(lwm2m_sec_store *s, lwm2m_sec_info i)
{
    char err[256] = "stale";
    int rc = lwm2m_sec_store_put(s, &i, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "put: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    assert_string_equal(lwm2m_sec_store_last_error(s), "");
}

/* get() gives exactly `want`, padding included. */
static void assert_stored(lwm2m_sec_store *s, const lwm2m_sec_info *want)
{
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(s, want->endpoint, &got), 0);
    assert_memory_equal(&got, want, sizeof got);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(
        lwm2m_sec_store_find_identity(s, want->psk_identity, want->psk_identity_len, &got), 0);
    assert_memory_equal(&got, want, sizeof got);
}

static void assert_zeroed(const lwm2m_sec_info *i)
{
    lwm2m_sec_info zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(i, &zero, sizeof zero);
}

static void assert_absent(lwm2m_sec_store *s, const char *ep)
{
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(s, ep, &got), LWM2M_ERR_NOT_FOUND);
    assert_zeroed(&got);
}

static void assert_no_identity(lwm2m_sec_store *s, const void *id, size_t len)
{
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_find_identity(s, id, len, &got), LWM2M_ERR_NOT_FOUND);
    assert_zeroed(&got);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' lacks '%s'", text, part);
}

/* The first column of every row of `sql`, comma-separated. */
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

/* Collects list() as "endpoint|identity|key;" (text credentials only). */
typedef struct seen {
    char text[2048];
    int count;
    int stop_at; /* return stop_rc (7 when 0) at this visit (1-based); 0 never */
    int stop_rc;
    lwm2m_sec_store *reenter;
} seen;

static int collect(void *ctx, const lwm2m_sec_info *i)
{
    seen *v = ctx;
    size_t at = strlen(v->text);
    snprintf(v->text + at, sizeof v->text - at, "%s|%.*s|%.*s;", i->endpoint,
             (int)i->psk_identity_len, (const char *)i->psk_identity, (int)i->psk_key_len,
             (const char *)i->psk_key);
    v->count++;
    if (v->reenter != NULL) {
        lwm2m_sec_info got;
        if (lwm2m_sec_store_get(v->reenter, i->endpoint, &got) != 0 ||
            memcmp(&got, i, sizeof got) != 0)
            return 99;
    }
    if (v->count != v->stop_at)
        return 0;
    return v->stop_rc != 0 ? v->stop_rc : 7;
}

static const char *listing(lwm2m_sec_store *s, seen *v)
{
    memset(v, 0, sizeof *v);
    assert_int_equal(lwm2m_sec_store_list(s, collect, v), 0);
    return v->text;
}

/* ---- opening ---- */

static void open_creates_table(void **state)
{
    fixture *f = *state;
    char out[512];
    sql_text(f->path, "PRAGMA journal_mode", out, sizeof out);
    assert_string_equal(out, "wal");
    sql_text(f->path, "SELECT sql FROM sqlite_schema WHERE name = 'server_security'", out,
             sizeof out);
    assert_contains(out, "psk_identity BLOB NOT NULL UNIQUE");
    /* Only our table; user_version stays the Bootstrap Server store's business (it accepts a
     * file whose only table is server_security: shares_file_sec_first). */
    sql_text(f->path, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "0");
    sql_text(f->path, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", out,
             sizeof out);
    assert_string_equal(out, "server_cert_map,server_pki,server_security");
    assert_string_equal(lwm2m_sec_store_last_error(f->s), "");
}

static void bad_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int rc;
        const char *err;
    } cases[] = {
        {"postgres://x", LWM2M_ERR_UNSUPPORTED, "postgresql store not built yet"},
        {"PostgreSQL://u@h/db", LWM2M_ERR_UNSUPPORTED, "postgresql store not built yet"},
        {"mysql://db/x", LWM2M_ERR_UNSUPPORTED, "unknown store scheme 'mysql'"},
        {"", LWM2M_ERR_INVALID, "empty store spec"},
        {NULL, LWM2M_ERR_INVALID, "empty store spec"},
        {"sqlite:", LWM2M_ERR_INVALID, "store spec 'sqlite:' has no path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_sec_store *s = (lwm2m_sec_store *)&s;
        char err[256] = "stale";
        assert_int_equal(lwm2m_sec_store_open(cases[i].spec, &s, err, sizeof err), cases[i].rc);
        assert_null(s);
        assert_string_equal(err, cases[i].err);
    }
    char err[64];
    assert_int_equal(lwm2m_sec_store_open("x.db", NULL, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "no place for the store handle");
    lwm2m_sec_store *s;
    assert_int_equal(lwm2m_sec_store_open("", &s, NULL, 0), LWM2M_ERR_INVALID);
    lwm2m_sec_store_close(NULL);
}

static void bad_paths(void **state)
{
    fixture *f = *state;
    char path[256], err[512] = "";
    lwm2m_sec_store *s = (lwm2m_sec_store *)&s;
    snprintf(path, sizeof path, "%s/missing/dir/x.db", f->dir);
    assert_int_equal(lwm2m_sec_store_open(path, &s, err, sizeof err), LWM2M_ERR_INVALID);
    assert_null(s);
    assert_contains(err, path);
    assert_contains(err, "unable to open database file");

    snprintf(path, sizeof path, "%s/text.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not an SQLite database, just some text long enough to look like one\n", fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(lwm2m_sec_store_open(path, &s, err, sizeof err), LWM2M_ERR_INVALID);
    assert_contains(err, path);
    assert_contains(err, "file is not a database");

    assert_int_equal(lwm2m_sec_store_open(f->dir, &s, err, sizeof err), LWM2M_ERR_INVALID);
    assert_contains(err, f->dir);
}

static void read_only_file(void **state)
{
    fixture *f = *state;
    lwm2m_sec_store_close(f->s);
    f->s = NULL;
    assert_int_equal(chmod(f->path, 0444), 0);
    if (geteuid() != 0) {
        lwm2m_sec_store *s;
        char err[512];
        assert_int_equal(lwm2m_sec_store_open(f->path, &s, err, sizeof err), LWM2M_ERR_INVALID);
        assert_contains(err, "read-only");
        return;
    }
    /* Root writes any file: check as an unprivileged user in a child process. */
    assert_int_equal(chmod(f->dir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[512] = "";
        lwm2m_sec_store *s = NULL;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        int rc = lwm2m_sec_store_open(f->path, &s, err, sizeof err);
        _exit(rc == LWM2M_ERR_INVALID && s == NULL && strstr(err, "read-only") != NULL ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- entries ---- */

static void binary_round_trip(void **state)
{
    fixture *f = *state;
    static const uint8_t id[] = {0x00, 'i', 0xff, 0x00, 0x80, '\''};
    static const uint8_t key[] = {0x00, 0x00, 0x01, 0xfe, 0x00};
    lwm2m_sec_info want = creds("dev-1", id, sizeof id, key, sizeof key);
    put_ok(f->s, want);
    assert_stored(f->s, &want);
    char out[128];
    sql_text(f->path, "SELECT hex(psk_identity) || '/' || hex(psk_key) FROM server_security", out,
             sizeof out);
    assert_string_equal(out, "0069FF008027/000001FE00");
    /* A prefix of the identity (up to its first 0x00) is another identity. */
    assert_no_identity(f->s, id, 1);
    assert_no_identity(f->s, id, sizeof id - 1);
}

static void max_sizes_round_trip(void **state)
{
    fixture *f = *state;
    char ep[LWM2M_SEC_ENDPOINT_MAX + 1];
    memset(ep, 'e', LWM2M_SEC_ENDPOINT_MAX);
    ep[LWM2M_SEC_ENDPOINT_MAX] = '\0';
    uint8_t id[LWM2M_SEC_IDENTITY_MAX], key[LWM2M_SEC_KEY_MAX];
    for (size_t i = 0; i < sizeof id; i++)
        id[i] = (uint8_t)(255 - i);
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)i;
    lwm2m_sec_info want = creds(ep, id, sizeof id, key, sizeof key);
    put_ok(f->s, want);
    assert_stored(f->s, &want);
    /* Single bytes. */
    lwm2m_sec_info small = creds("x", "\0", 1, "\0", 1);
    put_ok(f->s, small);
    assert_stored(f->s, &small);
}

static void replace_keeps_one_row(void **state)
{
    fixture *f = *state;
    put_ok(f->s, text_creds("ep1", "id-old", "key-old-longer"));
    lwm2m_sec_info next = text_creds("ep1", "id-new", "k");
    put_ok(f->s, next);
    assert_stored(f->s, &next); /* the shorter key leaves no old bytes behind */
    assert_no_identity(f->s, "id-old", 6);
    char out[64];
    sql_text(f->path, "SELECT count(*) FROM server_security", out, sizeof out);
    assert_string_equal(out, "1");
    /* The same identity again, new key. */
    lwm2m_sec_info again = text_creds("ep1", "id-new", "k2");
    put_ok(f->s, again);
    assert_stored(f->s, &again);
    /* The old identity is free for another endpoint. */
    lwm2m_sec_info other = text_creds("ep2", "id-old", "k3");
    put_ok(f->s, other);
    assert_stored(f->s, &other);
}

static void identity_conflict(void **state)
{
    fixture *f = *state;
    lwm2m_sec_info a = text_creds("ep-a", "shared", "key-a");
    lwm2m_sec_info b = text_creds("ep-b", "mine", "key-b");
    put_ok(f->s, a);
    put_ok(f->s, b);
    /* ep-b takes ep-a's identity: refused, ep-b keeps its own. */
    lwm2m_sec_info steal = text_creds("ep-b", "shared", "key-x");
    char err[256] = "";
    assert_int_equal(lwm2m_sec_store_put(f->s, &steal, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(
        err, "endpoint 'ep-b': psk identity 'shared' already belongs to endpoint 'ep-a'");
    assert_string_equal(lwm2m_sec_store_last_error(f->s), err);
    assert_stored(f->s, &a);
    assert_stored(f->s, &b);
    /* A new endpoint with it is not created. */
    steal = creds("ep-c", "shared", 6, "k", 1);
    assert_int_equal(lwm2m_sec_store_put(f->s, &steal, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_contains(err, "'ep-a'");
    assert_absent(f->s, "ep-c");
    /* Binary identities are shown in hex. */
    lwm2m_sec_info bin = creds("ep-d", "\x01\x00\xab", 3, "k", 1);
    put_ok(f->s, bin);
    bin = creds("ep-e", "\x01\x00\xab", 3, "k", 1);
    assert_int_equal(lwm2m_sec_store_put(f->s, &bin, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(
        err, "endpoint 'ep-e': psk identity '0x0100ab' already belongs to endpoint 'ep-d'");
    /* The store is usable after the refusal (its transaction was rolled back). */
    put_ok(f->s, text_creds("ep-e", "free", "k"));
    char out[64];
    sql_text(f->path, "SELECT count(*) FROM server_security", out, sizeof out);
    assert_string_equal(out, "4");
}

static void find_identity_hit_miss(void **state)
{
    fixture *f = *state;
    lwm2m_sec_info a = text_creds("ep-a", "id-a", "ka");
    put_ok(f->s, a);
    put_ok(f->s, text_creds("ep-b", "id-b", "kb"));
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_find_identity(f->s, (const uint8_t *)"id-a", 4, &got), 0);
    assert_memory_equal(&got, &a, sizeof got);
    assert_no_identity(f->s, "id-c", 4);
    assert_contains(lwm2m_sec_store_last_error(f->s), "no such entry");
    assert_no_identity(f->s, "ep-a", 4); /* an endpoint name is not an identity */
    assert_no_identity(f->s, "ID-A", 4);
    assert_no_identity(f->s, "id-a", 3);
    /* Sizes no identity has: not found, not invalid (a DTLS client sends anything). */
    uint8_t huge[LWM2M_SEC_IDENTITY_MAX + 1];
    memset(huge, 'x', sizeof huge);
    assert_no_identity(f->s, huge, sizeof huge);
    assert_no_identity(f->s, huge, 0);
    assert_no_identity(f->s, NULL, 0);
}

static void remove_twice(void **state)
{
    fixture *f = *state;
    lwm2m_sec_info b = text_creds("ep-b", "id-b", "kb");
    put_ok(f->s, text_creds("ep-a", "id-a", "ka"));
    put_ok(f->s, b);
    assert_int_equal(lwm2m_sec_store_remove(f->s, "ep-a"), 0);
    assert_string_equal(lwm2m_sec_store_last_error(f->s), "");
    assert_absent(f->s, "ep-a");
    assert_no_identity(f->s, "id-a", 4);
    assert_int_equal(lwm2m_sec_store_remove(f->s, "ep-a"), LWM2M_ERR_NOT_FOUND);
    assert_string_equal(lwm2m_sec_store_last_error(f->s), "remove 'ep-a': no such entry");
    assert_int_equal(lwm2m_sec_store_remove(f->s, "never"), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_sec_store_remove(f->s, ""), LWM2M_ERR_NOT_FOUND);
    assert_stored(f->s, &b);
    /* Its identity is free again. */
    put_ok(f->s, text_creds("ep-c", "id-a", "kc"));
}

static void list_in_endpoint_order(void **state)
{
    fixture *f = *state;
    seen v;
    assert_string_equal(listing(f->s, &v), "");
    assert_int_equal(v.count, 0);
    put_ok(f->s, text_creds("c", "id-c", "kc"));
    put_ok(f->s, text_creds("a", "id-a", "ka"));
    put_ok(f->s, text_creds("b", "id-b", "kb"));
    put_ok(f->s, text_creds("B", "id-B", "kB")); /* byte order: upper case first */
    put_ok(f->s, text_creds("a-1", "id-a1", "ka1"));
    assert_string_equal(listing(f->s, &v),
                        "B|id-B|kB;a|id-a|ka;a-1|id-a1|ka1;b|id-b|kb;c|id-c|kc;");
    assert_int_equal(v.count, 5);
    /* The callback may read the store. */
    memset(&v, 0, sizeof v);
    v.reenter = f->s;
    assert_int_equal(lwm2m_sec_store_list(f->s, collect, &v), 0);
    assert_int_equal(v.count, 5);
}

static void list_stops_early(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        char ep[8], id[8];
        snprintf(ep, sizeof ep, "e%d", i);
        snprintf(id, sizeof id, "i%d", i);
        put_ok(f->s, text_creds(ep, id, "k"));
    }
    seen v = {.stop_at = 2};
    assert_int_equal(lwm2m_sec_store_list(f->s, collect, &v), 7);
    assert_int_equal(v.count, 2);
    assert_string_equal(v.text, "e0|i0|k;e1|i1|k;");
    /* A negative return is passed on too. */
    v = (seen){.stop_at = 1, .stop_rc = LWM2M_ERR_RANGE};
    assert_int_equal(lwm2m_sec_store_list(f->s, collect, &v), LWM2M_ERR_RANGE);
    assert_string_equal(v.text, "e0|i0|k;");
    /* The store is usable after a stopped listing: write, then list all. */
    put_ok(f->s, text_creds("e5", "i5", "k"));
    assert_int_equal(lwm2m_sec_store_remove(f->s, "e0"), 0);
    assert_string_equal(listing(f->s, &v), "e1|i1|k;e2|i2|k;e3|i3|k;e4|i4|k;e5|i5|k;");
}

static void put_invalid(void **state)
{
    fixture *f = *state;
    put_ok(f->s, text_creds("keep", "id-keep", "k"));
    lwm2m_sec_info bad[7];
    bad[0] = text_creds("", "id", "k");
    bad[1] = creds("ep", "id", 0, "k", 1);
    bad[2] = creds("ep", "id", 2, "k", 0);
    bad[3] = creds("ep", "id", 2, "k", 1);
    bad[3].psk_identity_len = LWM2M_SEC_IDENTITY_MAX + 1;
    bad[4] = creds("ep", "id", 2, "k", 1);
    bad[4].psk_key_len = LWM2M_SEC_KEY_MAX + 1;
    bad[5] = creds("ep", "id", 2, "k", 1);
    memset(bad[5].endpoint, 'e', sizeof bad[5].endpoint); /* no NUL */
    bad[6] = creds("ep", "id", 2, "k", 1);
    bad[6].psk_identity_len = (size_t)-1;
    static const char *const why[] = {
        "empty endpoint name",
        "endpoint 'ep': psk identity of 0 bytes (1..128)",
        "endpoint 'ep': psk key of 0 bytes (1..64)",
        "endpoint 'ep': psk identity of 129 bytes (1..128)",
        "endpoint 'ep': psk key of 65 bytes (1..64)",
        "endpoint name longer than 255 bytes",
        NULL,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "stale";
        assert_int_equal(lwm2m_sec_store_put(f->s, &bad[i], err, sizeof err), LWM2M_ERR_INVALID);
        if (why[i] != NULL)
            assert_string_equal(err, why[i]);
        assert_string_equal(lwm2m_sec_store_last_error(f->s), err);
    }
    char err[64] = "stale";
    assert_int_equal(lwm2m_sec_store_put(f->s, NULL, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "no store or no credentials");
    assert_int_equal(lwm2m_sec_store_put(NULL, &bad[0], NULL, 0), LWM2M_ERR_INVALID);
    char out[64];
    sql_text(f->path, "SELECT group_concat(endpoint) FROM server_security", out, sizeof out);
    assert_string_equal(out, "keep");
}

static void other_bad_arguments(void **state)
{
    fixture *f = *state;
    put_ok(f->s, text_creds("ep", "id", "k"));
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(f->s, NULL, &got), LWM2M_ERR_INVALID);
    assert_zeroed(&got);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(NULL, "ep", &got), LWM2M_ERR_INVALID);
    assert_zeroed(&got);
    assert_int_equal(lwm2m_sec_store_get(f->s, "ep", NULL), LWM2M_ERR_INVALID);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_find_identity(f->s, NULL, 2, &got), LWM2M_ERR_INVALID);
    assert_zeroed(&got);
    assert_int_equal(lwm2m_sec_store_find_identity(f->s, (const uint8_t *)"id", 2, NULL),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_find_identity(NULL, (const uint8_t *)"id", 2, &got),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_remove(f->s, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_remove(NULL, "ep"), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_list(f->s, NULL, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_list(NULL, collect, NULL), LWM2M_ERR_INVALID);
    assert_string_equal(lwm2m_sec_store_last_error(NULL), "");
    /* Names no entry can have are simply absent. */
    char longer[LWM2M_SEC_ENDPOINT_MAX + 2];
    memset(longer, 'e', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_absent(f->s, longer);
    assert_absent(f->s, "");
    assert_absent(f->s, "EP");
    /* Nothing changed. */
    lwm2m_sec_info want = text_creds("ep", "id", "k");
    assert_stored(f->s, &want);
}

/* A broken database shows SQLite's own message, and put() rolls back. */
static void sqlite_error_kept(void **state)
{
    fixture *f = *state;
    put_ok(f->s, text_creds("ep", "id", "k"));
    sql_exec(f->path, "DROP TABLE server_security");
    lwm2m_sec_info i = text_creds("ep2", "id2", "k");
    char err[256] = "";
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'ep2': no such table: server_security");
    assert_string_equal(lwm2m_sec_store_last_error(f->s), err);
    lwm2m_sec_info got;
    assert_int_equal(lwm2m_sec_store_get(f->s, "ep", &got), LWM2M_ERR_INVALID);
    assert_string_equal(lwm2m_sec_store_last_error(f->s), "get: no such table: server_security");
    seen v = {0};
    assert_int_equal(lwm2m_sec_store_list(f->s, collect, &v), LWM2M_ERR_INVALID);
    assert_string_equal(lwm2m_sec_store_last_error(f->s), "list: no such table: server_security");
    /* No transaction was left open: another connection can write. */
    sql_exec(f->path, "CREATE TABLE probe (x); DROP TABLE probe");
    /* Reopening creates the table again. */
    lwm2m_sec_store_close(f->s);
    assert_int_equal(lwm2m_sec_store_open(f->path, &f->s, err, sizeof err), 0);
    put_ok(f->s, i);
    assert_stored(f->s, &i);
}

/* ---- persistence and sharing ---- */

static void persists_across_reopen(void **state)
{
    fixture *f = *state;
    lwm2m_sec_info a = creds("ep-a", "\x00\x01", 2, "\x00\x02\x00", 3);
    lwm2m_sec_info b = text_creds("ep-b", "id-b", "kb");
    put_ok(f->s, a);
    put_ok(f->s, b);
    assert_int_equal(lwm2m_sec_store_remove(f->s, "ep-b"), 0);
    lwm2m_sec_store_close(f->s);
    f->s = NULL;
    char spec[160], err[256] = "stale";
    snprintf(spec, sizeof spec, "SQLite:%s", f->path); /* the scheme is case-insensitive */
    assert_int_equal(lwm2m_sec_store_open(spec, &f->s, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_stored(f->s, &a);
    assert_absent(f->s, "ep-b");
    seen v;
    listing(f->s, &v);
    assert_int_equal(v.count, 1);
}

static void two_handles_one_file(void **state)
{
    fixture *f = *state;
    lwm2m_sec_store *b;
    char err[256];
    assert_int_equal(lwm2m_sec_store_open(f->path, &b, err, sizeof err), 0);
    lwm2m_sec_info x = text_creds("from-a", "id-a", "ka");
    put_ok(f->s, x);
    assert_stored(b, &x);
    lwm2m_sec_info steal = text_creds("from-b", "id-a", "kb");
    assert_int_equal(lwm2m_sec_store_put(b, &steal, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_contains(err, "'from-a'");
    assert_int_equal(lwm2m_sec_store_remove(b, "from-a"), 0);
    assert_absent(f->s, "from-a");
    lwm2m_sec_store_close(b);
}

static void bs_entry_put(lwm2m_bs_store *bs, const char *name, const char *json, const char *id)
{
    lwm2m_bs_entry e = {.kind = LWM2M_BS_ENTRY_ENDPOINT,
                        .name = name,
                        .json = json,
                        .match = "",
                        .psk_identity = (const uint8_t *)id,
                        .psk_identity_len = strlen(id),
                        .psk_key = (const uint8_t *)"bs-key",
                        .psk_key_len = 6};
    char err[256] = "";
    int rc = lwm2m_bs_store_put(bs, &e, 1, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "bs put: %s\n", err);
    assert_int_equal(rc, 0);
}

static void bs_entry_check(lwm2m_bs_store *bs, const char *name, const char *json)
{
    char *got = NULL;
    assert_int_equal(lwm2m_bs_store_get(bs, LWM2M_BS_ENTRY_ENDPOINT, name, &got), 0);
    assert_string_equal(got, json);
    free(got);
}

/* Both stores on one file, each with its own data; the same names and identities in both
 * do not collide. */
static void share_file(const char *path, lwm2m_sec_store *sec, lwm2m_bs_store *bs,
                       const char *want_listing)
{
    lwm2m_sec_info mine = text_creds("dev-1", "bs-id", "server-key");
    put_ok(sec, mine);
    bs_entry_put(bs, "dev-1", "{\"bs\":1}", "bs-id");
    bs_entry_check(bs, "dev-1", "{\"bs\":1}");
    assert_stored(sec, &mine);
    seen v;
    assert_string_equal(listing(sec, &v), want_listing);
    char out[64];
    sql_text(path, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "2");
    sql_text(path, "PRAGMA integrity_check", out, sizeof out);
    assert_string_equal(out, "ok");
}

static void shares_file_bs_first(void **state)
{
    fixture *f = *state;
    lwm2m_sec_store_close(f->s);
    f->s = NULL;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/bs-first.db", f->dir);
    lwm2m_bs_store *bs;
    assert_int_equal(lwm2m_bs_store_open(path, &bs, err, sizeof err), 0);
    bs_entry_put(bs, "dev-0", "{\"before\":1}", "bs-id-0");
    assert_int_equal(lwm2m_sec_store_open(path, &f->s, err, sizeof err), 0);
    share_file(path, f->s, bs, "dev-1|bs-id|server-key;");
    bs_entry_check(bs, "dev-0", "{\"before\":1}");
    /* Both reopen the file with the other's table in it. */
    lwm2m_bs_store_close(bs);
    lwm2m_sec_store_close(f->s);
    assert_int_equal(lwm2m_bs_store_open(path, &bs, err, sizeof err), 0);
    assert_int_equal(lwm2m_sec_store_open(path, &f->s, err, sizeof err), 0);
    bs_entry_check(bs, "dev-1", "{\"bs\":1}");
    lwm2m_sec_info mine = text_creds("dev-1", "bs-id", "server-key");
    assert_stored(f->s, &mine);
    lwm2m_bs_store_close(bs);
}

static void shares_file_sec_first(void **state)
{
    fixture *f = *state;
    /* The fixture's store made the file: the Bootstrap Server opens it after us. */
    lwm2m_sec_info early = text_creds("dev-0", "early", "k0");
    put_ok(f->s, early);
    lwm2m_bs_store *bs;
    char err[256] = "";
    int rc = lwm2m_bs_store_open(f->path, &bs, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "bs open: %s\n", err);
    assert_int_equal(rc, 0);
    share_file(f->path, f->s, bs, "dev-0|early|k0;dev-1|bs-id|server-key;");
    assert_stored(f->s, &early);
    lwm2m_bs_store_close(bs);
    /* A second Bootstrap Server handle, with the first one closed. */
    assert_int_equal(lwm2m_bs_store_open(f->path, &bs, err, sizeof err), 0);
    bs_entry_check(bs, "dev-1", "{\"bs\":1}");
    lwm2m_bs_store_close(bs);
}

/* A file of some other application: our table is added, nothing else is touched. */
static void foreign_file_left_alone(void **state)
{
    fixture *f = *state;
    char path[256], out[256], err[256];
    snprintf(path, sizeof path, "%s/foreign.db", f->dir);
    sql_exec(path, "CREATE TABLE things (x); INSERT INTO things VALUES (42)");
    lwm2m_sec_store *s;
    assert_int_equal(lwm2m_sec_store_open(path, &s, err, sizeof err), 0);
    put_ok(s, text_creds("ep", "id", "k"));
    lwm2m_sec_store_close(s);
    sql_text(path, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", out,
             sizeof out);
    assert_string_equal(out, "server_cert_map,server_pki,server_security,things");
    sql_text(path, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "0");
    sql_text(path, "SELECT x FROM things", out, sizeof out);
    assert_string_equal(out, "42");
}

/* ---- RPK, X.509 and the cert map ---- */

static const uint8_t SEC_KEY_A[] = {0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0xaa};
static const uint8_t SEC_KEY_B[] = {0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0xbb};

static lwm2m_sec_info rpk_creds(const char *ep, const uint8_t *key, size_t len)
{
    lwm2m_sec_info i;
    memset(&i, 0, sizeof i);
    snprintf(i.endpoint, sizeof i.endpoint, "%s", ep);
    i.mode = LWM2M_SEC_RPK;
    memcpy(i.public_key, key, len);
    i.public_key_len = len;
    return i;
}

static lwm2m_sec_info x509_creds(const char *ep)
{
    lwm2m_sec_info i;
    memset(&i, 0, sizeof i);
    snprintf(i.endpoint, sizeof i.endpoint, "%s", ep);
    i.mode = LWM2M_SEC_X509;
    return i;
}

static void assert_key_owner(lwm2m_sec_store *s, const uint8_t *key, size_t len, const char *want)
{
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    int rc = lwm2m_sec_store_find_public_key(s, key, len, &got);
    if (want == NULL) {
        assert_int_equal(rc, LWM2M_ERR_NOT_FOUND);
        assert_zeroed(&got);
        return;
    }
    assert_int_equal(rc, 0);
    assert_string_equal(got.endpoint, want);
    assert_int_equal(got.mode, LWM2M_SEC_RPK);
    assert_int_equal(got.public_key_len, len);
    assert_memory_equal(got.public_key, key, len);
}

static void rpk_and_x509_round_trip(void **state)
{
    fixture *f = *state;
    lwm2m_sec_info a = rpk_creds("dev-a", SEC_KEY_A, sizeof SEC_KEY_A), x = x509_creds("dev-x");
    put_ok(f->s, a);
    put_ok(f->s, x);
    lwm2m_sec_info got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(f->s, "dev-a", &got), 0);
    assert_memory_equal(&got, &a, sizeof got);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(lwm2m_sec_store_get(f->s, "dev-x", &got), 0);
    assert_memory_equal(&got, &x, sizeof got);
    assert_key_owner(f->s, SEC_KEY_A, sizeof SEC_KEY_A, "dev-a");
    assert_key_owner(f->s, SEC_KEY_B, sizeof SEC_KEY_B, NULL);
    assert_key_owner(f->s, SEC_KEY_A, 0, NULL);
    /* Neither has a PSK identity to be found by. */
    assert_no_identity(f->s, "", 0);
    /* In the list with the PSK entries, in endpoint order. */
    put_ok(f->s, text_creds("dev-p", "id-p", "k"));
    seen v;
    assert_string_equal(listing(f->s, &v), "dev-a||;dev-p|id-p|k;dev-x||;");
    assert_string_equal(lwm2m_sec_mode_name(LWM2M_SEC_RPK), "rpk");
    assert_string_equal(lwm2m_sec_mode_name(LWM2M_SEC_X509), "x509");
    assert_string_equal(lwm2m_sec_mode_name(LWM2M_SEC_PSK), "psk");
}

static void mode_change_keeps_one_entry(void **state)
{
    fixture *f = *state;
    /* PSK, then RPK, then X.509, then PSK again: one entry each time, and what the old mode
     * held (identity, key) is free for others. */
    put_ok(f->s, text_creds("dev-1", "id-1", "k1"));
    lwm2m_sec_info r = rpk_creds("dev-1", SEC_KEY_A, sizeof SEC_KEY_A);
    put_ok(f->s, r);
    assert_no_identity(f->s, "id-1", 4);
    put_ok(f->s, text_creds("dev-2", "id-1", "k2"));
    put_ok(f->s, x509_creds("dev-1"));
    assert_key_owner(f->s, SEC_KEY_A, sizeof SEC_KEY_A, NULL);
    put_ok(f->s, rpk_creds("dev-3", SEC_KEY_A, sizeof SEC_KEY_A));
    lwm2m_sec_info p = text_creds("dev-1", "id-9", "k9");
    put_ok(f->s, p);
    assert_stored(f->s, &p);
    char out[128];
    sql_text(f->path, "SELECT count(*) FROM server_pki WHERE endpoint = 'dev-1'", out, sizeof out);
    assert_string_equal(out, "0");
    /* Removing an RPK entry frees its key. */
    assert_int_equal(lwm2m_sec_store_remove(f->s, "dev-3"), 0);
    assert_int_equal(lwm2m_sec_store_remove(f->s, "dev-3"), LWM2M_ERR_NOT_FOUND);
    assert_key_owner(f->s, SEC_KEY_A, sizeof SEC_KEY_A, NULL);
}

static void public_key_conflict(void **state)
{
    fixture *f = *state;
    put_ok(f->s, rpk_creds("dev-a", SEC_KEY_A, sizeof SEC_KEY_A));
    lwm2m_sec_info b = rpk_creds("dev-b", SEC_KEY_A, sizeof SEC_KEY_A);
    char err[256] = "";
    assert_int_equal(lwm2m_sec_store_put(f->s, &b, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_string_equal(err, "endpoint 'dev-b': public key already belongs to endpoint 'dev-a'");
    assert_absent(f->s, "dev-b");
    /* The same endpoint may put its own key again. */
    put_ok(f->s, rpk_creds("dev-a", SEC_KEY_A, sizeof SEC_KEY_A));
}

static void pki_put_invalid(void **state)
{
    fixture *f = *state;
    char err[256];
    lwm2m_sec_info i = rpk_creds("dev", SEC_KEY_A, 0);
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev': public key of 0 bytes (1..1024)");
    i = rpk_creds("dev", SEC_KEY_A, sizeof SEC_KEY_A);
    i.psk_identity_len = 1;
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev': an rpk entry has no psk");
    i = x509_creds("dev");
    i.public_key_len = 1;
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev': an x509 entry has no public key (its CN binds it)");
    i = text_creds("dev", "id", "k");
    i.public_key_len = 3;
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev': a psk entry has no public key");
    i = x509_creds("dev");
    i.mode = (lwm2m_sec_mode)7;
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev': unknown mode 7");
    /* PSK identities may not look like the identities of RPK and X.509 registrations. */
    i = text_creds("dev", "rpk:dev-a", "k");
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    assert_string_equal(
        err, "endpoint 'dev': psk identities starting with 'rpk:' or 'x509:' are reserved");
    i = text_creds("dev", "x509:CN", "k");
    assert_int_equal(lwm2m_sec_store_put(f->s, &i, err, sizeof err), LWM2M_ERR_INVALID);
    put_ok(f->s, text_creds("dev", "rpk", "k")); /* the prefix only */
    assert_int_equal(lwm2m_sec_store_find_public_key(f->s, NULL, 2, &i), LWM2M_ERR_INVALID);
}

typedef struct map_seen {
    char text[512];
} map_seen;

static int collect_map(void *ctx, const char *cn, const char *endpoint)
{
    map_seen *m = ctx;
    size_t at = strlen(m->text);
    snprintf(m->text + at, sizeof m->text - at, "%s>%s;", cn, endpoint);
    return strcmp(cn, "stop") == 0 ? 5 : 0;
}

static void cert_map_table(void **state)
{
    fixture *f = *state;
    char err[256] = "stale", ep[LWM2M_SEC_ENDPOINT_MAX + 1];
    assert_int_equal(lwm2m_sec_store_cert_map_get(f->s, "CN 1", ep), LWM2M_ERR_NOT_FOUND);
    assert_string_equal(ep, "");
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "CN 1", "dev-1", err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "CN 2", "dev-1", err, sizeof err), 0);
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "CN 1", "dev-2", err, sizeof err), 0);
    assert_int_equal(lwm2m_sec_store_cert_map_get(f->s, "CN 1", ep), 0);
    assert_string_equal(ep, "dev-2");
    map_seen m = {""};
    assert_int_equal(lwm2m_sec_store_cert_map_list(f->s, collect_map, &m), 0);
    assert_string_equal(m.text, "CN 1>dev-2;CN 2>dev-1;");
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "stop", "x", err, sizeof err), 0);
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "zz", "x", err, sizeof err), 0);
    memset(&m, 0, sizeof m);
    assert_int_equal(lwm2m_sec_store_cert_map_list(f->s, collect_map, &m), 5);
    assert_string_equal(m.text, "CN 1>dev-2;CN 2>dev-1;stop>x;");
    assert_int_equal(lwm2m_sec_store_cert_map_remove(f->s, "CN 2"), 0);
    assert_int_equal(lwm2m_sec_store_cert_map_remove(f->s, "CN 2"), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "a\tb", "x", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err, "a CN is 1..255 bytes without control characters");
    assert_int_equal(lwm2m_sec_store_cert_map_put(f->s, "cn", "", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_sec_store_cert_map_get(f->s, "", ep), LWM2M_ERR_NOT_FOUND);
    /* The map survives a reopen. */
    lwm2m_sec_store_close(f->s);
    assert_int_equal(lwm2m_sec_store_open(f->path, &f->s, err, sizeof err), 0);
    assert_int_equal(lwm2m_sec_store_cert_map_get(f->s, "CN 1", ep), 0);
    assert_string_equal(ep, "dev-2");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(open_creates_table),
        T(bad_specs),
        T(bad_paths),
        T(read_only_file),
        T(binary_round_trip),
        T(max_sizes_round_trip),
        T(replace_keeps_one_row),
        T(identity_conflict),
        T(find_identity_hit_miss),
        T(remove_twice),
        T(list_in_endpoint_order),
        T(list_stops_early),
        T(put_invalid),
        T(other_bad_arguments),
        T(sqlite_error_kept),
        T(persists_across_reopen),
        T(two_handles_one_file),
        T(shares_file_bs_first),
        T(shares_file_sec_first),
        T(foreign_file_left_alone),
        T(rpk_and_x509_round_trip),
        T(mode_change_keeps_one_entry),
        T(public_key_conflict),
        T(pki_put_invalid),
        T(cert_map_table),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
