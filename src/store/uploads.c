/*
 * uploads: CSV import reservations (store.h): made by PUT /contacts/imports, read by the
 * upload, purged when they expire; written once over driver.h for both engines.
 */
#include "store/driver.h"

int store_tx_upload_create(store_tx *tx, int64_t account, const char *job_id, const char *token,
                           const char *spec, int64_t created_at)
{
    static db_query q =
        DB_SQL("INSERT INTO import_uploads(job_id, account_id, token, spec, created_at)"
               " VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO NOTHING");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, job_id);
    db_bind_int(st, 2, account);
    db_bind_text(st, 3, token);
    db_bind_text(st, 4, spec);
    db_bind_int(st, 5, created_at);
    int rc = db_exec_found(st);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_upload_get(store *s, const char *job_id, arena *a, import_upload *out)
{
    static db_query q =
        DB_SQL("SELECT account_id, token, spec, created_at FROM import_uploads WHERE job_id=?1");
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, job_id);
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        out->account = db_col_int(st, 0);
        out->token = db_col_text_dup(st, 1, a);
        out->spec = db_col_text_dup(st, 2, a);
        out->created_at = db_col_int(st, 3);
        rc = STORE_OK;
    }
    db_done(st);
    db_read_done(s, c);
    return rc;
}

int store_tx_upload_purge(store_tx *tx, int64_t created_before)
{
    static db_query q = DB_SQL("DELETE FROM import_uploads WHERE created_at<?1");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, created_before);
    return db_exec(st);
}
