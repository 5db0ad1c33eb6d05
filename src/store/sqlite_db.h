/* Internal: the SQLite plumbing the stores share (sqlite_store.c, sec_store.c): opening a
 * file for durable shared use, cached prepared statements, the last error's text. */
#ifndef LWM2M_STORE_SQLITE_DB_H
#define LWM2M_STORE_SQLITE_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SQLITE_STMT_MAX 24

typedef struct store_sqlite {
    sqlite3 *db;
    const char *const *sql;                    /* the statements' text, `count` of them */
    int count;                                 /* <= STORE_SQLITE_STMT_MAX */
    sqlite3_stmt *stmt[STORE_SQLITE_STMT_MAX]; /* prepared once at open */
    char error[512];                           /* of the last call; "" when it succeeded */
} store_sqlite;

/* Records "<context>: <sqlite message>" as the last error; returns the matching code. */
__attribute__((format(printf, 3, 4))) int store_sqlite_fail(store_sqlite *st, int rc,
                                                            const char *fmt, ...);
/* Records the text as the last error; returns rc. */
__attribute__((format(printf, 3, 4))) int store_sqlite_note(store_sqlite *st, int rc,
                                                            const char *fmt, ...);

/* The cached statement `id`, or a fresh one while the cached one is still stepping (a
 * list() callback may call back into the store); an SQLite code. */
int store_sqlite_acquire(store_sqlite *st, int id, sqlite3_stmt **out);
/* Resets and unbinds the cached statement, finalizes a fresh one. */
void store_sqlite_release(store_sqlite *st, int id, sqlite3_stmt *s);
/* Runs a statement without parameters nor rows (BEGIN, COMMIT, ROLLBACK). */
int store_sqlite_run(store_sqlite *st, int id, const char *what);
/* Undoes the open transaction with statement `rollback_id`, keeping the failure's message. */
void store_sqlite_rollback(store_sqlite *st, int rollback_id);
/* Runs SQL text without rows. */
int store_sqlite_exec(store_sqlite *st, const char *sql, const char *what);

/* Fails with LWM2M_ERR_EXISTS when `identity` (1..128 bytes) belongs to an endpoint other
 * than `name`: statement `id` takes ?1 = identity, ?2 = name and answers the owner. */
int store_sqlite_check_owner(store_sqlite *st, int id, const char *name, const uint8_t *identity,
                             size_t len);

/* Fails with LWM2M_ERR_EXISTS when public key (a SubjectPublicKeyInfo, 1..1024 bytes) `key`
 * belongs to an endpoint other than `name`: statement `id` as for store_sqlite_check_owner. */
int store_sqlite_check_key_owner(store_sqlite *st, int id, const char *name, const uint8_t *key,
                                 size_t len);

/* Opens (creating) `path` read-write with extended codes, a busy timeout, WAL and
 * synchronous=FULL; sets sql and count for the statements prepared later. */
int store_sqlite_open(store_sqlite *st, const char *path, const char *const *sql, int count);
/* Prepares every statement, once the schema exists. */
int store_sqlite_prepare_all(store_sqlite *st);
/* Finalizes the statements and closes the file; st itself is the caller's. */
void store_sqlite_close(store_sqlite *st);

/* The file path of a store spec "sqlite:PATH" or a bare path; *path points into spec.
 * Other "scheme://" specs are refused, with the message in err. */
int store_spec_path(const char *spec, const char **path, char *err, size_t errlen);

#endif
