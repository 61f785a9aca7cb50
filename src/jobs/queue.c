/*
 * queue: the writer thread behind jobs.h.
 *
 * One thread owns all writing. Each turn of its loop takes every submission that arrived
 * since the last turn, and in ONE transaction inserts them and applies pending jobs up to
 * RUN_BUDGET records; after the commit (fsync) it answers the submissions. One fsync thus
 * serves every request that arrived meanwhile (group commit) plus a slice of job work.
 * If applying fails on a database error, the transaction is rolled back and the
 * submissions are committed alone, so a fault in job work never loses an accepted job.
 */
#include "jobs/jobs.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/timeutil.h"
#include "jobs/runner.h"
#include "jobs/segments.h"

/* Records applied per transaction at most. The runner yields after any slice of
 * RUNNER_SLICE records once a submission is waiting, so a request waits for one slice
 * (a few milliseconds) behind a big upsert, while an otherwise idle writer amortises
 * its fsync over many records. */
#define RUN_BUDGET 5000
/* With a shared database (PostgreSQL), other nodes may leave pending work, or die holding
 * it: the writer then looks for pending jobs at least this often. */
#define POLL_MS 200
#define PURGE_EVERY_MS 60000.0
/* Decoded payloads kept in memory for the runner; beyond this they are re-read from disk. */
#define CACHE_MAX_BYTES ((size_t)512 << 20)

/* A job to insert, or (op != NULL) a synchronous write to run. */
typedef struct submission {
    job_submit sub;
    char id[UUID_STR_LEN + 1];
    jobs_done_fn done;
    jobs_op_fn op;
    void *op_arg;
    jobs_op_done_fn op_done;
    int op_rc;
    void *ctx;
    struct submission *next;
} submission;

typedef struct cached {
    char id[UUID_STR_LEN + 1];
    job_kind kind;
    void *decoded;
    size_t size;
    struct cached *next;
} cached;

struct jobs {
    store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* submissions arrived or stop requested */
    pthread_cond_t idle; /* the queue ran dry */
    submission *head, *tail;
    bool stopping;
    bool work_pending;   /* pending jobs may exist in the store */
    bool busy;           /* the writer is in a turn */
    atomic_bool waiting; /* submissions are queued: the runner should yield */
    bool answering;      /* this turn carries submissions: they wait for its commit too */
    double purged_ms;    /* when expired export files were last deleted */
    bool trim;           /* work was done since memory was last trimmed */
    double trimmed_ms;   /* when (monotonic): at most one trim a second */
    bool poll;           /* shared store: wake every POLL_MS to look for work */
    atomic_int failing;  /* consecutive turns that failed on a database error */
    atomic_bool running; /* the writer thread is in its loop */
    /* the backlog (jobs.h): written by the writer thread, read by request threads */
    atomic_int_fast64_t backlog_jobs, backlog_records, max_backlog;
    double measured_ms; /* when the backlog was last measured (monotonic) */
    int backlog_level;  /* writer only: 0 below half the limit, 1 past half, 2 full */
    /* owned by the writer thread alone */
    cached *cache;
    size_t cache_bytes;
    runner_state state;
    segment_sweep sweep; /* clock-dependent segments queued by this node */
};

/* ---- decoded payload cache (writer thread only) ------------------------------------ */

static void cache_put(jobs *j, submission *s)
{
    if (!s->sub.decoded)
        return;
    if (j->cache_bytes + s->sub.decoded_size > CACHE_MAX_BYTES) {
        job_decoded_free(s->sub.kind, s->sub.decoded);
    } else {
        cached *c = calloc(1, sizeof *c);
        if (!c)
            abort();
        memcpy(c->id, s->id, sizeof c->id);
        c->kind = s->sub.kind;
        c->decoded = s->sub.decoded;
        c->size = s->sub.decoded_size;
        c->next = j->cache;
        j->cache = c;
        j->cache_bytes += c->size;
    }
    s->sub.decoded = NULL;
}

