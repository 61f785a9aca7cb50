/*
 * jobs: the durable job queue and the thread that runs it.
 *
 * Every write request becomes a job. jobs_submit hands the job to the writer thread and
 * returns at once; the writer commits every job submitted since its last commit in one
 * transaction (group commit, fsync'd), then calls each job's done callback with its id,
 * so a 202 is only ever sent for a job that is on disk. In the same transaction it also
 * applies pending jobs, oldest first, up to a bounded number of records, so that most
 * jobs are finished by the time their 202 leaves and a 30,000-contact upsert never holds
 * the queue for long (it is applied in slices, each recording its progress).
 *
 * Jobs left pending by a stop or a crash are found in the store and run after the next
 * start. The decoded form of a just-submitted job is kept in memory (bounded) so that the
 * runner does not parse the request twice; after a restart it is decoded from disk.
 *
 * Ownership: jobs_submit takes ownership of sub->payload and sub->decoded whatever it
 * returns. The done callback runs on the writer thread and must not block.
 */
#ifndef CONTACTD_JOBS_JOBS_H
#define CONTACTD_JOBS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "store/store.h"

typedef struct jobs jobs;

typedef struct job_submit {
    int64_t account;
    job_kind kind;
    int64_t requested; /* records in the job */
    void *payload;     /* malloc'd request, replayable by the runner */
    size_t payload_len;
    void *decoded;       /* optional decoded payload, e.g. an upsert_batch */
    size_t decoded_size; /* approximate bytes held by decoded */
} job_submit;

/* rc 0: committed, job_id is its id. rc < 0: not stored; job_id is NULL. */
typedef void (*jobs_done_fn)(void *ctx, int rc, const char *job_id);

jobs *jobs_start(store *s);
/* Answer every submitted job, finish the slice being applied, and join the thread.
 * Pending jobs stay in the store. */
void jobs_stop(jobs *j);
/* 0 when queued; -1 when the queue is stopping (done is not called then). */
int jobs_submit(jobs *j, const job_submit *sub, jobs_done_fn done, void *ctx);
/*
 * A synchronous write that is not a job (create a list, rename a field, ...): fn runs on
 * the writer thread inside the next group commit, in a savepoint of its own, so its
 * failure (a name conflict, say) undoes only its own changes. done(ctx, rc) follows the
 * commit with fn's return code, or STORE_ERROR if the commit failed. fn may run more than
 * once when a commit is retried, so it must write its outputs afresh each time.
 */
typedef int (*jobs_op_fn)(store_tx *tx, void *arg);
typedef void (*jobs_op_done_fn)(void *ctx, int rc);
int jobs_submit_op(jobs *j, jobs_op_fn fn, void *arg, jobs_op_done_fn done, void *ctx);
/* The one way a job row is written: sub as a pending job accepted now, inside tx (the
 * writer's, or a jobs_op_fn's when a job must be accepted together with other writes).
 * id is the job's id, or "" to have a new one generated into it. sub->payload is copied,
 * not taken. STORE_OK, STORE_CONFLICT (a job with that id exists) or STORE_ERROR. */
int jobs_tx_insert(store_tx *tx, const job_submit *sub, char id[UUID_STR_LEN + 1]);

/* How long an import's upload URL (PUT /contacts/imports) stays valid. The writer drops
 * older reservations when it deletes expired export files (about once a minute). */
#define IMPORT_UPLOAD_TTL_MS (24LL * 3600 * 1000)

/*
 * Backpressure. The backlog is the pending jobs and the records they still have to apply
 * (at least one a job). The writer measures it in the store (store_job_pending_stats)
 * after a turn that left no due work and otherwise at most every JOBS_BACKLOG_MEASURE_MS
 * while it works, and adds each job it accepts (its requested records, at least 1) at
 * once, so a burst is seen before the next measure. With a shared store the measure is
 * the shared queue's, every node's work included, taken on the writer's poll. It is
 * shown on /metrics (core/metrics.h) and logged when it crosses half of the limit and
 * the limit.
 *
 * jobs_limit_backlog sets the limit in records (0: none, the default); past it
 * jobs_backlog_full is true and the write endpoints answer 429 instead of accepting
 * work that would wait for minutes. Both are thread-safe.
 */
#define JOBS_BACKLOG_MEASURE_MS 250
void jobs_limit_backlog(jobs *j, int64_t max_records);
bool jobs_backlog_full(jobs *j);

/* NULL while the writer thread runs and commits; otherwise why not (for GET /readyz). */
const char *jobs_health(jobs *j);

/* Block until no job is pending (tests and benchmarks). */
void jobs_wait_idle(jobs *j);

#endif
