/*
 * runner: applies pending jobs in acceptance order (see runner.h). The kind-specific
 * work lives in one file per kind (kinds.h); this file only walks the queue, keeps the
 * decoded payload of the job in progress, and records progress and final states.
 */
#include "jobs/runner.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "jobs/kind.h"

static const job_kind_ops *ops_for(job_kind k)
{
    switch (k) {
    case JOB_UPSERT: return &job_upsert_ops;
    case JOB_DELETE_IDENTIFIER: return &job_delete_identifier_ops;
    case JOB_DELETE_CONTACTS: return &job_delete_contacts_ops;
    case JOB_LIST_REMOVE: return &job_list_remove_ops;
    case JOB_IMPORT: return &job_import_ops;
    case JOB_EXPORT: return &job_export_ops;
    case JOB_SEGMENT_EVAL: return &job_segment_eval_ops;
    }
    return NULL;
}


void job_decoded_free(job_kind kind, void *decoded)
{
    const job_kind_ops *ops = ops_for(kind);
    if (ops && decoded)
        ops->free(decoded);
}

/* Drop the decoded payload of the job in progress; the events stay. */
static void forget_decoded(runner_state *st)
{
    job_decoded_free(st->kind, st->decoded);
    st->decoded = NULL;
    st->kind = 0;
    st->job_id[0] = '\0';
}

void runner_state_clear(runner_state *st)
{
    forget_decoded(st);
    free(st->events);
    memset(st, 0, sizeof *st);
}

void runner_events_reset(runner_state *st)
{
    st->nevents = 0;
    st->applied = 0;
}

static void note_event(runner_state *st, const job_row *job, bool finished, job_status status,
                       const job_counts *counts)
{
    if (st->nevents == st->events_cap) {
        size_t cap = st->events_cap ? st->events_cap * 2 : 16;
        runner_event *e = realloc(st->events, cap * sizeof *e);
        if (!e)
            abort();
        st->events = e;
        st->events_cap = cap;
    }
    runner_event *e = &st->events[st->nevents++];
    memcpy(e->job_id, job->info.id, sizeof e->job_id);
    e->kind = job->info.kind;
    e->finished = finished;
    e->status = status;
    e->counts = *counts;
    e->accepted_at = job->info.accepted_at;
}

bool job_slice_over(double started_ms, size_t bytes)
{
    return bytes >= JOB_SLICE_BYTES || time_mono_ms() - started_ms >= JOB_SLICE_MS;
}

