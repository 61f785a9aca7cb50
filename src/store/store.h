/*
 * store: the only door to data. Nothing outside src/store/ sees SQL or a database handle.
 *
 * Two kinds of access:
 *  - reads (store_contact_get, store_job_get, ...) may be called from any thread at any
 *    time; each borrows a read-only connection from a pool and returns it before
 *    returning. SQLite in WAL mode lets them run beside the writer without blocking.
 *  - writes happen only inside a store_tx, which one thread at a time holds (the job
 *    writer in the server; the CLI in `contactd key ...`). store_tx_begin blocks while
 *    another thread holds the transaction.
 *
 * Every function returns STORE_OK (0) or a negative STORE_* code. Strings returned
 * through out-parameters live in the arena the caller passes; the store keeps no
 * pointer to them.
 */
#ifndef CONTACTD_STORE_STORE_H
#define CONTACTD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/apikey.h"
#include "core/arena.h"
#include "core/contact.h"
#include "core/fields.h"
#include "core/job.h"

enum {
    STORE_OK = 0,
    STORE_NOT_FOUND = -1,
    STORE_ERROR = -2,    /* an I/O or database failure: the request cannot be served now */
    STORE_CONFLICT = -3, /* a uniqueness rule would be broken */
    STORE_DEADLINE = -4, /* the caller's time limit passed before the work was done
                             * (a long scan that its caller stops) */
};

typedef struct store store;
typedef struct store_tx store_tx;

/* Open (and migrate) the database at path; ":memory:" is a private temp file removed by
 * store_close. On failure returns NULL and writes a reason to err. */
store *store_open(const char *path, char *err, size_t err_size);
/* True when path names a PostgreSQL database: a postgres:// or postgresql:// URL, or a
 * libpq "keyword=value ..." string that starts with a connection keyword. */
bool store_path_is_postgres(const char *path);
void store_close(store *s);
/* True when other contactd processes may share the database (PostgreSQL): jobs may then
 * be left pending by another node, so the job writer polls for them. */
bool store_is_shared(const store *s);
/* Why no write can be committed now, or NULL. SQLite: the database file was removed or
 * replaced under the running process (every commit then fails, for good: a restart is
 * needed); PostgreSQL: always NULL (an outage shows as failing statements instead). */
const char *store_write_problem(store *s);
/* Check the database's pages (SQLite: PRAGMA quick_check; PostgreSQL: nothing to do):
 * STORE_OK, or STORE_ERROR with what is wrong in err. Reads the whole file: seconds on a
 * database of gigabytes. */
int store_check(store *s, char *err, size_t err_size);

/* ---- accounts and API keys ------------------------------------------------------- */

typedef struct store_key {
    int64_t account_id;
    uint8_t secret_hash[APIKEY_HASH_LEN];
    bool revoked;
    char scopes[64];
    char account[128]; /* the account's name (cut short past 127 bytes) */
} store_key;

typedef struct store_key_row {
    const char *key_id, *account, *scopes;
    int64_t created_at, revoked_at; /* ms; revoked_at 0 when active */
} store_key_row;

int store_key_find(store *s, const char *key_id, store_key *out);
int store_key_list(store *s, void (*each)(void *ctx, const store_key_row *row), void *ctx);
int store_account_count(store *s, int64_t *out);
/* Pending jobs across all accounts, when the oldest was accepted (ms; 0 when none), and
 * the records they have still to apply (requested minus cursor, at least 1 a job): the
 * queue gauges of GET /metrics and the job backlog (jobs.h). */
int store_job_pending_stats(store *s, int64_t *count, int64_t *oldest_accepted_at, int64_t *records);

int store_tx_account_ensure(store_tx *tx, const char *name, int64_t *account_id);
/* STORE_CONFLICT when key_id exists already. */
int store_tx_key_add(store_tx *tx, int64_t account_id, const char *key_id,
                     const uint8_t hash[APIKEY_HASH_LEN], const char *scopes);
