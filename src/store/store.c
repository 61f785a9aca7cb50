/*
 * store: the dispatch behind store.h (see backend.h).
 *
 * store_open picks the backend from the path: a postgres:// or postgresql:// URL (or a
 * libpq keyword string such as "host=db dbname=contacts") opens PostgreSQL, anything
 * else (a file name, ":memory:") opens SQLite. The operations of store.h are written once
 * over the driver (driver.h) in the query files (accounts.c, jobs.c, ...); what is left
 * here is the engine's part (open and close, transactions, savepoints, the file checks),
 * forwarded to the backend's table with one indirect call, and what the transaction keeps
 * for the query files (touch.h). db_read, db_tx hand the query files the backend's
 * connections.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "store/touch.h"

/* What the transaction changed (store_tx_touched_take): notes in `mem`, and the arena
 * `taken_mem` keeps the last batch handed out alive until the next take. */
/* Savepoints a touch log follows (the backends nest at most this deep). */
#define TOUCH_SAVEPOINTS 16

typedef struct touch_log {
    arena mem, taken_mem;
    store_touched *items;
    size_t count, cap;
    int64_t *accounts;
    size_t naccounts, acap;
    /* counts at each open savepoint: a rollback forgets what was noted since */
    size_t sp_count[TOUCH_SAVEPOINTS], sp_naccounts[TOUCH_SAVEPOINTS];
    int sp_depth;
} touch_log;

struct store_tx {
    const store_backend *be;
    store_tx_impl *impl;
    touch_log log;
    job_claims claims;
    fields_memo fields;
};

struct store {
    const store_backend *be;
    store_impl *impl;
    store_tx tx; /* the one write transaction; the backend serialises it */
};

