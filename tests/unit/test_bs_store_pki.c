/* The Bootstrap Server store's tables for RPK and X.509 clients: endpoints' public keys
 * (unique, looked up by key, moved within a batch, exclusive with a PSK), the cert map (CN ->
 * endpoint), and the upgrade of a version 1 (PSK only) file in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_dir.h"
#include <sqlite3.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"

#define EP LWM2M_BS_ENTRY_ENDPOINT

typedef struct fixture {
    char dir[64];
    char path[128];
    lwm2m_bs_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    if (temp_dir_make(f->dir, sizeof f->dir, "test_bs_store_pki") != 0) {
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

/* Distinct fake keys: the store keeps bytes, the configuration checks their shape. */
static const uint8_t KEY_A[] = {0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0xaa};
static const uint8_t KEY_B[] = {0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0xbb};

static lwm2m_bs_entry ep_key(const char *name, const uint8_t *key, size_t len)
{
    lwm2m_bs_entry e = {.kind = EP, .name = name, .json = "{}", .match = ""};
    e.public_key = key;
    e.public_key_len = len;
    return e;
}

static int put(lwm2m_bs_store *s, const lwm2m_bs_entry *e, size_t n, char *err)
{
    strcpy(err, "stale");
    return lwm2m_bs_store_put(s, e, n, err, 256);
}

static void assert_key_owner(lwm2m_bs_store *s, const uint8_t *key, size_t len, const char *want)
{
    char *ep = NULL;
    int rc = lwm2m_bs_store_find_public_key(s, key, len, &ep);
    if (want == NULL) {
        assert_int_equal(rc, LWM2M_ERR_NOT_FOUND);
        assert_null(ep);
        return;
    }
    assert_int_equal(rc, LWM2M_OK);
    assert_non_null(ep);
    assert_string_equal(ep, want);
    free(ep);
}

static void public_key_index(void **state)
{
    fixture *f = *state;
    char err[256];
    lwm2m_bs_entry a = ep_key("dev-a", KEY_A, sizeof KEY_A);
    assert_int_equal(put(f->s, &a, 1, err), LWM2M_OK);
    assert_string_equal(err, "");
    assert_key_owner(f->s, KEY_A, sizeof KEY_A, "dev-a");
    assert_key_owner(f->s, KEY_B, sizeof KEY_B, NULL);
    assert_key_owner(f->s, KEY_A, sizeof KEY_A - 1, NULL); /* a prefix is another key */
    assert_key_owner(f->s, KEY_A, 0, NULL);
    assert_int_equal(lwm2m_bs_store_find_public_key(f->s, NULL, 3, NULL), LWM2M_ERR_INVALID);
    /* The owner alone (endpoint NULL). */
    assert_int_equal(lwm2m_bs_store_find_public_key(f->s, KEY_A, sizeof KEY_A, NULL), LWM2M_OK);

    /* Another endpoint may not take it. */
    lwm2m_bs_entry b = ep_key("dev-b", KEY_A, sizeof KEY_A);
    assert_int_equal(put(f->s, &b, 1, err), LWM2M_ERR_EXISTS);
    assert_string_equal(err, "endpoint 'dev-b': public key already belongs to endpoint 'dev-a'");
    char *doc = NULL;
    assert_int_equal(lwm2m_bs_store_get(f->s, EP, "dev-b", &doc), LWM2M_ERR_NOT_FOUND);

    /* A batch may swap the keys of its endpoints. */
    lwm2m_bs_entry swap[] = {ep_key("dev-a", KEY_B, sizeof KEY_B),
                             ep_key("dev-b", KEY_A, sizeof KEY_A)};
    assert_int_equal(put(f->s, swap, 2, err), LWM2M_OK);
    assert_key_owner(f->s, KEY_A, sizeof KEY_A, "dev-b");
    assert_key_owner(f->s, KEY_B, sizeof KEY_B, "dev-a");

    /* Replacing an endpoint without a key frees its key; removing frees it too. */
    lwm2m_bs_entry plain = ep_key("dev-a", NULL, 0);
    assert_int_equal(put(f->s, &plain, 1, err), LWM2M_OK);
    assert_key_owner(f->s, KEY_B, sizeof KEY_B, NULL);
    assert_int_equal(lwm2m_bs_store_remove(f->s, EP, "dev-b"), LWM2M_OK);
    assert_key_owner(f->s, KEY_A, sizeof KEY_A, NULL);
}

