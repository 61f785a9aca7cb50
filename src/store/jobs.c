/*
 * jobs: the job queue of store.h (insert, claim, payload, progress, finish, per-record
 * errors, the status and listing reads, the pending gauges), written once over driver.h
 * for both engines.
 *
 * Payloads. SQLite keeps them in a table of their own, job_payloads (migration 3): it
 * stores a row in one piece, so a 6 MB payload inside the jobs row was rewritten by every
 * progress update and read through by every status poll. PostgreSQL keeps them in the
 * jobs row. The statements that touch a payload come in pairs (DB_SQL2) or run on SQLite
 * only (DB_SQLITE_ONLY). A finished job's payload is dropped (its results and errors are
 * what remain useful, and a 6 MB body kept per job would fill the disk), except an
 * export's: it is the export's lasting description (file type, lists, download secret).
 * A parameter that SQLite's text leaves out is numbered below one it uses, so that
 * binding it stays in range.
 *
 * Claiming (store_tx_job_next) picks an account, then reads that account's oldest pending
 * job. On SQLite the one writer picks the oldest due job that is its account's first
 * pending one (the oldest pending job when it is due). On PostgreSQL every node may run
 * any account's jobs, but an account's jobs run one at a time in acceptance (seq) order
 * and each exactly once: a transaction that works on an account holds the account's
 * transaction-scoped advisory lock (db_lock_account). The candidate query takes it with a
 * try-lock on the oldest pending job's account that no other node holds; then, in a new
 * snapshot taken after the lock (so every earlier holder's commit is visible), the claim
 * reads that account's oldest pending job. The runner applies a slice and records the
 * job's cursor and counts in the same transaction, so a node that dies mid-job loses its
 * whole transaction and its lock, and whoever takes the account next resumes at the last
 * committed cursor.
 */
#include <stdio.h>
#include <string.h>

#include "core/ids.h"
#include "core/timeutil.h"
#include "store/driver.h"
#include "store/touch.h"

/* JOB_EXPORT in SQL text. */
#define EXPORT_KIND "6"
_Static_assert(JOB_EXPORT == 6, "EXPORT_KIND is JOB_EXPORT");
/* An integer constant in SQL text. */
#define SQL_INT(n) SQL_INT_(n)
#define SQL_INT_(n) #n

/* The columns read_job_info reads (0 as finished_at while pending). */
#define JOB_INFO_COLUMNS                                                            \
    "id, kind, status, requested, created, updated, deleted, errored, accepted_at," \
    " COALESCE(finished_at,0)"

static void read_job_info(db_stmt *st, job_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", db_col_text(st, 0));
    out->kind = (job_kind)db_col_int(st, 1);
    out->status = (job_status)db_col_int(st, 2);
    out->counts.requested = db_col_int(st, 3);
    out->counts.created = db_col_int(st, 4);
    out->counts.updated = db_col_int(st, 5);
    out->counts.deleted = db_col_int(st, 6);
    out->counts.errored = db_col_int(st, 7);
    out->accepted_at = db_col_int(st, 8);
    out->finished_at = db_col_int(st, 9);
}

/* A blob column as a NUL-terminated copy in a. */
static const char *col_blob_dup(db_stmt *st, int i, arena *a, size_t *len)
{
    const void *p = db_col_blob(st, i, len);
    return arena_strndup(a, p, *len);
}

/* The payload of the one row st answers (st is reset): STORE_NOT_FOUND without a row. */
static int payload_row(db_stmt *st, arena *a, const char **payload, size_t *len)
{
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        *payload = col_blob_dup(st, 0, a, len);
        rc = STORE_OK;
    }
    db_done(st);
    return rc;
}

/* ---- reads ----------------------------------------------------------------------- */

/* q prepared on a pooled reader with ?1 the job's id and ?2 its account, *c set to the
 * reader (give it back with db_read_done); NULL when that failed. */
static db_stmt *job_read(store *s, db_query *q, const char *id, int64_t account, db_conn **c)
{
    db_stmt *st = db_read_prepare(s, q, c);
    if (st) {
        db_bind_text(st, 1, id);
        db_bind_int(st, 2, account);
    }
    return st;
}

/* greatest: the dialect's two-argument maximum. */
#define PENDING_STATS(greatest)                                              \
    "SELECT count(*), COALESCE(min(accepted_at), 0), COALESCE(sum(" greatest \
    "(requested - cursor, 1)), 0) FROM jobs WHERE status = 0"

