/*
 * kinds: the per-kind half of each job, one source file per kind. The runner looks a
 * kind up here and calls these three functions; nothing else knows a kind's payload.
 *
 * apply: applies records [job->cursor, job->cursor + budget) inside tx, adds their
 * outcome to *counts and writes per-record errors. Returns the number of records applied
 * or STORE_ERROR (the caller rolls back; nothing is half-applied).
 */
#ifndef CONTACTD_JOBS_KINDS_H
#define CONTACTD_JOBS_KINDS_H

#include <stddef.h>

#include <jansson.h>

#include "core/identifier.h"
#include "store/store.h"

typedef struct job_kind_ops {
    void *(*decode)(const char *payload, size_t len);
    void (*free)(void *decoded);
    long (*apply)(store_tx *tx, const job_row *job, void *decoded, size_t budget,
                  job_counts *counts);
} job_kind_ops;

extern const job_kind_ops job_upsert_ops;
extern const job_kind_ops job_delete_identifier_ops;

/* ---- delete identifier ----------------------------------------------------------- */

typedef struct delete_identifier_req {
    char contact_id[UUID_STR_LEN + 1];
    id_type type;
    char *value;                    /* normalised; owned by the struct */
} delete_identifier_req;

/* Encode the payload of a delete-identifier job (malloc'd, caller frees). 0 or -1. */
int delete_identifier_payload(const char *contact_id, id_type type, const char *value,
                              char **payload, size_t *len);

/* Write one per-record error: identifiers is a JSON object built by the caller. */
int job_record_error(store_tx *tx, const job_row *job, int64_t index, json_t *identifiers,
                     const char *message);

#endif
