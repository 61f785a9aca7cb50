/*
 * journal: the most recent requests of this node, for the admin API's
 * GET /_contactd/requests. A ring of fixed capacity: recording overwrites the oldest
 * entry. It keeps no bodies, no headers and no keys: time, request id, method, path with
 * query, status, duration and account.
 *
 * Thread-safe; the journal copies what it is given (paths are cut at JOURNAL_PATH_MAX).
 */
#ifndef CONTACTD_HTTP_JOURNAL_H
#define CONTACTD_HTTP_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_DEFAULT_SIZE 1000
#define JOURNAL_PATH_MAX 512

typedef struct journal_entry {
    int64_t time_ms;        /* when the request ended, ms since the epoch */
    const char *request_id; /* "" when none */
    const char *method, *path;
    const char *query; /* "?a=b" appended to path, "" or NULL */
    unsigned status;   /* 0: no response was sent */
    double duration_ms;
    const char *account; /* the account's name; "" or NULL: none (public, admin) */
} journal_entry;

typedef struct http_journal http_journal;

http_journal *journal_new(size_t capacity);
void journal_free(http_journal *j);
void journal_record(http_journal *j, const journal_entry *e);
/* Up to limit entries, newest first, as [{"time","request_id","method","path","status",
 * "duration_ms","account"}]. */
json_t *journal_list(http_journal *j, size_t limit);

#endif
