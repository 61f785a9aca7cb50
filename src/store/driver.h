/*
 * driver: the thin interface between the store's query files and a database engine.
 *
 * A query file (accounts.c, keys.c, ...) writes each store.h operation once: it names
 * its statement as a static db_query next to the code that binds it, borrows a
 * connection (db_read for a read on a pooled connection, db_tx for the open write
 * transaction), prepares, binds, steps and reads columns through the calls below, and
 * gives the connection back. A one-statement read starts with db_read_prepare (a reader
 * and q prepared on it, or NULL with nothing to give back) and ends with db_read_done. The driver (sqlite.c, postgres.c) knows only how to run a
 * statement; it knows nothing of contacts or jobs.
 *
 * Statements. A db_query holds the SQLite text with numbered placeholders (?1, ?2, ...)
 * and, only where the dialects differ, the PostgreSQL text; PostgreSQL runs its own
 * text, or else the SQLite one, with ?N rewritten to $N. Each query gets a slot on first
 * use (db_query_slot), and each connection keeps the prepared form of every slot it has
 * run, so a statement is prepared once per connection and reused: adding an operation
 * needs no enum, table or driver change.
 *
 * Memory. Text and blob columns point into the driver's buffers and stay valid until
 * the next db_step or db_done on the same statement; copy what must outlive it (the
 * db_col_*_dup helpers copy into an arena). Bound text and blobs must stay valid until
 * the statement's first db_step (they are not copied).
 *
 * Errors. db_step answers DB_ROW while there are rows, STORE_OK when the statement is
 * done, STORE_CONFLICT when a uniqueness rule refused it (the transaction stays usable
 * only if the caller rolls back to a savepoint, as on SQLite), STORE_ERROR otherwise
 * (logged and counted by the driver). On PostgreSQL a text value that is not UTF-8 can
 * equal nothing stored: the statement then answers no rows and changes nothing.
 *
 * Deferred writes. db_exec_deferred runs a write whose answer the caller does not need
 * at once: PostgreSQL sends it down the writer's pipeline without waiting, so a slice's
 * writes cost one round trip at the next db_sync rather than one each; SQLite runs it
 * at once (db_exec). A deferred statement's failure is answered by db_sync, or by the
 * next statement run on the connection (which waits for the pipeline first, so the
 * order of statements is kept): that statement is then not run, and every later one
 * answers the same failure until the caller rolls back to its savepoint or rolls back
 * the transaction. Nothing is said of the rows a deferred statement changed.
 *
 * Collecting rows. A read that answers many rows describes what one row becomes with a
 * db_rows (an arena, the element size, a db_row_fn that fills one element from the
 * current row, and a context of the caller's for it) and hands it to db_collect (a
 * statement it has prepared and bound), db_collect_query (q on a connection it holds,
 * such as the write transaction's) or db_read_collect (q on a reader it borrows and gives
 * back); the last two bind the db_args given to ?1, ?2, ... The collector steps the
 * statement to its end and resets it, grows the array in r->a (each element zeroed before
 * fill sees it) and answers db_step's last answer: STORE_OK, or the error (logged by the
 * driver), with the rows read before it kept; STORE_ERROR, with no rows, when no reader or
 * no statement could be had. The array and whatever fill copies belong to r->a and live
 * until the caller releases it; fill must copy the text and blob columns it keeps (they
 * die at the next step).
 */
#ifndef CONTACTD_STORE_DRIVER_H
#define CONTACTD_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

/* How many distinct statements the program may have (slots of the per-connection cache). */
#define DB_SLOTS 256
/* Parameters of one statement, at most. */
#define DB_PARAMS 32

typedef struct db_query {
    const char *sql; /* SQLite, placeholders ?1, ?2, ... */
    const char *pg;  /* PostgreSQL where it differs, else NULL */
    bool binary;     /* PostgreSQL sends the results in binary form (see DB_SQL_BINARY) */
    bool lookup;     /* a lookup by key: PostgreSQL's readers may keep its plan (DB_SQL_LOOKUP) */
    int slot;        /* 1 + the slot, once assigned */
} db_query;

/* A statement written once for both engines, and one written for each. */
#define DB_SQL(text)  \
    {                 \
        .sql = (text) \
    }
#define DB_SQL2(lite, postgres)         \
    {                                   \
        .sql = (lite), .pg = (postgres) \
    }
/* Results that carry large blobs: PostgreSQL sends them as they are rather than as hex
 * text. Its integer columns must then be SMALLINT, INTEGER or BIGINT (cast them). */
#define DB_SQL_BINARY(text)           \
    {                                 \
        .sql = (text), .binary = true \
    }
/* Both, with binary results on PostgreSQL. */
#define DB_SQL2_BINARY(lite, postgres)                  \
    {                                                   \
        .sql = (lite), .pg = (postgres), .binary = true \
    }
/* A lookup: rows found by a primary or unique key (or an account's handful of rows), whose
 * best plan is the same whatever the values. PostgreSQL's readers keep its plan rather
 * than plan each execution (postgres.c, "Readers' plans"); other statements are planned
 * with their values, which scans over accounts of very different sizes need. */
