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
    /* Optional (NULL: never a problem, nothing to check): store_write_problem, store_check. */
    const char *(*write_problem)(store_impl *s);
    int (*check)(store_impl *s, char *err, size_t err_size);

    int (*job_pending_stats)(store_impl *s, int64_t *count, int64_t *oldest_accepted_at,
                             int64_t *records);
    int (*job_get)(store_impl *s, int64_t account, const char *id, job_info *out);
    int (*job_errors)(store_impl *s, int64_t account, const char *id, int64_t after, size_t limit,
                      arena *a, job_error_row **rows, size_t *count);
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
