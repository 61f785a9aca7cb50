/*
 * sqlite: the SQLite backend of store.h (see backend.h; store.c dispatches to it).
 *
 * One writer connection, guarded by a mutex that store_tx_begin takes and commit or
 * rollback releases, and a pool of read-only connections that grows to the number of
 * threads that read at once. The database runs in WAL mode with synchronous=FULL, so a
 * committed transaction is on disk when store_tx_commit returns and readers never wait
 * for the writer. Every statement is prepared once per connection and reused.
 *
 * The contact column list is generated from contact_fields[] so that the SQL, the
 * decoder and the encoder cannot disagree about which fields exist.
 */
#include "store/backend.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/timeutil.h"
#include "store/sqlite_file.h"
#include "store/sqlite_schema.h"

/* ---- statements ------------------------------------------------------------------ */

enum stmt_id {
    ST_JOB_PENDING_STATS,
    ST_JOB_GET,
    ST_JOB_ERRORS,
    ST_JOB_INSERT,
    ST_JOB_NEXT,
    ST_JOB_NEXT_DUE,
    ST_JOB_WAKE,
    ST_JOB_PAYLOAD,
    ST_JOB_PAYLOAD_INSERT,
    ST_JOB_PAYLOAD_DELETE,
    ST_JOB_PROGRESS,
    ST_JOB_FINISH,
    ST_JOB_ERROR_ADD,
    ST_JOB_LIST,
    ST_JOB_PAYLOAD_GET,
    ST_JOB_ACCOUNT,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT
};

/* A driver.h statement: the prepared form of one db_query on one connection. */
typedef struct lite_stmt {
    db_stmt base;
    sqlite3_stmt *st;
    sqlite3 *db;
} lite_stmt;

typedef struct conn {
    db_conn base; /* first: driver.h's handle */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    lite_stmt *q[DB_SLOTS]; /* driver.h statements, by slot */
    struct conn *next;      /* free list of the reader pool */
} conn;

extern const store_driver sqlite_driver;

struct store_tx_impl {
    store_impl *s;
};

struct store_impl {
    char *path;
    bool remove_on_close; /* ":memory:" runs on a private temp file */
    char *sql[ST_COUNT];
    conn *writer;
    pthread_mutex_t write_lock;
    store_tx_impl tx;
    pthread_mutex_t pool_lock;
    conn *readers;         /* idle read connections */
    conn *all_readers[64]; /* every reader opened, for store_close */
    int reader_count;
    /* the background checkpointer (see checkpointer_main) */
    conn *ckpt;
    pthread_t ckpt_thread;
    bool ckpt_started, ckpt_stop;
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_wake;
    sqlite_file_watch file; /* the file removed or replaced under us (sqlite_file.h) */
};

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