/* STORE_NOT_FOUND when no active key has that id. */
int store_tx_key_revoke(store_tx *tx, const char *key_id);

/* ---- contacts -------------------------------------------------------------------- */

/* A contact with its list and segment ids (out->list_ids, out->segment_ids), in one
 * statement. */
int store_contact_get(store *s, int64_t account, const char *id, arena *a, contact *out);
/* STORE_OK when the account has a contact with this id, else STORE_NOT_FOUND (or
 * STORE_ERROR). */
int store_contact_exists(store *s, int64_t account, const char *id);
int store_contact_find(store *s, int64_t account, id_type type, const char *value, arena *a,
                       contact *out);

/* The writer's lookups leave out->list_ids NULL (jobs never need them). */
int store_tx_contact_get(store_tx *tx, int64_t account, const char *id, arena *a, contact *out);
int store_tx_contact_find(store_tx *tx, int64_t account, id_type type, const char *value, arena *a,
                          contact *out);
/* Identifier values to look up: values[t][0..n[t]) of each type t (n[t] 0: none). */
typedef struct id_lookup {
    const char *const *values[ID_TYPE_COUNT];
    size_t n[ID_TYPE_COUNT];
} id_lookup;
/* The contacts (as store_tx_contact_find reads them) whose identifier of some type t is
 * among l's values of t, every type in one statement; *rows (in a, *count of them) in no
 * particular order, a contact once for each value that found it. Values that are not
 * well-formed UTF-8 are left out of the lookup: nothing stored can equal them on
 * PostgreSQL, and a caller that must know asks store_tx_contact_find. */
int store_tx_contact_find_many(store_tx *tx, int64_t account, const id_lookup *l, arena *a,
                               contact **rows, size_t *count);
/* Insert a new contact: STORE_CONFLICT when its id or one of its identifiers is taken. */
int store_tx_contact_insert(store_tx *tx, int64_t account, const contact *c);
/* Rewrite the contact with c->id: STORE_NOT_FOUND when there is none. id_sets names the
 * identifiers whose value c may change (bit 1 << id_type); c's other identifiers must be
 * as stored, since the store may leave their columns (and indexes) alone, as it leaves
 * created_at. */
int store_tx_contact_update(store_tx *tx, int64_t account, const contact *c, unsigned id_sets);
/* The same writes, deferred (see store_tx_sync), for a caller that has proved them
 * possible: a new contact whose identifiers this transaction found free, and a contact
 * it read whose new identifiers it found free. A write refused after all fails the next
 * sync (STORE_CONFLICT); an update that matched no row goes unnoticed. */
int store_tx_contact_insert_new(store_tx *tx, int64_t account, const contact *c);
int store_tx_contact_update_known(store_tx *tx, int64_t account, const contact *c, unsigned id_sets);
/* store_tx_contact_insert_new of cs[0..n), in one statement where the engine defers
 * (PostgreSQL), one each on SQLite (in-process statements cost no round trip). */
int store_tx_contact_insert_new_many(store_tx *tx, int64_t account, const contact *const *cs,
                                     size_t n);

/* ---- jobs ------------------------------------------------------------------------ */

typedef struct job_new {
    int64_t account;
    job_kind kind;
    char id[UUID_STR_LEN + 1];
    const void *payload; /* the accepted request, replayable by the runner */
    size_t payload_len;
    int64_t requested;
    int64_t accepted_at; /* ms; the job runs after accepted_at + its job delay */
} job_new;

/* A pending job as the runner sees it. */
typedef struct job_row {
    int64_t seq; /* acceptance order: jobs run in seq order */
    int64_t account;
    job_info info;
    int64_t cursor; /* records already applied */
} job_row;

typedef struct job_error_row {
    int64_t index;
    const char *identifiers; /* JSON object text */
    const char *message;
} job_error_row;

int store_job_get(store *s, int64_t account, const char *id, job_info *out);
/* Up to limit of a job's per-record errors whose index is above after (-1: from the
 * first), in record order: a page of the errors document, read a page at a time. */
