/*
 * accounts: the accounts and settings of store.h (count, find or create, list, purge, the
 * job delay), written once over driver.h for both engines.
 */
#include "core/timeutil.h"
#include "store/driver.h"
#include "store/touch.h"

int store_account_count(store *s, int64_t *out)
{
    static db_query q = DB_SQL("SELECT count(*) FROM accounts");
    int rc = db_read_ints(s, &q, DB_NO_ARGS, out, 1);
    return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
}

/* The id of the account named name (a text parameter ?1) on c. */
static int account_id_of(db_conn *c, db_query *q, const char *name, int64_t created_at, int64_t *id)
{
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, name);
    if (created_at)
        db_bind_int(st, 2, created_at);
    return db_row_ints(st, id, 1);
}

int store_tx_account_ensure(store_tx *tx, const char *name, int64_t *account_id)
{
    static db_query find = DB_SQL("SELECT id FROM accounts WHERE name=?1");
    static db_query insert =
        DB_SQL("INSERT INTO accounts(name, created_at) VALUES(?1,?2) ON CONFLICT (name) DO NOTHING"
               " RETURNING id");
    db_conn *c = db_tx(tx);
    int rc = account_id_of(c, &find, name, 0, account_id);
    if (rc != STORE_NOT_FOUND)
        return rc;
    rc = account_id_of(c, &insert, name, time_now_ms(), account_id);
    if (rc != STORE_NOT_FOUND)
        return rc;
    /* Another process created it meanwhile (the insert waited for its commit). */
    rc = account_id_of(c, &find, name, 0, account_id);
    return rc == STORE_NOT_FOUND ? STORE_ERROR : rc;
}

/* Each row's columns in read_account's order. */
#define ACCOUNT_SELECT                                                                   \
    "SELECT a.id, a.name, p.name, COALESCE(a.parent_id,0), a.created_at FROM accounts a" \
    " LEFT JOIN accounts p ON p.id=a.parent_id"

static void read_account(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)ctx;
    store_account *out = row;
    out->id = db_col_int(st, 0);
    out->name = db_col_text_dup(st, 1, a);
    out->parent = db_col_text_dup(st, 2, a);
    out->parent_id = db_col_int(st, 3);
    out->created_at = db_col_int(st, 4);
}

/* The rows of an ACCOUNT_SELECT with one parameter, on a reader. */
static int accounts_read(store *s, db_query *q, const char *name, int64_t parent_id, arena *a,
                         store_account **rows, size_t *count)
{
    db_arg arg = name ? DB_TEXT(name) : DB_INT(parent_id);
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = read_account};
    int rc = db_read_collect(s, q, &arg, 1, &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

int store_account_list(store *s, int64_t parent_id, arena *a, store_account **rows, size_t *count)
{
    static db_query q =
        DB_SQL(ACCOUNT_SELECT " WHERE CAST(?1 AS BIGINT)=0 OR a.parent_id=?1 ORDER BY a.name");
    return accounts_read(s, &q, NULL, parent_id, a, rows, count);
}

int store_account_find(store *s, const char *name, arena *a, store_account *out)
{
    static db_query q = DB_SQL(ACCOUNT_SELECT " WHERE a.name=?1");
    store_account *rows;
    size_t n;
    int rc = accounts_read(s, &q, name, 0, a, &rows, &n);
    if (rc == STORE_OK && n == 0)
        return STORE_NOT_FOUND;
    if (rc == STORE_OK)
        *out = rows[0];
    return rc;
}

int store_tx_account_create(store_tx *tx, const char *name, int64_t parent_id, int64_t *id)
{
    static db_query q = DB_SQL("INSERT INTO accounts(name, parent_id, created_at)"
                               " VALUES(?1,NULLIF(CAST(?2 AS BIGINT),0),?3)"
                               " ON CONFLICT (name) DO NOTHING RETURNING id");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, name);
    db_bind_int(st, 2, parent_id);
    db_bind_int(st, 3, time_now_ms());
    int rc = db_row_ints(st, id, 1);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

/* Everything an account owns, child rows first (?1: the account). */
static db_query purge_data[] = {
    DB_SQL("DELETE FROM job_errors WHERE job_seq IN (SELECT seq FROM jobs WHERE account_id=?1)"),
    /* SQLite keeps payloads apart (sqlite_schema.c, migration 3) */
    DB_SQLITE_ONLY(
        "DELETE FROM job_payloads WHERE job_seq IN (SELECT seq FROM jobs WHERE account_id=?1)"),
    DB_SQL("DELETE FROM export_chunks WHERE job_seq IN (SELECT seq FROM jobs WHERE account_id=?1)"),
    DB_SQL("DELETE FROM jobs WHERE account_id=?1"),
    DB_SQL("DELETE FROM import_uploads WHERE account_id=?1"),
    DB_SQL("DELETE FROM segment_members WHERE account_id=?1"),
    DB_SQL("DELETE FROM segments WHERE account_id=?1"),
    DB_SQL("DELETE FROM list_members WHERE account_id=?1"),
    DB_SQL("DELETE FROM lists WHERE account_id=?1"),
    DB_SQL("DELETE FROM field_definitions WHERE account_id=?1"),
    DB_SQL("DELETE FROM field_counters WHERE account_id=?1"),
    DB_SQL("DELETE FROM contact_alternate_emails WHERE account_id=?1"),
    DB_SQL("DELETE FROM contacts WHERE account_id=?1"),
    DB_SQL("DELETE FROM billing_deletions WHERE account_id=?1"), /* a reset account bills anew */
};
/* And the account itself, with its keys and settings. */
static db_query purge_account[] = {
    DB_SQL("DELETE FROM api_keys WHERE account_id=?1"),
    DB_SQL("DELETE FROM settings WHERE account_id=?1"),
    DB_SQL("UPDATE accounts SET parent_id=NULL WHERE parent_id=?1"),
    DB_SQL("DELETE FROM accounts WHERE id=?1"),
};

static int run_all(db_conn *c, db_query *qs, size_t n, int64_t account)
{
    for (size_t i = 0; i < n; i++) {
        db_stmt *st = db_prepare(c, &qs[i]);
        if (!st)
            return STORE_ERROR;
        db_bind_int(st, 1, account);
        if (db_exec(st) != STORE_OK)
            return STORE_ERROR;
    }
    return STORE_OK;
}

int store_tx_account_purge(store_tx *tx, int64_t account, bool with_account)
{
    db_conn *c = db_tx(tx);
    store_tx_fields_changed(tx);
    store_tx_job_claims(tx)->nahead = 0; /* its jobs go too */
    /* Under the account's lock: a node applying one of its jobs finishes its slice (and
     * commits) first, and no node claims one meanwhile. */
    if (db_lock_account(c, account) != STORE_OK ||
        run_all(c, purge_data, sizeof purge_data / sizeof purge_data[0], account) != STORE_OK)
        return STORE_ERROR;
    if (with_account)
        return run_all(c, purge_account, sizeof purge_account / sizeof purge_account[0], account);
    return STORE_OK;
}

/* Column 0 of a row as an int64_t. */
static void read_id(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)a;
    (void)ctx;
    *(int64_t *)row = db_col_int(st, 0);
}

