/* The SQLite store backend: one database file in WAL mode with synchronous=FULL, so that a
 * committed put() survives kill -9 and power loss, and several processes can share the file. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/error.h"
#include "store/bs_store_backend.h"

/* PRAGMA user_version of the schema below; a file of a newer version is refused, not
 * misread. */
#define SCHEMA_VERSION 1

#define BUSY_TIMEOUT_MS 5000

/* Status of an endpoint is kept apart from its entry: endpoints configured through a
 * template have a status but no entry, so it cannot be a foreign key of entries. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS entries ("
    " kind INTEGER NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL,"
    " match TEXT NOT NULL DEFAULT '', psk_identity BLOB, psk_key BLOB,"
    " updated INTEGER NOT NULL, PRIMARY KEY (kind, name));"
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_psk_identity ON entries (psk_identity)"
    " WHERE psk_identity IS NOT NULL AND kind = 0;"
    "CREATE TABLE IF NOT EXISTS status ("
    " endpoint TEXT NOT NULL PRIMARY KEY, next_plan INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " outcome TEXT NOT NULL, diagnostic TEXT NOT NULL, updated INTEGER NOT NULL,"
    " sessions INTEGER NOT NULL);"
    "PRAGMA user_version = 1;";

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_CLEAR_IDENTITY,
    ST_OWNER,
    ST_UPSERT,
    ST_GET,
    ST_DELETE,
    ST_DELETE_STATUS,
    ST_LIST,
    ST_FIND,
    ST_GET_STATUS,
    ST_SET_STATUS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_CLEAR_IDENTITY] = "UPDATE entries SET psk_identity = NULL"
                          " WHERE kind = 0 AND name = ?1 AND psk_identity IS NOT NULL",
    [ST_OWNER] = "SELECT name FROM entries WHERE kind = 0 AND psk_identity = ?1 AND name <> ?2",
    [ST_UPSERT] = "INSERT INTO entries (kind, name, json, match, psk_identity, psk_key, updated)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (kind, name) DO UPDATE SET"
                  " json = excluded.json, match = excluded.match,"
                  " psk_identity = excluded.psk_identity, psk_key = excluded.psk_key,"
                  " updated = excluded.updated",
    [ST_GET] = "SELECT json FROM entries WHERE kind = ?1 AND name = ?2",
    [ST_DELETE] = "DELETE FROM entries WHERE kind = ?1 AND name = ?2",
    [ST_DELETE_STATUS] = "DELETE FROM status WHERE endpoint = ?1",
    [ST_LIST] = "SELECT name, json, match, psk_identity, psk_key FROM entries"
                " WHERE kind = ?1 ORDER BY name",
    [ST_FIND] = "SELECT name, psk_key FROM entries WHERE kind = 0 AND psk_identity = ?1",
    [ST_GET_STATUS] = "SELECT next_plan, failed, outcome, diagnostic, updated, sessions"
                      " FROM status WHERE endpoint = ?1",
    [ST_SET_STATUS] = "INSERT INTO status"
                      " (endpoint, next_plan, failed, outcome, diagnostic, updated, sessions)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (endpoint) DO UPDATE SET"
                      " next_plan = excluded.next_plan, failed = excluded.failed,"
                      " outcome = excluded.outcome, diagnostic = excluded.diagnostic,"
                      " updated = excluded.updated, sessions = excluded.sessions",
};

typedef struct sqlite_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT]; /* prepared once at open */
    char error[512];              /* of the last call; "" when it succeeded */
} sqlite_store;

static int map_rc(int rc)
{
    switch (rc) {
    case SQLITE_NOMEM:
        return LWM2M_ERR_NOMEM;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return LWM2M_ERR_EXISTS;
    default:
        /* I/O errors, a full disk, a lock held too long, a corrupt file: the error set has
         * no closer code; the text is in last_error. */
        return LWM2M_ERR_INVALID;
    }
}