int store_job_pending_stats(store *s, int64_t *count, int64_t *oldest_accepted_at, int64_t *records)
{
    static db_query q = DB_SQL2(PENDING_STATS("max"), PENDING_STATS("GREATEST"));
    int64_t v[3];
    int rc = db_read_ints(s, &q, DB_NO_ARGS, v, 3);
    if (rc == STORE_OK) {
        *count = v[0];
        *oldest_accepted_at = v[1];
        *records = v[2];
    }
    return rc == STORE_NOT_FOUND ? STORE_ERROR : rc; /* an aggregate always has its row */
}

int store_job_get(store *s, int64_t account, const char *id, job_info *out)
{
    /* The status read carries the errors_url token too. */
    static db_query q = DB_SQL("SELECT " JOB_INFO_COLUMNS ", COALESCE(errors_token,'') FROM jobs"
                               " WHERE id=?1 AND account_id=?2");
    db_conn *c;
    db_stmt *st = job_read(s, &q, id, account, &c);
    if (!st)
        return STORE_ERROR;
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        read_job_info(st, out);
        snprintf(out->errors_token, sizeof out->errors_token, "%s", db_col_text(st, 10));
        rc = STORE_OK;
    }
    db_done(st);
    db_read_done(s, c);
    return rc;
}

/* A job_error_row from a store_job_errors row. */
static void fill_error(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)ctx;
    job_error_row *r = row;
    r->index = db_col_int(st, 0);
    r->identifiers = db_col_text_dup(st, 1, a);
    r->message = db_col_text_dup(st, 2, a);
}

int store_job_errors(store *s, int64_t account, const char *id, int64_t after, size_t limit,
                     arena *a, job_error_row **rows, size_t *count)
{
    static db_query q = DB_SQL(
        "SELECT e.idx, e.identifiers, e.message FROM job_errors e JOIN jobs j ON j.seq=e.job_seq"
        " WHERE j.id=?1 AND j.account_id=?2 AND e.idx>?3 ORDER BY e.idx LIMIT ?4");
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = fill_error};
    int rc = db_read_collect(
        s, &q, DB_ARGS(DB_TEXT(id), DB_INT(account), DB_INT(after), DB_INT((int64_t)limit)), &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

/* A job_listing from a store_job_list row: the job, then its payload (column 10). */
static void fill_listing(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)ctx;
    job_listing *l = row;
    l->payload = col_blob_dup(st, 10, a, &l->payload_len);
    read_job_info(st, &l->info);
}

/* A job_info from a store_job_list_all row. */
static void fill_info(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)a;
    (void)ctx;
    read_job_info(st, row);
}

/* payload: the payload column of the tables from. */
#define JOB_LIST(payload, from)                                                  \
    "SELECT " JOB_INFO_COLUMNS ", " payload " FROM " from " WHERE account_id=?1" \
    " AND kind=?2 ORDER BY seq DESC LIMIT ?3"

