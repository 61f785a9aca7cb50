/*
 * log: one structured line per event on stderr, as text (key=value) or JSON.
 *
 * Every layer logs through here so that `--log-format json` covers the access log (http)
 * and the job lines (jobs) alike without jobs/ knowing about http/. A line is written
 * with one write(2) call, so lines from several threads never interleave.
 *
 * Memory: log_event and log_batch_event copy nothing it is given beyond the call; the caller keeps
 * ownership of every string. The format is process-wide (set once at startup).
 */
#ifndef CONTACTD_CORE_LOG_H
#define CONTACTD_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum log_format {
    LOG_FORMAT_TEXT = 0, /* 2026-01-02T03:04:05Z request id=... path=/x status=200 */
    LOG_FORMAT_JSON = 1, /* {"time":"...","event":"request","id":"...",...} */
} log_format;

void log_set_format(log_format f);
/* "text" or "json" into *out; -1 for anything else. */
int log_format_parse(const char *name, log_format *out);

typedef enum log_type { LOG_STR, LOG_INT, LOG_MS } log_type;

typedef struct log_field {
    const char *key;
    log_type type;
    const char *s; /* LOG_STR; NULL is left out of the line */
    int64_t i;     /* LOG_INT */
    double ms;     /* LOG_MS: a duration, printed with 3 decimals */
} log_field;

#define LOG_S(k, v) ((log_field){.key = (k), .type = LOG_STR, .s = (v)})
#define LOG_I(k, v) ((log_field){.key = (k), .type = LOG_INT, .i = (v)})
#define LOG_D(k, v) ((log_field){.key = (k), .type = LOG_MS, .ms = (v)})

/* Write one line: the time, the event's name, then the fields in order. */
void log_event(const char *event, const log_field *fields, size_t n);

/*
 * Lines gathered and written together, for a thread that logs many at once (the job
 * writer logs two lines a job, and a write(2) per line was a tenth of its time). Each
 * write holds whole lines and at most LOG_BATCH_WRITE bytes (PIPE_BUF), so lines still
 * never interleave with other threads' lines. Start with LOG_BATCH_INIT; the batch owns its
 * buffer until log_batch_flush, which writes the rest and leaves it empty and reusable.
 */
#define LOG_BATCH_WRITE 4096
typedef struct log_batch {
    char *buf;
    size_t len, sent; /* bytes gathered; of those, written already */
    void *stream;     /* FILE * over buf */
} log_batch;
#define LOG_BATCH_INIT \
    {                  \
        0, 0, 0, 0     \
    }
void log_batch_event(log_batch *b, const char *event, const log_field *fields, size_t n);
void log_batch_flush(log_batch *b);

#endif
