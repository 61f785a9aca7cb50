/*
 * kinds: what the job kinds define for others: the payload encoders the handlers that
 * accept a job call (and the export payload's parser for its status endpoints), and the
 * helpers several kinds share (payload.c, the upsert machinery in upsert.c). What the
 * runner calls is in kind.h.
 */
#ifndef CONTACTD_JOBS_KINDS_H
#define CONTACTD_JOBS_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/identifier.h"
#include "store/store.h"

/* ---- the upsert machinery, shared by imports (upsert.c) ----------------------------- */

/* The contacts a slice's records may match, by identifier (upsert_known.c). */
typedef struct upsert_known upsert_known;

/* What a slice needs to know of the account as it is now. */
typedef struct upsert_live {
    field_catalog fields;
    const char **lists; /* the request's list_ids that still exist */
    size_t list_count;
    upsert_known *known; /* the slice's contacts (upsert_prefetch); NULL: ask the store */
} upsert_live;

/* An empty map in keep, for one slice. */
upsert_known *upsert_known_new(arena *keep);
/* Look up every identifier records[0..n) carry, in one statement, into k: STORE_OK or
 * STORE_ERROR. */
int upsert_prefetch(store_tx *tx, int64_t account, const contact_input *records, size_t n,
                    upsert_known *k);
/* Records of several jobs, looked up together (upsert_prefetch_groups). */
typedef struct upsert_records {
    const contact_input *records;
    size_t n;
} upsert_records;
int upsert_prefetch_groups(store_tx *tx, int64_t account, const upsert_records *groups,
                           size_t ngroups, upsert_known *k);
/* Whether k knows what (type, value) matches; *c is then the contact, or NULL for none. */
bool upsert_known_get(const upsert_known *k, id_type type, const char *value, contact **c);
/* row as written or read, copied into k (replacing the contact with its id), and found
 * by each of its identifiers from now on: the copy. */
contact *upsert_known_adopt(upsert_known *k, const contact *row);
/* c (k's copy of a new contact) is to be inserted at the next upsert_known_flush. */
void upsert_known_insert_later(upsert_known *k, contact *c);
/* Insert the new contacts waiting in k, together (store_tx_contact_insert_new_many):
 * before a slice's kind returns, and before one of them is updated. STORE_OK or the
 * store's failure. */
int upsert_known_flush(store_tx *tx, int64_t account, upsert_known *k);
/* upsert_known_flush when the contact with id is among those waiting, else nothing. */
int upsert_known_before_update(store_tx *tx, int64_t account, upsert_known *k, const char *id);

/* Read the live custom fields and which of list_ids still exist; strings in a. */
int upsert_live_load(store_tx *tx, int64_t account, const char *const *list_ids, size_t n, arena *a,
                     upsert_live *live);
/* Apply one record (matching rules in upsert.c): 0 created/updated (counted), 1 record
 * error written (counted), or STORE_ERROR. Strings of the result go to scratch. Lookups
 * go to live->known when set (and what is written joins it), else to the store. */
int upsert_apply_record(store_tx *tx, const job_row *job, const contact_input *in, int64_t index,
                        const upsert_live *live, arena *scratch, job_counts *counts);
/* After a slice's last upsert_apply_record: its new contacts inserted (upsert_known_flush).
 * STORE_OK or the store's failure. */
int upsert_slice_done(store_tx *tx, const job_row *job, const upsert_live *live);

/* ---- payload helpers (payload.c) ------------------------------------------------- */

/* The compact JSON text of o (taken over) as a malloc'd payload; NULL on failure. */
char *job_payload_dump(json_t *o, size_t *len);

/* An owned copy of a JSON array of strings. */
typedef struct id_list {
    char **ids;
    size_t count;
} id_list;

/* 0, or -1 when arr is not an array of strings (out is then empty). */
int id_list_from_json(const json_t *arr, id_list *out);
void id_list_free(id_list *l);
json_t *id_list_to_json(const char *const *ids, size_t n);

/* ---- payload encoders, for the handlers that accept these jobs ----------------------
 * Each returns a malloc'd payload (caller frees, or hands it to jobs_submit) or NULL. */

char *delete_identifier_payload(const char *contact_id, id_type type, const char *value,
                                size_t *len);
/* The same job decoded, for job_submit.decoded (with *size for decoded_size), so that the
 * writer does not parse the payload it was just given. */
void *delete_identifier_decoded(const char *contact_id, id_type type, const char *value,
                                size_t *size);
/* ids: the contact ids to delete; all: delete every contact of the account instead. */
char *delete_contacts_payload(const char *const *ids, size_t n, bool all, size_t *len);
char *list_remove_payload(const char *list_id, const char *const *contact_ids, size_t n,
                          size_t *len);

/* An import: the upload's spec (JSON text, see import.c) and the CSV file, decompressed;
 * allocated in a (it can be large, and the request's arena lives until the answer). */
char *import_payload(arena *a, const char *spec, const char *csv, size_t csv_len, size_t *len);

/* An export (export.c). list_ids and segment_ids may both be empty (every contact). */
typedef struct export_request {
    bool json; /* file_type json, else csv */
    const char *const *list_ids;
    size_t list_count;
    const char *const *segment_ids; /* members of any of them (or of a list) are exported */
    size_t segment_count;
    int64_t max_file_size_mb;
    const char *token;  /* the secret in the download URLs */
    int64_t expires_at; /* ms: files are deleted after this */
    bool notify_email;
    field_catalog fields; /* the custom fields when the export was requested: its
                                     * columns, however the fields change while it runs */
} export_request;
char *export_payload(const export_request *r, size_t *len);
/* Parse an export's stored payload for the status endpoints; strings in a. 0 or -1. */
int export_payload_parse(const char *payload, size_t len, arena *a, export_request *out);

#endif
