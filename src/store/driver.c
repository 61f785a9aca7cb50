/*
 * driver: what the query files share on top of driver.h's calls (statement slots, running
 * a statement to its end or deferring it, one-row integer reads, collecting rows into an
 * arena array). Engine-free: the engines are in sqlite.c and postgres.c.
 */
#include "store/driver.h"

#include <stdio.h>
#include <stdlib.h>

int db_query_slot(db_query *q)
{
    int slot = __atomic_load_n(&q->slot, __ATOMIC_ACQUIRE);
    if (slot)
        return slot - 1;
    static int next;
    int mine = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
    if (mine > DB_SLOTS) {
        /* A build-time constant outgrown: fail loudly at the first test run. */
        fprintf(stderr, "contactd: store: more than %d statements (raise DB_SLOTS)\n", DB_SLOTS);
        abort();
    }
    int expected = 0;
    /* Two threads may race for a fresh query: the first one's slot wins, the other's
     * number is simply never used. */
    if (!__atomic_compare_exchange_n(&q->slot, &expected, mine, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expected - 1;
    return mine - 1;
}

const char *db_col_text_dup(db_stmt *st, int i, arena *a)
{
    size_t len = 0;
    const char *t = st->drv->col_text(st, i, &len);
    return t ? arena_strndup(a, t, len) : NULL;
}

int db_exec(db_stmt *st)
{
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        ;
    db_done(st);
    return rc;
}

int db_exec_deferred(db_stmt *st)
{
    return st->drv->exec_deferred ? st->drv->exec_deferred(st) : db_exec(st);
}

int db_sync(db_conn *c)
{
    return c->drv->sync ? c->drv->sync(c) : STORE_OK;
}

int db_exec_found(db_stmt *st)
{
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        ;
    if (rc == STORE_OK && db_changes(st) == 0)
        rc = STORE_NOT_FOUND;
    db_done(st);
    return rc;
}

int db_row_ints(db_stmt *st, int64_t *out, int n)
{
    int rc = db_step_one(st);
    if (rc == DB_ROW) {
        for (int i = 0; i < n; i++)
            out[i] = db_col_int(st, i);
        rc = STORE_OK;
    }
    db_done(st);
    return rc;
}

int db_exec_account_text(db_conn *c, db_query *q, int64_t account, const char *text)
{
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    db_bind_int(st, 1, account);
    db_bind_text(st, 2, text);
    return db_exec_found(st);
}

db_stmt *db_prepare_locked(store_tx *tx, int64_t account, db_query *q, int *rc)
{
    db_conn *c = db_tx(tx);
    *rc = db_lock_account(c, account);
    if (*rc != STORE_OK)
        return NULL;
    db_stmt *st = db_prepare(c, q);
    *rc = st ? STORE_OK : STORE_ERROR;
    return st;
}

db_stmt *db_read_prepare(store *s, db_query *q, db_conn **c)
{
    *c = db_read(s);
    if (!*c)
        return NULL;
    db_stmt *st = db_prepare(*c, q);
    if (!st)
        db_read_done(s, *c);
    return st;
}

int db_step_one(db_stmt *st)
{
    int rc = db_step(st);
    return rc == STORE_OK ? STORE_NOT_FOUND : rc;
}

int db_collect(db_stmt *st, db_rows *r)
{
    r->items = NULL;
    r->count = 0;
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        /* arena_grow zeroes what it adds, so fill starts from a zeroed element. */
        r->items = arena_grow(r->a, r->items, r->count, &cap, r->elem);
        r->fill(st, r->a, r->ctx, (char *)r->items + r->count * r->elem);
        r->count++;
    }
    db_done(st);
    return rc;
}

static void bind_args(db_stmt *st, const db_arg *args, size_t nargs)
{
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].is_text)
            db_bind_text(st, (int)i + 1, args[i].text);
        else
            db_bind_int(st, (int)i + 1, args[i].i);
    }
}

int db_read_ints(store *s, db_query *q, const db_arg *args, size_t nargs, int64_t *out, int n)
{
    db_conn *c;
    db_stmt *st = db_read_prepare(s, q, &c);
    if (!st)
        return STORE_ERROR;
    bind_args(st, args, nargs);
    int rc = db_row_ints(st, out, n);
    db_read_done(s, c);
    return rc;
}

int db_collect_query(db_conn *c, db_query *q, const db_arg *args, size_t nargs, db_rows *r)
{
    r->items = NULL;
    r->count = 0;
    db_stmt *st = db_prepare(c, q);
    if (!st)
        return STORE_ERROR;
    bind_args(st, args, nargs);
    return db_collect(st, r);
}

int db_read_collect(store *s, db_query *q, const db_arg *args, size_t nargs, db_rows *r)
{
    r->items = NULL;
    r->count = 0;
    db_conn *c = db_read(s);
    if (!c)
        return STORE_ERROR;
    int rc = db_collect_query(c, q, args, nargs, r);
    db_read_done(s, c);
    return rc;
}
