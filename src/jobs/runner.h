/*
 * runner: applies pending jobs inside a write transaction that its caller owns.
 *
 * runner_step applies records of the oldest pending jobs, in acceptance order, until
 * `budget` records are applied, no job is pending, or the caller asks it to yield. Each job's progress (cursor and
 * counts) is written in the same transaction as its effects, so a crash between slices
 * resumes exactly where the last commit left off and no record is applied twice.
 *
 * The runner keeps the decoded payload of the job it is working on between calls
 * (runner_state); the caller may offer decoded payloads it already has through take_fn.
 */
#ifndef CONTACTD_JOBS_RUNNER_H
#define CONTACTD_JOBS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Give the runner the decoded payload of job_id if the caller holds it (ownership moves),
 * or return NULL. */
typedef void *(*runner_take_fn)(void *ctx, const char *job_id);

/* A job started (its first record) or finished within a step; the caller reports these
 * (logs, metrics) once the step's transaction has committed, and then resets them. */
typedef struct runner_event {
    char job_id[UUID_STR_LEN + 1];
    job_kind kind;
    bool finished;
    job_status status; /* when finished */
    job_counts counts;
    int64_t accepted_at; /* ms */
} runner_event;

typedef struct runner_state {
    char job_id[UUID_STR_LEN + 1];
    job_kind kind;
    void *decoded;
    /* what happened since runner_events_reset: malloc'd, kept across steps */
    runner_event *events;
    size_t nevents, events_cap;
    uint64_t applied; /* records applied */
    /* Set by runner_step when no job is due: when (ms since the epoch) the earliest
     * delayed job becomes due, or 0 when no job is delayed. */
    int64_t wake_at;
} runner_state;

/* True when the caller wants the transaction back soon (requests are waiting): once the
 * step has applied RUNNER_SLICE records or run RUNNER_SLICE_MS, the runner stops after the
 * current slice (which kinds end early by bytes and time: kind.h, JOB_SLICE_BYTES). */
typedef bool (*runner_yield_fn)(void *ctx);
#define RUNNER_SLICE 250
#define RUNNER_SLICE_MS 20.0
/* Small jobs applied together at most (kind.h, apply_group). */
#define RUNNER_GROUP 32

/* Returns 1 when pending jobs remain, 0 when none does, STORE_ERROR on a database
 * failure (the caller must roll back; runner_state stays valid). take and should_yield
 * may be NULL; both get ctx. */
int runner_step(store_tx *tx, size_t budget, runner_state *st, runner_take_fn take,
                runner_yield_fn should_yield, void *ctx);
/* Free everything st holds (the decoded payload and the events). */
void runner_state_clear(runner_state *st);
/* Forget the events and the applied count (after reporting them, or after a rollback). */
void runner_events_reset(runner_state *st);

/* Free a decoded payload of the given kind (kinds.h has the per-kind functions). */
void job_decoded_free(job_kind kind, void *decoded);

#endif
