/* The LwM2M Server's DTLS credentials in SQLite, in WAL mode with synchronous=FULL like the
 * Bootstrap Server's store, whose file it may share. PSK entries in table server_security (as
 * before the other modes existed), RPK and X.509 entries in server_pki, the cert map in
 * server_cert_map; an endpoint has one entry in one of the first two. The tables are ours; the
 * file's schema version belongs to the bs store. */
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
    " psk_key BLOB NOT NULL, updated_s INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS server_pki ("
    " endpoint TEXT NOT NULL PRIMARY KEY, mode INTEGER NOT NULL, public_key BLOB UNIQUE,"
    " updated_s INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS server_cert_map ("
    " cn TEXT NOT NULL PRIMARY KEY, endpoint TEXT NOT NULL, updated_s INTEGER NOT NULL);";

/* Every row read has the columns endpoint, mode, psk_identity, psk_key, public_key. */
#define PSK_COLUMNS "endpoint, 0, psk_identity, psk_key, NULL"
#define PKI_COLUMNS "endpoint, mode, NULL, NULL, public_key"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_OWNER,
    ST_KEY_OWNER,
    ST_UPSERT,
    ST_UPSERT_PKI,
    ST_DELETE,
    ST_DELETE_PKI,
    ST_GET,
    ST_FIND,
    ST_FIND_KEY,
    ST_LIST,
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
    [ST_OWNER] = "SELECT endpoint FROM server_security WHERE psk_identity = ?1 AND endpoint <> ?2",
    [ST_KEY_OWNER] = "SELECT endpoint FROM server_pki WHERE public_key = ?1 AND endpoint <> ?2",
    [ST_UPSERT] = "INSERT INTO server_security (endpoint, psk_identity, psk_key, updated_s)"
                  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (endpoint) DO UPDATE SET"
                  " psk_identity = excluded.psk_identity, psk_key = excluded.psk_key,"
                  " updated_s = excluded.updated_s",
    [ST_UPSERT_PKI] = "INSERT INTO server_pki (endpoint, mode, public_key, updated_s)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (endpoint) DO UPDATE SET"
                      " mode = excluded.mode, public_key = excluded.public_key,"
                      " updated_s = excluded.updated_s",
    [ST_DELETE] = "DELETE FROM server_security WHERE endpoint = ?1",
    [ST_DELETE_PKI] = "DELETE FROM server_pki WHERE endpoint = ?1",
    [ST_GET] = "SELECT " PSK_COLUMNS " FROM server_security WHERE endpoint = ?1"
               " UNION ALL SELECT " PKI_COLUMNS " FROM server_pki WHERE endpoint = ?1",
    [ST_FIND] = "SELECT " PSK_COLUMNS " FROM server_security WHERE psk_identity = ?1",
    [ST_FIND_KEY] = "SELECT " PKI_COLUMNS " FROM server_pki WHERE public_key = ?1",
    [ST_LIST] = "SELECT " PSK_COLUMNS " FROM server_security"
                " UNION ALL SELECT " PKI_COLUMNS " FROM server_pki ORDER BY 1",
    [ST_MAP_PUT] = "INSERT INTO server_cert_map (cn, endpoint, updated_s) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT (cn) DO UPDATE SET endpoint = excluded.endpoint,"
                   " updated_s = excluded.updated_s",
    [ST_MAP_GET] = "SELECT endpoint FROM server_cert_map WHERE cn = ?1",
    [ST_MAP_DELETE] = "DELETE FROM server_cert_map WHERE cn = ?1",
    [ST_MAP_LIST] = "SELECT cn, endpoint FROM server_cert_map ORDER BY cn",
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

const char *lwm2m_sec_mode_name(lwm2m_sec_mode mode)
{
    return mode == LWM2M_SEC_RPK ? "rpk" : mode == LWM2M_SEC_X509 ? "x509" : "psk";
}