int store_tx_account_purge_all(store_tx *tx)
{
    static db_query q = DB_SQL("SELECT id FROM accounts ORDER BY id");
    arena a = ARENA_INIT;
    db_rows r = {.a = &a, .elem = sizeof(int64_t), .fill = read_id};
    int rc = db_collect_query(db_tx(tx), &q, NULL, 0, &r);
    const int64_t *ids = r.items;
    for (size_t i = 0; rc == STORE_OK && i < r.count; i++)
        rc = store_tx_account_purge(tx, ids[i], false);
    arena_release(&a);
    return rc;
}

/* A store_usage from a store_usage_list row. */
static void read_usage(db_stmt *st, arena *a, void *ctx, void *row)
{
    (void)ctx;
    store_usage *u = row;
    u->account = db_col_int(st, 0);
    u->name = db_col_text_dup(st, 1, a);
    u->export_bytes = db_col_int(st, 2);
    u->payload_bytes = db_col_int(st, 3);
}

int store_usage_list(store *s, int64_t account, int64_t now_ms, arena *a, store_usage **rows,
                     size_t *count)
{
    /* ?1 account (0: all that keep any), ?2 now, ?3 JOB_EXPORT. length() of a blob reads no
     * overflow page (SQLite) or the TOAST header only (PostgreSQL). SQLite keeps payloads
     * apart (job_payloads); both sums go through jobs_by_kind and jobs_pending_by_account. */
    static db_query q =
        DB_SQL2("SELECT id, name, e, p FROM (SELECT a.id, a.name,"
                " COALESCE((SELECT sum(c.bytes) FROM jobs j JOIN export_chunks c ON c.job_seq=j.seq"
                "  WHERE j.account_id=a.id AND j.kind=?3 AND c.expires_at>?2),0) AS e,"
                " COALESCE((SELECT sum(length(p.payload)) FROM jobs j JOIN job_payloads p"
                "  ON p.job_seq=j.seq WHERE j.account_id=a.id AND j.status=0),0) AS p"
                " FROM accounts a WHERE ?1=0 OR a.id=?1) WHERE ?1<>0 OR e>0 OR p>0 ORDER BY id",
                "SELECT id, name, e, p FROM (SELECT a.id, a.name,"
                " COALESCE((SELECT sum(c.bytes) FROM jobs j JOIN export_chunks c ON c.job_seq=j.seq"
                "  WHERE j.account_id=a.id AND j.kind=$3 AND c.expires_at>$2),0)::bigint AS e,"
                " COALESCE((SELECT sum(length(j.payload)) FROM jobs j"
                "  WHERE j.account_id=a.id AND j.status=0),0)::bigint AS p"
                " FROM accounts a WHERE $1::bigint=0 OR a.id=$1) t"
                " WHERE $1::bigint<>0 OR e>0 OR p>0 ORDER BY id");
    db_rows r = {.a = a, .elem = sizeof **rows, .fill = read_usage};
    int rc =
        db_read_collect(s, &q, DB_ARGS(DB_INT(account), DB_INT(now_ms), DB_INT(JOB_EXPORT)), &r);
    DB_ROWS_TO(r, rows, count);
    return rc;
}

int store_setting_job_delay(store *s, int64_t account, int64_t *ms)
{
    static db_query q = DB_SQL("SELECT job_delay_ms FROM settings WHERE account_id=?1");
    int rc = db_read_ints(s, &q, DB_ARGS(DB_INT(account)), ms, 1);
    if (rc == STORE_NOT_FOUND) {
        *ms = -1;
        rc = STORE_OK;
    }
    return rc;
}

int store_tx_setting_job_delay(store_tx *tx, int64_t account, int64_t ms)
{
    static db_query del = DB_SQL("DELETE FROM settings WHERE account_id=?1");
    static db_query set = DB_SQL("INSERT INTO settings(account_id, job_delay_ms) VALUES(?1,?2)"
                                 " ON CONFLICT (account_id) DO UPDATE SET job_delay_ms=?2");
    db_stmt *st = db_prepare(db_tx(tx), ms < 0 ? &del : &set);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    if (ms >= 0)
        db_bind_int(st, 2, ms);
    return db_exec(st);
}