int store_job_errors(store *s, int64_t account, const char *id, int64_t after, size_t limit,
                     arena *a, job_error_row **rows, size_t *count);

/* Insert an accepted job with a fresh random errors token (job_info.errors_token); *seq
 * receives its place in the queue. With seq NULL the insert is deferred (driver.h): its
 * failure is answered by the transaction's next statement or its commit. */
int store_tx_job_insert(store_tx *tx, const job_new *j, int64_t *seq);
/* The oldest pending job, or STORE_NOT_FOUND. Until it is finished, the same job is the
 * answer again. */
int store_tx_job_next(store_tx *tx, job_row *out);
/* The job claimed i places after the one store_tx_job_next answered (i = 0: that one),
 * without a statement: the same account's next pending jobs in seq order, as many as the
 * claim read ahead; STORE_NOT_FOUND past them. */
int store_tx_job_ahead(store_tx *tx, size_t i, job_row *out);
int store_tx_job_payload(store_tx *tx, int64_t seq, arena *a, const char **payload, size_t *len);
/* Record progress (cursor and counts) of a job that stays pending. Progress, finish and
 * error rows are deferred writes (driver.h). */
int store_tx_job_progress(store_tx *tx, int64_t seq, int64_t cursor, const job_counts *c);
/* Make a job terminal. */
int store_tx_job_finish(store_tx *tx, int64_t seq, job_status st, const job_counts *c,
                        int64_t finished_at);
int store_tx_job_error_add(store_tx *tx, int64_t seq, int64_t index, const char *identifiers,
                           const char *message);

/* ---- more contact reads and writes ------------------------------------------------ */

int store_contact_count(store *s, int64_t account, int64_t *out);
/* SendGrid's billable_count: the contacts of the account at any time in this calendar
 * month (UTC), i.e. those it has plus those deleted since the month began. */
int store_billable_count(store *s, int64_t account, int64_t *out);
/* The ids of up to limit contacts most recently created or updated, sorted by email. The
 * samples (this and the two below) give ids only, so that fifty contacts of 2 MB are never
 * read at once: the API reads them by id (store_contact_get), one at a time when big. */
int store_contact_recent(store *s, int64_t account, int64_t limit, arena *a, const char ***ids,
                         size_t *count);
/* The contact whose primary email, or else one of whose alternate emails, is email. */
int store_contact_find_email(store *s, int64_t account, const char *email, arena *a, contact *out);
/* The ids of the lists the contact belongs to, sorted. */
int store_contact_list_ids(store *s, int64_t account, const char *contact_id, arena *a,
                           const char ***ids, size_t *count);

/* Delete a contact with its list memberships, counting it in this month's deletions
 * (store_billable_count). STORE_NOT_FOUND when absent. */
int store_tx_contact_delete(store_tx *tx, int64_t account, const char *id);
/* Any limit contact ids of the account (to delete all contacts slice by slice). */
int store_tx_contact_ids(store_tx *tx, int64_t account, int64_t limit, arena *a, const char ***ids,
                         size_t *count);
/* Replace the alternate-email index of a contact with the emails of a JSON array
 * (deferred: see store_tx_sync). */
int store_tx_contact_set_alternates(store_tx *tx, int64_t account, const char *contact_id,
                                    const char *emails_json);

/* ---- custom field definitions ------------------------------------------------------ */

/* The account's custom fields in creation order. */
int store_fields_list(store *s, int64_t account, arena *a, field_catalog *out);
int store_tx_fields_list(store_tx *tx, int64_t account, arena *a, field_catalog *out);
/* Create a field with the next id ("e<N>_<T|N|D>", never reused) written to id_out.
 * STORE_CONFLICT when a field of that name (ignoring case) exists. */
int store_tx_field_create(store_tx *tx, int64_t account, const char *name, field_type type,
                          char id_out[FIELD_ID_MAX]);
