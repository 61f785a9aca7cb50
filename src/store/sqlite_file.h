/*
 * sqlite_file: the SQLite database file's identity and soundness, for the SQLite backend.
 *
 * A SQLite connection keeps writing to the inode it opened, so a database file that is
 * unlinked or replaced (renamed over) under a running server would take commits that no
 * later start will see. sqlite_file_watch records the file's device and inode at open;
 * sqlite_file_lost compares them with what the path names now (one stat(2), about a
 * microsecond), so the writer checks before every commit and the checkpointer every
 * 100 ms. A vanished path is the st_nlink == 0 case: the inode the connections hold has no
 * name left. Once lost, always lost (until a restart): the file now at the path, if any,
 * is not the one the server has been writing. The first detection writes one log line.
 *
 * sqlite_file_check runs PRAGMA quick_check, so that a start refuses a corrupt file.
 *
 * Memory: the watch copies nothing; path must outlive it (the store's own copy).
 */
#ifndef CONTACTD_STORE_SQLITE_FILE_H
#define CONTACTD_STORE_SQLITE_FILE_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct sqlite_file_watch {
    const char *path;
    dev_t dev;
    ino_t ino;
    bool known;       /* the identity was recorded (a path that could be stat'ed) */
    atomic_bool lost; /* set once, never cleared */
} sqlite_file_watch;

/* Record what path names now. */
void sqlite_file_watch_init(sqlite_file_watch *w, const char *path);
/* True once the path no longer names the recorded file (logged the first time). */
bool sqlite_file_lost(sqlite_file_watch *w);

/* PRAGMA quick_check on db: 0, or -1 with the first problems SQLite reports in err. */
int sqlite_file_check(sqlite3 *db, const char *path, char *err, size_t err_size);

#endif
