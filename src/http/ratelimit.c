/* ratelimit: see ratelimit.h. A chained hash table of windows under one mutex: the
 * critical section is a handful of instructions, far below the cost of a request. */
#include "http/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/apikey.h"

#define BUCKETS 1024

typedef struct window {
    char key_id[APIKEY_ID_MAX + 1];
    int64_t start;
    unsigned count;
    struct window *next;
} window;

struct ratelimit {
    unsigned limit, window_s;
    pthread_mutex_t lock;
    window *bucket[BUCKETS];
};

ratelimit *ratelimit_new(unsigned limit, unsigned window_s)
{
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        abort();
    rl->limit = limit;
    rl->window_s = window_s ? window_s : 1;
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < BUCKETS; i++) {
        window *w = rl->bucket[i];
        while (w) {
            window *next = w->next;
            free(w);
            w = next;
        }
    }
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % BUCKETS;
}

void ratelimit_take(ratelimit *rl, const char *key_id, int64_t now_s, ratelimit_verdict *out)
{
    unsigned b = hash(key_id);
    pthread_mutex_lock(&rl->lock);
    window *w = rl->bucket[b];
    while (w && strcmp(w->key_id, key_id) != 0)
        w = w->next;
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            abort();
        snprintf(w->key_id, sizeof w->key_id, "%s", key_id);
        w->next = rl->bucket[b];
        rl->bucket[b] = w;
    }
    /* Windows are aligned to multiples of window_s so that Reset is predictable. */
    int64_t start = now_s - now_s % rl->window_s;
    if (w->start != start) {
        w->start = start;
        w->count = 0;
    }
    out->allowed = w->count < rl->limit;
    if (out->allowed)
        w->count++;
    out->limit = rl->limit;
    out->remaining = rl->limit - w->count;
    out->reset = start + rl->window_s;
    pthread_mutex_unlock(&rl->lock);
}

int ratelimit_parse(const char *spec, unsigned *limit, unsigned *window_s)
{
    char *end;
    unsigned long n = strtoul(spec, &end, 10);
    if (end == spec || *end != '/' || n == 0 || n > 100000000ul)
        return -1;
    const char *w = end + 1;
    unsigned long s = strtoul(w, &end, 10);
    if (end == w || *end || s == 0 || s > 86400ul)
        return -1;
    *limit = (unsigned)n;
    *window_s = (unsigned)s;
    return 0;
}