bool store_path_is_postgres(const char *path)
{
    static const char *const prefixes[] = {
        "postgres://", "postgresql://", "host=", "hostaddr=", "dbname=", "service=",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

store *store_open(const char *path, char *err, size_t err_size)
{
    const store_backend *be = store_path_is_postgres(path) ? &postgres_backend : &sqlite_backend;
    store_impl *impl = be->open(path, err, err_size);
    if (!impl)
        return NULL;
    store *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->be = be;
    s->impl = impl;
    s->tx.be = be;
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    s->be->close(s->impl);
    free(s);
}

bool store_is_shared(const store *s)
{
    return s->be->shared;
}

static void touch_reset(touch_log *l)
{
    arena_release(&l->mem);
    arena_release(&l->taken_mem);
    l->items = NULL;
    l->accounts = NULL;
    l->count = l->cap = l->naccounts = l->acap = 0;
    l->sp_depth = 0;
}

static void touch_note(store_tx *tx, int64_t account, const char *id, store_touch what,
                       const contact *row)
{
    touch_log *l = &tx->log;
    l->items = arena_grow(&l->mem, l->items, l->count, &l->cap, sizeof *l->items);
    store_touched *t = &l->items[l->count++];
    t->account = account;
    snprintf(t->id, sizeof t->id, "%s", id);
    t->what = what;
    t->row = NULL;
    if (row) {
        contact *c = arena_alloc(&l->mem, sizeof *c);
        *c = *row;
        for (int i = 0; i < CF_COUNT; i++)
            c->field[i] = row->field[i] ? arena_strdup(&l->mem, row->field[i]) : NULL;
        c->alternate_emails =
            row->alternate_emails ? arena_strdup(&l->mem, row->alternate_emails) : NULL;
        c->custom_fields = row->custom_fields ? arena_strdup(&l->mem, row->custom_fields) : NULL;
        c->list_ids = NULL;
        t->row = c;
    }
}

static void touch_account(store_tx *tx, int64_t account)
{
    touch_log *l = &tx->log;
    for (size_t i = 0; i < l->naccounts; i++)
        if (l->accounts[i] == account)
            return;
    l->accounts = arena_grow(&l->mem, l->accounts, l->naccounts, &l->acap, sizeof *l->accounts);
    l->accounts[l->naccounts++] = account;
}

void store_tx_touch_contact(store_tx *tx, int64_t account, const char *id, store_touch what,
                            const contact *row)
{
    touch_note(tx, account, id, what, row);
}

void store_tx_touch_account(store_tx *tx, int64_t account)
{
    touch_account(tx, account);
}

job_claims *store_tx_job_claims(store_tx *tx)
{
    return &tx->claims;
}

fields_memo *store_tx_fields_memo(store_tx *tx)
{
    return &tx->fields;
}

void store_tx_fields_changed(store_tx *tx)
{
    tx->fields.valid = false;
    arena_release(&tx->fields.mem);
}

void store_tx_touched_take(store_tx *tx, store_touched **contacts, size_t *ncontacts,
                           int64_t **accounts, size_t *naccounts)
{
    touch_log *l = &tx->log;
    *contacts = l->items;
    *ncontacts = l->count;
    *accounts = l->accounts;
    *naccounts = l->naccounts;
    arena handed = l->mem; /* kept until the next take; the batch before goes */
    l->mem = (arena)ARENA_INIT;
    touch_reset(l);
    l->taken_mem = handed;
}

db_conn *db_read(store *s)
{
    return s->be->read(s->impl);
}

void db_read_done(store *s, db_conn *c)
{
    s->be->read_done(s->impl, c);
}

db_conn *db_tx(store_tx *tx)
{
    return tx->be->tx_conn(tx->impl);
}

int store_tx_begin(store *s, store_tx **out)
{
    store_tx_impl *impl;
    int rc = s->be->tx_begin(s->impl, &impl);
    if (rc != STORE_OK)
        return rc;
    /* The backend's lock is held from here to commit or rollback. */
    s->tx.impl = impl;
    touch_reset(&s->tx.log);
    s->tx.claims = (job_claims){0};
    store_tx_fields_changed(&s->tx);
    *out = &s->tx;
    return STORE_OK;
}

int store_tx_commit(store_tx *tx)
{
    touch_reset(&tx->log); /* before the backend lets the next transaction in */
    store_tx_fields_changed(tx);
    return tx->be->tx_commit(tx->impl);
}

void store_tx_rollback(store_tx *tx)
{
    touch_reset(&tx->log);
    store_tx_fields_changed(tx);
    tx->be->tx_rollback(tx->impl);
}

const char *store_write_problem(store *s)
{
    return s->be->write_problem ? s->be->write_problem(s->impl) : NULL;
}

int store_check(store *s, char *err, size_t err_size)
{
    return s->be->check ? s->be->check(s->impl, err, err_size) : STORE_OK;
}

/* The touch log follows the savepoints: what a rolled-back operation noted never happened,
 * and segment membership must not be matched against it. */
int store_tx_savepoint(store_tx *tx)
{
    touch_log *l = &tx->log;
    if (l->sp_depth >= TOUCH_SAVEPOINTS)
        return STORE_ERROR;
    int rc = tx->be->tx_savepoint(tx->impl);
    if (rc == STORE_OK) {
        l->sp_count[l->sp_depth] = l->count;
        l->sp_naccounts[l->sp_depth++] = l->naccounts;
    }
    return rc;
}

int store_tx_savepoint_release(store_tx *tx)
{
    int rc = tx->be->tx_savepoint_release(tx->impl);
    if (tx->log.sp_depth > 0)
        tx->log.sp_depth--;
    return rc;
}

void store_tx_savepoint_rollback(store_tx *tx)
{
    touch_log *l = &tx->log;
    tx->be->tx_savepoint_rollback(tx->impl);
    store_tx_fields_changed(tx); /* it may have been read after a write now undone */
    if (l->sp_depth > 0) {
        l->sp_depth--;
        l->count = l->sp_count[l->sp_depth];
        l->naccounts = l->sp_naccounts[l->sp_depth];
    }
}

int store_tx_sync(store_tx *tx)
{
    return db_sync(db_tx(tx));
}

void scan_cursor_of(const contact *c, scan_cursor *out)
{
    out->created_at = c->created_at;
    memcpy(out->id, c->id, sizeof out->id);
}
