/* The SQLite store backend: one database file in WAL mode with synchronous=FULL, so that a
 * committed put() survives kill -9 and power loss, and several processes can share the file. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/error.h"
#include "store/bs_store_backend.h"
#include "store/sqlite_db.h"

/* PRAGMA user_version of the schema below; a file of a newer version is refused, not
 * misread, an older one is upgraded in place (migrate_sql). */
#define SCHEMA_VERSION 2

/* Status of an endpoint is kept apart from its entry: endpoints configured through a
 * template have a status but no entry, so it cannot be a foreign key of entries. Neither can
 * the cert map's endpoint: a CN may map to an endpoint configured through a template. */
#define CERT_MAP_SQL                                                                               \
    "CREATE TABLE IF NOT EXISTS cert_map ("                                                        \
    " cn TEXT NOT NULL PRIMARY KEY, endpoint TEXT NOT NULL, updated INTEGER NOT NULL);"
#define PUBLIC_KEY_INDEX_SQL                                                                       \
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_public_key ON entries (public_key)"                 \
    " WHERE public_key IS NOT NULL AND kind = 0;"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS entries ("
    " kind INTEGER NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL,"
    " match TEXT NOT NULL DEFAULT '', psk_identity BLOB, psk_key BLOB,"
    " updated INTEGER NOT NULL, public_key BLOB, PRIMARY KEY (kind, name));"
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_psk_identity ON entries (psk_identity)"
    " WHERE psk_identity IS NOT NULL AND kind = 0;" PUBLIC_KEY_INDEX_SQL
    "CREATE TABLE IF NOT EXISTS status ("
    " endpoint TEXT NOT NULL PRIMARY KEY, next_plan INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " outcome TEXT NOT NULL, diagnostic TEXT NOT NULL, updated INTEGER NOT NULL,"
    " sessions INTEGER NOT NULL);" CERT_MAP_SQL "PRAGMA user_version = 2;";

/* Version 1 (PSK only) to 2: endpoints' RPKs, the cert map. */
static const char migrate_sql[] =
    "ALTER TABLE entries ADD COLUMN public_key BLOB;" PUBLIC_KEY_INDEX_SQL CERT_MAP_SQL
    "PRAGMA user_version = 2;";

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_CLEAR_IDENTITY,
    ST_OWNER,
    ST_KEY_OWNER,
    ST_UPSERT,
    ST_GET,
    ST_DELETE,
    ST_DELETE_STATUS,
    ST_LIST,
    ST_FIND,
    ST_FIND_KEY,
    ST_GET_STATUS,
    ST_SET_STATUS,
    ST_MAP_PUT,
    ST_MAP_GET,
    ST_MAP_DELETE,
    ST_MAP_LIST,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_CLEAR_IDENTITY] = "UPDATE entries SET psk_identity = NULL, public_key = NULL"
                          " WHERE kind = 0 AND name = ?1"
                          " AND (psk_identity IS NOT NULL OR public_key IS NOT NULL)",
    [ST_OWNER] = "SELECT name FROM entries WHERE kind = 0 AND psk_identity = ?1 AND name <> ?2",
    [ST_KEY_OWNER] = "SELECT name FROM entries WHERE kind = 0 AND public_key = ?1 AND name <> ?2",
    [ST_UPSERT] = "INSERT INTO entries"
                  " (kind, name, json, match, psk_identity, psk_key, updated, public_key)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (kind, name) DO UPDATE SET"
                  " json = excluded.json, match = excluded.match,"
                  " psk_identity = excluded.psk_identity, psk_key = excluded.psk_key,"
                  " updated = excluded.updated, public_key = excluded.public_key",
    [ST_GET] = "SELECT json FROM entries WHERE kind = ?1 AND name = ?2",
    [ST_DELETE] = "DELETE FROM entries WHERE kind = ?1 AND name = ?2",
    [ST_DELETE_STATUS] = "DELETE FROM status WHERE endpoint = ?1",
    [ST_LIST] = "SELECT name, json, match, psk_identity, psk_key, public_key FROM entries"
                " WHERE kind = ?1 ORDER BY name",
    [ST_FIND] = "SELECT name, psk_key FROM entries WHERE kind = 0 AND psk_identity = ?1",
    [ST_FIND_KEY] = "SELECT name FROM entries WHERE kind = 0 AND public_key = ?1",
    [ST_GET_STATUS] = "SELECT next_plan, failed, outcome, diagnostic, updated, sessions"
                      " FROM status WHERE endpoint = ?1",
    [ST_SET_STATUS] = "INSERT INTO status"
                      " (endpoint, next_plan, failed, outcome, diagnostic, updated, sessions)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (endpoint) DO UPDATE SET"
                      " next_plan = excluded.next_plan, failed = excluded.failed,"
                      " outcome = excluded.outcome, diagnostic = excluded.diagnostic,"
                      " updated = excluded.updated, sessions = excluded.sessions",
    [ST_MAP_PUT] = "INSERT INTO cert_map (cn, endpoint, updated) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT (cn) DO UPDATE SET endpoint = excluded.endpoint,"
                   " updated = excluded.updated",
    [ST_MAP_GET] = "SELECT endpoint FROM cert_map WHERE cn = ?1",
    [ST_MAP_DELETE] = "DELETE FROM cert_map WHERE cn = ?1",
    [ST_MAP_LIST] = "SELECT cn, endpoint FROM cert_map ORDER BY cn",
};