/* Records "<context>: <sqlite message>" as the last error; returns the matching code. */
__attribute__((format(printf, 3, 4))) static int fail(sqlite_store *st, int rc, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(st->error, sizeof st->error, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof st->error)
        snprintf(st->error + n, sizeof st->error - (size_t)n, ": %s",
                 st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    return map_rc(rc);
}

__attribute__((format(printf, 3, 4))) static int note(sqlite_store *st, int rc, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof st->error, fmt, ap);
    va_end(ap);
    return rc;
}

static void copy_error(const sqlite_store *st, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", st->error);
}

static const char *kind_name(lwm2m_bs_entry_kind kind)
{
    return kind == LWM2M_BS_ENTRY_ENDPOINT ? "endpoint" : "template";
}

/* The cached statement, or a fresh one while the cached one is still stepping: a list()
 * callback may call back into the store. */
static int acquire(sqlite_store *st, enum stmt_id id, sqlite3_stmt **out)
{
    if (!sqlite3_stmt_busy(st->stmt[id])) {
        *out = st->stmt[id];
        return SQLITE_OK;
    }
    return sqlite3_prepare_v2(st->db, stmt_sql[id], -1, out, NULL);
}

static void release(sqlite_store *st, enum stmt_id id, sqlite3_stmt *s)
{
    if (s != st->stmt[id]) {
        (void)sqlite3_finalize(s); /* its code repeats the last step's, already handled */
        return;
    }
    (void)sqlite3_reset(s); /* same */
    /* Unbinds the caller's strings (bound SQLITE_STATIC); cannot fail. */
    (void)sqlite3_clear_bindings(s);
}

/* Runs a statement without parameters nor rows (BEGIN, COMMIT, ROLLBACK). */
static int run(sqlite_store *st, enum stmt_id id, const char *what)
{
    sqlite3_stmt *s;
    int rc = acquire(st, id, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "%s", what);
    rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "%s", what);
    release(st, id, s);
    return out;
}

/* Undoes the open transaction after a failure, keeping the failure's message. */
static void rollback(sqlite_store *st)
{
    /* SQLite rolls back by itself on some errors (full disk, I/O, no memory). */
    if (sqlite3_get_autocommit(st->db))
        return;
    char cause[sizeof st->error];
    memcpy(cause, st->error, sizeof cause);
    if (run(st, ST_ROLLBACK, "rollback") == LWM2M_OK) {
        memcpy(st->error, cause, sizeof cause);
        return;
    }
    char rb[sizeof st->error];
    memcpy(rb, st->error, sizeof rb);
    snprintf(st->error, sizeof st->error, "%.250s; %.250s", cause, rb);
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

/* A PSK identity for a message: text when printable, else hex. */
static void show_identity(const uint8_t *p, size_t len, char *out, size_t cap)
{
    bool printable = true;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\'')
            printable = false;
    if (printable) {
        snprintf(out, cap, "%.*s", (int)len, (const char *)p);
        return;
    }
    size_t o = (size_t)snprintf(out, cap, "0x");
    for (size_t i = 0; i < len && o + 2 < cap; i++, o += 2)
        snprintf(out + o, cap - o, "%02x", p[i]);
}

/* Fails with LWM2M_ERR_EXISTS when e's identity belongs to another endpoint. */
static int check_owner(sqlite_store *st, const lwm2m_bs_entry *e)
{
    sqlite3_stmt *s;
    int rc = acquire(st, ST_OWNER, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "endpoint '%s'", e->name);
    rc = bind_bytes(s, 1, e->psk_identity, e->psk_identity_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, e->name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *owner = sqlite3_column_text(s, 0);
        char shown[2 * LWM2M_PSK_IDENTITY_MAX + 3];
        show_identity(e->psk_identity, e->psk_identity_len, shown, sizeof shown);
        out = note(st, LWM2M_ERR_EXISTS,
                   "endpoint '%s': psk identity '%s' already belongs to endpoint '%s'", e->name,
                   shown, owner != NULL ? (const char *)owner : "?");
    } else if (rc != SQLITE_DONE) {
        out = fail(st, rc, "endpoint '%s'", e->name);
    }
    release(st, ST_OWNER, s);
    return out;
}

