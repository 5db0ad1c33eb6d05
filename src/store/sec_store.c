/* The LwM2M Server's DTLS PSK credentials in SQLite: one row per endpoint in table
 * server_security, in WAL mode with synchronous=FULL like the Bootstrap Server's store, whose
 * file it may share. The table is ours; the file's schema version belongs to the bs store. */
#include "lwm2m/sec_store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m/error.h"

#define BUSY_TIMEOUT_MS 5000

/* TEXT PRIMARY KEY alone would accept NULL (an SQLite legacy quirk). */
static const char table_sql[] =
    "CREATE TABLE IF NOT EXISTS server_security ("
    " endpoint TEXT NOT NULL PRIMARY KEY, psk_identity BLOB NOT NULL UNIQUE,"
    " psk_key BLOB NOT NULL, updated_s INTEGER NOT NULL)";

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_OWNER,
    ST_UPSERT,
    ST_GET,
    ST_FIND,
    ST_DELETE,
    ST_LIST,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_OWNER] = "SELECT endpoint FROM server_security WHERE psk_identity = ?1 AND endpoint <> ?2",
    [ST_UPSERT] = "INSERT INTO server_security (endpoint, psk_identity, psk_key, updated_s)"
                  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (endpoint) DO UPDATE SET"
                  " psk_identity = excluded.psk_identity, psk_key = excluded.psk_key,"
                  " updated_s = excluded.updated_s",
    [ST_GET] = "SELECT endpoint, psk_identity, psk_key FROM server_security WHERE endpoint = ?1",
    [ST_FIND] = ("SELECT endpoint, psk_identity, psk_key FROM server_security"
                 " WHERE psk_identity = ?1"),
    [ST_DELETE] = "DELETE FROM server_security WHERE endpoint = ?1",
    [ST_LIST] = "SELECT endpoint, psk_identity, psk_key FROM server_security ORDER BY endpoint",
};

struct lwm2m_sec_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT]; /* prepared once at open */
    char error[512];              /* of the last call; "" when it succeeded */
};

typedef struct lwm2m_sec_store sec_store;

static int map_rc(int rc)
{
    switch (rc) {
    case SQLITE_NOMEM:
        return LWM2M_ERR_NOMEM;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return LWM2M_ERR_EXISTS;
    default:
        /* I/O errors, a full disk, a lock held too long, a corrupt file: no closer code;
         * the text is in last_error. */
        return LWM2M_ERR_INVALID;
    }
}

/* Records "<context>: <sqlite message>" as the last error; returns the matching code. */
__attribute__((format(printf, 3, 4))) static int fail(sec_store *st, int rc, const char *fmt, ...)
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

