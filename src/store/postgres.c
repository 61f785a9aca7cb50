/*
 * postgres: the PostgreSQL backend of store.h (see backend.h), so that several
 * stateless contactd nodes can share one database.
 *
 * Connections. Each node has one writer connection, guarded by a mutex that
 * tx_begin takes and commit or rollback releases, and a pool of read connections
 * (autocommit, read-only) that grows on demand up to POOL_MAX. Every parameterised
 * statement is prepared once per connection (lazily, the first time it is used) and run
 * with out-of-line parameters; values are never spliced into SQL. A connection found
 * broken (the database restarted, the network dropped) is reset on its next use, so a
 * node recovers by itself when the database returns; meanwhile calls fail with
 * STORE_ERROR. "Found broken" includes a pooled connection that libpq still calls fine
 * but whose server said goodbye while it sat idle (idle_conn_alive), so no request fails
 * on a stale connection once the database is back.
 *
 * Errors. PostgreSQL aborts the whole transaction on any failed statement, where SQLite
 * fails only the statement. So inserts that may hit a unique index use ON CONFLICT DO
 * NOTHING and report STORE_CONFLICT when no row was written, leaving the transaction
 * usable; an UPDATE that breaks a unique index (SQLSTATE 23505) also gives
 * STORE_CONFLICT, and the caller rolls back to its savepoint as it does on SQLite.
 *
 * Accounts across nodes. A transaction that works on an account holds the account's
 * transaction-scoped advisory lock (DB_ACCOUNT_LOCK_KEYS, driver.h): the job claim takes
 * it with a try-lock (jobs.c), and synchronous writes to lists and custom fields (run as
 * ops in the group commit) take it blocking (lock_account), so that they never
 * interleave with a job of the same account on another node.
 */
#include "store/backend.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "store/postgres_schema.h"

/* Read connections per node: one per thread that reads at once, at most this many. */
#define POOL_MAX 32
/* The migrations' advisory lock class (the first key of the two-key form): "ctd" + 1;
 * accounts have "ctd2" (DB_ACCOUNT_LOCK_KEYS). */
#define LOCK_MIGRATE 0x63746431
/* A database that stays unreachable is reported at most this often. */
#define RECONNECT_LOG_MS 10000
/* Savepoints nest at most this deep. */
#define SAVEPOINT_MAX 16

/* ---- statements ------------------------------------------------------------------ */

typedef struct conn conn;

/* A driver.h statement: one db_query on one connection, its parameters and its result. */
typedef struct pg_stmt {
    db_stmt base;
    conn *c;
    char *sql; /* the PostgreSQL text (?N rewritten to $N) */
    char name[16];
    bool prepared; /* on the current session */
    bool ran;      /* executed since the last done */
    bool bad_text; /* a bound text is not UTF-8: no row can match */
    bool lookup;   /* db_query.lookup: a reader keeps its plan (see "Readers' plans") */
    int binary;    /* results in binary form (db_query.binary) */
    int n;         /* parameters bound (the highest index) */
    const char *value[DB_PARAMS];
    int length[DB_PARAMS];
    int format[DB_PARAMS];
    char num[DB_PARAMS][24];
    PGresult *r;
    int row;
    unsigned char *blob; /* the last BYTEA column read (PQunescapeBytea) */
} pg_stmt;

struct conn {
    db_conn base; /* first: driver.h's handle */
    PGconn *pg;
    store_impl *s;
    bool readonly;
    bool plan_kept;       /* a reader's session runs plan_cache_mode = auto ("Readers' plans") */
    pg_stmt *q[DB_SLOTS]; /* driver.h statements, by slot */
    struct conn *next;    /* free list of the reader pool */
    /* The pipeline (the writer's; see pipe_drain): the text of each deferred statement
     * sent and not yet answered, for the log, and the first failure a drain found, which
     * every later statement answers until a rollback makes the transaction usable. */
    const char **pending;
    size_t npending, pending_cap;
    int failed;
};

static int pipe_drain(conn *c);

extern const store_driver postgres_driver;

struct store_tx_impl {
    store_impl *s;
};

struct store_impl {
    char *conninfo;
    conn *writer;
    pthread_mutex_t write_lock;
    store_tx_impl tx;
    /* Accounts whose advisory lock the open transaction holds, and how many of them
     * each open savepoint had (a lock taken after a savepoint goes with its rollback). */
    int64_t *locked;
    size_t nlocked, locked_cap;
    size_t sp_mark[SAVEPOINT_MAX];
    int sp_depth;
    pthread_mutex_t pool_lock;
    conn *readers; /* idle read connections */
    conn *all_readers[POOL_MAX];
    int reader_count;
    /* Contacts this node inserted since its last ANALYZE, and the table's rows then (see
     * analyze_if_grown). Writer-only, under write_lock. */
    int64_t inserted_since_analyze, rows_at_analyze;
};

/* ---- connections ------------------------------------------------------------------- */

static void notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connect with the user's conninfo (URL or keywords). Our defaults come first, so the
 * conninfo may override them; client_encoding comes after, since every string the
 * store handles is UTF-8. */
