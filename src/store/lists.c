/*
 * lists: the lists of store.h (read, page, sample, create, rename, delete, members),
 * written once over driver.h for both engines. Writes to a list hold the account's lock
 * (db_lock_account); membership changes are noted for segment sync (touch.h).
 */
#include <stdio.h>

#include "core/timeutil.h"
#include "store/contact_row.h"
#include "store/touch.h"

/* A list's columns, as read_list reads them. */
#define LIST_COLUMNS                                     \
    "l.id, l.name, (SELECT count(*) FROM list_members m" \
    " WHERE m.account_id=l.account_id AND m.list_id=l.id)"

static void read_list(db_stmt *st, arena *a, list_info *out)
{
    const char *id = db_col_text(st, 0);
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    out->name = db_col_text_dup(st, 1, a);
    out->contact_count = db_col_int(st, 2);
}

static int list_get(db_conn *c, int64_t account, const char *id, arena *a, list_info *out)
{
    static db_query q =
        DB_SQL("SELECT " LIST_COLUMNS " FROM lists l WHERE l.account_id=?1 AND l.id=?2");
    db_stmt *st = db_prepare(c, &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        read_list(st, a, out);
        rc = STORE_OK;
    }
    db_done(st);
    return rc;
}

int store_list_get(store *s, int64_t account, const char *id, arena *a, list_info *out)
{
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = list_get(c, account, id, a, out);
    db_read_done(s, c);
    return rc;
}

int store_tx_list_get(store_tx *tx, int64_t account, const char *id, arena *a, list_info *out)
{
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    return rc == STORE_OK ? list_get(c, account, id, a, out) : rc;
}

