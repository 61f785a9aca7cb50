/* timeutil: see timeutil.h. */
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- calendar --------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && leap_year(y));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Read exactly n digits at s (within len). */
static bool read_digits(const char *s, size_t len, size_t at, int n, int *out)
{
    int v = 0;
    if (at + (size_t)n > len)
        return false;
    for (int i = 0; i < n; i++) {
        char ch = s[at + (size_t)i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *out = v;
    return true;
}

bool time_parse(const char *s, size_t len, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    size_t i;
    if (len >= 10 && s[2] == '/' && s[5] == '/') {
        if (!read_digits(s, len, 0, 2, &mo) || !read_digits(s, len, 3, 2, &d) ||
            !read_digits(s, len, 6, 4, &y))
            return false;
    } else if (len >= 10 && s[4] == '-' && s[7] == '-') {
        if (!read_digits(s, len, 0, 4, &y) || !read_digits(s, len, 5, 2, &mo) ||
            !read_digits(s, len, 8, 2, &d))
            return false;
    } else {
        return false;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
        return false;
    i = 10;
    int64_t offset_min = 0;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        if (!read_digits(s, len, i + 1, 2, &h) || i + 3 >= len || s[i + 3] != ':' ||
            !read_digits(s, len, i + 4, 2, &mi))
            return false;
        i += 6;
        if (i < len && s[i] == ':') {
            if (!read_digits(s, len, i + 1, 2, &se))
                return false;
            i += 3;
            if (i < len && s[i] == '.') {
                i++;
                size_t start = i;
                int scale = 100;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    ms += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start)
                    return false;
            }
        }
        if (h > 23 || mi > 59 || se > 59)
            return false;
        if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int oh, om;
            bool colon = i + 3 < len && s[i + 3] == ':';
            if (!read_digits(s, len, i + 1, 2, &oh) ||
                !read_digits(s, len, i + (colon ? 4 : 3), 2, &om) || oh > 23 || om > 59)
                return false;
            offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
            i += colon ? 6 : 5;
        }
    }
    if (i != len)
        return false;
    *out = days_from_civil(y, mo, d) * TIME_DAY_MS + ((int64_t)h * 3600 + mi * 60 + se) * 1000 +
           ms - offset_min * 60000;
    return true;
}

bool time_add(int64_t t, int32_t months, int64_t ms, int64_t *out)
{
    if (t > TIME_LIMIT || t < -TIME_LIMIT)
        return false;
    if (months) {
        int64_t days = floor_div(t, TIME_DAY_MS), y;
        int64_t in_day = t - days * TIME_DAY_MS;
        int m, d;
        civil_from_days(days, &y, &m, &d);
        int64_t total = y * 12 + (m - 1) + months;
        int64_t y2 = floor_div(total, 12);
        int m2 = (int)(total - y2 * 12) + 1;
        if (d > month_days(y2, m2))
            d = month_days(y2, m2);
        t = days_from_civil(y2, m2, d) * TIME_DAY_MS + in_day;
    }
    t += ms;
    if (t > TIME_LIMIT || t < -TIME_LIMIT)
        return false;
    *out = t;
    return true;
}

int64_t time_day_start(int64_t ms)
{
    return floor_div(ms, TIME_DAY_MS) * TIME_DAY_MS;
}

/* v as exactly n decimal digits (v < 10^n). */
static char *put_digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

void time_iso8601(int64_t ms, char out[ISO8601_LEN + 1])
{
    int64_t days = floor_div(ms, TIME_DAY_MS), y;
    int64_t secs = (ms - days * TIME_DAY_MS) / 1000;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        /* The common case, written digit by digit: every read answer shows two or more
         * times, and snprintf cost more than the rest of this function. */
        char *p = put_digits(out, (int)y, 4);
        *p++ = '-';
        p = put_digits(p, m, 2);
        *p++ = '-';
        p = put_digits(p, d, 2);
        *p++ = 'T';
        p = put_digits(p, (int)(secs / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (int)(secs / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (int)(secs % 60), 2);
        *p++ = 'Z';
        *p = '\0';
        return;
    }
    char buf[64]; /* room for any year the compiler can imagine; real ones take four digits */
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    memcpy(out, buf, ISO8601_LEN);
    out[ISO8601_LEN] = '\0';
}

/* ---- clocks ----------------------------------------------------------------------- */

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t time_month_utc(int64_t ms)
{
    int64_t y;
    int m, d;
    civil_from_days(floor_div(ms, TIME_DAY_MS), &y, &m, &d);
    return y * 100 + m;
}