static void build_sql(store_impl *s)
{
    s->sql[ST_JOB_PENDING_STATS] =
        xasprintf("SELECT count(*), COALESCE(min(accepted_at), 0),"
                  " COALESCE(sum(max(requested - cursor, 1)), 0) FROM jobs WHERE status = 0");
    s->sql[ST_JOB_GET] = xasprintf(
        "SELECT id, kind, status, requested, created, updated, deleted, errored, accepted_at,"
        " COALESCE(finished_at,0), COALESCE(errors_token,'') FROM jobs WHERE id=? AND account_id=?");
    s->sql[ST_JOB_ERRORS] = xasprintf(
        "SELECT e.idx, e.identifiers, e.message FROM job_errors e JOIN jobs j ON j.seq=e.job_seq"
        " WHERE j.id=? AND j.account_id=? AND e.idx>? ORDER BY e.idx LIMIT ?");
    /* The job delay is read by the insert itself (store.h, settings). */
    s->sql[ST_JOB_INSERT] = xasprintf(
        "INSERT INTO jobs(id, account_id, kind, payload, requested, accepted_at, run_after,"
        " errors_token) VALUES(?1,?2,?3,x'',?4,?5,?5+COALESCE((SELECT job_delay_ms FROM settings"
        " WHERE account_id=?2),(SELECT job_delay_ms FROM settings WHERE account_id=0),0),?6)");
#define JOB_NEXT_COLS                                                          \
    "seq, account_id, id, kind, cursor, requested, created, updated, deleted," \
    " errored, accepted_at, run_after"
    s->sql[ST_JOB_NEXT] =
        xasprintf("SELECT " JOB_NEXT_COLS " FROM jobs WHERE status=0 ORDER BY seq LIMIT 1");
    /* When the oldest pending job is delayed: the oldest due job that is its account's
     * first pending one (an account's jobs never overtake each other). */
    s->sql[ST_JOB_NEXT_DUE] = xasprintf(
        "SELECT " JOB_NEXT_COLS " FROM jobs j WHERE j.status=0 AND j.run_after<=?1"
        " AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.status=0 AND e.account_id=j.account_id"
        " AND e.seq<j.seq) ORDER BY j.seq LIMIT 1");
    s->sql[ST_JOB_WAKE] =
        xasprintf("SELECT min(run_after) FROM jobs WHERE status=0 AND run_after>?");
    /* Payloads live in a table of their own (migration 3): SQLite stores a row in one
     * piece, so a 6 MB payload inside the jobs row was rewritten by every progress update
     * and read through by every status poll. */
    s->sql[ST_JOB_PAYLOAD] = xasprintf("SELECT payload FROM job_payloads WHERE job_seq=?");
    s->sql[ST_JOB_PAYLOAD_INSERT] =
        xasprintf("INSERT INTO job_payloads(job_seq, payload) VALUES(?,?)");
    /* An export's payload is its lasting description (file type, lists, download
     * secret), so it outlives the job; every other payload goes when its job ends. */
    s->sql[ST_JOB_PAYLOAD_DELETE] =
        xasprintf("DELETE FROM job_payloads WHERE job_seq=?1"
                  " AND NOT EXISTS (SELECT 1 FROM jobs WHERE seq=?1 AND kind=%d)",
                  (int)JOB_EXPORT);
    s->sql[ST_JOB_PROGRESS] =
        xasprintf("UPDATE jobs SET cursor=?, requested=?, created=?, updated=?, deleted=?, errored=?"
                  " WHERE seq=?");
    s->sql[ST_JOB_FINISH] = xasprintf(
        "UPDATE jobs SET status=?, requested=?, created=?, updated=?, deleted=?, errored=?,"
        " finished_at=?, cursor=requested WHERE seq=? AND status=0");
    s->sql[ST_JOB_ERROR_ADD] = xasprintf(
        "INSERT OR REPLACE INTO job_errors(job_seq, idx, identifiers, message) VALUES(?,?,?,?)");
    s->sql[ST_JOB_LIST] = xasprintf(
        "SELECT j.id, j.kind, j.status, j.requested, j.created, j.updated, j.deleted, j.errored,"
        " j.accepted_at, COALESCE(j.finished_at,0), p.payload FROM jobs j"
        " LEFT JOIN job_payloads p ON p.job_seq=j.seq"
        " WHERE j.account_id=? AND j.kind=? ORDER BY j.seq DESC LIMIT ?");
    s->sql[ST_JOB_PAYLOAD_GET] =
        xasprintf("SELECT p.payload FROM jobs j JOIN job_payloads p ON p.job_seq=j.seq"
                  " WHERE j.id=? AND j.account_id=?");
    s->sql[ST_JOB_ACCOUNT] = xasprintf("SELECT account_id FROM jobs WHERE id=?");
    s->sql[ST_SAVEPOINT] = xasprintf("SAVEPOINT op");
    s->sql[ST_RELEASE] = xasprintf("RELEASE op");
    s->sql[ST_ROLLBACK_TO] = xasprintf("ROLLBACK TO op");
    s->sql[ST_BEGIN] = xasprintf("BEGIN IMMEDIATE");
    s->sql[ST_COMMIT] = xasprintf("COMMIT");
    s->sql[ST_ROLLBACK] = xasprintf("ROLLBACK");
}

/* ---- connections ----------------------------------------------------------------- */

static void log_sqlite(sqlite3 *db, const char *what)
{
    metrics_db_error();
    fprintf(stderr, "contactd: sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no connection");
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "contactd: sqlite: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return STORE_ERROR;
    }
    return STORE_OK;
}

static conn *conn_open(store_impl *s, bool readonly, char *err, size_t err_size)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (err)
            snprintf(err, err_size, "cannot open %s: %s", s->path,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    c->base.drv = &sqlite_driver;
    /* A CLI command writing at the same time as the server waits instead of failing. */
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    return c;
}

static void conn_close(conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    for (int i = 0; i < DB_SLOTS; i++) {
        if (c->q[i])
            sqlite3_finalize(c->q[i]->st);
        free(c->q[i]);
    }
    sqlite3_close(c->db);
    free(c);
}

/* The prepared statement id on connection c, reset and with bindings cleared. */
static sqlite3_stmt *stmt(store_impl *s, conn *c, enum stmt_id id)
{
    if (!c->stmt[id]) {
        if (sqlite3_prepare_v3(c->db, s->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id],
                               NULL) != SQLITE_OK) {
            log_sqlite(c->db, s->sql[id]);
            return NULL;
        }
    }
    return c->stmt[id];
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static conn *reader_acquire(store_impl *s)
{
    pthread_mutex_lock(&s->pool_lock);
    conn *c = s->readers;
    if (c) {
        s->readers = c->next;
        pthread_mutex_unlock(&s->pool_lock);
        return c;
    }
    bool room = s->reader_count < (int)(sizeof s->all_readers / sizeof s->all_readers[0]);
    pthread_mutex_unlock(&s->pool_lock);
    if (!room)
        return NULL;
    char err[256];
    c = conn_open(s, true, err, sizeof err);
    if (!c) {
        fprintf(stderr, "contactd: %s\n", err);
        return NULL;
    }
    /* No memory map on readers: in WAL mode a reader drops its whole map when the
     * database changed, so under writes every read paid an munmap and page faults
     * (bench/ measured ~0.8 ms per munmap), and the maps made RSS look like GBs. */
    pthread_mutex_lock(&s->pool_lock);
    if (s->reader_count < (int)(sizeof s->all_readers / sizeof s->all_readers[0])) {
        s->all_readers[s->reader_count++] = c;
        pthread_mutex_unlock(&s->pool_lock);
        return c;
    }
    pthread_mutex_unlock(&s->pool_lock);
    conn_close(c);
    return NULL;
}