static PGconn *pg_connect(const char *conninfo)
{
    static const char *const keys[] = {
        "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "dbname",           "client_encoding", NULL,
    };
    const char *values[] = {"10", "contactd", "30", "10", "3", conninfo, "UTF8", NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg)
        PQsetNoticeProcessor(pg, notice_ignore, NULL);
    return pg;
}

/* A one-line form of libpq's message (which may span lines and end with '\n'). */
static void log_pg(const char *what, const char *msg)
{
    char line[512];
    snprintf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = *(c + 1) ? ' ' : '\0';
    /* what may be a long statement: its start names it well enough */
    metrics_db_error();
    fprintf(stderr, "contactd: postgres: %.80s%s: %s\n", what, strlen(what) > 80 ? "..." : "", line);
}

/* Run sql (no parameters; several statements allowed) on c, after what its pipeline holds
 * (a failure there is the answer, sql then unsent). */
static int exec_simple(conn *c, const char *sql)
{
    if (pipe_drain(c) != STORE_OK)
        return c->failed;
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? STORE_OK : STORE_ERROR;
    if (rc != STORE_OK)
        log_pg(sql, PQerrorMessage(c->pg));
    PQclear(r);
    return rc;
}

/* Settings of a fresh session (after a connect or a reset). The writer's: a node that
 * dies or hangs mid-transaction (a host that vanished without closing its socket) has
 * its session ended by the server after idle_in_transaction_session_timeout, which
 * frees its account locks for the other nodes; and a writer never waits longer than
 * lock_timeout for a lock (the wait fails the statement, which the job queue retries),
 * so one stuck account cannot stall a node's whole writer. */
/* Every session plans each execution of a prepared statement with its parameters and
 * the table's current size (plan_cache_mode = force_custom_plan). A generic plan made
 * while contacts was empty and never analysed picked an arbitrary (account_id, ...) index
 * and filtered on the identifier, scanning the whole account once per lookup until
 * autovacuum analysed the table: a fresh database's first big upsert was quadratic. The
 * writer's deferred writes are the exception (see "Plans" at the pipeline). */
static int conn_setup(conn *c)
{
    c->npending = 0; /* a reset session has no pipeline */
    c->failed = STORE_OK;
    c->plan_kept = false; /* a reset session plans as set here */
    for (int i = 0; i < DB_SLOTS; i++)
        if (c->q[i])
            c->q[i]->prepared = false;
    if (c->readonly)
        return exec_simple(c, "SET default_transaction_read_only = on;"
                              " SET plan_cache_mode = force_custom_plan");
    return exec_simple(c, "SET idle_in_transaction_session_timeout = '30s';"
                          " SET lock_timeout = '10s'; SET plan_cache_mode = force_custom_plan");
}

static conn *conn_open(store_impl *s, bool readonly, char *err, size_t err_size)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->readonly = readonly;
    c->base.drv = &postgres_driver;
    c->s = s;
    c->pg = pg_connect(s->conninfo);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
        if (err) {
            /* one line: libpq's message may span several */
            snprintf(err, err_size, "cannot connect to PostgreSQL: %s", msg);
            size_t n = strlen(err);
            while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
                err[--n] = '\0';
            for (char *ch = err; *ch; ch++)
                if (*ch == '\n' || *ch == '\t')
                    *ch = ' ';
        } else {
            log_pg("connect", msg);
        }
        PQfinish(c->pg);
        free(c);
        return NULL;
    }
    if (conn_setup(c) != STORE_OK) {
        if (err)
            snprintf(err, err_size, "cannot set up a PostgreSQL session");
        PQfinish(c->pg);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_close(conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < DB_SLOTS; i++) {
        if (c->q[i]) {
            PQclear(c->q[i]->r);
            PQfreemem(c->q[i]->blob);
            free(c->q[i]->sql);
        }
        free(c->q[i]);
    }
    free(c->pending);
    PQfinish(c->pg);
    free(c);
}

/* Whether an idle connection that libpq still calls CONNECTION_OK is really alive. libpq
 * learns that the server went away only when it next reads: a pooled connection idle
 * through a database restart looked fine and failed its first statement (a 503 after the
 * database was back). A server that ends a session (a restart, an administrator's
 * termination) sends an error and closes the socket, so an idle socket with anything to
 * read is consumed here; one poll with no wait, nothing sent. */
static bool idle_conn_alive(conn *c)
{
    /* The server's goodbye comes in two reads: its FATAL message (which libpq, idle,
     * takes as a notice), then the end of the stream, seen only by the next read. */
    for (int reads = 0; reads < 4; reads++) {
        struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
        if (pfd.fd < 0)
            return false;
        if (poll(&pfd, 1, 0) <= 0)
            return true; /* nothing pending: as good as libpq can know without a round trip */
        if (PQconsumeInput(c->pg) != 1 || PQstatus(c->pg) != CONNECTION_OK)
            return false;
    }
    return false; /* an idle session that keeps talking is not one to trust */
}