/* Drops the stored identity of an endpoint of the batch before any entry is written, so a
 * batch may move identities between its endpoints (swap included). */
static int clear_identity(sqlite_store *st, const lwm2m_bs_entry *e)
{
    sqlite3_stmt *s;
    int rc = acquire(st, ST_CLEAR_IDENTITY, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "endpoint '%s'", e->name);
    rc = bind_text(s, 1, e->name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "endpoint '%s'", e->name);
    release(st, ST_CLEAR_IDENTITY, s);
    return out;
}

static int upsert(sqlite_store *st, const lwm2m_bs_entry *e, int64_t now)
{
    const char *what = kind_name(e->kind);
    sqlite3_stmt *s;
    int rc = acquire(st, ST_UPSERT, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "%s '%s'", what, e->name);
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
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "%s '%s'", what, e->name);
    release(st, ST_UPSERT, s);
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
            rc = check_owner(st, e);
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
    st->error[0] = '\0';
    int rc = run(st, ST_BEGIN, "begin transaction");
    if (rc == LWM2M_OK) {
        rc = put_all(st, entries, n);
        if (rc == LWM2M_OK)
            rc = run(st, ST_COMMIT, "commit");
        if (rc != LWM2M_OK)
            rollback(st);
    }
    copy_error(st, err, errlen);
    return rc;
}

static int sq_get(void *impl, lwm2m_bs_entry_kind kind, const char *name, char **json)
{
    sqlite_store *st = impl;
    st->error[0] = '\0';
    sqlite3_stmt *s;
    int rc = acquire(st, ST_GET, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "get %s '%s'", kind_name(kind), name);
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
            out = note(st, LWM2M_ERR_NOMEM, "get %s '%s': out of memory", kind_name(kind), name);
        } else {
            memcpy(copy, text, (size_t)len);
            copy[len] = '\0';
            *json = copy;
            out = LWM2M_OK;
        }
    } else if (rc == SQLITE_DONE) {
        out = note(st, LWM2M_ERR_NOT_FOUND, "%s '%s' not found", kind_name(kind), name);
    } else {
        out = fail(st, rc, "get %s '%s'", kind_name(kind), name);
    }
    release(st, ST_GET, s);
    return out;
}

/* Deletes by name with statement `id` (?1 = name, or ?1 = kind and ?2 = name); *changed
 * tells whether a row went. */
static int delete_named(sqlite_store *st, enum stmt_id id, int kind, const char *name,
                        bool *changed)
{
    sqlite3_stmt *s;
    int rc = acquire(st, id, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "remove '%s'", name);
    int at = 1;
    if (kind >= 0)
        rc = sqlite3_bind_int(s, at++, kind);
    if (rc == SQLITE_OK)
        rc = bind_text(s, at, name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "remove '%s'", name);
    if (out == LWM2M_OK && changed != NULL)
        *changed = sqlite3_changes(st->db) > 0;
    release(st, id, s);
    return out;
}

static int sq_remove(void *impl, lwm2m_bs_entry_kind kind, const char *name)
{
    sqlite_store *st = impl;
    st->error[0] = '\0';
    int rc = run(st, ST_BEGIN, "begin transaction");
    if (rc != LWM2M_OK)
        return rc;
    bool changed = false;
    rc = delete_named(st, ST_DELETE, (int)kind, name, &changed);
    if (rc == LWM2M_OK && !changed)
        rc = note(st, LWM2M_ERR_NOT_FOUND, "%s '%s' not found", kind_name(kind), name);
    if (rc == LWM2M_OK && kind == LWM2M_BS_ENTRY_ENDPOINT)
        rc = delete_named(st, ST_DELETE_STATUS, -1, name, NULL);
    if (rc == LWM2M_OK)
        rc = run(st, ST_COMMIT, "commit");
    if (rc != LWM2M_OK)
        rollback(st);
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
    st->error[0] = '\0';
    sqlite3_stmt *s;
    int rc = acquire(st, ST_LIST, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "list");
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
            out = note(st, LWM2M_ERR_NOMEM, "list: out of memory");
            break;
        }
        e.psk_identity = column_bytes(s, 3, &e.psk_identity_len);
        e.psk_key = column_bytes(s, 4, &e.psk_key_len);
        out = fn(ctx, &e);
        if (out != 0)
            break;
    }
    if (out == LWM2M_OK && rc != SQLITE_DONE)
        out = fail(st, rc, "list");
    release(st, ST_LIST, s);
    return out;
}

