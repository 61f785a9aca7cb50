/*
 * kind: the contract between the runner (runner.c) and a job kind, the half of a job that
 * knows its payload. Each kind is one source file that defines one job_kind_ops (declared
 * below); the runner's table (runner.c: ops_for) maps job_kind to it, and the runner knows
 * nothing else of the kind.
 *
 * decode: the payload as stored, decoded for apply; NULL when it cannot be. It may read
 *   the account's current state through tx (the upsert resolves custom fields).
 * free: releases what decode returned (or what a handler decoded and handed over with
 *   job_submit.decoded).
 * apply: applies records from job->cursor on, at most budget of them, inside tx; adds
 *   their outcome to *counts, counts and writes per-record errors (job_record_error), and sets
 *   *finished when the job has no record left. Returns the number of records applied, or
 *   STORE_ERROR (the caller rolls back; nothing is half-applied). A kind whose records
 *   can be large (an export's contacts, an import's rows, a segment's scan) also ends the
 *   slice early once job_slice_over says so, after at least one record: the writer's
 *   turn is bounded in bytes and time, not only in records.
 * apply_group (optional): applies jobs[0..n), consecutive pending jobs of one account in
 *   seq order, none started and each with at most RUNNER_SLICE records, as one slice:
 *   each job's records in order into counts[i], with the same outcome and errors as n
 *   applies in a row, but the set-at-a-time work shared (the upsert looks up every job's
 *   identifiers in one statement). Returns the records applied in all, or STORE_ERROR.
 *
 * Adding a kind: DESIGN.md, "Adding a job kind".
 */
#ifndef CONTACTD_JOBS_KIND_H
#define CONTACTD_JOBS_KIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

typedef struct job_kind_ops {
    void *(*decode)(store_tx *tx, int64_t account, const char *payload, size_t len);
    void (*free)(void *decoded);
    long (*apply)(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                  job_counts *counts, bool *finished);
    long (*apply_group)(store_tx *tx, const job_row *jobs, void *const *decoded, size_t n,
                        job_counts *counts);
} job_kind_ops;

extern const job_kind_ops job_upsert_ops;
extern const job_kind_ops job_delete_identifier_ops;
extern const job_kind_ops job_delete_contacts_ops;
extern const job_kind_ops job_list_remove_ops;
extern const job_kind_ops job_import_ops;
extern const job_kind_ops job_export_ops;
extern const job_kind_ops job_segment_eval_ops;

/* A slice of apply ends after JOB_SLICE_BYTES (written or read) or JOB_SLICE_MS, whichever
 * comes first: a JSON export of 2 MB contacts would otherwise hold the writer for seconds
 * per slice of 250, and every account's 202 with it. */
#define JOB_SLICE_BYTES ((size_t)1 << 20)
#define JOB_SLICE_MS 20.0
/* True when a slice that began at started_ms (time_mono_ms) and has moved bytes bytes
 * should end. */
bool job_slice_over(double started_ms, size_t bytes);

/* Stored job errors are bounded: a job keeps the details (index, identifiers, message) of
 * its first JOB_ERRORS_DETAILED errored records only; past them it keeps counting
 * (errored_count stays exact) and the errors document says how many have no entry
 * (errors_omitted). A million-row import of bad rows stores 10,000 rows, not a million. */
#define JOB_ERRORS_DETAILED 10000

/* Count one errored record (counts->errored) and, while the job has stored fewer than
 * JOB_ERRORS_DETAILED errors, write its error. Takes ownership of identifiers (a JSON
 * object). Every errored record goes through here, so errored_count minus the stored
 * errors is the number left out. */
int job_record_error(store_tx *tx, const job_row *job, job_counts *counts, int64_t index,
                     json_t *identifiers, const char *message);

#endif