/* Remove the entry for id and return its payload (ownership to the caller), or NULL. */
static void *cache_take(void *ctx, const char *id)
{
    jobs *j = ctx;
    for (cached **pp = &j->cache; *pp; pp = &(*pp)->next) {
        cached *c = *pp;
        if (strcmp(c->id, id) == 0) {
            void *d = c->decoded;
            *pp = c->next;
            j->cache_bytes -= c->size;
            free(c);
            return d;
        }
    }
    return NULL;
}

static void cache_drop(jobs *j, const char *id)
{
    for (cached *c = j->cache; c; c = c->next) {
        if (strcmp(c->id, id) == 0) {
            job_kind kind = c->kind;
            job_decoded_free(kind, cache_take(j, id));
            return;
        }
    }
}

static void cache_clear(jobs *j)
{
    while (j->cache) {
        /* Read the kind before cache_take frees the entry. */
        job_kind kind = j->cache->kind;
        job_decoded_free(kind, cache_take(j, j->cache->id));
    }
}

int jobs_tx_insert(store_tx *tx, const job_submit *sub, char id[UUID_STR_LEN + 1])
{
    if (!id[0] && uuid_generate(id) != 0)
        return STORE_ERROR;
    job_new jn = {
        .account = sub->account,
        .kind = sub->kind,
        .payload = sub->payload,
        .payload_len = sub->payload_len,
        .requested = sub->requested,
        .accepted_at = time_now_ms(),
    };
    memcpy(jn.id, id, sizeof jn.id);
    /* No seq wanted: on PostgreSQL a batch of accepted jobs costs no round trip before
     * its commit. */
    return store_tx_job_insert(tx, &jn, NULL);
}

/* ---- one turn of the writer ----------------------------------------------------------- */

static bool submissions_waiting(void *ctx)
{
    jobs *j = ctx;
    return j->answering || atomic_load_explicit(&j->waiting, memory_order_relaxed);
}

/* Insert the batch's jobs and run its ops, each op in a savepoint of its own. */
static int insert_all(store_tx *tx, submission *batch)
{
    for (submission *s = batch; s; s = s->next) {
        if (s->op) {
            if (store_tx_savepoint(tx) != STORE_OK)
                return STORE_ERROR;
            s->op_rc = s->op(tx, s->op_arg);
            /* Its deferred writes answer before the savepoint goes: a refused one undoes
             * this op alone. */
            if (s->op_rc == STORE_OK)
                s->op_rc = store_tx_sync(tx);
            if (s->op_rc == STORE_OK) {
                if (store_tx_savepoint_release(tx) != STORE_OK)
                    return STORE_ERROR;
            } else {
                store_tx_savepoint_rollback(tx);
            }
            continue;
        }
        if (jobs_tx_insert(tx, &s->sub, s->id) != STORE_OK)
            return STORE_ERROR;
    }
    return STORE_OK;
}

static int commit_batch_only(jobs *j, submission *batch)
{
    store_tx *tx;
    if (store_tx_begin(j->store, &tx) != STORE_OK)
        return STORE_ERROR;
    if (insert_all(tx, batch) != STORE_OK || segment_sync(tx) != STORE_OK) {
        store_tx_rollback(tx);
        return STORE_ERROR;
    }
    return store_tx_commit(tx);
}

/* After a commit: one log line and the metrics for each job started or finished in it. */
static void report_events(runner_state *st)
{
    log_batch lines = LOG_BATCH_INIT; /* one write for many lines, not two a job */
    for (size_t i = 0; i < st->nevents; i++) {
        const runner_event *e = &st->events[i];
        if (!e->finished) {
            log_field f[] = {LOG_S("job", e->job_id), LOG_S("kind", job_kind_name(e->kind)),
                             LOG_I("requested", e->counts.requested)};
            log_batch_event(&lines, "job_start", f, sizeof f / sizeof f[0]);
            continue;
        }
        metrics_job_finished(e->kind, e->status);
        log_field f[] = {
            LOG_S("job", e->job_id),
            LOG_S("kind", job_kind_name(e->kind)),
            LOG_S("status", job_status_name(e->status)),
            LOG_I("requested", e->counts.requested),
            LOG_I("created", e->counts.created),
            LOG_I("updated", e->counts.updated),
            LOG_I("deleted", e->counts.deleted),
            LOG_I("errored", e->counts.errored),
            LOG_D("duration_ms", (double)(time_now_ms() - e->accepted_at)),
        };
        log_batch_event(&lines, "job_end", f, sizeof f / sizeof f[0]);
    }
    log_batch_flush(&lines);
    metrics_records_applied(st->applied);
    runner_events_reset(st);
}