static void reader_release(store_impl *s, conn *c)
{
    pthread_mutex_lock(&s->pool_lock);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->pool_lock);
}

/* ---- one-statement reads on a pooled reader ---------------------------------------- */

/* Borrow a reader with statement id prepared: NULL (nothing to give back) on failure. */
static sqlite3_stmt *reader_stmt(store_impl *s, enum stmt_id id, conn **c)
{
    *c = reader_acquire(s);
    if (!*c)
        return NULL;
    sqlite3_stmt *st = stmt(s, *c, id);
    if (!st)
        reader_release(s, *c);
    return st;
}

/* Step st once: STORE_OK on a row, STORE_NOT_FOUND at the end, STORE_ERROR. */
static int step_row(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    return r == SQLITE_ROW ? STORE_OK : r == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

static void reader_done(store_impl *s, conn *c, sqlite3_stmt *st)
{
    done(st);
    reader_release(s, c);
}

/* A blob column as a NUL-terminated copy in a. */
static const char *col_blob(sqlite3_stmt *st, int i, arena *a, size_t *len)
{
    int n = sqlite3_column_bytes(st, i);
    const void *p = sqlite3_column_blob(st, i);
    *len = (size_t)n;
    return arena_strndup(a, p ? p : "", (size_t)n);
}

/* ---- open and close -------------------------------------------------------------- */

static void sqlite_close(store_impl *s);

static int migrate(store_impl *s)
{
    sqlite3 *db = s->writer->db;
    if (exec(db, "BEGIN IMMEDIATE") != STORE_OK)
        return STORE_ERROR;
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (version > sqlite_migration_count) {
        fprintf(stderr, "contactd: database schema %d is newer than this contactd (%d)\n", version,
                sqlite_migration_count);
        exec(db, "ROLLBACK");
        return STORE_ERROR;
    }
    for (int v = version; v < sqlite_migration_count; v++) {
        if (exec(db, sqlite_migrations[v]) != STORE_OK) {
            exec(db, "ROLLBACK");
            return STORE_ERROR;
        }
    }
    char set[64];
    snprintf(set, sizeof set, "PRAGMA user_version=%d", sqlite_migration_count);
    if (exec(db, set) != STORE_OK || exec(db, "COMMIT") != STORE_OK) {
        exec(db, "ROLLBACK");
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* ---- checkpoints --------------------------------------------------------------------
 * SQLite's automatic checkpoint runs inside a committing transaction, i.e. on the job
 * writer, stalling every waiting request while WAL pages are copied and the database
 * file is fsync'd. Instead the writer never checkpoints (wal_autocheckpoint=0) and this
 * thread runs a PASSIVE checkpoint every CKPT_INTERVAL_MS on a connection of its own:
 * it copies what no reader still needs and never blocks the writer or readers. Once a
 * checkpoint has caught up, the next write transaction starts the WAL over, so the file
 * stays as large as the busiest interval needed. */
#define CKPT_INTERVAL_MS 100
#define CKPT_RESTART_FRAMES 8192 /* 32 MiB of 4 KiB pages */
/* A WAL that a burst made larger is cut back to this size when the writer starts it over
 * after a checkpoint (journal_size_limit); without it the file keeps its largest size
 * forever (a 526 MB WAL was seen after 50 exports). Twice the restart point, so the steady
 * state never pays for truncating and growing the file again. */
#define WAL_SIZE_LIMIT "67108864"

/* Run a checkpoint PRAGMA; returns the WAL's size in frames, or -1. The PRAGMA rather
 * than sqlite3_wal_checkpoint_v2(): a connection that has not read the database yet has
 * no WAL attached, and the C call then does nothing; compiling the PRAGMA reads the
 * schema first. */
static int checkpoint(store_impl *s, const char *pragma)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ckpt->db, pragma, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int frames = -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        frames = sqlite3_column_int(st, 1);
    else if (rc != SQLITE_DONE && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        log_sqlite(s->ckpt->db, pragma);
    sqlite3_finalize(st);
    return frames;
}

static void *checkpointer_main(void *arg)
{
    store_impl *s = arg;
    pthread_mutex_lock(&s->ckpt_lock);
    while (!s->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->ckpt_wake, &s->ckpt_lock, &until);
        if (s->ckpt_stop)
            break;
        pthread_mutex_unlock(&s->ckpt_lock);
        /* Notice a lost file while idle too, so that /readyz fails before any write. */
        if (sqlite_file_lost(&s->file)) {
            pthread_mutex_lock(&s->ckpt_lock);
            continue;
        }
        int log_frames = checkpoint(s, "PRAGMA wal_checkpoint(PASSIVE)");
        /* Under a steady stream of commits a passive checkpoint never quite catches up,
         * and the WAL can only start over once one has: past CKPT_RESTART_FRAMES, make
         * one that does (it waits for the commit in progress and holds the next one back
         * only while it copies what the passive one left). */
        if (log_frames > CKPT_RESTART_FRAMES)
            checkpoint(s, "PRAGMA wal_checkpoint(RESTART)");
        pthread_mutex_lock(&s->ckpt_lock);
    }
    pthread_mutex_unlock(&s->ckpt_lock);
    return NULL;
}

static int checkpointer_start(store_impl *s, char *err, size_t err_size)
{
    if (exec(s->writer->db, "PRAGMA wal_autocheckpoint=0") != STORE_OK)
        return STORE_ERROR;
    s->ckpt = conn_open(s, false, err, err_size);
    if (!s->ckpt || exec(s->ckpt->db, "PRAGMA journal_size_limit=" WAL_SIZE_LIMIT) != STORE_OK)
        return STORE_ERROR;
    pthread_mutex_init(&s->ckpt_lock, NULL);
    pthread_cond_init(&s->ckpt_wake, NULL);
    if (pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s) != 0) {
        snprintf(err, err_size, "cannot start the checkpoint thread");
        return STORE_ERROR;
    }
    s->ckpt_started = true;
    return STORE_OK;
}

static void checkpointer_stop(store_impl *s)
{
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_stop = true;
        pthread_cond_signal(&s->ckpt_wake);
        pthread_mutex_unlock(&s->ckpt_lock);
        pthread_join(s->ckpt_thread, NULL);
        pthread_cond_destroy(&s->ckpt_wake);
        pthread_mutex_destroy(&s->ckpt_lock);
        s->ckpt_started = false;
    }
    conn_close(s->ckpt);
    s->ckpt = NULL;
}