static int sq_find_identity(void *impl, const uint8_t *id, size_t id_len, char **endpoint,
                            uint8_t *key, size_t *key_len)
{
    sqlite_store *st = impl;
    st->error[0] = '\0';
    sqlite3_stmt *s;
    int rc = acquire(st, ST_FIND, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "find identity");
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
            out = note(st, LWM2M_ERR_NOMEM, "find identity: out of memory");
        } else if (klen > LWM2M_PSK_KEY_MAX) {
            out = note(st, LWM2M_ERR_OVERFLOW, "endpoint '%s': stored psk key of %zu bytes",
                       (const char *)name, klen);
        } else if (endpoint != NULL && (*endpoint = malloc(name_len + 1)) == NULL) {
            out = note(st, LWM2M_ERR_NOMEM, "find identity: out of memory");
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
        out = note(st, LWM2M_ERR_NOT_FOUND, "no endpoint has this psk identity");
    } else {
        out = fail(st, rc, "find identity");
    }
    release(st, ST_FIND, s);
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
    st->error[0] = '\0';
    sqlite3_stmt *s;
    int rc = acquire(st, ST_GET_STATUS, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "status of '%s'", endpoint);
    rc = bind_text(s, 1, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        if (!column_u32(s, 0, &out->next_plan) || !column_u32(s, 5, &out->sessions))
            res = note(st, LWM2M_ERR_RANGE, "status of '%s': counter out of range", endpoint);
        out->failed = sqlite3_column_int64(s, 1) != 0;
        column_copy(s, 2, out->outcome, sizeof out->outcome);
        column_copy(s, 3, out->diagnostic, sizeof out->diagnostic);
        out->updated_s = sqlite3_column_int64(s, 4);
        if (res != LWM2M_OK)
            memset(out, 0, sizeof *out);
    } else if (rc != SQLITE_DONE) {
        res = fail(st, rc, "status of '%s'", endpoint);
    }
    release(st, ST_GET_STATUS, s);
    return res;
}

/* updated_s 0 means "now": the store knows when the change happens. */
static int sq_set_status(void *impl, const char *endpoint, const lwm2m_bs_endpoint_status *v)
{
    sqlite_store *st = impl;
    st->error[0] = '\0';
    sqlite3_stmt *s;
    int rc = acquire(st, ST_SET_STATUS, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "status of '%s'", endpoint);
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
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "status of '%s'", endpoint);
    release(st, ST_SET_STATUS, s);
    return out;
}

/* One-row, one-column pragma as an integer. */
static int pragma_int(sqlite_store *st, const char *sql, int64_t *out)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return fail(st, rc, "%s", sql);
    rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        res = fail(st, rc, "%s", sql);
    (void)sqlite3_finalize(s); /* repeats the step's code, handled */
    return res;
}

static int enable_wal(sqlite_store *st)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return fail(st, rc, "journal_mode");
    rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc != SQLITE_ROW) {
        res = fail(st, rc, "journal_mode");
    } else {
        /* SQLite answers the mode it is in: another one means WAL is impossible here. */
        const unsigned char *mode = sqlite3_column_text(s, 0);
        if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
            res = note(st, LWM2M_ERR_INVALID, "cannot use WAL journal (mode '%s')",
                       mode != NULL ? (const char *)mode : "?");
    }
    (void)sqlite3_finalize(s);
    return res;
}

