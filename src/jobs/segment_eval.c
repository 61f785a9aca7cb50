/*
 * segment_eval: the job that evaluates one segment over all the contacts of its account
 * (segments.h), in creation order, a slice at a time. Each contact is one record: a match
 * becomes a member, and (unless the segment is fresh, with no rows to undo) a contact
 * that does not match stops being one. Setting both ways, rather than clearing first,
 * keeps every slice correct on its own: a restart, or another node taking the job over,
 * only repeats work. The scan position lives in the decoded job; after a restart the scan
 * starts again from the first contact. When the scan ends the segment is marked evaluated
 * (unless it was edited since the job was queued: that edit queued its own evaluation).
 *
 * segment_clock_sweep queues these jobs for queries that read the clock (NOW(),
 * CURRENT_DATE, INTERVAL), whose matches change with time alone.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/paging.h"
#include "core/segment_query.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kind.h"
#include "jobs/kinds.h"
#include "jobs/segments.h"

typedef struct eval_req {
    char segment_id[UUID_STR_LEN + 1];
    int64_t version; /* the segment's updated_at when the job was queued */
    bool fresh;
    bool started;
    scan_cursor after;
    size_t page_rows; /* the next scan page's size (core/paging.h); 0 before the first */
} eval_req;

static char *eval_payload(const char *segment_id, int64_t version, bool fresh, size_t *len)
{
    json_t *o = json_pack("{s:s, s:I, s:b}", "segment_id", segment_id, "version",
                          (json_int_t)version, "fresh", fresh);
    return job_payload_dump(o, len);
}

int segment_eval_submit(store_tx *tx, int64_t account, const segment_row *seg, bool fresh,
                        char job_id[UUID_STR_LEN + 1])
{
    size_t len;
    char *payload = eval_payload(seg->id, seg->updated_at, fresh, &len);
    if (!payload)
        return STORE_ERROR;
    job_submit sub = {
        .account = account, .kind = JOB_SEGMENT_EVAL, .payload = payload, .payload_len = len};
    char id[UUID_STR_LEN + 1] = "";
    int rc = jobs_tx_insert(tx, &sub, id);
    free(payload);
    if (rc == STORE_OK && job_id)
        memcpy(job_id, id, sizeof id);
    return rc;
}

static void *decode_fn(store_tx *tx, int64_t account, const char *payload, size_t len)
{
    (void)tx;
    (void)account;
    json_t *o = json_loadb(payload, len, 0, NULL);
    const char *id = json_string_value(json_object_get(o, "segment_id"));
    eval_req *r = NULL;
    if (id && strlen(id) <= UUID_STR_LEN) {
        r = calloc(1, sizeof *r);
        if (!r)
            abort();
        snprintf(r->segment_id, sizeof r->segment_id, "%s", id);
        r->version = json_integer_value(json_object_get(o, "version"));
        r->fresh = json_is_true(json_object_get(o, "fresh"));
    }
    json_decref(o);
    return r;
}

static void free_fn(void *decoded)
{
    free(decoded);
}

/* The scan is over: record that the segment's membership is exact. */
static int finish(store_tx *tx, int64_t account, const eval_req *r, const segcompiled *seg)
{
    if (seg->row.updated_at != r->version)
        return STORE_OK;
    segment_row row = seg->row;
    row.evaluated_at = time_now_ms();
    row.error = seg->error;
    return store_tx_segment_put(tx, account, &row);
}