static void public_key_listed_and_checked(void **state)
{
    fixture *f = *state;
    char err[256];
    lwm2m_bs_entry a = ep_key("dev-a", KEY_A, sizeof KEY_A);
    assert_int_equal(put(f->s, &a, 1, err), LWM2M_OK);
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, NULL, NULL), LWM2M_ERR_INVALID);

    /* Bad entries: a template with a key, a length without bytes, too long, with a PSK. */
    lwm2m_bs_entry t = {.kind = LWM2M_BS_ENTRY_TEMPLATE, .name = "t", .json = "{}", .match = ""};
    t.public_key = KEY_A;
    t.public_key_len = sizeof KEY_A;
    assert_int_equal(put(f->s, &t, 1, err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "template 't': a public key belongs to endpoints");
    lwm2m_bs_entry e = ep_key("dev-c", NULL, 3);
    assert_int_equal(put(f->s, &e, 1, err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev-c': public key length without data");
    static uint8_t big[LWM2M_PUBLIC_KEY_MAX + 1];
    e = ep_key("dev-c", big, sizeof big);
    assert_int_equal(put(f->s, &e, 1, err), LWM2M_ERR_INVALID);
    assert_string_equal(err, "endpoint 'dev-c': public key longer than 1024 bytes");
    e = ep_key("dev-c", KEY_B, sizeof KEY_B);
    e.psk_identity = (const uint8_t *)"id";
    e.psk_identity_len = 2;
    assert_int_equal(put(f->s, &e, 1, err), LWM2M_ERR_INVALID);
    assert_string_equal(err,
                        "endpoint 'dev-c': a PSK identity and a public key exclude each other");
    /* The largest key is fine. */
    big[0] = 1;
    e = ep_key("dev-c", big, LWM2M_PUBLIC_KEY_MAX);
    assert_int_equal(put(f->s, &e, 1, err), LWM2M_OK);
    assert_key_owner(f->s, big, LWM2M_PUBLIC_KEY_MAX, "dev-c");
}

typedef struct listing {
    char text[512];
} listing;

static int collect_key(void *ctx, const lwm2m_bs_entry *e)
{
    listing *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s:%zu:%02x;", e->name, e->public_key_len,
             e->public_key_len > 0 ? e->public_key[e->public_key_len - 1] : 0);
    return 0;
}

static void public_key_in_list(void **state)
{
    fixture *f = *state;
    char err[256];
    lwm2m_bs_entry e[] = {ep_key("dev-a", KEY_A, sizeof KEY_A), ep_key("dev-b", NULL, 0),
                          ep_key("dev-c", KEY_B, sizeof KEY_B)};
    assert_int_equal(put(f->s, e, 3, err), LWM2M_OK);
    listing l = {""};
    assert_int_equal(lwm2m_bs_store_list(f->s, EP, collect_key, &l), LWM2M_OK);
    assert_string_equal(l.text, "dev-a:7:aa;dev-b:0:00;dev-c:7:bb;");
}

static int collect_map(void *ctx, const char *cn, const char *endpoint)
{
    listing *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s>%s;", cn, endpoint);
    return strcmp(cn, "stop") == 0 ? 7 : 0;
}

static void cert_map(void **state)
{
    fixture *f = *state;
    char err[256] = "stale", *ep = NULL;
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, "CN 1", &ep), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "CN 1", "dev-1", err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "Acme device 2", "dev-2", err, sizeof err),
                     0);
    /* Several CNs may map to one endpoint, the map needs no configuration. */
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "CN 3", "dev-2", err, sizeof err), 0);
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, "CN 1", &ep), LWM2M_OK);
    assert_string_equal(ep, "dev-1");
    free(ep);
    /* Replace. */
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "CN 1", "dev-9", err, sizeof err), 0);
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, "CN 1", &ep), LWM2M_OK);
    assert_string_equal(ep, "dev-9");
    free(ep);
    listing l = {""};
    assert_int_equal(lwm2m_bs_store_cert_map_list(f->s, collect_map, &l), LWM2M_OK);
    assert_string_equal(l.text, "Acme device 2>dev-2;CN 1>dev-9;CN 3>dev-2;");
    /* The visitor's first non-zero stops the walk and is returned. */
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "stop", "x", err, sizeof err), 0);
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "zz", "x", err, sizeof err), 0);
    memset(&l, 0, sizeof l);
    assert_int_equal(lwm2m_bs_store_cert_map_list(f->s, collect_map, &l), 7);
    assert_string_equal(l.text, "Acme device 2>dev-2;CN 1>dev-9;CN 3>dev-2;stop>x;");
    /* Remove. */
    assert_int_equal(lwm2m_bs_store_cert_map_remove(f->s, "CN 3"), LWM2M_OK);
    assert_int_equal(lwm2m_bs_store_cert_map_remove(f->s, "CN 3"), LWM2M_ERR_NOT_FOUND);
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, "CN 3", &ep), LWM2M_ERR_NOT_FOUND);
    assert_null(ep);
    /* Bad text; a CN no mapping can have is simply not found. */
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "", "dev", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err, "a CN is 1..255 bytes without control characters");
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "a\nb", "dev", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, "cn", "", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_string_equal(err, "an endpoint name is 1..255 bytes without control characters");
    char longcn[300];
    memset(longcn, 'c', 256);
    longcn[256] = '\0';
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, longcn, "dev", err, sizeof err),
                     LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, longcn, &ep), LWM2M_ERR_NOT_FOUND);
    longcn[255] = '\0';
    assert_int_equal(lwm2m_bs_store_cert_map_put(f->s, longcn, "dev", err, sizeof err), 0);
    assert_int_equal(lwm2m_bs_store_cert_map_get(f->s, longcn, &ep), LWM2M_OK);
    free(ep);
    assert_int_equal(lwm2m_bs_store_cert_map_list(f->s, NULL, NULL), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_bs_store_cert_map_get(NULL, "x", &ep), LWM2M_ERR_INVALID);
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, text, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int first_text(void *ctx, int n, char **vals, char **names)
{
    (void)names;
    snprintf(ctx, 128, "%s", n > 0 && vals[0] ? vals[0] : "NULL");
    return 0;
}