/* Make c usable: a connection that broke (the server restarted or went away, or a
 * pipeline could not be ended on it) is reset here, on its next use. STORE_ERROR while
 * the database cannot be reached. */
static int conn_check(conn *c)
{
    if (PQstatus(c->pg) == CONNECTION_OK && PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF &&
        idle_conn_alive(c))
        return STORE_OK;
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        /* Every connection retries on each use (the job writer every 200 ms): say so
         * once per RECONNECT_LOG_MS, not on every attempt. */
        static int64_t last_logged;
        int64_t now = time_now_ms(), last = __atomic_load_n(&last_logged, __ATOMIC_RELAXED);
        if (now - last >= RECONNECT_LOG_MS &&
            __atomic_compare_exchange_n(&last_logged, &last, now, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            log_pg("reconnect", PQerrorMessage(c->pg));
        return STORE_ERROR;
    }
    fprintf(stderr, "contactd: postgres: reconnected\n");
    return conn_setup(c);
}

static conn *reader_acquire(store_impl *s)
{
    pthread_mutex_lock(&s->pool_lock);
    conn *c = s->readers;
    if (c) {
        s->readers = c->next;
        pthread_mutex_unlock(&s->pool_lock);
        if (conn_check(c) == STORE_OK)
            return c;
        pthread_mutex_lock(&s->pool_lock);
        c->next = s->readers;
        s->readers = c;
        pthread_mutex_unlock(&s->pool_lock);
        return NULL;
    }
    bool room = s->reader_count < POOL_MAX;
    pthread_mutex_unlock(&s->pool_lock);
    if (!room) {
        fprintf(stderr, "contactd: postgres: all %d read connections are busy\n", POOL_MAX);
        return NULL;
    }
    c = conn_open(s, true, NULL, 0);
    if (!c)
        return NULL;
    pthread_mutex_lock(&s->pool_lock);
    if (s->reader_count < POOL_MAX) {
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

/* ---- running statements ------------------------------------------------------------ */

/* r when the statement succeeded (*rc STORE_OK); otherwise NULL (r cleared) with *rc
 * STORE_CONFLICT (a unique index refused) or STORE_ERROR (logged with sql). */
static PGresult *result_of(conn *c, const char *sql, PGresult *r, int *rc)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *rc = STORE_OK;
        return r;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23505") == 0) {
        *rc = STORE_CONFLICT;
    } else {
        *rc = STORE_ERROR;
        log_pg(sql, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
    }
    PQclear(r);
    return NULL;
}

/* ---- the pipeline ------------------------------------------------------------------
 * The writer's deferred statements (driver.h, db_exec_deferred) are sent in libpq's
 * pipeline mode, entered at the first one and left at the next drain: a drain sends a
 * Sync and reads every answer, one round trip for all of them. Every statement the
 * connection runs otherwise (a lookup, a savepoint, COMMIT) drains first, so the server
 * sees everything in the order the writer wrote it, and a failure is attributed to the
 * pipeline that held it. PostgreSQL skips what follows a failed statement up to the Sync
 * and the transaction is then aborted: the first failure is kept in c->failed and every
 * later statement answers it, unsent, until a rollback (to a savepoint, or of the whole
 * transaction) makes the transaction usable again.
 *
 * Plans. A session plans every execution with its values (force_custom_plan, see
 * conn_setup), which the lookups need; a deferred write does not: it is an INSERT, or an
 * UPDATE or DELETE by a key its index serves whatever the values, so planning it each
 * time was a fifth of the server's time in a bulk upsert. A pipeline therefore runs
 * under PostgreSQL's default (auto: a statement's plan is kept once five custom ones cost
 * no less): it begins with SET LOCAL plan_cache_mode = auto and ends, before its Sync,
 * with the session's force_custom_plan again, both inside the pipeline (no round trip).
 * SET LOCAL is undone with the transaction or the savepoint a failure rolls back, so a
 * pipeline cut short never leaves the session in the wrong mode. A kept plan is re-made
 * when ANALYZE changes the table's statistics (analyze_if_grown): one made while the
 * table was small (a sequential scan) does not outlive the table's growth fourfold. */

static void pipe_note(conn *c, const char *sql)
{
    if (c->npending == c->pending_cap) {
        c->pending_cap = c->pending_cap ? c->pending_cap * 2 : 256;
        c->pending = realloc(c->pending, c->pending_cap * sizeof *c->pending);
        if (!c->pending)
            abort();
    }
    c->pending[c->npending++] = sql;
}

/* Send sql (no parameters, no rows) down c's pipeline: STORE_OK, or STORE_ERROR (logged). */
static int pipe_send_simple(conn *c, const char *sql)
{
    if (PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) != 1) {
        log_pg(sql, PQerrorMessage(c->pg));
        return STORE_ERROR;
    }
    pipe_note(c, sql);
    return STORE_OK;
}

/* Enter pipeline mode on c, with the pipeline's plan mode (see "Plans" above). */
static int pipe_enter(conn *c)
{
    if (PQenterPipelineMode(c->pg) != 1) {
        log_pg("pipeline", PQerrorMessage(c->pg));
        return STORE_ERROR;
    }
    return pipe_send_simple(c, "SET LOCAL plan_cache_mode = auto");
}

/* Read the pipeline's answers up to its Sync: STORE_OK, or the first failure as
 * result_of maps it (logged with its statement unless a unique index refused). With last,
 * the last statement's result is kept there when everything succeeded (else NULL). */
static int pipe_answers(conn *c, PGresult **last)
{
    int first = STORE_OK;
    size_t answered = 0; /* statements whose answer ended (each ends with a NULL) */
    for (;;) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            /* a broken connection has nothing more to say; nor has a pipeline whose
             * every statement and Sync were answered (a Sync's answer is not NULL) */
            if (PQstatus(c->pg) != CONNECTION_OK || ++answered > c->npending)
                return first == STORE_OK ? STORE_ERROR : first;
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            return first;
        }
        if (st == PGRES_PIPELINE_ABORTED || first != STORE_OK) {
            PQclear(r); /* skipped after the failure, or past it */
            continue;
        }
        const char *sql = answered < c->npending ? c->pending[answered] : "pipeline";
        r = result_of(c, sql, r, &first);
        if (last && r && answered + 1 == c->npending)
            *last = r;
        else
            PQclear(r);
    }
}

