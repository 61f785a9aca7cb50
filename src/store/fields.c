/*
 * fields: the custom field definitions of store.h (list, create, insert with a given id,
 * rename, delete), written once over driver.h for both engines. Writes hold the account's
 * lock (db_lock_account), so on PostgreSQL they never interleave with another node's job
 * of the same account.
 */
#include <stdio.h>

#include "core/timeutil.h"
#include "store/driver.h"
#include "store/touch.h"

static int fields_list(db_conn *c, int64_t account, arena *a, field_catalog *out)
{
    static db_query q = DB_SQL_LOOKUP(
        "SELECT id, name, field_type FROM field_definitions WHERE account_id=?1 ORDER BY seq");
    out->defs = NULL;
    out->count = 0;
    db_stmt *st = db_prepare(c, &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        out->defs = arena_grow(a, out->defs, out->count, &cap, sizeof *out->defs);
        field_def *d = &out->defs[out->count++];
        d->id = db_col_text_dup(st, 0, a);
        d->name = db_col_text_dup(st, 1, a);
        d->type = (field_type)db_col_int(st, 2);
    }
    db_done(st);
    return rc;
}

int store_fields_list(store *s, int64_t account, arena *a, field_catalog *out)
{
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = fields_list(c, account, a, out);
    db_read_done(s, c);
    return rc;
}

/* A copy of cat in a. */
static void catalog_copy(const field_catalog *cat, arena *a, field_catalog *out)
{
    out->count = cat->count;
    out->defs = cat->count ? arena_alloc(a, cat->count * sizeof *out->defs) : NULL;
    for (size_t i = 0; i < cat->count; i++) {
        out->defs[i] = cat->defs[i];
        out->defs[i].id = arena_strdup(a, cat->defs[i].id);
        out->defs[i].name = arena_strdup(a, cat->defs[i].name);
    }
}

int store_tx_fields_list(store_tx *tx, int64_t account, arena *a, field_catalog *out)
{
    /* Read once a transaction (touch.h): the account's lock, taken here, keeps every
     * other writer of them out until the transaction ends. */
    fields_memo *m = store_tx_fields_memo(tx);
    if (!m->valid || m->account != account) {
        store_tx_fields_changed(tx);
        db_conn *c = db_tx(tx);
        int rc = db_lock_account(c, account);
        if (rc == STORE_OK)
            rc = fields_list(c, account, &m->mem, &m->cat);
        if (rc != STORE_OK)
            return rc;
        m->valid = true;
        m->account = account;
    }
    catalog_copy(&m->cat, a, out);
    return STORE_OK;
}

/* Insert a field definition: STORE_CONFLICT when its id or name is taken. */
static int field_row_insert(db_conn *c, int64_t account, const char *id, int64_t seq,
                            const char *name, field_type type)
{
    static db_query q =
        DB_SQL("INSERT INTO field_definitions(account_id, id, seq, name, field_type, created_at)"
               " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT DO NOTHING");
    db_stmt *st = db_prepare(c, &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    db_bind_int(st, 3, seq);
    db_bind_text(st, 4, name);
    db_bind_int(st, 5, (int64_t)type);
    db_bind_int(st, 6, time_now_ms());
    int rc = db_exec_found(st);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_tx_field_create(store_tx *tx, int64_t account, const char *name, field_type type,
                          char id_out[FIELD_ID_MAX])
{
    static db_query next =
        DB_SQL("INSERT INTO field_counters(account_id, last) VALUES(?1, 1) ON CONFLICT (account_id)"
               " DO UPDATE SET last = field_counters.last + 1 RETURNING last");
    store_tx_fields_changed(tx);
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    if (rc != STORE_OK)
        return rc;
    db_stmt *st = db_prepare(c, &next);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    int64_t seq;
    if (db_row_ints(st, &seq, 1) != STORE_OK)
        return STORE_ERROR;
    snprintf(id_out, FIELD_ID_MAX, "e%lld_%c", (long long)seq, field_type_letter(type));
    return field_row_insert(c, account, id_out, seq, name, type);
}

int store_tx_field_insert(store_tx *tx, int64_t account, const char *id, int64_t seq,
                          const char *name, field_type type)
{
    /* Move the id counter past the inserted id. */
    static db_query counter = DB_SQL2("INSERT INTO field_counters(account_id, last) VALUES(?1,?2)"
                                      " ON CONFLICT(account_id) DO UPDATE SET last=max(last,?2)",
                                      "INSERT INTO field_counters(account_id, last) VALUES($1,$2)"
                                      " ON CONFLICT (account_id) DO UPDATE SET"
                                      " last=GREATEST(field_counters.last, EXCLUDED.last)");
    store_tx_fields_changed(tx);
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    if (rc == STORE_OK)
        rc = field_row_insert(c, account, id, seq, name, type);
    if (rc != STORE_OK)
        return rc;
    db_stmt *st = db_prepare(c, &counter);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_int(st, 2, seq);
    return db_exec(st);
}

int store_tx_field_rename(store_tx *tx, int64_t account, const char *id, const char *name)
{
    static db_query q = DB_SQL("UPDATE field_definitions SET name=?1 WHERE account_id=?2 AND id=?3");
    int rc;
    store_tx_fields_changed(tx);
    db_stmt *st = db_prepare_locked(tx, account, &q, &rc);
    if (!st)
        return rc;
    db_bind_text(st, 1, name);
    db_bind_int(st, 2, account);
    db_bind_text(st, 3, id);
    rc = db_exec_found(st);
    if (rc == STORE_OK)
        store_tx_touch_account(tx, account);
    return rc;
}

int store_tx_field_delete(store_tx *tx, int64_t account, const char *id)
{
    static db_query q = DB_SQL("DELETE FROM field_definitions WHERE account_id=?1 AND id=?2");
    int rc;
    store_tx_fields_changed(tx);
    db_stmt *st = db_prepare_locked(tx, account, &q, &rc);
    if (!st)
        return rc;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    rc = db_exec_found(st);
    if (rc == STORE_OK)
        store_tx_touch_account(tx, account);
    return rc;
}