typedef struct sqlite_store {
    store_sqlite sq;
} sqlite_store;

static void copy_error(const sqlite_store *st, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", st->sq.error);
}

static const char *kind_name(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT ? "endpoint" : "template";
}

static int bind_text(sqlite3_stmt *s, int i, const char *text)
{
    return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* No bytes binds NULL: "no identity" / "no key". */
static int bind_bytes(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
    if (len == 0)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
}

/* Drops the stored identity of an endpoint of the batch before any entry is written, so a
 * batch may move identities between its endpoints (swap included). */
static int clear_identity(sqlite_store *st, const lwm2m_bs_entry *e)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_CLEAR_IDENTITY, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "endpoint '%s'", e->name);
    rc = bind_text(s, 1, e->name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out =
        rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "endpoint '%s'", e->name);
    store_sqlite_release(&st->sq, ST_CLEAR_IDENTITY, s);
    return out;
}

static int upsert(sqlite_store *st, const lwm2m_bs_entry *e, int64_t now)
{
    const char *what = kind_name(e->kind);
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_UPSERT, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "%s '%s'", what, e->name);
    rc = sqlite3_bind_int(s, 1, (int)e->kind);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, e->name);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 3, e->json);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 4, e->match != NULL ? e->match : "");
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 5, e->psk_identity, e->psk_identity_len);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 6, e->psk_key, e->psk_key_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 7, now);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 8, e->public_key, e->public_key_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out =
        rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "%s '%s'", what, e->name);
    store_sqlite_release(&st->sq, ST_UPSERT, s);
    return out;
}

static int put_all(sqlite_store *st, const lwm2m_bs_entry *entries, size_t n)
{
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].kind != LWM2M_BS_ENTRY_ENDPOINT)
            continue;
        int rc = clear_identity(st, &entries[i]);
        if (rc != LWM2M_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        const lwm2m_bs_entry *e = &entries[i];
        int rc = LWM2M_OK;
        if (e->kind == LWM2M_BS_ENTRY_ENDPOINT && e->psk_identity_len > 0)
            rc = store_sqlite_check_owner(&st->sq, ST_OWNER, e->name, e->psk_identity,
                                          e->psk_identity_len);
        if (rc == LWM2M_OK && e->kind == LWM2M_BS_ENTRY_ENDPOINT && e->public_key_len > 0)
            rc = store_sqlite_check_key_owner(&st->sq, ST_KEY_OWNER, e->name, e->public_key,
                                              e->public_key_len);
        if (rc == LWM2M_OK)
            rc = upsert(st, e, now);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int sq_put(void *impl, const lwm2m_bs_entry *entries, size_t n, char *err, size_t errlen)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    int rc = store_sqlite_run(&st->sq, ST_BEGIN, "begin transaction");
    if (rc == LWM2M_OK) {
        rc = put_all(st, entries, n);
        if (rc == LWM2M_OK)
            rc = store_sqlite_run(&st->sq, ST_COMMIT, "commit");
        if (rc != LWM2M_OK)
            store_sqlite_rollback(&st->sq, ST_ROLLBACK);
    }
    copy_error(st, err, errlen);
    return rc;
}