#define DB_SQL_LOOKUP(text)           \
    {                                 \
        .sql = (text), .lookup = true \
    }
#define DB_SQL2_LOOKUP(lite, postgres)                  \
    {                                                   \
        .sql = (lite), .pg = (postgres), .lookup = true \
    }
/* A statement only SQLite needs (a table PostgreSQL does not have): a no-op there. */
#define DB_SQLITE_ONLY(text)    \
    {                           \
        .sql = (text), .pg = "" \
    }

/* A statement only PostgreSQL runs: its caller takes another way where db_defers is
 * false (SQLite). */
#define DB_PG_ONLY(text)        \
    {                           \
        .sql = "", .pg = (text) \
    }

/* PostgreSQL's advisory lock of an account (db_lock_account) as the two int4 keys of
 * pg_advisory_xact_lock and pg_try_advisory_xact_lock: the class "ctd2", then the account
 * given by the SQL expression expr (accounts beyond 2^31 share a lock with another one,
 * which only serialises the two). For SQL that takes the lock itself. */
#define DB_ACCOUNT_LOCK_KEYS(expr) "1668572210, ((" expr ") % 2147483647)::int"

typedef struct store_driver store_driver;
/* A driver's connection and statement begin with a pointer to their driver. */
typedef struct db_conn {
    const store_driver *drv;
} db_conn;
typedef struct db_stmt {
    const store_driver *drv;
} db_stmt;

enum { DB_ROW = 1 };

struct store_driver {
    /* The prepared statement q on c (prepared on first use), or NULL (logged). */
    db_stmt *(*prepare)(db_conn *c, db_query *q);
    /* i counts from 1, as placeholders do. */
    void (*bind_int)(db_stmt *st, int i, int64_t v);
    void (*bind_text)(db_stmt *st, int i, const char *v); /* NULL binds SQL NULL */
    void (*bind_blob)(db_stmt *st, int i, const void *v, size_t len);
    int (*step)(db_stmt *st);
    /* Columns count from 0. NULL reads as 0 / NULL / an empty blob. */
    bool (*col_null)(db_stmt *st, int i);
    int64_t (*col_int)(db_stmt *st, int i);
    const char *(*col_text)(db_stmt *st, int i, size_t *len);
    const void *(*col_blob)(db_stmt *st, int i, size_t *len);
    /* Rows the finished statement inserted, updated or deleted. */
    int64_t (*changes)(db_stmt *st);
    /* Reset the statement for its next use and drop its bindings and results. */
    void (*done)(db_stmt *st);
    /* Optional (NULL: the engine runs deferred statements at once, db_exec, and has
     * nothing to sync): send st without waiting for its answer, st reset; and answer
     * everything sent on c (db_exec_deferred, db_sync). */
    int (*exec_deferred)(db_stmt *st);
    int (*sync)(db_conn *c);
    /* Hold the account's lock until the write transaction ends (PostgreSQL: an advisory
     * lock that serialises nodes; SQLite has one writer and does nothing). */
    int (*lock_account)(db_conn *writer, int64_t account);
    /* The write transaction's own SQL took the account's lock (the job claim's try-lock on
     * DB_ACCOUNT_LOCK_KEYS): db_lock_account need not ask for it again. SQLite: nothing. */
    void (*note_locked)(db_conn *writer, int64_t account);
    /* The open write transaction inserted rows contacts (PostgreSQL refreshes the
     * planner's statistics after growth, see analyze_if_grown; SQLite does nothing). */
    void (*note_inserted)(db_conn *writer, int64_t rows);
};

/* The slot of q in every connection's statement cache, assigned on first use. */
int db_query_slot(db_query *q);

/* A pooled read connection (give it back with db_read_done), or NULL. */
db_conn *db_read(store *s);
void db_read_done(store *s, db_conn *c);
/* The open write transaction's connection. */
db_conn *db_tx(store_tx *tx);

static inline db_stmt *db_prepare(db_conn *c, db_query *q)
{
    return c->drv->prepare(c, q);
}
static inline void db_bind_int(db_stmt *st, int i, int64_t v)
{
    st->drv->bind_int(st, i, v);
}
static inline void db_bind_text(db_stmt *st, int i, const char *v)
{
    st->drv->bind_text(st, i, v);
}
static inline void db_bind_blob(db_stmt *st, int i, const void *v, size_t len)
{
    st->drv->bind_blob(st, i, v, len);
}
static inline int db_step(db_stmt *st)
{
    return st->drv->step(st);
}
static inline bool db_col_null(db_stmt *st, int i)
{
    return st->drv->col_null(st, i);
}
static inline int64_t db_col_int(db_stmt *st, int i)
{
    return st->drv->col_int(st, i);
}
static inline const char *db_col_text(db_stmt *st, int i)
{
    return st->drv->col_text(st, i, NULL);
}
static inline const void *db_col_blob(db_stmt *st, int i, size_t *len)
{
    return st->drv->col_blob(st, i, len);
}
static inline int64_t db_changes(db_stmt *st)
{
    return st->drv->changes(st);
}
static inline void db_done(db_stmt *st)
{
    st->drv->done(st);
}
static inline int db_lock_account(db_conn *writer, int64_t account)
{
    return writer->drv->lock_account(writer, account);
}
static inline void db_note_locked(db_conn *writer, int64_t account)
{
    writer->drv->note_locked(writer, account);
}

