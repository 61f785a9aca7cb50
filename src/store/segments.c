/*
 * segments: the segments of store.h (rows, member rows, counts, samples, a contact's
 * segments and lists as the writer's segment sync reads them), written once over driver.h
 * for both engines. Segment rows are written under the account's lock (db_lock_account),
 * like lists and fields, so that a node's job never matches contacts against a
 * half-written set of segments.
 */
#include <stdio.h>
#include <string.h>

#include "store/contact_row.h"

/* A segment's columns, as read_segment reads them. */
#define SEGMENT_COLUMNS                                                                        \
    "s.id, s.name, s.query_dsl, s.parent_list_id, s.created_at, s.updated_at, s.evaluated_at," \
    " s.error, s.account_id, s.members_version, s.contacts_count"

static void read_segment(db_stmt *st, arena *a, segment_row *out)
{
    memset(out, 0, sizeof *out);
    const char *id = db_col_text(st, 0);
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    out->name = db_col_text_dup(st, 1, a);
    out->query_dsl = db_col_text_dup(st, 2, a);
    out->parent_list_id = db_col_text_dup(st, 3, a);
    out->created_at = db_col_int(st, 4);
    out->updated_at = db_col_int(st, 5);
    out->evaluated_at = db_col_int(st, 6);
    out->error = db_col_text_dup(st, 7, a);
    out->account = db_col_int(st, 8);
    out->members_version = db_col_int(st, 9);
    out->contacts_count = db_col_int(st, 10);
}

/* Every row of q on c (account < 0: q takes no parameter). */
static int collect_segments(db_conn *c, db_query *q, int64_t account, arena *a, segment_row **rows,
                            size_t *count)
{
    *rows = NULL;
    *count = 0;
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    if (account >= 0)
        db_bind_int(st, 1, account);
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *rows = arena_grow(a, *rows, *count, &cap, sizeof **rows);
        read_segment(st, a, &(*rows)[(*count)++]);
    }
    db_done(st);
    return rc;
}

static db_query list_q = DB_SQL("SELECT " SEGMENT_COLUMNS " FROM segments s WHERE s.account_id=?1"
                                " ORDER BY s.created_at, s.id");

int store_segment_get(store *s, int64_t account, const char *id, arena *a, segment_row *out)
{
    static db_query q =
        DB_SQL("SELECT " SEGMENT_COLUMNS " FROM segments s WHERE s.account_id=?1 AND s.id=?2");
    db_conn *c;
    db_stmt *st = db_read_prepare(s, &q, &c);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        read_segment(st, a, out);
        rc = STORE_OK;
    }
    db_done(st);
    db_read_done(s, c);
    return rc;
}

int store_segment_list(store *s, int64_t account, arena *a, segment_row **rows, size_t *count)
{
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = collect_segments(c, &list_q, account, a, rows, count);
    db_read_done(s, c);
    return rc;
}

int store_tx_segment_list(store_tx *tx, int64_t account, arena *a, segment_row **rows, size_t *count)
{
    return collect_segments(db_tx(tx), &list_q, account, a, rows, count);
}

int store_tx_segment_all(store_tx *tx, arena *a, segment_row **rows, size_t *count)
{
    static db_query q = DB_SQL("SELECT " SEGMENT_COLUMNS " FROM segments s"
                               " ORDER BY s.account_id, s.created_at, s.id");
    return collect_segments(db_tx(tx), &q, -1, a, rows, count);
}

int store_tx_segment_put(store_tx *tx, int64_t account, const segment_row *seg)
{
    /* Insert, or rewrite every column but created_at (the name index may still refuse). */
    static db_query q = DB_SQL(
        "INSERT INTO segments(account_id, id, name, query_dsl, parent_list_id, created_at,"
        " updated_at, evaluated_at, error) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
        " ON CONFLICT (account_id, id) DO UPDATE SET"
        " members_version=segments.members_version+1, name=excluded.name,"
        " query_dsl=excluded.query_dsl, parent_list_id=excluded.parent_list_id,"
        " updated_at=excluded.updated_at, evaluated_at=excluded.evaluated_at, error=excluded.error");
    int rc;
    db_stmt *st = db_prepare_locked(tx, account, &q, &rc);
    if (!st)
        return rc;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, seg->id);
    db_bind_text(st, 3, seg->name);
    db_bind_text(st, 4, seg->query_dsl);
    db_bind_text(st, 5, seg->parent_list_id);
    db_bind_int(st, 6, seg->created_at);
    db_bind_int(st, 7, seg->updated_at);
    db_bind_int(st, 8, seg->evaluated_at);
    db_bind_text(st, 9, seg->error);
    return db_exec(st);
}