static int sq_get(void *impl, lwm2m_bs_entry_kind kind, const char *name, char **json)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_GET, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "get %s '%s'", kind_name(kind), name);
    rc = sqlite3_bind_int(s, 1, (int)kind);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out;
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(s, 0);
        int len = sqlite3_column_bytes(s, 0);
        char *copy = text != NULL ? malloc((size_t)len + 1) : NULL;
        if (copy == NULL) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "get %s '%s': out of memory",
                                    kind_name(kind), name);
        } else {
            memcpy(copy, text, (size_t)len);
            copy[len] = '\0';
            *json = copy;
            out = LWM2M_OK;
        }
    } else if (rc == SQLITE_DONE) {
        out = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "%s '%s' not found", kind_name(kind),
                                name);
    } else {
        out = store_sqlite_fail(&st->sq, rc, "get %s '%s'", kind_name(kind), name);
    }
    store_sqlite_release(&st->sq, ST_GET, s);
    return out;
}

/* Deletes by name with statement `id` (?1 = name, or ?1 = kind and ?2 = name); *changed
 * tells whether a row went. */
static int delete_named(sqlite_store *st, enum stmt_id id, int kind, const char *name,
                        bool *changed)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "remove '%s'", name);
    int at = 1;
    if (kind >= 0)
        rc = sqlite3_bind_int(s, at++, kind);
    if (rc == SQLITE_OK)
        rc = bind_text(s, at, name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "remove '%s'", name);
    if (out == LWM2M_OK && changed != NULL)
        *changed = sqlite3_changes(st->sq.db) > 0;
    store_sqlite_release(&st->sq, id, s);
    return out;
}

static int sq_remove(void *impl, lwm2m_bs_entry_kind kind, const char *name)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    int rc = store_sqlite_run(&st->sq, ST_BEGIN, "begin transaction");
    if (rc != LWM2M_OK)
        return rc;
    bool changed = false;
    rc = delete_named(st, ST_DELETE, (int)kind, name, &changed);
    if (rc == LWM2M_OK && !changed)
        rc = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "%s '%s' not found", kind_name(kind),
                               name);
    if (rc == LWM2M_OK && kind == LWM2M_BS_ENTRY_ENDPOINT)
        rc = delete_named(st, ST_DELETE_STATUS, -1, name, NULL);
    if (rc == LWM2M_OK)
        rc = store_sqlite_run(&st->sq, ST_COMMIT, "commit");
    if (rc != LWM2M_OK)
        store_sqlite_rollback(&st->sq, ST_ROLLBACK);
    return rc;
}

/* Bytes of column i, NULL with *len 0 when it has none. */
static const uint8_t *column_bytes(sqlite3_stmt *s, int i, size_t *len)
{
    const void *p = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    *len = p != NULL && n > 0 ? (size_t)n : 0;
    return *len > 0 ? p : NULL;
}

static int sq_list(void *impl, lwm2m_bs_entry_kind kind, lwm2m_bs_store_visit fn, void *ctx)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_LIST, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "list");
    rc = sqlite3_bind_int(s, 1, (int)kind);
    int out = LWM2M_OK;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
            break;
        lwm2m_bs_entry e = {.kind = kind};
        e.name = (const char *)sqlite3_column_text(s, 0);
        e.json = (const char *)sqlite3_column_text(s, 1);
        e.match = (const char *)sqlite3_column_text(s, 2);
        if (e.match == NULL && sqlite3_column_type(s, 2) == SQLITE_NULL)
            e.match = "";
        /* The columns are NOT NULL: no text means SQLite ran out of memory. */
        if (e.name == NULL || e.json == NULL || e.match == NULL) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "list: out of memory");
            break;
        }
        e.psk_identity = column_bytes(s, 3, &e.psk_identity_len);
        e.psk_key = column_bytes(s, 4, &e.psk_key_len);
        e.public_key = column_bytes(s, 5, &e.public_key_len);
        out = fn(ctx, &e);
        if (out != 0)
            break;
    }
    if (out == LWM2M_OK && rc != SQLITE_DONE)
        out = store_sqlite_fail(&st->sq, rc, "list");
    store_sqlite_release(&st->sq, ST_LIST, s);
    return out;
}