/* Create a field with a chosen id "e<seq>_<letter>" (a seeded state); later fields get
 * ids past seq. STORE_CONFLICT when the id or the name is taken. */
int store_tx_field_insert(store_tx *tx, int64_t account, const char *id, int64_t seq,
                          const char *name, field_type type);
/* STORE_NOT_FOUND, STORE_CONFLICT (name taken) */
int store_tx_field_rename(store_tx *tx, int64_t account, const char *id, const char *name);
/* STORE_NOT_FOUND. Values stored under the id become invisible at once and are dropped
 * from each contact at its next write. */
int store_tx_field_delete(store_tx *tx, int64_t account, const char *id);

/* ---- lists ------------------------------------------------------------------------- */

typedef struct list_info {
    char id[UUID_STR_LEN + 1];
    const char *name;
    int64_t contact_count;
} list_info;

int store_list_get(store *s, int64_t account, const char *id, arena *a, list_info *out);
/* Lists in creation order: rows [offset, offset + limit) and the total. */
int store_list_page(store *s, int64_t account, int64_t offset, int64_t limit, arena *a,
                    list_info **rows, size_t *count, int64_t *total);
/* The ids of up to limit contacts of a list, most recently added first. */
int store_list_sample(store *s, int64_t account, const char *list_id, int64_t limit, arena *a,
                      const char ***ids, size_t *count);

int store_tx_list_get(store_tx *tx, int64_t account, const char *id, arena *a, list_info *out);
/* STORE_CONFLICT when the account has a list of that name. */
int store_tx_list_create(store_tx *tx, int64_t account, const char *id, const char *name);
int store_tx_list_rename(store_tx *tx, int64_t account, const char *id, const char *name);
/* Delete a list and its memberships (not its contacts). STORE_NOT_FOUND when absent. */
int store_tx_list_delete(store_tx *tx, int64_t account, const char *id);
int store_tx_list_member_ids(store_tx *tx, int64_t account, const char *list_id, arena *a,
                             const char ***ids, size_t *count);
/* Deferred (see store_tx_sync); a contact already in the list stays as it is. */
int store_tx_list_add(store_tx *tx, int64_t account, const char *list_id, const char *contact_id);
/* STORE_NOT_FOUND when the contact was not in the list. */
int store_tx_list_remove(store_tx *tx, int64_t account, const char *list_id, const char *contact_id);

/* ---- scans -------------------------------------------------------------------------- */

/* Where a scan stands: the last contact it returned. */
typedef struct scan_cursor {
    int64_t created_at;
    char id[UUID_STR_LEN + 1];
} scan_cursor;

/*
 * Up to limit contacts of the account after *after (NULL: from the first) in creation
 * order — created_at, then id — which is also roughly the order rows lie on disk, so a
 * scan reads pages in sequence. Paging with the last contact returned
 * (scan_cursor_of) walks every contact once (exports, SGQL search). with_lists: read
 * each contact's list_ids too (otherwise they are NULL).
 */
int store_contact_scan(store *s, int64_t account, const scan_cursor *after, int64_t limit,
                       bool with_lists, arena *a, contact **rows, size_t *count);
int store_tx_contact_scan(store_tx *tx, int64_t account, const scan_cursor *after, int64_t limit,
                          bool with_lists, arena *a, contact **rows, size_t *count);
void scan_cursor_of(const contact *c, scan_cursor *out);

/* ---- jobs by kind, payloads, capability lookups -------------------------------------- */

typedef struct job_listing {
    job_info info;
    const char *payload; /* NUL-terminated copy of the stored payload */
    size_t payload_len;
} job_listing;

/* The account's jobs of one kind, newest first, at most limit, with their payloads. */
int store_job_list(store *s, int64_t account, job_kind kind, int64_t limit, arena *a,
                   job_listing **rows, size_t *count);
