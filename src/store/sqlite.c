/*
 * sqlite: the SQLite engine of store.h: its driver (driver.h), which runs the query
 * files' statements, and its backend (backend.h: open and close, transactions,
 * savepoints, the file checks; store.c dispatches to it).
 *
 * One writer connection, guarded by a mutex that store_tx_begin takes and commit or
 * rollback releases, and a pool of read-only connections that grows to the number of
 * threads that read at once. The database runs in WAL mode with synchronous=FULL, so a
 * committed transaction is on disk when store_tx_commit returns and readers never wait
 * for the writer. Every statement is prepared once per connection and reused.
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
#include "store/sqlite_file.h"
#include "store/sqlite_schema.h"

/* ---- statements ------------------------------------------------------------------ */

/* A driver.h statement: the prepared form of one db_query on one connection. */
typedef struct lite_stmt {
    db_stmt base;
    sqlite3_stmt *st;
    sqlite3 *db;
} lite_stmt;

typedef struct conn {
    db_conn base; /* first: driver.h's handle */
    sqlite3 *db;
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

/* Process-wide settings, made before SQLite initialises (when something in the process
 * initialised it first, they are refused and SQLite runs as it would anyway). Memory
 * statistics off: with them on, every sqlite3_malloc and sqlite3_free takes one global
 * mutex, which the event loops' readers contend for on every statement (nothing here
 * reads sqlite3_status or sqlite3_memory_used). */
static void configure_once(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* How long a connection waits for another's lock before SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 10000

static conn *conn_open(store_impl *s, bool readonly, char *err, size_t err_size)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_once);
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
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);
    return c;
}

static void conn_close(conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < DB_SLOTS; i++) {
        if (c->q[i])
            sqlite3_finalize(c->q[i]->st);
        free(c->q[i]);
    }
    sqlite3_close(c->db);
    free(c);
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
/* Before a RESTART, PASSIVE checkpoints run back to back (at most CKPT_CATCH_UP times, and
 * while each leaves less uncopied than the one before) until they leave fewer than
 * CKPT_RESIDUAL_FRAMES: the RESTART holds the writer back while it copies what they left,
 * so that is what a stall costs. */
#define CKPT_RESIDUAL_FRAMES 256 /* 1 MiB */
#define CKPT_CATCH_UP 8
/* How long the checkpointer's SQLite calls wait for others (its busy timeout). A RESTART
 * waits, holding the writer back, for readers of older snapshots to finish: a long read
 * (an SGQL search, a count over millions) would otherwise stall every commit for the
 * whole wait, and the next pass again. Past it the RESTART gives up and the next pass
 * tries again: the WAL then grows while such reads last (their snapshots need those
 * frames), up to CKPT_WAIT_FRAMES, past which the RESTART waits as long as any
 * connection would (BUSY_TIMEOUT_MS), so that the disk is spared at the writers' cost. */
#define CKPT_BUSY_MS 50
#define CKPT_WAIT_FRAMES (32 * CKPT_RESTART_FRAMES) /* 1 GiB */
/* A WAL that a burst made larger is cut back to this size when the writer starts it over
 * after a checkpoint (journal_size_limit); without it the file keeps its largest size
 * forever (a 526 MB WAL was seen after 50 exports). Twice the restart point, so the steady
 * state never pays for truncating and growing the file again. */
#define WAL_SIZE_LIMIT "67108864"

/* Run a checkpoint PRAGMA: false when it failed, else the WAL's size in frames in *log
 * and how many of them are copied into the database in *copied. The PRAGMA rather than
 * sqlite3_wal_checkpoint_v2(): a connection that has not read the database yet has no WAL
 * attached, and the C call then does nothing; compiling the PRAGMA reads the schema
 * first. */
static bool checkpoint(store_impl *s, const char *pragma, int *log, int *copied)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ckpt->db, pragma, -1, &st, NULL) != SQLITE_OK)
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *log = sqlite3_column_int(st, 1);
        *copied = sqlite3_column_int(st, 2);
    } else if (rc != SQLITE_DONE && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
        log_sqlite(s->ckpt->db, pragma);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW;
}

/* One pass of the checkpointer. Under a steady stream of commits a passive checkpoint
 * never quite catches up, and the WAL can only start over once one has: past
 * CKPT_RESTART_FRAMES, passive ones catch up as far as they can, then a RESTART takes the
 * store's write lock (so it waits for the commit in progress, not for a gap between
 * commits, which SQLite's busy handler would poll for while the WAL grew) and copies the
 * rest, holding the next commit back only that long (and CKPT_BUSY_MS at most for
 * readers, until the WAL passes CKPT_WAIT_FRAMES). */