static int bind_text(sqlite3_stmt *s, int i, const char *text)
{
    return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* len is at most LWM2M_SEC_PUBLIC_KEY_MAX here: an int. No bytes binds NULL. */
static int bind_bytes(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
    if (len == 0)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_blob(s, i, p, (int)len, SQLITE_STATIC);
}

/* Copies the current row (endpoint, mode, identity, key, public key) into a zeroed *out.
 * Sizes outside the struct's ranges come only from a file written by something else:
 * refused, not cut. */
static int read_row(sec_store *st, sqlite3_stmt *s, lwm2m_sec_info *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *ep = sqlite3_column_text(s, 0);
    size_t ep_len = (size_t)sqlite3_column_bytes(s, 0);
    sqlite3_int64 mode = sqlite3_column_int64(s, 1);
    const void *id = sqlite3_column_blob(s, 2);
    size_t id_len = (size_t)sqlite3_column_bytes(s, 2);
    const void *key = sqlite3_column_blob(s, 3);
    size_t key_len = (size_t)sqlite3_column_bytes(s, 3);
    const void *pub = sqlite3_column_blob(s, 4);
    size_t pub_len = (size_t)sqlite3_column_bytes(s, 4);
    /* No data with a length means SQLite ran out of memory. */
    if (ep == NULL || (id == NULL && id_len > 0) || (key == NULL && key_len > 0) ||
        (pub == NULL && pub_len > 0))
        return store_sqlite_note(&st->sq, LWM2M_ERR_NOMEM, "read credentials: out of memory");
    if (ep_len > LWM2M_SEC_ENDPOINT_MAX || id_len > LWM2M_SEC_IDENTITY_MAX ||
        key_len > LWM2M_SEC_KEY_MAX || pub_len > LWM2M_SEC_PUBLIC_KEY_MAX)
        return store_sqlite_note(
            &st->sq, LWM2M_ERR_OVERFLOW,
            "endpoint '%.*s': stored endpoint/identity/key of %zu/%zu/%zu bytes",
            (int)(ep_len < 64 ? ep_len : 64), (const char *)ep, ep_len, id_len, key_len);
    bool complete = mode == LWM2M_SEC_PSK    ? id_len > 0 && key_len > 0
                    : mode == LWM2M_SEC_RPK  ? pub_len > 0
                    : mode == LWM2M_SEC_X509 ? pub_len == 0
                                             : false;
    if (ep_len == 0 || !complete)
        return store_sqlite_note(&st->sq, LWM2M_ERR_INVALID,
                                 "endpoint '%s': stored with an empty field", (const char *)ep);
    memcpy(out->endpoint, ep, ep_len);
    out->mode = (lwm2m_sec_mode)mode;
    if (id_len > 0)
        memcpy(out->psk_identity, id, id_len);
    out->psk_identity_len = id_len;
    if (key_len > 0)
        memcpy(out->psk_key, key, key_len);
    out->psk_key_len = key_len;
    if (pub_len > 0)
        memcpy(out->public_key, pub, pub_len);
    out->public_key_len = pub_len;
    return LWM2M_OK;
}

/* Looks one row up: ST_GET by the endpoint string p, ST_FIND / ST_FIND_KEY by the bytes
 * p[0..len). */
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

/* Runs statement `id` with ?1 = text a, then (when not NULL) ?2 = b or bytes, and ?3/?4 as
 * the statement needs them: the writes of put and the cert map. */
static int write_row(sec_store *st, enum stmt_id id, const lwm2m_sec_info *info)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "endpoint '%s'", info->endpoint);
    rc = bind_text(s, 1, info->endpoint);
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    if (id == ST_UPSERT) {
        if (rc == SQLITE_OK)
            rc = bind_bytes(s, 2, info->psk_identity, info->psk_identity_len);
        if (rc == SQLITE_OK)
            rc = bind_bytes(s, 3, info->psk_key, info->psk_key_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 4, now);
    } else if (id == ST_UPSERT_PKI) {
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(s, 2, (int)info->mode);
        if (rc == SQLITE_OK)
            rc = bind_bytes(s, 3, info->public_key, info->public_key_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 4, now);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK
                                : store_sqlite_fail(&st->sq, rc, "endpoint '%s'", info->endpoint);
    store_sqlite_release(&st->sq, id, s);
    return out;
}

static bool has_prefix(const uint8_t *p, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(p, prefix, n) == 0;
}