/* Answer everything c's pipeline holds and leave pipeline mode: c->failed, which keeps
 * the pipeline's first failure. Nothing to do when no statement was deferred. */
static int pipe_drain(conn *c)
{
    if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF)
        return c->failed;
    int rc;
    if (pipe_send_simple(c, "SET LOCAL plan_cache_mode = force_custom_plan") != STORE_OK ||
        PQpipelineSync(c->pg) != 1) {
        log_pg("pipeline sync", PQerrorMessage(c->pg));
        rc = STORE_ERROR;
    } else {
        rc = pipe_answers(c, NULL);
    }
    /* A pipeline that cannot be left (the connection broke) is reset by conn_check. */
    if (PQexitPipelineMode(c->pg) != 1 && rc == STORE_OK) {
        log_pg("pipeline end", PQerrorMessage(c->pg));
        rc = STORE_ERROR;
    }
    c->npending = 0;
    if (c->failed == STORE_OK)
        c->failed = rc;
    return c->failed;
}

/* ---- open and close -------------------------------------------------------------- */

static void pgs_close(store_impl *s);

/* Apply missing migrations in one transaction, under an advisory lock that makes
 * nodes starting together wait for each other. */
static int migrate(store_impl *s, char *err, size_t err_size)
{
    conn *c = s->writer;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d, 0)", LOCK_MIGRATE);
    if (exec_simple(c, "BEGIN") != STORE_OK)
        goto fail;
    if (exec_simple(c, sql) != STORE_OK ||
        exec_simple(c, "CREATE TABLE IF NOT EXISTS contactd_schema (version INTEGER NOT NULL)") !=
            STORE_OK)
        goto fail_rollback;
    PGresult *r = PQexec(c->pg, "SELECT version FROM contactd_schema");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_pg("schema version", PQresultErrorMessage(r));
        PQclear(r);
        goto fail_rollback;
    }
    bool have_row = PQntuples(r) > 0;
    int version = have_row ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (version > postgres_migration_count) {
        snprintf(err, err_size, "database schema %d is newer than this contactd (%d)", version,
                 postgres_migration_count);
        exec_simple(c, "ROLLBACK");
        return STORE_ERROR;
    }
    for (int v = version; v < postgres_migration_count; v++)
        if (exec_simple(c, postgres_migrations[v]) != STORE_OK)
            goto fail_rollback;
    snprintf(sql, sizeof sql,
             have_row ? "UPDATE contactd_schema SET version=%d"
                      : "INSERT INTO contactd_schema(version) VALUES(%d)",
             postgres_migration_count);
    if (exec_simple(c, sql) != STORE_OK || exec_simple(c, "COMMIT") != STORE_OK)
        goto fail_rollback;
    return STORE_OK;
fail_rollback:
    exec_simple(c, "ROLLBACK");
fail:
    snprintf(err, err_size, "cannot prepare the PostgreSQL schema: %s", PQerrorMessage(c->pg));
    return STORE_ERROR;
}

static store_impl *pgs_open(const char *path, char *err, size_t err_size)
{
    if (!PQisthreadsafe()) {
        snprintf(err, err_size, "this libpq is not thread-safe");
        return NULL;
    }
    store_impl *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->conninfo = strdup(path);
    if (!s->conninfo)
        abort();
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    s->tx.s = s;
    s->writer = conn_open(s, false, err, err_size);
    if (!s->writer || migrate(s, err, err_size) != STORE_OK) {
        pgs_close(s);
        return NULL;
    }
    return s;
}