static int sq_find_identity(void *impl, const uint8_t *id, size_t id_len, char **endpoint,
                            uint8_t *key, size_t *key_len)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_FIND, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "find identity");
    rc = bind_bytes(s, 1, id, id_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(s, 0);
        size_t name_len = (size_t)sqlite3_column_bytes(s, 0);
        size_t klen;
        const uint8_t *k = column_bytes(s, 1, &klen);
        if (name == NULL) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "find identity: out of memory");
        } else if (klen > LWM2M_PSK_KEY_MAX) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_OVERFLOW,
                                    "endpoint '%s': stored psk key of %zu bytes",
                                    (const char *)name, klen);
        } else if (endpoint != NULL && (*endpoint = malloc(name_len + 1)) == NULL) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "find identity: out of memory");
        } else {
            if (endpoint != NULL) {
                memcpy(*endpoint, name, name_len);
                (*endpoint)[name_len] = '\0';
            }
            if (key != NULL && klen > 0)
                memcpy(key, k, klen);
            if (key_len != NULL)
                *key_len = klen;
        }
    } else if (rc == SQLITE_DONE) {
        out = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "no endpoint has this psk identity");
    } else {
        out = store_sqlite_fail(&st->sq, rc, "find identity");
    }
    store_sqlite_release(&st->sq, ST_FIND, s);
    return out;
}

/* A malloc'ed copy of text column i into *out (NULL out: nothing). */
static int column_dup(sqlite_store *st, sqlite3_stmt *s, int i, char **out, const char *what)
{
    const unsigned char *text = sqlite3_column_text(s, i);
    size_t len = (size_t)sqlite3_column_bytes(s, i);
    if (text == NULL)
        return store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "%s: out of memory", what);
    if (out == NULL)
        return LWM2M_OK;
    if ((*out = malloc(len + 1)) == NULL)
        return store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "%s: out of memory", what);
    memcpy(*out, text, len);
    (*out)[len] = '\0';
    return LWM2M_OK;
}

/* One row, one text column: statement `id` with ?1 = bytes (text when `is_text`). */
static int lookup_name(sqlite_store *st, enum stmt_id id, const void *key, size_t len, bool is_text,
                       char **out, const char *what)
{
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "%s", what);
    rc = is_text ? bind_text(s, 1, key) : bind_bytes(s, 1, key, len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int res;
    if (rc == SQLITE_ROW)
        res = column_dup(st, s, 0, out, what);
    else if (rc == SQLITE_DONE)
        res = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "%s: none", what);
    else
        res = store_sqlite_fail(&st->sq, rc, "%s", what);
    store_sqlite_release(&st->sq, id, s);
    return res;
}

static int sq_find_public_key(void *impl, const uint8_t *key, size_t len, char **endpoint)
{
    return lookup_name(impl, ST_FIND_KEY, key, len, false, endpoint, "find public key");
}

static int sq_cert_map_get(void *impl, const char *cn, char **endpoint)
{
    return lookup_name(impl, ST_MAP_GET, cn, 0, true, endpoint, "cert map");
}

static int sq_cert_map_put(void *impl, const char *cn, const char *endpoint, char *err,
                           size_t errlen)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s = NULL;
    int rc = store_sqlite_acquire(&st->sq, ST_MAP_PUT, &s);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 1, cn);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "cert map '%s'", cn);
    if (s != NULL)
        store_sqlite_release(&st->sq, ST_MAP_PUT, s);
    copy_error(st, err, errlen);
    return out;
}

static int sq_cert_map_remove(void *impl, const char *cn)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    bool changed = false;
    int rc = delete_named(st, ST_MAP_DELETE, -1, cn, &changed);
    if (rc == LWM2M_OK && !changed)
        rc = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "CN '%s' is not mapped", cn);
    return rc;
}