__attribute__((format(printf, 3, 4))) static int note(sec_store *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof st->error, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 4, 5))) static int say(char *err, size_t errlen, int rc,
                                                     const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* The cached statement, or a fresh one while the cached one is still stepping: a list()
 * callback may call back into the store. */
static int acquire(sec_store *st, enum stmt_id id, sqlite3_stmt **out)
{
    if (!sqlite3_stmt_busy(st->stmt[id])) {
        *out = st->stmt[id];
        return SQLITE_OK;
    }
    return sqlite3_prepare_v2(st->db, stmt_sql[id], -1, out, NULL);
}

static void release(sec_store *st, enum stmt_id id, sqlite3_stmt *s)
{
    if (s != st->stmt[id]) {
        (void)sqlite3_finalize(s); /* its code repeats the last step's, already handled */
        return;
    }
    (void)sqlite3_reset(s); /* same */
    /* Unbinds the caller's bytes (bound SQLITE_STATIC); cannot fail. */
    (void)sqlite3_clear_bindings(s);
}

/* Runs a statement without parameters nor rows (BEGIN, COMMIT, ROLLBACK). */
static int run(sec_store *st, enum stmt_id id, const char *what)
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
static void rollback(sec_store *st)
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

/* len is 1..LWM2M_SEC_IDENTITY_MAX or LWM2M_SEC_KEY_MAX here: an int. */
static int bind_bytes(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
    return sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
}

/* A PSK identity for a message: text when printable, else hex (cut to fit). */
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

/* Copies the current row (endpoint, identity, key) into a zeroed *out. Sizes outside the
 * struct's ranges come only from a file written by something else: refused, not cut. */
static int read_row(sec_store *st, sqlite3_stmt *s, lwm2m_sec_info *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *ep = sqlite3_column_text(s, 0);
    size_t ep_len = (size_t)sqlite3_column_bytes(s, 0);
    const void *id = sqlite3_column_blob(s, 1);
    size_t id_len = (size_t)sqlite3_column_bytes(s, 1);
    const void *key = sqlite3_column_blob(s, 2);
    size_t key_len = (size_t)sqlite3_column_bytes(s, 2);
    /* The columns are NOT NULL: no data with a length means SQLite ran out of memory. */
    if (ep == NULL || (id == NULL && id_len > 0) || (key == NULL && key_len > 0))
        return note(st, LWM2M_ERR_NOMEM, "read credentials: out of memory");
    if (ep_len > LWM2M_SEC_ENDPOINT_MAX || id_len > LWM2M_SEC_IDENTITY_MAX ||
        key_len > LWM2M_SEC_KEY_MAX)
        return note(st, LWM2M_ERR_OVERFLOW,
                    "endpoint '%.*s': stored endpoint/identity/key of %zu/%zu/%zu bytes",
                    (int)(ep_len < 64 ? ep_len : 64), (const char *)ep, ep_len, id_len, key_len);
    if (ep_len == 0 || id_len == 0 || key_len == 0)
        return note(st, LWM2M_ERR_INVALID, "endpoint '%s': stored with an empty field",
                    (const char *)ep);
    memcpy(out->endpoint, ep, ep_len);
    memcpy(out->psk_identity, id, id_len);
    out->psk_identity_len = id_len;
    memcpy(out->psk_key, key, key_len);
    out->psk_key_len = key_len;
    return LWM2M_OK;
}

/* Looks one row up: ST_GET by the endpoint string p, ST_FIND by the identity p[0..len). */
static int lookup(sec_store *st, enum stmt_id id, const uint8_t *p, size_t len, lwm2m_sec_info *out,
                  const char *what)
{
    sqlite3_stmt *s;
    int rc = acquire(st, id, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "%s", what);
    rc = id == ST_GET ? bind_text(s, 1, (const char *)p) : bind_bytes(s, 1, p, len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int res;
    if (rc == SQLITE_ROW)
        res = read_row(st, s, out);
    else if (rc == SQLITE_DONE)
        res = note(st, LWM2M_ERR_NOT_FOUND, "%s: no such entry", what);
    else
        res = fail(st, rc, "%s", what);
    release(st, id, s);
    if (res != LWM2M_OK)
        memset(out, 0, sizeof *out);
    return res;
}

/* Fails with LWM2M_ERR_EXISTS when the identity belongs to another endpoint. */
static int check_owner(sec_store *st, const lwm2m_sec_info *info)
{
    sqlite3_stmt *s;
    int rc = acquire(st, ST_OWNER, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "endpoint '%s'", info->endpoint);
    rc = bind_bytes(s, 1, info->psk_identity, info->psk_identity_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, info->endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *owner = sqlite3_column_text(s, 0);
        char shown[2 * LWM2M_SEC_IDENTITY_MAX + 3];
        show_identity(info->psk_identity, info->psk_identity_len, shown, sizeof shown);
        out = note(st, LWM2M_ERR_EXISTS,
                   "endpoint '%s': psk identity '%s' already belongs to endpoint '%s'",
                   info->endpoint, shown, owner != NULL ? (const char *)owner : "?");
    } else if (rc != SQLITE_DONE) {
        out = fail(st, rc, "endpoint '%s'", info->endpoint);
    }
    release(st, ST_OWNER, s);
    return out;
}

static int upsert(sec_store *st, const lwm2m_sec_info *info)
{
    sqlite3_stmt *s;
    int rc = acquire(st, ST_UPSERT, &s);
    if (rc != SQLITE_OK)
        return fail(st, rc, "endpoint '%s'", info->endpoint);
    rc = bind_text(s, 1, info->endpoint);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 2, info->psk_identity, info->psk_identity_len);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 3, info->psk_key, info->psk_key_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : fail(st, rc, "endpoint '%s'", info->endpoint);
    release(st, ST_UPSERT, s);
    return out;
}

static int check_info(const lwm2m_sec_info *info, char *err, size_t errlen)
{
    if (memchr(info->endpoint, '\0', sizeof info->endpoint) == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint name longer than %d bytes",
                   LWM2M_SEC_ENDPOINT_MAX);
    if (info->endpoint[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "empty endpoint name");
    if (info->psk_identity_len == 0 || info->psk_identity_len > LWM2M_SEC_IDENTITY_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "endpoint '%s': psk identity of %zu bytes (1..%d)", info->endpoint,
                   info->psk_identity_len, LWM2M_SEC_IDENTITY_MAX);
    if (info->psk_key_len == 0 || info->psk_key_len > LWM2M_SEC_KEY_MAX)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': psk key of %zu bytes (1..%d)",
                   info->endpoint, info->psk_key_len, LWM2M_SEC_KEY_MAX);
    return LWM2M_OK;
}

int lwm2m_sec_store_put(lwm2m_sec_store *s, const lwm2m_sec_info *info, char *err, size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (s == NULL || info == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no store or no credentials");
    s->error[0] = '\0';
    int rc = check_info(info, s->error, sizeof s->error);
    if (rc == LWM2M_OK)
        rc = run(s, ST_BEGIN, "begin transaction");
    if (rc == LWM2M_OK) {
        rc = check_owner(s, info);
        if (rc == LWM2M_OK)
            rc = upsert(s, info);
        if (rc == LWM2M_OK)
            rc = run(s, ST_COMMIT, "commit");
        if (rc != LWM2M_OK)
            rollback(s);
    }
    say(err, errlen, 0, "%s", s->error);
    return rc;
}

int lwm2m_sec_store_get(lwm2m_sec_store *s, const char *endpoint, lwm2m_sec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || endpoint == NULL || out == NULL)
        return LWM2M_ERR_INVALID;
    s->error[0] = '\0';
    /* Any name is looked up as is (a client's ep): one no entry can have is just absent. */
    size_t len = strnlen(endpoint, LWM2M_SEC_ENDPOINT_MAX + 1);
    if (len == 0 || len > LWM2M_SEC_ENDPOINT_MAX)
        return note(s, LWM2M_ERR_NOT_FOUND, "get: no such entry");
    return lookup(s, ST_GET, (const uint8_t *)endpoint, len, out, "get");
}

int lwm2m_sec_store_find_identity(lwm2m_sec_store *s, const uint8_t *id, size_t len,
                                  lwm2m_sec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || (id == NULL && len > 0) || out == NULL)
        return LWM2M_ERR_INVALID;
    s->error[0] = '\0';
    /* Whatever a DTLS client sends is looked up as is: no stored identity has these sizes. */
    if (len == 0 || len > LWM2M_SEC_IDENTITY_MAX)
        return note(s, LWM2M_ERR_NOT_FOUND, "find identity: no such entry");
    return lookup(s, ST_FIND, id, len, out, "find identity");
}