/* One page of the account's lists on c, in creation order. */
static int list_page(db_conn *c, int64_t account, int64_t offset, int64_t limit, arena *a,
                     list_info **rows, size_t *count, int64_t *total)
{
    static db_query count_q = DB_SQL("SELECT count(*) FROM lists WHERE account_id=?1");
    static db_query page_q = DB_SQL("SELECT " LIST_COLUMNS " FROM lists l WHERE l.account_id=?1"
                                    " ORDER BY l.created_at, l.id LIMIT ?2 OFFSET ?3");
    db_stmt *st = db_prepare(c, &count_q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    int rc = db_row_ints(st, total, 1);
    if (rc != STORE_OK)
        return STORE_ERROR;
    if (!(st = db_prepare(c, &page_q)))
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_int(st, 2, limit);
    db_bind_int(st, 3, offset);
    size_t cap = 0;
    while ((rc = db_step(st)) == DB_ROW && (int64_t)*count < limit) {
        *rows = arena_grow(a, *rows, *count, &cap, sizeof **rows);
        read_list(st, a, &(*rows)[(*count)++]);
    }
    db_done(st);
    return rc == DB_ROW ? STORE_OK : rc;
}

int store_list_page(store *s, int64_t account, int64_t offset, int64_t limit, arena *a,
                    list_info **rows, size_t *count, int64_t *total)
{
    *rows = NULL;
    *count = 0;
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = list_page(c, account, offset, limit, a, rows, count, total);
    db_read_done(s, c);
    return rc;
}

int store_list_sample(store *s, int64_t account, const char *list_id, int64_t limit, arena *a,
                      const char ***ids, size_t *count)
{
    static db_query q =
        DB_SQL("SELECT m.contact_id FROM list_members m JOIN contacts c ON"
               " c.account_id=m.account_id AND c.id=m.contact_id WHERE m.account_id=?1"
               " AND m.list_id=?2 ORDER BY m.added_at DESC, c.id LIMIT ?3");
    return contact_ids_sample(s, &q, account, list_id, limit, a, ids, count);
}

/* created_at: now, or 1 ms past the account's newest list, so that lists created within
 * one millisecond still page in creation order (ORDER BY created_at; ids are random). */
#define LIST_CREATED(greatest) \
    greatest "(?4, COALESCE((SELECT max(created_at) + 1 FROM lists WHERE account_id=?1), 0))"
#define LIST_INSERT(greatest)                                                                        \
    "INSERT INTO lists(account_id, id, name, created_at, updated_at) VALUES(?1,?2,?3," LIST_CREATED( \
        greatest) "," LIST_CREATED(greatest) ") ON CONFLICT DO NOTHING"

int store_tx_list_create(store_tx *tx, int64_t account, const char *id, const char *name)
{
    static db_query q = DB_SQL2(LIST_INSERT("max"), LIST_INSERT("GREATEST"));
    int rc;
    db_stmt *st = db_prepare_locked(tx, account, &q, &rc);
    if (!st)
        return rc;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, id);
    db_bind_text(st, 3, name);
    db_bind_int(st, 4, time_now_ms());
    rc = db_exec_found(st);
    return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

int store_tx_list_rename(store_tx *tx, int64_t account, const char *id, const char *name)
{
    static db_query q =
        DB_SQL("UPDATE lists SET name=?1, updated_at=?2 WHERE account_id=?3 AND id=?4");
    int rc;
    db_stmt *st = db_prepare_locked(tx, account, &q, &rc);
    if (!st)
        return rc;
    db_bind_text(st, 1, name);
    db_bind_int(st, 2, time_now_ms());
    db_bind_int(st, 3, account);
    db_bind_text(st, 4, id);
    return db_exec_found(st);
}

static int member_ids(db_conn *c, int64_t account, const char *list_id, arena *a, const char ***ids,
                      size_t *count)
{
    static db_query q = DB_SQL("SELECT contact_id FROM list_members WHERE account_id=?1"
                               " AND list_id=?2 ORDER BY contact_id");
    return db_collect_account_text(c, &q, account, list_id, a, ids, count);
}

int store_tx_list_member_ids(store_tx *tx, int64_t account, const char *list_id, arena *a,
                             const char ***ids, size_t *count)
{
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    return rc == STORE_OK ? member_ids(c, account, list_id, a, ids, count) : rc;
}

int store_tx_list_delete(store_tx *tx, int64_t account, const char *id)
{
    static db_query del = DB_SQL("DELETE FROM lists WHERE account_id=?1 AND id=?2");
    static db_query members = DB_SQL("DELETE FROM list_members WHERE account_id=?1 AND list_id=?2");
    db_conn *c = db_tx(tx);
    int rc = db_lock_account(c, account);
    if (rc != STORE_OK)
        return rc;
    /* Its members leave the list: note them before they are gone. */
    arena a = ARENA_INIT;
    const char **ids = NULL;
    size_t n = 0;
    rc = member_ids(c, account, id, &a, &ids, &n);
    if (rc == STORE_OK)
        rc = db_exec_account_text(c, &del, account, id);
    if (rc == STORE_OK) {
        rc = db_exec_account_text(c, &members, account, id);
        rc = rc == STORE_NOT_FOUND ? STORE_OK : rc; /* an empty list */
    }
    for (size_t i = 0; rc == STORE_OK && i < n; i++)
        store_tx_touch_contact(tx, account, ids[i], TOUCH_LISTS, NULL);
    arena_release(&a);
    return rc;
}

int store_tx_list_add(store_tx *tx, int64_t account, const char *list_id, const char *contact_id)
{
    static db_query q = DB_SQL("INSERT INTO list_members(account_id, list_id, contact_id, added_at)"
                               " VALUES(?1,?2,?3,?4) ON CONFLICT DO NOTHING");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, list_id);
    db_bind_text(st, 3, contact_id);
    db_bind_int(st, 4, time_now_ms());
    int rc = db_exec_deferred(st); /* DO NOTHING: only a database fault can fail it */
    if (rc == STORE_OK)
        store_tx_touch_contact(tx, account, contact_id, TOUCH_LISTS, NULL);
    return rc;
}

int store_tx_list_remove(store_tx *tx, int64_t account, const char *list_id, const char *contact_id)
{
    static db_query q =
        DB_SQL("DELETE FROM list_members WHERE account_id=?1 AND list_id=?2 AND contact_id=?3");
    db_stmt *st = db_prepare(db_tx(tx), &q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, list_id);
    db_bind_text(st, 3, contact_id);
    int rc = db_exec_found(st);
    if (rc == STORE_OK)
        store_tx_touch_contact(tx, account, contact_id, TOUCH_LISTS, NULL);
    return rc;
}