/* The stored payload of a job (NUL-terminated copy in a). */
int store_job_payload_get(store *s, int64_t account, const char *id, arena *a, const char **payload,
                          size_t *len);
/* The account a job belongs to. Only for URLs that carry their own secret (export
 * downloads, import uploads): the caller checks that secret before reading anything. */
int store_job_account(store *s, const char *id, int64_t *account);

/* ---- export files ------------------------------------------------------------------
 * An export job writes its files as chunks (one per slice of contacts), numbered from 1
 * across the job; file_no says which file a chunk belongs to. */

typedef struct export_tail {
    int64_t file_no; /* 0: no chunk written yet */
    int64_t chunk_no;
    int64_t file_bytes;  /* bytes in file file_no so far */
    const char *last_id; /* the last contact id the job has read, or NULL */
} export_tail;

int store_tx_export_tail(store_tx *tx, int64_t job_seq, arena *a, export_tail *out);
int store_tx_export_chunk_add(store_tx *tx, int64_t job_seq, int64_t file_no, int64_t chunk_no,
                              const char *last_id, const void *data, size_t len, int64_t expires_at);
/* Delete every chunk whose expires_at is before now_ms. */
int store_tx_export_purge(store_tx *tx, int64_t now_ms, int64_t *deleted);
/* The number of files an export has (0 before its first chunk). */
int store_export_file_count(store *s, int64_t account, const char *job_id, int64_t *files);
/* The chunks of file file_no numbered above after_chunk, at most max_chunks of them and
 * none past the first that brings the piece to STORE_EXPORT_READ_BYTES, as one piece of the
 * file (a copy in a); *chunk_no is the last one read. STORE_NOT_FOUND past the last chunk.
 * The bound is in bytes because a chunk is a slice of contacts, whose size varies 1000-fold. */
#define STORE_EXPORT_READ_BYTES (1024 * 1024)
int store_export_chunk_next(store *s, int64_t account, const char *job_id, int64_t file_no,
                            int64_t after_chunk, int64_t max_chunks, arena *a, int64_t *chunk_no,
                            const char **data, size_t *len);

/* ---- import uploads ----------------------------------------------------------------
 * PUT /contacts/imports reserves a job id and an upload URL; the job itself is submitted
 * when the file arrives. */

typedef struct import_upload {
    int64_t account;
    const char *token; /* the secret in the upload URL */
    const char *spec;  /* JSON: {"field_mappings": [...], "list_ids": [...]} */
    int64_t created_at;
} import_upload;

int store_tx_upload_create(store_tx *tx, int64_t account, const char *job_id, const char *token,
                           const char *spec, int64_t created_at);
/* Looked up by job id alone: the caller compares the token (or the account). */
int store_upload_get(store *s, const char *job_id, arena *a, import_upload *out);
/* Drop the reservations made before created_before (ms): their upload URLs expire (a
 * file that arrived in time is a job by then, which stays). */
int store_tx_upload_purge(store_tx *tx, int64_t created_before);

/* ---- administration (the admin API and `contactd account ...`) -----------------------
 * Accounts may have a parent (SendGrid's subusers). A reset purges an account's data
 * (contacts, lists, custom fields, jobs, exports, uploads) inside the caller's
 * transaction, so a job of the account still pending is removed with it, never half
 * applied: the writer runs the purge as an op between two slices of job work. */

typedef struct store_account {
    int64_t id;
    const char *name;
    const char *parent; /* NULL: no parent */
    int64_t parent_id;  /* 0: no parent */
    int64_t created_at; /* ms */
} store_account;

/* What an account keeps on disk beyond its contacts: the export quotas and GET /metrics. */
typedef struct store_usage {
    int64_t account;
    const char *name;
    int64_t export_bytes;  /* export files not expired at now_ms */
    int64_t payload_bytes; /* bodies of pending jobs */
} store_usage;

/* The usage of one account (account > 0: one row, zeros included), or of every account
 * that keeps any (account 0), by id. Bytes as stored, before the database's overhead. */
