/*
 * test_timeutil: time_iso8601, the times every read answer shows, written digit by digit
 * for years 0-9999 and by snprintf beyond: held to gmtime_r's calendar over the whole
 * four-digit range and to fixed strings at the edges.
 */
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "core/timeutil.h"

/* What the answer must be, from libc's calendar (years 0-9999). */
static void expected_iso8601(int64_t ms, char out[ISO8601_LEN + 1])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(out, ISO8601_LEN + 1, "%.20s", buf);
}

static void test_fixed(void)
{
    char s[ISO8601_LEN + 1];
    time_iso8601(0, s);
    CHECK_STR(s, "1970-01-01T00:00:00Z");
    time_iso8601(1614698747123, s);
    CHECK_STR(s, "2021-03-02T15:25:47Z");
    time_iso8601(-1, s); /* a millisecond before the epoch is in its last second */
    CHECK_STR(s, "1969-12-31T23:59:59Z");
    time_iso8601(-62167219200000, s);
    CHECK_STR(s, "0000-01-01T00:00:00Z");
    time_iso8601(253402300799999, s);
    CHECK_STR(s, "9999-12-31T23:59:59Z");
    /* beyond four digits, the first 20 characters of the longer form, as ever */
    time_iso8601(-62167219201000, s);
    CHECK_STR(s, "-001-12-31T23:59:59Z");
    time_iso8601(253402300800000, s);
    CHECK_STR(s, "10000-01-01T00:00:00");
}

/* Every day from year 0 to 9999 at a time of day that moves, and random instants. */
static void test_against_libc(void)
{
    const int64_t first = -62167219200000, last = 253402300799999;
    int64_t step = TIME_DAY_MS + 3723001; /* a day, 1 h 2 min 3 s and 1 ms */
    int bad = 0;
    char got[ISO8601_LEN + 1], want[ISO8601_LEN + 1];
    for (int64_t ms = first; ms <= last; ms += step) {
        time_iso8601(ms, got);
        expected_iso8601(ms, want);
        bad += strcmp(got, want) != 0;
    }
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t ms = first + (int64_t)(x % (unsigned long long)(last - first + 1));
        time_iso8601(ms, got);
        expected_iso8601(ms, want);
        bad += strcmp(got, want) != 0;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(test_fixed);
    RUN(test_against_libc);
    return check_summary("test_timeutil");
}