int store_job_list(store *s, int64_t account, job_kind kind, int64_t limit, arena *a,
                   job_listing **rows, size_t *count)
{
    /* Binary results on PostgreSQL: a payload may be megabytes, which hex text would
     * double. */
    static db_query q =
        DB_SQL2_BINARY(JOB_LIST("p.payload", "jobs LEFT JOIN job_payloads p ON p.job_seq=jobs.seq"),
                       JOB_LIST("payload", "jobs"));
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = fill_listing};
    int rc = db_read_collect(s, &q, DB_ARGS(DB_INT(account), DB_INT(kind), DB_INT(limit)), &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

int store_job_list_all(store *s, int64_t account, int status, int64_t limit, arena *a,
                       job_info **rows, size_t *count)
{
    static db_query q = DB_SQL("SELECT " JOB_INFO_COLUMNS " FROM jobs WHERE account_id=?1"
                               " AND (CAST(?2 AS INTEGER)<0 OR status=CAST(?2 AS INTEGER))"
                               " ORDER BY seq DESC LIMIT ?3");
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = fill_info};
    int rc = db_read_collect(s, &q, DB_ARGS(DB_INT(account), DB_INT(status), DB_INT(limit)), &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

int store_job_payload_get(store *s, int64_t account, const char *id, arena *a, const char **payload,
                          size_t *len)
{
    /* PostgreSQL leaves a finished job's payload empty where SQLite deletes its row: such
     * a payload is absent on both, an export's excepted. */
    static db_query q = DB_SQL2_BINARY(
        "SELECT p.payload FROM jobs j JOIN job_payloads p ON p.job_seq=j.seq"
        " WHERE j.id=?1 AND j.account_id=?2",
        "SELECT payload FROM jobs WHERE id=?1 AND account_id=?2 AND (status=0 OR kind=" EXPORT_KIND
        ")");
    db_conn *c;
    db_stmt *st = job_read(s, &q, id, account, &c);
    if (!st)
        return STORE_ERROR;
    int rc = payload_row(st, a, payload, len);
    db_read_done(s, c);
    return rc;
}

int store_job_account(store *s, const char *id, int64_t *account)
{
    static db_query q = DB_SQL("SELECT account_id FROM jobs WHERE id=?1");
    return db_read_ints(s, &q, DB_ARGS(DB_TEXT(id)), account, 1);
}

/* ---- the writer ------------------------------------------------------------------ */

/* payload: what the jobs row keeps (SQLite: nothing; its payload goes to job_payloads);
 * returning: what the insert answers. ?4 is the payload; the job delay is read by the
 * insert itself (store.h, settings). */
#define JOB_INSERT(payload, returning)                                                     \
    "INSERT INTO jobs(id, account_id, kind, payload, requested, accepted_at, run_after,"   \
    " errors_token) VALUES(?1,?2,?3," payload ",?5,?6,CAST(?6 AS BIGINT)+COALESCE((SELECT" \
    " job_delay_ms FROM settings WHERE account_id=?2),(SELECT job_delay_ms FROM settings"  \
    " WHERE account_id=0),0),?7)" returning

int store_tx_job_insert(store_tx *tx, const job_new *j, int64_t *seq)
{
    static db_query answered =
        DB_SQL2(JOB_INSERT("x''", " RETURNING seq"), JOB_INSERT("?4", " RETURNING seq"));
    static db_query deferred = DB_SQL2(JOB_INSERT("x''", ""), JOB_INSERT("?4", ""));
    /* The job's seq is its rowid: the connection's last insert. */
    static db_query payload =
        DB_SQLITE_ONLY("INSERT INTO job_payloads(job_seq, payload) VALUES(last_insert_rowid(),?1)");
    char token[JOB_TOKEN_LEN + 1];
    if (random_base64url(token, sizeof token, 24) != 0)
        return STORE_ERROR;
    db_conn *c = db_tx(tx);
    db_stmt *st = db_prepare(c, seq ? &answered : &deferred);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, j->id);
    db_bind_int(st, 2, j->account);
    db_bind_int(st, 3, (int64_t)j->kind);
    db_bind_blob(st, 4, j->payload, j->payload_len);
    db_bind_int(st, 5, j->requested);
    db_bind_int(st, 6, j->accepted_at);
    db_bind_text(st, 7, token);
    int rc = seq ? db_row_ints(st, seq, 1) : db_exec_deferred(st);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
    if (!(st = db_prepare(c, &payload)))
        return STORE_ERROR;
    db_bind_blob(st, 1, j->payload, j->payload_len);
    return db_exec_deferred(st);
}

/* The columns read_job_row reads, run_after last. */
#define JOB_ROW_COLUMNS                                                        \
    "seq, account_id, id, kind, cursor, requested, created, updated, deleted," \
    " errored, accepted_at, run_after"
#define JOB_ROW_RUN_AFTER 11

static void read_job_row(db_stmt *st, job_row *out)
{
    memset(out, 0, sizeof *out);
    out->seq = db_col_int(st, 0);
    out->account = db_col_int(st, 1);
    snprintf(out->info.id, sizeof out->info.id, "%s", db_col_text(st, 2));
    out->info.kind = (job_kind)db_col_int(st, 3);
    out->info.status = JOB_PENDING;
    out->cursor = db_col_int(st, 4);
    out->info.counts.requested = db_col_int(st, 5);
    out->info.counts.created = db_col_int(st, 6);
    out->info.counts.updated = db_col_int(st, 7);
    out->info.counts.deleted = db_col_int(st, 8);
    out->info.counts.errored = db_col_int(st, 9);
    out->info.accepted_at = db_col_int(st, 10);
}

/* Read the due prefix of st's rows (account's oldest pending jobs, in seq order) into
 * claims->ahead: a job not yet due stops it, as the account's later jobs never overtake it.
 * DB_ROW ends with the rows read (none when the first is not due), or an error. */
static int read_ahead(db_stmt *st, job_claims *claims, int64_t account, int64_t now)
{
    int rc;
    claims->nahead = 0;
    while ((rc = db_step(st)) == DB_ROW && claims->nahead < JOB_CLAIM_AHEAD &&
           db_col_int(st, JOB_ROW_RUN_AFTER) <= now)
        read_job_row(st, &claims->ahead[claims->nahead++]);
    db_done(st);
    if (claims->nahead > 0 && claims->last_account != account) {
        claims->last_account = account;
        claims->last_seq = 0;
    }
    return rc == DB_ROW || rc == STORE_OK ? DB_ROW : rc;
}

int store_tx_job_next(store_tx *tx, job_row *out)
{
    /* The account to take a job of (?1: past the highest seq this transaction claimed;
     * ?2: now). SQLite: the account of the oldest due job that is its account's first
     * pending one (an account's jobs never overtake each other). PostgreSQL: the account
     * of the oldest due job whose account lock this transaction gets. The subquery's
     * ORDER BY with OFFSET 0 keeps the (volatile) try-lock above the sort and out of the
     * scan, so it is tried on rows in seq order and only until one succeeds; locks this
     * transaction holds succeed again. */
    static db_query candidate = DB_SQL2(
        "SELECT j.account_id FROM jobs j WHERE j.status=0 AND j.run_after<=?2 AND NOT EXISTS"
        " (SELECT 1 FROM jobs e WHERE e.status=0 AND e.account_id=j.account_id AND e.seq<j.seq)"
        " ORDER BY j.seq LIMIT 1",
        "SELECT account_id FROM (SELECT account_id FROM jobs WHERE status=0 AND seq>?1"
        " AND run_after<=?2 ORDER BY seq OFFSET 0) p"
        " WHERE pg_try_advisory_xact_lock(" DB_ACCOUNT_LOCK_KEYS("account_id") ") LIMIT 1");
    /* The account's oldest pending jobs, up to JOB_CLAIM_AHEAD (touch.h), in seq order
     * (?1: past the last job this transaction took of it; ?2: the account): a run of its
     * small jobs is then applied together (store_tx_job_ahead). PostgreSQL reads them
     * under the account lock, so no other transaction can hold the rows: FOR UPDATE never
     * waits, and SKIP LOCKED would be wrong (it could return the account's second job
     * while the first is pending). */
    static db_query next =
        DB_SQL2("SELECT " JOB_ROW_COLUMNS " FROM jobs WHERE account_id=?2 AND status=0"
                " ORDER BY seq LIMIT " SQL_INT(JOB_CLAIM_AHEAD),
                "SELECT " JOB_ROW_COLUMNS " FROM jobs WHERE account_id=?2 AND status=0 AND seq>?1"
                " ORDER BY seq LIMIT " SQL_INT(JOB_CLAIM_AHEAD) " FOR UPDATE");
    job_claims *claims = store_tx_job_claims(tx);
    if (store_tx_job_ahead(tx, 0, out) == STORE_OK)
        return STORE_OK;
    db_conn *c = db_tx(tx);
    /* PostgreSQL: an account found pending whose jobs the previous lock holder finished
     * between the candidate query's snapshot and our lock has no pending job any more:
     * look again, a few times, then leave the rest to the next poll. (SQLite's candidate
     * is always the job taken.) */
    for (int attempt = 0; attempt < 4; attempt++) {
        int64_t now = time_now_ms(), account = 0;
        db_stmt *st = db_prepare(c, &candidate);
        if (!st)
            return STORE_ERROR;
        db_bind_int(st, 1, claims->max_seq);
        db_bind_int(st, 2, now);
        int rc = db_row_ints(st, &account, 1);
        if (rc != STORE_OK)
            return rc;
        db_note_locked(c, account);
        if (!(st = db_prepare(c, &next)))
            return STORE_ERROR;
        /* Only past this account's own finished jobs: an account reached again after
         * others may have older jobs that another node held until now. */
        db_bind_int(st, 1, account == claims->last_account ? claims->last_seq : 0);
        db_bind_int(st, 2, account);
        if ((rc = read_ahead(st, claims, account, now)) != DB_ROW)
            return rc;
        if (store_tx_job_ahead(tx, 0, out) == STORE_OK)
            return STORE_OK;
    }
    return STORE_NOT_FOUND;
}

int store_tx_job_ahead(store_tx *tx, size_t i, job_row *out)
{
    job_claims *claims = store_tx_job_claims(tx);
    if (i >= (size_t)claims->nahead)
        return STORE_NOT_FOUND;
    *out = claims->ahead[i];
    return STORE_OK;
}

int store_tx_job_next_due(store_tx *tx, int64_t now_ms, int64_t *at)
{
    static db_query q = DB_SQL("SELECT min(run_after) FROM jobs WHERE status=0 AND run_after>?1");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, now_ms);
    int rc = db_step_one(st);
    if (rc == DB_ROW && db_col_null(st, 0)) {
        rc = STORE_NOT_FOUND;
    } else if (rc == DB_ROW) {
        *at = db_col_int(st, 0);
        rc = STORE_OK;
    }
    db_done(st);
    return rc;
}

