/*
 * ratelimit: per-key request limits in SendGrid's style — a fixed window of `window_s`
 * seconds in which a key may make `limit` requests. Every answer to a limited key
 * carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (the Unix time
 * the window ends); past the limit the answer is 429 "too many requests".
 *
 * State is per process (per node), in memory, bounded by the number of keys that made a
 * request. Thread-safe. Off (never created) unless configured.
 */
#ifndef CONTACTD_HTTP_RATELIMIT_H
#define CONTACTD_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

typedef struct ratelimit_verdict {
    bool allowed;
    unsigned limit, remaining;
    int64_t reset; /* Unix seconds */
} ratelimit_verdict;

ratelimit *ratelimit_new(unsigned limit, unsigned window_s);
void ratelimit_free(ratelimit *rl);
/* Count one request of key_id at now_s and say whether it may proceed. */
void ratelimit_take(ratelimit *rl, const char *key_id, int64_t now_s, ratelimit_verdict *out);
/* Parse "N/SECONDS" (e.g. "600/60"); 0 or -1. */
int ratelimit_parse(const char *spec, unsigned *limit, unsigned *window_s);

#endif