static int check_info(const lwm2m_sec_info *info, char *err, size_t errlen)
{
    if (memchr(info->endpoint, '\0', sizeof info->endpoint) == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint name longer than %d bytes",
                   LWM2M_SEC_ENDPOINT_MAX);
    if (info->endpoint[0] == '\0')
        return say(err, errlen, LWM2M_ERR_INVALID, "empty endpoint name");
    if (info->mode == LWM2M_SEC_PSK) {
        if (info->psk_identity_len == 0 || info->psk_identity_len > LWM2M_SEC_IDENTITY_MAX)
            return say(err, errlen, LWM2M_ERR_INVALID,
                       "endpoint '%s': psk identity of %zu bytes (1..%d)", info->endpoint,
                       info->psk_identity_len, LWM2M_SEC_IDENTITY_MAX);
        if (info->psk_key_len == 0 || info->psk_key_len > LWM2M_SEC_KEY_MAX)
            return say(err, errlen, LWM2M_ERR_INVALID,
                       "endpoint '%s': psk key of %zu bytes (1..%d)", info->endpoint,
                       info->psk_key_len, LWM2M_SEC_KEY_MAX);
        if (has_prefix(info->psk_identity, info->psk_identity_len, LWM2M_SEC_RPK_PREFIX) ||
            has_prefix(info->psk_identity, info->psk_identity_len, LWM2M_SEC_X509_PREFIX))
            return say(err, errlen, LWM2M_ERR_INVALID,
                       "endpoint '%s': psk identities starting with '" LWM2M_SEC_RPK_PREFIX
                       "' or '" LWM2M_SEC_X509_PREFIX "' are reserved",
                       info->endpoint);
        if (info->public_key_len != 0)
            return say(err, errlen, LWM2M_ERR_INVALID,
                       "endpoint '%s': a psk entry has no public key", info->endpoint);
        return LWM2M_OK;
    }
    if (info->mode != LWM2M_SEC_RPK && info->mode != LWM2M_SEC_X509)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': unknown mode %d", info->endpoint,
                   (int)info->mode);
    if (info->psk_identity_len != 0 || info->psk_key_len != 0)
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': an %s entry has no psk",
                   info->endpoint, lwm2m_sec_mode_name(info->mode));
    if (info->mode == LWM2M_SEC_X509 && info->public_key_len != 0)
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "endpoint '%s': an x509 entry has no public key (its CN binds it)",
                   info->endpoint);
    if (info->mode == LWM2M_SEC_RPK &&
        (info->public_key_len == 0 || info->public_key_len > LWM2M_SEC_PUBLIC_KEY_MAX))
        return say(err, errlen, LWM2M_ERR_INVALID, "endpoint '%s': public key of %zu bytes (1..%d)",
                   info->endpoint, info->public_key_len, LWM2M_SEC_PUBLIC_KEY_MAX);
    return LWM2M_OK;
}

/* The writes of a put, in its transaction: the entry in its table, none in the other. */
static int put_rows(sec_store *st, const lwm2m_sec_info *info)
{
    int rc;
    if (info->mode == LWM2M_SEC_PSK) {
        rc = store_sqlite_check_owner(&st->sq, ST_OWNER, info->endpoint, info->psk_identity,
                                      info->psk_identity_len);
        if (rc == LWM2M_OK)
            rc = write_row(st, ST_UPSERT, info);
        return rc == LWM2M_OK ? write_row(st, ST_DELETE_PKI, info) : rc;
    }
    rc = info->mode == LWM2M_SEC_RPK
             ? store_sqlite_check_key_owner(&st->sq, ST_KEY_OWNER, info->endpoint, info->public_key,
                                            info->public_key_len)
             : LWM2M_OK;
    if (rc == LWM2M_OK)
        rc = write_row(st, ST_UPSERT_PKI, info);
    return rc == LWM2M_OK ? write_row(st, ST_DELETE, info) : rc;
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
        rc = put_rows(s, info);
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

int lwm2m_sec_store_find_public_key(lwm2m_sec_store *s, const uint8_t *key, size_t len,
                                    lwm2m_sec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (s == NULL || (key == NULL && len > 0) || out == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    if (len == 0 || len > LWM2M_SEC_PUBLIC_KEY_MAX)
        return store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "find public key: no such entry");
    return lookup(s, ST_FIND_KEY, key, len, out, "find public key");
}

/* Runs delete statement `id` (?1 = text); *changed tells whether a row went. */
static int delete_text(sec_store *st, enum stmt_id id, const char *text, bool *changed)
{
    sqlite3_stmt *s;
    int rc = store_sqlite_acquire(&st->sq, id, &s);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&st->sq, rc, "remove '%s'", text);
    rc = bind_text(s, 1, text);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&st->sq, rc, "remove '%s'", text);
    if (out == LWM2M_OK && sqlite3_changes(st->sq.db) > 0)
        *changed = true;
    store_sqlite_release(&st->sq, id, s);
    return out;
}

int lwm2m_sec_store_remove(lwm2m_sec_store *s, const char *endpoint)
{
    if (s == NULL || endpoint == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    bool changed = false;
    int rc = store_sqlite_run(&s->sq, ST_BEGIN, "begin transaction");
    if (rc == LWM2M_OK)
        rc = delete_text(s, ST_DELETE, endpoint, &changed);
    if (rc == LWM2M_OK)
        rc = delete_text(s, ST_DELETE_PKI, endpoint, &changed);
    if (rc == LWM2M_OK && !changed)
        rc = store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "remove '%s': no such entry", endpoint);
    if (rc == LWM2M_OK)
        rc = store_sqlite_run(&s->sq, ST_COMMIT, "commit");
    if (rc != LWM2M_OK)
        store_sqlite_rollback(&s->sq, ST_ROLLBACK);
    return rc;
}