int store_tx_segment_delete(store_tx *tx, int64_t account, const char *id)
{
    static db_query del = DB_SQL("DELETE FROM segments WHERE account_id=?1 AND id=?2");
    static db_query members =
        DB_SQL("DELETE FROM segment_members WHERE account_id=?1 AND segment_id=?2");
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    if (rc == STORE_OK)
        rc = db_exec_account_text(c, &del, account, id);
    if (rc == STORE_OK) {
        rc = db_exec_account_text(c, &members, account, id);
        rc = rc == STORE_NOT_FOUND ? STORE_OK : rc; /* a segment without members */
    }
    return rc;
}

int store_tx_segments_changed(store_tx *tx, int64_t account, const char *segment_id)
{
    static db_query q = DB_SQL("UPDATE segments SET members_version=members_version+1"
                               " WHERE account_id=?1 AND (CAST(?2 AS TEXT) IS NULL OR id=?2)");
    int rc = db_exec_account_text(db_tx(tx), &q, account, segment_id);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int store_tx_segment_count_add(store_tx *tx, int64_t account, const char *segment_id, int64_t delta)
{
    static db_query q =
        DB_SQL("UPDATE segments SET contacts_count=contacts_count+?3 WHERE account_id=?1 AND id=?2");
    if (!delta)
        return STORE_OK;
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, segment_id);
    db_bind_int(st, 3, delta);
    return db_exec(st);
}

int store_tx_segment_member_set(store_tx *tx, int64_t account, const char *segment_id,
                                const char *contact_id, bool in)
{
    static db_query add =
        DB_SQL("INSERT INTO segment_members(account_id, segment_id, contact_id) VALUES(?1,?2,?3)"
               " ON CONFLICT DO NOTHING");
    static db_query remove = DB_SQL(
        "DELETE FROM segment_members WHERE account_id=?1 AND segment_id=?2 AND contact_id=?3");
    db_stmt *st = db_prepare(db_tx(tx), in ? &add : &remove);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, segment_id);
    db_bind_text(st, 3, contact_id);
    int rc = db_exec_found(st);
    /* 1 when a row changed, 0 when it was already so */
    return rc == STORE_OK ? 1 : rc == STORE_NOT_FOUND ? 0 : rc;
}

static db_query contact_segments_q =
    DB_SQL_LOOKUP("SELECT segment_id FROM segment_members WHERE account_id=?1 AND contact_id=?2"
                  " ORDER BY segment_id");

int store_contact_segment_ids(store *s, int64_t account, const char *contact_id, arena *a,
                              const char ***ids, size_t *count)
{
    db_conn *c = db_read(s);
    if (!c) {
        *ids = NULL;
        *count = 0;
        return STORE_ERROR;
    }
    int rc = db_collect_account_text(c, &contact_segments_q, account, contact_id, a, ids, count);
    db_read_done(s, c);
    return rc;
}

int store_tx_contact_segment_ids(store_tx *tx, int64_t account, const char *contact_id, arena *a,
                                 const char ***ids, size_t *count)
{
    return db_collect_account_text(db_tx(tx), &contact_segments_q, account, contact_id, a, ids,
                                   count);
}

int store_tx_contact_list_json(store_tx *tx, int64_t account, const char *contact_id, arena *a,
                               const char **json)
{
    static db_query q =
        DB_SQL2("SELECT json_group_array(list_id) FROM (SELECT list_id FROM list_members"
                " WHERE account_id=?1 AND contact_id=?2 ORDER BY list_id)",
                "SELECT COALESCE(json_agg(list_id ORDER BY list_id), '[]')::text FROM list_members"
                " WHERE account_id=?1 AND contact_id=?2");
    const char **rows;
    size_t n;
    int rc = db_collect_account_text(db_tx(tx), &q, account, contact_id, a, &rows, &n);
    if (rc == STORE_OK)
        *json = n && rows[0] ? rows[0] : "[]";
    return rc;
}

int store_segment_sample(store *s, int64_t account, const char *segment_id, int64_t limit, arena *a,
                         const char ***ids, size_t *count)
{
    static db_query q =
        DB_SQL("SELECT m.contact_id FROM segment_members m JOIN contacts c ON"
               " c.account_id=m.account_id AND c.id=m.contact_id WHERE m.account_id=?1"
               " AND m.segment_id=?2 ORDER BY m.contact_id LIMIT ?3");
    return contact_ids_sample(s, &q, account, segment_id, limit, a, ids, count);
}
