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
#include "store/sqlite_db.h"

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
    store_sqlite sq;
};

typedef struct lwm2m_sec_store sec_store;

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

static int bind_text(sqlite3_stmt *s, int i, const char *text)
{
    return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* len is 1..LWM2M_SEC_IDENTITY_MAX or LWM2M_SEC_KEY_MAX here: an int. */
static int bind_bytes(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
    return sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
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
        return store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "read credentials: out of memory");
    if (ep_len > LWM2M_SEC_ENDPOINT_MAX || id_len > LWM2M_SEC_IDENTITY_MAX ||
        key_len > LWM2M_SEC_KEY_MAX)
        return store_sqlite_note(
            &st->sq, LWM2M_ERR_OVERFLOW,
            "endpoint '%.*s': stored endpoint/identity/key of %zu/%zu/%zu bytes",
            (int)(ep_len < 64 ? ep_len : 64), (const char *)ep, ep_len, id_len, key_len);
    if (ep_len == 0 || id_len == 0 || key_len == 0)
        return store_sqlite_note(&st->sq, LWM2M_ERR_INVALID,
                                 "endpoint '%s': stored with an empty field", (const char *)ep);
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
    int rc = store_sqlite_acquire(&st->sq, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "%s", what);
    rc = id == ST_GET ? bind_text(s, 1, (const char *)p) : bind_bytes(s, 1, p, len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int res;
    if (rc == SQLITE_ROW)
        res = read_row(st, s, out);
    else if (rc == SQLITE_DONE)
        res = store_sqlite_note(&st->sq, LWM2M_ERR_NOT_FOUND, "%s: no such entry", what);
    else
        res = store_sqlite_fail(&st->sq, rc, "%s", what);
    store_sqlite_release(&st->sq, id, s);
    if (res != LWM2M_OK)
        memset(out, 0, sizeof *out);
    return res;
}

static int upsert(sec_store *st, const lwm2m_sec_info *info)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, ST_UPSERT, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "endpoint '%s'", info->endpoint);
    rc = bind_text(s, 1, info->endpoint);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 2, info->psk_identity, info->psk_identity_len);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 3, info->psk_key, info->psk_key_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK
                                : store_sqlite_fail(&st->sq, rc, "endpoint '%s'", info->endpoint);
    store_sqlite_release(&st->sq, ST_UPSERT, s);
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
    s->sq.error[0] = '\0';
    int rc = check_info(info, s->sq.error, sizeof s->sq.error);
    if (rc == LWM2M_OK)
        rc = store_sqlite_run(&s->sq, ST_BEGIN, "begin transaction");
    if (rc == LWM2M_OK) {
        rc = store_sqlite_check_owner(&s->sq, ST_OWNER, info->endpoint, info->psk_identity,
                                      info->psk_identity_len);
        if (rc == LWM2M_OK)
            rc = upsert(s, info);
        if (rc == LWM2M_OK)
            rc = store_sqlite_run(&s->sq, ST_COMMIT, "commit");
        if (rc != LWM2M_OK)
            store_sqlite_rollback(&s->sq, ST_ROLLBACK);
    }
    say(err, errlen, 0, "%s", s->sq.error);
    return rc;
}

int lwm2m_sec_store_get(lwm2m_sec_store *s, const char *endpoint, lwm2m_sec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || endpoint == NULL || out == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    /* Any name is looked up as is (a client's ep): one no entry can have is just absent. */
    size_t len = strnlen(endpoint, LWM2M_SEC_ENDPOINT_MAX + 1);
    if (len == 0 || len > LWM2M_SEC_ENDPOINT_MAX)
        return store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "get: no such entry");
    return lookup(s, ST_GET, (const uint8_t *)endpoint, len, out, "get");
}

int lwm2m_sec_store_find_identity(lwm2m_sec_store *s, const uint8_t *id, size_t len,
                                  lwm2m_sec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || (id == NULL && len > 0) || out == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    /* Whatever a DTLS client sends is looked up as is: no stored identity has these sizes. */
    if (len == 0 || len > LWM2M_SEC_IDENTITY_MAX)
        return store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "find identity: no such entry");
    return lookup(s, ST_FIND, id, len, out, "find identity");
}

int lwm2m_sec_store_remove(lwm2m_sec_store *s, const char *endpoint)
{
    if (s == NULL || endpoint == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    sqlite3_stmt *st;
    int rc = store_sqlite_acquire(&s->sq, ST_DELETE, &st);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&s->sq, rc, "remove '%s'", endpoint);
    rc = bind_text(st, 1, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int out;
    if (rc != SQLITE_DONE)
        out = store_sqlite_fail(&s->sq, rc, "remove '%s'", endpoint);
    else if (sqlite3_changes(s->sq.db) == 0)
        out =
            store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "remove '%s': no such entry", endpoint);
    else
        out = LWM2M_OK;
    store_sqlite_release(&s->sq, ST_DELETE, st);
    return out;
}

int lwm2m_sec_store_list(lwm2m_sec_store *s, int (*fn)(void *ctx, const lwm2m_sec_info *info),
                         void *ctx)
{
    if (s == NULL || fn == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    sqlite3_stmt *st;
    int rc = store_sqlite_acquire(&s->sq, ST_LIST, &st);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&s->sq, rc, "list");
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
        out = store_sqlite_fail(&s->sq, rc, "list");
    store_sqlite_release(&s->sq, ST_LIST, st);
    return out;
}

const char *lwm2m_sec_store_last_error(const lwm2m_sec_store *s)
{
    return s == NULL ? "" : s->sq.error;
}

/* ---- opening ---- */

static int setup(sec_store *st, const char *path)
{
    int res = store_sqlite_open(&st->sq, path, stmt_sql, ST_COUNT);
    if (res == LWM2M_OK)
        res = store_sqlite_exec(&st->sq, table_sql, "create table");
    if (res == LWM2M_OK)
        res = store_sqlite_prepare_all(&st->sq);
    return res;
}

void lwm2m_sec_store_close(lwm2m_sec_store *s)
{
    if (s == NULL)
        return;
    store_sqlite_close(&s->sq);
    free(s);
}

/* The same specs as lwm2m_bs_store_open, so one --store value serves both servers. */
int lwm2m_sec_store_open(const char *spec, lwm2m_sec_store **out, char *err, size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (out == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no place for the store handle");
    *out = NULL;
    const char *path;
    int prc = store_spec_path(spec, &path, err, errlen);
    if (prc != LWM2M_OK)
        return prc;

    sec_store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return say(err, errlen, LWM2M_ERR_NOMEM, "sqlite store '%s': out of memory", path);
    int rc = setup(st, path);
    if (rc != LWM2M_OK) {
        say(err, errlen, rc, "sqlite store '%s': %s", path, st->sq.error);
        lwm2m_sec_store_close(st);
        return rc;
    }
    *out = st;
    return LWM2M_OK;
}