int store_tx_job_payload(store_tx *tx, int64_t seq, arena *a, const char **payload, size_t *len)
{
    static db_query q = DB_SQL2_BINARY("SELECT payload FROM job_payloads WHERE job_seq=?1",
                                       "SELECT payload FROM jobs WHERE seq=?1");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, seq);
    return payload_row(st, a, payload, len);
}

/* Binds requested, created, updated, deleted, errored to ?2 .. ?6. */
static void bind_counts(db_stmt *st, const job_counts *c)
{
    db_bind_int(st, 2, c->requested);
    db_bind_int(st, 3, c->created);
    db_bind_int(st, 4, c->updated);
    db_bind_int(st, 5, c->deleted);
    db_bind_int(st, 6, c->errored);
}

int store_tx_job_progress(store_tx *tx, int64_t seq, int64_t cursor, const job_counts *c)
{
    static db_query q = DB_SQL("UPDATE jobs SET cursor=?1, requested=?2, created=?3, updated=?4,"
                               " deleted=?5, errored=?6 WHERE seq=?7");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, cursor);
    bind_counts(st, c);
    db_bind_int(st, 7, seq);
    job_claims *claims = store_tx_job_claims(tx);
    if (claims->nahead > 0 && claims->ahead[0].seq == seq) {
        claims->ahead[0].cursor = cursor;
        claims->ahead[0].info.counts = *c;
    }
    return db_exec_deferred(st);
}

