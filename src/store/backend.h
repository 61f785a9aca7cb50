/*
 * backend: the table of functions behind store.h, one per storage engine.
 *
 * store.c owns the public `store` and `store_tx` and forwards every call through the
 * backend's table with the backend's own handle, so each call costs one indirect jump.
 * Each backend file defines struct store_impl and struct store_tx_impl for itself; the
 * rest of the program never sees them. The functions mean exactly what their namesakes
 * in store.h mean (store_contact_get -> contact_get, store_tx_list_add -> tx_list_add, ...).
 *
 * The table is on its way out (issue 15): each entity group moves, one at a time, into a
 * query file written once over driver.h, and its entries leave this table and both
 * backends. What stays is the engine: open/close, transactions, savepoints and the
 * driver's connections (read, read_done, tx_conn).
 */
#ifndef CONTACTD_STORE_BACKEND_H
#define CONTACTD_STORE_BACKEND_H

#include "store/driver.h"
#include "store/store.h"

typedef struct store_impl store_impl;
typedef struct store_tx_impl store_tx_impl;

typedef struct store_backend {
    const char *name;
    /* Several contactd processes may share the database (so the job writer must poll
     * for work that other nodes left pending). */
    bool shared;
    store_impl *(*open)(const char *path, char *err, size_t err_size);
    void (*close)(store_impl *s);
    /* Blocks while another thread of this process holds the write transaction. */
    int (*tx_begin)(store_impl *s, store_tx_impl **out);
    int (*tx_commit)(store_tx_impl *tx);
    void (*tx_rollback)(store_tx_impl *tx);
    /* The driver's connections (driver.h): a pooled reader (NULL when none can be had)
     * and the write transaction's. */
    db_conn *(*read)(store_impl *s);
    void (*read_done)(store_impl *s, db_conn *c);
    db_conn *(*tx_conn)(store_tx_impl *tx);

    int (*job_pending_stats)(store_impl *s, int64_t *count, int64_t *oldest_accepted_at);
    int (*job_get)(store_impl *s, int64_t account, const char *id, job_info *out);
    int (*job_errors)(store_impl *s, int64_t account, const char *id, arena *a,
                      job_error_row **rows, size_t *count);
    int (*tx_job_insert)(store_tx_impl *tx, const job_new *j, const char *errors_token,
                         int64_t *seq);
    int (*tx_job_next)(store_tx_impl *tx, job_row *out);
    int (*tx_job_payload)(store_tx_impl *tx, int64_t seq, arena *a, const char **payload,
                          size_t *len);
    int (*tx_job_progress)(store_tx_impl *tx, int64_t seq, int64_t cursor, const job_counts *c);
    int (*tx_job_finish)(store_tx_impl *tx, int64_t seq, job_status st, const job_counts *c,
                         int64_t finished_at);
    int (*tx_job_error_add)(store_tx_impl *tx, int64_t seq, int64_t index, const char *identifiers,
                            const char *message);
    int (*job_list)(store_impl *s, int64_t account, job_kind kind, int64_t limit, arena *a,
                    job_listing **rows, size_t *count);
    int (*job_payload_get)(store_impl *s, int64_t account, const char *id, arena *a,
                           const char **payload, size_t *len);
    int (*job_account)(store_impl *s, const char *id, int64_t *account);
    int (*tx_export_tail)(store_tx_impl *tx, int64_t job_seq, arena *a, export_tail *out);
    int (*tx_export_chunk_add)(store_tx_impl *tx, int64_t job_seq, int64_t file_no,
                               int64_t chunk_no, const char *last_id, const void *data, size_t len,
                               int64_t expires_at);
    int (*tx_export_purge)(store_tx_impl *tx, int64_t now_ms, int64_t *deleted);
    int (*export_file_count)(store_impl *s, int64_t account, const char *job_id, int64_t *files);
    int (*export_chunk_next)(store_impl *s, int64_t account, const char *job_id, int64_t file_no,
                             int64_t after_chunk, int64_t max_chunks, arena *a, int64_t *chunk_no,
                             const char **data, size_t *len);
    int (*tx_upload_create)(store_tx_impl *tx, int64_t account, const char *job_id,
                            const char *token, const char *spec, int64_t created_at);
    int (*upload_get)(store_impl *s, const char *job_id, arena *a, import_upload *out);
    int (*segment_get)(store_impl *s, int64_t account, const char *id, arena *a, segment_row *out);
    int (*segment_list)(store_impl *s, int64_t account, arena *a, segment_row **rows, size_t *count);
    int (*tx_segment_list)(store_tx_impl *tx, int64_t account, arena *a, segment_row **rows,
                           size_t *count);
    int (*tx_segment_all)(store_tx_impl *tx, arena *a, segment_row **rows, size_t *count);
    int (*tx_segment_put)(store_tx_impl *tx, int64_t account, const segment_row *seg);
    int (*tx_segment_delete)(store_tx_impl *tx, int64_t account, const char *id);
    int (*tx_segments_changed)(store_tx_impl *tx, int64_t account, const char *segment_id);
    int (*tx_segment_count_add)(store_tx_impl *tx, int64_t account, const char *segment_id,
                                int64_t delta);
    int (*tx_segment_member_set)(store_tx_impl *tx, int64_t account, const char *segment_id,
                                 const char *contact_id, bool in);
    int (*contact_segment_ids)(store_impl *s, int64_t account, const char *contact_id, arena *a,
                               const char ***ids, size_t *count);
    int (*tx_contact_segment_ids)(store_tx_impl *tx, int64_t account, const char *contact_id,
                                  arena *a, const char ***ids, size_t *count);
    int (*tx_contact_list_json)(store_tx_impl *tx, int64_t account, const char *contact_id,
                                arena *a, const char **json);
    int (*segment_sample)(store_impl *s, int64_t account, const char *segment_id, int64_t limit,
                          arena *a, contact **rows, size_t *count);
    int (*tx_upload_purge)(store_tx_impl *tx, int64_t created_before);
    int (*tx_savepoint)(store_tx_impl *tx);
    int (*tx_savepoint_release)(store_tx_impl *tx);
    void (*tx_savepoint_rollback)(store_tx_impl *tx);
    int (*tx_job_next_due)(store_tx_impl *tx, int64_t now_ms, int64_t *at);
    int (*job_list_all)(store_impl *s, int64_t account, int status, int64_t limit, arena *a,
                        job_info **rows, size_t *count);
} store_backend;

extern const store_backend sqlite_backend;
extern const store_backend postgres_backend;

#endif
