/* The SQLite plumbing the stores share: one file in WAL mode with synchronous=FULL, so that
 * a committed write survives kill -9 and power loss, and several processes can share it. */
#include "store/sqlite_db.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m/error.h"

#define BUSY_TIMEOUT_MS 5000

/* The longest PSK identity of both stores (LWM2M_PSK_IDENTITY_MAX, LWM2M_SEC_IDENTITY_MAX). */
#define IDENTITY_MAX 128

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

int store_sqlite_fail(store_sqlite *st, int rc, const char *fmt, ...)
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

int store_sqlite_note(store_sqlite *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof st->error, fmt, ap);
    va_end(ap);
    return rc;
}

int store_sqlite_acquire(store_sqlite *st, int id, sqlite3_stmt **out)
{
    if (!sqlite3_stmt_busy(st->stmt[id])) {
        *out = st->stmt[id];
        return SQLITE_OK;
    }
    return sqlite3_prepare_v2(st->db, st->sql[id], -1, out, NULL);
}

void store_sqlite_release(store_sqlite *st, int id, sqlite3_stmt *s)
{
    if (s != st->stmt[id]) {
        (void)sqlite3_finalize(s); /* its code repeats the last step's, already handled */
        return;
    }
    (void)sqlite3_reset(s); /* same */
    /* Unbinds the caller's bytes (bound SQLITE_STATIC); cannot fail. */
    (void)sqlite3_clear_bindings(s);
}

int store_sqlite_run(store_sqlite *st, int id, const char *what)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(st, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "%s", what);
    rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(st, rc, "%s", what);
    store_sqlite_release(st, id, s);
    return out;
}

void store_sqlite_rollback(store_sqlite *st, int rollback_id)
{
    /* SQLite rolls back by itself on some errors (full disk, I/O, no memory). */
    if (sqlite3_get_autocommit(st->db))
        return;
    char cause[sizeof st->error];
    memcpy(cause, st->error, sizeof cause);
    if (store_sqlite_run(st, rollback_id, "rollback") == LWM2M_OK) {
        memcpy(st->error, cause, sizeof cause);
        return;
    }
    char rb[sizeof st->error];
    memcpy(rb, st->error, sizeof rb);
    snprintf(st->error, sizeof st->error, "%.250s; %.250s", cause, rb);
}

int store_sqlite_exec(store_sqlite *st, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg); /* the same text as sqlite3_errmsg, which fail() reads */
    return rc == SQLITE_OK ? LWM2M_OK : store_sqlite_fail(st, rc, "%s", what);
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

/* Whether the credential `cred` (a PSK identity when `is_key` is false, else a public key) is
 * bound to an endpoint other than `name`, through the statement `id`. */
static int check_credential_owner(store_sqlite *st, int id, const char *name, const uint8_t *cred,
                                  size_t len, bool is_key)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(st, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "endpoint '%s'", name);
    /* len is 1..128 (identity) or 1..1024 (key) here: an int. */
    rc = sqlite3_bind_blob(s, 1, cred, (int)len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = LWM2M_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *owner = sqlite3_column_text(s, 0);
        const char *who = owner != NULL ? (const char *)owner : "?";
        if (is_key) {
            out = store_sqlite_note(st, LWM2M_ERR_EXISTS,
                                    "endpoint '%s': public key already belongs to endpoint '%s'",
                                    name, who);
        } else {
            char shown[2 * IDENTITY_MAX + 3];
            show_identity(cred, len, shown, sizeof shown);
            out = store_sqlite_note(
                st, LWM2M_ERR_EXISTS,
                "endpoint '%s': psk identity '%s' already belongs to endpoint '%s'", name, shown,
                who);
        }
    } else if (rc != SQLITE_DONE) {
        out = store_sqlite_fail(st, rc, "endpoint '%s'", name);
    }
    store_sqlite_release(st, id, s);
    return out;
}

int store_sqlite_check_owner(store_sqlite *st, int id, const char *name, const uint8_t *identity,
                             size_t len)
{
    return check_credential_owner(st, id, name, identity, len, false);
}

int store_sqlite_check_key_owner(store_sqlite *st, int id, const char *name, const uint8_t *key,
                                 size_t len)
{
    return check_credential_owner(st, id, name, key, len, true);
}

static int enable_wal(store_sqlite *st)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "journal_mode");
    rc = sqlite3_step(s);
    int res = LWM2M_OK;
    if (rc != SQLITE_ROW) {
        res = store_sqlite_fail(st, rc, "journal_mode");
    } else {
        /* SQLite answers the mode it is in: another one means WAL is impossible here. */
        const unsigned char *mode = sqlite3_column_text(s, 0);
        if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
            res = store_sqlite_note(st, LWM2M_ERR_INVALID, "cannot use WAL journal (mode '%s')",
                                    mode != NULL ? (const char *)mode : "?");
    }
    (void)sqlite3_finalize(s);
    return res;
}

int store_sqlite_open(store_sqlite *st, const char *path, const char *const *sql, int count)
{
    st->sql = sql;
    st->count = count < STORE_SQLITE_STMT_MAX ? count : STORE_SQLITE_STMT_MAX;
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "open");
    rc = sqlite3_extended_result_codes(st->db, 1);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "open");
    /* SQLite falls back to read-only on a write-protected file; a store must be writable. */
    if (sqlite3_db_readonly(st->db, "main") != 0)
        return store_sqlite_note(st, LWM2M_ERR_INVALID, "file is read-only");
    rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(st, rc, "busy_timeout");
    int res = enable_wal(st);
    if (res == LWM2M_OK)
        res = store_sqlite_exec(st, "PRAGMA synchronous = FULL", "pragmas");
    return res;
}

int store_sqlite_prepare_all(store_sqlite *st)
{
    for (int i = 0; i < st->count; i++) {
        int rc = sqlite3_prepare_v3(st->db, st->sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                                    NULL);
        if (rc != SQLITE_OK)
            return store_sqlite_fail(st, rc, "prepare");
    }
    return LWM2M_OK;
}

void store_sqlite_close(store_sqlite *st)
{
    for (int i = 0; i < st->count; i++)
        (void)sqlite3_finalize(st->stmt[i]); /* repeats the last step's code, handled */
    /* Fails only with statements left unfinalized; close_v2 then closes when they go. */
    if (sqlite3_close(st->db) != SQLITE_OK)
        (void)sqlite3_close_v2(st->db);
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

int store_spec_path(const char *spec, const char **path, char *err, size_t errlen)
{
    *path = NULL;
    if (spec == NULL || spec[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "empty store spec");
    const char *p = spec;
    size_t scheme_len;
    if (has_scheme(spec, "sqlite:"))
        p = spec + strlen("sqlite:");
    else if (has_scheme(spec, "postgres://") || has_scheme(spec, "postgresql://"))
        return say(err, errlen, LWM2M_ERR_UNSUPPORTED, "postgresql store not built yet");
    else if ((scheme_len = url_scheme_len(spec)) > 0)
        return say(err, errlen, LWM2M_ERR_UNSUPPORTED, "unknown store scheme '%.*s'",
                   (int)scheme_len, spec);
    if (p[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "store spec '%s' has no path", spec);
    *path = p;
    return LWM2M_OK;
}
