/* faults: see faults.h. A small array under one mutex: tests add a handful of faults,
 * and a request with none configured pays one unlocked check of the count. */
#include "http/faults.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"

typedef struct fault {
    char id[FAULT_ID_LEN + 1];
    fault_spec spec;
    char *account_name;
    int64_t fired;
} fault;

struct http_faults {
    pthread_mutex_t lock;
    fault items[FAULTS_MAX];
    atomic_int count;
    uint64_t rng; /* xorshift64 state, under lock */
    unsigned next_id;
};

http_faults *faults_new(void)
{
    http_faults *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    pthread_mutex_init(&f->lock, NULL);
    f->rng = 0x9E3779B97F4A7C15ull;
    char seed[UUID_STR_LEN + 1];
    if (uuid_generate(seed) == 0)
        for (const char *p = seed; *p; p++)
            f->rng = (f->rng ^ (unsigned char)*p) * 1099511628211ull;
    return f;
}

void faults_free(http_faults *f)
{
    if (!f)
        return;
    faults_clear(f);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int faults_add(http_faults *f, const fault_spec *spec, char id[FAULT_ID_LEN + 1])
{
    pthread_mutex_lock(&f->lock);
    int n = atomic_load(&f->count);
    if (n == FAULTS_MAX) {
        pthread_mutex_unlock(&f->lock);
        return -1;
    }
    fault *it = &f->items[n];
    memset(it, 0, sizeof *it);
    snprintf(it->id, sizeof it->id, "f%u", ++f->next_id);
    it->spec = *spec;
    it->account_name = spec->account_name ? strdup(spec->account_name) : NULL;
    it->spec.account_name = it->account_name;
    memcpy(id, it->id, sizeof it->id);
    atomic_store(&f->count, n + 1);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int faults_remove(http_faults *f, const char *id)
{
    pthread_mutex_lock(&f->lock);
    int n = atomic_load(&f->count);
    for (int i = 0; i < n; i++) {
        if (strcmp(f->items[i].id, id) != 0)
            continue;
        free(f->items[i].account_name);
        memmove(&f->items[i], &f->items[i + 1], (size_t)(n - i - 1) * sizeof f->items[0]);
        atomic_store(&f->count, n - 1);
        pthread_mutex_unlock(&f->lock);
        return 0;
    }
    pthread_mutex_unlock(&f->lock);
    return -1;
}

void faults_clear(http_faults *f)
{
    pthread_mutex_lock(&f->lock);
    int n = atomic_load(&f->count);
    for (int i = 0; i < n; i++)
        free(f->items[i].account_name);
    atomic_store(&f->count, 0);
    pthread_mutex_unlock(&f->lock);
}

json_t *faults_list(http_faults *f)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&f->lock);
    int n = atomic_load(&f->count);
    for (int i = 0; i < n; i++) {
        const fault *it = &f->items[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:f, s:i, s:I}", "id", it->id, "method",
                              it->spec.method, "path", it->spec.path, "times",
                              (json_int_t)it->spec.times, "probability", it->spec.probability,
                              "delay_ms", (int)it->spec.delay_ms, "fired", (json_int_t)it->fired);
        json_object_set_new(o, "status",
                            it->spec.status ? json_integer(it->spec.status) : json_null());
        json_object_set_new(o, "account",
                            it->account_name ? json_string(it->account_name) : json_null());
        json_array_append_new(arr, o);
    }
    pthread_mutex_unlock(&f->lock);
    return arr;
}

static bool path_matches(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, path, n - 1) == 0;
    return strcmp(pattern, path) == 0;
}

/* A uniform double in [0, 1). */
static double next_random(http_faults *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return (double)(f->rng >> 11) / 9007199254740992.0;
}

bool faults_match(http_faults *f, const char *method, const char *path, int64_t account,
                  fault_hit *out)
{
    if (!f || atomic_load(&f->count) == 0)
        return false;
    bool hit = false;
    pthread_mutex_lock(&f->lock);
    int n = atomic_load(&f->count);
    for (int i = 0; i < n && !hit; i++) {
        fault *it = &f->items[i];
        const fault_spec *s = &it->spec;
        if (strcmp(s->method, "*") != 0 && strcmp(s->method, method) != 0)
            continue;
        if ((s->account && s->account != account) || !path_matches(s->path, path))
            continue;
        if (s->times > 0 && it->fired >= s->times)
            continue;
        if (s->probability < 1.0 && next_random(f) >= s->probability)
            continue;
        it->fired++;
        out->status = s->status;
        out->delay_ms = s->delay_ms;
        hit = true;
    }
    pthread_mutex_unlock(&f->lock);
    return hit;
}

const char *faults_message(unsigned status)
{
    switch (status) {
    case 400: return "bad request";
    case 401: return "authorization required";
    case 403: return "access forbidden";
    case 404: return "not found";
    case 413: return "request entity too large";
    case 429: return "too many requests";
    case 500: return "internal error";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: return "injected fault";
    }
}