static long apply_fn(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                     job_counts *counts, bool *finished)
{
    eval_req *r = decoded;
    segset set;
    if (segset_load(tx, job->account, r->segment_id, &set) != STORE_OK) {
        segset_free(&set);
        return STORE_ERROR;
    }
    if (set.count == 0) { /* deleted since */
        segset_free(&set);
        *finished = true;
        return 0;
    }
    const segcompiled *seg = &set.items[0];
    arena page = ARENA_INIT;
    contact *rows;
    size_t n;
    long applied = STORE_ERROR;
    double started = time_mono_ms();
    size_t want = r->page_rows ? r->page_rows : scan_page_rows(0, 0);
    want = want < budget ? want : budget;
    if (store_tx_contact_scan(tx, job->account, r->started ? &r->after : NULL, (int64_t)want,
                              set.need_lists, &page, &rows, &n) == STORE_OK) {
        r->page_rows = scan_page_rows(want, page.total);
        applied = 0;
        int64_t delta = 0;
        /* the page, or less once the slice has run JOB_SLICE_MS */
        for (size_t i = 0; i < n && !(i > 0 && job_slice_over(started, 0)); i++, applied++) {
            bool in = segcompiled_match(seg, &rows[i]);
            if (!in && r->fresh)
                continue;
            int changed = store_tx_segment_member_set(tx, job->account, seg->row.id, rows[i].id, in);
            if (changed < 0) {
                applied = STORE_ERROR;
                break;
            }
            delta += changed ? (in ? 1 : -1) : 0;
        }
        if (applied >= 0 &&
            store_tx_segment_count_add(tx, job->account, seg->row.id, delta) != STORE_OK)
            applied = STORE_ERROR;
        if (applied > 0 && store_tx_segments_changed(tx, job->account, seg->row.id) != STORE_OK)
            applied = STORE_ERROR;
        if (applied > 0) {
            scan_cursor_of(&rows[applied - 1], &r->after);
            r->started = true;
        }
        if (applied >= 0 && (size_t)applied == n && n < want) {
            *finished = true;
            if (finish(tx, job->account, r, seg) != STORE_OK)
                applied = STORE_ERROR;
        }
    }
    if (applied > 0) {
        counts->requested += applied;
        counts->updated += applied;
    }
    arena_release(&page);
    segset_free(&set);
    return applied;
}

/* The sweep's note of segment id, or NULL. */
static struct swept *swept_find(segment_sweep *st, int64_t account, const char *id)
{
    for (size_t i = 0; i < st->count; i++)
        if (st->items[i].account == account && strcmp(st->items[i].id, id) == 0)
            return &st->items[i];
    return NULL;
}

int segment_clock_sweep(store_tx *tx, segment_sweep *st)
{
    arena a = ARENA_INIT;
    segment_row *rows;
    size_t n;
    int rc = store_tx_segment_all(tx, &a, &rows, &n);
    int64_t now = time_now_ms();
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        segment_row *seg = &rows[i];
        segment_query sq;
        bool clock = segment_query_parse(seg->query_dsl, &sq, NULL, 0) == 0 && sq.clock;
        segment_query_free(&sq);
        /* evaluated_at 0: an evaluation is queued already (create, edit) */
        if (!clock || seg->evaluated_at == 0 || now - seg->evaluated_at < SEGMENT_CLOCK_PERIOD_MS)
            continue;
        struct swept *w = swept_find(st, seg->account, seg->id);
        if (w && w->queued_at > seg->evaluated_at)
            continue; /* ours is still to finish */
        if (!w) {
            if (st->count == st->cap) {
                st->cap = st->cap ? 2 * st->cap : 16;
                st->items = realloc(st->items, st->cap * sizeof *st->items);
                if (!st->items)
                    abort();
            }
            w = &st->items[st->count++];
            w->account = seg->account;
            snprintf(w->id, sizeof w->id, "%s", seg->id);
        }
        w->queued_at = now;
        rc = segment_eval_submit(tx, seg->account, seg, false, NULL);
    }
    arena_release(&a);
    return rc;
}

void segment_sweep_free(segment_sweep *st)
{
    free(st->items);
    memset(st, 0, sizeof *st);
}

const job_kind_ops job_segment_eval_ops = {
    .decode = decode_fn,
    .free = free_fn,
    .apply = apply_fn,
};
