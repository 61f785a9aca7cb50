/* Unit tests of http/ratelimit: the fixed window per key, its headers' values, and the
 * "N/SECONDS" setting. The clock is the caller's (now_s), so no test waits. */
#include <stdint.h>

#include "check.h"
#include "http/ratelimit.h"

static ratelimit_verdict take(ratelimit *rl, const char *key, int64_t now)
{
    ratelimit_verdict v = {.allowed = false, .limit = 99, .remaining = 99, .reset = -1};
    ratelimit_take(rl, key, now, &v);
    return v;
}

static void test_window(void)
{
    ratelimit *rl = ratelimit_new(3, 60);
    const int64_t t0 = 1800000000; /* a multiple of 60: a window starts here */
    for (unsigned i = 0; i < 3; i++) {
        ratelimit_verdict v = take(rl, "k1", t0 + i);
        CHECK(v.allowed);
        CHECK_INT(v.limit, 3);
        CHECK_INT(v.remaining, 2 - i);
        CHECK_INT(v.reset, t0 + 60);
    }
    /* Past the limit: refused, and refusals do not count further. */
    for (int i = 0; i < 2; i++) {
        ratelimit_verdict v = take(rl, "k1", t0 + 59);
        CHECK(!v.allowed);
        CHECK_INT(v.remaining, 0);
        CHECK_INT(v.reset, t0 + 60);
    }
    /* The next window starts afresh, whatever happened in the last one. */
    ratelimit_verdict v = take(rl, "k1", t0 + 60);
    CHECK(v.allowed);
    CHECK_INT(v.remaining, 2);
    CHECK_INT(v.reset, t0 + 120);
    /* Windows are aligned to multiples of the window: a request late in one gets its end. */
    v = take(rl, "k1", t0 + 119);
    CHECK(v.allowed);
    CHECK_INT(v.remaining, 1);
    CHECK_INT(v.reset, t0 + 120);
    /* After a long pause, the same. */
    v = take(rl, "k1", t0 + 3600 + 30);
    CHECK(v.allowed);
    CHECK_INT(v.remaining, 2);
    CHECK_INT(v.reset, t0 + 3660);
    ratelimit_free(rl);
    ratelimit_free(NULL);
}

static void test_keys_are_separate(void)
{
    ratelimit *rl = ratelimit_new(1, 10);
    const int64_t t = 1800000000;
    CHECK(take(rl, "alpha", t).allowed);
    CHECK(!take(rl, "alpha", t).allowed);
    CHECK(take(rl, "beta", t).allowed);
    CHECK(!take(rl, "beta", t + 1).allowed);
    /* Many keys (more than the table's buckets): each keeps its own count. */
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        CHECK(take(rl, key, t).allowed);
    }
    int refused = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        refused += !take(rl, key, t).allowed;
    }
    CHECK_INT(refused, 3000);
    CHECK(!take(rl, "alpha", t + 9).allowed);
    CHECK(take(rl, "alpha", t + 10).allowed);
    ratelimit_free(rl);
}

/* A window of 0 seconds is taken as 1 (never a division by zero). */
static void test_zero_window(void)
{
    ratelimit *rl = ratelimit_new(2, 0);
    CHECK(take(rl, "k", 100).allowed);
    CHECK(take(rl, "k", 100).allowed);
    CHECK(!take(rl, "k", 100).allowed);
    ratelimit_verdict v = take(rl, "k", 101);
    CHECK(v.allowed);
    CHECK_INT(v.reset, 102);
    ratelimit_free(rl);
}

static void test_parse(void)
{
    unsigned limit = 7, window = 7;
    CHECK_INT(ratelimit_parse("600/60", &limit, &window), 0);
    CHECK_INT(limit, 600);
    CHECK_INT(window, 60);
    CHECK_INT(ratelimit_parse("1/1", &limit, &window), 0);
    CHECK_INT(ratelimit_parse("100000000/86400", &limit, &window), 0);
    CHECK_INT(limit, 100000000);
    CHECK_INT(window, 86400);

    static const char *const bad[] = {
        "",        "600",     "600/",     "/60",     "0/60",         "600/0",
        "-1/60",   "600/-1",  "600/60x",  "600x/60", "100000001/60", "600/86401",
        "600 /60", "abc/def", "600/60/1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        limit = window = 7;
        if (!CHECK_INT(ratelimit_parse(bad[i], &limit, &window), -1))
            fprintf(stderr, "    spec: \"%s\"\n", bad[i]);
        CHECK_INT(limit, 7);
        CHECK_INT(window, 7);
    }
}

int main(void)
{
    RUN(test_window);
    RUN(test_keys_are_separate);
    RUN(test_zero_window);
    RUN(test_parse);
    return check_summary("test_ratelimit");
}
