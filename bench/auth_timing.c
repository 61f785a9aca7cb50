/*
 * auth_timing: does a request with an unknown key id cost the same time as one with a
 * known id and a wrong secret? (Key ids must not be told apart by timing.)
 *
 *   auth_timing [--db PATH|URL] [--samples N] [--keys K]
 *
 * Calls auth_check() -- what every /v3/ request runs, with the server's key cache -- on a
 * real store (a fresh SQLite file in $TMPDIR unless --db names one, e.g. a postgres:// URL)
 * holding K keys. The known key is used once with its secret first, as its owner's traffic
 * would, so it sits in the cache. Then N pairs of samples, each pair in a random order:
 *   known:   the known id with a wrong secret (a fresh random secret each time);
 *   unknown: a fresh random id never stored, with a random secret.
 * Each sample is one auth_check timed with CLOCK_MONOTONIC. Prints both medians (and
 * p10/p90), the difference of medians, and a two-sided Mann-Whitney U test (normal
 * approximation with tie correction) with its p-value and the probability that an
 * unknown-id sample is slower than a known-id one (0.5: no tendency either way).
 * The owner's successful check (cached) is timed too, for reference.
 *
 * Built by CMake with -DCONTACTD_BENCH=ON; bench/auth-timing builds and runs it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/apikey.h"
#include "http/auth.h"
#include "store/store.h"

typedef struct sample {
    double ns;
    int group; /* 0: known id, wrong secret; 1: unknown id */
} sample;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "auth_timing: %s\n", what);
    exit(1);
}

/* A key added as `contactd key create` does; its text goes to text. */
static void add_key(store *st, int64_t account, char text[APIKEY_TEXT_MAX + 1])
{
    apikey k;
    uint8_t hash[APIKEY_HASH_LEN];
    store_tx *tx;
    if (apikey_generate(&k) != 0)
        die("no randomness");
    apikey_hash(k.secret, hash);
    if (store_tx_begin(st, &tx) != STORE_OK ||
        store_tx_key_add(tx, account, k.id, hash, SCOPE_FULL) != STORE_OK ||
        store_tx_commit(tx) != STORE_OK)
        die("cannot add a key");
    apikey_format(&k, text);
}

/* One auth_check of "Bearer <key>", in ns; its result must be `want`. */
static double timed_check(store *st, auth_cache *c, const char *key, auth_result want)
{
    char header[APIKEY_TEXT_MAX + 16];
    snprintf(header, sizeof header, "Bearer %s", key);
    auth_identity who;
    double t0 = now_ns();
    auth_result r = auth_check(st, c, header, &who);
    double t = now_ns() - t0;
    if (r != want)
        die(r == AUTH_UNAVAILABLE ? "the store is unavailable" : "unexpected auth result");
    return t;
}

/* "SG.<id>.<secret>": the known id with a fresh secret, or a fresh id and secret. */
static void probe_key(const char *known, bool unknown_id, char out[APIKEY_TEXT_MAX + 1])
{
    apikey fresh, k;
    if (apikey_generate(&fresh) != 0 || apikey_parse(known, strlen(known), &k) != 0)
        die("cannot make a probe key");
    memcpy(k.secret, fresh.secret, sizeof k.secret);
    if (unknown_id)
        memcpy(k.id, fresh.id, sizeof k.id);
    apikey_format(&k, out);
}

static int by_ns(const void *a, const void *b)
{
    double x = ((const sample *)a)->ns, y = ((const sample *)b)->ns;
    return (x > y) - (x < y);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, by_double);
    return v[(size_t)(q * (double)(n - 1))];
}

/* Two-sided Mann-Whitney U of group 1 against group 0 (n each): z, p, and
 * P(unknown slower) = U1 / n^2. Sorts s. */