/* ---- the backlog (jobs.h) ---------------------------------------------------------- */

static const char *const BACKLOG_LEVEL[] = {"normal", "high", "full"};

/* Record the backlog, and log when it crosses half of the limit or the limit. */
static void backlog_set(jobs *j, int64_t njobs, int64_t records)
{
    atomic_store(&j->backlog_jobs, njobs);
    atomic_store(&j->backlog_records, records);
    metrics_backlog(njobs, records);
    int64_t max = atomic_load(&j->max_backlog);
    int level = max <= 0 ? 0 : records >= max ? 2 : records * 2 >= max ? 1 : 0;
    if (level == j->backlog_level)
        return;
    j->backlog_level = level;
    log_field f[] = {
        LOG_S("level", BACKLOG_LEVEL[level]),
        LOG_I("jobs", njobs),
        LOG_I("records", records),
        LOG_I("max_backlog", max),
        LOG_S("note", level == 2   ? "write endpoints answer 429 until the writer catches up"
                      : level == 1 ? "jobs are accepted faster than they are applied"
                                   : NULL),
    };
    log_event("backlog", f, sizeof f / sizeof f[0]);
}

/* Count the pending jobs in the store (their records too); on failure keep the last. */
static void backlog_measure(jobs *j)
{
    int64_t njobs, oldest, records;
    j->measured_ms = time_mono_ms();
    if (store_job_pending_stats(j->store, &njobs, &oldest, &records) == STORE_OK)
        backlog_set(j, njobs, records);
}

/* Jobs just committed join the backlog at once: a burst is seen before the next measure. */
static void backlog_add(jobs *j, const submission *batch)
{
    int64_t njobs = 0, records = 0;
    for (const submission *s = batch; s; s = s->next) {
        if (s->op)
            continue;
        njobs++;
        records += s->sub.requested > 0 ? s->sub.requested : 1;
    }
    if (njobs)
        backlog_set(j, atomic_load(&j->backlog_jobs) + njobs,
                    atomic_load(&j->backlog_records) + records);
}

void jobs_limit_backlog(jobs *j, int64_t max_records)
{
    atomic_store(&j->max_backlog, max_records);
}

bool jobs_backlog_full(jobs *j)
{
    int64_t max = atomic_load(&j->max_backlog);
    return max > 0 && atomic_load(&j->backlog_records) >= max;
}

static void answer(jobs *j, submission *batch, int rc)
{
    if (rc == STORE_OK) {
        uint64_t n = 0;
        for (submission *s = batch; s; s = s->next, n++)
            if (!s->op)
                metrics_job_accepted(s->sub.kind);
        metrics_group_commit(n);
        backlog_add(j, batch); /* before any 202 leaves: the next request sees it */
    }
    while (batch) {
        submission *next = batch->next;
        if (batch->op) {
            batch->op_done(batch->ctx, rc == STORE_OK ? batch->op_rc : STORE_ERROR);
        } else {
            if (rc != STORE_OK)
                cache_drop(j, batch->id);
            batch->done(batch->ctx, rc == STORE_OK ? 0 : -1, rc == STORE_OK ? batch->id : NULL);
        }
        job_decoded_free(batch->sub.kind, batch->sub.decoded);
        free(batch->sub.payload);
        free(batch);
        batch = next;
    }
}