static void pgs_close(store_impl *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->reader_count; i++)
        conn_close(s->all_readers[i]);
    conn_close(s->writer);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    free(s->locked);
    free(s->conninfo);
    free(s);
}

/* ---- transactions ---------------------------------------------------------------- */

static void locks_forget(store_impl *s)
{
    s->nlocked = 0;
    s->sp_depth = 0;
}

static int pgs_tx_begin(store_impl *s, store_tx_impl **out)
{
    pthread_mutex_lock(&s->write_lock);
    locks_forget(s);
    if (conn_check(s->writer) != STORE_OK || exec_simple(s->writer, "BEGIN") != STORE_OK) {
        pthread_mutex_unlock(&s->write_lock);
        return STORE_ERROR;
    }
    *out = &s->tx;
    return STORE_OK;
}

/* Forget a failure of the writer's pipeline, once a rollback is about to make the
 * transaction usable again (what the pipeline held is answered first). */
static void pipe_forgive(conn *c)
{
    pipe_drain(c);
    c->failed = STORE_OK;
}

/* Roll back whatever is open on the writer (nothing when the connection broke). */
static void writer_abort(store_impl *s)
{
    pipe_forgive(s->writer);
    PGTransactionStatusType ts = PQtransactionStatus(s->writer->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        exec_simple(s->writer, "ROLLBACK");
}

/*
 * Refresh the planner's statistics once the contacts have quadrupled (and this node inserted
 * at least ANALYZE_MIN_ROWS) since this node last did. Until a table is analysed the
 * planner knows nothing of its columns: a lookup by identifier used the account's index
 * and filtered every row of the account against every value looked up, and the scans of
 * SGQL searches and exports (ORDER BY created_at, id LIMIT n) were planned as a bitmap
 * scan of every remaining row plus a sort, once per page — 2.7 s instead of 0.2 s for
 * 100,000 contacts. Autovacuum would, but only up to a minute later. Once analysed, the
 * planner scales the row count it saw by the table's current size, so the plans stay
 * right as it grows; what a later ANALYZE adds is fresh statistics and re-made kept plans
 * (see "Plans" at the pipeline). So the schedule is geometric (1k, 4k, 16k, ... rows: the
 * work of all of them is about that of the last one; a fixed step of 5,000 rows cost a
 * fifth of a fresh 30,000-contact upsert's server time), and autovacuum's own (a tenth of
 * the table) keeps a large table fresh. The table's size is PostgreSQL's, read after each
 * ANALYZE (other nodes' rows count too).
 *
 * It runs on the writer in the open transaction, when the rows are noted (after the
 * pipeline that holds them is answered): ANALYZE counts the transaction's own rows, and
 * the statements that follow are planned with what it found (after the commit, a fresh
 * table's first turn would run on no statistics at all). SKIP_LOCKED: a table
 * another session analyses is skipped, never waited for (the lock would be held to the
 * end of the transaction); its own savepoint: a failure costs the statistics, not the
 * transaction. ANALYZE samples at most 30,000 rows, ~0.1–0.3 s at any size.
 */
#define ANALYZE_MIN_ROWS 1000
static void analyze_if_grown(store_impl *s)
{
    int64_t threshold = 3 * s->rows_at_analyze;
    if (threshold < ANALYZE_MIN_ROWS)
        threshold = ANALYZE_MIN_ROWS;
    if (s->inserted_since_analyze < threshold)
        return;
    conn *c = s->writer;
    /* a failure of the pipeline stays the answer of the caller's next statement, and the
     * rows stay counted: the next transaction's first note tries again */
    if (exec_simple(c, "SAVEPOINT growth_analyze") != STORE_OK)
        return;
    s->inserted_since_analyze = 0;
    /* the last statement's answer: the row count ANALYZE just stored */
    PGresult *r =
        PQexec(c->pg, "ANALYZE (SKIP_LOCKED) contacts, list_members;"
                      " SELECT reltuples::bigint FROM pg_class WHERE oid = 'contacts'::regclass");
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        s->rows_at_analyze = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        log_pg("ANALYZE", PQresultErrorMessage(r));
    PQclear(r);
    exec_simple(c, ok ? "RELEASE growth_analyze"
                      : "ROLLBACK TO growth_analyze; RELEASE growth_analyze");
}

static int pgs_tx_commit(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    int rc = STORE_ERROR;
    /* A deferred statement's failure that no sync reported (a caller's slip) fails the
     * commit; any other failure was logged when the pipeline was drained. */
    if (pipe_drain(s->writer) == STORE_CONFLICT)
        log_pg("COMMIT", "a deferred statement broke a unique index");
    else if (s->writer->failed == STORE_OK && PQtransactionStatus(s->writer->pg) == PQTRANS_INTRANS) {
        PGresult *r = PQexec(s->writer->pg, "COMMIT");
        /* COMMIT of a transaction that failed answers "ROLLBACK". */
        if (PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0)
            rc = STORE_OK;
        else
            log_pg("COMMIT", PQresultErrorMessage(r));
        PQclear(r);
    }
    if (rc != STORE_OK)
        writer_abort(s);
    locks_forget(s);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static void pgs_tx_rollback(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    writer_abort(s);
    locks_forget(s);
    pthread_mutex_unlock(&s->write_lock);
}

static int pgs_tx_savepoint(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    if (s->sp_depth >= SAVEPOINT_MAX)
        return STORE_ERROR;
    if (exec_simple(s->writer, "SAVEPOINT op") != STORE_OK)
        return STORE_ERROR;
    s->sp_mark[s->sp_depth++] = s->nlocked;
    return STORE_OK;
}

static int pgs_tx_savepoint_release(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    if (exec_simple(s->writer, "RELEASE op") != STORE_OK)
        return STORE_ERROR;
    if (s->sp_depth > 0)
        s->sp_depth--;
    return STORE_OK;
}

static void pgs_tx_savepoint_rollback(store_tx_impl *tx)
{
    store_impl *s = tx->s;
    pipe_forgive(s->writer);
    exec_simple(s->writer, "ROLLBACK TO op");
    exec_simple(s->writer, "RELEASE op");
    /* Locks taken after the savepoint were released with it. */
    if (s->sp_depth > 0)
        s->nlocked = s->sp_mark[--s->sp_depth];
}

static bool lock_held(const store_impl *s, int64_t account)
{
    for (size_t i = 0; i < s->nlocked; i++)
        if (s->locked[i] == account)
            return true;
    return false;
}

static void lock_note(store_impl *s, int64_t account)
{
    if (lock_held(s, account))
        return;
    if (s->nlocked == s->locked_cap) {
        s->locked_cap = s->locked_cap ? s->locked_cap * 2 : 16;
        s->locked = realloc(s->locked, s->locked_cap * sizeof *s->locked);
        if (!s->locked)
            abort();
    }
    s->locked[s->nlocked++] = account;
}

/* Hold the account's lock until the transaction ends, waiting for another node's
 * transaction that holds it. */
static int lock_account(store_impl *s, int64_t account)
{
    static db_query q =
        DB_SQL("SELECT pg_advisory_xact_lock(" DB_ACCOUNT_LOCK_KEYS("CAST(?1 AS BIGINT)") ")");
    if (lock_held(s, account))
        return STORE_OK;
    db_stmt *st = db_prepare(&s->writer->base, &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    int rc = db_exec(st);
    if (rc == STORE_OK)
        lock_note(s, account);
    return rc;
}

/* An integer column of a binary-format result: big-endian two's complement of 2, 4 or 8
 * bytes (SMALLINT, INTEGER, BIGINT); 0 when NULL. */
static int64_t get_int_bin(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
    int n = PQgetlength(r, row, col);
    uint64_t u = 0;
    for (int i = 0; i < n && i < 8; i++)
        u = u << 8 | v[i];
    if (n == 2)
        return (int16_t)(uint16_t)u;
    if (n == 4)
        return (int32_t)(uint32_t)u;
    return (int64_t)u;
}

/* ---- the driver (driver.h) ---------------------------------------------------------- */

/* The PostgreSQL form of a query: its own text or the SQLite text, with ?N as $N (outside
 * quoted strings and identifiers). */
static char *pg_text(const db_query *q)
{
    const char *in = q->pg ? q->pg : q->sql;
    char *out = malloc(strlen(in) + 1);
    if (!out)
        abort();
    char *o = out, quote = 0;
    for (; *in; in++) {
        if (quote) {
            quote = *in == quote ? 0 : quote;
        } else if (*in == '\'' || *in == '"') {
            quote = *in;
        } else if (*in == '?' && in[1] >= '0' && in[1] <= '9') {
            *o++ = '$';
            continue;
        }
        *o++ = *in;
    }
    *o = '\0';
    return out;
}

static db_stmt *pgd_prepare(db_conn *dc, db_query *q)
{
    conn *c = (conn *)dc;
    int slot = db_query_slot(q);
    pg_stmt *ps = c->q[slot];
    if (!ps) {
        ps = calloc(1, sizeof *ps);
        if (!ps)
            abort();
        ps->base.drv = &postgres_driver;
        ps->c = c;
        ps->sql = pg_text(q);
        ps->binary = q->binary;
        ps->lookup = q->lookup;
        snprintf(ps->name, sizeof ps->name, "q%d", slot);
        c->q[slot] = ps;
    }
    if (!ps->prepared && ps->sql[0]) {
        /* PQprepare waits for its answer: not while the pipeline holds statements. After
         * a failure there it stays unprepared, and running it answers that failure. */
        if (pipe_drain(c) != STORE_OK)
            return &ps->base;
        PGresult *r = PQprepare(c->pg, ps->name, ps->sql, 0, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            log_pg(ps->sql, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return NULL;
        ps->prepared = true;
    }
    return &ps->base;
}

static pg_stmt *pgd(db_stmt *st)
{
    return (pg_stmt *)st;
}

static void pgd_set(pg_stmt *ps, int i, const char *v, int len, int format)
{
    if (i < 1 || i > DB_PARAMS)
        abort(); /* a query file's mistake, found by its first test */
    ps->value[i - 1] = v;
    ps->length[i - 1] = len;
    ps->format[i - 1] = format;
    if (i > ps->n)
        ps->n = i;
}

static void pgd_bind_text(db_stmt *st, int i, const char *v)
{
    /* Stored text is UTF-8 (it came through the JSON decoder); a path segment or header
     * need not be, and PostgreSQL would refuse the whole statement. */
    if (v && !utf8_valid(v))
        pgd(st)->bad_text = true;
    pgd_set(pgd(st), i, v, 0, 0);
}

static void pgd_bind_int(db_stmt *st, int i, int64_t v)
{
    pg_stmt *ps = pgd(st);
    if (i < 1 || i > DB_PARAMS)
        abort();
    snprintf(ps->num[i - 1], sizeof ps->num[i - 1], "%lld", (long long)v);
    pgd_set(ps, i, ps->num[i - 1], 0, 0);
}

static void pgd_bind_blob(db_stmt *st, int i, const void *v, size_t len)
{
    pgd_set(pgd(st), i, v ? v : "", (int)len, 1);
}

/* ---- readers' plans -----------------------------------------------------------------
 * Every session plans each execution with its values (force_custom_plan, conn_setup),
 * which scans need: the best plan for an account of ten contacts is not the one for an
 * account of a million. A lookup (db_query.lookup: a row by its primary or unique key)
 * has one best plan whatever the values, and planning it was half of a reader backend's
 * time in GET by id (perf, bench/backends). So a reader runs lookups under PostgreSQL's
 * default, plan_cache_mode = auto, which keeps a statement's generic plan once five
 * custom ones cost no less, and re-makes it when ANALYZE changes the table's statistics.
 * A plan kept while contacts was empty may probe another (account_id, ...) index (on an
 * empty table every index costs the same): that lookup then reads its account's index
 * entries until the next ANALYZE (this node's once the contacts have quadrupled from
 * 1,000, see analyze_if_grown, or autovacuum's) re-plans it. That is bounded, unlike the writer's
 * case in conn_setup, whose lookups within one job into the table it grows cannot wait
 * for an ANALYZE; the writer keeps planning each execution.
 *
 * The session's mode follows the statements it runs: a switch is a SET sent in one
 * pipeline with the statement (no round trip of its own; a failure of either rolls both
 * back, so c->plan_kept changes only on success), and a run of lookups, or of other
 * statements, sends none. */

static const char *const plan_mode_sql[2] = {"SET plan_cache_mode = force_custom_plan",
                                             "SET plan_cache_mode = auto"};

/* Run the bound ps on its connection: STORE_OK with its result in *out, or a failure as
 * result_of maps it (*out NULL). */
static int exec_prepared(pg_stmt *ps, PGresult **out)
{
    conn *c = ps->c;
    int rc;
    *out = NULL;
    if (!c->readonly || ps->lookup == c->plan_kept) {
        PGresult *r =
            PQexecPrepared(c->pg, ps->name, ps->n, ps->value, ps->length, ps->format, ps->binary);
        *out = result_of(c, ps->sql, r, &rc);
        return rc;
    }
    const char *set = plan_mode_sql[ps->lookup];
    if (PQenterPipelineMode(c->pg) == 1 &&
        PQsendQueryParams(c->pg, set, 0, NULL, NULL, NULL, NULL, 0) == 1 &&
        PQsendQueryPrepared(c->pg, ps->name, ps->n, ps->value, ps->length, ps->format,
                            ps->binary) == 1 &&
        PQpipelineSync(c->pg) == 1) {
        pipe_note(c, set);
        pipe_note(c, ps->sql);
        rc = pipe_answers(c, out);
        if (rc == STORE_OK)
            c->plan_kept = ps->lookup;
    } else {
        log_pg(ps->sql, PQerrorMessage(c->pg));
        rc = STORE_ERROR;
    }
    c->npending = 0;
    /* a pipeline that cannot be left (the connection broke) is reset by conn_check */
    PQexitPipelineMode(c->pg);
    return rc;
}

static int pgd_step(db_stmt *st)
{
    pg_stmt *ps = pgd(st);
    if (!ps->ran) {
        /* after what the pipeline holds; its failure is this statement's answer */
        int rc = pipe_drain(ps->c);
        if (rc != STORE_OK)
            return rc;
        ps->ran = true;
        ps->row = 0;
        if (ps->bad_text || !ps->sql[0])
            return STORE_OK; /* nothing stored can equal a value that is not UTF-8 */
        rc = exec_prepared(ps, &ps->r);
        if (rc != STORE_OK)
            return rc;
    } else {
        ps->row++;
    }
    return ps->r && ps->row < PQntuples(ps->r) ? DB_ROW : STORE_OK;
}

static bool pgd_col_null(db_stmt *st, int i)
{
    return PQgetisnull(pgd(st)->r, pgd(st)->row, i);
}

static int64_t pgd_col_int(db_stmt *st, int i)
{
    pg_stmt *ps = pgd(st);
    if (PQgetisnull(ps->r, ps->row, i))
        return 0;
    if (ps->binary)
        return get_int_bin(ps->r, ps->row, i);
    const char *v = PQgetvalue(ps->r, ps->row, i);
    if (v[0] == 't' || v[0] == 'f') /* a boolean */
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static const char *pgd_col_text(db_stmt *st, int i, size_t *len)
{
    pg_stmt *ps = pgd(st);
    if (PQgetisnull(ps->r, ps->row, i)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = (size_t)PQgetlength(ps->r, ps->row, i);
    return PQgetvalue(ps->r, ps->row, i);
}

static const void *pgd_col_blob(db_stmt *st, int i, size_t *len)
{
    pg_stmt *ps = pgd(st);
    *len = 0;
    PQfreemem(ps->blob);
    ps->blob = NULL;
    if (PQgetisnull(ps->r, ps->row, i))
        return "";
    if (ps->binary) {
        *len = (size_t)PQgetlength(ps->r, ps->row, i);
        return PQgetvalue(ps->r, ps->row, i);
    }
    ps->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(ps->r, ps->row, i), len);
    if (!ps->blob)
        abort();
    return ps->blob;
}

static int64_t pgd_changes(db_stmt *st)
{
    pg_stmt *ps = pgd(st);
    return ps->r ? strtoll(PQcmdTuples(ps->r), NULL, 10) : 0;
}

static void pgd_done(db_stmt *st)
{
    pg_stmt *ps = pgd(st);
    PQclear(ps->r);
    PQfreemem(ps->blob);
    ps->r = NULL;
    ps->blob = NULL;
    ps->ran = ps->bad_text = false;
    ps->n = 0;
}

/* Send st into the connection's pipeline (entered here when it is not yet), not waiting
 * for its answer. A reader has no pipeline: it runs st at once. */
static int pgd_exec_deferred(db_stmt *st)
{
    pg_stmt *ps = pgd(st);
    conn *c = ps->c;
    if (c->readonly)
        return db_exec(st);
    int rc = c->failed; /* the transaction is aborted: nothing more is sent */
    /* a bound text that is not UTF-8 can equal nothing stored: as in pgd_step, no-op */
    if (rc == STORE_OK && !ps->bad_text && ps->sql[0]) {
        if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && pipe_enter(c) != STORE_OK) {
            rc = c->failed = STORE_ERROR;
        } else if (PQsendQueryPrepared(c->pg, ps->name, ps->n, ps->value, ps->length, ps->format,
                                       ps->binary) != 1) {
            log_pg(ps->sql, PQerrorMessage(c->pg));
            rc = c->failed = STORE_ERROR;
        } else {
            pipe_note(c, ps->sql);
        }
    }
    pgd_done(st);
    return rc;
}

static int pgd_sync(db_conn *dc)
{
    return pipe_drain((conn *)dc);
}

static int pgd_lock_account(db_conn *writer, int64_t account)
{
    return lock_account(((conn *)writer)->s, account);
}

static void pgd_note_locked(db_conn *writer, int64_t account)
{
    lock_note(((conn *)writer)->s, account);
}

static void pgd_note_inserted(db_conn *writer, int64_t rows)
{
    store_impl *s = ((conn *)writer)->s;
    s->inserted_since_analyze += rows;
    analyze_if_grown(s);
}

const store_driver postgres_driver = {
    .prepare = pgd_prepare,
    .bind_int = pgd_bind_int,
    .bind_text = pgd_bind_text,
    .bind_blob = pgd_bind_blob,
    .step = pgd_step,
    .col_null = pgd_col_null,
    .col_int = pgd_col_int,
    .col_text = pgd_col_text,
    .col_blob = pgd_col_blob,
    .changes = pgd_changes,
    .done = pgd_done,
    .exec_deferred = pgd_exec_deferred,
    .sync = pgd_sync,
    .lock_account = pgd_lock_account,
    .note_locked = pgd_note_locked,
    .note_inserted = pgd_note_inserted,
};

static db_conn *pgs_read(store_impl *s)
{
    conn *c = reader_acquire(s);
    return c ? &c->base : NULL;
}

static void pgs_read_done(store_impl *s, db_conn *c)
{
    reader_release(s, (conn *)c);
}

static db_conn *pgs_tx_conn(store_tx_impl *tx)
{
    return &tx->s->writer->base;
}

const store_backend postgres_backend = {
    .name = "postgres",
    .shared = true,
    .open = pgs_open,
    .close = pgs_close,
    .tx_begin = pgs_tx_begin,
    .tx_commit = pgs_tx_commit,
    .tx_rollback = pgs_tx_rollback,
    .read = pgs_read,
    .read_done = pgs_read_done,
    .tx_conn = pgs_tx_conn,
    .tx_savepoint = pgs_tx_savepoint,
    .tx_savepoint_release = pgs_tx_savepoint_release,
    .tx_savepoint_rollback = pgs_tx_savepoint_rollback,
};