static store_impl *sqlite_open(const char *path, char *err, size_t err_size)
{
    store_impl *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    if (strcmp(path, ":memory:") == 0) {
        /* Readers need their own connections to the same data, which a true in-memory
         * database cannot give without shared-cache locking; a deleted temp file can. */
        const char *dir = getenv("TMPDIR");
        char *tmpl = xasprintf("%s/contactd-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmpl);
        if (fd < 0) {
            snprintf(err, err_size, "cannot create a temporary database: %s", strerror(errno));
            free(tmpl);
            free(s);
            return NULL;
        }
        close(fd);
        s->path = tmpl;
        s->remove_on_close = true;
    } else {
        s->path = strdup(path);
    }
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    s->tx.s = s;
    build_sql(s);
    s->writer = conn_open(s, false, err, err_size);
    if (!s->writer) {
        sqlite_close(s);
        return NULL;
    }
    if (exec(s->writer->db, "PRAGMA journal_mode=WAL") != STORE_OK ||
        exec(s->writer->db, "PRAGMA journal_size_limit=" WAL_SIZE_LIMIT) != STORE_OK ||
        exec(s->writer->db, "PRAGMA synchronous=FULL") != STORE_OK ||
        exec(s->writer->db, "PRAGMA cache_size=-32768") != STORE_OK || migrate(s) != STORE_OK) {
        snprintf(err, err_size, "cannot prepare the database %s: %s", path,
                 sqlite3_errmsg(s->writer->db));
        sqlite_close(s);
        return NULL;
    }
    sqlite_file_watch_init(&s->file, s->path); /* the file exists by now */
    if (checkpointer_start(s, err, err_size) != STORE_OK) {
        sqlite_close(s);
        return NULL;
    }
    return s;
}

static void sqlite_close(store_impl *s)
{
    if (!s)
        return;
    checkpointer_stop(s);
    for (int i = 0; i < s->reader_count; i++)
        conn_close(s->all_readers[i]);
    conn_close(s->writer);
    if (s->remove_on_close && s->path) {
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            char *p = xasprintf("%s%s", s->path, suffix[i]);
            unlink(p);
            free(p);
        }
    }
    for (int i = 0; i < ST_COUNT; i++)
        free(s->sql[i]);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    free(s->path);
    free(s);
}

/* ---- transactions ---------------------------------------------------------------- */

static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return STORE_OK;
    if ((rc & 0xFF) == SQLITE_CONSTRAINT)
        return STORE_CONFLICT;
    log_sqlite(db, sqlite3_sql(st));
    return STORE_ERROR;
}

static int sqlite_tx_begin(store_impl *s, store_tx_impl **out)
{
    pthread_mutex_lock(&s->write_lock);
    sqlite3_stmt *st = stmt(s, s->writer, ST_BEGIN);
    if (!st || step_done(s->writer->db, st) != STORE_OK) {
        pthread_mutex_unlock(&s->write_lock);
        return STORE_ERROR;
    }
    *out = &s->tx;
    return STORE_OK;
}