/* Returns 1 when more job work remains, 0 when none, STORE_ERROR after a failure. */
static int turn(jobs *j, submission *batch, bool run)
{
    for (submission *s = batch; s; s = s->next)
        cache_put(j, s);
    store_tx *tx;
    if (store_tx_begin(j->store, &tx) != STORE_OK) {
        answer(j, batch, STORE_ERROR);
        return STORE_ERROR;
    }
    if (insert_all(tx, batch) != STORE_OK) {
        store_tx_rollback(tx);
        answer(j, batch, STORE_ERROR);
        return STORE_ERROR;
    }
    /* Submissions in this turn wait for its commit: give them one slice of job work (their
     * own small jobs fit in it), not the full budget, so that a 202 never waits behind
     * thousands of records of an earlier big upsert. */
    size_t budget = batch ? RUNNER_SLICE : RUN_BUDGET;
    j->answering = batch != NULL; /* and one slice of time: the runner yields after it */
    /* Expired export files and import reservations go in the next turn after a minute
     * has passed: the API refuses them from the moment they expire, this only gives back
     * the space. */
    if (run && time_mono_ms() - j->purged_ms > PURGE_EVERY_MS) {
        int64_t now = time_now_ms();
        if (store_tx_export_purge(tx, now, NULL) != STORE_OK ||
            store_tx_upload_purge(tx, now - IMPORT_UPLOAD_TTL_MS) != STORE_OK ||
            segment_clock_sweep(tx, &j->sweep) != STORE_OK) {
            store_tx_rollback(tx);
            int rc = batch ? commit_batch_only(j, batch) : STORE_OK;
            answer(j, batch, rc);
            return STORE_ERROR;
        }
        j->purged_ms = time_mono_ms();
    }
    int more = run ? runner_step(tx, budget, &j->state, cache_take, submissions_waiting, j) : 1;
    /* Segment membership commits with the writes that changed it. */
    if (more >= 0 && segment_sync(tx) != STORE_OK)
        more = STORE_ERROR;
    if (more < 0) {
        store_tx_rollback(tx);
        runner_events_reset(&j->state);
        int rc = batch ? commit_batch_only(j, batch) : STORE_OK;
        answer(j, batch, rc);
        return STORE_ERROR;
    }
    int rc = store_tx_commit(tx);
    answer(j, batch, rc);
    if (rc == STORE_OK)
        report_events(&j->state);
    else
        runner_events_reset(&j->state);
    return rc == STORE_OK ? more : STORE_ERROR;
}

/* How long the idle writer may sleep before it must look for work: until the earliest of
 * the next minute's chores (expired files, segments whose queries read the clock; see
 * turn), the earliest delayed job becoming due, and with a shared store POLL_MS (other
 * nodes' work). */
static long wait_for_work_ms(const jobs *j)
{
    /* +1: the chores run once strictly more than PURGE_EVERY_MS has passed */
    double ms = j->purged_ms + PURGE_EVERY_MS + 1 - time_mono_ms();
    if (j->poll && ms > POLL_MS)
        ms = POLL_MS;
    if (j->state.wake_at > 0 && ms > (double)(j->state.wake_at - time_now_ms()))
        ms = (double)(j->state.wake_at - time_now_ms());
    return ms > 0 ? (long)ms : 0;
}

