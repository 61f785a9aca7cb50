/*
 * sqlite_file: notices a SQLite database file removed or replaced under the running
 * server, and checks a file's pages at start (see sqlite_file.h).
 */
#include "store/sqlite_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

void sqlite_file_watch_init(sqlite_file_watch *w, const char *path)
{
    struct stat st;
    w->path = path;
    w->known = stat(path, &st) == 0;
    w->dev = w->known ? st.st_dev : 0;
    w->ino = w->known ? st.st_ino : 0;
    atomic_store(&w->lost, false);
}

/* Why the path no longer names the recorded file, or NULL while it does. Other stat
 * failures (EACCES, EIO) say nothing about the file's identity and are not a loss. */
static const char *what_changed(const sqlite_file_watch *w)
{
    struct stat st;
    if (stat(w->path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? "removed" : NULL;
    if (st.st_dev != w->dev || st.st_ino != w->ino)
        return "replaced";
    return NULL;
}

bool sqlite_file_lost(sqlite_file_watch *w)
{
    if (!w->known)
        return false;
    if (atomic_load_explicit(&w->lost, memory_order_relaxed))
        return true;
    const char *why = what_changed(w);
    if (!why)
        return false;
    /* Two threads may see it at once: only the one that sets the flag logs. */
    if (!atomic_exchange(&w->lost, true)) {
        log_field f[] = {
            LOG_S("path", w->path),
            LOG_S("change", why),
            LOG_S("action", "every write is refused with 503 and /readyz fails until contactd "
                            "restarts; writes acknowledged before this are in the old file"),
        };
        log_event("database_file_lost", f, sizeof f / sizeof f[0]);
    }
    return true;
}

int sqlite_file_check(sqlite3 *db, const char *path, char *err, size_t err_size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s: cannot check the database: %s", path, sqlite3_errmsg(db));
        return -1;
    }
    char found[400] = "";
    size_t used = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") != 0 && used < sizeof found)
            used +=
                (size_t)snprintf(found + used, sizeof found - used, "%s%s", used ? "; " : "", line);
    }
    if (rc != SQLITE_DONE && !found[0])
        snprintf(found, sizeof found, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (!found[0])
        return 0;
    for (char *p = found; *p; p++) /* one log line */
        if (*p == '\n')
            *p = ' ';
    snprintf(err, err_size,
             "%s is corrupt (PRAGMA quick_check: %s); refusing to serve it: restore it from a "
             "backup (sqlite3's .recover may salvage what is readable)",
             path, found);
    return -1;
}
