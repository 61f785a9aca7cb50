/*
 * segment_sync: live segment membership (segments.h). Before each commit the writer hands
 * over what the transaction changed; every touched contact of an account with segments is
 * matched against them once (however often the transaction touched it), and only the rows
 * that differ are written. A contact inserted in this transaction has no rows yet, and the
 * row the upsert wrote is matched as is, so a plain upsert into an account without list
 * conditions costs no extra read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "jobs/segments.h"

/* What the transaction did to one contact, all its notes folded. */
typedef struct folded {
    int64_t account;
    const char *id;
    bool created, gone, lists;
    const contact *row;
} folded;

static int by_account_id(const void *a, const void *b)
{
    const store_touched *x = *(const store_touched *const *)a, *y = *(const store_touched *const *)b;
    if (x->account != y->account)
        return x->account < y->account ? -1 : 1;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x < y ? -1 : x > y; /* notes keep their order: the later one wins */
}

/* Write the difference between the contact's rows and the segments it matches; delta[i]
 * adds up the change of set->items[i]'s member count. */
static int sync_one(store_tx *tx, const segset *set, const folded *f, arena *scratch, int64_t *delta)
{
    contact c;
    if (f->row) {
        c = *f->row; /* as written; only its lists may be unknown */
    } else {
        int rc = store_tx_contact_get(tx, f->account, f->id, scratch, &c);
        if (rc == STORE_NOT_FOUND)
            return STORE_OK;
        if (rc != STORE_OK)
            return rc;
    }
    if (set->need_lists) {
        if (f->created && !f->lists)
            c.list_ids = "[]"; /* new, and in no list */
        else if (store_tx_contact_list_json(tx, f->account, f->id, scratch, &c.list_ids) != STORE_OK)
            return STORE_ERROR;
    }
    const char **have = NULL;
    size_t nhave = 0;
    if (!f->created &&
        store_tx_contact_segment_ids(tx, f->account, f->id, scratch, &have, &nhave) != STORE_OK)
        return STORE_ERROR;
    for (size_t i = 0; i < set->count; i++) {
        const segcompiled *seg = &set->items[i];
        bool want = segcompiled_match(seg, &c);
        bool is = false;
        for (size_t k = 0; k < nhave && !is; k++)
            is = strcmp(have[k], seg->row.id) == 0;
        if (want == is)
            continue;
        int changed = store_tx_segment_member_set(tx, f->account, seg->row.id, f->id, want);
        if (changed < 0)
            return STORE_ERROR;
        delta[i] += changed ? (want ? 1 : -1) : 0;
    }
    return STORE_OK;
}

/* Record the count changes of the set's segments, and start again from zero. */
static int flush_counts(store_tx *tx, const segset *set, int64_t *delta)
{
    for (size_t i = 0; i < set->count; i++) {
        if (store_tx_segment_count_add(tx, set->items[i].row.account, set->items[i].row.id,
                                       delta[i]) != STORE_OK)
            return STORE_ERROR;
        delta[i] = 0;
    }
    return STORE_OK;
}

static bool account_in(const int64_t *accounts, size_t n, int64_t account)
{
    for (size_t i = 0; i < n; i++)
        if (accounts[i] == account)
            return true;
    return false;
}

/* Every contact of the account against every segment: after a custom field was renamed
 * or deleted, queries may bind differently or no longer compile. */
static int resync_account(store_tx *tx, int64_t account)
{
    segset set;
    if (segset_load(tx, account, NULL, &set) != STORE_OK) {
        segset_free(&set);
        return STORE_ERROR;
    }
    int rc = STORE_OK;
    int64_t now = time_now_ms();
    for (size_t i = 0; i < set.count && rc == STORE_OK; i++) {
        segment_row row = set.items[i].row;
        row.error = set.items[i].error;
        row.evaluated_at = now;
        rc = store_tx_segment_put(tx, account, &row);
    }
    scan_cursor after, *at = NULL;
    arena page = ARENA_INIT, scratch = ARENA_INIT;
    int64_t *delta = arena_calloc(&set.mem, set.count ? set.count : 1, sizeof *delta);
    bool lists = set.need_lists;
    set.need_lists = false; /* the scan reads them: sync_one need not */
    while (rc == STORE_OK && set.count) {
        contact *rows;
        size_t n;
        rc = store_tx_contact_scan(tx, account, at, 1000, lists, &page, &rows, &n);
        for (size_t i = 0; rc == STORE_OK && i < n; i++) {
            folded f = {.account = account, .id = rows[i].id, .row = &rows[i]};
            rc = sync_one(tx, &set, &f, &scratch, delta);
            arena_release(&scratch);
        }
        if (rc != STORE_OK || n < 1000)
            break;
        scan_cursor_of(&rows[n - 1], &after);
        at = &after;
        arena_release(&page);
    }
    if (rc == STORE_OK)
        rc = flush_counts(tx, &set, delta);
    arena_release(&page);
    arena_release(&scratch);
    segset_free(&set);
    return rc;
}

int segment_sync(store_tx *tx)
{
    store_touched *notes;
    size_t n, naccounts;
    int64_t *accounts;
    store_tx_touched_take(tx, &notes, &n, &accounts, &naccounts);
    for (size_t i = 0; i < naccounts; i++)
        if (resync_account(tx, accounts[i]) != STORE_OK)
            return STORE_ERROR;
    if (n == 0)
        return STORE_OK;
    const store_touched **order = malloc(n * sizeof *order);
    if (!order)
        abort();
    for (size_t i = 0; i < n; i++)
        order[i] = &notes[i];
    qsort(order, n, sizeof *order, by_account_id);
    int rc = STORE_OK;
    segset set = {0};
    int64_t loaded = -1;
    int64_t *delta = NULL;
    arena scratch = ARENA_INIT;
    for (size_t i = 0; i < n && rc == STORE_OK;) {
        folded f = {.account = order[i]->account, .id = order[i]->id};
        for (; i < n && order[i]->account == f.account && strcmp(order[i]->id, f.id) == 0; i++) {
            const store_touched *t = order[i];
            if (t->what == TOUCH_INSERT)
                f.created = true;
            if (t->what == TOUCH_DELETE)
                f.gone = true; /* its rows went with it */
            if (t->what == TOUCH_LISTS)
                f.lists = true;
            if (t->row)
                f.row = t->row;
        }
        if (account_in(accounts, naccounts, f.account))
            continue;
        if (f.account != loaded) {
            if (delta && flush_counts(tx, &set, delta) != STORE_OK) {
                rc = STORE_ERROR;
                break;
            }
            segset_free(&set);
            loaded = f.account;
            /* Its contacts changed: cached samples of its segments are stale. */
            if (segset_load(tx, f.account, NULL, &set) != STORE_OK ||
                (set.count && store_tx_segments_changed(tx, f.account, NULL) != STORE_OK)) {
                rc = STORE_ERROR;
                break;
            }
            delta = arena_calloc(&set.mem, set.count ? set.count : 1, sizeof *delta);
        }
        if (f.gone || set.count == 0 || (f.lists && !f.row && !set.need_lists))
            continue;
        rc = sync_one(tx, &set, &f, &scratch, delta);
        if (scratch.total > (1u << 20))
            arena_release(&scratch);
    }
    if (rc == STORE_OK && delta)
        rc = flush_counts(tx, &set, delta);
    arena_release(&scratch);
    segset_free(&set);
    free(order);
    return rc;
}