static void *writer_main(void *arg)
{
    jobs *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        if (!j->head && !j->stopping && !j->work_pending && j->trim &&
            time_mono_ms() - j->trimmed_ms > 1000) {
            /* The queue ran dry after work: give freed memory (a 6 MB upsert's decoded
             * batch, its parse on the offload threads) back to the system rather than
             * keep the peak resident forever. */
            j->trim = false;
            j->trimmed_ms = time_mono_ms();
            pthread_mutex_unlock(&j->lock);
            malloc_trim(0);
            pthread_mutex_lock(&j->lock);
            continue;
        }
        while (!j->head && !j->stopping && !j->work_pending) {
            pthread_cond_broadcast(&j->idle);
            long wait_ms = wait_for_work_ms(j);
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += wait_ms / 1000;
            until.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&j->wake, &j->lock, &until) == ETIMEDOUT)
                j->work_pending = true;
        }
        if (j->stopping && !j->head)
            break;
        submission *batch = j->head;
        j->head = j->tail = NULL;
        atomic_store(&j->waiting, false);
        bool run = !j->stopping;
        j->busy = true;
        pthread_mutex_unlock(&j->lock);

        int more = turn(j, batch, run);
        if (more < 0)
            atomic_fetch_add(&j->failing, 1);
        else
            atomic_store(&j->failing, 0);
        if (more < 0) {
            /* The database refused (disk full, I/O error): retry after a pause rather
             * than spin; accepted jobs are safe on disk or were answered with an error. */
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }

        /* Measured when the due work ran out (so a drained queue reads 0 at once), and
         * while working, at most every JOBS_BACKLOG_MEASURE_MS. */
        if (more == 0 || time_mono_ms() - j->measured_ms >= JOBS_BACKLOG_MEASURE_MS)
            backlog_measure(j);

        pthread_mutex_lock(&j->lock);
        j->busy = false;
        j->work_pending = more != 0;
        j->trim = true;
    }
    j->busy = false;
    atomic_store(&j->running, false);
    pthread_cond_broadcast(&j->idle);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* ---- public ------------------------------------------------------------------------ */

jobs *jobs_start(store *s)
{
    jobs *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->store = s;
    j->work_pending = true; /* jobs left pending by an earlier run */
    pthread_mutex_init(&j->lock, NULL);
    j->poll = store_is_shared(s);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* for the poll's timedwait */
    pthread_cond_init(&j->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&j->idle, NULL);
    atomic_store(&j->running, true); /* before the thread: a probe right after start */
    if (pthread_create(&j->thread, NULL, writer_main, j) != 0) {
        free(j);
        return NULL;
    }
    return j;
}

void jobs_stop(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = true;
    /* A turn in progress stops after its current slice: pending work stays on disk. */
    atomic_store(&j->waiting, true);
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    runner_state_clear(&j->state);
    segment_sweep_free(&j->sweep);
    cache_clear(j);
    pthread_cond_destroy(&j->wake);
    pthread_cond_destroy(&j->idle);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* Queue s; false when the queue is stopping (s is then the caller's to free). */
static bool enqueue(jobs *j, submission *s)
{
    pthread_mutex_lock(&j->lock);
    if (j->stopping) {
        pthread_mutex_unlock(&j->lock);
        return false;
    }
    if (j->tail)
        j->tail->next = s;
    else
        j->head = s;
    j->tail = s;
    j->work_pending = true;
    atomic_store(&j->waiting, true);
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    return true;
}

int jobs_submit_op(jobs *j, jobs_op_fn fn, void *arg, jobs_op_done_fn done, void *ctx)
{
    submission *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->op = fn;
    s->op_arg = arg;
    s->op_done = done;
    s->ctx = ctx;
    if (!enqueue(j, s)) {
        free(s);
        return -1;
    }
    return 0;
}

int jobs_submit(jobs *j, const job_submit *sub, jobs_done_fn done, void *ctx)
{
    submission *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->sub = *sub;
    s->done = done;
    s->ctx = ctx;
    if (uuid_generate(s->id) != 0) {
        job_decoded_free(sub->kind, sub->decoded);
        free(sub->payload);
        free(s);
        return -1;
    }
    if (!enqueue(j, s)) {
        job_decoded_free(sub->kind, sub->decoded);
        free(sub->payload);
        free(s);
        return -1;
    }
    return 0;
}

const char *jobs_health(jobs *j)
{
    if (!atomic_load(&j->running))
        return "the job writer is not running";
    /* One failed turn is a blip the writer retries; several in a row mean it cannot
     * commit (disk full, database down). */
    if (atomic_load(&j->failing) >= 3)
        return "the job writer cannot commit to the database";
    return NULL;
}

void jobs_wait_idle(jobs *j)
{
    pthread_mutex_lock(&j->lock);
    while ((j->head || j->work_pending || j->busy) && !j->stopping)
        pthread_cond_wait(&j->idle, &j->lock);
    pthread_mutex_unlock(&j->lock);
}
