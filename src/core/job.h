/*
 * job: the kinds and states of the asynchronous jobs behind every write.
 *
 *   pending ──► completed   no record errored
 *          ├──► errored     some records errored
 *          └──► failed      every record errored, or the job could not be processed
 *
 * A job is pending until its last record is applied; a large upsert applied in several
 * transactions stays pending in between (SendGrid has no "running" state). Terminal
 * states are final. Pure functions; no allocation.
 */
#ifndef CONTACTD_CORE_JOB_H
#define CONTACTD_CORE_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ids.h"

typedef enum job_kind {
    JOB_UPSERT = 1,            /* PUT /contacts */
    JOB_DELETE_IDENTIFIER = 2, /* DELETE /contacts/{id}/identifiers */
    JOB_DELETE_CONTACTS =
        3, /* DELETE /contacts?ids=|delete_all_contacts=, DELETE /lists/{id}?delete_contacts */
    JOB_LIST_REMOVE = 4,  /* DELETE /lists/{id}/contacts?contact_ids= */
    JOB_IMPORT = 5,       /* PUT /contacts/imports, then the file's upload */
    JOB_EXPORT = 6,       /* POST /contacts/exports */
    JOB_SEGMENT_EVAL = 7, /* a segment evaluated over its account (Segments 2.0) */
} job_kind;
/* The last kind: kinds are 1..JOB_KIND_MAX (job_kind_valid), and metrics arrays are sized
 * by it. A new kind goes at the end and moves this. */
#define JOB_KIND_MAX JOB_SEGMENT_EVAL

typedef enum job_status {
    JOB_PENDING = 0,
    JOB_COMPLETED = 1,
    JOB_ERRORED = 2,
    JOB_FAILED = 3,
} job_status;
#define JOB_STATUS_MAX JOB_FAILED /* the last status */

/* A URL secret: 24 random bytes in base64url (192 bits). */
#define JOB_TOKEN_LEN 32

/* The counters a job reports in results{}. */
typedef struct job_counts {
    int64_t requested, created, updated, deleted, errored;
} job_counts;

/* What GET /imports/{id} shows. */
typedef struct job_info {
    char id[UUID_STR_LEN + 1];
    job_kind kind;
    job_status status;
    job_counts counts;
    int64_t accepted_at, finished_at; /* ms; finished_at 0 while pending */
    /* The secret of the job's errors_url (random, base64url; "" for jobs stored before
     * it existed). Read by store_job_get only. */
    char errors_token[JOB_TOKEN_LEN + 1];
} job_info;

const char *job_status_name(job_status s);
/* SendGrid's job_type: "upsert" (imports too) or "delete"; "export" for exports, which
 * GET /imports/{id} does not show. */
const char *job_kind_type_name(job_kind k);
/* The kind's own name: "upsert", "delete_identifier", "delete_contacts", "list_remove",
 * "import" or "export" (logs, metrics, the admin API). */
const char *job_kind_name(job_kind k);
bool job_kind_valid(int k);
bool job_status_terminal(job_status s);
bool job_status_transition_allowed(job_status from, job_status to);
/* The terminal status of a job with these counts. */
job_status job_status_final(const job_counts *c);

#endif