/* Write one error row; takes ownership of identifiers. */
static int store_error(store_tx *tx, const job_row *job, int64_t index, json_t *identifiers,
                       const char *message)
{
    char *ids = json_dumps(identifiers, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(identifiers);
    int rc = store_tx_job_error_add(tx, job->seq, index, ids ? ids : "{}", message);
    free(ids);
    return rc;
}

int job_record_error(store_tx *tx, const job_row *job, job_counts *counts, int64_t index,
                     json_t *identifiers, const char *message)
{
    /* counts->errored is committed with the job's cursor, so after a restart it still
     * says how many errors this job has stored (one per errored record, up to the cap) */
    if (++counts->errored > JOB_ERRORS_DETAILED) {
        json_decref(identifiers);
        return STORE_OK;
    }
    return store_error(tx, job, index, identifiers, message);
}

/* job's decoded payload, the caller's to free: the one st keeps, the handler's (take), or
 * decoded from the stored payload; NULL when the payload cannot be decoded. */
static void *decode_job(store_tx *tx, const job_row *job, runner_state *st, runner_take_fn take,
                        void *ctx)
{
    if (st->decoded && strcmp(st->job_id, job->info.id) == 0) {
        void *d = st->decoded;
        st->decoded = NULL;
        forget_decoded(st);
        return d;
    }
    void *d = take ? take(ctx, job->info.id) : NULL;
    if (!d) {
        arena a = ARENA_INIT;
        const char *payload;
        size_t len;
        if (store_tx_job_payload(tx, job->seq, &a, &payload, &len) == STORE_OK)
            d = ops_for(job->info.kind)->decode(tx, job->account, payload, len);
        arena_release(&a);
    }
    return d;
}

/* Make st hold d, job's decoded payload. */
static void keep_decoded(runner_state *st, const job_row *job, void *d)
{
    memcpy(st->job_id, job->info.id, sizeof st->job_id);
    st->kind = job->info.kind;
    st->decoded = d;
}

/* Make st hold the decoded payload of job; NULL when the payload cannot be decoded. */
static void *decoded_for(store_tx *tx, const job_row *job, runner_state *st, runner_take_fn take,
                         void *ctx)
{
    if (st->decoded && strcmp(st->job_id, job->info.id) == 0)
        return st->decoded;
    forget_decoded(st);
    void *d = decode_job(tx, job, st, take, ctx);
    if (d)
        keep_decoded(st, job, d);
    return d;
}

/* Apply first and the account's next jobs together when first's kind can (kind.h,
 * apply_group): the jobs claimed after it (store_tx_job_ahead) of the same kind, none
 * started, up to RUNNER_GROUP of them and cap records in all, each finished here. Returns
 * the records applied, 0 when first goes alone (nothing done), or STORE_ERROR. */
static long run_group(store_tx *tx, const job_row *first, size_t cap, runner_state *st,
                      runner_take_fn take, void *ctx)
{
    const job_kind_ops *ops = ops_for(first->info.kind);
    job_row jobs[RUNNER_GROUP];
    void *decoded[RUNNER_GROUP];
    job_counts counts[RUNNER_GROUP];
    size_t records = 0, n = 0;
    job_row next;
    while (n < RUNNER_GROUP && store_tx_job_ahead(tx, n, &next) == STORE_OK &&
           next.info.kind == first->info.kind && next.cursor == 0 &&
           next.info.counts.requested >= 0 && records + (size_t)next.info.counts.requested <= cap) {
        records += (size_t)next.info.counts.requested;
        jobs[n++] = next;
    }
    if (n < 2)
        return 0;
    size_t ready = 0;
    while (ready < n && (decoded[ready] = decode_job(tx, &jobs[ready], st, take, ctx)))
        ready++;
    if (ready < 2) {
        /* one job can go alone after all (a payload that does not decode fails alone) */
        if (ready == 1) {
            forget_decoded(st); /* an earlier job's, if any: decode_job took first's */
            keep_decoded(st, &jobs[0], decoded[0]);
        }
        return 0;
    }
    for (size_t i = 0; i < ready; i++)
        counts[i] = jobs[i].info.counts;
    long applied = ops->apply_group(tx, jobs, decoded, ready, counts);
    for (size_t i = 0; i < ready; i++)
        ops->free(decoded[i]);
    for (size_t i = 0; applied >= 0 && i < ready; i++) {
        job_status final = job_status_final(&counts[i]);
        if (store_tx_job_finish(tx, jobs[i].seq, final, &counts[i], time_now_ms()) != STORE_OK)
            return STORE_ERROR;
        note_event(st, &jobs[i], false, JOB_PENDING, &jobs[i].info.counts);
        note_event(st, &jobs[i], true, final, &counts[i]);
    }
    if (applied < 0)
        return STORE_ERROR;
    st->applied += (uint64_t)applied;
    return applied > 0 ? applied : 1;
}

/* No job is due: note when the earliest delayed one will be. 0 or STORE_ERROR. */
static int none_due(store_tx *tx, runner_state *st)
{
    int64_t at = 0;
    int rc = store_tx_job_next_due(tx, time_now_ms(), &at);
    if (rc == STORE_ERROR)
        return STORE_ERROR;
    st->wake_at = rc == STORE_OK ? at : 0;
    return 0;
}

/* Whether a step that has applied done records since started should give the
 * transaction back: after one slice (RUNNER_SLICE records or RUNNER_SLICE_MS), if its
 * caller wants it. */
static bool step_over(size_t done, double started, runner_yield_fn should_yield, void *ctx)
{
    return (done >= RUNNER_SLICE || time_mono_ms() - started >= RUNNER_SLICE_MS) && should_yield &&
           should_yield(ctx);
}

static int run_jobs(store_tx *tx, size_t budget, runner_state *st, runner_take_fn take,
                    runner_yield_fn should_yield, void *ctx)
{
    /* Records applied in this step. A step always does at least one slice of work
     * (RUNNER_SLICE records or RUNNER_SLICE_MS) before it yields: yielding after every
     * small job would let a steady stream of requests outrun the jobs they create. */
    size_t done = 0;
    double started = time_mono_ms();
    while (budget > 0) {
        job_row job;
        int rc = store_tx_job_next(tx, &job);
        if (rc == STORE_NOT_FOUND)
            return none_due(tx, st);
        if (rc != STORE_OK)
            return STORE_ERROR;
        const job_kind_ops *ops = ops_for(job.info.kind);
        if (ops && ops->apply_group && job.cursor == 0) {
            /* a group ends where a slice would: at RUNNER_SLICE records done */
            size_t room = RUNNER_SLICE - done % RUNNER_SLICE;
            long applied = run_group(tx, &job, room < budget ? room : budget, st, take, ctx);
            if (applied < 0)
                return STORE_ERROR;
            if (applied > 0) {
                budget -= (size_t)applied < budget ? (size_t)applied : budget;
                done += (size_t)applied;
                if (step_over(done, started, should_yield, ctx))
                    return 1;
                continue;
            }
        }
        job_counts counts = job.info.counts;
        void *decoded = ops ? decoded_for(tx, &job, st, take, ctx) : NULL;
        if (!decoded) {
            /* Unreachable unless the database was edited by hand or a newer contactd
             * wrote a kind this one does not know: fail the job visibly rather than
             * block every job behind it. */
            counts.errored = counts.requested > 0 ? counts.requested : 1;
            json_t *none = json_object();
            if (store_error(tx, &job, 0, none, "the stored job could not be decoded") != STORE_OK ||
                store_tx_job_finish(tx, job.seq, JOB_FAILED, &counts, time_now_ms()) != STORE_OK)
                return STORE_ERROR;
            note_event(st, &job, true, JOB_FAILED, &counts);
            budget--;
            continue;
        }
        /* Apply in small slices so that a waiting submission is noticed within one slice;
         * progress is written once per job per transaction. */
        bool finished = false, yielded = false;
        int64_t start = job.cursor;
        if (start == 0)
            note_event(st, &job, false, JOB_PENDING, &counts);
        do {
            size_t slice = budget < RUNNER_SLICE ? budget : RUNNER_SLICE;
            long applied = ops->apply(tx, &job, decoded, slice, &counts, &finished);
            if (applied < 0)
                return STORE_ERROR;
            job.cursor += applied;
            st->applied += (uint64_t)applied;
            /* A job always costs at least one unit so that the loop ends. */
            size_t cost = (size_t)(applied > 0 ? applied : 1);
            budget -= cost < budget ? cost : budget;
            done += cost;
            yielded = step_over(done, started, should_yield, ctx);
        } while (!finished && budget > 0 && !yielded);
        if (finished) {
            if (store_tx_job_finish(tx, job.seq, job_status_final(&counts), &counts,
                                    time_now_ms()) != STORE_OK)
                return STORE_ERROR;
            note_event(st, &job, true, job_status_final(&counts), &counts);
            forget_decoded(st);
        } else if (job.cursor != start &&
                   store_tx_job_progress(tx, job.seq, job.cursor, &counts) != STORE_OK) {
            return STORE_ERROR;
        }
        /* A job left unfinished is pending work, whatever a probe would say. */
        if (yielded || !finished)
            return 1;
    }
    job_row probe;
    int rc = store_tx_job_next(tx, &probe);
    return rc == STORE_OK ? 1 : rc == STORE_NOT_FOUND ? none_due(tx, st) : STORE_ERROR;
}

int runner_step(store_tx *tx, size_t budget, runner_state *st, runner_take_fn take,
                runner_yield_fn should_yield, void *ctx)
{
    /* The jobs' deferred writes (their records, progress, finish and errors) are answered
     * by the next statement that waits for an answer, and at the latest here: a failure
     * fails the whole step whichever job wrote it, and is known before the turn commits,
     * so that the turn's new submissions can still commit on their own. */
    int rc = run_jobs(tx, budget, st, take, should_yield, ctx);
    return rc >= 0 && store_tx_sync(tx) != STORE_OK ? STORE_ERROR : rc;
}