static int sq_cert_map_list(void *impl, lwm2m_bs_cert_map_visit fn, void *ctx)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_MAP_LIST, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "cert map list");
    int out = LWM2M_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *cn = (const char *)sqlite3_column_text(s, 0);
        const char *ep = (const char *)sqlite3_column_text(s, 1);
        if (cn == NULL || ep == NULL) {
            out = store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "cert map list: out of memory");
            break;
        }
        if ((out = fn(ctx, cn, ep)) != 0)
            break;
    }
    if (out == LWM2M_OK && rc != SQLITE_DONE)
        out = store_sqlite_fail(&st->sq, rc, "cert map list");
    store_sqlite_release(&st->sq, ST_MAP_LIST, s);
    return out;
}

/* Text column i into a fixed array, cut to fit. */
static void column_copy(sqlite3_stmt *s, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    size_t len = t != NULL ? (size_t)sqlite3_column_bytes(s, i) : 0;
    if (len >= cap)
        len = cap - 1;
    if (len > 0)
        memcpy(out, t, len);
    out[len] = '\0';
}

static bool column_u32(sqlite3_stmt *s, int i, uint32_t *out)
{
    sqlite3_int64 v = sqlite3_column_int64(s, i);
    if (v < 0 || v > (sqlite3_int64)UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static int sq_get_status(void *impl, const char *endpoint, lwm2m_bs_endpoint_status *out)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_GET_STATUS, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "status of '%s'", endpoint);
    rc = bind_text(s, 1, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        if (!column_u32(s, 0, &out->next_plan) || !column_u32(s, 5, &out->sessions))
            res = store_sqlite_note(&st->sq, LWM2M_ERR_RANGE,
                                    "status of '%s': counter out of range", endpoint);
        out->failed = sqlite3_column_int64(s, 1) != 0;
        column_copy(s, 2, out->outcome, sizeof out->outcome);
        column_copy(s, 3, out->diagnostic, sizeof out->diagnostic);
        out->updated_s = sqlite3_column_int64(s, 4);
        if (res != LWM2M_OK)
            memset(out, 0, sizeof *out);
    } else if (rc != SQLITE_DONE) {
        res = store_sqlite_fail(&st->sq, rc, "status of '%s'", endpoint);
    }
    store_sqlite_release(&st->sq, ST_GET_STATUS, s);
    return res;
}

/* updated_s 0 means "now": the store knows when the change happens. */
static int set_one_status(sqlite_store *st, const char *endpoint, const lwm2m_bs_endpoint_status *v)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_SET_STATUS, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "status of '%s'", endpoint);
    rc = bind_text(s, 1, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, v->next_plan);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, v->failed ? 1 : 0);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 4, v->outcome);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 5, v->diagnostic);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 6, v->updated_s != 0 ? v->updated_s : (int64_t)time(NULL));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 7, v->sessions);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out =
        rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "status of '%s'", endpoint);
    store_sqlite_release(&st->sq, ST_SET_STATUS, s);
    return out;
}

static int sq_set_status(void *impl, const lwm2m_bs_status_update *updates, size_t n)
{
    sqlite_store *st = impl;
    st->sq.error[0] = '\0';
    if (n == 1) /* a single statement is its own transaction */
        return set_one_status(st, updates[0].endpoint, updates[0].status);
    int rc = store_sqlite_run(&st->sq, ST_BEGIN, "begin transaction");
    for (size_t i = 0; rc == LWM2M_OK && i < n; i++)
        rc = set_one_status(st, updates[i].endpoint, updates[i].status);
    if (rc == LWM2M_OK)
        rc = store_sqlite_run(&st->sq, ST_COMMIT, "commit");
    if (rc != LWM2M_OK)
        store_sqlite_rollback(&st->sq, ST_ROLLBACK);
    return rc;
}

/* One-row, one-column pragma as an integer. */
static int pragma_int(sqlite_store *st, const char *sql, int64_t *out)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->sq.db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "%s", sql);
    rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        res = store_sqlite_fail(&st->sq, rc, "%s", sql);
    (void)sqlite3_finalize(s); /* repeats the step's code, handled */
    return res;
}

static int refuse_newer(sqlite_store *st, int64_t version)
{
    return store_sqlite_note(&st->sq, LWM2M_ERR_UNSUPPORTED,
                             "schema version %lld is newer than this build supports (%d)",
                             (long long)version, SCHEMA_VERSION);
}

