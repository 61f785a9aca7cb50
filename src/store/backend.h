/*
 * backend: the engine behind store.h, one table per storage engine.
 *
 * store.c owns the public `store` and `store_tx` and forwards the engine's calls through
 * the backend's table with the backend's own handle, so each call costs one indirect jump.
 * Each backend file defines struct store_impl and struct store_tx_impl for itself; the
 * rest of the program never sees them. The functions mean exactly what their namesakes
 * in store.h mean (store_tx_begin -> tx_begin, store_tx_savepoint -> tx_savepoint, ...).
 *
 * Every entity group is a query file written once over driver.h (issue 15); what is left
 * here is the engine alone: open/close, transactions, savepoints, the file checks and the
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
    /* store_tx_savepoint and its release and rollback (which releases it too). */
    int (*tx_savepoint)(store_tx_impl *tx);
    int (*tx_savepoint_release)(store_tx_impl *tx);
    void (*tx_savepoint_rollback)(store_tx_impl *tx);
} store_backend;

extern const store_backend sqlite_backend;
extern const store_backend postgres_backend;

#endif
