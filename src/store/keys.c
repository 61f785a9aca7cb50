/*
 * keys: the API keys of store.h (lookup, listing, add, revoke, delete), written once over
 * driver.h for both engines. A key's secret is stored as its SHA-256 only.
 */
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "store/driver.h"

int store_key_find(store *s, const char *key_id, store_key *out)
{
    static db_query q = DB_SQL_LOOKUP(
        "SELECT k.account_id, k.secret_sha256, CASE WHEN k.revoked_at IS NULL THEN 0 ELSE 1 END,"
        " k.scopes, a.name FROM api_keys k JOIN accounts a ON a.id=k.account_id WHERE k.key_id=?1");
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, key_id);
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        out->account_id = db_col_int(st, 0);
        memset(out->secret_hash, 0, sizeof out->secret_hash);
        size_t n;
        const void *h = db_col_blob(st, 1, &n);
        if (n == APIKEY_HASH_LEN)
            memcpy(out->secret_hash, h, APIKEY_HASH_LEN);
        out->revoked = db_col_int(st, 2) != 0;
        const char *scopes = db_col_text(st, 3), *name = db_col_text(st, 4);
        snprintf(out->scopes, sizeof out->scopes, "%s", scopes ? scopes : "");
        snprintf(out->account, sizeof out->account, "%s", name ? name : "");
        rc = STORE_OK;
    }
    db_done(st);
    db_read_done(s, c);
    return rc;
}

int store_key_list(store *s, void (*each)(void *ctx, const store_key_row *row), void *ctx)
{
    static db_query q = DB_SQL(
        "SELECT k.key_id, a.name, k.scopes, k.created_at, COALESCE(k.revoked_at,0)"
        " FROM api_keys k JOIN accounts a ON a.id=k.account_id ORDER BY k.created_at, k.key_id");
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        store_key_row row = {
            .key_id = db_col_text(st, 0),
            .account = db_col_text(st, 1),
            .scopes = db_col_text(st, 2),
            .created_at = db_col_int(st, 3),
            .revoked_at = db_col_int(st, 4),
        };
        each(ctx, &row);
    }
    db_done(st);
    db_read_done(s, c);
    return rc;
}

int store_tx_key_add(store_tx *tx, int64_t account_id, const char *key_id,
                     const uint8_t hash[APIKEY_HASH_LEN], const char *scopes)
{
    /* DO NOTHING: on PostgreSQL a refused insert would abort the whole transaction. */
    static db_query q =
        DB_SQL("INSERT INTO api_keys(key_id, account_id, secret_sha256, scopes, created_at)"
               " VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO NOTHING");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_text(st, 1, key_id);
    db_bind_int(st, 2, account_id);
    db_bind_blob(st, 3, hash, APIKEY_HASH_LEN);
    db_bind_text(st, 4, scopes);
    db_bind_int(st, 5, time_now_ms());
    int rc = db_exec_found(st);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_tx_key_revoke(store_tx *tx, const char *key_id)
{
    static db_query q =
        DB_SQL("UPDATE api_keys SET revoked_at=?1 WHERE key_id=?2 AND revoked_at IS NULL");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, time_now_ms());
    db_bind_text(st, 2, key_id);
    return db_exec_found(st);
}

int store_tx_key_delete(store_tx *tx, int64_t account, const char *key_id)
{
    static db_query q = DB_SQL("DELETE FROM api_keys WHERE account_id=?1 AND key_id=?2");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, key_id);
    return db_exec_found(st);
}