/* Creates the schema of a new file, or upgrades an older one, once even when processes open
 * it together. */
static int create_schema(sqlite_store *st)
{
    int rc = store_sqlite_exec(&st->sq, "BEGIN IMMEDIATE", "create schema");
    if (rc != LWM2M_OK)
        return rc;
    int64_t version = 0, objects = 0;
    rc = pragma_int(st, "PRAGMA user_version", &version);
    if (rc == LWM2M_OK && version > SCHEMA_VERSION)
        rc = refuse_newer(st, version);
    if (rc == LWM2M_OK && version == 0) {
        /* Version 0 with tables: some other application's database — unless the only tables
         * are the LwM2M Server's credentials (sec_store.c), which may share the file. */
        rc = pragma_int(
            st,
            "SELECT count(*) FROM sqlite_schema"
            " WHERE tbl_name NOT IN ('server_security', 'server_pki', 'server_cert_map')",
            &objects);
        if (rc == LWM2M_OK && objects > 0)
            rc = store_sqlite_note(&st->sq, LWM2M_ERR_INVALID,
                                   "not a bootstrap store (%lld tables, no version)",
                                   (long long)objects);
        if (rc == LWM2M_OK)
            rc = store_sqlite_exec(&st->sq, schema_sql, "create schema");
    } else if (rc == LWM2M_OK && version < SCHEMA_VERSION) {
        rc = store_sqlite_exec(&st->sq, migrate_sql, "upgrade schema to version 2");
    }
    if (rc == LWM2M_OK)
        rc = store_sqlite_exec(&st->sq, "COMMIT", "create schema");
    if (rc != LWM2M_OK && !sqlite3_get_autocommit(st->sq.db)) {
        char cause[sizeof st->sq.error];
        memcpy(cause, st->sq.error, sizeof cause);
        if (store_sqlite_exec(&st->sq, "ROLLBACK", "rollback") == LWM2M_OK)
            memcpy(st->sq.error, cause, sizeof cause);
    }
    return rc;
}

static int setup(sqlite_store *st, const char *path)
{
    int res = store_sqlite_open(&st->sq, path, stmt_sql, ST_COUNT);
    if (res == LWM2M_OK)
        res = store_sqlite_exec(&st->sq, "PRAGMA foreign_keys = ON", "pragmas");
    int64_t version = 0;
    if (res == LWM2M_OK)
        res = pragma_int(st, "PRAGMA user_version", &version);
    if (res == LWM2M_OK && version > SCHEMA_VERSION)
        res = refuse_newer(st, version);
    if (res == LWM2M_OK && version < SCHEMA_VERSION)
        res = create_schema(st);
    if (res == LWM2M_OK)
        res = store_sqlite_prepare_all(&st->sq);
    return res;
}

static void sq_close(void *impl)
{
    sqlite_store *st = impl;
    if (st == NULL)
        return;
    store_sqlite_close(&st->sq);
    free(st);
}

static int sq_open(const char *path, void **impl, char *err, size_t errlen)
{
    *impl = NULL;
    sqlite_store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "sqlite store '%s': out of memory", path);
        return LWM2M_ERR_NOMEM;
    }
    int rc = setup(st, path);
    if (rc != LWM2M_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "sqlite store '%s': %s", path, st->sq.error);
        sq_close(st);
        return rc;
    }
    *impl = st;
    return LWM2M_OK;
}

static const char *sq_last_error(const void *impl)
{
    const sqlite_store *st = impl;
    return st->sq.error;
}

const lwm2m_bs_backend lwm2m_bs_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .put = sq_put,
    .get = sq_get,
    .remove = sq_remove,
    .list = sq_list,
    .find_identity = sq_find_identity,
    .find_public_key = sq_find_public_key,
    .cert_map_put = sq_cert_map_put,
    .cert_map_get = sq_cert_map_get,
    .cert_map_remove = sq_cert_map_remove,
    .cert_map_list = sq_cert_map_list,
    .get_status = sq_get_status,
    .set_status = sq_set_status,
    .last_error = sq_last_error,
};