/* A file of the previous schema (PSK only, user_version 1) is upgraded on open, its data kept. */
static void upgrade_version_1(void **state)
{
    fixture *f = *state;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    sql(path,
        "CREATE TABLE entries (kind INTEGER NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL,"
        " match TEXT NOT NULL DEFAULT '', psk_identity BLOB, psk_key BLOB,"
        " updated INTEGER NOT NULL, PRIMARY KEY (kind, name));"
        "CREATE UNIQUE INDEX entries_psk_identity ON entries (psk_identity)"
        " WHERE psk_identity IS NOT NULL AND kind = 0;"
        "CREATE TABLE status (endpoint TEXT NOT NULL PRIMARY KEY, next_plan INTEGER NOT NULL,"
        " failed INTEGER NOT NULL, outcome TEXT NOT NULL, diagnostic TEXT NOT NULL,"
        " updated INTEGER NOT NULL, sessions INTEGER NOT NULL);"
        "INSERT INTO entries VALUES (0, 'old', '{\"endpoint\":\"old\"}', '', X'6964', X'00', 1);"
        "PRAGMA user_version = 1;");
    lwm2m_bs_store *s = NULL;
    assert_int_equal(lwm2m_bs_store_open(path, &s, err, sizeof err), LWM2M_OK);
    char *doc = NULL;
    assert_int_equal(lwm2m_bs_store_get(s, EP, "old", &doc), LWM2M_OK);
    assert_string_equal(doc, "{\"endpoint\":\"old\"}");
    free(doc);
    char *owner = NULL;
    uint8_t key[LWM2M_PSK_KEY_MAX];
    size_t key_len = 0;
    assert_int_equal(
        lwm2m_bs_store_find_identity(s, (const uint8_t *)"id", 2, &owner, key, &key_len), LWM2M_OK);
    assert_string_equal(owner, "old");
    free(owner);
    lwm2m_bs_entry a = ep_key("new", KEY_A, sizeof KEY_A);
    assert_int_equal(put(s, &a, 1, err), LWM2M_OK);
    assert_key_owner(s, KEY_A, sizeof KEY_A, "new");
    assert_int_equal(lwm2m_bs_store_cert_map_put(s, "cn", "new", err, sizeof err), LWM2M_OK);
    lwm2m_bs_store_close(s);
    /* Version 2 now; a second open changes nothing. */
    sqlite3 *db;
    char out[128] = "";
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version", first_text, out, NULL), SQLITE_OK);
    assert_string_equal(out, "2");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_int_equal(lwm2m_bs_store_open(path, &s, err, sizeof err), LWM2M_OK);
    assert_key_owner(s, KEY_A, sizeof KEY_A, "new");
    lwm2m_bs_store_close(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(public_key_index),  T(public_key_listed_and_checked), T(public_key_in_list), T(cert_map),
        T(upgrade_version_1),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