static void mann_whitney(sample *s, size_t n, double *z, double *p, double *a12)
{
    size_t total = 2 * n;
    qsort(s, total, sizeof *s, by_ns);
    double rank_sum1 = 0, ties = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i;
        while (j < total && s[j].ns == s[i].ns)
            j++;
        double avg = (double)(i + j + 1) / 2.0, t = (double)(j - i);
        ties += t * t * t - t;
        for (size_t k = i; k < j; k++)
            if (s[k].group == 1)
                rank_sum1 += avg;
        i = j;
    }
    double nn = (double)n, N = (double)total;
    double u1 = rank_sum1 - nn * (nn + 1) / 2.0;
    double mean = nn * nn / 2.0;
    double var = nn * nn / 12.0 * ((N + 1) - ties / (N * (N - 1)));
    *z = var > 0 ? (u1 - mean) / sqrt(var) : 0;
    *p = erfc(fabs(*z) / sqrt(2.0));
    *a12 = u1 / (nn * nn);
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    size_t n = 20000, keys = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--samples") == 0)
            n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--keys") == 0)
            keys = strtoul(argv[i + 1], NULL, 10);
    }
    if (n < 10)
        die("--samples must be at least 10");
    char tmp[256] = "";
    if (!db) {
        const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmp, sizeof tmp, "%s/auth_timing.%ld.db", dir, (long)getpid());
        db = tmp;
    }
    char err[256];
    store *st = store_open(db, err, sizeof err);
    if (!st)
        die(err);
    int64_t account;
    store_tx *tx;
    if (store_tx_begin(st, &tx) != STORE_OK ||
        store_tx_account_ensure(tx, "auth-timing", &account) != STORE_OK ||
        store_tx_commit(tx) != STORE_OK)
        die("cannot create the account");
    char known[APIKEY_TEXT_MAX + 1], other[APIKEY_TEXT_MAX + 1];
    for (size_t i = 0; i < keys; i++)
        add_key(st, account, other);
    add_key(st, account, known);

    auth_cache *cache = auth_cache_new();
    sample *s = calloc(2 * n, sizeof *s);
    double *ok = calloc(n, sizeof *ok), *known_ns = calloc(n, sizeof *known_ns),
           *unknown_ns = calloc(n, sizeof *unknown_ns);
    if (!s || !ok || !known_ns || !unknown_ns)
        die("out of memory");
    srand((unsigned)getpid());
    for (size_t i = 0; i < 2000; i++) /* warm-up: caches, the store's statements */
        timed_check(st, cache, known, AUTH_OK);
    for (size_t i = 0; i < n; i++) {
        char a[APIKEY_TEXT_MAX + 1], b[APIKEY_TEXT_MAX + 1];
        probe_key(known, false, a);
        probe_key(known, true, b);
        ok[i] = timed_check(st, cache, known, AUTH_OK); /* the owner keeps the key cached */
        bool unknown_first = rand() & 1;
        if (unknown_first)
            unknown_ns[i] = timed_check(st, cache, b, AUTH_INVALID);
        known_ns[i] = timed_check(st, cache, a, AUTH_INVALID);
        if (!unknown_first)
            unknown_ns[i] = timed_check(st, cache, b, AUTH_INVALID);
        s[2 * i] = (sample){known_ns[i], 0};
        s[2 * i + 1] = (sample){unknown_ns[i], 1};
    }
    double z, p, a12;
    mann_whitney(s, n, &z, &p, &a12);
    double mk = quantile(known_ns, n, 0.5), mu = quantile(unknown_ns, n, 0.5);
    printf("auth_timing: %zu interleaved pairs, %zu keys stored, store %s\n", n, keys + 1,
           strncmp(db, "postgres", 8) == 0 ? "PostgreSQL" : "SQLite");
    printf("  known id, wrong secret : median %8.0f ns  (p10 %.0f, p90 %.0f)\n", mk,
           quantile(known_ns, n, 0.1), quantile(known_ns, n, 0.9));
    printf("  unknown id             : median %8.0f ns  (p10 %.0f, p90 %.0f)\n", mu,
           quantile(unknown_ns, n, 0.1), quantile(unknown_ns, n, 0.9));
    printf("  right secret (cached)  : median %8.0f ns  (reference)\n", quantile(ok, n, 0.5));
    printf("  difference of medians (unknown - known): %+.0f ns (%+.1f %%)\n", mu - mk,
           100.0 * (mu - mk) / mk);
    printf("  Mann-Whitney U: z = %+.2f, p = %.3g; P(unknown slower than known) = %.3f\n", z, p,
           a12);
    auth_cache_free(cache);
    store_close(st);
    if (*tmp) {
        unlink(tmp);
        char side[300];
        snprintf(side, sizeof side, "%s-wal", tmp);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", tmp);
        unlink(side);
    }
    free(s);
    free(ok);
    free(known_ns);
    free(unknown_ns);
    return 0;
}