/* Whether c's engine defers writes (db_exec_deferred), so that rows sent together in one
 * statement save its work per statement; SQLite runs each write at once, in-process. */
static inline bool db_defers(db_conn *c)
{
    return c->drv->exec_deferred != NULL;
}

static inline void db_note_inserted(db_conn *writer, int64_t rows)
{
    writer->drv->note_inserted(writer, rows);
}

/* ---- shared helpers (driver.c) ------------------------------------------------------ */

/* A text column copied into a (NULL stays NULL). */
const char *db_col_text_dup(db_stmt *st, int i, arena *a);
/* q prepared on a pooled reader, *c set to the reader (give it back with db_read_done);
 * NULL when either failed, the reader then already given back. */
db_stmt *db_read_prepare(store *s, db_query *q, db_conn **c);
/* db_step for a statement that answers at most one row: DB_ROW, STORE_NOT_FOUND when it
 * answered none, or db_step's error (st is not reset). */
int db_step_one(db_stmt *st);
/* Run st to its end, then reset it: STORE_OK, STORE_CONFLICT or STORE_ERROR. */
int db_exec(db_stmt *st);
/* Run st (a write) to its end without waiting for its answer where the engine can (see
 * "Deferred writes" above); st is reset. STORE_OK when sent, or a failure already known:
 * STORE_CONFLICT or STORE_ERROR, as db_exec answers (on PostgreSQL, an earlier deferred
 * statement's). */
int db_exec_deferred(db_stmt *st);
/* Wait for every statement deferred on c: STORE_OK, or the first one's failure as db_exec
 * would have answered it (STORE_CONFLICT when a unique index refused it, else
 * STORE_ERROR, logged). */
int db_sync(db_conn *c);
/* db_exec, then STORE_NOT_FOUND when it changed no row (an UPDATE or DELETE that
 * matched nothing). */
int db_exec_found(db_stmt *st);
/* The integer columns of the one row st answers (st is reset): STORE_NOT_FOUND without
 * a row. */
int db_row_ints(db_stmt *st, int64_t *out, int n);
/* Run q with ?1 = account and ?2 = text on c to its end: db_exec_found's answers. */
int db_exec_account_text(db_conn *c, db_query *q, int64_t account, const char *text);
/* q prepared on the write transaction after taking the account's lock (db_lock_account);
 * NULL with *rc set when either failed. */
db_stmt *db_prepare_locked(store_tx *tx, int64_t account, db_query *q, int *rc);

/* ---- collecting rows (driver.c; see "Collecting rows" above) -------------------------- */

/* A parameter for the collectors: DB_INT(v), or DB_TEXT(t) (NULL binds SQL NULL; the text
 * is not copied and must stay valid for the call). */
typedef struct db_arg {
    const char *text;
    int64_t i;
    bool is_text;
} db_arg;
#define DB_INT(v) ((db_arg){.i = (v)})
#define DB_TEXT(t) ((db_arg){.text = (t), .is_text = true})
/* The arguments of a collector call as one array and its length (at least one value). */
#define DB_ARGS(...) \
    (const db_arg[]){__VA_ARGS__}, sizeof((const db_arg[]){__VA_ARGS__}) / sizeof(db_arg)
/* No parameters, for a call that takes DB_ARGS. */
#define DB_NO_ARGS NULL, 0

/* db_row_ints of q on a pooled reader, with args bound to ?1 .. ?nargs. */
int db_read_ints(store *s, db_query *q, const db_arg *args, size_t nargs, int64_t *out, int n);

/* Fills row (r->elem bytes, zeroed) from st's current row, copying into a what it keeps;
 * ctx is r->ctx. */
typedef void db_row_fn(db_stmt *st, arena *a, void *ctx, void *row);

typedef struct db_rows {
    arena *a;        /* holds the array and what fill copies */
    size_t elem;     /* bytes of one element */
    db_row_fn *fill; /* fills one element */
    void *ctx;       /* the caller's, for fill */
    void *items;     /* answer: count elements, NULL when none */
    size_t count;
} db_rows;
/* Hand r's rows, once collected, to the caller's typed array *rows and its *count. */
#define DB_ROWS_TO(r, rows, count) (*(rows) = (r).items, *(count) = (r).count)

/* Every row of st (stepped to its end, then reset) into r: STORE_OK or db_step's error. */
int db_collect(db_stmt *st, db_rows *r);
/* db_collect of q prepared on c with args bound to ?1 .. ?nargs (STORE_ERROR, no rows, when
 * q fails to prepare). */
int db_collect_query(db_conn *c, db_query *q, const db_arg *args, size_t nargs, db_rows *r);
/* db_collect_query on a pooled reader, given back before it answers (STORE_ERROR, no rows,
 * without one). */
int db_read_collect(store *s, db_query *q, const db_arg *args, size_t nargs, db_rows *r);

#endif
