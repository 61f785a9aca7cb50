/*
 * store: the dispatch behind store.h (see backend.h).
 *
 * store_open picks the backend from the path: a postgres:// or postgresql:// URL (or a
 * libpq keyword string such as "host=db dbname=contacts") opens PostgreSQL, anything
 * else (a file name, ":memory:") opens SQLite. The operations already written once over
 * the driver (driver.h; the query files accounts.c, keys.c, ...) are not here; every
 * other function forwards to the backend's table with one indirect call. db_read, db_tx
 * hand the query files the backend's connections.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
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
    *out = &s->tx;
    return STORE_OK;
}

int store_tx_commit(store_tx *tx)
{
    touch_reset(&tx->log); /* before the backend lets the next transaction in */
    return tx->be->tx_commit(tx->impl);
}

void store_tx_rollback(store_tx *tx)
{
    touch_reset(&tx->log);
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

int store_job_pending_stats(store *s, int64_t *count, int64_t *oldest_accepted_at, int64_t *records)
{
    return s->be->job_pending_stats(s->impl, count, oldest_accepted_at, records);
}

int store_job_get(store *s, int64_t account, const char *id, job_info *out)
{
    return s->be->job_get(s->impl, account, id, out);
}

int store_job_errors(store *s, int64_t account, const char *id, int64_t after, size_t limit,
                     arena *a, job_error_row **rows, size_t *count)
{
    return s->be->job_errors(s->impl, account, id, after, limit, a, rows, count);
}

int store_tx_job_insert(store_tx *tx, const job_new *j, int64_t *seq)
{
    char token[JOB_TOKEN_LEN + 1];
    if (random_base64url(token, sizeof token, 24) != 0)
        return STORE_ERROR;
    return tx->be->tx_job_insert(tx->impl, j, token, seq);
}

int store_tx_job_next(store_tx *tx, job_row *out)
{
    return tx->be->tx_job_next(tx->impl, out);
}

int store_tx_job_payload(store_tx *tx, int64_t seq, arena *a, const char **payload, size_t *len)
{
    return tx->be->tx_job_payload(tx->impl, seq, a, payload, len);
}

int store_tx_job_progress(store_tx *tx, int64_t seq, int64_t cursor, const job_counts *c)
{
    return tx->be->tx_job_progress(tx->impl, seq, cursor, c);
}

int store_tx_job_finish(store_tx *tx, int64_t seq, job_status st, const job_counts *c,
                        int64_t finished_at)
{
    return tx->be->tx_job_finish(tx->impl, seq, st, c, finished_at);
}

int store_tx_job_error_add(store_tx *tx, int64_t seq, int64_t index, const char *identifiers,
                           const char *message)
{
    return tx->be->tx_job_error_add(tx->impl, seq, index, identifiers, message);
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
    if (l->sp_depth > 0) {
        l->sp_depth--;
        l->count = l->sp_count[l->sp_depth];
        l->naccounts = l->sp_naccounts[l->sp_depth];
    }
}

void scan_cursor_of(const contact *c, scan_cursor *out)
{
    out->created_at = c->created_at;
    memcpy(out->id, c->id, sizeof out->id);
}

int store_job_list(store *s, int64_t account, job_kind kind, int64_t limit, arena *a,
                   job_listing **rows, size_t *count)
{
    return s->be->job_list(s->impl, account, kind, limit, a, rows, count);
}

int store_job_payload_get(store *s, int64_t account, const char *id, arena *a, const char **payload,
                          size_t *len)
{
    return s->be->job_payload_get(s->impl, account, id, a, payload, len);
}

int store_job_account(store *s, const char *id, int64_t *account)
{
    return s->be->job_account(s->impl, id, account);
}

/* ---- administration ------------------------------------------------------------------ */

int store_tx_job_next_due(store_tx *tx, int64_t now_ms, int64_t *at)
{
    return tx->be->tx_job_next_due(tx->impl, now_ms, at);
}

int store_job_list_all(store *s, int64_t account, int status, int64_t limit, arena *a,
                       job_info **rows, size_t *count)
{
    return s->be->job_list_all(s->impl, account, status, limit, a, rows, count);
}

/* ---- segments ---------------------------------------------------------------------- */
