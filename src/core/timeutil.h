/*
 * timeutil: wall-clock time as SendGrid shows it, and the one date parser. Times are kept
 * as milliseconds since the Unix epoch (proleptic Gregorian calendar, UTC) and shown as
 * ISO 8601 UTC with second precision ("2021-03-02T15:25:47Z"). Pure functions except the
 * clocks; nothing is allocated.
 */
#ifndef CONTACTD_CORE_TIMEUTIL_H
#define CONTACTD_CORE_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO8601_LEN 20
#define TIME_DAY_MS INT64_C(86400000)
/* Instants beyond about 250,000 years either way are treated as unset: far past any real
 * date, and far enough from INT64 limits that date arithmetic cannot overflow. */
#define TIME_LIMIT INT64_C(8000000000000000)

/*
 * A date or date-time as SGQL literals and stored Date values write it (s need not be
 * terminated; all len bytes must be used):
 *   YYYY-MM-DD | MM/DD/YYYY, optionally followed by (T or space) HH:MM[:SS[.fraction]]
 *   and then Z or an offset ±HH:MM / ±HHMM. No zone means UTC.
 * False when s is not one, or names no real day.
 */
bool time_parse(const char *s, size_t len, int64_t *out);
/* t plus months (calendar months, the day clamped to the month's length) plus ms; false
 * when either the operand or the result is beyond TIME_LIMIT. */
bool time_add(int64_t t, int32_t months, int64_t ms, int64_t *out);
/* Midnight UTC of the day of ms. */
int64_t time_day_start(int64_t ms);

int64_t time_now_ms(void);
/* Monotonic milliseconds with a fractional part, for durations. */
double time_mono_ms(void);
void time_iso8601(int64_t ms, char out[ISO8601_LEN + 1]);
/* The calendar month (UTC) of a time, as YYYYMM: 202612. */
int64_t time_month_utc(int64_t ms);

#endif