int store_usage_list(store *s, int64_t account, int64_t now_ms, arena *a, store_usage **rows,
                     size_t *count);

/* Accounts by name: every one (parent_id 0), or the subusers of parent_id. */
int store_account_list(store *s, int64_t parent_id, arena *a, store_account **rows, size_t *count);
int store_account_find(store *s, const char *name, arena *a, store_account *out);
/* STORE_CONFLICT when the name is taken. parent_id 0: none. */
int store_tx_account_create(store_tx *tx, const char *name, int64_t parent_id, int64_t *id);
/* Remove every piece of the account's data; with_account: its keys, settings and the
 * account itself too (its subusers lose their parent). */
int store_tx_account_purge(store_tx *tx, int64_t account, bool with_account);
/* store_tx_account_purge of every account's data (accounts, keys and settings stay). */
int store_tx_account_purge_all(store_tx *tx);
/* Revoke a key of this account only: STORE_NOT_FOUND otherwise. */
int store_tx_key_delete(store_tx *tx, int64_t account, const char *key_id);

/* Job delay settings: account 0 is the global value. A job's run_after is its
 * accepted_at plus the account's delay if set, else the global one (read by the job
 * insert itself, so every node honours a change at once). *ms = -1 when unset. */
int store_setting_job_delay(store *s, int64_t account, int64_t *ms);
/* ms < 0 removes the setting (an account then follows the global value). */
int store_tx_setting_job_delay(store_tx *tx, int64_t account, int64_t ms);
/* The earliest run_after of a pending job that is not due yet (ms), or STORE_NOT_FOUND. */
int store_tx_job_next_due(store_tx *tx, int64_t now_ms, int64_t *at);

/* The account's jobs of every kind, newest first; status < 0: any. */
int store_job_list_all(store *s, int64_t account, int status, int64_t limit, arena *a,
                       job_info **rows, size_t *count);

/* ---- segments (Segments 2.0) ---------------------------------------------------------
 * A segment is a saved query (query_dsl) with an optional parent list; its members are
 * rows (account, segment, contact) that the job writer keeps exact (jobs/segment_sync.c).
 * Deleting a contact or a segment deletes its member rows. */

#define SEGMENT_NAME_MAX 100
#define SEGMENTS_MAX_PER_ACCOUNT 200

typedef struct segment_row {
    char id[UUID_STR_LEN + 1];
    const char *name, *query_dsl;
    const char *parent_list_id;     /* NULL: every contact of the account */
    int64_t created_at, updated_at; /* ms */
    int64_t evaluated_at;           /* ms: the last full evaluation; 0 while one is pending */
    const char *error;              /* why the query cannot be evaluated now, or NULL */
    int64_t contacts_count;         /* members, as kept by the writer */
    int64_t account;
    int64_t members_version; /* grows whenever members, or what they show, may have
                                     * changed: a cached sample is good while it stays */
} segment_row;

int store_segment_get(store *s, int64_t account, const char *id, arena *a, segment_row *out);
/* The account's segments in creation order, with their counts. */
int store_segment_list(store *s, int64_t account, arena *a, segment_row **rows, size_t *count);
/* The same inside the write transaction. */
int store_tx_segment_list(store_tx *tx, int64_t account, arena *a, segment_row **rows,
                          size_t *count);
/* Every segment of every account (the writer's sweep of clock-dependent queries). */
int store_tx_segment_all(store_tx *tx, arena *a, segment_row **rows, size_t *count);
/* Insert the segment, or rewrite the one with its id (every column but created_at).
 * STORE_CONFLICT when another segment of the account has the name. */
int store_tx_segment_put(store_tx *tx, int64_t account, const segment_row *seg);
/* STORE_NOT_FOUND when absent; deletes the members too. */
int store_tx_segment_delete(store_tx *tx, int64_t account, const char *id);
/* Note that the members of the account's segments (all of them, or segment_id) may have
 * changed: their members_version grows. */
