/* journal: see journal.h. Entries are fixed-size slots, so recording never allocates. */
#include "http/journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

typedef struct slot {
    int64_t time_ms;
    char request_id[64];
    char method[16];
    char path[JOURNAL_PATH_MAX];
    unsigned status;
    double duration_ms;
    char account[128]; /* "": none */
} slot;

struct http_journal {
    pthread_mutex_t lock;
    slot *slots;
    size_t capacity, next, count;
};

http_journal *journal_new(size_t capacity)
{
    http_journal *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->capacity = capacity ? capacity : 1;
    j->slots = calloc(j->capacity, sizeof *j->slots);
    if (!j->slots)
        abort();
    pthread_mutex_init(&j->lock, NULL);
    return j;
}

void journal_free(http_journal *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    free(j->slots);
    free(j);
}

/* Appends s (NULL: nothing) to the field dst of size bytes whose text ends at at, cut to
 * fit; returns where the text ends now. As snprintf's "%s" would, without its cost on
 * every request. */
static size_t put_cut(char *dst, size_t size, size_t at, const char *s)
{
    if (!s)
        s = "";
    size_t n = strnlen(s, size - 1 - at);
    memcpy(dst + at, s, n);
    dst[at + n] = '\0';
    return at + n;
}

void journal_record(http_journal *j, const journal_entry *e)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    slot *s = &j->slots[j->next];
    s->time_ms = e->time_ms;
    put_cut(s->request_id, sizeof s->request_id, 0, e->request_id);
    put_cut(s->method, sizeof s->method, 0, e->method);
    put_cut(s->path, sizeof s->path, put_cut(s->path, sizeof s->path, 0, e->path), e->query);
    s->status = e->status;
    s->duration_ms = e->duration_ms;
    put_cut(s->account, sizeof s->account, 0, e->account);
    j->next = (j->next + 1) % j->capacity;
    if (j->count < j->capacity)
        j->count++;
    pthread_mutex_unlock(&j->lock);
}

json_t *journal_list(http_journal *j, size_t limit)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&j->lock);
    size_t n = limit < j->count ? limit : j->count;
    for (size_t i = 0; i < n; i++) {
        const slot *s = &j->slots[(j->next + j->capacity - 1 - i) % j->capacity];
        char ts[ISO8601_LEN + 1];
        time_iso8601(s->time_ms, ts);
        /* microseconds are as fine as a duration here means anything */
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "time", ts, "request_id", s->request_id,
                              "method", s->method, "path", s->path, "duration_ms",
                              (double)(int64_t)(s->duration_ms * 1000) / 1000);
        json_object_set_new(o, "status", s->status ? json_integer(s->status) : json_null());
        json_object_set_new(o, "account", s->account[0] ? json_string(s->account) : json_null());
        json_array_append_new(arr, o);
    }
    pthread_mutex_unlock(&j->lock);
    return arr;
}