static int sqlite_tx_commit(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    /* Never acknowledge a commit into a file that no longer has the database's name. */
    sqlite3_stmt *st = sqlite_file_lost(&s->file) ? NULL : stmt(s, s->writer, ST_COMMIT);
    int rc = st ? step_done(s->writer->db, st) : STORE_ERROR;
    if (rc != STORE_OK && !sqlite3_get_autocommit(s->writer->db))
        exec(s->writer->db, "ROLLBACK");
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static void sqlite_tx_rollback(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    if (!sqlite3_get_autocommit(s->writer->db)) {
        sqlite3_stmt *st = stmt(s, s->writer, ST_ROLLBACK);
        if (st)
            step_done(s->writer->db, st);
    }
    pthread_mutex_unlock(&s->write_lock);
}

static const char *sqlite_write_problem(store_impl *s)
{
    return sqlite_file_lost(&s->file) ? "the database file was removed or replaced; restart contactd"
                                      : NULL;
}

static int sqlite_check(store_impl *s, char *err, size_t err_size)
{
    pthread_mutex_lock(&s->write_lock);
    int rc = sqlite_file_check(s->writer->db, s->path, err, err_size);
    pthread_mutex_unlock(&s->write_lock);
    return rc == 0 ? STORE_OK : STORE_ERROR;
}

/* ---- binding helpers ------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i, arena *a)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    return arena_strndup(a, (const char *)t, (size_t)n);
}

/* The first n integer columns of a parameterless one-row query, on a read connection. */
static int reader_ints(store_impl *s, enum stmt_id id, int64_t *out, int n)
{
    conn *c = reader_acquire(s);
    if (!c)
        return STORE_ERROR;
    sqlite3_stmt *st = stmt(s, c, id);
    int rc = STORE_ERROR;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            out[i] = sqlite3_column_int64(st, i);
        rc = STORE_OK;
    }
    if (st)
        done(st);
    reader_release(s, c);
    return rc;
}

static int sqlite_job_pending_stats(store_impl *s, int64_t *count, int64_t *oldest_accepted_at,
                                    int64_t *records)
{
    int64_t v[3];
    int rc = reader_ints(s, ST_JOB_PENDING_STATS, v, 3);
    if (rc == STORE_OK) {
        *count = v[0];
        *oldest_accepted_at = v[1];
        *records = v[2];
    }
    return rc;
}

/* ---- jobs ------------------------------------------------------------------------ */

/* A job_info from columns id, kind, status, requested, created, updated, deleted,
 * errored, accepted_at, finished_at (0 while pending). */
static void read_job_info(sqlite3_stmt *st, job_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(st, 0));
    out->kind = (job_kind)sqlite3_column_int(st, 1);
    out->status = (job_status)sqlite3_column_int(st, 2);
    out->counts.requested = sqlite3_column_int64(st, 3);
    out->counts.created = sqlite3_column_int64(st, 4);
    out->counts.updated = sqlite3_column_int64(st, 5);
    out->counts.deleted = sqlite3_column_int64(st, 6);
    out->counts.errored = sqlite3_column_int64(st, 7);
    out->accepted_at = sqlite3_column_int64(st, 8);
    out->finished_at = sqlite3_column_int64(st, 9);
    if (sqlite3_column_count(st) > 10) /* the status read carries the errors_url token */
        snprintf(out->errors_token, sizeof out->errors_token, "%s",
                 (const char *)sqlite3_column_text(st, 10));
}

static int sqlite_job_get(store_impl *s, int64_t account, const char *id, job_info *out)
{
    conn *c = reader_acquire(s);
    if (!c)
        return STORE_ERROR;
    sqlite3_stmt *st = stmt(s, c, ST_JOB_GET);
    int rc = STORE_ERROR;
    if (st) {
        bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, account);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_job_info(st, out);
            rc = STORE_OK;
        } else if (r == SQLITE_DONE) {
            rc = STORE_NOT_FOUND;
        } else {
            log_sqlite(c->db, "job lookup");
        }
        done(st);
    }
    reader_release(s, c);
    return rc;
}

static int sqlite_job_errors(store_impl *s, int64_t account, const char *id, int64_t after,
                             size_t limit, arena *a, job_error_row **rows, size_t *count)
{
    conn *c = reader_acquire(s);
    if (!c)
        return STORE_ERROR;
    sqlite3_stmt *st = stmt(s, c, ST_JOB_ERRORS);
    int rc = st ? STORE_OK : STORE_ERROR;
    size_t n = 0, cap = 0;
    job_error_row *out = NULL;
    if (st) {
        bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, account);
        sqlite3_bind_int64(st, 3, after);
        sqlite3_bind_int64(st, 4, (int64_t)limit);
        for (;;) {
            int r = sqlite3_step(st);
            if (r != SQLITE_ROW) {
                if (r != SQLITE_DONE)
                    rc = STORE_ERROR;
                break;
            }
            out = arena_grow(a, out, n, &cap, sizeof *out);
            out[n].index = sqlite3_column_int64(st, 0);
            out[n].identifiers = col_text(st, 1, a);
            out[n].message = col_text(st, 2, a);
            n++;
        }
        done(st);
    }
    reader_release(s, c);
    *rows = out;
    *count = n;
    return rc;
}

