/*
 * timeutil: wall-clock time as SendGrid shows it. Times are kept as milliseconds since
 * the Unix epoch and shown as ISO 8601 UTC with second precision ("2021-03-02T15:25:47Z").
 */
#ifndef CONTACTD_CORE_TIMEUTIL_H
#define CONTACTD_CORE_TIMEUTIL_H

#include <stdint.h>

#define ISO8601_LEN 20

int64_t time_now_ms(void);
/* Monotonic milliseconds with a fractional part, for durations. */
double time_mono_ms(void);
void time_iso8601(int64_t ms, char out[ISO8601_LEN + 1]);

#endif