/* 1..max bytes without control characters. */
static bool valid_name(const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0' || strnlen(s, max + 1) > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int lwm2m_sec_store_cert_map_put(lwm2m_sec_store *s, const char *cn, const char *endpoint,
                                 char *err, size_t errlen)
{
    say(err, errlen, 0, "%s", "");
    if (s == NULL)
        return say(err, errlen, LWM2M_ERR_INVALID, "no store");
    if (!valid_name(cn, LWM2M_SEC_CN_MAX))
        return say(err, errlen, LWM2M_ERR_INVALID, "a CN is 1..%d bytes without control characters",
                   LWM2M_SEC_CN_MAX);
    if (!valid_name(endpoint, LWM2M_SEC_ENDPOINT_MAX))
        return say(err, errlen, LWM2M_ERR_INVALID,
                   "an endpoint name is 1..%d bytes without control characters",
                   LWM2M_SEC_ENDPOINT_MAX);
    s->sq.error[0] = '\0';
    sqlite3_stmt *st = NULL;
    int rc = store_sqlite_acquire(&s->sq, ST_MAP_PUT, &st);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 1, cn);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 2, endpoint);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? LWM2M_OK : store_sqlite_fail(&s->sq, rc, "cert map '%s'", cn);
    if (st != NULL)
        store_sqlite_release(&s->sq, ST_MAP_PUT, st);
    say(err, errlen, 0, "%s", s->sq.error);
    return out;
}

int lwm2m_sec_store_cert_map_get(lwm2m_sec_store *s, const char *cn, char *endpoint)
{
    if (endpoint != NULL)
        endpoint[0] = '\0';
    if (s == NULL || cn == NULL || endpoint == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    /* A client's CN is looked up as is: one no mapping can have is just absent. */
    if (!valid_name(cn, LWM2M_SEC_CN_MAX))
        return store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "cert map: no such CN");
    sqlite3_stmt *st;
    int rc = store_sqlite_acquire(&s->sq, ST_MAP_GET, &st);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&s->sq, rc, "cert map");
    rc = bind_text(st, 1, cn);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int out;
    if (rc == SQLITE_ROW) {
        const unsigned char *ep = sqlite3_column_text(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        if (ep == NULL)
            out = store_sqlite_note(&s->sq, LWM2M_ERR_NOMEM, "cert map: out of memory");
        else if (len == 0 || len > LWM2M_SEC_ENDPOINT_MAX)
            out = store_sqlite_note(&s->sq, LWM2M_ERR_OVERFLOW,
                                    "cert map: stored endpoint of %zu bytes", len);
        else {
            memcpy(endpoint, ep, len);
            endpoint[len] = '\0';
            out = LWM2M_OK;
        }
    } else if (rc == SQLITE_DONE) {
        out = store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "cert map: no such CN");
    } else {
        out = store_sqlite_fail(&s->sq, rc, "cert map");
    }
    store_sqlite_release(&s->sq, ST_MAP_GET, st);
    return out;
}

int lwm2m_sec_store_cert_map_remove(lwm2m_sec_store *s, const char *cn)
{
    if (s == NULL || cn == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    bool changed = false;
    int rc = delete_text(s, ST_MAP_DELETE, cn, &changed);
    if (rc == LWM2M_OK && !changed)
        rc = store_sqlite_note(&s->sq, LWM2M_ERR_NOT_FOUND, "CN '%s' is not mapped", cn);
    return rc;
}

int lwm2m_sec_store_cert_map_list(lwm2m_sec_store *s,
                                  int (*fn)(void *ctx, const char *cn, const char *endpoint),
                                  void *ctx)
{
    if (s == NULL || fn == NULL)
        return LWM2M_ERR_INVALID;
    s->sq.error[0] = '\0';
    sqlite3_stmt *st;
    int rc = store_sqlite_acquire(&s->sq, ST_MAP_LIST, &st);
    if (rc != SQLITE_OK)
        return store_sqlite_fail(&s->sq, rc, "cert map list");
    int out = LWM2M_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cn = (const char *)sqlite3_column_text(st, 0);
        const char *ep = (const char *)sqlite3_column_text(st, 1);
        if (cn == NULL || ep == NULL) {
            out = store_sqlite_note(&s->sq, LWM2M_ERR_NOMEM, "cert map list: out of memory");
            break;
        }
        if ((out = fn(ctx, cn, ep)) != 0)
            break;
    }
    if (out == LWM2M_OK && rc != SQLITE_DONE)
        out = store_sqlite_fail(&s->sq, rc, "cert map list");
    store_sqlite_release(&s->sq, ST_MAP_LIST, st);
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