static int sqlite_tx_job_insert(store_tx_impl *tx, const job_new *j, const char *errors_token,
                                int64_t *seq)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_INSERT);
    if (!st)
        return STORE_ERROR;
    bind_text(st, 1, j->id);
    sqlite3_bind_int64(st, 2, j->account);
    sqlite3_bind_int(st, 3, (int)j->kind);
    sqlite3_bind_int64(st, 4, j->requested);
    sqlite3_bind_int64(st, 5, j->accepted_at);
    bind_text(st, 6, errors_token);
    int rc = step_done(s->writer->db, st);
    if (rc != STORE_OK)
        return rc;
    *seq = sqlite3_last_insert_rowid(s->writer->db);
    st = stmt(s, s->writer, ST_JOB_PAYLOAD_INSERT);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, *seq);
    sqlite3_bind_blob64(st, 2, j->payload, j->payload_len, SQLITE_STATIC);
    return step_done(s->writer->db, st);
}

/* Read a job row of ST_JOB_NEXT's columns; *run_after gets when it may run. */
static void read_job_next(sqlite3_stmt *st, job_row *out, int64_t *run_after)
{
    memset(out, 0, sizeof *out);
    out->seq = sqlite3_column_int64(st, 0);
    out->account = sqlite3_column_int64(st, 1);
    snprintf(out->info.id, sizeof out->info.id, "%s", (const char *)sqlite3_column_text(st, 2));
    out->info.kind = (job_kind)sqlite3_column_int(st, 3);
    out->info.status = JOB_PENDING;
    out->cursor = sqlite3_column_int64(st, 4);
    out->info.counts.requested = sqlite3_column_int64(st, 5);
    out->info.counts.created = sqlite3_column_int64(st, 6);
    out->info.counts.updated = sqlite3_column_int64(st, 7);
    out->info.counts.deleted = sqlite3_column_int64(st, 8);
    out->info.counts.errored = sqlite3_column_int64(st, 9);
    out->info.accepted_at = sqlite3_column_int64(st, 10);
    *run_after = sqlite3_column_int64(st, 11);
}

static int sqlite_tx_job_next(store_tx_impl *tx, job_row *out)
{
    store_impl *s = tx->s;
    int64_t now = time_now_ms(), run_after = 0;
    /* The common case, no delay: the oldest pending job, due at once. */
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_NEXT);
    if (!st)
        return STORE_ERROR;
    int rc = step_row(st);
    if (rc == STORE_OK)
        read_job_next(st, out, &run_after);
    done(st);
    if (rc != STORE_OK || run_after <= now)
        return rc;
    st = stmt(s, s->writer, ST_JOB_NEXT_DUE);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    rc = step_row(st);
    if (rc == STORE_OK)
        read_job_next(st, out, &run_after);
    done(st);
    return rc;
}

static int sqlite_tx_job_next_due(store_tx_impl *tx, int64_t now_ms, int64_t *at)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_WAKE);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    int rc = step_row(st);
    if (rc == STORE_OK && sqlite3_column_type(st, 0) == SQLITE_NULL)
        rc = STORE_NOT_FOUND;
    else if (rc == STORE_OK)
        *at = sqlite3_column_int64(st, 0);
    done(st);
    return rc;
}

static int sqlite_tx_job_payload(store_tx_impl *tx, int64_t seq, arena *a, const char **payload,
                                 size_t *len)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_PAYLOAD);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, seq);
    int rc = step_row(st);
    if (rc == STORE_OK)
        *payload = col_blob(st, 0, a, len);
    done(st);
    return rc;
}

/* Binds requested, created, updated, deleted, errored from parameter first on; returns
 * the next parameter index. */
static int bind_counts(sqlite3_stmt *st, int first, const job_counts *c)
{
    sqlite3_bind_int64(st, first, c->requested);
    sqlite3_bind_int64(st, first + 1, c->created);
    sqlite3_bind_int64(st, first + 2, c->updated);
    sqlite3_bind_int64(st, first + 3, c->deleted);
    sqlite3_bind_int64(st, first + 4, c->errored);
    return first + 5;
}

static int sqlite_tx_job_progress(store_tx_impl *tx, int64_t seq, int64_t cursor,
                                  const job_counts *c)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_PROGRESS);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, cursor);
    int p = bind_counts(st, 2, c);
    sqlite3_bind_int64(st, p, seq);
    return step_done(s->writer->db, st);
}

static int sqlite_tx_job_finish(store_tx_impl *tx, int64_t seq, job_status status,
                                const job_counts *c, int64_t finished_at)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_FINISH);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int(st, 1, (int)status);
    int p = bind_counts(st, 2, c);
    sqlite3_bind_int64(st, p, finished_at);
    sqlite3_bind_int64(st, p + 1, seq);
    int rc = step_done(s->writer->db, st);
    if (rc != STORE_OK)
        return rc;
    /* A finished job's payload is dropped: its results and errors are what remain
     * useful, and a 6 MB body kept per job would fill the disk. */
    st = stmt(s, s->writer, ST_JOB_PAYLOAD_DELETE);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, seq);
    return step_done(s->writer->db, st);
}