int lwm2m_sec_store_remove(lwm2m_sec_store *s, const char *endpoint)
{
    if (s == NULL || endpoint == NULL)
        return LWM2M_ERR_INVALID;
    s->error[0] = '\0';
    sqlite3_stmt *st;
    int rc = acquire(s, ST_DELETE, &st);
    if (rc != SQLITE_OK)
        return fail(s, rc, "remove '%s'", endpoint);
    rc = bind_text(st, 1, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int out;
    if (rc != SQLITE_DONE)
        out = fail(s, rc, "remove '%s'", endpoint);
    else if (sqlite3_changes(s->db) == 0)
        out = note(s, LWM2M_ERR_NOT_FOUND, "remove '%s': no such entry", endpoint);
    else
        out = LWM2M_OK;
    release(s, ST_DELETE, st);
    return out;
}

int lwm2m_sec_store_list(lwm2m_sec_store *s, int (*fn)(void *ctx, const lwm2m_sec_info *info),
                         void *ctx)
{
    if (s == NULL || fn == NULL)
        return LWM2M_ERR_INVALID;
    s->error[0] = '\0';
    sqlite3_stmt *st;
    int rc = acquire(s, ST_LIST, &st);
    if (rc != SQLITE_OK)
        return fail(s, rc, "list");
    int out = LWM2M_OK;
    lwm2m_sec_info info;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out = read_row(s, st, &info);
        if (out == LWM2M_OK)
            out = fn(ctx, &info);
        if (out != 0)
            break;
    }
    if (out == LWM2M_OK && rc != SQLITE_DONE)
        out = fail(s, rc, "list");
    release(s, ST_LIST, st);
    return out;
}