static void checkpoint_pass(store_impl *s)
{
    int log = 0, copied = 0;
    static const char passive[] = "PRAGMA wal_checkpoint(PASSIVE)";
    if (!checkpoint(s, passive, &log, &copied) || log <= CKPT_RESTART_FRAMES)
        return;
    /* While they gain on the writer: one that outpaces them would grow the WAL meanwhile. */
    for (int i = 0, left = log - copied; i < CKPT_CATCH_UP && left > CKPT_RESIDUAL_FRAMES; i++) {
        if (!checkpoint(s, passive, &log, &copied))
            return;
        if (log - copied >= left)
            break;
        left = log - copied;
    }
    bool wait = log > CKPT_WAIT_FRAMES;
    pthread_mutex_lock(&s->write_lock);
    if (wait)
        sqlite3_busy_timeout(s->ckpt->db, BUSY_TIMEOUT_MS);
    checkpoint(s, "PRAGMA wal_checkpoint(RESTART)", &log, &copied);
    if (wait)
        sqlite3_busy_timeout(s->ckpt->db, CKPT_BUSY_MS);
    pthread_mutex_unlock(&s->write_lock);
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
        if (!sqlite_file_lost(&s->file))
            checkpoint_pass(s);
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
    if (s->ckpt)
        sqlite3_busy_timeout(s->ckpt->db, CKPT_BUSY_MS);
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
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    free(s->path);
    free(s);
}

/* ---- transactions ---------------------------------------------------------------- */

/* Run one of the writer's transaction statements (prepared once, as every statement). */
static int writer_exec(store_impl *s, db_query *q)
{
    db_stmt *st = db_prepare(&s->writer->base, q);
    return st ? db_exec(st) : STORE_ERROR;
}

static int sqlite_tx_begin(store_impl *s, store_tx_impl **out)
{
    static db_query begin = DB_SQL("BEGIN IMMEDIATE");
    pthread_mutex_lock(&s->write_lock);
    if (writer_exec(s, &begin) != STORE_OK) {
        pthread_mutex_unlock(&s->write_lock);
        return STORE_ERROR;
    }
    *out = &s->tx;
    return STORE_OK;
}

static int sqlite_tx_commit(store_tx_impl *tx)
{
    static db_query commit = DB_SQL("COMMIT");
    store_impl *s = tx->s;
    /* Never acknowledge a commit into a file that no longer has the database's name. */
    int rc = sqlite_file_lost(&s->file) ? STORE_ERROR : writer_exec(s, &commit);
    if (rc != STORE_OK && !sqlite3_get_autocommit(s->writer->db))
        exec(s->writer->db, "ROLLBACK");
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static void sqlite_tx_rollback(store_tx_impl *tx)
{
    static db_query rollback = DB_SQL("ROLLBACK");
    store_impl *s = tx->s;
    if (!sqlite3_get_autocommit(s->writer->db))
        writer_exec(s, &rollback);
    pthread_mutex_unlock(&s->write_lock);
}

static int sqlite_tx_savepoint(store_tx_impl *tx)
{
    static db_query savepoint = DB_SQL("SAVEPOINT op");
    return writer_exec(tx->s, &savepoint);
}

static int sqlite_tx_savepoint_release(store_tx_impl *tx)
{
    static db_query release = DB_SQL("RELEASE op");
    return writer_exec(tx->s, &release);
}

static void sqlite_tx_savepoint_rollback(store_tx_impl *tx)
{
    static db_query rollback_to = DB_SQL("ROLLBACK TO op");
    writer_exec(tx->s, &rollback_to);
    sqlite_tx_savepoint_release(tx);
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
    if (v)
        sqlite3_bind_text(lite(st), i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(lite(st), i);
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
    sqlite3_reset(lite(st));
    sqlite3_clear_bindings(lite(st));
}

static int lite_lock_account(db_conn *writer, int64_t account)
{
    (void)writer;
    (void)account;
    return STORE_OK; /* one writer: nothing to serialise */
}

static void lite_note_locked(db_conn *writer, int64_t account)
{
    (void)writer;
    (void)account; /* no account locks (above) */
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
    .note_locked = lite_note_locked,
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
    .tx_savepoint = sqlite_tx_savepoint,
    .tx_savepoint_release = sqlite_tx_savepoint_release,
    .tx_savepoint_rollback = sqlite_tx_savepoint_rollback,
};