int store_tx_segments_changed(store_tx *tx, int64_t account, const char *segment_id);
/* Make contact_id a member of segment_id (in) or not: 1 when that changed a row, 0 when
 * not, or a negative STORE_* code. The writer adds the changes up per segment and records
 * them with store_tx_segment_count_add (one statement per segment, not per row); deleting
 * a contact lowers the counts of its segments by itself. */
int store_tx_segment_member_set(store_tx *tx, int64_t account, const char *segment_id,
                                const char *contact_id, bool in);
int store_tx_segment_count_add(store_tx *tx, int64_t account, const char *segment_id, int64_t delta);
/* The ids of the segments a contact belongs to, sorted. */
int store_contact_segment_ids(store *s, int64_t account, const char *contact_id, arena *a,
                              const char ***ids, size_t *count);
int store_tx_contact_segment_ids(store_tx *tx, int64_t account, const char *contact_id, arena *a,
                                 const char ***ids, size_t *count);
/* The list ids of a contact, as a JSON array (text in a), for the writer. */
int store_tx_contact_list_json(store_tx *tx, int64_t account, const char *contact_id, arena *a,
                               const char **json);
/* The ids of up to limit members of a segment, in contact id order. */
int store_segment_sample(store *s, int64_t account, const char *segment_id, int64_t limit, arena *a,
                         const char ***ids, size_t *count);

/* ---- what a write transaction changed ----------------------------------------------
 * store.c notes every contact a write touches (insert, update, delete, list membership,
 * alternate emails, the members of a deleted list) and every account whose custom fields
 * were renamed or deleted, so that the writer can bring segments up to date before the
 * commit. The notes are dropped at begin, commit and rollback. */

typedef enum store_touch {
    TOUCH_INSERT, /* row: the contact as inserted */
    TOUCH_UPDATE, /* row: the contact as rewritten */
    TOUCH_DELETE, /* gone, with its segment rows */
    TOUCH_LISTS,  /* its list memberships changed */
} store_touch;

typedef struct store_touched {
    int64_t account;
    char id[UUID_STR_LEN + 1];
    store_touch what;
    const contact *row; /* TOUCH_INSERT/UPDATE: a copy (list_ids NULL) */
} store_touched;

/* Take the notes (touched contacts, in order, duplicates possible; accounts whose fields
 * changed) and start afresh. The memory stays valid until the next take or the end of
 * the transaction. Notes made inside a savepoint that is rolled back are forgotten; take
 * them outside any savepoint. */
void store_tx_touched_take(store_tx *tx, store_touched **contacts, size_t *ncontacts,
                           int64_t **accounts, size_t *naccounts);

/* ---- transactions ---------------------------------------------------------------- */

/* A nested savepoint inside the write transaction, so one operation of a group commit
 * can fail without undoing the others. */
int store_tx_savepoint(store_tx *tx);
int store_tx_savepoint_release(store_tx *tx);
void store_tx_savepoint_rollback(store_tx *tx);
/* Wait for the writes deferred so far (store_tx_contact_insert_new, _insert_new_many,
 * _update_known, store_tx_list_add, store_tx_contact_set_alternates): STORE_OK, or the first one's
 * failure (STORE_CONFLICT when a unique index refused it, else STORE_ERROR). On
 * PostgreSQL they travel in one round trip (a pipeline), and a failure aborts the
 * transaction: every later call answers the same failure until a savepoint rollback or
 * the transaction's rollback. On SQLite every write ran at once and this does nothing.
 * Any other call on the transaction waits for them too, so this is where a caller that
 * must know (before releasing a savepoint, at the end of a slice) asks. */
int store_tx_sync(store_tx *tx);


/* Begin the write transaction (blocks while another thread holds it). */
int store_tx_begin(store *s, store_tx **out);
/* Commit durably (the call returns after fsync); the tx is gone either way. */
int store_tx_commit(store_tx *tx);
void store_tx_rollback(store_tx *tx);

#endif