const char *lwm2m_sec_store_last_error(const lwm2m_sec_store *s)
{
    return s == NULL ? "" : s->error;
}

/* ---- opening ---- */

static int exec(sec_store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg); /* the same text as sqlite3_errmsg, which fail() reads */
    return rc == SQLITE_OK ? LWM2M_OK : fail(st, rc, "%s", what);
}

static int enable_wal(sec_store *st)
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

static int setup(sec_store *st, const char *path)
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
        res = exec(st, "PRAGMA synchronous = FULL", "pragmas");
    if (res == LWM2M_OK)
        res = exec(st, table_sql, "create table");
    for (int i = 0; i < ST_COUNT && res == LWM2M_OK; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                                NULL);
        if (rc != SQLITE_OK)
            res = fail(st, rc, "prepare");
    }
    return res;
}

void lwm2m_sec_store_close(lwm2m_sec_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        (void)sqlite3_finalize(s->stmt[i]); /* repeats the last step's code, handled */
    /* Fails only with statements left unfinalized; close_v2 then closes when they go. */
    if (sqlite3_close(s->db) != SQLITE_OK)
        (void)sqlite3_close_v2(s->db);
    free(s);
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* URL schemes are case-insensitive (RFC 3986 §3.1). */
static bool has_scheme(const char *s, const char *scheme)
{
    for (; *scheme != '\0'; s++, scheme++)
        if (lower(*s) != *scheme)
            return false;
    return true;
}

/* Length of the scheme of a "scheme://..." spec, 0 for anything else (a bare path). */
static size_t url_scheme_len(const char *spec)
{
    size_t i = 0;
    char c = lower(spec[0]);
    if (c < 'a' || c > 'z')
        return 0;
    for (;;) {
        c = lower(spec[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            break;
        i++;
    }
    return strncmp(spec + i, "://", 3) == 0 ? i : 0;
}

/* The same specs as lwm2m_bs_store_open, so one --store value serves both servers. */
int lwm2m_sec_store_open(const char *spec, lwm2m_sec_store **out, char *err, size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (out == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no place for the store handle");
    *out = NULL;
    if (spec == NULL || spec[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "empty store spec");
    const char *path = spec;
    size_t scheme_len;
    if (has_scheme(spec, "sqlite:"))
        path = spec + strlen("sqlite:");
    else if (has_scheme(spec, "postgres://") || has_scheme(spec, "postgresql://"))
        return say(err, errlen, LWM2M_ERR_UNSUPPORTED, "postgresql store not built yet");
    else if ((scheme_len = url_scheme_len(spec)) > 0)
        return say(err, errlen, LWM2M_ERR_UNSUPPORTED, "unknown store scheme '%.*s'",
                   (int)scheme_len, spec);
    if (path[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "store spec '%s' has no path", spec);

    sec_store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return say(err, errlen, LWM2M_ERR_NOMEM, "sqlite store '%s': out of memory", path);
    int rc = setup(st, path);
    if (rc != LWM2M_OK) {
        say(err, errlen, rc, "sqlite store '%s': %s", path, st->error);
        lwm2m_sec_store_close(st);
        return rc;
    }
    *out = st;
    return LWM2M_OK;
}