static int sqlite_tx_job_error_add(store_tx_impl *tx, int64_t seq, int64_t index,
                                   const char *identifiers, const char *message)
{
    store_impl *s = tx->s;
    sqlite3_stmt *st = stmt(s, s->writer, ST_JOB_ERROR_ADD);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, index);
    bind_text(st, 3, identifiers);
    bind_text(st, 4, message);
    return step_done(s->writer->db, st);
}

/* ---- savepoints ---------------------------------------------------------------------- */

static int simple(store_tx_impl *tx, enum stmt_id id)
{
    sqlite3_stmt *st = stmt(tx->s, tx->s->writer, id);
    return st ? step_done(tx->s->writer->db, st) : STORE_ERROR;
}

/* ---- jobs by kind, payloads, capability lookups ---------------------------------------- */

static int sqlite_job_list(store_impl *s, int64_t account, job_kind kind, int64_t limit, arena *a,
                           job_listing **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    conn *c;
    sqlite3_stmt *st = reader_stmt(s, ST_JOB_LIST, &c);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_int(st, 2, (int)kind);
    sqlite3_bind_int64(st, 3, limit);
    size_t n = 0, cap = 0;
    job_listing *out = NULL;
    int rc;
    while ((rc = step_row(st)) == STORE_OK) {
        out = arena_grow(a, out, n, &cap, sizeof *out);
        job_listing *l = &out[n++];
        memset(l, 0, sizeof *l);
        read_job_info(st, &l->info);
        l->payload = col_blob(st, 10, a, &l->payload_len);
    }
    reader_done(s, c, st);
    *rows = out;
    *count = n;
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

static int sqlite_job_payload_get(store_impl *s, int64_t account, const char *id, arena *a,
                                  const char **payload, size_t *len)
{
    conn *c;
    sqlite3_stmt *st = reader_stmt(s, ST_JOB_PAYLOAD_GET, &c);
    if (!st)
        return STORE_ERROR;
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, account);
    int rc = step_row(st);
    if (rc == STORE_OK)
        *payload = col_blob(st, 0, a, len);
    reader_done(s, c, st);
    return rc;
}

static int sqlite_job_account(store_impl *s, const char *id, int64_t *account)
{
    conn *c;
    sqlite3_stmt *st = reader_stmt(s, ST_JOB_ACCOUNT, &c);
    if (!st)
        return STORE_ERROR;
    bind_text(st, 1, id);
    int rc = step_row(st);
    if (rc == STORE_OK)
        *account = sqlite3_column_int64(st, 0);
    reader_done(s, c, st);
    return rc;
}

static int sqlite_tx_savepoint(store_tx_impl *tx)
{
    return simple(tx, ST_SAVEPOINT);
}
static int sqlite_tx_savepoint_release(store_tx_impl *tx)
{
    return simple(tx, ST_RELEASE);
}

static void sqlite_tx_savepoint_rollback(store_tx_impl *tx)
{
    simple(tx, ST_ROLLBACK_TO);
    simple(tx, ST_RELEASE);
}

/* ---- administration ------------------------------------------------------------------
 * Rare calls (the admin API, the CLI): their statements are prepared on each use rather
 * than kept on every connection. The account reads, which requests make too
 * (On-Behalf-Of, the count's billable_breakdown), are kept (ST_ACCOUNT_GET, _LIST). */

/* Prepare sql on c; NULL (logged) on failure. The caller finalizes. */
static sqlite3_stmt *adhoc(conn *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_sqlite(c->db, sql);
        return NULL;
    }
    return st;
}