static int exec(sqlite_store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg); /* the same text as sqlite3_errmsg, which fail() reads */
    return rc == SQLITE_OK ? LWM2M_OK : fail(st, rc, "%s", what);
}

static int refuse_newer(sqlite_store *st, int64_t version)
{
    return note(st, LWM2M_ERR_UNSUPPORTED,
                "schema version %lld is newer than this build supports (%d)", (long long)version,
                SCHEMA_VERSION);
}

/* Creates the schema of a new file, once even when processes open it together. */
static int create_schema(sqlite_store *st)
{
    int rc = exec(st, "BEGIN IMMEDIATE", "create schema");
    if (rc != LWM2M_OK)
        return rc;
    int64_t version = 0, objects = 0;
    rc = pragma_int(st, "PRAGMA user_version", &version);
    if (rc == LWM2M_OK && version > SCHEMA_VERSION)
        rc = refuse_newer(st, version);
    if (rc == LWM2M_OK && version == 0) {
        /* Version 0 with tables: some other application's database — unless the only table
         * is the LwM2M Server's credentials (sec_store.c), which may share the file. */
        rc = pragma_int(
            st, "SELECT count(*) FROM sqlite_schema WHERE tbl_name <> 'server_security'", &objects);
        if (rc == LWM2M_OK && objects > 0)
            rc = note(st, LWM2M_ERR_INVALID, "not a bootstrap store (%lld tables, no version)",
                      (long long)objects);
        if (rc == LWM2M_OK)
            rc = exec(st, schema_sql, "create schema");
    }
    if (rc == LWM2M_OK)
        rc = exec(st, "COMMIT", "create schema");
    if (rc != LWM2M_OK && !sqlite3_get_autocommit(st->db)) {
        char cause[sizeof st->error];
        memcpy(cause, st->error, sizeof cause);
        if (exec(st, "ROLLBACK", "rollback") == LWM2M_OK)
            memcpy(st->error, cause, sizeof cause);
    }
    return rc;
}

static int setup(sqlite_store *st, const char *path)
{
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        return fail(st, rc, "open");
    rc = sqlite3_extended_result_codes(st->db, 1);
    if (rc != SQLITE_OK)
        return fail(st, rc, "open");
    /* SQLite falls back to read-only on a write-protected file; a store must be writable. */
    if (sqlite3_db_readonly(st->db, "main") != 0)
        return note(st, LWM2M_ERR_INVALID, "file is read-only");
    rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        return fail(st, rc, "busy_timeout");
    int res = enable_wal(st);
    if (res == LWM2M_OK)
        res = exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "pragmas");
    int64_t version = 0;
    if (res == LWM2M_OK)
        res = pragma_int(st, "PRAGMA user_version", &version);
    if (res == LWM2M_OK && version > SCHEMA_VERSION)
        res = refuse_newer(st, version);
    if (res == LWM2M_OK && version < SCHEMA_VERSION)
        res = create_schema(st);
    for (int i = 0; i < ST_COUNT && res == LWM2M_OK; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                                NULL);
        if (rc != SQLITE_OK)
            res = fail(st, rc, "prepare");
    }
    return res;
}

static void sq_close(void *impl)
{
    sqlite_store *st = impl;
    if (st == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        (void)sqlite3_finalize(st->stmt[i]); /* repeats the last step's code, handled */
    /* Fails only with statements left unfinalized; close_v2 then closes when they go. */
    if (sqlite3_close(st->db) != SQLITE_OK)
        (void)sqlite3_close_v2(st->db);
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
            snprintf(err, errlen, "sqlite store '%s': %s", path, st->error);
        sq_close(st);
        return rc;
    }
    *impl = st;
    return LWM2M_OK;
}

static const char *sq_last_error(const void *impl)
{
    const sqlite_store *st = impl;
    return st->error;
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
    .get_status = sq_get_status,
    .set_status = sq_set_status,
    .last_error = sq_last_error,
};