/* payload: PostgreSQL empties the payload column (SQLite deletes its job_payloads row). */
#define JOB_FINISH(payload)                                                                    \
    "UPDATE jobs SET status=?1, requested=?2, created=?3, updated=?4, deleted=?5, errored=?6," \
    " finished_at=?7," payload " cursor=requested WHERE seq=?8 AND status=0"

int store_tx_job_finish(store_tx *tx, int64_t seq, job_status status, const job_counts *c,
                        int64_t finished_at)
{
    static db_query finish =
        DB_SQL2(JOB_FINISH(""), JOB_FINISH(" payload=CASE WHEN kind=" EXPORT_KIND
                                           " THEN payload ELSE '\\x'::bytea END,"));
    static db_query drop =
        DB_SQLITE_ONLY("DELETE FROM job_payloads WHERE job_seq=?1"
                       " AND NOT EXISTS (SELECT 1 FROM jobs WHERE seq=?1 AND kind=" EXPORT_KIND ")");
    db_conn *conn = db_tx(tx);
    db_stmt *st = db_prepare(conn, &finish);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, (int64_t)status);
    bind_counts(st, c);
    db_bind_int(st, 7, finished_at);
    db_bind_int(st, 8, seq);
    int rc = db_exec_deferred(st);
    if (rc != STORE_OK)
        return rc;
    /* The next claim looks past it (touch.h). */
    job_claims *claims = store_tx_job_claims(tx);
    if (claims->nahead > 0 && claims->ahead[0].seq == seq) {
        memmove(claims->ahead, claims->ahead + 1, --claims->nahead * sizeof claims->ahead[0]);
        if (seq > claims->max_seq)
            claims->max_seq = seq;
        claims->last_seq = seq;
    }
    if (!(st = db_prepare(conn, &drop)))
        return STORE_ERROR;
    db_bind_int(st, 1, seq);
    return db_exec_deferred(st);
}

int store_tx_job_error_add(store_tx *tx, int64_t seq, int64_t index, const char *identifiers,
                           const char *message)
{
    static db_query q =
        DB_SQL("INSERT INTO job_errors(job_seq, idx, identifiers, message) VALUES(?1,?2,?3,?4)"
               " ON CONFLICT (job_seq, idx) DO UPDATE SET identifiers=excluded.identifiers,"
               " message=excluded.message");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, seq);
    db_bind_int(st, 2, index);
    db_bind_text(st, 3, identifiers);
    db_bind_text(st, 4, message);
    return db_exec_deferred(st);
}