static int sqlite_job_list_all(store_impl *s, int64_t account, int status, int64_t limit, arena *a,
                               job_info **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    conn *c = reader_acquire(s);
    if (!c)
        return STORE_ERROR;
    sqlite3_stmt *st = adhoc(
        c, "SELECT id, kind, status, requested, created, updated, deleted, errored, accepted_at,"
           " COALESCE(finished_at,0) FROM jobs WHERE account_id=?1 AND (?2<0 OR status=?2)"
           " ORDER BY seq DESC LIMIT ?3");
    int rc = st ? STORE_OK : STORE_ERROR;
    if (st) {
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_int(st, 2, status);
        sqlite3_bind_int64(st, 3, limit);
    }
    size_t cap = 0;
    while (st && (rc = step_row(st)) == STORE_OK) {
        *rows = arena_grow(a, *rows, *count, &cap, sizeof **rows);
        read_job_info(st, &(*rows)[(*count)++]);
    }
    sqlite3_finalize(st);
    reader_release(s, c);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

/* ---- the driver (driver.h) ---------------------------------------------------------- */

static db_stmt *lite_prepare(db_conn *dc, db_query *q)
{
    conn *c = (conn *)dc;
    int slot = db_query_slot(q);
    if (!c->q[slot]) {
        lite_stmt *ls = calloc(1, sizeof *ls);
        if (!ls)
            abort();
        if (sqlite3_prepare_v3(c->db, q->sql, -1, SQLITE_PREPARE_PERSISTENT, &ls->st, NULL) !=
            SQLITE_OK) {
            log_sqlite(c->db, q->sql);
            free(ls);
            return NULL;
        }
        ls->base.drv = &sqlite_driver;
        ls->db = c->db;
        c->q[slot] = ls;
    }
    return &c->q[slot]->base;
}

static sqlite3_stmt *lite(db_stmt *st)
{
    return ((lite_stmt *)st)->st;
}

static void lite_bind_int(db_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(lite(st), i, v);
}

static void lite_bind_text(db_stmt *st, int i, const char *v)
{
    bind_text(lite(st), i, v);
}

static void lite_bind_blob(db_stmt *st, int i, const void *v, size_t len)
{
    sqlite3_bind_blob(lite(st), i, v ? v : "", (int)len, SQLITE_STATIC);
}

static int lite_step(db_stmt *dst)
{
    sqlite3_stmt *st = lite(dst);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return STORE_OK;
    if ((rc & 0xFF) == SQLITE_CONSTRAINT)
        return STORE_CONFLICT;
    log_sqlite(((lite_stmt *)dst)->db, sqlite3_sql(st));
    return STORE_ERROR;
}

static bool lite_col_null(db_stmt *st, int i)
{
    return sqlite3_column_type(lite(st), i) == SQLITE_NULL;
}

static int64_t lite_col_int(db_stmt *st, int i)
{
    return sqlite3_column_int64(lite(st), i);
}

static const char *lite_col_text(db_stmt *st, int i, size_t *len)
{
    const unsigned char *t = sqlite3_column_text(lite(st), i);
    if (len)
        *len = (size_t)sqlite3_column_bytes(lite(st), i);
    return (const char *)t;
}

static const void *lite_col_blob(db_stmt *st, int i, size_t *len)
{
    const void *p = sqlite3_column_blob(lite(st), i);
    *len = (size_t)sqlite3_column_bytes(lite(st), i);
    return p ? p : "";
}

static int64_t lite_changes(db_stmt *st)
{
    return sqlite3_changes(((lite_stmt *)st)->db);
}

static void lite_done(db_stmt *st)
{
    done(lite(st));
}

static int lite_lock_account(db_conn *writer, int64_t account)
{
    (void)writer;
    (void)account;
    return STORE_OK; /* one writer: nothing to serialise */
}

static void lite_note_inserted(db_conn *writer, int64_t rows)
{
    (void)writer;
    (void)rows; /* SQLite's planner needs no fresh statistics here */
}

const store_driver sqlite_driver = {
    .prepare = lite_prepare,
    .bind_int = lite_bind_int,
    .bind_text = lite_bind_text,
    .bind_blob = lite_bind_blob,
    .step = lite_step,
    .col_null = lite_col_null,
    .col_int = lite_col_int,
    .col_text = lite_col_text,
    .col_blob = lite_col_blob,
    .changes = lite_changes,
    .done = lite_done,
    .lock_account = lite_lock_account,
    .note_inserted = lite_note_inserted,
};

static db_conn *sqlite_read(store_impl *s)
{
    conn *c = reader_acquire(s);
    return c ? &c->base : NULL;
}

static void sqlite_read_done(store_impl *s, db_conn *c)
{
    reader_release(s, (conn *)c);
}

static db_conn *sqlite_tx_conn(store_tx_impl *tx)
{
    return &tx->s->writer->base;
}

/* ---- the backend table ------------------------------------------------------------- */

const store_backend sqlite_backend = {
    .name = "sqlite",
    .shared = false,
    .open = sqlite_open,
    .close = sqlite_close,
    .tx_begin = sqlite_tx_begin,
    .tx_commit = sqlite_tx_commit,
    .tx_rollback = sqlite_tx_rollback,
    .read = sqlite_read,
    .read_done = sqlite_read_done,
    .tx_conn = sqlite_tx_conn,
    .write_problem = sqlite_write_problem,
    .check = sqlite_check,
    .job_pending_stats = sqlite_job_pending_stats,
    .job_get = sqlite_job_get,
    .job_errors = sqlite_job_errors,
    .tx_job_insert = sqlite_tx_job_insert,
    .tx_job_next = sqlite_tx_job_next,
    .tx_job_payload = sqlite_tx_job_payload,
    .tx_job_progress = sqlite_tx_job_progress,
    .tx_job_finish = sqlite_tx_job_finish,
    .tx_job_error_add = sqlite_tx_job_error_add,
    .job_list = sqlite_job_list,
    .job_payload_get = sqlite_job_payload_get,
    .job_account = sqlite_job_account,
    .tx_savepoint = sqlite_tx_savepoint,
    .tx_savepoint_release = sqlite_tx_savepoint_release,
    .tx_savepoint_rollback = sqlite_tx_savepoint_rollback,
    .tx_job_next_due = sqlite_tx_job_next_due,
    .job_list_all = sqlite_job_list_all,
};
